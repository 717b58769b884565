//! Tuning searches as runs: the search is a parent run, every trial a child
//! run (`mlflow.parentRunId`) with the trial's active hyperparameters as
//! params (evaluated values — `"svm"`, `0.13` — never choice indices), its
//! loss, status and duration; the parent tracks `best_loss` by trial.

use std::cell::RefCell;

use cairn_client::{ActiveRun, RunOptions, Tracking};
use cairn_core::commands::{NewRun, RunBatch};
use cairn_core::store::RunUpdate;
use cairn_core::{Error, ExperimentId, Metric, Param, Result, RunId, RunStatus, Tag, system_tags};
use cairn_tune::fmin::{FminOptions, FminOutcome, TrialView, fmin};
use cairn_tune::trials::{IntoTrialResult, Status, Trials};
use cairn_tune::{Space, Value};

/// Tag on every trial run: its trial id.
pub const TRIAL_ID_TAG: &str = "cairn.tuning.trial_id";
/// Tag on every trial run: why it failed.
pub const TRIAL_ERROR_TAG: &str = "cairn.tuning.error";
/// Tag on the parent run marking it as a tuning search.
pub const SEARCH_TAG: &str = "cairn.tuning.search";

fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round().max(0.0) as i64
}

fn param_text(v: &Value) -> String {
    v.to_string()
}

/// Writes each finished trial as a child run of `parent`. Logging errors are
/// kept (the first is reported by [`TrialLogger::finish`]) and never stop
/// the search.
#[derive(Debug)]
pub struct TrialLogger {
    tracking: Tracking,
    parent: RunId,
    experiment: ExperimentId,
    first_error: Option<Error>,
    logged: usize,
}

impl TrialLogger {
    /// A logger whose trial runs nest under `parent`.
    pub fn new(tracking: &Tracking, parent: &ActiveRun) -> TrialLogger {
        TrialLogger {
            tracking: tracking.clone(),
            parent: parent.run_id().clone(),
            experiment: parent.experiment_id(),
            first_error: None,
            logged: 0,
        }
    }

    /// Record one finished trial (use as `FminOptions::on_trial_end`).
    pub fn log(&mut self, view: &TrialView<'_>) {
        if let Err(e) = self.try_log(view) {
            tracing::warn!(error = %e, tid = view.trial.tid, "could not log a tuning trial");
            self.first_error.get_or_insert(e);
        }
    }

    fn try_log(&mut self, view: &TrialView<'_>) -> Result<()> {
        let trial = view.trial;
        let store = self.tracking.store();
        let start = ms(trial.book_time);
        let end = ms(trial.refresh_time).max(start);
        let mut tags = vec![
            Tag::new(system_tags::PARENT_RUN_ID, self.parent.as_str()),
            Tag::new(TRIAL_ID_TAG, trial.tid.to_string()),
        ];
        if let Some(err) = &trial.error {
            let mut text = err.clone();
            cairn_core::validation::truncate_chars(&mut text, 5000);
            tags.push(Tag::new(TRIAL_ERROR_TAG, text));
        }
        let run = store.create_run(NewRun::new(
            self.experiment,
            String::new(),
            Some(format!("trial-{}", trial.tid)),
            start,
            tags,
        )?)?;
        let id = run.info.run_id;
        let params: Vec<Param> = view
            .params()
            .iter()
            .map(|(k, v)| Param::new(k.clone(), param_text(v)))
            .collect();
        let mut metrics = vec![Metric::new("duration_s", trial.duration_s, end, 0)];
        if let Some(loss) = view.loss() {
            metrics.push(Metric::new("loss", loss, end, 0));
        }
        if let Some(v) = trial.result.true_loss {
            metrics.push(Metric::new("true_loss", v, end, 0));
        }
        if let Some(v) = trial.result.loss_variance {
            metrics.push(Metric::new("loss_variance", v, end, 0));
        }
        for chunk in params.chunks(100) {
            store.log_batch(&id, &RunBatch::new(vec![], chunk.to_vec(), vec![])?)?;
        }
        store.log_batch(&id, &RunBatch::new(metrics, vec![], vec![])?)?;
        let status = if view.status() == Status::Ok {
            RunStatus::Finished
        } else {
            RunStatus::Failed
        };
        store.update_run(
            &id,
            RunUpdate {
                status: Some(status),
                end_time: Some(end),
                run_name: None,
            },
        )?;
        if let Some(best) = view.best_loss {
            store.log_batch(
                &self.parent,
                &RunBatch::metric(Metric::new("best_loss", best, end, trial.tid as i64))?,
            )?;
        }
        self.logged += 1;
        Ok(())
    }

    /// How many trials were logged, or the first logging error.
    pub fn finish(self) -> Result<usize> {
        match self.first_error {
            Some(e) => Err(e),
            None => Ok(self.logged),
        }
    }
}

/// Why a logged search failed.
#[derive(Debug)]
pub enum LoggedSearchError {
    /// The search itself failed (bad options, every trial failed, …).
    Tune(cairn_tune::TuneError),
    /// Writing to the tracking backend failed.
    Tracking(Error),
}

impl std::fmt::Display for LoggedSearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoggedSearchError::Tune(e) => write!(f, "tuning failed: {e}"),
            LoggedSearchError::Tracking(e) => write!(f, "tracking failed: {e}"),
        }
    }
}

impl std::error::Error for LoggedSearchError {}

impl From<Error> for LoggedSearchError {
    fn from(e: Error) -> Self {
        LoggedSearchError::Tracking(e)
    }
}

/// `fmin` with the search logged: a parent run (named by `parent`), one
/// child run per trial, and on the parent the best loss per trial plus the
/// best trial's values as `best.<label>` params. The parent ends FINISHED,
/// or FAILED if the search failed.
pub fn fmin_logged<F, R>(
    objective: F,
    space: &Space,
    trials: &mut Trials,
    options: FminOptions<'_>,
    tracking: &Tracking,
    parent: RunOptions,
) -> std::result::Result<(FminOutcome, RunId), LoggedSearchError>
where
    F: Fn(&Value) -> R + Sync,
    R: IntoTrialResult,
{
    let parent_run = tracking.start_run(parent.tag(SEARCH_TAG, "true"))?;
    let parent_id = parent_run.run_id().clone();
    let logger = RefCell::new(TrialLogger::new(tracking, &parent_run));
    let options = options.on_trial_end(|view| logger.borrow_mut().log(view));
    let outcome = match fmin(objective, space, trials, options) {
        Ok(o) => o,
        Err(e) => {
            let _ = parent_run.end_with(RunStatus::Failed);
            return Err(LoggedSearchError::Tune(e));
        }
    };
    logger.into_inner().finish()?;
    let best = trials
        .best_trial()
        .map(|t| t.params(space))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (format!("best.{k}"), param_text(&v)));
    parent_run.log_params(best)?;
    parent_run.log_metric("best_loss_final", outcome.best_loss, trials.len() as i64)?;
    parent_run.end()?;
    Ok((outcome, parent_id))
}
