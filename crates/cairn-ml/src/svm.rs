//! Support vector classifier with scikit-learn `SVC` semantics.
//!
//! C-SVC dual `min ½ aᵀQa − eᵀa, 0 <= a_i <= C, yᵀa = 0`, solved by SMO with
//! second-order working-set selection (Fan, Chen and Lin, JMLR 2005, the
//! method libsvm documents), stopping when the maximal KKT violation is below
//! `tol` (scikit-learn's default 1e-3). Kernel rows are cached (LRU, `f32` as
//! libsvm's `Qfloat`). Kernels: `linear` and `rbf` with `gamma` = a number,
//! `scale` (1 / (n_features · Var(X)), the default) or `auto` (1 / n_features).
//! Multiclass problems are one-vs-one with majority vote, as in libsvm.

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::param::{HasParams, ParamGuard, ParamValue, unknown};
use crate::traits::{Estimator, Transformer};
use crate::tree::MAX_CLASSES;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

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
    /// `cacheSize` in MB (default 1024; scikit-learn's is 200). Only speed
    /// depends on it: 1 GB holds the whole kernel matrix of ~16k rows (f32).
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
            cache_size: 1024.0,
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

/// `exp(x)` for `x <= 0` in `f32`, branch-free so kernel rows vectorise
/// (Cody-Waite range reduction + degree-6 Taylor polynomial; relative error
/// about 1e-7, below the `f32` kernel cache's own rounding).
#[inline]
fn exp_neg(x: f32) -> f32 {
    let x = x.max(-87.0);
    // round(x / ln 2) with the 1.5 * 2^23 trick (no rounding instruction needed)
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `exp(x)` for `x <= 0` in `f64`, branch-free so that prediction's kernel
/// values vectorise: Cody-Waite reduction `x = n ln2 + r`, `|r| <= ln2 / 2`,
/// then a degree-13 Taylor polynomial (truncation below 3e-18 relative, so
/// within a few ulps of `f64::exp`; tested). Below -708 it returns
/// `exp(-708)` (~3e-308), which no kernel value can tell from 0.
#[inline]
fn exp_neg_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.max(-708.0);
    // round(x / ln 2) with the 1.5 * 2^52 trick
    let n = (x * std::f64::consts::LOG2_E + 6_755_399_441_055_744.0) - 6_755_399_441_055_744.0;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for k in (1..13).rev() {
        p = p * r + 1.0 / FACT[k];
    }
    let p = p * r + 1.0;
    p * f64::from_bits(((n as i64 + 1023) as u64) << 52)
}

/// 0! .. 12!
const FACT: [f64; 13] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5040.0,
    40320.0,
    362_880.0,
    3_628_800.0,
    39_916_800.0,
    479_001_600.0,
];

impl Kernel {
    #[inline]
    fn eval(self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            Kernel::Linear => a.iter().zip(b).map(|(x, y)| x * y).sum(),
            Kernel::Rbf { gamma } => {
                let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (-gamma * d2).exp()
            }
        }
    }
}

/// LRU cache of kernel rows (shared `Arc`s, so a hit costs no copy).
struct RowCache {
    rows: HashMap<usize, (Arc<Vec<f32>>, u64)>,
    capacity: usize,
    clock: u64,
}

impl RowCache {
    fn get(&mut self, i: usize, compute: impl FnOnce() -> Vec<f32>) -> Arc<Vec<f32>> {
        self.clock += 1;
        let clock = self.clock;
        if !self.rows.contains_key(&i) {
            if self.rows.len() >= self.capacity {
                let oldest = self
                    .rows
                    .iter()
                    .min_by_key(|(_, (_, t))| *t)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    self.rows.remove(&k);
                }
            }
            self.rows.insert(i, (Arc::new(compute()), clock));
        }
        match self.rows.get_mut(&i) {
            Some(e) => {
                e.1 = clock;
                Arc::clone(&e.0)
            }
            None => Arc::new(Vec::new()),
        }
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

/// Solves one binary problem on `x` (row-major, `d` columns) with labels ±1.
fn smo(x: &[f64], d: usize, y: &[f64], p: &SvcParams, kernel: Kernel) -> (Vec<f64>, f64) {
    let n = y.len();
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let qd: Vec<f64> = (0..n).map(|i| kernel.eval(row(i), row(i))).collect();
    let mut alpha = vec![0.0; n];
    let mut grad = vec![-1.0; n];
    let c = p.c;
    let row_bytes = (n * 4).max(1);
    let mut cache = RowCache {
        rows: HashMap::new(),
        capacity: (p.cache_bytes / row_bytes).max(2),
        clock: 0,
    };
    // Kernel rows: rbf via squared norms, exp(-g (|a|^2 + |b|^2 - 2 a.b)) as
    // libsvm computes it. The dot products run over a column-major copy, one
    // feature at a time across all rows: the inner loop is a plain vector
    // multiply-add (vectorised), and each sum still adds features in order
    // 0..d, so the values are bit-for-bit those of a row-wise dot product.
    let norms: Vec<f64> = (0..n).map(|i| row(i).iter().map(|v| v * v).sum()).collect();
    let mut cols = vec![0.0; n * d];
    for (i, r) in x.chunks_exact(d.max(1)).enumerate() {
        for (f, &v) in r.iter().enumerate() {
            cols[f * n + i] = v;
        }
    }
    let krow = |i: usize| -> Vec<f32> {
        let xi = row(i);
        let mut acc = vec![0.0f64; n];
        for (f, &v) in xi.iter().enumerate() {
            for (a, &c) in acc.iter_mut().zip(&cols[f * n..(f + 1) * n]) {
                *a += v * c;
            }
        }
        match kernel {
            Kernel::Linear => acc.iter().map(|&a| a as f32).collect(),
            Kernel::Rbf { gamma } => {
                // the exponent first, then a tight exp loop the compiler
                // vectorises (fused, neither loop vectorises)
                let mut out: Vec<f32> = acc
                    .iter()
                    .zip(&norms)
                    .map(|(&a, nt)| (-(gamma * (norms[i] + nt - 2.0 * a).max(0.0))) as f32)
                    .collect();
                out.iter_mut().for_each(|v| *v = exp_neg(*v));
                out
            }
        }
    };
    let max_iter = p.max_iter.unwrap_or(usize::MAX);
    let tau = 1e-12;
    // Membership of I_up / I_low only changes for the two updated variables,
    // so it is kept in arrays instead of re-deriving it from alpha in the
    // selection loops (which run over all n rows every iteration).
    let in_up = |t: usize, alpha: &[f64]| {
        if y[t] > 0.0 {
            alpha[t] < c
        } else {
            alpha[t] > 0.0
        }
    };
    let in_low = |t: usize, alpha: &[f64]| {
        if y[t] > 0.0 {
            alpha[t] > 0.0
        } else {
            alpha[t] < c
        }
    };
    let mut up: Vec<bool> = (0..n).map(|t| in_up(t, &alpha)).collect();
    let mut low: Vec<bool> = (0..n).map(|t| in_low(t, &alpha)).collect();
    // Shrinking, as libsvm does it but for the selection only: every
    // min(n, 1000) iterations, bound variables that cannot be part of a
    // violating pair (in I_up only with -yG below the I_low minimum, or in
    // I_low only with -yG above the I_up maximum) leave the active set the
    // selection loops scan. The gradient is still updated for every row, so
    // no reconstruction is needed, and convergence is always confirmed on
    // the full set (unshrinking when the active set alone looks optimal).
    let mut active: Vec<usize> = (0..n).collect();
    let period = n.clamp(1, 1000);
    let mut countdown = period;
    let mut iter = 0;
    while iter < max_iter {
        iter += 1;
        countdown -= 1;
        if countdown == 0 {
            countdown = period;
            let (mut m_up, mut m_low) = (f64::NEG_INFINITY, f64::INFINITY);
            for &t in &active {
                let v = -y[t] * grad[t];
                if up[t] {
                    m_up = m_up.max(v);
                }
                if low[t] {
                    m_low = m_low.min(v);
                }
            }
            active.retain(|&t| {
                let v = -y[t] * grad[t];
                !((up[t] && !low[t] && v < m_low) || (low[t] && !up[t] && v > m_up))
            });
        }
        // i: argmax over I_up of -y G (first index on ties)
        let mut gmax = f64::NEG_INFINITY;
        let mut i_sel = usize::MAX;
        for &t in &active {
            let v = -y[t] * grad[t];
            if up[t] && v > gmax {
                gmax = v;
                i_sel = t;
            }
        }
        if i_sel == usize::MAX {
            if active.len() < n {
                active = (0..n).collect();
                continue;
            }
            break;
        }
        let ki = cache.get(i_sel, || krow(i_sel));
        let ki: &[f32] = &ki[..n];
        // j: second-order choice over I_low
        let mut gmin = f64::INFINITY;
        let mut best = f64::INFINITY;
        let mut j_sel = usize::MAX;
        let qi = qd[i_sel];
        for &t in &active {
            if !low[t] {
                continue;
            }
            let v = -y[t] * grad[t];
            gmin = gmin.min(v);
            let b = gmax - v;
            if b > 0.0 {
                let mut a = qi + qd[t] - 2.0 * f64::from(ki[t]);
                if a <= 0.0 {
                    a = tau;
                }
                let obj = -(b * b) / a;
                if obj < best {
                    best = obj;
                    j_sel = t;
                }
            }
        }
        if gmax - gmin < p.tol || j_sel == usize::MAX {
            if active.len() < n {
                active = (0..n).collect();
                countdown = period;
                continue;
            }
            break;
        }
        let (i, j) = (i_sel, j_sel);
        let kj = cache.get(j, || krow(j));
        let kj: &[f32] = &kj[..n];
        let mut a = qd[i] + qd[j] - 2.0 * f64::from(ki[j]);
        if a <= 0.0 {
            a = tau;
        }
        // move a_i += y_i t, a_j -= y_j t
        let mut t = (gmax - (-y[j] * grad[j])) / a;
        t = t.min(if y[i] > 0.0 { c - alpha[i] } else { alpha[i] });
        t = t.min(if y[j] > 0.0 { alpha[j] } else { c - alpha[j] });
        if t <= 0.0 {
            break;
        }
        alpha[i] = (alpha[i] + y[i] * t).clamp(0.0, c);
        alpha[j] = (alpha[j] - y[j] * t).clamp(0.0, c);
        for s in [i, j] {
            up[s] = in_up(s, &alpha);
            low[s] = in_low(s, &alpha);
        }
        for (((g, &yk), &a), &b) in grad.iter_mut().zip(y).zip(ki).zip(kj) {
            *g += yk * t * (f64::from(a) - f64::from(b));
        }
    }
    // rho from free vectors (or the middle of the feasible interval)
    let (mut ub, mut lb, mut sum, mut nfree) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..n {
        let yg = y[t] * grad[t];
        if alpha[t] >= c {
            if y[t] < 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else {
            sum += yg;
            nfree += 1;
        }
    }
    let rho = if nfree > 0 {
        sum / nfree as f64
    } else {
        (ub + lb) / 2.0
    };
    (alpha, rho)
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
                let (alpha, rho) = smo(&xs, d, &ys, self, kernel);
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
        let rows: Vec<(f64, f64)> = (0..data.n_rows())
            .into_par_iter()
            .map(|i| {
                let x = data.row(i);
                let svs = self.support_vectors.chunks_exact(d.max(1)).take(n_sv);
                let kv: Vec<f64> = match self.kernel {
                    Kernel::Linear => svs
                        .map(|sv| sv.iter().zip(x).map(|(a, b)| a * b).sum())
                        .collect(),
                    Kernel::Rbf { gamma } => {
                        // exponents first, then a tight exp loop that vectorises
                        let mut e: Vec<f64> = svs
                            .map(|sv| {
                                -gamma
                                    * sv.iter()
                                        .zip(x)
                                        .map(|(a, b)| (a - b) * (a - b))
                                        .sum::<f64>()
                            })
                            .collect();
                        e.iter_mut().for_each(|v| *v = exp_neg_f64(*v));
                        e
                    }
                };
                let mut votes = vec![0usize; k];
                let mut first = 0.0;
                for (m_i, m) in self.machines.iter().enumerate() {
                    let f: f64 = m.coef.iter().map(|&(s, c)| c * kv[s]).sum::<f64>() - m.rho;
                    if m_i == 0 {
                        first = f;
                    }
                    if f > 0.0 {
                        votes[m.positive] += 1;
                    } else {
                        votes[m.negative] += 1;
                    }
                }
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

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.05;
            let (a, b) = (exp_neg(x), x.exp());
            assert!((a - b).abs() <= 2e-7 * b + 1e-37, "{x}: {a} vs {b}");
        }
        assert_eq!(exp_neg(-1000.0), exp_neg(-87.0));
        assert_eq!(exp_neg(0.0), 1.0);
    }

    #[test]
    fn fast_f64_exp_matches_std() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let x = -(i as f64) * 0.003_7;
            let (a, b) = (exp_neg_f64(x), x.exp());
            if b > 1e-300 {
                worst = worst.max((a - b).abs() / b);
            }
        }
        assert!(worst < 1e-14, "max relative error {worst}");
        assert_eq!(exp_neg_f64(0.0), 1.0);
        assert!(exp_neg_f64(-1e6) < 1e-300 && exp_neg_f64(-1e6) >= 0.0);
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
