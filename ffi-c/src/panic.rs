//! The panic boundary: no Rust panic unwinds into C.
//!
//! The core is written not to panic, but this crate links std and a panic crossing an
//! `extern "C"` boundary aborts the process; every entry point therefore runs its body inside
//! [`std::panic::catch_unwind`] and turns a panic into a value.

/// Runs `$body` (an expression returning `aauth_result`) and turns a panic into
/// `aauth_result::Panic`.
macro_rules! ffi_boundary {
    ($body:expr) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(r) => r,
            Err(_) => $crate::result::aauth_result::Panic,
        }
    };
}

/// Runs `$body` and returns `$default` if it panics (for functions that do not return an
/// `aauth_result`).
macro_rules! ffi_boundary_or {
    ($default:expr, $body:expr) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(r) => r,
            Err(_) => $default,
        }
    };
}

/// Evaluates a `Result<T, aauth_result>`, returning the error from the enclosing closure.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}
