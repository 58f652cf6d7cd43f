//! Keys: `NativeKey` (a validated Ed25519 key with its JOSE `alg`), the documents a host hands
//! to phase 2 (`Documents`, `TrustedJwks`), and the metadata `issuer` check.

use aauth_verify::{
    check_issuer as core_check_issuer, parse_jwk, select_jwk, Check, Error, ErrorCode, KeyAlg,
    KeyRules, KeySource, PublicKey,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::error::raise_bare;

/// A validated Ed25519 public key.
#[pyclass(frozen, module = "aauth_verify._native", eq, hash)]
#[derive(PartialEq, Eq, Hash, Clone)]
pub struct NativeKey {
    pub key: PublicKey,
}

fn rules(require_alg: bool, allow_eddsa: bool) -> KeyRules {
    KeyRules {
        require_alg,
        allow_eddsa,
    }
}

/// The thumbprint of `key`, remembered per thread for the last key: an agent signs request
/// after request with the same key, and each thumbprint is a SHA-256.
pub fn thumbprint(key: &PublicKey) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<Option<([u8; 32], String)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return key.thumbprint().as_str().to_owned();
        };
        match &*last {
            Some((x, t)) if x == key.x() => t.clone(),
            _ => {
                let t = key.thumbprint().as_str().to_owned();
                *last = Some((*key.x(), t.clone()));
                t
            }
        }
    })
}

#[pymethods]
impl NativeKey {
    /// A key from its 32 raw bytes (`invalid_key` unless a valid, non-small-order point).
    #[staticmethod]
    fn from_raw(py: Python<'_>, x: &[u8]) -> PyResult<Self> {
        let x: [u8; 32] = x
            .try_into()
            .map_err(|_| PyValueError::new_err("an Ed25519 public key is 32 bytes"))?;
        PublicKey::from_raw(x)
            .map(|key| NativeKey { key })
            .map_err(|e| raise_bare(py, e))
    }

    /// A key from one JWK (JSON text).
    #[staticmethod]
    #[pyo3(signature = (json, require_alg = true, allow_eddsa = false))]
    fn from_jwk(
        py: Python<'_>,
        json: &[u8],
        require_alg: bool,
        allow_eddsa: bool,
    ) -> PyResult<Self> {
        parse_jwk(json, rules(require_alg, allow_eddsa))
            .map(|key| NativeKey { key })
            .map_err(|e| raise_bare(py, e))
    }

    /// Selects the key `kid` from a JWKS (JSON text). A `kid` the JWKS lacks is `unknown_key`
    /// with `refetch` set.
    #[staticmethod]
    #[pyo3(signature = (jwks, kid, require_alg = true, allow_eddsa = false))]
    fn select(
        py: Python<'_>,
        jwks: &[u8],
        kid: &str,
        require_alg: bool,
        allow_eddsa: bool,
    ) -> PyResult<Self> {
        select_jwk(jwks, kid.as_bytes(), rules(require_alg, allow_eddsa))
            .map(|key| NativeKey { key })
            .map_err(|e| raise_bare(py, e))
    }

    /// The 32 raw bytes.
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.key.x())
    }

    /// The declared JOSE `alg` (`"Ed25519"`, `"EdDSA"`, or `None`).
    #[getter]
    fn alg(&self) -> Option<&'static str> {
        self.key.alg().as_str()
    }

    /// The RFC 7638 SHA-256 thumbprint, unpadded base64url.
    #[getter]
    fn thumbprint(&self) -> String {
        thumbprint(&self.key)
    }

    /// The public JWK (`{"kty","crv","x"}` plus `alg` when declared).
    fn jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "kty"), "OKP")?;
        d.set_item(intern!(py, "crv"), "Ed25519")?;
        let x = self.key.x_b64();
        d.set_item(intern!(py, "x"), std::str::from_utf8(&x).unwrap_or(""))?;
        if let Some(a) = self.key.alg().as_str() {
            d.set_item(intern!(py, "alg"), a)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeKey(alg={:?}, thumbprint={})",
            self.key.alg().as_str(),
            self.key.thumbprint().as_str()
        )
    }
}

/// The documents a plan asked for, as fetched: the signer's metadata document (required for a
/// `FetchMetadata` plan) and its JWKS. Phase 2 checks the metadata's `issuer` and selects the
/// plan's `kid`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct Documents {
    jwks: Vec<u8>,
    metadata: Option<Vec<u8>>,
}

#[pymethods]
impl Documents {
    #[new]
    #[pyo3(signature = (jwks, metadata = None))]
    fn new(jwks: Vec<u8>, metadata: Option<Vec<u8>>) -> Self {
        Documents { jwks, metadata }
    }
}

/// A JWKS the host's configuration trusts for the signer a plan names: no metadata document is
/// checked; phase 2 selects the plan's `kid`.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct TrustedJwks {
    jwks: Vec<u8>,
}

#[pymethods]
impl TrustedJwks {
    #[new]
    fn new(jwks: Vec<u8>) -> Self {
        TrustedJwks { jwks }
    }
}

/// A key source as Python passed it: `None` (the request's own key), a `NativeKey`, a
/// `Documents` or a `TrustedJwks`. Owned, so that phase 2 can run without the GIL.
pub enum Source {
    Inline,
    Key(PublicKey),
    Documents(Py<Documents>),
    Trusted(Py<TrustedJwks>),
}

impl Source {
    /// The source `obj` names.
    pub fn of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Source> {
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(Source::Inline);
        };
        if let Ok(k) = obj.cast::<NativeKey>() {
            return Ok(Source::Key(k.get().key));
        }
        if let Ok(d) = obj.cast::<Documents>() {
            return Ok(Source::Documents(d.clone().unbind()));
        }
        if let Ok(t) = obj.cast::<TrustedJwks>() {
            return Ok(Source::Trusted(t.clone().unbind()));
        }
        Err(PyTypeError::new_err(
            "a key source is None (the request's own key), a Key, Documents or TrustedJwks",
        ))
    }

    /// Runs `f` with the core's view of this source.
    pub fn with<R>(&self, f: impl FnOnce(KeySource<'_>) -> R) -> R {
        match self {
            Source::Inline => f(KeySource::Inline),
            Source::Key(k) => f(KeySource::Key(k)),
            Source::Documents(d) => {
                let d = d.get();
                f(KeySource::Documents {
                    metadata: d.metadata.as_deref(),
                    jwks: &d.jwks,
                })
            }
            Source::Trusted(t) => f(KeySource::TrustedJwks(&t.get().jwks)),
        }
    }
}

/// Checks a metadata document's `issuer` against `expected` and returns its `jwks_uri`.
#[pyfunction]
#[pyo3(signature = (metadata_json, expected, allow_legacy = false))]
pub fn check_issuer(
    py: Python<'_>,
    metadata_json: &[u8],
    expected: &str,
    allow_legacy: bool,
) -> PyResult<String> {
    let uri = core_check_issuer(metadata_json, expected.as_bytes(), allow_legacy)
        .map_err(|e| raise_bare(py, e))?;
    let mut buf = vec![0u8; uri.raw().len()];
    uri.decode_into(&mut buf)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            raise_bare(
                py,
                Error::new(ErrorCode::InvalidKey, Check::MetadataControl),
            )
        })
}

/// Whether a key's `alg` is acceptable under the given rules (used for cached keys).
#[pyfunction]
pub fn key_allowed(key: &Bound<'_, NativeKey>, require_alg: bool, allow_eddsa: bool) -> bool {
    match key.get().key.alg() {
        KeyAlg::Ed25519 => true,
        KeyAlg::EdDsa => allow_eddsa,
        KeyAlg::None => !require_alg,
    }
}
