//! `metrics/*` handlers: full history and sampled chart history.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cairn_core::RunId;
use cairn_core::store::{BulkIntervalQuery, MetricHistoryQuery};
use serde::Serialize;

use crate::dto::entities::{MetricDto, MetricPointsDto, MetricWithRunIdDto};
use crate::dto::requests::*;
use crate::dto::required_str;
use crate::error::{ApiResult, invalid};
use crate::extract::Params;
use crate::routes::runs::run_id_of;
use crate::state::AppState;

/// What axum's `Json` responses carry, for bodies encoded by hand.
const JSON_CONTENT_TYPE: &str = "application/json";

/// Most runs in one bulk history request.
const MAX_BULK_RUNS: usize = 100;
/// Most sampled points per run.
const MAX_BULK_POINTS: i64 = 2500;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/metrics/get-history", get(history))
        .route("/metrics/get-history-bulk-interval", get(bulk_interval))
        .route("/metrics/get-history-bulk", get(bulk))
}

#[derive(Serialize)]
struct HistoryResponse<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<MetricDto<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    Params(req): Params<GetHistoryReq>,
) -> ApiResult<Response> {
    let run_id = run_id_of(req.run_id, req.run_uuid)?;
    let key = required_str("metric_key", req.metric_key)?;
    let max_results = match req.max_results {
        None => None,
        Some(n) if n > 0 => Some(n as usize),
        Some(n) => {
            return Err(invalid(format!(
                "Invalid value {n} for parameter 'max_results': it must be positive"
            )));
        }
    };
    if max_results.is_none() && req.page_token.is_none() {
        // The whole history (the common call): the store's lean point read
        // and a direct encode, with the key written from one shared string.
        let (points, key) = state
            .with_store(move |s| Ok((s.metric_points(&run_id, &key)?, key)))
            .await?;
        let body = MetricPointsDto {
            key: &key,
            points: &points,
        }
        .to_json();
        return Ok(([(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response());
    }
    let query = MetricHistoryQuery {
        run_id,
        key,
        max_results,
        page_token: req.page_token,
    };
    let page = state.with_store(move |s| s.metric_history(&query)).await?;
    Ok(Json(HistoryResponse {
        metrics: page.items.iter().map(MetricDto::from).collect(),
        next_page_token: page.next_page_token,
    })
    .into_response())
}

#[derive(Serialize)]
struct BulkResponse<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<MetricWithRunIdDto<'a>>,
}

fn bulk_query(
    req: BulkIntervalReq,
    default_max: i64,
    max_allowed: i64,
) -> ApiResult<BulkIntervalQuery> {
    let mut ids = req.run_ids;
    ids.extend(req.run_id);
    if ids.is_empty() {
        return Err(invalid("Missing value for required parameter 'run_ids'."));
    }
    if ids.len() > MAX_BULK_RUNS {
        return Err(invalid(format!(
            "At most {MAX_BULK_RUNS} run_ids may be requested at once; got {}",
            ids.len()
        )));
    }
    let run_ids = ids
        .iter()
        .map(|s| s.parse::<RunId>())
        .collect::<Result<Vec<_>, _>>()?;
    let key = required_str("metric_key", req.metric_key)?;
    let max = req.max_results.unwrap_or(default_max);
    if !(1..=max_allowed).contains(&max) {
        return Err(invalid(format!(
            "max_results must be between 1 and {max_allowed}; got {max}"
        )));
    }
    let steps = match (req.start_step, req.end_step) {
        (Some(a), Some(b)) if a <= b => Some((a, b)),
        (Some(a), Some(b)) => {
            return Err(invalid(format!(
                "end_step ({b}) must be greater than or equal to start_step ({a})"
            )));
        }
        (None, None) => None,
        _ => return Err(invalid("start_step and end_step must be given together")),
    };
    Ok(BulkIntervalQuery {
        run_ids,
        key,
        steps,
        max_results: max as usize,
    })
}

async fn bulk_interval(
    State(state): State<AppState>,
    Params(req): Params<BulkIntervalReq>,
) -> ApiResult<Response> {
    let query = bulk_query(req, MAX_BULK_POINTS, MAX_BULK_POINTS)?;
    let points = state
        .with_store(move |s| s.metric_history_bulk_interval(&query))
        .await?;
    Ok(Json(BulkResponse {
        metrics: points.iter().map(MetricWithRunIdDto::from).collect(),
    })
    .into_response())
}

/// The older UI endpoint: the whole history of each run, up to 25,000 points.
async fn bulk(
    State(state): State<AppState>,
    Params(req): Params<BulkIntervalReq>,
) -> ApiResult<Response> {
    let query = bulk_query(req, 25_000, 25_000)?;
    let points = state
        .with_store(move |s| {
            let mut out = Vec::new();
            for run_id in &query.run_ids {
                let page = s.metric_history(&MetricHistoryQuery {
                    run_id: run_id.clone(),
                    key: query.key.clone(),
                    max_results: Some(query.max_results),
                    page_token: None,
                })?;
                out.extend(page.items.into_iter().map(|metric| cairn_core::RunMetric {
                    run_id: run_id.clone(),
                    metric,
                }));
            }
            Ok(out)
        })
        .await?;
    Ok(Json(BulkResponse {
        metrics: points.iter().map(MetricWithRunIdDto::from).collect(),
    })
    .into_response())
}
