//! Fuzz target `handshake_response`: see [`sockeye_fuzz::handshake_response`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::handshake_response(data));
