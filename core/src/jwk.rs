//! JWKs: Ed25519 keys from JSON or `hwk` parameters, and JWKS selection by `kid`.
//!
//! Only Ed25519 keys are usable. Algorithm rules, in this order, by [`key_from_members`]:
//!
//! 1. a private member `d` → `invalid_key`;
//! 2. `kty` missing, or `oct` → `invalid_key`;
//! 3. `alg` `none`, `HS256`, `HS384`, `HS512` → `invalid_key`;
//! 4. `alg` missing → `invalid_key` when [`KeyRules::require_alg`], else accepted
//!    ([`KeyAlg::None`]); `alg` `EdDSA` → `invalid_key` unless [`KeyRules::allow_eddsa`];
//! 5. by `kty`/`crv`: `alg` inconsistent with them, missing `crv`, unknown `kty`/`crv` →
//!    `invalid_key`; a well-formed key of another algorithm (EC `P-256`/`P-384`/`P-521`/
//!    `secp256k1`, RSA, OKP `Ed448`, `X25519`, `X448`, AKP `ML-DSA-*`) → `unsupported_algorithm`;
//! 6. OKP `Ed25519`: `x` must be 43 characters of strict unpadded base64url (canonical trailing
//!    bits) decoding to 32 bytes; keys a host keeps (trust stores, JWKS members) must also be a
//!    valid, non-small-order point; else `invalid_key`.
//!
//! Members not listed in [`JwkMembers`] are ignored (including `use` and `key_ops`, which no
//! signature-key scheme defines). `kid` is allowed here; the `hwk` caller rejects it.
//!
//! The JSON entry points ([`parse_jwk`], [`select_jwk`], [`each_jwk`]) need the `documents`
//! feature; the rules themselves ([`key_from_members`], which `hwk` uses) are always built.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §3.3, §3.4, §7.4; RFC 7517 §4, §5; RFC 8037 §2.

#[cfg(feature = "documents")]
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{err, Check, Error, ErrorCode};
#[cfg(feature = "documents")]
use crate::json::{self, JsonStr, Member, Members, MembersSeed};
use crate::key::{KeyAlg, PublicKey};
use crate::policy::KeyRules;

/// Largest single JWK document accepted by [`parse_jwk`], in bytes (checked before parsing).
///
/// Spec: RFC 7517 §4 (no limit given; ours).
#[cfg(feature = "documents")]
pub const MAX_JWK_LEN: usize = 4096;

/// Largest JWKS document accepted by [`select_jwk`], in bytes (checked before parsing).
///
/// Spec: RFC 7517 §5 (no limit given; ours).
#[cfg(feature = "documents")]
pub const MAX_JWKS_LEN: usize = 16 * 1024;

/// The members of a JWK as text, decoded (no JSON or SF escapes left), from JSON or from `hwk`
/// `Signature-Key` parameters; `None` = absent.
///
/// `kty`, `crv`, `alg` are compared exactly (case-sensitive); `x` is decoded for OKP keys; `y`,
/// `n`, `e` are only checked for presence (EC and RSA keys are never used); `d` must be absent;
/// `kid` is not examined by [`key_from_members`].
///
/// Spec: RFC 7517 §4; RFC 7518 §6; RFC 8037 §2; draft-hardt-httpbis-signature-key-09 §3.4.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JwkMembers<'a> {
    /// `kty` (RFC 7517 §4.1).
    pub kty: Option<&'a [u8]>,
    /// `crv` (RFC 7518 §6.2.1.1, RFC 8037 §2).
    pub crv: Option<&'a [u8]>,
    /// `x` (RFC 8037 §2; RFC 7518 §6.2.1.2).
    pub x: Option<&'a [u8]>,
    /// `y` (RFC 7518 §6.2.1.3).
    pub y: Option<&'a [u8]>,
    /// `n` (RFC 7518 §6.3.1.1).
    pub n: Option<&'a [u8]>,
    /// `e` (RFC 7518 §6.3.1.2).
    pub e: Option<&'a [u8]>,
    /// `d`: a private key member, always refused (RFC 8037 §2; RFC 7518 §6.2.2.1).
    pub d: Option<&'a [u8]>,
    /// `alg` (RFC 7517 §4.4).
    pub alg: Option<&'a [u8]>,
    /// `kid` (RFC 7517 §4.5).
    pub kid: Option<&'a [u8]>,
}

fn invalid(check: Check) -> Error {
    err(ErrorCode::InvalidKey, check)
}

fn unsupported(check: Check) -> Error {
    err(ErrorCode::UnsupportedAlgorithm, check)
}

/// Checks `alg` against the only values consistent with a `kty`/`crv` (`None` = absent, which
/// rule 4 already vetted). `Ok(())` when consistent.
fn alg_in(alg: Option<&[u8]>, allowed: &[&[u8]]) -> Result<(), Error> {
    match alg {
        None => Ok(()),
        Some(a) if allowed.contains(&a) => Ok(()),
        Some(_) => Err(invalid(Check::JwkAlgInconsistent)),
    }
}

/// Decodes an Ed25519 `x`: exactly 43 characters of strict unpadded base64url.
fn decode_x(x: &[u8]) -> Result<[u8; 32], Error> {
    let mut out = [0u8; 32];
    if x.len() != 43 {
        return Err(invalid(Check::JwkX));
    }
    // Public key material: the table-driven decoder (same accept set as base64ct's).
    match aauth_verify_sf::b64::decode_base64url(x, &mut out) {
        Ok(d) if d.len() == 32 => Ok(out),
        _ => Err(invalid(Check::JwkX)),
    }
}

/// Builds an Ed25519 [`PublicKey`] from JWK members, applying, in order, the
/// algorithm rules: `d` refused, `kty` required, `oct`/`none`/`HS*` refused, `alg` required
/// (strict), `kty`/`crv` consistent with `alg`, Ed25519 only (`invalid_key` /
/// `unsupported_algorithm`).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.3, §3.4, §7.4; RFC 8037 §2; RFC 9864 §2.
pub fn key_from_members(m: &JwkMembers<'_>, rules: KeyRules) -> Result<PublicKey, Error> {
    key_checked(m, rules, true)
}

/// As [`key_from_members`], but the Ed25519 point is only length-checked here: it is decoded
/// (and a bad or small-order point refused as `invalid_key`) by the verification that uses the
/// key, which decodes it anyway. Used for keys that serve exactly one verification (`hwk`,
/// `cnf.jwk`, the `jkt-jwt` header key), to avoid decoding the point twice.
pub(crate) fn key_from_members_deferred(
    m: &JwkMembers<'_>,
    rules: KeyRules,
) -> Result<PublicKey, Error> {
    key_checked(m, rules, false)
}

fn key_checked(m: &JwkMembers<'_>, rules: KeyRules, validate: bool) -> Result<PublicKey, Error> {
    if m.d.is_some() {
        return Err(invalid(Check::JwkPrivate));
    }
    let kty = m.kty.ok_or(invalid(Check::JwkKtyMissing))?;
    if kty == b"oct" {
        return Err(invalid(Check::JwkSymmetric));
    }
    match m.alg {
        Some(b"none") => return Err(invalid(Check::JwkAlgNone)),
        Some(b"HS256" | b"HS384" | b"HS512") => return Err(invalid(Check::JwkHmac)),
        Some(b"EdDSA") if !rules.allow_eddsa => return Err(invalid(Check::JwkEdDsa)),
        _ => {}
    }
    match kty {
        b"OKP" => {
            let crv = m.crv.ok_or(invalid(Check::JwkCrvMissing))?;
            match crv {
                b"Ed25519" => {
                    let alg = match m.alg {
                        // Checked here, not up front: an unsupported key type without `alg`
                        // is reported as unsupported, which tells the signer more.
                        None if rules.require_alg => return Err(invalid(Check::JwkAlgMissing)),
                        None => KeyAlg::None,
                        Some(b"Ed25519") => KeyAlg::Ed25519,
                        Some(b"EdDSA") => KeyAlg::EdDsa,
                        Some(_) => return Err(invalid(Check::JwkAlgInconsistent)),
                    };
                    let x = decode_x(m.x.ok_or(invalid(Check::JwkXMissing))?)?;
                    if validate {
                        PublicKey::validated(x, alg)
                    } else {
                        Ok(PublicKey::deferred(x, alg))
                    }
                }
                b"Ed448" => {
                    alg_in(m.alg, &[b"Ed448", b"EdDSA"])?;
                    Err(unsupported(Check::Ed448))
                }
                b"X25519" | b"X448" => match m.alg {
                    None => Err(unsupported(Check::KeyAgreement)),
                    Some(a) if a.starts_with(b"ECDH-ES") => Err(unsupported(Check::KeyAgreement)),
                    Some(_) => Err(invalid(Check::JwkAlgInconsistent)),
                },
                _ => Err(invalid(Check::JwkCrvUnknown)),
            }
        }
        b"EC" => {
            let crv = m.crv.ok_or(invalid(Check::JwkCrvMissing))?;
            let expected: &[u8] = match crv {
                b"P-256" => b"ES256",
                b"P-384" => b"ES384",
                b"P-521" => b"ES512",
                b"secp256k1" => b"ES256K",
                _ => return Err(invalid(Check::JwkCrvUnknown)),
            };
            alg_in(m.alg, &[expected])?;
            if m.x.is_none() || m.y.is_none() {
                return Err(invalid(Check::EcIncomplete));
            }
            Err(unsupported(Check::Ecdsa))
        }
        b"RSA" => {
            alg_in(
                m.alg,
                &[b"RS256", b"RS384", b"RS512", b"PS256", b"PS384", b"PS512"],
            )?;
            if m.n.is_none() || m.e.is_none() {
                return Err(invalid(Check::RsaIncomplete));
            }
            Err(unsupported(Check::Rsa))
        }
        b"AKP" => {
            alg_in(m.alg, &[b"ML-DSA-44", b"ML-DSA-65", b"ML-DSA-87"])?;
            Err(unsupported(Check::MlDsa))
        }
        _ => Err(invalid(Check::JwkKtyUnknown)),
    }
}

/// JWK member names we read, in [`Members`] order.
#[cfg(feature = "documents")]
pub(crate) const NAMES: [&str; 9] = ["kty", "crv", "x", "y", "n", "e", "d", "alg", "kid"];

/// Buffer for decoding one escaped member; a longer value is passed on raw (escaped), which can
/// never equal a known `kty`/`crv`/`alg` nor be a 43-character `x`.
#[cfg(feature = "documents")]
const MEMBER_BUF: usize = 64;

#[cfg(feature = "documents")]
fn member_bytes<'a>(m: Member<'a>, buf: &'a mut [u8; MEMBER_BUF]) -> Option<&'a [u8]> {
    let s = m.as_str()?;
    if !s.has_escapes() {
        return Some(s.raw().as_bytes());
    }
    if s.decoded_len() > MEMBER_BUF {
        return Some(s.raw().as_bytes());
    }
    s.decode_into(buf)
        .map(str::as_bytes)
        .or(Some(s.raw().as_bytes()))
}

/// Evaluates the members captured from one JSON JWK object.
#[cfg(feature = "documents")]
pub(crate) fn key_from_json_members(
    m: &Members<'_, 9>,
    rules: KeyRules,
    validate: bool,
) -> Result<PublicKey, Error> {
    if m.duplicate {
        return Err(invalid(Check::JwkDuplicate));
    }
    if m.values.contains(&Member::NotStr) {
        return Err(invalid(Check::JwkNotString));
    }
    let [kty, crv, x, y, n, e, d, alg, kid] = m.values;
    let (mut b_kty, mut b_crv, mut b_x, mut b_alg) = (
        [0u8; MEMBER_BUF],
        [0; MEMBER_BUF],
        [0; MEMBER_BUF],
        [0; MEMBER_BUF],
    );
    let presence = |v: Member<'_>| -> Option<&'static [u8]> { v.is_present().then_some(&b""[..]) };
    let members = JwkMembers {
        kty: member_bytes(kty, &mut b_kty),
        crv: member_bytes(crv, &mut b_crv),
        x: member_bytes(x, &mut b_x),
        y: presence(y),
        n: presence(n),
        e: presence(e),
        d: presence(d),
        alg: member_bytes(alg, &mut b_alg),
        kid: presence(kid),
    };
    key_checked(&members, rules, validate)
}

#[cfg(feature = "documents")]
fn json_error(e: json::JsonError) -> Error {
    match e {
        json::JsonError::TooLarge => invalid(Check::JsonTooLarge),
        json::JsonError::TooDeep => invalid(Check::JsonTooDeep),
        json::JsonError::Syntax => invalid(Check::JsonMalformed),
    }
}

/// Parses one JWK (a JSON object, at most [`MAX_JWK_LEN`] bytes) into an Ed25519 key.
///
/// Member names and compared values are matched after JSON unescaping. A listed member
/// (`kty crv x y n e d alg kid`) that is duplicated or not a string → `invalid_key`; other
/// members are ignored.
///
/// Spec: RFC 7517 §4; RFC 8037 §2; draft-hardt-httpbis-signature-key-09 §3.3.
#[cfg(feature = "documents")]
pub fn parse_jwk(json: &[u8], rules: KeyRules) -> Result<PublicKey, Error> {
    let m = json::from_slice_seed(json, MAX_JWK_LEN, MembersSeed { names: &NAMES })
        .map_err(json_error)?;
    key_from_json_members(&m, rules, true)
}

/// Selects the key named `kid` from a JWKS (`{"keys":[…]}`, at most [`MAX_JWKS_LEN`] bytes).
///
/// * The document must be a JSON object with exactly one `keys` member holding an array;
///   anything else (or malformed JSON) → `invalid_key`.
/// * Array elements whose `kid` (decoded) differs from `kid`, elements without `kid`, elements
///   that are not objects, and elements of other key types are skipped and never make
///   selection fail.
/// * Among elements with a matching `kid`, the one usable Ed25519 key is selected. Two
///   *different* usable keys under the requested `kid` → `invalid_key` (the signer's intent is
///   undefined; the same key twice is fine). If some match but none is usable, the error of
///   the first matching element is returned (`invalid_key` or `unsupported_algorithm`).
/// * No element matches → `unknown_key`.
///
/// Work is linear in the input: one pass, and at most one point decoding per element whose
/// `kid` matches, until a usable key is found.
///
/// Spec: RFC 7517 §5, §4.5; draft-hardt-httpbis-signature-key-09 §3.6, §7.4.
#[cfg(feature = "documents")]
pub fn select_jwk(jwks_json: &[u8], kid: &[u8], rules: KeyRules) -> Result<PublicKey, Error> {
    let sink = Select {
        kid,
        rules,
        found: None,
        conflict: false,
    };
    let found =
        json::from_slice_seed(jwks_json, MAX_JWKS_LEN, JwksSeed(sink)).map_err(json_error)?;
    // A key rotated in since the JWKS was fetched is cured by a refetch (SK-09 §7.2).
    found.unwrap_or(Err(
        err(ErrorCode::UnknownKey, Check::KidNotInJwks).refetchable()
    ))
}

/// The most distinct `kid`s [`each_jwk`] reports from one JWKS, and the longest `kid` (bytes,
/// decoded) it reports.
///
/// Spec: RFC 7517 §5 (no limit given; ours: a JWKS is a handful of keys).
#[cfg(feature = "documents")]
pub const MAX_JWKS_KIDS: usize = 32;
#[cfg(feature = "documents")]
const MAX_KID_LEN: usize = 128;

/// Every `kid` of a JWKS with what [`select_jwk`] would answer for it, once per distinct `kid`
/// (in document order): for hosts that decode a fetched JWKS once and keep its keys (so that
/// no request parses the document again). The same rules as [`select_jwk`] apply, so a `kid`
/// with two different usable keys is reported as `invalid_key`. Elements without a `kid`
/// cannot be selected and are not reported; neither are `kid`s longer than 128 bytes, with a
/// control character, or beyond the first [`MAX_JWKS_KIDS`]. Returns how many were reported.
///
/// Work: one pass to find the `kid`s, then one [`select_jwk`] pass per `kid` (at most
/// `MAX_JWKS_KIDS` passes over at most [`MAX_JWKS_LEN`] bytes).
///
/// Spec: RFC 7517 §5, §4.5; draft-hardt-httpbis-signature-key-09 §3.6, §7.2 (keys cached
/// until refetched).
#[cfg(feature = "documents")]
pub fn each_jwk(
    jwks_json: &[u8],
    rules: KeyRules,
    mut f: impl FnMut(&[u8], Result<PublicKey, Error>),
) -> Result<usize, Error> {
    let kids = json::from_slice_seed(jwks_json, MAX_JWKS_LEN, JwksSeed(Kids::default()))
        .map_err(json_error)?;
    for kid in &kids {
        f(kid, select_jwk(jwks_json, kid, rules));
    }
    Ok(kids.len())
}

/// Rebuilds a key a host stored after [`each_jwk`] or [`select_jwk`] decoded it (its encoded
/// point [`PublicKey::x`] and declared [`PublicKey::alg`]), for instance in memory shared by
/// several processes: the point is validated again, exactly as when it was decoded from JWK
/// text (`invalid_key` for a non-canonical or small-order encoding), and the `alg` is kept, so
/// that a token whose JOSE `alg` disagrees with it is still refused. The key rules it was
/// decoded under are the host's to keep with it.
///
/// Spec: RFC 8032 §5.1.3 (decoding); RFC 8037 §2; draft-hardt-httpbis-signature-key-09 §3.3,
/// §7.2 (keys cached until refetched).
pub fn stored_key(x: [u8; 32], alg: KeyAlg) -> Result<PublicKey, Error> {
    PublicKey::validated(x, alg)
}

/// What is done with each object of a JWKS's `keys` array.
#[cfg(feature = "documents")]
trait Elements<'de> {
    type Out;
    fn element(&mut self, m: Members<'de, 9>);
    fn finish(self) -> Self::Out;
}

/// [`select_jwk`]'s pass: the one usable key under `kid`.
#[cfg(feature = "documents")]
struct Select<'k> {
    kid: &'k [u8],
    rules: KeyRules,
    found: Found,
    conflict: bool,
}

#[cfg(feature = "documents")]
impl<'de> Elements<'de> for Select<'_> {
    type Out = Found;

    fn element(&mut self, m: Members<'de, 9>) {
        if self.conflict || !m.values[8].as_str().is_some_and(|k| k.eq_bytes(self.kid)) {
            return;
        }
        let r = key_from_json_members(&m, self.rules, true);
        self.found = match (self.found.take(), r) {
            (None, r) => Some(r),
            (Some(Err(_)), Ok(k)) => Some(Ok(k)),
            // Two different usable keys under one kid: which one the signer meant is
            // undefined, so neither is used.
            (Some(Ok(a)), Ok(b)) if a != b => {
                self.conflict = true;
                Some(Err(invalid(Check::JwksKidDuplicate)))
            }
            (f, _) => f,
        };
    }

    fn finish(self) -> Found {
        self.found
    }
}

/// [`each_jwk`]'s first pass: the distinct `kid`s, decoded.
#[cfg(feature = "documents")]
#[derive(Default)]
struct Kids(heapless::Vec<heapless::Vec<u8, MAX_KID_LEN>, MAX_JWKS_KIDS>);

#[cfg(feature = "documents")]
impl<'de> Elements<'de> for Kids {
    type Out = heapless::Vec<heapless::Vec<u8, MAX_KID_LEN>, MAX_JWKS_KIDS>;

    fn element(&mut self, m: Members<'de, 9>) {
        let Some(kid) = m.values[8].as_str() else {
            return;
        };
        let mut buf = [0u8; MAX_KID_LEN];
        let Some(k) = kid.decode_into(&mut buf) else {
            return;
        };
        if kid.has_control() || self.0.iter().any(|seen| seen.as_slice() == k.as_bytes()) {
            return;
        }
        if let Ok(v) = heapless::Vec::from_slice(k.as_bytes()) {
            let _ = self.0.push(v);
        }
    }

    fn finish(self) -> Self::Out {
        self.0
    }
}

#[cfg(feature = "documents")]
type Found = Option<Result<PublicKey, Error>>;

#[cfg(feature = "documents")]
struct JwksSeed<E>(E);

#[cfg(feature = "documents")]
impl<'de, E: Elements<'de>> Visitor<'de> for JwksSeed<E> {
    type Value = E::Out;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JWKS object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<E::Out, A::Error> {
        let mut sink = Some(self.0);
        let mut out = None;
        while let Some(name) = map.next_key::<JsonStr<'de>>()? {
            if name.eq_str("keys") {
                let Some(s) = sink.take() else {
                    return Err(de::Error::custom("duplicate keys member"));
                };
                out = Some(map.next_value_seed(KeysSeed(s))?);
            } else {
                map.next_value::<json::Value<'de>>()?;
            }
        }
        out.ok_or_else(|| de::Error::custom("JWKS has no keys member"))
    }
}

#[cfg(feature = "documents")]
impl<'de, E: Elements<'de>> DeserializeSeed<'de> for JwksSeed<E> {
    type Value = E::Out;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<E::Out, D::Error> {
        d.deserialize_map(self)
    }
}

#[cfg(feature = "documents")]
struct KeysSeed<E>(E);

#[cfg(feature = "documents")]
impl<'de, E: Elements<'de>> Visitor<'de> for KeysSeed<E> {
    type Value = E::Out;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("an array of JWKs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<E::Out, A::Error> {
        let mut sink = self.0;
        while let Some(members) = seq.next_element_seed(ElementSeed)? {
            if let Some(m) = members {
                sink.element(m);
            }
        }
        Ok(sink.finish())
    }
}

#[cfg(feature = "documents")]
impl<'de, E: Elements<'de>> DeserializeSeed<'de> for KeysSeed<E> {
    type Value = E::Out;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<E::Out, D::Error> {
        d.deserialize_seq(self)
    }
}

/// One `keys` element: the JWK members if it is an object, `None` (skipped) otherwise.
#[cfg(feature = "documents")]
struct ElementSeed;

#[cfg(feature = "documents")]
impl<'de> Visitor<'de> for ElementSeed {
    type Value = Option<Members<'de, 9>>;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JWK")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        MembersSeed { names: &NAMES }.visit_map(map).map(Some)
    }

    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<json::Value<'de>>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(feature = "documents")]
impl<'de> DeserializeSeed<'de> for ElementSeed {
    type Value = Option<Members<'de, 9>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_ignored_any(self)
    }
}
