//! MLflow's search filter language for runs, experiments and the model
//! registry, extended with
//! `OR` and parentheses: parsed into a typed AST that stores compile to SQL.
//!
//! Entry points: [`RunFilter::parse`], [`RunOrder::parse`],
//! [`ExperimentFilter::parse`], [`ExperimentOrder::parse`]. Every failure is
//! `INVALID_PARAMETER_VALUE` with a message naming the offending token and
//! its 0-based character position. The parser never panics and bounds its
//! recursion ([`MAX_NESTING`] levels of parentheses).
//!
//! Module map: `lexer` (tokens with positions), `parser` (grammar shared by
//! runs and experiments), `schema` (what identifiers mean and MLflow's type
//! rules), [`ast`] (the public tree), `order` (`order_by`), `eval` (the
//! in-memory reference semantics).

pub mod ast;
mod eval;
mod lexer;
mod order;
mod parser;
mod schema;
#[cfg(test)]
mod tests;

pub use ast::{
    Comparison, Condition, DatasetField, ExperimentAttribute, ExperimentOperand, Expr,
    ModelVersionOperand, ModelVersionOrderKey, NumberOp, Operand, OrderClause,
    RegisteredModelOperand, RegisteredModelOrderKey, RunAttribute, RunOrderKey, TextOp,
};
pub use eval::like;
pub use order::{ExperimentOrder, ModelVersionOrder, RegisteredModelOrder, RunOrder};

use crate::entities::{Experiment, Run};
use crate::error::{Error, Result};
use crate::registry::{ModelVersion, RegisteredModel};

/// Deepest nesting of parentheses a filter may use.
pub const MAX_NESTING: usize = parser::MAX_DEPTH;

/// Longest input echoed back in an error message.
const ECHO_LIMIT: usize = 200;

fn filter_error(input: &str, e: lexer::SyntaxError) -> Error {
    let echoed: String = if input.chars().count() > ECHO_LIMIT {
        input
            .chars()
            .take(ECHO_LIMIT)
            .chain("...".chars())
            .collect()
    } else {
        input.to_owned()
    };
    Error::invalid(format!("Invalid filter '{echoed}': {}", e.0))
}

/// A parsed run filter. The default (and an empty filter) matches every run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    /// The expression; `None` matches everything.
    pub expr: Option<Expr<Operand>>,
    /// The text it was parsed from (what an HTTP client sends on).
    pub source: String,
}

impl RunFilter {
    /// Parse a filter string; empty or blank matches everything.
    pub fn parse(input: &str) -> Result<RunFilter> {
        let expr =
            parser::parse_filter::<schema::RunSchema>(input).map_err(|e| filter_error(input, e))?;
        Ok(RunFilter {
            expr,
            source: input.to_owned(),
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `run` passes the filter (the reference semantics; stores
    /// evaluate the same thing in SQL). `run.metrics` must hold the latest
    /// value per key.
    pub fn matches(&self, run: &Run) -> bool {
        self.expr
            .as_ref()
            .is_none_or(|e| eval::eval(e, &|c| eval::run_matches(c, run)))
    }
}

/// A parsed experiment filter. The default matches every experiment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentFilter {
    /// The expression; `None` matches everything.
    pub expr: Option<Expr<ExperimentOperand>>,
    /// The text it was parsed from (what an HTTP client sends on).
    pub source: String,
}

impl ExperimentFilter {
    /// Parse a filter string; empty or blank matches everything.
    pub fn parse(input: &str) -> Result<ExperimentFilter> {
        let expr = parser::parse_filter::<schema::ExperimentSchema>(input)
            .map_err(|e| filter_error(input, e))?;
        Ok(ExperimentFilter {
            expr,
            source: input.to_owned(),
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `experiment` passes the filter.
    pub fn matches(&self, experiment: &Experiment) -> bool {
        self.expr
            .as_ref()
            .is_none_or(|e| eval::eval(e, &|c| eval::experiment_matches(c, experiment)))
    }
}

/// The tag that marks a registered model (and its versions) as a prompt.
pub const IS_PROMPT_TAG: &str = "mlflow.prompt.is_prompt";

/// MLflow's prompt rule for registry searches: prompts live in the model
/// registry as models tagged `mlflow.prompt.is_prompt = 'true'`, and a
/// search returns only ordinary models unless a top-level comparison asks
/// for prompts (`= 'true'` or `!= 'false'`). Otherwise those top-level
/// prompt-tag comparisons are dropped (the client adds `!= 'true'`, which
/// untagged models would fail) and prompts are excluded. Returns the
/// remaining expression and whether prompts must be excluded.
fn split_prompt_clauses<O>(
    expr: Option<Expr<O>>,
    prompt_tag: impl Fn(&O) -> bool,
) -> (Option<Expr<O>>, bool) {
    let is_prompt_clause = |e: &Expr<O>| matches!(e, Expr::Compare(c) if prompt_tag(&c.operand));
    let asks_for_prompts = |e: &Expr<O>| match e {
        Expr::Compare(c) if prompt_tag(&c.operand) => match &c.condition {
            Condition::Text {
                op: TextOp::Eq,
                value,
            } => value.eq_ignore_ascii_case("true"),
            Condition::Text {
                op: TextOp::Ne,
                value,
            } => value.eq_ignore_ascii_case("false"),
            _ => false,
        },
        _ => false,
    };
    let top: Vec<&Expr<O>> = match &expr {
        Some(Expr::And(items)) => items.iter().collect(),
        Some(e) => vec![e],
        None => vec![],
    };
    if top.iter().any(|e| asks_for_prompts(e)) {
        return (expr, false);
    }
    let expr = match expr {
        Some(Expr::And(items)) => {
            let mut rest: Vec<Expr<O>> =
                items.into_iter().filter(|e| !is_prompt_clause(e)).collect();
            match rest.len() {
                0 => None,
                1 => rest.pop(),
                _ => Some(Expr::And(rest)),
            }
        }
        Some(e) if is_prompt_clause(&e) => None,
        other => other,
    };
    (expr, true)
}

/// A parsed registered-model filter (`name`, `tags.<key>`). The default
/// matches every model that is not a prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredModelFilter {
    /// The expression; `None` matches everything.
    pub expr: Option<Expr<RegisteredModelOperand>>,
    /// Leave out prompts (see [`IS_PROMPT_TAG`]); `false` only when the
    /// filter asks for prompts.
    pub exclude_prompts: bool,
}

impl RegisteredModelFilter {
    /// Parse a filter string; empty or blank matches every non-prompt model.
    pub fn parse(input: &str) -> Result<RegisteredModelFilter> {
        let expr = parser::parse_filter::<schema::RegisteredModelSchema>(input)
            .map_err(|e| filter_error(input, e))?;
        let (expr, exclude_prompts) = split_prompt_clauses(
            expr,
            |o| matches!(o, RegisteredModelOperand::Tag(k) if k == IS_PROMPT_TAG),
        );
        Ok(RegisteredModelFilter {
            expr,
            exclude_prompts,
        })
    }

    /// Whether `model` passes the filter (the reference semantics; stores
    /// evaluate the same thing in SQL). `is_prompt`: the model or one of its
    /// versions carries `mlflow.prompt.is_prompt = 'true'`.
    pub fn matches(&self, model: &RegisteredModel, is_prompt: bool) -> bool {
        !(self.exclude_prompts && is_prompt)
            && self
                .expr
                .as_ref()
                .is_none_or(|e| eval::eval(e, &|c| eval::registered_model_matches(c, model)))
    }
}

/// A parsed model-version filter (`name`, `version_number`, `run_id`,
/// `source_path`, `tags.<key>`). The default matches every version that is
/// not a prompt's.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersionFilter {
    /// The expression; `None` matches everything.
    pub expr: Option<Expr<ModelVersionOperand>>,
    /// Leave out versions of prompts (see [`IS_PROMPT_TAG`]).
    pub exclude_prompts: bool,
}

impl ModelVersionFilter {
    /// Parse a filter string; empty or blank matches every non-prompt version.
    pub fn parse(input: &str) -> Result<ModelVersionFilter> {
        let expr = parser::parse_filter::<schema::ModelVersionSchema>(input)
            .map_err(|e| filter_error(input, e))?;
        let (expr, exclude_prompts) = split_prompt_clauses(
            expr,
            |o| matches!(o, ModelVersionOperand::Tag(k) if k == IS_PROMPT_TAG),
        );
        Ok(ModelVersionFilter {
            expr,
            exclude_prompts,
        })
    }

    /// Whether `version` passes the filter (the reference semantics).
    /// `is_prompt`: its model is a prompt (see [`RegisteredModelFilter::matches`]).
    pub fn matches(&self, version: &ModelVersion, is_prompt: bool) -> bool {
        !(self.exclude_prompts && is_prompt)
            && self
                .expr
                .as_ref()
                .is_none_or(|e| eval::eval(e, &|c| eval::model_version_matches(c, version)))
    }
}
