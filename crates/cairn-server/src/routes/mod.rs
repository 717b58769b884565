//! HTTP routes: MLflow's REST API (tracking and model registry) under `/api/2.0/mlflow` and
//! `/ajax-api/2.0/mlflow`, the artifact proxy, and service endpoints.

pub mod artifacts;
pub mod experiments;
pub mod metrics;
pub mod misc;
pub mod registry;
pub mod runs;

use axum::Router;

use crate::state::AppState;

/// The MLflow API routes relative to `/api/2.0/mlflow` (mounted twice).
pub fn mlflow_api() -> Router<AppState> {
    Router::new()
        .merge(experiments::routes())
        .merge(runs::routes())
        .merge(metrics::routes())
        .merge(registry::routes())
        .merge(artifacts::tracking_routes())
}
