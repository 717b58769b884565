//! The part of numpy's legacy `RandomState` that scikit-learn's shuffled
//! folds depend on, so that `KFold(shuffle=True, random_state=seed)` and
//! `StratifiedKFold(shuffle=True, random_state=seed)` can be reproduced row
//! for row without Python.
//!
//! Written from the algorithm as numpy documents and behaves (checked against
//! real numpy in `tests/fixtures/sklearn_folds.json`):
//! - `RandomState(seed)` with an integer seed in `0..=2^32-1` seeds MT19937
//!   with the reference integer seeding (`init_genrand`), which is what
//!   [`rand_mt::Mt::new`] does;
//! - `shuffle(x)` on a 1-D array is Fisher–Yates from the last position down:
//!   for `i = n-1, ..., 1` swap `x[i]` with `x[j]`, `j` uniform in `0..=i`;
//! - that `j` comes from the legacy bounded draw: take the smallest all-ones
//!   bit mask covering `i`, draw 32-bit outputs, keep the masked bits, and
//!   retry while the value exceeds `i` (rejection, no multiply-shift).

use crate::error::{MlError, Result};

/// MT19937 seeded and consumed as numpy's legacy `RandomState` does.
#[derive(Clone, Debug)]
pub(crate) struct RandomState {
    mt: rand_mt::Mt,
}

impl RandomState {
    /// `numpy.random.RandomState(seed)`. numpy accepts `0..=2^32-1` and so do we.
    pub(crate) fn new(seed: u64) -> Result<Self> {
        let seed = u32::try_from(seed).map_err(|_| {
            MlError::param(
                "seed",
                seed,
                "must be in 0..=4294967295 for numpy-compatible folds (as numpy's RandomState)",
            )
        })?;
        Ok(RandomState {
            mt: rand_mt::Mt::new(seed),
        })
    }

    /// A uniform integer in `0..=max` by masked rejection (numpy's legacy
    /// bounded draw for bounds that fit in 32 bits).
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            // numpy returns without consuming a draw.
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let v = self.mt.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState.shuffle(x)` for a 1-D array, in place.
    ///
    /// numpy switches to 64-bit draws (two outputs each) for arrays longer
    /// than 2^32; their composition is not pinned down by a test here, so such
    /// lengths are refused rather than silently differing from numpy.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) -> Result<()> {
        if u32::try_from(v.len().saturating_sub(1)).is_err() {
            return Err(MlError::Shape(format!(
                "numpy-compatible shuffling supports at most 2^32 rows, got {}",
                v.len()
            )));
        }
        for i in (1..v.len()).rev() {
            // i < 2^32 was checked above.
            let j = self.interval(i as u32) as usize;
            v.swap(i, j);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_are_reference_mt19937() {
        // The MT19937 reference output for init_genrand(5489) starts with
        // 3499211612 (the published test vector).
        let mut r = RandomState::new(5489).unwrap();
        assert_eq!(r.mt.next_u32(), 3_499_211_612);
    }

    #[test]
    fn interval_stays_in_range_and_hits_every_value() {
        let mut r = RandomState::new(1).unwrap();
        let mut seen = [0usize; 6];
        for _ in 0..600 {
            let v = r.interval(5) as usize;
            seen[v] += 1;
        }
        assert!(seen.iter().all(|&c| c > 50), "{seen:?}");
        assert_eq!(r.interval(0), 0);
    }

    #[test]
    fn seed_outside_numpy_range_is_a_param_error() {
        let e = RandomState::new(1 << 32).unwrap_err();
        assert!(
            e.to_string().contains("invalid param seed = 4294967296"),
            "{e}"
        );
        assert!(RandomState::new(u64::from(u32::MAX)).is_ok());
    }
}
