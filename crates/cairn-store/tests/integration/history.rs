//! Metric history through the `TrackingStore` trait on a temp-file
//! `SqliteStore`, for the chunked layout (migration 0006): order and
//! exact-duplicate collapse across writes, out-of-order steps and times,
//! non-finite values, a 100,000-point history, bulk-interval sampling,
//! block extremes kept exact, and the migration of an old-layout database.

use std::cmp::Ordering;
use std::path::Path;

use super::old_schema;
use cairn_core::commands::RunBatch;
use cairn_core::store::{BulkIntervalQuery, MetricHistoryQuery, TrackingStore};
use cairn_core::{ExperimentId, Metric, RunId};
use cairn_store::{Durability, SqliteStore, StoreOptions};

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(
        path,
        StoreOptions {
            durability: Durability::Normal,
            ..StoreOptions::default()
        },
    )
    .expect("open store")
}

fn new_run(store: &dyn TrackingStore) -> RunId {
    let new = cairn_core::commands::NewRun::new(
        ExperimentId::DEFAULT,
        "tester".into(),
        None,
        1_000,
        vec![],
    )
    .unwrap();
    store.create_run(new).unwrap().info.run_id
}

fn log(store: &dyn TrackingStore, run: &RunId, metrics: Vec<Metric>) {
    store
        .log_batch(run, &RunBatch::new(metrics, vec![], vec![]).unwrap())
        .unwrap();
}

/// A point as compared here: value by bits, after the store's
/// normalization (-0.0 is 0.0, every NaN the same).
type P = (i64, i64, u64);

fn norm(t: i64, s: i64, v: f64) -> P {
    let v = if v.is_nan() {
        f64::NAN
    } else if v == 0.0 {
        0.0
    } else {
        v
    };
    (t, s, v.to_bits())
}

/// The store's history order, written independently: timestamp, step,
/// value, NaN as a value of 0 just after a real 0.
fn history_order(a: &P, b: &P) -> Ordering {
    let key = |p: &P| {
        let v = f64::from_bits(p.2);
        if v.is_nan() { (0.0, 1) } else { (v, 0) }
    };
    let (va, na) = key(a);
    let (vb, nb) = key(b);
    (a.0, a.1)
        .cmp(&(b.0, b.1))
        .then(va.partial_cmp(&vb).unwrap())
        .then(na.cmp(&nb))
}

fn history(store: &dyn TrackingStore, run: &RunId, key: &str) -> Vec<P> {
    store
        .metric_history(&MetricHistoryQuery {
            run_id: run.clone(),
            key: key.into(),
            max_results: None,
            page_token: None,
        })
        .unwrap()
        .items
        .iter()
        .map(|m| {
            assert_eq!(m.key, key);
            norm(m.timestamp, m.step, m.value)
        })
        .collect()
}

/// The history read page by page.
fn paged_history(store: &dyn TrackingStore, run: &RunId, key: &str, size: usize) -> Vec<P> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .metric_history(&MetricHistoryQuery {
                run_id: run.clone(),
                key: key.into(),
                max_results: Some(size),
                page_token: token,
            })
            .unwrap();
        assert!(page.items.len() <= size);
        out.extend(
            page.items
                .iter()
                .map(|m| norm(m.timestamp, m.step, m.value)),
        );
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => return out,
        }
    }
}

/// What the store must return for everything logged so far: each distinct
/// point once, in history order.
fn model(logged: &[P]) -> Vec<P> {
    let mut m = logged.to_vec();
    m.sort_by(history_order);
    m.dedup();
    m
}

/// Every read of a history agrees with the model: whole, paged, the lean
/// point read, the chart's point count (the write-time blocks count only
/// stored points), and an unsampled bulk-interval read in step order.
fn check_all_reads(store: &SqliteStore, run: &RunId, key: &str, want: &[P]) {
    assert_eq!(history(store, run, key), want, "get-history");
    assert_eq!(paged_history(store, run, key, 7), want, "paged");
    let lean: Vec<P> = store
        .metric_points(run, key)
        .unwrap()
        .into_iter()
        .map(|(t, s, v)| norm(t, s, v))
        .collect();
    assert_eq!(lean, want, "metric_points");
    let chart = store.metric_chart_points(run, key, 1).unwrap();
    assert_eq!(chart.total_points, want.len() as u64, "block point counts");
    let bulk: Vec<P> = store
        .metric_history_bulk_interval(&BulkIntervalQuery {
            run_ids: vec![run.clone()],
            key: key.into(),
            steps: None,
            max_results: usize::MAX,
        })
        .unwrap()
        .into_iter()
        .map(|m| norm(m.metric.timestamp, m.metric.step, m.metric.value))
        .collect();
    let mut by_step = want.to_vec();
    by_step.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| history_order(a, b)));
    assert_eq!(bulk, by_step, "bulk-interval, every step");
}

#[test]
fn duplicates_collapse_across_writes_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let batch = |from: i64| -> Vec<Metric> {
        (from..from + 10)
            .flat_map(|s| {
                [
                    Metric::new("a", s as f64 * 0.5, 1_000 + s, s),
                    Metric::new("b", -(s as f64), 1_000 + s, s),
                ]
            })
            .collect()
    };
    let mut logged: Vec<(String, P)> = batch(0)
        .iter()
        .map(|m| (m.key.clone(), norm(m.timestamp, m.step, m.value)))
        .collect();
    log(&store, &run, batch(0));
    // A retried write stores nothing new.
    log(&store, &run, batch(0));
    // The next write repeats one old point and one of its own.
    let mut next = batch(10);
    next.push(Metric::new("a", 2.5, 1_005, 5));
    next.push(Metric::new("a", 5.0, 1_010, 10));
    for m in &next {
        logged.push((m.key.clone(), norm(m.timestamp, m.step, m.value)));
    }
    log(&store, &run, next);
    // A single log-metric style write of an old point, and of a new one
    // between old ones (same time and step as an old point, other value).
    log(&store, &run, vec![Metric::new("b", -3.0, 1_003, 3)]);
    log(&store, &run, vec![Metric::new("b", 7.0, 1_003, 3)]);
    logged.push(("b".into(), norm(1_003, 3, 7.0)));
    for key in ["a", "b"] {
        let points: Vec<P> = logged
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, p)| *p)
            .collect();
        let want = model(&points);
        assert_eq!(want.len(), if key == "a" { 20 } else { 21 });
        check_all_reads(&store, &run, key, &want);
    }
    // (1003, 3, -3) then (1003, 3, 7): ordered by value at equal time and step.
    let b = history(&store, &run, "b");
    assert_eq!(b[3], norm(1_003, 3, -3.0));
    assert_eq!(b[4], norm(1_003, 3, 7.0));
}

#[test]
fn steps_and_times_logged_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let mut logged = Vec::new();
    // Batches in descending step order, each descending inside too; the
    // timestamps go backwards with them.
    for b in (0..5_i64).rev() {
        let ms: Vec<Metric> = (0..20_i64)
            .rev()
            .map(|i| {
                let s = b * 20 + i;
                Metric::new("m", (s * 7 % 11) as f64, 10_000 + s, s)
            })
            .collect();
        logged.extend(ms.iter().map(|m| norm(m.timestamp, m.step, m.value)));
        log(&store, &run, ms);
    }
    // Steps going backwards while time goes forwards: history order is by
    // time, so the steps come back descending.
    let late: Vec<Metric> = (0..10_i64)
        .map(|i| Metric::new("m", 1.0, 20_000 + i, 1_000 - i))
        .collect();
    logged.extend(late.iter().map(|m| norm(m.timestamp, m.step, m.value)));
    log(&store, &run, late);
    let want = model(&logged);
    assert_eq!(want.len(), 110);
    check_all_reads(&store, &run, "m", &want);
    let h = history(&store, &run, "m");
    assert_eq!(h[0], norm(10_000, 0, 0.0));
    assert_eq!(h[100].1, 1_000);
    assert_eq!(h[109].1, 991);
    // The latest value is the highest step, whatever the arrival order.
    let latest = store.get_run(&run).unwrap().metrics;
    assert_eq!(latest, vec![Metric::new("m", 1.0, 20_000, 1_000)]);
}

#[test]
fn non_finite_values_across_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let values = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.5,
        -f64::MAX,
    ];
    let mut logged = Vec::new();
    for round in 0..3 {
        // Every value at one (time, step), twice per write, three writes:
        // each distinct value is stored once (-0.0 and 0.0 are one value).
        let ms: Vec<Metric> = values
            .iter()
            .chain(values.iter())
            .map(|&v| Metric::new("x", v, 5, 1))
            .collect();
        logged.extend(ms.iter().map(|m| norm(m.timestamp, m.step, m.value)));
        log(&store, &run, ms);
        // And one new point per write after them.
        let next = Metric::new("x", f64::NAN, 6 + round, 2);
        logged.push(norm(next.timestamp, next.step, next.value));
        log(&store, &run, vec![next]);
    }
    let want = model(&logged);
    assert_eq!(want.len(), 6 + 3);
    check_all_reads(&store, &run, "x", &want);
    let h = store
        .metric_history(&MetricHistoryQuery {
            run_id: run.clone(),
            key: "x".into(),
            max_results: None,
            page_token: None,
        })
        .unwrap()
        .items;
    let first: Vec<P> = h[..6]
        .iter()
        .map(|m| norm(m.timestamp, m.step, m.value))
        .collect();
    let order = [
        f64::NEG_INFINITY,
        -f64::MAX,
        0.0,
        f64::NAN,
        1.5,
        f64::INFINITY,
    ];
    assert_eq!(first, order.map(|v| norm(5, 1, v)));
    // The chart keeps only finite extremes.
    let chart = store.metric_chart_points(&run, "x", 1).unwrap();
    assert!(chart.points.iter().all(|p| p.2.is_finite()));
}

/// A small deterministic generator (no seed files, no flakiness).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_writes_with_many_duplicates_match_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let mut rng = Lcg(7);
    let pool = [0.0, -0.0, 1.0, -1.0, 2.5, f64::NAN, f64::INFINITY];
    let keys = ["k0", "k1", "k2"];
    let mut logged: Vec<Vec<P>> = vec![Vec::new(); keys.len()];
    for _ in 0..60 {
        let n = 1 + rng.next(40) as usize;
        let ms: Vec<Metric> = (0..n)
            .map(|_| {
                let k = rng.next(keys.len() as u64) as usize;
                let (t, s) = (rng.next(6) as i64, rng.next(40) as i64 - 10);
                let v = pool[rng.next(pool.len() as u64) as usize];
                logged[k].push(norm(t, s, v));
                Metric::new(keys[k], v, t, s)
            })
            .collect();
        log(&store, &run, ms);
    }
    for (k, key) in keys.iter().enumerate() {
        let want = model(&logged[k]);
        assert!(
            want.len() < logged[k].len(),
            "the test must make duplicates"
        );
        check_all_reads(&store, &run, key, &want);
    }
}

#[test]
fn a_hundred_thousand_point_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    for b in 0..100_i64 {
        let ms: Vec<Metric> = (0..1_000_i64)
            .map(|i| {
                let s = b * 1_000 + i;
                Metric::new("big", (s as f64).sin(), 1_000_000 + s, s)
            })
            .collect();
        log(&store, &run, ms);
    }
    let h = history(&store, &run, "big");
    assert_eq!(h.len(), 100_000);
    assert!(h.iter().enumerate().all(|(i, p)| p.1 == i as i64));
    assert_eq!(h[54_321], norm(1_054_321, 54_321, 54_321f64.sin()));
    // A page from the middle.
    let page = store
        .metric_history(&MetricHistoryQuery {
            run_id: run.clone(),
            key: "big".into(),
            max_results: Some(1_000),
            page_token: Some(cairn_core::page_token::encode(50_000)),
        })
        .unwrap();
    assert_eq!(page.items.len(), 1_000);
    assert_eq!(page.items[0].step, 50_000);
    assert!(page.next_page_token.is_some());
    // Charts read the write-time blocks: 391 blocks of 256 steps.
    let chart = store.metric_chart_points(&run, "big", 100).unwrap();
    assert!(chart.summarized);
    assert_eq!(chart.total_points, 100_000);
    assert_eq!(chart.first_time, Some(1_000_000));
    // Bulk-interval samples 2,500 of the 100,000 steps, ends kept.
    let got = store
        .metric_history_bulk_interval(&BulkIntervalQuery {
            run_ids: vec![run.clone()],
            key: "big".into(),
            steps: None,
            max_results: 2_500,
        })
        .unwrap();
    assert_eq!(got.len(), 2_500);
    assert_eq!(got[0].metric.step, 0);
    assert_eq!(got[2_499].metric.step, 99_999);
    assert!(got.windows(2).all(|w| w[0].metric.step < w[1].metric.step));
}

#[test]
fn bulk_interval_picks_steps_across_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    // Steps 0..300 arrive in three writes, newest steps first; step 150
    // also has a second point (other time), which comes back with it.
    for b in (0..3_i64).rev() {
        log(
            &store,
            &run,
            (b * 100..b * 100 + 100)
                .map(|s| Metric::new("l", s as f64, s, s))
                .collect(),
        );
    }
    log(&store, &run, vec![Metric::new("l", -1.0, 999, 150)]);
    let q = |steps, max| BulkIntervalQuery {
        run_ids: vec![run.clone()],
        key: "l".into(),
        steps,
        max_results: max,
    };
    let got = store
        .metric_history_bulk_interval(&q(Some((100, 200)), 3))
        .unwrap();
    let pts: Vec<(i64, i64, f64)> = got
        .iter()
        .map(|m| (m.metric.step, m.metric.timestamp, m.metric.value))
        .collect();
    assert_eq!(
        pts,
        [
            (100, 100, 100.0),
            (150, 150, 150.0),
            (150, 999, -1.0),
            (200, 200, 200.0)
        ]
    );
    let all = store.metric_history_bulk_interval(&q(None, 300)).unwrap();
    assert_eq!(all.len(), 301);
}

/// A database written by a version-5 build (one `metric_history` row per
/// point, blocks built from it) is converted by migration 0006: every
/// point survives in history order, the old table is gone, and new writes
/// to a converted series still collapse duplicates of converted points.
#[test]
fn version_5_history_survives_the_chunk_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite");
    let run_a = "a".repeat(32);
    let run_b = "b".repeat(32);
    let mut want_a: Vec<P> = Vec::new();
    {
        let conn = old_schema(
            &path,
            &[
                include_str!("../../migrations/0001_init.sql"),
                include_str!("../../migrations/0002_metric_history_by_run_key.sql"),
                include_str!("../../migrations/0003_runs_lookup_index.sql"),
                include_str!("../../migrations/0004_metric_blocks.sql"),
                include_str!("../../migrations/0005_child_tables_by_run_key.sql"),
            ],
        );
        conn.execute_batch(&format!(
            "INSERT INTO experiments VALUES (0, 'Default', 'file:///art/0', 'active', 0, 0);
             INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time,
                               lifecycle_stage, artifact_uri, run_key)
             VALUES ('{run_a}', 0, 'ra', 'u', 'RUNNING', 10, 'active', 'file:///x', 7),
                    ('{run_b}', 0, 'rb', 'u', 'RUNNING', 20, 'active', 'file:///y', 3);"
        ))
        .unwrap();
        let mut insert = conn
            .prepare("INSERT INTO metric_history VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        // 2,500 points of "loss" on run a (more than one migrated chunk),
        // inserted in reverse; NaN stored the old way, infinities as REAL.
        for s in (0..2_500_i64).rev() {
            let v = match s {
                10 => f64::NAN,
                11 => f64::INFINITY,
                12 => f64::NEG_INFINITY,
                _ => (s % 17) as f64 - 8.0,
            };
            let (stored, nan) = if v.is_nan() { (0.0, 1) } else { (v, 0) };
            insert
                .execute(rusqlite::params![7, "loss", 100 + s / 2, s, stored, nan])
                .unwrap();
            want_a.push(norm(100 + s / 2, s, v));
        }
        insert
            .execute(rusqlite::params![3, "acc", 5, 1, 0.5, 0])
            .unwrap();
        insert
            .execute(rusqlite::params![3, "acc", 4, 2, 0.25, 0])
            .unwrap();
        drop(insert);
        // The version-5 blocks, as that build's backfill computes them.
        conn.execute_batch(include_str!("../../migrations/0004_metric_blocks.sql"))
            .unwrap();
    }
    let store = open(&path);
    let a: RunId = run_a.parse().unwrap();
    let b: RunId = run_b.parse().unwrap();
    let want_a = model(&want_a);
    check_all_reads(&store, &a, "loss", &want_a);
    assert_eq!(
        history(&store, &b, "acc"),
        [norm(4, 2, 0.25), norm(5, 1, 0.5)]
    );
    // New writes: one duplicate of a converted point, one new point.
    log(
        &store,
        &a,
        vec![
            Metric::new("loss", f64::NAN, 105, 10),
            Metric::new("loss", 3.0, 105, 10),
        ],
    );
    let mut more = want_a.clone();
    more.push(norm(105, 10, 3.0));
    check_all_reads(&store, &a, "loss", &model(&more));
    assert_eq!(history(&store, &b, "acc").len(), 2);
    store.shutdown();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'metric_history'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0, "the old table is dropped");
    let (series, points): (i64, i64) = conn
        .query_row("SELECT count(*), sum(points) FROM metric_series", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((series, points), (2, 2_500 + 1 + 2));
}

#[test]
fn a_retry_deep_in_a_long_history_is_still_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let write = |times: std::ops::Range<i64>| -> Vec<Metric> {
        times
            .map(|t| Metric::new("m", (t % 13) as f64, t, t / 2))
            .collect()
    };
    let mut logged = Vec::new();
    for b in 0..50_i64 {
        let ms = write(b * 10..b * 10 + 10);
        logged.extend(ms.iter().map(|m| norm(m.timestamp, m.step, m.value)));
        log(&store, &run, ms);
    }
    // Old points straddling two earlier writes, one new point among them,
    // and the newest point again.
    let mut again = write(37..43);
    again.push(Metric::new("m", 99.0, 40, 20));
    again.push(Metric::new("m", (499 % 13) as f64, 499, 249));
    logged.extend(again.iter().map(|m| norm(m.timestamp, m.step, m.value)));
    log(&store, &run, again);
    let want = model(&logged);
    assert_eq!(want.len(), 501);
    check_all_reads(&store, &run, "m", &want);
}

/// Writers on several threads log the same metrics of one run at once
/// (their jobs share group commits), overlapping each other's points and
/// retrying every batch: the history holds each distinct point once, in
/// history order, and the block counts agree.
#[test]
fn concurrent_overlapping_writers_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(&dir.path().join("db.sqlite")));
    let run = new_run(&*store);
    let pool = [0.0, -0.0, 1.0, f64::NAN, f64::NEG_INFINITY, 3.5];
    let threads = 6;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (store, run, barrier) = (store.clone(), run.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut rng = Lcg(100 + t as u64);
                let mut logged: Vec<(usize, P)> = Vec::new();
                barrier.wait();
                for _ in 0..40 {
                    let n = 1 + rng.next(30) as usize;
                    let ms: Vec<Metric> = (0..n)
                        .map(|_| {
                            let k = rng.next(2) as usize;
                            // Extreme and ordinary times and steps, shared
                            // by every thread.
                            let t = [0, 1, 7, i64::MAX - 1, i64::MAX][rng.next(5) as usize];
                            let s = [i64::MIN, 0, 1, i64::MAX][rng.next(4) as usize];
                            let v = pool[rng.next(pool.len() as u64) as usize];
                            logged.push((k, norm(t, s, v)));
                            Metric::new(["a", "b"][k], v, t, s)
                        })
                        .collect();
                    log(&*store, &run, ms.clone());
                    log(&*store, &run, ms);
                }
                logged
            })
        })
        .collect();
    let mut logged: Vec<Vec<P>> = vec![Vec::new(); 2];
    for h in handles {
        for (k, p) in h.join().unwrap() {
            logged[k].push(p);
        }
    }
    for (k, key) in ["a", "b"].iter().enumerate() {
        let want = model(&logged[k]);
        assert!(want.len() < logged[k].len() / 4, "the test must overlap");
        check_all_reads(&store, &run, key, &want);
    }
}

/// One batch of 1,000 metrics under 1,000 distinct keys, then the same
/// keys again with one new point each and one repeat each.
#[test]
fn a_batch_of_a_thousand_distinct_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let first: Vec<Metric> = (0..1000)
        .map(|i| Metric::new(format!("k{i:04}"), i as f64, 10, 1))
        .collect();
    log(&store, &run, first);
    let second: Vec<Metric> = (0..500)
        .flat_map(|i| {
            [
                Metric::new(format!("k{i:04}"), i as f64, 10, 1),
                Metric::new(format!("k{i:04}"), -(i as f64), 5, 2),
            ]
        })
        .collect();
    log(&store, &run, second);
    for i in [0usize, 1, 499, 500, 999] {
        let key = format!("k{i:04}");
        let mut want = vec![norm(10, 1, i as f64)];
        if i < 500 {
            want.push(norm(5, 2, -(i as f64)));
        }
        check_all_reads(&store, &run, &key, &model(&want));
    }
    let run_now = store.get_run(&run).unwrap();
    assert_eq!(run_now.metrics.len(), 1000);
    let k7 = run_now.metrics.iter().find(|m| m.key == "k0007").unwrap();
    assert_eq!((k7.step, k7.value), (2, -7.0), "latest is the higher step");
}

/// Batches that fail after their metrics were written (a changed param
/// value is refused) leave no trace in the history, the block counts or
/// the latest values, also when they share a group commit with
/// successful writes of the same metrics.
#[test]
fn failed_batches_leave_no_points_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(&dir.path().join("db.sqlite")));
    let run = new_run(&*store);
    store
        .log_batch(
            &run,
            &RunBatch::new(vec![], vec![cairn_core::Param::new("p", "fixed")], vec![]).unwrap(),
        )
        .unwrap();
    let threads = 4;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (store, run, barrier) = (store.clone(), run.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                barrier.wait();
                for i in 0..50_i64 {
                    let step = i * 10 + t as i64;
                    let good = vec![Metric::new("m", step as f64, 1, step)];
                    // Same metric and a brand-new one, then the refused param.
                    let bad = RunBatch::new(
                        vec![
                            Metric::new("m", -1.0, 2, step + 1_000_000),
                            Metric::new(format!("new{t}"), 1.0, 1, 0),
                        ],
                        vec![cairn_core::Param::new("p", format!("changed{t}"))],
                        vec![],
                    )
                    .unwrap();
                    assert!(store.log_batch(&run, &bad).is_err());
                    log(&*store, &run, good);
                    kept.push(norm(1, step, step as f64));
                }
                kept
            })
        })
        .collect();
    let mut want: Vec<P> = Vec::new();
    for h in handles {
        want.extend(h.join().unwrap());
    }
    let want = model(&want);
    check_all_reads(&store, &run, "m", &want);
    for t in 0..threads {
        assert!(history(&*store, &run, &format!("new{t}")).is_empty());
    }
    let latest = store.get_run(&run).unwrap();
    assert_eq!(latest.metrics.len(), 1, "{:?}", latest.metrics);
    assert_eq!(latest.metrics[0].step, 49 * 10 + 3);
}

/// A version-5 history whose points share timestamps across the
/// migration's chunk boundaries (and sit at the ends of the int64 range),
/// retried in full after the migration: nothing is stored twice, and a
/// new point in the middle of the range is still added.
#[test]
fn retries_across_migrated_chunk_boundaries_collapse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite");
    let run_id = "c".repeat(32);
    let mut logged: Vec<Metric> = Vec::new();
    {
        let conn = old_schema(
            &path,
            &[
                include_str!("../../migrations/0001_init.sql"),
                include_str!("../../migrations/0002_metric_history_by_run_key.sql"),
                include_str!("../../migrations/0003_runs_lookup_index.sql"),
                include_str!("../../migrations/0004_metric_blocks.sql"),
                include_str!("../../migrations/0005_child_tables_by_run_key.sql"),
            ],
        );
        conn.execute_batch(&format!(
            "INSERT INTO experiments VALUES (0, 'Default', 'file:///art/0', 'active', 0, 0);
             INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time,
                               lifecycle_stage, artifact_uri, run_key)
             VALUES ('{run_id}', 0, 'rc', 'u', 'RUNNING', 10, 'active', 'file:///x', 1);"
        ))
        .unwrap();
        let mut insert = conn
            .prepare("INSERT INTO metric_history VALUES (1, 'm', ?1, ?2, ?3, ?4)")
            .unwrap();
        // 3,000 points on 7 timestamps: every migrated chunk boundary falls
        // inside a run of equal timestamps.
        for i in 0..3_000_i64 {
            let t = [0, 1, 2, 3, 4, i64::MAX - 1, i64::MAX][(i % 7) as usize];
            let s = if i % 11 == 0 { i64::MAX - i } else { i };
            let v = if i % 13 == 0 {
                f64::NAN
            } else {
                (i % 5) as f64
            };
            let (stored, nan) = if v.is_nan() { (0.0, 1) } else { (v, 0) };
            insert
                .execute(rusqlite::params![t, s, stored, nan])
                .unwrap();
            logged.push(Metric::new("m", v, t, s));
        }
        drop(insert);
        conn.execute_batch(include_str!("../../migrations/0004_metric_blocks.sql"))
            .unwrap();
    }
    let store = open(&path);
    let run: RunId = run_id.parse().unwrap();
    let mut want: Vec<P> = logged
        .iter()
        .map(|m| norm(m.timestamp, m.step, m.value))
        .collect();
    let before = model(&want);
    assert_eq!(before.len(), 3_000);
    check_all_reads(&store, &run, "m", &before);
    for batch in logged.chunks(1_000).rev() {
        log(&store, &run, batch.to_vec());
    }
    check_all_reads(&store, &run, "m", &before);
    log(&store, &run, vec![Metric::new("m", 0.25, 3, 5)]);
    want.push(norm(3, 5, 0.25));
    check_all_reads(&store, &run, "m", &model(&want));
}

/// A deleted run refuses writes and keeps its history readable; once
/// restored, a retry of its old points collapses and new points append.
#[test]
fn deleted_and_restored_runs_keep_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let run = new_run(&store);
    let first: Vec<Metric> = (0..5).map(|s| Metric::new("m", s as f64, 10, s)).collect();
    log(&store, &run, first.clone());
    store.delete_run(&run).unwrap();
    let refused = RunBatch::new(vec![Metric::new("m", 9.0, 11, 9)], vec![], vec![]).unwrap();
    assert!(store.log_batch(&run, &refused).is_err());
    let want: Vec<P> = (0..5).map(|s| norm(10, s, s as f64)).collect();
    check_all_reads(&store, &run, "m", &want);
    store.restore_run(&run).unwrap();
    let mut again = first;
    again.push(Metric::new("m", 5.0, 10, 5));
    log(&store, &run, again);
    let want: Vec<P> = (0..6).map(|s| norm(10, s, s as f64)).collect();
    check_all_reads(&store, &run, "m", &want);
}
