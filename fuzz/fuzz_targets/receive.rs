//! Fuzz target `receive`: see [`sockeye_fuzz::receive`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::receive(data));
