//! `ApiError`: the one place where failures become HTTP responses.
//!
//! The body is MLflow's `{"error_code": ..., "message": ...}` and the status
//! follows MLflow's code table (note RESOURCE_ALREADY_EXISTS is 400, not 409).
//! Logging happens in the request-span middleware, not here: the error is
//! stored in the response extensions for it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cairn_core::{Error, ErrorCode};
use serde::Serialize;

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError(pub Error);

/// Status for a code, as MLflow's `exceptions.py` maps them.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidParameterValue
        | ErrorCode::BadRequest
        | ErrorCode::ResourceAlreadyExists => StatusCode::BAD_REQUEST,
        ErrorCode::ResourceDoesNotExist => StatusCode::NOT_FOUND,
        ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorCode::InvalidState | ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_for(self.0.code());
        let body = ErrorBody {
            error_code: self.0.code().as_str(),
            message: self.0.message(),
        };
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

/// Shorthand for `INVALID_PARAMETER_VALUE`.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError(Error::invalid(message))
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
