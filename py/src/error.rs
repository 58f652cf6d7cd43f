//! Failures: the core's [`Error`] (its code, the [`Check`] that failed and `refetch`) raised as
//! `aauth_verify.errors.VerificationError`, with the `Signature-Error` value rendered by the
//! core for the request at hand.

use aauth_verify::render::{self, RequestFacts};
use aauth_verify::{Check, Error, ErrorCode, Policy};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

static VERIFICATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A core failure carried out of a GIL-free section, with its rendered `Signature-Error`.
pub struct Failure {
    pub error: Error,
    pub header: String,
}

impl Failure {
    /// `error` with the `Signature-Error` value for a request with these facts.
    pub fn new(error: Error, policy: &Policy<'_>, facts: RequestFacts) -> Failure {
        Failure {
            error,
            header: signature_error(&error, policy, facts),
        }
    }

    /// `error` outside a request (a key or document on its own): `error=<code>`.
    pub fn bare(error: Error) -> Failure {
        Failure {
            error,
            header: format!("error={}", error.code.token()),
        }
    }
}

/// The core's `Signature-Error` value; `error=<code>` if it does not fit 1 KiB.
pub fn signature_error(error: &Error, policy: &Policy<'_>, facts: RequestFacts) -> String {
    let mut buf = [0u8; 1024];
    render::signature_error(error, policy, facts, &mut buf)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("error={}", error.code.token()))
}

/// The `VerificationError` for `f` (an exception object, not raised yet).
pub fn error_object<'py>(py: Python<'py>, f: &Failure) -> PyResult<Bound<'py, PyAny>> {
    let cls = VERIFICATION_ERROR.import(py, "aauth_verify.errors", "VerificationError")?;
    let kw = PyDict::new(py);
    kw.set_item("check", check_name(f.error.check))?;
    kw.set_item("refetch", f.error.refetch)?;
    cls.call(
        (
            f.error.code.token(),
            f.error.detail(),
            f.header.as_str(),
            f.error.code as u32,
        ),
        Some(&kw),
    )
}

/// `f` as a raised `VerificationError`.
pub fn raise(py: Python<'_>, f: Failure) -> PyErr {
    match error_object(py, &f) {
        Ok(obj) => PyErr::from_value(obj),
        Err(e) => e,
    }
}

/// A bare core error (no request) as a raised `VerificationError`.
pub fn raise_bare(py: Python<'_>, error: Error) -> PyErr {
    raise(py, Failure::bare(error))
}

/// The stable snake-case name of a check (`Check::SignatureInvalid` → `"signature_invalid"`).
pub fn check_name(c: Check) -> &'static str {
    c.name()
}

/// The check named `name` (snake case).
pub fn check_by_name(name: &str) -> PyResult<Check> {
    Check::from_name(name).ok_or_else(|| PyValueError::new_err(format!("unknown check {name:?}")))
}

/// The code named by a spec token.
pub fn code_by_token(token: &str) -> PyResult<ErrorCode> {
    ErrorCode::from_token(token)
        .ok_or_else(|| PyValueError::new_err(format!("unknown error code {token:?}")))
}

/// The check a host-side refusal without one is reported under (a resolver that could not
/// fetch a key, an unknown cache identifier): the core's [`Error::from_host`].
pub fn fallback_check(code: ErrorCode) -> Check {
    Error::from_host(code).check
}

/// `(name, number, detail)` of every check, in numeric order.
#[pyfunction]
pub fn checks() -> Vec<(&'static str, u16, &'static str)> {
    Check::ALL
        .iter()
        .map(|c| (check_name(*c), *c as u16, c.detail()))
        .collect()
}

/// `(token, number, title, recoverable)` of every error code, in numeric order (the numbers
/// are shared with the C ABI).
#[pyfunction]
pub fn error_codes() -> Vec<(&'static str, u32, &'static str, bool)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.token(), *c as u32, c.title(), c.is_recoverable()))
        .collect()
}

/// The HTTP status for `code`: 401 under AAuth (`aauth=True`), else 401 for the recoverable
/// codes and 400 for the others (SK-09 §5).
#[pyfunction]
#[pyo3(signature = (code, aauth = true))]
pub fn status_for(code: &str, aauth: bool) -> PyResult<u16> {
    Ok(code_by_token(code)?.status(aauth))
}

/// The `application/problem+json` body for a refusal (`type` = `urn:ietf:params:sig-error:…`,
/// `title`, `status`, `detail`, `error`), rendered by the core. `check` is the failed check's
/// name; without one (a host-side refusal) the closest check of the code is used.
#[pyfunction]
#[pyo3(signature = (code, check, status))]
pub fn problem_details(code: &str, check: Option<&str>, status: u16) -> PyResult<String> {
    let code = code_by_token(code)?;
    let check = match check {
        Some(name) => check_by_name(name)?,
        None => fallback_check(code),
    };
    let mut buf = [0u8; 1024];
    render::problem_details(&Error::new(code, check), status, &mut buf)
        .map(str::to_owned)
        .ok_or_else(|| PyValueError::new_err("problem details do not fit"))
}
