//! The embedded static files of the UI.
//!
//! App files are revalidated on every load (`no-cache` + a content ETag, so
//! an unchanged file costs a 304); vendored files carry their version in
//! their path and are cached for a year.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    immutable: bool,
}

macro_rules! asset {
    ($path:literal, $file:literal, $ct:expr, $immutable:literal) => {
        Asset {
            path: $path,
            content_type: $ct,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/", $file)),
            immutable: $immutable,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!(
        "index.html",
        "index.html",
        "text/html; charset=utf-8",
        false
    ),
    asset!("style.css", "style.css", "text/css; charset=utf-8", false),
    asset!("app.js", "app.js", JS, false),
    asset!("api.js", "api.js", JS, false),
    asset!("util.js", "util.js", JS, false),
    asset!("charts.js", "charts.js", JS, false),
    asset!("pages/experiments.js", "pages/experiments.js", JS, false),
    asset!("pages/runs.js", "pages/runs.js", JS, false),
    asset!("pages/run.js", "pages/run.js", JS, false),
    asset!("pages/compare.js", "pages/compare.js", JS, false),
    asset!("pages/tuning.js", "pages/tuning.js", JS, false),
    asset!("pages/models.js", "pages/models.js", JS, false),
    asset!("pages/model.js", "pages/model.js", JS, false),
    asset!(
        "pages/model-version.js",
        "pages/model-version.js",
        JS,
        false
    ),
    asset!(
        "pages/registry-util.js",
        "pages/registry-util.js",
        JS,
        false
    ),
    asset!(
        "vendor/echarts-6.1.0.min.js",
        "vendor/echarts.min.js",
        JS,
        true
    ),
    asset!(
        "vendor/uPlot-1.6.32.iife.min.js",
        "vendor/uPlot.iife.min.js",
        JS,
        true
    ),
    asset!(
        "vendor/uPlot-1.6.32.min.css",
        "vendor/uPlot.min.css",
        "text/css; charset=utf-8",
        true
    ),
];

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                // FNV-1a, enough to tell versions of a file apart.
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for &b in a.bytes {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
                format!("\"{h:016x}\"")
            })
            .collect()
    })
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.path == name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = asset.bytes.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub(super) async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

pub(super) async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}
