//! The crate's one error type.
//!
//! Every variant names what is wrong in terms the user can act on: the 1-based
//! line/row of a file, the column or feature, or the param with the value given.
//! Nothing in this crate panics on bad input; every reader, `check()` and `fit()`
//! returns one of these.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = MlError> = std::result::Result<T, E>;

/// Everything that can go wrong in `cairn-ml`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MlError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line of a LIBSVM/svmlight file is malformed.
    #[error("LIBSVM line {line}: {message}")]
    Libsvm {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A CSV row does not have as many cells as the header.
    #[error("CSV row {row}: expected {expected} cells (as in the header), found {found}")]
    RaggedRow {
        /// 1-based data row (the header is row 0).
        row: usize,
        /// Number of header columns.
        expected: usize,
        /// Number of cells found.
        found: usize,
    },
    /// A CSV cell is empty or not a number.
    #[error("CSV row {row}, column '{column}': {value:?} is not a number")]
    NonNumeric {
        /// 1-based data row.
        row: usize,
        /// Column name from the header.
        column: String,
        /// The cell text.
        value: String,
    },
    /// A named column does not exist.
    #[error("column '{column}' not found; available columns: {available}")]
    MissingColumn {
        /// The requested column.
        column: String,
        /// Comma-separated list of known columns.
        available: String,
    },
    /// The input has no rows (or no header).
    #[error("empty input: {0}")]
    Empty(String),
    /// A feature value is NaN or infinite.
    #[error("row {row}, feature '{column}': value {value} is not finite")]
    NonFinite {
        /// 1-based row.
        row: usize,
        /// Feature name.
        column: String,
        /// The offending value.
        value: f64,
    },
    /// Feature matrix shape does not match the declared shape.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A label is not valid for the estimator (negative, fractional, too many classes...).
    #[error("row {row}: label {label} is invalid: {reason}")]
    InvalidLabel {
        /// 1-based row.
        row: usize,
        /// The label.
        label: f64,
        /// Why.
        reason: String,
    },
    /// The operation needs labels and the dataset has none.
    #[error("the dataset has no label column")]
    NoLabels,
    /// The operation needs predictions and the dataset has none.
    #[error("the dataset has no '{0}' column; transform it with a fitted model first")]
    NoPredictions(&'static str),
    /// A param value is out of range or of the wrong type.
    #[error("invalid param {param} = {value}: {reason}")]
    InvalidParam {
        /// Param name (Spark spelling, e.g. `maxDepth`).
        param: String,
        /// The rejected value, as text.
        value: String,
        /// The accepted range or values.
        reason: String,
    },
    /// A param map names a param that no stage has.
    #[error("unknown param '{param}' for {target}")]
    UnknownParam {
        /// Param name.
        param: String,
        /// Stage or estimator that was asked.
        target: String,
    },
    /// There are fewer rows (or rows of a class) than folds.
    #[error("cannot make {folds} folds from {rows} rows{detail}")]
    TooFewRows {
        /// Requested number of folds.
        folds: usize,
        /// Available rows.
        rows: usize,
        /// Extra detail (e.g. the smallest class).
        detail: String,
    },
    /// A label seen at transform time was not seen at fit time (StringIndexer, handleInvalid=error).
    #[error("row {row}: unseen label {value:?} (handleInvalid=error; use 'skip' or 'keep')")]
    UnseenLabel {
        /// 1-based row.
        row: usize,
        /// The value.
        value: String,
    },
    /// Training did not produce a usable model.
    #[error("fit failed: {0}")]
    Fit(String),
    /// A saved model could not be decoded or has an unsupported format version.
    #[error("cannot load model from {path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl MlError {
    /// Shorthand for [`MlError::InvalidParam`].
    pub fn param(param: &str, value: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        MlError::InvalidParam {
            param: param.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
