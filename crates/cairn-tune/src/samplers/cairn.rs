//! Cairn's default sampler (placeholder: Optuna-like TPE settings).

use super::tpe::{TpeConfig, TpeSampler};
use super::{History, Sampler};
use crate::math::Rng;
use crate::space::{Assignment, Space};

/// Configuration of the default sampler.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CairnConfig {}

/// The default sampler.
#[derive(Debug)]
pub struct CairnSampler {
    inner: TpeSampler,
}

impl CairnSampler {
    /// Builds the sampler for a space.
    pub fn new(_space: &Space, _cfg: CairnConfig) -> Self {
        CairnSampler {
            inner: TpeSampler::new(TpeConfig {
                n_startup_jobs: 10,
                ..Default::default()
            }),
        }
    }
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
        self.inner.suggest(space, history, rng)
    }
}
