//! `aauth_verify._native` egress functions: the core's `egress` module (SK-09 §7.3) for the
//! Python resolver. Request input that is refused raises `VerificationError` (`invalid_key`
//! for a malformed identifier or URL, `unknown_key` for a refused destination); configuration
//! errors (a malformed allowlist pattern, text that is not an IP address) raise `ValueError`.

use std::net::IpAddr;

use aauth_verify::egress::{self, Admitted, FetchUrl, Host, Origin};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::raise_bare as raise_plain;

/// `(scheme, kind, host, port, authority)`: `kind` is `name`, `ipv4` or `ipv6`; `host` is the
/// name or the address text without brackets (what `getaddrinfo` takes); `port` is the
/// effective port; `authority` is `host[:port]` as written (the `Host` header).
type Parts = (&'static str, &'static str, String, u16, String);

fn parts(o: &Origin<'_>) -> Parts {
    let (kind, host) = match o.host {
        Host::Name(n) => ("name", n.to_owned()),
        Host::V4(a) => ("ipv4", a.to_string()),
        Host::V6(a) => ("ipv6", a.to_string()),
    };
    (
        o.scheme.as_str(),
        kind,
        host,
        o.effective_port(),
        o.authority.to_owned(),
    )
}

fn origin<'a>(py: Python<'_>, text: &'a str) -> PyResult<Origin<'a>> {
    egress::parse_origin(text.as_bytes()).map_err(|e| raise_plain(py, e))
}

fn url<'a>(py: Python<'_>, text: &'a str) -> PyResult<FetchUrl<'a>> {
    egress::parse_url(text.as_bytes()).map_err(|e| raise_plain(py, e))
}

fn patterns(list: &[String]) -> Vec<&[u8]> {
    list.iter().map(|s| s.as_bytes()).collect()
}

/// Parses an identifier (`id`, `iss`) as a bare origin; returns its parts.
#[pyfunction]
fn parse_origin(py: Python<'_>, id: &str) -> PyResult<Parts> {
    origin(py, id).map(|o| parts(&o))
}

/// Parses a fetch URL; returns `(parts, origin, target)`.
#[pyfunction]
fn parse_url(py: Python<'_>, text: &str) -> PyResult<(Parts, String, String)> {
    let u = url(py, text)?;
    Ok((
        parts(&u.origin),
        u.origin.text.to_owned(),
        u.target.to_owned(),
    ))
}

/// `{origin}/.well-known/{dwk}` for identifier `id`.
#[pyfunction]
fn metadata_url(py: Python<'_>, id: &str, dwk: &str) -> PyResult<String> {
    let o = origin(py, id)?;
    let mut buf = vec![0u8; o.text.len() + egress::WELL_KNOWN.len() + dwk.len()];
    egress::metadata_url(&o, dwk.as_bytes(), &mut buf)
        .map(str::to_owned)
        .map_err(|e| raise_plain(py, e))
}

/// Egress admission of a fetch URL: `"listed"`, `"public"` or `"resolve"` (then check each
/// address with `admit_address`), else `VerificationError`.
#[pyfunction]
fn admit(
    py: Python<'_>,
    text: &str,
    http_hosts: Vec<String>,
    private_hosts: Vec<String>,
) -> PyResult<&'static str> {
    let u = url(py, text)?;
    let answer = egress::admit(&u.origin, &patterns(&http_hosts), &patterns(&private_hosts))
        .map_err(|e| raise_plain(py, e))?;
    Ok(match answer {
        Admitted::Listed => "listed",
        Admitted::Public => "public",
        Admitted::Resolve => "resolve",
    })
}

fn ip(text: &str) -> PyResult<IpAddr> {
    text.parse()
        .map_err(|_| PyValueError::new_err("not an IP address"))
}

/// The class of an IP address (`public`, `loopback`, `private`, `link-local`, …).
#[pyfunction]
fn classify_ip(addr: &str) -> PyResult<&'static str> {
    Ok(egress::classify_ip(ip(addr)?).as_str())
}

/// Refuses (`VerificationError`, `unknown_key`) an address that is not public.
#[pyfunction]
fn admit_address(py: Python<'_>, addr: &str) -> PyResult<()> {
    egress::admit_address(ip(addr)?).map_err(|e| raise_plain(py, e))
}

/// Refuses a cross-origin `jwks_uri` that no pattern in `cross_origin` admits.
#[pyfunction]
fn check_jwks_uri(
    py: Python<'_>,
    jwks_uri: &str,
    metadata_origin: &str,
    cross_origin: Vec<String>,
) -> PyResult<()> {
    let u = url(py, jwks_uri)?;
    let o = origin(py, metadata_origin)?;
    egress::check_jwks_uri(&u, &o, &patterns(&cross_origin)).map_err(|e| raise_plain(py, e))
}

/// Whether two fetch URLs have the same origin (redirects stay on it).
#[pyfunction]
fn same_origin(py: Python<'_>, a: &str, b: &str) -> PyResult<bool> {
    Ok(url(py, a)?.origin.same_origin(&url(py, b)?.origin))
}

/// Checks an allowlist pattern; `ValueError` with the reason when malformed.
#[pyfunction]
fn check_pattern(pattern: &str) -> PyResult<()> {
    egress::check_pattern(pattern.as_bytes()).map_err(|e| PyValueError::new_err(e.detail()))
}

/// Whether `pattern` lists the origin of fetch URL `text`.
#[pyfunction]
fn pattern_matches(py: Python<'_>, pattern: &str, text: &str) -> PyResult<bool> {
    Ok(egress::pattern_matches(
        pattern.as_bytes(),
        &url(py, text)?.origin,
    ))
}

/// Adds the egress functions to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_origin, m)?)?;
    m.add_function(wrap_pyfunction!(parse_url, m)?)?;
    m.add_function(wrap_pyfunction!(metadata_url, m)?)?;
    m.add_function(wrap_pyfunction!(admit, m)?)?;
    m.add_function(wrap_pyfunction!(classify_ip, m)?)?;
    m.add_function(wrap_pyfunction!(admit_address, m)?)?;
    m.add_function(wrap_pyfunction!(check_jwks_uri, m)?)?;
    m.add_function(wrap_pyfunction!(same_origin, m)?)?;
    m.add_function(wrap_pyfunction!(check_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(pattern_matches, m)?)?;
    Ok(())
}
