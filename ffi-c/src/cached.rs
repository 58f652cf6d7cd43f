//! The `cached` scheme's steps: the host resolves the plan's `cid` and hands the assertion
//! back (or reports a miss), and after a `;cache` token verified it issues an identifier and
//! renders `Signature-Key-Cache`. Resolution and validation stay separate stages: a resolved
//! assertion that fails is its own error, never `cache_miss`.

use core::ffi::c_char;

use core_verify::{CacheGrant, Error, Fetch};

use crate::identity::aauth_plan;
use crate::policy::scheme_of;
use crate::ptr::{check_out, out_buf, req_bytes, write_out};
use crate::request::slice;
use crate::result::aauth_result;
use crate::state::{aauth_verifier, verifier, Fail, Session};
use crate::text::aauth_slice;

/// Length of a cache identifier (`aauth_issued.cid` without its NUL terminator): 128 random
/// bits in unpadded base64url.
pub const AAUTH_CID_LEN: usize = 22;

/// An identifier issued by `aauth_verifier_issue_cid`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §6.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_issued {
    /// The identifier, NUL-terminated (22 characters): store the identity's `cache_assertion`
    /// and `cache_scheme` under it.
    pub cid: [c_char; 23],
    /// When the identifier stops being honoured (never after the token's `exp`): forget the
    /// assertion then.
    pub expires: i64,
}

/// The plan is `Assertion`, or the call does not apply.
fn assertion_plan(s: &Session<'_, '_>) -> Result<(), Fail> {
    match s.parsed.fetch() {
        Fetch::Assertion { .. } => Ok(()),
        _ => Err(Fail::Api(aauth_result::InvalidState)),
    }
}

/// The `cached` scheme's resolution: for an `AAUTH_FETCH_ASSERTION` plan, hands the core the
/// assertion the host stored under the plan's `cid` (its compact bytes and the scheme it was
/// stored with, `AAUTH_SCHEME_JWT` or `AAUTH_SCHEME_JKT_JWT`). The core decodes it (once) and
/// runs its offline checks exactly as if it had been presented in full; on success
/// `*out_plan` is the assertion's plan (for `jwt`, the issuer's metadata and JWKS; for
/// `jkt-jwt`, nothing), and `aauth_verifier_finish` follows as usual.
///
/// The assertion bytes are not copied: they must stay valid and unchanged until the last call
/// on this verifier (finish included). A failure is the assertion's own verification error
/// (e.g. `AAUTH_RESULT_EXPIRED_JWT`), never `cache_miss`. Returns
/// `AAUTH_RESULT_INVALID_STATE` before a successful parse or for another plan,
/// `AAUTH_RESULT_INVALID_PARAMETER` for a number that is not a scheme. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.11, §6.1 (resolution and validation are
/// separate stages).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `assertion` readable for `assertion_len` bytes,
/// as long as said above; `out_plan` NULL or writable for one `aauth_plan`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_resolve_assertion(
    verifier: *mut aauth_verifier,
    assertion: *const u8,
    assertion_len: usize,
    scheme: u32,
    out_plan: *mut aauth_plan,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `assertion`.
        let bytes = tri!(unsafe { req_bytes(assertion, assertion_len) });
        let Some(scheme) = scheme_of(scheme) else {
            return aauth_result::InvalidParameter;
        };
        let out = tri!(check_out(out_plan));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let plan = tri!(inner.session(|s| {
            assertion_plan(&s)?;
            let resolved = s.parsed.with_assertion(bytes, scheme, s.policy, &s.ctx)?;
            let frozen = resolved.freeze(s.req)?;
            s.body.frozen = frozen;
            s.body.assertion = aauth_slice::of(bytes);
            s.body.grant = None;
            Ok(aauth_plan::of(&resolved))
        }));
        inner.clear_last();
        // SAFETY: `out` is checked.
        unsafe { write_out(out, plan) };
        aauth_result::Ok
    })
}

/// The `cached` scheme's miss: the host could not resolve the plan's `cid` (unknown or
/// evicted). Records `cache_miss` as the verifier's last failure (check `cache_missed`) and
/// returns `AAUTH_RESULT_CACHE_MISS`, to answer with `aauth_signature_error`: the signer then
/// sends the assertion in full.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` instead before a successful parse or for another plan.
/// Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.3, §6.1.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_cache_miss(verifier: *mut aauth_verifier) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        match inner.session(|s| {
            assertion_plan(&s)?;
            Err::<(), _>(Fail::Verify(Error::cache_miss()))
        }) {
            Ok(()) => aauth_result::Ok,
            Err(e) => e,
        }
    })
}

/// Issues a cache identifier for the assertion the last successful `aauth_verifier_finish`
/// verified with `;cache` (the identity's `cache_requested`), from 16 bytes of randomness the
/// host supplies (the library has no RNG: use the system's CSPRNG), honoured until
/// `now + max_ttl` (`now` as given to parse) or the token's `exp`, whichever is first.
/// Writes the identifier into `*out_issued` and the `Signature-Key-Cache` field value
/// (`<label>="<cid>";jti="<jti>";expires=<n>`, not NUL-terminated) into `header`, with its
/// length in `*out_header_n`. The host stores the assertion under the identifier and sends
/// the header with its response.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` when the last finish gave no cache grant (or there was
/// none), `AAUTH_RESULT_INVALID_PARAMETER` if `random_len` is not 16,
/// `AAUTH_RESULT_INSUFFICIENT_SIZE` (no output written; `header` contents unspecified) when
/// the header does not fit (512 bytes suffice for a label and `jti` of up to 200 bytes).
/// Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §6 (`Signature-Key-Cache`; `expires` never
/// after the assertion's expiry), §7.6 (identifiers are 128 unpredictable bits).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_plan`; `random` readable for `random_len` bytes;
/// `out_issued` NULL or writable for one `aauth_issued`; `header` writable for `header_len`
/// bytes (may be NULL if `header_len` is 0); `out_header_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_issue_cid(
    verifier: *mut aauth_verifier,
    random: *const u8,
    random_len: usize,
    max_ttl: u64,
    out_issued: *mut aauth_issued,
    header: *mut u8,
    header_len: usize,
    out_header_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `random`.
        let random = tri!(unsafe { req_bytes(random, random_len) });
        let Ok(random) = <[u8; 16]>::try_from(random) else {
            return aauth_result::InvalidParameter;
        };
        let out = tri!(check_out(out_issued));
        // SAFETY: our contract for `header`.
        let buf = tri!(unsafe { out_buf(header, header_len) });
        let out_n = tri!(check_out(out_header_n));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let (issued, n) = tri!(inner.session(|s| {
            let no_grant = Fail::Api(aauth_result::InvalidState);
            let g = s.body.grant.ok_or(no_grant)?;
            // The grant's jti is the verified token's, still decoded in the verifier.
            let jti = s
                .parsed
                .unverified_token()
                .and_then(|t| t.claims.jti)
                .ok_or(Fail::Api(aauth_result::InvalidState))?;
            let grant = CacheGrant {
                label: s.parsed.label(),
                scheme: g.scheme,
                // SAFETY: a slice of the request (the token presented with `;cache`), which the
                // caller keeps valid until the last call on this verifier.
                assertion: unsafe { slice(g.assertion) }?,
                jti,
                exp: g.exp,
            };
            let issued = grant.issue(random, s.body.now, max_ttl);
            let n = issued
                .render(&grant, buf)
                .map(str::len)
                .ok_or(Fail::Api(aauth_result::InsufficientSize))?;
            let mut cid = [0 as c_char; 23];
            for (dst, src) in cid.iter_mut().zip(issued.cid().bytes()) {
                *dst = src as c_char;
            }
            Ok((
                aauth_issued {
                    cid,
                    expires: issued.expires,
                },
                n,
            ))
        }));
        // SAFETY: both outputs are checked.
        unsafe {
            write_out(out, issued);
            write_out(out_n, n);
        }
        aauth_result::Ok
    })
}
