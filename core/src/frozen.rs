//! [`Frozen`]: a [`Parsed`] signature without lifetimes, for hosts that finish it in a later
//! call (the C verifier between `parse` and `finish`, an async binding across an `await`).
//!
//! It keeps positions instead of references: where each borrowed value lies in the request's
//! header values, and for a token the layout of its decoded header and claims in the scratch
//! buffer (the token is decoded once, in phase 1, never again). [`Frozen::thaw`] rebuilds the
//! `Parsed` over the same request and scratch, checking every position, so a host that breaks
//! its promise to keep them unchanged gets an error or a different verdict, never a crash.
//!
//! Spec: RFC 9421 §3.2 (the two phases of verification); RFC 7515 §5.2.

use aauth_verify_sf::sf::{self, InnerList};

#[cfg(feature = "tokens")]
use crate::cache::{Lookup, TokenLayout};
use crate::error::{err, Check, Error, ErrorCode::InvalidRequest};
use crate::key::PublicKey;
#[cfg(feature = "tokens")]
use crate::parse::PendingToken;
use crate::parse::{Parsed, SignatureParams, Signed, TokenSlot};
use crate::policy::Scheme;
use crate::request::Request;
use crate::sigkey::KeyRequirement;
use crate::text::{Escapes, Text};
#[cfg(feature = "tokens")]
use crate::token;
use crate::token::JwtScratch;

/// Where a borrowed byte string lies: header `header`, bytes `start..start + len` of its
/// value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    header: u16,
    start: u32,
    len: u32,
}

/// A frozen [`Text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LocText {
    loc: Loc,
    escapes: Escapes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrozenRequirement {
    External,
    Inline(PublicKey),
    JwksUri {
        id: LocText,
        dwk: LocText,
        kid: LocText,
    },
    Jwks {
        url: LocText,
        kid: LocText,
    },
    LegacyJwks {
        jwks: Option<LocText>,
        id: Option<LocText>,
        well_known: Option<LocText>,
        kid: LocText,
    },
    Jwt(LocText),
    JktJwt(LocText),
    SelfJwt(LocText),
    Cached(LocText),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FrozenParams {
    created: Option<i64>,
    expires: Option<i64>,
    nonce: Option<LocText>,
    tag: Option<LocText>,
    keyid: Option<LocText>,
    alg: Option<LocText>,
}

#[cfg(feature = "tokens")]
/// Where a frozen token's compact text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compact {
    /// In the request (`Signature-Key`).
    Request(Loc),
    /// The assertion a `cached` identifier resolved to (the host keeps and passes it again).
    Assertion(u32),
}

#[cfg(feature = "tokens")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FrozenToken {
    scheme: Scheme,
    resolved: bool,
    compact: Compact,
    layout: TokenLayout,
    lookup: Lookup,
    header_len: u16,
    payload_len: u16,
}

/// A parsed signature as positions in its request and scratch buffer (no lifetimes, `Copy`).
///
/// Spec: RFC 9421 §3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frozen {
    label: Loc,
    scheme: Option<Scheme>,
    requirement: FrozenRequirement,
    params: FrozenParams,
    covered: Loc,
    signature: Result<[u8; 64], Error>,
    cache: bool,
    digest_covered: bool,
    field_types: [u8; crate::MAX_COMPONENTS],
    #[cfg(feature = "tokens")]
    token: Option<FrozenToken>,
}

const NOT_IN_REQUEST: Error = err(InvalidRequest, Check::WrongSource);

/// The position of `s` among the request's header values.
fn locate(req: &Request<'_, '_>, s: &[u8]) -> Result<Loc, Error> {
    // Addresses only, never dereferenced: `s` was borrowed from one of these values.
    let (p, n) = (s.as_ptr() as usize, s.len());
    for (i, h) in req.headers.iter().enumerate() {
        let base = h.value.as_ptr() as usize;
        if let Some(start) = p.checked_sub(base) {
            if start.checked_add(n).is_some_and(|end| end <= h.value.len()) {
                return Ok(Loc {
                    header: u16::try_from(i).map_err(|_| NOT_IN_REQUEST)?,
                    start: u32::try_from(start).map_err(|_| NOT_IN_REQUEST)?,
                    len: u32::try_from(n).map_err(|_| NOT_IN_REQUEST)?,
                });
            }
        }
    }
    Err(NOT_IN_REQUEST)
}

fn locate_text(req: &Request<'_, '_>, t: Text<'_>) -> Result<LocText, Error> {
    Ok(LocText {
        loc: locate(req, t.raw())?,
        escapes: t.escapes(),
    })
}

fn locate_opt(req: &Request<'_, '_>, t: Option<Text<'_>>) -> Result<Option<LocText>, Error> {
    t.map(|t| locate_text(req, t)).transpose()
}

fn at<'a>(req: &Request<'_, 'a>, l: Loc) -> Result<&'a [u8], Error> {
    let v = req
        .headers
        .get(usize::from(l.header))
        .ok_or(NOT_IN_REQUEST)?
        .value;
    let start = usize::try_from(l.start).map_err(|_| NOT_IN_REQUEST)?;
    let len = usize::try_from(l.len).map_err(|_| NOT_IN_REQUEST)?;
    v.get(start..start.checked_add(len).ok_or(NOT_IN_REQUEST)?)
        .ok_or(NOT_IN_REQUEST)
}

fn text_at<'a>(req: &Request<'_, 'a>, t: LocText) -> Result<Text<'a>, Error> {
    let raw = at(req, t.loc)?;
    Ok(match t.escapes {
        Escapes::None => Text::plain(raw),
        // Taken from an sf-string or a legacy quoted value: the same two escapes.
        Escapes::Sf => Text::sf_escaped(raw),
        // Request header values never hold JSON strings.
        Escapes::Json => return Err(NOT_IN_REQUEST),
    })
}

fn text_opt<'a>(req: &Request<'_, 'a>, t: Option<LocText>) -> Result<Option<Text<'a>>, Error> {
    t.map(|t| text_at(req, t)).transpose()
}

impl<'s> Parsed<'s> {
    /// This signature as positions in `req` (the request it was parsed from) and in its
    /// scratch buffer, to finish it in a later call with [`Frozen::thaw`].
    ///
    /// Spec: RFC 9421 §3.2.
    pub fn freeze(&self, req: &Request<'_, '_>) -> Result<Frozen, Error> {
        let s = &self.sig;
        let requirement = match s.requirement {
            KeyRequirement::External => FrozenRequirement::External,
            KeyRequirement::Inline(k) => FrozenRequirement::Inline(k),
            KeyRequirement::JwksUri { id, dwk, kid } => FrozenRequirement::JwksUri {
                id: locate_text(req, id)?,
                dwk: locate_text(req, dwk)?,
                kid: locate_text(req, kid)?,
            },
            KeyRequirement::Jwks { url, kid } => FrozenRequirement::Jwks {
                url: locate_text(req, url)?,
                kid: locate_text(req, kid)?,
            },
            KeyRequirement::LegacyJwks {
                jwks,
                id,
                well_known,
                kid,
            } => FrozenRequirement::LegacyJwks {
                jwks: locate_opt(req, jwks)?,
                id: locate_opt(req, id)?,
                well_known: locate_opt(req, well_known)?,
                kid: locate_text(req, kid)?,
            },
            KeyRequirement::Jwt { jwt } => FrozenRequirement::Jwt(locate_text(req, jwt)?),
            KeyRequirement::JktJwt { jwt } => FrozenRequirement::JktJwt(locate_text(req, jwt)?),
            KeyRequirement::SelfJwt { jwt } => FrozenRequirement::SelfJwt(locate_text(req, jwt)?),
            KeyRequirement::Cached { cid } => FrozenRequirement::Cached(locate_text(req, cid)?),
        };
        let p = &s.params;
        let params = FrozenParams {
            created: p.created,
            expires: p.expires,
            nonce: locate_opt(req, p.nonce)?,
            tag: locate_opt(req, p.tag)?,
            keyid: locate_opt(req, p.keyid)?,
            alg: locate_opt(req, p.alg)?,
        };
        #[cfg(feature = "tokens")]
        let token = match &self.token {
            TokenSlot::Free(_) => None,
            TokenSlot::Token(pt) => {
                let t = &pt.token;
                let compact = match locate(req, t.compact) {
                    Ok(l) => Compact::Request(l),
                    Err(_) => Compact::Assertion(
                        u32::try_from(t.compact.len()).map_err(|_| NOT_IN_REQUEST)?,
                    ),
                };
                Some(FrozenToken {
                    scheme: t.scheme,
                    resolved: pt.resolved,
                    compact,
                    layout: TokenLayout::of(t).ok_or(NOT_IN_REQUEST)?,
                    lookup: pt.lookup,
                    header_len: u16::try_from(t.header.len()).map_err(|_| NOT_IN_REQUEST)?,
                    payload_len: u16::try_from(t.payload.len()).map_err(|_| NOT_IN_REQUEST)?,
                })
            }
        };
        Ok(Frozen {
            label: locate(req, s.label)?,
            scheme: s.scheme,
            requirement,
            params,
            covered: locate(req, s.covered.raw())?,
            signature: s.signature,
            cache: s.cache,
            digest_covered: s.digest_covered,
            field_types: s.field_types,
            #[cfg(feature = "tokens")]
            token,
        })
    }
}

impl Frozen {
    /// Whether the frozen signature holds a decoded token (then [`Frozen::thaw`] needs the
    /// scratch buffer it was decoded into).
    ///
    /// Spec: RFC 7515 §5.2.
    pub fn has_token(&self) -> bool {
        #[cfg(not(feature = "tokens"))]
        return false;
        #[cfg(feature = "tokens")]
        return self.token.is_some();
    }

    /// The `Parsed` signature again, over the same request (unchanged since [`Parsed::freeze`])
    /// and, for a token, the scratch buffer it was decoded into (and, for a `cached`
    /// assertion, the assertion bytes again). Nothing is parsed or decoded again but the
    /// covered-components list.
    ///
    /// Spec: RFC 9421 §3.2; RFC 7515 §5.2.
    pub fn thaw<'s>(
        &self,
        req: &Request<'_, 's>,
        scratch: Option<&'s mut JwtScratch>,
        assertion: Option<&'s [u8]>,
    ) -> Result<Parsed<'s>, Error> {
        let requirement = match self.requirement {
            FrozenRequirement::External => KeyRequirement::External,
            FrozenRequirement::Inline(k) => KeyRequirement::Inline(k),
            FrozenRequirement::JwksUri { id, dwk, kid } => KeyRequirement::JwksUri {
                id: text_at(req, id)?,
                dwk: text_at(req, dwk)?,
                kid: text_at(req, kid)?,
            },
            FrozenRequirement::Jwks { url, kid } => KeyRequirement::Jwks {
                url: text_at(req, url)?,
                kid: text_at(req, kid)?,
            },
            FrozenRequirement::LegacyJwks {
                jwks,
                id,
                well_known,
                kid,
            } => KeyRequirement::LegacyJwks {
                jwks: text_opt(req, jwks)?,
                id: text_opt(req, id)?,
                well_known: text_opt(req, well_known)?,
                kid: text_at(req, kid)?,
            },
            FrozenRequirement::Jwt(t) => KeyRequirement::Jwt {
                jwt: text_at(req, t)?,
            },
            FrozenRequirement::JktJwt(t) => KeyRequirement::JktJwt {
                jwt: text_at(req, t)?,
            },
            FrozenRequirement::SelfJwt(t) => KeyRequirement::SelfJwt {
                jwt: text_at(req, t)?,
            },
            FrozenRequirement::Cached(t) => KeyRequirement::Cached {
                cid: text_at(req, t)?,
            },
        };
        let p = &self.params;
        let params = SignatureParams {
            created: p.created,
            expires: p.expires,
            nonce: text_opt(req, p.nonce)?,
            tag: text_opt(req, p.tag)?,
            keyid: text_opt(req, p.keyid)?,
            alg: text_opt(req, p.alg)?,
        };
        let covered = covered_at(at(req, self.covered)?)?;
        let sig = Signed {
            label: at(req, self.label)?,
            scheme: self.scheme,
            requirement,
            params,
            covered,
            signature: self.signature,
            cache: self.cache,
            digest_covered: self.digest_covered,
            field_types: self.field_types,
        };
        #[cfg(not(feature = "tokens"))]
        let token = {
            let _ = assertion;
            TokenSlot::Free(scratch)
        };
        #[cfg(feature = "tokens")]
        let token = match (self.token, scratch) {
            (None, scratch) => TokenSlot::Free(scratch),
            (Some(_), None) => return Err(NOT_IN_REQUEST),
            (Some(ft), Some(scratch)) => {
                let compact = match ft.compact {
                    Compact::Request(l) => at(req, l)?,
                    Compact::Assertion(n) => assertion
                        .filter(|a| u32::try_from(a.len()).is_ok_and(|len| len == n))
                        .ok_or(NOT_IN_REQUEST)?,
                };
                let scratch: &'s JwtScratch = scratch;
                let parts = token::parts_in(
                    compact,
                    scratch,
                    usize::from(ft.header_len),
                    usize::from(ft.payload_len),
                )?;
                let token = ft.layout.token(ft.scheme, &parts).ok_or(NOT_IN_REQUEST)?;
                TokenSlot::Token(PendingToken {
                    token,
                    lookup: ft.lookup,
                    resolved: ft.resolved,
                })
            }
        };
        Ok(Parsed { sig, token })
    }
}

/// The covered-components inner list again, from its raw text.
fn covered_at(raw: &[u8]) -> Result<InnerList<'_>, Error> {
    let list = sf::parse_list(raw, sf::Options::default()).map_err(|_| NOT_IN_REQUEST)?;
    let mut members = list.iter();
    match (members.next(), members.next()) {
        (Some(sf::Member::InnerList(l)), None) => Ok(l),
        _ => Err(NOT_IN_REQUEST),
    }
}
