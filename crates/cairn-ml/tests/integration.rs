//! The crate's single integration-test binary (one link step); modules by area.

mod integration {
    pub mod agreement;
    pub mod datasets;
    pub mod persistence;
    pub mod selection;
    pub mod support;
}
