//! Speed benchmarks for the ML targets (run in --release; not a unit test):
//!
//! ```text
//! cargo bench -p cairn-ml --bench ml_bench -- [--data DIR] [--repeats 5] [dt|rf|all]
//! ```
//!
//! - `dt`: DecisionTreeClassifier fit on MNIST 60k x 784, maxDepth 10, maxBins 32.
//! - `rf`: RandomForestClassifier, 100 trees, on California (binarized target,
//!   standardized), maxDepth 5 and 10, maxBins 32.
//!
//! Prints the median and all wall times per case.

use cairn_ml::prelude::*;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = after
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // fields after the command: state(skipped by parse) ppid ... utime is field 14 overall
    if f.len() > 12 {
        (f[10] + f[11]) / 100.0
    } else {
        f64::NAN
    }
}

fn time<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, Vec<f64>, T) {
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut last = None;
    for _ in 0..repeats {
        let (t, c) = (Instant::now(), cpu_seconds());
        last = Some(f());
        times.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - c);
    }
    println!("  cpu seconds per run: [{}]", fmt(&cpu));
    (median(times.clone()), times, last.expect("repeats >= 1"))
}

fn fmt(times: &[f64]) -> String {
    times
        .iter()
        .map(|t| format!("{t:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() -> Result<()> {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs bench
    // targets without it, and a benchmark is not a test: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "ml_bench: benchmark program; run it with `cargo bench -p cairn-ml --bench ml_bench`"
        );
        return Ok(());
    }
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let repeats: usize = arg("--repeats").and_then(|r| r.parse().ok()).unwrap_or(5);
    let which = std::env::args()
        .skip(1)
        .find(|a| ["dt", "rf", "all"].contains(&a.as_str()))
        .unwrap_or("all".into());
    println!("threads: {}", rayon::current_num_threads());
    if which == "dt" || which == "all" {
        let train = read_libsvm(
            format!("{dir}/mnist_train.libsvm.gz"),
            &LibsvmOptions {
                num_features: Some(784),
            },
        )?;
        let dt = DecisionTreeClassifier::new().max_depth(10).max_bins(32);
        let (med, times, model) = time(repeats, || dt.fit(&train));
        let model = model?;
        println!(
            "dt_mnist_fit depth10 bins32: median {med:.3}s  [{}]  leaves {}",
            fmt(&times),
            model.tree.num_leaves()
        );
    }
    if which == "rf" || which == "all" {
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
        for depth in [5, 10] {
            let rf = RandomForestClassifier::new()
                .num_trees(100)
                .max_depth(depth)
                .max_bins(32)
                .seed(0);
            let (med, times, model) = time(repeats, || rf.fit(&data));
            model?;
            println!(
                "rf_california_fit 100 trees depth{depth}: median {med:.3}s  [{}]",
                fmt(&times)
            );
        }
    }
    Ok(())
}
