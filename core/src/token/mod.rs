//! Token-carried keys (`jwt`, `jkt-jwt`, `self-jwt`): the compact JWS decoded into a caller-owned
//! buffer, its claims, its offline rules, and its JWS verification.
//!
//! This module knows nothing about token stores: [`crate::cache`] looks a token up, decodes it
//! (here) or rebuilds it from a record, and records it once verified.
//!
//! Spec: RFC 7515 §3.1, §5.2 (compact JWS); RFC 7519 §4.1 (claims); RFC 8037 §3.1 (Ed25519
//! JWS); draft-hardt-httpbis-signature-key-09 §3.5 (`jkt-jwt`), §3.8 (`jwt`), §3.9 (`self-jwt`);
//! AAuth §Agent Tokens.

#[cfg(feature = "tokens")]
mod claims;
#[cfg(feature = "tokens")]
pub(crate) mod rules;

#[cfg(feature = "tokens")]
use aauth_verify_sf::{b64, swar};

#[cfg(feature = "tokens")]
use crate::error::{
    err, Check, Error,
    ErrorCode::{InvalidJwt, UnsupportedAlgorithm},
};
#[cfg(feature = "tokens")]
use crate::json::{self, JsonStr, Member};
#[cfg(feature = "tokens")]
use crate::jwk;
#[cfg(feature = "tokens")]
use crate::key::KeyAlg;
use crate::key::PublicKey;
#[cfg(feature = "tokens")]
use crate::policy::Policy;
use crate::policy::Scheme;
use crate::text::Text;

#[cfg(feature = "tokens")]
use claims::{ClaimsSeed, HeaderSeed};

/// The longest compact token accepted (characters).
///
/// Spec: RFC 7519 (no limit given; ours).
pub const MAX_JWT_LEN: usize = 8 * 1024;
/// The largest decoded JOSE header accepted (bytes).
///
/// Spec: RFC 7515 §4 (no limit given; ours).
pub const MAX_HEADER_LEN: usize = 2 * 1024;
/// The largest decoded claims set accepted (bytes).
///
/// Spec: RFC 7519 §4 (no limit given; ours).
pub const MAX_PAYLOAD_LEN: usize = 4 * 1024;

/// Caller-owned storage for a decoded token (header and claims); no heap is used.
///
/// About 6 KiB: keep it in a long-lived state object or on a thread's stack.
///
/// Spec: RFC 7515 §5.2 steps 2–5 (the decoded header and payload).
pub struct JwtScratch {
    #[cfg_attr(not(feature = "tokens"), allow(dead_code))]
    buf: [u8; MAX_HEADER_LEN + MAX_PAYLOAD_LEN],
}

impl JwtScratch {
    /// An empty scratch buffer.
    ///
    /// Spec: RFC 7515 §5.2.
    pub const fn new() -> JwtScratch {
        JwtScratch {
            buf: [0; MAX_HEADER_LEN + MAX_PAYLOAD_LEN],
        }
    }
}

impl Default for JwtScratch {
    fn default() -> Self {
        JwtScratch::new()
    }
}

impl core::fmt::Debug for JwtScratch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("JwtScratch")
    }
}

/// The JWS algorithm of a token.
///
/// Spec: RFC 9864 (`Ed25519`); RFC 8037 §3.1 (`EdDSA`, compatibility only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwsAlg {
    /// `Ed25519` (fully specified).
    Ed25519,
    /// `EdDSA` (accepted with `Compat::eddsa`).
    EdDsa,
}

#[cfg(feature = "tokens")]
impl JwsAlg {
    /// Whether a key declared with `alg` may verify a JWS of this algorithm: an alg-less key
    /// (compatibility) may; otherwise the two must name the same algorithm.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.3; RFC 7515 §4.1.1.
    pub(crate) fn agrees_with(self, alg: KeyAlg) -> bool {
        matches!(
            (self, alg),
            (_, KeyAlg::None) | (JwsAlg::Ed25519, KeyAlg::Ed25519) | (JwsAlg::EdDsa, KeyAlg::EdDsa)
        )
    }
}

/// Up to four audience values (`aud` as a string or an array of strings).
///
/// Spec: RFC 7519 §4.1.3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Audience<'s> {
    pub(crate) items: [Option<Text<'s>>; 4],
}

impl<'s> Audience<'s> {
    /// The audience values.
    ///
    /// Spec: RFC 7519 §4.1.3.
    pub fn iter(&self) -> impl Iterator<Item = Text<'s>> + '_ {
        self.items.iter().flatten().copied()
    }

    /// Whether one of the values equals `bytes` (after JSON unescaping).
    ///
    /// Spec: RFC 7519 §4.1.3.
    pub fn contains(&self, bytes: &[u8]) -> bool {
        self.iter().any(|a| a.eq_bytes(bytes))
    }
}

/// The claims of a token, borrowed from the [`JwtScratch`]. Unknown claims are ignored.
///
/// Spec: RFC 7519 §4.1; AAuth §Agent Tokens (`dwk`, `ps`, `parent_agent`); RFC 7800 §3.1
/// (`cnf.jwk`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Claims<'s> {
    /// `iss`: the issuer (agent provider) identifier.
    pub iss: Option<Text<'s>>,
    /// `sub`: the subject (for agent tokens, the agent id `aauth:local@domain`).
    pub sub: Option<Text<'s>>,
    /// `dwk`: the issuer's well-known metadata document name.
    pub dwk: Option<Text<'s>>,
    /// `jti`: the token id.
    pub jti: Option<Text<'s>>,
    /// `ps`: the person server.
    pub ps: Option<Text<'s>>,
    /// `parent_agent`.
    pub parent_agent: Option<Text<'s>>,
    /// `scope`.
    pub scope: Option<Text<'s>>,
    /// `aud`.
    pub aud: Audience<'s>,
    /// `iat` (seconds since the epoch).
    pub iat: Option<i64>,
    /// `exp` (seconds since the epoch).
    pub exp: Option<i64>,
    /// `nbf` (seconds since the epoch).
    pub nbf: Option<i64>,
    /// `cnf.jwk`: the key that signs the request.
    pub cnf_jwk: Option<PublicKey>,
    /// Whether an `act` claim is present (delegation; its content is not interpreted).
    pub act: bool,
}

#[cfg(feature = "tokens")]
/// A decoded token whose offline checks passed (or are about to run); its JWS is verified in
/// phase 2.
///
/// Spec: RFC 7515 §5.2; RFC 7519 §7.2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'s> {
    pub(crate) scheme: Scheme,
    pub(crate) alg: JwsAlg,
    pub(crate) typ: Text<'s>,
    pub(crate) kid: Option<Text<'s>>,
    pub(crate) header_jwk: Option<PublicKey>,
    pub(crate) claims: Claims<'s>,
    /// `header.payload` as sent (what the JWS signs).
    pub(crate) signing_input: &'s [u8],
    /// The base64url signature part.
    pub(crate) sig64: &'s [u8],
    /// The decoded header and payload (in the scratch).
    pub(crate) header: &'s [u8],
    pub(crate) payload: &'s [u8],
    /// The compact token as sent.
    pub(crate) compact: &'s [u8],
}

/// What a verified token contributes to [`Verified`](crate::Verified).
///
/// Spec: RFC 7519 §4.1; RFC 7515 §4.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInfo<'s> {
    /// The scheme that carried the token (`jwt`, `jkt-jwt`, `self-jwt`).
    pub scheme: Scheme,
    /// The token's `typ`.
    pub typ: Text<'s>,
    /// The header `kid` (the issuer key id), if any.
    pub kid: Option<Text<'s>>,
    /// The verified claims.
    pub claims: Claims<'s>,
    /// The key that verified the JWS (issuer key, or the `jkt-jwt` header key).
    pub issuer_key: PublicKey,
    /// The compact token as presented (or as resolved from a `cached` identifier).
    pub compact: &'s [u8],
    /// The decoded JOSE header (JSON), for hosts that read members the core does not.
    pub header: &'s [u8],
    /// The decoded payload (JSON): every claim, for hosts that read claims the core does not.
    pub payload: &'s [u8],
}

#[cfg(feature = "tokens")]
pub(crate) fn bad(check: Check) -> Error {
    err(InvalidJwt, check)
}

#[cfg(feature = "tokens")]
/// The three parts of a compact JWS, base64url-decoded into the scratch: what both a fresh
/// decode and a cache hit start from.
pub(crate) struct Parts<'s> {
    pub(crate) compact: &'s [u8],
    pub(crate) signing_input: &'s [u8],
    pub(crate) sig64: &'s [u8],
    pub(crate) header: &'s [u8],
    pub(crate) payload: &'s [u8],
}

#[cfg(feature = "tokens")]
/// Splits a compact JWS and base64url-decodes its header and payload into `scratch`.
///
/// Spec: RFC 7515 §7.1 (compact serialization), §5.2 steps 1–2.
pub(crate) fn split<'s>(
    compact: &'s [u8],
    scratch: &'s mut JwtScratch,
) -> Result<Parts<'s>, Error> {
    if compact.len() > MAX_JWT_LEN {
        return Err(bad(Check::JwtTooLong));
    }
    let Some((h64, p64, s64)) = split_compact(compact) else {
        return Err(bad(Check::JwtNotThreeParts));
    };
    let signing_input = compact
        .get(..h64.len() + 1 + p64.len())
        .ok_or(bad(Check::JwtNotThreeParts))?;
    let (hbuf, pbuf) = scratch.buf.split_at_mut(MAX_HEADER_LEN);
    let header = b64::decode_base64url(h64, hbuf).map_err(|_| bad(Check::JwtHeaderBase64))?;
    let payload = b64::decode_base64url(p64, pbuf).map_err(|_| bad(Check::JwtPayloadBase64))?;
    Ok(Parts {
        compact,
        signing_input,
        sig64: s64,
        header,
        payload,
    })
}

#[cfg(feature = "tokens")]
/// The parts of a token decoded earlier into `scratch` (its header and payload at the lengths
/// given), over its compact text again: what a thawed [`crate::Frozen`] starts from. Nothing is
/// decoded again.
///
/// Spec: RFC 7515 §7.1.
pub(crate) fn parts_in<'s>(
    compact: &'s [u8],
    scratch: &'s JwtScratch,
    header_len: usize,
    payload_len: usize,
) -> Result<Parts<'s>, Error> {
    let Some((h64, p64, s64)) = split_compact(compact) else {
        return Err(bad(Check::JwtNotThreeParts));
    };
    let signing_input = compact
        .get(..h64.len() + 1 + p64.len())
        .ok_or(bad(Check::JwtNotThreeParts))?;
    let (hbuf, pbuf) = scratch.buf.split_at(MAX_HEADER_LEN);
    Ok(Parts {
        compact,
        signing_input,
        sig64: s64,
        header: hbuf.get(..header_len).ok_or(bad(Check::JwtHeaderBase64))?,
        payload: pbuf
            .get(..payload_len)
            .ok_or(bad(Check::JwtPayloadBase64))?,
    })
}

#[cfg(feature = "tokens")]
fn opt_str(m: Member<'_>) -> Result<Option<Text<'_>>, Error> {
    match m {
        Member::Absent => Ok(None),
        Member::Str(s) => Ok(Some(Text::from(s))),
        Member::NotStr => Err(bad(Check::JwtMemberType)),
    }
}

#[cfg(feature = "tokens")]
/// A key error inside a token is an invalid token, except an unsupported algorithm.
fn token_key_error(e: Error) -> Error {
    if e.code == UnsupportedAlgorithm {
        e
    } else {
        bad(Check::JwtKeyInvalid)
    }
}

#[cfg(feature = "tokens")]
/// Decodes a compact JWS (its signature must be 64 bytes of base64url) and reads its header
/// and claims. The offline rules ([`rules::check`]) are the caller's next step.
///
/// Spec: RFC 7515 §5.2 steps 1–7 (parse, decode, header); RFC 7519 §7.2.
pub(crate) fn decode<'s>(
    scheme: Scheme,
    compact: &'s [u8],
    scratch: &'s mut JwtScratch,
    policy: &Policy<'_>,
) -> Result<Token<'s>, Error> {
    let parts = split(compact, scratch)?;
    // Checked before the header: the order of the offline errors.
    decode_signature(parts.sig64)?;
    parse_json(scheme, parts, policy)
}

#[cfg(feature = "tokens")]
/// Reads the JOSE header and the claims of split token parts.
///
/// Spec: RFC 7515 §4.1; RFC 7519 §4.1.
pub(crate) fn parse_json<'s>(
    scheme: Scheme,
    parts: Parts<'s>,
    policy: &Policy<'_>,
) -> Result<Token<'s>, Error> {
    // Header (RFC 7515 §4.1).
    let h = json::from_slice_seed(parts.header, MAX_HEADER_LEN, HeaderSeed)
        .map_err(|_| bad(Check::JwtHeaderJson))?;
    if h.duplicate {
        return Err(bad(Check::JwtHeaderDuplicate));
    }
    if h.crit {
        return Err(bad(Check::JwtCrit));
    }
    let [alg, typ, kid] = h.strs;
    let alg = match alg {
        Member::Str(a) => a,
        Member::Absent => return Err(bad(Check::JwtAlgMissing)),
        Member::NotStr => return Err(bad(Check::JwtMemberType)),
    };
    let alg = jws_alg(alg, policy)?;
    let typ = opt_str(typ)?.ok_or(bad(Check::JwtTypMissing))?;
    let kid = opt_str(kid)?;
    let header_jwk = match h.jwk {
        None => None,
        Some(m) => Some(
            jwk::key_from_json_members(&m, policy.key_rules(), false).map_err(token_key_error)?,
        ),
    };

    // Claims (RFC 7519 §4.1).
    let c = json::from_slice_seed(parts.payload, MAX_PAYLOAD_LEN, ClaimsSeed)
        .map_err(|_| bad(Check::JwtClaimsJson))?;
    if c.duplicate {
        return Err(bad(Check::JwtClaimsDuplicate));
    }
    let [iss, sub, dwk, jti, ps, parent_agent, scope] = c.strs;
    let [iat, exp, nbf] = c.times;
    let cnf_jwk = match c.cnf {
        None => None,
        Some(None) => return Err(bad(Check::JwtCnfNoJwk)),
        Some(Some(m)) => Some(
            jwk::key_from_json_members(&m, policy.key_rules(), false).map_err(token_key_error)?,
        ),
    };
    let aud = match c.aud {
        None => Audience::default(),
        Some(a) => {
            let mut out = Audience::default();
            for (slot, s) in out.items.iter_mut().zip(a) {
                *slot = s.map(Text::from);
            }
            out
        }
    };
    let claims = Claims {
        iss: opt_str(iss)?,
        sub: opt_str(sub)?,
        dwk: opt_str(dwk)?,
        jti: opt_str(jti)?,
        ps: opt_str(ps)?,
        parent_agent: opt_str(parent_agent)?,
        scope: opt_str(scope)?,
        aud,
        iat,
        exp,
        nbf,
        cnf_jwk,
        act: c.act,
    };
    Ok(Token {
        scheme,
        alg,
        typ,
        kid,
        header_jwk,
        claims,
        signing_input: parts.signing_input,
        sig64: parts.sig64,
        header: parts.header,
        payload: parts.payload,
        compact: parts.compact,
    })
}

#[cfg(feature = "tokens")]
/// The header `alg`: `Ed25519`, or `EdDSA` in compatibility mode.
///
/// Spec: RFC 9864 §2; RFC 8725 §3.1 (`none` and MACs refused); draft-hardt-httpbis-signature-key-09
/// §3.3.
fn jws_alg(alg: JsonStr<'_>, policy: &Policy<'_>) -> Result<JwsAlg, Error> {
    if alg.eq_str("Ed25519") {
        Ok(JwsAlg::Ed25519)
    } else if alg.eq_str("EdDSA") {
        if policy.compat.eddsa {
            Ok(JwsAlg::EdDsa)
        } else {
            Err(bad(Check::JwtEdDsa))
        }
    } else if alg.eq_str("none")
        || alg.eq_str("HS256")
        || alg.eq_str("HS384")
        || alg.eq_str("HS512")
    {
        Err(bad(Check::JwtAlgForbidden))
    } else {
        Err(err(UnsupportedAlgorithm, Check::JwtAlgUnsupported))
    }
}

#[cfg(feature = "tokens")]
/// The three parts of a compact JWS, or `None` when it does not have exactly two dots. The
/// dots are found eight bytes at a time (tokens are long).
fn split_compact(compact: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let dot = |s: &[u8]| swar::scan(s, |v| swar::has_byte(v, b'.'), |b| b == b'.');
    let i = dot(compact);
    let (h, rest) = (compact.get(..i)?, compact.get(i + 1..)?);
    let j = dot(rest);
    let (p, s) = (rest.get(..j)?, rest.get(j + 1..)?);
    (dot(s) == s.len()).then_some((h, p, s))
}

#[cfg(feature = "tokens")]
/// The 64 signature bytes of a JWS.
///
/// Spec: RFC 8037 §3.1 (an Ed25519 JWS signature is 64 bytes).
pub(crate) fn decode_signature(s64: &[u8]) -> Result<[u8; 64], Error> {
    let mut signature = [0u8; 64];
    match b64::decode_base64url(s64, &mut signature) {
        Ok(s) if s.len() == 64 => Ok(signature),
        _ => Err(bad(Check::JwtSignatureEncoding)),
    }
}

#[cfg(feature = "tokens")]
impl<'s> Token<'s> {
    /// The key that must have signed the token: the `jkt-jwt` header key, else the issuer key
    /// the host resolved.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.5 step 8, §3.8 step 6, §3.9 step 7.
    pub(crate) fn signer(&self, issuer_key: Option<&PublicKey>) -> Result<PublicKey, Error> {
        match self.scheme {
            Scheme::JktJwt => self.header_jwk.ok_or(bad(Check::JktNoJwk)),
            _ => issuer_key.copied().ok_or(err(
                crate::error::ErrorCode::UnknownKey,
                Check::JwtIssuerKeyMissing,
            )),
        }
    }

    /// The key that must have signed the request: `cnf.jwk`, or the issuer key for `self-jwt`.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.5 step 10, §3.8 step 8, §3.9 step 9.
    pub(crate) fn request_key(&self, signer: &PublicKey) -> Result<PublicKey, Error> {
        match self.scheme {
            Scheme::SelfJwt => Ok(*signer),
            _ => self.claims.cnf_jwk.ok_or(bad(Check::JwtNoCnf)),
        }
    }

    /// Verifies the JWS with `signer`: the header `alg` must agree with the key's, then the
    /// Ed25519 signature over `header.payload`.
    ///
    /// Spec: RFC 7515 §5.2 step 8; RFC 8037 §3.1; draft-hardt-httpbis-signature-key-09 §3.3.
    pub(crate) fn check_jws(&self, signer: &PublicKey) -> Result<(), Error> {
        if !self.alg.agrees_with(signer.alg()) {
            return Err(bad(Check::JwtAlgKeyMismatch));
        }
        let sig = decode_signature(self.sig64)?;
        signer
            .verify(self.signing_input, &sig)
            .map_err(|r| match r {
                crate::backend::Refusal::Signature => bad(Check::JwtSignature),
                r => crate::key::key_refusal(r),
            })
    }

    /// The information kept in a verification result.
    pub(crate) fn info(&self, issuer_key: PublicKey) -> TokenInfo<'s> {
        TokenInfo {
            scheme: self.scheme,
            typ: self.typ,
            kid: self.kid,
            claims: self.claims,
            issuer_key,
            compact: self.compact,
            header: self.header,
            payload: self.payload,
        }
    }
}

#[cfg(all(test, feature = "tokens"))]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-at-a-time split agrees with `split('.')` taking exactly three parts.
        #[test]
        fn split_compact_matches_split(
            s in proptest::collection::vec(proptest::sample::select(&b"ab.."[..]), 0..40)
        ) {
            let mut parts = s.split(|&b| b == b'.');
            let want = match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(p), Some(x), None) => Some((h, p, x)),
                _ => None,
            };
            proptest::prop_assert_eq!(split_compact(&s), want);
        }
    }

    #[test]
    fn alg_agreement() {
        assert!(JwsAlg::Ed25519.agrees_with(KeyAlg::Ed25519));
        assert!(JwsAlg::Ed25519.agrees_with(KeyAlg::None));
        assert!(JwsAlg::EdDsa.agrees_with(KeyAlg::None));
        assert!(JwsAlg::EdDsa.agrees_with(KeyAlg::EdDsa));
        assert!(!JwsAlg::EdDsa.agrees_with(KeyAlg::Ed25519));
        assert!(!JwsAlg::Ed25519.agrees_with(KeyAlg::EdDsa));
    }
}
