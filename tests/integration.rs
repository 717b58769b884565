//! Integration tests of the `cairn` binary: they spawn the real executable
//! (`CARGO_BIN_EXE_cairn`) and talk to it over HTTP.
//!
//! All modules live in this one test binary so it is linked once
//! (see ../shared/design/practices.md, practice 8).

mod durability;
mod support;
