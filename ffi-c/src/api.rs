//! The `extern "C"` functions.

use core::ffi::c_char;
use core::mem::{align_of, size_of, MaybeUninit};

use core_verify::sink::CountingSink;
use core_verify::{
    jwk, parse, render, Error, ErrorCode, JwtScratch, KeyRequirement, Parsed, Policy, PublicKey,
    Request, Scheme, Token, TokenCache, Verified,
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
    /// The caller's policy (pointers only).
    policy: aauth_policy,
    /// The clock passed to parse.
    now: i64,
    /// The parsed signature, borrowing the caller's request bytes.
    parsed: Parsed<'static>,
    /// Whether `aauth_verifier_check_metadata` succeeded for this signature.
    metadata_ok: bool,
}

/// The private layout of [`aauth_verifier`]. Zeroed memory is a valid "fresh" state: `tag` 0.
#[repr(C)]
struct Inner {
    tag: u64,
    /// The last failure's description (valid when `tag` is `TAG_RESET` or `TAG_PARSED`).
    detail: &'static str,
    /// Valid when `tag` is `TAG_PARSED`.
    body: MaybeUninit<Body>,
    /// The decoded token of a token scheme (bytes: always valid once written by init).
    scratch: JwtScratch,
    /// The attached token cache, or NULL (`aauth_verifier_set_token_cache`).
    cache: *mut CacheInner,
}

/// The core cache behind `aauth_token_cache`.
type Cache = TokenCache<AAUTH_TOKEN_CACHE_ENTRIES>;

/// `aauth_token_cache_init` has run.
const TAG_CACHE: u64 = 0x6161_7574_6801_0c01;

/// The private layout of [`aauth_token_cache`].
#[repr(C)]
struct CacheInner {
    tag: u64,
    cache: Cache,
}

const _: () = {
    assert!(size_of::<CacheInner>() <= size_of::<aauth_token_cache>());
    assert!(align_of::<CacheInner>() <= align_of::<aauth_token_cache>());
    assert!(size_of::<aauth_token_cache>() == AAUTH_TOKEN_CACHE_SIZE);
};

const _: () = {
    assert!(size_of::<Inner>() <= size_of::<aauth_verifier>());
    assert!(align_of::<Inner>() <= align_of::<aauth_verifier>());
    assert!(size_of::<aauth_verifier>() == AAUTH_VERIFIER_SIZE);
};

/// Checks a verifier pointer, initialises a fresh (zeroed) verifier, and returns it.
///
/// # Safety
///
/// `v` is NULL or points to an `aauth_verifier` that is zeroed or was written by this library,
/// readable and writable, and not used elsewhere during `'v`.
unsafe fn verifier<'v>(v: *mut aauth_verifier) -> Result<&'v mut Inner, aauth_result> {
    let v = check_out(v)?;
    // SAFETY: non-NULL and aligned (checked); `Inner` starts with a `u64` (repr(C)) and any
    // initialised bytes are a valid `u64`.
    let tag = unsafe { v.cast::<u64>().read() };
    match tag {
        // SAFETY: our contract: `v` is valid for writes of an `aauth_verifier`.
        0 => unsafe { reset(v) },
        TAG_RESET | TAG_PARSED => {}
        _ => return Err(aauth_result::InvalidState),
    }
    // SAFETY: the tag says `tag`, `detail` and `scratch` are initialised (`body` is
    // `MaybeUninit`); size and alignment are asserted at compile time; exclusivity is our
    // contract.
    Ok(unsafe { &mut *v.cast::<Inner>() })
}

/// Writes a fresh state: tag, empty detail, zeroed scratch.
///
/// # Safety
///
/// `v` is non-NULL, aligned and writable for one `aauth_verifier`.
unsafe fn reset(v: *mut aauth_verifier) {
    let inner = v.cast::<Inner>();
    // SAFETY: our contract; the fields are written through raw pointers, so no reference to a
    // partially initialised `Inner` is formed.
    unsafe {
        core::ptr::addr_of_mut!((*inner).detail).write("");
        core::ptr::addr_of_mut!((*inner).scratch).write(JwtScratch::new());
        core::ptr::addr_of_mut!((*inner).cache).write(core::ptr::null_mut());
        core::ptr::addr_of_mut!((*inner).tag).write(TAG_RESET);
    }
}

/// The cache a verifier's `cache` field points to, if any; `AAUTH_RESULT_INVALID_STATE` if
/// its tag is gone (the memory was zeroed or reused while attached).
///
/// # Safety
///
/// `p` is NULL or was checked (tag) by `aauth_verifier_set_token_cache`, and the caller keeps
/// that memory valid, distinct from the verifier and unused elsewhere during `'c` (the
/// contract documented there). One reference is made per call.
unsafe fn attached<'c>(p: *mut CacheInner) -> Result<Option<&'c mut Cache>, aauth_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, aligned and readable (checked when attached; the contract keeps it
    // so); `CacheInner` starts with a `u64`.
    if unsafe { p.cast::<u64>().read() } != TAG_CACHE {
        return Err(aauth_result::InvalidState);
    }
    // SAFETY: tagged, so initialised by `aauth_token_cache_init`; exclusive per the contract.
    Ok(Some(unsafe { &mut (*p).cache }))
}

impl Inner {
    fn body(&self) -> Result<Body, aauth_result> {
        if self.tag != TAG_PARSED {
            return Err(aauth_result::InvalidState);
        }
        // SAFETY: `TAG_PARSED` is written only after the body.
        Ok(unsafe { self.body.assume_init() })
    }

    /// Records a failure and returns its result.
    fn fail(&mut self, e: Error) -> aauth_result {
        self.detail = e.detail;
        e.code.into()
    }
}

/// Initialises (or resets) a verifier to the fresh state, with no token cache attached. Zeroed
/// memory is also fresh, so `aauth_verifier v = {0};` works too.
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
        // SAFETY: non-NULL, aligned (checked), writable per our contract.
        unsafe { reset(v) };
        aauth_result::Ok
    })
}

/// Initialises (or empties) a verified-token cache. Call it before the cache's first use.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `cache` is NULL, `AAUTH_RESULT_INVALID_PARAMETER`
/// if it is misaligned. Thread-safe for distinct caches; never allocates.
///
/// # Safety
///
/// `cache` is NULL or points to writable memory for one `aauth_token_cache`, not in use by a
/// call on a verifier it is attached to.
#[no_mangle]
pub unsafe extern "C" fn aauth_token_cache_init(cache: *mut aauth_token_cache) -> aauth_result {
    ffi_boundary!({
        let c = tri!(check_out(cache)).cast::<CacheInner>();
        // SAFETY: non-NULL and aligned (checked; `CacheInner` fits, asserted at compile time),
        // writable per our contract; fields are written through raw pointers, so no reference
        // to uninitialised memory is formed.
        unsafe {
            core::ptr::addr_of_mut!((*c).cache).write(Cache::new());
            core::ptr::addr_of_mut!((*c).tag).write(TAG_CACHE);
        }
        aauth_result::Ok
    })
}

/// The checked cache behind a C pointer.
///
/// # Safety
///
/// `cache` is NULL or points to readable memory for one `aauth_token_cache`.
unsafe fn checked_cache(cache: *const aauth_token_cache) -> Result<*mut CacheInner, aauth_result> {
    let c = check_out(cache.cast_mut())?.cast::<CacheInner>();
    // SAFETY: non-NULL and aligned (checked); `CacheInner` starts with a `u64` (repr(C)) and
    // any initialised bytes are a valid `u64`.
    if unsafe { c.cast::<u64>().read() } != TAG_CACHE {
        return Err(aauth_result::InvalidState);
    }
    Ok(c)
}

/// Writes into `*out_len` how many tokens `cache` holds that are still valid at `now`.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` if the cache was not initialised. Thread-safe for
/// caches not in use by another thread.
///
/// # Safety
///
/// `cache` is NULL or points to an `aauth_token_cache`; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_token_cache_len(
    cache: *const aauth_token_cache,
    now: i64,
    out_len: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_len));
        // SAFETY: our contract for `cache`.
        let c = tri!(unsafe { checked_cache(cache) });
        // SAFETY: checked and initialised (tag); not written concurrently (our contract).
        let n = unsafe { &(*c).cache }.len(now);
        // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
        unsafe { write_out(out, n) };
        aauth_result::Ok
    })
}

/// Attaches `cache` to `verifier` (NULL detaches): phase 2 of its token schemes then reads
/// tokens through the cache (one lookup per verification) and records the ones whose JWS and
/// request verified. Call it after `aauth_verifier_init` (which
/// detaches) and before `aauth_verifier_parse` or a one-shot call; it stays attached across
/// verifications.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` if `cache` was not initialised (later calls on the
/// verifier return it too if the cache's memory is zeroed or reused while attached), and
/// `AAUTH_RESULT_INVALID_PARAMETER` if the two overlap. Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse`. `cache` is NULL or an initialised
/// `aauth_token_cache` that stays valid and is not moved while attached, does not overlap the
/// verifier, and is used by one thread at a time: no two calls on verifiers it is attached to
/// may run at once (one cache per thread, or the caller's lock).
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_set_token_cache(
    verifier: *mut aauth_verifier,
    cache: *mut aauth_token_cache,
) -> aauth_result {
    ffi_boundary!({
        let c = if cache.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: our contract for `cache`.
            tri!(unsafe { checked_cache(cache) })
        };
        // The two must not overlap: the verifier's calls hold `&mut` to both at once.
        let (v0, c0) = (verifier as usize, c as usize);
        let apart = c.is_null()
            || v0.saturating_add(size_of::<aauth_verifier>()) <= c0
            || c0.saturating_add(size_of::<aauth_token_cache>()) <= v0;
        if !apart {
            return aauth_result::InvalidParameter;
        }
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.cache = c;
        aauth_result::Ok
    })
}

fn is_token(p: &Parsed<'_>) -> bool {
    matches!(
        p.requirement(),
        KeyRequirement::Jwt { .. } | KeyRequirement::JktJwt { .. } | KeyRequirement::SelfJwt { .. }
    )
}

fn needs_metadata(p: &Parsed<'_>) -> bool {
    matches!(
        p.requirement(),
        KeyRequirement::JwksUri { .. }
            | KeyRequirement::LegacyJwks { id: Some(_), .. }
            | KeyRequirement::Jwt { .. }
            | KeyRequirement::SelfJwt { .. }
    )
}

fn requirement_of(p: &Parsed<'_>, token: Option<&Token<'_>>) -> aauth_key_requirement {
    let mut r = aauth_key_requirement {
        scheme: p.scheme().into(),
        needs_metadata: needs_metadata(p),
        id: aauth_text::ABSENT,
        dwk: aauth_text::ABSENT,
        kid: aauth_text::ABSENT,
        url: aauth_text::ABSENT,
        jwt: aauth_text::ABSENT,
        iss: aauth_text::ABSENT,
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
            r.url = aauth_text::of(jwks);
            r.id = aauth_text::of(id);
            r.dwk = aauth_text::of(well_known);
            r.kid = aauth_text::of(Some(kid));
        }
        KeyRequirement::Jwt { jwt }
        | KeyRequirement::JktJwt { jwt }
        | KeyRequirement::SelfJwt { jwt } => r.jwt = aauth_text::of(Some(jwt)),
    }
    if let Some(t) = token {
        r.iss = aauth_text::of_json(t.claims().iss);
        r.dwk = aauth_text::of_json(t.claims().dwk);
        r.kid = aauth_text::of_json(t.kid());
        if let Some(k) = t.header_jwk() {
            r.has_inline_key = true;
            r.inline_key = k.x;
        }
    }
    r
}

/// Phase 1 on a checked verifier.
///
/// # Safety
///
/// `c_req` and `c_policy` (with everything they point to) are valid for reads and stay valid
/// and unchanged until the last call on `inner` (the caller's documented contract).
unsafe fn parse_into(
    inner: &mut Inner,
    c_req: &aauth_request,
    c_policy: &aauth_policy,
    now: i64,
) -> Result<aauth_key_requirement, aauth_result> {
    inner.tag = TAG_RESET;
    inner.detail = "";
    let mut lists = PolicyStore::new();
    // SAFETY: the policy's lists are readable per our contract.
    let (policy, label) = unsafe { convert::policy(c_policy, &mut lists) }?;
    let mut headers = EMPTY_HEADERS;
    // SAFETY: the request's slices are readable per our contract.
    let req = match unsafe { convert::request(c_req, &mut headers) } {
        Ok(r) => r,
        Err(RequestError::Api(e)) => return Err(e),
        Err(RequestError::Verify(e)) => return Err(inner.fail(e)),
    };
    let parsed = parse(&req, &policy, label, now).map_err(|e| inner.fail(e))?;
    let requirement = if is_token(&parsed) {
        // Phase 1 reads the token plainly even with a cache attached: a cache lookup hashes
        // the whole token, which costs more than decoding it; phase 2 looks it up once.
        match parsed.token(&mut inner.scratch, &policy, now) {
            Ok(token) => requirement_of(&parsed, Some(&token)),
            Err(e) => {
                inner.detail = e.detail;
                return Err(e.code.into());
            }
        }
    } else {
        requirement_of(&parsed, None)
    };
    // SAFETY: `Parsed` borrows only bytes of the request's slices (header values, and the
    // label, which the core re-borrows from the header), which the caller keeps valid and
    // unchanged until the last call on this verifier; it does not borrow the stack arrays
    // `headers` and `lists`, which only give those bytes a lifetime here.
    let parsed: Parsed<'static> = unsafe { core::mem::transmute::<Parsed<'_>, _>(parsed) };
    inner.body = MaybeUninit::new(Body {
        request: *c_req,
        policy: *c_policy,
        now,
        parsed,
        metadata_ok: false,
    });
    inner.tag = TAG_PARSED;
    Ok(requirement)
}

/// Phase 1: runs every check that needs no key material (signature headers, label, covered
/// and required components, freshness against `now`, scheme allowlist, inline key, and for
/// token schemes the token's offline checks) and writes into `*out_requirement` which key the
/// signature needs.
///
/// * `verifier`: caller storage, zeroed or initialised. It is reset first; on success it holds
///   the parsed signature, on failure only the failure's description (`aauth_verifier_detail`).
/// * `request`, `policy`: the verifier keeps copies of these two structs (not of the bytes):
///   the request's bytes and header array, and the policy's lists and label, must stay valid
///   and unchanged until the last call on this verifier.
/// * `now`: the verifier's clock, seconds since the Unix epoch (kept for phase 2).
/// * `out_requirement`: written only on success; see `aauth_text` for the lifetime of its
///   texts.
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
        // SAFETY: our contract for `request`.
        let c_req = tri!(unsafe { try_ref(request) });
        // SAFETY: our contract for `policy`.
        let c_policy = tri!(unsafe { try_ref(policy) });
        let out = tri!(check_out(out_requirement));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        // SAFETY: our contract: the request and policy stay valid until the last call.
        let requirement = tri!(unsafe { parse_into(inner, c_req, c_policy, now) });
        // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
        unsafe { write_out(out, requirement) };
        aauth_result::Ok
    })
}

/// A conversion of the stored request and policy, for phase 2.
macro_rules! with_parsed {
    ($inner:expr, |$body:ident, $req:ident, $policy:ident| $e:expr) => {{
        let $body = $inner.body()?;
        let mut lists = PolicyStore::new();
        // SAFETY: the caller keeps the parsed policy valid and unchanged (documented on
        // `aauth_verifier_parse`); it converted successfully then, so it does now.
        let ($policy, _) = unsafe { convert::policy(&$body.policy, &mut lists) }?;
        let mut headers = EMPTY_HEADERS;
        // SAFETY: as above, for the request.
        let $req = match unsafe { convert::request(&$body.request, &mut headers) } {
            Ok(r) => r,
            Err(RequestError::Api(e)) => return Err(e),
            Err(RequestError::Verify(e)) => return Err(e.code.into()),
        };
        $e
    }};
}

/// Metadata check on a parsed verifier; returns the `jwks_uri` length copied into `buf`.
fn check_metadata_in(inner: &mut Inner, doc: &[u8], buf: &mut [u8]) -> Result<usize, aauth_result> {
    with_parsed!(inner, |body, _req, policy| {
        let p = body.parsed;
        if !needs_metadata(&p) {
            return Err(aauth_result::InvalidState);
        }
        let uri = if is_token(&p) {
            // Plainly, as in phase 1: the cache is looked up once, in phase 2.
            p.token(&mut inner.scratch, &policy, body.now)
                .and_then(|t| t.check_metadata(doc, &policy))
        } else {
            p.check_metadata(doc, &policy)
        };
        let uri = uri.map_err(|e| {
            inner.detail = e.detail;
            aauth_result::from(e.code)
        })?;
        if uri.decoded_len() > buf.len() {
            return Err(aauth_result::InsufficientSize);
        }
        let n = match uri.decode_into(buf) {
            Some(s) => s.len(),
            None => {
                inner.detail = "metadata jwks_uri is not valid text";
                return Err(aauth_result::InvalidKey);
            }
        };
        // SAFETY: `body()` succeeded, so the tag is `TAG_PARSED` and the body initialised.
        unsafe { inner.body.assume_init_mut() }.metadata_ok = true;
        Ok(n)
    })
}

/// Checks the signer's metadata document (the body of `{id}/.well-known/{dwk}`, or for token
/// schemes `{iss}/.well-known/{dwk}`): its `issuer` must equal `id` (or `iss`). On success
/// copies the document's `jwks_uri` (JSON-unescaped, not NUL-terminated) into `buf`, sets
/// `*out_n` to its length, and remembers that the metadata passed, so that
/// `aauth_verifier_finish_jwks` may then be called without the document.
///
/// Returns `AAUTH_RESULT_ISSUER_MISSING`, `AAUTH_RESULT_ISSUER_MISMATCH` or
/// `AAUTH_RESULT_INVALID_KEY` for a bad document, `AAUTH_RESULT_INSUFFICIENT_SIZE` when
/// `jwks_uri` does not fit (`*out_n` untouched; the metadata does not count as checked),
/// `AAUTH_RESULT_INVALID_STATE` before a successful parse or for a scheme without metadata
/// (`needs_metadata` false). `metadata` is read during this call only. Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request and policy still valid);
/// `metadata` readable for `metadata_len` bytes; `buf` writable for `buf_len` bytes (may be
/// NULL if `buf_len` is 0); `out_n` writable.
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
        tri!(non_null(metadata));
        // SAFETY: our contract for `metadata`.
        let doc = tri!(unsafe { bytes(metadata, metadata_len) });
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let n = tri!(check_metadata_in(inner, doc, buf));
        // SAFETY: `out_n` is checked non-NULL and aligned.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}

/// The key material a finish call supplies.
#[derive(Clone, Copy)]
enum KeyInput<'k> {
    /// The request's own key (`hwk`, `jkt-jwt`).
    Inline,
    /// A raw key from the caller (or the reason it is unusable).
    Raw(Result<PublicKey, Error>),
    /// One JWK from the caller.
    Jwk(&'k [u8]),
    /// A JWKS document, and the metadata document when the caller passes it.
    Jwks {
        jwks: &'k [u8],
        metadata: Option<&'k [u8]>,
    },
}

const NOT_INLINE: Error = Error::new(
    ErrorCode::UnknownKey,
    "the signature's key is not inline and none was supplied",
);

/// Phase 2 for every scheme.
fn verify_with<'a, 's>(
    p: &Parsed<'a>,
    req: &Request<'a>,
    policy: &Policy<'_>,
    now: i64,
    (scratch, cache): (&'s mut JwtScratch, Option<&mut Cache>),
    metadata_ok: bool,
    input: KeyInput<'_>,
) -> Result<Verified<'s>, Error>
where
    'a: 's,
{
    if is_token(p) {
        let token = match cache.as_deref() {
            Some(c) => p.token_cached(scratch, policy, now, c)?,
            None => p.token(scratch, policy, now)?,
        };
        let issuer_key = match (token.scheme(), input) {
            // The token carries its key.
            (Scheme::JktJwt, _) => None,
            (_, KeyInput::Inline) => {
                return Err(Error::new(
                    ErrorCode::UnknownKey,
                    "jwt needs the issuer's keys",
                ))
            }
            (_, KeyInput::Raw(k)) => Some(k?),
            (_, KeyInput::Jwk(doc)) => Some(jwk::parse_jwk(doc, policy.key_rules())?),
            (_, KeyInput::Jwks { jwks, metadata }) => {
                match metadata {
                    Some(doc) => {
                        token.check_metadata(doc, policy)?;
                    }
                    None if !metadata_ok => {
                        return Err(Error::new(
                            ErrorCode::UnknownKey,
                            "jwt needs the issuer's metadata document",
                        ))
                    }
                    None => {}
                }
                Some(token.select_issuer_key(jwks, policy)?)
            }
        };
        return match cache {
            Some(c) => p.verify_token_cached(req, &token, issuer_key.as_ref(), c, now),
            None => p.verify_token(req, &token, issuer_key.as_ref()),
        };
    }
    let key = match input {
        KeyInput::Inline => p.inline_key().ok_or(NOT_INLINE)?,
        KeyInput::Raw(k) => k?,
        KeyInput::Jwk(doc) => jwk::parse_jwk(doc, policy.key_rules())?,
        KeyInput::Jwks { jwks, metadata } => {
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
            p.select_key(jwks, policy)?
        }
    };
    p.verify(req, &key)
}

/// Phase 2 on a checked verifier.
fn finish_in(inner: &mut Inner, input: KeyInput<'_>) -> Result<aauth_identity, aauth_result> {
    with_parsed!(inner, |body, req, policy| {
        let p = body.parsed;
        let result = verify_with(
            &p,
            &req,
            &policy,
            body.now,
            // SAFETY: `inner.cache` is the attached cache (see `attached`).
            (&mut inner.scratch, unsafe { attached(inner.cache) }?),
            body.metadata_ok,
            input,
        );
        match result {
            Ok(v) => Ok(convert::identity(&v)),
            Err(e) => {
                inner.detail = e.detail;
                Err(e.code.into())
            }
        }
    })
}

/// Phase 2 entry: checks the pointers, finishes, writes the identity.
///
/// # Safety
///
/// `v` and `out` as for the public finish functions.
unsafe fn finish(
    v: *mut aauth_verifier,
    out: *mut aauth_identity,
    input: KeyInput<'_>,
) -> aauth_result {
    let out = tri!(check_out(out));
    // SAFETY: our contract for `v`.
    let inner = tri!(unsafe { verifier(v) });
    let identity = tri!(finish_in(inner, input));
    // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
    unsafe { write_out(out, identity) };
    aauth_result::Ok
}

/// Phase 2 with the key the request carries: `hwk`, or `jkt-jwt` (the token's header key).
///
/// Returns `AAUTH_RESULT_UNKNOWN_KEY` when the signature's key is not inline. On success
/// writes `*out_identity` (see `aauth_text` for lifetimes). The verifier stays parsed: a
/// finish call may be repeated, e.g. with a refetched JWKS. Never allocates.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse` (and its request and policy still valid);
/// `out_identity` NULL or writable for one `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_finish_inline(
    verifier: *mut aauth_verifier,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    // SAFETY: our contract.
    ffi_boundary!(unsafe { finish(verifier, out_identity, KeyInput::Inline) })
}

fn raw_key(key: &[u8]) -> Result<Result<PublicKey, Error>, aauth_result> {
    let x: [u8; 32] = key.try_into().map_err(|_| aauth_result::InvalidParameter)?;
    Ok(PublicKey::from_raw(x))
}

/// Phase 2 with a raw Ed25519 public key (32 bytes) from the caller's trust store or resolved
/// by the caller. For token schemes (`jwt`, `self-jwt`) it is the token issuer's key;
/// otherwise it verifies the request. The caller vouches that the key belongs to the signer
/// the requirement names: the key is used whatever the scheme says.
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
        let key = tri!(raw_key(tri!(unsafe { bytes(key, key_len) })));
        // SAFETY: our contract.
        unsafe { finish(verifier, out_identity, KeyInput::Raw(key)) }
    })
}

/// Phase 2 with one JWK (a JSON object, at most 4096 bytes), checked under the policy's key
/// rules (`alg` required unless `compat.alg_less_keys`). As with a raw key, the caller vouches
/// for it (for token schemes it is the issuer's key). `jwk` is read during this call only.
/// Otherwise as `aauth_verifier_finish_inline`.
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
        unsafe { finish(verifier, out_identity, KeyInput::Jwk(doc)) }
    })
}

/// Phase 2 with a JWKS document (`{"keys":[…]}`, at most 16384 bytes): the signer's keys,
/// or for `jwt`/`self-jwt` the token issuer's keys. The key named by `kid` (token header
/// `kid`; without `Signature-Key`, the `keyid` parameter) is selected.
///
/// When the requirement has `needs_metadata`, the metadata must be checked: pass the document
/// as `metadata`/`metadata_len`, or pass `metadata == NULL` after a successful
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
        unsafe { finish(verifier, out_identity, KeyInput::Jwks { jwks, metadata }) }
    })
}

fn base_in(inner: &mut Inner, buf: &mut [u8]) -> Result<usize, aauth_result> {
    with_parsed!(inner, |body, req, _policy| {
        let mut count = CountingSink::default();
        body.parsed
            .write_base(&req, &mut count)
            .map_err(|e| aauth_result::from(e.code))?;
        if count.count > buf.len() {
            return Err(aauth_result::InsufficientSize);
        }
        body.parsed
            .base_into(&req, buf)
            .map(<[u8]>::len)
            .map_err(|e| e.code.into())
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
/// `verifier` as for `aauth_verifier_parse` (and its request and policy still valid); `buf`
/// writable for `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_signature_base(
    verifier: *mut aauth_verifier,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let n = tri!(base_in(inner, buf));
        // SAFETY: `out_n` is checked non-NULL and aligned.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
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
        // SAFETY: our contract for `buf`.
        let buf = tri!(unsafe { out_buf(buf, buf_len) });
        let out_n = tri!(check_out(out_n));
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        let n = tri!(copy_out(inner.detail.as_bytes(), buf));
        // SAFETY: `out_n` is checked non-NULL and aligned.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}

// ---------------------------------------------------------------------------------------------
// One-shot verification

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
    out: *mut aauth_identity,
    input: KeyInput<'_>,
) -> aauth_result {
    // SAFETY: our contract.
    let c_req = tri!(unsafe { try_ref(request) });
    // SAFETY: our contract.
    let c_policy = tri!(unsafe { try_ref(policy) });
    let out = tri!(check_out(out));
    // SAFETY: our contract.
    let inner = tri!(unsafe { self::verifier(verifier) });
    // SAFETY: the request and policy stay valid for this call, and the verifier is not used
    // after it except through the documented identity lifetimes.
    tri!(unsafe { parse_into(inner, c_req, c_policy, now) });
    let identity = tri!(finish_in(inner, input));
    // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
    unsafe { write_out(out, identity) };
    aauth_result::Ok
}

/// Verifies a request whose key it carries (`hwk`, `jkt-jwt`), in one call: parse, then
/// finish, using `verifier` as workspace (it is reset; afterwards it holds the parsed
/// signature, as after `aauth_verifier_parse`).
///
/// `request` and `policy` are read during the call; on success `*out_identity` is written
/// (see `aauth_text` for lifetimes: token values point into `verifier`). Returns
/// `AAUTH_RESULT_UNKNOWN_KEY` when the key is not inline. Reentrant and thread-safe for
/// distinct verifiers; never allocates.
///
/// # Safety
///
/// `verifier` NULL or zeroed/initialised and writable; `request` and `policy` NULL or readable
/// (with every slice they contain readable for its length); `out_identity` NULL or writable
/// for one `aauth_identity`.
#[no_mangle]
pub unsafe extern "C" fn aauth_verify_inline(
    verifier: *mut aauth_verifier,
    request: *const aauth_request,
    policy: *const aauth_policy,
    now: i64,
    out_identity: *mut aauth_identity,
) -> aauth_result {
    // SAFETY: our contract.
    ffi_boundary!(unsafe {
        one_shot(
            verifier,
            request,
            policy,
            now,
            out_identity,
            KeyInput::Inline,
        )
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
    verifier: *mut aauth_verifier,
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
        let key = tri!(raw_key(tri!(unsafe { bytes(key, key_len) })));
        // SAFETY: our contract.
        unsafe {
            one_shot(
                verifier,
                request,
                policy,
                now,
                out_identity,
                KeyInput::Raw(key),
            )
        }
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
    verifier: *mut aauth_verifier,
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
            one_shot(
                verifier,
                request,
                policy,
                now,
                out_identity,
                KeyInput::Jwk(doc),
            )
        }
    })
}

/// Verifies a request against a JWKS the caller already holds (a static trust store, or
/// documents fetched earlier), in one call (see `aauth_verifier_finish_jwks`): `metadata` is
/// the signer's (or token issuer's) metadata document when the scheme needs one, else NULL.
/// Otherwise as `aauth_verify_inline`.
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
        tri!(non_null(jwks));
        // SAFETY: our contract for `jwks`.
        let jwks = tri!(unsafe { bytes(jwks, jwks_len) });
        // SAFETY: our contract for `metadata`.
        let metadata = tri!(unsafe { opt_bytes(metadata, metadata_len) });
        // SAFETY: our contract.
        unsafe {
            one_shot(
                verifier,
                request,
                policy,
                now,
                out_identity,
                KeyInput::Jwks { jwks, metadata },
            )
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
        let mut lists = PolicyStore::new();
        // SAFETY: our contract.
        let (core_policy, _) = tri!(unsafe { convert::policy(c_policy, &mut lists) });
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

/// Copies the value of `text` into `buf` with its escapes removed (Structured Field `\"` and
/// `\\`, or JSON string escapes, as `text->escapes` says), and sets `*out_n` to its length
/// (not NUL-terminated). An absent text copies 0 bytes. The value is never longer than
/// `text->len`.
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
        let n = match t.escapes {
            aauth_escapes::None => tri!(copy_out(raw, buf)),
            aauth_escapes::Sf => {
                let text = core_verify::Text::plain(raw);
                // Structured Field strings escape only `"` and `\`: drop each backslash and
                // keep the byte after it.
                let mut n = 0usize;
                let mut escape = false;
                for &b in text.raw() {
                    if b == b'\\' && !escape {
                        escape = true;
                        continue;
                    }
                    escape = false;
                    n += 1;
                }
                if n > buf.len() {
                    return aauth_result::InsufficientSize;
                }
                let mut i = 0usize;
                escape = false;
                for &b in text.raw() {
                    if b == b'\\' && !escape {
                        escape = true;
                        continue;
                    }
                    escape = false;
                    if let Some(slot) = buf.get_mut(i) {
                        *slot = b;
                    }
                    i += 1;
                }
                n
            }
            aauth_escapes::Json => {
                let json = core::str::from_utf8(raw)
                    .ok()
                    .and_then(core_verify::json::JsonStr::from_raw);
                let Some(json) = json else {
                    return aauth_result::InvalidParameter;
                };
                if json.decoded_len() > buf.len() {
                    return aauth_result::InsufficientSize;
                }
                match json.decode_into(buf) {
                    Some(s) => s.len(),
                    None => return aauth_result::InvalidParameter,
                }
            }
        };
        // SAFETY: `out_n` is checked.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `aauth_result` mirrors the core's `ErrorCode` for cbindgen: the numbers and the mapping
    /// both ways must stay identical.
    #[test]
    fn results_mirror_core_error_codes() {
        for code in core_verify::ErrorCode::ALL {
            let r = aauth_result::from(code);
            assert_eq!(r as u32, code as u32, "{code:?}");
            assert_eq!(r.error_code(), Some(code));
        }
    }

    #[test]
    fn state_fits_with_headroom() {
        let used = size_of::<Inner>();
        eprintln!("aauth_verifier: {used} of {AAUTH_VERIFIER_SIZE} bytes used");
        assert!(used <= AAUTH_VERIFIER_SIZE);
    }
}
