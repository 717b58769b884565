//! Validated write commands.
//!
//! The HTTP layer (or the Rust client) parses its input into these types with
//! constructors that enforce MLflow's rules; a store accepts only these, so it
//! never has to re-check keys, limits or truncation.

use crate::entities::{Dataset, DatasetInput, Metric, Param, Tag, TimestampMs};
use crate::error::{Error, Result};
use crate::ids::ExperimentId;
use crate::validation::*;

/// A batch of metrics, params and tags for one run, within MLflow's limits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunBatch {
    metrics: Vec<Metric>,
    params: Vec<Param>,
    tags: Vec<Tag>,
}

impl RunBatch {
    /// Validate a log-batch request: counts, key syntax, timestamps, duplicate
    /// param keys; long param/tag values are truncated as MLflow does.
    pub fn new(metrics: Vec<Metric>, mut params: Vec<Param>, mut tags: Vec<Tag>) -> Result<RunBatch> {
        if metrics.len() > MAX_BATCH_METRICS {
            return Err(Error::invalid(format!(
                "A batch logging request can contain at most {MAX_BATCH_METRICS} metrics. Got {} metrics. \
                 Please split up metrics across multiple requests and try again.",
                metrics.len()
            )));
        }
        if params.len() > MAX_BATCH_PARAMS {
            return Err(Error::invalid(format!(
                "A batch logging request can contain at most {MAX_BATCH_PARAMS} params. Got {} params.",
                params.len()
            )));
        }
        if tags.len() > MAX_BATCH_TAGS {
            return Err(Error::invalid(format!(
                "A batch logging request can contain at most {MAX_BATCH_TAGS} tags. Got {} tags.",
                tags.len()
            )));
        }
        let total = metrics.len() + params.len() + tags.len();
        if total > MAX_BATCH_ENTITIES {
            return Err(Error::invalid(format!(
                "A batch logging request can contain at most {MAX_BATCH_ENTITIES} metrics, params and tags in total. Got {total}."
            )));
        }
        for m in &metrics {
            validate_key(KeyKind::Metric, &m.key)?;
            if m.timestamp < 0 {
                return Err(Error::invalid(format!(
                    "Invalid timestamp {} for metric '{}': it must be a non-negative number of milliseconds",
                    m.timestamp, m.key
                )));
            }
        }
        let mut seen = std::collections::HashSet::with_capacity(params.len());
        for p in &mut params {
            validate_key(KeyKind::Param, &p.key)?;
            if !seen.insert(p.key.clone()) {
                return Err(Error::invalid(format!(
                    "Duplicate parameter keys have been submitted: '{}'. Please ensure the request contains only one param value per param key.",
                    p.key
                )));
            }
            truncate_chars(&mut p.value, MAX_PARAM_VALUE_LEN);
        }
        for t in &mut tags {
            validate_key(KeyKind::Tag, &t.key)?;
            truncate_chars(&mut t.value, MAX_RUN_TAG_VALUE_LEN);
        }
        Ok(RunBatch { metrics, params, tags })
    }

    /// One metric.
    pub fn metric(metric: Metric) -> Result<RunBatch> {
        RunBatch::new(vec![metric], vec![], vec![])
    }

    /// One param.
    pub fn param(param: Param) -> Result<RunBatch> {
        RunBatch::new(vec![], vec![param], vec![])
    }

    /// One tag.
    pub fn tag(tag: Tag) -> Result<RunBatch> {
        RunBatch::new(vec![], vec![], vec![tag])
    }

    /// The metrics.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// The params.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The tags.
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty() && self.params.is_empty() && self.tags.is_empty()
    }
}

/// A validated experiment tag (key rule; value ≤ 20,000 characters).
pub fn experiment_tag(key: String, value: String) -> Result<Tag> {
    validate_key(KeyKind::Tag, &key)?;
    check_len(&format!("Experiment tag '{key}' value"), &value, MAX_EXPERIMENT_TAG_VALUE_LEN)?;
    Ok(Tag { key, value })
}

/// A request to create an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    /// Unique name.
    pub name: String,
    /// Artifact root; `None` means the server's default root plus the id.
    pub artifact_location: Option<String>,
    /// Initial tags.
    pub tags: Vec<Tag>,
}

impl NewExperiment {
    /// Validate name, artifact location and tags.
    pub fn new(name: String, artifact_location: Option<String>, tags: Vec<Tag>) -> Result<Self> {
        validate_experiment_name(&name)?;
        let artifact_location = artifact_location.filter(|s| !s.is_empty());
        if let Some(loc) = &artifact_location
            && loc.starts_with("runs:")
        {
            return Err(Error::invalid(format!(
                "Got an invalid artifact location '{loc}': 'runs:/' URIs cannot be experiment artifact locations"
            )));
        }
        let tags = tags.into_iter().map(|t| experiment_tag(t.key, t.value)).collect::<Result<Vec<_>>>()?;
        Ok(NewExperiment { name, artifact_location, tags })
    }
}

/// A request to create a run.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// The experiment.
    pub experiment_id: ExperimentId,
    /// Creator.
    pub user_id: String,
    /// Name; a random `adjective-noun-NNN` is chosen when absent.
    pub run_name: Option<String>,
    /// Start time, ms (MLflow stores 0 when the client omits it).
    pub start_time: TimestampMs,
    /// Initial tags (system tags included).
    pub tags: Vec<Tag>,
}

impl NewRun {
    /// Validate tags and reconcile `run_name` with an `mlflow.runName` tag.
    pub fn new(
        experiment_id: ExperimentId,
        user_id: String,
        run_name: Option<String>,
        start_time: TimestampMs,
        tags: Vec<Tag>,
    ) -> Result<Self> {
        let batch = RunBatch::new(vec![], vec![], tags)?;
        let tags = batch.tags;
        let run_name = run_name.filter(|n| !n.is_empty());
        let tag_name = tags.iter().find(|t| t.key == crate::system_tags::RUN_NAME).map(|t| t.value.clone());
        let run_name = match (run_name, tag_name) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::invalid(format!(
                    "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values \
                     (run_name='{a}', mlflow.runName='{b}')."
                )));
            }
            (Some(a), _) => Some(a),
            (None, b) => b,
        };
        if let Some(name) = &run_name {
            check_len("Run name", name, MAX_RUN_NAME_LEN)?;
        }
        if start_time < 0 {
            return Err(Error::invalid(format!("Invalid start_time {start_time}: it must be non-negative")));
        }
        Ok(NewRun { experiment_id, user_id, run_name, start_time, tags })
    }
}

/// Validate dataset inputs against MLflow's size limits.
pub fn validate_dataset_inputs(inputs: &[DatasetInput]) -> Result<()> {
    for input in inputs {
        let Dataset { name, digest, source, schema, profile, .. } = &input.dataset;
        if name.is_empty() {
            return Err(Error::invalid("Dataset name must not be empty"));
        }
        if digest.is_empty() {
            return Err(Error::invalid(format!("Dataset '{name}' must have a digest")));
        }
        check_len("Dataset name", name, MAX_DATASET_NAME_LEN)?;
        check_len("Dataset digest", digest, MAX_DATASET_DIGEST_LEN)?;
        check_len("Dataset source", source, MAX_DATASET_SOURCE_LEN)?;
        if let Some(s) = schema {
            check_len("Dataset schema", s, MAX_DATASET_SCHEMA_LEN)?;
        }
        if let Some(p) = profile {
            check_len("Dataset profile", p, MAX_DATASET_PROFILE_LEN)?;
        }
        for t in &input.tags {
            if t.key.is_empty() {
                return Err(Error::invalid("Input tag key must not be empty"));
            }
            check_len("Input tag key", &t.key, MAX_INPUT_TAG_KEY_LEN)?;
            check_len("Input tag value", &t.value, MAX_INPUT_TAG_VALUE_LEN)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_limits_are_enforced() {
        let metrics: Vec<Metric> = (0..1001).map(|i| Metric::new("m", 1.0, 0, i)).collect();
        assert!(RunBatch::new(metrics, vec![], vec![]).is_err());
        let params = vec![Param::new("a", "1"), Param::new("a", "2")];
        let err = RunBatch::new(vec![], params, vec![]).unwrap_err();
        assert!(err.message().contains("Duplicate"), "{err}");
        assert!(RunBatch::metric(Metric::new("m", 1.0, -1, 0)).is_err());
        assert!(RunBatch::metric(Metric::new("../m", 1.0, 0, 0)).is_err());
    }

    #[test]
    fn long_values_are_truncated() {
        let b = RunBatch::param(Param::new("p", "x".repeat(7000))).unwrap();
        assert_eq!(b.params()[0].value.len(), MAX_PARAM_VALUE_LEN);
        let b = RunBatch::tag(Tag::new("t", "y".repeat(9000))).unwrap();
        assert_eq!(b.tags()[0].value.len(), MAX_RUN_TAG_VALUE_LEN);
    }

    #[test]
    fn run_name_must_agree_with_tag() {
        let tags = vec![Tag::new("mlflow.runName", "a")];
        assert!(NewRun::new(ExperimentId(0), String::new(), Some("b".into()), 0, tags.clone()).is_err());
        let r = NewRun::new(ExperimentId(0), String::new(), None, 0, tags).unwrap();
        assert_eq!(r.run_name.as_deref(), Some("a"));
    }
}
