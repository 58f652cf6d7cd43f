//! The two-phase verifier: `aauth_verifier_parse` (phase 1, the core's plan), the steps a host
//! may take between the phases (the metadata URL and check, the signature base), one
//! `aauth_verifier_finish` for every scheme, and what a failure leaves (check, refetch, detail).

use core::ffi::c_void;

use core_verify::{CountingSink, Error, Fetch};

use crate::identity::{aauth_identity, aauth_plan};
use crate::key::{aauth_key_source, HostKey};
use crate::policy::aauth_policy;
use crate::ptr::{check_out, copy_out, fill, rendered, req_bytes, try_ref, write_out};
use crate::request::aauth_request;
use crate::result::{aauth_result, error_code_of};
use crate::state::{aauth_revoked_fn, aauth_verifier, reset, verifier, Fail, Grant, Session};
use crate::text::aauth_slice;

/// Initialises (or resets) a verifier to the fresh state: no signature, no last error, no
/// token cache, replay off, no revocation check. Zeroed memory is also fresh, so
/// `aauth_verifier v = {0};` works too.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `verifier` is NULL. Thread-safe for distinct
/// verifiers.
///
/// Spec: none (library state).
///
/// # Safety
///
/// `verifier` is NULL or points to writable memory for one `aauth_verifier`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_init(verifier: *mut aauth_verifier) -> aauth_result {
    ffi_boundary!({
        let v = tri!(check_out(verifier));
        // SAFETY: non-NULL, aligned (checked), writable per our contract.
        unsafe { reset(v) };
        aauth_result::Ok
    })
}

/// Phase 1: runs every check that needs no key material (signature headers, label, covered
/// and required components, freshness against `now`, scheme allowlist, inline key, and for
/// the token schemes the token's offline checks, the token decoded once into the verifier)
/// and writes into `*out_plan` what the host must fetch next, as the core decides it.
///
/// * `verifier`: caller storage, zeroed or initialised. Its signature and last error are
///   reset first (attached stores and the revocation check stay); on success it holds the
///   parsed signature, on failure only the failure (`aauth_verifier_last_check`).
/// * `request`, `policy`: the verifier keeps copies of these two structs (not of the bytes):
///   the request's bytes and header array, and the policy's lists and label, must stay valid
///   and unchanged until the last call on this verifier.
/// * `now`: the verifier's clock, seconds since the Unix epoch (kept for phase 2).
/// * `out_plan`: written only on success; see `aauth_plan` and `aauth_text` for its texts.
///
/// Returns `AAUTH_RESULT_OK`, a verification failure (1–14) to send back with
/// `aauth_signature_error`, or an API error (1000+). Reentrant; thread-safe for distinct
/// verifiers. Never allocates.
///
/// Spec: RFC 9421 §3.2 steps 1–6; AAuth §Verification steps 1–5;
/// draft-hardt-httpbis-signature-key-09 §3 (label binding), §5.4.
///
/// # Safety
///
/// Each pointer is NULL or valid: `verifier` for reads and writes of one `aauth_verifier`,
/// `request` and `policy` for reads (with every slice they contain readable for its length),
/// `out_plan` for a write of one `aauth_plan`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_parse(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out_plan: *mut aauth_plan,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `request`.
        let c_req = tri!(unsafe { try_ref(request) });
        // SAFETY: our contract for `policy`.
        let c_policy = tri!(unsafe { try_ref(policy) });
        let out = tri!(check_out(out_plan));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        // SAFETY: our contract: the request and policy stay valid until the last call.
        let plan = tri!(unsafe {
            inner.parse_then(c_req, c_policy, now, |s| Ok(aauth_plan::of(&s.parsed)))
        });
        // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
        unsafe { write_out(out, plan) };
        aauth_result::Ok
    })
}

/// Writes the plan of the parsed signature into `*out_plan` again (as `aauth_verifier_parse`
/// did, or the resolved assertion's after `aauth_verifier_resolve_assertion`).
///
/// Returns `AAUTH_RESULT_INVALID_STATE` before a successful parse. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request and policy still valid);
/// `out_plan` NULL or writable for one `aauth_plan`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_plan(
    verifier: *mut aauth_verifier,
    out_plan: *mut aauth_plan,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_plan));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let plan = tri!(inner.session(|s| Ok(aauth_plan::of(&s.parsed))));
        // SAFETY: `out` is checked.
        unsafe { write_out(out, plan) };
        aauth_result::Ok
    })
}

/// The plan is `Metadata`, or the call does not apply.
fn metadata_plan(s: &Session<'_, '_>) -> Result<(), Fail> {
    match s.parsed.fetch() {
        Fetch::Metadata { .. } => Ok(()),
        _ => Err(Fail::Api(aauth_result::InvalidState)),
    }
}

/// Writes the URL of the metadata document an `AAUTH_FETCH_METADATA` plan names,
/// `{origin}/.well-known/{dwk}` (unescaped, not NUL-terminated), into `buf` and sets `*out_n`
/// to its length. The host fetches it under its own egress rules.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` before a successful parse or for another plan,
/// `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written) when it does not fit. Never
/// allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6 step 1; RFC 8615 §3.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `buf` writable for `buf_len` bytes (may be NULL
/// if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_metadata_url(
    verifier: *mut aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let write = |buf: &mut [u8]| {
            // SAFETY: our contract for `verifier`.
            let inner = unsafe { self::verifier(verifier) }?;
            inner.session(|s| {
                metadata_plan(&s)?;
                Ok(rendered(s.parsed.fetch().metadata_url(buf))?)
            })
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Checks the metadata document of an `AAUTH_FETCH_METADATA` plan (the body fetched from
/// `aauth_verifier_metadata_url`): its `issuer` must equal the plan's `origin`, byte for byte.
/// On success copies its `jwks_uri` (JSON-unescaped, not NUL-terminated) into `buf` and sets
/// `*out_n` to its length: the JWKS to fetch next. Then finish with `AAUTH_KEY_KIND_DOCUMENTS`
/// and both documents (the metadata is checked again there), or with
/// `AAUTH_KEY_KIND_TRUSTED_JWKS` when the host keeps what it checked.
///
/// Returns `AAUTH_RESULT_ISSUER_MISSING`, `AAUTH_RESULT_ISSUER_MISMATCH` or
/// `AAUTH_RESULT_INVALID_KEY` for a bad document, `AAUTH_RESULT_INSUFFICIENT_SIZE` when
/// `jwks_uri` does not fit (`*out_n` not written), `AAUTH_RESULT_INVALID_STATE` before a
/// successful parse or for another plan. `metadata` is read during this call only. Never
/// allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6 steps 2–4, §3.8 step 5; AAuth §Metadata
/// Documents.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `metadata` readable for `metadata_len` bytes;
/// `buf` writable for `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_check_metadata(
    verifier: *mut aauth_verifier,
    metadata: *const u8,
    metadata_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `metadata`.
        let doc = tri!(unsafe { req_bytes(metadata, metadata_len) });
        let write = |buf: &mut [u8]| {
            // SAFETY: our contract for `verifier`.
            let inner = unsafe { self::verifier(verifier) }?;
            inner.session(|s| {
                metadata_plan(&s)?;
                let uri = s.parsed.check_metadata(doc, s.policy)?;
                uri.decode_into(buf)
                    .map(<[u8]>::len)
                    .ok_or(Fail::Api(aauth_result::InsufficientSize))
            })
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Phase 2 on a parsed signature: the key from `key`, the core's finish, the identity (and
/// the cache grant kept for `aauth_verifier_issue_cid`).
pub(crate) fn finish_session(s: Session<'_, '_>, key: HostKey<'_>) -> Result<aauth_identity, Fail> {
    let Session {
        parsed,
        req,
        policy,
        mut ctx,
        body,
    } = s;
    body.grant = None;
    key.with_source(policy, |source| {
        let v = parsed.finish(req, policy, source, &mut ctx)?;
        body.grant = v.cache.map(|g| Grant {
            scheme: g.scheme,
            exp: g.exp,
            assertion: aauth_slice::of(g.assertion),
        });
        Ok(aauth_identity::of(&v))
    })
}

/// Phase 2, for every scheme: takes the key from `*source` (the core checks that it fits the
/// plan), verifies the token's JWS for the token schemes (skipped when the attached token
/// cache recorded this token under the same key), applies the revocation check, checks a
/// covered `Content-Digest` against the body, verifies the Ed25519 signature over the streamed
/// signature base and applies the replay mode. On success writes `*out_identity` (see
/// `aauth_identity` and `aauth_text` for lifetimes).
///
/// The verifier stays parsed: finish may be called again, e.g. after a failure whose
/// `aauth_verifier_last_refetch` is true, with refetched keys (at most once per signer per
/// minute: that rate is the host's). For the `cached` scheme, resolve the assertion first.
/// `source` and its documents are read during this call only. Never allocates.
///
/// Spec: RFC 9421 §3.2 steps 7–8; RFC 9530 §2; draft-hardt-httpbis-signature-key-09
/// §3.4–§3.11, §5.4.8, §5.4.13, §7.2; AAuth §Verification steps 5–7, §Freshness and Replay.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `source` NULL or readable, with the slices its
/// kind uses readable for their lengths; `out_identity` NULL or writable for one
/// `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish(
    verifier: *mut aauth_verifier,
    source: *const aauth_key_source,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `source`.
        let key = tri!(unsafe { HostKey::of(source) });
        let out = tri!(check_out(out_identity));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.set_pending(None);
        let identity = tri!(inner.session(|s| finish_session(s, key)));
        inner.clear_last();
        // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
        unsafe { write_out(out, identity) };
        aauth_result::Ok
    })
}

/// Copies the signature base (RFC 9421 §2.5) of the parsed signature into `buf` and sets
/// `*out_n` to its length (for logging and debugging; not NUL-terminated).
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (nothing written) when it does not fit; a
/// verification failure if a covered component cannot be produced;
/// `AAUTH_RESULT_INVALID_STATE` before a successful parse. Never allocates.
///
/// Spec: RFC 9421 §2.5.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `buf` writable for `buf_len` bytes (may be NULL
/// if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_signature_base(
    verifier: *mut aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let write = |buf: &mut [u8]| {
            // SAFETY: our contract for `verifier`.
            let inner = unsafe { self::verifier(verifier) }?;
            inner.session(|s| {
                let mut count = CountingSink::default();
                s.parsed.write_base(s.req, &mut count)?;
                if count.count > buf.len() {
                    return Err(Fail::Api(aauth_result::InsufficientSize));
                }
                Ok(s.parsed.base_into(s.req, buf)?.len())
            })
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Copies the English description of the verifier's last failure (`Check::detail`: which
/// check failed; never request bytes, safe to log; the same text as
/// `aauth_check_detail(last check)`) into `buf` and sets `*out_n` to its length (0 when there
/// was none). Not NUL-terminated.
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written) when it does not fit; 128
/// bytes always suffice. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.2 (the Problem Details `detail`).
///
/// # Safety
///
/// `verifier` NULL or zeroed or initialised, readable and writable; `buf` writable for
/// `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_detail(
    verifier: *mut aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let write = |buf: &mut [u8]| {
            // SAFETY: our contract for `verifier`.
            let inner = unsafe { self::verifier(verifier) }?;
            copy_out(inner.last().map_or("", |e| e.detail()).as_bytes(), buf)
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Writes into `*out_check` the number of the check behind the verifier's last verification
/// failure (the core's stable `Check` number; `aauth_check_name` and `aauth_check_detail`
/// name it), or 0 when there is none: the failure of the last parse, metadata check, resolve,
/// cache miss or finish, forgotten by a successful parse, resolve or finish.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` for a NULL pointer. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4 (which rule refused the request).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_detail`; `out_check` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_last_check(
    verifier: *mut aauth_verifier,
    out_check: *mut u16,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_check));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let n = inner.last().map_or(0, |e| e.check as u16);
        // SAFETY: `out` is checked.
        unsafe { write_out(out, n) };
        aauth_result::Ok
    })
}

/// Writes into `*out_refetch` whether the verifier's last failure used a key from the host (a
/// fetched, cached or configured JWKS or key) that lacked the requested `kid` or did not
/// verify: refetching the signer's keys once (key rotation) and finishing again may help.
/// False for keys the request carries and when there was no failure.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` for a NULL pointer. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.8, §7.2 (refresh once before
/// `unknown_key`).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_detail`; `out_refetch` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_last_refetch(
    verifier: *mut aauth_verifier,
    out_refetch: *mut bool,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_refetch));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let refetch = inner.last().is_some_and(|e| e.refetch);
        // SAFETY: `out` is checked.
        unsafe { write_out(out, refetch) };
        aauth_result::Ok
    })
}

/// Records a refusal the host decided itself, outside the library's checks (its resolver could
/// not obtain the signer's keys, the signer is not in its trust store, its own policy refused),
/// as the verifier's last failure, and returns `result`: `aauth_verifier_last_check` then names
/// the core's check for it (`key_unavailable` for `AAUTH_RESULT_UNKNOWN_KEY`, `cache_missed`,
/// `revoked`, else `host_refused`), so that the detail and Problem Details describe it like any
/// other failure.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` (and records nothing) when `result` is not a
/// verification failure (1–14). Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4 (the codes), §7.2 (key retrieval).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_detail`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_host_refusal(
    verifier: *mut aauth_verifier,
    result: u32,
) -> aauth_result {
    ffi_boundary!({
        let Some(code) = error_code_of(result) else {
            return aauth_result::InvalidParameter;
        };
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.record(Error::from_host(code))
    })
}

/// Sets the verifier's revocation check (NULL `revoked` clears it): in phase 2, after a
/// token's JWS verified, the core calls `revoked(ctx, iss, iss_len, jti, jti_len)` with the
/// token's unescaped `iss` and `jti`; true refuses the request as
/// `AAUTH_RESULT_REVOKED_JWT`. Tokens without a `jti` are not checked. It stays set across
/// parses until `aauth_verifier_init`.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `verifier` is NULL. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.13; AAuth §Token Revocation.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_detail`. `revoked` is NULL or a function that may be
/// called with `ctx` from any later finish on this verifier (on the thread making the call),
/// as long as it is set; it must not call into this verifier.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_set_revocation(
    verifier: *mut aauth_verifier,
    revoked: aauth_revoked_fn,
    ctx: *mut c_void,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.set_revocation(revoked, ctx);
        aauth_result::Ok
    })
}
