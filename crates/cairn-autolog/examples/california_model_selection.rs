//! Example B, end to end: California housing (8 features), StandardScaler,
//! target binarized as 1 when above its mean, then a search over the
//! guide's conditional space — `hp.choice('classifier_type', [svm{C,
//! kernel}, rf{max_depth, criterion}, logreg{C, solver}])` — minimising
//! −(5-fold stratified, unshuffled CV accuracy) with trials evaluated in
//! parallel. The search is a parent run with one child run per trial holding
//! the trial's real parameter values; the best params are printed.
//!
//! ```text
//! cargo run --release -p cairn-autolog --example california_model_selection -- \
//!     [--data ../shared/datasets] [--evals 32] [--parallelism 2] [--seed 0] [--algo default|tpe|rand|anneal|default+FLAGS]
//! ```

use std::process::ExitCode;

use cairn_autolog::fmin_logged;
use cairn_client::{RunOptions, Tracking};
use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;
use cairn_ml::tuning::{FoldKind, make_folds};
use cairn_tune::{Algo, Expr, FminOptions, Space, TrialResult, Trials, Value, hp};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match arg(name) {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: '{v}' is not a valid number")),
        None => Ok(default),
    }
}

/// The guide's space. C is capped at 1000 when used, as the reference did
/// (uncapped lognormal draws make single SVC fits take minutes).
fn space() -> Space {
    Space::new(hp::choice(
        "classifier_type",
        [
            Expr::map([
                ("type", Expr::from("svm")),
                ("C", hp::lognormal("SVM_C", 0.0, 1.0)),
                ("kernel", hp::choice("kernel", ["linear", "rbf"])),
            ]),
            Expr::map([
                ("type", Expr::from("rf")),
                ("max_depth", hp::quniform("max_depth", 2.0, 5.0, 1.0)),
                ("criterion", hp::choice("criterion", ["gini", "entropy"])),
            ]),
            Expr::map([
                ("type", Expr::from("logreg")),
                ("C", hp::lognormal("LR_C", 0.0, 1.0)),
                ("solver", hp::choice("solver", ["liblinear", "lbfgs"])),
            ]),
        ],
    ))
    .expect("the example's space is valid")
}

fn stage(p: &Value) -> Option<Stage> {
    let c = || p["C"].as_f64().map(|c| c.min(1000.0));
    Some(match p["type"].as_str()? {
        "svm" => Svc::new().kernel(p["kernel"].as_str()?).c(c()?).into(),
        "rf" => RandomForestClassifier::new()
            .num_trees(100)
            .max_depth(p["max_depth"].as_f64()? as i64)
            .impurity(p["criterion"].as_str()?)
            .seed(0)
            .into(),
        "logreg" => LogisticRegression::new()
            .c(c()?)
            .solver(p["solver"].as_str()?)
            .into(),
        _ => return None,
    })
}

thread_local! {
    /// The rayon pool a trial's CV runs in when trials run in parallel: one
    /// per fmin worker, as many threads as cores, so that a trial running
    /// alone (the search's last one, or next to a quick forest) still uses
    /// every core for its folds, while trials never queue behind each other.
    static TRIAL_POOL: Option<rayon::ThreadPool> = rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
        .build()
        .ok();
}

fn run() -> Result<(), String> {
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let evals: usize = number("--evals", 32)?;
    let parallelism: usize = number("--parallelism", 2)?;
    let seed: u64 = number("--seed", 0)?;
    let algo_name = arg("--algo").unwrap_or_else(|| "default".into());
    let algo = Algo::from_name(&algo_name).ok_or_else(|| {
        format!(
            "--algo: '{algo_name}' is not one of default, tpe, rand, anneal \
             (or default+flag ablations such as default+no-quad)"
        )
    })?;

    let mut tracking = Tracking::from_env().map_err(|e| e.to_string())?;
    tracking
        .set_experiment("california-model-selection")
        .map_err(|e| e.to_string())?;

    let raw = read_csv(
        format!("{dir}/california_housing.csv"),
        &CsvOptions::with_label("MedHouseVal"),
    )
    .map_err(|e| e.to_string())?;
    let y = raw.require_label().map_err(|e| e.to_string())?;
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let prep = Pipeline::new()
        .named(
            "target",
            Binarizer::new().input_col("label").threshold(mean),
        )
        .named(
            "scaler",
            StandardScaler::new().with_mean(true).with_std(true),
        )
        .fit(&raw)
        .map_err(|e| e.to_string())?;
    let data = prep.transform(&raw).map_err(|e| e.to_string())?;
    let folds = make_folds(&data, 5, FoldKind::Stratified, 0).map_err(|e| e.to_string())?;
    let evaluator =
        MulticlassClassificationEvaluator::new("accuracy").map_err(|e| e.to_string())?;
    println!(
        "{} rows, label = MedHouseVal > {mean:.4}; {evals} evaluations, {parallelism} in parallel",
        data.n_rows()
    );

    let run_trial = |p: &Value| -> TrialResult {
        let Some(stage) = stage(p) else {
            return TrialResult::fail(format!("not a model of the space: {p}"));
        };
        let pipeline = Pipeline::new().named("model", stage);
        match cross_val_score(&pipeline, &data, &evaluator, &folds) {
            Ok(scores) => TrialResult::ok(-scores.iter().sum::<f64>() / scores.len() as f64),
            Err(e) => TrialResult::fail(e.to_string()),
        }
    };
    // Left alone, the CV folds inside every trial (rayon, in cairn-ml) would
    // all share rayon's global pool, so a short trial's folds queue behind
    // another trial's long SVC fold and cores idle while trials wait on each
    // other. A pool per worker keeps the trials apart; the OS shares the
    // cores between the pools' threads.
    let objective = |p: &Value| -> TrialResult {
        if parallelism == 1 {
            return run_trial(p);
        }
        TRIAL_POOL.with(|pool| match pool {
            Some(pool) => pool.install(|| run_trial(p)),
            None => run_trial(p),
        })
    };
    let space = space();
    let mut trials = Trials::new();
    let options = FminOptions::new()
        .algo(algo)
        .max_evals(evals)
        .seed(seed)
        .parallelism(parallelism)
        .show_progressbar(true);
    let (outcome, parent) = fmin_logged(
        objective,
        &space,
        &mut trials,
        options,
        &tracking,
        RunOptions::new().name("model-selection"),
    )
    .map_err(|e| e.to_string())?;

    println!("best CV accuracy: {:.4}", -outcome.best_loss);
    println!("best params: {}", outcome.best);
    println!(
        "search run: {parent}  ({} trial runs nested under it)",
        trials.len()
    );
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
