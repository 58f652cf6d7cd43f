//! The `extern "C"` functions.

use core::ffi::c_char;
use core::mem::{align_of, size_of, MaybeUninit};

use core_verify::sink::CountingSink;
use core_verify::{
    jwk, parse, render, Error, ErrorCode, KeyRequirement, Parsed, Policy, PublicKey,
};

use crate::convert::{self, *};
use crate::types::*;

// ---------------------------------------------------------------------------------------------
// Version and result codes

const VERSION: &core::ffi::CStr =
    match core::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes())
    {
        Ok(v) => v,
        Err(_) => panic!("the version contains a NUL"),
    };

/// The library version, `"MAJOR.MINOR.PATCH"`, as a static NUL-terminated string. It equals
/// `AAUTH_VERIFY_VERSION` in the header the caller compiled against when the two match.
///
/// Never NULL; the string is static (do not free it). Thread-safe.
#[no_mangle]
pub extern "C" fn aauth_verify_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The `Signature-Error` token for a verification failure (`result` 1–12), e.g.
/// `"invalid_signature"`, as a static NUL-terminated string.
///
/// Returns NULL for `AAUTH_RESULT_OK`, for the API-misuse values (1000+) and for unknown
/// numbers: those are not verdicts about the request and have no spec token. Use
/// `aauth_result_name` for logging any value. Do not free the string. Thread-safe.
#[no_mangle]
pub extern "C" fn aauth_result_token(result: u32) -> *const c_char {
    ffi_boundary_or!(core::ptr::null(), {
        match aauth_result::from_u32(result) {
            Some(r) if r.error_code().is_some() => r.name_ptr(),
            _ => core::ptr::null(),
        }
    })
}

/// A stable lower-case name for any result value, e.g. `"ok"`, `"unknown_key"`,
/// `"null_parameter"`; `"unknown"` for a number that is not an `aauth_result`.
///
/// Never NULL; the string is static and NUL-terminated (do not free it). Thread-safe.
#[no_mangle]
pub extern "C" fn aauth_result_name(result: u32) -> *const c_char {
    ffi_boundary_or!(c"unknown".as_ptr(), {
        match aauth_result::from_u32(result) {
            Some(r) => r.name_ptr(),
            None => c"unknown".as_ptr(),
        }
    })
}

/// Whether `result` is a verification failure (1–12): the request is rejected and
/// `aauth_signature_error` can describe why to the client. False for `AAUTH_RESULT_OK`, the
/// API-misuse values and unknown numbers. Thread-safe.
#[no_mangle]
pub extern "C" fn aauth_result_is_verification_error(result: u32) -> bool {
    ffi_boundary_or!(
        false,
        aauth_result::from_u32(result).is_some_and(|r| r.error_code().is_some())
    )
}

// ---------------------------------------------------------------------------------------------
// Policy

/// Writes the default policy of a profile into `*out`: `AAUTH_PROFILE_STRICT` (0) or
/// `AAUTH_PROFILE_COMPAT` (1). Both require `@method @authority @path signature-key` (a
/// static list), a 60 s window and a `Signature-Key` header, accept every scheme and take the
/// only signature (no label).
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` for another profile, `AAUTH_RESULT_NULL_PARAMETER`
/// if `out` is NULL; `*out` is written only on success. Thread-safe.
///
/// # Safety
///
/// `out` is NULL or points to writable memory for one `aauth_policy`.
#[no_mangle]
pub unsafe extern "C" fn aauth_policy_default(
    profile: u32,
    out: *mut aauth_policy,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out));
        let p = match profile {
            AAUTH_PROFILE_STRICT => Policy::STRICT,
            AAUTH_PROFILE_COMPAT => Policy::COMPAT,
            _ => return aauth_result::InvalidParameter,
        };
        // SAFETY: `out` is non-NULL and aligned (checked); writable per our contract.
        unsafe { write_out(out, convert::policy_to_c(&p)) };
        aauth_result::Ok
    })
}

// ---------------------------------------------------------------------------------------------
// The verifier state

/// `aauth_verifier_init` has run (or a parse failed): no signature, maybe a detail.
const TAG_RESET: u64 = 0x6161_7574_6801_0001;
/// A signature is parsed: every member of [`Inner`] is initialised.
const TAG_PARSED: u64 = 0x6161_7574_6801_0002;

/// What a parsed verifier keeps between calls.
#[derive(Clone, Copy)]
struct Body {
    /// The caller's request view (pointers only).
    request: aauth_request,
    /// The policy, without its required list (phase 2 does not use it).
    policy: Policy<'static>,
    /// The parsed signature, borrowing the caller's request bytes.
    parsed: Parsed<'static>,
    /// Whether `aauth_verifier_check_metadata` succeeded for this signature.
    metadata_ok: bool,
}

/// The private layout of `aauth_verifier`. Zeroed memory is a valid "fresh" state: `tag` 0.
#[repr(C)]
struct Inner {
    tag: u64,
    /// The last failure's description (valid when `tag` is `TAG_RESET` or `TAG_PARSED`).
    detail: &'static str,
    /// Valid when `tag` is `TAG_PARSED`.
    body: MaybeUninit<Body>,
}

const _: () = {
    assert!(size_of::<Inner>() <= size_of::<aauth_verifier>());
    assert!(align_of::<Inner>() <= align_of::<aauth_verifier>());
    assert!(size_of::<aauth_verifier>() == AAUTH_VERIFIER_SIZE);
};

/// The state's tag, or an error for NULL/misaligned pointers.
///
/// # Safety
///
/// `v` is NULL or points to an initialised `aauth_verifier` (zeroed, or written by this
/// library).
unsafe fn tag(v: *const aauth_verifier) -> Result<u64, aauth_result> {
    let v = non_null(v)?;
    if !v.is_aligned() {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL and aligned; `Inner` starts with a `u64` at offset 0 (repr(C)) and any
    // initialised bytes are a valid `u64`.
    Ok(unsafe { v.cast::<u64>().read() })
}

/// The parsed body of a verifier, or `InvalidState`.
///
/// # Safety
///
/// As for [`tag`].
unsafe fn parsed_body(v: *const aauth_verifier) -> Result<Body, aauth_result> {
    // SAFETY: our contract.
    if unsafe { tag(v) }? != TAG_PARSED {
        return Err(aauth_result::InvalidState);
    }
    // SAFETY: the tag says this library wrote a complete `Inner` with an initialised body;
    // sizes and alignment are asserted at compile time.
    Ok(unsafe { (*v.cast::<Inner>()).body.assume_init() })
}

/// Records the failure's description in the state (when the state is usable).
///
/// # Safety
///
/// `v` was checked by [`tag`] to be an initialised, writable verifier.
unsafe fn set_detail(v: *mut aauth_verifier, detail: &'static str) {
    // SAFETY: our contract: `v` is valid, aligned and exclusively ours for this call.
    unsafe {
        let inner = v.cast::<Inner>();
        if (*inner).tag == TAG_PARSED || (*inner).tag == TAG_RESET {
            core::ptr::addr_of_mut!((*inner).detail).write(detail);
        }
    }
}

/// Initialises (or resets) a verifier to the fresh state. Zeroed memory is also fresh, so
/// `aauth_verifier v = {0};` works too.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `verifier` is NULL. Thread-safe for distinct
/// verifiers.
///
/// # Safety
///
/// `verifier` is NULL or points to writable memory for one `aauth_verifier`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_init(verifier: *mut aauth_verifier) -> aauth_result {
    ffi_boundary!({
        let v = tri!(check_out(verifier));
        // SAFETY: non-NULL, aligned, writable per our contract; the header fields are plain
        // values and the body stays uninitialised.
        unsafe {
            let inner = v.cast::<Inner>();
            core::ptr::addr_of_mut!((*inner).tag).write(TAG_RESET);
            core::ptr::addr_of_mut!((*inner).detail).write("");
        }
        aauth_result::Ok
    })
}

fn requirement_of(p: &Parsed<'_>) -> aauth_key_requirement {
    let mut r = aauth_key_requirement {
        scheme: p.scheme().into(),
        needs_metadata: false,
        id: aauth_text::ABSENT,
        dwk: aauth_text::ABSENT,
        kid: aauth_text::ABSENT,
        url: aauth_text::ABSENT,
        jwt: aauth_text::ABSENT,
        has_inline_key: false,
        inline_key: [0; 32],
    };
    match *p.requirement() {
        KeyRequirement::External => r.kid = aauth_text::of(p.params().keyid),
        KeyRequirement::Inline(k) => {
            r.has_inline_key = true;
            r.inline_key = k.x;
        }
        KeyRequirement::JwksUri { id, dwk, kid } => {
            r.needs_metadata = true;
            r.id = aauth_text::of(Some(id));
            r.dwk = aauth_text::of(Some(dwk));
            r.kid = aauth_text::of(Some(kid));
        }
        KeyRequirement::Jwks { url, kid } => {
            r.url = aauth_text::of(Some(url));
            r.kid = aauth_text::of(Some(kid));
        }
        KeyRequirement::LegacyJwks {
            jwks,
            id,
            well_known,
            kid,
        } => {
            r.needs_metadata = id.is_some();
            r.url = aauth_text::of(jwks);
            r.id = aauth_text::of(id);
            r.dwk = aauth_text::of(well_known);
            r.kid = aauth_text::of(Some(kid));
        }
        KeyRequirement::Jwt { jwt }
        | KeyRequirement::JktJwt { jwt }
        | KeyRequirement::SelfJwt { jwt } => r.jwt = aauth_text::of(Some(jwt)),
    }
    r
}

fn needs_metadata(p: &Parsed<'_>) -> bool {
    matches!(
        p.requirement(),
        KeyRequirement::JwksUri { .. } | KeyRequirement::LegacyJwks { id: Some(_), .. }
    )
}

/// Phase 1: runs every check that needs no key material (signature headers, label, covered
/// and required components, freshness against `now`, scheme allowlist, inline key) and
/// writes into `*out_requirement` which key the signature needs.
///
/// * `verifier`: caller storage, initialised (`aauth_verifier_init` or zeroed). It is reset
///   first; on success it holds the parsed signature, on failure only the failure's
///   description (`aauth_verifier_detail`).
/// * `request`, `policy`: read during this call. The request's bytes and header array must
///   stay valid and unchanged until the last call on this verifier: the verifier keeps
///   pointers to them (and to `request`'s members, copied), never copies of the bytes. The
///   policy is copied except its required list, which only this phase uses.
/// * `now`: the verifier's clock, seconds since the Unix epoch.
/// * `out_requirement`: written only on success; its texts point into the request.
///
/// Returns `AAUTH_RESULT_OK`, a verification failure (1–12) to send back with
/// `aauth_signature_error`, or an API error (1000+). Reentrant; thread-safe for distinct
/// verifiers. Never allocates.
///
/// # Safety
///
/// Each pointer is NULL or valid: `verifier` for reads and writes of one `aauth_verifier`,
/// `request` and `policy` for reads (with every slice they contain readable for its length),
/// `out_requirement` for a write of one `aauth_key_requirement`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_parse(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out_requirement: *mut aauth_key_requirement,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let v = tri!(check_out(verifier));
        // SAFETY: our contract for `verifier`.
        tri!(unsafe { tag(v) });
        // SAFETY: our contract for `request` and `policy`.
        let c_req = *tri!(unsafe { try_ref(request) });
        // SAFETY: as above.
        let c_policy = tri!(unsafe { try_ref(policy) });
        let out = tri!(check_out(out_requirement));
        // SAFETY: `v` is checked; `aauth_verifier_init` writes only plain header fields.
        tri!(unsafe { aauth_verifier_init_checked(v) });
        let mut required = [""; AAUTH_MAX_REQUIRED];
        // SAFETY: the policy's slices are readable per our contract.
        let (core_policy, label) = tri!(unsafe { convert::policy(c_policy, &mut required) });
        let mut headers = EMPTY_HEADERS;
        // SAFETY: the request's slices are readable per our contract.
        let req = match unsafe { convert::request(&c_req, &mut headers) } {
            Ok(r) => r,
            Err(RequestError::Api(e)) => return e,
            Err(RequestError::Verify(e)) => {
                // SAFETY: `v` was initialised above.
                unsafe { set_detail(v, e.detail) };
                return e.code.into();
            }
        };
        let parsed = match parse(&req, &core_policy, label, now) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: `v` was initialised above.
                unsafe { set_detail(v, e.detail) };
                return e.code.into();
            }
        };
        let requirement = requirement_of(&parsed);
        // SAFETY: `Parsed` borrows only the bytes of the request's slices (header values and
        // the label, which the core re-borrows from the header), which the caller keeps valid
        // until the last call on this verifier (documented above); it does not borrow the
        // stack arrays `headers` and `required` that only give those bytes their lifetime here.
        let parsed: Parsed<'static> = unsafe { core::mem::transmute::<Parsed<'_>, _>(parsed) };
        let body = Body {
            request: c_req,
            policy: Policy {
                required: &[],
                ..core_policy
            },
            parsed,
            metadata_ok: false,
        };
        // SAFETY: `v` is valid, aligned and writable (checked); we write the body, then the tag
        // that declares it initialised.
        unsafe {
            let inner = v.cast::<Inner>();
            core::ptr::addr_of_mut!((*inner).body).write(MaybeUninit::new(body));
            core::ptr::addr_of_mut!((*inner).tag).write(TAG_PARSED);
            write_out(out, requirement);
        }
        aauth_result::Ok
    })
}

/// `aauth_verifier_init` on a checked pointer.
///
/// # Safety
///
/// `v` is non-NULL, aligned and writable for one `aauth_verifier`.
unsafe fn aauth_verifier_init_checked(v: *mut aauth_verifier) -> Result<(), aauth_result> {
    // SAFETY: our contract.
    match unsafe { aauth_verifier_init(v) } {
        aauth_result::Ok => Ok(()),
        e => Err(e),
    }
}

/// Checks the signer's metadata document (the body of `{id}/.well-known/{dwk}`) for a parsed
/// `jwks_uri` (or legacy `jwks` with `id`) signature: its `issuer` must equal `id`. On success
/// copies the document's `jwks_uri` (JSON-unescaped, not NUL-terminated) into `buf`, sets
/// `*out_n` to its length, and remembers that the metadata passed, so that
/// `aauth_verifier_finish_jwks` may then be called without the document.
///
/// Returns `AAUTH_RESULT_ISSUER_MISSING`, `AAUTH_RESULT_ISSUER_MISMATCH` or
/// `AAUTH_RESULT_INVALID_KEY` for a bad document, `AAUTH_RESULT_INSUFFICIENT_SIZE` when
/// `jwks_uri` does not fit (`*out_n` untouched; the metadata does not count as checked),
/// `AAUTH_RESULT_INVALID_STATE` before a successful parse or for a scheme without metadata.
/// `metadata` is read during this call only. Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request still valid); `metadata` readable
/// for `metadata_len` bytes; `buf` writable for `buf_len` bytes (may be NULL if `buf_len` is
/// 0); `out_n` writable.
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
        let v = tri!(check_out(verifier));
        // SAFETY: our contract for `verifier`.
        let body = tri!(unsafe { parsed_body(v) });
        tri!(non_null(metadata));
        // SAFETY: our contract for `metadata`.
        let doc = tri!(unsafe { bytes(metadata, metadata_len) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        if !needs_metadata(&body.parsed) {
            return aauth_result::InvalidState;
        }
        let uri = match body.parsed.check_metadata(doc, &body.policy) {
            Ok(u) => u,
            Err(e) => {
                // SAFETY: `v` holds a parsed state (checked).
                unsafe { set_detail(v, e.detail) };
                return e.code.into();
            }
        };
        if uri.decoded_len() > buf.len() {
            return aauth_result::InsufficientSize;
        }
        let n = match uri.decode_into(buf) {
            Some(s) => s.len(),
            None => {
                // SAFETY: `v` holds a parsed state (checked).
                unsafe { set_detail(v, "metadata jwks_uri is not valid text") };
                return aauth_result::InvalidKey;
            }
        };
        // SAFETY: `v` holds a parsed state (checked), so its body is initialised; `out_n` is
        // checked.
        unsafe {
            let inner = v.cast::<Inner>();
            (*inner).body.assume_init_mut().metadata_ok = true;
            write_out(out_n, n);
        }
        aauth_result::Ok
    })
}

/// Phase 2 common path: resolve the key, verify, write the identity.
///
/// # Safety
///
/// `v` and `out` as for the public finish functions.
unsafe fn finish(
    v: *mut aauth_verifier,
    out: *mut aauth_identity,
    key: impl FnOnce(&Body) -> Result<Result<PublicKey, Error>, aauth_result>,
) -> aauth_result {
    let v = tri!(check_out(v));
    // SAFETY: our contract for `v`.
    let body = tri!(unsafe { parsed_body(v) });
    let out = tri!(check_out(out));
    let mut headers = EMPTY_HEADERS;
    // SAFETY: the caller keeps the parsed request valid and unchanged (documented on
    // `aauth_verifier_parse`); it converted successfully then, so it does now.
    let req = match unsafe { convert::request(&body.request, &mut headers) } {
        Ok(r) => r,
        Err(RequestError::Api(e)) => return e,
        Err(RequestError::Verify(e)) => return e.code.into(),
    };
    let result = tri!(key(&body)).and_then(|k| body.parsed.verify(&req, &k));
    match result {
        Ok(verified) => {
            // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
            unsafe { write_out(out, convert::identity(&verified)) };
            aauth_result::Ok
        }
        Err(e) => {
            // SAFETY: `v` holds a parsed state (checked).
            unsafe { set_detail(v, e.detail) };
            e.code.into()
        }
    }
}

/// Phase 2 for `hwk`: verifies with the key carried by the request itself.
///
/// Returns `AAUTH_RESULT_UNKNOWN_KEY` when the signature's key is not inline. On success
/// writes `*out_identity` (pointing into the request). The verifier stays parsed: a finish
/// call may be repeated (e.g. with another key source). Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request still valid); `out_identity`
/// writable for one `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_inline(
    verifier: *mut aauth_verifier,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        unsafe {
            finish(verifier, out_identity, |b| {
                Ok(b.parsed.inline_key().ok_or(Error::new(
                    ErrorCode::UnknownKey,
                    "the signature's key is not inline and none was supplied",
                )))
            })
        }
    })
}

fn raw_key(key: &[u8]) -> Result<Result<PublicKey, Error>, aauth_result> {
    let x: [u8; 32] = key.try_into().map_err(|_| aauth_result::InvalidParameter)?;
    Ok(PublicKey::from_raw(x))
}

/// Phase 2 with a raw Ed25519 public key (32 bytes) from the caller's trust store or
/// resolved by the caller. The caller vouches that the key belongs to the signer the
/// requirement names: the key is used whatever the scheme says.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` if `key_len` is not 32,
/// `AAUTH_RESULT_INVALID_KEY` if the bytes are not a valid, non-small-order point. `key` is
/// read during this call only. Otherwise as `aauth_verifier_finish_inline`.
///
/// # Safety
///
/// As for `aauth_verifier_finish_inline`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_raw_key(
    verifier: *mut aauth_verifier,
    key: *const u8,
    key_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        tri!(non_null(key));
        // SAFETY: our contract for `key`.
        let key = tri!(unsafe { bytes(key, key_len) });
        // SAFETY: our contract.
        unsafe { finish(verifier, out_identity, |_| raw_key(key)) }
    })
}

/// Phase 2 with one JWK (a JSON object, at most 4096 bytes), checked under the policy's key
/// rules (`alg` required unless `compat.alg_less_keys`). As with a raw key, the caller vouches
/// for it. `jwk` is read during this call only. Otherwise as `aauth_verifier_finish_inline`.
///
/// # Safety
///
/// As for `aauth_verifier_finish_inline`; `jwk` readable for `jwk_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_jwk(
    verifier: *mut aauth_verifier,
    jwk: *const u8,
    jwk_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        tri!(non_null(jwk));
        // SAFETY: our contract for `jwk`.
        let doc = tri!(unsafe { bytes(jwk, jwk_len) });
        // SAFETY: our contract.
        unsafe {
            finish(verifier, out_identity, |b| {
                Ok(jwk::parse_jwk(doc, b.policy.key_rules()))
            })
        }
    })
}

fn jwks_key(
    p: &Parsed<'_>,
    policy: &Policy<'_>,
    metadata_ok: bool,
    jwks: &[u8],
    metadata: Option<&[u8]>,
) -> Result<Result<PublicKey, Error>, aauth_result> {
    Ok((|| {
        match metadata {
            Some(doc) => {
                p.check_metadata(doc, policy)?;
            }
            None if needs_metadata(p) && !metadata_ok => {
                return Err(Error::new(
                    ErrorCode::UnknownKey,
                    "jwks_uri needs the signer's metadata document",
                ))
            }
            None => {}
        }
        p.select_key(jwks, policy)
    })())
}

/// Phase 2 with the signer's JWKS document (`{"keys":[…]}`, at most 16384 bytes): selects the
/// key named by `kid` (or, without `Signature-Key`, by the `keyid` parameter) and verifies.
///
/// For `jwks_uri` (and legacy `jwks` with `id`) the signer's metadata must be checked: pass
/// the document as `metadata`/`metadata_len`, or pass `metadata == NULL` after a successful
/// `aauth_verifier_check_metadata` on this verifier; otherwise the result is
/// `AAUTH_RESULT_UNKNOWN_KEY`. For other schemes `metadata` may be NULL and is then ignored.
///
/// After `AAUTH_RESULT_UNKNOWN_KEY` a caller may refetch the JWKS (key rotation) and call this
/// again. The documents are read during this call only. Otherwise as
/// `aauth_verifier_finish_inline`.
///
/// # Safety
///
/// As for `aauth_verifier_finish_inline`; `jwks` readable for `jwks_len` bytes; `metadata`
/// NULL or readable for `metadata_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_jwks(
    verifier: *mut aauth_verifier,
    jwks: *const u8,
    jwks_len: usize,
    metadata: *const u8,
    metadata_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        tri!(non_null(jwks));
        // SAFETY: our contract for `jwks`.
        let jwks = tri!(unsafe { bytes(jwks, jwks_len) });
        // SAFETY: our contract for `metadata`.
        let metadata = tri!(unsafe { opt_bytes(metadata, metadata_len) });
        // SAFETY: our contract.
        unsafe {
            finish(verifier, out_identity, |b| {
                jwks_key(&b.parsed, &b.policy, b.metadata_ok, jwks, metadata)
            })
        }
    })
}

/// Copies the signature base (RFC 9421 §2.5) of the parsed signature into `buf` and sets
/// `*out_n` to its length (for logging and debugging; not NUL-terminated).
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (nothing written) when it does not fit; a
/// verification failure if a covered component cannot be produced;
/// `AAUTH_RESULT_INVALID_STATE` before a successful parse. Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request still valid); `buf` writable for
/// `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_signature_base(
    verifier: *const aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let body = tri!(unsafe { parsed_body(verifier) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        let mut headers = EMPTY_HEADERS;
        // SAFETY: the caller keeps the parsed request valid and unchanged.
        let req = match unsafe { convert::request(&body.request, &mut headers) } {
            Ok(r) => r,
            Err(RequestError::Api(e)) => return e,
            Err(RequestError::Verify(e)) => return e.code.into(),
        };
        let mut count = CountingSink::default();
        if let Err(e) = body.parsed.write_base(&req, &mut count) {
            return e.code.into();
        }
        if count.count > buf.len() {
            return aauth_result::InsufficientSize;
        }
        match body.parsed.base_into(&req, buf) {
            Ok(b) => {
                // SAFETY: `out_n` is checked.
                unsafe { write_out(out_n, b.len()) };
                aauth_result::Ok
            }
            Err(e) => e.code.into(),
        }
    })
}

/// Copies a short English description of the verifier's last failure (which check failed;
/// never request bytes, safe to log) into `buf` and sets `*out_n` to its length (0 when there
/// was none). Not NUL-terminated.
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (nothing written) when it does not fit; 128 bytes
/// always suffice. Never allocates.
///
/// # Safety
///
/// `verifier` NULL or initialised; `buf` writable for `buf_len` bytes (may be NULL if
/// `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_detail(
    verifier: *const aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let t = tri!(unsafe { tag(verifier) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        let detail = match t {
            0 => "",
            // SAFETY: these tags mean this library initialised `detail`.
            TAG_RESET | TAG_PARSED => unsafe { (*verifier.cast::<Inner>()).detail },
            _ => return aauth_result::InvalidState,
        };
        let n = tri!(copy_out(detail.as_bytes(), buf));
        // SAFETY: `out_n` is checked.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}

// ---------------------------------------------------------------------------------------------
// One-shot verification

/// Parse, resolve the key, verify: the one-shot path shared by the `aauth_verify_*` calls.
///
/// # Safety
///
/// `request`, `policy` and `out` as for the public one-shot functions.
unsafe fn one_shot(
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out: *mut aauth_identity,
    key: impl FnOnce(&Parsed<'_>, &Policy<'_>) -> Result<Result<PublicKey, Error>, aauth_result>,
) -> aauth_result {
    // SAFETY: our contract.
    let c_req = tri!(unsafe { try_ref(request) });
    // SAFETY: our contract.
    let c_policy = tri!(unsafe { try_ref(policy) });
    let out = tri!(check_out(out));
    let mut required = [""; AAUTH_MAX_REQUIRED];
    // SAFETY: our contract.
    let (core_policy, label) = tri!(unsafe { convert::policy(c_policy, &mut required) });
    let mut headers = EMPTY_HEADERS;
    // SAFETY: our contract.
    let req = match unsafe { convert::request(c_req, &mut headers) } {
        Ok(r) => r,
        Err(RequestError::Api(e)) => return e,
        Err(RequestError::Verify(e)) => return e.code.into(),
    };
    let parsed = match parse(&req, &core_policy, label, now) {
        Ok(p) => p,
        Err(e) => return e.code.into(),
    };
    let result = tri!(key(&parsed, &core_policy)).and_then(|k| parsed.verify(&req, &k));
    match result {
        Ok(v) => {
            // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
            unsafe { write_out(out, convert::identity(&v)) };
            aauth_result::Ok
        }
        Err(e) => e.code.into(),
    }
}

/// Verifies a request signed with an inline (`hwk`) key, in one call.
///
/// `request` and `policy` are read during the call; on success `*out_identity` is written and
/// points into the request's bytes. Returns `AAUTH_RESULT_UNKNOWN_KEY` when the key is not
/// inline. Reentrant and thread-safe; never allocates.
///
/// # Safety
///
/// `request` and `policy` NULL or readable (with every slice they contain readable for its
/// length); `out_identity` NULL or writable for one `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_inline(
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        unsafe {
            one_shot(request, policy, now, out_identity, |p, _| {
                Ok(p.inline_key().ok_or(Error::new(
                    ErrorCode::UnknownKey,
                    "the signature's key is not inline and none was supplied",
                )))
            })
        }
    })
}

/// Verifies a request with a raw 32-byte Ed25519 key from the caller's trust store, in one
/// call (see `aauth_verifier_finish_raw_key`). Otherwise as `aauth_verify_inline`.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_raw_key(
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    key: *const u8,
    key_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        tri!(non_null(key));
        // SAFETY: our contract for `key`.
        let key = tri!(unsafe { bytes(key, key_len) });
        // SAFETY: our contract.
        unsafe { one_shot(request, policy, now, out_identity, |_, _| raw_key(key)) }
    })
}

/// Verifies a request with one JWK from the caller, in one call (see
/// `aauth_verifier_finish_jwk`). Otherwise as `aauth_verify_inline`.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `jwk` readable for `jwk_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_jwk(
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    jwk: *const u8,
    jwk_len: usize,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    ffi_boundary!({
        tri!(non_null(jwk));
        // SAFETY: our contract for `jwk`.
        let doc = tri!(unsafe { bytes(jwk, jwk_len) });
        // SAFETY: our contract.
        unsafe {
            one_shot(request, policy, now, out_identity, |_, pol| {
                Ok(jwk::parse_jwk(doc, pol.key_rules()))
            })
        }
    })
}

/// Verifies a request against a JWKS the caller already holds (a static trust store, or
/// documents fetched earlier), in one call: the key named by `kid` (or `keyid`) is selected
/// from `jwks`. For `jwks_uri` (and legacy `jwks` with `id`), `metadata` must be the signer's
/// metadata document, whose `issuer` must equal the signer `id`; otherwise it may be NULL.
/// Otherwise as `aauth_verify_inline`.
///
/// # Safety
///
/// As for `aauth_verify_inline`; `jwks` readable for `jwks_len` bytes; `metadata` NULL or
/// readable for `metadata_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_with_jwks(
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
        tri!(non_null(jwks));
        // SAFETY: our contract for `jwks`.
        let jwks = tri!(unsafe { bytes(jwks, jwks_len) });
        // SAFETY: our contract for `metadata`.
        let metadata = tri!(unsafe { opt_bytes(metadata, metadata_len) });
        // SAFETY: our contract.
        unsafe {
            one_shot(request, policy, now, out_identity, |p, pol| {
                jwks_key(p, pol, false, jwks, metadata)
            })
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Response headers and helpers

/// Writes the `Signature-Error` field value for a verification failure into `buf` (not
/// NUL-terminated) and sets `*out_n` to its length, e.g. `error=invalid_signature`, or for
/// `AAUTH_RESULT_INVALID_INPUT`
/// `error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")`
/// (the policy's required components, plus `authorization` when `authorization_present` and
/// the policy requires it).
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` when `result` is not a verification failure
/// (1–12), `AAUTH_RESULT_INSUFFICIENT_SIZE` (nothing written) when `buf` is too small. 512
/// bytes suffice for the default policy. Never allocates.
///
/// # Safety
///
/// `policy` NULL or readable (with its required list); `buf` writable for `buf_len` bytes
/// (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_signature_error(
    result: u32,
    policy: *const aauth_policy,
    authorization_present: bool,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let c_policy = tri!(unsafe { try_ref(policy) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        let Some(code) = aauth_result::from_u32(result).and_then(aauth_result::error_code) else {
            return aauth_result::InvalidParameter;
        };
        let mut required = [""; AAUTH_MAX_REQUIRED];
        // SAFETY: our contract.
        let (core_policy, _) = tri!(unsafe { convert::policy(c_policy, &mut required) });
        let error = Error::new(code, "");
        match render::signature_error(&error, &core_policy, authorization_present, buf) {
            Some(s) => {
                let n = s.len();
                // SAFETY: `out_n` is checked.
                unsafe { write_out(out_n, n) };
                aauth_result::Ok
            }
            None => aauth_result::InsufficientSize,
        }
    })
}

/// Writes the `Accept-Signature-Scheme` field value (a List of Tokens) for the scheme bits
/// `schemes` (an OR of `AAUTH_SCHEMES_*`) into `buf` (not NUL-terminated) and sets `*out_n`.
/// 64 bytes suffice for every scheme.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` for unknown bits, `AAUTH_RESULT_INSUFFICIENT_SIZE`
/// (nothing written) when `buf` is too small. Never allocates.
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
        if schemes & !AAUTH_SCHEMES_ALL != 0 {
            return aauth_result::InvalidParameter;
        }
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        let set = core_verify::Schemes::from_bits(schemes);
        match render::accept_signature_scheme(set, buf) {
            Some(s) => {
                let n = s.len();
                // SAFETY: `out_n` is checked.
                unsafe { write_out(out_n, n) };
                aauth_result::Ok
            }
            None => aauth_result::InsufficientSize,
        }
    })
}

/// Copies the value of `text` into `buf` with its Structured Field escapes (`\"`, `\\`)
/// removed, and sets `*out_n` to its length (not NUL-terminated). An absent text copies 0
/// bytes. The value is never longer than `text->len`.
///
/// Returns `AAUTH_RESULT_INSUFFICIENT_SIZE` (nothing written) when `buf` is too small. Never
/// allocates.
///
/// # Safety
///
/// `text` NULL or readable, with its bytes readable for `text->len`; `buf` writable for
/// `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_text_unescape(
    text: *const aauth_text,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let t = tri!(unsafe { try_ref(text) });
        // SAFETY: our contract.
        let raw = tri!(unsafe { bytes(t.data, t.len) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        let unescaped = |mut f: &mut dyn FnMut(u8)| {
            let mut it = raw.iter().copied();
            while let Some(b) = it.next() {
                if t.escaped && b == b'\\' {
                    if let Some(next) = it.next() {
                        f(next);
                    }
                } else {
                    f(b);
                }
            }
            let _ = &mut f;
        };
        let mut n = 0usize;
        unescaped(&mut |_| n += 1);
        if n > buf.len() {
            return aauth_result::InsufficientSize;
        }
        let mut i = 0usize;
        unescaped(&mut |b| {
            if let Some(slot) = buf.get_mut(i) {
                *slot = b;
            }
            i += 1;
        });
        // SAFETY: `out_n` is checked.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_fits_with_headroom() {
        let used = size_of::<Inner>();
        eprintln!("aauth_verifier: {used} of {AAUTH_VERIFIER_SIZE} bytes used");
        assert!(used <= AAUTH_VERIFIER_SIZE);
    }
}
