//! One-shot verification: parse and finish in one call, for hosts that already hold the key
//! material the plan will name (the request's own key, a trust store, documents fetched
//! earlier). Thin wrappers over `aauth_verifier_parse` and `aauth_verifier_finish`.

use crate::identity::aauth_identity;
use crate::key::{aauth_key_source, HostKey};
use crate::policy::aauth_policy;
use crate::ptr::{check_out, opt_bytes, req_bytes, try_ref, write_out};
use crate::request::aauth_request;
use crate::result::aauth_result;
use crate::state::{aauth_verifier, verifier};
use crate::verifier::finish_session;

/// Parse and finish on one verifier.
///
/// # Safety
///
/// As for the public one-shot functions.
unsafe fn one_shot(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    key: Result<HostKey<'_>, aauth_result>,
    out: *mut aauth_identity,
) -> aauth_result {
    let key = tri!(key);
    // SAFETY: our contract.
    let c_req = tri!(unsafe { try_ref(request) });
    // SAFETY: our contract.
    let c_policy = tri!(unsafe { try_ref(policy) });
    let out = tri!(check_out(out));
    // SAFETY: our contract.
    let inner = tri!(unsafe { self::verifier(verifier) });
    // SAFETY: the request and policy stay valid for this call; a later call on the verifier
    // (its documented use after a one-shot call) needs them valid, as after a parse.
    let identity =
        tri!(unsafe { inner.parse_then(c_req, c_policy, now, |s| finish_session(s, key)) });
    // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
    unsafe { write_out(out, identity) };
    aauth_result::Ok
}

/// Verifies a request in one call: `aauth_verifier_parse`, then `aauth_verifier_finish` with
/// `*source`, using `verifier` as workspace (its signature is reset; afterwards it holds the
/// parsed signature, as after `aauth_verifier_parse`; attached stores and the revocation
/// check apply). The plan is not reported: the source must fit it (the core refuses one that
/// does not, e.g. `AAUTH_RESULT_UNKNOWN_KEY`), and a `cached` signature, which needs its
/// assertion resolved between the phases, is `AAUTH_RESULT_INVALID_REQUEST`.
///
/// `request`, `policy` and `source` are read during the call; on success `*out_identity` is
/// written (see `aauth_text` for lifetimes: token values point into `verifier`). Reentrant
/// and thread-safe for distinct verifiers; never allocates.
///
/// Spec: RFC 9421 §3.2; draft-hardt-httpbis-signature-key-09 §3.4–§3.9.
///
/// # Safety
///
/// `verifier` NULL or zeroed/initialised and writable; `request` and `policy` NULL or readable
/// (with every slice they contain readable for its length); `source` as for
/// `aauth_verifier_finish`; `out_identity` NULL or writable for one `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    source: *const aauth_key_source,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `source`.
        let key = unsafe { HostKey::of(source) };
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}

/// Verifies a request whose key it carries (`hwk`, `jkt-jwt`), in one call: `aauth_verify`
/// with `AAUTH_KEY_KIND_INLINE`. Returns `AAUTH_RESULT_UNKNOWN_KEY` when the key is not inline.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4, §3.5.
///
/// # Safety
///
/// As for `aauth_verify` (without `source`).
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_inline(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        let key = Ok(HostKey::Inline);
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}

/// Verifies a request with a raw 32-byte Ed25519 key from the caller's trust store, in one
/// call: `aauth_verify` with `AAUTH_KEY_KIND_RAW_KEY`. For `jwt` and `self-jwt` it is the
/// token issuer's key. Returns `AAUTH_RESULT_INVALID_PARAMETER` if `key_len` is not 32,
/// `AAUTH_RESULT_INVALID_KEY` if the bytes are not a valid, non-small-order point.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.1; RFC 8032 §5.1.3.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_raw_key(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    key: *const u8,
    key_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `key`.
        let key = unsafe { req_bytes(key, key_len) }.and_then(|k| {
            k.try_into()
                .map(HostKey::Raw)
                .map_err(|_| aauth_result::InvalidParameter)
        });
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}

/// Verifies a request with one JWK from the caller, in one call: `aauth_verify` with
/// `AAUTH_KEY_KIND_JWK` (checked under the policy's key rules; for token schemes the issuer's
/// key).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.3; RFC 7517 §4.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `jwk` readable for `jwk_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_jwk(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    jwk: *const u8,
    jwk_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `jwk`.
        let key = unsafe { req_bytes(jwk, jwk_len) }.map(HostKey::Jwk);
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}

/// Verifies a request against documents the caller fetched (`aauth_verify` with
/// `AAUTH_KEY_KIND_DOCUMENTS`): the JWKS, and the signer's (or token issuer's) metadata
/// document, which an `AAUTH_FETCH_METADATA` plan requires (without it:
/// `AAUTH_RESULT_UNKNOWN_KEY`) and other plans ignore (NULL). For a JWKS your configuration
/// trusts without a metadata document, use `aauth_verify_with_trusted_jwks`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6–§3.9; AAuth §Metadata Documents.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `jwks` readable for `jwks_len` bytes; `metadata` NULL or
/// readable for `metadata_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_jwks(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    jwks: *const u8,
    jwks_len: usize,
    metadata: *const u8,
    metadata_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `jwks` and `metadata`.
        let key = unsafe { req_bytes(jwks, jwks_len) }.and_then(|jwks| {
            // SAFETY: our contract for `metadata`.
            let metadata = unsafe { opt_bytes(metadata, metadata_len) }?;
            Ok(HostKey::Documents { metadata, jwks })
        });
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}

/// Verifies a request against a JWKS the caller's configuration trusts for the signer the
/// plan names (a static trust store; `aauth_verify` with `AAUTH_KEY_KIND_TRUSTED_JWKS`): no
/// metadata document is checked, the key is selected by the plan's `kid`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.2; RFC 7517 §5.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `jwks` readable for `jwks_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_trusted_jwks(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    jwks: *const u8,
    jwks_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `jwks`.
        let key = unsafe { req_bytes(jwks, jwks_len) }.map(HostKey::Trusted);
        // SAFETY: our contract.
        unsafe { one_shot(verifier, request, policy, now, key, out_identity) }
    })
}
