//! Cairn's web UI: the embedded static pages (`/`, `/static/...`) and the
//! page-data JSON endpoints under `/ajax-api/2.0/cairn/...`.
//!
//! The pages are a small hash-routed single-page app of plain ES modules
//! (`crates/cairn-server/ui/`), embedded in the binary with `include_bytes!`
//! so `cargo build` is the whole build. Charts use the vendored Apache
//! ECharts and uPlot (`scripts/vendor-ui.sh`). The data endpoints compose the
//! `TrackingStore` and the pure analytics of `cairn-insights` (downsampling,
//! parameter importance), running CPU work on blocking threads.

mod assets;
mod data;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// Routes of the UI: pages, static assets and page data.
pub fn routes() -> Router<AppState> {
    let data = Router::new()
        .route("/experiments", get(data::experiments))
        .route("/runs", get(data::runs))
        .route("/metric-series", get(data::metric_series))
        .route("/tuning", get(data::tuning));
    Router::new()
        .route("/", get(assets::index))
        .route("/static/{*path}", get(assets::asset))
        .nest("/ajax-api/2.0/cairn", data)
}
