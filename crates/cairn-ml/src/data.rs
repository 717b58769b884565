//! The in-memory dataset: a dense row-major `f64` feature matrix, an optional
//! label column, and the output columns that fitted models add (`prediction`,
//! `probability`), in the spirit of a Spark DataFrame with a `features` vector
//! column.
//!
//! Why row-major `f64`: the linear models and the SVM read whole rows (dot
//! products, kernels), and the tree learners never read raw values in their hot
//! loop: they bin every feature once into a column-major `u8`/`u16` matrix
//! (see [`crate::tree`]). `f64` keeps scikit-learn's precision for the scaler,
//! logistic regression and SVC; MNIST (60k x 784) takes 376 MB, well within the
//! machine. Sparse LIBSVM input is densified on read: every learner here is
//! dense, and MNIST is ~19 % non-zero, where dense binning beats sparse lookups.
//!
//! Invariant: every feature value is finite (checked at construction).

use crate::error::{MlError, Result};
use rand::SeedableRng;
use rand::seq::SliceRandom;

pub use crate::folds::{Fold, FoldRng, KFold, StratifiedKFold};

/// The seeded generator used everywhere in the crate (PCG 64-bit MCG, from `rand_pcg`).
pub type Rng = rand_pcg::Pcg64Mcg;

/// A generator for `seed`; streams for sub-tasks come from [`sub_seed`].
pub fn rng(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// A well-mixed seed for sub-task `index` of a task seeded with `seed`
/// (SplitMix64 finaliser), so fold 3 of seed 42 is independent of fold 2.
pub fn sub_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A dense dataset: features (row-major), optional labels and model outputs.
/// The feature buffer is shared (`Arc`), so transformers that only touch the
/// label or add predictions do not copy it.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    n_rows: usize,
    n_features: usize,
    features: std::sync::Arc<Vec<f64>>,
    feature_names: Vec<String>,
    label: Option<Vec<f64>>,
    prediction: Option<Vec<f64>>,
    /// Row-major `n_rows x n_prob` class probabilities.
    probability: Option<(Vec<f64>, usize)>,
    /// Row-major raw scores (margins / decision values), Spark's `rawPrediction`.
    raw_prediction: Option<(Vec<f64>, usize)>,
}

impl Dataset {
    /// Builds a dataset from a row-major feature buffer of `n_features` columns.
    /// Feature names default to `f0, f1, ...`. Fails on a ragged buffer, a label
    /// vector of the wrong length or a non-finite value (naming row and column).
    pub fn new(features: Vec<f64>, n_features: usize, label: Option<Vec<f64>>) -> Result<Self> {
        let names = (0..n_features).map(|j| format!("f{j}")).collect();
        Self::with_names(features, names, label)
    }

    /// Like [`Dataset::new`] with explicit feature names.
    pub fn with_names(
        features: Vec<f64>,
        feature_names: Vec<String>,
        label: Option<Vec<f64>>,
    ) -> Result<Self> {
        let n_features = feature_names.len();
        if n_features == 0 {
            if !features.is_empty() {
                return Err(MlError::Shape(
                    "values given but zero feature columns".into(),
                ));
            }
        } else if !features.len().is_multiple_of(n_features) {
            return Err(MlError::Shape(format!(
                "{} values do not form rows of {} features",
                features.len(),
                n_features
            )));
        }
        let n_rows = features
            .len()
            .checked_div(n_features)
            .unwrap_or(label.as_ref().map_or(0, Vec::len));
        if let Some(l) = &label {
            if l.len() != n_rows {
                return Err(MlError::Shape(format!(
                    "{} labels for {} rows",
                    l.len(),
                    n_rows
                )));
            }
            if let Some((i, v)) = l.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(MlError::InvalidLabel {
                    row: i + 1,
                    label: *v,
                    reason: "not finite".into(),
                });
            }
        }
        if let Some(pos) = features.iter().position(|v| !v.is_finite()) {
            return Err(MlError::NonFinite {
                row: pos / n_features + 1,
                column: feature_names[pos % n_features].clone(),
                value: features[pos],
            });
        }
        Ok(Dataset {
            n_rows,
            n_features,
            features: features.into(),
            feature_names,
            label,
            prediction: None,
            probability: None,
            raw_prediction: None,
        })
    }

    /// Builds from rows (convenient for small inline data in tests and examples).
    pub fn from_rows(rows: &[Vec<f64>], label: Option<Vec<f64>>) -> Result<Self> {
        let d = rows.first().map_or(0, Vec::len);
        let mut flat = Vec::with_capacity(rows.len() * d);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != d {
                return Err(MlError::RaggedRow {
                    row: i + 1,
                    expected: d,
                    found: r.len(),
                });
            }
            flat.extend_from_slice(r);
        }
        Self::new(flat, d, label)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }
    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// Feature names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// The row-major feature buffer.
    pub fn features(&self) -> &[f64] {
        &self.features
    }
    /// Row `i`'s features.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }
    /// Value of feature `j` in row `i`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.features[i * self.n_features + j]
    }
    /// Labels, if any.
    pub fn label(&self) -> Option<&[f64]> {
        self.label.as_deref()
    }
    /// Labels, or [`MlError::NoLabels`].
    pub fn require_label(&self) -> Result<&[f64]> {
        self.label.as_deref().ok_or(MlError::NoLabels)
    }
    /// Predictions added by a fitted model's `transform`.
    pub fn prediction(&self) -> Option<&[f64]> {
        self.prediction.as_deref()
    }
    /// Class probabilities (row-major) and the number of classes.
    pub fn probability(&self) -> Option<(&[f64], usize)> {
        self.probability.as_ref().map(|(p, k)| (p.as_slice(), *k))
    }
    /// Index of a feature by name.
    pub fn feature_index(&self, name: &str) -> Result<usize> {
        self.feature_names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| MlError::MissingColumn {
                column: name.to_string(),
                available: self.feature_names.join(", "),
            })
    }

    /// Replaces the label column (same number of rows).
    pub fn set_label(&mut self, label: Vec<f64>) -> Result<()> {
        if label.len() != self.n_rows {
            return Err(MlError::Shape(format!(
                "{} labels for {} rows",
                label.len(),
                self.n_rows
            )));
        }
        self.label = Some(label);
        Ok(())
    }
    /// Drops the label column (e.g. to predict on unlabelled data).
    pub fn without_label(mut self) -> Self {
        self.label = None;
        self
    }
    /// Sets the prediction column.
    pub fn set_prediction(&mut self, prediction: Vec<f64>) -> Result<()> {
        if prediction.len() != self.n_rows {
            return Err(MlError::Shape(format!(
                "{} predictions for {} rows",
                prediction.len(),
                self.n_rows
            )));
        }
        self.prediction = Some(prediction);
        Ok(())
    }
    /// Sets the probability column (`n_rows * n_classes` values, row-major).
    pub fn set_probability(&mut self, probability: Vec<f64>, n_classes: usize) -> Result<()> {
        if probability.len() != self.n_rows * n_classes {
            return Err(MlError::Shape(format!(
                "{} probabilities for {} rows x {} classes",
                probability.len(),
                self.n_rows,
                n_classes
            )));
        }
        self.probability = Some((probability, n_classes));
        Ok(())
    }
    /// Raw scores (margins or decision values) and their width.
    pub fn raw_prediction(&self) -> Option<(&[f64], usize)> {
        self.raw_prediction
            .as_ref()
            .map(|(p, k)| (p.as_slice(), *k))
    }
    /// Sets the raw-score column (`n_rows * width` values, row-major).
    pub fn set_raw_prediction(&mut self, raw: Vec<f64>, width: usize) -> Result<()> {
        if raw.len() != self.n_rows * width {
            return Err(MlError::Shape(format!(
                "{} raw scores for {} rows x {width}",
                raw.len(),
                self.n_rows
            )));
        }
        self.raw_prediction = Some((raw, width));
        Ok(())
    }
    /// Replaces the features (same rows), keeping labels; used by transformers.
    pub(crate) fn replace_features(&self, features: Vec<f64>, names: Vec<String>) -> Result<Self> {
        let mut d = Dataset::with_names(features, names, self.label.clone())?;
        if d.n_rows != self.n_rows {
            return Err(MlError::Shape(
                "transformer changed the number of rows".into(),
            ));
        }
        d.prediction = self.prediction.clone();
        d.probability = self.probability.clone();
        d.raw_prediction = self.raw_prediction.clone();
        Ok(d)
    }

    /// The rows at `indices`, in that order (all columns copied).
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let d = self.n_features;
        let mut features = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            features.extend_from_slice(self.row(i));
        }
        let pick = |v: &Vec<f64>| indices.iter().map(|&i| v[i]).collect::<Vec<_>>();
        Dataset {
            n_rows: indices.len(),
            n_features: d,
            features: features.into(),
            feature_names: self.feature_names.clone(),
            label: self.label.as_ref().map(pick),
            prediction: self.prediction.as_ref().map(pick),
            probability: self
                .probability
                .as_ref()
                .map(|(p, k)| pick_rows(p, *k, indices)),
            raw_prediction: self
                .raw_prediction
                .as_ref()
                .map(|(p, k)| pick_rows(p, *k, indices)),
        }
    }

    /// Labels as class indices `0..k`, checking that each is a non-negative integer
    /// below `max_classes`. Returns the indices and `k = max label + 1`.
    pub fn class_labels(&self, max_classes: usize) -> Result<(Vec<u32>, usize)> {
        let y = self.require_label()?;
        let mut out = Vec::with_capacity(y.len());
        let mut k = 0usize;
        for (i, &v) in y.iter().enumerate() {
            if v < 0.0 || v.fract() != 0.0 || v >= max_classes as f64 {
                return Err(MlError::InvalidLabel {
                    row: i + 1,
                    label: v,
                    reason: format!(
                        "classification labels must be integers in 0..{max_classes} (index string labels with StringIndexer)"
                    ),
                });
            }
            let c = v as usize;
            k = k.max(c + 1);
            out.push(c as u32);
        }
        Ok((out, k))
    }
}

fn pick_rows(p: &[f64], k: usize, indices: &[usize]) -> (Vec<f64>, usize) {
    let mut out = Vec::with_capacity(indices.len() * k);
    for &i in indices {
        out.extend_from_slice(&p[i * k..(i + 1) * k]);
    }
    (out, k)
}

/// Splits rows into a shuffled train and test set; `test_fraction` in (0, 1).
pub fn train_test_split(
    data: &Dataset,
    test_fraction: f64,
    seed: u64,
) -> Result<(Dataset, Dataset)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(MlError::param(
            "testFraction",
            test_fraction,
            "must be in (0, 1)",
        ));
    }
    let (train, test) = shuffled_split(data.n_rows(), 1.0 - test_fraction, seed)?;
    Ok((data.select(&train), data.select(&test)))
}

/// Shuffles `0..n` and cuts it at `round(n * train_fraction)` (both sides non-empty).
pub(crate) fn shuffled_split(
    n: usize,
    train_fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if n < 2 {
        return Err(MlError::TooFewRows {
            folds: 2,
            rows: n,
            detail: " (a split needs two rows)".into(),
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut rng(seed));
    let cut = ((n as f64 * train_fraction).round() as usize).clamp(1, n - 1);
    let test = idx.split_off(cut);
    Ok((idx, test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_nan_naming_row_and_column() {
        let e = Dataset::new(vec![1.0, 2.0, 3.0, f64::NAN], 2, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 2, feature 'f1': value NaN is not finite"
        );
        let e = Dataset::new(vec![1.0, 2.0, 3.0], 2, None).unwrap_err();
        assert!(matches!(e, MlError::Shape(_)));
    }

    #[test]
    fn select_copies_rows_in_order() {
        let d = Dataset::from_rows(
            &[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]],
            Some(vec![0.0, 1.0, 2.0]),
        )
        .unwrap();
        let s = d.select(&[2, 0]);
        assert_eq!(s.features(), &[5.0, 6.0, 1.0, 2.0]);
        assert_eq!(s.label().unwrap(), &[2.0, 0.0]);
    }

    #[test]
    fn train_test_split_is_seeded_and_partitions() {
        let d = Dataset::new((0..20).map(f64::from).collect(), 1, None).unwrap();
        let (a, b) = train_test_split(&d, 0.25, 7).unwrap();
        assert_eq!((a.n_rows(), b.n_rows()), (15, 5));
        let (a2, _) = train_test_split(&d, 0.25, 7).unwrap();
        assert_eq!(a, a2);
        assert!(train_test_split(&d, 1.0, 7).is_err());
    }
}
