//! Evaluators: Spark's `MulticlassClassificationEvaluator` and
//! `BinaryClassificationEvaluator`, reading the `label`, `prediction` and
//! `probability` columns of a transformed dataset.

use crate::data::Dataset;
use crate::error::{MlError, Result};
use std::collections::BTreeMap;

/// A metric over a transformed dataset.
pub trait Evaluator: Send + Sync + std::fmt::Debug {
    /// The metric value.
    fn evaluate(&self, data: &Dataset) -> Result<f64>;
    /// Metric name (`weightedPrecision`, `areaUnderROC`, ...).
    fn metric_name(&self) -> &str;
    /// Whether larger values are better (false for `logLoss`).
    fn is_larger_better(&self) -> bool {
        true
    }
}

/// Multiclass metrics: `accuracy`, `f1` (weighted F-measure, the default),
/// `weightedPrecision`, `weightedRecall`, `logLoss`.
///
/// Weighted metrics average the per-class value weighted by each class's
/// share of the labels; a class that is never predicted has precision 0.
#[derive(Clone, Debug, PartialEq)]
pub struct MulticlassClassificationEvaluator {
    metric: String,
}

impl Default for MulticlassClassificationEvaluator {
    fn default() -> Self {
        MulticlassClassificationEvaluator {
            metric: "f1".into(),
        }
    }
}

const MULTI: [&str; 6] = [
    "f1",
    "accuracy",
    "weightedPrecision",
    "weightedRecall",
    "weightedFMeasure",
    "logLoss",
];

impl MulticlassClassificationEvaluator {
    /// An evaluator for `metric`.
    pub fn new(metric: &str) -> Result<Self> {
        if !MULTI.contains(&metric) {
            return Err(MlError::param(
                "metricName",
                metric,
                format!("must be one of {}", MULTI.join(", ")),
            ));
        }
        Ok(MulticlassClassificationEvaluator {
            metric: metric.into(),
        })
    }
}

/// Per-class weighted precision, recall and F1, and accuracy.
#[derive(Clone, Debug, PartialEq)]
pub struct MulticlassMetrics {
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// Label-weighted precision.
    pub weighted_precision: f64,
    /// Label-weighted recall.
    pub weighted_recall: f64,
    /// Label-weighted F1.
    pub weighted_f1: f64,
}

/// Computes [`MulticlassMetrics`] from labels and predictions.
pub fn multiclass_metrics(label: &[f64], prediction: &[f64]) -> Result<MulticlassMetrics> {
    if label.is_empty() {
        return Err(MlError::Empty("cannot evaluate zero rows".into()));
    }
    let n = label.len() as f64;
    // class key: bit pattern of the value (labels are finite)
    let mut label_count: BTreeMap<u64, f64> = BTreeMap::new();
    let mut pred_count: BTreeMap<u64, f64> = BTreeMap::new();
    let mut tp: BTreeMap<u64, f64> = BTreeMap::new();
    for (&l, &p) in label.iter().zip(prediction) {
        *label_count.entry(l.to_bits()).or_default() += 1.0;
        *pred_count.entry(p.to_bits()).or_default() += 1.0;
        if l == p {
            *tp.entry(l.to_bits()).or_default() += 1.0;
        }
    }
    let (mut wp, mut wr, mut wf) = (0.0, 0.0, 0.0);
    for (c, &cnt) in &label_count {
        let t = tp.get(c).copied().unwrap_or(0.0);
        let pc = pred_count.get(c).copied().unwrap_or(0.0);
        let precision = if pc > 0.0 { t / pc } else { 0.0 };
        let recall = t / cnt;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        let w = cnt / n;
        wp += w * precision;
        wr += w * recall;
        wf += w * f1;
    }
    let accuracy = tp.values().sum::<f64>() / n;
    Ok(MulticlassMetrics {
        accuracy,
        weighted_precision: wp,
        weighted_recall: wr,
        weighted_f1: wf,
    })
}

impl Evaluator for MulticlassClassificationEvaluator {
    fn evaluate(&self, data: &Dataset) -> Result<f64> {
        let label = data.require_label()?;
        if self.metric == "logLoss" {
            let (prob, k) = data
                .probability()
                .ok_or(MlError::NoPredictions("probability"))?;
            if label.is_empty() {
                return Err(MlError::Empty("cannot evaluate zero rows".into()));
            }
            let eps = 1e-15;
            let mut s = 0.0;
            for (i, &l) in label.iter().enumerate() {
                let c = l as usize;
                let p = if l >= 0.0 && c < k {
                    prob[i * k + c]
                } else {
                    0.0
                };
                s -= p.clamp(eps, 1.0 - eps).ln();
            }
            return Ok(s / label.len() as f64);
        }
        let pred = data
            .prediction()
            .ok_or(MlError::NoPredictions("prediction"))?;
        let m = multiclass_metrics(label, pred)?;
        Ok(match self.metric.as_str() {
            "accuracy" => m.accuracy,
            "weightedPrecision" => m.weighted_precision,
            "weightedRecall" => m.weighted_recall,
            _ => m.weighted_f1,
        })
    }
    fn metric_name(&self) -> &str {
        &self.metric
    }
    fn is_larger_better(&self) -> bool {
        self.metric != "logLoss"
    }
}

/// Binary metrics over a score: `areaUnderROC` (default) or `areaUnderPR`.
/// The score is `rawPrediction[1]` (Spark's default column) when present, else
/// `probability[1]`, else the prediction. Labels must be 0/1.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryClassificationEvaluator {
    metric: String,
}

impl Default for BinaryClassificationEvaluator {
    fn default() -> Self {
        BinaryClassificationEvaluator {
            metric: "areaUnderROC".into(),
        }
    }
}

impl BinaryClassificationEvaluator {
    /// An evaluator for `metric`.
    pub fn new(metric: &str) -> Result<Self> {
        if metric != "areaUnderROC" && metric != "areaUnderPR" {
            return Err(MlError::param(
                "metricName",
                metric,
                "must be areaUnderROC or areaUnderPR",
            ));
        }
        Ok(BinaryClassificationEvaluator {
            metric: metric.into(),
        })
    }
}

/// (ROC AUC, PR AUC) of `score` against 0/1 `label`. Ties in score form one
/// curve point. ROC runs from (0,0) to (1,1); the PR curve starts at
/// (recall 0, precision of the first point), as Spark's does; both are
/// integrated with the trapezoid rule.
pub fn binary_areas(label: &[f64], score: &[f64]) -> Result<(f64, f64)> {
    let mut pos = 0.0;
    for (i, &l) in label.iter().enumerate() {
        if l != 0.0 && l != 1.0 {
            return Err(MlError::InvalidLabel {
                row: i + 1,
                label: l,
                reason: "binary labels must be 0 or 1".into(),
            });
        }
        pos += l;
    }
    let neg = label.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return Err(MlError::Fit(
            "binary metrics need both classes among the labels".into(),
        ));
    }
    let mut order: Vec<usize> = (0..label.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut roc = vec![(0.0, 0.0)];
    let mut pr: Vec<(f64, f64)> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let s = score[order[i]];
        while i < order.len() && score[order[i]] == s {
            if label[order[i]] == 1.0 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        roc.push((fp / neg, tp / pos));
        pr.push((tp / pos, tp / (tp + fp)));
    }
    roc.push((1.0, 1.0));
    pr.insert(0, (0.0, pr[0].1));
    let area = |pts: &[(f64, f64)]| {
        pts.windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum::<f64>()
    };
    Ok((area(&roc), area(&pr)))
}

impl Evaluator for BinaryClassificationEvaluator {
    fn evaluate(&self, data: &Dataset) -> Result<f64> {
        let label = data.require_label()?;
        let score: Vec<f64> = match (data.raw_prediction(), data.probability()) {
            (Some((p, k)), _) | (None, Some((p, k))) if k >= 2 => {
                p.chunks(k).map(|r| r[1]).collect()
            }
            _ => data
                .prediction()
                .ok_or(MlError::NoPredictions("prediction"))?
                .to_vec(),
        };
        let (roc, pr) = binary_areas(label, &score)?;
        Ok(if self.metric == "areaUnderPR" {
            pr
        } else {
            roc
        })
    }
    fn metric_name(&self) -> &str {
        &self.metric
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiclass_by_hand() {
        // labels 0 0 0 1 1 2 ; predictions 0 0 1 1 2 2
        // class 0: tp 2, predicted 2 -> p 1, r 2/3 ; w 1/2
        // class 1: tp 1, predicted 2 -> p 1/2, r 1/2 ; w 1/3
        // class 2: tp 1, predicted 2 -> p 1/2, r 1 ; w 1/6
        let m = multiclass_metrics(
            &[0.0, 0.0, 0.0, 1.0, 1.0, 2.0],
            &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
        )
        .unwrap();
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((m.weighted_precision - (0.5 + 1.0 / 6.0 + 1.0 / 12.0)).abs() < 1e-12);
        assert!((m.weighted_recall - 4.0 / 6.0).abs() < 1e-12);
        let f0 = 2.0 * (2.0 / 3.0) / (1.0 + 2.0 / 3.0);
        let f2 = 2.0 * 0.5 / 1.5;
        assert!((m.weighted_f1 - (0.5 * f0 + 0.5 / 3.0 + f2 / 6.0)).abs() < 1e-12);
        // a class never predicted has precision 0
        let m = multiclass_metrics(&[0.0, 1.0], &[0.0, 0.0]).unwrap();
        assert!((m.weighted_precision - 0.25).abs() < 1e-12);
    }

    #[test]
    fn log_loss_by_hand() {
        let mut d = Dataset::new(vec![0.0, 0.0], 1, Some(vec![0.0, 1.0])).unwrap();
        d.set_probability(vec![0.8, 0.2, 0.4, 0.6], 2).unwrap();
        let e = MulticlassClassificationEvaluator::new("logLoss").unwrap();
        let want = -(0.8f64.ln() + 0.6f64.ln()) / 2.0;
        assert!((e.evaluate(&d).unwrap() - want).abs() < 1e-12);
        assert!(!e.is_larger_better());
        assert!(MulticlassClassificationEvaluator::new("precision").is_err());
    }

    #[test]
    fn binary_areas_by_hand() {
        // scores 0.9(1) 0.8(0) 0.7(1) 0.6(0): ROC points (0,.5) (.5,.5) (.5,1) (1,1) -> 0.75
        let (roc, pr) = binary_areas(&[1.0, 0.0, 1.0, 0.0], &[0.9, 0.8, 0.7, 0.6]).unwrap();
        assert!((roc - 0.75).abs() < 1e-12);
        // PR points: (0,1) (.5,1) (.5,.5) (1,2/3) (1,.5) -> .5*1 + 0 + .5*(.5+2/3)/2 + 0
        assert!((pr - (0.5 + 0.25 * (0.5 + 2.0 / 3.0))).abs() < 1e-12);
        // perfect separation with ties across classes in the middle
        let (roc, _) = binary_areas(&[1.0, 1.0, 0.0, 0.0], &[0.9, 0.5, 0.5, 0.1]).unwrap();
        assert!((roc - 0.875).abs() < 1e-12);
        assert!(binary_areas(&[1.0, 1.0], &[0.1, 0.2]).is_err());
        assert!(binary_areas(&[2.0, 0.0], &[0.1, 0.2]).is_err());
    }
}
