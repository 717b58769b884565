//! Example B's objective without tracking or tuning: California housing,
//! StandardScaler (fit on all rows), label = 1 when MedHouseVal is above its
//! mean, then the cross-validated accuracy (StratifiedKFold(5) without
//! shuffling, as scikit-learn's `cross_val_score`) of a few fixed
//! configurations of the three model families of the search space.
//!
//! ```text
//! cargo run --release -p cairn-ml --example california_objective_untracked -- [--data DIR] [--quick]
//! ```

use cairn_ml::evaluation::MulticlassClassificationEvaluator;
use cairn_ml::prelude::*;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The objective a tuner minimises: -(mean CV accuracy) of `stage` on `data`.
fn objective(
    stage: Stage,
    data: &Dataset,
    folds: &[Fold],
    evaluator: &dyn Evaluator,
) -> Result<f64> {
    let pipeline = Pipeline::new().named("model", stage);
    let scores = cross_val_score(&pipeline, data, evaluator, folds)?;
    Ok(-scores.iter().sum::<f64>() / scores.len() as f64)
}

fn main() -> Result<()> {
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let quick = std::env::args().any(|a| a == "--quick");
    let raw = read_csv(
        format!("{dir}/california_housing.csv"),
        &CsvOptions::with_label("MedHouseVal"),
    )?;
    let y = raw.require_label()?;
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    // scikit-learn's StandardScaler centres and scales, fitted on all rows.
    let prep = Pipeline::new()
        .named(
            "target",
            Binarizer::new().input_col("label").threshold(mean),
        )
        .named(
            "scaler",
            StandardScaler::new().with_mean(true).with_std(true),
        )
        .fit(&raw)?;
    let data = prep.transform(&raw)?;
    let positives = data.require_label()?.iter().sum::<f64>();
    println!(
        "{} rows, threshold {mean:.6}, {positives} positives",
        data.n_rows()
    );
    let folds = make_folds(&data, 5, FoldKind::Stratified, 0)?;
    let evaluator = MulticlassClassificationEvaluator::new("accuracy")?;

    let mut candidates: Vec<(String, Stage)> = vec![
        (
            "logreg C=10 lbfgs".into(),
            LogisticRegression::new().c(10.0).solver("lbfgs").into(),
        ),
        (
            "logreg C=1 liblinear".into(),
            LogisticRegression::new().c(1.0).solver("liblinear").into(),
        ),
        (
            "rf max_depth=5 gini".into(),
            RandomForestClassifier::new()
                .num_trees(100)
                .max_depth(5)
                .impurity("gini")
                .seed(0)
                .into(),
        ),
        (
            "rf max_depth=5 entropy".into(),
            RandomForestClassifier::new()
                .num_trees(100)
                .max_depth(5)
                .impurity("entropy")
                .seed(0)
                .into(),
        ),
        ("svm rbf C=1".into(), Svc::new().kernel("rbf").c(1.0).into()),
    ];
    if !quick {
        candidates.push(("svm rbf C=5".into(), Svc::new().kernel("rbf").c(5.0).into()));
        candidates.push((
            "svm linear C=1".into(),
            Svc::new().kernel("linear").c(1.0).into(),
        ));
    }
    let mut best: Option<(String, f64)> = None;
    for (name, stage) in candidates {
        let t = Instant::now();
        let loss = objective(stage, &data, &folds, &evaluator)?;
        println!(
            "{name:<24} CV accuracy {:.4}  ({:.1}s)",
            -loss,
            t.elapsed().as_secs_f64()
        );
        if best.as_ref().is_none_or(|(_, b)| loss < *b) {
            best = Some((name, loss));
        }
    }
    if let Some((name, loss)) = best {
        println!("best: {name} with CV accuracy {:.4}", -loss);
    }
    Ok(())
}
