//! Cairn's tracking store on embedded SQLite.
//!
//! [`SqliteStore`] implements [`cairn_core::store::TrackingStore`]. It owns
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
mod rows;
mod runs;
mod search;

use std::path::Path;
use std::sync::Arc;

use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::store::{
    BulkIntervalQuery, ExperimentSearch, MetricHistoryQuery, Page, RunSearch, RunUpdate,
    TrackingStore,
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
