//! `NativeRequest`: an HTTP request as owned bytes, which the core reads through borrowed
//! slices. It is immutable once built, so the positions a `Frozen` signature keeps into its
//! header values stay valid for as long as the request lives.

use aauth_verify::render::RequestFacts;
use aauth_verify::{Header, Request};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

/// An HTTP request as owned bytes.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct NativeRequest {
    method: Vec<u8>,
    scheme: Vec<u8>,
    authority: Vec<u8>,
    path: Vec<u8>,
    query: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

/// How many header lines a request keeps its views of on the stack.
const INLINE_HEADERS: usize = 32;

impl NativeRequest {
    /// Runs `f` with the core's view of this request (the header views on the stack for up to
    /// 32 lines).
    pub fn with<R>(&self, f: impl FnOnce(&Request<'_, '_>) -> R) -> R {
        let build = |headers: &[Header<'_>]| {
            f(&Request {
                method: &self.method,
                scheme: &self.scheme,
                authority: &self.authority,
                path: &self.path,
                query: self.query.as_deref(),
                headers,
                body: self.body.as_deref(),
            })
        };
        if self.headers.len() <= INLINE_HEADERS {
            let mut buf = [Header::new(b"", b""); INLINE_HEADERS];
            for (slot, (n, v)) in buf.iter_mut().zip(&self.headers) {
                *slot = Header::new(n, v);
            }
            build(&buf[..self.headers.len()])
        } else {
            let hs: Vec<Header<'_>> = self
                .headers
                .iter()
                .map(|(n, v)| Header::new(n, v))
                .collect();
            build(&hs)
        }
    }

    /// What the request carries that changes the components a policy requires of it.
    pub fn facts(&self) -> RequestFacts {
        self.with(RequestFacts::of)
    }
}

fn bytes_of(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s.into_bytes());
    }
    if let Ok(v) = obj.extract::<Vec<u8>>() {
        return Ok(v);
    }
    Err(PyTypeError::new_err(format!("{what} must be bytes or str")))
}

fn opt_bytes_of(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Vec<u8>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => bytes_of(o, what).map(Some),
    }
}

#[pymethods]
impl NativeRequest {
    /// `headers` is an iterable of `(name, value)` pairs (bytes or str), one per field line.
    #[new]
    #[pyo3(signature = (method, scheme, authority, path, query, headers, body = None))]
    fn new(
        method: &Bound<'_, PyAny>,
        scheme: &Bound<'_, PyAny>,
        authority: &Bound<'_, PyAny>,
        path: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut hs = Vec::new();
        for pair in headers.try_iter()? {
            let pair = pair?;
            // Pairs are tuples almost always: read those without the sequence protocol.
            if let Ok(t) = pair.cast_exact::<PyTuple>() {
                if t.len() != 2 {
                    return Err(PyTypeError::new_err("headers must be (name, value) pairs"));
                }
                hs.push((
                    bytes_of(&*t.get_borrowed_item(0)?, "header name")?,
                    bytes_of(&*t.get_borrowed_item(1)?, "header value")?,
                ));
                continue;
            }
            if pair.len().ok() != Some(2) {
                return Err(PyTypeError::new_err("headers must be (name, value) pairs"));
            }
            hs.push((
                bytes_of(&pair.get_item(0)?, "header name")?,
                bytes_of(&pair.get_item(1)?, "header value")?,
            ));
        }
        Ok(NativeRequest {
            method: bytes_of(method, "method")?,
            scheme: bytes_of(scheme, "scheme")?,
            authority: bytes_of(authority, "authority")?,
            path: bytes_of(path, "path")?,
            query: opt_bytes_of(query, "query")?,
            headers: hs,
            body: opt_bytes_of(body, "body")?,
        })
    }

    /// Whether the request has an `Authorization` field.
    fn has_authorization(&self) -> bool {
        self.facts().authorization
    }

    /// Whether the request has a non-empty body.
    fn has_body(&self) -> bool {
        self.facts().body
    }

    /// Whether the request target has a query.
    fn has_query(&self) -> bool {
        self.facts().query
    }
}
