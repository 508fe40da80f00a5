//! Fuzz target `extension_offer`: see [`sockeye_fuzz::extension_offer`] for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sockeye_fuzz::extension_offer(data));
