//! What a verified request is, as Python sees it: the fields of `aauth_verify.Verified` (read
//! from the core's [`Identity`](aauth_verify::Identity), never derived again), the replay key,
//! and the cache grant of a `;cache` token with the identifier issued for it.

use aauth_verify::{
    CacheGrant as CoreGrant, Issued as CoreIssued, PublicKey, ReplayKey, Scheme, Text, Verified,
};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::key::{thumbprint, NativeKey};
use crate::plan::text;

/// The token part of a verified request.
pub struct TokenOut {
    typ: String,
    /// The decoded payload (JSON text; parsed by Python on first access).
    payload: String,
    issuer_key: PublicKey,
}

/// A cache grant, owned.
pub struct GrantOut {
    label: String,
    scheme: Scheme,
    assertion: Vec<u8>,
    jti: Vec<u8>,
    exp: i64,
}

/// A verified request, owned, carried out of the GIL-free section.
pub struct Outcome {
    agent: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    kid: Option<String>,
    key: PublicKey,
    nonce: Option<String>,
    tag: Option<String>,
    token: Option<TokenOut>,
    replay: Option<ReplayKey>,
    cache: Option<GrantOut>,
}

fn opt(t: Option<Text<'_>>) -> Option<String> {
    t.as_ref().map(text)
}

impl Outcome {
    /// The request's replay key, when the context asked for one.
    pub fn replay(&self) -> Option<NativeReplayKey> {
        self.replay.map(|key| NativeReplayKey { key })
    }

    pub fn of(v: &Verified<'_>) -> Outcome {
        let i = &v.identity;
        Outcome {
            agent: opt(i.agent),
            issuer: opt(i.issuer),
            subject: opt(i.subject),
            kid: opt(i.kid),
            key: v.key,
            nonce: opt(v.params.nonce),
            tag: opt(v.params.tag),
            token: v.token.as_ref().map(|t| TokenOut {
                typ: text(&t.typ),
                // The core decoded it (and parsed it as JSON, so it is UTF-8).
                payload: String::from_utf8_lossy(t.payload).into_owned(),
                issuer_key: t.issuer_key,
            }),
            replay: v.replay,
            cache: v.cache.as_ref().map(|g| GrantOut {
                label: String::from_utf8_lossy(g.label).into_owned(),
                scheme: g.scheme,
                assertion: g.assertion.to_vec(),
                jti: g.jti.bytes().collect(),
                exp: g.exp,
            }),
        }
    }
}

/// What phase 1 learnt that the result repeats (built once per request, at parse time).
pub struct Signature {
    pub label: Py<PyString>,
    pub scheme: Option<&'static str>,
    pub covered: Py<PyTuple>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

impl Signature {
    /// Another reference to the same values.
    pub fn clone_ref(&self, py: Python<'_>) -> Signature {
        Signature {
            label: self.label.clone_ref(py),
            scheme: self.scheme,
            covered: self.covered.clone_ref(py),
            created: self.created,
            expires: self.expires,
        }
    }
}

/// The `__dict__` of an `aauth_verify.Verified` (its fields, in field order).
pub fn verified_fields<'py>(
    py: Python<'py>,
    sig: &Signature,
    o: Outcome,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "label"), sig.label.bind(py))?;
    d.set_item(intern!(py, "scheme"), sig.scheme)?;
    d.set_item(intern!(py, "agent"), o.agent)?;
    d.set_item(intern!(py, "issuer"), o.issuer)?;
    d.set_item(intern!(py, "subject"), o.subject)?;
    d.set_item(intern!(py, "kid"), o.kid)?;
    d.set_item(intern!(py, "thumbprint"), thumbprint(&o.key))?;
    d.set_item(intern!(py, "created"), sig.created)?;
    d.set_item(intern!(py, "expires"), sig.expires)?;
    d.set_item(intern!(py, "covered"), sig.covered.bind(py))?;
    d.set_item(intern!(py, "key"), NativeKey { key: o.key })?;
    let (typ, claims, issuer_key) = match o.token {
        Some(t) => (
            Some(t.typ),
            Some(Py::new(py, TokenClaims { payload: t.payload })?),
            Some(NativeKey { key: t.issuer_key }),
        ),
        None => (None, None, None),
    };
    d.set_item(intern!(py, "token_type"), typ)?;
    d.set_item(intern!(py, "claims"), claims)?;
    d.set_item(intern!(py, "nonce"), o.nonce)?;
    d.set_item(intern!(py, "tag"), o.tag)?;
    d.set_item(intern!(py, "issuer_key"), issuer_key)?;
    d.set_item(
        intern!(py, "replay"),
        o.replay.map(|key| NativeReplayKey { key }),
    )?;
    d.set_item(
        intern!(py, "cache"),
        o.cache.map(|g| NativeCacheGrant { grant: g }),
    )?;
    d.set_item(intern!(py, "signature_key_cache"), py.None())?;
    Ok(d)
}

/// A verified token's claims, not parsed yet: `payload` is the JSON text the core decoded.
/// `aauth_verify.Verified.claims` parses it with `json` on first access.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct TokenClaims {
    #[pyo3(get)]
    payload: String,
}

#[pymethods]
impl TokenClaims {
    fn __repr__(&self) -> &'static str {
        "<claims not decoded yet>"
    }
}

/// The replay key of a verified request (AAuth §Freshness and Replay): a SHA-256 of the key
/// and the signature base, and the last second the same request would be accepted. A host's
/// store records `b64` until `until` (`ttl(now)` seconds) with an atomic insert-if-absent; a
/// key already present is a replay (`Pending.replayed()`).
#[pyclass(frozen, eq, hash, module = "aauth_verify._native", name = "ReplayKey")]
#[derive(PartialEq, Eq, Hash)]
pub struct NativeReplayKey {
    key: ReplayKey,
}

impl NativeReplayKey {
    /// Another key object with the same value.
    pub fn clone_of(k: &NativeReplayKey) -> NativeReplayKey {
        NativeReplayKey { key: k.key }
    }
}

#[pymethods]
impl NativeReplayKey {
    /// The 32-byte digest.
    #[getter]
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.key.digest)
    }

    /// The digest as 43 characters of unpadded base64url (a text key for a shared store).
    #[getter]
    fn b64(&self) -> String {
        String::from_utf8_lossy(&self.key.to_b64()).into_owned()
    }

    /// The last second (seconds since the epoch) at which the same request is still fresh.
    #[getter]
    fn until(&self) -> i64 {
        self.key.until
    }

    /// Seconds from `now` until the key may be forgotten (at least 1).
    fn ttl(&self, now: i64) -> u64 {
        self.key.ttl(now)
    }

    fn __repr__(&self) -> String {
        format!("ReplayKey(b64={:?}, until={})", self.b64(), self.key.until)
    }
}

/// A verified `;cache` assertion the signer asked the verifier to cache (SK-09 §6): store
/// `assertion` (under `scheme`) with the identifier `issue()` returns, until its `expires`.
#[pyclass(frozen, module = "aauth_verify._native", name = "CacheGrant")]
pub struct NativeCacheGrant {
    grant: GrantOut,
}

impl NativeCacheGrant {
    fn with<R>(&self, f: impl FnOnce(&CoreGrant<'_>) -> R) -> R {
        let g = &self.grant;
        f(&CoreGrant {
            label: g.label.as_bytes(),
            scheme: g.scheme,
            assertion: &g.assertion,
            jti: Text::plain(&g.jti),
            exp: g.exp,
        })
    }
}

#[pymethods]
impl NativeCacheGrant {
    /// The signature label (the member name of `Signature-Key-Cache`).
    #[getter]
    fn label(&self) -> &str {
        &self.grant.label
    }

    /// The scheme the assertion was presented under (`"jwt"` or `"jkt-jwt"`).
    #[getter]
    fn scheme(&self) -> &'static str {
        self.grant.scheme.name()
    }

    /// The compact assertion: what the host stores under the identifier.
    #[getter]
    fn assertion<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.grant.assertion)
    }

    /// The token's `jti`.
    #[getter]
    fn jti(&self) -> String {
        String::from_utf8_lossy(&self.grant.jti).into_owned()
    }

    /// The token's `exp`: the identifier must not be honoured past it.
    #[getter]
    fn exp(&self) -> i64 {
        self.grant.exp
    }

    /// An identifier from 16 random bytes (`os.urandom(16)`), honoured until `now + max_ttl`
    /// or the token's `exp`, whichever is first, with its rendered `Signature-Key-Cache`.
    fn issue(&self, random: &[u8], now: i64, max_ttl: u64) -> PyResult<NativeIssued> {
        let random: [u8; 16] = random
            .try_into()
            .map_err(|_| PyValueError::new_err("a cache identifier takes 16 random bytes"))?;
        self.with(|g| {
            let issued: CoreIssued = g.issue(random, now, max_ttl);
            let mut buf = [0u8; 1024];
            let header = issued
                .render(g, &mut buf)
                .ok_or_else(|| PyValueError::new_err("Signature-Key-Cache does not fit"))?
                .to_owned();
            Ok(NativeIssued {
                cid: issued.cid().to_owned(),
                expires: issued.expires,
                header,
            })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "CacheGrant(label={:?}, scheme={:?}, exp={})",
            self.grant.label,
            self.grant.scheme.name(),
            self.grant.exp
        )
    }
}

/// A cache identifier issued for a grant.
#[pyclass(frozen, module = "aauth_verify._native", name = "Issued")]
pub struct NativeIssued {
    /// The identifier (22 characters of unpadded base64url).
    #[pyo3(get)]
    cid: String,
    /// When the identifier stops being honoured.
    #[pyo3(get)]
    expires: i64,
    /// The `Signature-Key-Cache` response field value.
    #[pyo3(get)]
    header: String,
}
