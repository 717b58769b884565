//! numpy's random streams, reproduced bit for bit where a result must match a
//! scikit-learn / numpy reference row for row:
//! - [`legacy::RandomState`]: the legacy MT19937 `RandomState(seed)` and its
//!   `shuffle`, which scikit-learn's `random_state=seed` folds use;
//! - [`generator::Generator`]: `numpy.random.default_rng(seed)` (SeedSequence
//!   → PCG64) and its `random()` doubles, which the example A reference used
//!   for the Bernoulli row sample behind its split candidates.
//!
//! Why by hand: no maintained crate reproduces numpy's seeding. `rand_mt`
//! supplies MT19937 itself; PCG64's XSL-RR step is a few lines and is written
//! here so that its order (advance, then output) is the one numpy uses, which
//! `rand_pcg` does not promise. Both are checked against real numpy output in
//! unit tests and `tests/fixtures`.

pub(crate) mod generator;
pub(crate) mod legacy;
