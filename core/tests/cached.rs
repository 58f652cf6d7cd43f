//! The `cached` scheme (SK-09 §3.11, §6): the resolved assertion is validated as if presented in
//! full, under the policy at hand, whichever verifier of a fleet cached it.
// The `cached` scheme.
#![cfg(feature = "cached")]

use aauth_verify::{parse, Check, Context, ErrorCode, Header, JwtScratch, Scheme, Schemes};
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

fn case(name: &str) -> Value {
    let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
        .clone()
}

#[test]
fn a_resolved_assertion_needs_its_scheme_in_the_policy() {
    // Found with issue 12 finding 3 (no self-asserted keys behind a trust store): a verifier that
    // accepts `jwt` and `cached` but not `jkt-jwt` resolves a cid to a jkt-jwt a fleet peer
    // cached; it is refused as the full jkt-jwt would be, never verified by reference.
    let c = case("cached-jkt-jwt-hit");
    let p = Prepared::new(&c);
    let assertion = p.assertion.clone().expect("the vector's assertion");
    assert_eq!(p.assertion_scheme, Some(Scheme::JktJwt));
    let hs: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&hs);
    let mut policy = policy_of(&c["policy"]);
    let ctx = Context::at(p.now);
    let resolve = |policy: &aauth_verify::Policy<'_>| {
        let mut scratch = JwtScratch::new();
        let parsed = parse(&req, policy, &ctx, Some(&mut scratch))?;
        parsed
            .with_assertion(&assertion, Scheme::JktJwt, policy, &ctx)
            .map(|_| ())
    };
    resolve(&policy).expect("jkt-jwt accepted: the assertion resolves");
    policy.schemes = Schemes::NONE.with(Scheme::Jwt).with(Scheme::Cached);
    let e = resolve(&policy).unwrap_err();
    assert_eq!(
        (e.code, e.check),
        (ErrorCode::UnsupportedScheme, Check::SchemeNotAllowed)
    );
}
