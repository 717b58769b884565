//! cairn-artifacts
