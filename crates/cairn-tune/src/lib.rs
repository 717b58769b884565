//! Cairn's tuning engine: Hyperopt's model (search spaces built from `hp.*`
//! primitives with conditional branches, `fmin`, `Trials`) with stronger
//! samplers, parallel evaluation and reproducible seeds.
//!
//! This crate does no IO except reading/writing an optional trials file; it
//! knows nothing of tracking, HTTP or async runtimes.
//!
//! # Example: a conditional space (Hyperopt guide's classifier choice)
//!
//! ```
//! use cairn_tune::{fmin, hp, Algo, Expr, FminOptions, Space, Trials, Value};
//!
//! let space = Space::new(hp::choice("classifier", [
//!     Expr::map([
//!         ("type", Expr::from("svm")),
//!         ("C", hp::loguniform("svm_C", -5.0, 5.0)),
//!         ("kernel", hp::choice("svm_kernel", ["linear", "rbf"])),
//!     ]),
//!     Expr::map([
//!         ("type", Expr::from("logreg")),
//!         ("C", hp::loguniform("lr_C", -5.0, 5.0)),
//!     ]),
//!     Expr::map([
//!         ("type", Expr::from("rf")),
//!         ("max_depth", hp::uniformint("rf_max_depth", 2.0, 20.0)),
//!         ("n_estimators", hp::quniform("rf_n_estimators", 50.0, 500.0, 50.0)),
//!     ]),
//! ])).unwrap();
//!
//! // A stand-in for "cross-validated error of this classifier".
//! let objective = |p: &Value| -> f64 {
//!     match p["type"].as_str().unwrap() {
//!         "svm" => 0.2 + 0.01 * p["C"].as_f64().unwrap().ln().powi(2),
//!         "logreg" => 0.25 + 0.01 * (p["C"].as_f64().unwrap().ln() - 1.0).powi(2),
//!         _ => 0.1 + 0.001 * (p["max_depth"].as_i64().unwrap() - 8).pow(2) as f64,
//!     }
//! };
//! let mut trials = Trials::new();
//! let out = fmin(objective, &space, &mut trials,
//!     FminOptions::new().algo(Algo::Default).max_evals(60).seed(7).show_progressbar(false)).unwrap();
//! // argmin reports choice *indices* (Hyperopt's convention) ...
//! assert!(out.argmin.contains_key("classifier"));
//! // ... and `best` the evaluated point.
//! assert!(out.best["type"].as_str().is_some());
//! // Per-trial flat parameters for logging:
//! let params = trials.trials()[0].params(&space);
//! assert_eq!(params[0].0, "classifier");
//! ```

pub mod early_stop;
pub mod error;
pub mod fmin;
pub mod math;
pub mod samplers;
pub mod space;
pub mod trials;
pub mod value;

pub use early_stop::no_progress_loss;
pub use error::{Result, TuneError};
pub use fmin::{FminOptions, FminOutcome, StopReason, TrialView, fmin};
pub use samplers::{Algo, History, ObsState, Observation, Sampler};
pub use space::{Assignment, Dist, DistSpec, Expr, Param, Space, hp};
pub use trials::{IntoTrialResult, Status, Trial, TrialResult, Trials};
pub use value::Value;
