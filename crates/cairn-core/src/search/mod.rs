//! MLflow's search filter language for runs and experiments, extended with
//! `OR` and parentheses: parsed into a typed AST that stores compile to SQL.
//!
//! PLACEHOLDER INTERFACE: the parser lands in its own change.

use crate::error::Result;

/// A parsed run filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {}

impl RunFilter {
    /// Parse a filter string; empty matches everything.
    pub fn parse(_input: &str) -> Result<RunFilter> {
        Ok(RunFilter {})
    }
}

/// A parsed run order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOrder {}

impl RunOrder {
    /// Parse order_by clauses.
    pub fn parse(_clauses: &[String]) -> Result<RunOrder> {
        Ok(RunOrder {})
    }
}

/// A parsed experiment filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentFilter {}

impl ExperimentFilter {
    /// Parse a filter string; empty matches everything.
    pub fn parse(_input: &str) -> Result<ExperimentFilter> {
        Ok(ExperimentFilter {})
    }
}

/// A parsed experiment order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentOrder {}

impl ExperimentOrder {
    /// Parse order_by clauses.
    pub fn parse(_clauses: &[String]) -> Result<ExperimentOrder> {
        Ok(ExperimentOrder {})
    }
}
