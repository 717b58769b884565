//! Integration tests of the tracking server: the real router over a temporary
//! SQLite store and a local artifact repository, driven with `oneshot` (no
//! socket). One test binary; one module per area.

#[path = "integration/common.rs"]
mod common;

#[path = "integration/artifacts.rs"]
mod artifacts;
#[path = "integration/errors.rs"]
mod errors;
#[path = "integration/experiments.rs"]
mod experiments;
#[path = "integration/fuzz.rs"]
mod fuzz;
#[path = "integration/metrics.rs"]
mod metrics;
#[path = "integration/registry.rs"]
mod registry;
#[path = "integration/runs.rs"]
mod runs;
#[path = "integration/ui.rs"]
mod ui;
#[path = "integration/wire.rs"]
mod wire;
