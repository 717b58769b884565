//! The split-candidate row sample: `splitSampleRng = numpy` against the
//! candidates that example A's reference procedure computes
//! (`tests/fixtures/split_candidates.json`, written by
//! `make_split_candidate_fixtures.py` with real numpy), and the
//! CrossValidator's `seed_per_fold`, which the reference uses to seed that
//! sample per fold.

use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::param::HasParams;
use cairn_ml::prelude::*;
use cairn_ml::tree::split_candidates;
use serde_json::Value;
use std::sync::Mutex;

/// The fixture script's dataset, row `i` of `n` (same integer arithmetic and
/// one exact division, so the floats are the same). With `label`, the class
/// is whether feature 4 exceeds 150, which no candidate hits exactly, so
/// where the candidates fall (i.e. the row sample) moves the accuracy.
fn synthetic(n: usize, label: bool) -> Dataset {
    let rows: Vec<Vec<f64>> = (0..n as i64)
        .map(|i| {
            vec![
                if i % 5 == 0 {
                    ((i * 37 + 11) % 101) as f64 / 7.0
                } else {
                    0.0
                },
                ((i * 13) % 4) as f64,
                ((i * 7919) % 1000 - 500) as f64 / 8.0,
                0.0,
                ((i * i) % 997) as f64 / 3.0,
                if i % 3 != 0 { 1.0 } else { 2.5 },
            ]
        })
        .collect();
    let labels = label.then(|| rows.iter().map(|r| f64::from(r[4] > 150.0)).collect());
    Dataset::from_rows(&rows, labels).unwrap()
}

#[test]
fn numpy_sample_gives_the_reference_procedures_candidates() {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/split_candidates.json")).unwrap();
    let n = fixture["n"].as_u64().unwrap() as usize;
    let data = synthetic(n, false);
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let bins = case["max_bins"].as_u64().unwrap() as usize;
        let seed = case["seed"].as_u64().unwrap();
        let want: Vec<Vec<f64>> = case["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f.as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_f64().unwrap())
                    .collect()
            })
            .collect();
        let got = split_candidates(&data, bins, seed, SplitSampleRng::Numpy);
        assert_eq!(got, want, "maxBins {bins}, seed {seed}");
    }
}

#[test]
fn the_sample_generator_changes_the_candidates_of_a_sampled_fit_only() {
    let data = synthetic(12_000, false);
    // Sampled (10,000 of 12,000 rows): the generators draw different rows.
    assert_ne!(
        split_candidates(&data, 32, 42, SplitSampleRng::Numpy),
        split_candidates(&data, 32, 42, SplitSampleRng::Cairn)
    );
    // Unsampled (maxBins^2 = 40,000 >= n): every row, whatever the generator.
    assert_eq!(
        split_candidates(&data, 200, 42, SplitSampleRng::Numpy),
        split_candidates(&data, 200, 42, SplitSampleRng::Cairn)
    );
}

#[test]
fn split_sample_rng_is_a_checked_param() {
    let data = synthetic(100, true);
    let mut tree = DecisionTreeClassifier::new();
    assert_eq!(
        tree.get_param("splitSampleRng"),
        Some(ParamValue::from("cairn"))
    );
    tree.set_param("splitSampleRng", &"NumPy".into()).unwrap();
    assert!(tree.fit(&data).is_ok());
    let bad = DecisionTreeClassifier::new()
        .copy_with(&ParamMap::new().put("splitSampleRng", "mt19937"))
        .unwrap();
    let e = bad.fit(&data).unwrap_err().to_string();
    assert!(e.contains("splitSampleRng") && e.contains("mt19937"), "{e}");
    // numpy seeds are non-negative.
    let e = DecisionTreeClassifier::new()
        .split_sample_rng(SplitSampleRng::Numpy)
        .seed(-1)
        .fit(&data)
        .unwrap_err()
        .to_string();
    assert!(e.contains("seed") && e.contains("-1"), "{e}");
    // Forests share the param.
    let forest = RandomForestClassifier::new().split_sample_rng(SplitSampleRng::Numpy);
    assert_eq!(
        forest.get_param("splitSampleRng"),
        Some(ParamValue::from("numpy"))
    );
}

#[derive(Default)]
struct Reported(Mutex<Vec<Vec<(String, ParamValue)>>>);

impl CvObserver for Reported {
    fn on_candidate(&self, r: &CandidateResult<'_>) {
        self.0.lock().unwrap().push(r.all_params.clone());
    }
}

fn tree_pipeline(seed: i64) -> Pipeline {
    Pipeline::new()
        .named("indexer", StringIndexer::new())
        .named(
            "dt",
            DecisionTreeClassifier::new()
                .max_depth(1)
                .max_bins(4)
                .seed(seed)
                .split_sample_rng(SplitSampleRng::Numpy),
        )
}

/// The accuracy of `pipeline` fitted on each fold's training rows.
fn by_hand(data: &Dataset, folds: &[Fold], seed_of_fold: impl Fn(usize) -> i64) -> Vec<f64> {
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    folds
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let model = tree_pipeline(seed_of_fold(k))
                .fit(&data.select(&f.train))
                .unwrap();
            ev.evaluate(&model.transform(&data.select(&f.test)).unwrap())
                .unwrap()
        })
        .collect()
}

#[test]
fn seed_per_fold_fits_fold_k_with_seed_plus_k_and_refits_with_the_seed() {
    // 3 folds of 18,000 rows train on 12,000: sampled, so the seed matters.
    let data = synthetic(18_000, true);
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    let grid = ParamGridBuilder::new().add_grid("maxBins", [4]).build();
    let folds = make_folds_with(&data, 3, FoldKind::Shuffled, 5, FoldRng::NumpyLegacy).unwrap();
    let cv = |per_fold: bool| {
        CrossValidator::new(tree_pipeline(42), grid.clone(), &ev)
            .num_folds(3)
            .seed(5)
            .fold_rng(FoldRng::NumpyLegacy)
            .seed_per_fold(per_fold)
            .parallelism(2)
    };

    let reported = Reported::default();
    let per_fold = cv(true).fit_with(&data, &reported).unwrap();
    let offset = by_hand(&data, &folds, |k| 42 + k as i64);
    assert_eq!(per_fold.fold_metrics[0], offset);

    let same = cv(false).fit(&data).unwrap();
    let fixed = by_hand(&data, &folds, |_| 42);
    assert_eq!(same.fold_metrics[0], fixed);
    // The fold-0 fits agree; a later fold's seed, hence its sample, differs.
    assert_eq!(offset[0], fixed[0]);
    assert_ne!(
        offset, fixed,
        "the sample seed must change some fold's score"
    );

    // The refit and what observers see keep the estimator's own seed.
    let refit = tree_pipeline(42)
        .fit(&data)
        .unwrap()
        .transform(&data)
        .unwrap();
    let best = per_fold.best_model.transform(&data).unwrap();
    assert_eq!(best.prediction(), refit.prediction());
    let params = reported.0.into_inner().unwrap();
    assert_eq!(params.len(), 1);
    assert!(
        params[0].contains(&("dt.seed".to_string(), ParamValue::Int(42))),
        "{:?}",
        params[0]
    );
}
