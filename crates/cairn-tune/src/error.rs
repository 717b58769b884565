//! The crate's single error type.
//!
//! Every fallible public function returns [`TuneError`]. Messages name the
//! offending label (or JSON path) so a user can find the mistake in their space.
//! Objective failures are *not* errors: they become failed trials (see
//! [`crate::trials::TrialResult`]); only `catch_eval_exceptions = false` turns an
//! objective error or panic into [`TuneError::Objective`].

use thiserror::Error;

/// Errors of the tuning engine.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TuneError {
    /// The search space has no hyperparameter at all.
    #[error("the search space contains no hyperparameter (hp.*) node")]
    EmptySpace,
    /// Two hyperparameters share one label.
    #[error("duplicate label {0:?}: every hyperparameter needs a unique label")]
    DuplicateLabel(String),
    /// A distribution's arguments are invalid (bounds, q, sigma, probabilities...).
    #[error("invalid distribution for label {label:?}: {reason}")]
    InvalidDistribution {
        /// Label of the hyperparameter.
        label: String,
        /// What is wrong.
        reason: String,
    },
    /// The serialized (JSON/YAML) form of a space could not be understood.
    #[error("malformed search space at {path}: {reason}")]
    MalformedSpace {
        /// JSON-pointer-like path of the bad node (`$` is the root).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A JSON or YAML document could not be parsed at all.
    #[error("cannot parse {format}: {message}")]
    Parse {
        /// `"JSON"` or `"YAML"`.
        format: &'static str,
        /// Parser message.
        message: String,
    },
    /// An assignment (label → value) does not fit the space.
    #[error("invalid assignment: {0}")]
    InvalidAssignment(String),
    /// A sampler cannot work with this space (e.g. `grid` on a continuous space).
    #[error("sampler {sampler} cannot be used here: {reason}")]
    UnsupportedSpace {
        /// Sampler name.
        sampler: &'static str,
        /// Why.
        reason: String,
    },
    /// Invalid fmin options.
    #[error("invalid fmin option: {0}")]
    InvalidOption(String),
    /// No trial finished with status ok (best_trial / argmin undefined).
    #[error("all trials failed: there is no trial with status ok and a finite loss")]
    AllTrialsFailed,
    /// The objective failed and `catch_eval_exceptions` was false.
    #[error("objective failed in trial {tid}: {message}")]
    Objective {
        /// Trial id.
        tid: usize,
        /// Error or panic message.
        message: String,
    },
    /// Reading or writing a trials file failed.
    #[error("trials file {path}: {message}")]
    TrialsFile {
        /// File path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = TuneError> = std::result::Result<T, E>;
