//! Times one SVC fit on 4/5 of California (standardized, binarized target).
//! `cargo run --release -p cairn-ml --example svc_one_fit -- [--data DIR] [--folds] [C] [kernel] [cacheSize MB]`
//! With `--folds`, fits and scores all five folds one after the other (as
//! one trial of example B does on one thread).
use cairn_ml::prelude::*;
use std::time::Instant;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .iter()
        .position(|a| a == "--data")
        .map_or("../shared/datasets".to_string(), |i| args[i + 1].clone());
    let free: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with("--") && **a != dir)
        .collect();
    let c: f64 = free.first().and_then(|v| v.parse().ok()).unwrap_or(1.0);
    let kernel = free.get(1).map_or("rbf", |s| s.as_str());
    let cache_mb: Option<f64> = free.get(2).and_then(|v| v.parse().ok());
    let raw = read_csv(
        format!("{dir}/california_housing.csv"),
        &CsvOptions::with_label("MedHouseVal"),
    )?;
    let mean = raw.require_label()?.iter().sum::<f64>() / raw.n_rows() as f64;
    let prep = Pipeline::new()
        .named(
            "target",
            Binarizer::new().input_col("label").threshold(mean),
        )
        .named("scaler", StandardScaler::new().with_mean(true))
        .fit(&raw)?;
    let data = prep.transform(&raw)?;
    let folds = make_folds(&data, 5, FoldKind::Stratified, 0)?;
    let all = args.iter().any(|a| a == "--folds");
    for fold in folds.iter().take(if all { folds.len() } else { 1 }) {
        let train = data.select(&fold.train);
        let t = Instant::now();
        let mut svc = Svc::new().c(c).kernel(kernel);
        if let Some(mb) = cache_mb {
            svc.cache_size = mb;
        }
        let m = svc.fit(&train)?;
        println!(
            "SVC C={c} {kernel}: fit {:.2}s, {} support vectors",
            t.elapsed().as_secs_f64(),
            m.num_support_vectors()
        );
        let test = data.select(&fold.test);
        let t = Instant::now();
        let out = m.transform(&test)?;
        let acc = out
            .prediction()
            .unwrap_or_default()
            .iter()
            .zip(test.label().unwrap_or_default())
            .filter(|(p, y)| p == y)
            .count() as f64
            / test.n_rows() as f64;
        println!(
            "predict {} rows: {:.2}s, accuracy {acc:.4}",
            test.n_rows(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
