//! The JSON readers of a token: one pass over the decoded JOSE header and claims set, capturing
//! the members the verifier uses (matched by decoded name, duplicates noticed), skipping the
//! rest.
//!
//! Spec: RFC 7515 §4.1 (JOSE header); RFC 7519 §4.1 (claims), §2 (NumericDate); RFC 7800 §3.1
//! (`cnf`).

use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// Up to four `aud` strings.
pub(crate) type RawAud<'s> = [Option<JsonStr<'s>>; 4];
use crate::json::{self, member_index, read_member, JsonStr, Member, Members, MembersSeed};
use crate::jwk;

const HEADER_NAMES: [&str; 5] = ["alg", "typ", "kid", "jwk", "crit"];

pub(crate) struct RawHeader<'s> {
    pub(crate) strs: [Member<'s>; 3],
    pub(crate) jwk: Option<Members<'s, 9>>,
    pub(crate) crit: bool,
    pub(crate) duplicate: bool,
}

pub(crate) struct HeaderSeed;

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = RawHeader {
            strs: [Member::Absent; 3],
            jwk: None,
            crit: false,
            duplicate: false,
        };
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match member_index(&key, &HEADER_NAMES) {
                Some(i @ 0..=2) => {
                    if let Some(slot) = h.strs.get_mut(i) {
                        if !read_member(&mut map, slot)? {
                            h.duplicate = true;
                        }
                    }
                }
                Some(3) => {
                    let m = map.next_value_seed(MembersSeed { names: &jwk::NAMES })?;
                    if h.jwk.is_some() {
                        h.duplicate = true;
                    }
                    h.jwk = Some(m);
                }
                Some(_) => {
                    map.next_value::<json::Value<'de>>()?;
                    h.duplicate |= h.crit;
                    h.crit = true;
                }
                None => {
                    map.next_value::<json::Value<'de>>()?;
                }
            }
        }
        Ok(h)
    }
}

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = RawHeader<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// A JSON integer NumericDate. Fractional dates are refused (`serde-json-core` reads an
/// integer here; AAuth peers only send integers).
struct NumericDate(i64);

impl<'de> de::Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(NumericDate)
    }
}

/// An audience: a string or an array of at most four strings.
struct AudVisitor;

impl<'de> Visitor<'de> for AudVisitor {
    type Value = RawAud<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let s = JsonStr::from_raw(v).ok_or_else(|| E::custom("invalid string"))?;
        Ok([Some(s), None, None, None])
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut a: RawAud<'de> = [None; 4];
        let mut n = 0;
        while let Some(s) = seq.next_element::<JsonStr<'de>>()? {
            *a.get_mut(n)
                .ok_or_else(|| de::Error::custom("too many audiences"))? = Some(s);
            n += 1;
        }
        Ok(a)
    }
}

struct Aud<'s>(RawAud<'s>);

impl<'de: 's, 's> de::Deserialize<'de> for Aud<'s> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_ignored_any(AudVisitor).map(Aud)
    }
}

/// `cnf`: an object whose `jwk` member is captured.
struct CnfSeed;

impl<'de> Visitor<'de> for CnfSeed {
    type Value = (Option<Members<'de, 9>>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cnf object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut jwk = None;
        let mut duplicate = false;
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            if key.eq_str("jwk") {
                let m = map.next_value_seed(MembersSeed { names: &jwk::NAMES })?;
                duplicate |= jwk.is_some();
                jwk = Some(m);
            } else {
                map.next_value::<json::Value<'de>>()?;
            }
        }
        Ok((jwk, duplicate))
    }
}

impl<'de> DeserializeSeed<'de> for CnfSeed {
    type Value = (Option<Members<'de, 9>>, bool);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

const CLAIM_STRS: [&str; 7] = ["iss", "sub", "dwk", "jti", "ps", "parent_agent", "scope"];
const CLAIM_NAMES: [&str; 12] = [
    "iss",
    "sub",
    "dwk",
    "jti",
    "ps",
    "parent_agent",
    "scope",
    "aud",
    "iat",
    "exp",
    "nbf",
    "cnf",
];

pub(crate) struct RawClaims<'s> {
    pub(crate) strs: [Member<'s>; 7],
    pub(crate) aud: Option<RawAud<'s>>,
    pub(crate) times: [Option<i64>; 3],
    pub(crate) cnf: Option<Option<Members<'s, 9>>>,
    pub(crate) act: bool,
    pub(crate) duplicate: bool,
}

pub(crate) struct ClaimsSeed;

impl<'de> Visitor<'de> for ClaimsSeed {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut c = RawClaims {
            strs: [Member::Absent; 7],
            aud: None,
            times: [None; 3],
            cnf: None,
            act: false,
            duplicate: false,
        };
        debug_assert_eq!(CLAIM_STRS.len(), 7);
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match member_index(&key, &CLAIM_NAMES) {
                Some(i @ 0..=6) => {
                    if let Some(slot) = c.strs.get_mut(i) {
                        if !read_member(&mut map, slot)? {
                            c.duplicate = true;
                        }
                    }
                }
                Some(7) => {
                    let a = map.next_value::<Aud<'de>>()?;
                    c.duplicate |= c.aud.is_some();
                    c.aud = Some(a.0);
                }
                Some(i @ 8..=10) => {
                    let t = map.next_value::<NumericDate>()?;
                    if let Some(slot) = c.times.get_mut(i - 8) {
                        c.duplicate |= slot.is_some();
                        *slot = Some(t.0);
                    }
                }
                Some(_) => {
                    let (jwk, dup) = map.next_value_seed(CnfSeed)?;
                    c.duplicate |= dup || c.cnf.is_some();
                    c.cnf = Some(jwk);
                }
                None => {
                    if key.eq_str("act") {
                        c.duplicate |= c.act;
                        c.act = true;
                    }
                    map.next_value::<json::Value<'de>>()?;
                }
            }
        }
        Ok(c)
    }
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed {
    type Value = RawClaims<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}
