//! [`HttpStore`]: the tracking store trait over MLflow's REST API, so every
//! client feature works against `cairn server` or any MLflow server alike.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::store::{
    BulkIntervalQuery, ExperimentSearch, MetricHistoryQuery, Page, RunSearch, RunUpdate,
    TrackingStore,
};
use cairn_core::{
    DatasetInput, Error, ErrorCode, Experiment, ExperimentId, FileInfo, Metric, Result, Run, RunId,
    RunInfo, RunMetric, Tag, ViewType,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::wire::{ErrorW, ExperimentW, FileInfoW, MetricW, RunInfoW, RunW};

/// A tracking store reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpStore {
    base: String,
    agent: ureq::Agent,
}

fn code_from(name: &str) -> ErrorCode {
    match name {
        "INVALID_PARAMETER_VALUE" => ErrorCode::InvalidParameterValue,
        "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" | "ENDPOINT_NOT_FOUND" => {
            ErrorCode::ResourceDoesNotExist
        }
        "RESOURCE_ALREADY_EXISTS" => ErrorCode::ResourceAlreadyExists,
        "INVALID_STATE" => ErrorCode::InvalidState,
        "BAD_REQUEST" => ErrorCode::BadRequest,
        "NOT_IMPLEMENTED" => ErrorCode::NotImplemented,
        _ => ErrorCode::InternalError,
    }
}

fn view_name(v: ViewType) -> &'static str {
    match v {
        ViewType::ActiveOnly => "ACTIVE_ONLY",
        ViewType::DeletedOnly => "DELETED_ONLY",
        ViewType::All => "ALL",
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn metric_json(m: &Metric) -> Value {
    let value = if m.value.is_nan() {
        json!("NaN")
    } else if m.value == f64::INFINITY {
        json!("Infinity")
    } else if m.value == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        json!(m.value)
    };
    json!({"key": m.key, "value": value, "timestamp": m.timestamp, "step": m.step})
}

/// The `next_page_token` of a paged response, if another page exists.
fn next_page_token(v: &Value) -> Option<String> {
    v.get("next_page_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Add `page_token` to a search body when continuing a search.
fn set_page_token(body: &mut Value, token: Option<&str>) {
    if let Some(t) = token {
        body["page_token"] = json!(t);
    }
}

fn kv(tags: &[Tag]) -> Vec<Value> {
    tags.iter()
        .map(|t| json!({"key": t.key, "value": t.value}))
        .collect()
}

impl HttpStore {
    /// A store at `base_url` (e.g. `http://127.0.0.1:5000`).
    pub fn new(base_url: &str) -> HttpStore {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        HttpStore {
            base: base_url.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/api/2.0/mlflow/{endpoint}", self.base)
    }

    fn unreachable(&self, e: ureq::Error) -> Error {
        Error::internal(format!(
            "cannot reach the tracking server at {}: {e}",
            self.base
        ))
    }

    fn finish(&self, mut resp: ureq::http::Response<ureq::Body>) -> Result<Value> {
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .map_err(|e| Error::internal(format!("reading the server's response failed: {e}")))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(json!({}));
            }
            return serde_json::from_str(&text)
                .map_err(|e| Error::internal(format!("the server sent invalid JSON ({e})")));
        }
        match serde_json::from_str::<ErrorW>(&text) {
            Ok(err) if !err.error_code.is_empty() => {
                Err(Error::new(code_from(&err.error_code), err.message))
            }
            _ => Err(Error::new(
                if status.as_u16() == 404 {
                    ErrorCode::ResourceDoesNotExist
                } else {
                    ErrorCode::InternalError
                },
                format!(
                    "HTTP {status} from {}: {}",
                    self.base,
                    text.chars().take(300).collect::<String>()
                ),
            )),
        }
    }

    fn post(&self, endpoint: &str, body: Value) -> Result<Value> {
        let resp = self
            .agent
            .post(&self.url(endpoint))
            .header("Content-Type", "application/json")
            .send(serde_json::to_vec(&body).unwrap_or_default())
            .map_err(|e| self.unreachable(e))?;
        self.finish(resp)
    }

    fn get(&self, endpoint: &str, query: &[(&str, String)]) -> Result<Value> {
        let qs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        let url = if qs.is_empty() {
            self.url(endpoint)
        } else {
            format!("{}?{}", self.url(endpoint), qs.join("&"))
        };
        let resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| self.unreachable(e))?;
        self.finish(resp)
    }

    fn decode<T: for<'de> Deserialize<'de>>(value: Value, field: &str) -> Result<T> {
        serde_json::from_value(value.get(field).cloned().unwrap_or(Value::Null)).map_err(|e| {
            Error::internal(format!(
                "unexpected '{field}' in the server's response: {e}"
            ))
        })
    }

    fn decode_list<T: for<'de> Deserialize<'de>>(value: &Value, field: &str) -> Result<Vec<T>> {
        match value.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                Error::internal(format!(
                    "unexpected '{field}' in the server's response: {e}"
                ))
            }),
        }
    }

    /// Upload a local file to the run's artifact root through the
    /// `mlflow-artifacts` proxy (runs whose artifact URI is `mlflow-artifacts:`).
    pub fn upload_artifact(&self, artifact_uri: &str, rel: &str, file: &Path) -> Result<()> {
        let root = artifact_uri
            .strip_prefix("mlflow-artifacts:")
            .map(|r| r.trim_start_matches('/'))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotImplemented,
                    format!(
                        "artifact URI '{artifact_uri}' is not served by the tracking server's proxy"
                    ),
                )
            })?;
        let path: Vec<String> = format!("{root}/{rel}")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(enc)
            .collect();
        let url = format!(
            "{}/api/2.0/mlflow-artifacts/artifacts/{}",
            self.base,
            path.join("/")
        );
        let bytes = std::fs::read(file)
            .map_err(|e| Error::invalid(format!("cannot read artifact {}: {e}", file.display())))?;
        let resp = self
            .agent
            .put(&url)
            .send(bytes)
            .map_err(|e| self.unreachable(e))?;
        self.finish(resp).map(|_| ())
    }

    /// Download one artifact's bytes through the proxy.
    pub fn download_artifact(&self, artifact_uri: &str, rel: &str) -> Result<Vec<u8>> {
        let root = artifact_uri
            .strip_prefix("mlflow-artifacts:")
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or("");
        let path: Vec<String> = format!("{root}/{rel}")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(enc)
            .collect();
        let url = format!(
            "{}/api/2.0/mlflow-artifacts/artifacts/{}",
            self.base,
            path.join("/")
        );
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| self.unreachable(e))?;
        if !resp.status().is_success() {
            return self.finish(resp).map(|_| Vec::new());
        }
        let mut out = Vec::new();
        resp.body_mut()
            .as_reader()
            .read_to_end(&mut out)
            .map_err(|e| Error::internal(format!("artifact download failed: {e}")))?;
        Ok(out)
    }

    /// List a run's artifacts under `path` (run-relative paths).
    pub fn list_artifacts(&self, run: &RunId, path: &str) -> Result<Vec<FileInfo>> {
        let v = self.get(
            "artifacts/list",
            &[("run_id", run.to_string()), ("path", path.to_owned())],
        )?;
        Ok(Self::decode_list::<FileInfoW>(&v, "files")?
            .into_iter()
            .map(FileInfoW::into_domain)
            .collect())
    }
}

impl TrackingStore for HttpStore {
    fn create_experiment(&self, new: NewExperiment) -> Result<ExperimentId> {
        let mut body = json!({"name": new.name, "tags": kv(&new.tags)});
        if let Some(loc) = new.artifact_location {
            body["artifact_location"] = json!(loc);
        }
        let v = self.post("experiments/create", body)?;
        v.get("experiment_id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::internal("server did not return experiment_id"))?
            .parse()
    }

    fn get_experiment(&self, id: ExperimentId) -> Result<Experiment> {
        let v = self.get("experiments/get", &[("experiment_id", id.to_string())])?;
        Self::decode::<ExperimentW>(v, "experiment")?.into_domain()
    }

    fn get_experiment_by_name(&self, name: &str) -> Result<Experiment> {
        let v = self.get(
            "experiments/get-by-name",
            &[("experiment_name", name.to_owned())],
        )?;
        Self::decode::<ExperimentW>(v, "experiment")?.into_domain()
    }

    fn search_experiments(&self, q: &ExperimentSearch) -> Result<Page<Experiment>> {
        let mut body = json!({
            "max_results": q.max_results,
            "view_type": view_name(q.view_type),
            "filter": q.filter.source(),
            "order_by": q.order.source(),
        });
        set_page_token(&mut body, q.page_token.as_deref());
        let v = self.post("experiments/search", body)?;
        let items = Self::decode_list::<ExperimentW>(&v, "experiments")?
            .into_iter()
            .map(ExperimentW::into_domain)
            .collect::<Result<Vec<_>>>()?;
        let next_page_token = next_page_token(&v);
        Ok(Page {
            items,
            next_page_token,
        })
    }

    fn rename_experiment(&self, id: ExperimentId, new_name: &str) -> Result<()> {
        self.post(
            "experiments/update",
            json!({"experiment_id": id.to_string(), "new_name": new_name}),
        )
        .map(|_| ())
    }

    fn delete_experiment(&self, id: ExperimentId) -> Result<()> {
        self.post(
            "experiments/delete",
            json!({"experiment_id": id.to_string()}),
        )
        .map(|_| ())
    }

    fn restore_experiment(&self, id: ExperimentId) -> Result<()> {
        self.post(
            "experiments/restore",
            json!({"experiment_id": id.to_string()}),
        )
        .map(|_| ())
    }

    fn set_experiment_tag(&self, id: ExperimentId, tag: Tag) -> Result<()> {
        self.post(
            "experiments/set-experiment-tag",
            json!({"experiment_id": id.to_string(), "key": tag.key, "value": tag.value}),
        )
        .map(|_| ())
    }

    fn delete_experiment_tag(&self, id: ExperimentId, key: &str) -> Result<()> {
        self.post(
            "experiments/delete-experiment-tag",
            json!({"experiment_id": id.to_string(), "key": key}),
        )
        .map(|_| ())
    }

    fn create_run(&self, new: NewRun) -> Result<Run> {
        let mut body = json!({
            "experiment_id": new.experiment_id.to_string(),
            "user_id": new.user_id,
            "start_time": new.start_time,
            "tags": kv(&new.tags),
        });
        if let Some(name) = new.run_name {
            body["run_name"] = json!(name);
        }
        let v = self.post("runs/create", body)?;
        Self::decode::<RunW>(v, "run")?.into_domain()
    }

    fn get_run(&self, id: &RunId) -> Result<Run> {
        let v = self.get("runs/get", &[("run_id", id.to_string())])?;
        Self::decode::<RunW>(v, "run")?.into_domain()
    }

    fn update_run(&self, id: &RunId, update: RunUpdate) -> Result<RunInfo> {
        let mut body = json!({"run_id": id.to_string()});
        if let Some(s) = update.status {
            body["status"] = json!(s.as_str());
        }
        if let Some(t) = update.end_time {
            body["end_time"] = json!(t);
        }
        if let Some(n) = update.run_name {
            body["run_name"] = json!(n);
        }
        let v = self.post("runs/update", body)?;
        Self::decode::<RunInfoW>(v, "run_info")?.into_domain()
    }

    fn delete_run(&self, id: &RunId) -> Result<()> {
        self.post("runs/delete", json!({"run_id": id.to_string()}))
            .map(|_| ())
    }

    fn restore_run(&self, id: &RunId) -> Result<()> {
        self.post("runs/restore", json!({"run_id": id.to_string()}))
            .map(|_| ())
    }

    fn log_batch(&self, id: &RunId, batch: &RunBatch) -> Result<()> {
        let body = json!({
            "run_id": id.to_string(),
            "metrics": batch.metrics().iter().map(metric_json).collect::<Vec<_>>(),
            "params": batch.params().iter().map(|p| json!({"key": p.key, "value": p.value})).collect::<Vec<_>>(),
            "tags": kv(batch.tags()),
        });
        self.post("runs/log-batch", body).map(|_| ())
    }

    fn delete_tag(&self, id: &RunId, key: &str) -> Result<()> {
        self.post(
            "runs/delete-tag",
            json!({"run_id": id.to_string(), "key": key}),
        )
        .map(|_| ())
    }

    fn log_inputs(&self, id: &RunId, inputs: &[DatasetInput]) -> Result<()> {
        let datasets: Vec<Value> = inputs
            .iter()
            .map(|d| {
                let mut ds = json!({
                    "name": d.dataset.name, "digest": d.dataset.digest,
                    "source_type": d.dataset.source_type, "source": d.dataset.source,
                });
                if let Some(s) = &d.dataset.schema {
                    ds["schema"] = json!(s);
                }
                if let Some(p) = &d.dataset.profile {
                    ds["profile"] = json!(p);
                }
                json!({"tags": kv(&d.tags), "dataset": ds})
            })
            .collect();
        self.post(
            "runs/log-inputs",
            json!({"run_id": id.to_string(), "datasets": datasets}),
        )
        .map(|_| ())
    }

    fn metric_history(&self, q: &MetricHistoryQuery) -> Result<Page<Metric>> {
        let mut query = vec![
            ("run_id", q.run_id.to_string()),
            ("metric_key", q.key.clone()),
        ];
        if let Some(m) = q.max_results {
            query.push(("max_results", m.to_string()));
        }
        if let Some(t) = &q.page_token {
            query.push(("page_token", t.clone()));
        }
        let v = self.get("metrics/get-history", &query)?;
        let items = Self::decode_list::<MetricW>(&v, "metrics")?
            .into_iter()
            .map(MetricW::into_domain)
            .collect();
        let next_page_token = next_page_token(&v);
        Ok(Page {
            items,
            next_page_token,
        })
    }

    fn metric_history_bulk_interval(&self, q: &BulkIntervalQuery) -> Result<Vec<RunMetric>> {
        let mut query: Vec<(&str, String)> = q
            .run_ids
            .iter()
            .map(|r| ("run_ids", r.to_string()))
            .collect();
        query.push(("metric_key", q.key.clone()));
        query.push(("max_results", q.max_results.to_string()));
        if let Some((a, b)) = q.steps {
            query.push(("start_step", a.to_string()));
            query.push(("end_step", b.to_string()));
        }
        let v = self.get("metrics/get-history-bulk-interval", &query)?;
        Self::decode_list::<MetricW>(&v, "metrics")?
            .into_iter()
            .map(|m| {
                let run_id = m.run_id.clone().unwrap_or_default().parse::<RunId>()?;
                Ok(RunMetric {
                    run_id,
                    metric: m.into_domain(),
                })
            })
            .collect()
    }

    fn search_runs(&self, q: &RunSearch) -> Result<Page<Run>> {
        let mut body = json!({
            "experiment_ids": q.experiment_ids.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "filter": q.filter.source(),
            "order_by": q.order.source(),
            "run_view_type": view_name(q.view_type),
            "max_results": q.max_results,
        });
        set_page_token(&mut body, q.page_token.as_deref());
        let v = self.post("runs/search", body)?;
        let items = Self::decode_list::<RunW>(&v, "runs")?
            .into_iter()
            .map(RunW::into_domain)
            .collect::<Result<Vec<_>>>()?;
        let next_page_token = next_page_token(&v);
        Ok(Page {
            items,
            next_page_token,
        })
    }
}
