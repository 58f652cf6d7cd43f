//! # aauth-verify
//!
//! A `no_std`, allocation-free verifier for AAuth request signatures: HTTP Message Signatures
//! (RFC 9421) with Ed25519, keys named by the `Signature-Key` header
//! (draft-hardt-httpbis-signature-key).
//!
//! The crate has no clock (the caller passes `now`), performs no I/O and never allocates.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod b64;
pub mod error;
pub mod json;
pub mod jwk;
pub mod metadata;
pub mod sf;
pub mod sink;

pub use error::{Error, ErrorCode};
