//! Hyperopt 0.3's Tree-structured Parzen Estimator (`tpe.suggest`), with the
//! same defaults, so users can reproduce Hyperopt's behaviour (not its exact
//! random stream: the generator differs).
//!
//! Per suggestion: failed/pending trials rank as `+inf`; the first
//! `n_startup_jobs` trials (pending included) are random; the good set is the
//! `min(ceil(gamma·sqrt(N)), 25)` lowest losses; every label independently
//! fits two adaptive Parzen estimators (good `l`, rest `g`) from the trials
//! where it was active, draws `n_ei_candidates` from `l` and keeps the one
//! maximizing `log l − log g`. Labels are visited in ancestral order, so a
//! choice is decided before its branch's labels.

use super::parzen::{Gmm, Support, adaptive_parzen_normal, categorical_posterior};
use super::{History, Sampler};
use crate::math::{self, Rng};
use crate::space::{Assignment, Dist, Space};

/// Hyperopt's TPE knobs (defaults = Hyperopt 0.3).
#[derive(Clone, Debug, PartialEq)]
pub struct TpeConfig {
    /// Weight of the prior component (1.0).
    pub prior_weight: f64,
    /// Random trials before modelling (20).
    pub n_startup_jobs: usize,
    /// Candidates drawn from `l(x)` per label (24).
    pub n_ei_candidates: usize,
    /// Good-set fraction factor: `ceil(gamma·sqrt(N))` (0.25).
    pub gamma: f64,
    /// Linear forgetting horizon and good-set cap (25).
    pub linear_forgetting: usize,
}

impl Default for TpeConfig {
    fn default() -> Self {
        TpeConfig {
            prior_weight: 1.0,
            n_startup_jobs: 20,
            n_ei_candidates: 24,
            gamma: 0.25,
            linear_forgetting: 25,
        }
    }
}

/// Hyperopt-mode TPE.
#[derive(Clone, Debug)]
pub struct TpeSampler {
    cfg: TpeConfig,
}

impl TpeSampler {
    /// With the given configuration.
    pub fn new(cfg: TpeConfig) -> Self {
        TpeSampler { cfg }
    }
}

/// `min(ceil(gamma·sqrt(n)), cap)`.
pub fn hyperopt_n_below(n: usize, gamma: f64, cap: usize) -> usize {
    ((gamma * (n as f64).sqrt()).ceil() as usize).min(cap)
}

/// The mixture support of a numeric label in its own coordinate.
pub(crate) fn support_of(dist: &Dist) -> Support {
    let num = dist.numeric().expect("numeric label");
    Support {
        low: num.bounds.map(|b| b.0),
        high: num.bounds.map(|b| b.1),
        q: num.q,
        log: num.log,
    }
}

/// Observation → mixture coordinate (Hyperopt's per-family transform).
pub(crate) fn to_mixture_coord(dist: &Dist, x: f64) -> f64 {
    match *dist {
        Dist::QLogUniform { low, .. } => libm::log(x.max(parzen_eps().max(libm::exp(low)))),
        Dist::LogUniform { .. } | Dist::LogNormal { .. } | Dist::QLogNormal { .. } => {
            libm::log(x.max(parzen_eps()))
        }
        _ => x,
    }
}

fn parzen_eps() -> f64 {
    super::parzen::EPS
}

impl Sampler for TpeSampler {
    fn name(&self) -> &'static str {
        "tpe"
    }

    fn suggest(
        &mut self,
        space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        let n = history.len();
        if n < self.cfg.n_startup_jobs {
            return Some(space.sample(rng));
        }
        let c = &self.cfg;
        // Global split: stable sort by loss (failed/pending = +inf).
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            history.obs[a]
                .rank_loss()
                .total_cmp(&history.obs[b].rank_loss())
        });
        let n_below = hyperopt_n_below(n, c.gamma, c.linear_forgetting);
        let mut good = vec![false; n];
        for &i in &order[..n_below.min(n)] {
            good[i] = true;
        }

        let mut out: Assignment = vec![None; space.len()];
        let mut below = Vec::new();
        let mut above = Vec::new();
        for (li, p) in space.params().iter().enumerate() {
            if !space.is_active(li, &out) {
                continue;
            }
            below.clear();
            above.clear();
            for (t, o) in history.obs.iter().enumerate() {
                if let Some(v) = o.vals.get(li).copied().flatten() {
                    if good[t] {
                        below.push(v)
                    } else {
                        above.push(v)
                    }
                }
            }
            let value = if let Some(k) = p.dist.n_categories() {
                let prior = match &p.dist {
                    Dist::PChoice { probs } => Some(probs.as_slice()),
                    _ => None,
                };
                let to_idx = |v: &f64| p.dist.category_index(*v);
                let bo: Vec<usize> = below.iter().map(to_idx).collect();
                let ao: Vec<usize> = above.iter().map(to_idx).collect();
                let pb = categorical_posterior(&bo, k, c.prior_weight, prior, c.linear_forgetting);
                let pa = categorical_posterior(&ao, k, c.prior_weight, prior, c.linear_forgetting);
                let mut best = (f64::NEG_INFINITY, 0usize);
                for _ in 0..c.n_ei_candidates {
                    let cand = math::categorical(rng, &pb);
                    let score = libm::log(pb[cand]) - libm::log(pa[cand]);
                    if score > best.0 {
                        best = (score, cand);
                    }
                }
                p.dist.category_value(best.1)
            } else {
                let num = p.dist.numeric().expect("numeric");
                let sup = support_of(&p.dist);
                let bm: Vec<f64> = below
                    .iter()
                    .map(|v| to_mixture_coord(&p.dist, *v))
                    .collect();
                let am: Vec<f64> = above
                    .iter()
                    .map(|v| to_mixture_coord(&p.dist, *v))
                    .collect();
                let gb = adaptive_parzen_normal(
                    &bm,
                    c.prior_weight,
                    num.prior_mu,
                    num.prior_sigma,
                    c.linear_forgetting,
                );
                let ga = adaptive_parzen_normal(
                    &am,
                    c.prior_weight,
                    num.prior_mu,
                    num.prior_sigma,
                    c.linear_forgetting,
                );
                best_candidate(&gb, &ga, &sup, c.n_ei_candidates, rng)
            };
            out[li] = Some(value);
        }
        Some(out)
    }
}

fn best_candidate(gb: &Gmm, ga: &Gmm, sup: &Support, n: usize, rng: &mut Rng) -> f64 {
    let pab = gb.p_accept(sup);
    let paa = ga.p_accept(sup);
    let mut best = (f64::NEG_INFINITY, f64::NAN);
    for _ in 0..n.max(1) {
        let x = gb.sample(sup, rng);
        let score = gb.lpdf(x, sup, pab) - ga.lpdf(x, sup, paa);
        if score > best.0 || best.1.is_nan() {
            best = (score, x);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_below_matches_hyperopt() {
        assert_eq!(hyperopt_n_below(20, 0.25, 25), 2);
        assert_eq!(hyperopt_n_below(100, 0.25, 25), 3);
        assert_eq!(hyperopt_n_below(200, 0.25, 25), 4);
        assert_eq!(hyperopt_n_below(2000, 0.25, 25), 12);
        assert_eq!(hyperopt_n_below(100_000, 0.25, 25), 25);
    }
}
