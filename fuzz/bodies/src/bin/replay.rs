//! Replays inputs through the fuzz target bodies on stable Rust, without libFuzzer.
//!
//! * `replay` runs every target over every file in `fuzz/seeds/<target>/` (which must exist and
//!   be non-empty) and `fuzz/corpus/<target>/` (if present), and checks that each file in
//!   `fuzz/fuzz_targets/` has a body.
//! * `replay <target> <file or directory>...` runs one target over the given inputs, e.g. a
//!   crash file from `fuzz/artifacts/<target>/`.
//!
//! Exits with status 1 if any input panics (the panic message names the assertion) or the
//! layout checks fail.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aauth_verify_fuzz_bodies::{Body, TARGETS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/bodies has a parent");
    let mut failed = 0usize;

    if let Some((name, paths)) = args.split_first() {
        let Some(body) = body(name) else {
            eprintln!("unknown target {name:?}; known: {:?}", names());
            return ExitCode::from(2);
        };
        let mut files = Vec::new();
        for p in paths {
            collect(Path::new(p), &mut files);
        }
        failed += replay(name, body, &files);
    } else {
        failed += check_targets_have_bodies(&fuzz_dir.join("fuzz_targets"));
        for &(name, body) in TARGETS {
            let seeds = fuzz_dir.join("seeds").join(name);
            let mut files = Vec::new();
            collect(&seeds, &mut files);
            if files.is_empty() {
                eprintln!("FAIL {name}: no seed files in {}", seeds.display());
                failed += 1;
            }
            let corpus = fuzz_dir.join("corpus").join(name);
            if corpus.is_dir() {
                collect(&corpus, &mut files);
            }
            failed += replay(name, body, &files);
        }
    }

    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("fuzz-replay: {failed} failure(s)");
        ExitCode::FAILURE
    }
}

fn names() -> Vec<&'static str> {
    TARGETS.iter().map(|&(n, _)| n).collect()
}

fn body(name: &str) -> Option<Body> {
    TARGETS.iter().find(|&&(n, _)| n == name).map(|&(_, b)| b)
}

/// Adds `path` (a file) or the files directly inside it (a directory) to `out`, sorted.
fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    out.extend(files);
}

/// Runs `body` on each file; returns the number of panics.
fn replay(name: &str, body: Body, files: &[PathBuf]) -> usize {
    let mut failed = 0;
    for file in files {
        let data = match fs::read(file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("FAIL {name}: cannot read {}: {e}", file.display());
                failed += 1;
                continue;
            }
        };
        if panic::catch_unwind(|| body(&data)).is_err() {
            eprintln!("FAIL {name}: {} panicked (see above)", file.display());
            failed += 1;
        }
    }
    println!("{name}: {} input(s), {failed} failure(s)", files.len());
    failed
}

/// Every `fuzz_targets/<name>.rs` must have an entry in `TARGETS`.
fn check_targets_have_bodies(dir: &Path) -> usize {
    let mut failed = 0;
    let mut files = Vec::new();
    collect(dir, &mut files);
    for file in files {
        let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if body(stem).is_none() {
            eprintln!("FAIL {}: no entry in bodies::TARGETS", file.display());
            failed += 1;
        }
    }
    failed
}
