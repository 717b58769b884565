//! MLflow's input limits and key rules, checked once at the boundary.
//!
//! Values are validated into the command types of [`crate::commands`], so a
//! store never sees a key that could escape a path or a batch over the limit.

use crate::error::{Error, Result};

/// Longest metric/param/tag key.
pub const MAX_KEY_LEN: usize = 250;
/// Longest param value; longer values are truncated (MLflow's default).
pub const MAX_PARAM_VALUE_LEN: usize = 6000;
/// Longest run-tag value; longer values are truncated.
pub const MAX_RUN_TAG_VALUE_LEN: usize = 8000;
/// Longest experiment name.
pub const MAX_EXPERIMENT_NAME_LEN: usize = 500;
/// Longest experiment-tag value.
pub const MAX_EXPERIMENT_TAG_VALUE_LEN: usize = 20000;
/// Most metrics in one log-batch request.
pub const MAX_BATCH_METRICS: usize = 1000;
/// Most params in one log-batch request.
pub const MAX_BATCH_PARAMS: usize = 100;
/// Most tags in one log-batch request.
pub const MAX_BATCH_TAGS: usize = 100;
/// Most entities (metrics + params + tags) in one log-batch request.
pub const MAX_BATCH_ENTITIES: usize = 1000;
/// Largest `max_results` of a run or experiment search.
pub const MAX_SEARCH_RESULTS: usize = 50_000;
/// Longest run name.
pub const MAX_RUN_NAME_LEN: usize = 250;
/// Longest dataset name.
pub const MAX_DATASET_NAME_LEN: usize = 500;
/// Longest dataset digest.
pub const MAX_DATASET_DIGEST_LEN: usize = 36;
/// Longest dataset source.
pub const MAX_DATASET_SOURCE_LEN: usize = 65535;
/// Longest dataset schema.
pub const MAX_DATASET_SCHEMA_LEN: usize = 1 << 20;
/// Longest dataset profile.
pub const MAX_DATASET_PROFILE_LEN: usize = 16 << 20;
/// Longest input-tag key.
pub const MAX_INPUT_TAG_KEY_LEN: usize = 255;
/// Longest input-tag value.
pub const MAX_INPUT_TAG_VALUE_LEN: usize = 500;

/// What a key names, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A metric key.
    Metric,
    /// A param key.
    Param,
    /// A run or experiment tag key.
    Tag,
}

impl KeyKind {
    fn noun(self) -> &'static str {
        match self {
            KeyKind::Metric => "metric name",
            KeyKind::Param => "param name",
            KeyKind::Tag => "tag name",
        }
    }
}

/// MLflow's key rule: characters from `[/\w.\- :]`, at most 250 of them, and
/// "path-unique" (normalising it as a POSIX path changes nothing, it is not
/// `.`, and it neither starts with `/` nor with `..`).
pub fn validate_key(kind: KeyKind, key: &str) -> Result<()> {
    let noun = kind.noun();
    if key.is_empty() {
        return Err(Error::invalid(format!(
            "Invalid {noun} '': must not be empty"
        )));
    }
    if key.chars().count() > MAX_KEY_LEN {
        return Err(Error::invalid(format!(
            "Invalid {noun} '{}...': {} characters exceeds the limit of {MAX_KEY_LEN}",
            key.chars().take(40).collect::<String>(),
            key.chars().count()
        )));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')))
    {
        return Err(Error::invalid(format!(
            "Invalid {noun} '{key}': character {bad:?} is not allowed. Names may only contain \
             alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"
        )));
    }
    let path_unique = !key.starts_with('/')
        && !key.starts_with("..")
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if !path_unique {
        return Err(Error::invalid(format!(
            "Invalid {noun} '{key}': names must be unique paths (no leading '/', no '..', \
             no '.' segments, no empty segments)"
        )));
    }
    Ok(())
}

/// Truncate `value` to at most `max` characters (MLflow truncates long param
/// and tag values by default rather than rejecting them).
pub fn truncate_chars(value: &mut String, max: usize) {
    if let Some((byte_idx, _)) = value.char_indices().nth(max) {
        value.truncate(byte_idx);
    }
}

/// Reject a string longer than `max` characters, naming `what`.
pub fn check_len(what: &str, value: &str, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n > max {
        Err(Error::invalid(format!(
            "{what} of length {n} exceeds the limit of {max} characters"
        )))
    } else {
        Ok(())
    }
}

/// An experiment name: non-empty after trimming, at most 500 characters.
pub fn validate_experiment_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "Invalid experiment name: '' (it must not be empty)",
        ));
    }
    check_len("Experiment name", name, MAX_EXPERIMENT_NAME_LEN)
}

/// A `max_results` for run/experiment search: 1 ..= 50,000.
pub fn validate_max_results(max_results: i64) -> Result<usize> {
    if (1..=MAX_SEARCH_RESULTS as i64).contains(&max_results) {
        Ok(max_results as usize)
    } else {
        Err(Error::invalid(format!(
            "Invalid value {max_results} for parameter 'max_results' supplied: it must be between 1 and {MAX_SEARCH_RESULTS}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_mlflow_rules() {
        for ok in ["acc", "train/loss", "a b", "x:y", "m.1", "ü", "a-b_c"] {
            assert!(validate_key(KeyKind::Metric, ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/abs", "../x", "a//b", "a/", "a/./b", "a/../b", ".", "..", "a\\b", "a%b", "a\nb",
        ] {
            assert!(validate_key(KeyKind::Metric, bad).is_err(), "{bad}");
        }
        assert!(validate_key(KeyKind::Param, &"k".repeat(250)).is_ok());
        assert!(validate_key(KeyKind::Param, &"k".repeat(251)).is_err());
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s = "éééé".to_string();
        truncate_chars(&mut s, 2);
        assert_eq!(s, "éé");
        let mut t = "ab".to_string();
        truncate_chars(&mut t, 5);
        assert_eq!(t, "ab");
    }

    #[test]
    fn max_results_bounds() {
        assert!(validate_max_results(0).is_err());
        assert_eq!(validate_max_results(50_000).unwrap(), 50_000);
        assert!(validate_max_results(50_001).is_err());
    }
}
