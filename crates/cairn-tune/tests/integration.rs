//! Single integration-test binary for cairn-tune (one link on a 2-core box).

mod integration {
    mod bad_input;
    mod distributions;
    mod fmin_loop;
    mod props;
    mod samplers;
    mod spaces;
}
