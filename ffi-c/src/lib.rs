//! # aauth-verify C bindings
//!
//! `libaauth_verify.a` / `libaauth_verify.so` and `include/aauth_verify.h` (generated from this
//! crate by cbindgen). This crate only marshals: every check lives in the `aauth-verify` core.
//!
//! Conventions (after rustls-ffi):
//!
//! * Every fallible function returns an [`aauth_result`]; `AAUTH_RESULT_OK` is 0, the
//!   verification failures keep the core `ErrorCode` numbers (1–12), API misuse is 1000+.
//! * Outputs are written only on success.
//! * Every pointer is checked; a NULL where a value is required gives
//!   `AAUTH_RESULT_NULL_PARAMETER`.
//! * Every entry point runs inside a panic boundary; a panic gives `AAUTH_RESULT_PANIC`.
//! * Nothing allocates. Byte strings are `(pointer, length)` pairs; no NUL terminators needed.
//! * Thread safety: every function is reentrant and keeps no global mutable state. An
//!   [`aauth_verifier`] belongs to one thread at a time (it may move between calls).
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
// The C names are the public API.
#![allow(non_camel_case_types)]

#[macro_use]
mod panic;
mod api;
mod convert;
mod types;

pub use api::*;
pub use types::*;
