//! # cairn-ml
//!
//! A Spark-MLlib-style machine-learning library, usable on its own (it depends
//! on no other Cairn crate and on no tracking code):
//!
//! - [`data`]: the dense [`Dataset`] and seeded train/test splits;
//! - [`folds`]: k-fold and stratified k-fold, shuffled by Cairn's generator or,
//!   for scikit-learn's exact folds, by numpy's legacy `RandomState`;
//! - [`io`]: LIBSVM/svmlight and CSV readers (gzip detected automatically);
//! - [`param`]: named typed params, [`ParamMap`], [`ParamGridBuilder`], the
//!   linfa-style [`ParamGuard`] (raw params → `check()` → valid params);
//! - [`traits`]: the Estimator → Model split ([`Estimator`], [`Transformer`]);
//! - [`feature`]: StringIndexer, StandardScaler, Binarizer;
//! - [`tree`]: decision trees and random forests (classification and
//!   regression) with Spark's `maxBins` quantile binning;
//! - [`linear`]: logistic regression (binomial/multinomial; regParam +
//!   elasticNetParam, or scikit-learn's `C`);
//! - [`svm`]: SVC with scikit-learn semantics (linear and rbf kernels);
//! - [`evaluation`]: multiclass and binary evaluators;
//! - [`pipeline`]: Pipeline / PipelineModel and the saved format;
//! - [`tuning`]: CrossValidator, TrainValidationSplit, `cross_val_score`, and
//!   the [`CvObserver`] hook through which an autologging layer sees every
//!   candidate's param map and metrics.
//!
//! ```
//! use cairn_ml::prelude::*;
//! let data = Dataset::from_rows(
//!     &[vec![1.0], vec![2.0], vec![3.0], vec![4.0], vec![5.0], vec![6.0]],
//!     Some(vec![7.0, 7.0, 7.0, 9.0, 9.0, 9.0]),
//! )?;
//! let pipeline = Pipeline::new()
//!     .named("indexer", StringIndexer::new())
//!     .named("dt", DecisionTreeClassifier::new());
//! let grid = ParamGridBuilder::new().add_grid("maxDepth", [0, 1]).add_grid("dt.maxBins", [2, 32]).build();
//! let evaluator = MulticlassClassificationEvaluator::new("weightedPrecision")?;
//! let cv = CrossValidator::new(pipeline, grid, &evaluator).num_folds(2).fit(&data)?;
//! assert_eq!(cv.best_params.to_string_pairs()[0], ("maxDepth".to_string(), "1".to_string()));
//! let dir = tempfile::tempdir().unwrap();
//! cv.best_model.save(dir.path())?;
//! let loaded = PipelineModel::load(dir.path())?;
//! assert_eq!(loaded.transform(&data)?.prediction(), cv.best_model.transform(&data)?.prediction());
//! # Ok::<(), cairn_ml::MlError>(())
//! ```
//!
//! ## Persistence
//!
//! A fitted [`PipelineModel`] saves to a directory as one versioned JSON file;
//! the format (version 1) is specified in [`pipeline`]'s docs.
//!
//! ## Errors
//!
//! Every fallible call returns [`MlError`], whose message names the row,
//! column or param at fault. No input makes the library panic.

pub mod data;
pub mod error;
pub mod evaluation;
pub mod feature;
pub mod folds;
pub mod io;
pub mod linear;
mod numpy_compat;
pub mod param;
pub mod pipeline;
pub mod svm;
pub mod traits;
pub mod tree;
pub mod tuning;

pub use data::Dataset;
pub use error::{MlError, Result};
pub use param::{ParamGridBuilder, ParamGuard, ParamMap, ParamValue};
pub use pipeline::{Pipeline, PipelineModel};
pub use traits::{Estimator, Transformer};
pub use tuning::CvObserver;

/// Everything needed for typical use.
pub mod prelude {
    pub use crate::data::{Dataset, train_test_split};
    pub use crate::error::{MlError, Result};
    pub use crate::evaluation::{
        BinaryClassificationEvaluator, Evaluator, MulticlassClassificationEvaluator,
    };
    pub use crate::feature::{Binarizer, StandardScaler, StringIndexer};
    pub use crate::folds::{Fold, FoldRng, KFold, StratifiedKFold};
    pub use crate::io::{CsvOptions, LibsvmOptions, read_csv, read_libsvm};
    pub use crate::linear::LogisticRegression;
    pub use crate::param::{
        HasParams, ParamGridBuilder, ParamGuard, ParamMap, ParamRef, ParamValue,
    };
    pub use crate::pipeline::{Pipeline, PipelineModel, Stage};
    pub use crate::svm::Svc;
    pub use crate::traits::{Estimator, Transformer};
    pub use crate::tree::{
        DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier,
        RandomForestRegressor, SplitSampleRng,
    };
    pub use crate::tuning::{
        CandidateResult, CrossValidator, CvObserver, FoldKind, TrainValidationSplit,
        cross_val_score, make_folds, make_folds_with,
    };
}
