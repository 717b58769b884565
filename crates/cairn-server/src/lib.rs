//! Cairn's HTTP server: MLflow's tracking REST API, the `mlflow-artifacts`
//! proxy and service endpoints, on axum.
//!
//! This is the only crate that knows HTTP and MLflow's JSON wire format.
//! Handlers are thin: decode a DTO ([`extract::Params`]), validate it into a
//! `cairn-core` command, run the store call on a blocking thread, encode the
//! result. [`app`] builds the whole router from an [`AppState`], so tests
//! drive it without a socket; [`serve`] adds the listener, TCP_NODELAY and
//! graceful shutdown.

pub mod dto;
pub mod error;
pub mod extract;
pub mod routes;
pub mod state;
pub mod ui;
pub mod wire;

mod serve;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use serve::serve;
pub use state::{AppState, Settings};

/// Largest JSON request body (dataset profiles may be up to 16 MiB).
pub const MAX_JSON_BODY: usize = 20 << 20;

/// Log failed requests inside the request span; 5xx at error level.
async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(ApiError(err)) = response.extensions().get::<ApiError>() {
        if response.status().is_server_error() {
            tracing::error!(code = %err.code(), message = err.message(), "request failed");
        } else {
            tracing::debug!(code = %err.code(), message = err.message(), "request rejected");
        }
    }
    response
}

/// The complete router over `state`.
pub fn app(state: AppState) -> Router {
    let api = routes::mlflow_api();
    let artifacts = routes::artifacts::proxy_routes();
    Router::new()
        .nest("/api/2.0/mlflow", api.clone())
        .nest("/ajax-api/2.0/mlflow", api)
        .nest("/api/2.0/mlflow-artifacts", artifacts.clone())
        .nest("/ajax-api/2.0/mlflow-artifacts", artifacts)
        .route(
            "/api/3.0/mlflow/server-info",
            get(routes::misc::server_info),
        )
        .route(
            "/ajax-api/3.0/mlflow/server-info",
            get(routes::misc::server_info),
        )
        .route(
            "/api/2.0/mlflow/logged-models/search",
            post(routes::misc::logged_models_search),
        )
        .route(
            "/ajax-api/2.0/mlflow/logged-models/search",
            post(routes::misc::logged_models_search),
        )
        .route("/get-artifact", get(routes::artifacts::get_artifact))
        .route("/health", get(routes::misc::health))
        .route("/version", get(routes::misc::version))
        .merge(ui::routes())
        .fallback(routes::misc::not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(middleware::from_fn(log_errors))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
