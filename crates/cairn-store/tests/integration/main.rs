//! Store-level integration tests through the `TrackingStore` trait on a
//! temp-file `SqliteStore`: concurrency and group commit, reopening,
//! migrations, the Default experiment, metric history and sampling; the
//! chunked history layout (`history`) and metric-ordered paging
//! (`search_pages`) in their own modules. One binary for the crate.

mod history;
mod registry;
mod search_pages;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::search::{ExperimentFilter, ExperimentOrder, RunFilter, RunOrder};
use cairn_core::store::{
    BulkIntervalQuery, ExperimentSearch, MetricHistoryQuery, RunSearch, RunUpdate, TrackingStore,
};
use cairn_core::{
    ErrorCode, ExperimentId, LifecycleStage, Metric, Param, RunId, RunStatus, Tag, ViewType,
};
use cairn_store::{Durability, SqliteStore, StoreOptions};

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, StoreOptions::default()).expect("open store")
}

fn open_fast(path: &Path) -> SqliteStore {
    SqliteStore::open(
        path,
        StoreOptions {
            durability: Durability::Normal,
            ..StoreOptions::default()
        },
    )
    .expect("open store")
}

/// A database file with the schema of an older build: the first
/// `migrations.len()` migrations applied and recorded as that build did, so
/// a test can fill it the old way and open it with the current store.
fn old_schema(path: &Path, migrations: &[&str]) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);",
    )
    .unwrap();
    for (i, sql) in migrations.iter().enumerate() {
        conn.execute_batch(sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, 0)",
            [i as i64 + 1],
        )
        .unwrap();
    }
    conn
}

fn new_run(store: &dyn TrackingStore, exp: ExperimentId) -> RunId {
    let new = NewRun::new(exp, "tester".into(), None, 1_000, vec![]).unwrap();
    store.create_run(new).unwrap().info.run_id
}

fn history(store: &dyn TrackingStore, run: &RunId, key: &str) -> Vec<Metric> {
    store
        .metric_history(&MetricHistoryQuery {
            run_id: run.clone(),
            key: key.into(),
            max_results: None,
            page_token: None,
        })
        .unwrap()
        .items
}

fn run_search(exp: ExperimentId, view: ViewType) -> RunSearch {
    RunSearch {
        experiment_ids: vec![exp],
        filter: RunFilter::parse("").unwrap(),
        order: RunOrder::parse(&[]).unwrap(),
        view_type: view,
        max_results: 1000,
        page_token: None,
    }
}

mod basics {
    use super::*;

    #[test]
    fn default_experiment_exists_with_id_zero() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("db.sqlite"));
        let e = store.get_experiment(ExperimentId::DEFAULT).unwrap();
        assert_eq!(e.experiment_id, ExperimentId(0));
        assert_eq!(e.name, "Default");
        assert_eq!(e.lifecycle_stage, LifecycleStage::Active);
        assert_eq!(e.artifact_location, "mlflow-artifacts:/0");
        assert_eq!(store.get_experiment_by_name("Default").unwrap(), e);
        // The first user experiment is 1.
        let id = store
            .create_experiment(NewExperiment::new("first".into(), None, vec![]).unwrap())
            .unwrap();
        assert_eq!(id, ExperimentId(1));
    }

    #[test]
    fn custom_artifact_root_is_used_for_new_experiments_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            dir.path().join("db.sqlite"),
            StoreOptions {
                default_artifact_root: "s3://bucket/root/".into(),
                durability: Durability::Normal,
            },
        )
        .unwrap();
        assert_eq!(
            store
                .get_experiment(ExperimentId(0))
                .unwrap()
                .artifact_location,
            "s3://bucket/root/0"
        );
        let id = store
            .create_experiment(NewExperiment::new("x".into(), None, vec![]).unwrap())
            .unwrap();
        let run = new_run(&store, id);
        assert_eq!(
            store.get_run(&run).unwrap().info.artifact_uri,
            format!("s3://bucket/root/{id}/{run}/artifacts")
        );
    }

    #[test]
    fn unknown_ids_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let ghost: RunId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(
            store.get_run(&ghost).unwrap_err().code(),
            ErrorCode::ResourceDoesNotExist
        );
        assert_eq!(
            store
                .log_batch(&ghost, &RunBatch::param(Param::new("a", "b")).unwrap())
                .unwrap_err()
                .code(),
            ErrorCode::ResourceDoesNotExist
        );
        assert_eq!(
            store.get_experiment(ExperimentId(99)).unwrap_err().code(),
            ErrorCode::ResourceDoesNotExist
        );
    }

    #[test]
    fn path_from_uri_forms() {
        assert_eq!(
            SqliteStore::path_from_uri("sqlite:///rel/x.db").unwrap(),
            Path::new("rel/x.db")
        );
        assert_eq!(
            SqliteStore::path_from_uri("sqlite:////abs/x.db").unwrap(),
            Path::new("/abs/x.db")
        );
        assert_eq!(
            SqliteStore::path_from_uri("plain.db").unwrap(),
            Path::new("plain.db")
        );
        assert!(SqliteStore::path_from_uri("sqlite://").is_err());
        assert!(SqliteStore::path_from_uri("postgresql://h/db").is_err());
    }
}

mod reopen {
    use super::*;

    /// A database written by a version-4 build (params, tags and latest
    /// metrics keyed by run_uuid) keeps every row through migration 5,
    /// which re-keys those tables by run_key, and searches still find them.
    #[test]
    fn version_4_rows_survive_the_run_key_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.sqlite");
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        {
            let conn = old_schema(
                &path,
                &[
                    include_str!("../../migrations/0001_init.sql"),
                    include_str!("../../migrations/0002_metric_history_by_run_key.sql"),
                    include_str!("../../migrations/0003_runs_lookup_index.sql"),
                    include_str!("../../migrations/0004_metric_blocks.sql"),
                ],
            );
            conn.execute_batch(&format!(
                "INSERT INTO experiments VALUES (0, 'Default', 'file:///art/0', 'active', 0, 0);
                 INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time,
                                   lifecycle_stage, artifact_uri, run_key)
                 VALUES ('{a}', 0, 'ra', 'u', 'FINISHED', 10, 'active', 'file:///x', 7),
                        ('{b}', 0, 'rb', 'u', 'FINISHED', 20, 'active', 'file:///y', 3);
                 INSERT INTO params VALUES ('{a}', 'p1', 'x'), ('{a}', 'p2', 'y'), ('{b}', 'p1', 'z');
                 INSERT INTO tags VALUES ('{a}', 'mlflow.runName', 'ra'), ('{b}', 'mlflow.runName', 'rb');
                 INSERT INTO latest_metrics VALUES ('{a}', 'm', 0.25, 5, 2, 0), ('{b}', 'm', 0, 6, 1, 1);"
            ))
            .unwrap();
        }
        let store = open(&path);
        let ra = store.get_run(&a.parse().unwrap()).unwrap();
        assert_eq!(
            ra.params,
            vec![Param::new("p1", "x"), Param::new("p2", "y")]
        );
        assert_eq!(ra.tags, vec![Tag::new("mlflow.runName", "ra")]);
        assert_eq!(ra.metrics, vec![Metric::new("m", 0.25, 5, 2)]);
        let rb = store.get_run(&b.parse().unwrap()).unwrap();
        assert_eq!(rb.params, vec![Param::new("p1", "z")]);
        assert!(rb.metrics[0].value.is_nan());
        let mut q = run_search(ExperimentId(0), ViewType::ActiveOnly);
        q.filter = RunFilter::parse("params.p1 = 'x' and metrics.m < 1").unwrap();
        let found = store.search_runs(&q).unwrap();
        let ids: Vec<String> = found
            .items
            .iter()
            .map(|r| r.info.run_id.to_string())
            .collect();
        assert_eq!(ids, vec![a.clone()]);
        // New writes to a migrated run land under its (old) run_key.
        let batch = RunBatch::new(vec![], vec![Param::new("p3", "new")], vec![]).unwrap();
        store.log_batch(&b.parse().unwrap(), &batch).unwrap();
        let rb = store.get_run(&b.parse().unwrap()).unwrap();
        assert_eq!(
            rb.params,
            vec![Param::new("p1", "z"), Param::new("p3", "new")]
        );
    }

    #[test]
    fn data_survives_reopen_and_migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/db.sqlite");
        let (exp, run) = {
            let store = open(&path);
            let exp = store
                .create_experiment(
                    NewExperiment::new("kept".into(), None, vec![Tag::new("k", "v")]).unwrap(),
                )
                .unwrap();
            let run = new_run(&store, exp);
            let batch = RunBatch::new(
                (0..50)
                    .map(|i| Metric::new("loss", 1.0 / (i + 1) as f64, i, i))
                    .collect(),
                vec![Param::new("lr", "0.1")],
                vec![Tag::new("t", "x")],
            )
            .unwrap();
            store.log_batch(&run, &batch).unwrap();
            store
                .update_run(
                    &run,
                    RunUpdate {
                        status: Some(RunStatus::Finished),
                        end_time: Some(5_000),
                        run_name: Some("final".into()),
                    },
                )
                .unwrap();
            store.shutdown();
            (exp, run)
        };
        let snapshot = {
            let store = open(&path);
            store.get_run(&run).unwrap()
        };
        // Open a few more times: migrations must not re-run or fail, and the
        // Default experiment must not be duplicated or reset.
        for _ in 0..3 {
            let store = open(&path);
            assert_eq!(store.get_run(&run).unwrap(), snapshot);
            let e = store.get_experiment(exp).unwrap();
            assert_eq!(e.name, "kept");
            assert_eq!(e.tags, vec![Tag::new("k", "v")]);
            assert_eq!(history(&store, &run, "loss").len(), 50);
            let page = store
                .search_experiments(&ExperimentSearch {
                    filter: ExperimentFilter::parse("").unwrap(),
                    order: ExperimentOrder::parse(&[]).unwrap(),
                    view_type: ViewType::All,
                    max_results: 100,
                    page_token: None,
                })
                .unwrap();
            assert_eq!(page.items.len(), 2);
        }
        assert_eq!(snapshot.info.status, RunStatus::Finished);
        assert_eq!(snapshot.info.end_time, Some(5_000));
        assert_eq!(snapshot.info.run_name, "final");
        assert_eq!(snapshot.params, vec![Param::new("lr", "0.1")]);
        // Each migration is recorded exactly once, however often we reopen.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let (rows, distinct): (i64, i64) = conn
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(rows >= 1);
        assert_eq!(rows, distinct);
        let defaults: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM experiments WHERE name = 'Default'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(defaults, 1);
    }

    #[test]
    fn dropping_the_store_flushes_acknowledged_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let run = {
            let store = open_fast(&path);
            let run = new_run(&store, ExperimentId::DEFAULT);
            for i in 0..200 {
                store
                    .log_batch(
                        &run,
                        &RunBatch::metric(Metric::new("m", i as f64, i, i)).unwrap(),
                    )
                    .unwrap();
            }
            run
        }; // dropped without an explicit shutdown
        let store = open_fast(&path);
        assert_eq!(history(&store, &run, "m").len(), 200);
    }
}

mod concurrency {
    use super::*;

    #[test]
    fn concurrent_writers_to_different_and_same_runs_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir.path().join("db.sqlite")));
        let shared = new_run(store.as_ref(), ExperimentId::DEFAULT);
        let threads = 8;
        let per_thread = 60;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let store = Arc::clone(&store);
                let shared = shared.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    let own = new_run(store.as_ref(), ExperimentId::DEFAULT);
                    barrier.wait();
                    for i in 0..per_thread {
                        let step = (t * per_thread + i) as i64;
                        store
                            .log_batch(
                                &shared,
                                &RunBatch::metric(Metric::new("shared", step as f64, step, step))
                                    .unwrap(),
                            )
                            .unwrap();
                        store
                            .log_batch(
                                &own,
                                &RunBatch::new(
                                    vec![Metric::new("own", i as f64, i as i64, i as i64)],
                                    vec![Param::new(format!("p{i}"), t.to_string())],
                                    vec![],
                                )
                                .unwrap(),
                            )
                            .unwrap();
                        // Same param, same value, from every thread: always fine.
                        store
                            .log_batch(
                                &shared,
                                &RunBatch::param(Param::new("common", "same")).unwrap(),
                            )
                            .unwrap();
                        store
                            .log_batch(
                                &shared,
                                &RunBatch::param(Param::new(format!("t{t}-{i}"), "v")).unwrap(),
                            )
                            .unwrap();
                    }
                    own
                })
            })
            .collect();
        let own_runs: Vec<RunId> = handles.into_iter().map(|h| h.join().unwrap()).collect();

        let shared_history = history(store.as_ref(), &shared, "shared");
        let steps: BTreeSet<i64> = shared_history.iter().map(|m| m.step).collect();
        assert_eq!(steps.len(), threads * per_thread);
        assert_eq!(steps, (0..(threads * per_thread) as i64).collect());
        let run = store.get_run(&shared).unwrap();
        assert_eq!(run.params.len(), 1 + threads * per_thread);
        // The latest value is the highest step, whatever the arrival order.
        let last = (threads * per_thread - 1) as i64;
        assert_eq!(
            run.metrics,
            vec![Metric::new("shared", last as f64, last, last)]
        );
        for (t, own) in own_runs.iter().enumerate() {
            let r = store.get_run(own).unwrap();
            assert_eq!(r.params.len(), per_thread);
            assert!(r.params.iter().all(|p| p.value == t.to_string()));
            assert_eq!(history(store.as_ref(), own, "own").len(), per_thread);
        }
    }

    #[test]
    fn a_failing_job_does_not_affect_others_in_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(&dir.path().join("db.sqlite")));
        let run = new_run(store.as_ref(), ExperimentId::DEFAULT);
        store
            .log_batch(
                &run,
                &RunBatch::param(Param::new("fixed", "original")).unwrap(),
            )
            .unwrap();
        let threads = 8;
        let per_thread = 50;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let store = Arc::clone(&store);
                let run = run.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    let mut outcomes = Vec::new();
                    for i in 0..per_thread {
                        let n = (t * per_thread + i) as i64;
                        // Every other batch conflicts with the immutable param;
                        // each carries a unique metric step and param so we can
                        // tell exactly which landed.
                        let conflicting = (t + i) % 2 == 1;
                        let mut params = vec![Param::new(format!("p{n}"), "v")];
                        if conflicting {
                            params.push(Param::new("fixed", format!("changed-{n}")));
                        }
                        let batch = RunBatch::new(
                            vec![Metric::new("m", n as f64, n, n)],
                            params,
                            vec![Tag::new(format!("tag{n}"), "v")],
                        )
                        .unwrap();
                        let result = store.log_batch(&run, &batch);
                        if conflicting {
                            let err = result.expect_err("conflicting batch must fail");
                            assert_eq!(err.code(), ErrorCode::InvalidParameterValue);
                        } else {
                            result.expect("valid batch must succeed");
                        }
                        outcomes.push((n, !conflicting));
                    }
                    outcomes
                })
            })
            .collect();
        let outcomes: Vec<(i64, bool)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let landed: BTreeSet<i64> = outcomes.iter().filter(|o| o.1).map(|o| o.0).collect();
        let refused: BTreeSet<i64> = outcomes.iter().filter(|o| !o.1).map(|o| o.0).collect();
        assert_eq!(landed.len() + refused.len(), threads * per_thread);
        assert!(!refused.is_empty() && !landed.is_empty());

        let r = store.get_run(&run).unwrap();
        let fixed = r.params.iter().find(|p| p.key == "fixed").unwrap();
        assert_eq!(fixed.value, "original");
        let param_ns: BTreeSet<i64> = r
            .params
            .iter()
            .filter_map(|p| p.key.strip_prefix('p').and_then(|n| n.parse().ok()))
            .collect();
        assert_eq!(param_ns, landed, "exactly the valid batches' params");
        let tag_ns: BTreeSet<i64> = r
            .tags
            .iter()
            .filter_map(|t| t.key.strip_prefix("tag").and_then(|n| n.parse().ok()))
            .collect();
        assert_eq!(tag_ns, landed, "exactly the valid batches' tags");
        let metric_ns: BTreeSet<i64> = history(store.as_ref(), &run, "m")
            .iter()
            .map(|m| m.step)
            .collect();
        assert_eq!(metric_ns, landed, "exactly the valid batches' metrics");
        // The latest metric is the highest landed step.
        let top = *landed.iter().next_back().unwrap();
        assert_eq!(r.metrics[0].step, top);
    }

    #[test]
    fn concurrent_experiment_creation_with_the_same_name_yields_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open_fast(&dir.path().join("db.sqlite")));
        let barrier = Arc::new(Barrier::new(6));
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let store = Arc::clone(&store);
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    store
                        .create_experiment(NewExperiment::new("race".into(), None, vec![]).unwrap())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1);
        for r in results.iter().filter(|r| r.is_err()) {
            assert_eq!(
                r.as_ref().unwrap_err().code(),
                ErrorCode::ResourceAlreadyExists
            );
        }
    }

    #[test]
    fn readers_see_committed_writes_while_writers_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open_fast(&dir.path().join("db.sqlite")));
        let run = new_run(store.as_ref(), ExperimentId::DEFAULT);
        let writer = {
            let store = Arc::clone(&store);
            let run = run.clone();
            thread::spawn(move || {
                for i in 0..300_i64 {
                    store
                        .log_batch(
                            &run,
                            &RunBatch::metric(Metric::new("m", 0.0, i, i)).unwrap(),
                        )
                        .unwrap();
                }
            })
        };
        let mut last = 0;
        while !writer.is_finished() {
            let n = history(store.as_ref(), &run, "m").len();
            assert!(n >= last, "history never shrinks ({n} < {last})");
            last = n;
        }
        writer.join().unwrap();
        assert_eq!(history(store.as_ref(), &run, "m").len(), 300);
    }
}

mod metrics {
    use super::*;

    #[test]
    fn history_is_ordered_by_timestamp_step_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let run = new_run(&store, ExperimentId::DEFAULT);
        let points = vec![
            Metric::new("h", 1.0, 3, 0),
            Metric::new("h", 2.0, 1, 5),
            Metric::new("h", 0.0, 2, 1),
            Metric::new("h", 9.0, 1, 2),
            Metric::new("h", 3.0, 1, 2),
            Metric::new("h", 3.0, 1, 2), // exact duplicate: collapses
        ];
        store
            .log_batch(&run, &RunBatch::new(points, vec![], vec![]).unwrap())
            .unwrap();
        let got: Vec<(i64, i64, f64)> = history(&store, &run, "h")
            .iter()
            .map(|m| (m.timestamp, m.step, m.value))
            .collect();
        assert_eq!(
            got,
            [
                (1, 2, 3.0),
                (1, 2, 9.0),
                (1, 5, 2.0),
                (2, 1, 0.0),
                (3, 0, 1.0)
            ]
        );
        // Paged.
        let page = store
            .metric_history(&MetricHistoryQuery {
                run_id: run.clone(),
                key: "h".into(),
                max_results: Some(2),
                page_token: None,
            })
            .unwrap();
        assert_eq!(page.items.len(), 2);
        let next = store
            .metric_history(&MetricHistoryQuery {
                run_id: run.clone(),
                key: "h".into(),
                max_results: Some(3),
                page_token: page.next_page_token,
            })
            .unwrap();
        assert_eq!(next.items.len(), 3);
        assert!(next.next_page_token.is_none());
        assert_eq!(next.items[0].step, 5);
    }

    #[test]
    fn non_finite_values_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let run = new_run(&store, ExperimentId::DEFAULT);
        let values = [
            ("nan", f64::NAN),
            ("inf", f64::INFINITY),
            ("ninf", f64::NEG_INFINITY),
            ("max", f64::MAX),
            ("min", f64::MIN_POSITIVE),
            ("negzero", -0.0),
        ];
        let batch = RunBatch::new(
            values
                .iter()
                .map(|(k, v)| Metric::new(*k, *v, 1, 0))
                .collect(),
            vec![],
            vec![],
        )
        .unwrap();
        store.log_batch(&run, &batch).unwrap();
        let r = store.get_run(&run).unwrap();
        for (key, value) in values {
            let latest = r.metrics.iter().find(|m| m.key == key).unwrap();
            let hist = &history(&store, &run, key)[0];
            for got in [latest.value, hist.value] {
                if value.is_nan() {
                    assert!(got.is_nan(), "{key}: {got}");
                } else {
                    assert_eq!(got, value, "{key}");
                }
            }
        }
        // NaN then a number at the same step/time: the number is latest;
        // the NaN point stays in history.
        store
            .log_batch(
                &run,
                &RunBatch::metric(Metric::new("nan", -1.0, 1, 0)).unwrap(),
            )
            .unwrap();
        let r = store.get_run(&run).unwrap();
        assert_eq!(
            r.metrics.iter().find(|m| m.key == "nan").unwrap().value,
            -1.0
        );
        let h = history(&store, &run, "nan");
        assert_eq!(h.len(), 2);
        assert!(h.iter().any(|m| m.value.is_nan()));
        // NaN logged twice collapses like any exact duplicate.
        store
            .log_batch(
                &run,
                &RunBatch::metric(Metric::new("nan", f64::NAN, 1, 0)).unwrap(),
            )
            .unwrap();
        assert_eq!(history(&store, &run, "nan").len(), 2);
    }

    #[test]
    fn latest_value_semantics() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let run = new_run(&store, ExperimentId::DEFAULT);
        let log = |m: Metric| {
            store
                .log_batch(&run, &RunBatch::metric(m).unwrap())
                .unwrap()
        };
        let latest = || store.get_run(&run).unwrap().metrics[0].clone();
        log(Metric::new("m", 1.0, 500, 3));
        log(Metric::new("m", 2.0, 900, 2));
        assert_eq!(latest(), Metric::new("m", 1.0, 500, 3));
        log(Metric::new("m", 0.5, 600, 3));
        assert_eq!(latest(), Metric::new("m", 0.5, 600, 3));
        log(Metric::new("m", 0.7, 600, 3));
        log(Metric::new("m", 0.6, 600, 3));
        assert_eq!(latest(), Metric::new("m", 0.7, 600, 3));
        log(Metric::new("m", f64::INFINITY, 600, 3));
        assert_eq!(latest().value, f64::INFINITY);
    }

    #[test]
    fn bulk_interval_sampling() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let a = new_run(&store, ExperimentId::DEFAULT);
        let b = new_run(&store, ExperimentId::DEFAULT);
        for chunk in (0..3000_i64).collect::<Vec<_>>().chunks(1000) {
            let batch = RunBatch::new(
                chunk
                    .iter()
                    .map(|&i| Metric::new("loss", i as f64, i, i))
                    .collect(),
                vec![],
                vec![],
            )
            .unwrap();
            store.log_batch(&a, &batch).unwrap();
        }
        // Two points at the same step in b: both come back for that step.
        let batch = RunBatch::new(
            vec![
                Metric::new("loss", 1.0, 1, 0),
                Metric::new("loss", 2.0, 2, 0),
                Metric::new("loss", 3.0, 3, 10),
            ],
            vec![],
            vec![],
        )
        .unwrap();
        store.log_batch(&b, &batch).unwrap();
        let query = |runs: Vec<RunId>, steps, max| BulkIntervalQuery {
            run_ids: runs,
            key: "loss".into(),
            steps,
            max_results: max,
        };
        let got = store
            .metric_history_bulk_interval(&query(vec![a.clone(), b.clone()], None, 100))
            .unwrap();
        let sa: Vec<i64> = got
            .iter()
            .filter(|m| m.run_id == a)
            .map(|m| m.metric.step)
            .collect();
        assert_eq!(sa.len(), 100);
        assert_eq!((sa[0], *sa.last().unwrap()), (0, 2999));
        assert!(sa.windows(2).all(|w| w[0] < w[1]));
        // Roughly even spacing.
        let gaps: Vec<i64> = sa.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| (29..=32).contains(g)), "{gaps:?}");
        let sb: Vec<(i64, f64)> = got
            .iter()
            .filter(|m| m.run_id == b)
            .map(|m| (m.metric.step, m.metric.value))
            .collect();
        assert_eq!(sb, [(0, 1.0), (0, 2.0), (10, 3.0)]);
        // Step window.
        let got = store
            .metric_history_bulk_interval(&query(vec![a.clone()], Some((1000, 1999)), 11))
            .unwrap();
        let steps: Vec<i64> = got.iter().map(|m| m.metric.step).collect();
        assert_eq!(steps.len(), 11);
        assert_eq!((steps[0], steps[10]), (1000, 1999));
        // One point requested: the first step.
        let got = store
            .metric_history_bulk_interval(&query(vec![a.clone()], None, 1))
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].metric.step, 0);
        // Unknown run: not found.
        let ghost: RunId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(
            store
                .metric_history_bulk_interval(&query(vec![ghost], None, 10))
                .unwrap_err()
                .code(),
            ErrorCode::ResourceDoesNotExist
        );
    }
}

mod lifecycle {
    use super::*;

    #[test]
    fn search_view_type_paging_and_default_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let exp = store
            .create_experiment(NewExperiment::new("s".into(), None, vec![]).unwrap())
            .unwrap();
        let mut expected = Vec::new();
        for t in [3_i64, 7, 7, 1, 5] {
            let run = store
                .create_run(NewRun::new(exp, String::new(), None, t, vec![]).unwrap())
                .unwrap();
            expected.push((t, run.info.run_id));
        }
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let expected: Vec<RunId> = expected.into_iter().map(|(_, id)| id).collect();
        let page = store
            .search_runs(&run_search(exp, ViewType::ActiveOnly))
            .unwrap();
        let ids: Vec<RunId> = page.items.iter().map(|r| r.info.run_id.clone()).collect();
        assert_eq!(ids, expected);
        // Pages of 2.
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let mut q = run_search(exp, ViewType::ActiveOnly);
            q.max_results = 2;
            q.page_token = token;
            let page = store.search_runs(&q).unwrap();
            seen.extend(page.items.iter().map(|r| r.info.run_id.clone()));
            token = page.next_page_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen, expected);
        // View types.
        store.delete_run(&expected[0]).unwrap();
        let count = |view| {
            store
                .search_runs(&run_search(exp, view))
                .unwrap()
                .items
                .len()
        };
        assert_eq!(count(ViewType::ActiveOnly), 4);
        assert_eq!(count(ViewType::DeletedOnly), 1);
        assert_eq!(count(ViewType::All), 5);
    }

    #[test]
    fn experiment_delete_cascades_and_restore_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_fast(&dir.path().join("db.sqlite"));
        let exp = store
            .create_experiment(NewExperiment::new("c".into(), None, vec![]).unwrap())
            .unwrap();
        let a = new_run(&store, exp);
        let b = new_run(&store, exp);
        store.delete_run(&b).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.delete_experiment(exp).unwrap();
        let stage = |r: &RunId| store.get_run(r).unwrap().info.lifecycle_stage;
        assert_eq!(stage(&a), LifecycleStage::Deleted);
        assert_eq!(
            store.restore_run(&a).unwrap_err().code(),
            ErrorCode::InvalidParameterValue
        );
        store.restore_experiment(exp).unwrap();
        assert_eq!(stage(&a), LifecycleStage::Active);
        assert_eq!(stage(&b), LifecycleStage::Deleted);
        // Rename of a deleted experiment is a client error (MLflow says INVALID_STATE).
        store.delete_experiment(exp).unwrap();
        assert_eq!(
            store.rename_experiment(exp, "new").unwrap_err().code(),
            ErrorCode::InvalidParameterValue
        );
    }
}
