//! Interleaved wall clock: the raw Ed25519 floors and the core's full verifications, measured
//! in the same rounds so that a shared, noisy machine slows all of them alike.
//!
//! `floors [ROUNDS] [ITERS]`: each round times `ITERS` calls of every floor and every full
//! verification of every fixture, in an order rotated from round to round; a ratio (a full
//! verification over its fixture's floor) is taken within a round, and the median over the
//! rounds is reported. Prints JSON (`make bench` writes it to `target/bench/floors-<backend>.json`).
//!
//! Wall clock, not instruction counts, is the figure for comparing two Ed25519 backends: their
//! instructions differ in width (AVX2 against 64-bit scalar code), so equal counts do not take
//! equal time.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use aauth_verify::JwtScratch;
use aauth_verify_benches::{fixtures, BenchCache, Fixture, BACKEND, FLOOR, FLOORS};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The full-verification modes measured for `f`.
fn modes(f: &Fixture) -> Vec<&'static str> {
    let mut m = vec!["full"];
    if f.token.is_some() {
        m.push("full_cached");
    }
    if !f.jwks.is_empty() {
        m.push("full_documents");
    }
    m
}

fn run(f: &Fixture, mode: &str, scratch: &mut JwtScratch, cache: &mut BenchCache) -> bool {
    match mode {
        "full" => f.full(scratch),
        "full_cached" => f.full_cached(scratch, cache),
        "full_documents" => f.full_documents(scratch),
        floor => f.raw_with(floor),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(15, |a| a.parse().expect("ROUNDS"));
    let iters: u32 = args.next().map_or(300, |a| a.parse().expect("ITERS"));
    let fixtures = fixtures();
    let mut scratch = Box::new(JwtScratch::new());
    // One warm cache per fixture (the token was verified once before timing starts).
    let mut caches: Vec<BenchCache> = fixtures
        .iter()
        .map(|f| {
            let mut c = BenchCache::new();
            if f.token.is_some() {
                assert!(f.full_cached(&mut scratch, &mut c));
            }
            c
        })
        .collect();
    let mut items: Vec<(usize, &'static str)> = Vec::new();
    for (i, f) in fixtures.iter().enumerate() {
        for floor in FLOORS {
            items.push((i, floor));
        }
        for m in modes(f) {
            items.push((i, m));
        }
    }
    // ns per call, per (fixture, mode), one value per round; ratios per round.
    let mut ns: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
    let mut ratios: BTreeMap<(usize, String), Vec<f64>> = BTreeMap::new();
    for round in 0..rounds {
        let mut this: BTreeMap<(usize, &str), f64> = BTreeMap::new();
        let n = items.len();
        for k in 0..n {
            let (i, mode) = items[(k + round * 7) % n];
            let f = &fixtures[i];
            let cache = &mut caches[i];
            let t = Instant::now();
            let mut ok = 0u32;
            for _ in 0..iters {
                ok += u32::from(run(black_box(f), mode, &mut scratch, cache));
            }
            let dt = t.elapsed().as_nanos() as f64 / f64::from(iters);
            assert_eq!(ok, iters, "{} {mode}", f.name());
            this.insert((i, mode), dt);
        }
        for (&(i, mode), &v) in &this {
            ns.entry((i, mode)).or_default().push(v);
            let floor = this[&(i, FLOOR)];
            ratios
                .entry((i, format!("{mode}/{FLOOR}")))
                .or_default()
                .push(v / floor);
            if mode.starts_with("raw_") {
                ratios
                    .entry((i, format!("{mode}/raw_compact")))
                    .or_default()
                    .push(v / this[&(i, "raw_compact")]);
            }
        }
    }
    let mut out = serde_json::Map::new();
    for (i, f) in fixtures.iter().enumerate() {
        let mut med_ns = serde_json::Map::new();
        let mut med_ratio = serde_json::Map::new();
        for ((j, mode), v) in ns.iter_mut() {
            if *j == i {
                med_ns.insert(
                    mode.to_string(),
                    (median(v) * 10.0).round().div_euclid(10.0).into(),
                );
            }
        }
        for ((j, key), v) in ratios.iter_mut() {
            if *j == i {
                med_ratio.insert(key.clone(), ((median(v) * 1000.0).round() / 1000.0).into());
            }
        }
        out.insert(
            f.name(),
            serde_json::json!({"median_ns": med_ns, "median_ratio": med_ratio}),
        );
    }
    let doc = serde_json::json!({
        "backend": BACKEND,
        "floor": FLOOR,
        "rounds": rounds,
        "iters_per_round": iters,
        "method": "per round, ITERS calls of every floor and full verification of every fixture, \
                   in an order rotated each round; ratios within a round; medians over rounds",
        "fixtures": out,
    });
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
}
