//! cairn-store

// Wired into the SQLite store's search_runs/search_experiments separately.
#[cfg_attr(not(test), allow(dead_code))]
mod search;
