//! The key rules of the accept set through the public API: `PublicKey::from_raw` refuses every
//! key of `tests/vectors/ed25519.json` that is not a canonical point outside the small-order
//! subgroup, with the check that says why (the same with either backend).

use aauth_verify::{Check, ErrorCode, PublicKey};
use serde_json::Value;

#[test]
fn from_raw_follows_the_vectors() {
    let doc: Value =
        serde_json::from_str(include_str!("../../tests/vectors/ed25519.json")).unwrap();
    let mut refused = 0;
    for c in doc["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x: [u8; 32] = hex::decode(c["public_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let a = &c["properties"]["a"];
        let expected = if !(a["canonical"] == true && a["on_curve"] == true) {
            Some(Check::KeyNotPoint)
        } else if a["order"] == "small" {
            Some(Check::KeySmallOrder)
        } else {
            None
        };
        match (PublicKey::from_raw(x), expected) {
            (Ok(k), None) => assert_eq!(k.x(), &x, "{name}"),
            (Err(e), Some(check)) => {
                assert_eq!((e.code, e.check), (ErrorCode::InvalidKey, check), "{name}");
                refused += 1;
            }
            (r, e) => panic!("{name}: from_raw {r:?}, expected {e:?}"),
        }
    }
    assert!(refused >= 20, "{refused}");
}
