//! The accept set, pinned: `tests/vectors/ed25519.json` (speccheck, RFC 8032 §7.1 and crafted
//! cases) against every backend built, and, with the `dalek` feature, property tests that the
//! two backends return the same verdict for every input.

extern crate std;

use std::borrow::ToOwned;
use std::string::String;
use std::vec::Vec;

use serde_json::Value;

use super::{compact, Refusal};

const VECTORS: &str = include_str!("../../tests/vectors/ed25519.json");

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hex64(v: &Value) -> [u8; 64] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn verdict(r: Result<(), Refusal>) -> &'static str {
    match r {
        Ok(()) => "accept",
        Err(Refusal::NotPoint) => "invalid_key:not_point",
        Err(Refusal::SmallOrder) => "invalid_key:small_order",
        Err(Refusal::Signature) => "invalid_signature",
    }
}

struct Case {
    name: String,
    a: [u8; 32],
    m: Vec<u8>,
    sig: [u8; 64],
    expected: Value,
    case: Value,
}

fn cases() -> Vec<Case> {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            a: hex32(&c["public_key"]),
            m: hex::decode(c["message"].as_str().unwrap()).unwrap(),
            sig: hex64(&c["signature"]),
            expected: c["expected"].clone(),
            case: c.clone(),
        })
        .collect()
}

/// What `prepare` must say of a key, from the derived properties.
fn key_verdict(c: &Value) -> &'static str {
    let a = &c["properties"]["a"];
    if !(a["canonical"].as_bool().unwrap() && a["on_curve"].as_bool().unwrap()) {
        "invalid_key:not_point"
    } else if a["order"] == "small" {
        "invalid_key:small_order"
    } else {
        "accept"
    }
}

/// Streams `m` in pieces of `chunk` bytes.
macro_rules! streamed {
    ($backend:ident, $a:expr, $prepared:expr, $sig:expr, $m:expr, $chunk:expr) => {{
        let m: &[u8] = $m;
        $backend::verify_stream($a, $prepared, $sig, |s| {
            for piece in m.chunks($chunk.max(1)) {
                aauth_verify_sf::sink::Sink::write(s, piece);
            }
            Ok::<(), ()>(())
        })
        .map(|r| r.unwrap())
    }};
}

/// Every way the backend `$b` verifies a case: one shot, streamed in pieces, with the key
/// prepared when it prepares. All must agree; returns the verdict.
macro_rules! all_ways {
    ($b:ident, $c:expr) => {{
        let c: &Case = $c;
        let one = verdict($b::verify(&c.a, None, &c.m, &c.sig));
        for chunk in [1, 7, 64, 1000] {
            let s = verdict(streamed!($b, &c.a, None, &c.sig, &c.m, chunk));
            assert_eq!(s, one, "{}: streamed in {chunk}-byte pieces", c.name);
        }
        match $b::prepare(&c.a) {
            Ok(p) => {
                let with = verdict($b::verify(&c.a, Some(&p), &c.m, &c.sig));
                assert_eq!(with, one, "{}: with the prepared key", c.name);
                let with = verdict(streamed!($b, &c.a, Some(&p), &c.sig, &c.m, 13));
                assert_eq!(with, one, "{}: streamed with the prepared key", c.name);
                assert_eq!(key_verdict(&c.case), "accept", "{}: prepare", c.name);
            }
            Err(r) => assert_eq!(verdict(Err(r)), key_verdict(&c.case), "{}: prepare", c.name),
        }
        one
    }};
}

#[test]
fn vectors_compact() {
    let cases = cases();
    assert!(cases.len() >= 50);
    for c in &cases {
        assert_eq!(
            all_ways!(compact, c),
            c.expected["compact"].as_str().unwrap(),
            "{}",
            c.name
        );
    }
}

#[cfg(feature = "dalek")]
#[test]
fn vectors_dalek() {
    use super::dalek;
    for c in &cases() {
        assert_eq!(
            all_ways!(dalek, c),
            c.expected["dalek"].as_str().unwrap(),
            "{}",
            c.name
        );
    }
}

/// The reference columns of the vectors (and of the table in the module docs) are what
/// `ed25519-dalek` 2 itself decides.
#[test]
fn reference_is_ed25519_dalek() {
    for c in &cases() {
        let sig = ed25519_dalek::Signature::from_bytes(&c.sig);
        let (v, s) = match ed25519_dalek::VerifyingKey::from_bytes(&c.a) {
            Ok(vk) => (
                ed25519_dalek::Verifier::verify(&vk, &c.m, &sig).is_ok(),
                vk.verify_strict(&c.m, &sig).is_ok(),
            ),
            Err(_) => (false, false),
        };
        let word = |ok: bool| if ok { "accept" } else { "refuse" };
        let r = &c.case["reference"];
        assert_eq!(word(v), r["ed25519-dalek verify"], "{}: verify", c.name);
        assert_eq!(
            word(s),
            r["ed25519-dalek verify_strict"],
            "{}: strict",
            c.name
        );
    }
}

/// The speccheck verdicts of the table in the module docs.
#[test]
fn speccheck_table() {
    let accepted: Vec<String> = cases()
        .iter()
        .filter(|c| c.name.starts_with("speccheck-") && c.expected["compact"] == "accept")
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(accepted, ["speccheck-6", "speccheck-7", "speccheck-8"]);
}

#[cfg(feature = "dalek")]
mod agreement {
    //! The two backends agree on every input: random keys and messages with honest,
    //! corrupted and crafted signatures, and random key bytes.

    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use proptest::prelude::*;
    use sha2::{Digest, Sha512};

    use super::super::{compact, dalek};
    use super::std;
    use super::verdict;
    use std::vec::Vec;

    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    /// Adds `L` to the little-endian `s`; `None` if the sum does not fit 256 bits.
    fn plus_l(s: &[u8]) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s[i]) + u16::from(L[i]) + carry;
            out[i] = v as u8;
            carry = v >> 8;
        }
        (carry == 0).then_some(out)
    }

    /// Both backends, every way; panics unless all agree. Returns the verdict.
    fn agree(a: &[u8; 32], m: &[u8], sig: &[u8; 64], chunk: usize) -> &'static str {
        let c = verdict(compact::verify(a, None, m, sig));
        let d = verdict(dalek::verify(a, None, m, sig));
        assert_eq!(
            c,
            d,
            "one shot: A {} sig {}",
            hex::encode(a),
            hex::encode(sig)
        );
        let cs = verdict(streamed!(compact, a, None, sig, m, chunk));
        let ds = verdict(streamed!(dalek, a, None, sig, m, chunk));
        assert_eq!((cs, ds), (c, c), "streamed");
        match (compact::prepare(a), dalek::prepare(a)) {
            (Ok(pc), Ok(pd)) => {
                assert_eq!(verdict(compact::verify(a, Some(&pc), m, sig)), c);
                assert_eq!(verdict(dalek::verify(a, Some(&pd), m, sig)), c);
            }
            (rc, rd) => assert_eq!(rc.map(|_| ()), rd.map(|_| ()), "prepare"),
        }
        c
    }

    /// A key pair from a seed: the secret scalar (clamped, as RFC 8032 §5.1.5) and `A`.
    fn keypair(seed: &[u8; 32]) -> (Scalar, EdwardsPoint) {
        let h = Sha512::digest(seed);
        let mut a = [0u8; 32];
        a.copy_from_slice(&h[..32]);
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a);
        (a, ED25519_BASEPOINT_POINT * a)
    }

    /// A signature with the scalars of `A` (`a`) and `R` (`r`) over crafted points.
    fn sign_with(a: Scalar, r: Scalar, big_a: &[u8; 32], big_r: &[u8; 32], m: &[u8]) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(big_r);
        h.update(big_a);
        h.update(m);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Honest signatures by compact, then corrupted: a bit flipped anywhere in the
        /// signature, the key or the message, `S + L`, `R` or `A` replaced with random bytes.
        #[test]
        fn honest_and_corrupted(
            seed in any::<[u8; 32]>(),
            m in proptest::collection::vec(any::<u8>(), 0..300),
            flip in 0usize..(64 + 32 + 300) * 8,
            junk in any::<[u8; 32]>(),
            chunk in 1usize..80,
        ) {
            let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed));
            let a: [u8; 32] = *kp.pk;
            let sig: [u8; 64] = *kp.sk.sign(&m, None);
            prop_assert_eq!(agree(&a, &m, &sig, chunk), "accept");

            let (byte, bit) = (flip / 8, 1u8 << (flip % 8));
            let (mut a2, mut m2, mut sig2) = (a, m.clone(), sig);
            if byte < 64 {
                sig2[byte] ^= bit;
            } else if byte < 96 {
                a2[byte - 64] ^= bit;
            } else if let Some(b) = m2.get_mut(byte - 96) {
                *b ^= bit;
            }
            agree(&a2, &m2, &sig2, chunk);

            if let Some(s) = plus_l(&sig[32..]) {
                let mut s_l = sig;
                s_l[32..].copy_from_slice(&s);
                prop_assert_eq!(agree(&a, &m, &s_l, chunk), "invalid_signature");
            }
            let mut r_junk = sig;
            r_junk[..32].copy_from_slice(&junk);
            agree(&a, &m, &r_junk, chunk);
            agree(&junk, &m, &sig, chunk);
        }

        /// Signatures made by the key's holder with a small-order component in `R`, in `A`
        /// or in both (the cofactored and cofactorless equations differ here), and with a
        /// small-order `R` or `A` outright.
        #[test]
        fn mixed_order(
            seed in any::<[u8; 32]>(),
            r in any::<[u8; 32]>(),
            m in proptest::collection::vec(any::<u8>(), 0..100),
            tr in 0usize..8,
            ta in 0usize..8,
            chunk in 1usize..50,
        ) {
            let (a, big_a) = keypair(&seed);
            let r = Scalar::from_bytes_mod_order(r);
            let big_a = (big_a + EIGHT_TORSION[ta]).compress().0;
            let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[tr]).compress().0;
            let sig = sign_with(a, r, &big_a, &big_r, &m);
            let v = agree(&big_a, &m, &sig, chunk);
            // The cofactored equation holds by construction.
            prop_assert_eq!(v, "accept");

            // Small-order R (the torsion point alone), small-order A.
            let small = EIGHT_TORSION[tr].compress().0;
            let sig_small_r = sign_with(a, Scalar::ZERO, &big_a, &small, &m);
            prop_assert_eq!(agree(&big_a, &m, &sig_small_r, chunk), "invalid_signature");
            let small_a = EIGHT_TORSION[ta].compress().0;
            let sig_small_a = sign_with(Scalar::ZERO, r, &small_a, &big_r, &m);
            prop_assert_eq!(agree(&small_a, &m, &sig_small_a, chunk), "invalid_key:small_order");
        }

        /// Any 32 bytes as a key: both backends prepare it, or refuse it, alike.
        #[test]
        fn key_bytes(x in any::<[u8; 32]>(), t in 0usize..8) {
            prop_assert_eq!(
                compact::prepare(&x).map(|_| ()),
                dalek::prepare(&x).map(|_| ())
            );
            // The bytewise small-order test agrees with the group's on canonical points,
            // small-order and not (x as a point plus a torsion point, when x is one).
            if let Some(p) = CompressedEdwardsY(x).decompress() {
                for q in [p, p + EIGHT_TORSION[t], EIGHT_TORSION[t]] {
                    let b = q.compress().0;
                    prop_assert!(dalek::canonical(&b));
                    prop_assert_eq!(dalek::small_order(&b), q.is_small_order());
                }
            }
        }
    }

    /// Every `y` near the ends of the field (where non-canonical and `x = 0` encodings lie),
    /// with both signs, as a key and as `R`.
    #[test]
    fn edge_encodings() {
        let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([7; 32]));
        let a: [u8; 32] = *kp.pk;
        let m = b"edge encodings";
        let sig: [u8; 64] = *kp.sk.sign(m, None);
        let p_minus = |d: u8| {
            let mut y = [0xffu8; 32];
            y[31] = 0x7f;
            y[0] = 0xed - d;
            y
        };
        let mut ys: Vec<[u8; 32]> = Vec::new();
        for v in 0u8..64 {
            let mut y = [0u8; 32];
            y[0] = v;
            ys.push(y);
        }
        for d in 0u8..64 {
            ys.push(p_minus(d));
        }
        for d in 0u8..=18 {
            // p + d: the non-canonical y (up to 2^255 - 1).
            let mut y = p_minus(0);
            y[0] = 0xed + d;
            ys.push(y);
        }
        let mut n = 0;
        for y in ys {
            for sign in [0u8, 0x80] {
                let mut b = y;
                b[31] |= sign;
                assert_eq!(
                    compact::prepare(&b).map(|_| ()),
                    dalek::prepare(&b).map(|_| ()),
                    "key {}",
                    hex::encode(b)
                );
                // Where y has a point (decoded leniently, mod p), canonical means that the
                // point re-encodes to these bytes.
                if let Some(p) = CompressedEdwardsY(b).decompress() {
                    assert_eq!(
                        dalek::canonical(&b),
                        p.compress().0 == b,
                        "{}",
                        hex::encode(b)
                    );
                }
                agree(&b, m, &sig, 5);
                let mut s = sig;
                s[..32].copy_from_slice(&b);
                agree(&a, m, &s, 5);
                n += 1;
            }
        }
        assert_eq!(n, (64 + 64 + 19) * 2);
    }

    /// The small-order table is exactly the canonical encodings of the eight torsion points.
    #[test]
    fn small_order_encodings() {
        for t in EIGHT_TORSION {
            let b = t.compress().0;
            assert!(
                dalek::canonical(&b) && dalek::small_order(&b),
                "{}",
                hex::encode(b)
            );
        }
        let distinct: std::collections::BTreeSet<[u8; 32]> =
            EIGHT_TORSION.iter().map(|t| t.compress().0).collect();
        assert_eq!(distinct.len(), 8);
        // And nothing else: every canonical encoding with one of the five y values is one of them.
        let mut found = 0;
        for b in &distinct {
            for sign in [0u8, 0x80] {
                let mut e = *b;
                e[31] = (e[31] & 0x7f) | sign;
                if dalek::canonical(&e) {
                    assert!(distinct.contains(&e), "{}", hex::encode(e));
                    found += 1;
                }
            }
        }
        // y = 1 and y = -1 have one canonical sign each, y = 0, y8 and -y8 two: counted once per
        // encoding of the point (twice for the six points whose y has two).
        assert_eq!(found, 1 + 1 + 3 * 4);
    }
}
