//! Fuzz target `decode_header`: see [`sockeye_fuzz::decode_header`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::decode_header(data));
