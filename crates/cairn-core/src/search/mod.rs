//! MLflow's search filter language for runs and experiments, extended with
//! `OR` and parentheses: parsed into a typed AST that stores compile to SQL.
//!
//! PLACEHOLDER INTERFACE: the parser lands in its own change.

use crate::error::Result;

/// A parsed run filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    source: String,
}

impl RunFilter {
    /// Parse a filter string; empty matches everything.
    pub fn parse(input: &str) -> Result<RunFilter> {
        Ok(RunFilter {
            source: input.to_owned(),
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// A parsed run order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOrder {
    source: Vec<String>,
}

impl RunOrder {
    /// Parse order_by clauses.
    pub fn parse(clauses: &[String]) -> Result<RunOrder> {
        Ok(RunOrder {
            source: clauses.to_vec(),
        })
    }

    /// The clauses it was parsed from.
    pub fn source(&self) -> &[String] {
        &self.source
    }
}

/// A parsed experiment filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentFilter {
    source: String,
}

impl ExperimentFilter {
    /// Parse a filter string; empty matches everything.
    pub fn parse(input: &str) -> Result<ExperimentFilter> {
        Ok(ExperimentFilter {
            source: input.to_owned(),
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// A parsed experiment order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentOrder {
    source: Vec<String>,
}

impl ExperimentOrder {
    /// Parse order_by clauses.
    pub fn parse(clauses: &[String]) -> Result<ExperimentOrder> {
        Ok(ExperimentOrder {
            source: clauses.to_vec(),
        })
    }

    /// The clauses it was parsed from.
    pub fn source(&self) -> &[String] {
        &self.source
    }
}
