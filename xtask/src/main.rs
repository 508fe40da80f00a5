//! `cargo xtask <ci|smoke|interop|attack|autobahn|fuzz|bench>`: project automation, in the style of
//! matklad's cargo-xtask. Std only: every task is a function that runs commands and prints each one
//! before it runs it, so a CI log reads as a script.
#![allow(clippy::print_stdout)]

mod attack;
mod autobahn;
mod bench;
mod ci;
mod fuzz;
mod interop;
mod json;
mod miri;
mod process;
mod smoke;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("", &[][..]),
    };
    let result = match task {
        "ci" => ci::run(rest),
        "smoke" => smoke::run(rest),
        "autobahn" => autobahn::run(rest),
        "interop" => interop::run(rest),
        "attack" => attack::run(rest),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        _ => Err(
            "usage: cargo xtask <ci|smoke|interop|attack|autobahn|fuzz|bench> [options]".to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
