//! Exports what a learner-parity check against scikit-learn needs (see
//! `benches/tree_parity.py`): for one fold of example A's reference folds
//! (scikit-learn's `KFold(3, shuffle=True, random_state=42)`), the held-out
//! row indices, Cairn's split candidates on the training rows (tree seed 42)
//! and Cairn's predictions on the held-out rows and its tree (JSON), per
//! maxBins and maxDepth.
//!
//! Labels are the raw digits (no StringIndexer), so leaf ties break to the
//! lowest digit in both implementations and only the split search differs.
//!
//! ```text
//! cargo run --release -p cairn-ml --example tree_parity_export -- \
//!     [--data DIR] [--out DIR] [--fold 0] [--bins 2,32] [--depths 2,4,6]
//! ```

use cairn_ml::prelude::*;
use cairn_ml::tree::{SplitSampleRng, split_candidates};
use std::fmt::Write as _;

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

fn write(path: &str, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| MlError::param("--out", path, e.to_string()))
}

fn main() -> Result<()> {
    let dir = arg("--data").unwrap_or_else(|| "../shared/datasets".into());
    let out = arg("--out").unwrap_or_else(|| "/tmp/tree_parity".into());
    let fold: usize = arg("--fold").and_then(|f| f.parse().ok()).unwrap_or(0);
    std::fs::create_dir_all(&out).map_err(|e| MlError::param("--out", &out, e.to_string()))?;
    let opts = LibsvmOptions {
        num_features: Some(784),
    };
    let data = read_libsvm(format!("{dir}/mnist_train.libsvm.gz"), &opts)?;
    let folds = KFold {
        k: 3,
        shuffle: true,
        seed: 42,
        rng: FoldRng::NumpyLegacy,
    }
    .split(data.n_rows())?;
    let f = &folds[fold.min(2)];
    let (train, test) = (data.select(&f.train), data.select(&f.test));
    let idx: String = f.test.iter().map(|i| format!("{i}\n")).collect();
    write(&format!("{out}/test_rows.txt"), &idx)?;
    for bins in list("--bins", "2,32") {
        // One line per feature: its thresholds (shortest round-trip text).
        let cands = split_candidates(&train, bins as usize, 42, SplitSampleRng::Cairn);
        let mut text = String::new();
        for t in &cands {
            let line: Vec<String> = t.iter().map(|v| format!("{v:?}")).collect();
            let _ = writeln!(text, "{}", line.join(" "));
        }
        write(&format!("{out}/candidates_{bins}.txt"), &text)?;
        for depth in list("--depths", "2,4,6") {
            let model = DecisionTreeClassifier::new()
                .max_depth(depth)
                .max_bins(bins)
                .seed(42)
                .fit(&train)?;
            let pred = model.transform(&test)?;
            let p: String = pred
                .prediction()
                .unwrap_or_default()
                .iter()
                .map(|v| format!("{v}\n"))
                .collect();
            write(&format!("{out}/cairn_pred_{bins}_{depth}.txt"), &p)?;
            let tree = serde_json::to_string(&model.tree)
                .map_err(|e| MlError::param("tree", depth, e.to_string()))?;
            write(&format!("{out}/cairn_tree_{bins}_{depth}.json"), &tree)?;
            println!(
                "maxBins {bins} maxDepth {depth}: {} leaves, depth {}",
                model.tree.num_leaves(),
                model.tree.depth()
            );
        }
    }
    Ok(())
}
