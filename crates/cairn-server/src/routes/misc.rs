//! Service endpoints: health, version, the 3.x client's capability probe,
//! and the empty logged-models search the 3.x client issues around artifact
//! transfers (Cairn has no 3.x logged models, so the true answer is none).

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// The MLflow API version Cairn speaks, reported by `/version`.
pub const MLFLOW_COMPAT_VERSION: &str = "3.17.2";

pub(crate) async fn health() -> &'static str {
    "OK"
}

pub(crate) async fn version() -> &'static str {
    MLFLOW_COMPAT_VERSION
}

pub(crate) async fn server_info() -> Json<Value> {
    Json(json!({
        "store_type": "SqlStore",
        "workspaces_enabled": false,
        "multipart_uploads_enabled": false,
        "server": "cairn",
        "cairn_version": env!("CARGO_PKG_VERSION"),
    }))
}

pub(crate) async fn logged_models_search() -> Json<Value> {
    Json(json!({ "models": [] }))
}

/// Unknown API routes get MLflow's JSON error shape instead of an HTML page.
pub(crate) async fn not_found(uri: Uri) -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "error_code": "ENDPOINT_NOT_FOUND",
            "message": format!("No API endpoint at '{}' on this server", uri.path()),
        })),
    )
}
