//! `stored_key`: a key a host kept (point and `alg`) comes back equal to the one decoded,
//! with its `alg`, and a bad point is refused as it is when decoded from JWK text.
// Keys decoded from JWKS documents.
#![cfg(feature = "documents")]

use aauth_verify::{each_jwk, select_jwk, stored_key, ErrorCode, KeyAlg, KeyRules};

const B14_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";

#[test]
fn a_stored_key_round_trips_with_its_alg() {
    for (alg, rules) in [("Ed25519", KeyRules::STRICT), ("EdDSA", KeyRules::COMPAT)] {
        let doc = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{B14_X}","alg":"{alg}","kid":"k"}}]}}"#
        );
        let mut seen = Vec::new();
        each_jwk(doc.as_bytes(), rules, |_, r| seen.push(r.unwrap())).unwrap();
        let k = seen[0];
        let back = stored_key(*k.x(), k.alg()).unwrap();
        assert_eq!(back, k);
        assert_eq!(back, select_jwk(doc.as_bytes(), b"k", rules).unwrap());
        assert_eq!(back.thumbprint(), k.thumbprint());
    }
    let k = stored_key([0x26; 32], KeyAlg::None);
    assert!(k.is_ok() || k.unwrap_err().code == ErrorCode::InvalidKey);
}

#[test]
fn a_bad_point_is_refused() {
    // The all-zero key and the identity (small order).
    assert_eq!(
        stored_key([0; 32], KeyAlg::Ed25519).unwrap_err().code,
        ErrorCode::InvalidKey
    );
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        stored_key(identity, KeyAlg::Ed25519).unwrap_err().code,
        ErrorCode::InvalidKey
    );
}
