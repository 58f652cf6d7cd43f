//! `aauth_verify._native`: the pyo3 (abi3) binding of the `aauth-verify` core.
//!
//! This module only marshals: Python hands over byte strings, the binding copies them into
//! owned buffers, releases the GIL and runs the allocation-free core over borrowed slices, then
//! turns the outcome into Python objects. Failures raise
//! `aauth_verify.errors.VerificationError(code, detail, signature_error)`; everything
//! user-facing (the drop-in, `Verifier`, the resolver) lives in the Python package.

use std::collections::HashMap;

mod egress;

use aauth_verify::{
    json::JsonStr,
    jwk::{self, KeyAlg, KeyRules},
    jwt::{Claims, JwsAlg},
    metadata,
    policy::{Compat, Limits, AAUTH_REQUIRED},
    render, Error, ErrorCode, Header, JwtScratch, KeyRequirement, Parsed, Policy, PublicKey,
    Request, Scheme, Schemes, Text, Token, Verified,
};
use aauth_verify::{CachedToken, TokenKey, TokenStore};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

static VERIFICATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A core failure carried out of the GIL-free section: code, detail and the rendered
/// `Signature-Error` value.
struct Failure {
    error: Error,
    header: String,
}

fn failure(error: Error, policy: &Policy<'_>, authorization_present: bool) -> Failure {
    let mut buf = [0u8; 512];
    let header = render::signature_error(&error, policy, authorization_present, &mut buf)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("error={}", error.code.token()));
    Failure { error, header }
}

fn raise(py: Python<'_>, f: Failure) -> PyErr {
    let cls = match VERIFICATION_ERROR.import(py, "aauth_verify.errors", "VerificationError") {
        Ok(c) => c,
        Err(e) => return e,
    };
    let args = (
        f.error.code.token(),
        f.error.detail,
        f.header,
        f.error.code as u32,
    );
    match cls.call1(args) {
        Ok(obj) => PyErr::from_value(obj),
        Err(e) => e,
    }
}

fn raise_plain(py: Python<'_>, error: Error) -> PyErr {
    raise(
        py,
        Failure {
            error,
            header: format!("error={}", error.code.token()),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

/// A verification policy (an owned form of the core's `Policy`).
#[pyclass(frozen, module = "aauth_verify._native")]
struct NativePolicy {
    window: u64,
    required: Vec<String>,
    require_authorization_when_present: bool,
    require_content_digest_with_body: bool,
    require_signature_key: bool,
    schemes: Schemes,
    jwt_types: Vec<String>,
    base64url_signatures: bool,
    compat: Compat,
    limits: Limits,
}

fn scheme_by_name(name: &str) -> Option<Scheme> {
    Scheme::ALL
        .into_iter()
        .find(|s| s.name() == name || s.token() == name)
}

impl NativePolicy {
    /// Runs `f` with the core policy borrowed from this one.
    fn with<R>(&self, f: impl FnOnce(&Policy<'_>) -> R) -> R {
        let required: Vec<&str> = self.required.iter().map(String::as_str).collect();
        let jwt_types: Vec<&str> = self.jwt_types.iter().map(String::as_str).collect();
        let policy = Policy {
            jwt_types: &jwt_types,
            window: self.window,
            required: &required,
            require_authorization_when_present: self.require_authorization_when_present,
            require_content_digest_with_body: self.require_content_digest_with_body,
            require_signature_key: self.require_signature_key,
            schemes: self.schemes,
            base64url_signatures: self.base64url_signatures,
            compat: self.compat,
            limits: self.limits,
        };
        f(&policy)
    }
}

#[pymethods]
impl NativePolicy {
    #[new]
    #[pyo3(signature = (
        *, window = 60, required = None, require_authorization_when_present = true,
        require_content_digest_with_body = false, require_signature_key = true, schemes = None,
        jwt_types = None, base64url_signatures = true, legacy_signature_key = false, alg_less_keys = false,
        eddsa = false, missing_created = false, legacy_metadata = false,
        max_header_bytes = None, max_components = None, max_params = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        window: u64,
        required: Option<Vec<String>>,
        require_authorization_when_present: bool,
        require_content_digest_with_body: bool,
        require_signature_key: bool,
        schemes: Option<Vec<String>>,
        jwt_types: Option<Vec<String>>,
        base64url_signatures: bool,
        legacy_signature_key: bool,
        alg_less_keys: bool,
        eddsa: bool,
        missing_created: bool,
        legacy_metadata: bool,
        max_header_bytes: Option<usize>,
        max_components: Option<usize>,
        max_params: Option<usize>,
    ) -> PyResult<Self> {
        let schemes = match schemes {
            None => Schemes::ALL,
            Some(names) => {
                let mut set = Schemes::NONE;
                for n in &names {
                    let s = scheme_by_name(n)
                        .ok_or_else(|| PyValueError::new_err(format!("unknown scheme {n:?}")))?;
                    set = set.with(s);
                    if s == Scheme::Jwks {
                        set = set.with(Scheme::LegacyJwks);
                    }
                }
                set
            }
        };
        let d = Limits::DEFAULT;
        Ok(NativePolicy {
            window,
            required: required
                .unwrap_or_else(|| AAUTH_REQUIRED.iter().map(|s| (*s).to_owned()).collect()),
            require_authorization_when_present,
            require_content_digest_with_body,
            require_signature_key,
            schemes,
            jwt_types: jwt_types.unwrap_or_else(|| {
                aauth_verify::jwt::AGENT_TYPES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            }),
            base64url_signatures,
            compat: Compat {
                legacy_signature_key,
                alg_less_keys,
                eddsa,
                missing_created,
                legacy_metadata,
            },
            limits: Limits {
                max_header_bytes: max_header_bytes.unwrap_or(d.max_header_bytes),
                max_components: max_components.unwrap_or(d.max_components),
                max_params: max_params.unwrap_or(d.max_params),
            },
        })
    }

    /// The window in seconds.
    #[getter]
    fn window(&self) -> u64 {
        self.window
    }

    /// The required components.
    #[getter]
    fn required(&self) -> Vec<String> {
        self.required.clone()
    }

    /// The accepted `typ` values of `jwt` tokens.
    #[getter]
    fn jwt_types(&self) -> Vec<String> {
        self.jwt_types.clone()
    }

    /// The accepted scheme names.
    #[getter]
    fn schemes(&self) -> Vec<&'static str> {
        self.schemes.iter().map(Scheme::name).collect()
    }

    /// The key rules `(require_alg, allow_eddsa)` that follow from the compatibility switches.
    #[getter]
    fn key_rules(&self) -> (bool, bool) {
        (!self.compat.alg_less_keys, self.compat.eddsa)
    }

    /// `Accept-Signature-Scheme` for this policy.
    fn accept_signature_scheme(&self) -> String {
        let mut buf = [0u8; 128];
        render::accept_signature_scheme(self.schemes, &mut buf)
            .unwrap_or("")
            .to_owned()
    }

    /// The `Signature-Error` value for `code` (a spec token) under this policy.
    #[pyo3(signature = (code, authorization_present = false))]
    fn signature_error(&self, code: &str, authorization_present: bool) -> PyResult<String> {
        let code = ErrorCode::from_token(code)
            .ok_or_else(|| PyValueError::new_err(format!("unknown error code {code:?}")))?;
        Ok(self.with(|p| failure(Error::new(code, ""), p, authorization_present).header))
    }
}

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/// An HTTP request as owned bytes; the core reads it through borrowed slices.
#[pyclass(frozen, module = "aauth_verify._native")]
struct NativeRequest {
    method: Vec<u8>,
    scheme: Vec<u8>,
    authority: Vec<u8>,
    path: Vec<u8>,
    query: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

impl NativeRequest {
    fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<Header<'_>> = self
            .headers
            .iter()
            .map(|(n, v)| Header::new(n, v))
            .collect();
        let req = Request {
            method: &self.method,
            scheme: &self.scheme,
            authority: &self.authority,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &headers,
            body: self.body.as_deref(),
        };
        f(&req)
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
        self.with(|r| r.has_field(b"authorization"))
    }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A validated Ed25519 public key.
#[pyclass(frozen, module = "aauth_verify._native", eq, hash)]
#[derive(PartialEq, Eq, Hash, Clone)]
struct NativeKey {
    key: PublicKey,
}

fn rules(require_alg: bool, allow_eddsa: bool) -> KeyRules {
    KeyRules {
        require_alg,
        allow_eddsa,
    }
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
            .map_err(|e| raise_plain(py, e))
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
        jwk::parse_jwk(json, rules(require_alg, allow_eddsa))
            .map(|key| NativeKey { key })
            .map_err(|e| raise_plain(py, e))
    }

    /// Selects the key `kid` from a JWKS (JSON text).
    #[staticmethod]
    #[pyo3(signature = (jwks, kid, require_alg = true, allow_eddsa = false))]
    fn select(
        py: Python<'_>,
        jwks: &[u8],
        kid: &str,
        require_alg: bool,
        allow_eddsa: bool,
    ) -> PyResult<Self> {
        jwk::select_jwk(jwks, kid.as_bytes(), rules(require_alg, allow_eddsa))
            .map(|key| NativeKey { key })
            .map_err(|e| raise_plain(py, e))
    }

    /// The 32 raw bytes.
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.key.x)
    }

    /// The declared JOSE `alg` (`"Ed25519"`, `"EdDSA"`, or `None`).
    #[getter]
    fn alg(&self) -> Option<&'static str> {
        self.key.alg.as_str()
    }

    /// The RFC 7638 SHA-256 thumbprint, unpadded base64url.
    #[getter]
    fn thumbprint(&self) -> String {
        self.key.thumbprint_b64().as_str().to_owned()
    }

    /// The public JWK (`{"kty","crv","x"}` plus `alg` when declared).
    fn jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "kty"), "OKP")?;
        d.set_item(intern!(py, "crv"), "Ed25519")?;
        let x = self.key.x_b64();
        d.set_item(intern!(py, "x"), std::str::from_utf8(&x).unwrap_or(""))?;
        if let Some(a) = self.key.alg.as_str() {
            d.set_item(intern!(py, "alg"), a)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeKey(alg={:?}, thumbprint={})",
            self.key.alg.as_str(),
            self.key.thumbprint_b64().as_str()
        )
    }
}

/// Checks a metadata document's `issuer` against `expected` and returns its `jwks_uri`.
#[pyfunction]
#[pyo3(signature = (metadata_json, expected, allow_legacy = false))]
fn check_issuer(
    py: Python<'_>,
    metadata_json: &[u8],
    expected: &str,
    allow_legacy: bool,
) -> PyResult<String> {
    let uri = metadata::check_issuer(metadata_json, expected.as_bytes(), allow_legacy)
        .map_err(|e| raise_plain(py, e))?;
    let mut buf = vec![0u8; uri.raw().len()];
    uri.decode_into(&mut buf).map(str::to_owned).ok_or_else(|| {
        raise_plain(
            py,
            Error::new(ErrorCode::InvalidKey, "jwks_uri does not decode"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Parse (phase 1) and verify (phase 2)
// ---------------------------------------------------------------------------------------------

fn text(t: &Text<'_>) -> String {
    // Header text is nearly always free of escapes: copy it whole (an agent token is ~700
    // bytes; the byte-by-byte unescaping iterator is only for escaped strings).
    if let Some(plain) = t.as_plain() {
        return String::from_utf8_lossy(plain).into_owned();
    }
    let bytes: Vec<u8> = t.bytes().collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `key`'s RFC 7638 thumbprint (unpadded base64url), remembered per thread for the last key:
/// an agent signs request after request with the same key, and each thumbprint is a SHA-256.
fn thumbprint(key: &PublicKey) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<Option<([u8; 32], String)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return key.thumbprint_b64().as_str().to_owned();
        };
        match &*last {
            Some((x, t)) if *x == key.x => t.clone(),
            _ => {
                let t = key.thumbprint_b64().as_str().to_owned();
                *last = Some((key.x, t.clone()));
                t
            }
        }
    })
}

/// Runs `f` with a token scratch buffer: the thread's reused one (6 KiB that need no zeroing
/// per call), or a fresh one if this thread is already using it (a resolver that verifies).
fn with_scratch<R>(f: impl FnOnce(&mut JwtScratch) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Box<JwtScratch>> =
            std::cell::RefCell::new(Box::new(JwtScratch::new()));
    }
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut JwtScratch::new()),
    })
}

/// Owned copy of a `KeyRequirement`.
enum Need {
    External,
    Inline(PublicKey),
    JwksUri {
        id: String,
        dwk: String,
        kid: String,
    },
    Jwks {
        url: String,
        kid: String,
    },
    LegacyJwks {
        jwks: Option<String>,
        id: Option<String>,
        well_known: Option<String>,
        kid: String,
    },
    Jwt(String),
    JktJwt(String),
    SelfJwt(String),
}

impl Need {
    fn of(r: &KeyRequirement<'_>) -> Need {
        match r {
            KeyRequirement::External => Need::External,
            KeyRequirement::Inline(k) => Need::Inline(*k),
            KeyRequirement::JwksUri { id, dwk, kid } => Need::JwksUri {
                id: text(id),
                dwk: text(dwk),
                kid: text(kid),
            },
            KeyRequirement::Jwks { url, kid } => Need::Jwks {
                url: text(url),
                kid: text(kid),
            },
            KeyRequirement::LegacyJwks {
                jwks,
                id,
                well_known,
                kid,
            } => Need::LegacyJwks {
                jwks: jwks.as_ref().map(text),
                id: id.as_ref().map(text),
                well_known: well_known.as_ref().map(text),
                kid: text(kid),
            },
            KeyRequirement::Jwt { jwt } => Need::Jwt(text(jwt)),
            KeyRequirement::JktJwt { jwt } => Need::JktJwt(text(jwt)),
            KeyRequirement::SelfJwt { jwt } => Need::SelfJwt(text(jwt)),
        }
    }

    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        match self {
            Need::External => d.set_item(intern!(py, "kind"), "external")?,
            Need::Inline(k) => {
                d.set_item(intern!(py, "kind"), "inline")?;
                d.set_item(intern!(py, "key"), NativeKey { key: *k })?;
            }
            Need::JwksUri { id, dwk, kid } => {
                d.set_item(intern!(py, "kind"), "jwks_uri")?;
                d.set_item(intern!(py, "id"), id)?;
                d.set_item(intern!(py, "dwk"), dwk)?;
                d.set_item(intern!(py, "kid"), kid)?;
            }
            Need::Jwks { url, kid } => {
                d.set_item(intern!(py, "kind"), "jwks")?;
                d.set_item(intern!(py, "url"), url)?;
                d.set_item(intern!(py, "kid"), kid)?;
            }
            Need::LegacyJwks {
                jwks,
                id,
                well_known,
                kid,
            } => {
                d.set_item(intern!(py, "kind"), "legacy-jwks")?;
                d.set_item(intern!(py, "jwks"), jwks)?;
                d.set_item(intern!(py, "id"), id)?;
                d.set_item(intern!(py, "well_known"), well_known)?;
                d.set_item(intern!(py, "kid"), kid)?;
            }
            Need::Jwt(t) => {
                d.set_item(intern!(py, "kind"), "jwt")?;
                d.set_item(intern!(py, "jwt"), t)?;
            }
            Need::JktJwt(t) => {
                d.set_item(intern!(py, "kind"), "jkt-jwt")?;
                d.set_item(intern!(py, "jwt"), t)?;
            }
            Need::SelfJwt(t) => {
                d.set_item(intern!(py, "kind"), "self-jwt")?;
                d.set_item(intern!(py, "jwt"), t)?;
            }
        }
        Ok(d)
    }
}

/// Owned summary of a parsed or verified signature.
struct Summary {
    label: String,
    scheme: Option<&'static str>,
    need: Need,
    created: Option<i64>,
    expires: Option<i64>,
    nonce: Option<String>,
    tag: Option<String>,
    keyid: Option<String>,
    alg: Option<String>,
    covered: Vec<String>,
    token: Option<TokenSummary>,
    // Only after verification:
    key: Option<PublicKey>,
    kid: Option<String>,
    signer: Option<String>,
}

fn covered_names(list: aauth_verify::sf::InnerList<'_>) -> Vec<String> {
    list.items()
        .map(|it| match it.value {
            aauth_verify::sf::BareItem::String(s) => {
                let b: Vec<u8> = s.bytes().collect();
                String::from_utf8_lossy(&b).into_owned()
            }
            _ => String::new(),
        })
        .collect()
}

fn summarize(p: &Parsed<'_>) -> Summary {
    let params = p.params();
    Summary {
        label: String::from_utf8_lossy(p.label()).into_owned(),
        scheme: p.scheme().map(Scheme::name),
        need: Need::of(p.requirement()),
        created: params.created,
        expires: params.expires,
        nonce: params.nonce.as_ref().map(text),
        tag: params.tag.as_ref().map(text),
        keyid: params.keyid.as_ref().map(text),
        alg: params.alg.as_ref().map(text),
        covered: covered_names(p.covered()),
        token: None,
        key: None,
        kid: None,
        signer: None,
    }
}

fn add_verified(mut s: Summary, v: &Verified<'_>) -> Summary {
    if let Some(info) = &v.token {
        let mut t = TokenSummary::of_claims(js(&info.typ), info.kid.as_ref().map(js), &info.claims);
        t.issuer_key = Some(info.issuer_key);
        if let Some(old) = &s.token {
            t.alg = old.alg;
            t.header_jwk = old.header_jwk;
        }
        s.token = Some(t);
    }
    s.key = Some(v.key);
    s.kid = v.kid.as_ref().map(text);
    s.signer = v.signer.as_ref().map(text);
    s
}

impl Summary {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "label"), &self.label)?;
        d.set_item(intern!(py, "scheme"), self.scheme)?;
        d.set_item(intern!(py, "requirement"), self.need.to_py(py)?)?;
        d.set_item(intern!(py, "created"), self.created)?;
        d.set_item(intern!(py, "expires"), self.expires)?;
        d.set_item(intern!(py, "nonce"), &self.nonce)?;
        d.set_item(intern!(py, "tag"), &self.tag)?;
        d.set_item(intern!(py, "keyid"), &self.keyid)?;
        d.set_item(intern!(py, "alg"), &self.alg)?;
        d.set_item(intern!(py, "covered"), PyList::new(py, &self.covered)?)?;
        match &self.token {
            Some(t) => d.set_item(intern!(py, "token"), t.to_py(py)?)?,
            None => d.set_item(intern!(py, "token"), py.None())?,
        }
        if let Some(k) = self.key {
            d.set_item(intern!(py, "key"), NativeKey { key: k })?;
            d.set_item(intern!(py, "thumbprint"), thumbprint(&k))?;
        }
        d.set_item(intern!(py, "kid"), &self.kid)?;
        d.set_item(intern!(py, "signer"), &self.signer)?;
        Ok(d)
    }

    /// Completes `d`, the phase-1 dict of this signature (`to_py` before verification), with
    /// what verification added, so that it equals `to_py` of the verified summary: `key`,
    /// `thumbprint`, `kid`, `signer` and the token's `issuer_key` (the token's other fields
    /// are those of the same decoded token).
    fn complete(&self, d: &Bound<'_, PyDict>) -> PyResult<()> {
        let py = d.py();
        if let Some(k) = self.key {
            d.set_item(intern!(py, "key"), NativeKey { key: k })?;
            d.set_item(intern!(py, "thumbprint"), thumbprint(&k))?;
        }
        d.set_item(intern!(py, "kid"), &self.kid)?;
        d.set_item(intern!(py, "signer"), &self.signer)?;
        if let Some(t) = &self.token {
            match d
                .get_item(intern!(py, "token"))?
                .map(|t| t.cast_into::<PyDict>())
            {
                Some(Ok(td)) => td.set_item(
                    intern!(py, "issuer_key"),
                    t.issuer_key.map(|key| NativeKey { key }),
                )?,
                // The callback replaced the token entry: put back the verified one.
                _ => d.set_item(intern!(py, "token"), t.to_py(py)?)?,
            }
        }
        Ok(())
    }
}

fn js(s: &JsonStr<'_>) -> String {
    if !s.raw().contains('\\') {
        return s.raw().to_owned(); // no escape: the raw text is the value
    }
    let mut buf = vec![0u8; s.raw().len()];
    s.decode_into(&mut buf)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Owned copy of a decoded (and, after phase 2, verified) token.
struct TokenSummary {
    typ: String,
    kid: Option<String>,
    alg: Option<&'static str>,
    iss: Option<String>,
    sub: Option<String>,
    dwk: Option<String>,
    jti: Option<String>,
    ps: Option<String>,
    parent_agent: Option<String>,
    scope: Option<String>,
    aud: Vec<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    nbf: Option<i64>,
    act: bool,
    cnf_jwk: Option<PublicKey>,
    header_jwk: Option<PublicKey>,
    issuer_key: Option<PublicKey>,
}

impl TokenSummary {
    fn of_claims(typ: String, kid: Option<String>, c: &Claims<'_>) -> TokenSummary {
        TokenSummary {
            typ,
            kid,
            alg: None,
            iss: c.iss.as_ref().map(js),
            sub: c.sub.as_ref().map(js),
            dwk: c.dwk.as_ref().map(js),
            jti: c.jti.as_ref().map(js),
            ps: c.ps.as_ref().map(js),
            parent_agent: c.parent_agent.as_ref().map(js),
            scope: c.scope.as_ref().map(js),
            aud: c.aud.iter().map(|a| js(&a)).collect(),
            iat: c.iat,
            exp: c.exp,
            nbf: c.nbf,
            act: c.act,
            cnf_jwk: c.cnf_jwk,
            header_jwk: None,
            issuer_key: None,
        }
    }

    fn of(t: &Token<'_>) -> TokenSummary {
        let mut s = TokenSummary::of_claims(js(&t.typ()), t.kid().as_ref().map(js), t.claims());
        s.alg = Some(match t.alg() {
            JwsAlg::Ed25519 => "Ed25519",
            JwsAlg::EdDsa => "EdDSA",
        });
        s.header_jwk = t.header_jwk();
        s
    }

    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "typ"), &self.typ)?;
        d.set_item(intern!(py, "kid"), &self.kid)?;
        d.set_item(intern!(py, "alg"), self.alg)?;
        d.set_item(intern!(py, "iss"), &self.iss)?;
        d.set_item(intern!(py, "sub"), &self.sub)?;
        d.set_item(intern!(py, "dwk"), &self.dwk)?;
        d.set_item(intern!(py, "jti"), &self.jti)?;
        d.set_item(intern!(py, "ps"), &self.ps)?;
        d.set_item(intern!(py, "parent_agent"), &self.parent_agent)?;
        d.set_item(intern!(py, "scope"), &self.scope)?;
        d.set_item(intern!(py, "aud"), PyList::new(py, &self.aud)?)?;
        d.set_item(intern!(py, "iat"), self.iat)?;
        d.set_item(intern!(py, "exp"), self.exp)?;
        d.set_item(intern!(py, "nbf"), self.nbf)?;
        d.set_item(intern!(py, "act"), self.act)?;
        let key = |k: &Option<PublicKey>| k.map(|key| NativeKey { key });
        d.set_item(intern!(py, "cnf_jwk"), key(&self.cnf_jwk))?;
        d.set_item(intern!(py, "header_jwk"), key(&self.header_jwk))?;
        d.set_item(intern!(py, "issuer_key"), key(&self.issuer_key))?;
        Ok(d)
    }
}

fn is_token(r: &KeyRequirement<'_>) -> bool {
    matches!(
        r,
        KeyRequirement::Jwt { .. } | KeyRequirement::JktJwt { .. } | KeyRequirement::SelfJwt { .. }
    )
}

fn opt_label(label: Option<&str>) -> Option<&[u8]> {
    label.map(str::as_bytes)
}

/// Phase 1: every offline check. Returns the signature's label, scheme, key requirement,
/// parameters and covered components; raises `VerificationError` on failure.
#[pyfunction]
#[pyo3(signature = (request, policy, now, label = None))]
fn inspect<'py>(
    py: Python<'py>,
    request: &Bound<'py, NativeRequest>,
    policy: &Bound<'py, NativePolicy>,
    now: i64,
    label: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let (req, pol) = (request.get(), policy.get());
    let out = py.detach(|| {
        req.with(|r| {
            pol.with(|p| {
                let run = || -> Result<Summary, Error> {
                    let parsed = aauth_verify::parse(r, p, opt_label(label), now)?;
                    let mut s = summarize(&parsed);
                    if is_token(parsed.requirement()) {
                        let mut scratch = JwtScratch::new();
                        let token = parsed.token(&mut scratch, p, now)?;
                        s.token = Some(TokenSummary::of(&token));
                    }
                    Ok(s)
                };
                run().map_err(|e| failure(e, p, r.has_field(b"authorization")))
            })
        })
    });
    match out {
        Ok(s) => s.to_py(py),
        Err(f) => Err(raise(py, f)),
    }
}

/// Where phase 2 gets its key.
enum Source {
    Inline,
    Key(PublicKey),
    Jwks {
        jwks: Vec<u8>,
        metadata: Option<Vec<u8>>,
    },
}

fn source_of(key: Option<&Bound<'_, PyAny>>) -> PyResult<Source> {
    let Some(key) = key.filter(|k| !k.is_none()) else {
        return Ok(Source::Inline);
    };
    if let Ok(k) = key.cast::<NativeKey>() {
        return Ok(Source::Key(k.get().key));
    }
    if let Ok(t) = key.cast::<PyTuple>() {
        if t.len() == 3 && t.get_item(0)?.extract::<String>().ok().as_deref() == Some("jwks") {
            return Ok(Source::Jwks {
                jwks: bytes_of(&t.get_item(1)?, "jwks")?,
                metadata: opt_bytes_of(Some(&t.get_item(2)?), "metadata")?,
            });
        }
    }
    Err(PyTypeError::new_err(
        "key must be None (inline), a NativeKey, or ('jwks', jwks_json, metadata_json|None)",
    ))
}

/// Capacity of a [`NativeTokenCache`].
const TOKEN_CACHE_ENTRIES: usize = 256;

/// A token store keyed by the exact token bytes (the core's [`TokenStore`]): with a heap at
/// hand, a hash-map lookup and one byte comparison replace the SHA-256 of every token that
/// the core's fixed-size `TokenCache` needs. At most [`TOKEN_CACHE_ENTRIES`] tokens of at most
/// `MAX_JWT_LEN` bytes each are kept; when full, expired records are dropped first, then the
/// record that expires first.
#[derive(Default)]
struct ExactStore {
    /// Records by tag (scheme and decoding switches), then by compact token.
    by_tag: HashMap<[u8; 3], HashMap<Box<[u8]>, CachedToken>>,
    len: usize,
}

impl TokenStore for ExactStore {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        self.by_tag
            .get(&key.tag())?
            .get(key.compact())
            .filter(|t| now < t.exp())
            .copied()
    }

    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, now: i64) {
        let held = self.by_tag.get_mut(&key.tag());
        if let Some(slot) = held.and_then(|m| m.get_mut(key.compact())) {
            *slot = token; // the same token verified again (another issuer key): replaced
            return;
        }
        if self.len >= TOKEN_CACHE_ENTRIES {
            for m in self.by_tag.values_mut() {
                m.retain(|_, t| now < t.exp());
            }
            self.len = self.by_tag.values().map(HashMap::len).sum();
        }
        if self.len >= TOKEN_CACHE_ENTRIES {
            // Still full: the record that expires first goes (a flood of fresh tokens then
            // displaces one record at a time, never the whole store).
            let first = self
                .by_tag
                .iter()
                .flat_map(|(tag, m)| m.iter().map(move |(k, t)| (t.exp(), *tag, k)))
                .min_by_key(|(exp, _, _)| *exp)
                .map(|(_, tag, k)| (tag, k.clone()));
            if let Some((tag, k)) = first {
                if let Some(m) = self.by_tag.get_mut(&tag) {
                    if m.remove(&k).is_some() {
                        self.len -= 1;
                    }
                }
            }
        }
        let m = self.by_tag.entry(key.tag()).or_default();
        if m.insert(key.compact().into(), token).is_none() {
            self.len += 1;
        }
    }
}

/// A verified-token cache (256 tokens, keyed by their exact bytes): a repeated agent token is
/// not parsed again, and its JWS, verified before with the same issuer key, is not verified
/// again; entries end at the token's `exp`. Thread-safe (a mutex around the store).
#[pyclass(frozen)]
struct NativeTokenCache {
    inner: std::sync::Mutex<ExactStore>,
}

#[pymethods]
impl NativeTokenCache {
    #[new]
    fn new() -> Self {
        NativeTokenCache {
            inner: std::sync::Mutex::new(ExactStore::default()),
        }
    }

    /// The number of tokens held (expired ones included until they are dropped).
    fn __len__(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len
    }
}

/// Why a [`verify`] call failed: a core failure (raised as `VerificationError` once the GIL is
/// back) or an exception raised by the `resolve` callback (passed through unchanged).
enum Fail {
    Core(Failure),
    Py(PyErr),
}

/// The key source phase 2 uses and, when a `resolve` callback chose it, the phase-1 summary
/// dict that callback received (completed into the result after verification).
type Resolved = (Source, Option<Py<PyDict>>);

/// Phase 1, then `resolve` with the phase-1 summary, then phase 2, over one parse of the
/// request. Runs without the GIL; `resolve` takes it back when it needs Python.
fn verify_parsed(
    r: &Request<'_>,
    p: &Policy<'_>,
    label: Option<&str>,
    now: i64,
    cache: Option<&NativeTokenCache>,
    resolve: impl FnOnce(&Summary) -> PyResult<Resolved>,
) -> Result<(Summary, Option<Py<PyDict>>), Fail> {
    with_scratch(|scratch| verify_parsed_in(r, p, label, now, cache, resolve, scratch))
}

/// [`verify_parsed`] with the scratch buffer a token is decoded into.
fn verify_parsed_in(
    r: &Request<'_>,
    p: &Policy<'_>,
    label: Option<&str>,
    now: i64,
    cache: Option<&NativeTokenCache>,
    resolve: impl FnOnce(&Summary) -> PyResult<Resolved>,
    scratch: &mut JwtScratch,
) -> Result<(Summary, Option<Py<PyDict>>), Fail> {
    let core = |e: Error| Fail::Core(failure(e, p, r.has_field(b"authorization")));
    let parsed = aauth_verify::parse(r, p, opt_label(label), now).map_err(core)?;
    let mut s = summarize(&parsed);
    if is_token(parsed.requirement()) {
        // Through the cache, a token seen before is not parsed again (its offline checks
        // still run); the lock is held only for the lookup.
        let token = match cache {
            Some(c) => {
                let guard = c.inner.lock().unwrap_or_else(|e| e.into_inner());
                parsed.token_cached(scratch, p, now, &*guard)
            }
            None => parsed.token(scratch, p, now),
        }
        .map_err(core)?;
        s.token = Some(TokenSummary::of(&token));
        let (source, info) = resolve(&s).map_err(Fail::Py)?;
        let issuer_key = match (token.scheme(), &source) {
            (Scheme::JktJwt, _) => None,
            (_, Source::Key(k)) => Some(*k),
            (_, Source::Jwks { jwks, metadata }) => {
                if let Some(doc) = metadata {
                    token.check_metadata(doc, p).map_err(core)?;
                }
                Some(token.select_issuer_key(jwks, p).map_err(core)?)
            }
            (_, Source::Inline) => {
                return Err(core(Error::new(
                    ErrorCode::UnknownKey,
                    "the token's issuer keys were not supplied",
                )))
            }
        };
        let v = match cache {
            Some(c) => {
                // A poisoned lock only means another thread panicked while holding it; the
                // cache holds no invariant a panic can break.
                let mut guard = c.inner.lock().unwrap_or_else(|e| e.into_inner());
                parsed.verify_token_cached(r, &token, issuer_key.as_ref(), &mut *guard, now)
            }
            None => parsed.verify_token(r, &token, issuer_key.as_ref()),
        }
        .map_err(core)?;
        return Ok((add_verified(s, &v), info));
    }
    let (source, info) = resolve(&s).map_err(Fail::Py)?;
    let key = match source {
        Source::Inline => parsed.inline_key().ok_or(core(Error::new(
            ErrorCode::UnknownKey,
            "the signature's key is not inline and none was supplied",
        )))?,
        Source::Key(k) => k,
        Source::Jwks { jwks, metadata } => {
            if let Some(doc) = &metadata {
                parsed.check_metadata(doc, p).map_err(core)?;
            }
            parsed.select_key(&jwks, p).map_err(core)?
        }
    };
    let v = parsed.verify(r, &key).map_err(core)?;
    Ok((add_verified(s, &v), info))
}

/// Phase 1 and 2: verifies the request and returns the summary of the verified signature (the
/// `inspect` dict plus `key`, `thumbprint`, `kid`, `signer` and the token's `issuer_key`).
///
/// The key comes from `key` (`None` for an inline key, a `NativeKey`, or
/// `("jwks", jwks_json, metadata_json | None)`), or, when `resolve` is given, from
/// `resolve(info)`: called once the offline checks passed, with the dict `inspect` would
/// return, it returns one of those key forms (or raises, which aborts verification with that
/// exception). The request is parsed once either way; with `resolve` the result is that same
/// dict, completed.
#[pyfunction]
#[pyo3(signature = (request, policy, now, key = None, label = None, cache = None, resolve = None))]
#[allow(clippy::too_many_arguments)]
fn verify<'py>(
    py: Python<'py>,
    request: &Bound<'py, NativeRequest>,
    policy: &Bound<'py, NativePolicy>,
    now: i64,
    key: Option<&Bound<'py, PyAny>>,
    label: Option<&str>,
    cache: Option<&Bound<'py, NativeTokenCache>>,
    resolve: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let resolve = match resolve.filter(|f| !f.is_none()) {
        None => None,
        Some(_) if key.is_some_and(|k| !k.is_none()) => {
            return Err(PyTypeError::new_err("pass key or resolve, not both"))
        }
        Some(f) if !f.is_callable() => {
            return Err(PyTypeError::new_err("resolve must be callable"))
        }
        Some(f) => Some(f.clone().unbind()),
    };
    let given = match resolve {
        None => Some(source_of(key)?),
        Some(_) => None,
    };
    let (req, pol) = (request.get(), policy.get());
    let cache = cache.map(|c| c.get());
    let out = py.detach(|| {
        req.with(|r| {
            pol.with(|p| {
                verify_parsed(r, p, label, now, cache, |s| match (given, resolve) {
                    (Some(source), _) => Ok((source, None)),
                    (None, Some(f)) => Python::attach(|py| {
                        let info = s.to_py(py)?;
                        let source = source_of(Some(&f.bind(py).call1((&info,))?))?;
                        Ok((source, Some(info.unbind())))
                    }),
                    (None, None) => Ok((Source::Inline, None)),
                })
            })
        })
    });
    match out {
        Ok((s, None)) => s.to_py(py),
        Ok((s, Some(info))) => {
            let info = info.into_bound(py);
            s.complete(&info)?;
            Ok(info)
        }
        Err(Fail::Core(f)) => Err(raise(py, f)),
        Err(Fail::Py(e)) => Err(e),
    }
}

/// The signature base (RFC 9421 §2.5) of the request's signature, for logs and debugging.
#[pyfunction]
#[pyo3(signature = (request, policy, now, label = None))]
fn signature_base<'py>(
    py: Python<'py>,
    request: &Bound<'py, NativeRequest>,
    policy: &Bound<'py, NativePolicy>,
    now: i64,
    label: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (req, pol) = (request.get(), policy.get());
    let out = req.with(|r| {
        pol.with(|p| {
            let parsed = aauth_verify::parse(r, p, opt_label(label), now)
                .map_err(|e| failure(e, p, false))?;
            let mut buf = vec![0u8; 64 * 1024];
            let n = parsed
                .base_into(r, &mut buf)
                .map_err(|e| failure(e, p, false))?
                .len();
            buf.truncate(n);
            Ok::<_, Failure>(buf)
        })
    });
    match out {
        Ok(b) => Ok(PyBytes::new(py, &b)),
        Err(f) => Err(raise(py, f)),
    }
}

/// How deep [`same_json`] follows nested containers before answering `False`.
const SAME_JSON_DEPTH: usize = 32;

fn same_json_at(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, depth: usize) -> PyResult<bool> {
    if depth == 0 || !a.get_type().is(b.get_type()) {
        return Ok(false);
    }
    if a.is_none() {
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyDict>(), b.cast_exact::<PyDict>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for ((ka, va), (kb, vb)) in x.iter().zip(y.iter()) {
            if !ka.is_exact_instance_of::<PyString>()
                || !kb.is_exact_instance_of::<PyString>()
                || !ka.eq(&kb)?
                || !same_json_at(&va, &vb, depth - 1)?
            {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyList>(), b.cast_exact::<PyList>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (va, vb) in x.iter().zip(y.iter()) {
            if !same_json_at(&va, &vb, depth - 1)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyFloat>(), b.cast_exact::<PyFloat>()) {
        return Ok(x.value().to_bits() == y.value().to_bits());
    }
    if a.is_exact_instance_of::<PyString>()
        || a.is_exact_instance_of::<PyBytes>()
        || a.is_exact_instance_of::<PyInt>()
        || a.is_exact_instance_of::<PyBool>()
    {
        return a.eq(b);
    }
    Ok(false)
}

/// Whether `a` and `b` are the same JSON document as built by `json.loads`: the same tree of
/// exactly `dict` (string keys, same order), `list`, `str`, `int`, `float` (same bits), `bool`
/// and `None`, or equal `str`/`bytes`. Subclasses, other types, `1` against `True` or `1.0`,
/// and trees deeper than 32 levels all answer `False`, so `json.dumps` of two documents this
/// accepts is the same text. Lets the drop-in reuse a key selected from an earlier, identical
/// JWKS.
#[pyfunction]
fn same_json(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    same_json_at(a, b, SAME_JSON_DEPTH)
}

/// The numeric code of each error token (stable, shared with the C ABI).
#[pyfunction]
fn error_codes() -> Vec<(&'static str, u32)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.token(), *c as u32))
        .collect()
}

/// Whether a key's `alg` is acceptable under the given rules (used for cached keys).
#[pyfunction]
fn key_allowed(key: &Bound<'_, NativeKey>, require_alg: bool, allow_eddsa: bool) -> bool {
    match key.get().key.alg {
        KeyAlg::Ed25519 => true,
        KeyAlg::EdDsa => allow_eddsa,
        KeyAlg::None => !require_alg,
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativePolicy>()?;
    m.add_class::<NativeRequest>()?;
    m.add_class::<NativeKey>()?;
    m.add_class::<NativeTokenCache>()?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(signature_base, m)?)?;
    m.add_function(wrap_pyfunction!(check_issuer, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(key_allowed, m)?)?;
    m.add_function(wrap_pyfunction!(same_json, m)?)?;
    egress::register(m)?;
    m.add("CORE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
