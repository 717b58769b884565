//! Request shapes. Every field is optional on the wire; handlers decide what
//! is required, so errors read like MLflow's.

use serde::Deserialize;

use crate::wire::{de_opt_f64, de_opt_i64};

/// A protobuf enum given by name or number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EnumValue {
    /// `"ACTIVE_ONLY"`.
    Name(String),
    /// `1`.
    Number(i64),
}

impl EnumValue {
    /// Text form for parsing.
    pub fn text(&self) -> String {
        match self {
            EnumValue::Name(s) => s.clone(),
            EnumValue::Number(n) => n.to_string(),
        }
    }
}

/// `{key, value}` on input.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeyValueIn {
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: Option<String>,
}

/// `experiments/create`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateExperimentReq {
    pub name: Option<String>,
    pub artifact_location: Option<String>,
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
}

/// `experiments/search`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchExperimentsReq {
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub max_results: Option<i64>,
    pub page_token: Option<String>,
    pub filter: Option<String>,
    #[serde(default)]
    pub order_by: Vec<String>,
    pub view_type: Option<EnumValue>,
}

/// Requests naming one experiment.
#[derive(Debug, Default, Deserialize)]
pub struct ExperimentIdReq {
    pub experiment_id: Option<String>,
}

/// `experiments/get-by-name`.
#[derive(Debug, Default, Deserialize)]
pub struct ExperimentNameReq {
    pub experiment_name: Option<String>,
}

/// `experiments/update`.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateExperimentReq {
    pub experiment_id: Option<String>,
    pub new_name: Option<String>,
}

/// `experiments/set-experiment-tag` and `delete-experiment-tag`.
#[derive(Debug, Default, Deserialize)]
pub struct ExperimentTagReq {
    pub experiment_id: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `runs/create`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateRunReq {
    pub experiment_id: Option<String>,
    pub user_id: Option<String>,
    pub run_name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
}

/// `runs/update`.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateRunReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub status: Option<EnumValue>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub end_time: Option<i64>,
    pub run_name: Option<String>,
}

/// Requests naming one run (`run_id`, or the legacy `run_uuid`).
#[derive(Debug, Default, Deserialize)]
pub struct RunIdReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
}

/// `runs/search`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchRunsReq {
    #[serde(default)]
    pub experiment_ids: Vec<String>,
    pub filter: Option<String>,
    pub run_view_type: Option<EnumValue>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub max_results: Option<i64>,
    #[serde(default)]
    pub order_by: Vec<String>,
    pub page_token: Option<String>,
}

/// A metric on input.
#[derive(Debug, Default, Deserialize)]
pub struct MetricIn {
    pub key: Option<String>,
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub value: Option<f64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub step: Option<i64>,
}

/// `runs/log-metric`.
#[derive(Debug, Default, Deserialize)]
pub struct LogMetricReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub key: Option<String>,
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub value: Option<f64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub step: Option<i64>,
}

/// `runs/log-parameter`, `runs/set-tag`, `runs/delete-tag`.
#[derive(Debug, Default, Deserialize)]
pub struct RunKeyValueReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `runs/log-batch`.
#[derive(Debug, Default, Deserialize)]
pub struct LogBatchReq {
    pub run_id: Option<String>,
    #[serde(default)]
    pub metrics: Vec<MetricIn>,
    #[serde(default)]
    pub params: Vec<KeyValueIn>,
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
}

/// A dataset on input.
#[derive(Debug, Default, Deserialize)]
pub struct DatasetIn {
    pub name: Option<String>,
    pub digest: Option<String>,
    pub source_type: Option<String>,
    pub source: Option<String>,
    pub schema: Option<String>,
    pub profile: Option<String>,
}

/// A dataset input on input.
#[derive(Debug, Default, Deserialize)]
pub struct DatasetInputIn {
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
    pub dataset: Option<DatasetIn>,
}

/// `runs/log-inputs`.
#[derive(Debug, Default, Deserialize)]
pub struct LogInputsReq {
    pub run_id: Option<String>,
    #[serde(default)]
    pub datasets: Vec<DatasetInputIn>,
}

/// `runs/log-model`.
#[derive(Debug, Default, Deserialize)]
pub struct LogModelReq {
    pub run_id: Option<String>,
    pub model_json: Option<String>,
}

/// `metrics/get-history`.
#[derive(Debug, Default, Deserialize)]
pub struct GetHistoryReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub metric_key: Option<String>,
    pub page_token: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub max_results: Option<i64>,
}

/// `metrics/get-history-bulk-interval` and the UI's `get-history-bulk`.
#[derive(Debug, Default, Deserialize)]
pub struct BulkIntervalReq {
    #[serde(default)]
    pub run_ids: Vec<String>,
    #[serde(default)]
    pub run_id: Vec<String>,
    pub metric_key: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub start_step: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub end_step: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub max_results: Option<i64>,
}

/// `artifacts/list` (tracking API).
#[derive(Debug, Default, Deserialize)]
pub struct ListArtifactsReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub path: Option<String>,
    pub page_token: Option<String>,
}

/// `mlflow-artifacts/artifacts?path=` listing.
#[derive(Debug, Default, Deserialize)]
pub struct ProxyListReq {
    pub path: Option<String>,
}

/// `/get-artifact?run_uuid=&path=` (UI download).
#[derive(Debug, Default, Deserialize)]
pub struct GetArtifactReq {
    pub run_id: Option<String>,
    pub run_uuid: Option<String>,
    pub path: Option<String>,
}
