//! Search SQL against a real in-memory SQLite database built from the
//! migration: table-driven filters and orders with exact id lists, a
//! property test against the reference evaluator, and query plans. (Timing
//! lives in the benchmark program, `cairn-bench tracking`, not in tests.)

use cairn_core::search::{ExperimentFilter, ExperimentOrder, RunFilter, RunOrder};
use cairn_core::store::{ExperimentSearch, RunSearch};
use cairn_core::{
    Dataset, DatasetInput, ExperimentId, LifecycleStage, Metric, Param, Run, RunId, RunInfo,
    RunStatus, Tag, ViewType,
};
use proptest::prelude::*;
use rusqlite::{Connection, params};

use super::*;

/// Every migration in order, so the tests run against the current schema.
const SCHEMA: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_metric_history_by_run_key.sql"),
    include_str!("../../migrations/0003_runs_lookup_index.sql"),
    include_str!("../../migrations/0004_metric_blocks.sql"),
    include_str!("../../migrations/0005_child_tables_by_run_key.sql"),
];

/// A run to insert, in test-friendly form.
#[derive(Debug, Clone)]
struct R {
    id: String,
    exp: i64,
    name: String,
    user: String,
    status: RunStatus,
    start: i64,
    end: Option<i64>,
    deleted: bool,
    params: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    metrics: Vec<(String, f64)>,
    /// (name, digest, context tag)
    datasets: Vec<(String, String, Option<String>)>,
}

impl R {
    fn new(id: &str, start: i64) -> R {
        R {
            id: id.to_owned(),
            exp: 1,
            name: format!("name-{id}"),
            user: "bob".to_owned(),
            status: RunStatus::Finished,
            start,
            end: None,
            deleted: false,
            params: vec![],
            tags: vec![],
            metrics: vec![],
            datasets: vec![],
        }
    }
    fn param(mut self, k: &str, v: &str) -> R {
        self.params.push((k.into(), v.into()));
        self
    }
    fn tag(mut self, k: &str, v: &str) -> R {
        self.tags.push((k.into(), v.into()));
        self
    }
    fn metric(mut self, k: &str, v: f64) -> R {
        self.metrics.push((k.into(), v));
        self
    }

    /// The domain view of the run, for the reference evaluator.
    fn to_run(&self) -> Run {
        Run {
            info: RunInfo {
                run_id: self.id.parse::<RunId>().unwrap(),
                experiment_id: ExperimentId(self.exp),
                run_name: self.name.clone(),
                user_id: self.user.clone(),
                status: self.status,
                start_time: self.start,
                end_time: self.end,
                artifact_uri: format!("file:///art/{}", self.id),
                lifecycle_stage: if self.deleted {
                    LifecycleStage::Deleted
                } else {
                    LifecycleStage::Active
                },
            },
            metrics: self
                .metrics
                .iter()
                .map(|(k, v)| Metric::new(k.clone(), *v, 0, 0))
                .collect(),
            params: self
                .params
                .iter()
                .map(|(k, v)| Param::new(k.clone(), v.clone()))
                .collect(),
            tags: self
                .tags
                .iter()
                .map(|(k, v)| Tag::new(k.clone(), v.clone()))
                .collect(),
            inputs: self
                .datasets
                .iter()
                .map(|(name, digest, ctx)| DatasetInput {
                    tags: ctx
                        .iter()
                        .map(|c| Tag::new("mlflow.data.context", c.clone()))
                        .collect(),
                    dataset: Dataset {
                        name: name.clone(),
                        digest: digest.clone(),
                        source_type: "local".into(),
                        source: "{}".into(),
                        schema: None,
                        profile: None,
                    },
                })
                .collect(),
        }
    }
}

/// A fresh database with experiments 1 and 2 (active) and 3 (deleted).
fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    for sql in SCHEMA {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
    for (id, name, stage, created) in [
        (1, "exp-one", "active", 10),
        (2, "Exp-Two", "active", 20),
        (3, "three", "deleted", 30),
    ] {
        conn.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, \
             last_update_time) VALUES (?1, ?2, 'file:///art', ?3, ?4, ?5)",
            params![id, name, stage, created, 100 - created],
        )
        .unwrap();
    }
    conn.execute_batch(
        "INSERT INTO experiment_tags VALUES (1, 'team', 'core'); INSERT INTO experiment_tags VALUES (2, 'team', 'ml');",
    )
    .unwrap();
    conn
}

fn insert(conn: &Connection, r: &R) {
    let stage = if r.deleted { "deleted" } else { "active" };
    conn.execute(
        "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, deleted_time, \
         lifecycle_stage, artifact_uri, run_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, \
         (SELECT COALESCE(MAX(run_key), 0) + 1 FROM runs))",
        params![r.id, r.exp, r.name, r.user, r.status.as_str(), r.start, r.end, stage, format!("file:///art/{}", r.id)],
    )
    .unwrap();
    for (k, v) in &r.params {
        conn.execute(
            "INSERT INTO params SELECT run_key, ?2, ?3 FROM runs WHERE run_uuid = ?1",
            params![r.id, k, v],
        )
        .unwrap();
    }
    for (k, v) in &r.tags {
        conn.execute(
            "INSERT INTO tags SELECT run_key, ?2, ?3 FROM runs WHERE run_uuid = ?1",
            params![r.id, k, v],
        )
        .unwrap();
    }
    for (k, v) in &r.metrics {
        // NaN is stored as 0 with is_nan = 1, as the store does.
        let (value, is_nan) = if v.is_nan() { (0.0, 1) } else { (*v, 0) };
        conn.execute(
            "INSERT INTO latest_metrics (run_key, key, value, timestamp, step, is_nan) \
             SELECT run_key, ?2, ?3, 0, 0, ?4 FROM runs WHERE run_uuid = ?1",
            params![r.id, k, value, is_nan],
        )
        .unwrap();
    }
    for (i, (name, digest, ctx)) in r.datasets.iter().enumerate() {
        let ds = format!("ds-{}-{name}-{digest}", r.exp);
        conn.execute(
            "INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source) \
             VALUES (?1, ?2, ?3, ?4, 'local', '{}')",
            params![ds, r.exp, name, digest],
        )
        .unwrap();
        let input = format!("in-{}-{i}", r.id);
        conn.execute(
            "INSERT INTO inputs VALUES (?1, 'DATASET', ?2, 'RUN', ?3)",
            params![input, ds, r.id],
        )
        .unwrap();
        if let Some(c) = ctx {
            conn.execute(
                "INSERT INTO input_tags VALUES (?1, 'mlflow.data.context', ?2)",
                params![input, c],
            )
            .unwrap();
        }
    }
}

fn run_search(exps: &[i64], filter: &str, order: &[&str], view: ViewType) -> RunSearch {
    RunSearch {
        experiment_ids: exps.iter().map(|e| ExperimentId(*e)).collect(),
        filter: RunFilter::parse(filter).unwrap(),
        order: RunOrder::parse(&order.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap(),
        view_type: view,
        max_results: 1000,
        page_token: None,
    }
}

/// The fixture of the table-driven tests (experiment 1 unless noted).
fn fixture() -> Connection {
    let conn = db();
    let mut r1 = R::new("r1", 100)
        .param("model", "Tree")
        .param("lr", "0.1")
        .param("p", "axb")
        .tag("mlflow.runName", "alpha")
        .tag("team", "Core")
        .metric("acc", 0.9)
        .metric("loss", 0.5);
    r1.name = "alpha".into();
    r1.user = "alice".into();
    r1.end = Some(200);
    r1.datasets
        .push(("mnist".into(), "d1".into(), Some("training".into())));
    let mut r2 = R::new("r2", 300)
        .param("model", "tree")
        .param("lr", "0.01")
        .tag("mlflow.runName", "beta")
        .metric("acc", f64::NAN)
        .metric("loss", 0.1);
    r2.name = "beta".into();
    r2.status = RunStatus::Running;
    r2.datasets
        .push(("cifar".into(), "d2".into(), Some("eval".into())));
    let mut r3 = R::new("r3", 200)
        .param("model", "forest")
        .tag("mlflow.runName", "gamma")
        .tag("team", "core")
        .metric("acc", 0.5)
        .metric("loss", f64::INFINITY);
    r3.name = "gamma".into();
    r3.user = "Alice".into();
    r3.status = RunStatus::Failed;
    r3.end = Some(250);
    let mut r4 = R::new("r4", 300)
        .tag("mlflow.runName", "delta")
        .metric("acc", f64::NEG_INFINITY);
    r4.name = "delta".into();
    r4.user = "carol".into();
    r4.end = Some(400);
    let mut r5 = R::new("r5", 50).param("model", "Tree").metric("acc", 1.0);
    r5.deleted = true;
    let mut r6 = R::new("r6", 500).param("model", "Tree").metric("acc", 0.95);
    r6.exp = 2;
    let mut r7 = R::new("r7", 150)
        .param("p", "a*b")
        .tag("mlflow.runName", "a_b%c*d?[e]");
    r7.name = "it's".into();
    r7.status = RunStatus::Killed;
    for r in [r1, r2, r3, r4, r5, r6, r7] {
        insert(&conn, &r);
    }
    conn
}

/// The run ids of one page, in order (the search returns rowids).
fn run_ids_page(
    conn: &Connection,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<String>> {
    let rows = run_rows_page(conn, q, offset, limit)?;
    let mut stmt = conn
        .prepare("SELECT run_uuid FROM runs WHERE rowid = ?1")
        .unwrap();
    Ok(rows
        .iter()
        .map(|r| stmt.query_row([r], |row| row.get(0)).unwrap())
        .collect())
}

fn ids(conn: &Connection, q: &RunSearch, offset: usize, limit: usize) -> Vec<String> {
    run_ids_page(conn, q, offset, limit).unwrap_or_else(|e| panic!("{q:?}: {e}"))
}

#[test]
fn filters_select_exactly_the_expected_runs() {
    let conn = fixture();
    // Default order is start_time DESC, run_uuid ASC: r2 r4 (300) r3 (200) r7 (150) r1 (100).
    let cases: &[(&str, &[&str])] = &[
        ("", &["r2", "r4", "r3", "r7", "r1"]),
        ("metrics.acc > 0.5", &["r1"]),
        ("metrics.acc >= 0.5", &["r3", "r1"]),
        ("metrics.acc = 0.5", &["r3"]),
        ("metrics.acc != 0.5", &["r2", "r4", "r1"]),
        ("metrics.acc < 0", &["r4"]),
        // NaN is stored as 0: it must neither pass comparisons 0 passes nor fail != 0.
        ("metrics.acc <= 0", &["r4"]),
        ("metrics.acc = 0", &[]),
        ("metrics.acc >= 0", &["r3", "r1"]),
        ("metrics.acc > -1", &["r3", "r1"]),
        ("metrics.acc != 0", &["r2", "r4", "r3", "r1"]),
        (
            "metrics.acc != 0 or run_id = 'x'",
            &["r2", "r4", "r3", "r1"],
        ),
        ("metrics.acc <= 0 or run_id = 'x'", &["r4"]),
        ("metrics.acc <= -1e999", &["r4"]),
        ("metrics.loss > 1e308", &["r3"]),
        ("metrics.loss = 1e999", &["r3"]),
        ("metrics.nope != 1", &[]),
        ("metrics.acc >= 0.5 and metrics.acc < 0.6", &["r3"]),
        ("params.model = 'Tree'", &["r1"]),
        ("params.model != 'Tree'", &["r2", "r3"]),
        ("params.model LIKE 'T%'", &["r1"]),
        ("params.model LIKE 't%'", &["r2"]),
        ("params.model LIKE '_ree'", &["r2", "r1"]),
        ("params.model ILIKE 't%'", &["r2", "r1"]),
        ("params.model ILIKE '%REE'", &["r2", "r1"]),
        ("params.model IS NULL", &["r4", "r7"]),
        ("params.model IS NOT NULL", &["r2", "r3", "r1"]),
        ("params.p LIKE 'a*b'", &["r7"]),
        ("params.p LIKE 'a_b'", &["r7", "r1"]),
        ("tags.team = 'core'", &["r3"]),
        ("tags.team ILIKE 'CORE'", &["r3", "r1"]),
        ("tags.`mlflow.runName` LIKE '%?[e]'", &["r7"]),
        ("tags.mlflow.runName LIKE 'a[_]%'", &[]),
        ("run_name = 'alpha'", &["r1"]),
        ("run_name = 'name-r1'", &[]),
        ("run_name LIKE 'a_b!%'", &[]),
        ("run_name LIKE 'a_b%c*d?[e]'", &["r7"]),
        ("run_name LIKE '%*%'", &["r7"]),
        ("attributes.run_id IN ('r1', 'r3', 'nope')", &["r3", "r1"]),
        ("run_id NOT IN ('r1', 'r3')", &["r2", "r4", "r7"]),
        ("run_id = 'r5'", &[]),
        ("status = 'FINISHED'", &["r4", "r1"]),
        ("status LIKE 'F%'", &["r4", "r3", "r1"]),
        ("user_id = 'alice'", &["r1"]),
        ("user_id ILIKE 'ALICE'", &["r3", "r1"]),
        ("user_id LIKE 'a%'", &["r1"]),
        ("artifact_uri LIKE '%/r2'", &["r2"]),
        ("start_time >= 200", &["r2", "r4", "r3"]),
        ("created < 150", &["r1"]),
        ("end_time > 0", &["r4", "r3", "r1"]),
        ("end_time != 200", &["r4", "r3"]),
        // duration = end_time - start_time; unfinished runs have none.
        ("duration > 60", &["r4", "r1"]),
        ("attributes.duration < 100", &["r3"]),
        ("datasets.name = 'mnist'", &["r1"]),
        ("datasets.context = 'eval'", &["r2"]),
        ("datasets.digest IN ('d1', 'd2')", &["r2", "r1"]),
        ("datasets.name NOT IN ('mnist')", &["r2"]),
        ("datasets.context ILIKE 'TRAIN%'", &["r1"]),
        ("params.model = 'Tree' OR metrics.loss > 1", &["r3", "r1"]),
        (
            "(params.model = 'Tree' OR params.model = 'tree') AND metrics.loss < 0.2",
            &["r2"],
        ),
        (
            "params.model = 'Tree' OR params.model = 'tree' AND metrics.loss < 0.2",
            &["r2", "r1"],
        ),
        (
            "params.model IS NULL OR (status = 'FAILED' and (user_id = 'x' or end_time = 250))",
            &["r4", "r3", "r7"],
        ),
    ];
    for (filter, want) in cases {
        let got = ids(
            &conn,
            &run_search(&[1], filter, &[], ViewType::ActiveOnly),
            0,
            100,
        );
        assert_eq!(got, *want, "filter {filter:?}");
    }
}

#[test]
fn experiments_and_view_types_restrict_the_search() {
    let conn = fixture();
    let cases: &[(&[i64], &str, ViewType, &[&str])] = &[
        (&[1], "", ViewType::DeletedOnly, &["r5"]),
        (&[1], "params.model = 'Tree'", ViewType::All, &["r1", "r5"]),
        (
            &[1, 2],
            "params.model = 'Tree'",
            ViewType::ActiveOnly,
            &["r6", "r1"],
        ),
        (&[2], "", ViewType::All, &["r6"]),
        (&[3], "", ViewType::All, &[]),
        (&[], "", ViewType::All, &[]),
    ];
    for (exps, filter, view, want) in cases {
        assert_eq!(
            ids(&conn, &run_search(exps, filter, &[], *view), 0, 100),
            *want,
            "{exps:?} {filter} {view:?}"
        );
    }
}

#[test]
fn orders_put_values_then_nan_then_missing() {
    let conn = fixture();
    let cases: &[(&[&str], &[&str])] = &[
        (&["metrics.acc DESC"], &["r1", "r3", "r4", "r2", "r7"]),
        (&["metrics.acc"], &["r4", "r3", "r1", "r2", "r7"]),
        (&["metrics.loss DESC"], &["r3", "r1", "r2", "r4", "r7"]),
        // Strings by code point: 'T' < 'f' < 't'; missing last, then start_time DESC.
        (&["params.model"], &["r1", "r3", "r2", "r4", "r7"]),
        (&["params.model DESC"], &["r2", "r3", "r1", "r4", "r7"]),
        (&["params.lr ASC"], &["r2", "r1", "r4", "r3", "r7"]),
        (&["tags.team DESC"], &["r3", "r1", "r2", "r4", "r7"]),
        (&["end_time DESC"], &["r4", "r3", "r1", "r2", "r7"]),
        (&["end_time"], &["r1", "r3", "r4", "r2", "r7"]),
        // Ties (r1, r4: 100 ms) fall back to start_time DESC; unfinished last.
        (&["duration DESC"], &["r4", "r1", "r3", "r2", "r7"]),
        (&["attributes.duration"], &["r3", "r4", "r1", "r2", "r7"]),
        (&["start_time ASC"], &["r1", "r7", "r3", "r2", "r4"]),
        (&["created DESC"], &["r2", "r4", "r3", "r7", "r1"]),
        (&["run_name DESC"], &["r7", "r3", "r4", "r2", "r1"]),
        (&["run_id DESC"], &["r7", "r4", "r3", "r2", "r1"]),
        (
            &["status", "metrics.loss DESC"],
            &["r3", "r1", "r4", "r7", "r2"],
        ),
        (
            &["user_id DESC", "run_id DESC"],
            &["r4", "r7", "r2", "r1", "r3"],
        ),
    ];
    for (order, want) in cases {
        let got = ids(
            &conn,
            &run_search(&[1], "", order, ViewType::ActiveOnly),
            0,
            100,
        );
        assert_eq!(got, *want, "order {order:?}");
    }
}

#[test]
fn pages_are_slices_of_the_full_order() {
    let conn = fixture();
    let q = run_search(&[1], "", &[], ViewType::ActiveOnly);
    assert_eq!(ids(&conn, &q, 0, 2), ["r2", "r4"]);
    assert_eq!(ids(&conn, &q, 1, 2), ["r4", "r3"]);
    assert_eq!(ids(&conn, &q, 4, 10), ["r1"]);
    assert_eq!(ids(&conn, &q, 5, 10), Vec::<String>::new());
    assert_eq!(ids(&conn, &q, 0, 0), Vec::<String>::new());
    assert_eq!(ids(&conn, &q, usize::MAX, usize::MAX), Vec::<String>::new());
}

#[test]
fn huge_filters_stay_within_sqlite_limits() {
    let conn = fixture();
    // 2,000 ORed clauses: a flat chain would exceed SQLite's expression depth of 1000.
    let wide = (0..2000)
        .map(|i| format!("params.model = 'v{i}'"))
        .collect::<Vec<_>>()
        .join(" OR ")
        + " OR run_id = 'r1'";
    assert_eq!(
        ids(
            &conn,
            &run_search(&[1], &wide, &[], ViewType::ActiveOnly),
            0,
            10
        ),
        ["r1"]
    );
    let n = cairn_core::search::MAX_NESTING;
    let deep = format!(
        "{}run_id = 'r3' or run_id = 'r1'{}",
        "(run_id = 'x' or ".repeat(n),
        ")".repeat(n)
    );
    assert_eq!(
        ids(
            &conn,
            &run_search(&[1], &deep, &[], ViewType::ActiveOnly),
            0,
            10
        ),
        ["r3", "r1"]
    );
    let list = format!(
        "run_id IN ({})",
        (0..40_000)
            .map(|i| format!("'x{i}'"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let err = run_ids_page(
        &conn,
        &run_search(&[1], &list, &[], ViewType::ActiveOnly),
        0,
        10,
    )
    .unwrap_err();
    assert_eq!(
        err.code(),
        cairn_core::ErrorCode::InvalidParameterValue,
        "{err}"
    );
}

fn experiment_search(filter: &str, order: &[&str], view: ViewType) -> ExperimentSearch {
    ExperimentSearch {
        filter: ExperimentFilter::parse(filter).unwrap(),
        order: ExperimentOrder::parse(&order.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap(),
        view_type: view,
        max_results: 1000,
        page_token: None,
    }
}

#[test]
fn experiment_search_filters_and_orders() {
    use ViewType::*;
    let conn = db();
    let cases: &[(&str, &[&str], ViewType, &[i64])] = &[
        ("", &[], ActiveOnly, &[2, 1]),
        ("", &[], All, &[3, 2, 1]),
        ("", &[], DeletedOnly, &[3]),
        ("name LIKE 'exp%'", &[], ActiveOnly, &[1]),
        ("name ILIKE 'exp%'", &[], ActiveOnly, &[2, 1]),
        ("name != 'exp-one'", &[], All, &[3, 2]),
        ("experiment_id IN ('1', '03')", &[], All, &[3, 1]),
        ("experiment_id NOT IN ('1')", &[], ActiveOnly, &[2]),
        ("experiment_id = '2'", &[], ActiveOnly, &[2]),
        ("experiment_id != '2'", &[], ActiveOnly, &[1]),
        ("tags.team IS NULL", &[], All, &[3]),
        ("tags.team IS NOT NULL", &[], All, &[2, 1]),
        ("tags.team LIKE 'c%'", &[], All, &[1]),
        ("creation_time > 15", &[], ActiveOnly, &[2]),
        ("last_update_time <= 80", &[], All, &[3, 2]),
        (
            "name = 'exp-one' OR tags.team = 'ml'",
            &[],
            ActiveOnly,
            &[2, 1],
        ),
        ("", &["name ASC"], ActiveOnly, &[2, 1]),
        ("", &["name DESC"], All, &[3, 1, 2]),
        ("", &["experiment_id DESC"], All, &[3, 2, 1]),
        ("", &["last_update_time"], All, &[3, 2, 1]),
    ];
    for (filter, order, view, want) in cases {
        let got =
            experiment_ids_page(&conn, &experiment_search(filter, order, *view), 0, 100).unwrap();
        assert_eq!(got, *want, "{filter:?} {order:?} {view:?}");
    }
    let q = experiment_search("", &[], All);
    assert_eq!(experiment_ids_page(&conn, &q, 1, 1).unwrap(), [2]);
}

#[test]
fn postgres_dialect_numbers_placeholders_and_disables_like_escapes() {
    let filter = "params.p LIKE 'a_%' and (tags.t ILIKE 'x' or metrics.m != 0) and metrics.n > 1";
    let q = run_search(&[1], filter, &["tags.t"], ViewType::All);
    let pg = run_query(Dialect::Postgres, &q, 0, 10).unwrap();
    for part in [
        " LEFT JOIN tags o0 ON o0.run_key = r.run_key AND o0.key = $1",
        " JOIN params f0 ON f0.run_key = r.run_key AND f0.key = $2 AND f0.value LIKE $3 ESCAPE ''",
        " JOIN latest_metrics f1 ON f1.run_key = r.run_key AND f1.key = $4 AND f1.value > $5 ",
        "WHERE r.experiment_id = $6 AND (EXISTS (SELECT 1 FROM tags kv WHERE kv.run_key = r.run_key AND kv.key = $7 \
         AND kv.value ILIKE $8 ESCAPE '') OR EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_key = r.run_key \
         AND m.key = $9 AND (m.is_nan = 1 OR m.value <> $10)))",
        "ORDER BY CASE WHEN o0.value IS NULL THEN 1 ELSE 0 END, o0.value COLLATE \"C\" ASC, r.start_time DESC, \
         r.run_uuid COLLATE \"C\" ASC LIMIT $11 OFFSET $12",
    ] {
        assert!(pg.sql.contains(part), "missing {part}\nin {}", pg.sql);
    }
    assert_eq!(pg.binds[2], Bind::Text("a_%".into()));
    let lite = run_query(Dialect::Sqlite, &q, 0, 10).unwrap();
    assert!(lite.sql.contains("f0.value GLOB ?3"), "{}", lite.sql);
    assert!(
        lite.sql.contains("lower(kv.value) LIKE lower(?8)"),
        "{}",
        lite.sql
    );
    assert_eq!(lite.binds[2], Bind::Text("a?*".into()));
    assert!(
        !lite.sql.contains("'a"),
        "values are bound, never inlined: {}",
        lite.sql
    );
}

// ---------- reference-evaluator equivalence ----------

fn arb_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "A", "b", "ab", "aB", "a_b", "a%b", "10", "9", "", "é",
    ])
    .prop_map(str::to_owned)
}

fn arb_run(i: usize) -> impl Strategy<Value = R> {
    let kv = |keys: Vec<&'static str>| {
        prop::sample::subsequence(keys.clone(), 0..=keys.len()).prop_flat_map(|ks| {
            let n = ks.len();
            (Just(ks), prop::collection::vec(arb_text(), n)).prop_map(|(ks, vs)| {
                ks.into_iter()
                    .map(str::to_owned)
                    .zip(vs)
                    .collect::<Vec<_>>()
            })
        })
    };
    let metric_value = prop::sample::select(vec![
        -1.0,
        0.0,
        0.5,
        1.0,
        2.0,
        f64::NAN,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]);
    let metrics = prop::sample::subsequence(vec!["m1", "m2"], 0..=2).prop_flat_map(move |ks| {
        let n = ks.len();
        (Just(ks), prop::collection::vec(metric_value.clone(), n)).prop_map(|(ks, vs)| {
            ks.into_iter()
                .map(str::to_owned)
                .zip(vs)
                .collect::<Vec<_>>()
        })
    });
    let datasets = prop::collection::vec(
        (
            prop::sample::select(vec!["ds1", "ds2"]),
            prop::sample::select(vec!["d1", "d2"]),
            prop::option::of(prop::sample::select(vec!["train", "eval"])),
        ),
        0..=2,
    );
    (
        (
            1i64..=2,
            0i64..4,
            prop::option::of(0i64..4),
            prop::bool::weighted(0.2),
        ),
        (
            prop::sample::select(vec![
                RunStatus::Finished,
                RunStatus::Running,
                RunStatus::Failed,
            ]),
            prop::sample::select(vec!["alice", "Alice", "bob"]),
            arb_text(),
        ),
        kv(vec!["p1", "p2"]),
        kv(vec!["t1", "mlflow.runName"]),
        metrics,
        datasets,
    )
        .prop_map(
            move |(
                (exp, start, end, deleted),
                (status, user, name),
                params,
                tags,
                metrics,
                datasets,
            )| {
                let mut r = R::new(&format!("r{i:02}"), start);
                r.exp = exp;
                r.end = end;
                r.deleted = deleted;
                r.status = status;
                r.user = user.to_owned();
                r.name = name;
                r.params = params;
                r.tags = tags;
                r.metrics = metrics;
                // Two inputs of one run may not share a dataset.
                let mut seen = std::collections::HashSet::new();
                r.datasets = datasets
                    .into_iter()
                    .filter(|(n, d, _)| seen.insert((*n, *d)))
                    .map(|(n, d, c)| (n.to_owned(), d.to_owned(), c.map(str::to_owned)))
                    .collect();
                r
            },
        )
}

fn arb_runs() -> impl Strategy<Value = Vec<R>> {
    (0usize..10).prop_flat_map(|n| (0..n).map(arb_run).collect::<Vec<_>>())
}

fn quoted() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "A", "ab", "a_b", "10", "9", "", "é", "a%", "%b", "_", "%B%", "A_", "%",
    ])
    .prop_map(|s| format!("'{s}'"))
}

fn arb_clause() -> impl Strategy<Value = String> {
    let num_op = prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]);
    let text_op = prop::sample::select(vec!["=", "!=", "LIKE", "ILIKE"]);
    // 0 often: NaN is stored as 0, the edge the SQL must get right.
    let number = prop::sample::select(vec![
        "-1", "0", "0", "0", "0.5", "1", "2", "1e999", "-1e999",
    ]);
    let time = prop::sample::select(vec!["0", "1", "2", "3"]);
    let run_ids = prop::collection::vec(
        prop::sample::select(vec!["'r00'", "'r01'", "'r02'", "'r05'", "'x'"]),
        1..3,
    );
    prop_oneof![
        (
            prop::sample::select(vec!["m1", "m1", "m2", "m3"]),
            num_op.clone(),
            number
        )
            .prop_map(|(k, op, v)| format!("metrics.{k} {op} {v}")),
        (
            prop::sample::select(vec![
                "params.p1",
                "params.p2",
                "tags.t1",
                "tags.`mlflow.runName`"
            ]),
            text_op.clone(),
            quoted()
        )
            .prop_map(|(k, op, v)| format!("{k} {op} {v}")),
        (
            prop::sample::select(vec!["params.p1", "tags.t1"]),
            prop::sample::select(vec!["IS NULL", "IS NOT NULL"])
        )
            .prop_map(|(k, op)| format!("{k} {op}")),
        (
            prop::sample::select(vec!["run_name", "status", "user_id", "attributes.run_id"]),
            text_op,
            prop_oneof![
                quoted(),
                Just("'FINISHED'".to_owned()),
                Just("'alice'".to_owned()),
                Just("'r01'".to_owned())
            ]
        )
            .prop_map(|(k, op, v)| format!("{k} {op} {v}")),
        (
            prop::sample::select(vec!["start_time", "end_time", "created", "duration"]),
            num_op,
            time
        )
            .prop_map(|(k, op, v)| format!("{k} {op} {v}")),
        (prop::sample::select(vec!["IN", "NOT IN"]), run_ids)
            .prop_map(|(op, v)| format!("run_id {op} ({})", v.join(", "))),
        (
            prop::sample::select(vec!["datasets.name", "datasets.digest", "datasets.context"]),
            prop::sample::select(vec!["=", "!=", "LIKE", "IN", "NOT IN"]),
            prop::sample::select(vec!["ds1", "d2", "train", "%a%"])
        )
            .prop_map(|(k, op, v)| if op.ends_with("IN") {
                format!("{k} {op} ('{v}')")
            } else {
                format!("{k} {op} '{v}'")
            }),
    ]
}

fn arb_filter() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        arb_clause().prop_recursive(3, 12, 3, |inner| {
            (
                inner.clone(),
                prop::sample::select(vec![" AND ", " OR ", " and ", " or "]),
                inner,
                any::<bool>(),
            )
                .prop_map(|(a, op, b, paren)| {
                    if paren {
                        format!("({a}){op}({b})")
                    } else {
                        format!("{a}{op}{b}")
                    }
                })
        })
    ]
}

fn arb_order() -> impl Strategy<Value = Vec<String>> {
    let keys = vec![
        "metrics.m1",
        "metrics.m2",
        "params.p1",
        "tags.t1",
        "start_time",
        "end_time",
        "duration",
        "run_name",
        "status",
        "user_id",
        "run_id",
    ];
    (
        prop::sample::subsequence(keys, 0..=3),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(ks, dirs)| {
            ks.iter()
                .zip(dirs)
                .map(|(k, asc)| format!("{k} {}", if asc { "ASC" } else { "DESC" }))
                .collect()
        })
        .prop_shuffle()
}

/// Runs the search in SQL and with the reference evaluator; they must give
/// the same page in the same order.
fn agrees(
    runs: &[R],
    filter: &str,
    order: &[String],
    exps: &[i64],
    view: ViewType,
    offset: usize,
    limit: usize,
) -> std::result::Result<(), TestCaseError> {
    let conn = db();
    for r in runs {
        insert(&conn, r);
    }
    let order_refs: Vec<&str> = order.iter().map(String::as_str).collect();
    let q = run_search(exps, filter, &order_refs, view);
    let mut want: Vec<Run> = runs
        .iter()
        .map(R::to_run)
        .filter(|r| exps.contains(&r.info.experiment_id.0) && view.includes(r.info.lifecycle_stage))
        .filter(|r| q.filter.matches(r))
        .collect();
    want.sort_by(|a, b| q.order.compare(a, b));
    let want: Vec<String> = want
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| r.info.run_id.to_string())
        .collect();
    let got = run_ids_page(&conn, &q, offset, limit).unwrap();
    prop_assert_eq!(got, want, "filter {:?} order {:?}", filter, order);
    Ok(())
}

fn arb_metric_clause() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
        prop::sample::select(vec!["-1", "0", "0.5", "1", "1e999", "-1e999"]),
    )
        .prop_map(|(op, v)| format!("metrics.m1 {op} {v}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn sql_search_agrees_with_the_reference_evaluator(
        runs in arb_runs(),
        filter in arb_filter(),
        order in arb_order(),
        exps in prop::sample::select(vec![vec![1i64], vec![2], vec![1, 2]]),
        view in prop::sample::select(vec![ViewType::ActiveOnly, ViewType::DeletedOnly, ViewType::All]),
        offset in 0usize..4,
        limit in 1usize..12,
    ) {
        agrees(&runs, &filter, &order, &exps, view, offset, limit)?;
    }

    /// Focused on NaN (stored as 0), infinities and missing metrics, both as
    /// top-level joins and under OR.
    #[test]
    fn metric_edge_values_agree(
        values in prop::collection::vec(
            prop::option::of(prop::sample::select(
                vec![-1.0, 0.0, 0.5, 1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            )),
            1..8,
        ),
        clauses in prop::collection::vec(arb_metric_clause(), 1..3),
        or in any::<bool>(),
        descending in any::<bool>(),
    ) {
        let runs: Vec<R> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let r = R::new(&format!("r{i:02}"), (i % 3) as i64);
                match v {
                    Some(v) => r.metric("m1", *v),
                    None => r,
                }
            })
            .collect();
        let filter = clauses.join(if or { " OR " } else { " AND " });
        let order = vec![format!("metrics.m1 {}", if descending { "DESC" } else { "ASC" })];
        agrees(&runs, &filter, &order, &[1], ViewType::All, 0, 100)?;
    }
}

// ---------- query plans and timing ----------

/// `runs` runs in experiment 1 with params p1..p5 (p1 in a..d) and metrics
/// m1..m5 (uniform in [0,1)), deterministic.
fn big_db(runs: usize) -> Connection {
    let conn = db();
    conn.execute_batch("BEGIN").unwrap();
    let mut seed: u64 = 42;
    let mut rnd = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    {
        let mut run = conn
            .prepare(
                "INSERT INTO runs VALUES (?1, 1, ?1, 'u', 'FINISHED', ?2, NULL, NULL, 'active', 'file:///x', ?2 + 1)",
            )
            .unwrap();
        let mut param = conn
            .prepare("INSERT INTO params SELECT run_key, ?2, ?3 FROM runs WHERE run_uuid = ?1")
            .unwrap();
        let mut metric = conn
            .prepare("INSERT INTO latest_metrics SELECT run_key, ?2, ?3, 0, 0, 0 FROM runs WHERE run_uuid = ?1")
            .unwrap();
        for i in 0..runs {
            let id = format!("{:032x}", (i as u128).wrapping_mul(0x9e3779b97f4a7c15));
            run.execute(params![id, i as i64]).unwrap();
            for p in 1..=5 {
                let v = ["a", "b", "c", "d"][(rnd() * 4.0) as usize];
                param.execute(params![id, format!("p{p}"), v]).unwrap();
            }
            for m in 1..=5 {
                metric.execute(params![id, format!("m{m}"), rnd()]).unwrap();
            }
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    conn
}

fn plan(conn: &Connection, q: &Query) -> String {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {}", q.sql))
        .unwrap();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(q.binds.iter()), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    rows.join("\n")
}

/// The benchmark query of the brief.
fn benchmark_search() -> RunSearch {
    run_search(
        &[1],
        "metrics.m1 > 0.5 and params.p1 = 'a'",
        &["metrics.m2 DESC"],
        ViewType::ActiveOnly,
    )
}

#[test]
fn query_plans_use_indexes_not_table_scans() {
    let conn = big_db(500);
    for analyzed in [false, true] {
        if analyzed {
            conn.execute_batch("ANALYZE").unwrap();
        }
        let searches = [
            benchmark_search(),
            run_search(
                &[1],
                "params.p1 = 'a' or tags.t IS NULL or run_name LIKE 'x%'",
                &["params.p2"],
                ViewType::All,
            ),
            run_search(
                &[1],
                "datasets.context = 'train'",
                &["tags.t1 DESC"],
                ViewType::All,
            ),
        ];
        for q in &searches {
            let p = plan(&conn, &run_query(Dialect::Sqlite, q, 0, 1001).unwrap());
            eprintln!("analyzed={analyzed} {}\n{p}\n", q.filter.expr.is_some());
            for table in ["latest_metrics", "params", "tags", "input_tags", "datasets"] {
                for line in p.lines() {
                    let scanned = line.contains(&format!("SCAN {table} "))
                        || line.ends_with(&format!("SCAN {table}"));
                    assert!(!scanned, "full scan of {table} (analyzed={analyzed}):\n{p}");
                }
            }
        }
        if analyzed {
            // With statistics the brief's query starts from the selective
            // param index instead of probing every run of the experiment.
            let p = plan(
                &conn,
                &run_query(Dialect::Sqlite, &benchmark_search(), 0, 1001).unwrap(),
            );
            assert!(
                p.lines()
                    .next()
                    .unwrap()
                    .contains("COVERING INDEX params_by_key_value (key=? AND value=?)"),
                "{p}"
            );
        }
        // The default order comes straight from the index: no sort at all.
        let p = plan(
            &conn,
            &run_query(
                Dialect::Sqlite,
                &run_search(&[1], "", &[], ViewType::ActiveOnly),
                0,
                10,
            )
            .unwrap(),
        );
        assert!(
            !p.contains("TEMP B-TREE"),
            "default order needs no sort:\n{p}"
        );
    }
}

/// The metric-order walk gives exactly the generic sorted query's pages:
/// pages that end inside a group of tied values (ties on the value and on
/// start_time), pages that run on into the NaN and missing segments, OR
/// filters, and both directions. A filter too selective for the walk's
/// budget makes it give up, and the search still answers through the
/// generic query.
#[test]
fn metric_order_walk_matches_the_generic_query() {
    let conn = big_db(600);
    conn.execute_batch(
        "UPDATE latest_metrics SET value = round(value * 10) / 10 WHERE key = 'm3';
         UPDATE latest_metrics SET value = 0, is_nan = 1 WHERE key = 'm3' AND run_key % 17 = 0;
         DELETE FROM latest_metrics WHERE key = 'm3' AND run_key % 13 = 0;
         UPDATE runs SET start_time = start_time / 3;",
    )
    .unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("", &["metrics.m3 DESC"]),
        ("params.p1 = 'a'", &["metrics.m3"]),
        ("params.p1 = 'a' or metrics.m1 > 0.9", &["metrics.m3 DESC"]),
        ("metrics.m1 > 0.5 and params.p2 != 'b'", &["metrics.m3"]),
        (
            "(params.p1 = 'a' or params.p1 = 'b') and metrics.m3 >= 0",
            &["metrics.m3 DESC"],
        ),
        ("params.p1 = 'c'", &["metrics.m3 DESC", "start_time ASC"]),
        ("", &["metrics.m3", "run_id DESC"]),
        ("metrics.m1 > 0.5 and params.p1 = 'a'", &["metrics.m2 DESC"]),
    ];
    for (filter, order) in cases {
        let q = run_search(&[1], filter, order, ViewType::ActiveOnly);
        let all = execute::<i64>(&conn, &run_query(Dialect::Sqlite, &q, 0, 10_000).unwrap())
            .unwrap()
            .len();
        for (offset, limit) in [
            (0, 1),
            (0, 7),
            (5, 50),
            (100, 101),
            (all.saturating_sub(60), 40),
            (all.saturating_sub(20), 100),
            (all, 10),
            (0, 1000),
        ] {
            let walked = metric_scan::page(&conn, &q, offset, limit)
                .unwrap()
                .unwrap_or_else(|| panic!("{filter:?} {order:?}: walk over budget"));
            let generic = execute::<i64>(
                &conn,
                &run_query(Dialect::Sqlite, &q, offset, limit).unwrap(),
            )
            .unwrap();
            assert_eq!(
                walked, generic,
                "{filter:?} {order:?} offset {offset} limit {limit}"
            );
        }
    }
    // About 3,000 / 4^4 runs match: far too few for a walk of 8 entries per
    // wanted row (plus 1,024).
    let conn = big_db(3000);
    let rare = run_search(
        &[1],
        "params.p1 = 'a' and params.p2 = 'a' and params.p3 = 'a' and params.p4 = 'a'",
        &["metrics.m3 DESC"],
        ViewType::ActiveOnly,
    );
    assert!(metric_scan::page(&conn, &rare, 0, 10).unwrap().is_none());
    let generic =
        execute::<i64>(&conn, &run_query(Dialect::Sqlite, &rare, 0, 10).unwrap()).unwrap();
    assert!(!generic.is_empty());
    assert_eq!(run_rows_page(&conn, &rare, 0, 10).unwrap(), generic);
    // Orders the walk does not serve.
    for order in [
        &["metrics.m3", "metrics.m1"][..],
        &["params.p1", "metrics.m3"],
    ] {
        let q = run_search(&[1], "", order, ViewType::ActiveOnly);
        assert!(metric_scan::page(&conn, &q, 0, 10).unwrap().is_none());
    }
}

/// The walk reads the metric's index in order: no sort, no scan of a table.
#[test]
fn metric_order_walk_uses_the_value_index() {
    let conn = big_db(500);
    for analyzed in [false, true] {
        if analyzed {
            conn.execute_batch("ANALYZE").unwrap();
        }
        let q = benchmark_search();
        let order = metric_scan::MetricOrder::of(&q).unwrap();
        let p = plan(&conn, &metric_scan::walk_query(&q, &order).unwrap());
        assert!(
            p.lines()
                .next()
                .unwrap()
                .contains("o USING COVERING INDEX latest_metrics_by_key_value (key=?)"),
            "analyzed={analyzed}\n{p}"
        );
        assert!(!p.contains("TEMP B-TREE"), "analyzed={analyzed}\n{p}");
        assert!(!p.contains("SCAN "), "analyzed={analyzed}\n{p}");
    }
}
