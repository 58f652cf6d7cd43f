//! The verified-token cache over a real agent token (`jwt-aauth-signing-020-get`): a hit skips
//! only the JWS verification; the request signature, the issuer key and `exp` still decide.

use aauth_verify::{parse, ErrorCode, Header, JwtScratch, Request, TokenCache};
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
        .unwrap()
        .clone()
}

#[test]
fn cached_token_still_checks_request_key_and_expiry() {
    let c = case("jwt-aauth-signing-020-get");
    let p = Prepared::new(&c);
    let policy = policy_of(c.get("policy").unwrap_or(&Value::Null));
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = Request {
        method: &p.method,
        scheme: &p.scheme,
        authority: &p.authority,
        path: &p.path,
        query: p.query.as_deref(),
        headers: &headers,
        body: p.body.as_deref(),
    };
    let now = p.now;
    let mut cache = TokenCache::<8>::new();
    let mut scratch = Box::new(JwtScratch::new());

    let parsed = parse(&req, &policy, p.label.as_deref(), now).unwrap();
    let token = parsed.token(&mut scratch, &policy, now).unwrap();
    let issuer = token.select_issuer_key(&p.jwks, &policy).unwrap();
    let exp = token.claims().exp.unwrap();
    let cnf = token.claims().cnf_jwk.unwrap();

    // Miss, then hit: the same outcome as the uncached path.
    let cold = parsed
        .verify_token_cached(&req, &token, Some(&issuer), &mut cache, now)
        .unwrap();
    assert_eq!(cache.len(now), 1);
    let warm = parsed
        .verify_token_cached(&req, &token, Some(&issuer), &mut cache, now)
        .unwrap();
    assert_eq!(cache.len(now), 1);
    assert_eq!(cold.key, warm.key);
    assert_eq!(cold.token, warm.token);
    let plain = parsed.verify_token(&req, &token, Some(&issuer)).unwrap();
    assert_eq!(plain.token, warm.token);

    // Another issuer key does not hit: the JWS is verified (and fails) again.
    let e = parsed
        .verify_token_cached(&req, &token, Some(&cnf), &mut cache, now)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidJwt);

    // A hit never vouches for the request: a changed covered component still fails.
    let mut tampered_path = p.path.clone();
    tampered_path.push(b'x');
    let bad_req = Request {
        path: &tampered_path,
        ..req
    };
    let parsed_bad = parse(&bad_req, &policy, p.label.as_deref(), now).unwrap();
    let mut scratch2 = Box::new(JwtScratch::new());
    let token2 = parsed_bad.token(&mut scratch2, &policy, now).unwrap();
    let e = parsed_bad
        .verify_token_cached(&bad_req, &token2, Some(&issuer), &mut cache, now)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignature);

    // The entry ends at exp (and the token itself is refused from then on).
    assert!(cache.len(exp - 1) == 1);
    assert!(cache.is_empty(exp));
    let mut scratch3 = Box::new(JwtScratch::new());
    let e = parsed.token(&mut scratch3, &policy, exp).unwrap_err();
    assert_eq!(e.code, ErrorCode::ExpiredJwt);
}
