//! The model registry's domain: registered models, their numbered versions,
//! stages and aliases, MLflow's rules for names, aliases, versions and
//! version sources, and the validated commands a registry store receives.
//!
//! Like the rest of this crate it is pure: a source is checked against the
//! run it names by the caller passing the run's id and artifact root in.

use std::fmt;
use std::str::FromStr;

use crate::entities::{Tag, TimestampMs};
use crate::error::{Error, Result};
use crate::validation::{KeyKind, check_len, validate_key};

/// Longest registered-model or model-version tag value.
pub const MAX_REGISTRY_TAG_VALUE_LEN: usize = 100_000;
/// Longest alias.
pub const MAX_ALIAS_LEN: usize = 255;
/// Longest registered-model name (MLflow's column width).
pub const MAX_MODEL_NAME_LEN: usize = 256;
/// Longest description (model or version).
pub const MAX_DESCRIPTION_LEN: usize = 5000;
/// Longest model-version source URI.
pub const MAX_SOURCE_LEN: usize = 500;
/// Largest `max_results` of a registered-model search.
pub const MAX_MODEL_SEARCH_RESULTS: usize = 1000;
/// Largest `max_results` of a model-version search.
pub const MAX_VERSION_SEARCH_RESULTS: usize = 200_000;

/// A model version's (deprecated) deployment stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelStage {
    /// `None`: the stage of a new version.
    None,
    /// `Staging`.
    Staging,
    /// `Production`.
    Production,
    /// `Archived`.
    Archived,
}

impl ModelStage {
    /// Every stage, in MLflow's order.
    pub const ALL: [ModelStage; 4] = [
        ModelStage::None,
        ModelStage::Staging,
        ModelStage::Production,
        ModelStage::Archived,
    ];

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStage::None => "None",
            ModelStage::Staging => "Staging",
            ModelStage::Production => "Production",
            ModelStage::Archived => "Archived",
        }
    }
}

impl fmt::Display for ModelStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelStage {
    type Err = Error;

    /// Case-insensitive, as MLflow accepts `production` or `PRODUCTION`.
    fn from_str(s: &str) -> Result<ModelStage> {
        ModelStage::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid Model Version stage: {s}. Value must be one of None, Staging, Production, Archived."
                ))
            })
    }
}

/// A validated stage transition: `archive_existing_versions` is only
/// meaningful for the active stages, Staging and Production (MLflow answers
/// a server error for the others; Cairn answers INVALID_PARAMETER_VALUE).
pub fn check_transition(stage: ModelStage, archive_existing_versions: bool) -> Result<()> {
    if archive_existing_versions && !matches!(stage, ModelStage::Staging | ModelStage::Production) {
        return Err(Error::invalid(format!(
            "Model version transition cannot archive existing model versions because '{stage}' is not an Active stage. Valid stages are Staging, Production"
        )));
    }
    Ok(())
}

/// A registered model with its latest version per stage and its aliases.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredModel {
    /// Unique name.
    pub name: String,
    /// Creation time.
    pub creation_timestamp: TimestampMs,
    /// Last change to the model or its versions.
    pub last_updated_timestamp: TimestampMs,
    /// Free text; empty when unset.
    pub description: String,
    /// The newest version in each stage that has one, in stage order.
    pub latest_versions: Vec<ModelVersion>,
    /// Tags, by key.
    pub tags: Vec<Tag>,
    /// `(alias, version)` pairs, by alias.
    pub aliases: Vec<(String, u64)>,
}

/// One numbered version of a registered model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersion {
    /// The registered model's name.
    pub name: String,
    /// Per-model number from 1.
    pub version: u64,
    /// Creation time.
    pub creation_timestamp: TimestampMs,
    /// Last change.
    pub last_updated_timestamp: TimestampMs,
    /// Free text; empty when unset.
    pub description: String,
    /// Where the model's files are (as given at creation).
    pub source: String,
    /// The run that produced it, if any.
    pub run_id: Option<String>,
    /// A link to the run, if given.
    pub run_link: Option<String>,
    /// Current stage.
    pub current_stage: ModelStage,
    /// Tags, by key.
    pub tags: Vec<Tag>,
    /// Aliases pointing at this version, sorted.
    pub aliases: Vec<String>,
}

impl ModelVersion {
    /// The registration status: Cairn registers synchronously, so always READY.
    pub fn status(&self) -> &'static str {
        "READY"
    }
}

/// A registered-model name: non-empty, at most 256 characters, no `/` or
/// `:` (they would clash with `models:/<name>/<version>` URIs), and no
/// `.`/`..` so it cannot act as a path.
pub fn validate_model_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("Registered model name cannot be empty."));
    }
    if name.contains('/') || name.contains(':') {
        return Err(Error::invalid(format!(
            "Invalid name: '{name}'. Registered model name cannot contain '/' or ':'."
        )));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid(format!(
            "Invalid name: '{name}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such."
        )));
    }
    check_len("Registered model name", name, MAX_MODEL_NAME_LEN)
}

/// A model version number: MLflow's versions are decimal integers sent as
/// strings; anything else is INVALID_PARAMETER_VALUE.
pub fn parse_version(version: &str) -> Result<u64> {
    let trimmed = version.trim();
    trimmed
        .parse::<u64>()
        .ok()
        .filter(|_| !trimmed.starts_with('+'))
        .ok_or_else(|| {
            Error::invalid(format!(
                "Parameter 'version' must be an integer, got '{version}'."
            ))
        })
}

/// An alias: `[A-Za-z0-9_-]`, at most 255 characters, not `latest` in any
/// case and not `v<digits>` (both would shadow `models:/name@...` forms).
pub fn validate_alias(alias: &str) -> Result<()> {
    if alias.is_empty()
        || !alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::invalid(format!(
            "Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
        )));
    }
    check_len("Alias", alias, MAX_ALIAS_LEN)?;
    if alias.eq_ignore_ascii_case("latest") {
        return Err(Error::invalid(
            "'latest' alias name (case insensitive) is reserved.",
        ));
    }
    let digits = alias.strip_prefix(['v', 'V']).unwrap_or("");
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "Version alias name '{alias}' is reserved."
        )));
    }
    Ok(())
}

/// A validated registered-model or model-version tag.
pub fn registry_tag(key: String, value: String) -> Result<Tag> {
    validate_key(KeyKind::Tag, &key)?;
    check_len(
        &format!("Tag '{key}' value"),
        &value,
        MAX_REGISTRY_TAG_VALUE_LEN,
    )?;
    Ok(Tag { key, value })
}

/// A validated description.
pub fn validate_description(description: &str) -> Result<()> {
    check_len("Description", description, MAX_DESCRIPTION_LEN)
}

/// A `max_results` within `1..=max`.
pub fn validate_page_size(max_results: i64, max: usize) -> Result<usize> {
    match usize::try_from(max_results) {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Error::invalid(format!(
            "Invalid value {max_results} for parameter 'max_results' supplied: it must be between 1 and {max}"
        ))),
    }
}

fn tags_unique(tags: &[Tag]) -> Result<()> {
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|u| u.key == t.key) {
            return Err(Error::invalid(format!("Duplicate tag key '{}'", t.key)));
        }
    }
    Ok(())
}

/// A request to create a registered model.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRegisteredModel {
    /// Unique name.
    pub name: String,
    /// Description, possibly empty.
    pub description: String,
    /// Initial tags (validated, unique keys).
    pub tags: Vec<Tag>,
}

impl NewRegisteredModel {
    /// Validate a new model.
    pub fn new(name: String, description: String, tags: Vec<Tag>) -> Result<Self> {
        validate_model_name(&name)?;
        validate_description(&description)?;
        let tags = tags
            .into_iter()
            .map(|t| registry_tag(t.key, t.value))
            .collect::<Result<Vec<_>>>()?;
        tags_unique(&tags)?;
        Ok(NewRegisteredModel {
            name,
            description,
            tags,
        })
    }
}

/// The run a new version names, as the source check needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRun<'a> {
    /// The run's id.
    pub run_id: &'a str,
    /// The run's artifact root URI.
    pub artifact_uri: &'a str,
}

/// A request to create a model version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModelVersion {
    /// The registered model.
    pub name: String,
    /// Where the model's files are.
    pub source: String,
    /// The producing run, if any (checked to exist by the caller).
    pub run_id: Option<String>,
    /// A link to the run, if any.
    pub run_link: Option<String>,
    /// Description, possibly empty.
    pub description: String,
    /// Initial tags (validated, unique keys).
    pub tags: Vec<Tag>,
}

impl NewModelVersion {
    /// Validate a new version; `run` is the run named by `run_id` (the
    /// caller looks it up, so a missing run is its 404).
    pub fn new(
        name: String,
        source: String,
        run: Option<SourceRun<'_>>,
        run_link: Option<String>,
        description: String,
        tags: Vec<Tag>,
    ) -> Result<Self> {
        validate_model_name(&name)?;
        validate_description(&description)?;
        check_source(&source, run.as_ref())?;
        let tags = tags
            .into_iter()
            .map(|t| registry_tag(t.key, t.value))
            .collect::<Result<Vec<_>>>()?;
        tags_unique(&tags)?;
        Ok(NewModelVersion {
            name,
            source,
            run_id: run.map(|r| r.run_id.to_owned()),
            run_link: run_link.filter(|l| !l.is_empty()),
            description,
            tags,
        })
    }
}

fn bad_source(source: &str, why: &str) -> Error {
    Error::invalid(format!("Invalid model version source: '{source}'. {why}"))
}

/// Whether a source is a local path (no scheme, or `file:`).
fn is_local(source: &str) -> bool {
    match source.split_once(':') {
        // `C:\...`-style drive letters are paths too.
        Some((scheme, _)) => scheme.eq_ignore_ascii_case("file") || scheme.len() == 1,
        None => true,
    }
}

/// The path of a local source or `file:` URI.
fn local_path(uri: &str) -> &str {
    uri.strip_prefix("file://")
        .or_else(|| uri.strip_prefix("file:"))
        .unwrap_or(uri)
}

/// MLflow 3's source rules: non-empty, no `..` segment (also percent-encoded),
/// `runs:/<id>/...` only with that same `run_id`, an `mlflow-artifacts:`
/// source of a named run only inside that run's artifact root, and a local
/// path only when it lies inside the named run's (local) artifact root.
pub fn check_source(source: &str, run: Option<&SourceRun<'_>>) -> Result<()> {
    if source.is_empty() {
        return Err(Error::invalid(
            "Missing value for required parameter 'source'.",
        ));
    }
    check_len("Model version source", source, MAX_SOURCE_LEN)?;
    let decoded = source
        .to_ascii_lowercase()
        .replace("%2e", ".")
        .replace("%2f", "/");
    if decoded.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(bad_source(source, "Source paths may not contain '..'."));
    }
    if let Some(rest) = source.strip_prefix("runs:/") {
        let source_run = rest.split('/').next().unwrap_or("");
        return match run {
            Some(r) if r.run_id == source_run => Ok(()),
            _ => Err(bad_source(
                source,
                "The run_id request parameter has to be specified and must match the run ID in the `runs:/` URI.",
            )),
        };
    }
    if let (Some(r), true) = (run, source.starts_with("mlflow-artifacts:")) {
        // A proxied source of a run must lie inside that run's artifacts.
        let root = r.artifact_uri.trim_end_matches('/');
        if r.artifact_uri.starts_with("mlflow-artifacts:")
            && source != root
            && !source.starts_with(&format!("{root}/"))
        {
            return Err(bad_source(
                source,
                "The source must be inside the artifact location of the run specified by run_id.",
            ));
        }
    }
    if is_local(source) {
        let inside = run.is_some_and(|r| {
            is_local(r.artifact_uri) && {
                let root = local_path(r.artifact_uri).trim_end_matches('/');
                let path = local_path(source);
                path == root || path.starts_with(&format!("{root}/"))
            }
        });
        if !inside {
            return Err(bad_source(
                source,
                "To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_mlflow_rules() {
        for ok in ["m", "my model", "m-1.2_x", "ü"] {
            assert!(validate_model_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/b", "a:b", ".", ".."] {
            assert!(validate_model_name(bad).is_err(), "{bad}");
        }
        assert!(validate_model_name(&"m".repeat(257)).is_err());
    }

    #[test]
    fn aliases_follow_mlflow_rules() {
        for ok in ["champion", "a-b_c", "v1x", "V", "latest2"] {
            assert!(validate_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["", "latest", "LaTeSt", "v1", "V22", "a b", "a.b", "é"] {
            assert!(validate_alias(bad).is_err(), "{bad}");
        }
        assert!(validate_alias(&"a".repeat(255)).is_ok());
        assert!(validate_alias(&"a".repeat(256)).is_err());
    }

    #[test]
    fn versions_must_be_integers() {
        assert_eq!(parse_version("3").unwrap(), 3);
        for bad in ["", "x", "1.5", "-1", "+1", "1e3"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stages_parse_case_insensitively() {
        assert_eq!(
            "production".parse::<ModelStage>().unwrap(),
            ModelStage::Production
        );
        assert_eq!("NONE".parse::<ModelStage>().unwrap(), ModelStage::None);
        assert!("Deleted".parse::<ModelStage>().is_err());
        assert!(check_transition(ModelStage::Production, true).is_ok());
        assert!(check_transition(ModelStage::Archived, false).is_ok());
        assert!(check_transition(ModelStage::Archived, true).is_err());
        assert!(check_transition(ModelStage::None, true).is_err());
    }

    #[test]
    fn sources_are_checked_against_their_run() {
        let run = SourceRun {
            run_id: "abc",
            artifact_uri: "mlflow-artifacts:/1/abc/artifacts",
        };
        assert!(check_source("runs:/abc/model", Some(&run)).is_ok());
        assert!(check_source("runs:/xyz/model", Some(&run)).is_err());
        assert!(check_source("runs:/abc/model", None).is_err());
        assert!(check_source("mlflow-artifacts:/1/abc/artifacts/model", Some(&run)).is_ok());
        assert!(check_source("mlflow-artifacts:/1/xyz/artifacts/model", Some(&run)).is_err());
        assert!(check_source("runs:/abc/../x", Some(&run)).is_err());
        assert!(check_source("s3://b/%2E%2E/x", None).is_err());
        assert!(check_source("s3://bucket/model", None).is_ok());
        assert!(check_source("/tmp/model", None).is_err());
        assert!(check_source("", None).is_err());
        let local = SourceRun {
            run_id: "abc",
            artifact_uri: "file:///data/1/abc/artifacts",
        };
        assert!(check_source("/data/1/abc/artifacts/model", Some(&local)).is_ok());
        assert!(check_source("/data/1/abc/artifactsX", Some(&local)).is_err());
        assert!(check_source("/data/other", Some(&local)).is_err());
    }
}
