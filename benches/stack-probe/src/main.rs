//! Peak stack of a verification for the core's feature set (see Cargo.toml): the `aauth-signing`
//! 0.2.0 `hwk` GET and POST + digest vectors (key inline) and `jwks_uri` GET and POST (the key
//! the host holds, built from the vector's JWK with `key_from_members`, no JSON parsed by the
//! core), both phases, with a replay store. Prints JSON.
//!
//! Stack painting, as `benches/src/bin/memprobe.rs` does it: in a thread with a large stack,
//! the region below the current frame is filled with a pattern, one verification runs, and the
//! lowest byte that no longer holds the pattern marks the deepest frame; twice, with two
//! patterns. Reading and writing below the stack pointer is outside Rust's memory model; this is
//! a measurement tool only.

use std::hint::black_box;

use aauth_verify::{
    key_from_members, parse, Context, Header, JwkMembers, KeySource, Policy, PublicKey, Replay,
    ReplayCache, Request,
};
use serde_json::Value;

const PAINT: usize = 256 * 1024;
const GAP: usize = 1024;

#[inline(never)]
fn frame_address() -> usize {
    let marker = 0u8;
    black_box(&marker) as *const u8 as usize
}

#[inline(never)]
fn paint(top: usize, pattern: u8) {
    for addr in (top - PAINT)..(top - GAP) {
        // SAFETY: the thread's stack is mapped far below the current frame (8 MiB), and nothing
        // lives below the current stack pointer.
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

fn stack_depth(run: &dyn Fn() -> bool) -> usize {
    let mut max = 0;
    for pattern in [0xA5u8, 0x5A] {
        let top = frame_address();
        paint(top, pattern);
        assert!(black_box(run()), "the vector verifies");
        max = max.max(deepest(top, pattern));
    }
    max
}

struct Case {
    name: &'static str,
    method: Vec<u8>,
    authority: Vec<u8>,
    path: Vec<u8>,
    query: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Vec<u8>>,
    now: i64,
    key: Option<PublicKey>,
}

fn case(doc: &Value, name: &'static str) -> Case {
    let c = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name}"));
    let r = &c["request"];
    let b = |v: &Value| v.as_str().unwrap().as_bytes().to_vec();
    let key = c["key"]["jwks"]["keys"].get(0).map(|jwk| {
        let m = |k: &str| jwk.get(k).and_then(Value::as_str).map(str::as_bytes);
        let members = JwkMembers {
            kty: m("kty"),
            crv: m("crv"),
            x: m("x"),
            alg: m("alg"),
            ..JwkMembers::default()
        };
        key_from_members(&members, Policy::STRICT.key_rules()).unwrap()
    });
    Case {
        name,
        method: b(&r["method"]),
        authority: b(&r["authority"]),
        path: b(&r["path"]),
        query: r["query"].as_str().map(|q| q.as_bytes().to_vec()),
        headers: r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (b(&h[0]), b(&h[1])))
            .collect(),
        body: r["body"].as_str().map(|t| t.as_bytes().to_vec()),
        now: c["now"].as_i64().unwrap(),
        key,
    }
}

#[inline(never)]
fn verify(c: &Case, replay: &mut ReplayCache<16>) -> bool {
    let headers: Vec<Header<'_>> = c.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = Request {
        method: &c.method,
        scheme: b"https",
        authority: &c.authority,
        path: &c.path,
        query: c.query.as_deref(),
        headers: &headers,
        body: c.body.as_deref(),
    };
    *replay = ReplayCache::new();
    let policy = Policy::STRICT;
    let mut ctx = Context {
        replay: Replay::Store(replay),
        ..Context::at(c.now)
    };
    let source = match &c.key {
        Some(k) => KeySource::Key(k),
        None => KeySource::Inline,
    };
    match parse(black_box(&req), &policy, &ctx, None) {
        Ok(p) => p.finish(&req, &policy, source, &mut ctx).is_ok(),
        Err(_) => false,
    }
}

fn main() {
    let out = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let doc: Value =
                serde_json::from_str(include_str!("../../../tests/vectors/signatures.json"))
                    .unwrap();
            let cases = [
                case(&doc, "aauth-signing-020-hwk-get"),
                case(&doc, "aauth-signing-020-hwk-post-digest"),
                case(&doc, "aauth-signing-020-jwks-uri-get"),
                case(&doc, "aauth-signing-020-jwks-uri-post-digest"),
            ];
            let replay = std::cell::RefCell::new(ReplayCache::<16>::new());
            let mut per = serde_json::Map::new();
            for c in &cases {
                let run = || verify(c, &mut replay.borrow_mut());
                per.insert(c.name.to_owned(), stack_depth(&run).into());
            }
            serde_json::json!({
                "backend": if cfg!(feature = "dalek") { "dalek" } else { "compact" },
                "stack_bytes": per,
            })
        })
        .unwrap()
        .join()
        .unwrap();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
