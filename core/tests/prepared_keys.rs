//! Keys are prepared once: keys a host keeps (`from_raw`, `select_jwk`) and the request key a
//! token store records carry the backend's prepared form (with `dalek`: the decoded point), a
//! key used once (`cnf.jwk` without a store) does not. Needs `bench-internals` (the window on
//! it, `PublicKey::is_prepared`).
#![cfg(all(feature = "bench-internals", feature = "tokens"))]

use std::collections::HashMap;

use aauth_verify::{
    parse, CachedToken, Context, Fetch, Header, JwtScratch, KeySource, PublicKey, TokenKey,
    TokenStore,
};
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

#[derive(Default)]
struct Store(HashMap<Vec<u8>, CachedToken>);

impl TokenStore for Store {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        self.0.get(key.compact()).filter(|r| now < r.exp()).copied()
    }
    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, _now: i64) {
        self.0.insert(key.compact().to_vec(), token);
    }
}

/// 1 when `k` holds the decoded point, else 0.
fn prepared(k: &PublicKey) -> usize {
    usize::from(k.is_prepared())
}

/// Whether the backend keeps decoded points (`dalek`).
const KEEPS: usize = if cfg!(feature = "dalek") { 1 } else { 0 };

fn case(file: &str, name: &str) -> Value {
    let doc: Value = serde_json::from_str(file).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

#[test]
fn kept_keys_are_prepared() {
    let c = case(
        include_str!("../../tests/vectors/tokens.json"),
        "jwt-aauth-signing-020-get",
    );
    let p = Prepared::new(&c);
    let policy = policy_of(c.get("policy").unwrap_or(&Value::Null));
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&headers);
    let mut scratch = Box::new(JwtScratch::new());
    let parsed = parse(&req, &policy, &Context::at(p.now), Some(&mut scratch)).unwrap();
    let Fetch::Metadata { kid, .. } = parsed.fetch() else {
        panic!("a jwt plans a metadata fetch")
    };
    let mut kbuf = [0u8; 64];
    let issuer = aauth_verify::select_jwk(
        &p.jwks,
        kid.decode_into(&mut kbuf).unwrap(),
        policy.key_rules(),
    )
    .unwrap();
    assert_eq!(prepared(&issuer), KEEPS, "select_jwk");
    let raw = PublicKey::from_raw(*issuer.x()).unwrap();
    assert_eq!(prepared(&raw), KEEPS, "from_raw");
    // The token's cnf.jwk is used once unless a store keeps it.
    let cnf = parsed.unverified_token().unwrap().claims.cnf_jwk.unwrap();
    assert_eq!(prepared(&cnf), 0, "cnf.jwk as decoded");

    let mut store = Store::default();
    for round in 0..2 {
        let mut scratch = Box::new(JwtScratch::new());
        let mut ctx = Context {
            tokens: Some(&mut store),
            ..Context::at(p.now)
        };
        let parsed = parse(&req, &policy, &ctx, Some(&mut scratch)).unwrap();
        let v = parsed
            .finish(&req, &policy, KeySource::Key(&issuer), &mut ctx)
            .unwrap();
        assert_eq!(prepared(&v.key), KEEPS, "round {round}: request key");
    }
    let rec = store.0.values().next().unwrap();
    // Round 1 was a hit: its request key, prepared, came from the record. The record keeps
    // the signer as bytes only (it is compared, never verified with).
    assert_eq!(rec.signer(), issuer);
    assert_eq!(prepared(&rec.signer()), 0);
}
