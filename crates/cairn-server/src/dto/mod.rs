//! Wire DTOs: MLflow's protobuf-JSON shapes, kept apart from domain types.
//!
//! Responses omit empty lists and unset fields as MLflow does; requests use
//! `Option` for every field so a missing field becomes a clear MLflow-style
//! error (see [`required`]) rather than a serde message.

pub mod entities;
pub mod registry;
pub mod requests;
pub mod run_json;

use crate::error::{ApiError, invalid};

/// MLflow's message for a missing required field.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        invalid(format!("Missing value for required parameter '{field}'. See the API docs for more information about request parameters."))
    })
}

/// A required string that must also be non-empty.
pub fn required_str(field: &str, value: Option<String>) -> Result<String, ApiError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(invalid(format!(
            "Missing value for required parameter '{field}'. See the API docs for more information about request parameters."
        ))),
    }
}
