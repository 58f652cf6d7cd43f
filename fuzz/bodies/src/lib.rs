//! Fuzz target bodies: each takes arbitrary bytes, must never panic on them, and asserts the
//! properties the target checks. They are plain functions so that both libFuzzer
//! (`fuzz/fuzz_targets/*.rs`, nightly features via `RUSTC_BOOTSTRAP=1`) and the stable replay
//! binary (`make fuzz-replay`) can run them.

use aauth_verify::{
    check_issuer, each_jwk, parse, parse_jwk, select_jwk, Context, Fetch, Header, JwtScratch,
    KeyRules, KeySource, Policy, Request, Scheme, Schemes, SliceSink, TokenCache, TokenStore,
};
use aauth_verify_sf::{b64, sf};

mod egress;
pub use egress::egress;

/// A fuzz target body.
pub type Body = fn(&[u8]);

/// Every target: its name (the file in `fuzz/fuzz_targets/`, the directory under `fuzz/seeds/`
/// and `fuzz/corpus/`) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("sf_dictionary", sf_dictionary),
    ("sf_list", sf_list),
    ("sf_item", sf_item),
    ("signature_key", signature_key),
    ("verify", verify),
    ("jwt", jwt),
    ("cached", cached),
    ("egress", egress),
    ("documents", documents),
];

/// Size of each stack buffer that a serialization is written into.
const OUT: usize = 16 * 1024;

/// Checks that serializing a parsed value is stable: parse `data`; if it parses, serialize it,
/// parse the output again (it must parse) and serialize that; both serializations must be
/// byte-identical. A serialization is not expected to exceed four times its input, so a buffer
/// overflow is an error for inputs up to `OUT / 4` bytes and only skips the check above that.
macro_rules! round_trip {
    ($data:expr, $parse:path, $serialize:path) => {{
        let data: &[u8] = $data;
        let Ok(first) = $parse(data, sf::Options::default()) else {
            return;
        };
        let mut buf1 = [0u8; OUT];
        let mut sink1 = SliceSink::new(&mut buf1);
        $serialize(&first, &mut sink1);
        let Some(out1) = sink1.finish() else {
            assert!(data.len() > OUT / 4, "serialization overflowed {OUT} bytes");
            return;
        };
        let second = match $parse(out1, sf::Options::default()) {
            Ok(v) => v,
            Err(_) => panic!(
                "serialized output does not parse again: {:?} -> {:?}",
                String::from_utf8_lossy(data),
                String::from_utf8_lossy(out1),
            ),
        };
        let mut buf2 = [0u8; OUT];
        let mut sink2 = SliceSink::new(&mut buf2);
        $serialize(&second, &mut sink2);
        let out2 = sink2.finish().expect("re-serialization overflowed");
        assert_eq!(
            out1,
            out2,
            "round trip is not stable for input {:?}",
            String::from_utf8_lossy(data)
        );
    }};
}

/// `sf::parse_dictionary` never panics and its serialization round-trips.
pub fn sf_dictionary(data: &[u8]) {
    quick_canonical_is_sound(data);
    round_trip!(data, sf::parse_dictionary, sf::serialize_dictionary)
}

/// Every inner-list member the quick canonical scan accepts serializes to its own text.
fn quick_canonical_is_sound(data: &[u8]) {
    let Ok(dict) = sf::parse_dictionary(data, sf::Options::default()) else {
        return;
    };
    for (_, m) in dict.iter() {
        if let sf::Member::InnerList(l) = m {
            if let Some(raw) = l.quick_canonical_raw() {
                let mut buf = [0u8; OUT];
                let mut sink = SliceSink::new(&mut buf);
                sf::serialize_inner_list(&l, &mut sink);
                assert_eq!(
                    sink.finish(),
                    Some(raw),
                    "quick scan accepted a non-canonical list"
                );
            }
        }
    }
}

/// `sf::parse_list` never panics and its serialization round-trips.
pub fn sf_list(data: &[u8]) {
    round_trip!(data, sf::parse_list, sf::serialize_list)
}

/// `sf::parse_item` never panics and its serialization round-trips.
pub fn sf_item(data: &[u8]) {
    round_trip!(data, sf::parse_item, sf::serialize_item)
}

/// A `Signature-Input` that covers everything the AAuth profile requires, for the targets that
/// fuzz the other headers.
const INPUT: &[u8] = br#"sig=("@method" "@authority" "@path" "signature-key");created=1730217600"#;
/// A well-formed (but wrong) 64-byte signature.
const SIGNATURE: &[u8] =
    b"sig=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:";
/// The issuer documents the `verify` and `jwt` targets offer as fetched keys.
const METADATA: &[u8] =
    br#"{"issuer":"https://agent.example","jwks_uri":"https://agent.example/jwks.json"}"#;
const JWKS: &[u8] = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"ap-key-1","alg":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
const NOW: i64 = 1730217600;

/// One verification's outcome, comparable across paths: the error code, or the identity and
/// key. Every error's code must round-trip through its token.
fn outcome(r: Result<aauth_verify::Verified<'_>, aauth_verify::Error>) -> String {
    match r {
        Ok(v) => format!("ok {:?} {:?}", v.identity, v.key),
        Err(e) => {
            assert_eq!(
                aauth_verify::ErrorCode::from_token(e.code.token()),
                Some(e.code)
            );
            format!("{} {}", e.code.token(), e.check.name())
        }
    }
}

/// Both phases of one verification of `req` with `source`, through `tokens` when given, with a
/// freeze and thaw between the phases when `frozen`; a `cached` plan resolves to `assertion`
/// (a miss without one).
fn once(
    req: &Request<'_, '_>,
    policy: &Policy<'_>,
    source: KeySource<'_>,
    tokens: Option<&mut dyn TokenStore>,
    frozen: bool,
    assertion: Option<&[u8]>,
) -> String {
    let mut ctx = Context {
        tokens,
        ..Context::at(NOW)
    };
    let mut scratch = JwtScratch::new();
    let mut parsed = match parse(req, policy, &ctx, Some(&mut scratch)) {
        Ok(p) => p,
        Err(e) => return outcome(Err(e)),
    };
    let mut buf = [0u8; 4096];
    let _ = parsed.base_into(req, &mut buf);
    let _ = parsed.fetch().metadata_url(&mut buf);
    if let Fetch::Assertion { .. } = parsed.fetch() {
        let Some(a) = assertion else {
            return outcome(Err(aauth_verify::Error::cache_miss()));
        };
        parsed = match parsed.with_assertion(a, Scheme::Jwt, policy, &ctx) {
            Ok(p) => p,
            Err(e) => return outcome(Err(e)),
        };
    }
    if !frozen {
        return outcome(parsed.finish(req, policy, source, &mut ctx));
    }
    let plan = format!("{:?}", parsed.fetch());
    let f = match parsed.freeze(req) {
        Ok(f) => f,
        Err(e) => return outcome(Err(e)),
    };
    let thawed = match f.thaw(req, Some(&mut scratch), assertion) {
        Ok(t) => t,
        Err(e) => return outcome(Err(e)),
    };
    assert_eq!(
        plan,
        format!("{:?}", thawed.fetch()),
        "a thaw keeps the plan"
    );
    outcome(thawed.finish(req, policy, source, &mut ctx))
}

/// [`once`] through `finish_before_body`: the body (when the request has one) is checked
/// afterwards in 3-byte pieces; a covered digest with no body is what `finish` reports for it.
fn before_body(
    req: &Request<'_, '_>,
    policy: &Policy<'_>,
    source: KeySource<'_>,
    assertion: Option<&[u8]>,
) -> String {
    let mut ctx = Context::at(NOW);
    let mut scratch = JwtScratch::new();
    let mut parsed = match parse(req, policy, &ctx, Some(&mut scratch)) {
        Ok(p) => p,
        Err(e) => return outcome(Err(e)),
    };
    if let Fetch::Assertion { .. } = parsed.fetch() {
        let Some(a) = assertion else {
            return outcome(Err(aauth_verify::Error::cache_miss()));
        };
        parsed = match parsed.with_assertion(a, Scheme::Jwt, policy, &ctx) {
            Ok(p) => p,
            Err(e) => return outcome(Err(e)),
        };
    }
    let d = match parsed.finish_before_body(req, policy, source, &mut ctx) {
        Ok(d) => d,
        Err(e) => return outcome(Err(e)),
    };
    let (v, check) = d.into_parts();
    if check.needs_body() {
        let Some(body) = req.body else {
            return "invalid_signature body_missing".to_owned();
        };
        let mut s = match check.stream(req) {
            Ok(s) => s,
            Err(e) => return outcome(Err(e)),
        };
        for piece in body.chunks(3) {
            s.update(piece);
        }
        if let Err(e) = s.finish() {
            return outcome(Err(e));
        }
    }
    outcome(Ok(v))
}

/// Arbitrary bytes as fetched documents: a metadata document and a JWKS (split at the first
/// NUL). Nothing panics; every `kid` [`each_jwk`] reports gets exactly [`select_jwk`]'s
/// answer, under both rule sets.
pub fn documents(data: &[u8]) {
    let (metadata, jwks) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    for legacy in [false, true] {
        let _ = check_issuer(metadata, b"https://agent.example", legacy);
    }
    for rules in [KeyRules::STRICT, KeyRules::COMPAT] {
        let _ = parse_jwk(jwks, rules);
        let mut n = 0;
        let each = each_jwk(jwks, rules, |kid, r| {
            n += 1;
            let again = select_jwk(jwks, kid, rules);
            assert_eq!(
                r.map_err(|e| (e.code, e.check)),
                again.map_err(|e| (e.code, e.check)),
                "each_jwk and select_jwk agree for kid {:?}",
                String::from_utf8_lossy(kid)
            );
        });
        match each {
            Ok(count) => assert_eq!(count, n),
            Err(e) => assert_eq!(
                Some(e.code),
                select_jwk(jwks, b"any", rules).err().map(|e| e.code),
                "a document each_jwk refuses, select_jwk refuses alike"
            ),
        }
    }
}

/// Verifies `headers` under the strict and compat profiles (and with `cached` allowed) with
/// every key source. Checks that nothing panics, that error codes round-trip, and that the
/// outcome is the same directly, through a token cache (miss, then hit), and frozen then
/// thawed between the phases.
fn run(headers: &[Header<'_>], body: Option<&[u8]>, assertion: Option<&[u8]>) {
    let req = Request {
        method: b"POST",
        scheme: b"https",
        authority: b"resource.example",
        path: b"/api/data",
        query: Some(b"a=1&b=%zz&a"),
        headers,
        body,
    };
    let with_cached = Policy {
        schemes: Schemes::ALL.with(Scheme::Cached),
        ..Policy::STRICT
    };
    for policy in [Policy::STRICT, Policy::COMPAT, with_cached] {
        let sources = [
            KeySource::Inline,
            KeySource::Documents {
                jwks: JWKS,
                metadata: Some(METADATA),
            },
            KeySource::Documents {
                jwks: JWKS,
                metadata: None,
            },
            KeySource::TrustedJwks(JWKS),
        ];
        for source in sources {
            let plain = once(&req, &policy, source, None, false, assertion);
            let mut cache = TokenCache::<2>::new();
            let miss = once(&req, &policy, source, Some(&mut cache), false, assertion);
            let hit = once(&req, &policy, source, Some(&mut cache), false, assertion);
            assert_eq!(plain, miss, "through a token cache (miss)");
            assert_eq!(plain, hit, "through a token cache (hit)");
            let frozen = once(&req, &policy, source, None, true, assertion);
            assert_eq!(plain, frozen, "frozen and thawed between the phases");
            let deferred = before_body(&req, &policy, source, assertion);
            assert_eq!(
                plain, deferred,
                "verified before the body, the body checked after"
            );
        }
    }
}

/// Arbitrary bytes as the `Signature-Key` value (both syntaxes, every scheme).
pub fn signature_key(data: &[u8]) {
    let headers = [
        Header::new(b"Signature-Input", INPUT),
        Header::new(b"Signature", SIGNATURE),
        Header::new(b"Signature-Key", data),
    ];
    run(&headers, None, None);
}

/// Arbitrary bytes split at `\n` into up to six header lines: the first three are
/// `Signature-Input`, `Signature`, `Signature-Key`, then `Content-Digest`, a second
/// `Signature-Input` line and `Content-Type`; the remainder (after a NUL) is the body.
pub fn verify(data: &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    const NAMES: [&[u8]; 6] = [
        b"Signature-Input",
        b"Signature",
        b"Signature-Key",
        b"Content-Digest",
        b"signature-input",
        b"Content-Type",
    ];
    let mut headers = [Header::new(b"", b""); 6];
    let mut n = 0;
    for (line, name) in head.split(|&b| b == b'\n').zip(NAMES) {
        headers[n] = Header::new(name, line);
        n += 1;
    }
    run(&headers[..n], body, None);
}

/// A compact JWT from `data` split at `\n` into a JOSE header, a claims set and a signature,
/// each base64url-encoded, written into `out`; `None` for parts beyond the bounds.
fn compact(data: &[u8], out: &mut [u8; 12_000]) -> Option<usize> {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let header = parts.next().unwrap_or(b"");
    let claims = parts.next().unwrap_or(b"");
    let sig = parts.next().unwrap_or(b"");
    if header.len() > 3000 || claims.len() > 5000 || sig.len() > 100 {
        return None;
    }
    let mut len = 0;
    for (i, part) in [header, claims, sig].into_iter().enumerate() {
        if i > 0 {
            out[len] = b'.';
            len += 1;
        }
        let mut enc = [0u8; 7000];
        let text = b64::encode_base64url(part, &mut enc).expect("buffer fits the bounded part");
        out[len..len + text.len()].copy_from_slice(text.as_bytes());
        len += text.len();
    }
    Some(len)
}

/// A compact JWT from `data` (see [`compact`]) carried by `Signature-Key: sig=jwt;jwt=...`
/// (and by `jkt-jwt` when the input starts with `k`).
pub fn jwt(data: &[u8]) {
    let (scheme, data): (&[u8], &[u8]) = match data.split_first() {
        Some((b'k', rest)) => (b"jkt-jwt", rest),
        _ => (b"jwt", data),
    };
    let mut token = [0u8; 12_000];
    let Some(n) = compact(data, &mut token) else {
        return;
    };
    let mut key = [0u8; 12_100];
    let mut len = 0;
    for bytes in [&b"sig="[..], scheme, b";jwt=\"", &token[..n], b"\""] {
        key[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    }
    let headers = [
        Header::new(b"Signature-Input", INPUT),
        Header::new(b"Signature", SIGNATURE),
        Header::new(b"Signature-Key", &key[..len]),
    ];
    run(&headers, None, None);
}

/// The `cached` scheme: `Signature-Key: sig=cached;cid=...`, whose identifier the host
/// resolves to an arbitrary assertion (a compact JWT from `data`, see [`compact`]), or to
/// nothing for an empty input (a miss).
pub fn cached(data: &[u8]) {
    let mut token = [0u8; 12_000];
    let Some(n) = compact(data, &mut token) else {
        return;
    };
    let headers = [
        Header::new(b"Signature-Input", INPUT),
        Header::new(b"Signature", SIGNATURE),
        Header::new(
            b"Signature-Key",
            br#"sig=cached;cid="q6urq6urq6urq6urq6urqw""#,
        ),
    ];
    let assertion = (!data.is_empty()).then_some(&token[..n]);
    run(&headers, None, assertion);
}
