//! Cairn's tracking store on embedded SQLite.
//!
//! [`SqliteStore`] implements [`cairn_core::store::TrackingStore`] and
//! [`cairn_core::store::ModelRegistryStore`]. It owns
//! the schema (versioned migrations under `migrations/`), turns domain
//! commands into SQL, and compiles search filters to SQL so that filtering,
//! ordering and paging happen inside the database with its indexes.
//!
//! Writes go through one group-committing writer thread (see `db`), reads
//! through a small connection pool; both are synchronous, so async callers
//! run store calls on blocking threads.

mod db;
mod experiments;
mod history;
mod metric_blocks;
mod metrics;
mod overview;
mod registry;
mod rows;
mod runs;
mod search;

use std::path::Path;
use std::sync::Arc;

use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::registry::{
    ModelStage, ModelVersion, NewModelVersion, NewRegisteredModel, RegisteredModel,
};
use cairn_core::store::{
    BulkIntervalQuery, ExperimentSearch, MetricHistoryQuery, ModelRegistryStore,
    ModelVersionSearch, Page, RegisteredModelSearch, RunSearch, RunUpdate, TrackingStore,
};
use cairn_core::{
    DatasetInput, Experiment, ExperimentId, Metric, Result, Run, RunId, RunInfo, RunMetric, Tag,
};

pub use db::Durability;

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One page of ids by offset paging, MLflow-style: decode the page token,
/// fetch one row more than the page size to learn whether another page
/// exists, and encode the next token only then.
pub(crate) fn offset_page<T>(
    page_token: Option<&str>,
    max_results: usize,
    fetch: impl FnOnce(usize, usize) -> Result<Vec<T>>,
) -> Result<(Vec<T>, Option<String>)> {
    let offset = cairn_core::page_token::decode(page_token)?;
    let mut ids = fetch(offset, max_results + 1)?;
    let next = if ids.len() > max_results {
        ids.truncate(max_results);
        Some(cairn_core::page_token::encode(offset + max_results))
    } else {
        None
    };
    Ok((ids, next))
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Artifact root URI under which new experiments get `<root>/<id>`.
    pub default_artifact_root: String,
    /// Commit durability.
    pub durability: Durability,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            default_artifact_root: "mlflow-artifacts:/".into(),
            durability: Durability::Full,
        }
    }
}

/// The SQLite tracking store. Cheap to clone; clones share one database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<db::Db>,
    default_artifact_root: Arc<str>,
}

impl SqliteStore {
    /// Open or create the database file at `path` and bring its schema up to date.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<SqliteStore> {
        let root = options.default_artifact_root.clone();
        let db = db::Db::open(path.as_ref(), options.durability, |conn| {
            experiments::ensure_default_experiment(conn, &root)
        })?;
        Ok(SqliteStore {
            db: Arc::new(db),
            default_artifact_root: root.into(),
        })
    }

    /// Parse an MLflow-style backend store URI (`sqlite:///path/to/file.db`,
    /// `sqlite:////abs/path.db`, or a plain path) into a file path.
    pub fn path_from_uri(uri: &str) -> Result<std::path::PathBuf> {
        if let Some(rest) = uri.strip_prefix("sqlite://") {
            // sqlite:///relative.db -> "relative.db"; sqlite:////abs.db -> "/abs.db"
            let path = rest.strip_prefix('/').unwrap_or(rest);
            if path.is_empty() {
                return Err(cairn_core::Error::invalid(format!(
                    "Invalid backend store URI '{uri}': no file path"
                )));
            }
            return Ok(path.into());
        }
        if uri.contains("://") {
            return Err(cairn_core::Error::invalid(format!(
                "Unsupported backend store URI '{uri}': this build supports sqlite:/// URIs and file paths"
            )));
        }
        Ok(uri.into())
    }

    /// Finish queued writes and stop the writer (also done on drop of the last clone).
    pub fn shutdown(&self) {
        self.db.shutdown();
    }

    pub(crate) fn artifact_root(&self) -> &str {
        &self.default_artifact_root
    }
}

impl TrackingStore for SqliteStore {
    fn registry(&self) -> Option<&dyn ModelRegistryStore> {
        Some(self)
    }

    fn create_experiment(&self, new: NewExperiment) -> Result<ExperimentId> {
        let root = self.artifact_root().to_owned();
        self.db.write(move |c| experiments::create(c, &new, &root))
    }
    fn get_experiment(&self, id: ExperimentId) -> Result<Experiment> {
        self.db.read(|c| experiments::get(c, id))
    }
    fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        self.db.read(|c| experiments::get_by_name(c, name))
    }
    fn search_experiments(&self, query: &ExperimentSearch) -> Result<Page<Experiment>> {
        self.db.read(|c| experiments::search(c, query))
    }
    fn rename_experiment(&self, id: ExperimentId, new_name: &str) -> Result<()> {
        let new_name = new_name.to_owned();
        self.db
            .write(move |c| experiments::rename(c, id, &new_name))
    }
    fn delete_experiment(&self, id: ExperimentId) -> Result<()> {
        self.db.write(move |c| experiments::delete(c, id))
    }
    fn restore_experiment(&self, id: ExperimentId) -> Result<()> {
        self.db.write(move |c| experiments::restore(c, id))
    }
    fn set_experiment_tag(&self, id: ExperimentId, tag: Tag) -> Result<()> {
        self.db.write(move |c| experiments::set_tag(c, id, &tag))
    }
    fn delete_experiment_tag(&self, id: ExperimentId, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.db.write(move |c| experiments::delete_tag(c, id, &key))
    }

    fn create_run(&self, new: NewRun) -> Result<Run> {
        let run_id = self.db.write(move |c| runs::create(c, &new))?;
        self.get_run(&run_id)
    }
    fn get_run(&self, id: &RunId) -> Result<Run> {
        self.db.read(|c| runs::get(c, id))
    }
    fn update_run(&self, id: &RunId, update: RunUpdate) -> Result<RunInfo> {
        let id2 = id.clone();
        self.db.write(move |c| runs::update(c, &id2, &update))?;
        Ok(self.get_run(id)?.info)
    }
    fn delete_run(&self, id: &RunId) -> Result<()> {
        let id = id.clone();
        self.db.write(move |c| runs::set_lifecycle(c, &id, false))
    }
    fn restore_run(&self, id: &RunId) -> Result<()> {
        let id = id.clone();
        self.db.write(move |c| runs::set_lifecycle(c, &id, true))
    }
    fn log_batch(&self, id: &RunId, batch: &RunBatch) -> Result<()> {
        if batch.is_empty() {
            // Still report unknown or deleted runs, as MLflow does.
            return self.db.read(|c| runs::require_active(c, id).map(|_| ()));
        }
        let id = id.clone();
        let batch = batch.clone();
        self.db.write(move |c| runs::log_batch(c, &id, &batch))
    }
    fn delete_tag(&self, id: &RunId, key: &str) -> Result<()> {
        let id = id.clone();
        let key = key.to_owned();
        self.db.write(move |c| runs::delete_tag(c, &id, &key))
    }
    fn log_inputs(&self, id: &RunId, inputs: &[DatasetInput]) -> Result<()> {
        let id = id.clone();
        let inputs = inputs.to_vec();
        self.db.write(move |c| runs::log_inputs(c, &id, &inputs))
    }
    fn metric_history(&self, query: &MetricHistoryQuery) -> Result<Page<Metric>> {
        self.db.read(|c| metrics::history(c, query))
    }
    fn metric_history_bulk_interval(&self, query: &BulkIntervalQuery) -> Result<Vec<RunMetric>> {
        self.db.read(|c| metrics::bulk_interval(c, query))
    }
    fn search_runs(&self, query: &RunSearch) -> Result<Page<Run>> {
        self.db.read(|c| runs::search(c, query))
    }
    fn experiment_run_stats(
        &self,
        ids: &[ExperimentId],
    ) -> Result<Vec<cairn_core::store::ExperimentRunStats>> {
        self.db.read(|c| overview::experiment_run_stats(c, ids))
    }
    fn child_run_counts(&self, experiment_id: ExperimentId) -> Result<Vec<(String, u64)>> {
        self.db
            .read(|c| overview::child_run_counts(c, experiment_id))
    }
    fn metric_points(&self, run_id: &RunId, key: &str) -> Result<Vec<(i64, i64, f64)>> {
        self.db.read(|c| overview::metric_points(c, run_id, key))
    }
    fn metric_chart_points(
        &self,
        run_id: &RunId,
        key: &str,
        min_blocks: usize,
    ) -> Result<cairn_core::store::ChartPoints> {
        self.db
            .read(|c| overview::metric_chart_points(c, run_id, key, min_blocks))
    }
}

impl ModelRegistryStore for SqliteStore {
    fn create_registered_model(&self, new: NewRegisteredModel) -> Result<RegisteredModel> {
        self.db.write(move |c| registry::create_model(c, &new))
    }
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.db.read(|c| registry::get_model(c, name))
    }
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        let (name, new_name) = (name.to_owned(), new_name.to_owned());
        self.db
            .write(move |c| registry::rename_model(c, &name, &new_name))
    }
    fn update_registered_model(&self, name: &str, description: &str) -> Result<RegisteredModel> {
        let (name, description) = (name.to_owned(), description.to_owned());
        self.db
            .write(move |c| registry::update_model(c, &name, &description))
    }
    fn delete_registered_model(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.db.write(move |c| registry::delete_model(c, &name))
    }
    fn set_registered_model_tag(&self, name: &str, tag: Tag) -> Result<()> {
        let name = name.to_owned();
        self.db
            .write(move |c| registry::set_model_tag(c, &name, &tag))
    }
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let (name, key) = (name.to_owned(), key.to_owned());
        self.db
            .write(move |c| registry::delete_model_tag(c, &name, &key))
    }
    fn search_registered_models(
        &self,
        query: &RegisteredModelSearch,
    ) -> Result<Page<RegisteredModel>> {
        self.db.read(|c| registry::search_models(c, query))
    }
    fn latest_versions(&self, name: &str, stages: &[ModelStage]) -> Result<Vec<ModelVersion>> {
        self.db.read(|c| registry::latest_versions(c, name, stages))
    }
    fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion> {
        self.db.write(move |c| registry::create_version(c, &new))
    }
    fn get_model_version(&self, name: &str, version: u64) -> Result<ModelVersion> {
        self.db.read(|c| registry::get_version(c, name, version))
    }
    fn update_model_version(
        &self,
        name: &str,
        version: u64,
        description: &str,
    ) -> Result<ModelVersion> {
        let (name, description) = (name.to_owned(), description.to_owned());
        self.db
            .write(move |c| registry::update_version(c, &name, version, &description))
    }
    fn delete_model_version(&self, name: &str, version: u64) -> Result<()> {
        let name = name.to_owned();
        self.db
            .write(move |c| registry::delete_version(c, &name, version))
    }
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: u64,
        stage: ModelStage,
        archive_existing: bool,
    ) -> Result<ModelVersion> {
        let name = name.to_owned();
        self.db
            .write(move |c| registry::transition_stage(c, &name, version, stage, archive_existing))
    }
    fn set_model_version_tag(&self, name: &str, version: u64, tag: Tag) -> Result<()> {
        let name = name.to_owned();
        self.db
            .write(move |c| registry::set_version_tag(c, &name, version, &tag))
    }
    fn delete_model_version_tag(&self, name: &str, version: u64, key: &str) -> Result<()> {
        let (name, key) = (name.to_owned(), key.to_owned());
        self.db
            .write(move |c| registry::delete_version_tag(c, &name, version, &key))
    }
    fn search_model_versions(&self, query: &ModelVersionSearch) -> Result<Page<ModelVersion>> {
        self.db.read(|c| registry::search_versions(c, query))
    }
    fn set_registered_model_alias(&self, name: &str, alias: &str, version: u64) -> Result<()> {
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.db
            .write(move |c| registry::set_alias(c, &name, &alias, version))
    }
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.db
            .write(move |c| registry::delete_alias(c, &name, &alias))
    }
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        self.db.read(|c| registry::version_by_alias(c, name, alias))
    }
}
