//! fmin semantics: budget, resume, reproducibility, parallelism, stop rules.

use cairn_tune::{
    Algo, Expr, FminOptions, Space, Status, StopReason, Trials, TuneError, Value, fmin, hp,
    no_progress_loss,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn space() -> Space {
    Space::new(Expr::map([
        ("x", hp::uniform("x", -5.0, 5.0)),
        (
            "m",
            hp::choice(
                "m",
                [
                    Expr::from("a"),
                    Expr::map([("k", hp::quniform("k", 0.0, 10.0, 1.0))]),
                ],
            ),
        ),
    ]))
    .unwrap()
}

fn obj(p: &Value) -> f64 {
    let x = p["x"].as_f64().unwrap();
    let k = p["m"]["k"].as_f64().unwrap_or(20.0);
    x * x + (k - 3.0).abs()
}

fn quiet() -> FminOptions<'static> {
    FminOptions::new().show_progressbar(false)
}

fn losses(t: &Trials) -> Vec<Option<f64>> {
    t.losses()
}

#[test]
fn reproducible_from_seed_for_every_algo() {
    for algo in [
        Algo::Default,
        Algo::Random,
        Algo::Tpe(Default::default()),
        Algo::Anneal(Default::default()),
        // the opt-in CMA-ES arm with whole generations
        Algo::from_name("default+cma+genlead").unwrap(),
    ] {
        // long enough for every arm of the default sampler, repeat
        // rejections on the quantized `k` and several CMA-ES generations
        let run = |seed| {
            let mut t = Trials::new();
            fmin(
                obj,
                &space(),
                &mut t,
                quiet().algo(algo.clone()).max_evals(120).seed(seed),
            )
            .unwrap();
            t
        };
        let (a, b, c) = (run(5), run(5), run(6));
        assert_eq!(losses(&a), losses(&b), "{algo:?}");
        assert_eq!(
            a.trials().iter().map(|t| &t.vals).collect::<Vec<_>>(),
            b.trials().iter().map(|t| &t.vals).collect::<Vec<_>>()
        );
        assert_ne!(losses(&a), losses(&c), "{algo:?}");
    }
}

#[test]
fn max_evals_counts_existing_trials_and_resume_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trials.json");
    let mut t = Trials::new();
    fmin(
        obj,
        &space(),
        &mut t,
        quiet().max_evals(15).seed(1).trials_save_file(&path),
    )
    .unwrap();
    assert_eq!(t.len(), 15);
    // Resume: a fresh Trials picks up the file; max_evals counts the 15.
    let mut resumed = Trials::new();
    let out = fmin(
        obj,
        &space(),
        &mut resumed,
        quiet().max_evals(25).seed(2).trials_save_file(&path),
    )
    .unwrap();
    assert_eq!(out.n_evaluated, 10);
    assert_eq!(resumed.len(), 25);
    assert_eq!(&resumed.trials()[..15], t.trials());
    let loaded = Trials::load(&path).unwrap();
    assert_eq!(loaded, resumed);
    let tids: Vec<usize> = loaded.tids();
    assert_eq!(tids, (0..25).collect::<Vec<_>>());
    // Same max_evals again: nothing to do.
    let out = fmin(obj, &space(), &mut resumed, quiet().max_evals(25).seed(3));
    assert!(out.is_ok());
    assert_eq!(resumed.len(), 25);
}

/// Runs `space` with `par` workers for `n` trials and checks that every
/// trial ran once and every evaluated point was distinct.
fn check_parallel_distinct(space: &Space, f: fn(&Value) -> f64, n: usize, par: usize) {
    let calls = AtomicUsize::new(0);
    let seen = Mutex::new(HashSet::new());
    let mut t = Trials::new();
    let g = |p: &Value| {
        calls.fetch_add(1, Ordering::SeqCst);
        seen.lock().unwrap().insert(format!("{p:?}"));
        std::thread::yield_now();
        f(p)
    };
    fmin(
        g,
        space,
        &mut t,
        quiet().max_evals(n).seed(4).parallelism(par),
    )
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), n);
    assert_eq!(t.len(), n);
    assert_eq!(
        t.tids(),
        (0..n).collect::<Vec<_>>(),
        "no trial lost or duplicated"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        n,
        "every evaluated point distinct (par {par})"
    );
}

#[test]
fn parallel_evaluates_exactly_max_evals() {
    let continuous = Space::new(Expr::map([
        ("x", hp::uniform("x", -5.0, 5.0)),
        ("y", hp::uniform("y", -5.0, 5.0)),
    ]))
    .unwrap();
    fn sphere(p: &Value) -> f64 {
        let (x, y) = (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap());
        x * x + y * y
    }
    // Quantized and integer parameters: the default sampler rejects a
    // proposal equal to a finished *or pending* point, so the check holds
    // whatever the timing of the trials (121 points, 57 trials).
    let grid = Space::new(Expr::map([
        ("x", hp::quniform("x", -5.0, 5.0, 1.0)),
        ("y", hp::uniformint("y", -5.0, 5.0)),
    ]))
    .unwrap();
    for par in [2, 3, 8] {
        check_parallel_distinct(&continuous, sphere, 57, par);
        check_parallel_distinct(&grid, sphere, 57, par);
        // the conditional space where the coordinate arm redraws `k`
        check_parallel_distinct(&space(), obj, 40, par);
    }
}

/// SparkTrials-style scheduling: a free worker takes the next trial at once,
/// so a long trial never holds the others back (no lock-step pairs). The
/// first trial blocks until four later trials have run to completion, which
/// only a scheduler that refills each worker as it frees up can deliver.
#[test]
fn parallel_workers_do_not_wait_for_a_slow_trial() {
    let started = AtomicUsize::new(0);
    let finished_others = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let tx = Mutex::new(tx);
    let f = |p: &Value| -> f64 {
        if started.fetch_add(1, Ordering::SeqCst) == 0 {
            let waited = rx
                .lock()
                .unwrap()
                .recv_timeout(std::time::Duration::from_secs(20));
            assert!(
                waited.is_ok(),
                "other trials were held back by the slow one"
            );
        } else if finished_others.fetch_add(1, Ordering::SeqCst) + 1 == 4 {
            tx.lock().unwrap().send(()).unwrap();
        }
        obj(p)
    };
    let mut t = Trials::new();
    fmin(
        f,
        &space(),
        &mut t,
        quiet().max_evals(8).seed(1).parallelism(2),
    )
    .unwrap();
    assert_eq!(t.len(), 8);
    assert!(
        t.statuses().iter().all(|s| *s == Status::Ok),
        "{:?}",
        t.statuses()
    );
}

#[test]
fn parallel_panics_are_failed_trials() {
    let mut t = Trials::new();
    let f = |p: &Value| {
        if p["x"].as_f64().unwrap() < 0.0 {
            panic!("negative");
        }
        obj(p)
    };
    fmin(
        f,
        &space(),
        &mut t,
        quiet()
            .algo(Algo::Random)
            .max_evals(30)
            .seed(9)
            .parallelism(4),
    )
    .unwrap();
    assert_eq!(t.len(), 30);
    let failed = t.trials().iter().filter(|x| !x.is_ok()).count();
    assert!(failed > 0 && failed < 30);
}

#[test]
fn stop_rules() {
    let mut t = Trials::new();
    let out = fmin(
        obj,
        &space(),
        &mut t,
        quiet().max_evals(1000).loss_threshold(5.0).seed(1),
    )
    .unwrap();
    assert_eq!(out.stop_reason, StopReason::LossThreshold);
    assert!(out.best_loss < 5.0 && t.len() < 1000);

    let mut t = Trials::new();
    let out = fmin(
        |_: &Value| 1.0,
        &space(),
        &mut t,
        quiet()
            .max_evals(1000)
            .early_stop_fn(no_progress_loss(7, 0.0))
            .seed(1),
    )
    .unwrap();
    assert_eq!(out.stop_reason, StopReason::EarlyStop);
    assert_eq!(
        t.len(),
        8,
        "first trial sets the reference, then 7 without progress"
    );

    let mut t = Trials::new();
    let r = fmin(
        obj,
        &space(),
        &mut t,
        quiet().timeout(std::time::Duration::ZERO).seed(1),
    );
    assert!(matches!(r, Err(TuneError::AllTrialsFailed)));
    assert!(t.is_empty());
}

#[test]
fn points_to_evaluate_come_first_and_add_to_budget() {
    let pts = vec![
        BTreeMap::from([("x".to_string(), 0.5), ("m".to_string(), 0.0)]),
        BTreeMap::from([
            ("x".to_string(), -1.0),
            ("m".to_string(), 1.0),
            ("k".to_string(), 3.0),
        ]),
    ];
    let mut t = Trials::new();
    fmin(
        obj,
        &space(),
        &mut t,
        quiet().max_evals(5).points_to_evaluate(pts.clone()).seed(1),
    )
    .unwrap();
    assert_eq!(t.len(), 7);
    assert_eq!(t.trials()[0].vals, pts[0]);
    assert_eq!(t.trials()[1].vals, pts[1]);
    assert_eq!(t.trials()[1].loss(), Some(1.0));
    let bad = vec![BTreeMap::from([("x".to_string(), 0.5)])];
    let r = fmin(
        obj,
        &space(),
        &mut Trials::new(),
        quiet().max_evals(5).points_to_evaluate(bad),
    );
    assert!(matches!(r, Err(TuneError::InvalidOption(_))));
}

#[test]
fn on_trial_end_sees_every_trial_with_real_values() {
    let mut seen = Vec::new();
    let mut t = Trials::new();
    fmin(
        obj,
        &space(),
        &mut t,
        quiet().max_evals(12).seed(2).on_trial_end(|v| {
            seen.push((v.trial.tid, v.params(), v.loss(), v.status(), v.duration()));
        }),
    )
    .unwrap();
    assert_eq!(seen.len(), 12);
    for (tid, params, loss, _, _) in &seen {
        assert!(loss.is_some());
        let labels: Vec<&str> = params.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels[0], "x");
        let m = params.iter().find(|(l, _)| l == "m").unwrap();
        // option 0 is the literal "a"; option 1 is a map → index, and k appears
        if m.1 == Value::from("a") {
            assert!(!labels.contains(&"k"), "trial {tid}");
        } else {
            assert_eq!(m.1, Value::Int(1));
            assert!(labels.contains(&"k"));
        }
    }
}

#[test]
fn grid_visits_each_point_once_then_stops() {
    let space = Space::new(Expr::map([
        (
            "a",
            hp::choice(
                "a",
                [Expr::from(1), Expr::map([("b", hp::randint("b", 3))])],
            ),
        ),
        ("c", hp::uniformint("c", 0.0, 2.0)),
    ]))
    .unwrap();
    let mut t = Trials::new();
    let out = fmin(
        |_: &Value| 1.0,
        &space,
        &mut t,
        quiet().algo(Algo::Grid).max_evals(100).seed(0),
    )
    .unwrap();
    assert_eq!(out.stop_reason, StopReason::Exhausted);
    assert_eq!(t.len(), (1 + 3) * 3);
    let uniq: HashSet<String> = t.trials().iter().map(|x| format!("{:?}", x.vals)).collect();
    assert_eq!(uniq.len(), 12);
}
