//! Rendering the response headers that tell a signer what went wrong and what is accepted.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §4 (`Accept-Signature-Scheme`,
//! `Accept-Signature-Alg`), §5 (`Signature-Error`); RFC 8941 §4.1 (serialization).

use aauth_verify_sf::sf;
use aauth_verify_sf::sink::{Sink, SliceSink};

use crate::error::{Error, ErrorCode};
use crate::policy::{Policy, Scheme, Schemes};

fn finish(sink: SliceSink<'_>) -> Option<&str> {
    sink.finish().and_then(|b| core::str::from_utf8(b).ok())
}

/// Renders the `Signature-Error` field value for `error` into `out`, e.g.
/// `error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")`.
///
/// For `invalid_input` the policy's required components are listed (plus `authorization` when
/// the policy requires it and `authorization_present`). Returns `None` if `out` is too small.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.1 (a Dictionary; `error` is a Token,
/// `required_input` an Inner List of Strings).
pub fn signature_error<'b>(
    error: &Error,
    policy: &Policy<'_>,
    authorization_present: bool,
    out: &'b mut [u8],
) -> Option<&'b str> {
    let mut sink = SliceSink::new(out);
    sink.write(b"error=");
    sink.write(error.code.token().as_bytes());
    if error.code == ErrorCode::InvalidInput {
        sink.write(b", required_input=(");
        let extra: &[&str] = if authorization_present && policy.require_authorization_when_present {
            &["authorization"]
        } else {
            &[]
        };
        for (i, name) in policy.required.iter().chain(extra.iter()).enumerate() {
            if i > 0 {
                sink.write(b" ");
            }
            sf::serialize_string(name.as_bytes(), &mut sink).ok()?;
        }
        sink.write(b")");
    }
    finish(sink)
}

/// Renders `Accept-Signature-Scheme` (a List of Tokens) for the schemes in `schemes`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.1.
pub fn accept_signature_scheme(schemes: Schemes, out: &mut [u8]) -> Option<&str> {
    let mut sink = SliceSink::new(out);
    let mut first = true;
    for s in schemes.iter() {
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
