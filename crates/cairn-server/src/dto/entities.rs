//! Response shapes of MLflow entities and their conversion from domain types.

use cairn_core::{
    DatasetInput, Experiment, ExperimentId, FileInfo, Metric, Param, Run, RunInfo, RunMetric, Tag,
};
use serde::{Serialize, Serializer};

use crate::wire::ser_f64;

/// `{key, value}`, borrowed from the domain value it encodes.
#[derive(Debug, Serialize)]
pub struct TagDto<'a> {
    /// Key.
    pub key: &'a str,
    /// Value.
    pub value: &'a str,
}

impl<'a> From<&'a Tag> for TagDto<'a> {
    fn from(t: &'a Tag) -> Self {
        TagDto {
            key: &t.key,
            value: &t.value,
        }
    }
}

impl<'a> From<&'a Param> for TagDto<'a> {
    fn from(p: &'a Param) -> Self {
        TagDto {
            key: &p.key,
            value: &p.value,
        }
    }
}

/// Serialize through `Display` (ids that go on the wire as strings) without
/// building an intermediate `String`.
fn ser_display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// MLflow's Experiment message.
#[derive(Debug, Serialize)]
pub struct ExperimentDto<'a> {
    #[serde(serialize_with = "ser_display")]
    experiment_id: ExperimentId,
    name: &'a str,
    artifact_location: &'a str,
    lifecycle_stage: &'static str,
    last_update_time: i64,
    creation_time: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto<'a>>,
}

impl<'a> From<&'a Experiment> for ExperimentDto<'a> {
    fn from(e: &'a Experiment) -> Self {
        ExperimentDto {
            experiment_id: e.experiment_id,
            name: &e.name,
            artifact_location: &e.artifact_location,
            lifecycle_stage: e.lifecycle_stage.as_str(),
            last_update_time: e.last_update_time,
            creation_time: e.creation_time,
            tags: e.tags.iter().map(TagDto::from).collect(),
        }
    }
}

/// MLflow's Metric message.
#[derive(Debug, Serialize)]
pub struct MetricDto<'a> {
    key: &'a str,
    #[serde(serialize_with = "ser_f64")]
    value: f64,
    timestamp: i64,
    step: i64,
}

impl<'a> From<&'a Metric> for MetricDto<'a> {
    fn from(m: &'a Metric) -> Self {
        MetricDto {
            key: &m.key,
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
        }
    }
}

/// A whole metric history as MLflow's `{"metrics": [Metric...]}`, encoded
/// straight from `(timestamp, step, value)` points: the key is shared, so a
/// 100,000-point history builds no per-point `Metric` or `String`.
#[derive(Debug)]
pub struct MetricPointsDto<'a> {
    /// The metric key of every point.
    pub key: &'a str,
    /// `(timestamp, step, value)` in history order.
    pub points: &'a [(i64, i64, f64)],
}

impl Serialize for MetricPointsDto<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let key = self.key;
        let mut map = s.serialize_map(None)?;
        // MLflow omits empty lists: an empty history is `{}`.
        if !self.points.is_empty() {
            map.serialize_entry(
                "metrics",
                &IterSeq(|| {
                    self.points
                        .iter()
                        .map(move |&(timestamp, step, value)| MetricDto {
                            key,
                            value,
                            timestamp,
                            step,
                        })
                }),
            )?;
        }
        map.end()
    }
}

/// Serializes the items a closure yields as a sequence.
struct IterSeq<F>(F);

impl<F, I> Serialize for IterSeq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Metric with its run id (bulk history).
#[derive(Debug, Serialize)]
pub struct MetricWithRunIdDto<'a> {
    key: &'a str,
    #[serde(serialize_with = "ser_f64")]
    value: f64,
    timestamp: i64,
    step: i64,
    run_id: &'a str,
}

impl<'a> From<&'a RunMetric> for MetricWithRunIdDto<'a> {
    fn from(m: &'a RunMetric) -> Self {
        MetricWithRunIdDto {
            key: &m.metric.key,
            value: m.metric.value,
            timestamp: m.metric.timestamp,
            step: m.metric.step,
            run_id: m.run_id.as_str(),
        }
    }
}

/// MLflow's RunInfo message.
#[derive(Debug, Serialize)]
pub struct RunInfoDto<'a> {
    run_id: &'a str,
    run_uuid: &'a str,
    run_name: &'a str,
    #[serde(serialize_with = "ser_display")]
    experiment_id: ExperimentId,
    user_id: &'a str,
    status: &'static str,
    start_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<i64>,
    artifact_uri: &'a str,
    lifecycle_stage: &'static str,
}

impl<'a> From<&'a RunInfo> for RunInfoDto<'a> {
    fn from(i: &'a RunInfo) -> Self {
        RunInfoDto {
            run_id: i.run_id.as_str(),
            run_uuid: i.run_id.as_str(),
            run_name: &i.run_name,
            experiment_id: i.experiment_id,
            user_id: &i.user_id,
            status: i.status.as_str(),
            start_time: i.start_time,
            end_time: i.end_time,
            artifact_uri: &i.artifact_uri,
            lifecycle_stage: i.lifecycle_stage.as_str(),
        }
    }
}

/// A run's data, serialized straight from the domain lists (no per-entry
/// DTO vectors: a search page holds thousands of entries).
#[derive(Debug, Serialize)]
struct RunDataDto<'a> {
    #[serde(
        skip_serializing_if = "<[Metric]>::is_empty",
        serialize_with = "ser_list::<_, MetricDto<'_>, _>"
    )]
    metrics: &'a [Metric],
    #[serde(
        skip_serializing_if = "<[Param]>::is_empty",
        serialize_with = "ser_list::<_, TagDto<'_>, _>"
    )]
    params: &'a [Param],
    #[serde(
        skip_serializing_if = "<[Tag]>::is_empty",
        serialize_with = "ser_list::<_, TagDto<'_>, _>"
    )]
    tags: &'a [Tag],
}

/// Serialize each item of `items` as its DTO `D`, without collecting them.
fn ser_list<'a, T: 'a, D, S>(items: &'a [T], s: S) -> Result<S::Ok, S::Error>
where
    D: From<&'a T> + Serialize,
    S: Serializer,
{
    s.collect_seq(items.iter().map(D::from))
}

#[derive(Debug, Serialize)]
struct DatasetDto<'a> {
    name: &'a str,
    digest: &'a str,
    source_type: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct DatasetInputDto<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto<'a>>,
    dataset: DatasetDto<'a>,
}

impl<'a> From<&'a DatasetInput> for DatasetInputDto<'a> {
    fn from(d: &'a DatasetInput) -> Self {
        DatasetInputDto {
            tags: d.tags.iter().map(TagDto::from).collect(),
            dataset: DatasetDto {
                name: &d.dataset.name,
                digest: &d.dataset.digest,
                source_type: &d.dataset.source_type,
                source: &d.dataset.source,
                schema: d.dataset.schema.as_deref(),
                profile: d.dataset.profile.as_deref(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct RunInputsDto<'a> {
    #[serde(
        skip_serializing_if = "<[DatasetInput]>::is_empty",
        serialize_with = "ser_list::<_, DatasetInputDto<'_>, _>"
    )]
    dataset_inputs: &'a [DatasetInput],
}

/// MLflow's Run message, borrowed from the domain run.
#[derive(Debug, Serialize)]
pub struct RunDto<'a> {
    info: RunInfoDto<'a>,
    data: RunDataDto<'a>,
    inputs: RunInputsDto<'a>,
}

impl<'a> From<&'a Run> for RunDto<'a> {
    fn from(r: &'a Run) -> Self {
        RunDto {
            info: RunInfoDto::from(&r.info),
            data: RunDataDto {
                metrics: &r.metrics,
                params: &r.params,
                tags: &r.tags,
            },
            inputs: RunInputsDto {
                dataset_inputs: &r.inputs,
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
