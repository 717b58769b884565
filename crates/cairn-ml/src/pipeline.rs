//! `Pipeline` (an estimator of named stages) and `PipelineModel` (its fitted
//! form), with the versioned on-disk format.
//!
//! Stages are a closed enum ([`Stage`] / [`StageModel`]) rather than trait
//! objects: that gives serde persistence, cloning for param-grid copies and
//! exhaustive param routing for free. Adding an algorithm means adding a
//! variant in both enums.
//!
//! # Saved format (version 1)
//!
//! [`PipelineModel::save`] writes one JSON file, `<dir>/pipeline_model.json`:
//!
//! ```json
//! {
//!   "format": "cairn-ml/pipeline-model",
//!   "version": 1,
//!   "stages": [
//!     {"name": "indexer", "stage": {"type": "StringIndexerModel",
//!                                    "model": {"input_col": "label", "handle_invalid": "error",
//!                                              "labels": ["1.0", "7.0"]}}},
//!     {"name": "dt", "stage": {"type": "DecisionTreeClassificationModel",
//!                               "model": {"tree": {"nodes": [...]}, "num_classes": 10,
//!                                         "num_features": 784}}}
//!   ]
//! }
//! ```
//!
//! `type` is the [`StageModel`] variant; `model` is that model's fields
//! (serde names as in the Rust structs). Floats are written in shortest
//! round-trip form, so a loaded model predicts bit-for-bit as the saved one.
//! Readers reject another `format` or a `version` they do not know.

use crate::data::Dataset;
use crate::error::{MlError, Result};
use crate::feature::{
    Binarizer, StandardScaler, StandardScalerModel, StringIndexer, StringIndexerModel,
};
use crate::linear::{LogisticRegression, LogisticRegressionModel};
use crate::param::{HasParams, ParamMap, ParamRef, ParamValue};
use crate::svm::{Svc, SvcModel};
use crate::traits::{Estimator, Transformer};
use crate::tree::{
    DecisionTreeClassificationModel, DecisionTreeClassifier, DecisionTreeRegressionModel,
    DecisionTreeRegressor, RandomForestClassificationModel, RandomForestClassifier,
    RandomForestRegressionModel, RandomForestRegressor,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format tag of a saved pipeline model.
pub const FORMAT: &str = "cairn-ml/pipeline-model";
/// Current format version.
pub const FORMAT_VERSION: u32 = 1;
/// File name inside the save directory.
pub const MODEL_FILE: &str = "pipeline_model.json";

macro_rules! stages {
    ($($v:ident($t:ty) => $m:ident($mt:ty)),* $(,)?) => {
        /// A pipeline stage (an estimator or a transformer).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", content = "params")]
        pub enum Stage { $(#[allow(missing_docs)] $v($t)),* }

        /// A fitted pipeline stage.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", content = "model")]
        pub enum StageModel { $(#[allow(missing_docs)] $m($mt)),* }

        $(impl From<$t> for Stage { fn from(s: $t) -> Self { Stage::$v(s) } })*

        impl Stage {
            fn inner(&self) -> &dyn HasParams { match self { $(Stage::$v(s) => s),* } }
            fn inner_mut(&mut self) -> &mut dyn HasParams { match self { $(Stage::$v(s) => s),* } }
            /// Fits this stage.
            pub fn fit(&self, data: &Dataset) -> Result<StageModel> {
                match self { $(Stage::$v(s) => Ok(StageModel::$m(s.fit(data)?))),* }
            }
            fn check_params(&self) -> Result<()> {
                match self { $(Stage::$v(s) => s.check_params()),* }
            }
        }

        impl StageModel {
            fn inner(&self) -> &dyn Transformer { match self { $(StageModel::$m(m) => m),* } }
        }
    };
}

stages! {
    StringIndexer(StringIndexer) => StringIndexerModel(StringIndexerModel),
    StandardScaler(StandardScaler) => StandardScalerModel(StandardScalerModel),
    Binarizer(Binarizer) => Binarizer(Binarizer),
    DecisionTreeClassifier(DecisionTreeClassifier) => DecisionTreeClassificationModel(DecisionTreeClassificationModel),
    DecisionTreeRegressor(DecisionTreeRegressor) => DecisionTreeRegressionModel(DecisionTreeRegressionModel),
    RandomForestClassifier(RandomForestClassifier) => RandomForestClassificationModel(RandomForestClassificationModel),
    RandomForestRegressor(RandomForestRegressor) => RandomForestRegressionModel(RandomForestRegressionModel),
    LogisticRegression(LogisticRegression) => LogisticRegressionModel(LogisticRegressionModel),
    Svc(Svc) => SvcModel(SvcModel),
}

impl Stage {
    /// Grid-sharing key of this stage (see [`Estimator::share_key`]).
    fn share_key(&self) -> Option<String> {
        match self {
            Stage::DecisionTreeClassifier(s) => s.share_key(),
            Stage::DecisionTreeRegressor(s) => s.share_key(),
            _ => None,
        }
        .map(|k| format!("{}:{k}", self.type_name()))
    }
    /// Fits stages that share a key on the same data (one by one otherwise).
    fn fit_many(group: &[&Stage], data: &Dataset) -> Result<Vec<StageModel>> {
        let dtc: Option<Vec<&DecisionTreeClassifier>> = group
            .iter()
            .map(|s| match s {
                Stage::DecisionTreeClassifier(d) => Some(d),
                _ => None,
            })
            .collect();
        if let Some(d) = dtc {
            return Ok(DecisionTreeClassifier::fit_many(&d, data)?
                .into_iter()
                .map(StageModel::DecisionTreeClassificationModel)
                .collect());
        }
        let dtr: Option<Vec<&DecisionTreeRegressor>> = group
            .iter()
            .map(|s| match s {
                Stage::DecisionTreeRegressor(d) => Some(d),
                _ => None,
            })
            .collect();
        if let Some(d) = dtr {
            return Ok(DecisionTreeRegressor::fit_many(&d, data)?
                .into_iter()
                .map(StageModel::DecisionTreeRegressionModel)
                .collect());
        }
        group.iter().map(|s| s.fit(data)).collect()
    }
}

impl HasParams for Stage {
    fn type_name(&self) -> &'static str {
        self.inner().type_name()
    }
    fn param_names(&self) -> &'static [&'static str] {
        self.inner().param_names()
    }
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        self.inner().get_param(name)
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.inner_mut().set_param(name, value)
    }
}

impl StageModel {
    /// Checks a model read from a file for the invariants its `transform`
    /// relies on (sizes that agree, indices in range), so that a malformed
    /// file is a load error rather than a panic at prediction time.
    fn validate(&self) -> std::result::Result<(), String> {
        let trees = |trees: &[crate::tree::Tree], d: usize, k: Option<usize>| {
            if trees.is_empty() {
                return Err("a forest has no trees".to_string());
            }
            trees.iter().try_for_each(|t| t.validate(d, k))
        };
        let classes = |k: usize| {
            if k == 0 {
                Err("num_classes is 0".to_string())
            } else {
                Ok(())
            }
        };
        match self {
            StageModel::DecisionTreeClassificationModel(m) => {
                classes(m.num_classes)?;
                m.tree.validate(m.num_features, Some(m.num_classes))
            }
            StageModel::DecisionTreeRegressionModel(m) => m.tree.validate(m.num_features, None),
            StageModel::RandomForestClassificationModel(m) => {
                classes(m.num_classes)?;
                trees(&m.trees, m.num_features, Some(m.num_classes))
            }
            StageModel::RandomForestRegressionModel(m) => trees(&m.trees, m.num_features, None),
            StageModel::LogisticRegressionModel(m) => {
                classes(m.num_classes)?;
                let outputs = match m.mode {
                    crate::linear::Mode::Binomial if m.num_classes == 2 => 1,
                    crate::linear::Mode::Binomial => {
                        return Err("a binomial model must have 2 classes".into());
                    }
                    _ => m.num_classes,
                };
                if m.intercepts.len() != outputs || m.coefficients.len() != outputs * m.num_features
                {
                    return Err(format!(
                        "{} intercepts and {} coefficients, expected {outputs} and {}",
                        m.intercepts.len(),
                        m.coefficients.len(),
                        outputs * m.num_features
                    ));
                }
                Ok(())
            }
            StageModel::SvcModel(m) => m.validate(),
            StageModel::StandardScalerModel(m) => {
                if m.mean.len() != m.std.len() {
                    return Err(format!(
                        "{} means but {} standard deviations",
                        m.mean.len(),
                        m.std.len()
                    ));
                }
                Ok(())
            }
            StageModel::StringIndexerModel(m) => {
                if !["error", "skip", "keep"].contains(&m.handle_invalid.as_str()) {
                    return Err(format!(
                        "handleInvalid {:?} is not error, skip or keep",
                        m.handle_invalid
                    ));
                }
                Ok(())
            }
            StageModel::Binarizer(_) => Ok(()),
        }
    }
}

impl Transformer for StageModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        self.inner().transform(data)
    }
}

/// A stage with its name (used by stage-qualified param refs `name.param`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedStage {
    /// Unique name within the pipeline.
    pub name: String,
    /// The stage.
    pub stage: Stage,
}

/// Spark's `Pipeline`: stages fitted in order, each on the output of the
/// previous fitted stages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    stages: Vec<NamedStage>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a stage named after its type (`DecisionTreeClassifier`, with
    /// `_2`, `_3`, ... appended when the name is taken).
    pub fn stage(self, stage: impl Into<Stage>) -> Self {
        let stage = stage.into();
        let base = stage.type_name().to_string();
        let mut name = base.clone();
        let mut k = 2;
        while self.stages.iter().any(|s| s.name == name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.named(&name, stage)
    }
    /// Appends a stage with an explicit name.
    pub fn named(mut self, name: &str, stage: impl Into<Stage>) -> Self {
        self.stages.push(NamedStage {
            name: name.to_string(),
            stage: stage.into(),
        });
        self
    }
    /// The stages.
    pub fn stages(&self) -> &[NamedStage] {
        &self.stages
    }
    fn apply(&mut self, r: &ParamRef, v: &ParamValue) -> Result<()> {
        match &r.stage {
            Some(s) => {
                let st = self
                    .stages
                    .iter_mut()
                    .find(|n| &n.name == s)
                    .ok_or_else(|| MlError::UnknownParam {
                        param: r.to_string(),
                        target: "Pipeline (no stage of that name)".into(),
                    })?;
                st.stage.set_param(&r.name, v)
            }
            None => {
                let mut hit = false;
                for st in &mut self.stages {
                    if st.stage.param_names().contains(&r.name.as_str()) {
                        st.stage.set_param(&r.name, v)?;
                        hit = true;
                    }
                }
                if hit {
                    Ok(())
                } else {
                    Err(MlError::UnknownParam {
                        param: r.name.clone(),
                        target: "any pipeline stage".into(),
                    })
                }
            }
        }
    }
}

impl HasParams for Pipeline {
    fn type_name(&self) -> &'static str {
        "Pipeline"
    }
    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }
    /// `stage.param`, or a bare name (the first stage that has it).
    fn get_param(&self, name: &str) -> Option<ParamValue> {
        let r = ParamRef::from(name);
        self.stages
            .iter()
            .filter(|s| r.stage.as_ref().is_none_or(|n| *n == s.name))
            .find_map(|s| s.stage.get_param(&r.name))
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.apply(&ParamRef::from(name), value)
    }
    /// Every stage's params as `stage.param`.
    fn params(&self) -> Vec<(String, ParamValue)> {
        self.stages
            .iter()
            .flat_map(|s| {
                s.stage
                    .params()
                    .into_iter()
                    .map(move |(k, v)| (format!("{}.{k}", s.name), v))
            })
            .collect()
    }
}

impl Pipeline {
    /// Fits every stage but the last, returning their models and the data the
    /// last stage is fitted on.
    fn fit_prefix<'d>(
        &self,
        data: &'d Dataset,
    ) -> Result<(Vec<NamedStageModel>, std::borrow::Cow<'d, Dataset>)> {
        let mut cur = std::borrow::Cow::Borrowed(data);
        let mut out = Vec::with_capacity(self.stages.len());
        for s in self.stages.iter().take(self.stages.len().saturating_sub(1)) {
            let m = s.stage.fit(&cur)?;
            cur = std::borrow::Cow::Owned(m.transform(&cur)?);
            out.push(NamedStageModel {
                name: s.name.clone(),
                stage: m,
            });
        }
        Ok((out, cur))
    }
}

impl Estimator for Pipeline {
    type Model = PipelineModel;
    fn fit(&self, data: &Dataset) -> Result<PipelineModel> {
        self.check_params()?;
        let (mut out, cur) = self.fit_prefix(data)?;
        if let Some(last) = self.stages.last() {
            out.push(NamedStageModel {
                name: last.name.clone(),
                stage: last.stage.fit(&cur)?,
            });
        }
        Ok(PipelineModel { stages: out })
    }
    /// Pipelines that agree on every stage but the last (same names and
    /// params) and whose last stages share a key fit the prefix once.
    fn share_key(&self) -> Option<String> {
        let (last, prefix) = self.stages.split_last()?;
        let k = last.stage.share_key()?;
        Some(format!("{prefix:?}|{}|{k}", last.name))
    }
    fn fit_many(group: &[&Self], data: &Dataset) -> Result<Vec<PipelineModel>> {
        let Some(first) = group.first() else {
            return Ok(Vec::new());
        };
        let n = first.stages.len();
        let same_prefix = n > 0
            && group.iter().all(|p| {
                p.stages.len() == n
                    && p.stages[..n - 1] == first.stages[..n - 1]
                    && p.stages[n - 1].name == first.stages[n - 1].name
            });
        if group.len() == 1 || !same_prefix {
            return group.iter().map(|p| p.fit(data)).collect();
        }
        for p in group {
            p.check_params()?;
        }
        let (prefix, cur) = first.fit_prefix(data)?;
        let lasts: Vec<&Stage> = group.iter().map(|p| &p.stages[n - 1].stage).collect();
        let name = &first.stages[n - 1].name;
        Ok(Stage::fit_many(&lasts, &cur)?
            .into_iter()
            .map(|m| {
                let mut stages = prefix.clone();
                stages.push(NamedStageModel {
                    name: name.clone(),
                    stage: m,
                });
                PipelineModel { stages }
            })
            .collect())
    }
    fn copy_with(&self, map: &ParamMap) -> Result<Self> {
        let mut p = self.clone();
        for (r, v) in map.iter() {
            p.apply(r, v)?;
        }
        Ok(p)
    }
    fn check_params(&self) -> Result<()> {
        for s in &self.stages {
            s.stage.check_params()?;
        }
        Ok(())
    }
}

/// A fitted stage with its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedStageModel {
    /// Stage name.
    pub name: String,
    /// The fitted stage.
    pub stage: StageModel,
}

/// A fitted pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineModel {
    /// Fitted stages in order.
    pub stages: Vec<NamedStageModel>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    stages: serde_json::Value,
}

impl Transformer for PipelineModel {
    fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let mut cur = data.clone();
        for s in &self.stages {
            cur = s.stage.transform(&cur)?;
        }
        Ok(cur)
    }
}

impl PipelineModel {
    /// The fitted stage called `name`.
    pub fn stage(&self, name: &str) -> Option<&StageModel> {
        self.stages
            .iter()
            .find(|s| s.name == name)
            .map(|s| &s.stage)
    }
    /// The saved JSON text (see the module docs for the format).
    pub fn to_json(&self) -> Result<String> {
        let stages = serde_json::to_value(&self.stages)
            .map_err(|e| MlError::Fit(format!("serialise: {e}")))?;
        serde_json::to_string(&Envelope {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            stages,
        })
        .map_err(|e| MlError::Fit(format!("serialise: {e}")))
    }
    /// Parses saved JSON text; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self> {
        let bad = |message: String| MlError::Format {
            path: origin.to_path_buf(),
            message,
        };
        let env: Envelope = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a saved pipeline model: {e}")))?;
        if env.format != FORMAT {
            return Err(bad(format!(
                "format is {:?}, expected {FORMAT:?}",
                env.format
            )));
        }
        if env.version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {} is not supported (this build reads {FORMAT_VERSION})",
                env.version
            )));
        }
        let stages: Vec<NamedStageModel> =
            serde_json::from_value(env.stages).map_err(|e| bad(format!("bad stages: {e}")))?;
        for s in &stages {
            s.stage
                .validate()
                .map_err(|e| bad(format!("stage '{}': {e}", s.name)))?;
        }
        Ok(PipelineModel { stages })
    }
    /// Saves into directory `dir` (created if missing) as `dir/pipeline_model.json`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let io = |source| MlError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(MODEL_FILE);
        std::fs::write(&path, self.to_json()?).map_err(|source| MlError::Io { path, source })
    }
    /// Loads what [`PipelineModel::save`] wrote.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let path = dir.as_ref().join(MODEL_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| MlError::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_json(&text, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe() -> Pipeline {
        Pipeline::new()
            .named("idx", StringIndexer::new())
            .named("dt", DecisionTreeClassifier::new())
    }

    #[test]
    fn params_route_to_stages() {
        let p = pipe()
            .copy_with(&ParamMap::new().put("maxDepth", 7).put("dt.maxBins", 8))
            .unwrap();
        assert_eq!(p.get_param("dt.maxDepth"), Some(ParamValue::Int(7)));
        assert_eq!(p.get_param("maxBins"), Some(ParamValue::Int(8)));
        let e = pipe()
            .copy_with(&ParamMap::new().put("numTrees", 3))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown param 'numTrees' for any pipeline stage"
        );
        let e = pipe()
            .copy_with(&ParamMap::new().put("rf.numTrees", 3))
            .unwrap_err();
        assert!(e.to_string().contains("rf.numTrees"));
        assert!(pipe().params().iter().any(|(k, _)| k == "dt.minInfoGain"));
        let auto = Pipeline::new()
            .stage(Binarizer::new())
            .stage(Binarizer::new());
        assert_eq!(auto.stages()[1].name, "Binarizer_2");
    }

    #[test]
    fn bad_stage_param_fails_before_fitting() {
        let d = Dataset::from_rows(&[vec![0.0], vec![1.0]], Some(vec![3.0, 4.0])).unwrap();
        let p = pipe()
            .copy_with(&ParamMap::new().put("maxBins", 1))
            .unwrap();
        assert_eq!(
            p.fit(&d).unwrap_err().to_string(),
            "invalid param maxBins = 1: must be >= 2"
        );
    }

    #[test]
    fn format_is_checked() {
        let d = Dataset::from_rows(&[vec![0.0], vec![1.0]], Some(vec![3.0, 4.0])).unwrap();
        let m = pipe().fit(&d).unwrap();
        let json = m.to_json().unwrap();
        assert!(json.starts_with(r#"{"format":"cairn-ml/pipeline-model","version":1,"#));
        let p = Path::new("x");
        assert_eq!(PipelineModel::from_json(&json, p).unwrap(), m);
        let v2 = json.replace("\"version\":1", "\"version\":2");
        let e = PipelineModel::from_json(&v2, p).unwrap_err();
        assert!(e.to_string().contains("format version 2 is not supported"));
        assert!(PipelineModel::from_json("{}", p).is_err());
    }
}
