//! `registered-models/*` and `model-versions/*`: MLflow's ModelRegistryService.
//!
//! Handlers validate every field into `cairn-core` registry values (names,
//! versions, aliases, stages, tags, sources) before the store sees them, so
//! a rejected request changes nothing. Deletes take JSON bodies, as MLflow's
//! clients send them.

use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use cairn_core::registry::{
    MAX_MODEL_SEARCH_RESULTS, MAX_VERSION_SEARCH_RESULTS, ModelStage, NewModelVersion,
    NewRegisteredModel, SourceRun, check_transition, parse_version, registry_tag, validate_alias,
    validate_description, validate_model_name, validate_page_size,
};
use cairn_core::search::{
    ModelVersionFilter, ModelVersionOrder, RegisteredModelFilter, RegisteredModelOrder,
};
use cairn_core::store::{
    ModelRegistryStore, ModelVersionSearch, RegisteredModelSearch, TrackingStore,
};
use cairn_core::{Error, ErrorCode, RunId};
use serde_json::{Map, Value, json};

use crate::dto::registry::*;
use crate::dto::requests::EnumValue;
use crate::dto::{required, required_str};
use crate::error::ApiResult;
use crate::extract::Params;
use crate::routes::experiments::tags_in;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/registered-models/create", post(create_model))
        .route("/registered-models/rename", post(rename_model))
        .route("/registered-models/update", patch(update_model))
        .route(
            "/registered-models/delete",
            axum::routing::delete(delete_model),
        )
        .route("/registered-models/get", get(get_model))
        .route("/registered-models/search", get(search_models))
        .route(
            "/registered-models/get-latest-versions",
            get(latest_versions).post(latest_versions),
        )
        .route("/registered-models/set-tag", post(set_model_tag))
        .route(
            "/registered-models/delete-tag",
            axum::routing::delete(delete_model_tag),
        )
        .route(
            "/registered-models/alias",
            post(set_alias).delete(delete_alias).get(get_by_alias),
        )
        .route("/model-versions/create", post(create_version))
        .route("/model-versions/update", patch(update_version))
        .route("/model-versions/transition-stage", post(transition_stage))
        .route(
            "/model-versions/delete",
            axum::routing::delete(delete_version),
        )
        .route("/model-versions/get", get(get_version))
        .route("/model-versions/search", get(search_versions))
        .route("/model-versions/get-download-uri", get(download_uri))
        .route("/model-versions/set-tag", post(set_version_tag))
        .route(
            "/model-versions/delete-tag",
            axum::routing::delete(delete_version_tag),
        )
}

/// The store's registry, or NOT_IMPLEMENTED for backends without one.
fn registry(s: &dyn TrackingStore) -> cairn_core::Result<&dyn ModelRegistryStore> {
    s.registry().ok_or_else(|| {
        Error::new(
            ErrorCode::NotImplemented,
            "This server's tracking store has no model registry",
        )
    })
}

fn model_name(value: Option<String>) -> ApiResult<String> {
    let name = required_str("name", value)?;
    validate_model_name(&name)?;
    Ok(name)
}

fn version(value: Option<EnumValue>) -> ApiResult<u64> {
    let v = required("version", value)?;
    Ok(parse_version(&v.text())?)
}

fn model_body(m: &cairn_core::registry::RegisteredModel) -> Json<Value> {
    Json(json!({ "registered_model": RegisteredModelDto::from(m) }))
}

fn version_body(v: &cairn_core::registry::ModelVersion) -> Json<Value> {
    Json(json!({ "model_version": ModelVersionDto::from(v) }))
}

async fn create_model(
    state: State<AppState>,
    Params(req): Params<CreateRegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let new = NewRegisteredModel::new(
        model_name(req.name)?,
        req.description.unwrap_or_default(),
        tags_in(req.tags)?,
    )?;
    let m = state
        .with_store(move |s| registry(s)?.create_registered_model(new))
        .await?;
    Ok(model_body(&m))
}

async fn get_model(
    state: State<AppState>,
    Params(req): Params<RegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let m = state
        .with_store(move |s| registry(s)?.get_registered_model(&name))
        .await?;
    Ok(model_body(&m))
}

async fn rename_model(
    state: State<AppState>,
    Params(req): Params<RegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let new_name = required_str("new_name", req.new_name)?;
    validate_model_name(&new_name)?;
    let m = state
        .with_store(move |s| registry(s)?.rename_registered_model(&name, &new_name))
        .await?;
    Ok(model_body(&m))
}

async fn update_model(
    state: State<AppState>,
    Params(req): Params<RegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    // MLflow writes the request's description, so leaving it out clears it.
    let description = req.description.unwrap_or_default();
    validate_description(&description)?;
    let m = state
        .with_store(move |s| registry(s)?.update_registered_model(&name, &description))
        .await?;
    Ok(model_body(&m))
}

async fn delete_model(
    state: State<AppState>,
    Params(req): Params<RegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    state
        .with_store(move |s| registry(s)?.delete_registered_model(&name))
        .await?;
    Ok(Json(json!({})))
}

async fn set_model_tag(
    state: State<AppState>,
    Params(req): Params<RegistryTagReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let tag = registry_tag(required_str("key", req.key)?, required("value", req.value)?)?;
    state
        .with_store(move |s| registry(s)?.set_registered_model_tag(&name, tag))
        .await?;
    Ok(Json(json!({})))
}

async fn delete_model_tag(
    state: State<AppState>,
    Params(req): Params<RegistryTagReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let key = required_str("key", req.key)?;
    state
        .with_store(move |s| registry(s)?.delete_registered_model_tag(&name, &key))
        .await?;
    Ok(Json(json!({})))
}

/// `{<items_key>: [...], next_page_token}` with empty parts omitted (as
/// MLflow does); `items` are DTOs.
fn page_body<D: serde::Serialize>(
    items_key: &str,
    items: impl IntoIterator<Item = D>,
    next: Option<String>,
) -> Json<Value> {
    let mut body = Map::new();
    let items: Vec<Value> = items
        .into_iter()
        .map(|i| serde_json::to_value(i).unwrap_or_default())
        .collect();
    if !items.is_empty() {
        body.insert(items_key.into(), Value::Array(items));
    }
    if let Some(token) = next {
        body.insert("next_page_token".into(), token.into());
    }
    Json(Value::Object(body))
}

async fn search_models(
    state: State<AppState>,
    Params(req): Params<RegistrySearchReq>,
) -> ApiResult<Json<Value>> {
    let query = RegisteredModelSearch {
        filter: RegisteredModelFilter::parse(req.filter.as_deref().unwrap_or(""))?,
        order: RegisteredModelOrder::parse(&req.order_by)?,
        max_results: validate_page_size(req.max_results.unwrap_or(100), MAX_MODEL_SEARCH_RESULTS)?,
        page_token: req.page_token,
    };
    let page = state
        .with_store(move |s| registry(s)?.search_registered_models(&query))
        .await?;
    Ok(page_body(
        "registered_models",
        page.items.iter().map(RegisteredModelDto::from),
        page.next_page_token,
    ))
}

async fn latest_versions(
    state: State<AppState>,
    Params(req): Params<RegisteredModelReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let stages = req
        .stages
        .iter()
        .map(|s| s.parse::<ModelStage>())
        .collect::<cairn_core::Result<Vec<_>>>()?;
    let versions = state
        .with_store(move |s| registry(s)?.latest_versions(&name, &stages))
        .await?;
    Ok(page_body(
        "model_versions",
        versions.iter().map(ModelVersionDto::from),
        None,
    ))
}

async fn set_alias(
    state: State<AppState>,
    Params(req): Params<AliasReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let alias = required_str("alias", req.alias)?;
    validate_alias(&alias)?;
    let version = version(req.version)?;
    state
        .with_store(move |s| registry(s)?.set_registered_model_alias(&name, &alias, version))
        .await?;
    Ok(Json(json!({})))
}

async fn delete_alias(
    state: State<AppState>,
    Params(req): Params<AliasReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let alias = required_str("alias", req.alias)?;
    validate_alias(&alias)?;
    state
        .with_store(move |s| registry(s)?.delete_registered_model_alias(&name, &alias))
        .await?;
    Ok(Json(json!({})))
}

async fn get_by_alias(
    state: State<AppState>,
    Params(req): Params<AliasReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let alias = required_str("alias", req.alias)?;
    let v = state
        .with_store(move |s| registry(s)?.get_model_version_by_alias(&name, &alias))
        .await?;
    Ok(version_body(&v))
}

async fn create_version(
    state: State<AppState>,
    Params(req): Params<CreateModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let source = required_str("source", req.source)?;
    let run_id = req.run_id.filter(|r| !r.is_empty());
    let tags = tags_in(req.tags)?;
    let description = req.description.unwrap_or_default();
    let v = state
        .with_store(move |s| {
            let reg = registry(s)?;
            // The model's 404 comes before the run's, as in MLflow.
            reg.get_registered_model(&name)?;
            let run = match &run_id {
                Some(id) => Some(s.get_run(&id.parse::<RunId>()?)?),
                None => None,
            };
            let source_run = run.as_ref().map(|r| SourceRun {
                run_id: r.info.run_id.as_str(),
                artifact_uri: &r.info.artifact_uri,
            });
            let new =
                NewModelVersion::new(name, source, source_run, req.run_link, description, tags)?;
            reg.create_model_version(new)
        })
        .await?;
    Ok(version_body(&v))
}

async fn get_version(
    state: State<AppState>,
    Params(req): Params<ModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let v = state
        .with_store(move |s| registry(s)?.get_model_version(&name, version))
        .await?;
    Ok(version_body(&v))
}

async fn update_version(
    state: State<AppState>,
    Params(req): Params<ModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let description = req.description.unwrap_or_default();
    validate_description(&description)?;
    let v = state
        .with_store(move |s| registry(s)?.update_model_version(&name, version, &description))
        .await?;
    Ok(version_body(&v))
}

async fn delete_version(
    state: State<AppState>,
    Params(req): Params<ModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    state
        .with_store(move |s| registry(s)?.delete_model_version(&name, version))
        .await?;
    Ok(Json(json!({})))
}

async fn transition_stage(
    state: State<AppState>,
    Params(req): Params<ModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let stage = required_str("stage", req.stage)?.parse::<ModelStage>()?;
    let archive = required("archive_existing_versions", req.archive_existing_versions)?;
    check_transition(stage, archive)?;
    let v = state
        .with_store(move |s| {
            registry(s)?.transition_model_version_stage(&name, version, stage, archive)
        })
        .await?;
    Ok(version_body(&v))
}

async fn download_uri(
    state: State<AppState>,
    Params(req): Params<ModelVersionReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let v = state
        .with_store(move |s| registry(s)?.get_model_version(&name, version))
        .await?;
    Ok(Json(json!({ "artifact_uri": v.source })))
}

async fn set_version_tag(
    state: State<AppState>,
    Params(req): Params<RegistryTagReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let tag = registry_tag(required_str("key", req.key)?, required("value", req.value)?)?;
    state
        .with_store(move |s| registry(s)?.set_model_version_tag(&name, version, tag))
        .await?;
    Ok(Json(json!({})))
}

async fn delete_version_tag(
    state: State<AppState>,
    Params(req): Params<RegistryTagReq>,
) -> ApiResult<Json<Value>> {
    let name = model_name(req.name)?;
    let version = version(req.version)?;
    let key = required_str("key", req.key)?;
    state
        .with_store(move |s| registry(s)?.delete_model_version_tag(&name, version, &key))
        .await?;
    Ok(Json(json!({})))
}

async fn search_versions(
    state: State<AppState>,
    Params(req): Params<RegistrySearchReq>,
) -> ApiResult<Json<Value>> {
    let query = ModelVersionSearch {
        filter: ModelVersionFilter::parse(req.filter.as_deref().unwrap_or(""))?,
        order: ModelVersionOrder::parse(&req.order_by)?,
        max_results: validate_page_size(
            req.max_results.unwrap_or(MAX_VERSION_SEARCH_RESULTS as i64),
            MAX_VERSION_SEARCH_RESULTS,
        )?,
        page_token: req.page_token,
    };
    let page = state
        .with_store(move |s| registry(s)?.search_model_versions(&query))
        .await?;
    Ok(page_body(
        "model_versions",
        page.items.iter().map(ModelVersionDto::from),
        page.next_page_token,
    ))
}
