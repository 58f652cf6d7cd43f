//! Phase 2 before the body is read (the core's `finish_before_body`): a gateway refuses a
//! forged request on its headers, before it reads, buffers or spools a large body, then feeds
//! the body as it arrives (`aauth_verifier_body_update`) and learns the verdict on the covered
//! `Content-Digest` (`aauth_verifier_body_finish`). The identity is written only then: nothing
//! verified is readable before the body check passes.

use crate::identity::aauth_identity;
use crate::key::{aauth_key_source, HostKey};
use crate::ptr::{bytes, check_out, write_out};
use crate::result::aauth_result;
use crate::state::{aauth_verifier, verifier, Fail, Grant, PendingBody, Session};
use crate::text::aauth_slice;

/// The core's `finish_before_body` on a parsed signature, and the body check it leaves.
fn before_body_session(s: Session<'_, '_>, key: HostKey<'_>) -> Result<(PendingBody, bool), Fail> {
    let Session {
        parsed,
        req,
        policy,
        mut ctx,
        body,
    } = s;
    body.grant = None;
    key.with_source(policy, |source| {
        let (v, check) = parsed
            .finish_before_body(req, policy, source, &mut ctx)?
            .into_parts();
        let needs_body = check.needs_body();
        let stream = check.stream(req)?;
        let grant = v.cache.map(|g| Grant {
            scheme: g.scheme,
            exp: g.exp,
            assertion: aauth_slice::of(g.assertion),
        });
        Ok((
            PendingBody::new(aauth_identity::of(&v), grant, stream),
            needs_body,
        ))
    })
}

/// Phase 2 without the body: everything `aauth_verifier_finish` does (key, token, revocation,
/// the Ed25519 signature over the headers, the replay mode) except the covered
/// `Content-Digest` check, which stays pending. A failure is the request's verdict, before any
/// body byte is read. On success `*out_needs_body` says whether `content-digest` is covered:
/// either way, feed the body with `aauth_verifier_body_update` (nothing, for an empty body)
/// and call `aauth_verifier_body_finish`, which writes the identity. An empty body is checked
/// as empty, never as "not supplied".
///
/// The replay store (`AAUTH_REPLAY_STORE`) is written here, once the signature verified: a
/// replay is refused before its body is read. A later parse, `aauth_verifier_finish` or
/// `aauth_verifier_init` drops the pending check. Never allocates.
///
/// Spec: RFC 9421 §3.2 steps 7–8; RFC 9530 §2; draft-hardt-httpbis-signature-key-09
/// §3.4–§3.11.
///
/// # Safety
///
/// As for `aauth_verifier_finish`; `out_needs_body` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_before_body(
    verifier: *mut aauth_verifier,
    source: *const aauth_key_source,
    out_needs_body: *mut bool,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `source`.
        let key = tri!(unsafe { HostKey::of(source) });
        let out = tri!(check_out(out_needs_body));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.set_pending(None);
        let (pending, needs_body) = tri!(inner.session(|s| before_body_session(s, key)));
        inner.clear_last();
        inner.set_pending(Some(pending));
        // SAFETY: `out` is checked.
        unsafe { write_out(out, needs_body) };
        aauth_result::Ok
    })
}

/// Feeds the next piece of the body to the pending check (a no-op when `content-digest` is
/// not covered). Returns `AAUTH_RESULT_INVALID_STATE` without a pending check. Never
/// allocates.
///
/// Spec: RFC 9530 §2.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `data` readable for `len` bytes (NULL when `len`
/// is 0).
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_body_update(
    verifier: *mut aauth_verifier,
    data: *const u8,
    len: usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let piece = tri!(unsafe { bytes(data, len) });
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        match inner.pending_mut() {
            Some(p) => {
                let mut stream = p.take();
                stream.update(piece);
                p.put(stream);
                aauth_result::Ok
            }
            None => aauth_result::InvalidState,
        }
    })
}

/// Ends the pending body check: compares the covered `Content-Digest` with the body fed so
/// far (`AAUTH_RESULT_INVALID_SIGNATURE`, check `digest_mismatch`, when it differs) and on
/// success writes the identity (as `aauth_verifier_finish` does; the cache grant becomes
/// available to `aauth_verifier_issue_cid`). Either way the check ends. Returns
/// `AAUTH_RESULT_INVALID_STATE` without a pending check. Never allocates.
///
/// Spec: RFC 9530 §2; RFC 9421 §3.2.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `out_identity` writable for one
/// `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_body_finish(
    verifier: *mut aauth_verifier,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_identity));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let Some(p) = inner.take_pending() else {
            return aauth_result::InvalidState;
        };
        if let Err(e) = p.take().finish() {
            return inner.record(e);
        }
        inner.set_grant(p.grant);
        inner.clear_last();
        // SAFETY: `out` is checked.
        unsafe { write_out(out, p.identity) };
        aauth_result::Ok
    })
}
