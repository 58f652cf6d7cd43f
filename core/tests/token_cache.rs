//! The verified-token cache over real agent tokens: a hit skips the token's JSON and JWS; the
//! request signature, the issuer key and `exp` still decide.
// The token schemes and their cache.
#![cfg(feature = "tokens")]

use std::collections::HashMap;

use aauth_verify::{
    parse, CachedToken, Context, ErrorCode, Fetch, Header, JwtScratch, KeySource, Policy,
    PublicKey, Request, TokenCache, TokenKey, TokenStore,
};
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

fn tokens_doc() -> Value {
    serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap()
}

fn case(name: &str) -> Value {
    tokens_doc()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

/// Both phases with `source`, through `tokens` when given, at `now`.
fn verify(
    req: &Request<'_, '_>,
    policy: &Policy<'_>,
    source: KeySource<'_>,
    tokens: Option<&mut dyn TokenStore>,
    now: i64,
) -> Result<[u8; 32], aauth_verify::Error> {
    let mut scratch = Box::new(JwtScratch::new());
    let mut ctx = Context {
        tokens,
        ..Context::at(now)
    };
    let parsed = parse(req, policy, &ctx, Some(&mut scratch))?;
    parsed
        .finish(req, policy, source, &mut ctx)
        .map(|v| *v.key.x())
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

    // The issuer key as a host that decoded it earlier holds it; the token's own facts.
    let mut scratch = Box::new(JwtScratch::new());
    let parsed = parse(&req, &policy, &Context::at(now), Some(&mut scratch)).unwrap();
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
    let t = parsed.unverified_token().unwrap();
    let (exp, cnf) = (t.claims.exp.unwrap(), t.claims.cnf_jwk.unwrap());

    // Miss, then hit: the same outcome as the uncached path.
    let cold = verify(
        &req,
        &policy,
        KeySource::Key(&issuer),
        Some(&mut cache),
        now,
    )
    .unwrap();
    assert_eq!(cache.len(now), 1);
    let warm = verify(
        &req,
        &policy,
        KeySource::Key(&issuer),
        Some(&mut cache),
        now,
    )
    .unwrap();
    assert_eq!(cache.len(now), 1);
    assert_eq!(cold, warm);
    let plain = verify(&req, &policy, KeySource::Key(&issuer), None, now).unwrap();
    assert_eq!(plain, warm);

    // Another issuer key does not hit: the JWS is verified (and fails) again.
    let other = PublicKey::from_raw(*cnf.x()).unwrap();
    let e = verify(&req, &policy, KeySource::Key(&other), Some(&mut cache), now).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidJwt);
    assert!(
        e.refetch,
        "a fetched key that fails may be stale: refetch once"
    );

    // A hit never vouches for the request: a changed covered component still fails.
    let mut tampered_path = p.path.clone();
    tampered_path.push(b'x');
    let bad_req = Request {
        path: &tampered_path,
        ..req
    };
    let e = verify(
        &bad_req,
        &policy,
        KeySource::Key(&issuer),
        Some(&mut cache),
        now,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    assert!(
        !e.refetch,
        "the request key is cnf.jwk, not the fetched one"
    );

    // The entry ends at exp (and the token itself is refused from then on).
    assert!(cache.len(exp - 1) == 1);
    assert!(cache.is_empty(exp));
    // (A window wide enough that the request's own `created` is still fresh at exp.)
    let wide = Policy {
        window: 7200,
        ..policy
    };
    let e = verify(&req, &wide, KeySource::Key(&issuer), Some(&mut cache), exp).unwrap_err();
    assert_eq!(e.code, ErrorCode::ExpiredJwt);
    assert!(verify(
        &req,
        &wide,
        KeySource::Key(&issuer),
        Some(&mut cache),
        exp - 1
    )
    .is_ok());
}

/// What a token flow produced, comparable across the plain and the cached paths.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok {
        key: [u8; 32],
        typ: Vec<u8>,
        kid: Option<Vec<u8>>,
        claims: String,
        issuer_key: [u8; 32],
        identity: String,
    },
    Err(ErrorCode, aauth_verify::Check),
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

/// The token flow, plain (`cache` = `None`) or through a store.
fn run_flow(
    req: &Request<'_, '_>,
    policy: &Policy<'_>,
    p: &Prepared,
    cache: Option<&mut dyn TokenStore>,
) -> Outcome {
    let mut scratch = Box::new(JwtScratch::new());
    match p.verify(req, policy, &mut scratch, cache) {
        Ok(v) => {
            let t = v.token.expect("a token result");
            Outcome::Ok {
                key: *v.key.x(),
                typ: t.typ.raw().to_owned(),
                kid: t.kid.map(|k| k.raw().to_owned()),
                claims: format!("{:?}", t.claims),
                issuer_key: *t.issuer_key.x(),
                identity: format!("{:?}", v.identity),
            }
        }
        Err(e) => Outcome::Err(e.code, e.check),
    }
}

/// Every token vector, plain and through one cache used three times (miss, then hits): the
/// same result each time, success or error, and after a success the cache holds the token.
#[test]
fn cached_flow_matches_plain_flow_on_every_token_vector() {
    let doc = tokens_doc();
    let (mut compared, mut hits) = (0, 0);
    for c in doc["cases"].as_array().unwrap() {
        let p = Prepared::new(c);
        let policy = policy_of(c.get("policy").unwrap_or(&Value::Null));
        let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
        let req = p.request(&headers);
        if !matches!(
            parse(&req, &policy, &Context::at(p.now), None).map(|x| x.scheme()),
            Err(_) | Ok(Some(_))
        ) {
            continue;
        }
        let plain = run_flow(&req, &policy, &p, None);
        let mut cache = TokenCache::<4>::new();
        let mut map = MapStore::default();
        for round in 0..3 {
            let cached = run_flow(&req, &policy, &p, Some(&mut cache));
            assert_eq!(cached, plain, "{} round {round}", c["name"]);
            let mapped = run_flow(&req, &policy, &p, Some(&mut map));
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
    let doc = tokens_doc();
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
    let strict = Policy {
        required: compat.required,
        ..Policy::STRICT
    };
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&headers);
    let mut cache = TokenCache::<4>::new();
    let mut scratch = Box::new(JwtScratch::new());
    p.verify(&req, &compat, &mut scratch, Some(&mut cache))
        .unwrap();
    assert_eq!(cache.len(p.now), 1);
    let mut scratch = Box::new(JwtScratch::new());
    let strict_plain = p.verify(&req, &strict, &mut scratch, None).map(|_| ());
    let mut scratch = Box::new(JwtScratch::new());
    let strict_cached = p
        .verify(&req, &strict, &mut scratch, Some(&mut cache))
        .map(|_| ());
    assert!(strict_plain.is_err(), "strict refuses the EdDSA token");
    assert_eq!(strict_cached, strict_plain);
}
