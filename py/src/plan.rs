//! The plan of what the host must fetch before phase 2, as the core's [`Fetch`] decides it: one
//! pyclass per variant, so Python dispatches on the class, never on a string in a dict.

use aauth_verify::{Fetch, Text};
use pyo3::prelude::*;

/// A core text value as an owned `String` (unescaped; invalid UTF-8 replaced).
pub fn text(t: &Text<'_>) -> String {
    // Header and token text is nearly always free of escapes: copy it whole.
    if let Some(plain) = t.as_plain() {
        return String::from_utf8_lossy(plain).into_owned();
    }
    let bytes: Vec<u8> = t.bytes().collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An owned [`Fetch`], carried out of a GIL-free section.
pub enum Plan {
    Nothing,
    CallerKey {
        keyid: Option<String>,
    },
    Metadata {
        origin: String,
        dwk: String,
        kid: String,
        url: String,
    },
    Jwks {
        url: String,
        kid: String,
    },
    Assertion {
        cid: String,
    },
}

impl Plan {
    pub fn of(f: &Fetch<'_>) -> Plan {
        match f {
            Fetch::Nothing => Plan::Nothing,
            Fetch::CallerKey { keyid } => Plan::CallerKey {
                keyid: keyid.as_ref().map(text),
            },
            Fetch::Metadata { origin, dwk, kid } => {
                let mut buf = [0u8; 2048];
                Plan::Metadata {
                    origin: text(origin),
                    dwk: text(dwk),
                    kid: text(kid),
                    url: f.metadata_url(&mut buf).unwrap_or("").to_owned(),
                }
            }
            Fetch::Jwks { url, kid } => Plan::Jwks {
                url: text(url),
                kid: text(kid),
            },
            Fetch::Assertion { cid } => Plan::Assertion { cid: text(cid) },
        }
    }

    pub fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Plan::Nothing => Py::new(py, FetchNothing)?.into_any(),
            Plan::CallerKey { keyid } => Py::new(py, FetchCallerKey { keyid })?.into_any(),
            Plan::Metadata {
                origin,
                dwk,
                kid,
                url,
            } => Py::new(
                py,
                FetchMetadata {
                    origin,
                    dwk,
                    kid,
                    metadata_url: url,
                },
            )?
            .into_any(),
            Plan::Jwks { url, kid } => Py::new(py, FetchJwks { url, kid })?.into_any(),
            Plan::Assertion { cid } => Py::new(py, FetchAssertion { cid })?.into_any(),
        })
    }
}

/// Nothing to fetch: the request carries its key (`hwk`, `jkt-jwt`); finish with `None`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct FetchNothing;

#[pymethods]
impl FetchNothing {
    #[getter]
    fn kind(&self) -> &'static str {
        "nothing"
    }

    #[getter]
    fn signer(&self) -> Option<String> {
        None
    }

    fn __repr__(&self) -> &'static str {
        "FetchNothing()"
    }
}

/// No `Signature-Key`: a key the host holds (plain RFC 9421), by `keyid` when one was sent.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct FetchCallerKey {
    #[pyo3(get)]
    keyid: Option<String>,
}

#[pymethods]
impl FetchCallerKey {
    #[getter]
    fn kind(&self) -> &'static str {
        "caller_key"
    }

    #[getter]
    fn signer(&self) -> Option<String> {
        None
    }

    fn __repr__(&self) -> String {
        format!("FetchCallerKey(keyid={:?})", self.keyid)
    }
}

/// The signer's (or token issuer's) metadata at `metadata_url` (`{origin}/.well-known/{dwk}`),
/// whose `issuer` must be `origin`, then the JWKS at its `jwks_uri`; the key is `kid`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct FetchMetadata {
    #[pyo3(get)]
    origin: String,
    #[pyo3(get)]
    dwk: String,
    #[pyo3(get)]
    kid: String,
    #[pyo3(get)]
    metadata_url: String,
}

#[pymethods]
impl FetchMetadata {
    #[getter]
    fn kind(&self) -> &'static str {
        "metadata"
    }

    /// The signer the keys belong to (what they are cached and refreshed under): `origin`.
    #[getter]
    fn signer(&self) -> String {
        self.origin.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "FetchMetadata(origin={:?}, dwk={:?}, kid={:?})",
            self.origin, self.dwk, self.kid
        )
    }
}

/// A JWKS at `url` (`jwks`, legacy `jwks`); the key is `kid`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct FetchJwks {
    #[pyo3(get)]
    url: String,
    #[pyo3(get)]
    kid: String,
}

#[pymethods]
impl FetchJwks {
    #[getter]
    fn kind(&self) -> &'static str {
        "jwks"
    }

    /// The signer the keys belong to: the JWKS URL.
    #[getter]
    fn signer(&self) -> String {
        self.url.clone()
    }

    fn __repr__(&self) -> String {
        format!("FetchJwks(url={:?}, kid={:?})", self.url, self.kid)
    }
}

/// The assertion cached under `cid` (`cached`): resolve it and call `Pending.with_assertion`,
/// or refuse with `Pending.cache_miss()`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct FetchAssertion {
    #[pyo3(get)]
    cid: String,
}

#[pymethods]
impl FetchAssertion {
    #[getter]
    fn kind(&self) -> &'static str {
        "assertion"
    }

    #[getter]
    fn signer(&self) -> Option<String> {
        None
    }

    fn __repr__(&self) -> String {
        format!("FetchAssertion(cid={:?})", self.cid)
    }
}
