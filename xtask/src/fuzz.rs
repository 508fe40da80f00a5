//! `cargo xtask fuzz [--seconds N]`: replays the fuzz corpus on stable, then runs every
//! cargo-fuzz target for N seconds (default 30) when a nightly toolchain and cargo-fuzz are
//! installed, failing on any crash. `ci()` is the same with 10 seconds per target.
//!
//! The targets are the `[[bin]]`s of `fuzz/Cargo.toml`; see `fuzz/README.md`. New inputs go
//! to `fuzz/corpus-new/<target>/` (ignored by git), so the committed corpus only grows on
//! purpose; crashes go to `fuzz/artifacts/<target>/`.

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
};

use crate::util::{cargo, root};

/// How long `cargo xtask fuzz` runs each target by default, in seconds.
const DEFAULT_SECONDS: u64 = 30;

/// How long `cargo xtask ci` runs each target, in seconds.
const CI_SECONDS: u64 = 10;

/// A single input running longer than this, in seconds, is a hang: libFuzzer fails on it.
const INPUT_TIMEOUT_SECONDS: u64 = 10;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let seconds = match args {
        [] => DEFAULT_SECONDS,
        [flag, n] if flag == "--seconds" => n
            .parse()
            .map_err(|_| format!("--seconds takes a whole number, not `{n}`"))?,
        _ => return Err("usage: cargo xtask fuzz [--seconds N]".to_owned()),
    };
    fuzz(seconds)
}

/// The fuzz step of `cargo xtask ci`.
pub(crate) fn ci() -> Result<(), String> {
    fuzz(CI_SECONDS)
}

fn fuzz(seconds: u64) -> Result<(), String> {
    let manifest = root().join("fuzz/Cargo.toml");
    let manifest = manifest
        .to_str()
        .ok_or("the repository path is not UTF-8")?;
    // The stable fallback: every corpus file through the same target functions.
    cargo(&["test", "--manifest-path", manifest, "--no-default-features"])?;
    let targets = targets()?;
    if let Some(missing) = missing_tools() {
        eprintln!(
            "skipped: coverage-guided fuzzing needs a nightly toolchain and cargo-fuzz ({missing})"
        );
        println!("fuzz: 0 passed, 0 failed, {} skipped", targets.len());
        return Ok(());
    }
    // Optimised, with debug assertions and overflow checks (cargo-fuzz's default), and
    // AddressSanitizer (also its default).
    run_loud(nightly_cargo(&["fuzz", "build"]))?;
    let mut failed = Vec::new();
    for target in &targets {
        match run_target(target, seconds) {
            Ok(stats) => eprintln!("fuzz: {target}: ok, {stats}"),
            Err(e) => {
                eprintln!("fuzz: {target}: FAILED: {e}");
                failed.push(target.as_str());
            }
        }
    }
    println!(
        "fuzz: {} passed, {} failed",
        targets.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {} (inputs in fuzz/artifacts/)",
            failed.join(", ")
        ))
    }
}

/// The target names: the `[[bin]]` names in `fuzz/Cargo.toml`.
fn targets() -> Result<Vec<String>, String> {
    let path = root().join("fuzz/Cargo.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(name) = in_bin.then(|| line.strip_prefix("name = ")).flatten() {
            targets.push(name.trim_matches('"').to_owned());
        }
    }
    if targets.is_empty() {
        return Err(format!("no [[bin]] targets in {}", path.display()));
    }
    Ok(targets)
}

/// Why coverage-guided fuzzing cannot run here, or `None` when it can.
fn missing_tools() -> Option<&'static str> {
    let ok = |cmd: &mut Command| {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(&mut nightly_cargo(&["--version"])) {
        return Some("`cargo +nightly` does not run: `rustup toolchain list` shows no nightly");
    }
    if !ok(&mut nightly_cargo(&["fuzz", "--version"])) {
        return Some("cargo-fuzz is not installed: run .ci/install-fuzz.sh");
    }
    None
}

/// `cargo +nightly ARGS` at the repository root, through rustup's `cargo` proxy.
///
/// The `CARGO` and `RUSTUP_TOOLCHAIN` that `cargo xtask` was started with name the stable
/// toolchain; cargo-fuzz would follow them, so they are removed.
pub(crate) fn nightly_cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly")
        .args(args)
        .current_dir(root())
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN");
    cmd
}

pub(crate) fn run_loud(mut cmd: Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{shown} failed with {status}"))
}

/// Runs one target for `seconds` and returns its totals, or the end of its log on a crash.
fn run_target(target: &str, seconds: u64) -> Result<String, String> {
    let new = format!("fuzz/corpus-new/{target}");
    let seeds = format!("fuzz/corpus/{target}");
    fs::create_dir_all(root().join(&new)).map_err(|e| format!("{new}: {e}"))?;
    let mut cmd = nightly_cargo(&["fuzz", "run", target, &new, &seeds, "--"]);
    cmd.arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg("-print_final_stats=1");
    eprintln!("$ {cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    // libFuzzer reports on stderr; keep the log next to the artifacts for a failed run.
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let log_path = root().join(format!("fuzz/artifacts/{target}.log"));
        let _ = fs::create_dir_all(root().join("fuzz/artifacts"));
        let _ = fs::write(&log_path, log.as_bytes());
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        eprintln!("{}", tail.join("\n"));
        return Err(format!("{} (log: {})", out.status, log_path.display()));
    }
    Ok(stats(&log, &root().join(new), &root().join(seeds)))
}

/// "N runs (N/s), corpus N inputs, ..." from libFuzzer's final stats and last status line.
fn stats(log: &str, new: &Path, seeds: &Path) -> String {
    let stat = |name: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .map_or("?", str::trim)
            .to_owned()
    };
    // Status lines look like `#4096 pulse cov: 300 ft: 1200 corp: 198/21Kb lim: 4096 ...`.
    let corpus = log
        .lines()
        .rev()
        .find_map(|l| l.split(" corp: ").nth(1))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("?");
    let count = |dir: &Path| fs::read_dir(dir).map_or(0, |d| d.count());
    format!(
        "{} runs ({}/s), corpus {corpus} inputs ({} seeds, {} in {}), peak rss {} MB",
        stat("number_of_executed_units"),
        stat("average_exec_per_sec"),
        count(seeds),
        count(new),
        new.strip_prefix(root()).unwrap_or(new).display(),
        stat("peak_rss_mb"),
    )
}
