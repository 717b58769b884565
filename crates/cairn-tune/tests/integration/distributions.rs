//! Support and moments of every primitive (fixed seeds, generous tolerances).

use cairn_tune::math::rng_from_seed;
use cairn_tune::{Expr, Space, hp};

fn draws(e: Expr, n: usize, seed: u64) -> Vec<f64> {
    let space = Space::new(e).unwrap();
    let mut rng = rng_from_seed(seed);
    (0..n).map(|_| space.sample(&mut rng)[0].unwrap()).collect()
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

const N: usize = 40_000;

#[test]
fn uniform_support_and_moments() {
    let x = draws(hp::uniform("x", -2.0, 6.0), N, 1);
    assert!(x.iter().all(|v| (-2.0..6.0).contains(v)));
    let (m, v) = mean_var(&x);
    assert!((m - 2.0).abs() < 0.05, "{m}");
    assert!((v - 64.0 / 12.0).abs() < 0.1, "{v}");
}

#[test]
fn quniform_grid_and_half_even() {
    let x = draws(hp::quniform("x", 0.0, 10.0, 2.5), N, 2);
    assert!(x.iter().all(|v| [0.0, 2.5, 5.0, 7.5, 10.0].contains(v)));
    let (m, _) = mean_var(&x);
    assert!((m - 5.0).abs() < 0.06, "{m}");
}

#[test]
fn loguniform_moments_in_log_space() {
    let x = draws(hp::loguniform("x", -3.0, 1.0), N, 3);
    assert!(x.iter().all(|v| *v >= (-3f64).exp() && *v <= 1f64.exp()));
    let logs: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let (m, v) = mean_var(&logs);
    assert!((m + 1.0).abs() < 0.03, "{m}");
    assert!((v - 16.0 / 12.0).abs() < 0.05, "{v}");
}

#[test]
fn qloguniform_rounds_to_q() {
    let x = draws(hp::qloguniform("x", 0.0, (1024f64).ln(), 1.0), N, 4);
    assert!(
        x.iter()
            .all(|v| v.fract() == 0.0 && (1.0..=1024.0).contains(v))
    );
}

#[test]
fn normal_moments() {
    let x = draws(hp::normal("x", 3.0, 2.0), N, 5);
    let (m, v) = mean_var(&x);
    assert!((m - 3.0).abs() < 0.04, "{m}");
    assert!((v - 4.0).abs() < 0.12, "{v}");
    let (m, v) = mean_var(&draws(hp::qnormal("x", 0.0, 5.0, 1.0), N, 6));
    assert!(
        m.abs() < 0.1 && (v - 25.0 - 1.0 / 12.0).abs() < 0.8,
        "{m} {v}"
    );
}

#[test]
fn lognormal_moments() {
    let x = draws(hp::lognormal("x", 0.5, 0.3), N, 7);
    assert!(x.iter().all(|v| *v > 0.0));
    let logs: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let (m, v) = mean_var(&logs);
    assert!(
        (m - 0.5).abs() < 0.01 && (v - 0.09).abs() < 0.004,
        "{m} {v}"
    );
    let q = draws(hp::qlognormal("x", 1.0, 1.0, 2.0), N, 8);
    assert!(q.iter().all(|v| *v >= 0.0 && (v / 2.0).fract() == 0.0));
}

#[test]
fn randint_both_forms_uniform() {
    let x = draws(hp::randint("k", 5), N, 9);
    let mut counts = [0usize; 5];
    x.iter().for_each(|v| counts[*v as usize] += 1);
    assert!(
        counts
            .iter()
            .all(|c| (*c as f64 / N as f64 - 0.2).abs() < 0.01),
        "{counts:?}"
    );
    let y = draws(hp::randint_range("k", -3, 2), N, 10);
    assert!(
        y.iter()
            .all(|v| (-3.0..2.0).contains(v) && v.fract() == 0.0)
    );
    assert!(y.contains(&-3.0) && y.contains(&1.0));
}

#[test]
fn uniformint_endpoints_have_half_mass() {
    let x = draws(hp::uniformint("k", 0.0, 4.0), N, 11);
    let mut counts = [0usize; 5];
    x.iter().for_each(|v| counts[*v as usize] += 1);
    let f: Vec<f64> = counts.iter().map(|c| *c as f64 / N as f64).collect();
    for (got, want) in f.iter().zip([0.125, 0.25, 0.25, 0.25, 0.125]) {
        assert!((got - want).abs() < 0.01, "{f:?}");
    }
}

#[test]
fn choice_and_pchoice_frequencies() {
    let x = draws(hp::choice("c", ["a", "b", "c", "d"]), N, 12);
    assert!(x.iter().all(|v| (0.0..4.0).contains(v)));
    let p = draws(
        hp::pchoice("c", [(0.1, "a"), (0.6, "b"), (0.3, "c")]),
        N,
        13,
    );
    let mut counts = [0usize; 3];
    p.iter().for_each(|v| counts[*v as usize] += 1);
    for (c, want) in counts.iter().zip([0.1, 0.6, 0.3]) {
        assert!((*c as f64 / N as f64 - want).abs() < 0.01, "{counts:?}");
    }
}
