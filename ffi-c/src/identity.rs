//! What the verifier reports: the plan of phase 1 (`aauth_plan`, from the core's `Fetch`) and
//! the verified identity (`aauth_identity`, from the core's `Verified`). Both are copies of the
//! core's values; nothing here decides or derives anything.

use core::ffi::c_char;

use core_verify::{Fetch, Parsed, Verified};

use crate::policy::aauth_scheme;
use crate::text::{aauth_slice, aauth_text};

/// What the host must obtain before `aauth_verifier_finish`, as the core decides it
/// (`aauth_plan.fetch`).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11; AAuth §JWKS Discovery and Caching.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_fetch {
    /// Nothing: the request carries its key (`hwk`, `jkt-jwt`). Finish with
    /// `AAUTH_KEY_INLINE`.
    Nothing = 0,
    /// No `Signature-Key`: a key the host holds (plain RFC 9421), selected by `kid` (the
    /// `keyid` parameter) when one was sent. Finish with `AAUTH_KEY_RAW`, `AAUTH_KEY_JWK` or a
    /// JWKS (`AAUTH_KEY_TRUSTED_JWKS`).
    CallerKey = 1,
    /// The metadata document at `{origin}/.well-known/{dwk}` (`aauth_verifier_metadata_url`),
    /// whose `issuer` must equal `origin`, then the JWKS at its `jwks_uri`
    /// (`aauth_verifier_check_metadata` returns it); the key is `kid`. Finish with
    /// `AAUTH_KEY_DOCUMENTS` (both documents), or `AAUTH_KEY_TRUSTED_JWKS` / a key the host's
    /// configuration holds for `origin`. (`jwks_uri`, legacy `jwks` with `id`, `jwt` and
    /// `self-jwt`, where `origin` is the token's `iss`.)
    Metadata = 2,
    /// The JWKS at `url`; the key is `kid` (`jwks`, legacy `jwks` with `jwks=`). Finish with
    /// `AAUTH_KEY_DOCUMENTS` (no metadata) or `AAUTH_KEY_TRUSTED_JWKS`.
    Jwks = 3,
    /// The assertion the host cached under `cid` (`cached`): resolve it and call
    /// `aauth_verifier_resolve_assertion`, or answer `aauth_verifier_cache_miss`.
    Assertion = 4,
}

/// The plan of a parsed signature: what to fetch, and the texts it names (the core's `Fetch`).
///
/// | `fetch` | members set |
/// |---|---|
/// | `AAUTH_FETCH_NOTHING` | — (`inline_key` for `hwk`) |
/// | `AAUTH_FETCH_CALLER_KEY` | `kid` (the `keyid` parameter, when sent) |
/// | `AAUTH_FETCH_METADATA` | `origin`, `dwk`, `kid`, `signer` (= `origin`) |
/// | `AAUTH_FETCH_JWKS` | `url`, `kid`, `signer` (= `url`) |
/// | `AAUTH_FETCH_ASSERTION` | `cid` |
///
/// For the token schemes the texts come from the decoded token (not verified yet: use them
/// only to find the issuer's keys) and point into the verifier; see `aauth_text`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11, §7.2.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_plan {
    /// What to fetch: an `aauth_fetch` value.
    pub fetch: aauth_fetch,
    /// The `Signature-Key` scheme of the signature (`AAUTH_SCHEME_NONE` without one).
    pub scheme: aauth_scheme,
    /// The identifier whose metadata to fetch: `id`, or the token's `iss`.
    pub origin: aauth_text,
    /// The well-known document name.
    pub dwk: aauth_text,
    /// The JWKS URL.
    pub url: aauth_text,
    /// The key to select: `kid`, the token header `kid`, or the `keyid` parameter.
    pub kid: aauth_text,
    /// The cache identifier to resolve.
    pub cid: aauth_text,
    /// Who the keys belong to (what a host caches them under and rate-limits refetches by):
    /// `origin` or `url`.
    pub signer: aauth_text,
    /// Whether `inline_key` holds the `hwk` key (its curve point is checked by finish).
    pub has_inline_key: bool,
    /// The inline Ed25519 public key (`hwk`).
    pub inline_key: [u8; 32],
}

impl aauth_plan {
    /// The C form of the core's plan for `p`.
    pub(crate) fn of(p: &Parsed<'_>) -> aauth_plan {
        let f = p.fetch();
        let mut plan = aauth_plan {
            fetch: aauth_fetch::Nothing,
            scheme: p.scheme().into(),
            origin: aauth_text::ABSENT,
            dwk: aauth_text::ABSENT,
            url: aauth_text::ABSENT,
            kid: aauth_text::of(f.kid()),
            cid: aauth_text::ABSENT,
            signer: aauth_text::of(f.signer()),
            has_inline_key: false,
            inline_key: [0; 32],
        };
        if let Some(k) = p.inline_key() {
            plan.has_inline_key = true;
            plan.inline_key = *k.x();
        }
        match f {
            Fetch::Nothing => {}
            Fetch::CallerKey { .. } => plan.fetch = aauth_fetch::CallerKey,
            Fetch::Metadata { origin, dwk, .. } => {
                plan.fetch = aauth_fetch::Metadata;
                plan.origin = aauth_text::of(Some(origin));
                plan.dwk = aauth_text::of(Some(dwk));
            }
            Fetch::Jwks { url, .. } => {
                plan.fetch = aauth_fetch::Jwks;
                plan.url = aauth_text::of(Some(url));
            }
            Fetch::Assertion { cid } => {
                plan.fetch = aauth_fetch::Assertion;
                plan.cid = aauth_text::of(Some(cid));
            }
        }
        plan
    }
}

/// Length of `aauth_identity.thumbprint` (and `replay_key_text`) without its NUL terminator.
pub const AAUTH_THUMBPRINT_LEN: usize = 43;

/// The verified identity, written on success: the core's `Identity` (agent, issuer, subject,
/// kid, scheme), the thumbprint, the signature parameters, the token, the replay key and the
/// cache grant. The C layer copies them; it derives nothing.
///
/// | scheme | `agent` | `issuer` | `subject` | `kid` |
/// |---|---|---|---|---|
/// | none (a key the host holds), `hwk` | — | — | — | `keyid` |
/// | `jwks_uri` | `id` | `id` | — | `kid` |
/// | `jwks` | `url` | `url` | — | `kid` |
/// | legacy `jwks` | `id`, else the `jwks` URL | the same | — | `kid` |
/// | `jwt` | `sub` | `iss` | `sub` | JWT header `kid` |
/// | `jkt-jwt` | `iss` (`urn:jkt:…`) | `iss` | — | JWT header `kid` |
/// | `self-jwt` | `iss` | `iss` | `sub` | JWT header `kid` |
/// | `cached` | as the `jwt` or `jkt-jwt` it stands for | | | |
///
/// Lifetime: slices and header texts point into the request memory, token texts into the
/// verifier (see `aauth_text`); the arrays are copies.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11, §6, §8.1; AAuth §Agent Identity,
/// §Freshness and Replay.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_identity {
    /// The `Signature-Key` scheme (`AAUTH_SCHEME_NONE`: key supplied by the caller).
    pub scheme: aauth_scheme,
    /// The label of the verified signature.
    pub label: aauth_slice,
    /// The signer's identity: the agent (see the table).
    pub agent: aauth_text,
    /// The issuer that vouches for the key.
    pub issuer: aauth_text,
    /// The token's `sub`.
    pub subject: aauth_text,
    /// The key id.
    pub kid: aauth_text,
    /// The RFC 7638 SHA-256 thumbprint of `public_key`, unpadded base64url, NUL-terminated
    /// (43 characters).
    pub thumbprint: [c_char; 44],
    /// The Ed25519 public key that verified the request (for `jwt` and `jkt-jwt`: `cnf.jwk`;
    /// for `self-jwt`: the issuer key).
    pub public_key: [u8; 32],
    /// Whether a token carried the key (`jwt`, `jkt-jwt`, `self-jwt`, `cached`).
    pub has_token: bool,
    /// The scheme the token was presented under (`jwt`, `jkt-jwt`, `self-jwt`; for `cached`
    /// the scheme it was cached under); `AAUTH_SCHEME_NONE` without a token.
    pub token_scheme: aauth_scheme,
    /// The token's `typ` (e.g. `aa-agent+jwt`).
    pub token_type: aauth_text,
    /// The key that verified the token (issuer key, or the `jkt-jwt` header key); zero
    /// without a token.
    pub token_key: [u8; 32],
    /// The `nonce` signature parameter.
    pub nonce: aauth_text,
    /// The `tag` signature parameter.
    pub tag: aauth_text,
    /// Whether `created` is set.
    pub has_created: bool,
    /// `created`, seconds since the epoch.
    pub created: i64,
    /// Whether `expires` is set.
    pub has_expires: bool,
    /// `expires`, seconds since the epoch.
    pub expires: i64,
    /// Whether the replay key was computed (`aauth_verifier_set_replay` with
    /// `AAUTH_REPLAY_KEY` or `AAUTH_REPLAY_STORE`).
    pub has_replay_key: bool,
    /// The replay key: SHA-256 over the request key and the signature base. A host with its
    /// own store records it (atomically, insert-if-absent) until `replay_until` and refuses a
    /// second request with the same key as `AAUTH_RESULT_INVALID_SIGNATURE`.
    pub replay_key: [u8; 32],
    /// The replay key as 43 characters of unpadded base64url, NUL-terminated (a text key).
    pub replay_key_text: [c_char; 44],
    /// The last second (since the epoch) at which the same request would still be accepted:
    /// remember the key until then.
    pub replay_until: i64,
    /// The signer asked for a cache identifier for its assertion (`;cache` on a `jwt` or
    /// `jkt-jwt` with a `jti`): store `cache_assertion` under the identifier
    /// `aauth_verifier_issue_cid` issues, and send its `Signature-Key-Cache` value.
    pub cache_requested: bool,
    /// The scheme the assertion was presented under (`jwt` or `jkt-jwt`): store it with it.
    pub cache_scheme: aauth_scheme,
    /// The compact assertion to store (points into the request).
    pub cache_assertion: aauth_slice,
    /// The token's `jti`.
    pub cache_jti: aauth_text,
    /// The token's `exp`: the identifier must not be honoured past it.
    pub cache_exp: i64,
}

/// Copies 43 ASCII characters into a NUL-terminated C array.
fn c_chars(text: &[u8]) -> [c_char; 44] {
    let mut out = [0 as c_char; 44];
    for (dst, src) in out.iter_mut().zip(text.iter().take(AAUTH_THUMBPRINT_LEN)) {
        *dst = *src as c_char;
    }
    out
}

impl aauth_identity {
    /// The C identity of a verified request.
    pub(crate) fn of(v: &Verified<'_>) -> aauth_identity {
        let id = &v.identity;
        let token = v.token.as_ref();
        let replay = v.replay.as_ref();
        let cache = v.cache.as_ref();
        aauth_identity {
            scheme: id.scheme.into(),
            label: aauth_slice::of(v.label),
            agent: aauth_text::of(id.agent),
            issuer: aauth_text::of(id.issuer),
            subject: aauth_text::of(id.subject),
            kid: aauth_text::of(id.kid),
            thumbprint: c_chars(v.thumbprint().as_bytes()),
            public_key: *v.key.x(),
            has_token: token.is_some(),
            token_scheme: token.map(|t| t.scheme).into(),
            token_type: aauth_text::of(token.map(|t| t.typ)),
            token_key: token.map_or([0; 32], |t| *t.issuer_key.x()),
            nonce: aauth_text::of(v.params.nonce),
            tag: aauth_text::of(v.params.tag),
            has_created: v.params.created.is_some(),
            created: v.params.created.unwrap_or(0),
            has_expires: v.params.expires.is_some(),
            expires: v.params.expires.unwrap_or(0),
            has_replay_key: replay.is_some(),
            replay_key: replay.map_or([0; 32], |r| r.digest),
            replay_key_text: replay.map_or([0; 44], |r| c_chars(&r.to_b64())),
            replay_until: replay.map_or(0, |r| r.until),
            cache_requested: cache.is_some(),
            cache_scheme: cache.map(|c| c.scheme).into(),
            cache_assertion: aauth_slice::of_opt(cache.map(|c| c.assertion)),
            cache_jti: aauth_text::of(cache.map(|c| c.jti)),
            cache_exp: cache.map_or(0, |c| c.exp),
        }
    }
}
