//! Identifiers: experiment ids are decimal integers on the wire ("0" is the
//! Default experiment), run ids are 32 lowercase hex digits (uuid4 simple form).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// An experiment id. MLflow renders it as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExperimentId(pub i64);

impl ExperimentId {
    /// The experiment every store creates at initialisation.
    pub const DEFAULT: ExperimentId = ExperimentId(0);
}

impl fmt::Display for ExperimentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ExperimentId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(ExperimentId)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid experiment ID: '{s}'. An experiment ID must be a non-negative integer"
                ))
            })
    }
}

/// A run id: 32 lowercase hexadecimal characters for runs Cairn creates.
///
/// Lookups accept any string that passes MLflow's run-id pattern so that an
/// unknown id yields `RESOURCE_DOES_NOT_EXIST` rather than a format error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(String);

impl RunId {
    /// A fresh random id.
    pub fn generate() -> RunId {
        RunId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RunId {
    type Err = Error;
    /// MLflow's rule: `^[a-zA-Z0-9][\w\-]{0,255}$`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok =
            s.len() <= 256 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if first_ok && rest_ok {
            Ok(RunId(s.to_owned()))
        } else {
            Err(Error::invalid(format!("Invalid run ID: '{s}'")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_ids_parse_decimal_only() {
        assert_eq!("12".parse::<ExperimentId>().unwrap(), ExperimentId(12));
        assert!("abc".parse::<ExperimentId>().is_err());
        assert!("-1".parse::<ExperimentId>().is_err());
        assert!("".parse::<ExperimentId>().is_err());
    }

    #[test]
    fn run_ids_follow_mlflow_pattern() {
        let id = RunId::generate();
        assert_eq!(id.as_str().len(), 32);
        assert!(id.as_str().parse::<RunId>().is_ok());
        assert!("../etc".parse::<RunId>().is_err());
        assert!("".parse::<RunId>().is_err());
        assert!("a b".parse::<RunId>().is_err());
    }
}
