//! The Miri step of `cargo xtask ci`: the unit tests that reach sockeye's `unsafe` (the
//! AVX2 masking loop in `sockeye-codec`, and lending checked text without a second check in
//! `sockeye-connection`) run under Miri, which reports undefined behaviour, when the nightly
//! toolchain has its `miri` component. Without it the step says `skipped: ...`: no
//! toolchain or component can be downloaded here.

use std::process::Stdio;

use crate::fuzz::{nightly_cargo, run_loud};

pub(crate) fn ci() -> Result<(), String> {
    let found = nightly_cargo(&["miri", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!(
            "skipped: Miri needs a nightly toolchain with the miri component \
             (`cargo +nightly miri --version` does not run)"
        );
        return Ok(());
    }
    // Masking: the portable loop, then the AVX2 one (Miri's CPU has only the features the
    // target enables, so `is_x86_feature_detected!("avx2")` is true only with the flag).
    run_loud(nightly_cargo(&[
        "miri",
        "test",
        "-p",
        "sockeye-codec",
        "--lib",
        "mask",
    ]))?;
    let mut avx2 = nightly_cargo(&["miri", "test", "-p", "sockeye-codec", "--lib", "mask"]);
    avx2.env("RUSTFLAGS", "-C target-feature=+avx2");
    run_loud(avx2)?;
    run_loud(nightly_cargo(&[
        "miri",
        "test",
        "-p",
        "sockeye-connection",
        "--lib",
        "data::",
    ]))?;
    eprintln!("miri: no undefined behaviour found");
    Ok(())
}
