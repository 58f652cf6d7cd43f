//! Result codes (`aauth_result`), the names of the checks behind them, and the library version.

use core::ffi::{c_char, CStr};

use core_verify::{Check, ErrorCode};

/// The result of every fallible function.
///
/// The numbers are stable and never change once published; new values are added at the end
/// of their range:
///
/// * `AAUTH_RESULT_OK` (0): success.
/// * 1–14: the request failed verification; the number is the core `ErrorCode` and
///   `aauth_result_token` gives the `Signature-Error` token (`invalid_request` …
///   `cache_miss`). Send these to the client with `aauth_signature_error`.
/// * 1000 and up: the call itself was wrong (a NULL pointer, a buffer too small, a state
///   used out of order) or a Rust panic was caught. These are bugs in the caller or in this
///   library, not verdicts about the request.
///
/// Values read back from C are `uint32_t`; functions that take a result accept any value and
/// treat unknown ones as `AAUTH_RESULT_INVALID_PARAMETER`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4, §9.4.1 (the 14 codes).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_result {
    /// Success.
    Ok = 0,
    /// `invalid_request`: the request is malformed in a way unrelated to the signature (a
    /// covered component that cannot be produced, a malformed `Signature-Input` or
    /// `Signature-Key` field, more than `AAUTH_MAX_HEADERS` header lines).
    InvalidRequest = 1,
    /// `invalid_input`: a required component is not covered.
    InvalidInput = 2,
    /// `invalid_signature`: a signature header is missing, or the signature is malformed,
    /// stale, expired, replayed, or does not verify.
    InvalidSignature = 3,
    /// `clock_skew`: `created` (or a JWT `iat`) lies in the future beyond the window.
    ClockSkew = 4,
    /// `unsupported_scheme`: the `Signature-Key` scheme is unknown or not allowed.
    UnsupportedScheme = 5,
    /// `unsupported_algorithm`: the key's algorithm is not Ed25519.
    UnsupportedAlgorithm = 6,
    /// `invalid_key`: the key material is malformed or forbidden.
    InvalidKey = 7,
    /// `unknown_key`: no key with the named `kid`, or no key was supplied.
    UnknownKey = 8,
    /// `invalid_jwt`: a key-carrying JWT is malformed or does not verify.
    InvalidJwt = 9,
    /// `expired_jwt`: a key-carrying JWT has expired.
    ExpiredJwt = 10,
    /// `issuer_missing`: the signer's metadata has no `issuer`.
    IssuerMissing = 11,
    /// `issuer_mismatch`: the signer's metadata `issuer` differs from its identifier.
    IssuerMismatch = 12,
    /// `revoked_jwt`: the JWT verified, but its issuer withdrew it (the revocation callback).
    RevokedJwt = 13,
    /// `cache_miss`: a `cached` scheme's identifier could not be resolved.
    CacheMiss = 14,
    /// A pointer that must not be NULL was NULL.
    NullParameter = 1000,
    /// An output buffer is too small; no length or struct output was written.
    InsufficientSize = 1001,
    /// A Rust panic was caught at the boundary (a bug in this library); nothing was written.
    Panic = 1002,
    /// An argument is out of range: an unknown enum value or scheme bit, a slice longer than
    /// `PTRDIFF_MAX`, a misaligned pointer, a raw key that is not 32 bytes, a required component
    /// that is not UTF-8, more than `AAUTH_MAX_REQUIRED` required components, overlapping
    /// storage.
    InvalidParameter = 1003,
    /// An `aauth_verifier` was used before a successful `aauth_verifier_parse`, a call does
    /// not apply to the signature's plan, or an attached store's memory was reused.
    InvalidState = 1004,
}

impl aauth_result {
    /// Every value, in numeric order. Not `pub`: cbindgen would export it as an
    /// `aauth_result_ALL` initializer macro naming enumerators the header does not define.
    pub(crate) const ALL: [aauth_result; 20] = [
        aauth_result::Ok,
        aauth_result::InvalidRequest,
        aauth_result::InvalidInput,
        aauth_result::InvalidSignature,
        aauth_result::ClockSkew,
        aauth_result::UnsupportedScheme,
        aauth_result::UnsupportedAlgorithm,
        aauth_result::InvalidKey,
        aauth_result::UnknownKey,
        aauth_result::InvalidJwt,
        aauth_result::ExpiredJwt,
        aauth_result::IssuerMissing,
        aauth_result::IssuerMismatch,
        aauth_result::RevokedJwt,
        aauth_result::CacheMiss,
        aauth_result::NullParameter,
        aauth_result::InsufficientSize,
        aauth_result::Panic,
        aauth_result::InvalidParameter,
        aauth_result::InvalidState,
    ];

    /// The value numbered `n`, or `None`.
    pub(crate) fn from_u32(n: u32) -> Option<aauth_result> {
        aauth_result::ALL.into_iter().find(|r| *r as u32 == n)
    }

    /// The core error code this result stands for (1–14), if any.
    pub(crate) fn error_code(self) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| *c as u32 == self as u32)
    }

    /// A short, stable, NUL-terminated name for every value.
    fn name(self) -> &'static CStr {
        match self {
            aauth_result::Ok => c"ok",
            aauth_result::InvalidRequest => c"invalid_request",
            aauth_result::InvalidInput => c"invalid_input",
            aauth_result::InvalidSignature => c"invalid_signature",
            aauth_result::ClockSkew => c"clock_skew",
            aauth_result::UnsupportedScheme => c"unsupported_scheme",
            aauth_result::UnsupportedAlgorithm => c"unsupported_algorithm",
            aauth_result::InvalidKey => c"invalid_key",
            aauth_result::UnknownKey => c"unknown_key",
            aauth_result::InvalidJwt => c"invalid_jwt",
            aauth_result::ExpiredJwt => c"expired_jwt",
            aauth_result::IssuerMissing => c"issuer_missing",
            aauth_result::IssuerMismatch => c"issuer_mismatch",
            aauth_result::RevokedJwt => c"revoked_jwt",
            aauth_result::CacheMiss => c"cache_miss",
            aauth_result::NullParameter => c"null_parameter",
            aauth_result::InsufficientSize => c"insufficient_size",
            aauth_result::Panic => c"panic",
            aauth_result::InvalidParameter => c"invalid_parameter",
            aauth_result::InvalidState => c"invalid_state",
        }
    }
}

impl From<ErrorCode> for aauth_result {
    fn from(code: ErrorCode) -> aauth_result {
        match code {
            ErrorCode::InvalidRequest => aauth_result::InvalidRequest,
            ErrorCode::InvalidInput => aauth_result::InvalidInput,
            ErrorCode::InvalidSignature => aauth_result::InvalidSignature,
            ErrorCode::ClockSkew => aauth_result::ClockSkew,
            ErrorCode::UnsupportedScheme => aauth_result::UnsupportedScheme,
            ErrorCode::UnsupportedAlgorithm => aauth_result::UnsupportedAlgorithm,
            ErrorCode::InvalidKey => aauth_result::InvalidKey,
            ErrorCode::UnknownKey => aauth_result::UnknownKey,
            ErrorCode::InvalidJwt => aauth_result::InvalidJwt,
            ErrorCode::ExpiredJwt => aauth_result::ExpiredJwt,
            ErrorCode::IssuerMissing => aauth_result::IssuerMissing,
            ErrorCode::IssuerMismatch => aauth_result::IssuerMismatch,
            ErrorCode::RevokedJwt => aauth_result::RevokedJwt,
            ErrorCode::CacheMiss => aauth_result::CacheMiss,
        }
    }
}

/// The verification failure a result number stands for, or `None`.
pub(crate) fn error_code_of(result: u32) -> Option<ErrorCode> {
    aauth_result::from_u32(result).and_then(aauth_result::error_code)
}

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the version contains a NUL"),
    };

/// The library version, `"MAJOR.MINOR.PATCH"`, as a static NUL-terminated string. It equals
/// `AAUTH_VERIFY_VERSION` in the header the caller compiled against when the two match.
///
/// Never NULL; the string is static (do not free it). Thread-safe.
///
/// Spec: none (library metadata).
#[no_mangle]
pub extern "C" fn aauth_verify_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The `Signature-Error` token for a verification failure (`result` 1–14), e.g.
/// `"invalid_signature"`, as a static NUL-terminated string.
///
/// Returns NULL for `AAUTH_RESULT_OK`, for the API-misuse values (1000+) and for unknown
/// numbers: those are not verdicts about the request and have no spec token. Use
/// `aauth_result_name` for logging any value. Do not free the string. Thread-safe.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.1, §5.4.
#[no_mangle]
pub extern "C" fn aauth_result_token(result: u32) -> *const c_char {
    ffi_boundary_or!(core::ptr::null(), {
        match aauth_result::from_u32(result) {
            Some(r) if r.error_code().is_some() => r.name().as_ptr(),
            _ => core::ptr::null(),
        }
    })
}

/// A stable lower-case name for any result value, e.g. `"ok"`, `"unknown_key"`,
/// `"null_parameter"`; `"unknown"` for a number that is not an `aauth_result`.
///
/// Never NULL; the string is static and NUL-terminated (do not free it). Thread-safe.
///
/// Spec: none (library conventions; the verification failures are the SK-09 §5.4 tokens).
#[no_mangle]
pub extern "C" fn aauth_result_name(result: u32) -> *const c_char {
    ffi_boundary_or!(c"unknown".as_ptr(), {
        match aauth_result::from_u32(result) {
            Some(r) => r.name().as_ptr(),
            None => c"unknown".as_ptr(),
        }
    })
}

/// Whether `result` is a verification failure (1–14): the request is rejected and
/// `aauth_signature_error` can describe why to the client. False for `AAUTH_RESULT_OK`, the
/// API-misuse values and unknown numbers. Thread-safe.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
#[no_mangle]
pub extern "C" fn aauth_result_is_verification_error(result: u32) -> bool {
    ffi_boundary_or!(false, error_code_of(result).is_some())
}

/// The HTTP status to answer a verification failure with: 401 for every code when
/// `aauth_status` is true (AAuth), else 401 for the recoverable codes (`invalid_input`,
/// `clock_skew`, `unsupported_scheme`, `unsupported_algorithm`, `cache_miss`) and 400 for the
/// others. 0 when `result` is not a verification failure. Thread-safe.
///
/// Spec: AAuth §Verification (every failure is a 401); draft-hardt-httpbis-signature-key-09 §5.
#[no_mangle]
pub extern "C" fn aauth_result_status(result: u32, aauth_status: bool) -> u16 {
    ffi_boundary_or!(
        0,
        error_code_of(result).map_or(0, |c| c.status(aauth_status))
    )
}

/// A stable snake_case name for a check number (`aauth_verifier_last_check`), e.g.
/// `"signature_invalid"`, `"kid_not_in_jwks"`, `"replayed"` (the core's `Check::name`): what
/// to branch on or count in metrics, never the English detail. NULL for 0 and for numbers that
/// are not checks.
///
/// The numbers and names are stable; new checks get new numbers. The string is static and
/// NUL-terminated (do not free it). Thread-safe.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4 (each name says which rule refused the
/// request).
#[no_mangle]
pub extern "C" fn aauth_check_name(check: u16) -> *const c_char {
    ffi_boundary_or!(core::ptr::null(), {
        Check::ALL
            .iter()
            .position(|c| *c as u16 == check)
            .and_then(|i| texts::at(&texts::NAMES, i))
            .map_or(core::ptr::null(), |p| p.cast())
    })
}

/// The check numbered `n`, if there is one.
pub(crate) fn check_of(n: u16) -> Option<Check> {
    Check::from_u16(n)
}

/// Every check's name and English detail, NUL-terminated, each in one static blob built at
/// compile time from the core's `Check::name` / `Check::detail` (no copy of the texts here).
mod texts {
    use core_verify::Check;

    const COUNT: usize = Check::ALL.len();

    const fn text(c: Check, names: bool) -> &'static str {
        if names {
            c.name()
        } else {
            c.detail()
        }
    }

    const fn blob_len(names: bool) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < COUNT {
            n += text(Check::ALL[i], names).len() + 1;
            i += 1;
        }
        n
    }

    const fn build<const LEN: usize>(names: bool) -> ([u8; LEN], [u32; COUNT]) {
        let mut blob = [0u8; LEN];
        let mut at = [0u32; COUNT];
        let mut pos = 0;
        let mut i = 0;
        while i < COUNT {
            let d = text(Check::ALL[i], names).as_bytes();
            at[i] = pos as u32;
            let mut j = 0;
            while j < d.len() {
                assert!(d[j] != 0, "a check text contains a NUL");
                blob[pos] = d[j];
                pos += 1;
                j += 1;
            }
            pos += 1; // the NUL
            i += 1;
        }
        (blob, at)
    }

    pub(super) static NAMES: ([u8; blob_len(true)], [u32; COUNT]) = build(true);
    pub(super) static DETAILS: ([u8; blob_len(false)], [u32; COUNT]) = build(false);

    /// The NUL-terminated text of the check at `Check::ALL[i]` in `table`.
    pub(super) fn at<const LEN: usize>(
        table: &([u8; LEN], [u32; COUNT]),
        i: usize,
    ) -> Option<*const u8> {
        let start = *table.1.get(i)? as usize;
        table.0.get(start..).map(<[u8]>::as_ptr)
    }
}

/// The English description of a check number (`Check::detail`), e.g. `"the Ed25519 signature
/// does not verify"`: short, static, safe to log (never request bytes), not to match on (use
/// the number or `aauth_check_name`). NULL for 0 and for numbers that are not checks.
///
/// The string is static and NUL-terminated (do not free it). Thread-safe.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.2 (the Problem Details `detail`).
#[no_mangle]
pub extern "C" fn aauth_check_detail(check: u16) -> *const c_char {
    ffi_boundary_or!(core::ptr::null(), {
        Check::ALL
            .iter()
            .position(|c| *c as u16 == check)
            .and_then(|i| texts::at(&texts::DETAILS, i))
            .map_or(core::ptr::null(), |p| p.cast())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `aauth_result` mirrors the core's `ErrorCode` for cbindgen: the numbers and the mapping
    /// both ways must stay identical, for every code the core has (14 today).
    #[test]
    fn results_mirror_core_error_codes() {
        assert_eq!(ErrorCode::ALL.len(), 14);
        for code in ErrorCode::ALL {
            let r = aauth_result::from(code);
            assert_eq!(r as u32, code as u32, "{code:?}");
            assert_eq!(r.error_code(), Some(code));
            // SAFETY: the token is a static NUL-terminated string.
            let token = unsafe { CStr::from_ptr(aauth_result_token(code as u32)) };
            assert_eq!(token.to_str().unwrap(), code.token());
            assert_eq!(aauth_result_status(code as u32, true), 401);
            assert_eq!(aauth_result_status(code as u32, false), code.status(false));
        }
        assert_eq!(aauth_result::RevokedJwt as u32, 13);
        assert_eq!(aauth_result::CacheMiss as u32, 14);
        assert_eq!(aauth_result::NullParameter as u32, 1000);
        assert_eq!(aauth_result::InvalidState as u32, 1004);
        assert!(aauth_result_token(0).is_null() && aauth_result_token(15).is_null());
    }

    /// Every check has a name equal to its variant in snake_case (`Check::name`), and a
    /// detail equal to `Check::detail`.
    #[test]
    fn check_names_and_details_follow_the_core() {
        for c in Check::ALL {
            let debug = format!("{c:?}");
            let mut want = String::new();
            for (i, ch) in debug.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    want.push('_');
                }
                want.push(ch.to_ascii_lowercase());
            }
            let p = aauth_check_name(*c as u16);
            assert!(!p.is_null(), "{c:?} has no name");
            // SAFETY: a static NUL-terminated string.
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), want);
            let d = aauth_check_detail(*c as u16);
            // SAFETY: a static NUL-terminated string.
            assert_eq!(unsafe { CStr::from_ptr(d) }.to_str().unwrap(), c.detail());
            assert_eq!(check_of(*c as u16), Some(*c));
        }
        assert!(aauth_check_name(0).is_null() && aauth_check_detail(0).is_null());
        assert!(aauth_check_name(9999).is_null() && aauth_check_detail(9999).is_null());
    }
}
