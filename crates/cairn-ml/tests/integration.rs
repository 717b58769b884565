//! The crate's single integration-test binary (one link step); modules by area.

mod integration {
    mod agreement;
    mod binning;
    mod datasets;
    mod folds;
    mod persistence;
    mod selection;
    mod support;
}
