//! numpy's random streams, reproduced bit for bit where a result must match a
//! scikit-learn / numpy reference row for row:
//! - [`legacy::RandomState`]: the legacy MT19937 `RandomState(seed)` and its
//!   `shuffle`, which scikit-learn's `random_state=seed` folds use;
//! - [`generator::Generator`]: `numpy.random.default_rng(seed)` (SeedSequence
//!   → PCG64) and its `random()` doubles, which the example A reference used
//!   for the Bernoulli row sample behind its split candidates.
//!
//! Why partly by hand: no maintained crate reproduces numpy's seeding. The
//! generators themselves come from crates (`rand_mt` for MT19937,
//! `rand_pcg` for PCG64); numpy's integer seeding, its legacy bounded draw
//! and shuffle, and `SeedSequence` are written here. Each is checked against
//! real numpy output in unit tests and `tests/fixtures`.

pub(crate) mod generator;
pub(crate) mod legacy;
