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

use crate::error::{err, Check, Error, ErrorCode};
use crate::json::{self, Member, MembersSeed};
use crate::text::Text;

/// Largest metadata document accepted, in bytes (checked before parsing).
///
/// Spec: AAuth §Metadata Documents (no limit given; ours).
pub const MAX_METADATA_LEN: usize = 4096;

const NAMES: [&str; 3] = ["issuer", "agent", "jwks_uri"];

fn invalid(check: Check) -> Error {
    err(ErrorCode::InvalidKey, check)
}

fn parse_raw(json: &[u8]) -> Result<[Member<'_>; 3], Error> {
    let m = json::from_slice_seed(json, MAX_METADATA_LEN, MembersSeed { names: &NAMES }).map_err(
        |e| match e {
            json::JsonError::TooLarge => invalid(Check::MetadataTooLarge),
            json::JsonError::TooDeep => invalid(Check::MetadataTooDeep),
            json::JsonError::Syntax => invalid(Check::MetadataMalformed),
        },
    )?;
    if m.duplicate {
        return Err(invalid(Check::MetadataDuplicate));
    }
    Ok(m.values)
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
/// The returned `jwks_uri` may still be JSON-escaped: use [`Text::decode_into`] before
/// fetching it (`https:\/\/…` is legal JSON).
///
/// Spec: AAuth §Metadata Documents (issuer REQUIRED, equal to the fetch URL minus
/// `/.well-known/{dwk}`); draft-hardt-httpbis-signature-key-09 §3.6, §5.4 (`issuer_missing`,
/// `issuer_mismatch`).
pub fn check_issuer<'a>(
    json: &'a [u8],
    expected: &[u8],
    allow_legacy_agent: bool,
) -> Result<Text<'a>, Error> {
    let [issuer, agent, jwks_uri] = parse_raw(json)?;
    let named = match (issuer, agent) {
        (Member::Absent, a) if allow_legacy_agent && a.is_present() => a,
        (i, _) => i,
    };
    match named {
        Member::Absent => return Err(err(ErrorCode::IssuerMissing, Check::IssuerAbsent)),
        Member::NotStr => return Err(err(ErrorCode::IssuerMismatch, Check::IssuerNotString)),
        Member::Str(s) => {
            if !s.eq_bytes(expected) {
                return Err(err(ErrorCode::IssuerMismatch, Check::IssuerDiffers));
            }
        }
    }
    let uri = jwks_uri.as_str().ok_or(invalid(Check::JwksUriNotString))?;
    if uri.has_control() {
        return Err(invalid(Check::MetadataControl));
    }
    Ok(Text::from(uri))
}
