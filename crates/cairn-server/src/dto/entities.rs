//! Response shapes of MLflow entities and their conversion from domain types.

use cairn_core::{DatasetInput, Experiment, FileInfo, Metric, Run, RunInfo, RunMetric, Tag};
use serde::Serialize;

use crate::wire::ser_f64;

/// `{key, value}`.
#[derive(Debug, Serialize)]
pub struct TagDto {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

impl From<&Tag> for TagDto {
    fn from(t: &Tag) -> Self {
        TagDto {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    }
}

/// MLflow's Experiment message.
#[derive(Debug, Serialize)]
pub struct ExperimentDto {
    experiment_id: String,
    name: String,
    artifact_location: String,
    lifecycle_stage: &'static str,
    last_update_time: i64,
    creation_time: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto>,
}

impl From<&Experiment> for ExperimentDto {
    fn from(e: &Experiment) -> Self {
        ExperimentDto {
            experiment_id: e.experiment_id.to_string(),
            name: e.name.clone(),
            artifact_location: e.artifact_location.clone(),
            lifecycle_stage: e.lifecycle_stage.as_str(),
            last_update_time: e.last_update_time,
            creation_time: e.creation_time,
            tags: e.tags.iter().map(TagDto::from).collect(),
        }
    }
}

/// MLflow's Metric message.
#[derive(Debug, Serialize)]
pub struct MetricDto {
    key: String,
    #[serde(serialize_with = "ser_f64")]
    value: f64,
    timestamp: i64,
    step: i64,
}

impl From<&Metric> for MetricDto {
    fn from(m: &Metric) -> Self {
        MetricDto {
            key: m.key.clone(),
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
        }
    }
}

/// Metric with its run id (bulk history).
#[derive(Debug, Serialize)]
pub struct MetricWithRunIdDto {
    key: String,
    #[serde(serialize_with = "ser_f64")]
    value: f64,
    timestamp: i64,
    step: i64,
    run_id: String,
}

impl From<&RunMetric> for MetricWithRunIdDto {
    fn from(m: &RunMetric) -> Self {
        MetricWithRunIdDto {
            key: m.metric.key.clone(),
            value: m.metric.value,
            timestamp: m.metric.timestamp,
            step: m.metric.step,
            run_id: m.run_id.to_string(),
        }
    }
}

/// MLflow's RunInfo message.
#[derive(Debug, Serialize)]
pub struct RunInfoDto {
    run_id: String,
    run_uuid: String,
    run_name: String,
    experiment_id: String,
    user_id: String,
    status: &'static str,
    start_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<i64>,
    artifact_uri: String,
    lifecycle_stage: &'static str,
}

impl From<&RunInfo> for RunInfoDto {
    fn from(i: &RunInfo) -> Self {
        RunInfoDto {
            run_id: i.run_id.to_string(),
            run_uuid: i.run_id.to_string(),
            run_name: i.run_name.clone(),
            experiment_id: i.experiment_id.to_string(),
            user_id: i.user_id.clone(),
            status: i.status.as_str(),
            start_time: i.start_time,
            end_time: i.end_time,
            artifact_uri: i.artifact_uri.clone(),
            lifecycle_stage: i.lifecycle_stage.as_str(),
        }
    }
}

#[derive(Debug, Serialize)]
struct RunDataDto {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<MetricDto>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    params: Vec<TagDto>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto>,
}

#[derive(Debug, Serialize)]
struct DatasetDto {
    name: String,
    digest: String,
    source_type: String,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
}

#[derive(Debug, Serialize)]
struct DatasetInputDto {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto>,
    dataset: DatasetDto,
}

impl From<&DatasetInput> for DatasetInputDto {
    fn from(d: &DatasetInput) -> Self {
        DatasetInputDto {
            tags: d.tags.iter().map(TagDto::from).collect(),
            dataset: DatasetDto {
                name: d.dataset.name.clone(),
                digest: d.dataset.digest.clone(),
                source_type: d.dataset.source_type.clone(),
                source: d.dataset.source.clone(),
                schema: d.dataset.schema.clone(),
                profile: d.dataset.profile.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct RunInputsDto {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dataset_inputs: Vec<DatasetInputDto>,
}

/// MLflow's Run message.
#[derive(Debug, Serialize)]
pub struct RunDto {
    info: RunInfoDto,
    data: RunDataDto,
    inputs: RunInputsDto,
}

impl From<&Run> for RunDto {
    fn from(r: &Run) -> Self {
        RunDto {
            info: RunInfoDto::from(&r.info),
            data: RunDataDto {
                metrics: r.metrics.iter().map(MetricDto::from).collect(),
                params: r
                    .params
                    .iter()
                    .map(|p| TagDto {
                        key: p.key.clone(),
                        value: p.value.clone(),
                    })
                    .collect(),
                tags: r.tags.iter().map(TagDto::from).collect(),
            },
            inputs: RunInputsDto {
                dataset_inputs: r.inputs.iter().map(DatasetInputDto::from).collect(),
            },
        }
    }
}

/// MLflow's FileInfo message.
#[derive(Debug, Serialize)]
pub struct FileInfoDto {
    path: String,
    is_dir: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_size: Option<u64>,
}

impl FileInfoDto {
    /// With the path replaced (run-relative listings).
    pub fn with_path(f: &FileInfo, path: String) -> Self {
        FileInfoDto {
            path,
            is_dir: f.is_dir,
            file_size: if f.is_dir { None } else { f.file_size },
        }
    }
}
