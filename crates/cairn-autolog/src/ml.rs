//! Model selection as runs: fitting a `CrossValidator` or
//! `TrainValidationSplit` logs to a parent run (the candidates' grid, the
//! best params, the best average metric) and one nested child run per param
//! map (its params under the names the grid used — so `params.maxDepth =
//! '6'` finds it — plus every stage param as `stage.param`, and the average,
//! standard deviation and per-fold values of the metric).
//!
//! Without an active run a parent run is created and ended; with one, the
//! logging goes into it and it is left open for the caller.

use std::path::Path;
use std::sync::Mutex;

use cairn_client::{ActiveRun, RunOptions, Tracking};
use cairn_core::commands::{NewRun, RunBatch};
use cairn_core::store::RunUpdate;
use cairn_core::{Error, ExperimentId, Metric, Param, Result, RunId, RunStatus, Tag, system_tags};
use cairn_ml::PipelineModel;
use cairn_ml::tuning::{CandidateResult, CrossValidatorModel, CvObserver};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Writes each evaluated candidate as a child run of a parent run.
#[derive(Debug)]
pub struct CandidateLogger {
    tracking: Tracking,
    parent: RunId,
    experiment: ExperimentId,
    first_error: Mutex<Option<Error>>,
}

impl CandidateLogger {
    /// A logger whose candidate runs nest under `parent`.
    pub fn new(tracking: &Tracking, parent: &ActiveRun) -> CandidateLogger {
        CandidateLogger {
            tracking: tracking.clone(),
            parent: parent.run_id().clone(),
            experiment: parent.experiment_id(),
            first_error: Mutex::new(None),
        }
    }

    fn try_log(&self, r: &CandidateResult<'_>) -> Result<()> {
        let store = self.tracking.store();
        let end = now_ms();
        let start = end - r.elapsed.as_millis() as i64;
        let name = r.param_map.to_string();
        let tags = vec![
            Tag::new(system_tags::PARENT_RUN_ID, self.parent.as_str()),
            Tag::new("cairn.model_selection.candidate", r.index.to_string()),
        ];
        let run = store.create_run(NewRun::new(
            self.experiment,
            String::new(),
            Some(name),
            start.max(0),
            tags,
        )?)?;
        let id = run.info.run_id;
        let mut params: Vec<Param> = r
            .param_map
            .to_string_pairs()
            .into_iter()
            .map(|(k, v)| Param::new(k, v))
            .collect();
        for (k, v) in &r.all_params {
            if !params.iter().any(|p| p.key == *k) {
                params.push(Param::new(k.clone(), v.to_string()));
            }
        }
        for chunk in params.chunks(100) {
            store.log_batch(&id, &RunBatch::new(vec![], chunk.to_vec(), vec![])?)?;
        }
        let metric = r.metric_name;
        let mut metrics = vec![
            Metric::new(metric, r.avg_metric, end, 0),
            Metric::new(format!("{metric}_std"), r.std_metric, end, 0),
        ];
        metrics.extend(
            r.fold_metrics
                .iter()
                .enumerate()
                .map(|(i, v)| Metric::new(format!("fold_{metric}"), *v, end, i as i64)),
        );
        store.log_batch(&id, &RunBatch::new(metrics, vec![], vec![])?)?;
        store.update_run(
            &id,
            RunUpdate {
                status: Some(RunStatus::Finished),
                end_time: Some(end),
                run_name: None,
            },
        )?;
        Ok(())
    }

    /// The first logging error, if any.
    pub fn finish(self) -> Result<()> {
        match self.first_error.into_inner().ok().flatten() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl CvObserver for CandidateLogger {
    fn on_candidate(&self, result: &CandidateResult<'_>) {
        if let Err(e) = self.try_log(result) {
            tracing::warn!(error = %e, candidate = result.index, "could not log a model-selection candidate");
            if let Ok(mut slot) = self.first_error.lock() {
                slot.get_or_insert(e);
            }
        }
    }
}

/// Where model-selection logging goes.
#[derive(Debug)]
pub enum Parent<'a> {
    /// Into this active run (left open).
    Active(&'a ActiveRun),
    /// Into a new run, ended when fitting ends (FAILED if it fails).
    New(RunOptions),
}

/// Why a logged fit failed.
#[derive(Debug)]
pub enum LoggedFitError {
    /// The fit failed (bad params, bad data, …).
    Ml(cairn_ml::MlError),
    /// Writing to the tracking backend failed.
    Tracking(Error),
}

impl std::fmt::Display for LoggedFitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoggedFitError::Ml(e) => write!(f, "fit failed: {e}"),
            LoggedFitError::Tracking(e) => write!(f, "tracking failed: {e}"),
        }
    }
}

impl std::error::Error for LoggedFitError {}

impl From<Error> for LoggedFitError {
    fn from(e: Error) -> Self {
        LoggedFitError::Tracking(e)
    }
}

/// Run `fit` (a `CrossValidator::fit_with` or `TrainValidationSplit::fit_with`
/// call) with autologging. `describe` names the selector's settings (e.g.
/// `[("numFolds", "3"), ("seed", "42")]`), logged as params of the parent.
pub fn fit_logged<M>(
    tracking: &Tracking,
    parent: Parent<'_>,
    describe: &[(&str, String)],
    fit: impl FnOnce(&dyn CvObserver) -> cairn_ml::Result<CrossValidatorModel<M>>,
) -> std::result::Result<CrossValidatorModel<M>, LoggedFitError> {
    let (active, owned) = match parent {
        Parent::Active(run) => (Some(run), None),
        Parent::New(options) => (None, Some(tracking.start_run(options)?)),
    };
    let run: &ActiveRun = active
        .or(owned.as_ref())
        .ok_or_else(|| Error::internal("no run to log to"))?;
    let logger = CandidateLogger::new(tracking, run);
    run.log_params(describe.iter().map(|(k, v)| (k.to_string(), v.clone())))?;
    let fitted = fit(&logger);
    logger.finish()?;
    let model = match fitted {
        Ok(m) => m,
        Err(e) => {
            if let Some(r) = owned {
                let _ = r.end_with(RunStatus::Failed);
            }
            return Err(LoggedFitError::Ml(e));
        }
    };
    let best = model
        .best_params
        .to_string_pairs()
        .into_iter()
        .map(|(k, v)| (format!("best.{k}"), v));
    run.log_params(best)?;
    if let Some(avg) = model.avg_metrics.get(model.best_index) {
        run.log_metric("best_avg_metric", *avg, 0)?;
    }
    run.set_tag("cairn.model_selection.candidates", model.avg_metrics.len())?;
    if let Some(r) = owned {
        r.end()?;
    } else {
        run.flush()?;
    }
    Ok(model)
}

/// Save a fitted pipeline into the run's artifacts under `artifact_dir`
/// (format: `cairn-ml/pipeline-model` v1, loadable with `PipelineModel::load`).
pub fn log_pipeline_model(
    run: &ActiveRun,
    model: &PipelineModel,
    artifact_dir: &str,
) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("cairn-model-{}", RunId::generate()));
    model
        .save(&dir)
        .map_err(|e| Error::internal(format!("saving the model failed: {e}")))?;
    let result = upload_dir(run, &dir, artifact_dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn upload_dir(run: &ActiveRun, dir: &Path, artifact_dir: &str) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::internal(format!("reading {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            upload_dir(run, &path, &format!("{artifact_dir}/{name}"))?;
        } else {
            run.log_artifact(&path, Some(artifact_dir))?;
        }
    }
    Ok(())
}
