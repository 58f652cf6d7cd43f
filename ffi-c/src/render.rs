//! The response headers and body that tell a signer what went wrong and what is accepted,
//! rendered by the core: `Signature-Error`, Problem Details, `Accept-Signature-Scheme`,
//! `Accept-Signature-Alg` (and `Signature-Key-Cache`, in `cached.rs`).

use core_verify::{render, Check, Error, Schemes};

use crate::policy::{aauth_policy, policy, PolicyStore, SCHEME_BITS};
use crate::ptr::{fill, rendered, try_ref};
use crate::request::aauth_request_facts;
use crate::result::{aauth_result, check_of, error_code_of};

/// Writes the `Signature-Error` field value for a verification failure into `buf` (not
/// NUL-terminated) and sets `*out_n` to its length, e.g. `error=invalid_signature`, or for
/// `AAUTH_RESULT_INVALID_INPUT`
/// `error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")`:
/// every component the policy requires of a request with these `facts`
/// (`aauth_request_facts_of`), `authorization`, `content-digest` and `@query` included where
/// they apply.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` when `result` is not a verification failure
/// (1–14), `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written; `buf` contents
/// unspecified) when `buf` is too small. 512 bytes suffice for the default policy. The policy
/// is read during the call only (its label is not used). Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.1 (a Dictionary; `error` is a Token),
/// §5.4.5 (`required_input`).
///
/// # Safety
///
/// `policy` NULL or readable (with its lists); `facts` NULL or readable; `buf` writable for
/// `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_signature_error(
    result: u32,
    policy: *const aauth_policy,
    facts: *const aauth_request_facts,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let c_policy = tri!(unsafe { try_ref(policy) });
        // SAFETY: our contract; every field of `aauth_request_facts` is a `bool` the caller set.
        let facts = *tri!(unsafe { try_ref(facts) });
        let write = |buf: &mut [u8]| {
            let code = error_code_of(result).ok_or(aauth_result::InvalidParameter)?;
            let mut lists = PolicyStore::new();
            // SAFETY: our contract.
            let (core_policy, _) = unsafe { self::policy(c_policy, &mut lists) }?;
            // `signature_error` renders the code only; the check does not change the field.
            let error = Error::new(code, Check::SignatureInvalid);
            rendered(render::signature_error(
                &error,
                &core_policy,
                facts.into(),
                buf,
            ))
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Writes the `application/problem+json` body for a verification failure into `buf` (not
/// NUL-terminated) and sets `*out_n`:
/// `{"type":"urn:ietf:params:sig-error:<token>","title":…,"status":<status>,"detail":…,"error":"<token>"}`,
/// where the detail is the check's static description (`aauth_verifier_last_check` gives the
/// number; never request bytes). `status` is the HTTP status sent (`aauth_result_status`).
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` when `result` is not a verification failure or
/// `check` is not a check number, `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written) when
/// `buf` is too small (512 bytes always suffice). Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.2; RFC 9457 §3; AAuth §Error Response
/// Format.
///
/// # Safety
///
/// `buf` writable for `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_problem_details(
    result: u32,
    check: u16,
    status: u16,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let write = |buf: &mut [u8]| {
            let (Some(code), Some(check)) = (error_code_of(result), check_of(check)) else {
                return Err(aauth_result::InvalidParameter);
            };
            rendered(render::problem_details(
                &Error::new(code, check),
                status,
                buf,
            ))
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Writes the `Accept-Signature-Scheme` field value (a List of Tokens) for the scheme bits
/// `schemes` (an OR of `AAUTH_SCHEMES_*`) into `buf` (not NUL-terminated) and sets `*out_n`.
/// 64 bytes suffice for every scheme.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` for unknown bits, `AAUTH_RESULT_INSUFFICIENT_SIZE`
/// (`*out_n` not written) when `buf` is too small. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.1.
///
/// # Safety
///
/// `buf` writable for `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_accept_signature_scheme(
    schemes: u32,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        if schemes & !SCHEME_BITS != 0 {
            return aauth_result::InvalidParameter;
        }
        let write = |buf: &mut [u8]| {
            rendered(render::accept_signature_scheme(
                Schemes::from_bits(schemes),
                buf,
            ))
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

/// Writes the `Accept-Signature-Alg` field value (a List of Tokens: the algorithms this
/// verifier supports, `Ed25519`) into `buf` (not NUL-terminated) and sets `*out_n`: send it
/// with `AAUTH_RESULT_UNSUPPORTED_ALGORITHM`. 16 bytes suffice.
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written) when `buf` is too small.
/// Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.2; RFC 9864.
///
/// # Safety
///
/// `buf` writable for `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_accept_signature_alg(
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let write = |buf: &mut [u8]| rendered(render::accept_signature_alg(buf));
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}
