//! Cairn's domain: the entities of experiment tracking, MLflow's validation
//! rules, the search filter language, the error type with stable codes, and
//! the storage traits.
//!
//! This crate does no IO and knows nothing of HTTP, SQL or async runtimes:
//! the server, stores and clients depend on it, never the other way round.

pub mod artifact_path;
pub mod commands;
pub mod entities;
pub mod error;
pub mod ids;
pub mod names;
pub mod page_token;
pub mod registry;
pub mod search;
pub mod store;
pub mod system_tags;
pub mod validation;

pub use entities::*;
pub use error::{Error, ErrorCode, Result};
pub use ids::{ExperimentId, RunId};
