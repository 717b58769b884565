//! Support vector classifier with scikit-learn `SVC` semantics.
//!
//! C-SVC dual `min ½ aᵀQa − eᵀa, 0 <= a_i <= C, yᵀa = 0` (unregularised
//! bias), solved by SMO with second-order working-set selection and
//! shrinking (`smo`), stopping when the maximal KKT violation is below
//! `tol` (scikit-learn's default 1e-3). Kernel rows are cached (LRU, `f32` as
//! libsvm's `Qfloat`, `kernel`). A linear kernel with few features starts
//! SMO from a primal Newton solution (`primal`); SMO's stopping rule still
//! decides. Kernels: `linear` and `rbf` with `gamma` = a number,
//! `scale` (1 / (n_features · Var(X)), the default) or `auto` (1 / n_features).
//! Multiclass problems are one-vs-one with majority vote, as in libsvm.

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::param::{HasParams, ParamGuard, ParamValue, unknown};
use crate::traits::{Estimator, Transformer};
use crate::tree::MAX_CLASSES;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod kernel;
mod pool;
mod primal;
mod smo;

use kernel::SupportColumns;

/// Raw SVC params (scikit-learn names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Svc {
    /// `C` > 0 (default 1).
    pub c: f64,
    /// `kernel`: `rbf` (default) or `linear`.
    pub kernel: String,
    /// `gamma`: `scale` (default), `auto`, or a positive number as text.
    pub gamma: String,
    /// `tol` (default 1e-3).
    pub tol: f64,
    /// `maxIter` (default -1 = no limit).
    pub max_iter: i64,
    /// `cacheSize` in MB for kernel rows (default 200, as scikit-learn).
    /// Only speed depends on it. Most rows are used a few times right after
    /// they are computed, so a cache far smaller than the kernel matrix
    /// (1.1 GB in `f32` for 16.5k rows) loses little, and a larger one
    /// costs page faults on every fit.
    pub cache_size: f64,
}

impl Default for Svc {
    fn default() -> Self {
        Svc {
            c: 1.0,
            kernel: "rbf".into(),
            gamma: "scale".into(),
            tol: 1e-3,
            max_iter: -1,
            cache_size: 200.0,
        }
    }
}

impl Svc {
    /// Default params.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `C`.
    pub fn c(mut self, v: f64) -> Self {
        self.c = v;
        self
    }
    /// Sets `kernel`.
    pub fn kernel(mut self, v: &str) -> Self {
        self.kernel = v.into();
        self
    }
    /// Sets `gamma` (`scale`, `auto` or a number).
    pub fn gamma(mut self, v: &str) -> Self {
        self.gamma = v.into();
        self
    }
}

/// Kernel choice after checking.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `x·z`.
    Linear,
    /// `exp(-gamma |x - z|²)`.
    Rbf {
        /// Resolved gamma.
        gamma: f64,
    },
}

/// Gamma rule before the data is seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gamma {
    /// 1 / (d Var(X)).
    Scale,
    /// 1 / d.
    Auto,
    /// A fixed value.
    Value(f64),
}

/// Checked SVC params.
#[derive(Clone, Debug, PartialEq)]
pub struct SvcParams {
    /// C.
    pub c: f64,
    /// Linear kernel (else rbf).
    pub linear: bool,
    /// Gamma rule.
    pub gamma: Gamma,
    /// Tolerance.
    pub tol: f64,
    /// Iteration cap (`None` = unlimited).
    pub max_iter: Option<usize>,
    /// Cache bytes.
    pub cache_bytes: usize,
}

impl ParamGuard for Svc {
    type Checked = SvcParams;
    fn check(&self) -> Result<SvcParams> {
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(MlError::param("C", self.c, "must be > 0"));
        }
        let linear = match self.kernel.as_str() {
            "linear" => true,
            "rbf" => false,
            k => return Err(MlError::param("kernel", k, "must be linear or rbf")),
        };
        let gamma = match self.gamma.as_str() {
            "scale" => Gamma::Scale,
            "auto" => Gamma::Auto,
            g => match g.parse::<f64>() {
                Ok(v) if v > 0.0 && v.is_finite() => Gamma::Value(v),
                _ => {
                    return Err(MlError::param(
                        "gamma",
                        g,
                        "must be scale, auto or a number > 0",
                    ));
                }
            },
        };
        if self.tol.is_nan() || self.tol <= 0.0 {
            return Err(MlError::param("tol", self.tol, "must be > 0"));
        }
        if self.cache_size.is_nan() || self.cache_size <= 0.0 {
            return Err(MlError::param("cacheSize", self.cache_size, "must be > 0"));
        }
        Ok(SvcParams {
            c: self.c,
            linear,
            gamma,
            tol: self.tol,
            max_iter: (self.max_iter >= 0).then_some(self.max_iter as usize),
            cache_bytes: (self.cache_size * 1024.0 * 1024.0) as usize,
        })
    }
}

const SVC_NAMES: [&str; 6] = ["C", "kernel", "gamma", "tol", "maxIter", "cacheSize"];

impl HasParams for Svc {
    fn type_name(&self) -> &'static str {
        "SVC"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &SVC_NAMES
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        Some(match name {
            "C" => self.c.into(),
            "kernel" => self.kernel.clone().into(),
            "gamma" => self.gamma.clone().into(),
            "tol" => self.tol.into(),
            "maxIter" => self.max_iter.into(),
            "cacheSize" => self.cache_size.into(),
            _ => return None,
        })
    }
    fn set_param(&mut self, name: &str, v: &ParamValue) -> Result<()> {
        match name {
            "C" => self.c = v.as_f64(name)?,
            "kernel" => self.kernel = v.as_str(name)?.into(),
            "gamma" => self.gamma = v.to_string(),
            "tol" => self.tol = v.as_f64(name)?,
            "maxIter" => self.max_iter = v.as_i64(name)?,
            "cacheSize" => self.cache_size = v.as_f64(name)?,
            _ => return Err(unknown("SVC", name)),
        }
        Ok(())
    }
}

impl Estimator for Svc {
    type Model = SvcModel;
    fn fit(&self, data: &Dataset) -> Result<SvcModel> {
        self.check()?.fit(data)
    }
    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }
}

/// One fitted binary machine: support vectors are indices into the model's SV store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinarySvm {
    /// Class index voted for by a positive decision value.
    pub positive: usize,
    /// Class index voted for by a non-positive decision value.
    pub negative: usize,
    /// (support vector index, y_i * alpha_i).
    pub coef: Vec<(usize, f64)>,
    /// Decision = sum coef K(sv, x) - rho.
    pub rho: f64,
}

impl SvcParams {
    /// Fits on labels `0..k` (k >= 2).
    pub fn fit(&self, data: &Dataset) -> Result<SvcModel> {
        let (n, d) = (data.n_rows(), data.n_features());
        let (y, k) = data.class_labels(MAX_CLASSES)?;
        let mut present = vec![false; k];
        y.iter().for_each(|&c| present[c as usize] = true);
        let classes: Vec<usize> = (0..k).filter(|&c| present[c]).collect();
        if classes.len() < 2 {
            return Err(MlError::Fit(format!(
                "SVC needs at least two classes; the labels have {}",
                classes.len()
            )));
        }
        let kernel = if self.linear {
            Kernel::Linear
        } else {
            let gamma = match self.gamma {
                Gamma::Value(g) => g,
                Gamma::Auto => 1.0 / d.max(1) as f64,
                Gamma::Scale => {
                    let f = data.features();
                    let m = f.iter().sum::<f64>() / f.len() as f64;
                    let var = f.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / f.len() as f64;
                    if var > 0.0 {
                        1.0 / (d as f64 * var)
                    } else {
                        1.0
                    }
                }
            };
            Kernel::Rbf { gamma }
        };
        let _ = n;
        let mut sv_index: HashMap<usize, usize> = HashMap::new();
        let mut support: Vec<f64> = Vec::new();
        let mut machines = Vec::new();
        for (a_pos, &ca) in classes.iter().enumerate() {
            for &cb in &classes[a_pos + 1..] {
                let rows: Vec<usize> = (0..y.len())
                    .filter(|&i| y[i] as usize == ca || y[i] as usize == cb)
                    .collect();
                let mut xs = Vec::with_capacity(rows.len() * d);
                for &r in &rows {
                    xs.extend_from_slice(data.row(r));
                }
                let ys: Vec<f64> = rows
                    .iter()
                    .map(|&r| if y[r] as usize == ca { 1.0 } else { -1.0 })
                    .collect();
                let start = match kernel {
                    Kernel::Linear => primal::linear_start(&xs, d, &ys, self.c),
                    Kernel::Rbf { .. } => None,
                };
                let smo::Solution { alpha, rho, .. } = smo::solve(&xs, d, &ys, self, kernel, start);
                let mut coef = Vec::new();
                for (t, &a) in alpha.iter().enumerate() {
                    if a > 0.0 {
                        let r = rows[t];
                        let idx = *sv_index.entry(r).or_insert_with(|| {
                            support.extend_from_slice(data.row(r));
                            support.len() / d.max(1) - 1
                        });
                        coef.push((idx, ys[t] * a));
                    }
                }
                machines.push(BinarySvm {
                    positive: ca,
                    negative: cb,
                    coef,
                    rho,
                });
            }
        }
        Ok(SvcModel {
            kernel,
            support_vectors: support,
            machines,
            num_classes: k,
            num_features: d,
        })
    }
}

/// A fitted SVC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvcModel {
    /// Kernel with resolved gamma.
    pub kernel: Kernel,
    /// Row-major support vectors (shared by the one-vs-one machines).
    pub support_vectors: Vec<f64>,
    /// Binary machines (one per class pair).
    pub machines: Vec<BinarySvm>,
    /// Number of classes.
    pub num_classes: usize,
    /// Number of features.
    pub num_features: usize,
}

impl SvcModel {
    /// Checks a model read from a file: support vectors of `num_features`
    /// values, coefficients that point at them, voted classes that exist.
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        let d = self.num_features;
        if d == 0 || !self.support_vectors.len().is_multiple_of(d) {
            return Err(format!(
                "{} support-vector values do not make rows of {d} features",
                self.support_vectors.len()
            ));
        }
        if self.machines.is_empty() {
            return Err("no binary machines".into());
        }
        let n_sv = self.num_support_vectors();
        for (i, m) in self.machines.iter().enumerate() {
            if m.positive >= self.num_classes || m.negative >= self.num_classes {
                return Err(format!(
                    "machine {i} votes for classes {} and {}, the model has {}",
                    m.positive, m.negative, self.num_classes
                ));
            }
            if let Some((s, _)) = m.coef.iter().find(|(s, _)| *s >= n_sv) {
                return Err(format!(
                    "machine {i} uses support vector {s}, the model has {n_sv}"
                ));
            }
        }
        Ok(())
    }
    /// Number of support vectors.
    pub fn num_support_vectors(&self) -> usize {
        self.support_vectors.len() / self.num_features.max(1)
    }
}

impl Transformer for SvcModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        use rayon::prelude::*;
        let d = self.num_features;
        if data.n_features() != d {
            return Err(MlError::Shape(format!(
                "model fitted on {d} features, data has {}",
                data.n_features()
            )));
        }
        let n_sv = self.num_support_vectors();
        let k = self.num_classes;
        let binary = self.machines.len() == 1;
        // A linear machine's decision is w·x − rho with w = Σ coef_s sv_s:
        // collapsing the support vectors once makes prediction O(d) per row
        // instead of O(n_sv d) (same value up to summation order).
        let weights: Vec<Vec<f64>> = match self.kernel {
            Kernel::Linear => self
                .machines
                .iter()
                .map(|m| {
                    let mut w = vec![0.0; d];
                    for &(s, c) in &m.coef {
                        let sv = &self.support_vectors[s * d..(s + 1) * d];
                        w.iter_mut().zip(sv).for_each(|(w, v)| *w += c * v);
                    }
                    w
                })
                .collect(),
            Kernel::Rbf { .. } => Vec::new(),
        };
        let support = match self.kernel {
            Kernel::Rbf { .. } => SupportColumns::new(&self.support_vectors, d),
            Kernel::Linear => SupportColumns::new(&[], d),
        };
        let rows: Vec<(f64, f64)> = (0..data.n_rows())
            .into_par_iter()
            .map(|i| {
                let x = data.row(i);
                let decisions: Vec<f64> = match self.kernel {
                    Kernel::Linear => self
                        .machines
                        .iter()
                        .zip(&weights)
                        .map(|(m, w)| w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() - m.rho)
                        .collect(),
                    Kernel::Rbf { gamma } => {
                        let mut kv = vec![0.0; n_sv];
                        support.rbf_into(x, gamma, &mut kv);
                        self.machines
                            .iter()
                            .map(|m| m.coef.iter().map(|&(s, c)| c * kv[s]).sum::<f64>() - m.rho)
                            .collect()
                    }
                };
                let mut votes = vec![0usize; k];
                for (m, &f) in self.machines.iter().zip(&decisions) {
                    if f > 0.0 {
                        votes[m.positive] += 1;
                    } else {
                        votes[m.negative] += 1;
                    }
                }
                let first = decisions.first().copied().unwrap_or(0.0);
                let mut best = 0;
                for c in 0..k {
                    if votes[c] > votes[best] {
                        best = c;
                    }
                }
                (best as f64, first)
            })
            .collect();
        let mut out = data.clone();
        out.set_prediction(rows.iter().map(|r| r.0).collect())?;
        if binary {
            // rawPrediction [score of class 0, score of class 1], positive = class 1
            let m = &self.machines[0];
            let sign = if m.positive < m.negative { -1.0 } else { 1.0 };
            let raw = rows
                .iter()
                .flat_map(|r| [-sign * r.1, sign * r.1])
                .collect();
            out.set_raw_prediction(raw, 2)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_svm_on_separable_points_has_max_margin() {
        // points at x = -2, -1 (class 0) and 1, 2 (class 1): boundary at 0, margin SVs at ±1
        let d = Dataset::from_rows(
            &[vec![-2.0], vec![-1.0], vec![1.0], vec![2.0]],
            Some(vec![0.0, 0.0, 1.0, 1.0]),
        )
        .unwrap();
        let m = Svc::new().kernel("linear").c(100.0).fit(&d).unwrap();
        let out = m.transform(&d).unwrap();
        assert_eq!(out.prediction().unwrap(), d.label().unwrap());
        assert_eq!(m.num_support_vectors(), 2);
        let (raw, _) = out.raw_prediction().unwrap();
        // decision values are +-1 at the support vectors (w = 1, b = 0)
        assert!(
            (raw[2] - 1.0).abs() < 1e-3 && (raw[5] - 1.0).abs() < 1e-3,
            "{raw:?}"
        );
    }

    /// Deterministic overlapping two-class data: class means `±sep` on the
    /// first feature, a pseudo-random spread on every feature.
    fn cloud(n: usize, d: usize, sep: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..n {
            let s = if i % 3 == 0 { 1.0 } else { -1.0 };
            for f in 0..d {
                x.push(next() + if f == 0 { s * sep } else { 0.1 * s * f as f64 });
            }
            y.push(s);
        }
        (x, y)
    }

    /// Decision values `Σ y_t a_t K(x_t, x_s) − rho` on the training points.
    fn decisions(x: &[f64], d: usize, y: &[f64], kernel: Kernel, s: &smo::Solution) -> Vec<f64> {
        let row = |i: usize| &x[i * d..(i + 1) * d];
        (0..y.len())
            .map(|i| {
                (0..y.len())
                    .filter(|&t| s.alpha[t] > 0.0)
                    .map(|t| y[t] * s.alpha[t] * kernel.eval(row(t), row(i)))
                    .sum::<f64>()
                    - s.rho
            })
            .collect()
    }

    #[test]
    fn linear_warm_start_gives_the_cold_smo_decision_function() {
        // (n, d, class separation, C): overlapping classes at small and
        // large C, and nearly separable ones at C = 1000
        for (n, d, sep, c, seed) in [
            (600, 2, 0.5, 1.0, 1),
            (300, 2, 0.5, 1000.0, 2),
            (500, 8, 0.8, 10.0, 3),
            (400, 3, 1.6, 1000.0, 4),
            (300, 1, 0.3, 0.05, 5),
        ] {
            let (x, y) = cloud(n, d, sep, seed);
            let p = Svc::new().kernel("linear").c(c).check().unwrap();
            let cold = smo::solve(&x, d, &y, &p, Kernel::Linear, None);
            let start = primal::linear_start(&x, d, &y, c).expect("a start for small d");
            let warm = smo::solve(&x, d, &y, &p, Kernel::Linear, Some(start));
            let (fc, fw) = (
                decisions(&x, d, &y, Kernel::Linear, &cold),
                decisions(&x, d, &y, Kernel::Linear, &warm),
            );
            // both stop at the same KKT tolerance, so both are within a few
            // 1e-3 of the exact optimum (here: SMO at tol 1e-6)
            let mut tight = p.clone();
            tight.tol = 1e-6;
            let exact = smo::solve(&x, d, &y, &tight, Kernel::Linear, None);
            let fe = decisions(&x, d, &y, Kernel::Linear, &exact);
            let dist = |f: &[f64], g: &[f64]| {
                f.iter()
                    .zip(g)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            };
            let (cold_err, warm_err) = (dist(&fc, &fe), dist(&fw, &fe));
            eprintln!(
                "n {n} d {d} C {c}: iterations cold {} warm {}; max |f - exact| cold {cold_err:.1e} warm {warm_err:.1e}",
                cold.iterations, warm.iterations
            );
            assert!(warm_err < 5e-3, "warm start is {warm_err} from the optimum");
            assert!(dist(&fc, &fw) < 1e-2);
            assert!(warm.iterations <= cold.iterations);
        }
    }

    /// The maximal KKT violation of `alpha`, from an exact `f64` gradient.
    fn violation(x: &[f64], d: usize, y: &[f64], kernel: Kernel, alpha: &[f64], c: f64) -> f64 {
        let row = |i: usize| &x[i * d..(i + 1) * d];
        let (mut up, mut low) = (f64::NEG_INFINITY, f64::INFINITY);
        for t in 0..y.len() {
            let g: f64 = (0..y.len())
                .filter(|&j| alpha[j] > 0.0)
                .map(|j| y[t] * y[j] * alpha[j] * kernel.eval(row(t), row(j)))
                .sum::<f64>()
                - 1.0;
            let v = -y[t] * g;
            let (pos, a) = (y[t] > 0.0, alpha[t]);
            if (pos && a < c) || (!pos && a > 0.0) {
                up = up.max(v);
            }
            if (pos && a > 0.0) || (!pos && a < c) {
                low = low.min(v);
            }
        }
        up - low
    }

    #[test]
    fn shrinking_rbf_solution_meets_the_stopping_rule_on_the_exact_gradient() {
        // enough rows and iterations for shrinking, the first unshrink and
        // the final gradient reconstruction to all happen
        let (x, y) = cloud(1500, 3, 0.4, 7);
        let kernel = Kernel::Rbf { gamma: 0.5 };
        for c in [10.0, 200.0] {
            let p = Svc::new().c(c).check().unwrap();
            let s = smo::solve(&x, 3, &y, &p, kernel, None);
            assert!(s.iterations > 2000, "{} iterations", s.iterations);
            let r: f64 = s.alpha.iter().zip(&y).map(|(a, y)| a * y).sum();
            assert!(r.abs() < 1e-9 * c);
            // the f32 kernel cache's rounding moves the gradient a little
            let v = violation(&x, 3, &y, kernel, &s.alpha, c);
            assert!(v < 1.5e-3, "C {c}: violation {v}");
        }
    }

    #[test]
    fn params_are_checked() {
        let d = Dataset::from_rows(&[vec![0.0], vec![1.0]], Some(vec![0.0, 1.0])).unwrap();
        assert_eq!(
            Svc::new().c(-1.0).fit(&d).unwrap_err().to_string(),
            "invalid param C = -1: must be > 0"
        );
        assert!(Svc::new().kernel("poly").fit(&d).is_err());
        assert!(Svc::new().gamma("0").fit(&d).is_err());
        let one = Dataset::from_rows(&[vec![0.0], vec![1.0]], Some(vec![1.0, 1.0])).unwrap();
        assert!(Svc::new().fit(&one).is_err());
    }
}
