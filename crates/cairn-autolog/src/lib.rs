//! Autologging: searches and model selection written to the tracking
//! backend as a parent run with one nested child run per candidate.
//!
//! This crate is glue between the libraries that know nothing of tracking
//! (`cairn-tune`, `cairn-ml`) and the tracking client: they expose observer
//! hooks, and the loggers here turn each observation into runs, params and
//! metrics with the candidates' real values.

pub mod ml;
pub mod tune;

pub use ml::{CandidateLogger, Parent, fit_logged, log_pipeline_model};
pub use tune::{TrialLogger, fmin_logged};
