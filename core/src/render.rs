//! Rendering the response headers that tell a signer what went wrong and what is accepted.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §4 (`Accept-Signature-Scheme`,
//! `Accept-Signature-Alg`), §5 (`Signature-Error`, Problem Details), §6
//! (`Signature-Key-Cache`: see [`crate::Issued::render`]); RFC 9651 §4.1 (serialization).

use aauth_verify_sf::sf;
use aauth_verify_sf::sink::{Sink, SliceSink};

use crate::error::{Error, ErrorCode};
use crate::policy::{Policy, Scheme, Schemes};
use crate::request::Request;

fn finish(sink: SliceSink<'_>) -> Option<&str> {
    sink.finish().and_then(|b| core::str::from_utf8(b).ok())
}

/// What a request carries that changes which components the policy requires of it.
///
/// Spec: AAuth §Covered Components (`authorization` when present; `content-digest` with a body
/// where required); draft-hardt-httpbis-signature-key-09 §5.4.5.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The request has an `Authorization` header.
    pub authorization: bool,
    /// The request has a body ([`Request::has_body`]: a non-empty body, or, when the host has
    /// not read it, framing that announces one), as phase 1 judges it.
    pub body: bool,
    /// The request target has a query.
    pub query: bool,
}

impl RequestFacts {
    /// The facts of `req`.
    ///
    /// Spec: AAuth §Covered Components.
    pub fn of(req: &Request<'_, '_>) -> RequestFacts {
        RequestFacts {
            authorization: req.has_field(b"authorization"),
            body: req.has_body(),
            query: req.query.is_some(),
        }
    }
}

/// The components `policy` requires a request with these facts to cover, in order: the
/// required list, then `authorization`, `content-digest` and `@query` where they apply.
///
/// Spec: AAuth §Covered Components; draft-hardt-httpbis-signature-key-09 §5.4.5.
pub fn required_components<'p>(
    policy: &'p Policy<'_>,
    facts: RequestFacts,
) -> impl Iterator<Item = &'p str> + 'p {
    let has = move |name: &str| policy.required.contains(&name);
    let extra = [
        (
            policy.require_authorization_when_present && facts.authorization,
            "authorization",
        ),
        (
            policy.require_content_digest_with_body && facts.body,
            "content-digest",
        ),
        (policy.require_query && facts.query, "@query"),
    ];
    policy.required.iter().copied().chain(
        extra
            .into_iter()
            .filter(move |(on, name)| *on && !has(name))
            .map(|(_, name)| name),
    )
}

/// Renders the `Signature-Error` field value for `error` into `out`, e.g.
/// `error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")`.
///
/// For `invalid_input`, `required_input` lists every component the policy requires of this
/// request ([`required_components`]). Returns `None` if `out` is too small.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.1 (a Dictionary; `error` is a Token),
/// §5.4.5 (`required_input`, an Inner List of Strings).
pub fn signature_error<'b>(
    error: &Error,
    policy: &Policy<'_>,
    facts: RequestFacts,
    out: &'b mut [u8],
) -> Option<&'b str> {
    let mut sink = SliceSink::new(out);
    sink.write(b"error=");
    sink.write(error.code.token().as_bytes());
    if error.code == ErrorCode::InvalidInput {
        sink.write(b", required_input=(");
        for (i, name) in required_components(policy, facts).enumerate() {
            if i > 0 {
                sink.write(b" ");
            }
            sf::serialize_string(name.as_bytes(), &mut sink).ok()?;
        }
        sink.write(b")");
    }
    finish(sink)
}

/// Renders the `application/problem+json` body for `error` with HTTP `status`:
/// `{"type":"urn:ietf:params:sig-error:<code>","title":…,"status":…,"detail":…,"error":"<code>"}`.
/// The detail is the failed check's static description (never request bytes, URLs or
/// addresses). Returns `None` if `out` is too small.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.2; RFC 9457 §3; AAuth §Error Response Format
/// (`error`).
pub fn problem_details<'b>(error: &Error, status: u16, out: &'b mut [u8]) -> Option<&'b str> {
    let mut sink = SliceSink::new(out);
    let code = error.code.token().as_bytes();
    sink.write(b"{\"type\":\"urn:ietf:params:sig-error:");
    sink.write(code);
    sink.write(b"\",\"title\":\"");
    sink.write(error.code.title().as_bytes());
    sink.write(b"\",\"status\":");
    let mut digits = [0u8; 5];
    let mut n = 0;
    let mut v = status;
    loop {
        *digits.get_mut(n)? = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for d in digits.get(..n)?.iter().rev() {
        sink.write(&[*d]);
    }
    sink.write(b",\"detail\":\"");
    // Static ASCII phrases; the only characters JSON must escape in them are quotes.
    for &b in error.detail().as_bytes() {
        if b == b'"' || b == b'\\' {
            sink.write(b"\\");
        }
        sink.write(&[b]);
    }
    sink.write(b"\",\"error\":\"");
    sink.write(code);
    sink.write(b"\"}");
    finish(sink)
}

/// Renders `Accept-Signature-Scheme` (a List of Tokens) for the schemes in `schemes` that this
/// build verifies ([`Scheme::is_built`]: a scheme the crate features left out is never
/// advertised).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.1.
pub fn accept_signature_scheme(schemes: Schemes, out: &mut [u8]) -> Option<&str> {
    let mut sink = SliceSink::new(out);
    let mut first = true;
    for s in schemes.iter().filter(|s| s.is_built()) {
        // Legacy jwks shares the `jwks` token; list it once.
        if s == Scheme::LegacyJwks && schemes.contains(Scheme::Jwks) {
            continue;
        }
        if !first {
            sink.write(b", ");
        }
        sink.write(s.token().as_bytes());
        first = false;
    }
    finish(sink)
}

/// Renders `Accept-Signature-Alg` (a List of Tokens): the JOSE algorithms this verifier
/// supports, which is `Ed25519`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.2; RFC 9864 (`Ed25519`).
pub fn accept_signature_alg(out: &mut [u8]) -> Option<&str> {
    let mut sink = SliceSink::new(out);
    sink.write(b"Ed25519");
    finish(sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Check, ErrorCode};

    #[test]
    fn required_input_lists_what_applies() {
        let policy = Policy {
            require_content_digest_with_body: true,
            require_query: true,
            ..Policy::STRICT
        };
        let e = Error::new(ErrorCode::InvalidInput, Check::BodyNotCovered);
        let mut buf = [0u8; 256];
        let none = signature_error(&e, &policy, RequestFacts::default(), &mut buf).unwrap();
        assert_eq!(
            none,
            r#"error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")"#
        );
        let all = RequestFacts {
            authorization: true,
            body: true,
            query: true,
        };
        let mut buf = [0u8; 256];
        assert_eq!(
            signature_error(&e, &policy, all, &mut buf).unwrap(),
            r#"error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key" "authorization" "content-digest" "@query")"#
        );
    }

    #[test]
    fn facts_count_a_body_the_framing_announces() {
        // An unread body (None) announced by Content-Length is a body, as phase 1 judges it:
        // the invalid_input of a request refused before its body was read lists content-digest.
        let h = [crate::request::Header::new(b"Content-Length", b"12")];
        let mut req = Request {
            method: b"POST",
            scheme: b"https",
            authority: b"a",
            path: b"/",
            query: None,
            headers: &h,
            body: None,
        };
        assert!(RequestFacts::of(&req).body);
        req.body = Some(b"");
        assert!(!RequestFacts::of(&req).body);
        req.headers = &[];
        req.body = None;
        assert!(!RequestFacts::of(&req).body);
    }

    #[test]
    fn problem_details_is_json() {
        let e = Error::new(ErrorCode::UnknownKey, Check::KidNotInJwks);
        let mut buf = [0u8; 256];
        let body = problem_details(&e, 401, &mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], "urn:ietf:params:sig-error:unknown_key");
        assert_eq!(v["status"], 401);
        assert_eq!(v["error"], "unknown_key");
        assert_eq!(v["detail"], "no JWKS key has the requested kid");
        let q = Error::new(ErrorCode::InvalidRequest, Check::StatusInRequest);
        let mut buf = [0u8; 256];
        let v: serde_json::Value =
            serde_json::from_str(problem_details(&q, 400, &mut buf).unwrap()).unwrap();
        assert_eq!(v["detail"], "\"@status\" is covered in a request");
        assert!(problem_details(&e, 401, &mut [0u8; 16]).is_none());
    }
}
