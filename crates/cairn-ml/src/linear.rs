//! Logistic regression, binomial and multinomial.
//!
//! Two ways to say how strong the penalty is:
//! - Spark: `regParam` (λ) and `elasticNetParam` (α); the objective is
//!   `mean log-loss + λ (α ||w||₁ + (1-α)/2 ||w||²)`, with the penalty on
//!   standardized coefficients when `standardization` is true (the default).
//! - scikit-learn: `C`; the objective is `½||w||² + C · sum log-loss`, i.e.
//!   λ = 1/(C n), α = 0, no standardization. With `solver = liblinear` the
//!   intercept is penalized too (liblinear's bias feature) and multiclass
//!   problems are fitted one-vs-rest, as scikit-learn does.
//!
//! Smooth objectives (α = 0) are minimised with L-BFGS; with an L1 part,
//! with FISTA (accelerated proximal gradient, soft-thresholding).

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::param::{HasParams, ParamGuard, ParamValue, at_least, unknown};
use crate::traits::{Estimator, Transformer};
use crate::tree::{MAX_CLASSES, argmax};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Raw logistic-regression params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    /// `regParam` λ >= 0 (default 0).
    pub reg_param: f64,
    /// `elasticNetParam` α in [0, 1] (default 0 = L2).
    pub elastic_net_param: f64,
    /// `C` > 0 (scikit-learn); when set it replaces `regParam`/`elasticNetParam`/`standardization`.
    pub c: Option<f64>,
    /// `maxIter` (default 100).
    pub max_iter: i64,
    /// `tol` (default 1e-6): stop when the relative objective change is below it.
    pub tol: f64,
    /// `fitIntercept` (default true).
    pub fit_intercept: bool,
    /// `standardization` (default true).
    pub standardization: bool,
    /// `family`: `auto`, `binomial`, `multinomial`.
    pub family: String,
    /// `solver`: `auto`/`lbfgs` or `liblinear` (scikit-learn semantics, see module docs).
    pub solver: String,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            reg_param: 0.0,
            elastic_net_param: 0.0,
            c: None,
            max_iter: 100,
            tol: 1e-6,
            fit_intercept: true,
            standardization: true,
            family: "auto".into(),
            solver: "auto".into(),
        }
    }
}

impl LogisticRegression {
    /// Default params.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `regParam`.
    pub fn reg_param(mut self, v: f64) -> Self {
        self.reg_param = v;
        self
    }
    /// Sets `elasticNetParam`.
    pub fn elastic_net_param(mut self, v: f64) -> Self {
        self.elastic_net_param = v;
        self
    }
    /// Sets scikit-learn's `C`.
    pub fn c(mut self, v: f64) -> Self {
        self.c = Some(v);
        self
    }
    /// Sets `maxIter`.
    pub fn max_iter(mut self, v: i64) -> Self {
        self.max_iter = v;
        self
    }
    /// Sets `solver`.
    pub fn solver(mut self, v: &str) -> Self {
        self.solver = v.into();
        self
    }
    /// Sets `family`.
    pub fn family(mut self, v: &str) -> Self {
        self.family = v.into();
        self
    }
}

/// Checked logistic-regression params.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticParams {
    /// λ per row given `n` at fit time: either `regParam` or `1/(C n)`.
    pub penalty: Penalty,
    /// α.
    pub elastic_net: f64,
    /// Max iterations.
    pub max_iter: usize,
    /// Tolerance.
    pub tol: f64,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Standardize for the penalty.
    pub standardization: bool,
    /// Force multinomial (`Some(true)`), binomial (`Some(false)`) or auto.
    pub multinomial: Option<bool>,
    /// liblinear semantics (penalized intercept, one-vs-rest).
    pub liblinear: bool,
}

/// How strong the penalty is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Penalty {
    /// Spark's λ.
    RegParam(f64),
    /// scikit-learn's C.
    C(f64),
}

impl ParamGuard for LogisticRegression {
    type Checked = LogisticParams;
    fn check(&self) -> Result<LogisticParams> {
        if !(self.reg_param >= 0.0 && self.reg_param.is_finite()) {
            return Err(MlError::param(
                "regParam",
                self.reg_param,
                "must be a finite number >= 0",
            ));
        }
        if !(0.0..=1.0).contains(&self.elastic_net_param) {
            return Err(MlError::param(
                "elasticNetParam",
                self.elastic_net_param,
                "must be in [0, 1]",
            ));
        }
        if let Some(c) = self.c
            && !(c > 0.0 && c.is_finite())
        {
            return Err(MlError::param("C", c, "must be > 0"));
        }
        at_least("maxIter", self.max_iter, 0)?;
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(MlError::param("tol", self.tol, "must be >= 0"));
        }
        let multinomial = match self.family.as_str() {
            "auto" => None,
            "binomial" => Some(false),
            "multinomial" => Some(true),
            f => {
                return Err(MlError::param(
                    "family",
                    f,
                    "must be auto, binomial or multinomial",
                ));
            }
        };
        let liblinear = match self.solver.as_str() {
            "auto" | "lbfgs" => false,
            "liblinear" => true,
            s => {
                return Err(MlError::param(
                    "solver",
                    s,
                    "must be auto, lbfgs or liblinear",
                ));
            }
        };
        let (penalty, elastic_net, standardization) = match self.c {
            Some(c) => (Penalty::C(c), 0.0, false),
            None => (
                Penalty::RegParam(self.reg_param),
                self.elastic_net_param,
                self.standardization,
            ),
        };
        Ok(LogisticParams {
            penalty,
            elastic_net,
            max_iter: self.max_iter as usize,
            tol: self.tol,
            fit_intercept: self.fit_intercept,
            standardization,
            multinomial,
            liblinear,
        })
    }
}

const LR_NAMES: [&str; 9] = [
    "regParam",
    "elasticNetParam",
    "C",
    "maxIter",
    "tol",
    "fitIntercept",
    "standardization",
    "family",
    "solver",
];

impl HasParams for LogisticRegression {
    fn type_name(&self) -> &'static str {
        "LogisticRegression"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &LR_NAMES
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        Some(match name {
            "regParam" => self.reg_param.into(),
            "elasticNetParam" => self.elastic_net_param.into(),
            "C" => self.c?.into(),
            "maxIter" => self.max_iter.into(),
            "tol" => self.tol.into(),
            "fitIntercept" => self.fit_intercept.into(),
            "standardization" => self.standardization.into(),
            "family" => self.family.clone().into(),
            "solver" => self.solver.clone().into(),
            _ => return None,
        })
    }
    fn set_param(&mut self, name: &str, v: &ParamValue) -> Result<()> {
        match name {
            "regParam" => self.reg_param = v.as_f64(name)?,
            "elasticNetParam" => self.elastic_net_param = v.as_f64(name)?,
            "C" => self.c = Some(v.as_f64(name)?),
            "maxIter" => self.max_iter = v.as_i64(name)?,
            "tol" => self.tol = v.as_f64(name)?,
            "fitIntercept" => self.fit_intercept = v.as_bool(name)?,
            "standardization" => self.standardization = v.as_bool(name)?,
            "family" => self.family = v.as_str(name)?.into(),
            "solver" => self.solver = v.as_str(name)?.into(),
            _ => return Err(unknown("LogisticRegression", name)),
        }
        Ok(())
    }
}

impl Estimator for LogisticRegression {
    type Model = LogisticRegressionModel;
    fn fit(&self, data: &Dataset) -> Result<LogisticRegressionModel> {
        self.check()?.fit(data)
    }
    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }
}

/// The problem after scaling: rows of `x` (scaled), targets, and shape.
struct Problem<'a> {
    x: &'a [f64],
    d: usize,
    n: usize,
    /// `k` outputs (1 = binomial with 0/1 targets in `y`).
    k: usize,
    y: &'a [u32],
    intercept: bool,
    /// L2 weight per coefficient block (λ(1-α)); intercept gets `l2_intercept`.
    l2: f64,
    l2_intercept: f64,
}

impl Problem<'_> {
    /// Parameter layout: for output c, `w[c*(d+1) .. c*(d+1)+d]` then intercept.
    fn dim(&self) -> usize {
        self.k * (self.d + 1)
    }
    /// Mean log-loss plus the L2 part, and its gradient.
    fn value_grad(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        let (d, k) = (self.d, self.k);
        let stride = d + 1;
        let chunk = 512;
        let (loss, g) = (0..self.n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| {
                let mut g = vec![0.0; w.len()];
                let mut loss = 0.0;
                let mut z = vec![0.0; k];
                for i in c * chunk..((c + 1) * chunk).min(self.n) {
                    let xi = &self.x[i * d..(i + 1) * d];
                    for (o, zo) in z.iter_mut().enumerate() {
                        let wo = &w[o * stride..o * stride + d];
                        *zo = xi.iter().zip(wo).map(|(a, b)| a * b).sum::<f64>()
                            + if self.intercept {
                                w[o * stride + d]
                            } else {
                                0.0
                            };
                    }
                    let yi = self.y[i] as usize;
                    if k == 1 {
                        // binomial: loss = log(1 + e^z) - y z
                        let zz = z[0];
                        let yv = yi as f64;
                        loss += if zz > 0.0 {
                            zz + (-zz).exp().ln_1p()
                        } else {
                            zz.exp().ln_1p()
                        } - yv * zz;
                        let p = 1.0 / (1.0 + (-zz).exp());
                        let r = p - yv;
                        for (gj, xj) in g[..d].iter_mut().zip(xi) {
                            *gj += r * xj;
                        }
                        g[d] += r;
                    } else {
                        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                        let lse = m + s.ln();
                        loss += lse - z[yi];
                        for o in 0..k {
                            let r = (z[o] - lse).exp() - if o == yi { 1.0 } else { 0.0 };
                            let go = &mut g[o * stride..(o + 1) * stride];
                            for (gj, xj) in go[..d].iter_mut().zip(xi) {
                                *gj += r * xj;
                            }
                            go[d] += r;
                        }
                    }
                }
                (loss, g)
            })
            .reduce(
                || (0.0, vec![0.0; w.len()]),
                |(la, mut ga), (lb, gb)| {
                    ga.iter_mut().zip(gb).for_each(|(a, b)| *a += b);
                    (la + lb, ga)
                },
            );
        let inv = 1.0 / self.n as f64;
        let mut f = loss * inv;
        for (j, (gj, g0)) in grad.iter_mut().zip(g).enumerate() {
            let is_b = j % stride == d;
            *gj = g0 * inv;
            if is_b && !self.intercept {
                *gj = 0.0;
                continue;
            }
            let l2 = if is_b { self.l2_intercept } else { self.l2 };
            *gj += l2 * w[j];
            f += 0.5 * l2 * w[j] * w[j];
        }
        f
    }
}

/// L-BFGS with backtracking (Armijo) line search.
fn lbfgs(p: &Problem<'_>, w: &mut [f64], max_iter: usize, tol: f64) {
    let m = 10;
    let dim = w.len();
    let mut g = vec![0.0; dim];
    let mut f = p.value_grad(w, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut g_new = vec![0.0; dim];
    let mut w_new = vec![0.0; dim];
    for _ in 0..max_iter {
        let gnorm = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
        if gnorm < 1e-10 {
            break;
        }
        // two-loop recursion
        let mut q = g.clone();
        let mut alphas = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alphas[i] = rho * dot(&s_hist[i], &q);
            axpy(-alphas[i], &y_hist[i], &mut q);
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let scale = 1.0 / gnorm.max(1.0);
            q.iter_mut().for_each(|v| *v *= scale);
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            axpy(alphas[i] - beta, &s_hist[i], &mut q);
        }
        // direction = -q
        let mut dg = -dot(&g, &q);
        if dg >= 0.0 {
            // not a descent direction: reset to steepest descent
            s_hist.clear();
            y_hist.clear();
            q.clone_from(&g);
            dg = -dot(&g, &g);
        }
        let mut step = 1.0;
        let mut f_new;
        loop {
            for j in 0..dim {
                w_new[j] = w[j] - step * q[j];
            }
            f_new = p.value_grad(&w_new, &mut g_new);
            if f_new <= f + 1e-4 * step * dg || step < 1e-12 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = w_new.iter().zip(w.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        w.copy_from_slice(&w_new);
        g.copy_from_slice(&g_new);
        let rel = (f - f_new).abs() / f.abs().max(f_new.abs()).max(1.0);
        f = f_new;
        if sy > 1e-12 {
            if s_hist.len() == m {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        if rel < tol {
            break;
        }
    }
}

/// FISTA for the smooth part plus `l1 * ||w||₁` (intercepts unpenalized).
fn fista(p: &Problem<'_>, w: &mut [f64], l1: f64, max_iter: usize, tol: f64) {
    let dim = w.len();
    let stride = p.d + 1;
    let mut lip = 1.0;
    let mut yv = w.to_vec();
    let mut g = vec![0.0; dim];
    let mut t: f64 = 1.0;
    let obj = |w: &[f64], fs: f64| {
        fs + l1
            * w.iter()
                .enumerate()
                .filter(|(j, _)| j % stride != p.d)
                .map(|(_, v)| v.abs())
                .sum::<f64>()
    };
    let mut tmp = vec![0.0; dim];
    let mut f_prev = obj(w, p.value_grad(w, &mut tmp));
    for _ in 0..max_iter.max(1) * 5 {
        let fy = p.value_grad(&yv, &mut g);
        let mut w_new;
        loop {
            w_new = yv
                .iter()
                .zip(&g)
                .map(|(a, b)| a - b / lip)
                .collect::<Vec<f64>>();
            for (j, v) in w_new.iter_mut().enumerate() {
                if j % stride != p.d {
                    let th = l1 / lip;
                    *v = v.signum() * (v.abs() - th).max(0.0);
                }
            }
            let fw = p.value_grad(&w_new, &mut tmp);
            let diff: Vec<f64> = w_new.iter().zip(&yv).map(|(a, b)| a - b).collect();
            let bound = fy + dot(&g, &diff) + 0.5 * lip * dot(&diff, &diff);
            if fw <= bound + 1e-12 || lip > 1e12 {
                break;
            }
            lip *= 2.0;
        }
        let t_new = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        for j in 0..dim {
            yv[j] = w_new[j] + (t - 1.0) / t_new * (w_new[j] - w[j]);
        }
        w.copy_from_slice(&w_new);
        t = t_new;
        let f_now = obj(w, p.value_grad(w, &mut tmp));
        if (f_prev - f_now).abs() / f_prev.abs().max(1.0) < tol * 0.1 {
            break;
        }
        f_prev = f_now;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi);
}

impl LogisticParams {
    /// Fits on labels `0..k`.
    pub fn fit(&self, data: &Dataset) -> Result<LogisticRegressionModel> {
        let (n, d) = (data.n_rows(), data.n_features());
        if n == 0 {
            return Err(MlError::Empty(
                "cannot fit LogisticRegression on zero rows".into(),
            ));
        }
        let (y, k) = data.class_labels(MAX_CLASSES)?;
        let k = k.max(2);
        let multinomial = self.multinomial.unwrap_or(k > 2);
        if !multinomial && k > 2 && !self.liblinear {
            return Err(MlError::param(
                "family",
                "binomial",
                format!("the labels have {k} classes"),
            ));
        }
        // scale for the penalty (Spark standardization: divide by std, no centering)
        let mut scale = vec![1.0; d];
        if self.standardization {
            for (j, s) in scale.iter_mut().enumerate() {
                let mean = (0..n).map(|i| data.get(i, j)).sum::<f64>() / n as f64;
                let var = (0..n).map(|i| (data.get(i, j) - mean).powi(2)).sum::<f64>()
                    / (n.max(2) - 1) as f64;
                *s = if var > 0.0 { 1.0 / var.sqrt() } else { 0.0 };
            }
        }
        let x: Vec<f64> = data
            .features()
            .chunks(d.max(1))
            .flat_map(|r| r.iter().zip(&scale).map(|(a, s)| a * s))
            .collect();
        let lambda = match self.penalty {
            Penalty::RegParam(l) => l,
            Penalty::C(c) => 1.0 / (c * n as f64),
        };
        let l2 = lambda * (1.0 - self.elastic_net);
        let l1 = lambda * self.elastic_net;
        let l2_intercept = if self.liblinear { lambda } else { 0.0 };
        let solve = |targets: &[u32], kk: usize| -> Vec<f64> {
            let p = Problem {
                x: &x,
                d,
                n,
                k: kk,
                y: targets,
                intercept: self.fit_intercept,
                l2,
                l2_intercept,
            };
            let mut w = vec![0.0; p.dim()];
            if l1 > 0.0 {
                fista(&p, &mut w, l1, self.max_iter, self.tol);
            } else {
                lbfgs(&p, &mut w, self.max_iter, self.tol);
            }
            w
        };
        let (raw_w, outputs, mode) = if !multinomial && k == 2 {
            (solve(&y, 1), 1, Mode::Binomial)
        } else if self.liblinear {
            // one-vs-rest
            let mut all = Vec::with_capacity(k * (d + 1));
            for c in 0..k {
                let t: Vec<u32> = y.iter().map(|&v| u32::from(v as usize == c)).collect();
                all.extend(solve(&t, 1));
            }
            (all, k, Mode::OneVsRest)
        } else {
            (solve(&y, k), k, Mode::Multinomial)
        };
        let mut coefficients = Vec::with_capacity(outputs * d);
        let mut intercepts = Vec::with_capacity(outputs);
        for o in 0..outputs {
            let wo = &raw_w[o * (d + 1)..(o + 1) * (d + 1)];
            coefficients.extend(wo[..d].iter().zip(&scale).map(|(w, s)| w * s));
            intercepts.push(if self.fit_intercept { wo[d] } else { 0.0 });
        }
        Ok(LogisticRegressionModel {
            coefficients,
            intercepts,
            num_classes: k,
            num_features: d,
            mode,
        })
    }
}

/// How the outputs combine into probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// One output: P(1) = sigmoid(margin).
    Binomial,
    /// k outputs with softmax.
    Multinomial,
    /// k sigmoid outputs normalised to sum 1 (scikit-learn's OvR).
    OneVsRest,
}

/// A fitted logistic regression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionModel {
    /// Row-major `outputs x num_features`, in the original feature units.
    pub coefficients: Vec<f64>,
    /// One intercept per output.
    pub intercepts: Vec<f64>,
    /// Number of classes.
    pub num_classes: usize,
    /// Number of features.
    pub num_features: usize,
    /// Output combination.
    pub mode: Mode,
}

impl Transformer for LogisticRegressionModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let d = self.num_features;
        if data.n_features() != d {
            return Err(MlError::Shape(format!(
                "model fitted on {d} features, data has {}",
                data.n_features()
            )));
        }
        let k = self.num_classes;
        let outputs = self.intercepts.len();
        let n = data.n_rows();
        let mut prob = vec![0.0; n * k];
        let mut raw = vec![0.0; n * k];
        for i in 0..n {
            let xi = data.row(i);
            let z: Vec<f64> = (0..outputs)
                .map(|o| dot(&self.coefficients[o * d..(o + 1) * d], xi) + self.intercepts[o])
                .collect();
            let pr = &mut prob[i * k..(i + 1) * k];
            let rw = &mut raw[i * k..(i + 1) * k];
            match self.mode {
                Mode::Binomial => {
                    let p1 = 1.0 / (1.0 + (-z[0]).exp());
                    pr[0] = 1.0 - p1;
                    pr[1] = p1;
                    rw[0] = -z[0];
                    rw[1] = z[0];
                }
                Mode::Multinomial => {
                    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                    for c in 0..k {
                        pr[c] = (z[c] - m).exp() / s;
                        rw[c] = z[c];
                    }
                }
                Mode::OneVsRest => {
                    let ps: Vec<f64> = z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect();
                    let s: f64 = ps.iter().sum();
                    for c in 0..k {
                        pr[c] = ps[c] / s;
                        rw[c] = z[c];
                    }
                }
            }
        }
        let pred = prob.chunks(k).map(argmax).collect();
        let mut out = data.clone();
        out.set_prediction(pred)?;
        out.set_probability(prob, k)?;
        out.set_raw_prediction(raw, k)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_binary_and_params() {
        let d = Dataset::from_rows(
            &[
                vec![0.0],
                vec![1.0],
                vec![2.0],
                vec![3.0],
                vec![4.0],
                vec![5.0],
            ],
            Some(vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
        )
        .unwrap();
        let m = LogisticRegression::new().c(1.0).fit(&d).unwrap();
        let out = m.transform(&d).unwrap();
        assert_eq!(out.prediction().unwrap(), d.label().unwrap());
        // symmetric data: the boundary is at 2.5
        let b = -m.intercepts[0] / m.coefficients[0];
        assert!((b - 2.5).abs() < 1e-3, "{b}");
        let e = LogisticRegression::new().c(0.0).fit(&d).unwrap_err();
        assert_eq!(e.to_string(), "invalid param C = 0: must be > 0");
        assert!(
            LogisticRegression::new()
                .elastic_net_param(1.5)
                .fit(&d)
                .is_err()
        );
        let l1 = LogisticRegression::new()
            .reg_param(0.01)
            .elastic_net_param(1.0)
            .fit(&d)
            .unwrap();
        assert_eq!(
            l1.transform(&d).unwrap().prediction().unwrap(),
            d.label().unwrap()
        );
    }
}
