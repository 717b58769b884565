//! The one error type of the domain and the stores.
//!
//! Every failure carries an [`ErrorCode`] that is stable across releases and
//! maps one-to-one onto MLflow's `error_code` strings; the HTTP edge turns the
//! code into a status, the CLI prints the message. Nothing here knows HTTP.

use std::fmt;

/// Stable, MLflow-compatible error codes.
///
/// The string form (see [`ErrorCode::as_str`]) is part of the public wire
/// contract; never rename a variant's string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The caller sent a value that is malformed, out of range or not allowed.
    InvalidParameterValue,
    /// The named experiment, run, metric, tag or artifact does not exist.
    ResourceDoesNotExist,
    /// A resource with that unique name already exists.
    ResourceAlreadyExists,
    /// The request is well-formed but cannot be carried out on the resource
    /// in its current state (e.g. renaming a deleted experiment).
    InvalidState,
    /// A generic malformed request (MLflow uses it for integrity conflicts).
    BadRequest,
    /// The feature exists in MLflow but not (yet) in Cairn.
    NotImplemented,
    /// A failure inside Cairn or its storage; never caused by client input.
    InternalError,
}

impl ErrorCode {
    /// MLflow's wire name of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            ErrorCode::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            ErrorCode::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain or store failure: a stable code plus a human-readable message
/// that names the offending field, key or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error with an explicit code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_PARAMETER_VALUE`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// `RESOURCE_DOES_NOT_EXIST`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceDoesNotExist, message)
    }

    /// `RESOURCE_ALREADY_EXISTS`.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceAlreadyExists, message)
    }

    /// `INVALID_STATE`.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, message)
    }

    /// `INTERNAL_ERROR`: storage or invariant failures, never client input.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message, without the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Result alias used across the domain and store crates.
pub type Result<T, E = Error> = std::result::Result<T, E>;
