//! The stable fallback for the fuzz targets: replays every file under `corpus/<target>/`
//! through the same function the libFuzzer binary calls, with no nightly and no libFuzzer.
//!
//! Run it with `cargo test --manifest-path fuzz/Cargo.toml --no-default-features` (`cargo
//! xtask fuzz` and `cargo xtask ci` do). The corpus holds the committed seeds (see
//! `seeds.rs`) and the inputs of fixed bugs (`regression-*`); a local `cargo fuzz run` may
//! add more files, which are replayed too.

mod seeds;

use std::{
    fs,
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
};

use sockeye_fuzz::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut failed = Vec::new();
    let mut total = 0;
    for (target, run) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target} has no corpus");
        for file in &files {
            let data = fs::read(file).expect("a readable corpus file");
            if panic::catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(file.display().to_string());
            }
        }
        eprintln!("corpus: {target}: {} inputs replayed", files.len());
        total += files.len();
    }
    eprintln!("corpus: {total} inputs replayed, {} failed", failed.len());
    assert!(failed.is_empty(), "inputs that fail: {failed:#?}");
}

#[test]
fn committed_seeds_match_seeds_rs() {
    let bless = std::env::var_os("SOCKEYE_FUZZ_BLESS").is_some();
    let mut stale = Vec::new();
    for seed in seeds::seeds() {
        assert!(
            TARGETS.iter().any(|(t, _)| *t == seed.target),
            "no target {}",
            seed.target
        );
        let path = corpus_dir(seed.target).join(seed.name);
        if bless {
            fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            fs::write(&path, &seed.bytes).expect("write seed");
        } else if fs::read(&path).ok().as_deref() != Some(&seed.bytes[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "seeds missing or stale (rerun with SOCKEYE_FUZZ_BLESS=1): {stale:#?}"
    );
}
