//! A textbook CMA-ES state (Hansen, "The CMA Evolution Strategy: A
//! Tutorial", 2016): weighted recombination, cumulative step-size adaptation
//! (CSA), rank-one and rank-μ covariance updates, all with the tutorial's
//! default population size, weights and learning rates. The caller owns the
//! generation loop (`ask` λ points, evaluate, `tell` them), which lets the
//! default sampler run it as one arm of its portfolio.
//!
//! Everything uses IEEE arithmetic plus `libm`, so a state evolves
//! bit-identically on every machine for the same seed.

// Dense small-matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::math::{self, Rng};

/// CMA-ES state in `d` dimensions.
#[derive(Clone, Debug)]
pub(super) struct Cma {
    pub(super) d: usize,
    pub(super) lambda: usize,
    mu: usize,
    weights: Vec<f64>,
    mueff: f64,
    cs: f64,
    ds: f64,
    cc: f64,
    c1: f64,
    cmu: f64,
    chin: f64,
    pub(super) mean: Vec<f64>,
    pub(super) sigma: f64,
    /// Covariance, row-major `d × d`.
    c: Vec<f64>,
    /// Eigenvectors of `c` (columns), row-major.
    b: Vec<f64>,
    /// Square roots of the eigenvalues of `c`.
    dv: Vec<f64>,
    ps: Vec<f64>,
    pc: Vec<f64>,
    /// Completed generations.
    pub(super) generation: u32,
    /// Best loss of each completed generation.
    pub(super) gen_best: Vec<f64>,
}

impl Cma {
    /// Default population size `4 + ⌊3 ln d⌋`.
    pub(super) fn default_lambda(d: usize) -> usize {
        4 + (3.0 * libm::log(d.max(1) as f64)).floor() as usize
    }

    /// New state with mean `mean`, step size `sigma`, covariance `cov`
    /// (row-major `d × d`, symmetric positive definite) and population `lambda`.
    pub(super) fn new(mean: Vec<f64>, sigma: f64, cov: Vec<f64>, lambda: usize) -> Cma {
        let d = mean.len();
        let n = d as f64;
        let lambda = lambda.max(2);
        let mu = lambda / 2;
        let raw: Vec<f64> = (0..mu)
            .map(|i| libm::log((lambda as f64 + 1.0) / 2.0) - libm::log(i as f64 + 1.0))
            .collect();
        let tot: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / tot).collect();
        let mueff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let cs = (mueff + 2.0) / (n + mueff + 5.0);
        let ds = 1.0 + 2.0 * (libm::sqrt((mueff - 1.0) / (n + 1.0)) - 1.0).max(0.0) + cs;
        let cc = (4.0 + mueff / n) / (n + 4.0 + 2.0 * mueff / n);
        let c1 = 2.0 / ((n + 1.3) * (n + 1.3) + mueff);
        let cmu =
            (1.0 - c1).min(2.0 * (mueff - 2.0 + 1.0 / mueff) / ((n + 2.0) * (n + 2.0) + mueff));
        let chin = libm::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
        let mut s = Cma {
            d,
            lambda,
            mu,
            weights,
            mueff,
            cs,
            ds,
            cc,
            c1,
            cmu,
            chin,
            mean,
            sigma,
            c: cov,
            b: Vec::new(),
            dv: Vec::new(),
            ps: vec![0.0; d],
            pc: vec![0.0; d],
            generation: 0,
            gen_best: Vec::new(),
        };
        s.decompose();
        s
    }

    fn decompose(&mut self) {
        let d = self.d;
        // keep C symmetric and well conditioned
        for i in 0..d {
            for j in 0..i {
                let v = 0.5 * (self.c[i * d + j] + self.c[j * d + i]);
                self.c[i * d + j] = v;
                self.c[j * d + i] = v;
            }
        }
        let (vals, vecs) = jacobi_eigen(&self.c, d);
        let top = vals.iter().cloned().fold(0.0, f64::max).max(1e-300);
        self.dv = vals
            .iter()
            .map(|&v| libm::sqrt(v.max(top * 1e-14)))
            .collect();
        self.b = vecs;
    }

    /// `B·diag(D)·z`.
    fn bdz(&self, z: &[f64]) -> Vec<f64> {
        let d = self.d;
        (0..d)
            .map(|i| (0..d).map(|k| self.b[i * d + k] * self.dv[k] * z[k]).sum())
            .collect()
    }

    /// One sample `mean + σ·B·D·z`.
    pub(super) fn ask(&self, rng: &mut Rng) -> Vec<f64> {
        let z: Vec<f64> = (0..self.d).map(|_| math::std_normal(rng)).collect();
        let y = self.bdz(&z);
        (0..self.d)
            .map(|i| self.mean[i] + self.sigma * y[i])
            .collect()
    }

    /// `C^{-1/2}·y = B·D⁻¹·Bᵀ·y`.
    fn inv_sqrt(&self, y: &[f64]) -> Vec<f64> {
        let d = self.d;
        let t: Vec<f64> = (0..d)
            .map(|k| (0..d).map(|i| self.b[i * d + k] * y[i]).sum::<f64>() / self.dv[k])
            .collect();
        (0..d)
            .map(|i| (0..d).map(|k| self.b[i * d + k] * t[k]).sum())
            .collect()
    }

    /// Update from evaluated points (`x`, loss); uses the `μ` best.
    /// `injected[i]` marks points not drawn from this distribution: their
    /// step is shortened to Mahalanobis length `√d + 2d/(d+2)` (Hansen 2011,
    /// "Injecting external solutions into CMA-ES").
    pub(super) fn tell(&mut self, pts: &[(Vec<f64>, f64, bool)]) {
        let d = self.d;
        let n = d as f64;
        let mut order: Vec<usize> = (0..pts.len()).collect();
        order.sort_by(|&a, &b| pts[a].1.total_cmp(&pts[b].1).then(a.cmp(&b)));
        if let Some(&b0) = order.first() {
            self.gen_best.push(pts[b0].1);
        }
        let cy = libm::sqrt(n) + 2.0 * n / (n + 2.0);
        let ys: Vec<Vec<f64>> = order
            .iter()
            .take(self.mu)
            .map(|&i| {
                let mut y: Vec<f64> = (0..d)
                    .map(|k| (pts[i].0[k] - self.mean[k]) / self.sigma)
                    .collect();
                if pts[i].2 {
                    let len = libm::sqrt(self.inv_sqrt(&y).iter().map(|v| v * v).sum());
                    if len > cy {
                        y.iter_mut().for_each(|v| *v *= cy / len);
                    }
                }
                y
            })
            .collect();
        let mu = ys.len();
        if mu == 0 {
            return;
        }
        let wsum: f64 = self.weights[..mu].iter().sum();
        let w: Vec<f64> = self.weights[..mu].iter().map(|v| v / wsum).collect();
        let mut yw = vec![0.0; d];
        for (wi, y) in w.iter().zip(&ys) {
            for k in 0..d {
                yw[k] += wi * y[k];
            }
        }
        for k in 0..d {
            self.mean[k] += self.sigma * yw[k];
        }
        let cy_w = self.inv_sqrt(&yw);
        let a = libm::sqrt(self.cs * (2.0 - self.cs) * self.mueff);
        for k in 0..d {
            self.ps[k] = (1.0 - self.cs) * self.ps[k] + a * cy_w[k];
        }
        let ps_norm = libm::sqrt(self.ps.iter().map(|v| v * v).sum());
        let g = (self.generation + 1) as f64;
        let hsig = ps_norm / libm::sqrt(1.0 - libm::pow(1.0 - self.cs, 2.0 * g))
            < (1.4 + 2.0 / (n + 1.0)) * self.chin;
        let hs = if hsig { 1.0 } else { 0.0 };
        let ac = libm::sqrt(self.cc * (2.0 - self.cc) * self.mueff);
        for k in 0..d {
            self.pc[k] = (1.0 - self.cc) * self.pc[k] + hs * ac * yw[k];
        }
        let decay = 1.0 - self.c1 - self.cmu + (1.0 - hs) * self.c1 * self.cc * (2.0 - self.cc);
        for i in 0..d {
            for j in 0..d {
                let mut rmu = 0.0;
                for (wi, y) in w.iter().zip(&ys) {
                    rmu += wi * y[i] * y[j];
                }
                self.c[i * d + j] =
                    decay * self.c[i * d + j] + self.c1 * self.pc[i] * self.pc[j] + self.cmu * rmu;
            }
        }
        self.sigma *= libm::exp((self.cs / self.ds) * (ps_norm / self.chin - 1.0));
        self.generation += 1;
        self.decompose();
    }

    /// Largest standard deviation along a principal axis (`σ·max D`).
    pub(super) fn max_std(&self) -> f64 {
        self.sigma * self.dv.iter().cloned().fold(0.0, f64::max)
    }

    /// Textbook termination tests that trigger a restart: TolX (all steps
    /// below `tol_x`), TolFun (the generation bests of the last
    /// `10 + ⌈30d/λ⌉` generations within `tol_fun`) and ConditionCov > 1e14.
    pub(super) fn should_restart(&self, tol_x: f64, tol_fun: f64) -> bool {
        if self.max_std() < tol_x {
            return true;
        }
        let dmax = self.dv.iter().cloned().fold(0.0, f64::max);
        let dmin = self.dv.iter().cloned().fold(f64::INFINITY, f64::min);
        if dmax * dmax > 1e14 * dmin * dmin {
            return true;
        }
        let hist = 10 + (30.0 * self.d as f64 / self.lambda as f64).ceil() as usize;
        if self.gen_best.len() >= hist {
            let tail = &self.gen_best[self.gen_best.len() - hist..];
            let lo = tail.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = tail.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if hi - lo <= tol_fun {
                return true;
            }
        }
        false
    }
}

/// Eigen-decomposition of a symmetric `d × d` matrix by cyclic Jacobi
/// rotations: (eigenvalues, eigenvectors as columns, row-major).
pub(super) fn jacobi_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * d + j] * m[i * d + j])
            .sum();
        let diag: f64 = (0..d).map(|i| m[i * d + i] * m[i * d + i]).sum();
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let sgn = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sgn / (theta.abs() + libm::sqrt(theta * theta + 1.0));
                let c = 1.0 / libm::sqrt(t * t + 1.0);
                let s = t * c;
                for k in 0..d {
                    let mkp = m[k * d + p];
                    let mkq = m[k * d + q];
                    m[k * d + p] = c * mkp - s * mkq;
                    m[k * d + q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    let mpk = m[p * d + k];
                    let mqk = m[q * d + k];
                    m[p * d + k] = c * mpk - s * mqk;
                    m[q * d + k] = s * mpk + c * mqk;
                }
                for k in 0..d {
                    let vkp = v[k * d + p];
                    let vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| m[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_reconstructs_matrix() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let (vals, v) = jacobi_eigen(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| v[i * 3 + k] * vals[k] * v[j * 3 + k]).sum();
                assert!((r - a[i * 3 + j]).abs() < 1e-12, "{i},{j}: {r}");
            }
        }
    }

    fn run_on(f: impl Fn(&[f64]) -> f64, d: usize, gens: usize) -> (f64, Cma) {
        let mut rng = math::rng_from_seed(3);
        let mut cov = vec![0.0; d * d];
        for i in 0..d {
            cov[i * d + i] = 1.0;
        }
        let mut s = Cma::new(vec![3.0; d], 1.0, cov, Cma::default_lambda(d));
        let mut best = f64::INFINITY;
        for _ in 0..gens {
            let pts: Vec<(Vec<f64>, f64, bool)> = (0..s.lambda)
                .map(|_| {
                    let x = s.ask(&mut rng);
                    let y = f(&x);
                    (x, y, false)
                })
                .collect();
            for p in &pts {
                best = best.min(p.1);
            }
            s.tell(&pts);
        }
        (best, s)
    }

    #[test]
    fn converges_on_ill_conditioned_quadratic() {
        // ellipsoid with condition number 1e4: needs covariance adaptation
        let d = 6;
        let f = |x: &[f64]| -> f64 {
            (0..d)
                .map(|i| libm::pow(1e4, i as f64 / (d - 1) as f64) * x[i] * x[i])
                .sum()
        };
        let (best, s) = run_on(f, d, 400);
        assert!(best < 1e-10, "{best}");
        // the adapted covariance's axis ratio approaches √1e4 = 100
        let dmax = s.dv.iter().cloned().fold(0.0, f64::max);
        let dmin = s.dv.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(dmax / dmin > 30.0, "{}", dmax / dmin);
    }

    #[test]
    fn step_size_grows_on_linear_slope_and_is_reproducible() {
        let (_, s) = run_on(|x: &[f64]| x[0], 4, 30);
        assert!(s.sigma > 10.0, "{}", s.sigma);
        let (_, s2) = run_on(|x: &[f64]| x[0], 4, 30);
        assert_eq!(s.sigma.to_bits(), s2.sigma.to_bits());
        assert_eq!(s.mean, s2.mean);
    }

    #[test]
    fn solves_sphere_to_tolerance_within_budget() {
        // 10-d sphere from distance √90 with σ = 1: well below 1e-8 within
        // 300 generations of the default population (3,000 evaluations)
        let d = 10;
        let (best, s) = run_on(|x: &[f64]| x.iter().map(|v| v * v).sum(), d, 300);
        assert!(best < 1e-8, "{best}");
        assert!(s.mean.iter().all(|m| m.abs() < 1e-3), "{:?}", s.mean);
    }

    #[test]
    fn restart_tests_fire_on_a_flat_objective_and_not_while_progressing() {
        // progress on a sphere: no restart after 20 generations
        let (_, s) = run_on(|x: &[f64]| x.iter().map(|v| v * v).sum(), 4, 20);
        assert!(!s.should_restart(1e-12, 1e-12));
        // flat: every generation's best is equal, so TolFun fires once the
        // history of 10 + ⌈30d/λ⌉ generations is full, not before
        let d = 4;
        let hist = 10 + (30.0 * d as f64 / Cma::default_lambda(d) as f64).ceil() as usize;
        let (_, s) = run_on(|_: &[f64]| 1.0, d, hist - 1);
        assert!(!s.should_restart(1e-12, 1e-12));
        let (_, s) = run_on(|_: &[f64]| 1.0, d, hist);
        assert!(s.should_restart(1e-12, 1e-12));
    }

    #[test]
    fn injected_step_is_clipped() {
        let mut s = Cma::new(vec![0.0; 2], 1.0, vec![1.0, 0.0, 0.0, 1.0], 6);
        s.tell(&[(vec![100.0, 0.0], -1.0, true)]);
        // a single point gets weight 1: the mean moves by at most c_y = √2 + 1
        assert!(s.mean[0] <= 2f64.sqrt() + 1.0 + 1e-12, "{:?}", s.mean);
        assert!(s.mean[0] > 2.0);
    }
}
