//! `NativePolicy`: an owned form of the core's [`Policy`], and what the core renders from it
//! for responses (`Signature-Error`, `Accept-Signature-Scheme`, `Accept-Signature-Alg`).

use aauth_verify::render;
use aauth_verify::{
    Compat, Error, Limits, Policy, Scheme, Schemes, AAUTH_REQUIRED, AGENT_TYPES, STRUCTURED_FIELDS,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::{self, check_by_name, code_by_token, fallback_check};
use crate::request::NativeRequest;

/// A verification policy.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct NativePolicy {
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
    max_validity: Option<u64>,
    require_query: bool,
}

fn scheme_by_name(name: &str) -> Option<Scheme> {
    Scheme::from_name(name).or_else(|| Scheme::ALL.into_iter().find(|s| s.token() == name))
}

/// How many strings a policy list holds on the stack before it needs a `Vec`.
const INLINE: usize = 16;

/// Runs `f` over `strs` as `&[&str]`, on the stack for short lists.
fn with_strs<R>(strs: &[String], f: impl FnOnce(&[&str]) -> R) -> R {
    if strs.len() <= INLINE {
        let mut buf = [""; INLINE];
        for (slot, s) in buf.iter_mut().zip(strs) {
            *slot = s.as_str();
        }
        f(&buf[..strs.len()])
    } else {
        let v: Vec<&str> = strs.iter().map(String::as_str).collect();
        f(&v)
    }
}

impl NativePolicy {
    /// Runs `f` with the core policy borrowed from this one.
    pub fn with<R>(&self, f: impl FnOnce(&Policy<'_>) -> R) -> R {
        with_strs(&self.required, |required| {
            with_strs(&self.jwt_types, |jwt_types| {
                f(&Policy {
                    window: self.window,
                    required,
                    require_authorization_when_present: self.require_authorization_when_present,
                    require_content_digest_with_body: self.require_content_digest_with_body,
                    require_signature_key: self.require_signature_key,
                    schemes: self.schemes,
                    jwt_types,
                    base64url_signatures: self.base64url_signatures,
                    compat: self.compat,
                    limits: self.limits,
                    max_validity: self.max_validity,
                    require_query: self.require_query,
                    structured_fields: STRUCTURED_FIELDS,
                })
            })
        })
    }
}

#[pymethods]
impl NativePolicy {
    #[new]
    #[pyo3(signature = (
        *, window = 60, required = None, require_authorization_when_present = true,
        require_content_digest_with_body = false, require_signature_key = true, schemes = None,
        jwt_types = None, base64url_signatures = true, legacy_signature_key = false,
        alg_less_keys = false, eddsa = false, missing_created = false, legacy_metadata = false,
        max_header_bytes = None, max_components = None, max_params = None, max_validity = None,
        require_query = false
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
        max_validity: Option<u64>,
        require_query: bool,
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
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Ok(NativePolicy {
            window,
            required: required.unwrap_or_else(|| owned(AAUTH_REQUIRED)),
            require_authorization_when_present,
            require_content_digest_with_body,
            require_signature_key,
            schemes,
            jwt_types: jwt_types.unwrap_or_else(|| owned(AGENT_TYPES)),
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
            max_validity,
            require_query,
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

    /// The longest `expires - created` accepted (`None`: no cap).
    #[getter]
    fn max_validity(&self) -> Option<u64> {
        self.max_validity
    }

    /// Whether a non-empty body must be covered by `content-digest`.
    #[getter]
    fn require_content_digest_with_body(&self) -> bool {
        self.require_content_digest_with_body
    }

    /// Whether a query must be covered.
    #[getter]
    fn require_query(&self) -> bool {
        self.require_query
    }

    /// The key rules `(require_alg, allow_eddsa)` that follow from the compatibility switches.
    #[getter]
    fn key_rules(&self) -> (bool, bool) {
        self.with(|p| {
            let r = p.key_rules();
            (r.require_alg, r.allow_eddsa)
        })
    }

    /// Whether legacy metadata (`agent` instead of `issuer`) is accepted.
    #[getter]
    fn legacy_metadata(&self) -> bool {
        self.compat.legacy_metadata
    }

    /// `Accept-Signature-Scheme` for this policy (SK-09 §4.1).
    fn accept_signature_scheme(&self) -> String {
        let mut buf = [0u8; 128];
        render::accept_signature_scheme(self.schemes, &mut buf)
            .unwrap_or("")
            .to_owned()
    }

    /// `Accept-Signature-Alg` (SK-09 §4.2): the algorithms this verifier supports.
    #[staticmethod]
    fn accept_signature_alg() -> String {
        let mut buf = [0u8; 64];
        render::accept_signature_alg(&mut buf)
            .unwrap_or("")
            .to_owned()
    }

    /// The `Signature-Error` value for `code` (a spec token) under this policy, for `request`
    /// (its `Authorization`, body and query decide what `invalid_input` lists).
    #[pyo3(signature = (code, request = None, check = None))]
    fn signature_error(
        &self,
        code: &str,
        request: Option<&Bound<'_, NativeRequest>>,
        check: Option<&str>,
    ) -> PyResult<String> {
        let code = code_by_token(code)?;
        let check = match check {
            Some(c) => check_by_name(c)?,
            None => fallback_check(code),
        };
        let facts = request.map(|r| r.get().facts()).unwrap_or_default();
        Ok(self.with(|p| error::signature_error(&Error::new(code, check), p, facts)))
    }
}
