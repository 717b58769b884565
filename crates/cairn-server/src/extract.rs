//! `Params<T>`: one extractor for MLflow's two request styles.
//!
//! GET requests carry fields in the query string (repeated keys for lists,
//! `?run_ids=a&run_ids=b`); POST/PATCH/DELETE carry a JSON body, and POST
//! must say `Content-Type: application/json`. Both decode into the same DTO,
//! and every decoding failure becomes INVALID_PARAMETER_VALUE naming the
//! field, never axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, invalid};

/// Request fields decoded from the query string (GET) or JSON body.
#[derive(Debug)]
pub struct Params<T>(pub T);

/// Decode a JSON body, naming the offending field on failure.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        b"{}"
    } else {
        bytes
    };
    // Fast path: plain serde_json accepts exactly what the path-tracking
    // decoder below accepts, without wrapping every field visit (a
    // 1,000-metric log-batch body has 4,000 of them). Only a failing body
    // is decoded a second time, to name the offending field.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            invalid(format!("Malformed JSON request body: {inner}"))
        } else {
            invalid(format!(
                "Invalid value for parameter '{path}' supplied: {inner}"
            ))
        }
    })?;
    // Trailing characters after the JSON value make the body malformed.
    de.end()
        .map_err(|e| invalid(format!("Malformed JSON request body: {e}")))?;
    Ok(value)
}

/// Decode a query string.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    serde_html_form::from_str(query).map_err(|e| invalid(format!("Invalid query parameters: {e}")))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let query = req.uri().query().unwrap_or("");
            return decode_query(query).map(Params);
        }
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let query = req.uri().query().map(str::to_owned);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            invalid(format!(
                "Could not read the request body: {}",
                e.body_text()
            ))
        })?;
        if bytes.is_empty() {
            // A bodiless DELETE/POST may still carry its fields in the query.
            return decode_query(query.as_deref().unwrap_or("")).map(Params);
        }
        if !is_json {
            return Err(invalid(
                "Bad Request. Content-Type header is missing or is not application/json.",
            ));
        }
        decode_json(&bytes).map(Params)
    }
}
