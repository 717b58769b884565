//! The storage contract: what the server, the client's embedded backend and
//! the CLI need from a tracking store.
//!
//! The trait is synchronous on purpose: the domain knows no async runtime.
//! Callers on an async runtime (the server) run store calls on blocking
//! threads. Every implementation must give the same observable behaviour,
//! which the store crates' shared conformance tests check.

use crate::commands::{NewExperiment, NewRun, RunBatch};
use crate::entities::{
    DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric, RunStatus, Tag, TimestampMs,
    ViewType,
};
use crate::error::Result;
use crate::ids::{ExperimentId, RunId};
use crate::registry::{
    ModelStage, ModelVersion, NewModelVersion, NewRegisteredModel, RegisteredModel,
};
use crate::search::{
    ExperimentFilter, ExperimentOrder, ModelVersionFilter, ModelVersionOrder,
    RegisteredModelFilter, RegisteredModelOrder, RunFilter, RunOrder,
};

/// One page of results plus the token of the next page, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Opaque token for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// A run search.
#[derive(Debug, Clone)]
pub struct RunSearch {
    /// Experiments to search in (at least one).
    pub experiment_ids: Vec<ExperimentId>,
    /// Parsed filter.
    pub filter: RunFilter,
    /// Parsed order.
    pub order: RunOrder,
    /// Lifecycle filter.
    pub view_type: ViewType,
    /// Page size, 1..=50,000.
    pub max_results: usize,
    /// Token from a previous page.
    pub page_token: Option<String>,
}

/// An experiment search.
#[derive(Debug, Clone)]
pub struct ExperimentSearch {
    /// Parsed filter.
    pub filter: ExperimentFilter,
    /// Parsed order.
    pub order: ExperimentOrder,
    /// Lifecycle filter.
    pub view_type: ViewType,
    /// Page size, 1..=50,000.
    pub max_results: usize,
    /// Token from a previous page.
    pub page_token: Option<String>,
}

/// A metric-history read.
#[derive(Debug, Clone)]
pub struct MetricHistoryQuery {
    /// The run.
    pub run_id: RunId,
    /// The metric key.
    pub key: String,
    /// Page size; `None` returns the whole series.
    pub max_results: Option<usize>,
    /// Token from a previous page.
    pub page_token: Option<String>,
}

/// A sampled history read for charts (MLflow's get-history-bulk-interval).
#[derive(Debug, Clone)]
pub struct BulkIntervalQuery {
    /// Runs (1..=100).
    pub run_ids: Vec<RunId>,
    /// The metric key.
    pub key: String,
    /// Inclusive step range, when given.
    pub steps: Option<(i64, i64)>,
    /// Points per run, 1..=2,500.
    pub max_results: usize,
}

/// Changes to a run's descriptive fields; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunUpdate {
    /// New status.
    pub status: Option<RunStatus>,
    /// New end time.
    pub end_time: Option<TimestampMs>,
    /// New name (also rewrites the `mlflow.runName` tag).
    pub run_name: Option<String>,
}

/// Active-run statistics of one experiment, for overview pages.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRunStats {
    /// The experiment.
    pub experiment_id: ExperimentId,
    /// Number of active runs.
    pub active_runs: u64,
    /// Latest start time among its active runs.
    pub last_run_start: Option<TimestampMs>,
}

/// One metric's history reduced for a chart (see
/// [`TrackingStore::metric_chart_points`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartPoints {
    /// Points in the whole history (NaN and infinities included).
    pub total_points: u64,
    /// Earliest timestamp of the history.
    pub first_time: Option<TimestampMs>,
    /// `(timestamp, step, value)`: every point in history order, or, when
    /// `summarized`, each stored block's min and max finite points in step order.
    pub points: Vec<(TimestampMs, i64, f64)>,
    /// Whether `points` are block extremes rather than the whole history.
    pub summarized: bool,
}

impl ChartPoints {
    /// A chart of every point of a history (`(timestamp, step, value)`).
    pub fn whole_history(points: Vec<(TimestampMs, i64, f64)>) -> ChartPoints {
        ChartPoints {
            total_points: points.len() as u64,
            first_time: points.iter().map(|p| p.0).min(),
            points,
            summarized: false,
        }
    }
}

/// Page through every active run of `search` (used by default methods).
fn for_each_run(
    store: &(impl TrackingStore + ?Sized),
    mut search: RunSearch,
    mut f: impl FnMut(&Run),
) -> Result<()> {
    loop {
        let page = store.search_runs(&search)?;
        page.items.iter().for_each(&mut f);
        match page.next_page_token {
            Some(t) => search.page_token = Some(t),
            None => return Ok(()),
        }
    }
}

/// A registered-model search.
#[derive(Debug, Clone)]
pub struct RegisteredModelSearch {
    /// Parsed filter.
    pub filter: RegisteredModelFilter,
    /// Parsed order.
    pub order: RegisteredModelOrder,
    /// Page size, 1..=1,000.
    pub max_results: usize,
    /// Token from a previous page.
    pub page_token: Option<String>,
}

/// A model-version search.
#[derive(Debug, Clone)]
pub struct ModelVersionSearch {
    /// Parsed filter.
    pub filter: ModelVersionFilter,
    /// Parsed order.
    pub order: ModelVersionOrder,
    /// Page size, 1..=200,000.
    pub max_results: usize,
    /// Token from a previous page.
    pub page_token: Option<String>,
}

/// The model registry (MLflow's ModelRegistryService). Names and aliases
/// reach it validated (see [`crate::registry`]); a missing model or version
/// is `RESOURCE_DOES_NOT_EXIST`, and a failed call changes nothing.
pub trait ModelRegistryStore: Send + Sync {
    /// Create a model; the name must be free.
    fn create_registered_model(&self, new: NewRegisteredModel) -> Result<RegisteredModel>;
    /// Get a model with its latest versions per stage, tags and aliases.
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel>;
    /// Rename a model; its versions, tags and aliases move with it.
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel>;
    /// Replace a model's description.
    fn update_registered_model(&self, name: &str, description: &str) -> Result<RegisteredModel>;
    /// Delete a model with its versions, tags and aliases.
    fn delete_registered_model(&self, name: &str) -> Result<()>;
    /// Upsert a model tag.
    fn set_registered_model_tag(&self, name: &str, tag: Tag) -> Result<()>;
    /// Delete a model tag (a missing key is not an error, as in MLflow).
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()>;
    /// Search models.
    fn search_registered_models(
        &self,
        query: &RegisteredModelSearch,
    ) -> Result<Page<RegisteredModel>>;
    /// The newest version in each of `stages` (every stage when empty).
    fn latest_versions(&self, name: &str, stages: &[ModelStage]) -> Result<Vec<ModelVersion>>;

    /// Create the model's next version (numbers are never reused).
    fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion>;
    /// Get one version.
    fn get_model_version(&self, name: &str, version: u64) -> Result<ModelVersion>;
    /// Replace a version's description.
    fn update_model_version(
        &self,
        name: &str,
        version: u64,
        description: &str,
    ) -> Result<ModelVersion>;
    /// Delete a version and the aliases pointing at it.
    fn delete_model_version(&self, name: &str, version: u64) -> Result<()>;
    /// Move a version to `stage`; with `archive_existing`, the model's other
    /// versions in that stage (Staging/Production only) go to Archived.
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: u64,
        stage: ModelStage,
        archive_existing: bool,
    ) -> Result<ModelVersion>;
    /// Upsert a version tag.
    fn set_model_version_tag(&self, name: &str, version: u64, tag: Tag) -> Result<()>;
    /// Delete a version tag (a missing key is not an error, as in MLflow).
    fn delete_model_version_tag(&self, name: &str, version: u64, key: &str) -> Result<()>;
    /// Search versions.
    fn search_model_versions(&self, query: &ModelVersionSearch) -> Result<Page<ModelVersion>>;

    /// Point `alias` at `version`, moving it if it pointed elsewhere.
    fn set_registered_model_alias(&self, name: &str, alias: &str, version: u64) -> Result<()>;
    /// Remove an alias (a missing alias is not an error, as in MLflow).
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()>;
    /// The version an alias points at; an unknown alias is
    /// `INVALID_PARAMETER_VALUE` (MLflow's code), an unknown model a 404.
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion>;
}

/// Everything the tracking API needs from storage.
pub trait TrackingStore: Send + Sync + 'static {
    /// The model registry kept next to the tracking data, if this backend
    /// has one (the HTTP client's store does not implement it yet).
    fn registry(&self) -> Option<&dyn ModelRegistryStore> {
        None
    }

    /// Create an experiment; names are unique across active and deleted ones.
    fn create_experiment(&self, new: NewExperiment) -> Result<ExperimentId>;
    /// Get an experiment, deleted or not.
    fn get_experiment(&self, id: ExperimentId) -> Result<Experiment>;
    /// Get an experiment by exact name, deleted or not.
    fn get_experiment_by_name(&self, name: &str) -> Result<Experiment>;
    /// Search experiments.
    fn search_experiments(&self, query: &ExperimentSearch) -> Result<Page<Experiment>>;
    /// Rename an active experiment.
    fn rename_experiment(&self, id: ExperimentId, new_name: &str) -> Result<()>;
    /// Soft-delete an experiment and its runs.
    fn delete_experiment(&self, id: ExperimentId) -> Result<()>;
    /// Restore a soft-deleted experiment and its runs.
    fn restore_experiment(&self, id: ExperimentId) -> Result<()>;
    /// Upsert an experiment tag (validated by [`crate::commands::experiment_tag`]).
    fn set_experiment_tag(&self, id: ExperimentId, tag: Tag) -> Result<()>;
    /// Delete an experiment tag; unknown keys are `RESOURCE_DOES_NOT_EXIST`.
    fn delete_experiment_tag(&self, id: ExperimentId, key: &str) -> Result<()>;

    /// Create a run in an active experiment.
    fn create_run(&self, new: NewRun) -> Result<Run>;
    /// Get a run, deleted or not, with latest metrics, params, tags and inputs.
    fn get_run(&self, id: &RunId) -> Result<Run>;
    /// Update status, end time or name of an active run.
    fn update_run(&self, id: &RunId, update: RunUpdate) -> Result<RunInfo>;
    /// Soft-delete a run.
    fn delete_run(&self, id: &RunId) -> Result<()>;
    /// Restore a soft-deleted run.
    fn restore_run(&self, id: &RunId) -> Result<()>;
    /// Write metrics, params and tags of an active run; params are immutable.
    fn log_batch(&self, id: &RunId, batch: &RunBatch) -> Result<()>;
    /// Delete a run tag; unknown keys are `RESOURCE_DOES_NOT_EXIST`.
    fn delete_tag(&self, id: &RunId, key: &str) -> Result<()>;
    /// Record dataset inputs of an active run (validated by the caller).
    fn log_inputs(&self, id: &RunId, inputs: &[DatasetInput]) -> Result<()>;
    /// The full (or paged) history of one metric, ordered by timestamp, step, value.
    fn metric_history(&self, query: &MetricHistoryQuery) -> Result<Page<Metric>>;
    /// Sampled histories of one metric for several runs.
    fn metric_history_bulk_interval(&self, query: &BulkIntervalQuery) -> Result<Vec<RunMetric>>;
    /// Search runs with a filter, order and paging.
    fn search_runs(&self, query: &RunSearch) -> Result<Page<Run>>;

    /// One metric's whole history as `(timestamp, step, value)` in history
    /// order (timestamp, step, value), for charts that read every point.
    /// The default composes `metric_history`; SQL stores skip building a
    /// `Metric` (and its key) per point.
    fn metric_points(&self, run_id: &RunId, key: &str) -> Result<Vec<(TimestampMs, i64, f64)>> {
        Ok(self
            .metric_history(&MetricHistoryQuery {
                run_id: run_id.clone(),
                key: key.to_owned(),
                max_results: None,
                page_token: None,
            })?
            .items
            .into_iter()
            .map(|m| (m.timestamp, m.step, m.value))
            .collect())
    }

    /// A metric's history for a min/max-downsampled chart: the block
    /// extremes the store keeps at write time when the history spans at
    /// least `min_blocks` blocks (each holding a real min and max point, so
    /// every extreme of the whole history is among them), else every point.
    /// The default reads every point.
    fn metric_chart_points(
        &self,
        run_id: &RunId,
        key: &str,
        min_blocks: usize,
    ) -> Result<ChartPoints> {
        let _ = min_blocks;
        Ok(ChartPoints::whole_history(self.metric_points(run_id, key)?))
    }

    /// Active-run count and latest run start of each experiment (UI
    /// overview). The default pages through `search_runs`; SQL stores
    /// answer it with one aggregate query.
    fn experiment_run_stats(&self, ids: &[ExperimentId]) -> Result<Vec<ExperimentRunStats>> {
        ids.iter()
            .map(|&id| {
                let mut stats = ExperimentRunStats {
                    experiment_id: id,
                    active_runs: 0,
                    last_run_start: None,
                };
                let search = RunSearch {
                    experiment_ids: vec![id],
                    filter: RunFilter::parse("")?,
                    order: RunOrder::parse(&[])?,
                    view_type: ViewType::ActiveOnly,
                    max_results: 50_000,
                    page_token: None,
                };
                for_each_run(self, search, |r| {
                    stats.active_runs += 1;
                    stats.last_run_start = stats.last_run_start.max(Some(r.info.start_time));
                })?;
                Ok(stats)
            })
            .collect()
    }

    /// Number of active child runs (tag `mlflow.parentRunId`) of every parent
    /// that has some, among the runs of one experiment (UI run tree). The
    /// default pages through `search_runs`; SQL stores group in the database.
    fn child_run_counts(&self, experiment_id: ExperimentId) -> Result<Vec<(String, u64)>> {
        let search = RunSearch {
            experiment_ids: vec![experiment_id],
            filter: RunFilter::parse("tags.`mlflow.parentRunId` LIKE '%'")?,
            order: RunOrder::parse(&[])?,
            view_type: ViewType::ActiveOnly,
            max_results: 50_000,
            page_token: None,
        };
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for_each_run(self, search, |r| {
            if let Some(t) = r
                .tags
                .iter()
                .find(|t| t.key == crate::system_tags::PARENT_RUN_ID)
            {
                *counts.entry(t.value.clone()).or_default() += 1;
            }
        })?;
        Ok(counts.into_iter().collect())
    }
}
