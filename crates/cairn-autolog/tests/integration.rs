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

mod model_selection {
    use cairn_autolog::{Parent, fit_logged, log_pipeline_model};
    use cairn_client::{RunOptions, Tracking};
    use cairn_core::RunStatus;
    use cairn_ml::evaluation::MulticlassClassificationEvaluator;
    use cairn_ml::prelude::*;

    fn iris() -> Dataset {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/datasets/iris.csv");
        read_csv(path, &CsvOptions::with_label("target")).unwrap()
    }

    #[test]
    fn cross_validation_logs_one_child_per_param_map() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tracking::embedded(dir.path().join("t.db")).unwrap();
        let exp = t.set_experiment("cv").unwrap();
        let data = iris();
        let pipeline = Pipeline::new()
            .named("indexer", StringIndexer::new())
            .named("dt", DecisionTreeClassifier::new());
        let grid = ParamGridBuilder::new()
            .add_grid("maxDepth", [1, 2, 4])
            .add_grid("maxBins", [4, 16])
            .build();
        let evaluator = MulticlassClassificationEvaluator::new("weightedPrecision").unwrap();
        let cv = CrossValidator::new(pipeline, grid, &evaluator)
            .num_folds(3)
            .seed(42)
            .parallelism(2);
        let parent = t.start_run(RunOptions::new().name("cv")).unwrap();
        let model = fit_logged(
            &t,
            Parent::Active(&parent),
            &[("numFolds", "3".into())],
            |obs| cv.fit_with(&data, obs),
        )
        .unwrap();
        log_pipeline_model(&parent, &model.best_model, "model").unwrap();
        let parent_id = parent.run_id().clone();
        parent.end().unwrap();

        let children = t
            .search_runs(
                &[exp],
                &format!("tags.mlflow.parentRunId = '{parent_id}'"),
                &[],
                100,
            )
            .unwrap();
        assert_eq!(children.len(), 6);
        let depth2 = t
            .search_runs(&[exp], "params.maxDepth = '2'", &[], 100)
            .unwrap();
        assert_eq!(
            depth2.len(),
            2,
            "the runs search by the grid's param name finds the candidates"
        );
        for run in &children {
            assert_eq!(run.info.status, RunStatus::Finished);
            assert!(
                run.params.iter().any(|p| p.key == "dt.impurity"),
                "every stage param is logged"
            );
            let wp = run
                .metrics
                .iter()
                .find(|m| m.key == "weightedPrecision")
                .unwrap();
            assert!(wp.value > 0.2 && wp.value <= 1.0);
        }
        let stored = t.store().get_run(&parent_id).unwrap();
        assert!(stored.params.iter().any(|p| p.key == "best.maxDepth"));
        assert!(
            stored
                .params
                .iter()
                .any(|p| p.key == "numFolds" && p.value == "3")
        );
        let best = stored
            .metrics
            .iter()
            .find(|m| m.key == "best_avg_metric")
            .unwrap();
        assert_eq!(best.value, model.avg_metrics[model.best_index]);

        // The saved model comes back and predicts identically.
        let files = t.list_artifacts(&parent_id, "model").unwrap();
        assert!(!files.is_empty());
        let local = dir
            .path()
            .join("artifacts")
            .join(format!("{exp}/{parent_id}/artifacts/model"));
        let loaded = PipelineModel::load(&local).unwrap();
        let a = model.best_model.transform(&data).unwrap();
        let b = loaded.transform(&data).unwrap();
        assert_eq!(a.prediction(), b.prediction());
    }

    #[test]
    fn a_failing_fit_fails_the_run_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tracking::embedded(dir.path().join("t.db")).unwrap();
        let exp = t.set_experiment("bad").unwrap();
        let data = iris();
        let grid = ParamGridBuilder::new().add_grid("maxDepth", [-1]).build();
        let evaluator = MulticlassClassificationEvaluator::new("accuracy").unwrap();
        let cv = CrossValidator::new(DecisionTreeClassifier::new(), grid, &evaluator);
        let err = fit_logged(&t, Parent::New(RunOptions::new()), &[], |obs| {
            cv.fit_with(&data, obs)
        })
        .unwrap_err();
        assert!(err.to_string().contains("maxDepth"), "{err}");
        let runs = t.search_runs(&[exp], "", &[], 10).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].info.status, RunStatus::Failed);
    }
}
