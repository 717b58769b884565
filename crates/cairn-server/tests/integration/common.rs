//! The test harness: a server over a temp-dir store, request helpers and
//! assertions on MLflow's error shape.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use cairn_artifacts::ArtifactRepo;
use cairn_server::{AppState, Settings, app};
use cairn_store::{Durability, SqliteStore, StoreOptions};
use http_body_util::BodyExt;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The tracking API prefix.
pub(crate) const API: &str = "/api/2.0/mlflow";
/// The same API under the UI's prefix.
pub(crate) const AJAX: &str = "/ajax-api/2.0/mlflow";
/// The artifact proxy's file routes.
pub(crate) const PROXY: &str = "/api/2.0/mlflow-artifacts/artifacts";

/// A server over its own temporary directory.
pub(crate) struct Server {
    app: Router,
    dir: tempfile::TempDir,
}

/// A buffered response.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: Vec<u8>,
}

impl Resp {
    /// The body as JSON (panics with the body text if it is not JSON).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "response ({}) is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Assert 200 and return the JSON body.
    #[track_caller]
    pub(crate) fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "expected 200, got {}: {}",
            self.status,
            self.text()
        );
        self.json()
    }

    /// Assert MLflow's error shape: status, `error_code`, a non-empty message,
    /// and nothing else in the body.
    #[track_caller]
    pub(crate) fn err(&self, status: u16, code: &str) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {code}, got {}: {}",
            self.status,
            self.text()
        );
        let ct = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(ct.starts_with("application/json"), "content-type {ct:?}");
        let body = self.json();
        let obj = body.as_object().expect("error body is an object");
        assert_eq!(obj.get("error_code"), Some(&json!(code)), "body: {body}");
        let message = obj
            .get("message")
            .and_then(Value::as_str)
            .expect("message is a string");
        assert!(!message.is_empty(), "empty message");
        assert_eq!(obj.len(), 2, "unexpected fields in error body: {body}");
        message.to_owned()
    }

    /// Shorthand for 400 INVALID_PARAMETER_VALUE.
    #[track_caller]
    pub(crate) fn invalid(&self) -> String {
        self.err(400, "INVALID_PARAMETER_VALUE")
    }

    /// Shorthand for 404 RESOURCE_DOES_NOT_EXIST.
    #[track_caller]
    pub(crate) fn not_found(&self) -> String {
        self.err(404, "RESOURCE_DOES_NOT_EXIST")
    }
}

/// Percent-encode a query value.
pub(crate) fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

impl Server {
    /// A fresh server: store at `<tmp>/mlflow.db`, artifacts under `<tmp>/artifacts`.
    pub(crate) fn new() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(
            dir.path().join("mlflow.db"),
            StoreOptions {
                durability: Durability::Normal,
                ..StoreOptions::default()
            },
        )
        .expect("open store");
        let repo = ArtifactRepo::local(dir.path().join("artifacts")).expect("artifact repo");
        let state = AppState::new(Arc::new(store), Some(repo), Settings::default());
        Server {
            app: app(state),
            dir,
        }
    }

    /// A server without artifact serving.
    pub(crate) fn without_artifacts() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("mlflow.db"), StoreOptions::default())
            .expect("open store");
        let state = AppState::new(Arc::new(store), None, Settings::default());
        Server {
            app: app(state),
            dir,
        }
    }

    /// The temp dir (the artifact root is its `artifacts` child).
    pub(crate) fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// The artifact destination on disk.
    pub(crate) fn artifact_root(&self) -> PathBuf {
        self.dir.path().join("artifacts")
    }

    /// Send a request.
    pub(crate) async fn send(&self, request: Request<Body>) -> Resp {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            bytes,
        }
    }

    /// Any method, full URI, optional content type, raw body.
    pub(crate) async fn raw(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Resp {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        self.send(builder.body(body.into()).expect("request")).await
    }

    /// POST JSON to a full URI.
    pub(crate) async fn post_at(&self, uri: &str, body: &Value) -> Resp {
        self.raw(
            Method::POST,
            uri,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    /// POST JSON to an API path (`/runs/create`).
    pub(crate) async fn post(&self, path: &str, body: Value) -> Resp {
        self.post_at(&format!("{API}{path}"), &body).await
    }

    /// POST a raw string body with a JSON content type to an API path.
    pub(crate) async fn post_str(&self, path: &str, body: &str) -> Resp {
        self.raw(
            Method::POST,
            &format!("{API}{path}"),
            Some("application/json"),
            body.to_owned(),
        )
        .await
    }

    /// GET a full URI.
    pub(crate) async fn get_at(&self, uri: &str) -> Resp {
        self.raw(Method::GET, uri, None, Body::empty()).await
    }

    /// GET an API path with its query (`/runs/get?run_id=...`).
    pub(crate) async fn get(&self, path_and_query: &str) -> Resp {
        self.get_at(&format!("{API}{path_and_query}")).await
    }

    // ---- domain shortcuts -------------------------------------------------

    /// Create an experiment; returns its id.
    pub(crate) async fn experiment(&self, name: &str) -> String {
        let body = self
            .post("/experiments/create", json!({ "name": name }))
            .await
            .ok();
        body["experiment_id"]
            .as_str()
            .expect("experiment_id is a string")
            .to_owned()
    }

    /// Get an experiment object.
    pub(crate) async fn get_experiment(&self, id: &str) -> Value {
        self.get(&format!("/experiments/get?experiment_id={id}"))
            .await
            .ok()["experiment"]
            .clone()
    }

    /// Create a run in `experiment_id` with a start time; returns the run object.
    pub(crate) async fn run_at(&self, experiment_id: &str, start_time: i64) -> Value {
        self.post(
            "/runs/create",
            json!({ "experiment_id": experiment_id, "start_time": start_time }),
        )
        .await
        .ok()["run"]
            .clone()
    }

    /// Create a run; returns its id.
    pub(crate) async fn run(&self, experiment_id: &str) -> String {
        self.run_at(experiment_id, 1_700_000_000_000).await["info"]["run_id"]
            .as_str()
            .expect("run_id")
            .to_owned()
    }

    /// Get a run object.
    pub(crate) async fn get_run(&self, run_id: &str) -> Value {
        self.get(&format!("/runs/get?run_id={run_id}")).await.ok()["run"].clone()
    }

    /// Log a metric (asserting success).
    pub(crate) async fn log_metric(
        &self,
        run_id: &str,
        key: &str,
        value: Value,
        ts: i64,
        step: i64,
    ) {
        self.post(
            "/runs/log-metric",
            json!({ "run_id": run_id, "key": key, "value": value, "timestamp": ts, "step": step }),
        )
        .await
        .ok();
    }

    /// The full history of a metric.
    pub(crate) async fn history(&self, run_id: &str, key: &str) -> Vec<Value> {
        let body = self
            .get(&format!(
                "/metrics/get-history?run_id={run_id}&metric_key={}",
                enc(key)
            ))
            .await
            .ok();
        body.get("metrics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Upload bytes through the proxy.
    pub(crate) async fn upload(&self, path: &str, bytes: &[u8]) {
        let resp = self
            .raw(
                Method::PUT,
                &format!("{PROXY}/{path}"),
                Some("application/octet-stream"),
                bytes.to_vec(),
            )
            .await;
        assert_eq!(resp.ok(), json!({}));
    }
}

/// `[{key, value}]` of a tag/param list as a sorted vector of pairs.
pub(crate) fn pairs(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        kv["key"].as_str().unwrap_or_default().to_owned(),
                        kv["value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The value of tag `key` in a run object, if set.
pub(crate) fn tag(run: &Value, key: &str) -> Option<String> {
    pairs(&run["data"]["tags"])
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The params of a run object.
pub(crate) fn params(run: &Value) -> Vec<(String, String)> {
    pairs(&run["data"]["params"])
}

/// The latest metrics of a run object, keyed.
pub(crate) fn latest(run: &Value, key: &str) -> Option<Value> {
    run["data"]["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["key"] == key)
        .cloned()
}
