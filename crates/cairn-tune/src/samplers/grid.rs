//! Grid search over a finite space: every assignment, each visited once, in a
//! seeded random order (like Optuna's `GridSampler`). Already-evaluated points
//! (e.g. from a resumed Trials) are skipped; when all are taken the sampler
//! returns `None` and `fmin` stops.

use super::{History, Sampler};
use crate::error::{Result, TuneError};
use crate::math::{self, Rng};
use crate::space::{Assignment, Dist, Space};
use std::collections::HashSet;

/// Largest grid we enumerate.
pub const MAX_GRID: usize = 1_000_000;

/// Grid sampler.
#[derive(Clone, Debug)]
pub struct GridSampler {
    points: Vec<Assignment>,
    order: Option<Vec<usize>>,
}

fn values_of(dist: &Dist) -> Option<Vec<f64>> {
    if let Some(k) = dist.n_categories() {
        return Some((0..k).map(|i| dist.category_value(i)).collect());
    }
    let (lo, hi) = dist.value_range()?;
    let q = match *dist {
        Dist::QUniform { q, .. } | Dist::QLogUniform { q, .. } => q,
        Dist::UniformInt { .. } => 1.0,
        _ => return None,
    };
    let n = ((hi - lo) / q).round() as usize + 1;
    if n > MAX_GRID {
        return None;
    }
    Some(
        (0..n)
            .map(|i| math::quantize(lo + i as f64 * q, q))
            .filter(|v| dist.in_support(*v))
            .collect(),
    )
}

impl GridSampler {
    /// Enumerates the space; errors if it has a continuous label or is too big.
    pub fn new(space: &Space) -> Result<GridSampler> {
        let unsupported = |reason: String| TuneError::UnsupportedSpace {
            sampler: "grid",
            reason,
        };
        let mut per_label = Vec::new();
        for p in space.params() {
            let v = values_of(&p.dist).ok_or_else(|| {
                unsupported(format!(
                    "label {:?} ({}) is not finite",
                    p.label,
                    p.dist.name()
                ))
            })?;
            per_label.push(v);
        }
        let mut points: Vec<Assignment> = vec![vec![None; space.len()]];
        for (li, vals) in per_label.iter().enumerate() {
            let mut next = Vec::new();
            for a in points {
                if space.is_active(li, &a) {
                    for v in vals {
                        let mut b = a.clone();
                        b[li] = Some(*v);
                        next.push(b);
                    }
                } else {
                    next.push(a);
                }
                if next.len() > MAX_GRID {
                    return Err(unsupported(format!("more than {MAX_GRID} grid points")));
                }
            }
            points = next;
        }
        Ok(GridSampler {
            points,
            order: None,
        })
    }
    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.points.len()
    }
    /// True if the grid is empty (never, for a valid space).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

fn key(a: &[Option<f64>]) -> Vec<u64> {
    a.iter().map(|v| v.map_or(u64::MAX, f64::to_bits)).collect()
}

impl Sampler for GridSampler {
    fn name(&self) -> &'static str {
        "grid"
    }
    fn suggest(
        &mut self,
        _space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        if self.order.is_none() {
            // Fisher–Yates with the first suggestion's generator.
            let mut o: Vec<usize> = (0..self.points.len()).collect();
            for i in (1..o.len()).rev() {
                let j = math::below(rng, i + 1);
                o.swap(i, j);
            }
            self.order = Some(o);
        }
        let taken: HashSet<Vec<u64>> = history.obs.iter().map(|o| key(o.vals)).collect();
        let order = self.order.as_ref().expect("set above");
        order
            .iter()
            .map(|&i| &self.points[i])
            .find(|p| !taken.contains(&key(p)))
            .cloned()
    }
}
