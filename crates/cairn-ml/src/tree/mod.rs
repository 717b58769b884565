//! Decision trees and random forests (classification and regression) with
//! Spark MLlib's params and binning semantics. The learner is in
//! [`learner`]; this module holds the params (raw → checked) and the models.

pub mod learner;

use crate::data::{Dataset, sub_seed};
use crate::error::{MlError, Result};
use crate::param::{HasParams, ParamGuard, ParamValue, at_least, unknown};
use crate::traits::{Estimator, Transformer};
use learner::{AnyBinned, GrowConfig, Target};
pub use learner::{Impurity, Node, SplitSampleRng, Tree};
use rand::Rng as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest number of classes a classifier accepts.
pub const MAX_CLASSES: usize = 10_000;

/// Raw params shared by trees and forests (Spark names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawTreeParams {
    /// `maxDepth` (default 5; root = depth 0; 0..=30).
    pub max_depth: i64,
    /// `maxBins` (default 32; 2..=65536).
    pub max_bins: i64,
    /// `impurity`: `gini`/`entropy` (classification) or `variance` (regression).
    pub impurity: String,
    /// `minInstancesPerNode` (default 1).
    pub min_instances_per_node: i64,
    /// `minInfoGain` (default 0).
    pub min_info_gain: f64,
    /// `seed` (row sampling for split candidates, feature subsets, bootstrap).
    pub seed: i64,
    /// `splitSampleRng`: the generator of the row sample behind the split
    /// candidates, `cairn` (default) or `numpy` (see [`SplitSampleRng`]).
    /// Not a Spark param; absent from models saved before it existed.
    #[serde(default = "default_split_sample_rng")]
    pub split_sample_rng: String,
}

fn default_split_sample_rng() -> String {
    SplitSampleRng::Cairn.as_str().into()
}

impl RawTreeParams {
    fn new(impurity: &str) -> Self {
        RawTreeParams {
            max_depth: 5,
            max_bins: 32,
            impurity: impurity.into(),
            min_instances_per_node: 1,
            min_info_gain: 0.0,
            seed: 42,
            split_sample_rng: default_split_sample_rng(),
        }
    }
    const NAMES: [&'static str; 7] = [
        "maxDepth",
        "maxBins",
        "impurity",
        "minInstancesPerNode",
        "minInfoGain",
        "seed",
        "splitSampleRng",
    ];

    fn get(&self, name: &str) -> Option<ParamValue> {
        Some(match name {
            "maxDepth" => self.max_depth.into(),
            "maxBins" => self.max_bins.into(),
            "impurity" => self.impurity.clone().into(),
            "minInstancesPerNode" => self.min_instances_per_node.into(),
            "minInfoGain" => self.min_info_gain.into(),
            "seed" => self.seed.into(),
            "splitSampleRng" => self.split_sample_rng.clone().into(),
            _ => return None,
        })
    }
    /// Returns `Ok(false)` for a name that is not a tree param.
    fn set(&mut self, name: &str, v: &ParamValue) -> Result<bool> {
        match name {
            "maxDepth" => self.max_depth = v.as_i64(name)?,
            "maxBins" => self.max_bins = v.as_i64(name)?,
            "impurity" => self.impurity = v.as_str(name)?.to_ascii_lowercase(),
            "minInstancesPerNode" => self.min_instances_per_node = v.as_i64(name)?,
            "minInfoGain" => self.min_info_gain = v.as_f64(name)?,
            "seed" => self.seed = v.as_i64(name)?,
            "splitSampleRng" => self.split_sample_rng = v.as_str(name)?.to_ascii_lowercase(),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn check(&self, classification: bool) -> Result<TreeParams> {
        at_least("maxDepth", self.max_depth, 0)?;
        if self.max_depth > 30 {
            return Err(MlError::param(
                "maxDepth",
                self.max_depth,
                "must be <= 30 (as in Spark)",
            ));
        }
        at_least("maxBins", self.max_bins, 2)?;
        if self.max_bins > 65_536 {
            return Err(MlError::param("maxBins", self.max_bins, "must be <= 65536"));
        }
        at_least("minInstancesPerNode", self.min_instances_per_node, 1)?;
        if !(self.min_info_gain >= 0.0 && self.min_info_gain.is_finite()) {
            return Err(MlError::param(
                "minInfoGain",
                self.min_info_gain,
                "must be a finite number >= 0",
            ));
        }
        let impurity = match (self.impurity.as_str(), classification) {
            ("gini", true) => Impurity::Gini,
            ("entropy", true) => Impurity::Entropy,
            ("variance", false) => Impurity::Variance,
            (_, true) => {
                return Err(MlError::param(
                    "impurity",
                    &self.impurity,
                    "must be 'gini' or 'entropy'",
                ));
            }
            (_, false) => {
                return Err(MlError::param(
                    "impurity",
                    &self.impurity,
                    "must be 'variance'",
                ));
            }
        };
        let split_sample_rng = match self.split_sample_rng.as_str() {
            "cairn" => SplitSampleRng::Cairn,
            "numpy" => SplitSampleRng::Numpy,
            _ => {
                return Err(MlError::param(
                    "splitSampleRng",
                    &self.split_sample_rng,
                    "must be 'cairn' or 'numpy'",
                ));
            }
        };
        if split_sample_rng == SplitSampleRng::Numpy && self.seed < 0 {
            return Err(MlError::param(
                "seed",
                self.seed,
                "must be >= 0 with splitSampleRng = numpy (numpy's seeds are non-negative)",
            ));
        }
        Ok(TreeParams {
            max_depth: self.max_depth as usize,
            max_bins: self.max_bins as usize,
            impurity,
            min_instances_per_node: self.min_instances_per_node as usize,
            min_info_gain: self.min_info_gain,
            seed: self.seed as u64,
            split_sample_rng,
        })
    }
}

/// Checked tree params.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeParams {
    /// Maximum depth.
    pub max_depth: usize,
    /// Maximum bins per feature.
    pub max_bins: usize,
    /// Impurity.
    pub impurity: Impurity,
    /// Minimum (weighted) rows per child.
    pub min_instances_per_node: usize,
    /// Minimum gain for a split.
    pub min_info_gain: f64,
    /// Seed.
    pub seed: u64,
    /// Generator of the split-candidate row sample.
    pub split_sample_rng: SplitSampleRng,
}

impl TreeParams {
    fn grow_config(
        &self,
        features_per_node: Option<usize>,
        seed: u64,
        parallel: bool,
    ) -> GrowConfig {
        GrowConfig {
            max_depth: self.max_depth,
            min_instances: self.min_instances_per_node as f64,
            min_info_gain: self.min_info_gain,
            impurity: self.impurity,
            features_per_node,
            seed,
            parallel,
        }
    }
}

fn check_features(expected: usize, data: &Dataset) -> Result<()> {
    if data.n_features() != expected {
        return Err(MlError::Shape(format!(
            "the model was fitted on {expected} features, the data has {}",
            data.n_features()
        )));
    }
    Ok(())
}

fn check_rows(data: &Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(MlError::Empty("cannot fit on zero rows".into()));
    }
    Ok(())
}

// ---------------------------------------------------------------- single trees

macro_rules! tree_estimator {
    ($name:ident, $class:expr, $imp:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct $name(pub RawTreeParams);

        impl Default for $name {
            fn default() -> Self {
                $name(RawTreeParams::new($imp))
            }
        }

        impl $name {
            /// Default params.
            pub fn new() -> Self {
                Self::default()
            }
            /// Sets `maxDepth`.
            pub fn max_depth(mut self, v: i64) -> Self {
                self.0.max_depth = v;
                self
            }
            /// Sets `maxBins`.
            pub fn max_bins(mut self, v: i64) -> Self {
                self.0.max_bins = v;
                self
            }
            /// Sets `impurity`.
            pub fn impurity(mut self, v: &str) -> Self {
                self.0.impurity = v.to_string();
                self
            }
            /// Sets `minInstancesPerNode`.
            pub fn min_instances_per_node(mut self, v: i64) -> Self {
                self.0.min_instances_per_node = v;
                self
            }
            /// Sets `minInfoGain`.
            pub fn min_info_gain(mut self, v: f64) -> Self {
                self.0.min_info_gain = v;
                self
            }
            /// Sets `seed`.
            pub fn seed(mut self, v: i64) -> Self {
                self.0.seed = v;
                self
            }
            /// Sets `splitSampleRng`.
            pub fn split_sample_rng(mut self, v: SplitSampleRng) -> Self {
                self.0.split_sample_rng = v.as_str().into();
                self
            }
        }

        impl ParamGuard for $name {
            type Checked = TreeParams;
            fn check(&self) -> Result<TreeParams> {
                self.0.check($class)
            }
        }

        impl HasParams for $name {
            fn type_name(&self) -> &'static str {
                stringify!($name)
            }
            fn param_names(&self) -> &'static [&'static str] {
                &RawTreeParams::NAMES
            }
            fn get_param(&self, name: &str) -> Option<ParamValue> {
                self.0.get(name)
            }
            fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
                if self.0.set(name, value)? {
                    Ok(())
                } else {
                    Err(unknown(stringify!($name), name))
                }
            }
        }
    };
}

tree_estimator!(
    DecisionTreeClassifier,
    true,
    "gini",
    "Spark's `DecisionTreeClassifier` (raw params; `fit` checks them)."
);
tree_estimator!(
    DecisionTreeRegressor,
    false,
    "variance",
    "Spark's `DecisionTreeRegressor` (raw params; `fit` checks them)."
);

impl TreeParams {
    /// Fits a classification tree (labels must be class indices `0..k`).
    pub fn fit_classifier(&self, data: &Dataset) -> Result<DecisionTreeClassificationModel> {
        let mut m = Self::fit_classifiers(std::slice::from_ref(self), data)?;
        Ok(m.remove(0))
    }
    /// Fits a regression tree.
    pub fn fit_regressor(&self, data: &Dataset) -> Result<DecisionTreeRegressionModel> {
        let mut m = Self::fit_regressors(std::slice::from_ref(self), data)?;
        Ok(m.remove(0))
    }

    /// These params with `max_depth` cleared: trees whose params agree on
    /// this key are cut from one tree grown to the deepest of their depths.
    fn share_key(&self) -> TreeParams {
        TreeParams {
            max_depth: 0,
            ..self.clone()
        }
    }

    /// Grows one tree per distinct [`TreeParams::share_key`] (binning the
    /// data once per key, to the deepest `max_depth` asked for) and cuts every
    /// requested tree from it, in the order of `group`.
    fn grow_many(group: &[TreeParams], data: &Dataset, target: Target<'_>) -> Vec<Tree> {
        let mut out: Vec<Option<Tree>> = vec![None; group.len()];
        for (i, p) in group.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            let key = p.share_key();
            let members: Vec<usize> = (i..group.len())
                .filter(|&j| group[j].share_key() == key)
                .collect();
            let deepest = members
                .iter()
                .map(|&j| group[j].max_depth)
                .max()
                .unwrap_or(p.max_depth);
            let binned = AnyBinned::build(data, p.max_bins, p.seed, p.split_sample_rng);
            let rows: Vec<u32> = (0..data.n_rows() as u32).collect();
            let cfg = TreeParams {
                max_depth: deepest,
                ..p.clone()
            }
            .grow_config(None, p.seed, true);
            let grown = binned.grow(target, None, rows, &cfg);
            for j in members {
                out[j] = Some(grown.truncated(group[j].max_depth));
            }
        }
        out.into_iter().flatten().collect()
    }

    /// Fits several classification trees on the same data, sharing binning
    /// and growth between params that differ only in `max_depth`.
    pub fn fit_classifiers(
        group: &[TreeParams],
        data: &Dataset,
    ) -> Result<Vec<DecisionTreeClassificationModel>> {
        check_rows(data)?;
        let (y, k) = data.class_labels(MAX_CLASSES)?;
        Ok(Self::grow_many(group, data, Target::Class { y: &y, k })
            .into_iter()
            .map(|tree| DecisionTreeClassificationModel {
                tree,
                num_classes: k,
                num_features: data.n_features(),
            })
            .collect())
    }

    /// Fits several regression trees on the same data (see
    /// [`TreeParams::fit_classifiers`]).
    pub fn fit_regressors(
        group: &[TreeParams],
        data: &Dataset,
    ) -> Result<Vec<DecisionTreeRegressionModel>> {
        check_rows(data)?;
        let y = data.require_label()?;
        Ok(Self::grow_many(group, data, Target::Real { y })
            .into_iter()
            .map(|tree| DecisionTreeRegressionModel {
                tree,
                num_features: data.n_features(),
            })
            .collect())
    }
}

impl Estimator for DecisionTreeClassifier {
    type Model = DecisionTreeClassificationModel;
    fn fit(&self, data: &Dataset) -> Result<Self::Model> {
        self.check()?.fit_classifier(data)
    }
    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }
    fn share_key(&self) -> Option<String> {
        self.check().ok().map(|p| format!("{:?}", p.share_key()))
    }
    fn fit_many(group: &[&Self], data: &Dataset) -> Result<Vec<Self::Model>> {
        let params = group
            .iter()
            .map(|e| e.check())
            .collect::<Result<Vec<_>>>()?;
        TreeParams::fit_classifiers(&params, data)
    }
}

impl Estimator for DecisionTreeRegressor {
    type Model = DecisionTreeRegressionModel;
    fn fit(&self, data: &Dataset) -> Result<Self::Model> {
        self.check()?.fit_regressor(data)
    }
    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }
    fn share_key(&self) -> Option<String> {
        self.check().ok().map(|p| format!("{:?}", p.share_key()))
    }
    fn fit_many(group: &[&Self], data: &Dataset) -> Result<Vec<Self::Model>> {
        let params = group
            .iter()
            .map(|e| e.check())
            .collect::<Result<Vec<_>>>()?;
        TreeParams::fit_regressors(&params, data)
    }
}

/// A fitted classification tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeClassificationModel {
    /// The tree.
    pub tree: Tree,
    /// Number of classes seen in training (max label + 1).
    pub num_classes: usize,
    /// Number of features.
    pub num_features: usize,
}

impl Transformer for DecisionTreeClassificationModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        check_features(self.num_features, data)?;
        let k = self.num_classes;
        let mut pred = vec![0.0; data.n_rows()];
        let mut prob = vec![0.0; data.n_rows() * k];
        pred.par_iter_mut()
            .zip(prob.par_chunks_mut(k.max(1)))
            .enumerate()
            .for_each(|(i, (p, pr))| {
                if let Node::Leaf { value, dist } = self.tree.leaf(data.row(i)) {
                    *p = *value;
                    pr.copy_from_slice(dist);
                }
            });
        let mut out = data.clone();
        out.set_prediction(pred)?;
        out.set_probability(prob, k)?;
        Ok(out)
    }
}

/// A fitted regression tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeRegressionModel {
    /// The tree.
    pub tree: Tree,
    /// Number of features.
    pub num_features: usize,
}

impl Transformer for DecisionTreeRegressionModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        check_features(self.num_features, data)?;
        let pred = (0..data.n_rows())
            .into_par_iter()
            .map(|i| match self.tree.leaf(data.row(i)) {
                Node::Leaf { value, .. } => *value,
                Node::Split { .. } => 0.0,
            })
            .collect();
        let mut out = data.clone();
        out.set_prediction(pred)?;
        Ok(out)
    }
}

// ---------------------------------------------------------------- forests

/// Raw forest params: the tree params plus Spark's forest params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawForestParams {
    /// Tree params (`maxDepth`, `maxBins`, `impurity`, ...).
    pub tree: RawTreeParams,
    /// `numTrees` (default 20).
    pub num_trees: i64,
    /// `featureSubsetStrategy`: `auto`, `all`, `sqrt`, `log2`, `onethird`,
    /// an integer `n` or a fraction in (0, 1]. Applied per node.
    pub feature_subset_strategy: String,
    /// `subsamplingRate` in (0, 1] (default 1).
    pub subsampling_rate: f64,
    /// `bootstrap` (default true): sample rows with replacement.
    pub bootstrap: bool,
}

const FOREST_NAMES: [&str; 11] = [
    "numTrees",
    "maxDepth",
    "maxBins",
    "impurity",
    "featureSubsetStrategy",
    "subsamplingRate",
    "bootstrap",
    "minInstancesPerNode",
    "minInfoGain",
    "seed",
    "splitSampleRng",
];

/// Checked forest params.
#[derive(Clone, Debug, PartialEq)]
pub struct ForestParams {
    /// Tree params.
    pub tree: TreeParams,
    /// Number of trees.
    pub num_trees: usize,
    /// Strategy (validated text).
    pub feature_subset_strategy: String,
    /// Row sampling rate.
    pub subsampling_rate: f64,
    /// Bootstrap or not.
    pub bootstrap: bool,
}

impl RawForestParams {
    fn new(impurity: &str) -> Self {
        RawForestParams {
            tree: RawTreeParams::new(impurity),
            num_trees: 20,
            feature_subset_strategy: "auto".into(),
            subsampling_rate: 1.0,
            bootstrap: true,
        }
    }
    fn get(&self, name: &str) -> Option<ParamValue> {
        match name {
            "numTrees" => Some(self.num_trees.into()),
            "featureSubsetStrategy" => Some(self.feature_subset_strategy.clone().into()),
            "subsamplingRate" => Some(self.subsampling_rate.into()),
            "bootstrap" => Some(self.bootstrap.into()),
            _ => self.tree.get(name),
        }
    }
    fn set(&mut self, name: &str, v: &ParamValue) -> Result<bool> {
        match name {
            "numTrees" => self.num_trees = v.as_i64(name)?,
            "featureSubsetStrategy" => {
                self.feature_subset_strategy = v.to_string().to_ascii_lowercase()
            }
            "subsamplingRate" => self.subsampling_rate = v.as_f64(name)?,
            "bootstrap" => self.bootstrap = v.as_bool(name)?,
            _ => return self.tree.set(name, v),
        }
        Ok(true)
    }
    fn check(&self, classification: bool) -> Result<ForestParams> {
        let tree = self.tree.check(classification)?;
        at_least("numTrees", self.num_trees, 1)?;
        if !(self.subsampling_rate > 0.0 && self.subsampling_rate <= 1.0) {
            return Err(MlError::param(
                "subsamplingRate",
                self.subsampling_rate,
                "must be in (0, 1]",
            ));
        }
        // validate the strategy against a nominal feature count
        features_per_node(
            &self.feature_subset_strategy,
            10,
            self.num_trees as usize,
            classification,
        )?;
        Ok(ForestParams {
            tree,
            num_trees: self.num_trees as usize,
            feature_subset_strategy: self.feature_subset_strategy.clone(),
            subsampling_rate: self.subsampling_rate,
            bootstrap: self.bootstrap,
        })
    }
}

/// The split candidates (thresholds, ascending, per feature) that a tree
/// with this `maxBins`, `seed` and `splitSampleRng` fitted on `data` uses: Spark's sampled
/// approximate quantiles, as the learner computes them. For inspection and
/// for comparing the learner with other implementations on the same
/// candidates (`examples/tree_parity_export.rs`).
pub fn split_candidates(
    data: &Dataset,
    max_bins: usize,
    seed: u64,
    sample_rng: SplitSampleRng,
) -> Vec<Vec<f64>> {
    learner::find_thresholds(data, max_bins.max(2), seed, sample_rng)
}

/// Number of features tried per node for a strategy (Spark's rules; `sqrt`,
/// `log2`, `onethird` and fractions round up).
pub fn features_per_node(
    strategy: &str,
    n: usize,
    num_trees: usize,
    classification: bool,
) -> Result<usize> {
    let bad = || {
        MlError::param(
            "featureSubsetStrategy",
            strategy,
            "must be auto, all, sqrt, log2, onethird, an integer >= 1 or a fraction in (0, 1]",
        )
    };
    let nf = n as f64;
    let m = match strategy {
        "auto" if num_trees == 1 => n,
        "auto" if classification => nf.sqrt().ceil() as usize,
        "auto" => (nf / 3.0).ceil() as usize,
        "all" => n,
        "sqrt" => nf.sqrt().ceil() as usize,
        "log2" => nf.log2().ceil().max(1.0) as usize,
        "onethird" => (nf / 3.0).ceil() as usize,
        s => {
            if let Ok(i) = s.parse::<usize>() {
                if i == 0 {
                    return Err(bad());
                }
                i.min(n)
            } else if let Ok(f) = s.parse::<f64>() {
                if !(f > 0.0 && f <= 1.0) {
                    return Err(bad());
                }
                (f * nf).ceil() as usize
            } else {
                return Err(bad());
            }
        }
    };
    Ok(m.clamp(1, n.max(1)))
}

impl ForestParams {
    fn fit_trees(
        &self,
        data: &Dataset,
        target: Target<'_>,
        classification: bool,
    ) -> Result<Vec<Tree>> {
        check_rows(data)?;
        let n = data.n_rows();
        let m = features_per_node(
            &self.feature_subset_strategy,
            data.n_features(),
            self.num_trees,
            classification,
        )?;
        let per_node = (m < data.n_features()).then_some(m);
        let binned = AnyBinned::build(
            data,
            self.tree.max_bins,
            self.tree.seed,
            self.tree.split_sample_rng,
        );
        let sample_size = ((n as f64 * self.subsampling_rate).round() as usize).max(1);
        let trees = (0..self.num_trees)
            .into_par_iter()
            .map(|t| {
                let seed = sub_seed(self.tree.seed, t as u64 + 1);
                let mut rng = crate::data::rng(seed);
                let (rows, weights) = if self.bootstrap {
                    let mut counts = vec![0.0f64; n];
                    for _ in 0..sample_size {
                        counts[rng.random_range(0..n)] += 1.0;
                    }
                    let rows: Vec<u32> = (0..n as u32)
                        .filter(|&r| counts[r as usize] > 0.0)
                        .collect();
                    (rows, Some(counts))
                } else if sample_size < n {
                    let mut rows: Vec<u32> = rand::seq::index::sample(&mut rng, n, sample_size)
                        .into_iter()
                        .map(|r| r as u32)
                        .collect();
                    rows.sort_unstable();
                    (rows, None)
                } else {
                    ((0..n as u32).collect(), None)
                };
                let cfg = self.tree.grow_config(per_node, seed, false);
                binned.grow(target, weights.as_deref(), rows, &cfg).tree
            })
            .collect();
        Ok(trees)
    }

    /// Fits a classification forest.
    pub fn fit_classifier(&self, data: &Dataset) -> Result<RandomForestClassificationModel> {
        let (y, k) = data.class_labels(MAX_CLASSES)?;
        let trees = self.fit_trees(data, Target::Class { y: &y, k }, true)?;
        Ok(RandomForestClassificationModel {
            trees,
            num_classes: k,
            num_features: data.n_features(),
        })
    }
    /// Fits a regression forest.
    pub fn fit_regressor(&self, data: &Dataset) -> Result<RandomForestRegressionModel> {
        let y = data.require_label()?;
        let trees = self.fit_trees(data, Target::Real { y }, false)?;
        Ok(RandomForestRegressionModel {
            trees,
            num_features: data.n_features(),
        })
    }
}

macro_rules! forest_estimator {
    ($name:ident, $class:expr, $imp:expr, $model:ident, $fit:ident, $doc:expr) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct $name(pub RawForestParams);

        impl Default for $name {
            fn default() -> Self {
                $name(RawForestParams::new($imp))
            }
        }

        impl $name {
            /// Default params.
            pub fn new() -> Self {
                Self::default()
            }
            /// Sets `numTrees`.
            pub fn num_trees(mut self, v: i64) -> Self {
                self.0.num_trees = v;
                self
            }
            /// Sets `maxDepth`.
            pub fn max_depth(mut self, v: i64) -> Self {
                self.0.tree.max_depth = v;
                self
            }
            /// Sets `maxBins`.
            pub fn max_bins(mut self, v: i64) -> Self {
                self.0.tree.max_bins = v;
                self
            }
            /// Sets `impurity`.
            pub fn impurity(mut self, v: &str) -> Self {
                self.0.tree.impurity = v.to_string();
                self
            }
            /// Sets `featureSubsetStrategy`.
            pub fn feature_subset_strategy(mut self, v: &str) -> Self {
                self.0.feature_subset_strategy = v.to_string();
                self
            }
            /// Sets `subsamplingRate`.
            pub fn subsampling_rate(mut self, v: f64) -> Self {
                self.0.subsampling_rate = v;
                self
            }
            /// Sets `bootstrap`.
            pub fn bootstrap(mut self, v: bool) -> Self {
                self.0.bootstrap = v;
                self
            }
            /// Sets `seed`.
            pub fn seed(mut self, v: i64) -> Self {
                self.0.tree.seed = v;
                self
            }
            /// Sets `splitSampleRng`.
            pub fn split_sample_rng(mut self, v: SplitSampleRng) -> Self {
                self.0.tree.split_sample_rng = v.as_str().into();
                self
            }
        }

        impl ParamGuard for $name {
            type Checked = ForestParams;
            fn check(&self) -> Result<ForestParams> {
                self.0.check($class)
            }
        }

        impl HasParams for $name {
            fn type_name(&self) -> &'static str {
                stringify!($name)
            }
            fn param_names(&self) -> &'static [&'static str] {
                &FOREST_NAMES
            }
            fn get_param(&self, name: &str) -> Option<ParamValue> {
                self.0.get(name)
            }
            fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
                if self.0.set(name, value)? {
                    Ok(())
                } else {
                    Err(unknown(stringify!($name), name))
                }
            }
        }

        impl Estimator for $name {
            type Model = $model;
            fn fit(&self, data: &Dataset) -> Result<$model> {
                self.check()?.$fit(data)
            }
            fn check_params(&self) -> Result<()> {
                self.check().map(|_| ())
            }
        }
    };
}

forest_estimator!(
    RandomForestClassifier,
    true,
    "gini",
    RandomForestClassificationModel,
    fit_classifier,
    "Spark's `RandomForestClassifier` (trees fitted in parallel on rayon)."
);
forest_estimator!(
    RandomForestRegressor,
    false,
    "variance",
    RandomForestRegressionModel,
    fit_regressor,
    "Spark's `RandomForestRegressor` (trees fitted in parallel on rayon)."
);

/// A fitted classification forest; probability = mean of the trees' leaf distributions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestClassificationModel {
    /// The trees.
    pub trees: Vec<Tree>,
    /// Number of classes.
    pub num_classes: usize,
    /// Number of features.
    pub num_features: usize,
}

impl Transformer for RandomForestClassificationModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        check_features(self.num_features, data)?;
        let k = self.num_classes.max(1);
        let mut prob = vec![0.0; data.n_rows() * k];
        let inv = 1.0 / self.trees.len() as f64;
        prob.par_chunks_mut(k).enumerate().for_each(|(i, pr)| {
            for t in &self.trees {
                if let Node::Leaf { dist, .. } = t.leaf(data.row(i)) {
                    for (p, d) in pr.iter_mut().zip(dist) {
                        *p += d * inv;
                    }
                }
            }
        });
        let pred = prob.chunks(k).map(argmax).collect();
        let mut out = data.clone();
        out.set_prediction(pred)?;
        out.set_probability(prob, k)?;
        Ok(out)
    }
}

/// Index of the largest value (first on ties), as f64.
pub(crate) fn argmax(v: &[f64]) -> f64 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as f64
}

/// A fitted regression forest; prediction = mean of the trees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestRegressionModel {
    /// The trees.
    pub trees: Vec<Tree>,
    /// Number of features.
    pub num_features: usize,
}

impl Transformer for RandomForestRegressionModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        check_features(self.num_features, data)?;
        let pred = (0..data.n_rows())
            .into_par_iter()
            .map(|i| {
                let s: f64 = self
                    .trees
                    .iter()
                    .map(|t| match t.leaf(data.row(i)) {
                        Node::Leaf { value, .. } => *value,
                        Node::Split { .. } => 0.0,
                    })
                    .sum();
                s / self.trees.len() as f64
            })
            .collect();
        let mut out = data.clone();
        out.set_prediction(pred)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xor_like() -> Dataset {
        // x0 in {1,2,3,4}; class 1 iff x0 >= 3. Best first split: x0 <= 2.5.
        Dataset::from_rows(
            &[
                vec![1.0, 5.0],
                vec![2.0, 5.0],
                vec![3.0, 5.0],
                vec![4.0, 5.0],
                vec![1.0, 6.0],
                vec![4.0, 6.0],
            ],
            Some(vec![0.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
        )
        .unwrap()
    }

    #[test]
    fn thresholds_are_midpoints_when_few_values() {
        let b = AnyBinned::build(&xor_like(), 32, 0, SplitSampleRng::Cairn);
        assert_eq!(b.thresholds()[0], vec![1.5, 2.5, 3.5]);
        assert_eq!(b.thresholds()[1], vec![5.5]);
        // maxBins 2 keeps one candidate chosen by the stride walk: 6 samples,
        // stride 3: counts 2,1,1,2 -> running 2,3 -> cut after value 2 (2.5).
        let b = AnyBinned::build(&xor_like(), 2, 0, SplitSampleRng::Cairn);
        assert_eq!(b.thresholds()[0], vec![2.5]);
    }

    #[test]
    fn split_candidates_are_the_ones_the_learner_uses() {
        let d = xor_like();
        assert_eq!(
            split_candidates(&d, 32, 7, SplitSampleRng::Cairn),
            vec![vec![1.5, 2.5, 3.5], vec![5.5]]
        );
        assert_eq!(
            split_candidates(&d, 32, 7, SplitSampleRng::Cairn),
            AnyBinned::build(&d, 32, 7, SplitSampleRng::Cairn).thresholds()
        );
        // Every threshold of a fitted tree is one of them.
        let m = DecisionTreeClassifier::new().seed(7).fit(&d).unwrap();
        let c = split_candidates(&d, 32, 7, SplitSampleRng::Cairn);
        for n in &m.tree.nodes {
            if let Node::Split {
                feature, threshold, ..
            } = n
            {
                assert!(c[*feature].contains(threshold));
            }
        }
    }

    #[test]
    fn tree_finds_the_exact_split() {
        let m = DecisionTreeClassifier::new()
            .max_depth(3)
            .fit(&xor_like())
            .unwrap();
        assert_eq!(m.tree.nodes.len(), 3);
        match &m.tree.nodes[0] {
            Node::Split {
                feature,
                threshold,
                gain,
                ..
            } => {
                assert_eq!((*feature, *threshold), (0, 2.5));
                // gini parent = 0.5, children pure -> gain 0.5
                assert!((gain - 0.5).abs() < 1e-12);
            }
            n => panic!("expected a split, got {n:?}"),
        }
        let out = m.transform(&xor_like()).unwrap();
        assert_eq!(out.prediction().unwrap(), xor_like().label().unwrap());
        // depth 0 = a single leaf predicting the majority class (0: 3 of 6, tie -> lowest)
        let m0 = DecisionTreeClassifier::new()
            .max_depth(0)
            .fit(&xor_like())
            .unwrap();
        assert_eq!(
            m0.tree.nodes,
            vec![Node::Leaf {
                value: 0.0,
                dist: vec![0.5, 0.5]
            }]
        );
    }

    /// A noisy 3-class problem big enough for deep, bushy trees.
    fn noisy(n: usize) -> Dataset {
        let mut rng = crate::data::rng(7);
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..6).map(|_| rng.random::<f64>()).collect())
            .collect();
        let y = rows
            .iter()
            .map(|r| {
                let s = r[0] + 0.5 * r[1] * r[2] + 0.3 * rng.random::<f64>();
                (s * 2.0).floor().min(2.0)
            })
            .collect();
        Dataset::from_rows(&rows, Some(y)).unwrap()
    }

    #[test]
    fn trees_fitted_together_equal_trees_fitted_alone() {
        let d = noisy(600);
        let mut group: Vec<DecisionTreeClassifier> = Vec::new();
        for bins in [4, 16] {
            for depth in [8, 0, 3, 5, 1] {
                group.push(
                    DecisionTreeClassifier::new()
                        .max_depth(depth)
                        .max_bins(bins),
                );
            }
        }
        group.push(
            DecisionTreeClassifier::new()
                .max_depth(4)
                .impurity("entropy"),
        );
        let refs: Vec<&DecisionTreeClassifier> = group.iter().collect();
        let together = DecisionTreeClassifier::fit_many(&refs, &d).unwrap();
        assert_eq!(together.len(), group.len());
        for (e, m) in group.iter().zip(&together) {
            let alone = e.fit(&d).unwrap();
            assert_eq!(alone, *m, "{e:?}");
        }
        // the deep tree really is deeper than the shallow cuts
        assert!(together[0].tree.depth() > together[3].tree.depth());
        assert_eq!(together[3].tree.depth(), 5);
        // regression trees too
        let reg: Vec<DecisionTreeRegressor> = [6, 2]
            .into_iter()
            .map(|depth| DecisionTreeRegressor::new().max_depth(depth))
            .collect();
        let refs: Vec<&DecisionTreeRegressor> = reg.iter().collect();
        for (e, m) in reg
            .iter()
            .zip(DecisionTreeRegressor::fit_many(&refs, &d).unwrap())
        {
            assert_eq!(e.fit(&d).unwrap(), m);
        }
    }

    #[test]
    fn min_instances_and_min_info_gain_block_splits() {
        let m = DecisionTreeClassifier::new()
            .min_instances_per_node(4)
            .fit(&xor_like())
            .unwrap();
        assert_eq!(m.tree.nodes.len(), 1);
        let m = DecisionTreeClassifier::new()
            .min_info_gain(0.6)
            .fit(&xor_like())
            .unwrap();
        assert_eq!(m.tree.nodes.len(), 1);
    }

    #[test]
    fn entropy_gain_is_in_bits() {
        let m = DecisionTreeClassifier::new()
            .impurity("entropy")
            .fit(&xor_like())
            .unwrap();
        match &m.tree.nodes[0] {
            Node::Split { gain, .. } => assert!((gain - 1.0).abs() < 1e-12),
            n => panic!("{n:?}"),
        }
    }

    #[test]
    fn regression_tree_splits_on_variance() {
        let d = Dataset::from_rows(
            &[vec![1.0], vec![2.0], vec![3.0], vec![4.0]],
            Some(vec![1.0, 1.0, 5.0, 7.0]),
        )
        .unwrap();
        let m = DecisionTreeRegressor::new().max_depth(1).fit(&d).unwrap();
        let out = m.transform(&d).unwrap();
        assert_eq!(out.prediction().unwrap(), &[1.0, 1.0, 6.0, 6.0]);
    }

    #[test]
    fn bad_params_are_named() {
        let d = xor_like();
        let e = DecisionTreeClassifier::new()
            .max_depth(-1)
            .fit(&d)
            .unwrap_err();
        assert_eq!(e.to_string(), "invalid param maxDepth = -1: must be >= 0");
        let e = DecisionTreeClassifier::new()
            .max_bins(1)
            .fit(&d)
            .unwrap_err();
        assert_eq!(e.to_string(), "invalid param maxBins = 1: must be >= 2");
        let e = DecisionTreeClassifier::new()
            .impurity("variance")
            .fit(&d)
            .unwrap_err();
        assert!(e.to_string().contains("impurity"));
        let e = RandomForestClassifier::new()
            .feature_subset_strategy("most")
            .fit(&d)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid param featureSubsetStrategy = most")
        );
        let bad = Dataset::from_rows(&[vec![1.0], vec![2.0]], Some(vec![0.0, 1.5])).unwrap();
        let e = DecisionTreeClassifier::new().fit(&bad).unwrap_err();
        assert!(e.to_string().starts_with("row 2: label 1.5 is invalid"));
    }

    #[test]
    fn forest_is_seeded_and_fits_separable_data() {
        let d = xor_like();
        let rf = RandomForestClassifier::new().num_trees(10).seed(3);
        let a = rf.fit(&d).unwrap();
        let b = rf.fit(&d).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.trees.len(), 10);
        assert_eq!(features_per_node("sqrt", 784, 10, true).unwrap(), 28);
        assert_eq!(features_per_node("auto", 8, 10, false).unwrap(), 3);
        assert_eq!(features_per_node("0.5", 8, 10, true).unwrap(), 4);
        let rf = RandomForestClassifier::new()
            .num_trees(5)
            .bootstrap(false)
            .feature_subset_strategy("all");
        let out = rf.fit(&d).unwrap().transform(&d).unwrap();
        assert_eq!(out.prediction().unwrap(), d.label().unwrap());
    }
}
