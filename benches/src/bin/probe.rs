//! Instruction-count driver for `valgrind --tool=callgrind`.
//!
//! `probe [ITERS] [FILTER]` runs, for every fixture and every mode, `ITERS` calls inside
//! [`aauth_probe_measure`]. Run it under
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect=aauth_probe_measure \
//!     --dump-after=aauth_probe_measure target/release/probe 10
//! ```
//!
//! so that each call of `aauth_probe_measure` lands in its own dump file containing only the
//! measured work (fixture setup is not collected). It prints one JSON line per call, in dump
//! order: `{"fixture": …, "mode": …, "iters": …, "backend": …}`. Without valgrind it just
//! runs. Built with and without the `dalek` feature (one probe per Ed25519 backend).

use std::hint::black_box;

use aauth_verify::JwtScratch;
use aauth_verify_benches::{fixtures, BenchCache, Fixture, BACKEND, FLOORS};

/// The modes, as in the criterion bench (the floors of [`FLOORS`] too).
const MODES: &[&str] = &[
    "full_cached",
    "parse",
    "base",
    "raw",
    "raw_compact",
    "raw_dalek",
    "raw_dalek_prepared",
    "raw_dalek_strict",
    "raw_core",
    "raw_all",
    "full",
    "full_documents",
];

/// The measured region: callgrind collects only inside this function.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn aauth_probe_measure(
    f: &Fixture,
    mode: &str,
    iters: u32,
    scratch: &mut JwtScratch,
    cache: &mut BenchCache,
    buf: &mut [u8],
) -> u32 {
    let mut ok = 0;
    for _ in 0..iters {
        let f = black_box(f);
        let r = match mode {
            "parse" => f.parse_only(scratch),
            "base" => f.base_only(buf) > 0,
            "raw" => f.raw(),
            "raw_all" => f.raw_all(),
            "full" => f.full(scratch),
            "full_cached" => f.full_cached(scratch, cache),
            "full_documents" => f.full_documents(scratch),
            floor if FLOORS.contains(&floor) => f.raw_with(floor),
            _ => false,
        };
        ok += u32::from(black_box(r));
    }
    ok
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iters: u32 = args.next().map_or(10, |a| a.parse().expect("ITERS"));
    let filter = args.next();
    let mut scratch = Box::new(JwtScratch::new());
    let mut buf = vec![0u8; 16 * 1024];
    for f in fixtures() {
        if filter.as_deref().is_some_and(|x| !f.name().contains(x)) {
            continue;
        }
        for &mode in MODES {
            let applicable = match mode {
                "raw_all" | "full_cached" => f.token.is_some(),
                "full_documents" => !f.jwks.is_empty(),
                _ => true,
            };
            if !applicable {
                continue;
            }
            // The cache is warmed outside the measured region.
            let mut cache = BenchCache::new();
            if mode == "full_cached" {
                assert!(f.full_cached(&mut scratch, &mut cache));
            }
            let ok = aauth_probe_measure(&f, mode, iters, &mut scratch, &mut cache, &mut buf);
            assert_eq!(ok, iters, "{} {mode} failed", f.name());
            println!(
                "{{\"fixture\": \"{}\", \"mode\": \"{mode}\", \"iters\": {iters}, \
                 \"backend\": \"{BACKEND}\"}}",
                f.name()
            );
        }
    }
}
