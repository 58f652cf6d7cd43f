//! Fixtures shared by the criterion benches and the measurement probes.
//!
//! Every fixture is a typical AAuth request taken from the shared vectors
//! (`tests/vectors/*.json`, the `aauth-signing` 0.2.0 cases and the `jkt-jwt` case), verified
//! at the vector's own clock (`now`), so `created` is inside the window. Setup parses the case
//! once, checks that it verifies, and precomputes what the baselines need: the signature base,
//! the 64 signature bytes, the raw 32-byte key and, for the token schemes, the JWS signing
//! input. Everything is leaked to `'static` so the timed closures borrow nothing owned.

use aauth_verify::{
    parse, Context, Fetch, Header, JwtScratch, KeyRequirement, KeySource, Parsed, Policy,
    PublicKey, Request, TokenCache,
};
use aauth_verify_sf::b64;
use serde_json::Value;

#[allow(dead_code, clippy::all)]
mod vectors_common {
    include!("../../core/tests/common/mod.rs");
}

/// The cases used, as `(vector name, scheme, request kind)`.
pub const CASES: &[(&str, &str, &str)] = &[
    ("aauth-signing-020-hwk-get", "hwk", "GET"),
    ("aauth-signing-020-hwk-post-digest", "hwk", "POST"),
    ("aauth-signing-020-jwks-uri-get", "jwks_uri", "GET"),
    ("aauth-signing-020-jwks-uri-post-digest", "jwks_uri", "POST"),
    ("jwt-aauth-signing-020-get", "jwt", "GET"),
    ("jwt-aauth-signing-020-post-digest", "jwt", "POST"),
    ("jkt-jwt-s256", "jkt-jwt", "GET"),
];

/// A second Ed25519 verification that a token scheme needs: the JWS over its signing input.
#[derive(Clone, Copy, Debug)]
pub struct TokenJws {
    /// `base64url(header) "." base64url(payload)`.
    pub signing_input: &'static [u8],
    /// The JWS signature.
    pub sig: [u8; 64],
    /// The key that signed the token (issuer key, or the `jkt-jwt` header key).
    pub key: [u8; 32],
}

/// The Ed25519 backend the core was built with (`dalek` with the feature, else `compact`).
pub const BACKEND: &str = aauth_verify::__bench::BACKEND;

/// The raw verifications measured as floors, by name (see [`Fixture::raw_with`]).
pub const FLOORS: &[&str] = &[
    "raw_compact",
    "raw_dalek",
    "raw_dalek_prepared",
    "raw_dalek_strict",
    "raw_core",
];

/// The floor the build's overhead ratios divide by: the fastest raw verification of one
/// signature by a key decoded inside, ed25519-dalek for the hosted build (`dalek`),
/// ed25519-compact for the embedded one.
pub const FLOOR: &str = if cfg!(feature = "dalek") {
    "raw_dalek"
} else {
    "raw_compact"
};

/// The verified-token cache used by the benches.
pub type BenchCache = TokenCache<16>;

/// One benchmark request with everything its baselines need.
#[derive(Clone, Copy)]
pub struct Fixture {
    /// Vector name.
    pub vector: &'static str,
    /// `hwk`, `jwks_uri`, `jwt` or `jkt-jwt`.
    pub scheme: &'static str,
    /// `GET` or `POST` (POST requests carry a body covered by `content-digest`).
    pub kind: &'static str,
    /// The request view.
    pub req: Request<'static, 'static>,
    /// The verification policy of the vector.
    pub policy: Policy<'static>,
    /// The label the vector asks for.
    pub label: Option<&'static [u8]>,
    /// The verifier clock.
    pub now: i64,
    /// The JWKS document (jwks_uri: the signer's; jwt: the issuer's), or empty.
    pub jwks: &'static [u8],
    /// The metadata document, if the scheme has one.
    pub metadata: Option<&'static [u8]>,
    /// The resolved key for `jwks_uri` (what a host caches after the first fetch).
    pub key: Option<PublicKey>,
    /// The resolved issuer key for `jwt`.
    pub issuer_key: Option<PublicKey>,
    /// Phase 1 result, for the base-only bench.
    pub parsed: &'static Parsed<'static>,
    /// The signature base.
    pub base: &'static [u8],
    /// The request signature.
    pub sig: [u8; 64],
    /// The key that signed the request.
    pub req_key: [u8; 32],
    /// The same key decoded once by ed25519-dalek (the prepared floor).
    pub req_vk: ed25519_dalek::VerifyingKey,
    /// The token's JWS, for the token schemes.
    pub token: Option<TokenJws>,
}

fn leak<T: ?Sized>(b: Box<T>) -> &'static T {
    Box::leak(b)
}

fn leak_bytes(v: &[u8]) -> &'static [u8] {
    leak(v.to_vec().into_boxed_slice())
}

fn find_case(name: &str) -> Value {
    for text in [
        include_str!("../../tests/vectors/signatures.json"),
        include_str!("../../tests/vectors/tokens.json"),
    ] {
        let doc: Value = serde_json::from_str(text).expect("vectors are JSON");
        if let Some(c) = doc["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["name"] == name)
        {
            return c.clone();
        }
    }
    panic!("vector {name} not found");
}

impl Fixture {
    /// Builds the fixture for one vector and checks that it verifies.
    pub fn new(vector: &'static str, scheme: &'static str, kind: &'static str) -> Fixture {
        let case = find_case(vector);
        let p = vectors_common::Prepared::new(&case);
        let policy = vectors_common::policy_of(case.get("policy").unwrap_or(&Value::Null));
        let headers: Vec<Header<'static>> = p
            .headers
            .iter()
            .map(|(n, v)| Header::new(leak_bytes(n), leak_bytes(v)))
            .collect();
        let req = Request {
            method: leak_bytes(&p.method),
            scheme: leak_bytes(&p.scheme),
            authority: leak_bytes(&p.authority),
            path: leak_bytes(&p.path),
            query: p.query.as_deref().map(leak_bytes),
            headers: leak(headers.into_boxed_slice()),
            body: p.body.as_deref().map(leak_bytes),
        };
        let label = p.label.as_deref().map(leak_bytes);
        let jwks = leak_bytes(&p.jwks);
        let metadata = p.metadata.as_deref().map(leak_bytes);
        let now = p.now;
        let scratch: &'static mut JwtScratch = Box::leak(Box::new(JwtScratch::new()));
        let ctx = Context {
            label,
            ..Context::at(now)
        };
        let parsed: &'static Parsed<'static> = leak(Box::new(
            parse(&req, &policy, &ctx, Some(scratch)).expect("fixture parses"),
        ));
        let mut buf = vec![0u8; 16 * 1024];
        let base = leak_bytes(parsed.base_into(&req, &mut buf).expect("base fits"));
        let sig_member = p
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"signature"))
            .map(|(_, v)| v.clone())
            .expect("a Signature header");
        let sig = signature_bytes(&sig_member);

        let mut key = None;
        let mut issuer_key = None;
        let mut token = None;
        let mut kbuf = [0u8; 256];
        let req_key = match (parsed.requirement(), parsed.fetch()) {
            (KeyRequirement::Inline(k), _) => *k.x(),
            (KeyRequirement::JwksUri { .. }, Fetch::Metadata { kid, .. }) => {
                if let Some(m) = metadata {
                    parsed.check_metadata(m, &policy).expect("metadata");
                }
                let kid = kid.decode_into(&mut kbuf).expect("kid");
                let k =
                    aauth_verify::select_jwk(jwks, kid, policy.key_rules()).expect("key selected");
                key = Some(k);
                *k.x()
            }
            (KeyRequirement::Jwt { jwt } | KeyRequirement::JktJwt { jwt }, plan) => {
                let compact = jwt.as_plain().expect("plain token");
                let t = parsed.unverified_token().expect("a token");
                let signer = match (t.claims.cnf_jwk, plan) {
                    (_, Fetch::Metadata { kid, .. }) => {
                        let kid = kid.decode_into(&mut kbuf).expect("kid");
                        let k = aauth_verify::select_jwk(jwks, kid, policy.key_rules())
                            .expect("issuer key");
                        issuer_key = Some(k);
                        *k.x()
                    }
                    _ => jkt_header_key(compact),
                };
                let dot = compact.iter().rposition(|&b| b == b'.').expect("JWS");
                let mut jws_sig = [0u8; 64];
                b64::decode_base64url(&compact[dot + 1..], &mut jws_sig).expect("JWS sig");
                token = Some(TokenJws {
                    signing_input: leak_bytes(&compact[..dot]),
                    sig: jws_sig,
                    key: signer,
                });
                *t.claims.cnf_jwk.expect("cnf.jwk").x()
            }
            other => panic!("unexpected requirement {other:?}"),
        };
        let f = Fixture {
            vector,
            scheme,
            kind,
            req,
            policy,
            label,
            now,
            jwks,
            metadata,
            key,
            issuer_key,
            parsed,
            base,
            sig,
            req_key,
            req_vk: ed25519_dalek::VerifyingKey::from_bytes(&req_key).expect("request key"),
            token,
        };
        let mut scratch = Box::new(JwtScratch::new());
        assert!(f.full(&mut scratch), "{vector}: full verification fails");
        assert!(
            f.full_documents(&mut scratch),
            "{vector}: verification from documents fails"
        );
        if f.token.is_some() {
            let mut cache = BenchCache::new();
            assert!(
                f.full_cached(&mut scratch, &mut cache),
                "{vector}: cold cache"
            );
            assert!(
                f.full_cached(&mut scratch, &mut cache),
                "{vector}: warm cache"
            );
            assert_eq!(cache.len(f.now), 1);
        }
        for floor in FLOORS {
            assert!(f.raw_with(floor), "{vector}: {floor} fails");
        }
        assert!(f.raw_all(), "{vector}: raw token verification fails");
        f
    }

    /// A short name such as `hwk GET`.
    pub fn name(&self) -> String {
        format!("{} {}", self.scheme, self.kind)
    }

    /// Phase 1 only (header parsing, covered components, freshness, `Signature-Key`, and for
    /// the token schemes the token's decoding and offline checks).
    pub fn parse_only(&self, scratch: &mut JwtScratch) -> bool {
        let ctx = Context {
            label: self.label,
            ..Context::at(self.now)
        };
        parse(&self.req, &self.policy, &ctx, Some(scratch)).is_ok()
    }

    /// Signature base construction alone, into `buf`.
    pub fn base_only(&self, buf: &mut [u8]) -> usize {
        self.parsed
            .base_into(&self.req, buf)
            .map(<[u8]>::len)
            .unwrap_or(0)
    }

    fn both_phases(
        &self,
        scratch: &mut JwtScratch,
        source: KeySource<'_>,
        tokens: Option<&mut dyn aauth_verify::TokenStore>,
    ) -> bool {
        let mut ctx = Context {
            label: self.label,
            tokens,
            ..Context::at(self.now)
        };
        match parse(&self.req, &self.policy, &ctx, Some(scratch)) {
            Ok(p) => p.finish(&self.req, &self.policy, source, &mut ctx).is_ok(),
            Err(_) => false,
        }
    }

    /// The key source a host with resolved (cached) keys passes: the inline key, else the
    /// signer's (jwks_uri) or issuer's (jwt) key decoded once.
    fn resolved(&self) -> KeySource<'_> {
        match (&self.key, &self.issuer_key) {
            (Some(k), _) | (None, Some(k)) => KeySource::Key(k),
            _ => KeySource::Inline,
        }
    }

    /// The full verification as a server with resolved (cached) keys does it: every check,
    /// both phases, the token's JWS for the token schemes. `jwks_uri` and `jwt` use the key the
    /// host resolved once (no JSON parsed per request).
    pub fn full(&self, scratch: &mut JwtScratch) -> bool {
        self.both_phases(scratch, self.resolved(), None)
    }

    /// [`Fixture::full`] for the token schemes with a verified-token cache: with a warm cache
    /// the token's JSON is not parsed again and its JWS verification is skipped (the offline
    /// checks and the request signature still run).
    pub fn full_cached(&self, scratch: &mut JwtScratch, cache: &mut BenchCache) -> bool {
        self.both_phases(scratch, self.resolved(), Some(cache))
    }

    /// The one-shot verification from documents: for `jwks_uri` and `jwt` the metadata and
    /// JWKS JSON are parsed on every call (a host without a decoded-key cache).
    pub fn full_documents(&self, scratch: &mut JwtScratch) -> bool {
        let source = if self.jwks.is_empty() {
            KeySource::Inline
        } else {
            KeySource::Documents {
                jwks: self.jwks,
                metadata: self.metadata,
            }
        };
        self.both_phases(scratch, source, None)
    }

    /// The build's floor ([`FLOOR`]): one raw verification of the same signature base with
    /// the same key bytes (the key decoded inside, as the full path's verification of a key
    /// used once does).
    pub fn raw(&self) -> bool {
        self.raw_with(FLOOR)
    }

    /// One raw verification of the request signature by `floor` (one of [`FLOORS`]):
    /// `raw_compact` (ed25519-compact), `raw_dalek` (ed25519-dalek `verify`, the key decoded
    /// inside), `raw_dalek_prepared` (the key decoded once, before), `raw_dalek_strict`
    /// (`verify_strict`), `raw_core` (the core's backend with every rule of its accept set).
    pub fn raw_with(&self, floor: &str) -> bool {
        raw_verify(
            floor,
            &self.req_key,
            Some(&self.req_vk),
            self.base,
            &self.sig,
        )
    }

    /// Every raw Ed25519 verification the scheme cannot avoid, with the build's floor: the
    /// request signature, plus the token's JWS for the token schemes.
    pub fn raw_all(&self) -> bool {
        let token_ok = match &self.token {
            Some(t) => raw_verify(FLOOR, &t.key, None, t.signing_input, &t.sig),
            None => true,
        };
        token_ok && self.raw()
    }
}

/// One raw verification by the verifier `floor` (see [`Fixture::raw_with`]); `vk` is the key
/// decoded once, for `raw_dalek_prepared`.
pub fn raw_verify(
    floor: &str,
    key: &[u8; 32],
    vk: Option<&ed25519_dalek::VerifyingKey>,
    msg: &[u8],
    sig: &[u8; 64],
) -> bool {
    use ed25519_dalek::Verifier;
    let dsig = ed25519_dalek::Signature::from_bytes(sig);
    match floor {
        "raw_compact" => ed25519_compact::PublicKey::new(*key)
            .verify(msg, &ed25519_compact::Signature::new(*sig))
            .is_ok(),
        "raw_dalek" => ed25519_dalek::VerifyingKey::from_bytes(key)
            .is_ok_and(|vk| vk.verify(msg, &dsig).is_ok()),
        "raw_dalek_prepared" => vk.is_some_and(|vk| vk.verify(msg, &dsig).is_ok()),
        "raw_dalek_strict" => ed25519_dalek::VerifyingKey::from_bytes(key)
            .is_ok_and(|vk| vk.verify_strict(msg, &dsig).is_ok()),
        "raw_core" => aauth_verify::__bench::verify(key, msg, sig),
        _ => false,
    }
}

/// The 64 bytes of the only member of a `Signature` header (standard or URL-safe base64).
fn signature_bytes(header: &[u8]) -> [u8; 64] {
    let start = header.iter().position(|&b| b == b':').expect("sf-binary") + 1;
    let end = header.iter().rposition(|&b| b == b':').expect("sf-binary");
    let mut buf = [0u8; 66];
    let (bytes, _) = b64::decode_signature(&header[start..end], &mut buf, true).expect("base64");
    bytes.try_into().expect("64 bytes")
}

/// The `jkt-jwt` header key of a compact token.
fn jkt_header_key(compact: &[u8]) -> [u8; 32] {
    let dot = compact.iter().position(|&b| b == b'.').expect("JWS");
    let mut header = vec![0u8; 4096];
    let h = b64::decode_base64url(&compact[..dot], &mut header).expect("header");
    let v: Value = serde_json::from_slice(h).expect("JSON header");
    let x = v["jwk"]["x"].as_str().expect("jwk.x");
    let mut out = [0u8; 32];
    b64::decode_base64url(x.as_bytes(), &mut out).expect("x");
    out
}

/// All fixtures, in [`CASES`] order.
pub fn fixtures() -> Vec<Fixture> {
    CASES
        .iter()
        .map(|&(v, s, k)| Fixture::new(v, s, k))
        .collect()
}
