//! Fold assignment for cross-validation: k-fold and stratified k-fold, in data
//! order or shuffled by a seeded generator.
//!
//! Both cut rows exactly as scikit-learn's `KFold` / `StratifiedKFold` do. The
//! shuffle's generator is a choice ([`FoldRng`]): Cairn's own (the default)
//! or numpy's legacy `RandomState`, with which a seed gives the very folds
//! scikit-learn gives for `random_state=seed`, so that a model selection ported
//! from scikit-learn (or compared with a scikit-learn reference) sees the same
//! rows in the same folds. The generator changes nothing else: the fold sizes
//! and the stratification rule are the same for both.

use crate::data::{Rng, rng};
use crate::error::{MlError, Result};
use crate::numpy_compat::legacy::RandomState;
use rand::seq::SliceRandom;

/// One fold: the training rows and the held-out rows (indices into the dataset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// Rows to fit on, ascending.
    pub train: Vec<usize>,
    /// Rows to evaluate on, ascending.
    pub test: Vec<usize>,
}

/// The generator that shuffles rows for shuffled folds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FoldRng {
    /// Cairn's seeded generator (PCG-64 MCG, as everywhere in the crate).
    #[default]
    Cairn,
    /// numpy's legacy `RandomState(seed)` (MT19937 and its shuffle), which
    /// scikit-learn's `random_state=seed` means: the same seed yields
    /// scikit-learn's folds row for row. Seeds must be in `0..=2^32-1`, as
    /// numpy requires.
    NumpyLegacy,
}

impl FoldRng {
    /// `0..n` shuffled by this generator seeded with `seed`: the order that
    /// shuffled [`KFold`] cuts into folds. With [`FoldRng::NumpyLegacy`] it is
    /// numpy's `RandomState(seed).permutation(n)`.
    pub fn permutation(self, n: usize, seed: u64) -> Result<Vec<usize>> {
        let mut order: Vec<usize> = (0..n).collect();
        Shuffler::new(self, seed)?.shuffle(&mut order)?;
        Ok(order)
    }
}

/// A shuffler built from a [`FoldRng`] and a seed.
enum Shuffler {
    Cairn(Box<Rng>),
    Numpy(Box<RandomState>),
}

impl Shuffler {
    fn new(kind: FoldRng, seed: u64) -> Result<Self> {
        Ok(match kind {
            FoldRng::Cairn => Shuffler::Cairn(Box::new(rng(seed))),
            FoldRng::NumpyLegacy => Shuffler::Numpy(Box::new(RandomState::new(seed)?)),
        })
    }

    fn shuffle<T>(&mut self, v: &mut [T]) -> Result<()> {
        match self {
            Shuffler::Cairn(r) => {
                v.shuffle(r.as_mut());
                Ok(())
            }
            Shuffler::Numpy(r) => r.shuffle(v),
        }
    }
}

fn folds_from_assignment(assign: &[usize], k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..assign.len()).partition(|&i| assign[i] == f);
            Fold { train, test }
        })
        .collect()
}

fn check_folds(k: usize, n: usize) -> Result<()> {
    if k < 2 {
        return Err(MlError::param("numFolds", k, "must be >= 2"));
    }
    if k > n {
        return Err(MlError::TooFewRows {
            folds: k,
            rows: n,
            detail: String::new(),
        });
    }
    Ok(())
}

/// K-fold assignment as scikit-learn's `KFold`: rows (shuffled when `shuffle`)
/// are cut into `k` consecutive blocks, the first `n % k` one row larger.
///
/// `KFold::default()` is scikit-learn's `KFold()`: 5 folds, no shuffle.
#[derive(Clone, Debug, PartialEq)]
pub struct KFold {
    /// Number of folds (>= 2).
    pub k: usize,
    /// Shuffle rows before cutting.
    pub shuffle: bool,
    /// Seed for the shuffle.
    pub seed: u64,
    /// Generator for the shuffle.
    pub rng: FoldRng,
}

impl Default for KFold {
    fn default() -> Self {
        KFold {
            k: 5,
            shuffle: false,
            seed: 0,
            rng: FoldRng::Cairn,
        }
    }
}

impl KFold {
    /// Folds over `n` rows.
    pub fn split(&self, n: usize) -> Result<Vec<Fold>> {
        check_folds(self.k, n)?;
        let order = if self.shuffle {
            self.rng.permutation(n, self.seed)?
        } else {
            (0..n).collect()
        };
        let mut assign = vec![0usize; n];
        let (base, extra) = (n / self.k, n % self.k);
        let mut pos = 0;
        for f in 0..self.k {
            let size = base + usize::from(f < extra);
            for &i in &order[pos..pos + size] {
                assign[i] = f;
            }
            pos += size;
        }
        Ok(folds_from_assignment(&assign, self.k))
    }
}

/// Stratified k-fold with scikit-learn's `StratifiedKFold` assignment: classes are
/// numbered by first appearance; the per-fold quota of each class is what a
/// round-robin deal of the class-sorted labels gives; within a class, rows in
/// data order fill fold 0's quota, then fold 1's, ... When `shuffle`, each
/// class's list of fold numbers is shuffled first, class by class in
/// first-appearance order, all from one generator (as scikit-learn does).
///
/// `StratifiedKFold::default()` is scikit-learn's `StratifiedKFold()`: 5 folds, no shuffle.
#[derive(Clone, Debug, PartialEq)]
pub struct StratifiedKFold {
    /// Number of folds (>= 2).
    pub k: usize,
    /// Shuffle the fold order within each class.
    pub shuffle: bool,
    /// Seed for the shuffle.
    pub seed: u64,
    /// Generator for the shuffle.
    pub rng: FoldRng,
}

impl Default for StratifiedKFold {
    fn default() -> Self {
        StratifiedKFold {
            k: 5,
            shuffle: false,
            seed: 0,
            rng: FoldRng::Cairn,
        }
    }
}

impl StratifiedKFold {
    /// Folds stratified on `labels` (any values; equal values form a class).
    pub fn split(&self, labels: &[f64]) -> Result<Vec<Fold>> {
        let n = labels.len();
        check_folds(self.k, n)?;
        // Classes in order of first appearance.
        let mut classes: Vec<f64> = Vec::new();
        let mut enc = Vec::with_capacity(n);
        for &y in labels {
            let c = match classes.iter().position(|&v| v == y) {
                Some(c) => c,
                None => {
                    classes.push(y);
                    classes.len() - 1
                }
            };
            enc.push(c);
        }
        let mut counts = vec![0usize; classes.len()];
        for &c in &enc {
            counts[c] += 1;
        }
        if let Some(max) = counts.iter().max()
            && *max < self.k
        {
            return Err(MlError::TooFewRows {
                folds: self.k,
                rows: n,
                detail: format!(" (the largest class has only {max} rows)"),
            });
        }
        // One generator for every class, as scikit-learn draws them all from
        // one RandomState.
        let mut shuffler = self
            .shuffle
            .then(|| Shuffler::new(self.rng, self.seed))
            .transpose()?;
        // Position p of the class-sorted labels goes to fold p % k.
        let mut start = 0usize;
        let mut assign = vec![0usize; n];
        for (c, &cnt) in counts.iter().enumerate() {
            let mut folds_for_class = Vec::with_capacity(cnt);
            for f in 0..self.k {
                // number of p in [start, start+cnt) with p % k == f
                let first = start + (f + self.k - start % self.k) % self.k;
                let q = if first >= start + cnt {
                    0
                } else {
                    (start + cnt - first).div_ceil(self.k)
                };
                folds_for_class.extend(std::iter::repeat_n(f, q));
            }
            if let Some(s) = shuffler.as_mut() {
                s.shuffle(&mut folds_for_class)?;
            }
            let rows = (0..n).filter(|&i| enc[i] == c);
            for (i, f) in rows.zip(folds_for_class) {
                assign[i] = f;
            }
            start += cnt;
        }
        Ok(folds_from_assignment(&assign, self.k))
    }
}

#[cfg(test)]
mod tests;
