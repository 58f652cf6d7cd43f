//! The verified-token cache over a real agent token (`jwt-aauth-signing-020-get`): a hit skips
//! only the JWS verification; the request signature, the issuer key and `exp` still decide.

use std::collections::HashMap;

use aauth_verify::{
    parse, CachedToken, ErrorCode, Header, JwtScratch, Request, TokenCache, TokenKey, TokenStore,
};
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
    let req = p.request(&headers);
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

/// What a token flow produced, comparable across the plain and the cached paths.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok {
        key: [u8; 32],
        typ: String,
        kid: Option<String>,
        claims: String,
        issuer_key: [u8; 32],
    },
    Err(ErrorCode, &'static str),
}

/// A host's store keyed by the exact token bytes (what a binding with a heap can use instead of
/// hashing each token with SHA-256).
#[derive(Default)]
struct MapStore(HashMap<([u8; 3], Vec<u8>), CachedToken>);

impl TokenStore for MapStore {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        self.0
            .get(&(key.tag(), key.compact().to_vec()))
            .filter(|t| now < t.exp())
            .copied()
    }

    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, _now: i64) {
        self.0.insert((key.tag(), key.compact().to_vec()), token);
    }
}

fn issuer_of(
    token: &aauth_verify::Token<'_>,
    p: &Prepared,
    policy: &aauth_verify::Policy<'_>,
) -> Result<Option<aauth_verify::PublicKey>, aauth_verify::Error> {
    if p.key_type == "inline" {
        return Ok(None);
    }
    if let Some(m) = &p.metadata {
        token.check_metadata(m, policy)?;
    }
    token.select_issuer_key(&p.jwks, policy).map(Some)
}

/// The token flow, plain (`cache` = `None`) or through the cache.
fn run_flow(
    parsed: &aauth_verify::Parsed<'_>,
    req: &Request<'_>,
    policy: &aauth_verify::Policy<'_>,
    p: &Prepared,
    cache: Option<&mut dyn TokenStore>,
) -> Outcome {
    let mut scratch = Box::new(JwtScratch::new());
    let r = match cache {
        None => parsed.token(&mut scratch, policy, p.now).and_then(|token| {
            let issuer = issuer_of(&token, p, policy)?;
            parsed.verify_token(req, &token, issuer.as_ref())
        }),
        Some(cache) => parsed
            .token_cached(&mut scratch, policy, p.now, cache)
            .and_then(|token| {
                let issuer = issuer_of(&token, p, policy)?;
                parsed.verify_token_cached(req, &token, issuer.as_ref(), cache, p.now)
            }),
    };
    match r {
        Ok(v) => {
            let t = v.token.expect("a token result");
            Outcome::Ok {
                key: v.key.x,
                typ: t.typ.raw().to_owned(),
                kid: t.kid.map(|k| k.raw().to_owned()),
                claims: format!("{:?}", t.claims),
                issuer_key: t.issuer_key.x,
            }
        }
        Err(e) => Outcome::Err(e.code, e.detail),
    }
}

/// Every token vector, through `token`/`verify_token` and through `token_cached`/
/// `verify_token_cached` with one cache used three times (miss, then hits): the same result
/// each time, success or error, and after a success the cache holds the token.
#[test]
fn cached_flow_matches_plain_flow_on_every_token_vector() {
    let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap();
    let (mut compared, mut hits) = (0, 0);
    for c in doc["cases"].as_array().unwrap() {
        let p = Prepared::new(c);
        let policy = policy_of(c.get("policy").unwrap_or(&Value::Null));
        let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
        let req = p.request(&headers);
        let Ok(parsed) = parse(&req, &policy, p.label.as_deref(), p.now) else {
            continue;
        };
        if parsed
            .token(&mut JwtScratch::new(), &policy, p.now)
            .is_err()
            && !matches!(
                parsed.scheme(),
                Some(aauth_verify::Scheme::Jwt | aauth_verify::Scheme::JktJwt)
            )
        {
            continue;
        }
        let plain = run_flow(&parsed, &req, &policy, &p, None);
        let mut cache = TokenCache::<4>::new();
        let mut map = MapStore::default();
        for round in 0..3 {
            let cached = run_flow(&parsed, &req, &policy, &p, Some(&mut cache));
            assert_eq!(cached, plain, "{} round {round}", c["name"]);
            let mapped = run_flow(&parsed, &req, &policy, &p, Some(&mut map));
            assert_eq!(mapped, plain, "{} round {round}, host store", c["name"]);
            if round > 0 && matches!(plain, Outcome::Ok { .. }) {
                assert_eq!(cache.len(p.now), 1, "{} is cached", c["name"]);
                assert_eq!(map.0.len(), 1, "{} is in the host store", c["name"]);
                hits += 1;
            }
        }
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} token cases compared");
    assert!(hits >= 20, "only {hits} warm rounds succeeded");
}

/// A cached token is only reused under the same decoding switches: the same EdDSA token is
/// refused by the strict profile after the compat profile cached it.
#[test]
fn cache_hit_does_not_cross_policies() {
    let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap();
    let c = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["policy"]["profile"] == "compat"
                && c["expect"]["result"] == "ok"
                && c["request"].to_string().contains("jwt=")
                && serde_json::to_string(c).unwrap().contains("EdDSA")
        })
        .expect("a compat EdDSA token vector");
    let p = Prepared::new(c);
    let compat = policy_of(&c["policy"]);
    let strict = aauth_verify::Policy {
        required: compat.required,
        ..aauth_verify::Policy::STRICT
    };
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&headers);
    let mut cache = TokenCache::<4>::new();
    let parsed = parse(&req, &compat, p.label.as_deref(), p.now).unwrap();
    let mut scratch = Box::new(JwtScratch::new());
    let token = parsed
        .token_cached(&mut scratch, &compat, p.now, &cache)
        .unwrap();
    let issuer = if p.key_type == "inline" {
        None
    } else {
        Some(token.select_issuer_key(&p.jwks, &compat).unwrap())
    };
    parsed
        .verify_token_cached(&req, &token, issuer.as_ref(), &mut cache, p.now)
        .unwrap();
    assert_eq!(cache.len(p.now), 1);
    let mut scratch = Box::new(JwtScratch::new());
    let strict_plain = parsed.token(&mut scratch, &strict, p.now).map(|_| ());
    let mut scratch = Box::new(JwtScratch::new());
    let strict_cached = parsed
        .token_cached(&mut scratch, &strict, p.now, &cache)
        .map(|_| ());
    assert!(strict_plain.is_err(), "strict refuses the EdDSA token");
    assert_eq!(strict_cached, strict_plain);
}
