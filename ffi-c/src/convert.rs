//! Turning C views into core views (checking every pointer), and core results into C values.

use core::ffi::c_char;

use core_verify::policy::{Compat, Limits};
use core_verify::{Error, ErrorCode, Header, Policy, Request, Schemes, Verified};

use crate::types::*;

/// `Err(NullParameter)` unless `p` is non-NULL.
pub(crate) fn non_null<T>(p: *const T) -> Result<*const T, aauth_result> {
    if p.is_null() {
        Err(aauth_result::NullParameter)
    } else {
        Ok(p)
    }
}

/// A shared reference from a C pointer.
///
/// # Safety
///
/// `p` is NULL or points to a valid, initialised `T` that stays valid and unmodified for `'a`.
pub(crate) unsafe fn try_ref<'a, T>(p: *const T) -> Result<&'a T, aauth_result> {
    let p = non_null(p)?;
    if !p.is_aligned() {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL and aligned (checked above); validity is the caller's contract.
    Ok(unsafe { &*p })
}

/// A byte slice from a C pointer and length; `{NULL, 0}` is the empty slice.
///
/// # Safety
///
/// `data` is NULL or points to `len` readable bytes valid and unmodified for `'a`.
pub(crate) unsafe fn bytes<'a>(data: *const u8, len: usize) -> Result<&'a [u8], aauth_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    if len > isize::MAX as usize {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL, `u8` needs no alignment, `len` fits `isize`; readability and
    // immutability for 'a are the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(data, len) })
}

/// An optional byte slice: `data == NULL` (with `len == 0`) is `None`.
///
/// # Safety
///
/// As for [`bytes`].
pub(crate) unsafe fn opt_bytes<'a>(
    data: *const u8,
    len: usize,
) -> Result<Option<&'a [u8]>, aauth_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(None)
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    // SAFETY: same contract as ours.
    unsafe { bytes(data, len) }.map(Some)
}

/// # Safety
///
/// As for [`bytes`], for the slice's `data` and `len`.
pub(crate) unsafe fn slice<'a>(s: aauth_slice) -> Result<&'a [u8], aauth_result> {
    // SAFETY: same contract as ours.
    unsafe { bytes(s.data, s.len) }
}

/// # Safety
///
/// As for [`bytes`], for the slice's `data` and `len`.
pub(crate) unsafe fn opt_slice<'a>(s: aauth_slice) -> Result<Option<&'a [u8]>, aauth_result> {
    // SAFETY: same contract as ours.
    unsafe { opt_bytes(s.data, s.len) }
}

/// A mutable output buffer; `{NULL, 0}` is an empty buffer.
///
/// # Safety
///
/// `buf` is NULL or points to `len` writable bytes, not aliased during `'a`.
pub(crate) unsafe fn out_buf<'a>(buf: *mut u8, len: usize) -> Result<&'a mut [u8], aauth_result> {
    if buf.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    if len > isize::MAX as usize {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL, byte-aligned, `len` fits `isize`; writability and exclusivity are the
    // caller's contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(buf, len) })
}

/// Writes `value` through `out` (already checked non-NULL and aligned by the caller).
///
/// # Safety
///
/// `out` is non-NULL, aligned and valid for writes of a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller's contract; `T` is a C POD type with no drop glue.
    unsafe { out.write(value) }
}

/// Checks an output pointer: non-NULL and aligned.
pub(crate) fn check_out<T>(out: *mut T) -> Result<*mut T, aauth_result> {
    if out.is_null() {
        Err(aauth_result::NullParameter)
    } else if !out.is_aligned() {
        Err(aauth_result::InvalidParameter)
    } else {
        Ok(out)
    }
}

/// Storage for the header lines of one request, converted for the core.
pub(crate) type HeaderStore<'a> = [Header<'a>; AAUTH_MAX_HEADERS];

pub(crate) const EMPTY_HEADERS: HeaderStore<'static> = [Header::new(b"", b""); AAUTH_MAX_HEADERS];

const TOO_MANY_HEADERS: Error = Error::new(
    ErrorCode::InvalidRequest,
    "more header lines than AAUTH_MAX_HEADERS",
);

/// Why a request could not be converted.
pub(crate) enum RequestError {
    /// API misuse (NULL, misaligned, oversized).
    Api(aauth_result),
    /// A verification failure (too many header lines).
    Verify(Error),
}

/// Converts a C request into a core request whose header array lives in `store`.
///
/// # Safety
///
/// Every slice in `req` (and the `headers` array with every slice in it) satisfies the
/// contract of [`bytes`] for `'a`.
pub(crate) unsafe fn request<'a, 's>(
    req: &aauth_request,
    store: &'s mut HeaderStore<'a>,
) -> Result<Request<'a>, RequestError>
where
    's: 'a,
{
    let api = RequestError::Api;
    // SAFETY: the slices come from `req`, covered by our contract.
    let method = unsafe { slice(req.method) }.map_err(api)?;
    // SAFETY: as above.
    let scheme = unsafe { slice(req.scheme) }.map_err(api)?;
    // SAFETY: as above.
    let authority = unsafe { slice(req.authority) }.map_err(api)?;
    // SAFETY: as above.
    let path = unsafe { slice(req.path) }.map_err(api)?;
    // SAFETY: as above.
    let query = unsafe { opt_slice(req.query) }.map_err(api)?;
    // SAFETY: as above.
    let body = unsafe { opt_slice(req.body) }.map_err(api)?;
    let lines: &[aauth_header] = if req.headers.is_null() {
        if req.headers_len != 0 {
            return Err(api(aauth_result::NullParameter));
        }
        &[]
    } else {
        if !req.headers.is_aligned()
            || req.headers_len > isize::MAX as usize / core::mem::size_of::<aauth_header>()
        {
            return Err(api(aauth_result::InvalidParameter));
        }
        // SAFETY: non-NULL, aligned, size in range (checked); `headers_len` readable entries
        // for 'a is the caller's contract.
        unsafe { core::slice::from_raw_parts(req.headers, req.headers_len) }
    };
    if lines.len() > AAUTH_MAX_HEADERS {
        return Err(RequestError::Verify(TOO_MANY_HEADERS));
    }
    for (slot, line) in store.iter_mut().zip(lines) {
        // SAFETY: the header slices are covered by our contract.
        let name = unsafe { slice(line.name) }.map_err(api)?;
        // SAFETY: as above.
        let value = unsafe { slice(line.value) }.map_err(api)?;
        *slot = Header::new(name, value);
    }
    let headers: &'a [Header<'a>] = &store[..lines.len()];
    Ok(Request {
        method,
        scheme,
        authority,
        path,
        query,
        headers,
        body,
    })
}

/// A list of strings of one policy (required components, `jwt` types), converted for the core.
pub(crate) type StrStore<'a> = [&'a str; AAUTH_MAX_REQUIRED];

/// Storage for the converted lists of one policy.
pub(crate) struct PolicyStore<'a> {
    required: StrStore<'a>,
    jwt_types: StrStore<'a>,
}

impl PolicyStore<'_> {
    pub(crate) const fn new() -> PolicyStore<'static> {
        PolicyStore {
            required: [""; AAUTH_MAX_REQUIRED],
            jwt_types: [""; AAUTH_MAX_REQUIRED],
        }
    }
}

/// Converts a C list of UTF-8 strings into `store`.
///
/// # Safety
///
/// `list` is NULL or points to `len` readable slices, each satisfying [`bytes`] for `'a`.
unsafe fn str_list<'a, 's>(
    list: *const aauth_slice,
    len: usize,
    store: &'s mut StrStore<'a>,
) -> Result<&'a [&'a str], aauth_result>
where
    's: 'a,
{
    let list: &[aauth_slice] = if list.is_null() {
        if len != 0 {
            return Err(aauth_result::NullParameter);
        }
        &[]
    } else {
        if !list.is_aligned() || len > AAUTH_MAX_REQUIRED {
            return Err(aauth_result::InvalidParameter);
        }
        // SAFETY: non-NULL, aligned, at most AAUTH_MAX_REQUIRED entries (checked); readability
        // is the caller's contract.
        unsafe { core::slice::from_raw_parts(list, len) }
    };
    for (slot, s) in store.iter_mut().zip(list) {
        // SAFETY: covered by our contract.
        let b = unsafe { slice(*s) }?;
        *slot = core::str::from_utf8(b).map_err(|_| aauth_result::InvalidParameter)?;
    }
    Ok(&store[..list.len()])
}

/// Converts a C policy into a core policy whose lists live in `store`, and returns the label.
///
/// # Safety
///
/// `p.required`, `p.jwt_types` (with every slice in them) and `p.label` satisfy the contract
/// of [`bytes`] for `'a`.
pub(crate) unsafe fn policy<'a, 's>(
    p: &aauth_policy,
    store: &'s mut PolicyStore<'a>,
) -> Result<(Policy<'a>, Option<&'a [u8]>), aauth_result>
where
    's: 'a,
{
    if p.schemes & !AAUTH_SCHEMES_ALL != 0 {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: covered by our contract.
    let required = unsafe { str_list(p.required, p.required_len, &mut store.required) }?;
    // SAFETY: covered by our contract.
    let jwt_types = unsafe { str_list(p.jwt_types, p.jwt_types_len, &mut store.jwt_types) }?;
    // SAFETY: covered by our contract.
    let label = unsafe { opt_slice(p.label) }?;
    Ok((
        Policy {
            window: p.window,
            required,
            require_authorization_when_present: p.require_authorization_when_present,
            require_content_digest_with_body: p.require_content_digest_with_body,
            require_signature_key: p.require_signature_key,
            schemes: Schemes::from_bits(p.schemes),
            jwt_types,
            base64url_signatures: p.base64url_signatures,
            compat: Compat {
                legacy_signature_key: p.compat.legacy_signature_key,
                alg_less_keys: p.compat.alg_less_keys,
                eddsa: p.compat.eddsa,
                missing_created: p.compat.missing_created,
                legacy_metadata: p.compat.legacy_metadata,
            },
            limits: Limits {
                max_header_bytes: p.limits.max_header_bytes,
                max_components: p.limits.max_components,
                max_params: p.limits.max_params,
            },
        },
        label,
    ))
}

/// A static list of C slices.
struct StaticSlices<const N: usize>([aauth_slice; N]);

// SAFETY: the slices point to immutable `'static` string literals; sharing them between
// threads is sound.
unsafe impl<const N: usize> Sync for StaticSlices<N> {}

const fn lit(s: &'static str) -> aauth_slice {
    aauth_slice {
        data: s.as_ptr(),
        len: s.len(),
    }
}

static AGENT_TYPES_SLICES: StaticSlices<1> = StaticSlices([lit("aa-agent+jwt")]);
static AGENT_TYPES_COMPAT_SLICES: StaticSlices<2> =
    StaticSlices([lit("aa-agent+jwt"), lit("agent+jwt")]);

static AAUTH_REQUIRED_SLICES: StaticSlices<4> = StaticSlices([
    aauth_slice {
        data: b"@method".as_ptr(),
        len: 7,
    },
    aauth_slice {
        data: b"@authority".as_ptr(),
        len: 10,
    },
    aauth_slice {
        data: b"@path".as_ptr(),
        len: 5,
    },
    aauth_slice {
        data: b"signature-key".as_ptr(),
        len: 13,
    },
]);

/// The C form of a core policy preset (its required list must be the AAuth default).
pub(crate) fn policy_to_c(p: &Policy<'static>) -> aauth_policy {
    debug_assert_eq!(p.required, core_verify::policy::AAUTH_REQUIRED);
    let (jwt_types, jwt_types_len) = if p.jwt_types == core_verify::jwt::AGENT_TYPES_COMPAT {
        (AGENT_TYPES_COMPAT_SLICES.0.as_ptr(), 2)
    } else {
        debug_assert_eq!(p.jwt_types, core_verify::jwt::AGENT_TYPES);
        (AGENT_TYPES_SLICES.0.as_ptr(), 1)
    };
    aauth_policy {
        window: p.window,
        required: AAUTH_REQUIRED_SLICES.0.as_ptr(),
        required_len: AAUTH_REQUIRED_SLICES.0.len(),
        require_authorization_when_present: p.require_authorization_when_present,
        require_content_digest_with_body: p.require_content_digest_with_body,
        require_signature_key: p.require_signature_key,
        schemes: p.schemes.bits(),
        jwt_types,
        jwt_types_len,
        base64url_signatures: p.base64url_signatures,
        compat: aauth_compat {
            legacy_signature_key: p.compat.legacy_signature_key,
            alg_less_keys: p.compat.alg_less_keys,
            eddsa: p.compat.eddsa,
            missing_created: p.compat.missing_created,
            legacy_metadata: p.compat.legacy_metadata,
        },
        limits: aauth_limits {
            max_header_bytes: p.limits.max_header_bytes,
            max_components: p.limits.max_components,
            max_params: p.limits.max_params,
        },
        label: aauth_slice::NULL,
    }
}

/// The C identity of a verified signature.
pub(crate) fn identity(v: &Verified<'_>) -> aauth_identity {
    let mut thumbprint = [0 as c_char; 44];
    for (dst, src) in thumbprint.iter_mut().zip(v.key.thumbprint_b64().as_bytes()) {
        *dst = *src as c_char;
    }
    let token = v.token.as_ref();
    aauth_identity {
        scheme: v.scheme.into(),
        label: aauth_slice::of(v.label),
        kid: match token {
            Some(t) => aauth_text::of_json(t.kid),
            None => aauth_text::of(v.kid),
        },
        signer: aauth_text::of(v.signer),
        issuer: aauth_text::of_json(token.and_then(|t| t.claims.iss)),
        subject: aauth_text::of_json(token.and_then(|t| t.claims.sub)),
        token_type: aauth_text::of_json(token.map(|t| t.typ)),
        token_key: token.map_or([0; 32], |t| t.issuer_key.x),
        nonce: aauth_text::of(v.params.nonce),
        tag: aauth_text::of(v.params.tag),
        has_created: v.params.created.is_some(),
        created: v.params.created.unwrap_or(0),
        has_expires: v.params.expires.is_some(),
        expires: v.params.expires.unwrap_or(0),
        public_key: v.key.x,
        thumbprint,
    }
}

/// Copies `src` into a caller buffer and reports its length; `InsufficientSize` (and nothing
/// written) when it does not fit.
pub(crate) fn copy_out(src: &[u8], buf: &mut [u8]) -> Result<usize, aauth_result> {
    let dst = buf
        .get_mut(..src.len())
        .ok_or(aauth_result::InsufficientSize)?;
    dst.copy_from_slice(src);
    Ok(src.len())
}
