//! The reference evaluator: decides a filter against an in-memory run or
//! experiment with MLflow's semantics. Stores compile filters to SQL instead;
//! their tests check that they agree with this.
//!
//! Semantics: metric clauses see the latest value; NaN satisfies only `!=`;
//! a clause on a metric, param, tag (or the `mlflow.runName` tag behind
//! `run_name`) the run lacks is false except `IS NULL`; a missing `end_time`
//! satisfies nothing; dataset clauses hold if any input of the run matches;
//! `=` and `LIKE` are case-sensitive, `ILIKE` ignores ASCII case. Registry
//! filters follow the same rules (a missing tag or `run_id` satisfies nothing).

use super::ast::{
    Comparison, Condition, DatasetField, ExperimentAttribute, ExperimentOperand, Expr,
    ModelVersionOperand, NumberOp, Operand, RegisteredModelOperand, RunAttribute, TextOp,
};
use crate::entities::{Experiment, Run, Tag};
use crate::registry::{ModelVersion, RegisteredModel};
use crate::system_tags;

/// Evaluate `expr`, deciding each comparison with `leaf`.
pub(crate) fn eval<O>(expr: &Expr<O>, leaf: &impl Fn(&Comparison<O>) -> bool) -> bool {
    match expr {
        Expr::And(items) => items.iter().all(|e| eval(e, leaf)),
        Expr::Or(items) => items.iter().any(|e| eval(e, leaf)),
        Expr::Compare(c) => leaf(c),
    }
}

/// Does `value` (missing = `None`) satisfy a numeric condition?
fn number(cond: &Condition, value: Option<f64>) -> bool {
    let (Condition::Number { op, value: rhs }, Some(v)) = (cond, value) else {
        return false;
    };
    if v.is_nan() {
        return *op == NumberOp::Ne;
    }
    match op {
        NumberOp::Eq => v == *rhs,
        NumberOp::Ne => v != *rhs,
        NumberOp::Lt => v < *rhs,
        NumberOp::Le => v <= *rhs,
        NumberOp::Gt => v > *rhs,
        NumberOp::Ge => v >= *rhs,
    }
}

/// Does `value` (missing = `None`) satisfy a string condition?
fn text(cond: &Condition, value: Option<&str>) -> bool {
    match (cond, value) {
        (Condition::Null { negated }, v) => v.is_some() == *negated,
        (_, None) => false,
        (Condition::Text { op, value: rhs }, Some(v)) => match op {
            TextOp::Eq => v == rhs,
            TextOp::Ne => v != rhs,
            TextOp::Like => like(rhs, v, false),
            TextOp::ILike => like(rhs, v, true),
        },
        (Condition::InList { negated, values }, Some(v)) => {
            values.iter().any(|x| x == v) != *negated
        }
        (Condition::Number { .. }, Some(_)) => false,
    }
}

/// SQL `LIKE` without an escape character: `%` matches any run of
/// characters, `_` exactly one; `fold` ignores ASCII case.
pub fn like(pattern: &str, text: &str, fold: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if fold {
            s.chars().map(|c| c.to_ascii_lowercase()).collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    let (mut pi, mut ti) = (0, 0);
    // Where the last `%` was, and the text position it currently absorbs to.
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('%') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '_' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    backtrack = Some((bp, bt + 1));
                    pi = bp + 1;
                    ti = bt + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

pub(crate) fn run_matches(c: &Comparison<Operand>, run: &Run) -> bool {
    let cond = &c.condition;
    let tag = |key: &str| {
        run.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    };
    match &c.operand {
        Operand::Metric(k) => number(
            cond,
            run.metrics.iter().find(|m| &m.key == k).map(|m| m.value),
        ),
        Operand::Param(k) => text(
            cond,
            run.params
                .iter()
                .find(|p| &p.key == k)
                .map(|p| p.value.as_str()),
        ),
        Operand::Tag(k) => text(cond, tag(k)),
        Operand::Attribute(a) => match a {
            RunAttribute::RunId => text(cond, Some(run.info.run_id.as_str())),
            RunAttribute::RunName => text(cond, tag(system_tags::RUN_NAME)),
            RunAttribute::Status => text(cond, Some(run.info.status.as_str())),
            RunAttribute::UserId => text(cond, Some(&run.info.user_id)),
            RunAttribute::ArtifactUri => text(cond, Some(&run.info.artifact_uri)),
            RunAttribute::StartTime => number(cond, Some(run.info.start_time as f64)),
            RunAttribute::EndTime => number(cond, run.info.end_time.map(|t| t as f64)),
            RunAttribute::Duration => number(
                cond,
                run.info.end_time.map(|t| (t - run.info.start_time) as f64),
            ),
        },
        Operand::Dataset(field) => run.inputs.iter().any(|input| {
            let value = match field {
                DatasetField::Name => Some(input.dataset.name.as_str()),
                DatasetField::Digest => Some(input.dataset.digest.as_str()),
                DatasetField::Context => input
                    .tags
                    .iter()
                    .find(|t| t.key == system_tags::DATA_CONTEXT)
                    .map(|t| t.value.as_str()),
            };
            text(cond, value)
        }),
    }
}

pub(crate) fn experiment_matches(c: &Comparison<ExperimentOperand>, e: &Experiment) -> bool {
    let cond = &c.condition;
    match &c.operand {
        ExperimentOperand::Tag(k) => text(
            cond,
            e.tags
                .iter()
                .find(|t| &t.key == k)
                .map(|t| t.value.as_str()),
        ),
        ExperimentOperand::Attribute(a) => match a {
            ExperimentAttribute::Name => text(cond, Some(&e.name)),
            // The parser stores ids canonically, so text equality is id equality.
            ExperimentAttribute::ExperimentId => text(cond, Some(&e.experiment_id.to_string())),
            ExperimentAttribute::CreationTime => number(cond, Some(e.creation_time as f64)),
            ExperimentAttribute::LastUpdateTime => number(cond, Some(e.last_update_time as f64)),
        },
    }
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

pub(crate) fn registered_model_matches(
    c: &Comparison<RegisteredModelOperand>,
    m: &RegisteredModel,
) -> bool {
    match &c.operand {
        RegisteredModelOperand::Name => text(&c.condition, Some(&m.name)),
        RegisteredModelOperand::Tag(k) => text(&c.condition, tag_value(&m.tags, k)),
    }
}

pub(crate) fn model_version_matches(c: &Comparison<ModelVersionOperand>, v: &ModelVersion) -> bool {
    let cond = &c.condition;
    match &c.operand {
        ModelVersionOperand::Name => text(cond, Some(&v.name)),
        ModelVersionOperand::VersionNumber => number(cond, Some(v.version as f64)),
        ModelVersionOperand::RunId => text(cond, v.run_id.as_deref()),
        ModelVersionOperand::SourcePath => text(cond, Some(&v.source)),
        ModelVersionOperand::Tag(k) => text(cond, tag_value(&v.tags, k)),
    }
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_wildcards_and_case() {
        let cases = [
            ("a%", "abc", false, true),
            ("a%", "Abc", false, false),
            ("a%", "Abc", true, true),
            ("%b%", "abc", false, true),
            ("a_c", "abc", false, true),
            ("a_c", "ac", false, false),
            ("%", "", false, true),
            ("_", "", false, false),
            ("%a%b", "xaxxbxb", false, true),
            ("%a%b", "xaxxbxc", false, false),
            ("ü_", "üx", false, true),
            ("Ü%", "üx", true, false), // only ASCII folds, like SQLite
            ("a.c", "abc", false, false),
            ("[a]*", "[a]*", false, true),
        ];
        for (p, t, fold, want) in cases {
            assert_eq!(like(p, t, fold), want, "{p:?} like {t:?} fold={fold}");
        }
    }
}
