//! JWK, JWKS and metadata tests: RFC vectors, the algorithm rules (strict vs compatibility),
//! JWKS selection, escapes, duplicates, bounds, and no-panic properties.
// JWK and JWKS documents.
#![cfg(feature = "documents")]

use aauth_verify::ErrorCode;
use aauth_verify::{
    check_issuer, each_jwk, key_from_members, parse_jwk, select_jwk, JwkMembers, KeyAlg, KeyRules,
    PublicKey, MAX_JWKS_KIDS, MAX_JWKS_LEN, MAX_JWK_LEN, MAX_METADATA_LEN,
};
use proptest::prelude::*;

const B14_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
const B14_HEX: &str = "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb";
const B14_JKT: &str = "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_JKT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

const STRICT: KeyRules = KeyRules::STRICT;
const COMPAT: KeyRules = KeyRules::COMPAT;

fn code<T: core::fmt::Debug>(r: Result<T, aauth_verify::Error>) -> ErrorCode {
    r.expect_err("expected an error").code
}

fn b64u(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let mut buf = [0u8; 128];
    Base64UrlUnpadded::encode(bytes, &mut buf)
        .unwrap()
        .to_string()
}

fn okp(x: &str, alg: Option<&str>) -> String {
    match alg {
        Some(a) => format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"{a}"}}"#),
        None => format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#),
    }
}

// ---- vectors ----

#[test]
fn rfc9421_b14_key_and_thumbprint() {
    let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}"}}"#);
    let k = parse_jwk(json.as_bytes(), COMPAT).unwrap();
    assert_eq!(hex::encode(k.x()), B14_HEX);
    assert_eq!(k.alg(), KeyAlg::None);
    assert_eq!(k.thumbprint().as_str(), B14_JKT);
    assert_eq!(k.thumbprint().to_string(), B14_JKT);
    assert_eq!(std::str::from_utf8(&k.x_b64()).unwrap(), B14_X);
    // Thumbprint does not depend on alg, kid or member order.
    let json = format!(
        r#"{{"x":"{B14_X}","kid":"test-key-ed25519","alg":"Ed25519","crv":"Ed25519","kty":"OKP"}}"#
    );
    let k2 = parse_jwk(json.as_bytes(), STRICT).unwrap();
    assert_eq!(k2.alg(), KeyAlg::Ed25519);
    assert_eq!(k2.x(), k.x());
    assert_eq!(k2.thumbprint().as_str(), B14_JKT);
}

#[test]
fn rfc8037_key_thumbprint() {
    let k = parse_jwk(okp(RFC8037_X, Some("Ed25519")).as_bytes(), STRICT).unwrap();
    assert_eq!(k.thumbprint().as_str(), RFC8037_JKT);
    assert_eq!(b64u(&k.thumbprint_sha256()), RFC8037_JKT);
}

#[test]
fn sha512_thumbprint_matches_reference() {
    use sha2::Digest;
    let k = PublicKey::from_raw(hex::decode(B14_HEX).unwrap().try_into().unwrap()).unwrap();
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{B14_X}"}}"#);
    let expect: [u8; 64] = sha2::Sha512::digest(canonical.as_bytes()).into();
    assert_eq!(k.thumbprint_sha512(), expect);
    let expect256: [u8; 32] = sha2::Sha256::digest(canonical.as_bytes()).into();
    assert_eq!(k.thumbprint_sha256(), expect256);
    let b64 = k.thumbprint_sha512_b64();
    assert_eq!(b64.as_str().len(), 86);
    assert_eq!(b64.as_str(), b64u(&expect));
}

#[test]
fn from_raw_accept_set() {
    // All-zero (a small-order point), identity, order-2 point (y = -1), non-canonical y = p,
    // not on the curve: all invalid_key.
    let zero = [0u8; 32];
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut order2 = [0xffu8; 32];
    order2[0] = 0xec;
    order2[31] = 0x7f;
    let mut y_p = [0xffu8; 32];
    y_p[0] = 0xed;
    y_p[31] = 0x7f;
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    // A known small-order point of order 8 (from the Ed25519 small-order list).
    let order8: [u8; 32] =
        hex::decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
            .unwrap()
            .try_into()
            .unwrap();
    for bad in [zero, identity, order2, y_p, off_curve, order8] {
        assert_eq!(
            code(PublicKey::from_raw(bad)),
            ErrorCode::InvalidKey,
            "{}",
            hex::encode(bad)
        );
        // Also through a JWK.
        let x = b64u(&bad);
        assert_eq!(
            code(parse_jwk(okp(&x, Some("Ed25519")).as_bytes(), STRICT)),
            ErrorCode::InvalidKey
        );
    }
    let good = PublicKey::from_raw(hex::decode(B14_HEX).unwrap().try_into().unwrap()).unwrap();
    assert_eq!(good.alg(), KeyAlg::None);
    assert_eq!(good.thumbprint().as_str(), B14_JKT);
}

// ---- algorithm rules ----

#[test]
fn alg_rules_strict_vs_compat() {
    // alg Ed25519: both.
    for r in [STRICT, COMPAT] {
        assert_eq!(
            parse_jwk(okp(B14_X, Some("Ed25519")).as_bytes(), r)
                .unwrap()
                .alg(),
            KeyAlg::Ed25519
        );
    }
    // alg missing: strict invalid_key, compat KeyAlg::None.
    assert_eq!(
        code(parse_jwk(okp(B14_X, None).as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        parse_jwk(okp(B14_X, None).as_bytes(), COMPAT)
            .unwrap()
            .alg(),
        KeyAlg::None
    );
    // EdDSA: strict invalid_key, compat EdDsa.
    assert_eq!(
        code(parse_jwk(okp(B14_X, Some("EdDSA")).as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        parse_jwk(okp(B14_X, Some("EdDSA")).as_bytes(), COMPAT)
            .unwrap()
            .alg(),
        KeyAlg::EdDsa
    );
    // Mixed rules.
    let alg_required_eddsa_ok = KeyRules {
        require_alg: true,
        allow_eddsa: true,
    };
    assert_eq!(
        code(parse_jwk(
            okp(B14_X, None).as_bytes(),
            alg_required_eddsa_ok
        )),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        parse_jwk(okp(B14_X, Some("EdDSA")).as_bytes(), alg_required_eddsa_ok)
            .unwrap()
            .alg(),
        KeyAlg::EdDsa
    );
    assert_eq!(KeyRules::default(), STRICT);
    assert_eq!(KeyAlg::Ed25519.as_str(), Some("Ed25519"));
    assert_eq!(KeyAlg::None.as_str(), None);
}

#[test]
fn forbidden_and_inconsistent_keys_are_invalid_key() {
    let cases: &[&str] = &[
        // none / HMAC / oct
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"none"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"HS256"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"HS384"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"HS512"}"#,
        r#"{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}"#,
        r#"{"kty":"oct","k":"c2VjcmV0"}"#,
        // private member
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"Ed25519","d":"n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"}"#,
        // inconsistent kty/crv/alg
        r#"{"kty":"OKP","crv":"Ed448","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"ES256"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"Ed448"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"X","alg":"ed25519"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"a","y":"b","alg":"ES384"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"a","y":"b","alg":"Ed25519"}"#,
        r#"{"kty":"RSA","n":"a","e":"AQAB","alg":"ES256"}"#,
        r#"{"kty":"AKP","pub":"a","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"X25519","x":"a","alg":"Ed25519"}"#,
        // missing / unknown kty, crv, x
        r#"{"crv":"Ed25519","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"FOO","crv":"Ed25519","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"okp","crv":"Ed25519","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed99","x":"X","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","alg":"Ed25519"}"#,
        r#"{"kty":"EC","x":"a","y":"b","alg":"ES256"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"a","alg":"ES256"}"#,
        r#"{"kty":"RSA","e":"AQAB","alg":"RS256"}"#,
        // bad x: padded, standard alphabet, wrong length, non-canonical trailing bits, empty
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs=","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0b","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bsA","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bt","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"","alg":"Ed25519"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":" JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519"}"#,
        // non-string members
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":null}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519","kid":1}"#,
        r#"{"kty":["OKP"],"crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519"}"#,
        // not an object / malformed
        r#"[]"#,
        r#""OKP""#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519""#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519"} {}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519",}"#,
        r#"{"kty":"OK\x","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519"}"#,
        r#"{"kty":"OKP\ud800","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","alg":"Ed25519"}"#,
        "",
        "{",
    ];
    for json in cases {
        let json = json.replace("\"X\"", &format!("\"{B14_X}\""));
        for r in [STRICT, COMPAT] {
            assert_eq!(
                code(parse_jwk(json.as_bytes(), r)),
                ErrorCode::InvalidKey,
                "{json} {r:?}"
            );
        }
    }
    // EdDSA with Ed448 in strict is invalid_key (EdDSA refused) and unsupported in compat.
    let ed448_eddsa = r#"{"kty":"OKP","crv":"Ed448","x":"a","alg":"EdDSA"}"#;
    assert_eq!(
        code(parse_jwk(ed448_eddsa.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        code(parse_jwk(ed448_eddsa.as_bytes(), COMPAT)),
        ErrorCode::UnsupportedAlgorithm
    );
}

#[test]
fn well_formed_unsupported_keys() {
    let cases: &[&str] = &[
        r#"{"kty":"EC","crv":"P-256","x":"a","y":"b","alg":"ES256"}"#,
        r#"{"kty":"EC","crv":"P-384","x":"a","y":"b","alg":"ES384"}"#,
        r#"{"kty":"EC","crv":"P-521","x":"a","y":"b","alg":"ES512"}"#,
        r#"{"kty":"EC","crv":"secp256k1","x":"a","y":"b","alg":"ES256K"}"#,
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"PS256"}"#,
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}"#,
        r#"{"kty":"OKP","crv":"Ed448","x":"a","alg":"Ed448"}"#,
        r#"{"kty":"AKP","pub":"a","alg":"ML-DSA-44"}"#,
        r#"{"kty":"AKP","pub":"a","alg":"ML-DSA-65"}"#,
        r#"{"kty":"AKP","pub":"a","alg":"ML-DSA-87"}"#,
        r#"{"kty":"OKP","crv":"X25519","x":"a","alg":"ECDH-ES"}"#,
    ];
    for json in cases {
        for r in [STRICT, COMPAT] {
            assert_eq!(
                code(parse_jwk(json.as_bytes(), r)),
                ErrorCode::UnsupportedAlgorithm,
                "{json}"
            );
        }
    }
    // Without alg: unsupported in both profiles (the key type decides first; telling the
    // signer which algorithms are accepted helps more than "alg missing").
    for json in [
        r#"{"kty":"EC","crv":"P-256","x":"a","y":"b"}"#,
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"OKP","crv":"X25519","x":"a"}"#,
        r#"{"kty":"OKP","crv":"Ed448","x":"a"}"#,
    ] {
        assert_eq!(
            code(parse_jwk(json.as_bytes(), STRICT)),
            ErrorCode::UnsupportedAlgorithm,
            "{json}"
        );
        assert_eq!(
            code(parse_jwk(json.as_bytes(), COMPAT)),
            ErrorCode::UnsupportedAlgorithm,
            "{json}"
        );
    }
}

#[test]
fn key_from_members_hwk_shape() {
    let m = JwkMembers {
        kty: Some(b"OKP"),
        crv: Some(b"Ed25519"),
        x: Some(B14_X.as_bytes()),
        alg: Some(b"Ed25519"),
        ..Default::default()
    };
    let k = key_from_members(&m, STRICT).unwrap();
    assert_eq!(k.thumbprint().as_str(), B14_JKT);
    // kid is not examined here (the hwk caller forbids it).
    let with_kid = JwkMembers {
        kid: Some(b"k"),
        ..m
    };
    assert!(key_from_members(&with_kid, STRICT).is_ok());
    let no_alg = JwkMembers { alg: None, ..m };
    assert_eq!(
        code(key_from_members(&no_alg, STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        key_from_members(&no_alg, COMPAT).unwrap().alg(),
        KeyAlg::None
    );
    let with_d = JwkMembers { d: Some(b"x"), ..m };
    assert_eq!(
        code(key_from_members(&with_d, COMPAT)),
        ErrorCode::InvalidKey
    );
    // One changed character of x: still a valid point here or invalid_key, never a panic.
    let mut x = B14_X.as_bytes().to_vec();
    x[5] = b'A';
    let changed = JwkMembers { x: Some(&x), ..m };
    if let Ok(k2) = key_from_members(&changed, STRICT) {
        assert_ne!(k2.x(), k.x());
    } else {
        assert_eq!(
            code(key_from_members(&changed, STRICT)),
            ErrorCode::InvalidKey
        );
    }
}

// ---- escapes and duplicates ----

#[test]
fn escaped_members_are_decoded() {
    let json =
        format!(r#"{{"k\u0074y":"OK\u0050","crv":"Ed\u00325519","x":"{B14_X}","alg":"Ed25519"}}"#);
    let k = parse_jwk(json.as_bytes(), STRICT).unwrap();
    assert_eq!(k.thumbprint().as_str(), B14_JKT);
    // Escaped x (base64url "_" as \u005f and "-" as \u002d).
    let x = B14_X.replace('_', "\\u005f").replace('-', "\\u002D");
    let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"Ed25519"}}"#);
    assert_eq!(
        parse_jwk(json.as_bytes(), STRICT)
            .unwrap()
            .thumbprint()
            .as_str(),
        B14_JKT
    );
    // An escaped "none" is still none; an escaped "EdDSA" is still EdDSA.
    let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"n\u006fne"}}"#);
    assert_eq!(
        code(parse_jwk(json.as_bytes(), COMPAT)),
        ErrorCode::InvalidKey
    );
    let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"EdDS\u0041"}}"#);
    assert_eq!(
        code(parse_jwk(json.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        parse_jwk(json.as_bytes(), COMPAT).unwrap().alg(),
        KeyAlg::EdDsa
    );
    // The literal text "OK\u0050" with a real backslash ("OK\\u0050") is not OKP.
    let json = format!(r#"{{"kty":"OK\\u0050","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519"}}"#);
    assert_eq!(
        code(parse_jwk(json.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    // An escaped private member name is still refused.
    let json =
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","\u0064":"aaaa"}}"#);
    assert_eq!(
        code(parse_jwk(json.as_bytes(), COMPAT)),
        ErrorCode::InvalidKey
    );
    // A long escaped kty is unknown, not a panic.
    let long = "\\u0041".repeat(100);
    let json = format!(r#"{{"kty":"{long}","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519"}}"#);
    assert_eq!(
        code(parse_jwk(json.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
}

#[test]
fn duplicate_members_rejected() {
    for dup in [
        format!(r#"{{"kty":"OKP","kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519"}}"#),
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","x":"{RFC8037_X}","alg":"Ed25519"}}"#
        ),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","alg":"Ed25519"}}"#),
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","\u0061lg":"none"}}"#
        ),
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","kid":"a","kid":"b"}}"#
        ),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","crv":7}}"#),
    ] {
        assert_eq!(
            code(parse_jwk(dup.as_bytes(), COMPAT)),
            ErrorCode::InvalidKey,
            "{dup}"
        );
    }
    // Duplicate unknown members are ignored.
    let json = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","use":"sig","use":"enc"}}"#
    );
    assert!(parse_jwk(json.as_bytes(), STRICT).is_ok());
}

#[test]
fn unknown_members_ignored_and_nested_skipped() {
    let json = format!(
        r#"{{"kty":"OKP","x5c":["a","b"],"crv":"Ed25519","ext":{{"a":[1,2,{{"b":null}}],"c":true}},"x":"{B14_X}","n2":-1.5e3,"alg":"Ed25519","key_ops":["verify"]}}"#
    );
    assert_eq!(
        parse_jwk(json.as_bytes(), STRICT)
            .unwrap()
            .thumbprint()
            .as_str(),
        B14_JKT
    );
}

// ---- bounds ----

#[test]
fn size_and_depth_bounds() {
    // Oversized JWK (valid JSON, padded with whitespace) → invalid_key.
    let mut json = okp(B14_X, Some("Ed25519"));
    assert!(parse_jwk(json.as_bytes(), STRICT).is_ok());
    json.push_str(&" ".repeat(MAX_JWK_LEN));
    assert_eq!(
        code(parse_jwk(json.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    // Deep nesting: 10 000 '[' in a member value, and at the top level; no stack overflow.
    for doc in [
        format!(r#"{{"a":{}}}"#, "[".repeat(10_000)),
        "[".repeat(10_000),
        format!(r#"{{"a":{}{}}}"#, "[".repeat(5000), "]".repeat(5000)),
        "{\"a\":".repeat(3000),
    ] {
        assert_eq!(
            code(parse_jwk(doc.as_bytes(), STRICT)),
            ErrorCode::InvalidKey
        );
        assert_eq!(
            code(select_jwk(doc.as_bytes(), b"k", STRICT)),
            ErrorCode::InvalidKey
        );
        assert_eq!(
            code(check_issuer(doc.as_bytes(), b"a", true)),
            ErrorCode::InvalidKey
        );
    }
    // Depth 16 is fine: object + 15 nested arrays in an unknown member.
    let ok = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519","z":{}{}}}"#,
        "[".repeat(15),
        "]".repeat(15)
    );
    assert!(parse_jwk(ok.as_bytes(), STRICT).is_ok());
    let too_deep = ok.replace("\"z\":[", "\"z\":[[").replace("]}", "]]}");
    assert_eq!(
        code(parse_jwk(too_deep.as_bytes(), STRICT)),
        ErrorCode::InvalidKey
    );
    // Oversized JWKS and metadata.
    let jwks = format!(
        r#"{{"keys":[{}]}}{}"#,
        okp(B14_X, Some("Ed25519")),
        " ".repeat(MAX_JWKS_LEN)
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"k", STRICT)),
        ErrorCode::InvalidKey
    );
    let meta = format!(
        r#"{{"issuer":"https://a.example","jwks_uri":"https://a.example/j"}}{}"#,
        " ".repeat(MAX_METADATA_LEN)
    );
    assert_eq!(
        code(check_issuer(meta.as_bytes(), b"https://a.example", false)),
        ErrorCode::InvalidKey
    );
}

// ---- JWKS selection ----

/// One `kid` that `each_jwk` reported, and what it answered for it.
type Reported = (Vec<u8>, Result<PublicKey, ErrorCode>);

/// `each_jwk` as a list of (kid, outcome).
fn each(doc: &str, rules: KeyRules) -> Result<Vec<Reported>, ErrorCode> {
    let mut out = Vec::new();
    let n = each_jwk(doc.as_bytes(), rules, |kid, r| {
        out.push((kid.to_vec(), r.map_err(|e| e.code)))
    })
    .map_err(|e| e.code)?;
    assert_eq!(n, out.len());
    Ok(out)
}

#[test]
fn each_jwk_reports_every_kid_once_with_select_jwks_answer() {
    let doc = format!(
        r#"{{"keys":[{},{},{},{},{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"Ed25519"}},{},"junk",{}]}}"#,
        member("a", B14_X, "Ed25519"),
        member("b", RFC8037_X, "Ed25519"),
        member("a", B14_X, "Ed25519"), // the same key again: fine
        member("c", B14_X, "Ed25519"),
        member("c", RFC8037_X, "Ed25519"), // two different keys under c: refused
        member("d", RFC8037_X, "EdDSA"),   // not usable in strict mode
    );
    let got = each(&doc, STRICT).unwrap();
    let kids: Vec<&[u8]> = got.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(
        kids,
        [&b"a"[..], b"b", b"c", b"d"],
        "document order, once each, no kid-less key"
    );
    for (kid, r) in &got {
        let want = select_jwk(doc.as_bytes(), kid, STRICT).map_err(|e| e.code);
        assert_eq!(r, &want, "kid {:?}", String::from_utf8_lossy(kid));
    }
    assert!(got[0].1.is_ok() && got[1].1.is_ok());
    assert_eq!(got[2].1, Err(ErrorCode::InvalidKey));
    assert!(got[3].1.is_err());
    // A malformed document is refused as select_jwk refuses it.
    assert_eq!(
        each(r#"{"keys":{}}"#, STRICT).unwrap_err(),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        each(r#"{"nokeys":[]}"#, STRICT).unwrap_err(),
        ErrorCode::InvalidKey
    );
    assert!(each(r#"{"keys":[]}"#, STRICT).unwrap().is_empty());
}

#[test]
fn each_jwk_is_bounded_and_skips_unselectable_kids() {
    let many: Vec<String> = (0..MAX_JWKS_KIDS + 8)
        .map(|i| member(&format!("k{i}"), B14_X, "Ed25519"))
        .collect();
    let doc = format!(r#"{{"keys":[{}]}}"#, many.join(","));
    let got = each(&doc, STRICT).unwrap();
    assert_eq!(
        got.len(),
        MAX_JWKS_KIDS,
        "only the first MAX_JWKS_KIDS kids"
    );
    assert_eq!(got[0].0, b"k0");
    let long = "x".repeat(129);
    let doc = format!(
        r#"{{"keys":[{},{},{}]}}"#,
        member(&long, B14_X, "Ed25519"),
        member(r"a\u000d\u000ab", B14_X, "Ed25519"),
        member(r"ok\u0041", B14_X, "Ed25519"),
    );
    let got = each(&doc, STRICT).unwrap();
    assert_eq!(
        got.len(),
        1,
        "a kid over 128 bytes or with CR LF is not reported"
    );
    assert_eq!(got[0].0, b"okA", "reported decoded");
}

fn member(kid: &str, x: &str, alg: &str) -> String {
    format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"{kid}","x":"{x}","alg":"{alg}"}}"#)
}

#[test]
fn jwks_a3_vector() {
    let jwks = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"ap-key-1","alg":"Ed25519","x":"{RFC8037_X}"}}]}}"#
    );
    let k = select_jwk(jwks.as_bytes(), b"ap-key-1", STRICT).unwrap();
    assert_eq!(k.thumbprint().as_str(), RFC8037_JKT);
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"ap-key-2", STRICT)),
        ErrorCode::UnknownKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"ap-key-", STRICT)),
        ErrorCode::UnknownKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"", STRICT)),
        ErrorCode::UnknownKey
    );
}

#[test]
fn jwks_a2_demo_no_alg() {
    let jwks = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","kid":"backend-ephemeral-1"}}]}}"#
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"backend-ephemeral-1", STRICT)),
        ErrorCode::InvalidKey
    );
    let k = select_jwk(jwks.as_bytes(), b"backend-ephemeral-1", COMPAT).unwrap();
    assert_eq!(k.thumbprint().as_str(), B14_JKT);
}

#[test]
fn jwks_distractors_do_not_fail_selection() {
    let huge_n = "A".repeat(8000);
    let jwks = format!(
        r#"{{"other":{{"deep":[1,[2,[3]]]}},"keys":[
            {{"kty":"RSA","kid":"rsa","n":"{huge_n}","e":"AQAB","alg":"RS256"}},
            {{"kty":"EC","kid":"k","crv":"P-256","x":"a","y":"b","alg":"ES256"}},
            {{"kty":"WAT","kid":"w","alg":"Ed25519"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}","alg":"Ed25519"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}","alg":"Ed25519","kid":"dup","kid":"dup2"}},
            {{"kty":"OKP","crv":"Ed25519","x":"bad","alg":"Ed25519","kid":"bad"}},
            {{"kty":"oct","k":"c2VjcmV0","kid":"hmac","alg":"HS256"}},
            {{"kty":"OKP","crv":"Ed25519","kid":7,"x":"{RFC8037_X}"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}","alg":"Ed25519","kid":"weird","d":"secret"}},
            "a string", 42, null, true, [1,2], {{}},
            {{"unknown":{{"a":[{{"b":"c"}}]}},"kid":"x"}},
            {}
        ],"trailer":"ok"}}"#,
        member("k", B14_X, "Ed25519")
    );
    assert!(jwks.len() < MAX_JWKS_LEN);
    // "k" is shared by an EC key (first) and an Ed25519 key: the first usable Ed25519 one wins.
    let k = select_jwk(jwks.as_bytes(), b"k", STRICT).unwrap();
    assert_eq!(k.thumbprint().as_str(), B14_JKT);
    // Matching but unusable members report their own error.
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"rsa", STRICT)),
        ErrorCode::UnsupportedAlgorithm
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"w", STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"bad", STRICT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"hmac", COMPAT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"weird", COMPAT)),
        ErrorCode::InvalidKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"x", COMPAT)),
        ErrorCode::InvalidKey
    );
    // Duplicate kid member inside one JWK: that JWK is unusable.
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"dup", STRICT)),
        ErrorCode::InvalidKey
    );
    // Nothing matches.
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"nope", STRICT)),
        ErrorCode::UnknownKey
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), b"7", STRICT)),
        ErrorCode::UnknownKey
    );
}

#[test]
fn jwks_duplicate_kid_is_refused_unless_one_is_usable() {
    // Two different usable keys with the same kid: which one the signer meant is undefined,
    // so neither is used (invalid_key), whatever their order.
    for (a, b) in [(RFC8037_X, B14_X), (B14_X, RFC8037_X)] {
        let jwks = format!(
            r#"{{"keys":[{},{}]}}"#,
            member("same", a, "Ed25519"),
            member("same", b, "Ed25519")
        );
        let e = select_jwk(jwks.as_bytes(), b"same", STRICT).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidKey);
        assert_eq!(e.check, aauth_verify::Check::JwksKidDuplicate);
    }
    // The same key twice is not ambiguous.
    let jwks = format!(
        r#"{{"keys":[{},{}]}}"#,
        member("same", B14_X, "Ed25519"),
        member("same", B14_X, "Ed25519")
    );
    assert_eq!(
        select_jwk(jwks.as_bytes(), b"same", STRICT)
            .unwrap()
            .thumbprint()
            .as_str(),
        B14_JKT
    );
    // An unusable one (EdDSA in strict) and a usable one: the usable one is selected, in
    // either order; with both usable (compat), they are two keys again.
    for order in [0, 1] {
        let (x, y) = (
            member("same", RFC8037_X, "EdDSA"),
            member("same", B14_X, "Ed25519"),
        );
        let jwks = if order == 0 {
            format!(r#"{{"keys":[{x},{y}]}}"#)
        } else {
            format!(r#"{{"keys":[{y},{x}]}}"#)
        };
        assert_eq!(
            select_jwk(jwks.as_bytes(), b"same", STRICT)
                .unwrap()
                .thumbprint()
                .as_str(),
            B14_JKT
        );
        assert_eq!(
            select_jwk(jwks.as_bytes(), b"same", COMPAT)
                .unwrap_err()
                .check,
            aauth_verify::Check::JwksKidDuplicate
        );
    }
}

#[test]
fn jwks_escaped_kid() {
    let jwks = format!(
        r#"{{"keys":[{}, {}, {}]}}"#,
        member(r#"k\u0065y-1"#, B14_X, "Ed25519"),
        member(r#"a\/b\"c\\d"#, RFC8037_X, "Ed25519"),
        member(r#"\u00e9\ud83d\ude00"#, RFC8037_X, "Ed25519")
    );
    assert_eq!(
        select_jwk(jwks.as_bytes(), b"key-1", STRICT)
            .unwrap()
            .thumbprint()
            .as_str(),
        B14_JKT
    );
    assert_eq!(
        code(select_jwk(jwks.as_bytes(), br#"k\u0065y-1"#, STRICT)),
        ErrorCode::UnknownKey
    );
    assert_eq!(
        select_jwk(jwks.as_bytes(), br#"a/b"c\d"#, STRICT)
            .unwrap()
            .thumbprint()
            .as_str(),
        RFC8037_JKT
    );
    assert!(select_jwk(jwks.as_bytes(), "é😀".as_bytes(), STRICT).is_ok());
    // Escaped "keys" member name.
    let jwks = format!(r#"{{"k\u0065ys":[{}]}}"#, member("a", B14_X, "Ed25519"));
    assert!(select_jwk(jwks.as_bytes(), b"a", STRICT).is_ok());
}

#[test]
fn jwks_malformed_is_invalid_key() {
    let m = member("a", B14_X, "Ed25519");
    for doc in [
        String::new(),
        "{}".to_string(),
        r#"{"keys":{}}"#.to_string(),
        r#"{"keys":null}"#.to_string(),
        r#"{"keys":"a"}"#.to_string(),
        format!(r#"[{m}]"#),
        format!(r#"{{"keys":[{m}],"keys":[]}}"#),
        format!(r#"{{"keys":[{m}]"#),
        format!(r#"{{"keys":[{m},]}}"#),
        format!(r#"{{"keys":[{m}]}} x"#),
        format!(r#"{{"keys":[{m}], "bad":"\q"}}"#),
    ] {
        assert_eq!(
            code(select_jwk(doc.as_bytes(), b"a", STRICT)),
            ErrorCode::InvalidKey,
            "{doc}"
        );
    }
    // Empty keys: unknown_key.
    assert_eq!(
        code(select_jwk(br#"{"keys":[]}"#, b"a", STRICT)),
        ErrorCode::UnknownKey
    );
}

// ---- metadata ----

#[test]
fn metadata_issuer_checks() {
    let doc = br#"{"issuer":"https://agent.example","jwks_uri":"https://agent.example/.well-known/jwks.json","name":"A","logo_uri":null,"x":{"y":[1]}}"#;
    let uri = check_issuer(doc, b"https://agent.example", false).unwrap();
    assert!(uri.eq_bytes(b"https://agent.example/.well-known/jwks.json"));
    // Trailing slash, case, evil issuer: mismatch.
    for exp in [
        &b"https://agent.example/"[..],
        b"https://Agent.example",
        b"https://evil.example",
        b"",
    ] {
        assert_eq!(
            code(check_issuer(doc, exp, true)),
            ErrorCode::IssuerMismatch
        );
    }
    let slash = br#"{"issuer":"https://agent.example/","jwks_uri":"https://agent.example/j"}"#;
    assert_eq!(
        code(check_issuer(slash, b"https://agent.example", false)),
        ErrorCode::IssuerMismatch
    );
    // Escaped \/ is equal after unescaping; jwks_uri comes back escaped and decodes.
    let esc =
        br#"{"issuer":"https:\/\/agent.example","jwks_uri":"https:\/\/agent.example\/jwks.json"}"#;
    let uri = check_issuer(esc, b"https://agent.example", false).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(
        uri.decode_into(&mut buf),
        Some(&b"https://agent.example/jwks.json"[..])
    );
    // Missing issuer.
    let none = br#"{"jwks_uri":"https://agent.example/j"}"#;
    assert_eq!(
        code(check_issuer(none, b"https://agent.example", true)),
        ErrorCode::IssuerMissing
    );
    // issuer of the wrong type.
    let num = br#"{"issuer":5,"jwks_uri":"https://agent.example/j"}"#;
    assert_eq!(
        code(check_issuer(num, b"5", false)),
        ErrorCode::IssuerMismatch
    );
    // jwks_uri missing / not a string.
    let no_uri = br#"{"issuer":"https://agent.example"}"#;
    assert_eq!(
        code(check_issuer(no_uri, b"https://agent.example", false)),
        ErrorCode::InvalidKey
    );
    let bad_uri = br#"{"issuer":"https://agent.example","jwks_uri":["https://a"]}"#;
    assert_eq!(
        code(check_issuer(bad_uri, b"https://agent.example", false)),
        ErrorCode::InvalidKey
    );
    // Duplicates rejected (also through an escaped name).
    let dup =
        br#"{"issuer":"https://agent.example","issuer":"https://evil.example","jwks_uri":"u"}"#;
    assert_eq!(
        code(check_issuer(dup, b"https://agent.example", false)),
        ErrorCode::InvalidKey
    );
    let dup = br#"{"issuer":"https://agent.example","jwks_uri":"u","jwks\u005furi":"v"}"#;
    assert_eq!(
        code(check_issuer(dup, b"https://agent.example", false)),
        ErrorCode::InvalidKey
    );
    // Not JSON / not an object.
    for bad in [&b""[..], b"[]", b"\"issuer\"", b"{\"issuer\":\"a\""] {
        assert_eq!(code(check_issuer(bad, b"a", true)), ErrorCode::InvalidKey);
    }
}

#[test]
fn metadata_legacy_agent() {
    let demo = br#"{"agent":"http://backend.localhost:8000","jwks_uri":"http://backend.localhost:8000/jwks.json"}"#;
    assert_eq!(
        code(check_issuer(demo, b"http://backend.localhost:8000", false)),
        ErrorCode::IssuerMissing
    );
    let uri = check_issuer(demo, b"http://backend.localhost:8000", true).unwrap();
    assert!(uri.eq_bytes(b"http://backend.localhost:8000/jwks.json"));
    assert_eq!(
        code(check_issuer(demo, b"http://evil.localhost:8000", true)),
        ErrorCode::IssuerMismatch
    );
    // With both, issuer wins.
    let both = br#"{"issuer":"https://a.example","agent":"https://b.example","jwks_uri":"u"}"#;
    assert!(check_issuer(both, b"https://a.example", true).is_ok());
    assert_eq!(
        code(check_issuer(both, b"https://b.example", true)),
        ErrorCode::IssuerMismatch
    );
}

// ---- no panics ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), kid in proptest::collection::vec(any::<u8>(), 0..8)) {
        let _ = parse_jwk(&data, STRICT);
        let _ = parse_jwk(&data, COMPAT);
        let _ = select_jwk(&data, &kid, COMPAT);
        let _ = each_jwk(&data, COMPAT, |_, _| ());
        let _ = check_issuer(&data, &kid, true);
    }
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"keys\"".to_string()),
        Just("\"kty\"".to_string()),
        Just("\"OKP\"".to_string()),
        Just("\"crv\"".to_string()),
        Just("\"Ed25519\"".to_string()),
        Just("\"x\"".to_string()),
        Just(format!("\"{B14_X}\"")),
        Just("\"kid\"".to_string()),
        Just("\"k\"".to_string()),
        Just("\"alg\"".to_string()),
        Just("\"d\"".to_string()),
        Just("\"issuer\"".to_string()),
        Just("\"jwks_uri\"".to_string()),
        Just("\"agent\"".to_string()),
        Just("\"\\u00".to_string()),
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("null".to_string()),
        Just("1e9".to_string()),
        Just("-".to_string()),
        Just(" ".to_string()),
        "[a-z\\\\\"]{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn json_like_input_never_panics(parts in proptest::collection::vec(token(), 0..64)) {
        let doc = parts.concat();
        let _ = parse_jwk(doc.as_bytes(), COMPAT);
        let _ = select_jwk(doc.as_bytes(), b"k", COMPAT);
        let _ = each_jwk(doc.as_bytes(), COMPAT, |kid, r| {
            assert_eq!(r.map_err(|e| e.code), select_jwk(doc.as_bytes(), kid, COMPAT).map_err(|e| e.code));
        });
        let _ = check_issuer(doc.as_bytes(), b"k", true);
    }

    /// Mutations of a valid JWKS: single-byte edits never panic, and a result is either the
    /// right key or an error.
    #[test]
    fn mutated_jwks_never_panics(pos in 0usize..200, byte in any::<u8>()) {
        let mut doc = format!(r#"{{"keys":[{},{}]}}"#, member("k", B14_X, "Ed25519"), member("j", RFC8037_X, "Ed25519")).into_bytes();
        let i = pos % doc.len();
        doc[i] = byte;
        if let Ok(k) = select_jwk(&doc, b"k", COMPAT) {
            prop_assert!(k.thumbprint().as_str() == B14_JKT || k.alg() == KeyAlg::Ed25519);
        }
        let _ = parse_jwk(&doc, COMPAT);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn valid_keys_round_trip(seed in any::<[u8; 32]>()) {
        let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed));
        let x: [u8; 32] = *kp.pk;
        let k = PublicKey::from_raw(x).unwrap();
        let xb = b64u(&x);
        let jwks = format!(r#"{{"keys":[{}]}}"#, member("id", &xb, "Ed25519"));
        let s = select_jwk(jwks.as_bytes(), b"id", STRICT).unwrap();
        prop_assert_eq!(s.x(), k.x());
        prop_assert_eq!(s.thumbprint(), k.thumbprint());
    }
}
