//! # aauth-verify
//!
//! A `no_std`, allocation-free verifier for AAuth request signatures: HTTP Message Signatures
//! (RFC 9421) with Ed25519, keys named by the `Signature-Key` header
//! (draft-hardt-httpbis-signature-key).
//!
//! The crate has no clock (the caller passes `now`), performs no I/O and never allocates.
//! Verification runs in two phases so that an event-driven caller can fetch keys itself:
//! [`parse`] does every offline check and reports the [`KeyRequirement`]; the caller obtains
//! the key and calls [`Parsed::verify`]. [`verify_request`] does both when no I/O is needed.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable
    )
)]

pub mod b64;
pub mod cache;
pub mod component;
pub mod digest;
pub mod egress;
pub mod error;
pub mod json;
pub mod jwk;
pub mod jwt;
pub mod metadata;
pub mod policy;
pub mod render;
pub mod request;
pub mod sf;
pub mod sigkey;
pub mod sink;
mod swar;
pub mod text;
pub mod verify;

pub use cache::{CachedToken, TokenCache, TokenKey, TokenStore};
pub use error::{Error, ErrorCode};
pub use jwk::PublicKey;
pub use jwt::{JwtScratch, Token, TokenInfo};
pub use policy::{Compat, Limits, Policy, Scheme, Schemes};
pub use request::{Header, Request};
pub use sigkey::KeyRequirement;
pub use text::Text;
pub use verify::{
    parse, verify_request, verify_request_with_token, KeySource, Parsed, SignatureParams, Verified,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
