//! Hyperopt's `anneal.suggest`: sample around one of the best trials with a
//! window that shrinks as the label accumulates observations.
//!
//! Per label (ancestral order): no observations → prior draw. Otherwise pick a
//! reference trial — reuse one already picked for an earlier label in this
//! suggestion if it used this label, else the `g`-th best trial where the label
//! was active, `g = Geometric(1/avg_best_idx) − 1` clipped — and draw around its
//! value with `shrink = 1/(1 + T·shrink_coef)` (`T` = observations of the label):
//! a uniform window of width `(high − low)·shrink` (log space for log
//! families) shifted inside the bounds, `N(ref, sigma·shrink)` for normal
//! families, or `(1 − shrink)·onehot(ref) + shrink·prior` for categoricals.

use super::{History, Sampler};
use crate::math::{self, Rng};
use crate::space::{Assignment, Dist, Space};

/// Hyperopt's anneal knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnealConfig {
    /// Mean rank of the reference trial (2.0).
    pub avg_best_idx: f64,
    /// Window shrink per observation (0.1).
    pub shrink_coef: f64,
}

impl Default for AnnealConfig {
    fn default() -> Self {
        AnnealConfig {
            avg_best_idx: 2.0,
            shrink_coef: 0.1,
        }
    }
}

/// Annealing sampler.
#[derive(Clone, Debug)]
pub struct AnnealSampler {
    cfg: AnnealConfig,
}

impl AnnealSampler {
    /// With the given configuration.
    pub fn new(cfg: AnnealConfig) -> Self {
        AnnealSampler { cfg }
    }
}

/// numpy's `geometric(p)`: trials until the first success (≥ 1).
fn geometric(rng: &mut Rng, p: f64) -> usize {
    if p >= 1.0 {
        return 1;
    }
    let u = 1.0 - math::uniform01(rng); // (0, 1]
    (libm::log(u) / libm::log1p(-p)).ceil().max(1.0) as usize
}

impl Sampler for AnnealSampler {
    fn name(&self) -> &'static str {
        "anneal"
    }

    fn suggest(
        &mut self,
        space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        let mut out: Assignment = vec![None; space.len()];
        let mut chosen_refs: Vec<usize> = Vec::new();
        // Trials sorted by loss once (stable; failed/pending last).
        let mut order: Vec<usize> = (0..history.len()).collect();
        order.sort_by(|&a, &b| {
            history.obs[a]
                .rank_loss()
                .total_cmp(&history.obs[b].rank_loss())
        });
        for (li, p) in space.params().iter().enumerate() {
            if !space.is_active(li, &out) {
                continue;
            }
            let active: Vec<usize> = order
                .iter()
                .copied()
                .filter(|&t| history.obs[t].vals[li].is_some())
                .collect();
            if active.is_empty() {
                out[li] = Some(p.dist.sample(rng));
                continue;
            }
            let t_count = active.len();
            let reference = match chosen_refs
                .iter()
                .find(|&&t| history.obs[t].vals[li].is_some())
            {
                Some(&t) => t,
                None => {
                    let g = geometric(rng, 1.0 / self.cfg.avg_best_idx) - 1;
                    let t = active[g.min(t_count - 1)];
                    chosen_refs.push(t);
                    t
                }
            };
            let refv = history.obs[reference].vals[li].expect("active");
            let shrink = 1.0 / (1.0 + t_count as f64 * self.cfg.shrink_coef);
            out[li] = Some(perturb(&p.dist, refv, shrink, rng));
        }
        Some(out)
    }
}

fn perturb(dist: &Dist, refv: f64, shrink: f64, rng: &mut Rng) -> f64 {
    if let Some(k) = dist.n_categories() {
        let prior = dist.category_prior().expect("categorical");
        let r = dist.category_index(refv);
        let p: Vec<f64> = (0..k)
            .map(|i| (if i == r { 1.0 - shrink } else { 0.0 }) + shrink * prior[i])
            .collect();
        return dist.category_value(math::categorical(rng, &p));
    }
    let num = dist.numeric().expect("numeric");
    let center = dist.to_internal(refv);
    let z = match num.bounds {
        Some((low, high)) => {
            let width = (high - low) * shrink;
            let mut lo = center - width / 2.0;
            let mut hi = center + width / 2.0;
            if lo < low {
                hi += low - lo;
                lo = low;
            }
            if hi > high {
                lo -= hi - high;
                hi = high;
            }
            math::uniform(rng, lo.max(low), hi)
        }
        None => center + num.prior_sigma * shrink * math::std_normal(rng),
    };
    let x = if num.log { libm::exp(z) } else { z };
    match num.q {
        Some(q) => math::quantize(x, q),
        None => x,
    }
}
