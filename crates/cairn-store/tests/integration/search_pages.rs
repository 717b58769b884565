//! Run searches ordered by a metric, paged through their tokens on a store
//! written through the `TrackingStore` API, against the reference
//! evaluator (`RunFilter::matches`, `RunOrder::compare`) over `get_run`.
//! The metric is shared with a much larger second experiment, so the
//! index walk of the first experiment's pages visits mostly foreign
//! entries and, for selective filters, gives up part-way through the
//! pagination: pages from the walk and from the generic query must join
//! without a gap or a repeat. Values include ties, NaN, the infinities,
//! -0.0 and 0.0; some runs lack the metric, some are deleted (and one is
//! restored); the latest value moves by later steps.

use std::path::Path;

use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::search::{RunFilter, RunOrder};
use cairn_core::store::{RunSearch, TrackingStore};
use cairn_core::{ExperimentId, LifecycleStage, Metric, Param, Run, ViewType};
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

/// Deterministic pseudo-random numbers (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const VALUES: [f64; 9] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    0.5,
    -1.5,
    2.0,
    1e300,
];

/// Runs of experiment `exp`; returns the ids of every run created.
fn populate(store: &SqliteStore, exp: ExperimentId, runs: usize, rng: &mut Lcg) -> Vec<Run> {
    let mut out = Vec::new();
    for i in 0..runs {
        // Few distinct start times: ties on the value and the start time.
        let start = rng.next(4) as i64;
        let new = NewRun::new(exp, "u".into(), Some(format!("r{i}")), start, vec![]).unwrap();
        let id = store.create_run(new).unwrap().info.run_id;
        let mut metrics = Vec::new();
        // One run in six never logs the metric.
        if rng.next(6) != 0 {
            // A few writes; the latest (highest step) is what search sees.
            for step in 0..=rng.next(3) as i64 {
                let v = VALUES[rng.next(VALUES.len() as u64) as usize];
                metrics.push(Metric::new("m", v, 1_000 + step, step));
            }
        }
        metrics.push(Metric::new("other", rng.next(100) as f64 / 100.0, 5, 0));
        let params = vec![Param::new("p", ["a", "b", "c", "d"][rng.next(4) as usize])];
        store
            .log_batch(&id, &RunBatch::new(metrics, params, vec![]).unwrap())
            .unwrap();
        if rng.next(5) == 0 {
            store.delete_run(&id).unwrap();
            if rng.next(4) == 0 {
                store.restore_run(&id).unwrap();
            }
        }
        out.push(store.get_run(&id).unwrap());
    }
    out
}

/// Every page of the search, following the tokens.
fn all_pages(store: &SqliteStore, q: &RunSearch) -> Vec<String> {
    let mut q = q.clone();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let page = store.search_runs(&q).unwrap();
        assert!(page.items.len() <= q.max_results);
        out.extend(page.items.iter().map(|r| r.info.run_id.to_string()));
        match page.next_page_token {
            Some(t) => {
                assert_eq!(page.items.len(), q.max_results, "a short page with a token");
                q.page_token = Some(t);
            }
            None => return out,
        }
    }
    panic!("pagination does not end");
}

#[test]
fn metric_ordered_pages_join_across_walk_and_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db.sqlite"));
    let mut rng = Lcg(7);
    let mine = store
        .create_experiment(NewExperiment::new("mine".into(), None, vec![]).unwrap())
        .unwrap();
    let big = store
        .create_experiment(NewExperiment::new("big".into(), None, vec![]).unwrap())
        .unwrap();
    let mut runs = populate(&store, mine, 120, &mut rng);
    runs.extend(populate(&store, big, 1_400, &mut rng));
    let filters = [
        "",
        "params.p = 'a'",
        "params.p = 'a' OR metrics.other > 0.9",
        "metrics.m > 0",
        "metrics.m <= 0 and params.p != 'b'",
        "metrics.other < 0.05",
    ];
    let orders: [&[&str]; 4] = [
        &["metrics.m"],
        &["metrics.m DESC"],
        &["metrics.m DESC", "start_time ASC"],
        &["metrics.m ASC", "run_id DESC"],
    ];
    let scopes = [vec![mine], vec![mine, big]];
    for filter in filters {
        for order in orders {
            for view in [ViewType::ActiveOnly, ViewType::DeletedOnly, ViewType::All] {
                for exps in &scopes {
                    let q = RunSearch {
                        experiment_ids: exps.clone(),
                        filter: RunFilter::parse(filter).unwrap(),
                        order: RunOrder::parse(
                            &order.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                        )
                        .unwrap(),
                        view_type: view,
                        max_results: 1,
                        page_token: None,
                    };
                    let mut want: Vec<&Run> = runs
                        .iter()
                        .filter(|r| exps.contains(&r.info.experiment_id))
                        .filter(|r| view.includes(r.info.lifecycle_stage))
                        .filter(|r| q.filter.matches(r))
                        .collect();
                    want.sort_by(|a, b| q.order.compare(a, b));
                    let want: Vec<String> =
                        want.iter().map(|r| r.info.run_id.to_string()).collect();
                    // Page size 1 only in the small scope (a search per run).
                    let sizes: &[usize] = if exps.len() == 1 {
                        &[1, 7, 50_000]
                    } else {
                        &[333, 50_000]
                    };
                    for &size in sizes {
                        let q = RunSearch {
                            max_results: size,
                            ..q.clone()
                        };
                        assert_eq!(
                            all_pages(&store, &q),
                            want,
                            "filter {filter:?} order {order:?} {view:?} {exps:?} size {size}"
                        );
                    }
                }
            }
        }
    }
    // The fixture exercises what it claims to.
    assert!(
        runs.iter()
            .any(|r| r.info.lifecycle_stage == LifecycleStage::Deleted)
    );
    assert!(
        runs.iter()
            .any(|r| r.metrics.iter().any(|m| m.value.is_nan()))
    );
}
