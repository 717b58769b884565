//! MLflow's system tag keys that Cairn reads or writes.

/// Run name mirror.
pub const RUN_NAME: &str = "mlflow.runName";
/// Parent run id of a nested run.
pub const PARENT_RUN_ID: &str = "mlflow.parentRunId";
/// User that created the run.
pub const USER: &str = "mlflow.user";
/// Entry point (script or notebook).
pub const SOURCE_NAME: &str = "mlflow.source.name";
/// NOTEBOOK, JOB, PROJECT, LOCAL or UNKNOWN.
pub const SOURCE_TYPE: &str = "mlflow.source.type";
/// Git commit of the source.
pub const SOURCE_GIT_COMMIT: &str = "mlflow.source.git.commit";
/// Markdown description of a run.
pub const NOTE_CONTENT: &str = "mlflow.note.content";
/// Context of a dataset input (`training`, `eval`).
pub const DATA_CONTEXT: &str = "mlflow.data.context";
