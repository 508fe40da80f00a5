//! Fuzz target `utf8`: see [`sockeye_fuzz::utf8`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::utf8(data));
