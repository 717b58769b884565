//! Example A without tracking: MNIST (LIBSVM) → StringIndexer(label) →
//! DecisionTreeClassifier, CrossValidator (3 shuffled folds, seed 42) over
//! maxDepth × maxBins, judged by weightedPrecision; the best model is refitted
//! on all training rows and scored on the test set.
//!
//! The folds are scikit-learn's `KFold(3, shuffle=True, random_state=42)` by
//! default (`--folds sklearn`, i.e. [`FoldRng::NumpyLegacy`]), the folds of
//! the reference table in shared/bench/ml-reference.md, so each cell compares
//! like with like; `--folds cairn` uses Cairn's own generator instead.
//!
//! The split-candidate row sample is the reference's too by default
//! (`--binning sklearn`): numpy's `default_rng(seed + k)` on fold `k` and
//! `default_rng(seed)` for the refit, i.e. `splitSampleRng = numpy` with the
//! CrossValidator's `seed_per_fold`; `--binning cairn` draws it with Cairn's
//! generator and the same seed on every fold, as Spark does.
//!
//! ```text
//! cargo run --release -p cairn-ml --example mnist_grid_untracked -- \
//!     [--data DIR] [--depths 2,4,6,8,10] [--bins 2,4,16,32] [--parallelism 1]
//!     [--folds sklearn|cairn] [--binning sklearn|cairn] [--fold-seed 42] [--tree-seed N]
//! ```

use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;
use std::sync::Mutex;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn list(name: &str, default: &str) -> Vec<i64> {
    arg(name)
        .unwrap_or_else(|| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

struct Progress {
    start: Instant,
    total: usize,
    done: Mutex<usize>,
}

impl CvObserver for Progress {
    fn on_candidate(&self, r: &CandidateResult<'_>) {
        let mut d = self.done.lock().unwrap();
        *d += 1;
        let folds: Vec<String> = r.fold_metrics.iter().map(|m| format!("{m:.4}")).collect();
        println!(
            "[{:>2}/{}] {:<28} CV {} = {:.4} (folds {}) fit+eval {:.1}s, elapsed {:.1}s",
            *d,
            self.total,
            r.param_map.to_string(),
            r.metric_name,
            r.avg_metric,
            folds.join(" "),
            r.elapsed.as_secs_f64(),
            self.start.elapsed().as_secs_f64()
        );
    }
}

fn main() -> Result<()> {
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let parallelism: usize = arg("--parallelism")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let opts = LibsvmOptions {
        num_features: Some(784),
    };
    let t = Instant::now();
    let train = read_libsvm(format!("{dir}/mnist_train.libsvm.gz"), &opts)?;
    let test = read_libsvm(format!("{dir}/mnist_test.libsvm.gz"), &opts)?;
    println!(
        "read {} train + {} test rows in {:.2}s",
        train.n_rows(),
        test.n_rows(),
        t.elapsed().as_secs_f64()
    );

    // --fold-seed / --tree-seed: for measuring how much the CV metric moves
    // with the fold assignment and the split-candidate sample alone.
    let fold_seed: u64 = arg("--fold-seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let fold_rng = match arg("--folds").as_deref() {
        None | Some("sklearn") => FoldRng::NumpyLegacy,
        Some("cairn") => FoldRng::Cairn,
        Some(other) => {
            return Err(MlError::param("--folds", other, "must be sklearn or cairn"));
        }
    };
    let (sample_rng, seed_per_fold) = match arg("--binning").as_deref() {
        None | Some("sklearn") => (SplitSampleRng::Numpy, true),
        Some("cairn") => (SplitSampleRng::Cairn, false),
        Some(other) => {
            return Err(MlError::param(
                "--binning",
                other,
                "must be sklearn or cairn",
            ));
        }
    };
    println!(
        "folds: 3, seed {fold_seed}, generator {fold_rng:?}; split sample {sample_rng:?}, seed per fold {seed_per_fold}"
    );
    let mut tree = DecisionTreeClassifier::new().split_sample_rng(sample_rng);
    if let Some(s) = arg("--tree-seed").and_then(|s| s.parse().ok()) {
        tree = tree.seed(s);
    }
    let pipeline = Pipeline::new()
        .named("indexer", StringIndexer::new())
        .named("dt", tree);
    let grid = ParamGridBuilder::new()
        .add_grid("maxDepth", list("--depths", "2,4,6,8,10"))
        .add_grid("maxBins", list("--bins", "2,4,16,32"))
        .build();
    let evaluator = MulticlassClassificationEvaluator::new("weightedPrecision")?;
    let progress = Progress {
        start: Instant::now(),
        total: grid.len(),
        done: Mutex::new(0),
    };
    let cv = CrossValidator::new(pipeline, grid, &evaluator)
        .num_folds(3)
        .seed(fold_seed)
        .fold_rng(fold_rng)
        .seed_per_fold(seed_per_fold)
        .parallelism(parallelism);
    let t = Instant::now();
    let model = cv.fit_with(&train, &progress)?;
    let cv_secs = t.elapsed().as_secs_f64();
    let test_metric = evaluator.evaluate(&model.best_model.transform(&test)?)?;
    println!("grid + refit took {cv_secs:.1}s");
    println!("best params: {}", model.best_params);
    println!(
        "best CV weightedPrecision: {:.4}",
        model.avg_metrics[model.best_index]
    );
    println!("test weightedPrecision: {test_metric:.4}");
    Ok(())
}
