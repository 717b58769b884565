//! `runs/*` handlers.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cairn_core::commands::{NewRun, RunBatch, validate_dataset_inputs};
use cairn_core::search::{RunFilter, RunOrder};
use cairn_core::store::{RunSearch, RunUpdate};
use cairn_core::validation::validate_max_results;
use cairn_core::{
    Dataset, DatasetInput, ExperimentId, Metric, Param, RunId, RunStatus, Tag, ViewType,
};
use serde_json::{Value, json};

use crate::dto::entities::{RunDto, RunInfoDto};
use crate::dto::requests::*;
use crate::dto::run_json::search_runs_json;
use crate::dto::{required, required_str};
use crate::error::{ApiResult, invalid};
use crate::extract::Params;
use crate::routes::experiments::tags_in;
use crate::state::AppState;

/// What axum's `Json` responses carry, for bodies encoded by hand.
const JSON_CONTENT_TYPE: &str = "application/json";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/runs/create", post(create))
        .route("/runs/update", post(update))
        .route("/runs/delete", post(delete))
        .route("/runs/restore", post(restore))
        .route("/runs/get", get(get_one))
        .route("/runs/search", post(search))
        .route("/runs/log-metric", post(log_metric))
        .route("/runs/log-parameter", post(log_param))
        .route("/runs/set-tag", post(set_tag))
        .route("/runs/delete-tag", post(delete_tag))
        .route("/runs/log-batch", post(log_batch))
        .route("/runs/log-inputs", post(log_inputs))
        .route("/runs/log-model", post(log_model))
}

/// `run_id`, falling back to the legacy `run_uuid`.
pub(crate) fn run_id_of(run_id: Option<String>, run_uuid: Option<String>) -> ApiResult<RunId> {
    let id = required_str("run_id", run_id.filter(|s| !s.is_empty()).or(run_uuid))?;
    Ok(id.parse::<RunId>()?)
}

async fn create(
    State(state): State<AppState>,
    Params(req): Params<CreateRunReq>,
) -> ApiResult<Json<Value>> {
    let experiment_id = match req.experiment_id.filter(|s| !s.is_empty()) {
        Some(id) => id.parse::<ExperimentId>()?,
        None => ExperimentId::DEFAULT,
    };
    let new = NewRun::new(
        experiment_id,
        req.user_id.unwrap_or_default(),
        req.run_name,
        req.start_time.unwrap_or(0),
        tags_in(req.tags)?,
    )?;
    let run = state.with_store(move |s| s.create_run(new)).await?;
    Ok(Json(json!({ "run": RunDto::from(&run) })))
}

async fn update(
    State(state): State<AppState>,
    Params(req): Params<UpdateRunReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let status = match req.status {
        Some(s) => Some(s.text().parse::<RunStatus>()?),
        None => None,
    };
    let update = RunUpdate {
        status,
        end_time: req.end_time,
        run_name: req.run_name,
    };
    let info = state.with_store(move |s| s.update_run(&id, update)).await?;
    Ok(Json(json!({ "run_info": RunInfoDto::from(&info) })))
}

async fn delete(
    State(state): State<AppState>,
    Params(req): Params<RunIdReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    state.with_store(move |s| s.delete_run(&id)).await?;
    Ok(Json(json!({})))
}

async fn restore(
    State(state): State<AppState>,
    Params(req): Params<RunIdReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    state.with_store(move |s| s.restore_run(&id)).await?;
    Ok(Json(json!({})))
}

async fn get_one(
    State(state): State<AppState>,
    Params(req): Params<RunIdReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let run = state.with_store(move |s| s.get_run(&id)).await?;
    Ok(Json(json!({ "run": RunDto::from(&run) })))
}

async fn search(
    State(state): State<AppState>,
    Params(req): Params<SearchRunsReq>,
) -> ApiResult<Response> {
    let experiment_ids = req
        .experiment_ids
        .iter()
        .map(|s| s.parse::<ExperimentId>())
        .collect::<Result<Vec<_>, _>>()?;
    let query = RunSearch {
        experiment_ids,
        filter: RunFilter::parse(req.filter.as_deref().unwrap_or(""))?,
        order: RunOrder::parse(&req.order_by)?,
        view_type: match req.run_view_type {
            Some(v) => v.text().parse::<ViewType>()?,
            None => ViewType::ActiveOnly,
        },
        max_results: validate_max_results(req.max_results.unwrap_or(1000))?,
        page_token: req.page_token,
    };
    if query.experiment_ids.is_empty() {
        return Ok(Json(json!({})).into_response());
    }
    // Encoded by hand on the blocking thread that loaded the page: a
    // 1,000-run page is about a megabyte of JSON (see `dto::run_json`).
    let body = state
        .with_store(move |s| {
            let page = s.search_runs(&query)?;
            Ok(search_runs_json(
                &page.items,
                page.next_page_token.as_deref(),
            ))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response())
}

pub(crate) fn metric_in(m: MetricIn) -> ApiResult<Metric> {
    Ok(Metric {
        key: required_str("metrics.key", m.key)?,
        value: required("metrics.value", m.value)?,
        timestamp: required("metrics.timestamp", m.timestamp)?,
        step: m.step.unwrap_or(0),
    })
}

async fn write_batch(state: &AppState, id: RunId, batch: RunBatch) -> ApiResult<Json<Value>> {
    state.with_store(move |s| s.log_batch(&id, &batch)).await?;
    Ok(Json(json!({})))
}

async fn log_metric(
    State(state): State<AppState>,
    Params(req): Params<LogMetricReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let metric = Metric {
        key: required_str("key", req.key)?,
        value: required("value", req.value)?,
        timestamp: required("timestamp", req.timestamp)?,
        step: req.step.unwrap_or(0),
    };
    write_batch(&state, id, RunBatch::metric(metric)?).await
}

async fn log_param(
    State(state): State<AppState>,
    Params(req): Params<RunKeyValueReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let param = Param {
        key: required_str("key", req.key)?,
        value: required("value", req.value)?,
    };
    write_batch(&state, id, RunBatch::param(param)?).await
}

async fn set_tag(
    State(state): State<AppState>,
    Params(req): Params<RunKeyValueReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let tag = Tag {
        key: required_str("key", req.key)?,
        value: required("value", req.value)?,
    };
    write_batch(&state, id, RunBatch::tag(tag)?).await
}

async fn delete_tag(
    State(state): State<AppState>,
    Params(req): Params<RunKeyValueReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let key = required_str("key", req.key)?;
    state.with_store(move |s| s.delete_tag(&id, &key)).await?;
    Ok(Json(json!({})))
}

async fn log_batch(
    State(state): State<AppState>,
    Params(req): Params<LogBatchReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, None)?;
    let metrics = req
        .metrics
        .into_iter()
        .map(metric_in)
        .collect::<ApiResult<Vec<_>>>()?;
    let params = req
        .params
        .into_iter()
        .map(|p| {
            Ok(Param {
                key: required_str("params.key", p.key)?,
                value: p.value.unwrap_or_default(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let tags = req
        .tags
        .into_iter()
        .map(|t| {
            Ok(Tag {
                key: required_str("tags.key", t.key)?,
                value: t.value.unwrap_or_default(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    write_batch(&state, id, RunBatch::new(metrics, params, tags)?).await
}

async fn log_inputs(
    State(state): State<AppState>,
    Params(req): Params<LogInputsReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, None)?;
    let inputs = req
        .datasets
        .into_iter()
        .map(|d| {
            let ds = required("datasets.dataset", d.dataset)?;
            Ok(DatasetInput {
                tags: tags_in(d.tags)?,
                dataset: Dataset {
                    name: required_str("dataset.name", ds.name)?,
                    digest: required_str("dataset.digest", ds.digest)?,
                    source_type: required_str("dataset.source_type", ds.source_type)?,
                    source: required("dataset.source", ds.source)?,
                    schema: ds.schema,
                    profile: ds.profile,
                },
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    validate_dataset_inputs(&inputs)?;
    state
        .with_store(move |s| s.log_inputs(&id, &inputs))
        .await?;
    Ok(Json(json!({})))
}

/// Legacy MLflow 2 model logging: append the model's JSON to the
/// `mlflow.log-model.history` tag.
async fn log_model(
    State(state): State<AppState>,
    Params(req): Params<LogModelReq>,
) -> ApiResult<Json<Value>> {
    let id = run_id_of(req.run_id, None)?;
    let model_json = required_str("model_json", req.model_json)?;
    let model: Value = serde_json::from_str(&model_json).map_err(|e| {
        invalid(format!(
            "Invalid value for parameter 'model_json': not JSON ({e})"
        ))
    })?;
    for field in ["artifact_path", "flavors", "utc_time_created", "run_id"] {
        if model.get(field).is_none() {
            return Err(invalid(format!(
                "Model json is missing mandatory fields: '{field}'"
            )));
        }
    }
    let key = "mlflow.log-model.history";
    state
        .with_store(move |s| {
            let run = s.get_run(&id)?;
            let mut history: Vec<Value> = run
                .tags
                .iter()
                .find(|t| t.key == key)
                .and_then(|t| serde_json::from_str(&t.value).ok())
                .unwrap_or_default();
            history.push(model);
            let mut value = serde_json::to_string(&history).unwrap_or_default();
            // Tag values are capped; keep the newest entries that fit so the
            // history stays valid JSON instead of being truncated mid-way.
            while value.chars().count() > cairn_core::validation::MAX_RUN_TAG_VALUE_LEN
                && history.len() > 1
            {
                history.remove(0);
                value = serde_json::to_string(&history).unwrap_or_default();
            }
            s.log_batch(&id, &RunBatch::tag(Tag::new(key, value))?)
        })
        .await?;
    Ok(Json(json!({})))
}
