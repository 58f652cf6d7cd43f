//! Criterion benches for the core, per scheme: phase 1 alone (`parse`), signature base
//! construction alone (`base`), one raw verification of the same base by the build's floor
//! (`raw`: ed25519-dalek with the `dalek` feature, else ed25519-compact) and by every floor
//! (`raw_compact`, `raw_dalek`, `raw_dalek_prepared`, `raw_dalek_strict`, `raw_core`), every
//! raw verification the scheme needs (`raw_all`: adds the token JWS), the full
//! verification with resolved keys (`full`), with a warm verified-token cache (`full_cached`,
//! token schemes) and from JSON documents (`full_documents`).
//!
//! `make bench` turns the medians into overhead ratios (`full / raw`).

use std::hint::black_box;
use std::time::Duration;

use aauth_verify::JwtScratch;
use aauth_verify_benches::{fixtures, BenchCache, BACKEND, FLOORS};
use criterion::{criterion_group, criterion_main, Criterion};

fn core(c: &mut Criterion) {
    let mut scratch = Box::new(JwtScratch::new());
    let mut buf = vec![0u8; 16 * 1024];
    for f in fixtures() {
        // One group per backend build: `make bench` runs this bench with and without `dalek`.
        let mut g = c.benchmark_group(format!("{BACKEND}_{}", f.name().replace(' ', "_")));
        g.bench_function("parse", |b| {
            b.iter(|| black_box(&f).parse_only(&mut scratch))
        });
        g.bench_function("base", |b| b.iter(|| black_box(&f).base_only(&mut buf)));
        g.bench_function("raw", |b| b.iter(|| black_box(&f).raw()));
        for floor in FLOORS {
            g.bench_function(*floor, |b| b.iter(|| black_box(&f).raw_with(floor)));
        }
        if f.token.is_some() {
            g.bench_function("raw_all", |b| b.iter(|| black_box(&f).raw_all()));
        }
        g.bench_function("full", |b| b.iter(|| black_box(&f).full(&mut scratch)));
        if f.token.is_some() {
            // Warm: the token was verified once before timing starts.
            let mut cache = BenchCache::new();
            assert!(f.full_cached(&mut scratch, &mut cache));
            g.bench_function("full_cached", |b| {
                b.iter(|| black_box(&f).full_cached(&mut scratch, &mut cache))
            });
        }
        if !f.jwks.is_empty() {
            g.bench_function("full_documents", |b| {
                b.iter(|| black_box(&f).full_documents(&mut scratch))
            });
        }
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = core
}
criterion_main!(benches);
