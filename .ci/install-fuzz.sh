#!/usr/bin/env bash
# Installs cargo-fuzz for `cargo xtask fuzz` and the fuzz step of `cargo xtask ci`.
#
# cargo-fuzz is built from crates.io with `cargo install --locked` at a pinned version, into
# cargo's own bin directory ($CARGO_HOME/bin, normally ~/.cargo/bin), where `cargo fuzz`
# finds it. The fuzz targets themselves also need a nightly toolchain (for the sanitizer
# flags); none can be downloaded here, so this script does not try, and skips installing
# cargo-fuzz without one. `cargo xtask fuzz` then says `skipped: ...` and replays the corpus.
#
# Idempotent: when the pinned version is already installed it says so and exits at once.
set -euo pipefail

VERSION=0.13.2

say() { echo "install-fuzz: $*" >&2; }
run() { echo "+ $*" >&2; "$@"; }

if cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $VERSION"; then
    say "cargo-fuzz $VERSION already installed"
    exit 0
fi

# Without a nightly the targets cannot be built, so cargo-fuzz would be of no use.
if ! cargo +nightly --version >/dev/null 2>&1; then
    say "skipped: no nightly toolchain (see rustup toolchain list); cargo xtask fuzz will only replay the corpus"
    exit 0
fi

run cargo install cargo-fuzz --version "=$VERSION" --locked
cargo fuzz --version >&2
