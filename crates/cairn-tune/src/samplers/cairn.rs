//! Cairn's default sampler: multivariate TPE (Optuna-style, joint kernels)
//! interleaved with an elite-covariance local search (a CMA-ES/cross-entropy
//! style step), with constant-liar handling of pending trials.
//!
//! * **Startup**: `n_startup` prior draws.
//! * **Groups**: hyperparameters sharing one activation condition (the same
//!   parent choice option, or none) form a group. Groups are sampled in
//!   ancestral order; each group is modelled *jointly* (one kernel per
//!   observation across all its dimensions, so correlations are captured).
//! * **Good/bad split** per group over the trials where the group was active:
//!   `min(ceil(0.1·n), 25)` best are "good" (Optuna's default γ); failed and
//!   pending trials are always "bad" (constant liar: pending points push the
//!   next suggestion away instead of duplicating them). A branch's own
//!   parameters are thus optimized against that branch's own history, even
//!   while the branch is globally worse (conditional spaces).
//! * **Kernels** live in the unit cube of each dimension's internal coordinate
//!   (log for log families, bounds widened by q/2 for quantized ones);
//!   bandwidth `0.2·n^(−1/(d+4))` (Scott's rule as in Optuna's multivariate
//!   TPE) clipped to `[1/min(100, n+1), 1]`, truncated per component (no
//!   mass lost at the endpoints), plus a prior kernel. The bad set is
//!   stratified-subsampled to at most 256 kernels, so suggestion cost is
//!   bounded in `n` apart from an `O(n log n)` sort.
//! * **Local step** (every other suggestion after startup): take the trials
//!   with the incumbent's branch structure, weight the best `μ` by log-rank
//!   (CMA-ES recombination weights), and sample from `N(mean, C)` where `C` is
//!   their weighted covariance (floored at half a quantization step for
//!   discrete dimensions). This converges like CMA-ES on smooth basins, while
//!   the TPE steps keep exploring and feed new basins into the elite set.

// Dense small-matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::{History, ObsState, Sampler};
use crate::math::{self, Rng};
use crate::space::{Assignment, Dist, Space};

/// Configuration of the default sampler.
#[derive(Clone, Debug, PartialEq)]
pub struct CairnConfig {
    /// Random trials before modelling.
    pub n_startup: usize,
    /// Candidates drawn from `l(x)` per TPE step.
    pub n_ei_candidates: usize,
    /// Cap of the good set.
    pub gamma_cap: usize,
    /// Fraction of trials in the good set.
    pub gamma: f64,
    /// Maximum number of kernels in the bad-set model.
    pub max_above_kernels: usize,
    /// Interleave local steps (every other suggestion).
    pub local_search: bool,
}

impl Default for CairnConfig {
    fn default() -> Self {
        CairnConfig {
            n_startup: 10,
            n_ei_candidates: 24,
            gamma_cap: 25,
            gamma: 0.1,
            max_above_kernels: 256,
            local_search: true,
        }
    }
}

#[derive(Clone, Debug)]
enum Dim {
    /// Numeric in unit coordinates: internal = lo + u·(hi − lo).
    Num {
        lo: f64,
        hi: f64,
        bounded: bool,
        q_unit: f64,
    },
    /// Categorical with `k` categories.
    Cat { k: usize },
}

#[derive(Clone, Debug)]
struct Group {
    params: Vec<usize>,
    dims: Vec<Dim>,
}

/// The default sampler.
#[derive(Debug)]
pub struct CairnSampler {
    cfg: CairnConfig,
    groups: Vec<Group>,
    /// History positions at which local steps were proposed (step-size rule).
    local_at: Vec<usize>,
}

fn dim_of(dist: &Dist) -> Dim {
    if let Some(k) = dist.n_categories() {
        return Dim::Cat { k };
    }
    let num = dist.numeric().expect("numeric");
    match num.bounds {
        Some(_) => {
            let (vlo, vhi) = dist.value_range().expect("bounded");
            let (lo, hi) = match (num.q, num.log) {
                (None, false) => (vlo, vhi),
                (None, true) => (libm::log(vlo), libm::log(vhi)),
                (Some(q), false) => (vlo - q / 2.0, vhi + q / 2.0),
                (Some(q), true) => (
                    libm::log((vlo - q / 2.0).max(vlo / 2.0).max(1e-12)),
                    libm::log(vhi + q / 2.0),
                ),
            };
            let q_unit = match (num.q, num.log) {
                (Some(q), false) => q / (hi - lo),
                // log-quantized: the step relative to the smallest value
                (Some(q), true) => (libm::log((vlo.max(q) + q) / vlo.max(q))) / (hi - lo),
                _ => 0.0,
            };
            Dim::Num {
                lo,
                hi,
                bounded: true,
                q_unit,
            }
        }
        // Unbounded normal families: standardize by the prior.
        None => Dim::Num {
            lo: num.prior_mu - num.prior_sigma,
            hi: num.prior_mu + num.prior_sigma,
            bounded: false,
            q_unit: 0.0,
        },
    }
}

impl CairnSampler {
    /// Builds the sampler for a space.
    pub fn new(space: &Space, cfg: CairnConfig) -> Self {
        let mut groups: Vec<(Option<(usize, usize)>, Group)> = Vec::new();
        for (i, p) in space.params().iter().enumerate() {
            let g = match groups.iter_mut().find(|(k, _)| *k == p.parent) {
                Some((_, g)) => g,
                None => {
                    groups.push((
                        p.parent,
                        Group {
                            params: vec![],
                            dims: vec![],
                        },
                    ));
                    &mut groups.last_mut().expect("pushed").1
                }
            };
            g.params.push(i);
            g.dims.push(dim_of(&p.dist));
        }
        CairnSampler {
            cfg,
            groups: groups.into_iter().map(|(_, g)| g).collect(),
            local_at: Vec::new(),
        }
    }
}

fn to_unit(dim: &Dim, dist: &Dist, x: f64) -> f64 {
    match dim {
        Dim::Num { lo, hi, .. } => (dist.to_internal(x) - lo) / (hi - lo),
        Dim::Cat { .. } => dist.category_index(x) as f64,
    }
}

fn from_unit(dim: &Dim, dist: &Dist, u: f64) -> f64 {
    match dim {
        Dim::Num { lo, hi, .. } => dist.from_internal(lo + u * (hi - lo)),
        Dim::Cat { .. } => dist.category_value(u as usize),
    }
}

/// Product-kernel mixture over a group's dimensions.
struct Mixture {
    weights_ln: Vec<f64>,
    weights: Vec<f64>,
    centers: Vec<Vec<f64>>,
    sigma: f64,
    /// Per kernel, per numeric dim: `-ln σ - ln √2π - ln Z_trunc`.
    consts: Vec<Vec<f64>>,
    /// Categorical rows: per kernel, per dim, the log probabilities.
    cat_ln: Vec<Vec<Vec<f64>>>,
    cat_p: Vec<Vec<Vec<f64>>>,
}

fn optuna_weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

impl Mixture {
    fn new(dims: &[Dim], pts: &[Vec<f64>], obs_w: &[f64]) -> Mixture {
        let n = pts.len();
        let n_num = dims.iter().filter(|d| matches!(d, Dim::Num { .. })).count();
        let nk = n + 1;
        let mut sigma = 0.2 * (nk as f64).powf(-1.0 / (n_num as f64 + 4.0));
        sigma = sigma.clamp(1.0 / (100f64).min(nk as f64 + 1.0), 1.0);
        let mut centers = pts.to_vec();
        centers.push(
            dims.iter()
                .map(|d| {
                    if matches!(d, Dim::Num { .. }) {
                        0.5
                    } else {
                        f64::NAN
                    }
                })
                .collect(),
        );
        let mut weights: Vec<f64> = obs_w.to_vec();
        weights.push(1.0);
        let tot: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= tot);
        let weights_ln = weights.iter().map(|w| libm::log(*w)).collect();
        let mut consts = Vec::with_capacity(nk);
        let mut cat_ln = Vec::with_capacity(nk);
        let mut cat_p = Vec::with_capacity(nk);
        for (j, c) in centers.iter().enumerate() {
            let prior = j == n;
            let mut cj = Vec::with_capacity(dims.len());
            let mut lj = Vec::new();
            let mut pj = Vec::new();
            for (d, dim) in dims.iter().enumerate() {
                match dim {
                    Dim::Num { bounded, .. } => {
                        let s = if prior { 1.0 } else { sigma };
                        let z = if *bounded {
                            math::norm_cdf((1.0 - c[d]) / s) - math::norm_cdf((0.0 - c[d]) / s)
                        } else {
                            1.0
                        };
                        cj.push(-libm::log(s) - math::LN_SQRT_2PI - libm::log(z.max(1e-300)));
                        lj.push(vec![]);
                        pj.push(vec![]);
                    }
                    Dim::Cat { k } => {
                        let p: Vec<f64> = if prior {
                            vec![1.0 / *k as f64; *k]
                        } else {
                            let base = 1.0 / nk as f64;
                            let obs = c[d] as usize;
                            let tot = 1.0 + base * *k as f64;
                            (0..*k)
                                .map(|i| (base + if i == obs { 1.0 } else { 0.0 }) / tot)
                                .collect()
                        };
                        cj.push(0.0);
                        lj.push(p.iter().map(|x| libm::log(*x)).collect());
                        pj.push(p);
                    }
                }
            }
            consts.push(cj);
            cat_ln.push(lj);
            cat_p.push(pj);
        }
        Mixture {
            weights_ln,
            weights,
            centers,
            sigma,
            consts,
            cat_ln,
            cat_p,
        }
    }

    fn sample(&self, dims: &[Dim], rng: &mut Rng) -> Vec<f64> {
        let j = math::categorical(rng, &self.weights);
        let prior = j == self.centers.len() - 1;
        dims.iter()
            .enumerate()
            .map(|(d, dim)| match dim {
                Dim::Num { bounded, .. } => {
                    let s = if prior { 1.0 } else { self.sigma };
                    let c = self.centers[j][d];
                    if *bounded {
                        math::truncnorm(rng, c, s, 0.0, 1.0)
                    } else {
                        c + s * math::std_normal(rng)
                    }
                }
                Dim::Cat { .. } => math::categorical(rng, &self.cat_p[j][d]) as f64,
            })
            .collect()
    }

    fn log_pdf(&self, dims: &[Dim], x: &[f64], buf: &mut Vec<f64>) -> f64 {
        buf.clear();
        let last = self.centers.len() - 1;
        let inv = 1.0 / self.sigma;
        for (j, c) in self.centers.iter().enumerate() {
            let inv_s = if j == last { 1.0 } else { inv };
            let mut acc = self.weights_ln[j];
            for (d, dim) in dims.iter().enumerate() {
                match dim {
                    Dim::Num { .. } => {
                        let z = (x[d] - c[d]) * inv_s;
                        acc += -0.5 * z * z + self.consts[j][d];
                    }
                    Dim::Cat { .. } => acc += self.cat_ln[j][d][x[d] as usize],
                }
            }
            buf.push(acc);
        }
        math::logsumexp(buf)
    }
}

impl CairnSampler {
    fn tpe_group(
        &self,
        g: &Group,
        space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Vec<f64> {
        let p0 = g.params[0];
        // Trials where the group is active, with their unit coordinates.
        let mut rows: Vec<(f64, usize, Vec<f64>)> = Vec::new();
        for (t, o) in history.obs.iter().enumerate() {
            if o.vals[p0].is_none() {
                continue;
            }
            let u: Vec<f64> = g
                .params
                .iter()
                .zip(&g.dims)
                .map(|(&pi, dim)| {
                    to_unit(
                        dim,
                        &space.params()[pi].dist,
                        o.vals[pi].expect("group active"),
                    )
                })
                .collect();
            rows.push((o.rank_loss(), t, u));
        }
        let n_fin = history
            .obs
            .iter()
            .filter(|o| o.vals[p0].is_some() && !matches!(o.state, ObsState::Pending))
            .count();
        let n_below = ((self.cfg.gamma * n_fin as f64).ceil() as usize).min(self.cfg.gamma_cap);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            rows[a]
                .0
                .total_cmp(&rows[b].0)
                .then(rows[a].1.cmp(&rows[b].1))
        });
        let n_below = n_below.min(order.iter().filter(|&&i| rows[i].0.is_finite()).count());
        let mut below_idx: Vec<usize> = order[..n_below].to_vec();
        below_idx.sort_unstable(); // trial order for forgetting weights
        let mut above_idx: Vec<usize> = order[n_below..].to_vec();
        if above_idx.len() > self.cfg.max_above_kernels {
            // stratified by rank: keeps the shape of the bad-set density
            let m = self.cfg.max_above_kernels;
            let len = above_idx.len();
            above_idx = (0..m).map(|i| above_idx[i * len / m]).collect();
        }
        above_idx.sort_unstable();
        let bp: Vec<Vec<f64>> = below_idx.iter().map(|&i| rows[i].2.clone()).collect();
        let ap: Vec<Vec<f64>> = above_idx.iter().map(|&i| rows[i].2.clone()).collect();
        let l = Mixture::new(&g.dims, &bp, &optuna_weights(bp.len()));
        let gm = Mixture::new(&g.dims, &ap, &optuna_weights(ap.len()));
        let mut buf = Vec::new();
        let mut best = (f64::NEG_INFINITY, Vec::new());
        for _ in 0..self.cfg.n_ei_candidates {
            let x = l.sample(&g.dims, rng);
            let s = l.log_pdf(&g.dims, &x, &mut buf) - gm.log_pdf(&g.dims, &x, &mut buf);
            if s > best.0 || best.1.is_empty() {
                best = (s, x);
            }
        }
        best.1
    }

    /// Local step around the incumbent's branch; `None` if not applicable.
    fn local(&self, space: &Space, history: &History<'_>, rng: &mut Rng) -> Option<Assignment> {
        let best = history
            .obs
            .iter()
            .filter(|o| matches!(o.state, ObsState::Ok(_)))
            .min_by(|a, b| a.rank_loss().total_cmp(&b.rank_loss()))?;
        let pattern: Vec<bool> = best.vals.iter().map(Option::is_some).collect();
        let mut same: Vec<&super::Observation<'_>> = history
            .obs
            .iter()
            .filter(|o| {
                matches!(o.state, ObsState::Ok(_))
                    && o.vals
                        .iter()
                        .map(Option::is_some)
                        .eq(pattern.iter().copied())
            })
            .collect();
        same.sort_by(|a, b| a.rank_loss().total_cmp(&b.rank_loss()));
        // numeric active dims
        let num: Vec<(usize, Dim)> = (0..space.len())
            .filter(|&i| pattern[i])
            .map(|i| (i, dim_of(&space.params()[i].dist)))
            .filter(|(_, d)| matches!(d, Dim::Num { .. }))
            .collect();
        let d = num.len();
        if d == 0 || same.len() < 3 {
            return None;
        }
        let mu = same
            .len()
            .min((d + 1).max(5))
            .min(same.len() / 2 + 1)
            .max(2);
        let raw: Vec<f64> = (0..mu)
            .map(|i| libm::log(mu as f64 + 0.5) - libm::log(i as f64 + 1.0))
            .collect();
        let tot: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|x| x / tot).collect();
        let pts: Vec<Vec<f64>> = same[..mu]
            .iter()
            .map(|o| {
                num.iter()
                    .map(|(i, dim)| {
                        to_unit(dim, &space.params()[*i].dist, o.vals[*i].expect("active"))
                    })
                    .collect()
            })
            .collect();
        let mut mean = vec![0.0; d];
        for (p, wi) in pts.iter().zip(&w) {
            for k in 0..d {
                mean[k] += wi * p[k];
            }
        }
        let mut cov = vec![vec![0.0; d]; d];
        for (p, wi) in pts.iter().zip(&w) {
            for a in 0..d {
                for b in 0..=a {
                    cov[a][b] += wi * (p[a] - mean[a]) * (p[b] - mean[b]);
                }
            }
        }
        for (k, (_, dim)) in num.iter().enumerate() {
            let floor = match dim {
                Dim::Num { q_unit, .. } if *q_unit > 0.0 => (0.5 * q_unit).powi(2),
                _ => 1e-14,
            };
            cov[k][k] = cov[k][k].max(floor) + 1e-14;
        }
        // Step size: 1/5-success rule over this sampler's earlier local steps
        // (a local step succeeds when it beat every trial before it).
        let mut prefix_best = Vec::with_capacity(history.len());
        let mut run = f64::INFINITY;
        for o in &history.obs {
            prefix_best.push(run);
            run = run.min(o.rank_loss());
        }
        // CMA-style split: `cov` gives the *shape* (normalized to unit mean
        // variance, blended with the identity so it can never collapse), the
        // 1/5-success rule gives the step size.
        let mut log_s = libm::log(0.1);
        for &at in &self.local_at {
            if let Some(o) = history.obs.get(at)
                && let ObsState::Ok(l) = o.state
            {
                if l < prefix_best[at] {
                    log_s += 0.8
                } else {
                    log_s -= 0.2
                }
                log_s = log_s.clamp(libm::log(1e-9), libm::log(0.5));
            }
        }
        let scale = libm::exp(log_s);
        let center: Vec<f64> = num
            .iter()
            .map(|(i, dim)| {
                to_unit(
                    dim,
                    &space.params()[*i].dist,
                    best.vals[*i].expect("active"),
                )
            })
            .collect();
        let tr: f64 = (0..d).map(|k| cov[k][k]).sum::<f64>() / d as f64;
        for a in 0..d {
            for b in 0..=a {
                let shape = if tr > 0.0 { cov[a][b] / tr } else { 0.0 };
                cov[a][b] = 0.5 * shape + if a == b { 0.5 } else { 0.0 };
                cov[b][a] = cov[a][b];
            }
        }
        for (k, (_, dim)) in num.iter().enumerate() {
            let floor = match dim {
                Dim::Num { q_unit, .. } if *q_unit > 0.0 => (0.5 * q_unit).powi(2),
                _ => 0.0,
            };
            cov[k][k] = cov[k][k].max(floor / (scale * scale));
        }
        let l = cholesky(&cov)?;
        let z: Vec<f64> = (0..d).map(|_| math::std_normal(rng)).collect();
        let mut out: Assignment = best.vals.to_vec();
        for (k, (i, dim)) in num.iter().enumerate() {
            let mut u = center[k];
            for (j, zj) in z.iter().enumerate().take(k + 1) {
                u += scale * l[k][j] * zj;
            }
            let bounded = matches!(dim, Dim::Num { bounded: true, .. });
            if bounded {
                u = u.clamp(0.0, 1.0);
            }
            out[*i] = Some(from_unit(dim, &space.params()[*i].dist, u));
        }
        Some(out)
    }
}

fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i][j] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

impl Sampler for CairnSampler {
    fn name(&self) -> &'static str {
        "default"
    }

    fn suggest(
        &mut self,
        space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        if history.n_finished() < self.cfg.n_startup || history.n_ok() == 0 {
            return Some(space.sample(rng));
        }
        if self.cfg.local_search
            && history.len() % 2 == 1
            && let Some(a) = self.local(space, history, rng)
        {
            self.local_at.push(history.len());
            return Some(a);
        }
        let mut out: Assignment = vec![None; space.len()];
        for g in &self.groups {
            if !space.is_active(g.params[0], &out) {
                continue;
            }
            let u = self.tpe_group(g, space, history, rng);
            for ((&pi, dim), ui) in g.params.iter().zip(&g.dims).zip(u) {
                out[pi] = Some(from_unit(dim, &space.params()[pi].dist, ui));
            }
        }
        Some(out)
    }
}
