//! The request view (`aauth_request`), its conversion into the core's `Request`, and the facts
//! about it that rendering needs (`aauth_request_facts`).

use core_verify::render::RequestFacts;
use core_verify::{Check, Error, ErrorCode, Header, Request};

use crate::ptr::{array, bytes, check_out, opt_bytes, try_ref, write_out};
use crate::result::aauth_result;
use crate::text::aauth_slice;

/// Most header lines an `aauth_request` may carry. A request with more fails verification
/// with `AAUTH_RESULT_INVALID_REQUEST` (the verifier converts the lines on its stack).
pub const AAUTH_MAX_HEADERS: usize = 256;

/// One header line as received: a name (any case) and a value (surrounding whitespace is
/// allowed). Repeated names are allowed and kept in order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_header {
    /// The field name.
    pub name: aauth_slice,
    /// The field value of this line.
    pub value: aauth_slice,
}

/// A borrowed view of the HTTP request to verify. Nothing is copied.
///
/// * `method`, `scheme`: as sent (`GET`, `https`); not normalised.
/// * `authority`: the receiving service's **canonical** authority (`resource.example`,
///   `host:8443`), never taken blindly from `Host`.
/// * `path`: the raw absolute path without the query (empty means `/`).
/// * `query`: the query without its leading `?`; `data == NULL` when the target has no `?`.
/// * `headers`/`headers_len`: every header line in order (at most `AAUTH_MAX_HEADERS`);
///   `headers` may be NULL only when `headers_len` is 0.
/// * `body`: the body when the caller has it (to check a covered `Content-Digest`);
///   `data == NULL` when absent.
///
/// Lifetime: the bytes and the header array must stay valid and unchanged for as long as
/// results that point into them are used (plans, identities) and, for the two-phase API,
/// from `aauth_verifier_parse` until the last call on that verifier.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_request {
    /// `@method`.
    pub method: aauth_slice,
    /// `@scheme`.
    pub scheme: aauth_slice,
    /// `@authority` (canonical).
    pub authority: aauth_slice,
    /// `@path`.
    pub path: aauth_slice,
    /// `@query` without `?`; `data == NULL` = no query.
    pub query: aauth_slice,
    /// The header lines.
    pub headers: *const aauth_header,
    /// The number of header lines.
    pub headers_len: usize,
    /// The body; `data == NULL` = not supplied.
    pub body: aauth_slice,
}

/// Storage for the header lines of one request, converted for the core.
pub(crate) type HeaderStore<'a> = [Header<'a>; AAUTH_MAX_HEADERS];

pub(crate) const EMPTY_HEADERS: HeaderStore<'static> = [Header::new(b"", b""); AAUTH_MAX_HEADERS];

/// Why a request could not be converted.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// API misuse (NULL, misaligned, oversized).
    Api(aauth_result),
    /// A verification failure: more than `AAUTH_MAX_HEADERS` lines (the core's
    /// `TooManyHeaderLines`).
    Verify(Error),
}

/// More header lines than the conversion array holds.
const TOO_MANY_HEADERS: Error = Error::new(ErrorCode::InvalidRequest, Check::TooManyHeaderLines);

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

/// Converts a C request into a core request whose header array lives in `store`.
///
/// # Safety
///
/// Every slice in `req` (and the `headers` array with every slice in it) satisfies the
/// contract of [`bytes`] for `'a`.
pub(crate) unsafe fn request<'h, 'a>(
    req: &aauth_request,
    store: &'h mut HeaderStore<'a>,
) -> Result<Request<'h, 'a>, RequestError> {
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
    // SAFETY: the header array is covered by our contract.
    let lines: &[aauth_header] = unsafe { array(req.headers, req.headers_len) }.map_err(api)?;
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
    let headers = store
        .get(..lines.len())
        .ok_or(RequestError::Verify(TOO_MANY_HEADERS))?;
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

/// What a request carries that changes which components a policy requires of it: what
/// `aauth_signature_error` lists in `required_input`.
///
/// Spec: AAuth §Covered Components; draft-hardt-httpbis-signature-key-09 §5.4.5.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct aauth_request_facts {
    /// The request has an `Authorization` header.
    pub authorization: bool,
    /// The request has a non-empty body.
    pub body: bool,
    /// The request target has a query.
    pub query: bool,
}

impl From<aauth_request_facts> for RequestFacts {
    fn from(f: aauth_request_facts) -> RequestFacts {
        RequestFacts {
            authorization: f.authorization,
            body: f.body,
            query: f.query,
        }
    }
}

/// Writes the facts of `request` that `aauth_signature_error` needs into `*out`: whether it
/// has an `Authorization` header, a non-empty body, a query (as the core reads them).
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` for a NULL pointer (or a slice with `data == NULL`
/// and `len > 0`), `AAUTH_RESULT_INVALID_REQUEST` for more than `AAUTH_MAX_HEADERS` lines.
/// `*out` is written only on success. Reentrant; never allocates.
///
/// Spec: AAuth §Covered Components.
///
/// # Safety
///
/// `request` NULL or readable (with every slice it contains readable for its length); `out`
/// NULL or writable for one `aauth_request_facts`.
#[no_mangle]
pub unsafe extern "C" fn aauth_request_facts_of(
    request: *const aauth_request,
    out: *mut aauth_request_facts,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let c_req = tri!(unsafe { try_ref(request) });
        let out = tri!(check_out(out));
        let mut headers = EMPTY_HEADERS;
        // SAFETY: our contract.
        let req = match unsafe { self::request(c_req, &mut headers) } {
            Ok(r) => r,
            Err(RequestError::Api(e)) => return e,
            Err(RequestError::Verify(e)) => return e.code.into(),
        };
        let f = RequestFacts::of(&req);
        let facts = aauth_request_facts {
            authorization: f.authorization,
            body: f.body,
            query: f.query,
        };
        // SAFETY: `out` is checked.
        unsafe { write_out(out, facts) };
        aauth_result::Ok
    })
}
