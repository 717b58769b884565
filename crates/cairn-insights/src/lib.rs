//! Pure, IO-free analytics behind Cairn's UI.
//!
//! - [`downsample`]: shrink a long metric series to a pixel budget while
//!   keeping every bucket's minimum and maximum, so spikes stay visible.
//! - [`importance`]: which hyperparameters drive an objective, by the mean
//!   decrease in impurity of a small deterministic random forest.
//!
//! No async runtime, no HTTP, no SQL: plain functions over slices, unit-tested
//! next to the code. Callers on a server run them on blocking threads.

pub mod downsample;
pub mod importance;

pub use downsample::{Point, downsample_minmax};
pub use importance::{ForestOptions, encode_param, importance};
