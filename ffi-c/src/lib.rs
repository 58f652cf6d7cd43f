//! # aauth-verify C bindings
//!
//! `libaauth_verify.a` / `libaauth_verify.so` and `include/aauth_verify.h` (generated from this
//! crate by cbindgen). This crate only marshals: every check, every key path and the verified
//! identity live in the `aauth-verify` core.
//!
//! Conventions (after rustls-ffi):
//!
//! * Every fallible function returns an [`aauth_result`]; `AAUTH_RESULT_OK` is 0, the
//!   verification failures keep the core `ErrorCode` numbers (1–14), API misuse is 1000+.
//! * Length and struct outputs are written only on success.
//! * Every pointer is checked; a NULL where a value is required gives
//!   `AAUTH_RESULT_NULL_PARAMETER`.
//! * Every entry point runs inside a panic boundary; a panic gives `AAUTH_RESULT_PANIC`.
//! * Nothing allocates. Byte strings are `(pointer, length)` pairs; no NUL terminators needed.
//! * Thread safety: every function is reentrant and keeps no global mutable state. An
//!   [`aauth_verifier`] belongs to one thread at a time (it may move between calls).
//!
//! One file per domain, as rustls-ffi splits `librustls/src`:
//!
//! | file | what |
//! |---|---|
//! | `panic.rs` | the panic boundary and `tri!` |
//! | `ptr.rs` | checked pointers, caller buffers, outputs |
//! | `result.rs` | `aauth_result`, check names and details, the version |
//! | `text.rs` | `aauth_slice`, `aauth_text`, `aauth_text_unescape` |
//! | `request.rs` | `aauth_request` and its conversion, `aauth_request_facts` |
//! | `policy.rs` | schemes, `aauth_policy` and its conversion, `aauth_policy_default` |
//! | `identity.rs` | `aauth_plan` (the core's `Fetch`), `aauth_identity` (the core's `Verified`) |
//! | `key.rs` | `aauth_key_source` (the core's `KeySource`) |
//! | `state.rs` | the opaque state types, their layouts, and every `unsafe` on their memory |
//! | `verifier.rs` | parse, plan, metadata, finish, signature base, last failure, revocation |
//! | `oneshot.rs` | `aauth_verify` and its four shorthands |
//! | `token_cache.rs` | `aauth_token_cache` |
//! | `replay.rs` | `aauth_replay_cache`, the replay mode |
//! | `cached.rs` | the `cached` scheme: resolve, miss, issue |
//! | `render.rs` | `Signature-Error`, Problem Details, `Accept-Signature-*` |
//! | `body.rs` | phase 2 before the body: finish, then the streamed digest check |
//! | `jwks.rs` | a JWKS decoded once (`each_jwk`) into keys a host keeps |
//! | `egress.rs` | egress admission for hosts that fetch (SK-09 §7.3) |
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
// The C names are the public API.
#![allow(non_camel_case_types)]

#[macro_use]
mod panic;
mod body;
mod cached;
mod egress;
mod identity;
mod jwks;
mod key;
mod oneshot;
mod policy;
mod ptr;
mod render;
mod replay;
mod request;
mod result;
mod state;
mod text;
mod token_cache;
mod verifier;

pub use body::*;
pub use cached::*;
pub use egress::*;
pub use identity::*;
pub use jwks::*;
pub use key::*;
pub use oneshot::*;
pub use policy::*;
pub use render::*;
pub use replay::*;
pub use request::*;
pub use result::*;
pub use state::{
    aauth_replay, aauth_replay_cache, aauth_revoked_fn, aauth_token_cache, aauth_verifier,
    AAUTH_REPLAY_CACHE_ENTRIES, AAUTH_REPLAY_CACHE_SIZE, AAUTH_TOKEN_CACHE_ENTRIES,
    AAUTH_TOKEN_CACHE_SIZE, AAUTH_VERIFIER_SIZE,
};
pub use text::*;
pub use token_cache::*;
pub use verifier::*;
