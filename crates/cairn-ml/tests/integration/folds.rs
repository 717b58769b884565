//! scikit-learn-compatible folds ([`FoldRng::NumpyLegacy`]) against folds made
//! by real scikit-learn/numpy (`tests/fixtures/sklearn_folds.json`, written by
//! `make_fold_fixtures.py`), directly and through CrossValidator; and the
//! typed errors for impossible fold counts.

use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::param::HasParams;
use cairn_ml::prelude::*;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("../fixtures/sklearn_folds.json");
    serde_json::from_str(text).unwrap()
}

fn cases(kind: &str) -> Vec<Value> {
    let all = fixture()["cases"].as_array().unwrap().clone();
    let picked: Vec<Value> = all.into_iter().filter(|c| c["kind"] == kind).collect();
    assert!(!picked.is_empty(), "no {kind} cases in the fixture");
    picked
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The fixture's hash: FNV-1a-style over whole values, in the given order.
fn hash(values: &[usize]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &i in values {
        h = (h ^ i as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The fixture's synthetic labels, with uneven classes out of sorted order.
fn labels(n: usize) -> Vec<f64> {
    (0..n).map(|i| (((37 * i + 11) % 101) % 7) as f64).collect()
}

/// Checks one fold's ascending test rows against the fixture's record.
fn assert_fold_matches(case: &Value, f: usize, test: &[usize]) {
    let want = &case["folds"][f];
    let what = format!(
        "{} n={} k={} seed={} fold {f}",
        case["kind"], case["n"], case["k"], case["seed"]
    );
    assert_eq!(
        test.len() as u64,
        want["size"].as_u64().unwrap(),
        "{what}: size"
    );
    assert_eq!(hash(test), want["hash"].as_str().unwrap(), "{what}: hash");
    if let Some(full) = want.get("test") {
        assert_eq!(test, usizes(full), "{what}");
    } else {
        // scikit-learn returns test folds ascending, as we do
        assert_eq!(&test[..20], usizes(&want["head"]), "{what}: head");
        assert_eq!(
            &test[test.len() - 20..],
            usizes(&want["tail"]),
            "{what}: tail"
        );
    }
}

#[test]
fn permutation_is_numpys_random_state_permutation() {
    for c in cases("permutation") {
        let n = c["n"].as_u64().unwrap() as usize;
        let perm = FoldRng::NumpyLegacy
            .permutation(n, c["seed"].as_u64().unwrap())
            .unwrap();
        assert_eq!(hash(&perm), c["hash"].as_str().unwrap(), "n={n}");
        let head = usizes(&c["head"]);
        assert_eq!(&perm[..head.len()], head, "n={n}");
        let tail = usizes(&c["tail"]);
        assert_eq!(&perm[n - tail.len()..], tail, "n={n}");
    }
}

#[test]
fn kfold_matches_scikit_learn_shuffled_kfold() {
    for c in cases("kfold") {
        let (n, k) = (
            c["n"].as_u64().unwrap() as usize,
            c["k"].as_u64().unwrap() as usize,
        );
        let folds = KFold {
            k,
            shuffle: true,
            seed: c["seed"].as_u64().unwrap(),
            rng: FoldRng::NumpyLegacy,
        }
        .split(n)
        .unwrap();
        assert_eq!(folds.len(), k);
        for (f, fold) in folds.iter().enumerate() {
            assert_fold_matches(&c, f, &fold.test);
            assert_eq!(fold.train.len() + fold.test.len(), n);
        }
    }
}

#[test]
fn stratified_kfold_matches_scikit_learn_shuffled_stratified_kfold() {
    for c in cases("stratified") {
        let (n, k) = (
            c["n"].as_u64().unwrap() as usize,
            c["k"].as_u64().unwrap() as usize,
        );
        let data = Dataset::new(vec![0.0; n], 1, Some(labels(n))).unwrap();
        let folds = make_folds_with(
            &data,
            k,
            FoldKind::StratifiedShuffled,
            c["seed"].as_u64().unwrap(),
            FoldRng::NumpyLegacy,
        )
        .unwrap();
        for (f, fold) in folds.iter().enumerate() {
            assert_fold_matches(&c, f, &fold.test);
        }
    }
}

/// An estimator whose model remembers the rows it was trained on (feature 0
/// holds the row number) and predicts the label, so CrossValidator's folds
/// can be read back from its sub-models.
#[derive(Clone, Debug)]
struct RowRecorder;

#[derive(Debug)]
struct Rows(Vec<usize>);

impl HasParams for RowRecorder {
    fn type_name(&self) -> &'static str {
        "RowRecorder"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn get_param(&self, _: &str) -> Option<ParamValue> {
        None
    }
    fn set_param(&mut self, name: &str, _: &ParamValue) -> Result<()> {
        Err(MlError::UnknownParam {
            param: name.into(),
            target: "RowRecorder".into(),
        })
    }
}

impl Estimator for RowRecorder {
    type Model = Rows;
    fn fit(&self, data: &Dataset) -> Result<Rows> {
        Ok(Rows(
            (0..data.n_rows())
                .map(|i| data.get(i, 0) as usize)
                .collect(),
        ))
    }
}

impl Transformer for Rows {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let mut out = data.clone();
        out.set_prediction(data.require_label()?.to_vec())?;
        Ok(out)
    }
}

fn numbered_rows(n: usize) -> Dataset {
    let ids: Vec<f64> = (0..n).map(|i| i as f64).collect();
    Dataset::new(ids, 1, Some(labels(n))).unwrap()
}

#[test]
fn cross_validator_with_numpy_folds_trains_on_scikit_learns_folds() {
    let c = cases("kfold").into_iter().find(|c| c["n"] == 1000).unwrap();
    let (n, k, seed) = (
        1000,
        c["k"].as_u64().unwrap() as usize,
        c["seed"].as_u64().unwrap(),
    );
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    let grid = ParamGridBuilder::new().build();
    let cv = CrossValidator::new(RowRecorder, grid, &ev)
        .num_folds(k)
        .seed(seed)
        .fold_rng(FoldRng::NumpyLegacy)
        .collect_sub_models(true)
        .fit(&numbered_rows(n))
        .unwrap();
    let sub = cv.sub_models.unwrap();
    assert_eq!(sub.len(), k);
    for (f, models) in sub.iter().enumerate() {
        let train = &models[0].0;
        let test: Vec<usize> = (0..n).filter(|i| !train.contains(i)).collect();
        assert_eq!(train.len() + test.len(), n);
        assert_fold_matches(&c, f, &test);
    }
    // the default generator is Cairn's own: same sizes, other rows
    let grid = ParamGridBuilder::new().build();
    let ours = CrossValidator::new(RowRecorder, grid, &ev)
        .num_folds(k)
        .seed(seed)
        .collect_sub_models(true)
        .fit(&numbered_rows(n))
        .unwrap();
    let ours = ours.sub_models.unwrap();
    assert!(ours.iter().all(|m| m[0].0.len() == n - n / k));
    assert_ne!(ours[0][0].0, sub[0][0].0);
}

#[test]
fn cross_validator_with_numpy_folds_rejects_impossible_folds() {
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    let cv = |k: usize, seed: u64| {
        CrossValidator::new(RowRecorder, ParamGridBuilder::new().build(), &ev)
            .num_folds(k)
            .seed(seed)
            .fold_rng(FoldRng::NumpyLegacy)
            .fit(&numbered_rows(5))
    };
    let e = cv(6, 42).unwrap_err();
    assert!(
        matches!(
            e,
            MlError::TooFewRows {
                folds: 6,
                rows: 5,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "cannot make 6 folds from 5 rows");
    for k in [0, 1] {
        let e = cv(k, 42).unwrap_err();
        assert!(
            matches!(&e, MlError::InvalidParam { param, .. } if param == "numFolds"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("invalid param numFolds = {k}: must be >= 2")
        );
    }
    // numpy's RandomState takes seeds in 0..=2^32-1 only
    let e = cv(2, 1 << 32).unwrap_err();
    assert!(
        matches!(&e, MlError::InvalidParam { param, .. } if param == "seed"),
        "{e:?}"
    );
    // a stratified split needs one class with at least k rows
    let one_each = Dataset::new(vec![0.0, 1.0, 2.0], 1, Some(vec![0.0, 1.0, 2.0])).unwrap();
    let e = CrossValidator::new(RowRecorder, ParamGridBuilder::new().build(), &ev)
        .num_folds(2)
        .fold_kind(FoldKind::StratifiedShuffled)
        .fold_rng(FoldRng::NumpyLegacy)
        .fit(&one_each)
        .unwrap_err();
    assert!(
        matches!(
            e,
            MlError::TooFewRows {
                folds: 2,
                rows: 3,
                ..
            }
        ),
        "{e:?}"
    );
}
