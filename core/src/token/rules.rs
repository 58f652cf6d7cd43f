//! The offline rules of a token: what is checked on every request before any key is needed,
//! whether the token's members came from its JSON or from a token store.
//!
//! In order: identity text is clean; `typ` is accepted for the scheme; the `jkt-jwt` thumbprint
//! binding; `exp` (zero tolerance); the scheme's required and forbidden claims; `iat` (required
//! on AAuth tokens; ahead of the window is `clock_skew`); `nbf`.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §3.5 (`jkt-jwt` steps 1–9), §3.8 (`jwt` steps
//! 1–4), §3.9 (`self-jwt` steps 1–5), §5.4.12, §5.4.14; RFC 7519 §4.1.4–§4.1.6; AAuth §Agent
//! Tokens (`iat` REQUIRED), §Person Token (`aa-person+jwt` never where another type is
//! required).

use super::{bad, Token};
use crate::error::{
    err, Check, Error,
    ErrorCode::{ClockSkew, ExpiredJwt},
};
use crate::policy::{Policy, Scheme, AGENT_TYPES};
use crate::text::Text;

/// AAuth token types that are never an agent token: accepted only where a policy lists them.
///
/// Spec: AAuth §Person Token Verification, §Auth Token Verification.
const OTHER_AAUTH_TYPES: [&[u8]; 2] = [b"aa-auth+jwt", b"aa-person+jwt"];

/// Runs the offline rules. `cache` is the `;cache` flag of the `Signature-Key` member (or
/// true for an assertion resolved from a `cached` identifier); `recorded` says the token's
/// members came from a store record (then the `jkt-jwt` thumbprint binding, a function of the
/// token's bytes that the record was made for, is not recomputed).
///
/// Spec: as the module.
pub(crate) fn check(
    t: &Token<'_>,
    cache: bool,
    policy: &Policy<'_>,
    now: i64,
    recorded: bool,
) -> Result<(), Error> {
    // Identity text reaches hosts' header fields and logs (RFC 9110 §5.5).
    if has_control_text(t) {
        return Err(bad(Check::JwtControl));
    }

    // `typ` (SK-09 §3.5 step 2, §3.8 step 2; RFC 8725 §3.11).
    let mut sha512 = false;
    match t.scheme {
        Scheme::Jwt => {
            let allowed = if policy.jwt_types.is_empty() {
                AGENT_TYPES
            } else {
                policy.jwt_types
            };
            if !allowed.iter().any(|a| t.typ.eq_bytes(a.as_bytes())) {
                let other = OTHER_AAUTH_TYPES.iter().any(|o| t.typ.eq_bytes(o));
                return Err(bad(if other {
                    Check::JwtTypNotAgent
                } else {
                    Check::JwtTypNotAccepted
                }));
            }
        }
        Scheme::JktJwt => {
            sha512 = if t.typ.eq_bytes(b"jkt-s256+jwt") {
                false
            } else if t.typ.eq_bytes(b"jkt-s512+jwt") {
                true
            } else {
                return Err(bad(Check::JktTyp));
            };
        }
        _ => {}
    }

    // The jkt-jwt binding (SK-09 §3.5 steps 4–7).
    if t.scheme == Scheme::JktJwt {
        let key = t.header_jwk.ok_or(bad(Check::JktNoJwk))?;
        let iss = t.claims.iss.ok_or(bad(Check::JktNoIss))?;
        let matches = recorded
            || if sha512 {
                iss_is_jkt(
                    &iss,
                    b"urn:jkt:sha-512:",
                    key.thumbprint_sha512_b64().as_bytes(),
                )
            } else {
                iss_is_jkt(&iss, b"urn:jkt:sha-256:", key.thumbprint().as_bytes())
            };
        if !matches {
            return Err(bad(Check::JktThumbprint));
        }
    }

    // `exp`, zero tolerance (SK-09 §3.8 step 3, §5.4.12; AAuth -11).
    let exp = t.claims.exp.ok_or(bad(Check::JwtNoExp))?;
    if exp <= now {
        return Err(err(ExpiredJwt, Check::JwtExpired));
    }

    // Required and forbidden claims (SK-09 §3.5, §3.8 step 4, §3.9 steps 4–5).
    let c = &t.claims;
    match t.scheme {
        Scheme::Jwt => {
            if c.cnf_jwk.is_none() {
                return Err(bad(Check::JwtNoCnf));
            }
            if c.iss.is_none() || c.dwk.is_none() || t.kid.is_none() {
                return Err(bad(Check::JwtNoIssuerRef));
            }
        }
        Scheme::JktJwt => {
            if c.iat.is_none() {
                return Err(bad(Check::JwtNoIat));
            }
            if c.cnf_jwk.is_none() {
                return Err(bad(Check::JwtNoCnf));
            }
            if c.sub.is_some() {
                return Err(bad(Check::JktSub));
            }
            if c.jti.is_some() && !cache {
                return Err(bad(Check::JtiWithoutCache));
            }
        }
        _ => {
            if c.iss.is_none() || c.dwk.is_none() || t.kid.is_none() {
                return Err(bad(Check::JwtNoIssuerRef));
            }
            if c.cnf_jwk.is_some() {
                return Err(bad(Check::SelfJwtCnf));
            }
        }
    }
    // The host fetches {iss}/.well-known/{dwk}: both must be in the spec's forms first (an
    // http(s) origin, a document name; SK-09 §3.8 step 5, §7.3; AAuth §Server Identifiers).
    if matches!(t.scheme, Scheme::Jwt | Scheme::SelfJwt) {
        let form = |text: Option<Text<'_>>, check: fn(&[u8]) -> Result<(), Error>| {
            let mut buf = [0u8; 512];
            let raw = text
                .and_then(|x| x.bytes_in(&mut buf))
                .ok_or(bad(Check::TextTooLong))?;
            check(raw).map_err(|e| bad(e.check))
        };
        form(c.iss, |b| crate::egress::parse_origin(b).map(|_| ()))?;
        form(c.dwk, |b| crate::egress::check_dwk(b).map(|_| ()))?;
    }

    // `iat`: REQUIRED on AAuth tokens (AAuth -11); ahead of the signature window is clock skew
    // (SK-09 §5.4.14: a verifier that bounds iat uses the created window).
    let window = i128::from(policy.window);
    match c.iat {
        None if t.typ.raw().starts_with(b"aa-") => return Err(bad(Check::JwtNoIat)),
        Some(iat) if i128::from(iat) > i128::from(now) + window => {
            return Err(err(ClockSkew, Check::JwtIatFuture))
        }
        _ => {}
    }
    if c.nbf
        .is_some_and(|t| i128::from(t) > i128::from(now) + window)
    {
        return Err(bad(Check::JwtNbf));
    }
    Ok(())
}

/// Whether a string member the host can read (`typ`, header `kid`, every string claim, each
/// `aud` value) contains a control character after unescaping.
fn has_control_text(t: &Token<'_>) -> bool {
    let c = &t.claims;
    [
        Some(t.typ),
        t.kid,
        c.iss,
        c.sub,
        c.dwk,
        c.jti,
        c.ps,
        c.parent_agent,
        c.scope,
    ]
    .into_iter()
    .flatten()
    .chain(c.aud.iter())
    .any(|s| s.has_control())
}

fn iss_is_jkt(iss: &Text<'_>, prefix: &[u8], thumb: &[u8]) -> bool {
    iss.bytes().eq(prefix.iter().chain(thumb).copied())
}
