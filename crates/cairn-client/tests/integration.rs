//! The tracking client against both backends: the embedded store and a real
//! Cairn server on a loopback socket. Every scenario runs on both.

use std::sync::Arc;

use cairn_client::{RunOptions, Tracking};
use cairn_core::store::MetricHistoryQuery;
use cairn_core::{ErrorCode, RunStatus, system_tags};

struct Backend {
    tracking: Tracking,
    _dir: tempfile::TempDir,
    _server: Option<std::thread::JoinHandle<()>>,
}

fn embedded() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let tracking = Tracking::embedded(dir.path().join("cairn.db")).unwrap();
    Backend {
        tracking,
        _dir: dir,
        _server: None,
    }
}

fn served() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store =
        cairn_store::SqliteStore::open(dir.path().join("s.db"), Default::default()).unwrap();
    let artifacts = cairn_artifacts::ArtifactRepo::local(dir.path().join("artifacts")).unwrap();
    let state = cairn_server::AppState::new(Arc::new(store), Some(artifacts), Default::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            cairn_server::serve(state, listener, std::future::pending())
                .await
                .unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    Backend {
        tracking: Tracking::http(&format!("http://{addr}")),
        _dir: dir,
        _server: Some(server),
    }
}

fn both() -> Vec<(&'static str, Backend)> {
    vec![("embedded", embedded()), ("http", served())]
}

#[test]
fn runs_params_metrics_and_tags_round_trip() {
    for (name, b) in both() {
        let mut t = b.tracking.clone();
        let exp = t.set_experiment("client-test").unwrap();
        assert_eq!(
            t.set_experiment("client-test").unwrap(),
            exp,
            "{name}: set_experiment is idempotent"
        );
        let run = t.start_run(RunOptions::new().name("r1")).unwrap();
        assert_eq!(run.experiment_id(), exp, "{name}");
        run.log_param("maxDepth", 6).unwrap();
        run.log_params([("a", "1"), ("b", "2")]).unwrap();
        for step in 0..2500 {
            run.log_metric("loss", 1.0 / (step as f64 + 1.0), step)
                .unwrap();
        }
        run.set_tag("team", "ml").unwrap();
        let id = run.run_id().clone();
        run.end().unwrap();

        let stored = t.store().get_run(&id).unwrap();
        assert_eq!(stored.info.status, RunStatus::Finished, "{name}");
        assert!(stored.info.end_time.is_some(), "{name}");
        assert_eq!(stored.info.run_name, "r1");
        let param = |k: &str| {
            stored
                .params
                .iter()
                .find(|p| p.key == k)
                .map(|p| p.value.clone())
        };
        assert_eq!(param("maxDepth").as_deref(), Some("6"));
        assert_eq!(param("b").as_deref(), Some("2"));
        assert!(
            stored
                .tags
                .iter()
                .any(|t| t.key == "team" && t.value == "ml")
        );
        assert!(stored.tags.iter().any(|t| t.key == system_tags::USER));
        let latest = stored.metrics.iter().find(|m| m.key == "loss").unwrap();
        assert_eq!(
            latest.step, 2499,
            "{name}: latest metric is the highest step"
        );
        let history = t
            .store()
            .metric_history(&MetricHistoryQuery {
                run_id: id,
                key: "loss".into(),
                max_results: None,
                page_token: None,
            })
            .unwrap();
        assert_eq!(
            history.items.len(),
            2500,
            "{name}: every buffered metric was flushed on end"
        );
    }
}

#[test]
fn nested_runs_carry_the_parent_tag() {
    for (name, b) in both() {
        let parent = b.tracking.start_run(RunOptions::new().name("cv")).unwrap();
        let child = parent.start_child("fold-0").unwrap();
        let child_id = child.run_id().clone();
        child.end().unwrap();
        let parent_id = parent.run_id().clone();
        parent.end().unwrap();
        let stored = b.tracking.store().get_run(&child_id).unwrap();
        let tag = stored
            .tags
            .iter()
            .find(|t| t.key == system_tags::PARENT_RUN_ID)
            .unwrap();
        assert_eq!(tag.value, parent_id.as_str(), "{name}");
    }
}

#[test]
fn dropping_an_unended_run_marks_it_failed() {
    for (name, b) in both() {
        let id = {
            let run = b.tracking.start_run(RunOptions::new()).unwrap();
            run.log_metric("x", 1.0, 0).unwrap();
            run.run_id().clone()
        };
        let stored = b.tracking.store().get_run(&id).unwrap();
        assert_eq!(stored.info.status, RunStatus::Failed, "{name}");
        assert_eq!(
            stored.metrics.len(),
            1,
            "{name}: buffered metric flushed on drop"
        );
    }
}

#[test]
fn with_run_fails_on_error_and_on_panic() {
    for (name, b) in both() {
        let mut seen = None;
        let result: Result<(), cairn_core::Error> = b.tracking.with_run(RunOptions::new(), |run| {
            seen = Some(run.run_id().clone());
            Err(cairn_core::Error::invalid("training diverged"))
        });
        assert!(result.is_err());
        let status = b
            .tracking
            .store()
            .get_run(&seen.unwrap())
            .unwrap()
            .info
            .status;
        assert_eq!(status, RunStatus::Failed, "{name}: Err ends FAILED");

        let tracking = b.tracking.clone();
        let id_slot = std::sync::Mutex::new(None);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), cairn_core::Error> = tracking.with_run(RunOptions::new(), |run| {
                *id_slot.lock().unwrap() = Some(run.run_id().clone());
                panic!("boom");
            });
        }));
        assert!(caught.is_err());
        let id = id_slot.lock().unwrap().clone().unwrap();
        assert_eq!(
            b.tracking.store().get_run(&id).unwrap().info.status,
            RunStatus::Failed,
            "{name}: panic ends FAILED"
        );

        let ok: Result<u32, cairn_core::Error> = b.tracking.with_run(RunOptions::new(), |_| Ok(7));
        assert_eq!(ok.unwrap(), 7);
    }
}

#[test]
fn changing_a_param_is_an_error_and_bad_keys_are_refused() {
    for (name, b) in both() {
        let run = b.tracking.start_run(RunOptions::new()).unwrap();
        run.log_param("lr", 0.1).unwrap();
        run.log_param("lr", 0.1).unwrap();
        let err = run.log_param("lr", 0.2).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidParameterValue, "{name}");
        assert!(
            err.message()
                .contains("Changing param values is not allowed"),
            "{name}: {err}"
        );
        assert_eq!(
            run.log_metric("../escape", 1.0, 0).unwrap_err().code(),
            ErrorCode::InvalidParameterValue
        );
        run.end().unwrap();
    }
}

#[test]
fn artifacts_upload_and_list() {
    for (name, b) in both() {
        let run = b.tracking.start_run(RunOptions::new()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("model.json");
        std::fs::write(&file, br#"{"depth": 6}"#).unwrap();
        run.log_artifact(&file, Some("model")).unwrap();
        run.log_text("hello", "notes/readme.txt").unwrap();
        assert!(
            run.log_text("x", "../../etc/passwd").is_err(),
            "{name}: escaping paths refused"
        );
        let id = run.run_id().clone();
        run.end().unwrap();
        let root = b.tracking.list_artifacts(&id, "").unwrap();
        let names: Vec<(&str, bool)> = root.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
        assert_eq!(names, vec![("model", true), ("notes", true)], "{name}");
        let inner = b.tracking.list_artifacts(&id, "model").unwrap();
        assert_eq!(inner.len(), 1, "{name}");
        assert_eq!(inner[0].path, "model/model.json");
        assert_eq!(inner[0].file_size, Some(12));
    }
}

#[test]
fn search_runs_pages_through_everything() {
    for (name, b) in both() {
        let mut t = b.tracking.clone();
        let exp = t.set_experiment("search").unwrap();
        for i in 0..25 {
            let run = t
                .start_run(RunOptions::new().name(format!("r{i}")))
                .unwrap();
            run.end().unwrap();
        }
        let runs = t.search_runs(&[exp], "", &[], 1000).unwrap();
        assert_eq!(runs.len(), 25, "{name}");
        let few = t.search_runs(&[exp], "", &[], 10).unwrap();
        assert_eq!(few.len(), 10, "{name}");
    }
}

#[test]
fn unsupported_uris_are_clear_errors() {
    let err = Tracking::from_uri("file:///tmp/mlruns").unwrap_err();
    assert!(err.message().contains("Unsupported tracking URI"), "{err}");
    let unreachable = Tracking::http("http://127.0.0.1:1");
    let err = unreachable
        .store()
        .get_run(&cairn_core::RunId::generate())
        .unwrap_err();
    assert!(err.message().contains("cannot reach"), "{err}");
}

#[test]
fn overview_counts_agree_on_both_backends() {
    // The embedded store answers with SQL; HttpStore uses the trait's
    // default implementations (search_runs, metric_history). Both must agree.
    for (name, b) in both() {
        let parent = b.tracking.start_run(RunOptions::new().name("cv")).unwrap();
        let parent_id = parent.run_id().clone();
        for i in 0..3 {
            parent
                .start_child(format!("fold-{i}"))
                .unwrap()
                .end()
                .unwrap();
        }
        for step in 0..5 {
            let v = if step == 2 { f64::NAN } else { step as f64 };
            parent.log_metric_at("loss", v, step, 1000 - step).unwrap();
        }
        parent.end().unwrap();
        let store = b.tracking.store();
        let exp = store.get_run(&parent_id).unwrap().info.experiment_id;
        let stats = store.experiment_run_stats(&[exp]).unwrap();
        assert_eq!(stats.len(), 1, "{name}");
        assert_eq!(stats[0].active_runs, 4, "{name}");
        assert!(stats[0].last_run_start.is_some(), "{name}");
        let counts = store.child_run_counts(exp).unwrap();
        assert_eq!(counts, vec![(parent_id.to_string(), 3)], "{name}");
        // whole-history read for charts: history order (timestamp first)
        let points = store.metric_points(&parent_id, "loss").unwrap();
        let steps: Vec<i64> = points.iter().map(|p| p.1).collect();
        assert_eq!(steps, vec![4, 3, 2, 1, 0], "{name}");
        assert!(points[2].2.is_nan() && points[0].2 == 4.0, "{name}");
    }
}
