//! Artifacts: the tracking API's `artifacts/list`, the `mlflow-artifacts`
//! proxy (upload, download, list, delete) and the UI's `/get-artifact`.
//!
//! Every path from a client goes through `ArtifactPath::parse` before it
//! touches storage, so no request can name anything outside the artifact
//! destination. Only `mlflow-artifacts:` run URIs are served; runs whose
//! artifact location is elsewhere are read by clients directly, as with MLflow.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use cairn_core::artifact_path::ArtifactPath;
use cairn_core::{Error, ErrorCode, RunId};
use serde::Serialize;
use serde_json::{Value, json};

use crate::dto::entities::FileInfoDto;
use crate::dto::requests::*;
use crate::dto::required_str;
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::routes::runs::run_id_of;
use crate::state::AppState;

/// The scheme of proxied artifact URIs.
const PROXY_SCHEME: &str = "mlflow-artifacts:";

/// `artifacts/list` under the MLflow API prefix.
pub(crate) fn tracking_routes() -> Router<AppState> {
    Router::new().route("/artifacts/list", get(list_run_artifacts))
}

/// The proxy routes, relative to `/api/2.0/mlflow-artifacts`.
pub(crate) fn proxy_routes() -> Router<AppState> {
    Router::new()
        .route("/artifacts", get(proxy_list))
        .route(
            "/artifacts/{*path}",
            get(proxy_download)
                .put(proxy_upload)
                .delete(proxy_delete)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/mpu/create/{*path}", post(multipart_unsupported))
        .route("/mpu/complete/{*path}", post(multipart_unsupported))
        .route("/mpu/abort/{*path}", post(multipart_unsupported))
}

/// Map a run's artifact URI to a path inside the proxied destination.
fn proxied_root(artifact_uri: &str) -> ApiResult<ArtifactPath> {
    let rest = artifact_uri.strip_prefix(PROXY_SCHEME).ok_or_else(|| {
        ApiError(Error::new(
            ErrorCode::NotImplemented,
            format!(
                "Artifacts at '{artifact_uri}' are not served by this server; read them from that location directly"
            ),
        ))
    })?;
    // mlflow-artifacts:/1/abc/artifacts or mlflow-artifacts://host:port/1/abc/artifacts
    let rest = match rest.strip_prefix("//") {
        Some(with_authority) => with_authority.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => rest.trim_start_matches('/'),
    };
    Ok(ArtifactPath::parse(rest)?)
}

#[derive(Serialize)]
struct ListResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    root_uri: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<FileInfoDto>,
}

async fn list_run_artifacts(
    State(state): State<AppState>,
    Params(req): Params<ListArtifactsReq>,
) -> ApiResult<Json<ListResponse>> {
    let id = run_id_of(req.run_id, req.run_uuid)?;
    let rel = ArtifactPath::parse(req.path.as_deref().unwrap_or(""))?;
    let run = state.with_store(move |s| s.get_run(&id)).await?;
    let root = proxied_root(&run.info.artifact_uri)?;
    let repo = state.artifacts()?;
    let files = repo.list(&root.join(&rel)).await?;
    let files = files
        .iter()
        .map(|f| {
            let full = if rel.is_root() {
                f.path.clone()
            } else {
                format!("{rel}/{}", f.path)
            };
            FileInfoDto::with_path(f, full)
        })
        .collect();
    Ok(Json(ListResponse {
        root_uri: Some(run.info.artifact_uri),
        files,
    }))
}

async fn proxy_list(
    State(state): State<AppState>,
    Params(req): Params<ProxyListReq>,
) -> ApiResult<Json<ListResponse>> {
    let dir = ArtifactPath::parse(req.path.as_deref().unwrap_or(""))?;
    let files = state.artifacts()?.list(&dir).await?;
    let files = files
        .iter()
        .map(|f| FileInfoDto::with_path(f, f.path.clone()))
        .collect();
    Ok(Json(ListResponse {
        root_uri: None,
        files,
    }))
}

/// Content type by extension; HTML and SVG are served as plain text so an
/// uploaded artifact can never run script in the UI's origin.
fn content_type_for(path: &ArtifactPath) -> &'static str {
    let ext = path
        .file_name()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => "application/json",
        Some(
            "txt" | "log" | "md" | "yaml" | "yml" | "csv" | "tsv" | "py" | "html" | "htm" | "svg"
            | "xml",
        ) => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

async fn download(state: &AppState, path: ArtifactPath, attachment: bool) -> ApiResult<Response> {
    let download = state.artifacts()?.get(&path).await?;
    let mut response = Response::new(Body::from_stream(download.stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type_for(&path)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if attachment {
        let name = path
            .file_name()
            .unwrap_or("artifact")
            .replace(['"', '\\', '\r', '\n'], "_");
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

async fn proxy_download(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    download(&state, ArtifactPath::parse(&raw)?, true).await
}

async fn proxy_upload(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Body,
) -> ApiResult<Json<Value>> {
    let path = ArtifactPath::parse(&raw)?;
    let repo = state.artifacts()?;
    repo.put_stream(
        &path,
        body.into_data_stream(),
        state.settings().max_artifact_bytes,
    )
    .await?;
    Ok(Json(json!({})))
}

async fn proxy_delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let path = ArtifactPath::parse(&raw)?;
    state.artifacts()?.delete(&path).await?;
    Ok(Json(json!({})))
}

async fn multipart_unsupported() -> ApiError {
    ApiError(Error::new(
        ErrorCode::NotImplemented,
        "Multipart uploads are not supported by the local artifact destination; upload with a single PUT",
    ))
}

/// `GET /get-artifact?run_uuid=&path=`: one run artifact, for UI previews.
pub(crate) async fn get_artifact(
    State(state): State<AppState>,
    Params(req): Params<GetArtifactReq>,
) -> ApiResult<Response> {
    let id: RunId = run_id_of(req.run_id, req.run_uuid)?;
    let rel = ArtifactPath::parse(&required_str("path", req.path)?)?;
    let run = state.with_store(move |s| s.get_run(&id)).await?;
    let root = proxied_root(&run.info.artifact_uri)?;
    download(&state, root.join(&rel), false).await
}
