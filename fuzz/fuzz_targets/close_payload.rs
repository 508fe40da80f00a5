//! Fuzz target `close_payload`: see [`sockeye_fuzz::close_payload`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::close_payload(data));
