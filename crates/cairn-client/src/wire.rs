//! Decoding MLflow's JSON responses into domain types (the client's side of
//! the wire; the server's DTOs only serialize).

use cairn_core::{
    Dataset, DatasetInput, Error, Experiment, ExperimentId, FileInfo, LifecycleStage, Metric,
    Param, Result, Run, RunId, RunInfo, RunStatus, Tag,
};
use serde::Deserialize;
use serde::de::{self, Deserializer};

fn de_f64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum F {
        Num(f64),
        Str(String),
    }
    match F::deserialize(d)? {
        F::Num(v) => Ok(v),
        F::Str(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other
                .parse()
                .map_err(|_| de::Error::custom(format!("bad double '{other}'"))),
        },
    }
}

fn de_i64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum I {
        Num(i64),
        Str(String),
    }
    match I::deserialize(d)? {
        I::Num(v) => Ok(v),
        I::Str(s) => s
            .parse()
            .map_err(|_| de::Error::custom(format!("bad int64 '{s}'"))),
    }
}

fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "de_i64")] i64);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyValue {
    key: String,
    #[serde(default)]
    value: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExperimentW {
    experiment_id: String,
    name: String,
    #[serde(default)]
    artifact_location: String,
    #[serde(default)]
    lifecycle_stage: String,
    #[serde(default, deserialize_with = "de_opt_i64")]
    creation_time: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    last_update_time: Option<i64>,
    #[serde(default)]
    tags: Vec<KeyValue>,
}

impl ExperimentW {
    pub(crate) fn into_domain(self) -> Result<Experiment> {
        Ok(Experiment {
            experiment_id: self.experiment_id.parse::<ExperimentId>()?,
            name: self.name,
            artifact_location: self.artifact_location,
            lifecycle_stage: self
                .lifecycle_stage
                .parse()
                .unwrap_or(LifecycleStage::Active),
            creation_time: self.creation_time.unwrap_or(0),
            last_update_time: self.last_update_time.unwrap_or(0),
            tags: self
                .tags
                .into_iter()
                .map(|t| Tag {
                    key: t.key,
                    value: t.value,
                })
                .collect(),
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct MetricW {
    key: String,
    #[serde(deserialize_with = "de_f64")]
    value: f64,
    #[serde(default, deserialize_with = "de_opt_i64")]
    timestamp: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    step: Option<i64>,
    #[serde(default)]
    pub(crate) run_id: Option<String>,
}

impl MetricW {
    pub(crate) fn into_domain(self) -> Metric {
        Metric {
            key: self.key,
            value: self.value,
            timestamp: self.timestamp.unwrap_or(0),
            step: self.step.unwrap_or(0),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RunInfoW {
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    run_uuid: Option<String>,
    #[serde(default)]
    run_name: String,
    experiment_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    start_time: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    end_time: Option<i64>,
    #[serde(default)]
    artifact_uri: String,
    #[serde(default)]
    lifecycle_stage: String,
}

impl RunInfoW {
    pub(crate) fn into_domain(self) -> Result<RunInfo> {
        let id = self
            .run_id
            .or(self.run_uuid)
            .ok_or_else(|| Error::internal("server sent a run without run_id"))?;
        Ok(RunInfo {
            run_id: id.parse::<RunId>()?,
            experiment_id: self.experiment_id.parse()?,
            run_name: self.run_name,
            user_id: self.user_id,
            status: self
                .status
                .as_deref()
                .unwrap_or("RUNNING")
                .parse()
                .unwrap_or(RunStatus::Running),
            start_time: self.start_time.unwrap_or(0),
            end_time: self.end_time,
            artifact_uri: self.artifact_uri,
            lifecycle_stage: self
                .lifecycle_stage
                .parse()
                .unwrap_or(LifecycleStage::Active),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
struct RunDataW {
    #[serde(default)]
    metrics: Vec<MetricW>,
    #[serde(default)]
    params: Vec<KeyValue>,
    #[serde(default)]
    tags: Vec<KeyValue>,
}

#[derive(Debug, Deserialize)]
struct DatasetW {
    name: String,
    digest: String,
    #[serde(default)]
    source_type: String,
    #[serde(default)]
    source: String,
    schema: Option<String>,
    profile: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DatasetInputW {
    #[serde(default)]
    tags: Vec<KeyValue>,
    dataset: DatasetW,
}

#[derive(Debug, Default, Deserialize)]
struct RunInputsW {
    #[serde(default)]
    dataset_inputs: Vec<DatasetInputW>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RunW {
    info: RunInfoW,
    #[serde(default)]
    data: RunDataW,
    #[serde(default)]
    inputs: RunInputsW,
}

impl RunW {
    pub(crate) fn into_domain(self) -> Result<Run> {
        Ok(Run {
            info: self.info.into_domain()?,
            metrics: self
                .data
                .metrics
                .into_iter()
                .map(MetricW::into_domain)
                .collect(),
            params: self
                .data
                .params
                .into_iter()
                .map(|p| Param {
                    key: p.key,
                    value: p.value,
                })
                .collect(),
            tags: self
                .data
                .tags
                .into_iter()
                .map(|t| Tag {
                    key: t.key,
                    value: t.value,
                })
                .collect(),
            inputs: self
                .inputs
                .dataset_inputs
                .into_iter()
                .map(|d| DatasetInput {
                    tags: d
                        .tags
                        .into_iter()
                        .map(|t| Tag {
                            key: t.key,
                            value: t.value,
                        })
                        .collect(),
                    dataset: Dataset {
                        name: d.dataset.name,
                        digest: d.dataset.digest,
                        source_type: d.dataset.source_type,
                        source: d.dataset.source,
                        schema: d.dataset.schema,
                        profile: d.dataset.profile,
                    },
                })
                .collect(),
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileInfoW {
    path: String,
    #[serde(default)]
    is_dir: bool,
    #[serde(default)]
    file_size: Option<u64>,
}

impl FileInfoW {
    pub(crate) fn into_domain(self) -> FileInfo {
        FileInfo {
            path: self.path,
            is_dir: self.is_dir,
            file_size: self.file_size,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorW {
    #[serde(default)]
    pub(crate) error_code: String,
    #[serde(default)]
    pub(crate) message: String,
}
