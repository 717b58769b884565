//! Random search: independent draws from the prior (Hyperopt's `rand.suggest`).

use super::{History, Sampler};
use crate::math::Rng;
use crate::space::{Assignment, Space};

/// Prior sampling; ancestral, so only the chosen branch is drawn.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomSampler;

impl Sampler for RandomSampler {
    fn name(&self) -> &'static str {
        "rand"
    }
    fn suggest(
        &mut self,
        space: &Space,
        _history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        Some(space.sample(rng))
    }
}
