//! Public keys: Ed25519 JWKs (from JSON or `hwk` parameters), JWKS selection by `kid`, and
//! RFC 7638 thumbprints.
//!
//! Only Ed25519 keys are usable. Every key is checked as a curve point when it is built
//! ([`PublicKey::from_raw`]): the all-zero key, the identity, every small-order point and every
//! non-canonical encoding are [`ErrorCode::InvalidKey`]. (ed25519-compact's
//! `PublicKey::from_slice` checks only the length; we call `PublicKey::validate`.)
//!
//! Algorithm rules (draft-hardt-httpbis-signature-key-08+ §3.3, §7.4; PROTOCOL.md §7.4), in this
//! order, by [`key_from_members`]:
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
//!    bits) decoding to 32 bytes that are a valid, non-small-order point; else `invalid_key`.
//!
//! Members not listed in [`JwkMembers`] are ignored. `kid` is allowed here; the `hwk` caller
//! rejects it (draft-hardt-httpbis-signature-key-08 §3.4).

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256, Sha512};

use crate::error::{err, Error, ErrorCode};
use crate::json::{self, JsonStr, Member, Members, MembersSeed};

/// Largest single JWK document accepted by [`parse_jwk`], in bytes (checked before parsing).
///
/// Spec: RFC 7517 §4 (no limit given; ours).
pub const MAX_JWK_LEN: usize = 4096;

/// Largest JWKS document accepted by [`select_jwk`], in bytes (checked before parsing).
///
/// Spec: RFC 7517 §5 (no limit given; ours).
pub const MAX_JWKS_LEN: usize = 16 * 1024;

/// The algorithm a usable key is bound to.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.3; RFC 9864 §2 (`Ed25519`); RFC 8037 §3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// JOSE `Ed25519` (RFC 9864): the only value accepted in strict mode.
    Ed25519,
    /// Legacy JOSE `EdDSA` (RFC 8037); only with [`KeyRules::allow_eddsa`].
    EdDsa,
    /// No `alg` member (pre -08 keys, raw trust-store keys); only without
    /// [`KeyRules::require_alg`], or from [`PublicKey::from_raw`].
    None,
}

impl KeyAlg {
    /// The JOSE `alg` value, or `None` for [`KeyAlg::None`].
    ///
    /// Spec: RFC 9864 §2; RFC 8037 §3.1.
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            KeyAlg::Ed25519 => Some("Ed25519"),
            KeyAlg::EdDsa => Some("EdDSA"),
            KeyAlg::None => None,
        }
    }
}

/// Which `alg` values a JWK may carry.
///
/// Spec: draft-hardt-httpbis-signature-key-08 §3.3 (every JWK carries a fully-specified `alg`;
/// no `EdDSA`); earlier drafts derived the algorithm from `kty`+`crv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyRules {
    /// Reject a JWK without `alg` (strict -08: `true`).
    pub require_alg: bool,
    /// Accept `alg` `EdDSA` for Ed25519 keys (compatibility: `true`).
    pub allow_eddsa: bool,
}

impl KeyRules {
    /// draft-hardt-httpbis-signature-key-08+: `alg` required, `EdDSA` refused.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-08 §3.3.
    pub const STRICT: KeyRules = KeyRules {
        require_alg: true,
        allow_eddsa: false,
    };
    /// Compatibility with pre -08 peers: `alg` optional, `EdDSA` accepted.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-07 §3.4 (algorithm from `kty`/`crv`).
    pub const COMPAT: KeyRules = KeyRules {
        require_alg: false,
        allow_eddsa: true,
    };
}

impl Default for KeyRules {
    fn default() -> Self {
        KeyRules::STRICT
    }
}

/// An Ed25519 public key with the `alg` it was declared with.
///
/// Keys from [`PublicKey::from_raw`], [`parse_jwk`] and [`select_jwk`] are validated as curve
/// points. Keys that serve one verification (`hwk`, `cnf.jwk`, the `jkt-jwt` header key) are
/// only length-checked when parsed: the verification decodes the point anyway and refuses a bad
/// or small-order one as `invalid_key`, so the point is never decoded twice.
///
/// Spec: RFC 8032 §5.1.5 (encoding); RFC 8037 §2 (OKP JWK); RFC 9864 §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// The 32-byte encoded point `A`.
    pub x: [u8; 32],
    /// The declared JOSE algorithm.
    pub alg: KeyAlg,
}

/// An unpadded base64url thumbprint of `N` characters (43 for SHA-256, 86 for SHA-512).
///
/// Spec: RFC 7638 §3; RFC 4648 §5.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct B64Thumbprint<const N: usize> {
    buf: [u8; N],
}

/// A SHA-256 JWK thumbprint in unpadded base64url (43 characters).
///
/// Spec: RFC 7638 §3.
pub type Thumbprint = B64Thumbprint<43>;

/// A SHA-512 JWK thumbprint in unpadded base64url (86 characters), for `jkt-s512`.
///
/// Spec: RFC 7638 §3; draft-hardt-httpbis-signature-key-09 §3.5.
pub type Thumbprint512 = B64Thumbprint<86>;

impl<const N: usize> B64Thumbprint<N> {
    fn encode(digest: &[u8]) -> Self {
        let mut buf = [0u8; N];
        // N is exactly the unpadded length of the digest, so encoding cannot fail.
        let _ = Base64UrlUnpadded::encode(digest, &mut buf);
        B64Thumbprint { buf }
    }

    /// The thumbprint text.
    ///
    /// Spec: RFC 7638 §3.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf).unwrap_or("")
    }

    /// The thumbprint text as bytes.
    ///
    /// Spec: RFC 7638 §3.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

impl<const N: usize> core::fmt::Debug for B64Thumbprint<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Thumbprint({})", self.as_str())
    }
}

impl<const N: usize> core::fmt::Display for B64Thumbprint<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PublicKey {
    /// A key from 32 raw bytes (a caller's trust store), with [`KeyAlg::None`]. Fails with
    /// `invalid_key` unless the bytes canonically encode a point that is not of small order
    /// (this excludes the all-zero key and the identity).
    ///
    /// Spec: RFC 8032 §5.1.3 (decoding); draft-hardt-httpbis-signature-key-09 §7.4.
    pub fn from_raw(x: [u8; 32]) -> Result<PublicKey, Error> {
        match ed25519_compact::PublicKey::new(x).validate() {
            Ok(()) => Ok(PublicKey {
                x,
                alg: KeyAlg::None,
            }),
            Err(ed25519_compact::Error::WeakPublicKey) => Err(err(
                ErrorCode::InvalidKey,
                "Ed25519 key is a small-order point",
            )),
            Err(_) => Err(err(
                ErrorCode::InvalidKey,
                "Ed25519 key is not a valid point encoding",
            )),
        }
    }

    /// `x` in unpadded base64url (43 characters).
    ///
    /// Spec: RFC 8037 §2.
    pub fn x_b64(&self) -> [u8; 43] {
        let mut buf = [0u8; 43];
        // 32 bytes encode to exactly 43 characters, so this cannot fail.
        let _ = Base64UrlUnpadded::encode(&self.x, &mut buf);
        buf
    }

    fn thumbprint_input<D: Digest>(&self) -> D {
        let mut h = D::new();
        h.update(br#"{"crv":"Ed25519","kty":"OKP","x":""#);
        h.update(self.x_b64());
        h.update(br#""}"#);
        h
    }

    /// The RFC 7638 SHA-256 thumbprint over `{"crv":"Ed25519","kty":"OKP","x":"…"}`.
    ///
    /// Spec: RFC 7638 §3; RFC 8037 §2 (required OKP members).
    pub fn thumbprint_sha256(&self) -> [u8; 32] {
        self.thumbprint_input::<Sha256>().finalize().into()
    }

    /// The RFC 7638 thumbprint with SHA-512 (for `jkt-s512+jwt`).
    ///
    /// Spec: RFC 7638 §3; draft-hardt-httpbis-signature-key-09 §3.5.
    pub fn thumbprint_sha512(&self) -> [u8; 64] {
        self.thumbprint_input::<Sha512>().finalize().into()
    }

    /// The SHA-256 thumbprint in unpadded base64url (as in `urn:jkt:sha-256:<thumbprint>`).
    ///
    /// Spec: RFC 7638 §3; RFC 9278 §3.
    pub fn thumbprint_b64(&self) -> Thumbprint {
        Thumbprint::encode(&self.thumbprint_sha256())
    }

    /// The SHA-512 thumbprint in unpadded base64url.
    ///
    /// Spec: RFC 7638 §3; RFC 9278 §3.
    pub fn thumbprint_sha512_b64(&self) -> Thumbprint512 {
        Thumbprint512::encode(&self.thumbprint_sha512())
    }

    /// The key for `ed25519-compact` verification.
    ///
    /// Spec: RFC 8032 §5.1.7.
    pub fn ed25519(&self) -> ed25519_compact::PublicKey {
        ed25519_compact::PublicKey::new(self.x)
    }
}

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

fn invalid(detail: &'static str) -> Error {
    err(ErrorCode::InvalidKey, detail)
}

fn unsupported(detail: &'static str) -> Error {
    err(ErrorCode::UnsupportedAlgorithm, detail)
}

/// Checks `alg` against the only values consistent with a `kty`/`crv` (`None` = absent, which
/// rule 4 already vetted). `Ok(())` when consistent.
fn alg_in(alg: Option<&[u8]>, allowed: &[&[u8]]) -> Result<(), Error> {
    match alg {
        None => Ok(()),
        Some(a) if allowed.contains(&a) => Ok(()),
        Some(_) => Err(invalid("JWK alg is inconsistent with kty/crv")),
    }
}

/// Decodes an Ed25519 `x`: exactly 43 characters of strict unpadded base64url.
fn decode_x(x: &[u8]) -> Result<[u8; 32], Error> {
    let mut out = [0u8; 32];
    if x.len() != 43 {
        return Err(invalid("JWK x is not 32 bytes of unpadded base64url"));
    }
    // Public key material: the table-driven decoder (same accept set as base64ct's).
    match crate::b64::decode_base64url(x, &mut out) {
        Ok(d) if d.len() == 32 => Ok(out),
        _ => Err(invalid("JWK x is not 32 bytes of unpadded base64url")),
    }
}

/// Builds an Ed25519 [`PublicKey`] from JWK members, applying the rules in the
/// [module documentation](self) (`invalid_key` / `unsupported_algorithm`).
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
        return Err(invalid("JWK contains the private member d"));
    }
    let kty = m.kty.ok_or(invalid("JWK kty missing"))?;
    if kty == b"oct" {
        return Err(invalid("symmetric (oct) keys are forbidden"));
    }
    match m.alg {
        Some(b"none") => return Err(invalid("JWK alg none is forbidden")),
        Some(b"HS256" | b"HS384" | b"HS512") => {
            return Err(invalid("HMAC algorithms are forbidden"))
        }
        Some(b"EdDSA") if !rules.allow_eddsa => {
            return Err(invalid("JWK alg EdDSA is not allowed (use Ed25519)"))
        }
        _ => {}
    }
    match kty {
        b"OKP" => {
            let crv = m.crv.ok_or(invalid("JWK crv missing"))?;
            match crv {
                b"Ed25519" => {
                    let alg = match m.alg {
                        // Checked here, not up front: an unsupported key type without `alg`
                        // is reported as unsupported, which tells the signer more.
                        None if rules.require_alg => return Err(invalid("JWK alg missing")),
                        None => KeyAlg::None,
                        Some(b"Ed25519") => KeyAlg::Ed25519,
                        Some(b"EdDSA") => KeyAlg::EdDsa,
                        Some(_) => return Err(invalid("JWK alg is inconsistent with kty/crv")),
                    };
                    let x = decode_x(m.x.ok_or(invalid("JWK x missing"))?)?;
                    if validate {
                        PublicKey::from_raw(x)?;
                    }
                    Ok(PublicKey { x, alg })
                }
                b"Ed448" => {
                    alg_in(m.alg, &[b"Ed448", b"EdDSA"])?;
                    Err(unsupported("Ed448 keys are not supported"))
                }
                b"X25519" | b"X448" => match m.alg {
                    None => Err(unsupported("key-agreement (X25519/X448) keys cannot sign")),
                    Some(a) if a.starts_with(b"ECDH-ES") => {
                        Err(unsupported("key-agreement (X25519/X448) keys cannot sign"))
                    }
                    Some(_) => Err(invalid("JWK alg is inconsistent with kty/crv")),
                },
                _ => Err(invalid("JWK crv unknown for OKP")),
            }
        }
        b"EC" => {
            let crv = m.crv.ok_or(invalid("JWK crv missing"))?;
            let expected: &[u8] = match crv {
                b"P-256" => b"ES256",
                b"P-384" => b"ES384",
                b"P-521" => b"ES512",
                b"secp256k1" => b"ES256K",
                _ => return Err(invalid("JWK crv unknown for EC")),
            };
            alg_in(m.alg, &[expected])?;
            if m.x.is_none() || m.y.is_none() {
                return Err(invalid("EC JWK lacks x or y"));
            }
            Err(unsupported("ECDSA keys are not supported"))
        }
        b"RSA" => {
            alg_in(
                m.alg,
                &[b"RS256", b"RS384", b"RS512", b"PS256", b"PS384", b"PS512"],
            )?;
            if m.n.is_none() || m.e.is_none() {
                return Err(invalid("RSA JWK lacks n or e"));
            }
            Err(unsupported("RSA keys are not supported"))
        }
        b"AKP" => {
            alg_in(m.alg, &[b"ML-DSA-44", b"ML-DSA-65", b"ML-DSA-87"])?;
            Err(unsupported("ML-DSA (AKP) keys are not supported"))
        }
        _ => Err(invalid("JWK kty unknown")),
    }
}

/// JWK member names we read, in [`Members`] order.
pub(crate) const NAMES: [&str; 9] = ["kty", "crv", "x", "y", "n", "e", "d", "alg", "kid"];

/// Buffer for decoding one escaped member; a longer value is passed on raw (escaped), which can
/// never equal a known `kty`/`crv`/`alg` nor be a 43-character `x`.
const MEMBER_BUF: usize = 64;

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
pub(crate) fn key_from_json_members(
    m: &Members<'_, 9>,
    rules: KeyRules,
    validate: bool,
) -> Result<PublicKey, Error> {
    if m.duplicate {
        return Err(invalid("JWK has a duplicate member"));
    }
    if m.values.contains(&Member::NotStr) {
        return Err(invalid("JWK member is not a string"));
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

fn json_error(e: json::JsonError) -> Error {
    match e {
        json::JsonError::TooLarge => invalid("JSON document too large"),
        json::JsonError::TooDeep => invalid("JSON document nested too deeply"),
        json::JsonError::Syntax => invalid("malformed JSON document"),
    }
}

/// Parses one JWK (a JSON object, at most [`MAX_JWK_LEN`] bytes) into an Ed25519 key.
///
/// Member names and compared values are matched after JSON unescaping. A listed member
/// (`kty crv x y n e d alg kid`) that is duplicated or not a string → `invalid_key`; other
/// members are ignored.
///
/// Spec: RFC 7517 §4; RFC 8037 §2; draft-hardt-httpbis-signature-key-09 §3.3.
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
/// * Among elements with a matching `kid`, the **first** one that yields a usable Ed25519 key
///   wins. If some match but none is usable, the error of the first matching element is
///   returned (`invalid_key` or `unsupported_algorithm`).
/// * No element matches → `unknown_key`.
///
/// Work is linear in the input: one pass, and at most one point decoding per element whose
/// `kid` matches, until a usable key is found.
///
/// Spec: RFC 7517 §5, §4.5; draft-hardt-httpbis-signature-key-09 §3.6, §7.4.
pub fn select_jwk(jwks_json: &[u8], kid: &[u8], rules: KeyRules) -> Result<PublicKey, Error> {
    let found = json::from_slice_seed(jwks_json, MAX_JWKS_LEN, JwksSeed { kid, rules })
        .map_err(json_error)?;
    found.unwrap_or(Err(err(
        ErrorCode::UnknownKey,
        "no JWKS key has the requested kid",
    )))
}

type Found = Option<Result<PublicKey, Error>>;

#[derive(Clone, Copy)]
struct JwksSeed<'k> {
    kid: &'k [u8],
    rules: KeyRules,
}

impl<'de> Visitor<'de> for JwksSeed<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JWKS object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut keys: Option<Found> = None;
        while let Some(name) = map.next_key::<JsonStr<'de>>()? {
            if name.eq_str("keys") {
                if keys.is_some() {
                    return Err(de::Error::custom("duplicate keys member"));
                }
                keys = Some(map.next_value_seed(KeysSeed(self))?);
            } else {
                map.next_value::<json::Value<'de>>()?;
            }
        }
        keys.ok_or_else(|| de::Error::custom("JWKS has no keys member"))
    }
}

impl<'de> DeserializeSeed<'de> for JwksSeed<'_> {
    type Value = Found;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_map(self)
    }
}

struct KeysSeed<'k>(JwksSeed<'k>);

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("an array of JWKs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        let mut found: Found = None;
        while let Some(members) = seq.next_element_seed(ElementSeed)? {
            let Some(m) = members else { continue };
            if matches!(found, Some(Ok(_))) {
                continue;
            }
            let matches = m.values[8].as_str().is_some_and(|k| k.eq_bytes(self.0.kid));
            if !matches {
                continue;
            }
            let r = key_from_json_members(&m, self.0.rules, true);
            if r.is_ok() || found.is_none() {
                found = Some(r);
            }
        }
        Ok(found)
    }
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = Found;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_seq(self)
    }
}

/// One `keys` element: the JWK members if it is an object, `None` (skipped) otherwise.
struct ElementSeed;

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

impl<'de> DeserializeSeed<'de> for ElementSeed {
    type Value = Option<Members<'de, 9>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_ignored_any(self)
    }
}
