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
/// straight from `(timestamp, step, value)` points (see [`Self::to_json`]).
#[derive(Debug)]
pub struct MetricPointsDto<'a> {
    /// The metric key of every point.
    pub key: &'a str,
    /// `(timestamp, step, value)` in history order.
    pub points: &'a [(i64, i64, f64)],
}

impl MetricPointsDto<'_> {
    /// The JSON body, byte for byte what serializing a `MetricDto` per point
    /// gives. The constant parts (field names and the escaped key, shared by
    /// every point) are copied, not re-escaped per point: that was most of
    /// the encoding cost of a 100,000-point history. Numbers still go
    /// through serde_json, so their text is unchanged.
    pub fn to_json(&self) -> Vec<u8> {
        let Some(((first_ts, first_step, first_value), rest)) = self.points.split_first() else {
            // MLflow omits empty lists: an empty history is `{}`.
            return b"{}".to_vec();
        };
        let key = serde_json::to_string(self.key).unwrap_or_else(|_| "\"\"".into());
        let head = format!("{{\"key\":{key},\"value\":");
        // About 60 bytes per point beyond the key.
        let mut out = Vec::with_capacity(16 + self.points.len() * (head.len() + 48));
        out.extend_from_slice(b"{\"metrics\":[");
        let point = |out: &mut Vec<u8>, ts: i64, step: i64, value: f64| {
            out.extend_from_slice(head.as_bytes());
            let _ = ser_f64(&value, &mut serde_json::Serializer::new(&mut *out));
            out.extend_from_slice(b",\"timestamp\":");
            let _ = serde_json::to_writer(&mut *out, &ts);
            out.extend_from_slice(b",\"step\":");
            let _ = serde_json::to_writer(&mut *out, &step);
            out.push(b'}');
        };
        point(&mut out, *first_ts, *first_step, *first_value);
        for &(ts, step, value) in rest {
            out.push(b',');
            point(&mut out, ts, step, value);
        }
        out.extend_from_slice(b"]}");
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written history encoder must match the serde encoding of
    /// one `MetricDto` per point, byte for byte.
    #[test]
    fn metric_points_encode_like_metric_dtos() {
        let points = [
            (1_700_000_000_000, 0, 0.5),
            (2, -3, f64::NAN),
            (3, 4, f64::INFINITY),
            (4, 5, f64::NEG_INFINITY),
            (5, i64::MAX, -0.0),
            (i64::MIN, 6, 1e300),
            (7, 7, 1.0),
            (8, 8, 123456789.125),
        ];
        for key in ["loss", "a \"quoted\" key/with\\slashes", "ünïcödé:1", ""] {
            for n in [0, 1, points.len()] {
                let pts = &points[..n];
                let metrics: Vec<MetricDto<'_>> = pts
                    .iter()
                    .map(|&(timestamp, step, value)| MetricDto {
                        key,
                        value,
                        timestamp,
                        step,
                    })
                    .collect();
                // The shape of HistoryResponse: the list, omitted when empty.
                let expected = if metrics.is_empty() {
                    "{}".to_owned()
                } else {
                    format!(
                        "{{\"metrics\":{}}}",
                        serde_json::to_string(&metrics).expect("metrics encode")
                    )
                };
                let got = MetricPointsDto { key, points: pts }.to_json();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    expected,
                    "key {key:?}, {n} points"
                );
            }
        }
    }
}
