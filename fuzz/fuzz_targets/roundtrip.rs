//! Fuzz target `roundtrip`: see [`sockeye_fuzz::roundtrip`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::roundtrip(data));
