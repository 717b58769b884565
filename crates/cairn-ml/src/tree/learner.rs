//! The binned (histogram) tree learner shared by the decision trees and forests.
//!
//! Why hand-written rather than a crate: Spark's `maxBins` semantics (split
//! candidates from approximate quantiles of a row sample, recomputed per
//! training set; `value <= threshold` goes left; `maxDepth` with root = 0;
//! `minInstancesPerNode`, `minInfoGain`; per-node feature subsets for forests)
//! exist in no Rust crate (linfa-trees and smartcore do exact splits), and
//! example A's quality target is defined by them. Binning also makes the fit
//! fast: every feature is binned once into a column-major `u8`/`u16` matrix,
//! and a node's best split is a scan over per-(feature, bin) class histograms.
//!
//! Algorithm: depth-first with an explicit stack. A node owns a contiguous
//! range of a row-index array, kept in ascending order by a stable partition
//! (so histogram builds read bin columns nearly sequentially). When all
//! features are candidates, only the smaller child's histogram is built; the
//! larger one is the parent's minus it ("subtraction trick"). Nodes that cannot
//! split (max depth, pure, too few rows) never get a histogram.

use crate::data::{Dataset, sub_seed};
use crate::numpy_compat::generator::Generator;
use rand::Rng as _;
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Impurity measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Impurity {
    /// Gini impurity `1 - sum p^2` (classification).
    Gini,
    /// Entropy `-sum p log2 p` (classification).
    Entropy,
    /// Variance (regression).
    Variance,
}

impl Impurity {
    /// Spark's name.
    pub fn name(self) -> &'static str {
        match self {
            Impurity::Gini => "gini",
            Impurity::Entropy => "entropy",
            Impurity::Variance => "variance",
        }
    }
    /// Impurity of a stats slice: class weights, or `[w, sum wy, sum wy^2]`.
    #[inline]
    pub(crate) fn of(self, stats: &[f64]) -> f64 {
        match self {
            Impurity::Variance => {
                let w = stats[0];
                if w <= 0.0 {
                    return 0.0;
                }
                let m = stats[1] / w;
                (stats[2] / w - m * m).max(0.0)
            }
            Impurity::Gini => {
                let w: f64 = stats.iter().sum();
                if w <= 0.0 {
                    return 0.0;
                }
                1.0 - stats.iter().map(|c| (c / w) * (c / w)).sum::<f64>()
            }
            Impurity::Entropy => {
                let w: f64 = stats.iter().sum();
                if w <= 0.0 {
                    return 0.0;
                }
                -stats
                    .iter()
                    .filter(|&&c| c > 0.0)
                    .map(|c| (c / w) * (c / w).log2())
                    .sum::<f64>()
            }
        }
    }
}

/// Weight (instance count) of a stats slice.
#[inline]
fn weight_of(regression: bool, stats: &[f64]) -> f64 {
    if regression {
        stats[0]
    } else {
        stats.iter().sum()
    }
}

/// The generator behind the Bernoulli row sample that split candidates are
/// computed from (param `splitSampleRng`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SplitSampleRng {
    /// Cairn's seeded generator (the default).
    #[default]
    Cairn,
    /// numpy's `default_rng(seed)`: row `i` is kept when the `i`-th value of
    /// `default_rng(seed).random(n)` is below the fraction, so a scikit-learn
    /// emulation of Spark's binning that draws its sample that way gets the
    /// very same candidates from the same seed.
    Numpy,
}

impl SplitSampleRng {
    /// The param value (`cairn` or `numpy`).
    pub fn as_str(self) -> &'static str {
        match self {
            SplitSampleRng::Cairn => "cairn",
            SplitSampleRng::Numpy => "numpy",
        }
    }
}

/// Split candidates as Spark computes them for continuous features.
///
/// The rows are Bernoulli-sampled to about `max(maxBins^2, 10000)`; per feature
/// the sorted distinct sampled values with their counts are taken. With at most
/// `maxBins` distinct values every midpoint is a candidate; otherwise the values
/// are walked with stride `numSamples / maxBins` and, each time the running
/// count passes the next target, the midpoint closest to it is emitted. A
/// feature constant in the sample has no candidate.
///
/// The Bernoulli draw keeps row `i` when the `i`-th uniform of the generator
/// is below the fraction: Cairn's generator on a sub-seed of `seed`, or
/// numpy's `default_rng(seed).random(n) < fraction` ([`SplitSampleRng`]).
pub(crate) fn find_thresholds(
    data: &Dataset,
    max_bins: usize,
    seed: u64,
    sample_rng: SplitSampleRng,
) -> Vec<Vec<f64>> {
    let n = data.n_rows();
    let required = (max_bins * max_bins).max(10_000);
    // Spark counts zeros as the *expected* sample size minus the sampled
    // non-zero values (its sampling works on sparse vectors), so the zero count
    // and the stride use floor(fraction * n), not the Bernoulli draw's size.
    let (rows, expected): (Vec<usize>, usize) = if required < n {
        let fraction = required as f64 / n as f64;
        let rows = match sample_rng {
            SplitSampleRng::Cairn => {
                let mut rng = crate::data::rng(sub_seed(seed, 0x5EED));
                (0..n).filter(|_| rng.random::<f64>() < fraction).collect()
            }
            SplitSampleRng::Numpy => {
                let mut rng = Generator::new(seed);
                (0..n).filter(|_| rng.random() < fraction).collect()
            }
        };
        (rows, (fraction * n as f64) as usize)
    } else {
        ((0..n).collect(), n)
    };
    let num_splits = max_bins - 1;
    let d = data.n_features();
    // Gather the sampled values per feature, reading rows in feature groups
    // (row-major data: one contiguous slice per row and group).
    let columns: Vec<Vec<f64>> = (0..d.div_ceil(GROUP))
        .into_par_iter()
        .flat_map_iter(|g| {
            let (j0, j1) = (g * GROUP, ((g + 1) * GROUP).min(d));
            let mut cols: Vec<Vec<f64>> =
                (j0..j1).map(|_| Vec::with_capacity(rows.len())).collect();
            for &i in &rows {
                for (c, &v) in cols.iter_mut().zip(&data.row(i)[j0..j1]) {
                    c.push(v);
                }
            }
            cols
        })
        .collect();
    columns
        .into_par_iter()
        .map(|mut vals| {
            vals.retain(|&v| v != 0.0);
            vals.sort_unstable_by(f64::total_cmp);
            let mut counts: Vec<(f64, usize)> = Vec::new();
            for v in vals.iter().copied() {
                match counts.last_mut() {
                    Some((last, c)) if *last == v => *c += 1,
                    _ => counts.push((v, 1)),
                }
            }
            let zeros = expected.saturating_sub(vals.len());
            if zeros > 0 {
                let at = counts.partition_point(|(v, _)| *v < 0.0);
                counts.insert(at, (0.0, zeros));
            }
            let possible = counts.len().saturating_sub(1);
            if possible == 0 {
                return Vec::new();
            }
            if possible <= num_splits {
                return counts.windows(2).map(|w| (w[0].0 + w[1].0) / 2.0).collect();
            }
            let total: usize = counts.iter().map(|(_, c)| c).sum();
            let stride = total as f64 / (num_splits + 1) as f64;
            let mut out = Vec::with_capacity(num_splits);
            let mut current = counts[0].1 as f64;
            let mut target = stride;
            for idx in 1..counts.len() {
                let previous = current;
                current += counts[idx].1 as f64;
                if (previous - target).abs() < (current - target).abs() {
                    out.push((counts[idx - 1].0 + counts[idx].0) / 2.0);
                    target += stride;
                }
            }
            out
        })
        .collect()
}

/// Features per block when reading row-major data column by column.
const GROUP: usize = 16;

/// The bin of `x`: the number of thresholds below it (`x <= t` goes left of `t`).
/// Short threshold lists are counted branch-free (vectorisable); long ones
/// are binary-searched.
#[inline]
fn bin_of(t: &[f64], x: f64) -> usize {
    if t.len() <= 64 {
        t.iter().map(|&th| usize::from(th < x)).sum()
    } else {
        t.partition_point(|&th| th < x)
    }
}

/// A bin index type (`u8` when every feature has at most 256 bins, else `u16`).
pub(crate) trait Bin: Copy + Default + Send + Sync + 'static {
    fn from_usize(v: usize) -> Self;
    fn idx(self) -> usize;
}
impl Bin for u8 {
    #[inline]
    fn from_usize(v: usize) -> Self {
        v as u8
    }
    #[inline]
    fn idx(self) -> usize {
        self as usize
    }
}
impl Bin for u16 {
    #[inline]
    fn from_usize(v: usize) -> Self {
        v as u16
    }
    #[inline]
    fn idx(self) -> usize {
        self as usize
    }
}

/// Features binned against their thresholds, column-major.
#[derive(Debug)]
pub(crate) struct Binned<B> {
    n_rows: usize,
    cols: Vec<B>,
    thresholds: Vec<Vec<f64>>,
    max_bins: usize,
}

impl<B: Bin> Binned<B> {
    pub(crate) fn new(data: &Dataset, thresholds: Vec<Vec<f64>>) -> Self {
        let n = data.n_rows();
        let d = data.n_features();
        let mut cols: Vec<B> = vec![B::from_usize(0); n * d];
        // Sparse data (MNIST is ~81 % zeros): the bin of 0.0 per feature, once.
        let zero_bins: Vec<usize> = thresholds.iter().map(|t| bin_of(t, 0.0)).collect();
        // Feature groups of GROUP columns: each task reads one short contiguous
        // slice per row and writes GROUP column-major runs.
        cols.par_chunks_mut((n * GROUP).max(1))
            .enumerate()
            .for_each(|(g, block)| {
                let j0 = g * GROUP;
                let width = block.len() / n.max(1);
                for i in 0..n {
                    let row = &data.row(i)[j0..j0 + width];
                    for (k, &x) in row.iter().enumerate() {
                        let t = &thresholds[j0 + k];
                        if !t.is_empty() && x != 0.0 {
                            block[k * n + i] = B::from_usize(bin_of(t, x));
                        } else if !t.is_empty() {
                            block[k * n + i] = B::from_usize(zero_bins[j0 + k]);
                        }
                    }
                }
            });
        let max_bins = thresholds.iter().map(|t| t.len() + 1).max().unwrap_or(1);
        Binned {
            n_rows: n,
            cols,
            thresholds,
            max_bins,
        }
    }
    #[inline]
    fn col(&self, j: usize) -> &[B] {
        &self.cols[j * self.n_rows..(j + 1) * self.n_rows]
    }
    fn n_features(&self) -> usize {
        self.thresholds.len()
    }
}

/// The training target.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    /// Class indices `0..k`.
    Class { y: &'a [u32], k: usize },
    /// Real values.
    Real { y: &'a [f64] },
}

impl Target<'_> {
    fn stride(&self) -> usize {
        match self {
            Target::Class { k, .. } => *k,
            Target::Real { .. } => 3,
        }
    }
    #[inline]
    fn add(&self, stats: &mut [f64], r: usize, w: f64) {
        match self {
            Target::Class { y, .. } => stats[y[r] as usize] += w,
            Target::Real { y } => {
                let v = y[r];
                stats[0] += w;
                stats[1] += w * v;
                stats[2] += w * v * v;
            }
        }
    }
}

/// Growth settings (already validated).
#[derive(Clone, Debug)]
pub(crate) struct GrowConfig {
    pub max_depth: usize,
    pub min_instances: f64,
    pub min_info_gain: f64,
    pub impurity: Impurity,
    /// Features tried per node; `None` = all (enables the subtraction trick).
    pub features_per_node: Option<usize>,
    pub seed: u64,
    /// Build histograms in parallel over features (single trees; forests
    /// parallelise over trees instead).
    pub parallel: bool,
}

/// A tree node. Leaves hold the prediction and the normalised class
/// distribution (empty for regression).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// Internal node: rows with `x[feature] <= threshold` go to `left`.
    Split {
        /// Feature index.
        feature: usize,
        /// Threshold.
        threshold: f64,
        /// Left child (node index).
        left: usize,
        /// Right child (node index).
        right: usize,
        /// Information gain of the split.
        gain: f64,
    },
    /// Leaf.
    Leaf {
        /// Predicted class index or mean value.
        value: f64,
        /// Class probabilities (classification only).
        dist: Vec<f64>,
    },
}

/// A fitted tree: nodes in a flat array, root at index 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes; children always have larger indices than their parent.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf reached by `x`.
    pub fn leaf(&self, x: &[f64]) -> &Node {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                    ..
                } => {
                    i = if x[*feature] <= *threshold {
                        *left
                    } else {
                        *right
                    };
                }
                leaf => return leaf,
            }
        }
    }
    /// Checks the structure of a tree read from outside (a saved model), so
    /// that predicting with it cannot index out of bounds or loop: children
    /// come after their parent and exist, features exist, and leaves carry
    /// `num_classes` probabilities and a class below it (classification) or no
    /// distribution (regression, `num_classes` = `None`).
    pub(crate) fn validate(
        &self,
        num_features: usize,
        num_classes: Option<usize>,
    ) -> std::result::Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Split {
                    feature,
                    left,
                    right,
                    ..
                } => {
                    if *feature >= num_features {
                        return Err(format!(
                            "node {i} splits on feature {feature}, the model has {num_features}"
                        ));
                    }
                    if *left <= i || *right <= i || *left >= n || *right >= n {
                        return Err(format!(
                            "node {i} has children {left} and {right}, not after it among {n} nodes"
                        ));
                    }
                }
                Node::Leaf { value, dist } => match num_classes {
                    Some(k) if dist.len() != k || !(*value >= 0.0 && *value < k as f64) => {
                        return Err(format!(
                            "leaf {i} predicts {value} with {} probabilities, the model has {k} classes",
                            dist.len()
                        ));
                    }
                    None if !dist.is_empty() => {
                        return Err(format!(
                            "leaf {i} of a regression tree has class probabilities"
                        ));
                    }
                    _ => {}
                },
            }
        }
        Ok(())
    }
    /// Depth of the tree (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        fn go(t: &Tree, i: usize) -> usize {
            match &t.nodes[i] {
                Node::Split { left, right, .. } => 1 + go(t, *left).max(go(t, *right)),
                Node::Leaf { .. } => 0,
            }
        }
        go(self, 0)
    }
    /// Number of leaves.
    pub fn num_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
}

/// A grown tree plus, for every internal node, the leaf it would have been
/// had growth stopped there, so that shallower trees can be cut from it.
///
/// Cutting is exact: a node's split depends only on its own rows (never on
/// `maxDepth`, which only decides whether the node may split at all), and
/// [`Grown::truncated`] numbers nodes in the grower's own order, so the cut
/// tree equals the one grown directly with the smaller `maxDepth` (tested).
#[derive(Debug)]
pub(crate) struct Grown {
    pub(crate) tree: Tree,
    stopped: Vec<Option<Node>>,
}

impl Grown {
    /// The tree that growing with `max_depth` (at most the depth this one was
    /// grown with) produces.
    pub(crate) fn truncated(&self, max_depth: usize) -> Tree {
        let mut nodes = vec![self.tree.nodes[0].clone()];
        // (new id, old id, depth), visited in the grower's order: pop, then
        // children get the next two ids, left child processed first.
        let mut stack = vec![(0usize, 0usize, 0usize)];
        while let Some((new, old, depth)) = stack.pop() {
            match &self.tree.nodes[old] {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                    gain,
                } if depth < max_depth => {
                    let (l, r) = (nodes.len(), nodes.len() + 1);
                    nodes.push(self.tree.nodes[*left].clone());
                    nodes.push(self.tree.nodes[*right].clone());
                    nodes[new] = Node::Split {
                        feature: *feature,
                        threshold: *threshold,
                        left: l,
                        right: r,
                        gain: *gain,
                    };
                    stack.push((r, *right, depth + 1));
                    stack.push((l, *left, depth + 1));
                }
                Node::Split { .. } => {
                    nodes[new] = self.stopped[old].clone().unwrap_or_else(|| Node::Leaf {
                        value: 0.0,
                        dist: Vec::new(),
                    });
                }
                leaf => nodes[new] = leaf.clone(),
            }
        }
        Tree { nodes }
    }
}

struct Work {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    totals: Vec<f64>,
    /// Full-feature histogram, when known from the parent.
    hist: Option<Vec<f64>>,
}

struct Grower<'a, B> {
    binned: &'a Binned<B>,
    target: Target<'a>,
    weights: Option<&'a [f64]>,
    cfg: &'a GrowConfig,
    stride: usize,
    regression: bool,
}

impl<B: Bin> Grower<'_, B> {
    fn leaf(&self, totals: &[f64]) -> Node {
        if self.regression {
            let w = totals[0];
            Node::Leaf {
                value: if w > 0.0 { totals[1] / w } else { 0.0 },
                dist: Vec::new(),
            }
        } else {
            let w: f64 = totals.iter().sum();
            let mut best = 0;
            for (c, &v) in totals.iter().enumerate() {
                if v > totals[best] {
                    best = c;
                }
            }
            let dist = totals
                .iter()
                .map(|&v| if w > 0.0 { v / w } else { 0.0 })
                .collect();
            Node::Leaf {
                value: best as f64,
                dist,
            }
        }
    }

    fn can_split(&self, depth: usize, totals: &[f64]) -> bool {
        depth < self.cfg.max_depth
            && self.cfg.impurity.of(totals) > 1e-12
            && weight_of(self.regression, totals) >= 2.0 * self.cfg.min_instances
    }

    /// Histogram of one node over `features`: layout `[feature pos][bin][stride]`.
    ///
    /// Hot loop of the learner. `part` holds the node's bins contiguously per
    /// feature (see [`Grower::grow`]), so reads are sequential; `ys`/`ws` are the
    /// node's labels and weights in the same order. Counts go into four
    /// interleaved partial histograms so that runs of rows in the same bin
    /// (most MNIST pixels are 0) do not serialise on one memory location.
    #[allow(clippy::too_many_arguments)]
    fn hist(
        &self,
        part: &[B],
        m: usize,
        start: usize,
        end: usize,
        rows: &[u32],
        features: &[usize],
    ) -> Vec<f64> {
        let block = self.binned.max_bins * self.stride;
        let mut h = vec![0.0; block * features.len()];
        let s = self.stride;
        let class_y: Option<Vec<u32>> = match self.target {
            Target::Class { y, .. } => Some(rows.iter().map(|&r| y[r as usize]).collect()),
            Target::Real { .. } => None,
        };
        let ws: Option<Vec<f64>> = self
            .weights
            .map(|w| rows.iter().map(|&r| w[r as usize]).collect());
        // `scratch` holds the four partial count histograms, reused across
        // features (zeroed per feature) instead of allocated per feature.
        let fill = |scratch: &mut Vec<u32>, (fi, out): (usize, &mut [f64])| {
            let f = features[fi];
            // A feature without split candidates is never scanned (and its
            // column is not kept partitioned): leave its histogram empty.
            if self.binned.thresholds[f].is_empty() {
                return;
            }
            let col = &part[f * m + start..f * m + end];
            match (&class_y, &ws) {
                (Some(ys), None) => {
                    scratch.clear();
                    scratch.resize(4 * block, 0);
                    let (p0, rest) = scratch.split_at_mut(block);
                    let (p1, rest) = rest.split_at_mut(block);
                    let (p2, p3) = rest.split_at_mut(block);
                    let mut bc = col.chunks_exact(4);
                    let mut yc = ys.chunks_exact(4);
                    for (b, y) in (&mut bc).zip(&mut yc) {
                        p0[b[0].idx() * s + y[0] as usize] += 1;
                        p1[b[1].idx() * s + y[1] as usize] += 1;
                        p2[b[2].idx() * s + y[2] as usize] += 1;
                        p3[b[3].idx() * s + y[3] as usize] += 1;
                    }
                    for (b, y) in bc.remainder().iter().zip(yc.remainder()) {
                        p0[b.idx() * s + *y as usize] += 1;
                    }
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = f64::from(p0[i] + p1[i] + p2[i] + p3[i]);
                    }
                }
                (Some(ys), Some(ws)) => {
                    let mut part = vec![0.0f64; 2 * block];
                    let (p0, p1) = part.split_at_mut(block);
                    let mut bc = col.chunks_exact(2);
                    let mut yc = ys.chunks_exact(2);
                    let mut wc = ws.chunks_exact(2);
                    for ((b, y), w) in (&mut bc).zip(&mut yc).zip(&mut wc) {
                        p0[b[0].idx() * s + y[0] as usize] += w[0];
                        p1[b[1].idx() * s + y[1] as usize] += w[1];
                    }
                    for ((b, y), w) in bc
                        .remainder()
                        .iter()
                        .zip(yc.remainder())
                        .zip(wc.remainder())
                    {
                        p0[b.idx() * s + *y as usize] += w;
                    }
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = p0[i] + p1[i];
                    }
                }
                _ => {
                    for (k, (&r, b)) in rows.iter().zip(col).enumerate() {
                        let b = b.idx() * s;
                        self.target.add(
                            &mut out[b..b + s],
                            r as usize,
                            ws.as_ref().map_or(1.0, |w| w[k]),
                        );
                    }
                }
            }
        };
        if self.cfg.parallel && rows.len() * features.len() > 100_000 {
            h.par_chunks_mut(block)
                .enumerate()
                .for_each_init(Vec::new, |scratch, c| fill(scratch, c));
        } else {
            let mut scratch = Vec::new();
            h.chunks_mut(block)
                .enumerate()
                .for_each(|c| fill(&mut scratch, c));
        }
        h
    }

    /// Best (gain, feature, split index, left stats) over `features`.
    ///
    /// Scans each feature's bins left to right keeping running left/right
    /// stats. Bins with no rows are skipped: they give the same partition as
    /// the previous split, and ties keep the first (lowest feature, lowest
    /// threshold) split, so skipping changes nothing. Gini keeps running sums of
    /// squares, so a bin costs O(classes) instead of O(classes) twice per side.
    fn best_split(
        &self,
        hist: &[f64],
        features: &[usize],
        totals: &[f64],
    ) -> Option<(f64, usize, usize, Vec<f64>)> {
        let s = self.stride;
        let block = self.binned.max_bins * s;
        let imp = self.cfg.impurity;
        let parent_imp = imp.of(totals);
        let total_w = weight_of(self.regression, totals);
        let min = self.cfg.min_instances;
        let gini = imp == Impurity::Gini;
        let mut best: Option<(f64, usize, usize)> = None;
        let mut left = vec![0.0; s];
        let mut right = vec![0.0; s];
        for (fi, &f) in features.iter().enumerate() {
            let n_splits = self.binned.thresholds[f].len();
            if n_splits == 0 {
                continue;
            }
            let h = &hist[fi * block..(fi + 1) * block];
            left.iter_mut().for_each(|v| *v = 0.0);
            right.copy_from_slice(totals);
            let mut ls2 = 0.0;
            let mut rs2: f64 = totals.iter().map(|v| v * v).sum();
            let mut wl = 0.0;
            for b in 0..n_splits {
                let hb = &h[b * s..(b + 1) * s];
                let mut moved = 0.0;
                for c in 0..s {
                    let x = hb[c];
                    if x != 0.0 {
                        ls2 += x * (2.0 * left[c] + x);
                        rs2 += x * (x - 2.0 * right[c]);
                        left[c] += x;
                        right[c] -= x;
                        moved += x;
                    }
                }
                if moved == 0.0 {
                    continue;
                }
                if self.regression {
                    wl = left[0];
                } else {
                    wl += moved;
                }
                let wr = total_w - wl;
                if wl < min || wr < min || wl <= 0.0 || wr <= 0.0 {
                    continue;
                }
                let (il, ir) = if gini {
                    (1.0 - ls2 / (wl * wl), 1.0 - rs2 / (wr * wr))
                } else {
                    (imp.of(&left), imp.of(&right))
                };
                let gain = parent_imp - (wl / total_w) * il - (wr / total_w) * ir;
                if gain < self.cfg.min_info_gain {
                    continue;
                }
                if best.is_none_or(|(g, ..)| gain > g) {
                    best = Some((gain, f, b));
                }
            }
        }
        let (gain, f, b) = best.filter(|(g, ..)| *g > 1e-12)?;
        let fi = features.iter().position(|&x| x == f)?;
        let h = &hist[fi * block..(fi + 1) * block];
        let mut left = vec![0.0; s];
        for bin in 0..=b {
            for c in 0..s {
                left[c] += h[bin * s + c];
            }
        }
        Some((gain, f, b, left))
    }

    /// Grows the tree on `rows`.
    ///
    /// `part` is a private copy of the bins of `rows`, column-major, kept in the
    /// same order as `rows`: a node owns positions `start..end` of `rows` and of
    /// every feature's column in `part`. Splitting a node stably partitions
    /// that range in `rows` and in every column (a sequential byte copy), so a
    /// histogram build reads contiguous memory instead of gathering rows from
    /// a 47 MB matrix (which made the gather cache-miss bound).
    fn grow(&self, mut rows: Vec<u32>) -> Grown {
        let d = self.binned.n_features();
        let m = rows.len();
        let all_features: Vec<usize> = (0..d).collect();
        let subtraction = self.cfg.features_per_node.is_none();
        let mut rng = crate::data::rng(sub_seed(self.cfg.seed, 0xF00D));
        // All rows in order (a single tree): the copy is the binned matrix
        // itself (one memcpy); otherwise gather the rows of each used column.
        let identity =
            m == self.binned.n_rows && rows.iter().enumerate().all(|(i, &r)| i == r as usize);
        let mut part: Vec<B>;
        if identity {
            part = self.binned.cols.clone();
        } else {
            part = vec![B::from_usize(0); m * d];
            let fill_part = |(f, out): (usize, &mut [B])| {
                if self.binned.thresholds[f].is_empty() {
                    return;
                }
                let col = self.binned.col(f);
                for (o, &r) in out.iter_mut().zip(&rows) {
                    *o = col[r as usize];
                }
            };
            if self.cfg.parallel {
                part.par_chunks_mut(m.max(1))
                    .enumerate()
                    .for_each(fill_part);
            } else {
                part.chunks_mut(m.max(1)).enumerate().for_each(fill_part);
            }
        }
        let mut totals = vec![0.0; self.stride];
        for &r in &rows {
            self.target.add(
                &mut totals,
                r as usize,
                self.weights.map_or(1.0, |w| w[r as usize]),
            );
        }
        let mut nodes = vec![Node::Leaf {
            value: 0.0,
            dist: Vec::new(),
        }];
        let mut stack = vec![Work {
            node: 0,
            start: 0,
            end: m,
            depth: 0,
            totals,
            hist: None,
        }];
        let mut stopped: Vec<Option<Node>> = vec![None];
        let mut mask: Vec<u8> = Vec::with_capacity(m);
        let mut scratch_rows: Vec<u32> = Vec::with_capacity(m);
        while let Some(w) = stack.pop() {
            if !self.can_split(w.depth, &w.totals) {
                nodes[w.node] = self.leaf(&w.totals);
                continue;
            }
            let sampled: Vec<usize>;
            let features: &[usize] = match self.cfg.features_per_node {
                Some(k) if k < d => {
                    let mut v = sample(&mut rng, d, k).into_vec();
                    v.sort_unstable();
                    sampled = v;
                    &sampled
                }
                _ => &all_features,
            };
            let hist = match w.hist {
                Some(h) => h,
                None => self.hist(&part, m, w.start, w.end, &rows[w.start..w.end], features),
            };
            let Some((gain, f, b, left_totals)) = self.best_split(&hist, features, &w.totals)
            else {
                nodes[w.node] = self.leaf(&w.totals);
                continue;
            };
            let right_totals: Vec<f64> = w
                .totals
                .iter()
                .zip(&left_totals)
                .map(|(t, l)| t - l)
                .collect();
            let (l_id, r_id) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node::Leaf {
                value: 0.0,
                dist: Vec::new(),
            });
            nodes.push(Node::Leaf {
                value: 0.0,
                dist: Vec::new(),
            });
            stopped.extend([None, None]);
            stopped[w.node] = Some(self.leaf(&w.totals));
            nodes[w.node] = Node::Split {
                feature: f,
                threshold: self.binned.thresholds[f][b],
                left: l_id,
                right: r_id,
                gain,
            };
            let depth = w.depth + 1;
            let need_l = self.can_split(depth, &left_totals);
            let need_r = self.can_split(depth, &right_totals);
            if !need_l && !need_r {
                // both children are leaves: their stats are known, no partition needed
                nodes[l_id] = self.leaf(&left_totals);
                nodes[r_id] = self.leaf(&right_totals);
                continue;
            }
            // Stable partition of rows and of every column: bin <= b goes left.
            mask.clear();
            mask.extend(
                part[f * m + w.start..f * m + w.end]
                    .iter()
                    .map(|v| u8::from(v.idx() <= b)),
            );
            let nl = stable_partition(&mut rows[w.start..w.end], &mask, &mut scratch_rows);
            let (start, end) = (w.start, w.end);
            // Features without split candidates are never read: skip them.
            let split_col = |(j, col): (usize, &mut [B]), scratch: &mut Vec<B>| {
                if !self.binned.thresholds[j].is_empty() {
                    stable_partition(&mut col[start..end], &mask, scratch);
                }
            };
            if self.cfg.parallel && (end - start) * d > 100_000 {
                part.par_chunks_mut(m)
                    .enumerate()
                    .for_each_init(Vec::new, |scratch, c| split_col(c, scratch));
            } else {
                let mut scratch = Vec::new();
                part.chunks_mut(m)
                    .enumerate()
                    .for_each(|c| split_col(c, &mut scratch));
            }
            let mid = start + nl;
            let mut lh = None;
            let mut rh = None;
            if subtraction {
                let left_smaller = nl <= (end - start) - nl;
                let small = if left_smaller {
                    self.hist(&part, m, start, mid, &rows[start..mid], features)
                } else {
                    self.hist(&part, m, mid, end, &rows[mid..end], features)
                };
                let need_large = if left_smaller { need_r } else { need_l };
                let large = need_large.then(|| {
                    hist.iter()
                        .zip(&small)
                        .map(|(p, s)| p - s)
                        .collect::<Vec<f64>>()
                });
                if left_smaller {
                    lh = Some(small);
                    rh = large;
                } else {
                    rh = Some(small);
                    lh = large;
                }
            }
            stack.push(Work {
                node: r_id,
                start: mid,
                end,
                depth,
                totals: right_totals,
                hist: rh,
            });
            stack.push(Work {
                node: l_id,
                start,
                end: mid,
                depth,
                totals: left_totals,
                hist: lh,
            });
        }
        Grown {
            tree: Tree { nodes },
            stopped,
        }
    }
}

/// Moves the elements whose `mask` is 1 to the front, keeping order on both
/// sides; returns how many went to the front. Branch-free: every element is
/// written to both destinations and only the cursors depend on the mask.
fn stable_partition<T: Copy + Default>(seg: &mut [T], mask: &[u8], scratch: &mut Vec<T>) -> usize {
    scratch.clear();
    scratch.resize(seg.len(), T::default());
    let (mut nl, mut nr) = (0usize, 0usize);
    for i in 0..seg.len() {
        let v = seg[i];
        let l = usize::from(mask[i]);
        seg[nl] = v;
        scratch[nr] = v;
        nl += l;
        nr += 1 - l;
    }
    seg[nl..].copy_from_slice(&scratch[..nr]);
    nl
}

/// Binned data of either bin width.
#[derive(Debug)]
pub(crate) enum AnyBinned {
    U8(Binned<u8>),
    U16(Binned<u16>),
}

impl AnyBinned {
    /// Finds Spark-style thresholds on `data` and bins it.
    pub(crate) fn build(
        data: &Dataset,
        max_bins: usize,
        seed: u64,
        sample_rng: SplitSampleRng,
    ) -> Self {
        let th = find_thresholds(data, max_bins, seed, sample_rng);
        if th.iter().all(|t| t.len() < 256) {
            AnyBinned::U8(Binned::new(data, th))
        } else {
            AnyBinned::U16(Binned::new(data, th))
        }
    }
    /// Grows one tree on `rows` (all with weight > 0).
    pub(crate) fn grow(
        &self,
        target: Target<'_>,
        weights: Option<&[f64]>,
        rows: Vec<u32>,
        cfg: &GrowConfig,
    ) -> Grown {
        let regression = matches!(target, Target::Real { .. });
        match self {
            AnyBinned::U8(b) => Grower {
                binned: b,
                target,
                weights,
                cfg,
                stride: target.stride(),
                regression,
            }
            .grow(rows),
            AnyBinned::U16(b) => Grower {
                binned: b,
                target,
                weights,
                cfg,
                stride: target.stride(),
                regression,
            }
            .grow(rows),
        }
    }
    /// The thresholds per feature.
    #[cfg(test)]
    pub(crate) fn thresholds(&self) -> &[Vec<f64>] {
        match self {
            AnyBinned::U8(b) => &b.thresholds,
            AnyBinned::U16(b) => &b.thresholds,
        }
    }
}
