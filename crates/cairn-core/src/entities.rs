//! Tracking entities as the domain sees them: experiments, runs, params,
//! metrics, tags and dataset inputs. These are plain data; the wire shapes
//! live in `cairn-server`'s DTOs and the row shapes in the store.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::ids::{ExperimentId, RunId};

/// Milliseconds since the Unix epoch, as MLflow stores every timestamp.
pub type TimestampMs = i64;

/// Whether an experiment or run is live or soft-deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleStage {
    /// Visible in default searches.
    Active,
    /// Soft-deleted; restorable.
    Deleted,
}

impl LifecycleStage {
    /// MLflow's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Active => "active",
            LifecycleStage::Deleted => "deleted",
        }
    }
}

impl FromStr for LifecycleStage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "active" => Ok(LifecycleStage::Active),
            "deleted" => Ok(LifecycleStage::Deleted),
            other => Err(Error::invalid(format!("Invalid lifecycle stage '{other}'"))),
        }
    }
}

/// Which lifecycle stages a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ViewType {
    /// Only active entities (the default).
    #[default]
    ActiveOnly,
    /// Only deleted entities.
    DeletedOnly,
    /// Both.
    All,
}

impl ViewType {
    /// Whether an entity in `stage` is visible under this view.
    pub fn includes(self, stage: LifecycleStage) -> bool {
        matches!(
            (self, stage),
            (ViewType::All, _)
                | (ViewType::ActiveOnly, LifecycleStage::Active)
                | (ViewType::DeletedOnly, LifecycleStage::Deleted)
        )
    }
}

impl FromStr for ViewType {
    type Err = Error;
    /// Accepts MLflow's enum names and their numeric values (1, 2, 3).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ACTIVE_ONLY" | "1" => Ok(ViewType::ActiveOnly),
            "DELETED_ONLY" | "2" => Ok(ViewType::DeletedOnly),
            "ALL" | "3" => Ok(ViewType::All),
            _ => Err(Error::invalid(format!(
                "Invalid view type '{s}': expected ACTIVE_ONLY, DELETED_ONLY or ALL"
            ))),
        }
    }
}

/// The status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// The run is in progress.
    Running,
    /// Queued, not started.
    Scheduled,
    /// Ended successfully.
    Finished,
    /// Ended with an error.
    Failed,
    /// Stopped from outside.
    Killed,
}

impl RunStatus {
    /// MLflow's enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Scheduled => "SCHEDULED",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }

    /// Whether the run has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Finished | RunStatus::Failed | RunStatus::Killed
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = Error;
    /// Accepts MLflow's enum names and protobuf numbers (1..=5).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_uppercase().as_str() {
            "RUNNING" | "1" => Ok(RunStatus::Running),
            "SCHEDULED" | "2" => Ok(RunStatus::Scheduled),
            "FINISHED" | "3" => Ok(RunStatus::Finished),
            "FAILED" | "4" => Ok(RunStatus::Failed),
            "KILLED" | "5" => Ok(RunStatus::Killed),
            _ => Err(Error::invalid(format!(
                "Invalid run status '{s}': expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED"
            ))),
        }
    }
}

/// A key/value tag on an experiment or a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

impl Tag {
    /// Convenience constructor.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A run parameter: immutable once logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Param key.
    pub key: String,
    /// Param value, always text.
    pub value: String,
}

impl Param {
    /// Convenience constructor.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Param {
        Param {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// One metric observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Metric key.
    pub key: String,
    /// The value; NaN and ±infinity are legal.
    pub value: f64,
    /// Wall-clock time of the observation, ms since epoch.
    pub timestamp: TimestampMs,
    /// Training step (0 when not given).
    pub step: i64,
}

impl Metric {
    /// Convenience constructor.
    pub fn new(key: impl Into<String>, value: f64, timestamp: TimestampMs, step: i64) -> Metric {
        Metric {
            key: key.into(),
            value,
            timestamp,
            step,
        }
    }

    /// MLflow's "latest value" order: higher step wins, then later timestamp,
    /// then larger value (NaN counts as smaller than every number).
    pub fn is_newer_than(&self, other: &Metric) -> bool {
        (self.step, self.timestamp)
            .cmp(&(other.step, other.timestamp))
            .then_with(|| {
                let a = if self.value.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    self.value
                };
                let b = if other.value.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    other.value
                };
                a.total_cmp(&b)
            })
            .is_gt()
    }
}

/// A metric point together with the run it belongs to (bulk history).
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetric {
    /// The run.
    pub run_id: RunId,
    /// The observation.
    pub metric: Metric,
}

/// An experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Id.
    pub experiment_id: ExperimentId,
    /// Unique name (deleted experiments keep theirs reserved).
    pub name: String,
    /// Root URI under which runs store artifacts.
    pub artifact_location: String,
    /// Active or deleted.
    pub lifecycle_stage: LifecycleStage,
    /// Creation time, ms.
    pub creation_time: TimestampMs,
    /// Last change, ms.
    pub last_update_time: TimestampMs,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// The descriptive part of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Id.
    pub run_id: RunId,
    /// The experiment it belongs to.
    pub experiment_id: ExperimentId,
    /// Display name (mirrors the `mlflow.runName` tag).
    pub run_name: String,
    /// Who created it.
    pub user_id: String,
    /// Status.
    pub status: RunStatus,
    /// Start, ms (0 if the client never said).
    pub start_time: TimestampMs,
    /// End, ms, once the run ended.
    pub end_time: Option<TimestampMs>,
    /// Root URI of this run's artifacts.
    pub artifact_uri: String,
    /// Active or deleted.
    pub lifecycle_stage: LifecycleStage,
}

/// A dataset as referenced by a run input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Name.
    pub name: String,
    /// Content digest.
    pub digest: String,
    /// Kind of source (e.g. "local", "http").
    pub source_type: String,
    /// Source description, usually JSON.
    pub source: String,
    /// Schema, usually JSON.
    pub schema: Option<String>,
    /// Profile, usually JSON.
    pub profile: Option<String>,
}

/// One dataset input of a run, with its input tags (e.g. `mlflow.data.context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInput {
    /// Input tags.
    pub tags: Vec<Tag>,
    /// The dataset.
    pub dataset: Dataset,
}

/// A run with everything a `runs/get` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Descriptive fields.
    pub info: RunInfo,
    /// Latest value of every metric key.
    pub metrics: Vec<Metric>,
    /// Params.
    pub params: Vec<Param>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Dataset inputs.
    pub inputs: Vec<DatasetInput>,
}

/// Artifact listing entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Path, relative to the listed root.
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes (files only).
    pub file_size: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_metric_order_is_step_then_time_then_value() {
        let m = |v, t, s| Metric::new("k", v, t, s);
        assert!(m(0.0, 0, 2).is_newer_than(&m(9.0, 9, 1)));
        assert!(m(0.0, 5, 1).is_newer_than(&m(9.0, 4, 1)));
        assert!(m(2.0, 5, 1).is_newer_than(&m(1.0, 5, 1)));
        assert!(m(1.0, 5, 1).is_newer_than(&m(f64::NAN, 5, 1)));
        assert!(!m(1.0, 5, 1).is_newer_than(&m(1.0, 5, 1)));
    }

    #[test]
    fn view_type_filters_stages() {
        assert!(ViewType::ActiveOnly.includes(LifecycleStage::Active));
        assert!(!ViewType::ActiveOnly.includes(LifecycleStage::Deleted));
        assert!(ViewType::DeletedOnly.includes(LifecycleStage::Deleted));
        assert!(ViewType::All.includes(LifecycleStage::Deleted));
        assert_eq!("3".parse::<ViewType>().unwrap(), ViewType::All);
    }

    #[test]
    fn run_status_parses_names_and_numbers() {
        assert_eq!(
            "finished".parse::<RunStatus>().unwrap(),
            RunStatus::Finished
        );
        assert_eq!("4".parse::<RunStatus>().unwrap(), RunStatus::Failed);
        assert!("DONE".parse::<RunStatus>().is_err());
    }
}
