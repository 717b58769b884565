//! [`ActiveRun`]: a live run with batched metric logging and an end guard.
//!
//! Metrics go to a per-run background thread that sends them in batches of
//! up to 1,000 (or whatever has accumulated after 200 ms), so a training loop
//! never waits on a round trip. A failed background write is reported by the
//! next call on the run, and by `flush`/`end`. Params and tags are written
//! synchronously because their errors (e.g. changing a param) matter at once.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cairn_core::artifact_path::ArtifactPath;
use cairn_core::commands::{NewRun, RunBatch};
use cairn_core::store::RunUpdate;
use cairn_core::validation::{KeyKind, validate_key};
use cairn_core::{Error, ExperimentId, Metric, Param, Result, RunId, RunStatus, Tag, system_tags};

use crate::Tracking;

/// Largest batch the flusher sends (MLflow's log-batch limit).
const BATCH: usize = 1000;
/// Longest a metric waits in the buffer.
const MAX_DELAY: Duration = Duration::from_millis(200);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How to start a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    experiment: Option<ExperimentId>,
    name: Option<String>,
    parent: Option<RunId>,
    tags: Vec<Tag>,
    resume: Option<RunId>,
}

impl RunOptions {
    /// Defaults: the tracking handle's experiment, a generated name.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }
    /// The experiment to create the run in.
    pub fn experiment(mut self, id: ExperimentId) -> Self {
        self.experiment = Some(id);
        self
    }
    /// The run name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Nest the run under `parent` (sets `mlflow.parentRunId`).
    pub fn parent(mut self, parent: RunId) -> Self {
        self.parent = Some(parent);
        self
    }
    /// An extra tag at creation.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push(Tag::new(key, value));
        self
    }
    /// Resume an existing run instead of creating one.
    pub fn resume(mut self, run: RunId) -> Self {
        self.resume = Some(run);
        self
    }
}

enum Msg {
    Metric(Metric),
    Flush(mpsc::SyncSender<()>),
}

struct Flusher {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    handle: Mutex<Option<thread::JoinHandle<()>>>,
    error: Arc<Mutex<Option<Error>>>,
}

impl Flusher {
    fn start(tracking: Tracking, run: RunId) -> Flusher {
        let (tx, rx) = mpsc::channel::<Msg>();
        let error = Arc::new(Mutex::new(None));
        let err_slot = Arc::clone(&error);
        let handle = thread::Builder::new()
            .name(format!(
                "cairn-metrics-{}",
                &run.as_str()[..8.min(run.as_str().len())]
            ))
            .spawn(move || {
                let mut buffer: Vec<Metric> = Vec::new();
                let mut oldest: Option<Instant> = None;
                let send = |buffer: &mut Vec<Metric>| {
                    while !buffer.is_empty() {
                        let chunk: Vec<Metric> = buffer.drain(..buffer.len().min(BATCH)).collect();
                        let result = RunBatch::new(chunk, vec![], vec![])
                            .and_then(|b| tracking.store().log_batch(&run, &b));
                        if let Err(e) = result
                            && let Ok(mut slot) = err_slot.lock()
                        {
                            slot.get_or_insert(e);
                        }
                    }
                };
                loop {
                    let msg = match oldest {
                        Some(t) => rx.recv_timeout(MAX_DELAY.saturating_sub(t.elapsed())),
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match msg {
                        Ok(Msg::Metric(m)) => {
                            buffer.push(m);
                            oldest.get_or_insert_with(Instant::now);
                            if buffer.len() >= BATCH {
                                send(&mut buffer);
                                oldest = None;
                            }
                        }
                        Ok(Msg::Flush(done)) => {
                            send(&mut buffer);
                            oldest = None;
                            let _ = done.send(());
                        }
                        Err(RecvTimeoutError::Timeout) => {
                            send(&mut buffer);
                            oldest = None;
                        }
                        Err(RecvTimeoutError::Disconnected) => {
                            send(&mut buffer);
                            break;
                        }
                    }
                }
            })
            .ok();
        Flusher {
            tx: Mutex::new(Some(tx)),
            handle: Mutex::new(handle),
            error,
        }
    }

    fn take_error(&self) -> Result<()> {
        match self.error.lock().ok().and_then(|mut e| e.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn push(&self, m: Metric) -> Result<()> {
        self.take_error()?;
        let guard = self
            .tx
            .lock()
            .map_err(|_| Error::internal("metric buffer poisoned"))?;
        let tx = guard
            .as_ref()
            .ok_or_else(|| Error::invalid("the run has ended"))?;
        tx.send(Msg::Metric(m))
            .map_err(|_| Error::internal("the metric flusher stopped"))
    }

    fn flush(&self) -> Result<()> {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        if let Some(tx) = self.tx.lock().ok().and_then(|g| g.clone())
            && tx.send(Msg::Flush(done_tx)).is_ok()
        {
            let _ = done_rx.recv();
        }
        self.take_error()
    }

    fn close(&self) -> Result<()> {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(h) = self.handle.lock().ok().and_then(|mut h| h.take()) {
            let _ = h.join();
        }
        self.take_error()
    }
}

/// A run being logged to. Ends as FINISHED with [`ActiveRun::end`]; if it is
/// dropped without being ended (an early `?` return or a panic), it is
/// flushed and ended as FAILED.
pub struct ActiveRun {
    tracking: Tracking,
    run_id: RunId,
    experiment_id: ExperimentId,
    artifact_uri: String,
    flusher: Flusher,
    ended: Mutex<bool>,
}

impl std::fmt::Debug for ActiveRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveRun")
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

fn default_user() -> String {
    ["MLFLOW_TRACKING_USERNAME", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

impl ActiveRun {
    pub(crate) fn start(tracking: Tracking, options: RunOptions) -> Result<ActiveRun> {
        let resume = options.resume.clone().or_else(|| {
            std::env::var("MLFLOW_RUN_ID")
                .ok()
                .filter(|s| !s.is_empty())
                .and_then(|s| s.parse().ok())
        });
        let run = if let Some(id) = resume {
            let run = tracking.store().get_run(&id)?;
            if run.info.status != RunStatus::Running {
                tracking.store().update_run(
                    &id,
                    RunUpdate {
                        status: Some(RunStatus::Running),
                        ..Default::default()
                    },
                )?;
            }
            run
        } else {
            let user = default_user();
            let mut tags = vec![
                Tag::new(system_tags::USER, user.clone()),
                Tag::new(system_tags::SOURCE_TYPE, "LOCAL"),
                Tag::new(
                    system_tags::SOURCE_NAME,
                    std::env::args()
                        .next()
                        .unwrap_or_else(|| "cairn-client".into()),
                ),
            ];
            if let Some(parent) = &options.parent {
                tags.push(Tag::new(system_tags::PARENT_RUN_ID, parent.as_str()));
            }
            for t in options.tags {
                tags.retain(|x| x.key != t.key);
                tags.push(t);
            }
            let experiment = options
                .experiment
                .unwrap_or_else(|| tracking.default_experiment());
            tracking.store().create_run(NewRun::new(
                experiment,
                user,
                options.name,
                now_ms(),
                tags,
            )?)?
        };
        let flusher = Flusher::start(tracking.clone(), run.info.run_id.clone());
        Ok(ActiveRun {
            tracking,
            run_id: run.info.run_id,
            experiment_id: run.info.experiment_id,
            artifact_uri: run.info.artifact_uri,
            flusher,
            ended: Mutex::new(false),
        })
    }

    /// The run's id.
    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// The run's experiment.
    pub fn experiment_id(&self) -> ExperimentId {
        self.experiment_id
    }

    /// Start a child run nested under this one (`mlflow.parentRunId`), in the same experiment.
    pub fn start_child(&self, name: impl Into<String>) -> Result<ActiveRun> {
        self.tracking.start_run(
            RunOptions::new()
                .experiment(self.experiment_id)
                .name(name)
                .parent(self.run_id.clone()),
        )
    }

    /// Log one param (immutable: re-logging a different value is an error).
    pub fn log_param(&self, key: &str, value: impl ToString) -> Result<()> {
        self.flusher.take_error()?;
        self.tracking.store().log_batch(
            &self.run_id,
            &RunBatch::param(Param::new(key, value.to_string()))?,
        )
    }

    /// Log several params in one call (up to 100).
    pub fn log_params<K: Into<String>, V: ToString>(
        &self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<()> {
        let params: Vec<Param> = params
            .into_iter()
            .map(|(k, v)| Param::new(k, v.to_string()))
            .collect();
        for chunk in params.chunks(100) {
            self.tracking.store().log_batch(
                &self.run_id,
                &RunBatch::new(vec![], chunk.to_vec(), vec![])?,
            )?;
        }
        Ok(())
    }

    /// Log a metric at `step`, stamped now; returns before it is sent.
    pub fn log_metric(&self, key: &str, value: f64, step: i64) -> Result<()> {
        self.log_metric_at(key, value, step, now_ms())
    }

    /// Log a metric with an explicit timestamp (ms since epoch).
    pub fn log_metric_at(&self, key: &str, value: f64, step: i64, timestamp: i64) -> Result<()> {
        validate_key(KeyKind::Metric, key)?;
        if timestamp < 0 {
            return Err(Error::invalid(format!(
                "Invalid timestamp {timestamp} for metric '{key}'"
            )));
        }
        self.flusher.push(Metric::new(key, value, timestamp, step))
    }

    /// Log several metrics at one step.
    pub fn log_metrics<K: AsRef<str>>(
        &self,
        metrics: impl IntoIterator<Item = (K, f64)>,
        step: i64,
    ) -> Result<()> {
        let now = now_ms();
        for (k, v) in metrics {
            self.log_metric_at(k.as_ref(), v, step, now)?;
        }
        Ok(())
    }

    /// Set a tag.
    pub fn set_tag(&self, key: &str, value: impl ToString) -> Result<()> {
        self.flusher.take_error()?;
        self.tracking.store().log_batch(
            &self.run_id,
            &RunBatch::tag(Tag::new(key, value.to_string()))?,
        )
    }

    /// Upload a local file into the run's artifacts, under `artifact_dir` (or the root).
    pub fn log_artifact(&self, local: impl AsRef<Path>, artifact_dir: Option<&str>) -> Result<()> {
        let local = local.as_ref();
        let name = local
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::invalid(format!("'{}' has no file name", local.display())))?;
        let rel =
            ArtifactPath::parse(artifact_dir.unwrap_or(""))?.join(&ArtifactPath::parse(name)?);
        self.tracking.put_artifact(&self.artifact_uri, &rel, local)
    }

    /// Store `text` as the artifact `artifact_file` (e.g. `"notes/summary.txt"`).
    pub fn log_text(&self, text: &str, artifact_file: &str) -> Result<()> {
        let rel = ArtifactPath::parse(artifact_file)?;
        if rel.is_root() {
            return Err(Error::invalid("log_text needs a file name"));
        }
        let dir = std::env::temp_dir().join(format!("cairn-text-{}", RunId::generate()));
        std::fs::create_dir_all(&dir).map_err(|e| Error::internal(format!("temp dir: {e}")))?;
        let file = dir.join(rel.file_name().unwrap_or("artifact.txt"));
        std::fs::write(&file, text).map_err(|e| Error::internal(format!("temp file: {e}")))?;
        let result = self.tracking.put_artifact(&self.artifact_uri, &rel, &file);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    /// Wait until every metric logged so far is stored.
    pub fn flush(&self) -> Result<()> {
        self.flusher.flush()
    }

    /// Flush and end the run as FINISHED.
    pub fn end(self) -> Result<()> {
        self.end_with(RunStatus::Finished)
    }

    /// Flush and end the run with `status`.
    pub fn end_with(self, status: RunStatus) -> Result<()> {
        self.finish(status)
    }

    fn finish(&self, status: RunStatus) -> Result<()> {
        {
            let mut ended = self
                .ended
                .lock()
                .map_err(|_| Error::internal("run state poisoned"))?;
            if *ended {
                return Ok(());
            }
            *ended = true;
        }
        let flushed = self.flusher.close();
        let status = if flushed.is_err() && status == RunStatus::Finished {
            RunStatus::Failed
        } else {
            status
        };
        self.tracking.store().update_run(
            &self.run_id,
            RunUpdate {
                status: Some(status),
                end_time: Some(now_ms()),
                run_name: None,
            },
        )?;
        flushed
    }
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        if let Err(e) = self.finish(RunStatus::Failed) {
            tracing::warn!(run_id = %self.run_id, error = %e, "could not end the run on drop");
        }
    }
}
