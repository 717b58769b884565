//! Bad spaces give typed errors; bad objectives give failed trials.

use cairn_tune::{
    Expr, FminOptions, Space, Status, TrialResult, Trials, TuneError, Value, fmin, hp,
};

fn err(e: Expr) -> TuneError {
    Space::new(e).unwrap_err()
}

#[test]
fn malformed_spaces() {
    assert!(matches!(
        err(Expr::map([("a", Expr::from(1))])),
        TuneError::EmptySpace
    ));
    assert!(matches!(
        err(Expr::list([hp::uniform("x", 0.0, 1.0), hp::normal("x", 0.0, 1.0)])),
        TuneError::DuplicateLabel(l) if l == "x"
    ));
    assert!(matches!(
        err(hp::choice(
            "m",
            [hp::uniform("x", 0.0, 1.0), hp::uniform("x", 0.0, 1.0)]
        )),
        TuneError::DuplicateLabel(_)
    ));
    for bad in [
        hp::uniform("x", 1.0, 1.0),
        hp::uniform("x", 2.0, 1.0),
        hp::uniform("x", f64::NEG_INFINITY, 1.0),
        hp::uniform("x", 0.0, f64::NAN),
        hp::quniform("x", 0.0, 1.0, 0.0),
        hp::quniform("x", 0.0, 1.0, -1.0),
        hp::normal("x", 0.0, 0.0),
        hp::loguniform("x", 0.0, 1000.0),
        hp::randint("x", 0),
        hp::choice::<Expr>("x", []),
        hp::pchoice("x", [(0.5, "a"), (0.2, "b")]),
    ] {
        assert!(
            matches!(err(bad.clone()), TuneError::InvalidDistribution { .. }),
            "{bad:?}"
        );
    }
    for text in [
        "{",
        r#"{"x": {"$hp": "uniform", "low": 0}}"#,
        r#"{"x": {"$hp": "bogus", "low": 0, "high": 1}}"#,
        r#"{"x": {"$hp": "uniform", "low": "a", "high": 1}}"#,
        r#"{"x": {"$hp": "uniform", "low": 0, "high": 1, "extra": 2}}"#,
        r#"{"$hp": "uniform", "low": 0, "high": 1}"#,
    ] {
        assert!(Space::from_json_str(text).is_err(), "{text}");
    }
    assert!(matches!(
        Space::from_yaml_str("a: [1, 2"),
        Err(TuneError::Parse { .. })
    ));
}

#[test]
fn bad_objectives_become_failed_trials() {
    let space = Space::new(Expr::map([("x", hp::uniform("x", 0.0, 6.0))])).unwrap();
    let mut trials = Trials::new();
    let f = |p: &Value| -> Result<TrialResult, String> {
        let x = p["x"].as_f64().unwrap();
        match x as usize {
            0 => Ok(TrialResult::ok(f64::NAN)),
            1 => Ok(TrialResult::ok(f64::INFINITY)),
            2 => Err("boom".into()),
            3 => panic!("objective panicked"),
            4 => Ok(TrialResult {
                loss: None,
                ..TrialResult::ok(0.0)
            }),
            _ => Ok(TrialResult::ok(x)),
        }
    };
    let out = fmin(
        f,
        &space,
        &mut trials,
        FminOptions::new()
            .algo(cairn_tune::Algo::Random)
            .max_evals(60)
            .seed(3)
            .show_progressbar(false),
    )
    .unwrap();
    assert_eq!(trials.len(), 60);
    assert!(out.best_loss >= 5.0);
    let failed: Vec<_> = trials
        .trials()
        .iter()
        .filter(|t| t.result.status == Status::Fail)
        .collect();
    assert!(!failed.is_empty());
    for t in failed {
        let x = t.vals["x"];
        assert!(x < 5.0);
        let reason = t
            .error
            .clone()
            .or_else(|| t.result.extra.get("reason").map(|r| r.to_string()))
            .unwrap();
        let expect = ["NaN", "inf", "boom", "panicked", "no loss"][x as usize];
        assert!(reason.contains(expect), "{reason} vs {expect}");
    }
}

#[test]
fn catch_eval_exceptions_false_returns_typed_error() {
    let space = Space::new(hp::uniform("x", 0.0, 1.0)).unwrap();
    let mut trials = Trials::new();
    let r = fmin(
        |_: &Value| -> Result<f64, String> { Err("nope".into()) },
        &space,
        &mut trials,
        FminOptions::new()
            .max_evals(5)
            .seed(0)
            .catch_eval_exceptions(false)
            .show_progressbar(false),
    );
    assert!(matches!(r, Err(TuneError::Objective { tid: 0, .. })));
    assert_eq!(trials.len(), 1, "the failing trial is recorded");
}

#[test]
fn all_failed_is_an_error_not_a_crash() {
    let space = Space::new(hp::uniform("x", 0.0, 1.0)).unwrap();
    let mut trials = Trials::new();
    let r = fmin(
        |_: &Value| None::<f64>,
        &space,
        &mut trials,
        FminOptions::new()
            .max_evals(3)
            .seed(0)
            .show_progressbar(false),
    );
    assert!(matches!(r, Err(TuneError::AllTrialsFailed)));
    assert_eq!(trials.len(), 3);
}

#[test]
fn bad_options() {
    let space = Space::new(hp::uniform("x", 0.0, 1.0)).unwrap();
    let mut t = Trials::new();
    let f = |_: &Value| 0.0;
    assert!(
        fmin(
            f,
            &space,
            &mut t,
            FminOptions::new().show_progressbar(false)
        )
        .is_err()
    );
    assert!(
        fmin(
            f,
            &space,
            &mut t,
            FminOptions::new().max_evals(1).parallelism(0)
        )
        .is_err()
    );
    let grid = cairn_tune::Algo::Grid.build(&space);
    assert!(matches!(grid, Err(TuneError::UnsupportedSpace { .. })));
}
