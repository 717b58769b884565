//! `experiments/*` handlers.

use axum::routing::{get, post};
use axum::{Json, Router};
use cairn_core::commands::{NewExperiment, experiment_tag};
use cairn_core::search::{ExperimentFilter, ExperimentOrder};
use cairn_core::store::ExperimentSearch;
use cairn_core::validation::validate_max_results;
use cairn_core::{ExperimentId, Tag, ViewType};
use serde_json::{Value, json};

use crate::dto::entities::ExperimentDto;
use crate::dto::requests::*;
use crate::dto::{required, required_str};
use crate::error::ApiResult;
use crate::extract::Params;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/experiments/create", post(create))
        .route("/experiments/search", get(search).post(search))
        .route("/experiments/list", get(search))
        .route("/experiments/get", get(get_one))
        .route("/experiments/get-by-name", get(get_by_name))
        .route("/experiments/delete", post(delete))
        .route("/experiments/restore", post(restore))
        .route("/experiments/update", post(update))
        .route("/experiments/set-experiment-tag", post(set_tag))
        .route("/experiments/delete-experiment-tag", post(delete_tag))
}

pub(crate) fn parse_experiment_id(field: &str, value: Option<String>) -> ApiResult<ExperimentId> {
    Ok(required_str(field, value)?.parse::<ExperimentId>()?)
}

pub(crate) fn tags_in(tags: Vec<KeyValueIn>) -> ApiResult<Vec<Tag>> {
    tags.into_iter()
        .map(|t| {
            Ok(Tag {
                key: required("tags.key", t.key)?,
                value: t.value.unwrap_or_default(),
            })
        })
        .collect()
}

async fn create(
    state: axum::extract::State<AppState>,
    Params(req): Params<CreateExperimentReq>,
) -> ApiResult<Json<Value>> {
    let name = required_str("name", req.name)?;
    let new = NewExperiment::new(name, req.artifact_location, tags_in(req.tags)?)?;
    let id = state.with_store(move |s| s.create_experiment(new)).await?;
    Ok(Json(json!({ "experiment_id": id.to_string() })))
}

async fn search(
    state: axum::extract::State<AppState>,
    Params(req): Params<SearchExperimentsReq>,
) -> ApiResult<Json<Value>> {
    let query = ExperimentSearch {
        filter: ExperimentFilter::parse(req.filter.as_deref().unwrap_or(""))?,
        order: ExperimentOrder::parse(&req.order_by)?,
        view_type: match req.view_type {
            Some(v) => v.text().parse::<ViewType>()?,
            None => ViewType::ActiveOnly,
        },
        max_results: validate_max_results(req.max_results.unwrap_or(1000))?,
        page_token: req.page_token,
    };
    let page = state
        .with_store(move |s| s.search_experiments(&query))
        .await?;
    let mut body = serde_json::Map::new();
    if !page.items.is_empty() {
        body.insert(
            "experiments".into(),
            serde_json::to_value(
                page.items
                    .iter()
                    .map(ExperimentDto::from)
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default(),
        );
    }
    if let Some(token) = page.next_page_token {
        body.insert("next_page_token".into(), token.into());
    }
    Ok(Json(Value::Object(body)))
}

async fn get_one(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentIdReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    let e = state.with_store(move |s| s.get_experiment(id)).await?;
    Ok(Json(json!({ "experiment": ExperimentDto::from(&e) })))
}

async fn get_by_name(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentNameReq>,
) -> ApiResult<Json<Value>> {
    let name = required_str("experiment_name", req.experiment_name)?;
    let e = state
        .with_store(move |s| s.get_experiment_by_name(&name))
        .await?;
    Ok(Json(json!({ "experiment": ExperimentDto::from(&e) })))
}

async fn delete(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentIdReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    state.with_store(move |s| s.delete_experiment(id)).await?;
    Ok(Json(json!({})))
}

async fn restore(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentIdReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    state.with_store(move |s| s.restore_experiment(id)).await?;
    Ok(Json(json!({})))
}

async fn update(
    state: axum::extract::State<AppState>,
    Params(req): Params<UpdateExperimentReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    let new_name = required_str("new_name", req.new_name)?;
    state
        .with_store(move |s| s.rename_experiment(id, &new_name))
        .await?;
    Ok(Json(json!({})))
}

async fn set_tag(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentTagReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    let tag = experiment_tag(required_str("key", req.key)?, required("value", req.value)?)?;
    state
        .with_store(move |s| s.set_experiment_tag(id, tag))
        .await?;
    Ok(Json(json!({})))
}

async fn delete_tag(
    state: axum::extract::State<AppState>,
    Params(req): Params<ExperimentTagReq>,
) -> ApiResult<Json<Value>> {
    let id = parse_experiment_id("experiment_id", req.experiment_id)?;
    let key = required_str("key", req.key)?;
    state
        .with_store(move |s| s.delete_experiment_tag(id, &key))
        .await?;
    Ok(Json(json!({})))
}
