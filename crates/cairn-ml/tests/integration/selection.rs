//! CrossValidator / TrainValidationSplit on real data through a pipeline,
//! including the observer hook and the string form of param maps.

use super::support::toy;
use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;
use std::sync::Mutex;

/// (index, param pairs, fold metrics, average, number of estimator params)
type Seen = (usize, Vec<(String, String)>, Vec<f64>, f64, usize);

#[derive(Default)]
struct Log(Mutex<Vec<Seen>>);

impl CvObserver for Log {
    fn on_candidate(&self, r: &CandidateResult<'_>) {
        self.0.lock().unwrap().push((
            r.index,
            r.param_map.to_string_pairs(),
            r.fold_metrics.to_vec(),
            r.avg_metric,
            r.all_params.len(),
        ));
    }
}

fn example_a_shape() -> Pipeline {
    Pipeline::new()
        .named("indexer", StringIndexer::new())
        .named("dt", DecisionTreeClassifier::new())
}

#[test]
fn cross_validator_over_pipeline_grid() {
    let iris = toy("iris");
    let grid = ParamGridBuilder::new()
        .add_grid("maxDepth", [1, 3])
        .add_grid("maxBins", [2, 16])
        .build();
    let ev = MulticlassClassificationEvaluator::new("weightedPrecision").unwrap();
    let log = Log::default();
    let cv = CrossValidator::new(example_a_shape(), grid, &ev)
        .num_folds(3)
        .seed(42)
        .parallelism(2);
    let m = cv.fit_with(&iris, &log).unwrap();
    let mut seen = log.0.into_inner().unwrap();
    seen.sort_by_key(|s| s.0);
    assert_eq!(seen.len(), 4);
    assert_eq!(
        seen[1].1,
        vec![
            ("maxDepth".to_string(), "3".to_string()),
            ("maxBins".to_string(), "2".to_string())
        ]
    );
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(s.2.len(), 3);
        assert!((s.3 - m.avg_metrics[i]).abs() < 1e-15);
        assert_eq!(s.4, 3 + 7, "indexer has 3 params, the tree 7");
    }
    // depth 3 beats depth 1 (which can only predict two of three classes)
    assert!(m.avg_metrics[1] > m.avg_metrics[0] + 0.2);
    assert!([1, 3].contains(&m.best_index));
    // same seed -> same folds -> same metrics; another seed differs
    let grid = ParamGridBuilder::new()
        .add_grid("maxDepth", [1, 3])
        .add_grid("maxBins", [2, 16])
        .build();
    let again = CrossValidator::new(example_a_shape(), grid.clone(), &ev)
        .num_folds(3)
        .seed(42)
        .fit(&iris)
        .unwrap();
    assert_eq!(again.avg_metrics, m.avg_metrics);
    let other = CrossValidator::new(example_a_shape(), grid, &ev)
        .num_folds(3)
        .seed(7)
        .fit(&iris)
        .unwrap();
    assert_ne!(other.fold_metrics, m.fold_metrics);
}

#[test]
fn fold_counts_and_stratification() {
    let iris = toy("iris");
    let folds = make_folds(&iris, 5, FoldKind::Stratified, 0).unwrap();
    let y = iris.label().unwrap();
    for f in &folds {
        assert_eq!(f.test.len(), 30);
        for c in 0..3 {
            assert_eq!(f.test.iter().filter(|&&i| y[i] == c as f64).count(), 10);
        }
    }
    // unshuffled stratified folds on sorted iris: fold 0 holds the first 10 of each class
    assert_eq!(&folds[0].test[..10], &(0..10).collect::<Vec<_>>()[..]);
    let shuffled = make_folds(&iris, 5, FoldKind::StratifiedShuffled, 3).unwrap();
    assert_ne!(shuffled, folds);
    let e = make_folds(&iris, 151, FoldKind::Shuffled, 0).unwrap_err();
    assert_eq!(e.to_string(), "cannot make 151 folds from 150 rows");
}

#[test]
fn train_validation_split_and_errors() {
    let wine = toy("wine");
    let ev = MulticlassClassificationEvaluator::new("accuracy").unwrap();
    let grid = ParamGridBuilder::new().add_grid("C", [0.1, 1.0]).build();
    let pipe = Pipeline::new()
        .stage(StandardScaler::new().with_mean(true))
        .stage(LogisticRegression::new());
    let log = Log::default();
    let m = TrainValidationSplit::new(pipe.clone(), grid, &ev)
        .train_ratio(0.8)
        .fit_with(&wine, &log)
        .unwrap();
    assert_eq!(log.0.lock().unwrap().len(), 2);
    assert!(m.avg_metrics.iter().all(|&a| a > 0.9));
    let bad = ParamGridBuilder::new().add_grid("C", [0.0]).build();
    let e = TrainValidationSplit::new(pipe.clone(), bad, &ev)
        .fit(&wine)
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid param C = 0: must be > 0");
    let typo = ParamGridBuilder::new().add_grid("maxDepht", [3]).build();
    let e = CrossValidator::new(pipe, typo, &ev).fit(&wine).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown param 'maxDepht' for any pipeline stage"
    );
}

#[test]
fn labels_out_of_range_are_rejected() {
    let d = Dataset::from_rows(&[vec![0.0], vec![1.0]], Some(vec![0.0, -1.0])).unwrap();
    let e = DecisionTreeClassifier::new().fit(&d).unwrap_err();
    assert!(
        e.to_string().starts_with("row 2: label -1 is invalid"),
        "{e}"
    );
    let e = LogisticRegression::new().fit(&d).unwrap_err();
    assert!(
        e.to_string().starts_with("row 2: label -1 is invalid"),
        "{e}"
    );
}

/// The grid shares the indexer fit, the binning and one deep tree between
/// candidates that differ only in maxDepth; the metrics must be exactly those
/// of fitting every candidate alone on every fold.
#[test]
fn shared_grid_fits_equal_separate_fits() {
    let wine = toy("wine");
    let grid = ParamGridBuilder::new()
        .add_grid("maxDepth", [1, 4, 2])
        .add_grid("maxBins", [2, 8])
        .build();
    let ev = MulticlassClassificationEvaluator::new("weightedPrecision").unwrap();
    let m = CrossValidator::new(example_a_shape(), grid.clone(), &ev)
        .num_folds(3)
        .seed(5)
        .fit(&wine)
        .unwrap();
    let folds = make_folds(&wine, 3, FoldKind::Shuffled, 5).unwrap();
    for (cand, map) in grid.iter().enumerate() {
        let alone = example_a_shape().copy_with(map).unwrap();
        let scores = cross_val_score(&alone, &wine, &ev, &folds).unwrap();
        assert_eq!(scores, m.fold_metrics[cand], "{map:?}");
    }
    // and the models themselves are equal
    let pipes: Vec<Pipeline> = grid
        .iter()
        .map(|m| example_a_shape().copy_with(m).unwrap())
        .collect();
    let refs: Vec<&Pipeline> = pipes.iter().collect();
    for (p, model) in pipes.iter().zip(Pipeline::fit_many(&refs, &wine).unwrap()) {
        assert_eq!(p.fit(&wine).unwrap(), model);
    }
}
