//! Agreement with scikit-learn: 5-fold unshuffled stratified CV accuracy on the
//! toy sets, against tests/fixtures/sklearn_cv.json (made by
//! tests/fixtures/make_sklearn_fixtures.py), plus tree/forest sanity.

use super::support::{toy, toy_scaled};
use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;

fn fixture(set: &str, model: &str) -> f64 {
    let text = include_str!("../fixtures/sklearn_cv.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let folds = v[set][model].as_array().unwrap();
    folds.iter().map(|f| f.as_f64().unwrap()).sum::<f64>() / folds.len() as f64
}

fn cv_accuracy<E: Estimator>(est: &E, data: &Dataset) -> f64 {
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    let folds = make_folds(data, 5, FoldKind::Stratified, 0).unwrap();
    let s = cross_val_score(est, data, &ev, &folds).unwrap();
    s.iter().sum::<f64>() / s.len() as f64
}

#[test]
fn logistic_regression_matches_sklearn() {
    for set in ["iris", "wine", "breast_cancer"] {
        let d = toy_scaled(set);
        let ours = cv_accuracy(&LogisticRegression::new().c(1.0).max_iter(1000), &d);
        let theirs = fixture(set, "logreg_lbfgs_C1");
        assert!(
            (ours - theirs).abs() <= 0.015,
            "{set}: ours {ours:.4} sklearn {theirs:.4}"
        );
    }
}

#[test]
fn svc_matches_sklearn() {
    for set in ["iris", "wine", "breast_cancer"] {
        let d = toy_scaled(set);
        for (kernel, key) in [("rbf", "svc_rbf_C1"), ("linear", "svc_linear_C1")] {
            let ours = cv_accuracy(&Svc::new().kernel(kernel).c(1.0), &d);
            let theirs = fixture(set, key);
            assert!(
                (ours - theirs).abs() <= 0.015,
                "{set} {kernel}: ours {ours:.4} sklearn {theirs:.4}"
            );
        }
    }
}

#[test]
fn trees_and_forests_are_accurate_on_toy_sets() {
    let iris = toy("iris");
    let acc = cv_accuracy(&DecisionTreeClassifier::new().max_depth(4), &iris);
    assert!(acc > 0.9, "tree on iris {acc}");
    let wine = toy("wine");
    let acc = cv_accuracy(
        &RandomForestClassifier::new()
            .num_trees(30)
            .max_depth(6)
            .seed(1),
        &wine,
    );
    assert!(acc > 0.9, "forest on wine {acc}");
    let bc = toy("breast_cancer");
    let acc = cv_accuracy(&RandomForestClassifier::new().num_trees(30).seed(1), &bc);
    assert!(acc > 0.9, "forest on breast_cancer {acc}");
}

#[test]
fn binary_evaluator_on_logistic_scores() {
    let d = toy_scaled("breast_cancer");
    let m = LogisticRegression::new().c(1.0).fit(&d).unwrap();
    let out = m.transform(&d).unwrap();
    let auc = BinaryClassificationEvaluator::new("areaUnderROC")
        .unwrap()
        .evaluate(&out)
        .unwrap();
    let pr = BinaryClassificationEvaluator::new("areaUnderPR")
        .unwrap()
        .evaluate(&out)
        .unwrap();
    assert!(auc > 0.99 && pr > 0.99, "auc {auc} pr {pr}");
}
