//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use crate::util::{cargo, cargo_env};

/// The library crates, each checked alone with no and with all features.
const CRATES: &[&str] = &[
    "sockeye-codec",
    "sockeye-connection",
    "sockeye-handshake",
    "sockeye-deflate",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`cargo xtask ci` takes no arguments, got `{arg}`"));
    }
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])?;
    for krate in CRATES {
        cargo(&["check", "-p", krate, "--no-default-features"])?;
        cargo(&["check", "-p", krate, "--all-features"])?;
    }
    cargo(&["test", "--workspace", "--all-features"])?;
    cargo_env(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    eprintln!("xtask ci: all steps passed");
    Ok(())
}
