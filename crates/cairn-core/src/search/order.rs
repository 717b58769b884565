//! `order_by` for runs, experiments and the model registry (spec §4.4, §4.5): parsing, the
//! implicit tie-breakers, and an in-memory comparison that stores can be
//! checked against.

use std::cmp::Ordering;

use super::ast::{
    ExperimentAttribute, ModelVersionOrderKey, OrderClause, RegisteredModelOrderKey, RunAttribute,
    RunOrderKey,
};
use super::lexer::SyntaxError;
use super::parser::{Ident, parse_order_clause};
use super::schema::{
    experiment_order_key, model_version_order_key, registered_model_order_key, run_order_key,
};
use crate::entities::{Experiment, Run};
use crate::error::{Error, Result};

/// Parse every clause with `resolve`, rejecting repeated keys.
pub(crate) fn parse_clauses<K: PartialEq>(
    clauses: &[String],
    resolve: fn(&Ident) -> Result<K, SyntaxError>,
) -> Result<Vec<OrderClause<K>>> {
    let mut out: Vec<OrderClause<K>> = Vec::with_capacity(clauses.len());
    for clause in clauses {
        let fail =
            |e: SyntaxError| Error::invalid(format!("Invalid order_by clause '{clause}': {}", e.0));
        let (ident, ascending) = parse_order_clause(clause).map_err(fail)?;
        let key = resolve(&ident).map_err(fail)?;
        if out.iter().any(|c| c.key == key) {
            return Err(Error::invalid(format!(
                "order_by contains duplicate fields: '{}' at position {} of clause '{clause}' repeats an earlier field",
                ident.raw, ident.pos
            )));
        }
        out.push(OrderClause { key, ascending });
    }
    Ok(out)
}

/// A parsed run order. Empty = MLflow's default, `start_time DESC`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOrder {
    /// The clauses as given, in priority order.
    pub clauses: Vec<OrderClause<RunOrderKey>>,
    /// The clause texts it was parsed from (what an HTTP client sends on).
    pub source: Vec<String>,
}

impl RunOrder {
    /// Parse `order_by` clauses such as `metrics.acc DESC`.
    pub fn parse(clauses: &[String]) -> Result<RunOrder> {
        Ok(RunOrder {
            clauses: parse_clauses(clauses, run_order_key)?,
            source: clauses.to_vec(),
        })
    }

    /// The clause texts it was parsed from.
    pub fn source(&self) -> &[String] {
        &self.source
    }

    /// The full order a store must apply: the clauses, then `start_time
    /// DESC` unless start time was given, then `run_id ASC` unless run id was
    /// given, which makes the order total and paging stable.
    pub fn effective_clauses(&self) -> Vec<OrderClause<RunOrderKey>> {
        let mut out = self.clauses.clone();
        for (attr, ascending) in [
            (RunAttribute::StartTime, false),
            (RunAttribute::RunId, true),
        ] {
            let key = RunOrderKey::Attribute(attr);
            if !out.iter().any(|c| c.key == key) {
                out.push(OrderClause { key, ascending });
            }
        }
        out
    }

    /// Compare two runs under [`RunOrder::effective_clauses`]. For every
    /// clause, runs with a value come first, then NaN metrics, then runs
    /// without the value, whatever the direction.
    pub fn compare(&self, a: &Run, b: &Run) -> Ordering {
        self.effective_clauses()
            .iter()
            .map(|c| compare_values(&run_value(a, &c.key), &run_value(b, &c.key), c.ascending))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// A parsed experiment order. Empty = `creation_time DESC, experiment_id ASC`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentOrder {
    /// The clauses as given, in priority order.
    pub clauses: Vec<OrderClause<ExperimentAttribute>>,
    /// The clause texts it was parsed from (what an HTTP client sends on).
    pub source: Vec<String>,
}

impl ExperimentOrder {
    /// Parse `order_by` clauses such as `name ASC`.
    pub fn parse(clauses: &[String]) -> Result<ExperimentOrder> {
        Ok(ExperimentOrder {
            clauses: parse_clauses(clauses, experiment_order_key)?,
            source: clauses.to_vec(),
        })
    }

    /// The clause texts it was parsed from.
    pub fn source(&self) -> &[String] {
        &self.source
    }

    /// The full order a store must apply: the default when no clause was
    /// given, and always `experiment_id ASC` last unless already present.
    pub fn effective_clauses(&self) -> Vec<OrderClause<ExperimentAttribute>> {
        let mut out = if self.clauses.is_empty() {
            vec![OrderClause {
                key: ExperimentAttribute::CreationTime,
                ascending: false,
            }]
        } else {
            self.clauses.clone()
        };
        if !out
            .iter()
            .any(|c| c.key == ExperimentAttribute::ExperimentId)
        {
            out.push(OrderClause {
                key: ExperimentAttribute::ExperimentId,
                ascending: true,
            });
        }
        out
    }

    /// Compare two experiments under [`ExperimentOrder::effective_clauses`].
    pub fn compare(&self, a: &Experiment, b: &Experiment) -> Ordering {
        self.effective_clauses()
            .iter()
            .map(|c| {
                compare_values(
                    &experiment_value(a, c.key),
                    &experiment_value(b, c.key),
                    c.ascending,
                )
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// A sort value; the variant order is the rank (present, NaN, missing).
enum SortValue<'a> {
    Number(f64),
    Int(i64),
    Text(&'a str),
    NaN,
    Missing,
}

impl SortValue<'_> {
    fn rank(&self) -> u8 {
        match self {
            SortValue::Number(_) | SortValue::Int(_) | SortValue::Text(_) => 0,
            SortValue::NaN => 1,
            SortValue::Missing => 2,
        }
    }
}

fn compare_values(a: &SortValue<'_>, b: &SortValue<'_>, ascending: bool) -> Ordering {
    let by_value = match (a, b) {
        (SortValue::Number(x), SortValue::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (SortValue::Int(x), SortValue::Int(y)) => x.cmp(y),
        (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
        _ => return a.rank().cmp(&b.rank()),
    };
    if ascending {
        by_value
    } else {
        by_value.reverse()
    }
}

fn run_value<'a>(run: &'a Run, key: &RunOrderKey) -> SortValue<'a> {
    let text = |v: Option<&'a str>| v.map_or(SortValue::Missing, SortValue::Text);
    match key {
        RunOrderKey::Metric(k) => match run.metrics.iter().find(|m| &m.key == k) {
            None => SortValue::Missing,
            Some(m) if m.value.is_nan() => SortValue::NaN,
            Some(m) => SortValue::Number(m.value),
        },
        RunOrderKey::Param(k) => text(
            run.params
                .iter()
                .find(|p| &p.key == k)
                .map(|p| p.value.as_str()),
        ),
        RunOrderKey::Tag(k) => text(
            run.tags
                .iter()
                .find(|t| &t.key == k)
                .map(|t| t.value.as_str()),
        ),
        RunOrderKey::Attribute(a) => match a {
            RunAttribute::RunId => SortValue::Text(run.info.run_id.as_str()),
            RunAttribute::RunName => SortValue::Text(&run.info.run_name),
            RunAttribute::Status => SortValue::Text(run.info.status.as_str()),
            RunAttribute::UserId => SortValue::Text(&run.info.user_id),
            RunAttribute::ArtifactUri => SortValue::Text(&run.info.artifact_uri),
            RunAttribute::StartTime => SortValue::Int(run.info.start_time),
            RunAttribute::EndTime => run.info.end_time.map_or(SortValue::Missing, SortValue::Int),
            RunAttribute::Duration => run.info.end_time.map_or(SortValue::Missing, |e| {
                SortValue::Int(e - run.info.start_time)
            }),
        },
    }
}

fn experiment_value(e: &Experiment, key: ExperimentAttribute) -> SortValue<'_> {
    match key {
        ExperimentAttribute::Name => SortValue::Text(&e.name),
        ExperimentAttribute::ExperimentId => SortValue::Int(e.experiment_id.0),
        ExperimentAttribute::CreationTime => SortValue::Int(e.creation_time),
        ExperimentAttribute::LastUpdateTime => SortValue::Int(e.last_update_time),
    }
}

/// A parsed registered-model order. Empty = `name ASC`; `name ASC` always
/// breaks ties (names are unique), as in MLflow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegisteredModelOrder {
    /// The clauses as given, in priority order.
    pub clauses: Vec<OrderClause<RegisteredModelOrderKey>>,
}

impl RegisteredModelOrder {
    /// Parse `order_by` clauses such as `last_updated_timestamp DESC`.
    pub fn parse(clauses: &[String]) -> Result<RegisteredModelOrder> {
        Ok(RegisteredModelOrder {
            clauses: parse_clauses(clauses, registered_model_order_key)?,
        })
    }

    /// The full order a store must apply.
    pub fn effective_clauses(&self) -> Vec<OrderClause<RegisteredModelOrderKey>> {
        let mut out = self.clauses.clone();
        if !out.iter().any(|c| c.key == RegisteredModelOrderKey::Name) {
            out.push(OrderClause {
                key: RegisteredModelOrderKey::Name,
                ascending: true,
            });
        }
        out
    }
}

/// A parsed model-version order. The given clauses are followed by MLflow's
/// default `name ASC, version_number DESC`, so the order is total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelVersionOrder {
    /// The clauses as given, in priority order.
    pub clauses: Vec<OrderClause<ModelVersionOrderKey>>,
}

impl ModelVersionOrder {
    /// Parse `order_by` clauses such as `version_number DESC`.
    pub fn parse(clauses: &[String]) -> Result<ModelVersionOrder> {
        Ok(ModelVersionOrder {
            clauses: parse_clauses(clauses, model_version_order_key)?,
        })
    }

    /// The full order a store must apply.
    pub fn effective_clauses(&self) -> Vec<OrderClause<ModelVersionOrderKey>> {
        let mut out = self.clauses.clone();
        for (key, ascending) in [
            (ModelVersionOrderKey::Name, true),
            (ModelVersionOrderKey::VersionNumber, false),
        ] {
            if !out.iter().any(|c| c.key == key) {
                out.push(OrderClause { key, ascending });
            }
        }
        out
    }
}
