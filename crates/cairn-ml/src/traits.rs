//! The Estimator → Model split (Spark's `Estimator`/`Transformer`, linfa's `Fit`).
//!
//! An [`Estimator`] is a value of *raw* params: `fit` first runs the
//! [`crate::param::ParamGuard`] check (so a bad `maxDepth` fails before any work)
//! and then trains a model of a different type, which is a [`Transformer`].
//! Transformers never mutate their input; they return a new [`Dataset`].

use crate::data::Dataset;
use crate::error::Result;
use crate::param::{HasParams, ParamMap};
use std::fmt;

/// Something that maps a dataset to a dataset (feature transformers, fitted models).
pub trait Transformer: Send + Sync + fmt::Debug {
    /// Returns the transformed dataset (a fitted predictor adds `prediction`,
    /// and classifiers also `probability`).
    fn transform(&self, data: &Dataset) -> Result<Dataset>;
}

/// Raw params that can be fitted into a model.
pub trait Estimator: HasParams + Clone + Send + Sync + fmt::Debug {
    /// The fitted model type.
    type Model: Transformer + Send + Sync;
    /// Checks the params, then fits.
    fn fit(&self, data: &Dataset) -> Result<Self::Model>;
    /// Validates the params without fitting (the `ParamGuard` check), so that
    /// model selection can reject a bad grid before any work.
    fn check_params(&self) -> Result<()> {
        Ok(())
    }
    /// Candidates of a param grid whose keys are equal (and not `None`) may
    /// be fitted together by [`Estimator::fit_many`]; `None` means "fit alone".
    fn share_key(&self) -> Option<String> {
        None
    }
    /// Fits every estimator of `group` on the same data, returning the models
    /// in order. The default fits them one by one; estimators that can share
    /// work override it (decision trees bin once and cut shallower trees from
    /// the deepest one). The result must equal fitting each one alone.
    fn fit_many(group: &[&Self], data: &Dataset) -> Result<Vec<Self::Model>> {
        group.iter().map(|e| e.fit(data)).collect()
    }
    /// A copy with `map` applied. A bare estimator applies every entry by its
    /// name (the stage part of a ref is ignored); a [`crate::pipeline::Pipeline`]
    /// routes stage refs to the named stage.
    fn copy_with(&self, map: &ParamMap) -> Result<Self> {
        let mut e = self.clone();
        for (r, v) in map.iter() {
            e.set_param(&r.name, v)?;
        }
        Ok(e)
    }
}
