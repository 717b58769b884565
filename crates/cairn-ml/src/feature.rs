//! Feature transformers: StringIndexer, StandardScaler, Binarizer.
//!
//! A transformer's `inputCol` is either `label` (the label column) or the name
//! of a feature column; the column is replaced in place (there is no separate
//! output column, unlike Spark: the dataset has one feature matrix and one
//! label column).

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::param::{HasParams, ParamGuard, ParamValue, unknown};
use crate::traits::{Estimator, Transformer};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The name that selects the label column as `inputCol`.
pub const LABEL: &str = "label";

/// How a column value is read/written.
fn column_values(data: &Dataset, col: &str) -> Result<Option<Vec<f64>>> {
    if col == LABEL {
        return Ok(data.label().map(<[f64]>::to_vec));
    }
    let j = data.feature_index(col)?;
    Ok(Some((0..data.n_rows()).map(|i| data.get(i, j)).collect()))
}

fn write_column(data: &Dataset, col: &str, values: Vec<f64>) -> Result<Dataset> {
    if col == LABEL {
        let mut out = data.clone();
        out.set_label(values)?;
        return Ok(out);
    }
    let j = data.feature_index(col)?;
    let mut f = data.features().to_vec();
    let d = data.n_features();
    for (i, v) in values.into_iter().enumerate() {
        f[i * d + j] = v;
    }
    data.replace_features(f, data.feature_names().to_vec())
}

/// The string form of a numeric value, as Spark casts a double to string
/// (`1.0`, `2.5`), used by StringIndexer to order and match values.
pub fn value_string(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// Spark's `StringIndexer` (raw params).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StringIndexer {
    /// `inputCol` (default `label`).
    pub input_col: String,
    /// `stringOrderType`: `frequencyDesc` (default), `frequencyAsc`, `alphabetDesc`, `alphabetAsc`.
    /// Equal frequencies are ordered alphabetically.
    pub string_order_type: String,
    /// `handleInvalid` at transform time: `error` (default), `skip` (drop rows), `keep` (index = numLabels).
    pub handle_invalid: String,
}

impl Default for StringIndexer {
    fn default() -> Self {
        StringIndexer {
            input_col: LABEL.into(),
            string_order_type: "frequencyDesc".into(),
            handle_invalid: "error".into(),
        }
    }
}

impl StringIndexer {
    /// Default params (indexes the label).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `inputCol`.
    pub fn input_col(mut self, v: &str) -> Self {
        self.input_col = v.into();
        self
    }
    /// Sets `handleInvalid`.
    pub fn handle_invalid(mut self, v: &str) -> Self {
        self.handle_invalid = v.into();
        self
    }
    /// Sets `stringOrderType`.
    pub fn string_order_type(mut self, v: &str) -> Self {
        self.string_order_type = v.into();
        self
    }
}

impl ParamGuard for StringIndexer {
    type Checked = StringIndexer;
    fn check(&self) -> Result<StringIndexer> {
        if ![
            "frequencyDesc",
            "frequencyAsc",
            "alphabetDesc",
            "alphabetAsc",
        ]
        .contains(&self.string_order_type.as_str())
        {
            return Err(MlError::param(
                "stringOrderType",
                &self.string_order_type,
                "must be frequencyDesc, frequencyAsc, alphabetDesc or alphabetAsc",
            ));
        }
        if !["error", "skip", "keep"].contains(&self.handle_invalid.as_str()) {
            return Err(MlError::param(
                "handleInvalid",
                &self.handle_invalid,
                "must be error, skip or keep",
            ));
        }
        Ok(self.clone())
    }
}

impl HasParams for StringIndexer {
    fn type_name(&self) -> &'static str {
        "StringIndexer"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &["inputCol", "stringOrderType", "handleInvalid"]
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        Some(match name {
            "inputCol" => self.input_col.clone().into(),
            "stringOrderType" => self.string_order_type.clone().into(),
            "handleInvalid" => self.handle_invalid.clone().into(),
            _ => return None,
        })
    }
    fn set_param(&mut self, name: &str, v: &ParamValue) -> Result<()> {
        match name {
            "inputCol" => self.input_col = v.as_str(name)?.into(),
            "stringOrderType" => self.string_order_type = v.as_str(name)?.into(),
            "handleInvalid" => self.handle_invalid = v.as_str(name)?.into(),
            _ => return Err(unknown("StringIndexer", name)),
        }
        Ok(())
    }
}

impl Estimator for StringIndexer {
    type Model = StringIndexerModel;
    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }
    fn fit(&self, data: &Dataset) -> Result<StringIndexerModel> {
        let p = self.check()?;
        let values = column_values(data, &p.input_col)?.ok_or(MlError::NoLabels)?;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for v in values {
            *counts.entry(value_string(v)).or_default() += 1;
        }
        let mut labels: Vec<(String, usize)> = counts.into_iter().collect();
        match p.string_order_type.as_str() {
            "frequencyDesc" => labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))),
            "frequencyAsc" => labels.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0))),
            "alphabetDesc" => labels.sort_by(|a, b| b.0.cmp(&a.0)),
            _ => labels.sort_by(|a, b| a.0.cmp(&b.0)),
        }
        Ok(StringIndexerModel {
            input_col: p.input_col,
            handle_invalid: p.handle_invalid,
            labels: labels.into_iter().map(|(s, _)| s).collect(),
        })
    }
}

/// A fitted StringIndexer: `labels[i]` is the value mapped to index `i`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StringIndexerModel {
    /// Column.
    pub input_col: String,
    /// `error`, `skip` or `keep`.
    pub handle_invalid: String,
    /// Values (as strings) in index order.
    pub labels: Vec<String>,
}

impl Transformer for StringIndexerModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let Some(values) = column_values(data, &self.input_col)? else {
            // unlabelled data passes through an indexer of the label
            return Ok(data.clone());
        };
        let index: HashMap<&str, usize> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut out = Vec::with_capacity(values.len());
        let mut keep_rows = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let s = value_string(*v);
            match index.get(s.as_str()) {
                Some(&k) => {
                    out.push(k as f64);
                    keep_rows.push(i);
                }
                None => match self.handle_invalid.as_str() {
                    "skip" => {}
                    "keep" => {
                        out.push(self.labels.len() as f64);
                        keep_rows.push(i);
                    }
                    _ => {
                        return Err(MlError::UnseenLabel {
                            row: i + 1,
                            value: s,
                        });
                    }
                },
            }
        }
        if keep_rows.len() == values.len() {
            write_column(data, &self.input_col, out)
        } else {
            write_column(&data.select(&keep_rows), &self.input_col, out)
        }
    }
}

/// Spark's `StandardScaler` (raw params): `withMean` (default false), `withStd`
/// (default true). The std is the unbiased sample std (n - 1), as in Spark; a
/// feature with zero std becomes 0 when scaled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    /// `withMean`.
    pub with_mean: bool,
    /// `withStd`.
    pub with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        StandardScaler {
            with_mean: false,
            with_std: true,
        }
    }
}

impl StandardScaler {
    /// Default params.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `withMean`.
    pub fn with_mean(mut self, v: bool) -> Self {
        self.with_mean = v;
        self
    }
    /// Sets `withStd`.
    pub fn with_std(mut self, v: bool) -> Self {
        self.with_std = v;
        self
    }
}

impl HasParams for StandardScaler {
    fn type_name(&self) -> &'static str {
        "StandardScaler"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &["withMean", "withStd"]
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        match name {
            "withMean" => Some(self.with_mean.into()),
            "withStd" => Some(self.with_std.into()),
            _ => None,
        }
    }
    fn set_param(&mut self, name: &str, v: &ParamValue) -> Result<()> {
        match name {
            "withMean" => self.with_mean = v.as_bool(name)?,
            "withStd" => self.with_std = v.as_bool(name)?,
            _ => return Err(unknown("StandardScaler", name)),
        }
        Ok(())
    }
}

impl Estimator for StandardScaler {
    type Model = StandardScalerModel;
    fn fit(&self, data: &Dataset) -> Result<StandardScalerModel> {
        let (n, d) = (data.n_rows(), data.n_features());
        if n == 0 {
            return Err(MlError::Empty(
                "cannot fit StandardScaler on zero rows".into(),
            ));
        }
        let mut mean = vec![0.0; d];
        for i in 0..n {
            for (m, x) in mean.iter_mut().zip(data.row(i)) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; d];
        for i in 0..n {
            for ((v, x), m) in var.iter_mut().zip(data.row(i)).zip(&mean) {
                *v += (x - m) * (x - m);
            }
        }
        let std = var
            .iter()
            .map(|v| {
                if n > 1 {
                    (v / (n - 1) as f64).sqrt()
                } else {
                    0.0
                }
            })
            .collect();
        Ok(StandardScalerModel {
            with_mean: self.with_mean,
            with_std: self.with_std,
            mean,
            std,
        })
    }
}

/// A fitted StandardScaler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScalerModel {
    /// Subtract the mean.
    pub with_mean: bool,
    /// Divide by the std.
    pub with_std: bool,
    /// Per-feature means.
    pub mean: Vec<f64>,
    /// Per-feature sample standard deviations.
    pub std: Vec<f64>,
}

impl Transformer for StandardScalerModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let d = data.n_features();
        if d != self.mean.len() {
            return Err(MlError::Shape(format!(
                "scaler fitted on {} features, data has {d}",
                self.mean.len()
            )));
        }
        let mut f = data.features().to_vec();
        for row in f.chunks_mut(d.max(1)) {
            for (j, slot) in row.iter_mut().enumerate() {
                let mut x = *slot;
                if self.with_mean {
                    x -= self.mean[j];
                }
                if self.with_std {
                    x = if self.std[j] > 0.0 {
                        x / self.std[j]
                    } else {
                        0.0
                    };
                }
                *slot = x;
            }
        }
        data.replace_features(f, data.feature_names().to_vec())
    }
}

/// Spark's `Binarizer`: values `> threshold` become 1.0, others 0.0. It has
/// nothing to learn; as a pipeline stage its `fit` returns itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Binarizer {
    /// `threshold` (default 0).
    pub threshold: f64,
    /// `inputCol`: `label` or a feature name; empty = every feature.
    pub input_col: String,
}

impl Default for Binarizer {
    fn default() -> Self {
        Binarizer {
            threshold: 0.0,
            input_col: String::new(),
        }
    }
}

impl Binarizer {
    /// Binarizes every feature at 0.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `threshold`.
    pub fn threshold(mut self, v: f64) -> Self {
        self.threshold = v;
        self
    }
    /// Sets `inputCol`.
    pub fn input_col(mut self, v: &str) -> Self {
        self.input_col = v.into();
        self
    }
}

impl HasParams for Binarizer {
    fn type_name(&self) -> &'static str {
        "Binarizer"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &["threshold", "inputCol"]
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        match name {
            "threshold" => Some(self.threshold.into()),
            "inputCol" => Some(self.input_col.clone().into()),
            _ => None,
        }
    }
    fn set_param(&mut self, name: &str, v: &ParamValue) -> Result<()> {
        match name {
            "threshold" => self.threshold = v.as_f64(name)?,
            "inputCol" => self.input_col = v.as_str(name)?.into(),
            _ => return Err(unknown("Binarizer", name)),
        }
        Ok(())
    }
}

impl Estimator for Binarizer {
    type Model = Binarizer;
    fn fit(&self, _data: &Dataset) -> Result<Binarizer> {
        if !self.threshold.is_finite() {
            return Err(MlError::param(
                "threshold",
                self.threshold,
                "must be finite",
            ));
        }
        Ok(self.clone())
    }
}

impl Transformer for Binarizer {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let b = |x: f64| if x > self.threshold { 1.0 } else { 0.0 };
        if self.input_col.is_empty() {
            let f = data.features().iter().map(|&x| b(x)).collect();
            return data.replace_features(f, data.feature_names().to_vec());
        }
        match column_values(data, &self.input_col)? {
            Some(v) => write_column(data, &self.input_col, v.into_iter().map(b).collect()),
            None => Ok(data.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_indexer_orders_by_frequency_then_alphabet() {
        let d = Dataset::new(
            vec![0.0; 7],
            1,
            Some(vec![3.0, 1.0, 3.0, 2.0, 1.0, 3.0, 10.0]),
        )
        .unwrap();
        let m = StringIndexer::new().fit(&d).unwrap();
        // 3.0 x3; 1.0 x2; then 10.0 and 2.0 once each -> alphabetical: "10.0" < "2.0"
        assert_eq!(m.labels, vec!["3.0", "1.0", "10.0", "2.0"]);
        let out = m.transform(&d).unwrap();
        assert_eq!(out.label().unwrap(), &[0.0, 1.0, 0.0, 3.0, 1.0, 0.0, 2.0]);
        let asc = StringIndexer::new()
            .string_order_type("alphabetAsc")
            .fit(&d)
            .unwrap();
        assert_eq!(asc.labels, vec!["1.0", "10.0", "2.0", "3.0"]);
    }

    #[test]
    fn string_indexer_handle_invalid() {
        let train = Dataset::new(vec![0.0, 0.0], 1, Some(vec![5.0, 6.0])).unwrap();
        let test = Dataset::new(vec![1.0, 2.0, 3.0], 1, Some(vec![5.0, 7.0, 6.0])).unwrap();
        let m = StringIndexer::new().fit(&train).unwrap();
        let e = m.transform(&test).unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 2: unseen label \"7.0\" (handleInvalid=error; use 'skip' or 'keep')"
        );
        let skip = StringIndexer::new()
            .handle_invalid("skip")
            .fit(&train)
            .unwrap()
            .transform(&test)
            .unwrap();
        assert_eq!(skip.features(), &[1.0, 3.0]);
        assert_eq!(skip.label().unwrap(), &[0.0, 1.0]);
        let keep = StringIndexer::new()
            .handle_invalid("keep")
            .fit(&train)
            .unwrap()
            .transform(&test)
            .unwrap();
        assert_eq!(keep.label().unwrap(), &[0.0, 2.0, 1.0]);
        assert!(
            StringIndexer::new()
                .handle_invalid("drop")
                .fit(&train)
                .is_err()
        );
    }

    #[test]
    fn scaler_math() {
        // feature a: 1,2,3 (mean 2, sample std 1); feature b constant 5
        let d =
            Dataset::from_rows(&[vec![1.0, 5.0], vec![2.0, 5.0], vec![3.0, 5.0]], None).unwrap();
        let m = StandardScaler::new().with_mean(true).fit(&d).unwrap();
        assert_eq!(m.mean, vec![2.0, 5.0]);
        assert_eq!(m.std, vec![1.0, 0.0]);
        assert_eq!(
            m.transform(&d).unwrap().features(),
            &[-1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        );
        let m = StandardScaler::new().fit(&d).unwrap();
        assert_eq!(
            m.transform(&d).unwrap().features(),
            &[1.0, 0.0, 2.0, 0.0, 3.0, 0.0]
        );
    }

    #[test]
    fn binarizer_on_label_and_features() {
        let d =
            Dataset::from_rows(&[vec![0.5, -1.0], vec![2.0, 3.0]], Some(vec![1.0, 3.0])).unwrap();
        let out = Binarizer::new()
            .threshold(2.0)
            .input_col("label")
            .transform(&d)
            .unwrap();
        assert_eq!(out.label().unwrap(), &[0.0, 1.0]);
        let out = Binarizer::new().threshold(0.5).transform(&d).unwrap();
        assert_eq!(out.features(), &[0.0, 0.0, 1.0, 1.0]);
        let out = Binarizer::new().input_col("f1").transform(&d).unwrap();
        assert_eq!(out.features(), &[0.5, 0.0, 2.0, 1.0]);
        assert!(Binarizer::new().input_col("nope").transform(&d).is_err());
    }
}
