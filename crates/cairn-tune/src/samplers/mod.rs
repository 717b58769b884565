//! Samplers: given the space and the history, propose the next assignment.
//!
//! Every sampler is a deterministic function of (space, history, generator
//! state): `fmin` derives one fresh [`Rng`] per suggestion from its seeded
//! master generator, so a run is bit-reproducible from its seed.
//!
//! | name | module | what |
//! |---|---|---|
//! | `rand` | [`random`] | prior sampling (Hyperopt `rand.suggest`) |
//! | `tpe` | [`tpe`] | Hyperopt 0.3 TPE, same defaults |
//! | `anneal` | [`anneal`] | Hyperopt `anneal.suggest` |
//! | `grid` | [`grid`] | every point of a finite space, shuffled |
//! | `default` | [`cairn`] | Cairn's sampler: bandit over multivariate TPE, CMA-like local search, anneal, coordinate moves and a quadratic-model trust-region step |

pub mod anneal;
pub mod cairn;
mod cmaes;
pub mod grid;
pub mod parzen;
mod quadratic;
pub mod random;
pub mod tpe;

use crate::error::Result;
use crate::math::Rng;
use crate::space::{Assignment, Space};

/// State of one trial as a sampler sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ObsState {
    /// Finished with status ok and this finite loss.
    Ok(f64),
    /// Finished but failed (no usable loss).
    Failed,
    /// Suggested, still being evaluated.
    Pending,
}

/// One trial in the history.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// Raw values (see [`Assignment`]).
    pub vals: &'a [Option<f64>],
    /// Outcome so far.
    pub state: ObsState,
}

impl Observation<'_> {
    /// Loss used for ranking: failed and pending trials rank last (`+inf`).
    pub fn rank_loss(&self) -> f64 {
        match self.state {
            ObsState::Ok(l) => l,
            _ => f64::INFINITY,
        }
    }
}

/// The history passed to a sampler, in trial-id order.
#[derive(Clone, Debug, Default)]
pub struct History<'a> {
    /// All trials (finished and pending).
    pub obs: Vec<Observation<'a>>,
}

impl History<'_> {
    /// Number of trials (finished and pending).
    pub fn len(&self) -> usize {
        self.obs.len()
    }
    /// No trial at all.
    pub fn is_empty(&self) -> bool {
        self.obs.is_empty()
    }
    /// Number of finished ok trials.
    pub fn n_ok(&self) -> usize {
        self.obs
            .iter()
            .filter(|o| matches!(o.state, ObsState::Ok(_)))
            .count()
    }
    /// Number of finished (ok or failed) trials.
    pub fn n_finished(&self) -> usize {
        self.obs
            .iter()
            .filter(|o| !matches!(o.state, ObsState::Pending))
            .count()
    }
}

/// A search algorithm.
pub trait Sampler: Send + std::fmt::Debug {
    /// Short name (`"tpe"`, ...).
    fn name(&self) -> &'static str;
    /// Proposes the next assignment, or `None` when the sampler has nothing
    /// left to propose (an exhausted grid); `fmin` then stops.
    fn suggest(
        &mut self,
        space: &Space,
        history: &History<'_>,
        rng: &mut Rng,
    ) -> Option<Assignment>;
}

/// The built-in algorithms and their configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Algo {
    /// Cairn's default sampler (see [`cairn`]).
    #[default]
    Default,
    /// Cairn's default sampler with a custom configuration.
    DefaultWith(cairn::CairnConfig),
    /// Random search.
    Random,
    /// Hyperopt's TPE.
    Tpe(tpe::TpeConfig),
    /// Hyperopt's annealing.
    Anneal(anneal::AnnealConfig),
    /// Grid over a finite space.
    Grid,
}

impl Algo {
    /// Parses a name: `default`, `rand`/`random`, `tpe`, `anneal`, `grid`.
    pub fn from_name(name: &str) -> Option<Algo> {
        Some(match name {
            "default" | "cairn" | "auto" => Algo::Default,
            // Named ablations of the default sampler's portfolio, kept as
            // short spellings of the `default+flag` form below.
            "default-tpe-only" => return Algo::default_with_flags("no-local+no-anneal+no-coord"),
            "default-no-anneal" => return Algo::default_with_flags("no-anneal"),
            "default-no-local" => return Algo::default_with_flags("no-local"),
            // The portfolio plus a CMA-ES arm, or CMA-ES in place of the
            // 1/5-rule local arm.
            "default-cma" => return Algo::default_with_flags("cma"),
            "default-cma-no-local" => return Algo::default_with_flags("cma+no-local"),
            s if s.starts_with("default+") => {
                return Algo::default_with_flags(&s["default+".len()..]);
            }
            "rand" | "random" => Algo::Random,
            "tpe" => Algo::Tpe(Default::default()),
            "anneal" => Algo::Anneal(Default::default()),
            "grid" => Algo::Grid,
            _ => return None,
        })
    }
    /// `default+flag+…`: the default sampler with options switched, for
    /// ablations (`cma`, `no-local`, `no-anneal`, `no-coord`, `graded`, `gen`,
    /// `genlead`, `cont`, `quad`, `no-quad`).
    fn default_with_flags(flags: &str) -> Option<Algo> {
        let mut c = cairn::CairnConfig::default();
        for flag in flags.split('+') {
            match flag {
                "cma" => c.cma = true,
                "no-local" => c.local_search = false,
                "no-anneal" => c.anneal = false,
                "graded" => c.graded_reward = true,
                "gen" => c.cma_generations = true,
                "no-coord" => c.coordinate = false,
                "genlead" => c.cma_generations_when_leading = true,
                "cont" => c.cma_continuous_only = true,
                "quad" => c.quad = true,
                "no-quad" => c.quad = false,
                _ => return None,
            }
        }
        Some(Algo::DefaultWith(c))
    }
    /// Builds the sampler for a space.
    pub fn build(&self, space: &Space) -> Result<Box<dyn Sampler>> {
        Ok(match self {
            Algo::Default => Box::new(cairn::CairnSampler::new(
                space,
                cairn::CairnConfig::default(),
            )),
            Algo::DefaultWith(c) => Box::new(cairn::CairnSampler::new(space, c.clone())),
            Algo::Random => Box::new(random::RandomSampler),
            Algo::Tpe(c) => Box::new(tpe::TpeSampler::new(c.clone())),
            Algo::Anneal(c) => Box::new(anneal::AnnealSampler::new(c.clone())),
            Algo::Grid => Box::new(grid::GridSampler::new(space)?),
        })
    }
}
