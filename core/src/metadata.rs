//! Agent/issuer metadata documents (`/.well-known/aauth-agent.json` and siblings, and the legacy
//! `/.well-known/aauth-agent`): the `issuer` check and `jwks_uri` extraction.
//!
//! The I/O layer fetches `{id}/.well-known/{dwk}` and hands the body here with the identifier it
//! fetched for; the returned `jwks_uri` is then fetched and passed to
//! [`crate::jwk::select_jwk`].
//!
//! Error mapping: a document that is too large, too deep, not a JSON object, or has a duplicate
//! `issuer`/`agent`/`jwks_uri` member → `invalid_key` (no key can be obtained from it);
//! `issuer` absent → `issuer_missing`; `issuer` not a string, or not equal → `issuer_mismatch`;
//! `jwks_uri` absent, not a string or holding a control character → `invalid_key`.

use crate::error::{err, Error, ErrorCode};
use crate::json::{self, JsonStr, Member, MembersSeed};

/// Largest metadata document accepted, in bytes (checked before parsing).
///
/// Spec: AAuth §Metadata Documents (no limit given; ours).
pub const MAX_METADATA_LEN: usize = 4096;

/// The members of a metadata document this crate uses; all others are ignored.
///
/// Spec: AAuth §Metadata Documents (`issuer`, `jwks_uri`); AAuth Jan 2026 §8.1 (legacy
/// `agent`); draft-hardt-httpbis-signature-key-09 §3.6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metadata<'a> {
    /// `issuer`: the identifier the document was fetched for.
    pub issuer: Option<JsonStr<'a>>,
    /// Legacy `agent` (January 2026 `{agent, jwks_uri}` documents).
    pub agent: Option<JsonStr<'a>>,
    /// `jwks_uri`: where the signer's JWKS lives.
    pub jwks_uri: Option<JsonStr<'a>>,
}

const NAMES: [&str; 3] = ["issuer", "agent", "jwks_uri"];

fn invalid(detail: &'static str) -> Error {
    err(ErrorCode::InvalidKey, detail)
}

fn parse_raw(json: &[u8]) -> Result<[Member<'_>; 3], Error> {
    let m = json::from_slice_seed(json, MAX_METADATA_LEN, MembersSeed { names: &NAMES }).map_err(
        |e| match e {
            json::JsonError::TooLarge => invalid("metadata document too large"),
            json::JsonError::TooDeep => invalid("metadata document nested too deeply"),
            json::JsonError::Syntax => invalid("malformed metadata document"),
        },
    )?;
    if m.duplicate {
        return Err(invalid("metadata document has a duplicate member"));
    }
    Ok(m.values)
}

/// Parses a metadata document (a JSON object of at most [`MAX_METADATA_LEN`] bytes).
///
/// Unknown members are ignored; a duplicate `issuer`/`agent`/`jwks_uri`, or one holding a
/// control character once unescaped → `invalid_key`;
/// `issuer` or `agent` present but not a string → `issuer_mismatch`; `jwks_uri` present but not
/// a string → `invalid_key`.
///
/// Spec: AAuth §Metadata Documents; RFC 8414 §3.2 (metadata response members).
pub fn parse_metadata(json: &[u8]) -> Result<Metadata<'_>, Error> {
    let [issuer, agent, jwks_uri] = parse_raw(json)?;
    let string = |m: Member<'_>| -> bool { !matches!(m, Member::NotStr) };
    if !string(issuer) || !string(agent) {
        return Err(err(
            ErrorCode::IssuerMismatch,
            "metadata issuer is not a string",
        ));
    }
    if !string(jwks_uri) {
        return Err(invalid("metadata jwks_uri is not a string"));
    }
    if [issuer, agent, jwks_uri]
        .iter()
        .filter_map(Member::as_str)
        .any(|s| s.has_control())
    {
        return Err(invalid("metadata member contains a control character"));
    }
    Ok(Metadata {
        issuer: issuer.as_str(),
        agent: agent.as_str(),
        jwks_uri: jwks_uri.as_str(),
    })
}

/// Checks that a metadata document names `expected` as its issuer and returns its `jwks_uri`.
///
/// * `issuer` absent → `issuer_missing`; with `allow_legacy_agent`, a document without `issuer`
///   is checked on its legacy `agent` member instead (and is `issuer_missing` if it has neither).
/// * The (JSON-unescaped) value must equal `expected` byte for byte (no case folding, no
///   trailing-slash normalisation) → else `issuer_mismatch`.
/// * `jwks_uri` absent, not a string, or holding a control character once unescaped →
///   `invalid_key` (the host fetches it).
///
/// The returned `jwks_uri` is still JSON-escaped text: use [`JsonStr::decode_into`] before
/// fetching it (`https:\/\/…` is legal JSON).
///
/// Spec: AAuth §Metadata Documents (issuer REQUIRED, equal to the fetch URL minus
/// `/.well-known/{dwk}`); draft-hardt-httpbis-signature-key-09 §3.6, §5.4 (`issuer_missing`,
/// `issuer_mismatch`).
pub fn check_issuer<'a>(
    json: &'a [u8],
    expected: &[u8],
    allow_legacy_agent: bool,
) -> Result<JsonStr<'a>, Error> {
    let [issuer, agent, jwks_uri] = parse_raw(json)?;
    let named = match (issuer, agent) {
        (Member::Absent, a) if allow_legacy_agent && a.is_present() => a,
        (i, _) => i,
    };
    match named {
        Member::Absent => return Err(err(ErrorCode::IssuerMissing, "metadata has no issuer")),
        Member::NotStr => {
            return Err(err(
                ErrorCode::IssuerMismatch,
                "metadata issuer is not a string",
            ))
        }
        Member::Str(s) => {
            if !s.eq_bytes(expected) {
                return Err(err(
                    ErrorCode::IssuerMismatch,
                    "metadata issuer differs from the identifier",
                ));
            }
        }
    }
    let uri = jwks_uri
        .as_str()
        .ok_or(invalid("metadata jwks_uri missing or not a string"))?;
    if uri.has_control() {
        return Err(invalid("metadata jwks_uri contains a control character"));
    }
    Ok(uri)
}
