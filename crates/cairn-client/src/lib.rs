//! Cairn's tracking client: log runs from Rust the way `mlflow`'s fluent API
//! does, to the embedded store (no server process) or to any
//! MLflow-compatible server over HTTP.
//!
//! ```no_run
//! use cairn_client::{RunOptions, Tracking};
//! # fn main() -> Result<(), cairn_core::Error> {
//! let mut tracking = Tracking::from_env()?; // MLFLOW_TRACKING_URI, or ./cairn-data
//! let experiment = tracking.set_experiment("demo")?;
//! let run = tracking.start_run(RunOptions::new().experiment(experiment).name("baseline"))?;
//! run.log_param("maxDepth", "6")?;
//! for step in 0..100 {
//!     run.log_metric("loss", 1.0 / (step as f64 + 1.0), step)?; // batched in the background
//! }
//! run.end()?; // FINISHED; dropping it un-ended marks it FAILED
//! # Ok(()) }
//! ```
//!
//! Backends: [`HttpStore`] implements the same `TrackingStore` trait as the
//! embedded `SqliteStore`, so every feature here works with both.

mod http;
mod run;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::artifact_path::ArtifactPath;
use cairn_core::commands::NewExperiment;
use cairn_core::search::{RunFilter, RunOrder};
use cairn_core::store::{RunSearch, TrackingStore};
use cairn_core::{Error, ErrorCode, ExperimentId, FileInfo, Result, Run, RunId, ViewType};
use cairn_store::{SqliteStore, StoreOptions};

pub use http::HttpStore;
pub use run::{ActiveRun, RunOptions};

/// Where the embedded backend keeps its data by default (the same place
/// `cairn server` uses, so a server started later shows these runs).
pub const DEFAULT_DATA_DIR: &str = "cairn-data";

/// Where artifact bytes go.
#[derive(Debug, Clone)]
enum ArtifactTarget {
    /// Through the server's `mlflow-artifacts` proxy.
    Proxy(HttpStore),
    /// Directly into the embedded artifact directory.
    Local(PathBuf),
}

/// A connection to a tracking backend. Cheap to clone.
#[derive(Clone)]
pub struct Tracking {
    store: Arc<dyn TrackingStore>,
    artifacts: ArtifactTarget,
    default_experiment: Option<ExperimentId>,
}

impl std::fmt::Debug for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracking")
            .field("artifacts", &self.artifacts)
            .finish_non_exhaustive()
    }
}

impl Tracking {
    /// Configure from the environment like `mlflow`: `MLFLOW_TRACKING_URI`
    /// (`http(s)://…`, `sqlite:///path.db`, or unset for `./cairn-data`),
    /// and `MLFLOW_EXPERIMENT_ID` / `MLFLOW_EXPERIMENT_NAME` for the default
    /// experiment. (`MLFLOW_RUN_ID` is honoured by [`Tracking::start_run`].)
    pub fn from_env() -> Result<Tracking> {
        let uri = std::env::var("MLFLOW_TRACKING_URI")
            .ok()
            .filter(|s| !s.is_empty());
        let mut tracking = match uri {
            Some(uri) => Tracking::from_uri(&uri)?,
            None => Tracking::embedded(Path::new(DEFAULT_DATA_DIR).join("cairn.db"))?,
        };
        if let Some(id) = std::env::var("MLFLOW_EXPERIMENT_ID")
            .ok()
            .filter(|s| !s.is_empty())
        {
            let id: ExperimentId = id.parse()?;
            tracking.store.get_experiment(id)?;
            tracking.default_experiment = Some(id);
        } else if let Some(name) = std::env::var("MLFLOW_EXPERIMENT_NAME")
            .ok()
            .filter(|s| !s.is_empty())
        {
            tracking.default_experiment = Some(tracking.set_experiment(&name)?);
        }
        Ok(tracking)
    }

    /// Connect to a tracking URI: `http(s)://host:port` or `sqlite:///path.db`.
    pub fn from_uri(uri: &str) -> Result<Tracking> {
        if uri.starts_with("http://") || uri.starts_with("https://") {
            Ok(Tracking::http(uri))
        } else if uri.starts_with("sqlite:") {
            Tracking::embedded(SqliteStore::path_from_uri(uri)?)
        } else {
            Err(Error::invalid(format!(
                "Unsupported tracking URI '{uri}': use http(s)://host:port for a server or sqlite:///path.db for the embedded store"
            )))
        }
    }

    /// A client of the server at `url`.
    pub fn http(url: &str) -> Tracking {
        let http = HttpStore::new(url);
        Tracking {
            store: Arc::new(http.clone()),
            artifacts: ArtifactTarget::Proxy(http),
            default_experiment: None,
        }
    }

    /// The embedded store at `db_path`; artifacts go to `artifacts/` next to it.
    pub fn embedded(db_path: impl AsRef<Path>) -> Result<Tracking> {
        let db_path = db_path.as_ref();
        let artifacts = db_path.parent().unwrap_or(Path::new(".")).join("artifacts");
        let store = SqliteStore::open(db_path, StoreOptions::default())?;
        Ok(Tracking {
            store: Arc::new(store),
            artifacts: ArtifactTarget::Local(artifacts),
            default_experiment: None,
        })
    }

    /// The underlying store, for anything the fluent API does not cover.
    pub fn store(&self) -> &dyn TrackingStore {
        self.store.as_ref()
    }

    /// The experiment new runs go to when [`RunOptions`] names none.
    pub fn default_experiment(&self) -> ExperimentId {
        self.default_experiment.unwrap_or(ExperimentId::DEFAULT)
    }

    /// Get the experiment called `name`, creating it if needed, and make it
    /// the default for new runs of this handle's clones made afterwards.
    pub fn set_experiment(&mut self, name: &str) -> Result<ExperimentId> {
        let id = match self.store.get_experiment_by_name(name) {
            Ok(e) if e.lifecycle_stage == cairn_core::LifecycleStage::Deleted => {
                return Err(Error::invalid(format!(
                    "Experiment '{name}' is deleted; restore it or choose another name"
                )));
            }
            Ok(e) => e.experiment_id,
            Err(e) if e.code() == ErrorCode::ResourceDoesNotExist => {
                match self.store.create_experiment(NewExperiment::new(
                    name.to_owned(),
                    None,
                    vec![],
                )?) {
                    Ok(id) => id,
                    // Another process created it in between.
                    Err(e) if e.code() == ErrorCode::ResourceAlreadyExists => {
                        self.store.get_experiment_by_name(name)?.experiment_id
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        self.default_experiment = Some(id);
        Ok(id)
    }

    /// Start (or, with `MLFLOW_RUN_ID` / [`RunOptions::resume`], resume) a run.
    pub fn start_run(&self, options: RunOptions) -> Result<ActiveRun> {
        ActiveRun::start(self.clone(), options)
    }

    /// Run `body` inside a run: FINISHED when it returns `Ok`, FAILED on
    /// `Err` or panic.
    pub fn with_run<T, E: From<Error>>(
        &self,
        options: RunOptions,
        body: impl FnOnce(&ActiveRun) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let run = self.start_run(options)?;
        match body(&run) {
            Ok(v) => {
                run.end()?;
                Ok(v)
            }
            Err(e) => {
                let _ = run.end_with(cairn_core::RunStatus::Failed);
                Err(e)
            }
        }
    }

    /// Search runs of `experiments` with an MLflow filter and order.
    pub fn search_runs(
        &self,
        experiments: &[ExperimentId],
        filter: &str,
        order_by: &[String],
        max_results: usize,
    ) -> Result<Vec<Run>> {
        let mut query = RunSearch {
            experiment_ids: experiments.to_vec(),
            filter: RunFilter::parse(filter)?,
            order: RunOrder::parse(order_by)?,
            view_type: ViewType::ActiveOnly,
            max_results: cairn_core::validation::validate_max_results(
                max_results.min(50_000) as i64
            )?,
            page_token: None,
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.search_runs(&query)?;
            out.extend(page.items);
            match page.next_page_token {
                Some(t) if out.len() < max_results => query.page_token = Some(t),
                _ => break,
            }
        }
        out.truncate(max_results);
        Ok(out)
    }

    /// Upload a local file as artifact `rel` of the run whose root is `artifact_uri`.
    pub(crate) fn put_artifact(
        &self,
        artifact_uri: &str,
        rel: &ArtifactPath,
        file: &Path,
    ) -> Result<()> {
        match &self.artifacts {
            ArtifactTarget::Proxy(http) => {
                http.upload_artifact(artifact_uri, &rel.to_string(), file)
            }
            ArtifactTarget::Local(dir) => {
                let dest = local_artifact_path(dir, artifact_uri, rel)?;
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        Error::internal(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                std::fs::copy(file, &dest).map_err(|e| {
                    Error::invalid(format!(
                        "cannot copy {} to {}: {e}",
                        file.display(),
                        dest.display()
                    ))
                })?;
                Ok(())
            }
        }
    }

    /// List a run's artifacts under `path` (run-relative).
    pub fn list_artifacts(&self, run: &RunId, path: &str) -> Result<Vec<FileInfo>> {
        let rel = ArtifactPath::parse(path)?;
        match &self.artifacts {
            ArtifactTarget::Proxy(http) => http.list_artifacts(run, &rel.to_string()),
            ArtifactTarget::Local(dir) => {
                let uri = self.store.get_run(run)?.info.artifact_uri;
                let base = local_artifact_path(dir, &uri, &rel)?;
                let mut out = Vec::new();
                let Ok(entries) = std::fs::read_dir(&base) else {
                    return Ok(out);
                };
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let meta = entry.metadata().ok();
                    let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
                    let path = if rel.is_root() {
                        name
                    } else {
                        format!("{rel}/{name}")
                    };
                    out.push(FileInfo {
                        path,
                        is_dir,
                        file_size: if is_dir { None } else { meta.map(|m| m.len()) },
                    });
                }
                out.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(out)
            }
        }
    }
}

/// `<artifacts dir>/<exp>/<run>/artifacts/<rel>` for a `mlflow-artifacts:` URI.
fn local_artifact_path(dir: &Path, artifact_uri: &str, rel: &ArtifactPath) -> Result<PathBuf> {
    let root = artifact_uri
        .strip_prefix("mlflow-artifacts:")
        .map(|r| r.trim_start_matches('/'))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotImplemented,
                format!("artifact URI '{artifact_uri}' is not a Cairn-managed location"),
            )
        })?;
    let full = ArtifactPath::parse(root)?.join(rel);
    let mut path = dir.to_path_buf();
    path.extend(full.segments());
    Ok(path)
}
