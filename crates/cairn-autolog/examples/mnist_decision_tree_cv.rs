//! Example A, end to end: MNIST (LIBSVM, 784 features) → StringIndexer(label)
//! → DecisionTreeClassifier, tuned by a CrossValidator (3 folds, seed 42)
//! over maxDepth × maxBins and judged by weightedPrecision. The folds are
//! scikit-learn's `KFold(3, shuffle=True, random_state=42)` (numpy's legacy
//! generator), and the split candidates come from the reference's row sample
//! too (numpy's `default_rng(42 + k)` on fold `k`, `default_rng(42)` for the
//! refit: the tree's `splitSampleRng = numpy` with the CrossValidator's
//! `seed_per_fold`), so every cell is comparable with the reference results
//! in shared/bench/ml-reference.md. Every grid cell
//! is a nested child run of the CrossValidator's run (so the runs search
//! `params.maxDepth = '6'` finds them); the best model is scored on the test
//! set, that metric logged, and the fitted pipeline saved as an artifact.
//!
//! ```text
//! # to a running server:   MLFLOW_TRACKING_URI=http://127.0.0.1:5000
//! # or the embedded store: (nothing set) -> ./cairn-data
//! cargo run --release -p cairn-autolog --example mnist_decision_tree_cv -- \
//!     [--data ../shared/datasets] [--depths 2,4,6,8,10] [--bins 2,4,16,32] [--parallelism 1]
//! ```

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use cairn_autolog::{Parent, fit_logged, log_pipeline_model};
use cairn_client::{RunOptions, Tracking};
use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;
use cairn_ml::tuning::CandidateResult;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn list(name: &str, default: &str) -> Result<Vec<i64>, String> {
    arg(name)
        .unwrap_or_else(|| default.into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("{name}: '{s}' is not an integer"))
        })
        .collect()
}

/// Logs through the tracking observer and prints progress.
struct Progress<'a> {
    logger: &'a dyn CvObserver,
    start: Instant,
    total: usize,
    done: Mutex<usize>,
}

impl CvObserver for Progress<'_> {
    fn on_candidate(&self, r: &CandidateResult<'_>) {
        self.logger.on_candidate(r);
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done += 1;
        println!(
            "[{:>2}/{}] {:<30} CV {} = {:.4}   ({:.1}s elapsed)",
            *done,
            self.total,
            r.param_map.to_string(),
            r.metric_name,
            r.avg_metric,
            self.start.elapsed().as_secs_f64()
        );
    }
}

fn run() -> Result<(), String> {
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let parallelism: usize = arg("--parallelism")
        .map(|p| p.parse().map_err(|_| "--parallelism: not a number"))
        .transpose()?
        .unwrap_or(1);
    let depths = list("--depths", "2,4,6,8,10")?;
    let bins = list("--bins", "2,4,16,32")?;

    let mut tracking = Tracking::from_env().map_err(|e| e.to_string())?;
    tracking
        .set_experiment("mnist-decision-tree")
        .map_err(|e| e.to_string())?;

    let t = Instant::now();
    let opts = LibsvmOptions {
        num_features: Some(784),
    };
    let train =
        read_libsvm(format!("{dir}/mnist_train.libsvm.gz"), &opts).map_err(|e| e.to_string())?;
    let test =
        read_libsvm(format!("{dir}/mnist_test.libsvm.gz"), &opts).map_err(|e| e.to_string())?;
    println!(
        "read {} train + {} test rows in {:.1}s",
        train.n_rows(),
        test.n_rows(),
        t.elapsed().as_secs_f64()
    );

    let pipeline = Pipeline::new()
        .named("indexer", StringIndexer::new())
        .named(
            "dt",
            DecisionTreeClassifier::new().split_sample_rng(SplitSampleRng::Numpy),
        );
    let grid = ParamGridBuilder::new()
        .add_grid("maxDepth", depths)
        .add_grid("maxBins", bins)
        .build();
    let total = grid.len();
    let evaluator =
        MulticlassClassificationEvaluator::new("weightedPrecision").map_err(|e| e.to_string())?;
    let cv = CrossValidator::new(pipeline, grid, &evaluator)
        .num_folds(3)
        .seed(42)
        .fold_rng(FoldRng::NumpyLegacy)
        .seed_per_fold(true)
        .parallelism(parallelism);

    let parent = tracking
        .start_run(RunOptions::new().name("CrossValidator"))
        .map_err(|e| e.to_string())?;
    println!(
        "logging to run {} ({total} candidates x 3 folds)",
        parent.run_id()
    );
    let settings = [
        (
            "estimator",
            "Pipeline(StringIndexer, DecisionTreeClassifier)".to_string(),
        ),
        ("numFolds", "3".to_string()),
        ("seed", "42".to_string()),
        ("foldRng", "NumpyLegacy".to_string()),
        ("seedPerFold", "true".to_string()),
        (
            "evaluator",
            "MulticlassClassificationEvaluator(weightedPrecision)".to_string(),
        ),
    ];
    let start = Instant::now();
    let model = fit_logged(&tracking, Parent::Active(&parent), &settings, |logger| {
        let progress = Progress {
            logger,
            start,
            total,
            done: Mutex::new(0),
        };
        cv.fit_with(&train, &progress)
    })
    .map_err(|e| e.to_string())?;
    let test_metric = evaluator
        .evaluate(
            &model
                .best_model
                .transform(&test)
                .map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
    parent
        .log_metric("test_weightedPrecision", test_metric, 0)
        .map_err(|e| e.to_string())?;
    log_pipeline_model(&parent, &model.best_model, "model").map_err(|e| e.to_string())?;
    let run_id = parent.run_id().clone();
    parent.end().map_err(|e| e.to_string())?;

    println!("grid + refit: {:.1}s", start.elapsed().as_secs_f64());
    println!("best params: {}", model.best_params);
    println!(
        "best CV weightedPrecision: {:.4}",
        model.avg_metrics[model.best_index]
    );
    println!("test weightedPrecision: {test_metric:.4}");
    println!("run: {run_id}  (children: search \"params.maxDepth = '6'\")");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
