//! Property tests over the whole verification path: mutated copies of every shared vector
//! (byte edits, truncations and insertions of structurally significant characters in any
//! header, the method, path, query or body) must never panic, must give the same answer twice,
//! and a mutation that leaves the request unchanged must give the original answer.
// Runs the shared vectors, every scheme family among them (`cached` brings `tokens` and
// `documents`); core/tests/features.rs runs them in every feature set.
#![cfg(feature = "cached")]

use aauth_verify::{parse, Context, Header, JwtScratch, Policy, Request};
use proptest::prelude::*;
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

fn cases() -> Vec<(Prepared, Policy<'static>)> {
    let mut out = Vec::new();
    for text in [
        include_str!("../../tests/vectors/signatures.json"),
        include_str!("../../tests/vectors/tokens.json"),
    ] {
        let doc: Value = serde_json::from_str(text).unwrap();
        for c in doc["cases"].as_array().unwrap() {
            out.push((
                Prepared::new(c),
                policy_of(c.get("policy").unwrap_or(&Value::Null)),
            ));
        }
    }
    out
}

/// Verifies with every key source the case could use; returns the outcome as a comparable
/// value (error token or "ok").
fn outcome(
    p: &Prepared,
    headers: &[Header<'_>],
    body: Option<&[u8]>,
    policy: &Policy<'_>,
) -> String {
    let req = Request {
        method: &p.method,
        scheme: &p.scheme,
        authority: &p.authority,
        path: &p.path,
        query: p.query.as_deref(),
        headers,
        body,
    };
    let ctx = Context::at(p.now);
    let mut scratch = JwtScratch::new();
    if let Ok(parsed) = parse(&req, policy, &ctx, Some(&mut scratch)) {
        let mut buf = [0u8; 8192];
        let _ = parsed.base_into(&req, &mut buf);
    }
    let mut scratch = JwtScratch::new();
    match p.verify(&req, policy, &mut scratch, None) {
        Ok(v) => format!("ok:{}", v.thumbprint().as_str()),
        Err(e) => e.code.token().to_owned(),
    }
}

const SPECIAL: &[u8] = b"\"\\;,=():*?@ \t\r\n\x00\xff-_+/";

#[derive(Debug, Clone)]
enum Edit {
    Flip { at: usize, xor: u8 },
    Insert { at: usize, byte: u8 },
    Truncate { at: usize },
    Duplicate,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Edit::Flip { at, xor }),
        (any::<usize>(), prop::sample::select(SPECIAL))
            .prop_map(|(at, byte)| Edit::Insert { at, byte }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
        Just(Edit::Duplicate),
    ]
}

fn apply(v: &[u8], e: &Edit) -> Vec<u8> {
    let mut v = v.to_vec();
    match *e {
        Edit::Flip { at, xor } => {
            if !v.is_empty() {
                let i = at % v.len();
                v[i] ^= xor;
            }
        }
        Edit::Insert { at, byte } => {
            let i = at % (v.len() + 1);
            v.insert(i, byte);
        }
        Edit::Truncate { at } => {
            let i = at % (v.len() + 1);
            v.truncate(i);
        }
        Edit::Duplicate => {
            let copy = v.clone();
            v.extend_from_slice(b", ");
            v.extend_from_slice(&copy);
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_vectors_never_panic(case in any::<prop::sample::Index>(), target in any::<prop::sample::Index>(), e in edit()) {
        thread_local! {
            static CASES: Vec<(Prepared, Policy<'static>)> = cases();
        }
        CASES.with(|cases| {
            let (p, policy) = &cases[case.index(cases.len())];
            // Targets: each header value, then the body.
            let n = p.headers.len() + 1;
            let t = target.index(n);
            let mut headers: Vec<(Vec<u8>, Vec<u8>)> = p.headers.clone();
            let mut body = p.body.clone();
            if t < p.headers.len() {
                headers[t].1 = apply(&headers[t].1, &e);
            } else {
                body = Some(apply(body.as_deref().unwrap_or(b""), &e));
            }
            let views: Vec<Header<'_>> = headers.iter().map(|(n, v)| Header::new(n, v)).collect();
            let first = outcome(p, &views, body.as_deref(), policy);
            let second = outcome(p, &views, body.as_deref(), policy);
            prop_assert_eq!(&first, &second);
            if headers == p.headers && body == p.body {
                let original: Vec<Header<'_>> =
                    p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
                prop_assert_eq!(first, outcome(p, &original, p.body.as_deref(), policy));
            }
            Ok(())
        })?;
    }
}
