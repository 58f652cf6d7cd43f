//! The `Signature-Key` header: finding the member bound to the verified label, in the current
//! Structured Field syntax or (behind [`Compat::legacy_signature_key`]) the legacy inner-list
//! syntax, and turning it into a [`KeyRequirement`].
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §3 (syntax and schemes), §3.1 (label binding),
//! §7.8; the legacy form `sig1=(scheme=hwk kty="OKP" …)` is from the January 2026 AAuth text
//! §10.1 and is not valid RFC 8941.
//!
//! [`Compat::legacy_signature_key`]: crate::policy::Compat::legacy_signature_key

use crate::error::{
    err, Check, Error,
    ErrorCode::{InvalidKey, InvalidRequest, InvalidSignature, UnsupportedScheme},
};
use crate::jwk::{key_from_members_deferred, JwkMembers};
use crate::key::PublicKey;
use crate::policy::{Policy, Scheme};
use crate::request::Request;
use crate::text::Text;
use aauth_verify_sf::sf::{self, BareItem};

/// What the caller must supply (or has supplied inline) to finish verification.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.9, §3.11.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRequirement<'a> {
    /// No `Signature-Key` header: the caller supplies the key (plain RFC 9421, trust store).
    External,
    /// `hwk`: the key was in the header; decoded and checked against the `alg` rules. Its
    /// curve point is checked by the verification that uses it (`invalid_key` if bad).
    Inline(PublicKey),
    /// `jwks_uri`: fetch `{id}/.well-known/{dwk}`, check its `issuer` equals `id`, fetch its
    /// `jwks_uri` and select `kid`.
    JwksUri {
        /// The signer's identifier (an HTTPS origin).
        id: Text<'a>,
        /// The well-known document name (legacy parameter name `well-known`).
        dwk: Text<'a>,
        /// The key id within the JWKS.
        kid: Text<'a>,
    },
    /// `jwks` (draft -08): fetch `url` as a JWKS and select `kid`.
    Jwks {
        /// The JWKS URL (it is the signer's identity).
        url: Text<'a>,
        /// The key id within the JWKS.
        kid: Text<'a>,
    },
    /// Legacy `jwks` (Jan 2026): `jwks` is a JWKS URL, or `id` (+ optional `well-known`) names
    /// the signer whose metadata points at its JWKS.
    LegacyJwks {
        /// `jwks="<url>"` (mode 1).
        jwks: Option<Text<'a>>,
        /// `id="<origin>"` (mode 2).
        id: Option<Text<'a>>,
        /// `well-known="<name>"` (mode 2, optional).
        well_known: Option<Text<'a>>,
        /// The key id within the JWKS.
        kid: Text<'a>,
    },
    /// `jwt`: a JWT (AAuth agent token) whose `cnf.jwk` signs the request; its issuer's key
    /// comes from `{iss}/.well-known/{dwk}`.
    Jwt {
        /// The compact JWT text.
        jwt: Text<'a>,
    },
    /// `jkt-jwt`: a self-contained JWT carrying its signing key; verified offline.
    JktJwt {
        /// The compact JWT text.
        jwt: Text<'a>,
    },
    /// `self-jwt`: the issuer's key signs both the JWT and the request.
    SelfJwt {
        /// The compact JWT text.
        jwt: Text<'a>,
    },
    /// `cached`: the host resolves `cid` to the `jwt`/`jkt-jwt` assertion it cached earlier.
    Cached {
        /// The cache identifier this verifier issued.
        cid: Text<'a>,
    },
}

/// The parameter names this verifier reads, in slot order.
const NAMES: [&[u8]; 18] = [
    b"kty",
    b"crv",
    b"x",
    b"y",
    b"n",
    b"e",
    b"d",
    b"alg",
    b"kid",
    b"id",
    b"dwk",
    b"well-known",
    b"url",
    b"jwks",
    b"jwt",
    b"scheme",
    b"cache",
    b"cid",
];

/// One parameter value as far as this verifier cares.
#[derive(Clone, Copy)]
enum Value<'a> {
    Text(Text<'a>),
    True,
    Other,
}

/// The parameters of the selected member, collected in one pass (last occurrence wins), in
/// either syntax.
#[derive(Clone, Copy)]
struct Params<'a> {
    slots: [Option<Value<'a>>; NAMES.len()],
}

impl<'a> Params<'a> {
    fn slot(name: &[u8]) -> Option<usize> {
        NAMES.iter().position(|n| *n == name)
    }

    fn from_sf(params: sf::Params<'a>) -> Params<'a> {
        let mut out = Params {
            slots: [None; NAMES.len()],
        };
        for (key, value) in params.iter() {
            if let Some(slot) = Params::slot(key).and_then(|i| out.slots.get_mut(i)) {
                *slot = Some(match value {
                    BareItem::String(s) => Value::Text(Text::from(s)),
                    // Some peers send a Token where a String is expected (HC tolerates it).
                    BareItem::Token(t) => Value::Text(Text::plain(t)),
                    BareItem::Boolean(true) => Value::True,
                    _ => Value::Other,
                });
            }
        }
        out
    }

    fn from_legacy(body: &'a [u8]) -> Params<'a> {
        let mut out = Params {
            slots: [None; NAMES.len()],
        };
        for (key, value) in legacy_pairs(body) {
            if let Some(slot) = Params::slot(key).and_then(|i| out.slots.get_mut(i)) {
                *slot = Some(Value::Text(value));
            }
        }
        out
    }

    fn value(&self, name: &[u8]) -> Option<Value<'a>> {
        Params::slot(name)
            .and_then(|i| self.slots.get(i))
            .copied()
            .flatten()
    }

    /// A text parameter; wrong type → `invalid_key`.
    fn text(&self, name: &[u8]) -> Result<Option<Text<'a>>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t)),
            Some(_) => Err(err(InvalidKey, Check::ParamWrongType)),
        }
    }

    /// Whether a Boolean parameter is present and true (`;cache`).
    fn is_true(&self, name: &[u8]) -> bool {
        matches!(self.value(name), Some(Value::True))
    }

    fn required(&self, name: &[u8]) -> Result<Text<'a>, Error> {
        self.text(name)?.ok_or(err(InvalidKey, Check::ParamMissing))
    }

    /// A JWK member for hwk: must be plain text.
    fn member(&self, name: &[u8]) -> Result<Option<&'a [u8]>, Error> {
        match self.text(name)? {
            None => Ok(None),
            Some(t) => t
                .as_plain()
                .map(Some)
                .ok_or(err(InvalidKey, Check::HwkEscape)),
        }
    }
}

/// The `Signature-Key` member bound to a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureKey<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// What the verifier needs.
    pub requirement: KeyRequirement<'a>,
    /// The `;cache` flag (draft -08, `jwt` and `jkt-jwt`).
    pub cache: bool,
}

/// Finds the `Signature-Key` member for `label` and turns it into a key requirement.
///
/// Returns `Ok(None)` when the request has no `Signature-Key` field at all.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.1 (the member named like the label is used;
/// other members, even with unknown schemes, are ignored), §3.4–§3.8, §7.4.
pub fn parse<'a>(
    req: &Request<'_, 'a>,
    label: &[u8],
    policy: &Policy<'_>,
) -> Result<Option<SignatureKey<'a>>, Error> {
    let mut any_line = false;
    let mut found: Option<(Text<'_>, Params<'_>)> = None;
    let mut total = 0usize;
    for line in req.field_lines(b"signature-key") {
        any_line = true;
        total = total.saturating_add(line.len());
        if total > policy.limits.max_header_bytes {
            return Err(err(InvalidRequest, Check::HeaderTooLarge));
        }
        match sf::parse_dictionary_member(line, sf::Options::default(), label) {
            Ok(member) => {
                if let Some(member) = member {
                    let sf::Member::Item(item) = member else {
                        return Err(err(InvalidRequest, Check::SignatureKeyNotItem));
                    };
                    let BareItem::Token(scheme) = item.value else {
                        return Err(err(InvalidRequest, Check::SignatureKeyNotToken));
                    };
                    found = Some((Text::plain(scheme), Params::from_sf(item.params)));
                }
            }
            Err(_) if policy.compat.legacy_signature_key => {
                let Some(members) = legacy_members(line) else {
                    return Err(err(InvalidRequest, Check::LegacyMalformed));
                };
                for (key, body) in members {
                    if key == label {
                        let params = Params::from_legacy(body);
                        let scheme = params
                            .text(b"scheme")?
                            .ok_or(err(InvalidRequest, Check::LegacyNoScheme))?;
                        found = Some((scheme, params));
                    }
                }
            }
            Err(_) => return Err(err(InvalidRequest, Check::SignatureKeyMalformed)),
        }
    }
    if !any_line {
        return Ok(None);
    }
    let Some((scheme_name, params)) = found else {
        return Err(err(InvalidSignature, Check::SignatureKeyLabelMissing));
    };
    let scheme = match scheme_name.as_plain().unwrap_or(b"") {
        b"hwk" => Scheme::Hwk,
        b"jwks_uri" => Scheme::JwksUri,
        b"jwks" => {
            if params.text(b"url")?.is_some() {
                Scheme::Jwks
            } else {
                Scheme::LegacyJwks
            }
        }
        b"jwt" => Scheme::Jwt,
        b"jkt-jwt" => Scheme::JktJwt,
        b"self-jwt" => Scheme::SelfJwt,
        b"cached" => Scheme::Cached,
        _ => return Err(err(UnsupportedScheme, Check::SchemeUnknown)),
    };
    if !scheme.is_built() {
        return Err(err(UnsupportedScheme, Check::SchemeNotBuilt));
    }
    if !policy.schemes.contains(scheme) {
        return Err(err(UnsupportedScheme, Check::SchemeNotAllowed));
    }
    let requirement = match scheme {
        Scheme::Hwk => {
            if params.text(b"kid")?.is_some() {
                return Err(err(InvalidKey, Check::HwkKid));
            }
            let members = JwkMembers {
                kty: params.member(b"kty")?,
                crv: params.member(b"crv")?,
                x: params.member(b"x")?,
                y: params.member(b"y")?,
                n: params.member(b"n")?,
                e: params.member(b"e")?,
                d: params.member(b"d")?,
                alg: params.member(b"alg")?,
                kid: None,
            };
            KeyRequirement::Inline(key_from_members_deferred(&members, policy.key_rules())?)
        }
        Scheme::JwksUri => {
            let dwk = match params.text(b"dwk")? {
                Some(d) => d,
                None if policy.compat.legacy_signature_key => params.required(b"well-known")?,
                None => return Err(err(InvalidKey, Check::ParamMissing)),
            };
            KeyRequirement::JwksUri {
                id: origin_form(params.required(b"id")?)?,
                dwk: dwk_form(dwk)?,
                kid: params.required(b"kid")?,
            }
        }
        Scheme::Jwks => KeyRequirement::Jwks {
            url: url_form(params.required(b"url")?)?,
            kid: params.required(b"kid")?,
        },
        Scheme::LegacyJwks => {
            if !policy.compat.legacy_signature_key {
                return Err(err(InvalidKey, Check::LegacyJwksStrict));
            }
            let jwks = params.text(b"jwks")?;
            let id = params.text(b"id")?;
            if jwks.is_some() == id.is_some() {
                return Err(err(InvalidKey, Check::LegacyJwksBoth));
            }
            KeyRequirement::LegacyJwks {
                jwks: jwks.map(url_form).transpose()?,
                id: id.map(origin_form).transpose()?,
                well_known: params.text(b"well-known")?.map(dwk_form).transpose()?,
                kid: params.required(b"kid")?,
            }
        }
        Scheme::Jwt => KeyRequirement::Jwt {
            jwt: params.required(b"jwt")?,
        },
        Scheme::JktJwt => KeyRequirement::JktJwt {
            jwt: params.required(b"jwt")?,
        },
        Scheme::SelfJwt => KeyRequirement::SelfJwt {
            jwt: params.required(b"jwt")?,
        },
        Scheme::Cached => KeyRequirement::Cached {
            cid: params.required(b"cid")?,
        },
    };
    let cache = params.is_true(b"cache");
    Ok(Some(SignatureKey {
        scheme,
        requirement,
        cache,
    }))
}

/// The URL-like parameters must be in the spec's forms before a host may fetch anything for
/// them: an identifier is a bare http(s) origin, a JWKS URL an http(s) URL without userinfo or
/// fragment, a `dwk` a document name. (Whether http, or a private destination, is admitted is
/// the host's egress policy: [`crate::egress`].) A value with sf-string escapes is never one.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6, §3.7, §7.3; AAuth §Server Identifiers.
fn origin_form(t: Text<'_>) -> Result<Text<'_>, Error> {
    let raw = t.as_plain().ok_or(err(InvalidKey, Check::IdentifierForm))?;
    crate::egress::parse_origin(raw).map(|_| t)
}

fn url_form(t: Text<'_>) -> Result<Text<'_>, Error> {
    let raw = t.as_plain().ok_or(err(InvalidKey, Check::UrlBytes))?;
    crate::egress::parse_url(raw).map(|_| t)
}

fn dwk_form(t: Text<'_>) -> Result<Text<'_>, Error> {
    let raw = t.as_plain().ok_or(err(InvalidKey, Check::DwkForm))?;
    crate::egress::check_dwk(raw).map(|_| t)
}

/// Whether `Signature-Key` has a member named `label` (used to pick among several signatures).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.1.
pub fn has_member(req: &Request<'_, '_>, label: &[u8], policy: &Policy<'_>) -> bool {
    req.field_lines(b"signature-key").any(|line| {
        match sf::parse_dictionary_member(line, sf::Options::default(), label) {
            Ok(member) => member.is_some(),
            Err(_) if policy.compat.legacy_signature_key => {
                legacy_members(line).is_some_and(|mut m| m.any(|(k, _)| k == label))
            }
            Err(_) => false,
        }
    })
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_lowercase() || b == b'*'
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*')
}

/// Length of a legacy `key=value` value at the start of `s`: a quoted string with `\"`/`\\`
/// escapes (printable ASCII) or a run of token characters; `None` if malformed.
fn legacy_value_len(s: &[u8]) -> Option<usize> {
    if s.first() == Some(&b'"') {
        let mut i = 1;
        loop {
            match *s.get(i)? {
                b'\\' => match s.get(i + 1)? {
                    b'"' | b'\\' => i += 2,
                    _ => return None,
                },
                b'"' => return Some(i + 1),
                0x20..=0x7e => i += 1,
                _ => return None,
            }
        }
    } else {
        let n = s
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b))
            .count();
        (n > 0).then_some(n)
    }
}

/// Validates the inside of a legacy inner list (`k=v k="v" …`); returns its length up to `)`.
fn legacy_body_len(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        while s.get(i) == Some(&b' ') {
            i += 1;
        }
        match *s.get(i)? {
            b')' => return Some(i),
            b if is_key_start(b) => {
                let k = s.get(i..)?.iter().take_while(|&&b| is_key_char(b)).count();
                i += k;
                if s.get(i) != Some(&b'=') {
                    return None;
                }
                i += 1;
                i += legacy_value_len(s.get(i..)?)?;
                match s.get(i) {
                    Some(b' ') | Some(b')') => {}
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// Splits a legacy `Signature-Key` line into `(label, body)` members, validating all of it.
fn legacy_members(line: &[u8]) -> Option<impl Iterator<Item = (&[u8], &[u8])>> {
    // Validate first, so that iteration below cannot fail.
    let mut i = 0;
    loop {
        let rest = line.get(i..)?;
        let k = rest.iter().take_while(|&&b| is_key_char(b)).count();
        if k == 0
            || !rest.first().is_some_and(|&b| is_key_start(b))
            || rest.get(k) != Some(&b'=')
            || rest.get(k + 1) != Some(&b'(')
        {
            return None;
        }
        i += k + 2;
        i += legacy_body_len(line.get(i..)?)? + 1;
        while matches!(line.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        match line.get(i) {
            None => break,
            Some(b',') => {
                i += 1;
                while matches!(line.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
            }
            Some(_) => return None,
        }
    }
    let mut pos = 0;
    Some(core::iter::from_fn(move || {
        let rest = line.get(pos..)?;
        let k = rest.iter().take_while(|&&b| is_key_char(b)).count();
        let body_start = k + 2;
        let body_len = legacy_body_len(rest.get(body_start..)?)?;
        let item = (rest.get(..k)?, rest.get(body_start..body_start + body_len)?);
        pos += body_start + body_len + 1;
        while matches!(line.get(pos), Some(b' ' | b'\t' | b',')) {
            pos += 1;
        }
        Some(item)
    }))
}

/// The `key=value` pairs of a validated legacy body.
fn legacy_pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], Text<'_>)> {
    let mut i = 0;
    core::iter::from_fn(move || {
        while body.get(i) == Some(&b' ') {
            i += 1;
        }
        let rest = body.get(i..)?;
        let k = rest.iter().take_while(|&&b| is_key_char(b)).count();
        if k == 0 || rest.get(k) != Some(&b'=') {
            return None;
        }
        let value = rest.get(k + 1..)?;
        let n = legacy_value_len(value)?;
        i += k + 1 + n;
        let v = value.get(..n)?;
        let text = if v.first() == Some(&b'"') {
            Text::sf_escaped(v.get(1..n - 1)?)
        } else {
            Text::plain(v)
        };
        Some((rest.get(..k)?, text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_parsing() {
        let line = br#"sig1=(scheme=hwk kty="OKP" crv="Ed25519" x="a\"b"), sig2=(scheme=jwks id="https://x" kid="k")"#;
        let members: heapless::Vec<(&[u8], &[u8]), 4> = legacy_members(line).unwrap().collect();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].0, b"sig1");
        assert_eq!(members[1].0, b"sig2");
        let pairs: heapless::Vec<(&[u8], Text<'_>), 8> = legacy_pairs(members[0].1).collect();
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[0], (&b"scheme"[..], Text::plain(b"hwk")));
        assert!(pairs[3].1.eq_bytes(b"a\"b"));
    }

    #[test]
    fn legacy_rejects_garbage() {
        for bad in [
            &b"sig1=(scheme=hwk"[..],
            b"sig1=(scheme=hwk x=\"unterminated)",
            b"Sig1=(scheme=hwk)",
            b"sig1=(scheme=hwk) junk",
            b"sig1=(scheme=hwk x=\"\\q\")",
            b"sig1=(=hwk)",
            b"sig1=(scheme= hwk)",
            b"sig1=",
            b"",
            b"sig1=(scheme=hwk),",
        ] {
            assert!(
                legacy_members(bad).is_none(),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }
}
