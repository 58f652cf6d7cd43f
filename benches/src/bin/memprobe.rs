//! Memory figures for `make bench`: heap allocations per verification (a counting global
//! allocator) and the peak stack depth of a verification (stack painting). Prints JSON.
//!
//! Stack painting: in a thread with a large stack, the region below the current frame is filled
//! with a pattern, one verification runs, and the lowest byte that no longer holds the pattern
//! marks the deepest point the verification's frames reached. This is done twice with two
//! patterns and the larger depth is kept (a byte written with the pattern value itself would
//! otherwise go unnoticed). Reading and writing below the stack pointer is outside Rust's
//! memory model; it is a measurement tool only, never part of the library.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aauth_verify::JwtScratch;
use aauth_verify_benches::{fixtures, BenchCache, Fixture, BACKEND};

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

/// How far below the measuring frame the stack is painted.
const PAINT: usize = 256 * 1024;
/// Bytes just below the measuring frame left unpainted (the painting code's own frames).
const GAP: usize = 1024;

/// The address of a local in a fresh frame: approximately the stack pointer of the caller.
#[inline(never)]
fn frame_address() -> usize {
    let marker = 0u8;
    black_box(&marker) as *const u8 as usize
}

#[inline(never)]
fn paint(top: usize, pattern: u8) {
    for addr in (top - PAINT)..(top - GAP) {
        // SAFETY: the thread's stack is mapped far below the current frame (see `measure`), and
        // nothing lives below the current stack pointer.
        unsafe { std::ptr::write_volatile(addr as *mut u8, pattern) };
    }
}

#[inline(never)]
fn deepest(top: usize, pattern: u8) -> usize {
    for addr in (top - PAINT)..(top - GAP) {
        // SAFETY: as in `paint`.
        if unsafe { std::ptr::read_volatile(addr as *const u8) } != pattern {
            return top - addr;
        }
    }
    0
}

/// Peak stack bytes used by `run`, measured from the caller's frame.
fn stack_depth(run: &dyn Fn() -> bool) -> usize {
    let mut max = 0;
    for pattern in [0xA5u8, 0x5A] {
        let top = frame_address();
        paint(top, pattern);
        assert!(black_box(run()));
        max = max.max(deepest(top, pattern));
    }
    max
}

fn allocations(run: &dyn Fn() -> bool, n: usize) -> f64 {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..n {
        assert!(black_box(run()));
    }
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst) as f64 / n as f64
}

fn modes(f: &Fixture) -> Vec<&'static str> {
    let mut m = vec!["full"];
    if !f.jwks.is_empty() {
        m.push("full_documents");
    }
    if f.token.is_some() {
        m.push("full_cached");
    }
    m
}

fn run_mode(f: &Fixture, mode: &str, scratch: &mut JwtScratch, cache: &mut BenchCache) -> bool {
    match mode {
        "full_cached" => f.full_cached(scratch, cache),
        "full" => f.full(scratch),
        "full_documents" => f.full_documents(scratch),
        _ => unreachable!(),
    }
}

fn main() {
    let out = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let fixtures = fixtures();
            let scratch = std::cell::RefCell::new(Box::new(JwtScratch::new()));
            let cache = std::cell::RefCell::new(BenchCache::new());
            let mut heap = serde_json::Map::new();
            let mut stack = serde_json::Map::new();
            let mut worst_heap = 0f64;
            let mut worst_stack = 0usize;
            for f in &fixtures {
                for mode in modes(f) {
                    let run =
                        || run_mode(f, mode, &mut scratch.borrow_mut(), &mut cache.borrow_mut());
                    let a = allocations(&run, 100);
                    let s = stack_depth(&run);
                    let key = format!("{} {mode}", f.name());
                    heap.insert(key.clone(), a.into());
                    stack.insert(key, s.into());
                    worst_heap = worst_heap.max(a);
                    worst_stack = worst_stack.max(s);
                }
            }
            serde_json::json!({
                "backend": BACKEND,
                "heap_allocations_per_verification": worst_heap,
                "stack_bytes": {
                    "max": worst_stack,
                    "per_request": stack,
                    "note": "peak stack below the caller's frame, by stack painting; the 6 KiB \
                             JwtScratch of the token schemes is caller-owned (here on the heap) \
                             and not included",
                },
                "heap_allocations": heap,
                "method": "counting global allocator over 100 verifications per request and mode",
            })
        })
        .expect("thread")
        .join()
        .expect("memprobe thread");
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
