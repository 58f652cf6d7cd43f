//! Errors: one small `Copy` type whose codes are the `Signature-Error` tokens.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §5.4 (error codes); AAuth §Verification.

use core::fmt;

/// The `Signature-Error` `error` token that a verification failure maps to.
///
/// The numeric values are stable: they are part of the C ABI and never change once released.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4; AAuth §HTTP Message Signatures Profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCode {
    /// A signature header is missing or does not parse (`Signature-Input`, `Signature`,
    /// `Signature-Key`), or a covered component cannot be produced.
    InvalidRequest = 1,
    /// The covered components miss one the verifier requires (`required_input` lists them).
    InvalidInput = 2,
    /// The signature does not verify, is too old, or has expired.
    InvalidSignature = 3,
    /// `created` lies further in the future than the window allows (SK-09).
    ClockSkew = 4,
    /// The `Signature-Key` scheme is unknown or not allowed here.
    UnsupportedScheme = 5,
    /// The key's algorithm is well formed but not supported (only Ed25519 is).
    UnsupportedAlgorithm = 6,
    /// The key material is malformed or forbidden.
    InvalidKey = 7,
    /// No key with the named `kid` is known for the signer.
    UnknownKey = 8,
    /// A key-carrying JWT is malformed or its signature does not verify.
    InvalidJwt = 9,
    /// A key-carrying JWT is well formed but expired.
    ExpiredJwt = 10,
    /// The signer's metadata document has no `issuer`.
    IssuerMissing = 11,
    /// The signer's metadata `issuer` differs from the identifier it was fetched for.
    IssuerMismatch = 12,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidSignature,
        ErrorCode::ClockSkew,
        ErrorCode::UnsupportedScheme,
        ErrorCode::UnsupportedAlgorithm,
        ErrorCode::InvalidKey,
        ErrorCode::UnknownKey,
        ErrorCode::InvalidJwt,
        ErrorCode::ExpiredJwt,
        ErrorCode::IssuerMissing,
        ErrorCode::IssuerMismatch,
    ];

    /// The token as it appears in `Signature-Error: error=<token>`.
    pub const fn token(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::UnsupportedScheme => "unsupported_scheme",
            ErrorCode::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::UnknownKey => "unknown_key",
            ErrorCode::InvalidJwt => "invalid_jwt",
            ErrorCode::ExpiredJwt => "expired_jwt",
            ErrorCode::IssuerMissing => "issuer_missing",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
        }
    }

    /// Parses a token back into a code (`None` for an unknown token).
    pub fn from_token(token: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.token() == token)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// A verification failure: the spec's error code plus a static description of the check that
/// failed. `Copy`, allocation-free, and safe to log (it never contains request bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// The `Signature-Error` token.
    pub code: ErrorCode,
    /// Which check failed, in a short English phrase (stable enough to log, not to match on).
    pub detail: &'static str,
}

impl Error {
    /// Builds an error from a code and the description of the failed check.
    pub const fn new(code: ErrorCode, detail: &'static str) -> Error {
        Error { code, detail }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.token(), self.detail)
    }
}

impl core::error::Error for Error {}

/// Shorthand used across the crate.
pub(crate) const fn err(code: ErrorCode, detail: &'static str) -> Error {
    Error::new(code, detail)
}
