//! Fuzz target `handshake_request`: see [`sockeye_fuzz::handshake_request`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::handshake_request(data));
