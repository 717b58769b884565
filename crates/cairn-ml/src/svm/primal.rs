//! Warm start for the linear kernel from the primal problem.
//!
//! With a linear kernel and few features, SMO is slow on overlapping
//! classes: `Q` has rank `d`, thousands of variables end at the bound `C`,
//! and two variables move per iteration (64,000 iterations for C = 1 on
//! 16,512 California rows). The same problem's primal, `min ½|w|² + C Σ
//! max(0, 1 − y_i (w·x_i + b))` with the unregularised bias, has only `d + 1`
//! unknowns. Replacing the hinge by a Huber-smoothed hinge of width `δ`
//! makes it twice differentiable, so Newton's method solves it in a few
//! dozen `O(n d²)` steps; shrinking `δ` gradually keeps every stage close to
//! the previous optimum. At the smoothed optimum `a_i = −C h'_δ(m_i)` lies in
//! `[0, C]`, `w = Σ a_i y_i x_i` and `Σ a_i y_i = 0` (the bias's optimality),
//! so `a` is a feasible dual point whose KKT violation is about `δ`.
//!
//! The SMO solver then starts from it (after an exact repair of `yᵀa = 0`)
//! and runs to its usual stopping rule, so the result solves the same dual
//! to the same tolerance as a cold start; only the path is shorter.

use super::smo::Start;

/// Above this many features the `O(n d²)` Newton steps stop being cheap
/// next to SMO, and the cold start is used.
pub(super) const MAX_FEATURES: usize = 64;

/// Smoothing widths, widest first; the last is below scikit-learn's default
/// `tol` (1e-3), so SMO usually has little left to do.
const DELTAS: [f64; 6] = [1.0, 0.3, 0.1, 1e-2, 1e-3, 1e-4];
const NEWTON_STEPS: usize = 50;

/// Smoothed hinge `h_δ(m)` and its first two derivatives.
#[inline]
fn huber(m: f64, delta: f64) -> (f64, f64, f64) {
    if m >= 1.0 {
        (0.0, 0.0, 0.0)
    } else if m > 1.0 - delta {
        let u = 1.0 - m;
        (u * u / (2.0 * delta), -u / delta, 1.0 / delta)
    } else {
        (1.0 - m - delta / 2.0, -1.0, 0.0)
    }
}

/// Margins `y_i (w·x_i + b)` for `theta = [w, b]`.
fn margins(x: &[f64], d: usize, y: &[f64], theta: &[f64], out: &mut [f64]) {
    let (w, b) = theta.split_at(d);
    for ((m, r), &yi) in out.iter_mut().zip(x.chunks_exact(d)).zip(y) {
        let f: f64 = r.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + b[0];
        *m = yi * f;
    }
}

fn objective(theta: &[f64], d: usize, m: &[f64], c: f64, delta: f64) -> f64 {
    let reg: f64 = theta[..d].iter().map(|v| v * v).sum::<f64>() / 2.0;
    reg + c * m.iter().map(|&v| huber(v, delta).0).sum::<f64>()
}

/// Solves `h p = g` for a symmetric positive definite `h` (row-major,
/// `k x k`) by Cholesky; `None` if `h` is not numerically positive definite.
fn cholesky_solve(h: &[f64], g: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|t| l[i * k + t] * l[j * k + t]).sum();
            if i == j {
                let v = h[i * k + i] - s;
                if !(v > 0.0 && v.is_finite()) {
                    return None;
                }
                l[i * k + i] = v.sqrt();
            } else {
                l[i * k + j] = (h[i * k + j] - s) / l[j * k + j];
            }
        }
    }
    let mut z = vec![0.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|t| l[i * k + t] * z[t]).sum();
        z[i] = (g[i] - s) / l[i * k + i];
    }
    let mut p = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|t| l[t * k + i] * p[t]).sum();
        p[i] = (z[i] - s) / l[i * k + i];
    }
    Some(p)
}

/// A feasible dual start with its exact gradient for the linear kernel, or
/// `None` when the problem does not suit it (too many features, a failed
/// Newton solve); the caller then starts SMO from zero.
pub(super) fn linear_start(x: &[f64], d: usize, y: &[f64], c: f64) -> Option<Start> {
    let n = y.len();
    if d == 0 || d > MAX_FEATURES || x.len() != n * d {
        return None;
    }
    let k = d + 1;
    let mut theta = vec![0.0; k];
    let mut m = vec![0.0; n];
    let mut trial_m = vec![0.0; n];
    let mut trial = vec![0.0; k];
    margins(x, d, y, &theta, &mut m);
    for &delta in &DELTAS {
        for _ in 0..NEWTON_STEPS {
            // gradient and Hessian of ½|w|² + C Σ h_δ(m_i) in theta = [w, b]
            let mut g: Vec<f64> = theta[..d].iter().copied().chain([0.0]).collect();
            let mut h = vec![0.0; k * k];
            for i in 0..d {
                h[i * k + i] = 1.0;
            }
            for ((r, &yi), &mi) in x.chunks_exact(d).zip(y).zip(&m) {
                let (_, d1, d2) = huber(mi, delta);
                if d1 == 0.0 {
                    continue;
                }
                let s = c * d1 * yi;
                for (gj, &v) in g.iter_mut().zip(r) {
                    *gj += s * v;
                }
                g[d] += s;
                if d2 > 0.0 {
                    let s = c * d2;
                    for a in 0..k {
                        let za = if a < d { r[a] } else { 1.0 };
                        for b in 0..=a {
                            let zb = if b < d { r[b] } else { 1.0 };
                            h[a * k + b] += s * za * zb;
                        }
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    h[b * k + a] = h[a * k + b];
                }
            }
            // the bias has no curvature while no margin lies in the smooth
            // zone; a unit ridge keeps the step defined (the line search
            // still only accepts decrease)
            if h[k * k - 1] < 1.0 {
                h[k * k - 1] += 1.0;
            }
            let neg: Vec<f64> = g.iter().map(|v| -v).collect();
            let p = cholesky_solve(&h, &neg, k)?;
            let slope: f64 = g.iter().zip(&p).map(|(a, b)| a * b).sum();
            let f0 = objective(&theta, d, &m, c, delta);
            if -slope <= 1e-12 * f0.max(1.0) {
                break;
            }
            // backtracking (Armijo) line search
            let mut step = 1.0;
            let mut accepted = false;
            for _ in 0..50 {
                for ((t, &a), &b) in trial.iter_mut().zip(&theta).zip(&p) {
                    *t = a + step * b;
                }
                margins(x, d, y, &trial, &mut trial_m);
                if objective(&trial, d, &trial_m, c, delta) <= f0 + 1e-4 * step * slope {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if !accepted {
                break;
            }
            std::mem::swap(&mut theta, &mut trial);
            std::mem::swap(&mut m, &mut trial_m);
        }
    }
    let delta = DELTAS[DELTAS.len() - 1];
    let mut alpha: Vec<f64> = m
        .iter()
        .map(|&mi| (-c * huber(mi, delta).1).clamp(0.0, c))
        .collect();
    repair_equality(&mut alpha, y, c);
    // exact gradient Q a − e = y_i (w_a · x_i) − 1 with w_a = Σ a_j y_j x_j
    let mut w = vec![0.0; d];
    for ((r, &yi), &a) in x.chunks_exact(d).zip(y).zip(&alpha) {
        if a != 0.0 {
            for (wj, &v) in w.iter_mut().zip(r) {
                *wj += a * yi * v;
            }
        }
    }
    // and g_bar = Σ_{a_j = C} C Q_·j = y_i (w_C · x_i), w_C = C Σ_{a_j = C} y_j x_j
    let mut w_c = vec![0.0; d];
    for ((r, &yi), &a) in x.chunks_exact(d).zip(y).zip(&alpha) {
        if a >= c {
            for (wj, &v) in w_c.iter_mut().zip(r) {
                *wj += c * yi * v;
            }
        }
    }
    let dot = |r: &[f64], w: &[f64]| r.iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
    let grad = x
        .chunks_exact(d)
        .zip(y)
        .map(|(r, &yi)| yi * dot(r, &w) - 1.0)
        .collect();
    let g_bar = x
        .chunks_exact(d)
        .zip(y)
        .map(|(r, &yi)| yi * dot(r, &w_c))
        .collect();
    Some(Start { alpha, grad, g_bar })
}

/// Moves `alpha` inside the box until `Σ y_i a_i = 0` exactly (up to
/// rounding), changing free variables first: Newton leaves a residual of
/// the order of its own tolerance, and SMO preserves whatever `yᵀa` it is
/// given.
fn repair_equality(alpha: &mut [f64], y: &[f64], c: f64) {
    let mut r: f64 = alpha.iter().zip(y).map(|(a, yi)| a * yi).sum();
    for free_only in [true, false] {
        for (a, &yi) in alpha.iter_mut().zip(y) {
            if r == 0.0 {
                return;
            }
            if free_only && !(*a > 0.0 && *a < c) {
                continue;
            }
            // changing a by yi * s changes y a's sum by s; we need s = -r
            let want = -r * yi; // change of a
            let new = (*a + want).clamp(0.0, c);
            r += (new - *a) * yi;
            *a = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_reaches_zero_inside_the_box() {
        let y = [1.0, 1.0, -1.0, -1.0, 1.0];
        let mut a = [0.5, 1.0, 0.2, 0.0, 0.9];
        repair_equality(&mut a, &y, 1.0);
        let r: f64 = a.iter().zip(&y).map(|(a, y)| a * y).sum();
        assert!(r.abs() < 1e-12, "{r}");
        assert!(a.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn start_is_feasible_and_close_to_the_margin() {
        // two overlapping 2-d clouds
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let t = i as f64;
            let s = if i % 2 == 0 { 1.0 } else { -1.0 };
            x.extend([s * 0.5 + (t * 0.37).sin(), (t * 0.11).cos() + 0.2 * s]);
            y.push(s);
        }
        let c = 3.0;
        let st = linear_start(&x, 2, &y, c).unwrap();
        let r: f64 = st.alpha.iter().zip(&y).map(|(a, y)| a * y).sum();
        assert!(r.abs() < 1e-9);
        assert!(st.alpha.iter().all(|&a| (0.0..=c).contains(&a)));
        // KKT violation of the start is already small
        let (mut up, mut low) = (f64::NEG_INFINITY, f64::INFINITY);
        for ((&yt, &g), &a) in y.iter().zip(&st.grad).zip(&st.alpha) {
            let (v, pos) = (-yt * g, yt > 0.0);
            if (pos && a < c) || (!pos && a > 0.0) {
                up = up.max(v);
            }
            if (pos && a > 0.0) || (!pos && a < c) {
                low = low.min(v);
            }
        }
        assert!(up - low < 1e-2, "violation {}", up - low);
    }
}
