//! Fuzz target bodies: each takes arbitrary bytes, must never panic on them, and asserts the
//! properties the target checks. They are plain functions so that both libFuzzer
//! (`fuzz/fuzz_targets/*.rs`, nightly features via `RUSTC_BOOTSTRAP=1`) and the stable replay
//! binary (`make fuzz-replay`) can run them.

use aauth_verify::sink::SliceSink;
use aauth_verify::{
    b64, parse, sf, verify_request_with_token, Header, JwtScratch, KeySource, Policy, Request,
};

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
    ("egress", egress),
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
    round_trip!(data, sf::parse_dictionary, sf::serialize_dictionary)
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

/// Verifies `headers` under both profiles with every key source; only checks that nothing
/// panics and that every error carries a code whose token round-trips.
fn run(headers: &[Header<'_>], body: Option<&[u8]>) {
    let req = Request {
        method: b"POST",
        scheme: b"https",
        authority: b"resource.example",
        path: b"/api/data",
        query: Some(b"a=1&b=%zz&a"),
        headers,
        body,
    };
    for policy in [Policy::STRICT, Policy::COMPAT] {
        if let Ok(parsed) = parse(&req, &policy, None, 1730217600) {
            let mut buf = [0u8; 4096];
            let _ = parsed.base_into(&req, &mut buf);
            // Reading a token through the cache gives what reading it plainly gives.
            let cache = aauth_verify::TokenCache::<2>::new();
            let (mut s1, mut s2) = (JwtScratch::new(), JwtScratch::new());
            let plain = parsed
                .token(&mut s1, &policy, 1730217600)
                .map(|t| (*t.claims(), t.typ(), t.kid(), t.header_jwk()));
            let cached = parsed
                .token_cached(&mut s2, &policy, 1730217600, &cache)
                .map(|t| (*t.claims(), t.typ(), t.kid(), t.header_jwk()));
            assert_eq!(plain, cached);
        }
        let sources = [
            KeySource::Inline,
            KeySource::Jwks {
                jwks: JWKS,
                metadata: Some(METADATA),
            },
            KeySource::Jwks {
                jwks: JWKS,
                metadata: None,
            },
        ];
        for source in sources {
            let mut scratch = JwtScratch::new();
            if let Err(e) =
                verify_request_with_token(&req, &policy, None, 1730217600, &mut scratch, source)
            {
                assert_eq!(
                    aauth_verify::ErrorCode::from_token(e.code.token()),
                    Some(e.code)
                );
            }
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
    run(&headers, None);
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
    run(&headers[..n], body);
}

/// Arbitrary bytes split at `\n` into a JOSE header, a claims set and a signature, each
/// base64url-encoded into a compact JWT carried by `Signature-Key: sig=jwt;jwt=...` (and by
/// `jkt-jwt` when the input starts with `k`).
pub fn jwt(data: &[u8]) {
    let (scheme, data): (&[u8], &[u8]) = match data.split_first() {
        Some((b'k', rest)) => (b"jkt-jwt", rest),
        _ => (b"jwt", data),
    };
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let header = parts.next().unwrap_or(b"");
    let claims = parts.next().unwrap_or(b"");
    let sig = parts.next().unwrap_or(b"");
    if header.len() > 3000 || claims.len() > 5000 || sig.len() > 100 {
        return;
    }
    let mut key = [0u8; 12_000];
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        key[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    push(b"sig=");
    push(scheme);
    push(b";jwt=\"");
    for (i, part) in [header, claims, sig].into_iter().enumerate() {
        if i > 0 {
            push(b".");
        }
        let mut enc = [0u8; 7000];
        let text = b64::encode_base64url(part, &mut enc).expect("buffer fits the bounded part");
        push(text.as_bytes());
    }
    push(b"\"");
    let headers = [
        Header::new(b"Signature-Input", INPUT),
        Header::new(b"Signature", SIGNATURE),
        Header::new(b"Signature-Key", &key[..len]),
    ];
    run(&headers, None);
}
