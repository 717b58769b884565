//! Table-driven tests of the filter and order grammars, the reference
//! evaluator, and a never-panics property.

use proptest::prelude::*;

use super::*;
use crate::entities::{
    Dataset, DatasetInput, LifecycleStage, Metric, Param, RunInfo, RunStatus, Tag,
};
use crate::error::ErrorCode;
use crate::ids::{ExperimentId, RunId};

fn cmp(operand: Operand, condition: Condition) -> Expr {
    Expr::Compare(Comparison { operand, condition })
}
fn num(op: NumberOp, value: f64) -> Condition {
    Condition::Number { op, value }
}
fn txt(op: TextOp, value: &str) -> Condition {
    Condition::Text {
        op,
        value: value.to_owned(),
    }
}
fn list(negated: bool, values: &[&str]) -> Condition {
    Condition::InList {
        negated,
        values: values.iter().map(|s| s.to_string()).collect(),
    }
}
fn metric(k: &str) -> Operand {
    Operand::Metric(k.to_owned())
}
fn param(k: &str) -> Operand {
    Operand::Param(k.to_owned())
}
fn tag(k: &str) -> Operand {
    Operand::Tag(k.to_owned())
}
fn attr(a: RunAttribute) -> Operand {
    Operand::Attribute(a)
}

fn parse(input: &str) -> Expr {
    match RunFilter::parse(input) {
        Ok(RunFilter { expr: Some(e), .. }) => e,
        other => panic!("{input:?} -> {other:?}"),
    }
}

#[test]
fn empty_filters_match_everything() {
    for input in ["", "   ", "\n\t"] {
        assert_eq!(RunFilter::parse(input).unwrap().expr, None);
        assert_eq!(ExperimentFilter::parse(input).unwrap().expr, None);
    }
}

#[test]
fn valid_run_filters_parse_to_the_expected_tree() {
    use NumberOp::*;
    use RunAttribute::*;
    let cases: Vec<(&str, Expr)> = vec![
        ("metrics.acc > 0.9", cmp(metric("acc"), num(Gt, 0.9))),
        ("metric.acc>=-1", cmp(metric("acc"), num(Ge, -1.0))),
        ("metrics.loss < 1e-3", cmp(metric("loss"), num(Lt, 1e-3))),
        (
            "metrics.loss <= -2.5E+2",
            cmp(metric("loss"), num(Le, -250.0)),
        ),
        ("metrics.loss != .5", cmp(metric("loss"), num(Ne, 0.5))),
        (
            "metrics.big = 1e999",
            cmp(metric("big"), num(Eq, f64::INFINITY)),
        ),
        (
            "metrics.`f1 score` = 1",
            cmp(metric("f1 score"), num(Eq, 1.0)),
        ),
        (
            r#"metrics."f1 score" = 1"#,
            cmp(metric("f1 score"), num(Eq, 1.0)),
        ),
        (
            "metrics.val/loss:x-y = 2",
            cmp(metric("val/loss:x-y"), num(Eq, 2.0)),
        ),
        (
            "params.model = 'tree'",
            cmp(param("model"), txt(TextOp::Eq, "tree")),
        ),
        (
            r#"param.model = "tree""#,
            cmp(param("model"), txt(TextOp::Eq, "tree")),
        ),
        ("parameter.m != 'x'", cmp(param("m"), txt(TextOp::Ne, "x"))),
        (
            "parameters.m LIKE 'a%'",
            cmp(param("m"), txt(TextOp::Like, "a%")),
        ),
        (
            "params.m ilike '%A_'",
            cmp(param("m"), txt(TextOp::ILike, "%A_")),
        ),
        (
            "params.m IS NULL",
            cmp(param("m"), Condition::Null { negated: false }),
        ),
        (
            "params.m is not null",
            cmp(param("m"), Condition::Null { negated: true }),
        ),
        (
            "params.s = 'it''s'",
            cmp(param("s"), txt(TextOp::Eq, "it''s")),
        ),
        (
            r#"params.s = "it's""#,
            cmp(param("s"), txt(TextOp::Eq, "it's")),
        ),
        (
            "tags.mlflow.runName = 'r'",
            cmp(tag("mlflow.runName"), txt(TextOp::Eq, "r")),
        ),
        (
            r#"tags."mlflow.runName" = 'r'"#,
            cmp(tag("mlflow.runName"), txt(TextOp::Eq, "r")),
        ),
        (
            "tag.`a b` IS NOT NULL",
            cmp(tag("a b"), Condition::Null { negated: true }),
        ),
        (
            "attributes.status = 'FINISHED'",
            cmp(attr(Status), txt(TextOp::Eq, "FINISHED")),
        ),
        (
            "attribute.user_id LIKE 'b%'",
            cmp(attr(UserId), txt(TextOp::Like, "b%")),
        ),
        (
            "attr.artifact_uri != 'x'",
            cmp(attr(ArtifactUri), txt(TextOp::Ne, "x")),
        ),
        (
            "run.run_name = 'x'",
            cmp(attr(RunName), txt(TextOp::Eq, "x")),
        ),
        ("run_name = 'x'", cmp(attr(RunName), txt(TextOp::Eq, "x"))),
        ("run name = 'x'", cmp(attr(RunName), txt(TextOp::Eq, "x"))),
        ("Run Name = 'x'", cmp(attr(RunName), txt(TextOp::Eq, "x"))),
        (
            "attributes.`Run name` = 'x'",
            cmp(attr(RunName), txt(TextOp::Eq, "x")),
        ),
        ("created > 5", cmp(attr(StartTime), num(Gt, 5.0))),
        ("attributes.Created > 5", cmp(attr(StartTime), num(Gt, 5.0))),
        ("end_time <= 10", cmp(attr(EndTime), num(Le, 10.0))),
        (
            "attributes.run_id IN ('a', \"b\")",
            cmp(attr(RunId), list(false, &["a", "b"])),
        ),
        ("run_id not in ('a')", cmp(attr(RunId), list(true, &["a"]))),
        (
            "run_id ILIKE 'A%'",
            cmp(attr(RunId), txt(TextOp::ILike, "A%")),
        ),
        (
            "datasets.name = 'mnist'",
            cmp(
                Operand::Dataset(DatasetField::Name),
                txt(TextOp::Eq, "mnist"),
            ),
        ),
        (
            "dataset.digest IN ('x','y')",
            cmp(
                Operand::Dataset(DatasetField::Digest),
                list(false, &["x", "y"]),
            ),
        ),
        (
            "datasets.context LIKE 'train%'",
            cmp(
                Operand::Dataset(DatasetField::Context),
                txt(TextOp::Like, "train%"),
            ),
        ),
        (
            "metrics.a >= 1 and metrics.a < 2",
            Expr::And(vec![
                cmp(metric("a"), num(Ge, 1.0)),
                cmp(metric("a"), num(Lt, 2.0)),
            ]),
        ),
        (
            "metrics.a = 1 OR metrics.b = 2 AND metrics.c = 3",
            Expr::Or(vec![
                cmp(metric("a"), num(Eq, 1.0)),
                Expr::And(vec![
                    cmp(metric("b"), num(Eq, 2.0)),
                    cmp(metric("c"), num(Eq, 3.0)),
                ]),
            ]),
        ),
        (
            "(metrics.a = 1 OR metrics.b = 2) AND metrics.c = 3",
            Expr::And(vec![
                Expr::Or(vec![
                    cmp(metric("a"), num(Eq, 1.0)),
                    cmp(metric("b"), num(Eq, 2.0)),
                ]),
                cmp(metric("c"), num(Eq, 3.0)),
            ]),
        ),
        (
            "metrics.a = 1 and (metrics.b = 2 and (metrics.c = 3))",
            Expr::And(vec![
                cmp(metric("a"), num(Eq, 1.0)),
                cmp(metric("b"), num(Eq, 2.0)),
                cmp(metric("c"), num(Eq, 3.0)),
            ]),
        ),
        ("((((metrics.a = 1))))", cmp(metric("a"), num(Eq, 1.0))),
        (
            "params.p='a'or(params.p='b')",
            Expr::Or(vec![
                cmp(param("p"), txt(TextOp::Eq, "a")),
                cmp(param("p"), txt(TextOp::Eq, "b")),
            ]),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(parse(input), want, "{input}");
    }
}

#[test]
fn invalid_run_filters_name_the_token_and_position() {
    let cases = [
        ("metrics.acc >> 1", "unexpected token '>' at position 13"),
        (
            "metrics.a = 'x'",
            "expected a number for metric 'a' but found 'x' at position 12",
        ),
        (
            "metrics.a = \"1\"",
            "expected a number for metric 'a' but found \"1\" at position 12",
        ),
        (
            "metrics.a IS NULL",
            "comparator 'IS NULL' at position 10 is not supported for metric 'a'",
        ),
        (
            "metrics.a LIKE '1'",
            "comparator 'LIKE' at position 10 is not supported for metric 'a'",
        ),
        (
            "metrics.a IN ('1')",
            "comparator 'IN' at position 10 is not supported",
        ),
        (
            "params.p > 1",
            "comparator '>' at position 9 is not supported for param 'p'",
        ),
        (
            "params.p = 1",
            "expected a quoted string for param 'p' but found '1' at position 11",
        ),
        (
            "params.p IN ('a')",
            "comparator 'IN' at position 9 is not supported for param 'p'",
        ),
        (
            "tags.t <= 'a'",
            "comparator '<=' at position 7 is not supported for tag 't'",
        ),
        (
            "status IN ('A')",
            "comparator 'IN' at position 7 is not supported for attribute 'status'",
        ),
        (
            "run_id NOT IN ('a',)",
            "unexpected token ')' at position 19 (expected a quoted string for attribute 'run_id')",
        ),
        ("run_id IN ()", "unexpected token ')' at position 11"),
        (
            "run_id IN 'a'",
            "unexpected token 'a' at position 10 (expected '(' starting a list",
        ),
        (
            "run_id IN ('a' 'b')",
            "unexpected token 'b' at position 15 (expected ',' or ')')",
        ),
        (
            "start_time = '1'",
            "expected a number for attribute 'start_time' but found '1' at position 13",
        ),
        ("start_time LIKE '1'", "comparator 'LIKE' at position 11"),
        (
            "status IS NULL",
            "comparator 'IS NULL' at position 7 is not supported for attribute 'status'",
        ),
        ("user_id = `x`", "found `x` at position 10"),
        ("foo = 'x'", "invalid attribute 'foo' at position 0"),
        (
            "attributes.lifecycle_stage = 'x'",
            "invalid attribute 'attributes.lifecycle_stage' at position 0",
        ),
        (
            "metricz.a = 1",
            "invalid entity in identifier 'metricz.a' at position 0",
        ),
        (
            "datasets.size = 'x'",
            "invalid dataset field 'datasets.size' at position 0",
        ),
        (
            "metrics. = 1",
            "unexpected token '=' at position 9 (expected a key after 'metrics.')",
        ),
        ("metrics.`` = 1", "empty key in 'metrics.``' at position 0"),
        (
            "metrics.a = 1 metrics.b = 2",
            "unexpected token 'metrics.b' at position 14 (expected AND, OR",
        ),
        (
            "metrics.a = 1 AND",
            "unexpected end of input at position 17",
        ),
        (
            "metrics.a = 1 OR OR metrics.b = 1",
            "unexpected token 'OR' at position 17",
        ),
        (
            "metrics.a",
            "unexpected end of input at position 9 (expected a comparator",
        ),
        ("metrics.a =", "unexpected end of input at position 11"),
        ("metrics.a == 1", "unexpected token '=' at position 11"),
        ("metrics.a <> 1", "unexpected token '>' at position 11"),
        ("metrics.a ! 1", "unexpected character '!' at position 10"),
        (
            "params.p = 'a'; DROP",
            "unexpected character ';' at position 14",
        ),
        (
            "(metrics.a = 1",
            "unexpected end of input at position 14 (expected AND, OR or ')' closing '(' at position 0)",
        ),
        ("metrics.a = 1)", "unexpected token ')' at position 13"),
        ("()", "unexpected token ')' at position 1"),
        ("NOT params.p = 'a'", "unexpected token 'NOT' at position 0"),
        (
            "params.p NOT LIKE 'a'",
            "unexpected token 'LIKE' at position 13 (expected IN after NOT)",
        ),
        (
            "params.p IS 'a'",
            "unexpected token 'a' at position 12 (expected NULL or NOT NULL)",
        ),
        (
            "params.p = 'abc",
            "unterminated quoted text 'abc at position 11",
        ),
        (
            "'params.p' = 'a'",
            "unexpected token 'params.p' at position 0",
        ),
        (
            "tags.é = 'ü' and metrics.x >> 1",
            "unexpected token '>' at position 28",
        ),
    ];
    for (input, want) in cases {
        let err = RunFilter::parse(input).expect_err(input);
        assert_eq!(err.code(), ErrorCode::InvalidParameterValue, "{input}");
        assert!(
            err.message()
                .starts_with(&format!("Invalid filter '{input}': ")),
            "{input}: {}",
            err.message()
        );
        assert!(
            err.message().contains(want),
            "{input}:\n  got  {}\n  want {want}",
            err.message()
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let ok = format!(
        "{}metrics.a = 1{}",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    assert!(RunFilter::parse(&ok).is_ok());
    let deep = format!(
        "{}metrics.a = 1{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let err = RunFilter::parse(&deep).unwrap_err();
    assert!(
        err.message()
            .contains("nested deeper than 64 levels at '(' at position 64"),
        "{}",
        err.message()
    );
    assert!(
        err.message().len() < 400,
        "long inputs are not echoed in full"
    );
}

#[test]
fn experiment_filters() {
    let ok: Vec<(&str, Expr<ExperimentOperand>)> = vec![
        (
            "name LIKE 'exp%'",
            Expr::Compare(Comparison {
                operand: ExperimentOperand::Attribute(ExperimentAttribute::Name),
                condition: txt(TextOp::Like, "exp%"),
            }),
        ),
        (
            "attributes.experiment_id IN ('1', '007') OR tags.team IS NULL",
            Expr::Or(vec![
                Expr::Compare(Comparison {
                    operand: ExperimentOperand::Attribute(ExperimentAttribute::ExperimentId),
                    condition: list(false, &["1", "7"]),
                }),
                Expr::Compare(Comparison {
                    operand: ExperimentOperand::Tag("team".into()),
                    condition: Condition::Null { negated: false },
                }),
            ]),
        ),
        (
            "creation_time >= 10",
            Expr::Compare(Comparison {
                operand: ExperimentOperand::Attribute(ExperimentAttribute::CreationTime),
                condition: num(NumberOp::Ge, 10.0),
            }),
        ),
    ];
    for (input, want) in ok {
        assert_eq!(
            ExperimentFilter::parse(input).unwrap().expr,
            Some(want),
            "{input}"
        );
    }
    let bad = [
        (
            "experiment_id = 1",
            "expected a quoted string for attribute 'experiment_id' but found '1' at position 16",
        ),
        (
            "experiment_id = 'x1'",
            "invalid experiment ID 'x1' at position 16",
        ),
        (
            "experiment_id = '-1'",
            "invalid experiment ID '-1' at position 16",
        ),
        (
            "experiment_id LIKE '1'",
            "comparator 'LIKE' at position 14 is not supported",
        ),
        (
            "name IN ('a')",
            "comparator 'IN' at position 5 is not supported for attribute 'name'",
        ),
        ("name IS NULL", "comparator 'IS NULL' at position 5"),
        ("last_update_time = 'x'", "expected a number"),
        (
            "metrics.a = 1",
            "invalid entity in identifier 'metrics.a' at position 0",
        ),
        (
            "lifecycle_stage = 'active'",
            "invalid experiment attribute 'lifecycle_stage' at position 0",
        ),
    ];
    for (input, want) in bad {
        let err = ExperimentFilter::parse(input).expect_err(input);
        assert!(
            err.message().contains(want),
            "{input}:\n  got  {}\n  want {want}",
            err.message()
        );
    }
}

fn order(clauses: &[&str]) -> Result<RunOrder> {
    RunOrder::parse(&clauses.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

#[test]
fn run_order_parsing() {
    let oc = |key, ascending| OrderClause { key, ascending };
    let cases: Vec<(Vec<&str>, Vec<OrderClause<RunOrderKey>>)> = vec![
        (vec![], vec![]),
        (
            vec!["metrics.acc"],
            vec![oc(RunOrderKey::Metric("acc".into()), true)],
        ),
        (
            vec![
                "metrics.`f1 score` desc",
                "params.p ASC",
                "tags.mlflow.runName DESC",
            ],
            vec![
                oc(RunOrderKey::Metric("f1 score".into()), false),
                oc(RunOrderKey::Param("p".into()), true),
                oc(RunOrderKey::Tag("mlflow.runName".into()), false),
            ],
        ),
        (
            vec!["created DESC"],
            vec![oc(RunOrderKey::Attribute(RunAttribute::StartTime), false)],
        ),
        (
            vec!["Run Name"],
            vec![oc(RunOrderKey::Attribute(RunAttribute::RunName), true)],
        ),
        (
            vec!["attributes.status"],
            vec![oc(RunOrderKey::Attribute(RunAttribute::Status), true)],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(order(&input).unwrap().clauses, want, "{input:?}");
    }
    let bad = [
        (
            vec!["metrics.a", "metric.a DESC"],
            "order_by contains duplicate fields: 'metric.a' at position 0",
        ),
        (
            vec!["start_time", "created DESC"],
            "order_by contains duplicate fields",
        ),
        (
            vec!["metrics.a UP"],
            "Invalid order_by clause 'metrics.a UP': unexpected token 'UP' at position 10",
        ),
        (
            vec!["metrics.a ASC DESC"],
            "unexpected token 'DESC' at position 14",
        ),
        (vec![""], "unexpected end of input at position 0"),
        (
            vec!["datasets.name"],
            "datasets cannot be ordered by; found 'datasets.name' at position 0",
        ),
        (
            vec!["lifecycle_stage"],
            "invalid attribute 'lifecycle_stage' at position 0",
        ),
    ];
    for (input, want) in bad {
        let err = order(&input).expect_err(&format!("{input:?}"));
        assert_eq!(err.code(), ErrorCode::InvalidParameterValue);
        assert!(
            err.message().contains(want),
            "{input:?}:\n  got  {}\n  want {want}",
            err.message()
        );
    }
    let tie = order(&["created ASC"]).unwrap().effective_clauses();
    assert_eq!(tie.len(), 2, "start_time is not repeated: {tie:?}");
    assert_eq!(
        RunOrder::default().effective_clauses(),
        vec![
            oc(RunOrderKey::Attribute(RunAttribute::StartTime), false),
            oc(RunOrderKey::Attribute(RunAttribute::RunId), true)
        ]
    );
}

#[test]
fn experiment_order_parsing() {
    let oc = |key, ascending| OrderClause { key, ascending };
    let parse =
        |c: &[&str]| ExperimentOrder::parse(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        parse(&[]).unwrap().effective_clauses(),
        vec![
            oc(ExperimentAttribute::CreationTime, false),
            oc(ExperimentAttribute::ExperimentId, true)
        ]
    );
    assert_eq!(
        parse(&["name DESC"]).unwrap().effective_clauses(),
        vec![
            oc(ExperimentAttribute::Name, false),
            oc(ExperimentAttribute::ExperimentId, true)
        ]
    );
    assert_eq!(
        parse(&["experiment_id DESC"]).unwrap().effective_clauses(),
        vec![oc(ExperimentAttribute::ExperimentId, false)]
    );
    assert!(
        parse(&["tags.a"])
            .unwrap_err()
            .message()
            .contains("experiments can only be ordered by attributes")
    );
    assert!(
        parse(&["name", "attributes.name"])
            .unwrap_err()
            .message()
            .contains("duplicate fields")
    );
}

fn run(id: &str) -> Run {
    Run {
        info: RunInfo {
            run_id: id.parse::<RunId>().unwrap(),
            experiment_id: ExperimentId(1),
            run_name: format!("name-{id}"),
            user_id: "bob".into(),
            status: RunStatus::Finished,
            start_time: 100,
            end_time: None,
            artifact_uri: format!("file:///a/{id}"),
            lifecycle_stage: LifecycleStage::Active,
        },
        metrics: vec![],
        params: vec![],
        tags: vec![],
        inputs: vec![],
    }
}

#[test]
fn reference_evaluator_follows_mlflow_semantics() {
    let mut r = run("r1");
    r.metrics = vec![
        Metric::new("acc", 0.9, 0, 0),
        Metric::new("nan", f64::NAN, 0, 0),
        Metric::new("inf", f64::INFINITY, 0, 0),
    ];
    r.params = vec![Param::new("model", "Tree")];
    r.tags = vec![Tag::new("mlflow.runName", "best-run")];
    r.inputs = vec![DatasetInput {
        tags: vec![Tag::new("mlflow.data.context", "training")],
        dataset: Dataset {
            name: "mnist".into(),
            digest: "d1".into(),
            source_type: "local".into(),
            source: "{}".into(),
            schema: None,
            profile: None,
        },
    }];
    let cases = [
        ("", true),
        ("metrics.acc > 0.5", true),
        ("metrics.acc > 0.95", false),
        ("metrics.acc != 0.9", false),
        ("metrics.missing != 1", false),
        ("metrics.nan != 1", true),
        ("metrics.nan = 0", false),
        ("metrics.nan < 1e999", false),
        ("metrics.nan >= -1e999", false),
        ("metrics.inf > 1e308", true),
        ("metrics.inf = 1e999", true),
        ("params.model = 'Tree'", true),
        ("params.model = 'tree'", false),
        ("params.model LIKE 't%'", false),
        ("params.model LIKE 'T%'", true),
        ("params.model ILIKE 't%'", true),
        ("params.model != 'x'", true),
        ("params.other != 'x'", false),
        ("params.other IS NULL", true),
        ("params.model IS NULL", false),
        ("params.model IS NOT NULL", true),
        ("run_name = 'best-run'", true),
        ("run_name = 'name-r1'", false),
        ("run_id IN ('r0', 'r1')", true),
        ("run_id NOT IN ('r0', 'r1')", false),
        ("status = 'FINISHED' and start_time = 100", true),
        ("end_time > 0", false),
        ("end_time != 5", false),
        (
            "datasets.name = 'mnist' and datasets.context = 'training'",
            true,
        ),
        ("datasets.digest IN ('x')", false),
        ("datasets.context ILIKE 'TRAIN%'", true),
        ("metrics.acc > 0.95 or params.model = 'Tree'", true),
        ("metrics.acc > 0.95 or params.model = 'x'", false),
        (
            "(metrics.acc > 0.95 or params.model = 'Tree') and run_id = 'r2'",
            false,
        ),
        (
            "metrics.acc > 0.95 or params.model = 'Tree' and run_id = 'r2'",
            false,
        ),
        (
            "run_id = 'r2' and metrics.acc > 0.95 or params.model = 'Tree'",
            true,
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(
            RunFilter::parse(filter).unwrap().matches(&r),
            want,
            "{filter}"
        );
    }
}

#[test]
fn reference_order_puts_values_then_nan_then_missing() {
    let mk = |id: &str, v: Option<f64>| {
        let mut r = run(id);
        r.metrics = v.map(|v| Metric::new("m", v, 0, 0)).into_iter().collect();
        r
    };
    let runs = [
        mk("a", None),
        mk("b", Some(f64::NAN)),
        mk("c", Some(1.0)),
        mk("d", Some(2.0)),
        mk("e", Some(-1.0)),
    ];
    for (clause, want) in [("metrics.m ASC", "ecdba"), ("metrics.m DESC", "dceba")] {
        let o = order(&[clause]).unwrap();
        let mut sorted = runs.clone();
        sorted.sort_by(|x, y| o.compare(x, y));
        let got: String = sorted.iter().map(|r| r.info.run_id.as_str()).collect();
        assert_eq!(got, want, "{clause}");
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_input(s in any::<String>()) {
        let _ = RunFilter::parse(&s);
        let _ = ExperimentFilter::parse(&s);
        let _ = RunOrder::parse(std::slice::from_ref(&s));
        let _ = ExperimentOrder::parse(&[s]);
    }

    #[test]
    fn never_panics_on_token_soup(parts in proptest::collection::vec(prop_oneof![
        Just("metrics.a"), Just("params.`p q`"), Just("tags."), Just("\"x\""), Just("'v'"), Just("`k`"),
        Just("-1.5e3"), Just("."), Just("AND"), Just("or"), Just("NOT"), Just("IN"), Just("IS"), Just("NULL"),
        Just("LIKE"), Just("("), Just(")"), Just(","), Just("="), Just("!="), Just(">="), Just("<"),
        Just(" "), Just("run"), Just("name"), Just("'"), Just("é"), Just("DESC"),
    ], 0..24)) {
        let s: String = parts.concat();
        let r = RunFilter::parse(&s);
        if let Err(e) = &r {
            prop_assert_eq!(e.code(), ErrorCode::InvalidParameterValue);
            prop_assert!(e.message().contains("position"), "{}", e.message());
        }
        let _ = ExperimentFilter::parse(&s);
        let _ = RunOrder::parse(&[s]);
    }
}

#[test]
fn registry_filters_and_orders() {
    use super::{
        ModelVersionFilter, ModelVersionOperand, ModelVersionOrder, ModelVersionOrderKey,
        RegisteredModelFilter, RegisteredModelOperand, RegisteredModelOrder,
    };
    let f = RegisteredModelFilter::parse("name ILIKE '%fraud%' AND tags.team = 'a'").unwrap();
    let Some(Expr::And(items)) = f.expr else {
        panic!("expected AND")
    };
    assert_eq!(
        items[0],
        Expr::Compare(Comparison {
            operand: RegisteredModelOperand::Name,
            condition: txt(TextOp::ILike, "%fraud%"),
        })
    );
    assert!(RegisteredModelFilter::parse("").unwrap().expr.is_none());
    for bad in [
        "run_id = 'x'",
        "name > 3",
        "tags.t IN ('a')",
        "metrics.a = 1",
        "name =",
    ] {
        assert!(RegisteredModelFilter::parse(bad).is_err(), "{bad}");
    }
    let v = ModelVersionFilter::parse("version_number >= 2 AND run_id IN ('a', 'b')").unwrap();
    let Some(Expr::And(items)) = v.expr else {
        panic!("expected AND")
    };
    assert_eq!(
        items[0],
        Expr::Compare(Comparison {
            operand: ModelVersionOperand::VersionNumber,
            condition: num(NumberOp::Ge, 2.0),
        })
    );
    for ok in ["source_path LIKE 'runs:/%'", "tags.k != 'v'", "name = 'm'"] {
        assert!(ModelVersionFilter::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "version_number = 'x'",
        "stage = 'None'",
        "source_path IN ('a')",
    ] {
        assert!(ModelVersionFilter::parse(bad).is_err(), "{bad}");
    }
    let o = RegisteredModelOrder::parse(&["timestamp DESC".into()]).unwrap();
    assert_eq!(o.effective_clauses().len(), 2);
    assert!(RegisteredModelOrder::parse(&["version_number".into()]).is_err());
    let o = ModelVersionOrder::parse(&["version_number ASC".into()]).unwrap();
    let eff = o.effective_clauses();
    assert_eq!(eff[0].key, ModelVersionOrderKey::VersionNumber);
    assert!(eff[0].ascending);
    assert_eq!(eff.len(), 2);
    assert!(ModelVersionOrder::parse(&["tags.x".into()]).is_err());
}

#[test]
fn registry_searches_leave_out_prompts_unless_asked() {
    use super::{ModelVersionFilter, RegisteredModelFilter};
    let plain = RegisteredModelFilter::parse("").unwrap();
    assert!(plain.exclude_prompts && plain.expr.is_none());
    // What the official client appends to every model search.
    let f = RegisteredModelFilter::parse("name = 'm' AND tags.`mlflow.prompt.is_prompt` != 'true'")
        .unwrap();
    assert!(f.exclude_prompts);
    assert!(matches!(f.expr, Some(Expr::Compare(_))));
    let f = RegisteredModelFilter::parse("tag.`mlflow.prompt.is_prompt` != 'true'").unwrap();
    assert!(f.exclude_prompts && f.expr.is_none());
    let p = RegisteredModelFilter::parse("tags.`mlflow.prompt.is_prompt` = 'TRUE'").unwrap();
    assert!(!p.exclude_prompts && p.expr.is_some());
    let v = ModelVersionFilter::parse("tags.`mlflow.prompt.is_prompt` != 'false'").unwrap();
    assert!(!v.exclude_prompts);
}
