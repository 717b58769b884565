//! Quadratic surrogate building blocks for the model-based refinement arm
//! of the default sampler: a weighted ridge least-squares fit of
//! `m(s) = c + gᵀs + ½ sᵀHs` to a few points around the incumbent, and the
//! minimiser of that model inside a Euclidean trust region.
//!
//! Everything here is `O(k·m² + m³)` for `k` points and `m` coefficients
//! (`m = (d+1)(d+2)/2` for the full model, `2d+1` for the diagonal one), i.e.
//! bounded by the dimension, never by the number of trials.

// Dense small-matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::cmaes::jacobi_eigen;

/// A quadratic model `m(s) = c + gᵀs + ½ sᵀHs` (`h` row-major `d × d`).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Quad {
    pub c: f64,
    pub g: Vec<f64>,
    pub h: Vec<f64>,
}

/// Number of coefficients of the model in `d` dimensions.
pub(super) fn n_coef(d: usize, full: bool) -> usize {
    if full {
        1 + d + d * (d + 1) / 2
    } else {
        1 + 2 * d
    }
}

/// Feature vector of `s`: `1, s_i, ½ s_i², s_i s_j (i < j, full only)`.
fn features(s: &[f64], full: bool, out: &mut Vec<f64>) {
    out.clear();
    out.push(1.0);
    out.extend_from_slice(s);
    out.extend(s.iter().map(|x| 0.5 * x * x));
    if full {
        for i in 0..s.len() {
            for j in i + 1..s.len() {
                out.push(s[i] * s[j]);
            }
        }
    }
}

/// Weighted least-squares fit of a quadratic to `k` points (`pts` is
/// `k × d` row-major) with values `y` and weights `w`. The cross terms get
/// a ridge penalty `lam_cross` (so fewer points than coefficients still give
/// a well-defined, mostly separable model) and every coefficient a tiny one
/// for numerical safety. `None` if the normal equations are singular.
pub(super) fn fit(
    pts: &[f64],
    y: &[f64],
    w: &[f64],
    d: usize,
    full: bool,
    lam_cross: f64,
) -> Option<Quad> {
    let m = n_coef(d, full);
    let k = y.len();
    let mut a = vec![0.0; m * m];
    let mut b = vec![0.0; m];
    let mut phi = Vec::with_capacity(m);
    for p in 0..k {
        features(&pts[p * d..(p + 1) * d], full, &mut phi);
        let wp = w[p];
        // Row slices instead of indexing: the inner update then vectorises
        // (this accumulation is most of the arm's cost), and each entry still
        // sums over the points in the same order, so results are unchanged.
        for (i, (row, bi)) in a.chunks_exact_mut(m).zip(b.iter_mut()).enumerate() {
            let wi = wp * phi[i];
            *bi += wi * y[p];
            for (aij, &pj) in row[..=i].iter_mut().zip(&phi[..=i]) {
                *aij += wi * pj;
            }
        }
    }
    let wsum: f64 = w.iter().sum();
    for i in 0..m {
        a[i * m + i] += 1e-10 * wsum + if i > 2 * d { lam_cross } else { 0.0 };
        for j in 0..i {
            a[j * m + i] = a[i * m + j];
        }
    }
    let beta = solve_spd(&mut a, &b, m)?;
    let mut h = vec![0.0; d * d];
    for i in 0..d {
        h[i * d + i] = beta[1 + d + i];
    }
    if full {
        let mut idx = 1 + 2 * d;
        for i in 0..d {
            for j in i + 1..d {
                h[i * d + j] = beta[idx];
                h[j * d + i] = beta[idx];
                idx += 1;
            }
        }
    }
    Some(Quad {
        c: beta[0],
        g: beta[1..=d].to_vec(),
        h,
    })
}

/// Solves `A x = b` for a symmetric positive definite `A` (overwritten by
/// its Cholesky factor); `None` if `A` is not numerically positive definite.
fn solve_spd(a: &mut [f64], b: &[f64], m: usize) -> Option<Vec<f64>> {
    for j in 0..m {
        let mut s = a[j * m + j];
        for p in 0..j {
            s -= a[j * m + p] * a[j * m + p];
        }
        if !s.is_finite() || s <= 0.0 {
            return None;
        }
        let l = s.sqrt();
        a[j * m + j] = l;
        for i in j + 1..m {
            let mut t = a[i * m + j];
            for p in 0..j {
                t -= a[i * m + p] * a[j * m + p];
            }
            a[i * m + j] = t / l;
        }
    }
    let mut x = b.to_vec();
    for i in 0..m {
        for p in 0..i {
            x[i] -= a[i * m + p] * x[p];
        }
        x[i] /= a[i * m + i];
    }
    for i in (0..m).rev() {
        for p in i + 1..m {
            x[i] -= a[p * m + i] * x[p];
        }
        x[i] /= a[i * m + i];
    }
    Some(x)
}

/// Global minimiser of the model over the ball `‖s‖ ≤ delta` (the
/// trust-region subproblem, solved exactly through the eigendecomposition
/// of `H`: `s(λ) = −(H + λI)⁻¹g` with `λ ≥ max(0, −λ_min)` found by
/// bisection so that `‖s(λ)‖ = delta` unless the Newton step is inside).
pub(super) fn trust_region_step(q: &Quad, delta: f64) -> Vec<f64> {
    let d = q.g.len();
    let (e, v) = jacobi_eigen(&q.h, d);
    // gradient in the eigenbasis (eigenvectors are the columns of `v`)
    let gt: Vec<f64> = (0..d)
        .map(|j| (0..d).map(|i| v[i * d + j] * q.g[i]).sum())
        .collect();
    let e_min = e.iter().copied().fold(f64::INFINITY, f64::min);
    let norm2 = |lam: f64| -> f64 {
        (0..d)
            .map(|j| {
                let den = e[j] + lam;
                if den > 0.0 {
                    (gt[j] / den).powi(2)
                } else if gt[j] == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            })
            .sum()
    };
    let step = |lam: f64| -> Vec<f64> {
        let mut s = vec![0.0; d];
        for j in 0..d {
            let den = e[j] + lam;
            if den > 0.0 {
                for i in 0..d {
                    s[i] -= gt[j] / den * v[i * d + j];
                }
            }
        }
        s
    };
    let scale = e.iter().map(|x| x.abs()).fold(0.0, f64::max).max(1e-300);
    let lo0 = (-e_min).max(0.0);
    if e_min > 1e-12 * scale && norm2(0.0) <= delta * delta {
        return step(0.0);
    }
    let mut lo = lo0;
    let mut hi = lo0 + scale.max(1e-12);
    while norm2(hi) > delta * delta && hi < 1e300 {
        hi *= 2.0;
    }
    let lo_norm = norm2(lo0 + 1e-14 * scale);
    if lo_norm < delta * delta {
        // Hard case: the gradient has (almost) no component along the
        // lowest curvature direction; move along it to the boundary.
        let mut s = step(lo0 + 1e-14 * scale);
        let jmin = (0..d)
            .min_by(|&a, &b| e[a].total_cmp(&e[b]))
            .expect("d > 0");
        let ss: f64 = s.iter().map(|x| x * x).sum();
        let tau = (delta * delta - ss).max(0.0).sqrt();
        for i in 0..d {
            s[i] += tau * v[i * d + jmin];
        }
        return s;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if norm2(mid) > delta * delta {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    step(hi)
}

impl Quad {
    /// Model value at `s`.
    #[cfg(test)]
    pub(super) fn eval(&self, s: &[f64]) -> f64 {
        let d = s.len();
        let mut v = self.c;
        for i in 0..d {
            v += self.g[i] * s[i];
            for j in 0..d {
                v += 0.5 * s[i] * self.h[i * d + j] * s[j];
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{self, rng_from_seed};

    fn known(d: usize) -> Quad {
        let mut h = vec![0.0; d * d];
        for i in 0..d {
            h[i * d + i] = 2.0 + i as f64;
            if i + 1 < d {
                h[i * d + i + 1] = 0.7;
                h[(i + 1) * d + i] = 0.7;
            }
        }
        Quad {
            c: 1.5,
            g: (0..d).map(|i| 0.3 * i as f64 - 1.0).collect(),
            h,
        }
    }

    #[test]
    fn fit_recovers_a_known_quadratic() {
        let d = 4;
        let q = known(d);
        let mut rng = rng_from_seed(3);
        let k = n_coef(d, true) + 5;
        let pts: Vec<f64> = (0..k * d)
            .map(|_| math::uniform(&mut rng, -1.0, 1.0))
            .collect();
        let y: Vec<f64> = (0..k).map(|p| q.eval(&pts[p * d..(p + 1) * d])).collect();
        let w = vec![1.0; k];
        let f = fit(&pts, &y, &w, d, true, 0.0).unwrap();
        assert!((f.c - q.c).abs() < 1e-6, "{f:?}");
        for i in 0..d {
            assert!((f.g[i] - q.g[i]).abs() < 1e-6, "{f:?}");
        }
        for i in 0..d * d {
            assert!((f.h[i] - q.h[i]).abs() < 1e-6, "{f:?}");
        }
        // the diagonal model cannot represent the cross terms
        let fd = fit(&pts, &y, &w, d, false, 0.0).unwrap();
        assert!(fd.h[1].abs() == 0.0);
    }

    #[test]
    fn trust_region_step_is_newton_inside_and_on_the_boundary_outside() {
        let d = 4;
        let q = known(d);
        let newton = trust_region_step(&q, 100.0);
        // gradient of the model vanishes at the Newton point
        for i in 0..d {
            let gi: f64 = q.g[i] + (0..d).map(|j| q.h[i * d + j] * newton[j]).sum::<f64>();
            assert!(gi.abs() < 1e-9, "{gi}");
        }
        let norm = |s: &[f64]| s.iter().map(|x| x * x).sum::<f64>().sqrt();
        let small = trust_region_step(&q, 0.05);
        assert!((norm(&small) - 0.05).abs() < 1e-9);
        assert!(q.eval(&small) < q.c);
        // a concave model goes to the boundary, downhill
        let neg = Quad {
            c: 0.0,
            g: vec![0.1, 0.0],
            h: vec![-1.0, 0.0, 0.0, -2.0],
        };
        let s = trust_region_step(&neg, 0.5);
        assert!((norm(&s) - 0.5).abs() < 1e-9, "{s:?}");
        assert!(neg.eval(&s) < -0.2, "{s:?}");
        // hard case: zero gradient on a saddle
        let saddle = Quad {
            c: 0.0,
            g: vec![0.0, 0.0],
            h: vec![1.0, 0.0, 0.0, -1.0],
        };
        let s = trust_region_step(&saddle, 0.3);
        assert!((norm(&s) - 0.3).abs() < 1e-9, "{s:?}");
        assert!(s[0].abs() < 1e-9);
    }
}
