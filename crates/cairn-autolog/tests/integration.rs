//! Autologging through the embedded store.

use cairn_autolog::fmin_logged;
use cairn_client::{RunOptions, Tracking};
use cairn_core::{RunStatus, system_tags};
use cairn_tune::fmin::FminOptions;
use cairn_tune::trials::{TrialResult, Trials};
use cairn_tune::{Expr, Space, Value, hp};

fn tracking() -> (Tracking, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Tracking::embedded(dir.path().join("t.db")).unwrap(), dir)
}

#[test]
fn every_trial_becomes_a_child_run_with_real_values() {
    let (mut t, _dir) = tracking();
    let exp = t.set_experiment("tune").unwrap();
    let space = Space::new(hp::choice(
        "type",
        [
            Expr::map([
                ("type", Expr::from("svm")),
                ("C", hp::loguniform("C", -3.0, 3.0)),
            ]),
            Expr::map([
                ("type", Expr::from("rf")),
                ("depth", hp::uniformint("depth", 1.0, 10.0)),
            ]),
        ],
    ))
    .unwrap();
    let objective = |p: &Value| -> TrialResult {
        match p["type"].as_str().unwrap() {
            "svm" => TrialResult::ok(p["C"].as_f64().unwrap().ln().abs()),
            _ if p["depth"].as_i64().unwrap() == 3 => TrialResult::fail("depth 3 crashes"),
            _ => TrialResult::ok(0.5 + (p["depth"].as_i64().unwrap() - 5).abs() as f64 / 10.0),
        }
    };
    let mut trials = Trials::new();
    let options = FminOptions::new()
        .max_evals(25)
        .seed(3)
        .show_progressbar(false);
    let (outcome, parent) = fmin_logged(
        objective,
        &space,
        &mut trials,
        options,
        &t,
        RunOptions::new().name("search"),
    )
    .unwrap();

    let children = t
        .search_runs(
            &[exp],
            &format!("tags.mlflow.parentRunId = '{parent}'"),
            &[],
            1000,
        )
        .unwrap();
    assert_eq!(children.len(), 25, "one child run per trial");
    let mut failed = 0;
    for run in &children {
        let ty = run
            .params
            .iter()
            .find(|p| p.key == "type")
            .expect("choice logged")
            .value
            .clone();
        assert!(
            ty == "svm" || ty == "rf",
            "choice logged as its value, got {ty}"
        );
        let has = |k: &str| run.params.iter().any(|p| p.key == k);
        assert_eq!(has("C"), ty == "svm", "only active params are logged");
        assert_eq!(has("depth"), ty == "rf");
        assert!(
            run.tags
                .iter()
                .any(|t| t.key == system_tags::PARENT_RUN_ID && t.value == parent.as_str())
        );
        match run.info.status {
            RunStatus::Finished => assert!(run.metrics.iter().any(|m| m.key == "loss")),
            RunStatus::Failed => {
                failed += 1;
                assert!(
                    run.tags
                        .iter()
                        .any(|t| t.key == "cairn.tuning.error" && t.value.contains("depth 3"))
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let expected_failed = trials.trials().iter().filter(|t| !t.is_ok()).count();
    assert_eq!(failed, expected_failed);

    let parent_run = t.store().get_run(&parent).unwrap();
    assert_eq!(parent_run.info.status, RunStatus::Finished);
    let best = parent_run
        .metrics
        .iter()
        .find(|m| m.key == "best_loss_final")
        .unwrap();
    assert_eq!(best.value, outcome.best_loss);
    assert!(parent_run.params.iter().any(|p| p.key == "best.type"));
}

#[test]
fn a_failed_search_fails_the_parent_run() {
    let (mut t, _dir) = tracking();
    let exp = t.set_experiment("broken").unwrap();
    let space = Space::new(hp::uniform("x", 0.0, 1.0)).unwrap();
    let mut trials = Trials::new();
    // No stop condition: fmin refuses to start.
    let result = fmin_logged(
        |_: &Value| 0.0,
        &space,
        &mut trials,
        FminOptions::new(),
        &t,
        RunOptions::new(),
    );
    assert!(result.is_err());
    let runs = t.search_runs(&[exp], "", &[], 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].info.status, RunStatus::Failed);
}
