//! `cairn-bench tune ...`: the analytic problem suite of
//! `shared/bench/tuning/PROBLEMS.md`, run through `cairn_tune::fmin`, printed
//! as `tuning-bench/1` JSON lines that `compare.py` reads.
//!
//! The spaces use the same Hyperopt primitives as the Python anchors
//! (`uniform`, `loguniform(ln a, ln b)`, `uniformint`, `quniform`,
//! `qloguniform(…, 1)` clipped, `choice` for the conditional problem).

use anyhow::{Context, Result, bail};
use cairn_tune::{Algo, Expr, FminOptions, Space, Trials, Value, fmin, hp};
use clap::{Args, Subcommand};
use std::f64::consts::PI;
use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args)]
pub(crate) struct TuneArgs {
    #[command(subcommand)]
    cmd: TuneCmd,
}

#[derive(Subcommand)]
enum TuneCmd {
    /// List problems and optimizers.
    List,
    /// Evaluate every formula at its stated argmin.
    Check,
    /// Quality runs: one JSON line per (optimizer, problem, seed).
    Run(RunArgs),
    /// Overhead runs (kind "overhead", default 2000 trials).
    Overhead(RunArgs),
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Optimizer: default, tpe, rand, anneal (comma-separated list allowed).
    #[arg(long, default_value = "default")]
    optimizer: String,
    /// Problem name, comma-separated list, or "all".
    #[arg(long, default_value = "all")]
    problem: String,
    /// Seeds, e.g. "0-19" or "0,3,5".
    #[arg(long, default_value = "0-19")]
    seeds: String,
    /// Evaluations per run (quality: 200, overhead: 2000 by default).
    #[arg(long)]
    n: Option<usize>,
    /// Append JSON lines to this file ("-" = stdout).
    #[arg(long, default_value = "-")]
    out: String,
}

const OPTIMIZERS: [&str; 9] = [
    "default",
    "tpe",
    "rand",
    "anneal",
    "default-tpe-only",
    "default-no-anneal",
    "default-no-local",
    "default-cma",
    "default-cma-no-local",
];

struct Problem {
    name: &'static str,
    optimum: f64,
    noise_sd: f64,
    space: fn() -> Expr,
    f: fn(&Value) -> f64,
}

fn box_space(d: usize, lo: f64, hi: f64) -> Expr {
    Expr::map((1..=d).map(|j| (format!("x{j}"), hp::uniform(&format!("x{j}"), lo, hi))))
}

fn xs(p: &Value, d: usize) -> Vec<f64> {
    (1..=d)
        .map(|j| p[format!("x{j}").as_str()].as_f64().expect("float param"))
        .collect()
}

/// Integer parameter, rounded and clipped as the Python harness does.
fn int(p: &Value, k: &str, lo: i64, hi: i64) -> i64 {
    (p[k].as_f64().expect("int param").round() as i64).clamp(lo, hi)
}

fn branin(p: &Value) -> f64 {
    let (x1, x2) = (p["x1"].as_f64().unwrap(), p["x2"].as_f64().unwrap());
    let (a, b, c) = (1.0, 5.1 / (4.0 * PI * PI), 5.0 / PI);
    let (r, s, t) = (6.0, 10.0, 1.0 / (8.0 * PI));
    a * (x2 - b * x1 * x1 + c * x1 - r).powi(2) + s * (1.0 - t) * x1.cos() + s
}

const H6_ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
const H6_A: [[f64; 6]; 4] = [
    [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
    [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
    [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
    [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
];
const H6_P: [[f64; 6]; 4] = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

fn hartmann6_x(x: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..4 {
        let inner: f64 = (0..6)
            .map(|j| H6_A[i][j] * (x[j] - H6_P[i][j]).powi(2))
            .sum();
        total += H6_ALPHA[i] * (-inner).exp();
    }
    -total
}

fn hartmann6(p: &Value) -> f64 {
    hartmann6_x(&xs(p, 6))
}

fn rosenbrock(p: &Value) -> f64 {
    let x = xs(p, 10);
    (0..9)
        .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (x[i] - 1.0).powi(2))
        .sum()
}

fn styblinski_tang(p: &Value) -> f64 {
    0.5 * xs(p, 10)
        .iter()
        .map(|v| v.powi(4) - 16.0 * v * v + 5.0 * v)
        .sum::<f64>()
}

fn levy(p: &Value) -> f64 {
    let w: Vec<f64> = xs(p, 10).iter().map(|x| 1.0 + (x - 1.0) / 4.0).collect();
    let mut s = (PI * w[0]).sin().powi(2);
    for wi in &w[..9] {
        s += (wi - 1.0).powi(2) * (1.0 + 10.0 * (PI * wi + 1.0).sin().powi(2));
    }
    let wl = w[9];
    s + (wl - 1.0).powi(2) * (1.0 + (2.0 * PI * wl).sin().powi(2))
}

/// A fixed random rotation of R^10 (Gram–Schmidt of a seeded Gaussian
/// matrix), row-major; the same on every machine.
fn rotation10() -> &'static [f64] {
    static R: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let mut rng = cairn_tune::math::rng_from_seed(20_261_129);
        let mut rows: Vec<Vec<f64>> = Vec::new();
        while rows.len() < 10 {
            let mut v: Vec<f64> = (0..10)
                .map(|_| cairn_tune::math::std_normal(&mut rng))
                .collect();
            for r in &rows {
                let dot: f64 = v.iter().zip(r).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(r).for_each(|(a, b)| *a -= dot * b);
            }
            let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm > 1e-6 {
                rows.push(v.iter().map(|a| a / norm).collect());
            }
        }
        rows.concat()
    })
}

fn rotate(x: &[f64]) -> Vec<f64> {
    let r = rotation10();
    (0..10)
        .map(|i| (0..10).map(|j| r[i * 10 + j] * x[j]).sum())
        .collect()
}

const ST_ARGMIN: f64 = -2.903534027771178;

/// Out of suite: styblinski-tang rotated about its optimum (not separable).
fn rot_styblinski_tang(p: &Value) -> f64 {
    let d: Vec<f64> = xs(p, 10).iter().map(|v| v - ST_ARGMIN).collect();
    0.5 * rotate(&d)
        .iter()
        .map(|z| {
            let v = z + ST_ARGMIN;
            v.powi(4) - 16.0 * v * v + 5.0 * v
        })
        .sum::<f64>()
}

/// Out of suite: rotated ellipsoid, condition 1e6.
fn rot_ellipsoid(p: &Value) -> f64 {
    rotate(&xs(p, 10))
        .iter()
        .enumerate()
        .map(|(i, z)| 10f64.powf(6.0 * i as f64 / 9.0) * z * z)
        .sum()
}

/// A fixed offset of R^10 (seeded uniform in `[-r, r]`), so that the
/// shifted problems do not have their optimum at the centre of the box,
/// where a search that starts in the middle would find it for free.
fn offset10(seed: u64, r: f64) -> Vec<f64> {
    let mut rng = cairn_tune::math::rng_from_seed(seed);
    (0..10)
        .map(|_| cairn_tune::math::uniform(&mut rng, -r, r))
        .collect()
}

fn ackley_offset() -> &'static [f64] {
    static O: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    O.get_or_init(|| offset10(7_001, 4.0))
}

fn rastrigin_offset() -> &'static [f64] {
    static O: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    O.get_or_init(|| offset10(7_002, 2.0))
}

/// Out of suite: Ackley on [-10, 10]^10, optimum shifted off the centre.
fn shifted_ackley(p: &Value) -> f64 {
    let z: Vec<f64> = xs(p, 10)
        .iter()
        .zip(ackley_offset())
        .map(|(x, o)| x - o)
        .collect();
    let n = z.len() as f64;
    let sq = z.iter().map(|v| v * v).sum::<f64>() / n;
    let cs = z.iter().map(|v| (2.0 * PI * v).cos()).sum::<f64>() / n;
    (-20.0 * (-0.2 * sq.sqrt()).exp() - cs.exp() + 20.0 + std::f64::consts::E).max(0.0)
}

/// Out of suite: Rastrigin on [-5.12, 5.12]^10, optimum shifted off the centre.
fn shifted_rastrigin(p: &Value) -> f64 {
    xs(p, 10)
        .iter()
        .zip(rastrigin_offset())
        .map(|(x, o)| {
            let z = x - o;
            z * z - 10.0 * (2.0 * PI * z).cos() + 10.0
        })
        .sum()
}

/// Out of suite: two coupled continuous parameters, a log-scaled one, an
/// integer, a quantized one and a categorical, with interactions.
fn mixed6(p: &Value) -> f64 {
    let f = |k: &str| p[k].as_f64().unwrap();
    let (u, v) = (f("x1") - 1.2, f("x2") + 0.7);
    let w = f("lr").log10() + 2.3;
    let n = (int(p, "units", 1, 50) as f64 - 17.0) / 8.0;
    let q = (f("batch") - 45.0) / 20.0;
    let cat = match p["act"].as_str().unwrap() {
        "relu" => 0.0,
        "tanh" => 0.3,
        _ => 0.8,
    };
    u * u + v * v + 0.8 * u * v + w * w + 0.6 * w * n + n * n + q * q + cat
}

/// Out of suite: two conditional branches with correlated log-scaled
/// parameters (an SVM-like ridge and a boosting-like `n·lr` trade-off).
fn cond_2branch(p: &Value) -> f64 {
    let f = |k: &str| p[k].as_f64().unwrap();
    match p["model"].as_str().unwrap() {
        "svm" => {
            let (a, b) = (f("svm_c").log10() - 1.5, f("svm_gamma").log10() + 2.2);
            0.12 + 0.02 * (a * a + b * b - 1.6 * a * b)
        }
        _ => {
            let lr = f("gbm_lr");
            let n = int(p, "gbm_n", 10, 500) as f64;
            let depth = int(p, "gbm_depth", 2, 12) as f64;
            0.08 + 0.03 * ((n * lr).log10() - 0.9).powi(2)
                + 0.01 * (lr.log10() + 1.6).powi(2)
                + 0.002 * (depth - 5.0).powi(2)
        }
    }
}

fn logscale(p: &Value) -> f64 {
    let (lr, wd) = (p["lr"].as_f64().unwrap(), p["wd"].as_f64().unwrap());
    let u = lr.log10() + 2.5;
    let v = wd.log10() + 4.0;
    let cliff = (lr.log10() + 1.0).max(0.0);
    u * u + 0.5 * v * v + 0.2 * u * v + 5.0 * cliff * cliff
}

fn int4d(p: &Value) -> f64 {
    let a = int(p, "a", 0, 20) as f64;
    let b = int(p, "b", 0, 100) as f64;
    let c = int(p, "c", 1, 1024) as f64;
    let d = int(p, "d", -10, 10) as f64;
    0.1 * (a - 7.0).powi(2)
        + ((b - 35.0) / 10.0).powi(2)
        + (c.log2() - 5.0).powi(2)
        + (d - 3.0).abs()
}

fn cond3(p: &Value) -> f64 {
    let f = |k: &str| p[k].as_f64().unwrap();
    match p["model"].as_str().unwrap() {
        "linear" => {
            0.30 + 0.05 * (f("lin_alpha").log10() + 1.0).powi(2)
                + 0.1 * (f("lin_l1_ratio") - 0.2).powi(2)
        }
        "tree" => {
            let depth = int(p, "tree_depth", 1, 20) as f64;
            0.10 + 0.002 * (depth - 6.0).powi(2)
                + 0.1 * (f("tree_lr").log10() + 1.0).powi(2)
                + 0.4 * (f("tree_subsample") - 0.8).powi(2)
        }
        _ => {
            let layers = int(p, "nn_layers", 1, 5) as f64;
            0.05 + 0.3 * (f("nn_lr").log10() + 3.5).powi(2)
                + (f("nn_dropout") - 0.3).powi(2)
                + 0.05 * (layers - 3.0).powi(2)
        }
    }
}

fn ln(x: f64) -> f64 {
    x.ln()
}

// Optima are copied digit for digit from PROBLEMS.md.
#[allow(clippy::excessive_precision)]
fn problems() -> Vec<Problem> {
    vec![
        Problem {
            name: "branin",
            optimum: 5.0 / (4.0 * PI),
            noise_sd: 0.0,
            space: || {
                Expr::map([
                    ("x1", hp::uniform("x1", -5.0, 10.0)),
                    ("x2", hp::uniform("x2", 0.0, 15.0)),
                ])
            },
            f: branin,
        },
        Problem {
            name: "hartmann6",
            optimum: -3.3223680114155147,
            noise_sd: 0.0,
            space: || box_space(6, 0.0, 1.0),
            f: hartmann6,
        },
        Problem {
            name: "rosenbrock-10d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || box_space(10, -5.0, 10.0),
            f: rosenbrock,
        },
        Problem {
            name: "styblinski-tang-10d",
            optimum: -391.66165703771416,
            noise_sd: 0.0,
            space: || box_space(10, -5.0, 5.0),
            f: styblinski_tang,
        },
        Problem {
            name: "levy-10d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || box_space(10, -10.0, 10.0),
            f: levy,
        },
        Problem {
            name: "logscale-2d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || {
                Expr::map([
                    ("lr", hp::loguniform("lr", ln(1e-5), ln(1.0))),
                    ("wd", hp::loguniform("wd", ln(1e-6), ln(1e-1))),
                ])
            },
            f: logscale,
        },
        Problem {
            name: "int-4d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || {
                Expr::map([
                    ("a", hp::uniformint("a", 0.0, 20.0)),
                    ("b", hp::quniform("b", 0.0, 100.0, 5.0)),
                    ("c", hp::qloguniform("c", ln(1.0), ln(1024.0), 1.0)),
                    ("d", hp::uniformint("d", -10.0, 10.0)),
                ])
            },
            f: int4d,
        },
        Problem {
            name: "cond-3models",
            optimum: 0.05,
            noise_sd: 0.0,
            space: || {
                hp::choice(
                    "model",
                    [
                        Expr::map([
                            ("model", Expr::from("linear")),
                            ("lin_alpha", hp::loguniform("lin_alpha", ln(1e-4), ln(10.0))),
                            ("lin_l1_ratio", hp::uniform("lin_l1_ratio", 0.0, 1.0)),
                        ]),
                        Expr::map([
                            ("model", Expr::from("tree")),
                            ("tree_depth", hp::uniformint("tree_depth", 1.0, 20.0)),
                            ("tree_lr", hp::loguniform("tree_lr", ln(1e-3), ln(1.0))),
                            ("tree_subsample", hp::uniform("tree_subsample", 0.5, 1.0)),
                        ]),
                        Expr::map([
                            ("model", Expr::from("nn")),
                            ("nn_lr", hp::loguniform("nn_lr", ln(1e-5), ln(1e-1))),
                            ("nn_dropout", hp::uniform("nn_dropout", 0.0, 0.8)),
                            ("nn_layers", hp::uniformint("nn_layers", 1.0, 5.0)),
                        ]),
                    ],
                )
            },
            f: cond3,
        },
        Problem {
            name: "noisy-hartmann6",
            optimum: -3.3223680114155147,
            noise_sd: 0.1,
            space: || box_space(6, 0.0, 1.0),
            f: hartmann6,
        },
    ]
}

/// Problems outside PROBLEMS.md (no anchors), only run when named: checks
/// that changes made for the suite do not rely on its separable structure.
fn extra_problems() -> Vec<Problem> {
    let st_min = 10.0 * 0.5 * {
        let v = ST_ARGMIN;
        v.powi(4) - 16.0 * v * v + 5.0 * v
    };
    vec![
        Problem {
            name: "rot-styblinski-tang-10d",
            optimum: st_min,
            noise_sd: 0.0,
            space: || box_space(10, -5.0, 5.0),
            f: rot_styblinski_tang,
        },
        Problem {
            name: "rot-ellipsoid-10d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || box_space(10, -5.0, 5.0),
            f: rot_ellipsoid,
        },
        Problem {
            name: "shifted-ackley-10d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || box_space(10, -10.0, 10.0),
            f: shifted_ackley,
        },
        Problem {
            name: "shifted-rastrigin-10d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || box_space(10, -5.12, 5.12),
            f: shifted_rastrigin,
        },
        Problem {
            name: "mixed-6d",
            optimum: 0.0,
            noise_sd: 0.0,
            space: || {
                Expr::map([
                    ("x1", hp::uniform("x1", -5.0, 5.0)),
                    ("x2", hp::uniform("x2", -5.0, 5.0)),
                    ("lr", hp::loguniform("lr", ln(1e-5), ln(1.0))),
                    ("units", hp::uniformint("units", 1.0, 50.0)),
                    ("batch", hp::quniform("batch", 0.0, 100.0, 5.0)),
                    ("act", hp::choice("act", ["relu", "tanh", "sigmoid"])),
                ])
            },
            f: mixed6,
        },
        Problem {
            name: "cond-2branch",
            optimum: 0.08,
            noise_sd: 0.0,
            space: || {
                hp::choice(
                    "model",
                    [
                        Expr::map([
                            ("model", Expr::from("svm")),
                            ("svm_c", hp::loguniform("svm_c", ln(1e-3), ln(1e3))),
                            ("svm_gamma", hp::loguniform("svm_gamma", ln(1e-5), ln(10.0))),
                        ]),
                        Expr::map([
                            ("model", Expr::from("gbm")),
                            ("gbm_n", hp::uniformint("gbm_n", 10.0, 500.0)),
                            ("gbm_lr", hp::loguniform("gbm_lr", ln(1e-3), ln(1.0))),
                            ("gbm_depth", hp::uniformint("gbm_depth", 2.0, 12.0)),
                        ]),
                    ],
                )
            },
            f: cond_2branch,
        },
    ]
}

fn parse_seeds(s: &str) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        if let Some((a, b)) = part.split_once('-') {
            out.extend(a.trim().parse::<u64>()?..=b.trim().parse::<u64>()?);
        } else {
            out.push(part.trim().parse()?);
        }
    }
    Ok(out)
}

/// Process CPU time in seconds (the Python anchors use `time.process_time`).
fn cpu_now() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

struct Record {
    cpu_starts: Vec<f64>,
    cpu_ends: Vec<f64>,
    losses: Vec<f64>,
    true_losses: Vec<f64>,
    starts: Vec<Instant>,
    ends: Vec<Instant>,
    noise: cairn_tune::math::Rng,
}

fn one_run(
    prob: &Problem,
    optimizer: &str,
    seed: u64,
    n: usize,
    kind: &str,
) -> Result<serde_json::Value> {
    let algo =
        Algo::from_name(optimizer).with_context(|| format!("unknown optimizer {optimizer}"))?;
    let rec = Mutex::new(Record {
        cpu_starts: Vec::with_capacity(n),
        cpu_ends: Vec::with_capacity(n),
        losses: Vec::with_capacity(n),
        true_losses: Vec::with_capacity(n),
        starts: Vec::with_capacity(n),
        ends: Vec::with_capacity(n),
        noise: cairn_tune::math::rng_from_seed(seed ^ 987_654_321),
    });
    let objective = |p: &Value| -> f64 {
        let c0 = cpu_now();
        let t0 = Instant::now();
        let truth = (prob.f)(p);
        let mut r = rec.lock().expect("record lock");
        let y = if prob.noise_sd > 0.0 {
            truth + prob.noise_sd * cairn_tune::math::std_normal(&mut r.noise)
        } else {
            truth
        };
        let t1 = Instant::now();
        r.cpu_starts.push(c0);
        r.cpu_ends.push(cpu_now());
        r.starts.push(t0);
        r.ends.push(t1);
        r.losses.push(y);
        r.true_losses.push(truth);
        y
    };
    let t_begin = Instant::now();
    let c_begin = cpu_now();
    let space = Space::new((prob.space)())?;
    let mut trials = Trials::new();
    fmin(
        objective,
        &space,
        &mut trials,
        FminOptions::new()
            .algo(algo)
            .max_evals(n)
            .seed(seed)
            .show_progressbar(false),
    )?;
    let t_finish = Instant::now();
    let c_finish = cpu_now();
    let r = rec.into_inner().expect("record lock");
    let obj_time: f64 = r
        .starts
        .iter()
        .zip(&r.ends)
        .map(|(s, e)| (*e - *s).as_secs_f64())
        .sum();
    let mut prev = t_begin;
    let mut iter_oh = Vec::with_capacity(n);
    for (s, e) in r.starts.iter().zip(&r.ends) {
        iter_oh.push((*s - prev).as_secs_f64());
        prev = *e;
    }
    let total = (t_finish - t_begin).as_secs_f64();
    let mut cpu_prev = c_begin;
    let mut iter_cpu = Vec::with_capacity(n);
    let mut cpu_obj = 0.0;
    for (s, e) in r.cpu_starts.iter().zip(&r.cpu_ends) {
        iter_cpu.push(s - cpu_prev);
        cpu_obj += e - s;
        cpu_prev = *e;
    }
    let mut best = f64::INFINITY;
    let mut bi = 0;
    for (i, l) in r.losses.iter().enumerate() {
        if *l < best {
            best = *l;
            bi = i;
        }
    }
    Ok(serde_json::json!({
        "schema": "tuning-bench/1",
        "kind": kind,
        "impl": "rust",
        "optimizer": optimizer,
        "optimizer_config": {"library": "cairn-tune", "algo": format!("{:?}", Algo::from_name(optimizer))},
        "problem": prob.name,
        "seed": seed,
        "n_evals": r.losses.len(),
        "optimum": prob.optimum,
        "losses": r.losses,
        "true_losses": r.true_losses,
        "best_params": trials.trials().get(bi).map(|t| t.point(&space).map(|v| v.to_json()).unwrap_or_default()),
        "time_total_s": total,
        "time_objective_s": obj_time,
        "time_overhead_s": total - obj_time,
        "iter_overhead_s": iter_oh,
        "cpu_overhead_s": (c_finish - c_begin) - cpu_obj,
        "iter_overhead_cpu_s": iter_cpu,
        "versions": {"cairn-tune": env!("CARGO_PKG_VERSION")},
    }))
}

/// The listed optimizers, or any name `Algo::from_name` accepts (e.g. a
/// `default+flag` variant of the default sampler).
fn select_optimizers(spec: &str) -> Result<Vec<&'static str>> {
    if spec == "all" {
        return Ok(OPTIMIZERS.to_vec());
    }
    spec.split(',')
        .map(|s| {
            let s = s.trim();
            match OPTIMIZERS.iter().find(|a| **a == s) {
                Some(a) => Ok(*a),
                None if Algo::from_name(s).is_some() => Ok(leak(s.to_string())),
                None => bail!("unknown optimizer {s:?}"),
            }
        })
        .collect()
}

fn select(spec: &str, all: &[&'static str]) -> Result<Vec<&'static str>> {
    if spec == "all" {
        return Ok(all.to_vec());
    }
    spec.split(',')
        .map(|s| {
            all.iter()
                .copied()
                .find(|a| *a == s.trim())
                .with_context(|| format!("unknown name {s:?}"))
        })
        .collect()
}

pub(crate) fn run(args: TuneArgs) -> Result<()> {
    let mut probs = problems();
    let names: Vec<&'static str> = probs.iter().map(|p| p.name).collect();
    probs.extend(extra_problems());
    let extra: Vec<&'static str> = probs[names.len()..].iter().map(|p| p.name).collect();
    let (a, kind, default_n) = match args.cmd {
        TuneCmd::List => {
            println!("problems: {}", names.join(" "));
            println!("out of suite (run only when named): {}", extra.join(" "));
            println!("optimizers: {}", OPTIMIZERS.join(" "));
            return Ok(());
        }
        TuneCmd::Check => {
            let argmins: Vec<(&str, Value)> = vec![
                ("branin", num_map(&[("x1", PI), ("x2", 2.275)])),
                (
                    "int-4d",
                    num_map(&[("a", 7.0), ("b", 35.0), ("c", 32.0), ("d", 3.0)]),
                ),
                (
                    "logscale-2d",
                    num_map(&[("lr", 10f64.powf(-2.5)), ("wd", 1e-4)]),
                ),
                (
                    "rosenbrock-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), 1.0))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "levy-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), 1.0))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "styblinski-tang-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), -2.903534027771178))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "rot-styblinski-tang-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), ST_ARGMIN))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "rot-ellipsoid-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), 0.0))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "shifted-ackley-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), ackley_offset()[j - 1]))
                            .collect::<Vec<_>>(),
                    ),
                ),
                (
                    "shifted-rastrigin-10d",
                    num_map(
                        &(1..=10)
                            .map(|j| (leak(format!("x{j}")), rastrigin_offset()[j - 1]))
                            .collect::<Vec<_>>(),
                    ),
                ),
                ("mixed-6d", {
                    let mut m = num_map(&[
                        ("x1", 1.2),
                        ("x2", -0.7),
                        ("lr", 10f64.powf(-2.3)),
                        ("units", 17.0),
                        ("batch", 45.0),
                    ]);
                    if let Value::Map(kv) = &mut m {
                        kv.push(("act".into(), Value::from("relu")));
                    }
                    m
                }),
                ("cond-2branch", {
                    let mut m = num_map(&[
                        ("gbm_lr", 10f64.powf(-1.6)),
                        ("gbm_n", 10f64.powf(2.5)),
                        ("gbm_depth", 5.0),
                    ]);
                    if let Value::Map(kv) = &mut m {
                        kv.push(("model".into(), Value::from("gbm")));
                    }
                    m
                }),
                (
                    "hartmann6",
                    num_map(&[
                        ("x1", 0.20168951),
                        ("x2", 0.15001069),
                        ("x3", 0.47687397),
                        ("x4", 0.27533243),
                        ("x5", 0.31165162),
                        ("x6", 0.65730053),
                    ]),
                ),
                ("cond-3models", {
                    let mut m = num_map(&[
                        ("nn_lr", 10f64.powf(-3.5)),
                        ("nn_dropout", 0.3),
                        ("nn_layers", 3.0),
                    ]);
                    if let Value::Map(kv) = &mut m {
                        kv.push(("model".into(), Value::from("nn")));
                    }
                    m
                }),
            ];
            let mut ok = true;
            for (name, x) in argmins {
                let p = probs.iter().find(|p| p.name == name).expect("problem");
                let v = (p.f)(&x);
                let good = (v - p.optimum).abs() <= 1e-6 * p.optimum.abs().max(1.0);
                ok &= good;
                println!(
                    "{name:22} f(argmin)={v:.12} optimum={:.12} {}",
                    p.optimum,
                    if good { "OK" } else { "MISMATCH" }
                );
            }
            if !ok {
                bail!("some optimum mismatched");
            }
            return Ok(());
        }
        TuneCmd::Run(a) => (a, "quality", 200),
        TuneCmd::Overhead(a) => (a, "overhead", 2000),
    };
    let n = a.n.unwrap_or(default_n);
    let optimizers = select_optimizers(&a.optimizer)?;
    let selected = if a.problem == "all" {
        names.clone()
    } else {
        select(&a.problem, &[names.as_slice(), extra.as_slice()].concat())?
    };
    let seeds = parse_seeds(&a.seeds)?;
    let mut out: Box<dyn Write> = if a.out == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&a.out)
                .with_context(|| a.out.clone())?,
        )
    };
    for opt in &optimizers {
        for name in &selected {
            let prob = probs.iter().find(|p| p.name == *name).expect("problem");
            for &seed in &seeds {
                let line = one_run(prob, opt, seed, n, kind)?;
                writeln!(out, "{}", serde_json::to_string(&line)?)?;
                out.flush()?;
                let best = line["losses"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|v| v.as_f64())
                            .fold(f64::INFINITY, f64::min)
                    })
                    .unwrap_or(f64::NAN);
                eprintln!(
                    "[{opt} {name} seed={seed}] best seen={best:.6} overhead={:.3}s",
                    line["time_overhead_s"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }
    Ok(())
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn num_map(kv: &[(&str, f64)]) -> Value {
    Value::Map(
        kv.iter()
            .map(|(k, v)| (k.to_string(), Value::Float(*v)))
            .collect(),
    )
}
