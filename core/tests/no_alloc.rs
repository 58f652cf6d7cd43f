//! Proves that verification performs zero heap allocations: a counting global allocator
//! wraps the system allocator, every vector is prepared up front (that part allocates), and
//! then every case — successes and every error path — runs parse, key resolution and verify
//! while the counter must stay at zero.
// Runs the shared vectors, every scheme family among them (`cached` brings `tokens` and
// `documents`); core/tests/features.rs runs them in every feature set.
#![cfg(feature = "cached")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aauth_verify::{parse, Context, Header, JwtScratch, Policy};
use serde_json::Value;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

#[test]
fn verification_never_allocates() {
    let mut cases: Vec<Value> = Vec::new();
    for text in [
        include_str!("../../tests/vectors/signatures.json"),
        include_str!("../../tests/vectors/tokens.json"),
    ] {
        let doc: Value = serde_json::from_str(text).unwrap();
        cases.extend(doc["cases"].as_array().unwrap().iter().cloned());
    }
    let prepared: Vec<Prepared> = cases.iter().map(Prepared::new).collect();
    let policies: Vec<Policy<'static>> = cases
        .iter()
        .map(|c| policy_of(c.get("policy").unwrap_or(&Value::Null)))
        .collect();
    let mut scratch = Box::new(JwtScratch::new());
    assert!(
        prepared.iter().all(|p| p.headers.len() <= 16),
        "a case has more than 16 headers"
    );
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut base_buf = vec![0u8; 64 * 1024];

    // The counter itself works: one Vec is one allocation.
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(vec![1u8; 8]));
    COUNTING.store(false, Ordering::SeqCst);
    assert_eq!(
        ALLOCATIONS.load(Ordering::SeqCst),
        1,
        "the counting allocator is not in use"
    );

    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for (p, policy) in prepared.iter().zip(&policies) {
        let headers_storage: [Header<'_>; 16] = p.headers_array();
        let req = p.request(&headers_storage[..p.headers.len().min(16)]);
        let label = p.label.as_deref();
        let scratch: &mut JwtScratch = &mut scratch;
        let base_buf: &mut [u8] = &mut base_buf;
        let mut ctx = Context::at(p.now);
        ctx.label = label;
        if let Ok(parsed) = parse(&req, policy, &ctx, None) {
            let _ = parsed.base_into(&req, base_buf);
        }
        // The two phases with a freeze and thaw between them, as the C verifier does.
        if let Ok(parsed) = parse(&req, policy, &ctx, Some(&mut *scratch)) {
            if let Ok(frozen) = parsed.freeze(&req) {
                let _ = frozen.thaw(&req, Some(&mut *scratch), None);
            }
        }
        let result = p
            .verify(&req, policy, scratch, None)
            .map(|v| v.thumbprint());
        outcomes.push(result.is_ok());
    }
    COUNTING.store(false, Ordering::SeqCst);
    let n = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(outcomes.iter().any(|ok| *ok), "some cases must verify");
    assert!(outcomes.iter().any(|ok| !*ok), "some cases must fail");
    assert_eq!(
        n,
        0,
        "verification allocated {n} times over {} cases",
        prepared.len()
    );
}
