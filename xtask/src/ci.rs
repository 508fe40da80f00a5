//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use std::fs;

use crate::{
    attack, autobahn, bench, interop, smoke,
    util::{cargo, cargo_env, root},
};

/// The library crates, each checked alone with no and with all features.
const CRATES: &[&str] = &[
    "sockeye-codec",
    "sockeye-connection",
    "sockeye-handshake",
    "sockeye-deflate",
    "sockeye",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`cargo xtask ci` takes no arguments, got `{arg}`"));
    }
    cargo(&["fmt", "--all", "--check"])?;
    readme_in_sync()?;
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
    // The facade without its optional features: the default build users get.
    cargo(&["test", "-p", "sockeye"])?;
    cargo_env(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    crate::fuzz::ci()?;
    crate::miri::ci()?;
    smoke::run(&[])?;
    interop::run(&[])?;
    attack::run(&[])?;
    // Strict: UNIMPLEMENTED fails everywhere now that permessage-deflate exists.
    autobahn::run(&[])?;
    // Proves the side-by-side benchmarks run; asserts no speed.
    bench::run(&["--quick".to_owned()])?;
    eprintln!("xtask ci: all steps passed");
    Ok(())
}

/// The facade's crate docs include `crates/sockeye/README.md` (so its code is compiled as
/// doctests); it must be the same as the repository's README.
fn readme_in_sync() -> Result<(), String> {
    let root = root();
    let read = |p: &str| fs::read_to_string(root.join(p)).map_err(|e| format!("{p}: {e}"));
    if read("README.md")? == read("crates/sockeye/README.md")? {
        eprintln!("README.md and crates/sockeye/README.md agree");
        Ok(())
    } else {
        Err("README.md and crates/sockeye/README.md differ: copy README.md over the crate's".into())
    }
}
