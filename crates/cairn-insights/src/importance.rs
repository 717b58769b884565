//! Hyperparameter importance: mean decrease in impurity of a random forest.
//!
//! Each parameter is a column of optional numbers (a trial may lack a
//! conditional parameter). [`encode_param`] turns logged parameter text into
//! such a column: numbers stay numbers, other values become categories
//! ordered by their mean objective (so one threshold split can separate good
//! from bad categories). [`importance`] fits `trees` regression trees on
//! bootstrap samples (deterministic SplitMix64 seed), sums each parameter's
//! weighted variance reduction over all splits, and normalises the sums to 1.
//! Missing values are placed below every present value.

/// Forest settings.
#[derive(Debug, Clone, Copy)]
pub struct ForestOptions {
    /// Number of trees.
    pub trees: usize,
    /// Maximum depth of a tree.
    pub max_depth: usize,
    /// Minimum number of samples in a leaf.
    pub min_leaf: usize,
    /// Seed of the bootstrap and feature sampling.
    pub seed: u64,
}

impl Default for ForestOptions {
    fn default() -> Self {
        ForestOptions {
            trees: 64,
            max_depth: 8,
            min_leaf: 2,
            seed: 0x5eed_ca1f,
        }
    }
}

/// Encode one parameter's logged values as numbers: if every present value
/// parses as a finite number they are used as is; otherwise each distinct
/// value becomes its rank by mean objective (`y`).
pub fn encode_param(values: &[Option<&str>], y: &[f64]) -> Vec<Option<f64>> {
    let numeric: Option<Vec<Option<f64>>> = values
        .iter()
        .map(|v| match v {
            None => Some(None),
            Some(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some),
        })
        .collect();
    if let Some(n) = numeric {
        return n;
    }
    let mut cats: Vec<(&str, f64, usize)> = Vec::new();
    for (v, &t) in values.iter().zip(y) {
        if let Some(s) = v {
            match cats.iter_mut().find(|c| c.0 == *s) {
                Some(c) => {
                    c.1 += t;
                    c.2 += 1;
                }
                None => cats.push((s, t, 1)),
            }
        }
    }
    cats.sort_by(|a, b| {
        (a.1 / a.2 as f64)
            .total_cmp(&(b.1 / b.2 as f64))
            .then(a.0.cmp(b.0))
    });
    values
        .iter()
        .map(|v| v.and_then(|s| cats.iter().position(|c| c.0 == s).map(|i| i as f64)))
        .collect()
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Importance of each column (same order as `columns`) for objective `y`;
/// the values are ≥ 0 and sum to 1, or are all 0 when nothing can be split
/// (fewer than 2 trials, a constant objective, constant parameters).
/// Non-finite objective values are ignored.
pub fn importance(columns: &[Vec<Option<f64>>], y: &[f64], opts: ForestOptions) -> Vec<f64> {
    let p = columns.len();
    let mut total = vec![0.0; p];
    let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
    if p == 0 || rows.len() < 2 {
        return total;
    }
    // Dense matrix with missing values below every present one.
    let x: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let min = c.iter().flatten().copied().fold(f64::INFINITY, f64::min);
            let missing = if min.is_finite() { min - 1.0 } else { 0.0 };
            c.iter().map(|v| v.unwrap_or(missing)).collect()
        })
        .collect();
    let mut rng = SplitMix(opts.seed);
    let mtry = p.div_ceil(2).max(1).min(p);
    for _ in 0..opts.trees.max(1) {
        let sample: Vec<usize> = (0..rows.len())
            .map(|_| rows[rng.below(rows.len())])
            .collect();
        grow(&x, y, sample, 0, &opts, mtry, &mut rng, &mut total);
    }
    let sum: f64 = total.iter().sum();
    if sum > 0.0 {
        for t in &mut total {
            *t /= sum;
        }
    }
    total
}

fn sse(y: &[f64], idx: &[usize]) -> f64 {
    let n = idx.len() as f64;
    let mean = idx.iter().map(|&i| y[i]).sum::<f64>() / n;
    idx.iter().map(|&i| (y[i] - mean).powi(2)).sum()
}

#[allow(clippy::too_many_arguments)]
fn grow(
    x: &[Vec<f64>],
    y: &[f64],
    idx: Vec<usize>,
    depth: usize,
    opts: &ForestOptions,
    mtry: usize,
    rng: &mut SplitMix,
    total: &mut [f64],
) {
    let n = idx.len();
    if depth >= opts.max_depth || n < 2 * opts.min_leaf.max(1) {
        return;
    }
    let parent = sse(y, &idx);
    if parent <= 1e-12 * n as f64 {
        return;
    }
    // Random subset of features (partial Fisher-Yates).
    let mut feats: Vec<usize> = (0..x.len()).collect();
    for i in 0..mtry {
        let j = i + rng.below(feats.len() - i);
        feats.swap(i, j);
    }
    let min_leaf = opts.min_leaf.max(1);
    let mut best: Option<(f64, usize, f64)> = None; // (gain, feature, threshold)
    let mut order = idx.clone();
    for &f in &feats[..mtry] {
        let col = &x[f];
        order.sort_by(|&a, &b| col[a].total_cmp(&col[b]));
        let (mut sum_l, mut sq_l) = (0.0, 0.0);
        let sum_all: f64 = order.iter().map(|&i| y[i]).sum();
        let sq_all: f64 = order.iter().map(|&i| y[i] * y[i]).sum();
        for k in 0..n - 1 {
            let v = y[order[k]];
            sum_l += v;
            sq_l += v * v;
            let nl = (k + 1) as f64;
            let nr = (n - k - 1) as f64;
            if k + 1 < min_leaf || n - k - 1 < min_leaf || col[order[k]] == col[order[k + 1]] {
                continue;
            }
            let sse_l = sq_l - sum_l * sum_l / nl;
            let sum_r = sum_all - sum_l;
            let sse_r = (sq_all - sq_l) - sum_r * sum_r / nr;
            let gain = parent - sse_l - sse_r;
            if best.is_none_or(|b| gain > b.0) {
                best = Some((gain, f, (col[order[k]] + col[order[k + 1]]) / 2.0));
            }
        }
    }
    let Some((gain, f, threshold)) = best else {
        return;
    };
    if gain <= 0.0 {
        return;
    }
    total[f] += gain;
    let (left, right): (Vec<usize>, Vec<usize>) =
        idx.into_iter().partition(|&i| x[f][i] <= threshold);
    grow(x, y, left, depth + 1, opts, mtry, rng, total);
    grow(x, y, right, depth + 1, opts, mtry, rng, total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_parameter_that_drives_the_loss_ranks_first() {
        let mut s = 42;
        let n = 60;
        let lr: Vec<f64> = (0..n).map(|_| lcg(&mut s)).collect();
        let depth: Vec<f64> = (0..n).map(|_| (lcg(&mut s) * 10.0).floor()).collect();
        let noise: Vec<f64> = (0..n).map(|_| lcg(&mut s)).collect();
        let loss: Vec<f64> = (0..n)
            .map(|i| (lr[i] - 0.3).powi(2) * 10.0 + 0.05 * depth[i] / 10.0 + 0.01 * noise[i])
            .collect();
        let cols = vec![
            noise.iter().map(|&v| Some(v)).collect(),
            depth.iter().map(|&v| Some(v)).collect(),
            lr.iter().map(|&v| Some(v)).collect(),
        ];
        let imp = importance(&cols, &loss, ForestOptions::default());
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(imp[2] > 0.6, "{imp:?}");
        assert!(imp[2] > imp[1] && imp[2] > imp[0], "{imp:?}");
        // (MDI is biased towards many-valued features, so the weak `depth`
        // effect is not asserted to beat continuous noise.)
        // deterministic
        assert_eq!(imp, importance(&cols, &loss, ForestOptions::default()));
    }

    #[test]
    fn categorical_and_missing_values_work() {
        let kinds = ["tree", "linear", "forest"];
        let vals: Vec<Option<&str>> = (0..30).map(|i| Some(kinds[i % 3])).collect();
        let y: Vec<f64> = (0..30)
            .map(|i| {
                if i % 3 == 1 {
                    1.0
                } else {
                    0.1 * (i % 2) as f64
                }
            })
            .collect();
        let enc = encode_param(&vals, &y);
        // "linear" has the highest mean loss, so the highest code
        assert_eq!(enc[1], Some(2.0));
        let other: Vec<Option<f64>> = (0..30)
            .map(|i| if i % 5 == 0 { None } else { Some(1.0) })
            .collect();
        let imp = importance(&[enc, other], &y, ForestOptions::default());
        assert!(imp[0] > imp[1], "{imp:?}");
        assert_eq!(
            encode_param(&[Some("1.5"), None], &[0.0, 0.0]),
            vec![Some(1.5), None]
        );
    }

    #[test]
    fn degenerate_inputs_give_zeros() {
        assert_eq!(
            importance(&[], &[1.0, 2.0], ForestOptions::default()),
            Vec::<f64>::new()
        );
        let col = vec![vec![Some(1.0), Some(2.0), Some(3.0)]];
        assert_eq!(
            importance(&col, &[1.0, 1.0, 1.0], ForestOptions::default()),
            vec![0.0]
        );
        assert_eq!(
            importance(&col, &[1.0], ForestOptions::default()),
            vec![0.0]
        );
    }
}
