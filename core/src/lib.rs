//! # aauth-verify
//!
//! A `no_std`, allocation-free verifier for AAuth request signatures: HTTP Message Signatures
//! (RFC 9421) with Ed25519, keys named by the `Signature-Key` header
//! (draft-hardt-httpbis-signature-key-09).
//!
//! The crate has no clock (the host passes `now`), performs no I/O and never allocates. It is
//! the one place where verification is decided: the C library, the Python package and the
//! nginx module only convert their inputs and render its results.
//!
//! # Two phases
//!
//! 1. [`parse`] runs every check that needs no key material and, for the token schemes,
//!    decodes the token into a caller-owned [`JwtScratch`]. [`Parsed::fetch`] then says what
//!    the host must obtain: nothing (the key is inline), a key it holds, a metadata document
//!    then a JWKS, a JWKS, or the assertion behind a cache identifier.
//! 2. The host fetches what the plan names (under its own egress rules) and calls
//!    [`Parsed::finish`] with a [`KeySource`]. The result is a [`Verified`] request with its
//!    [`Identity`], or an [`Error`] with the `Signature-Error` code and the [`Check`] that
//!    failed.
//!
//! ```
//! use aauth_verify::{parse, Context, Fetch, Header, KeySource, Policy, Request};
//!
//! // RFC 9421 B.1.4 test-key-ed25519, signing an hwk request (the key is in the header).
//! let sk = r#"sig=hwk;kty="OKP";crv="Ed25519";x="JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";alg="Ed25519""#;
//! let headers = [
//!     Header::new(b"Signature-Key", sk.as_bytes()),
//!     Header::new(b"Signature-Input", br#"sig=("@method" "@authority" "@path" "signature-key");created=1730217600"#),
//!     Header::new(b"Signature", b"sig=:puQwGqlektSkNVskiaY9MZJcXFRWrc2T8sO9WBJ7tL9i9u9cWwbtDPRe9FzOnViBwwFq1FUQ/a0WZnuiWwHkCw==:"),
//! ];
//! let req = Request {
//!     method: b"GET",
//!     scheme: b"https",
//!     authority: b"resource.example",
//!     path: b"/api/data",
//!     query: None,
//!     headers: &headers,
//!     body: None,
//! };
//! let policy = Policy::STRICT;
//! let mut ctx = Context::at(1730217600);
//! let parsed = parse(&req, &policy, &ctx, None)?;
//! assert_eq!(parsed.fetch(), Fetch::Nothing);
//! let verified = parsed.finish(&req, &policy, KeySource::Inline, &mut ctx)?;
//! assert_eq!(verified.thumbprint().as_str(), "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U");
//! # Ok::<(), aauth_verify::Error>(())
//! ```
//!
//! Spec: RFC 9421; draft-hardt-httpbis-signature-key-09; AAuth (draft-hardt-oauth-aauth-protocol)
//! §HTTP Message Signatures Profile.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// The documentation is written for the whole crate (the default features): in a build that
// leaves a family out, a link to one of its items renders as plain text.
#![cfg_attr(
    not(all(
        feature = "jwks",
        feature = "tokens",
        feature = "documents",
        feature = "cached",
        feature = "egress"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]
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

mod backend;
pub mod cache;
mod component;
mod digest;
pub mod egress;
mod error;
mod finish;
mod frozen;
mod grant;
mod json;
mod jwk;
mod key;
#[cfg(feature = "documents")]
mod metadata;
mod parse;
mod policy;
pub mod render;
pub mod replay;
mod request;
mod sha512;
mod sigkey;
mod text;
mod token;

pub use aauth_verify_sf::sink::{CountingSink, Sink, SliceSink};
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub use backend::bench as __bench;
#[cfg(feature = "tokens")]
pub use cache::TokenCache;
pub use cache::{CachedToken, TokenKey, TokenLayout, TokenStore};
pub use component::{FieldType, MAX_COMPONENTS, MAX_SF_FIELD, STRUCTURED_FIELDS};
pub use error::{Check, Error, ErrorCode};
pub use finish::{
    verify_request, BodyCheck, BodyStream, Covered, Deferred, Fetch, Identity, KeySource,
    UnverifiedToken, Verified, LEGACY_DWK,
};
pub use frozen::Frozen;
pub use grant::{CacheGrant, Issued};
#[cfg(feature = "documents")]
pub use jwk::{each_jwk, parse_jwk, select_jwk, MAX_JWKS_KIDS, MAX_JWKS_LEN, MAX_JWK_LEN};
pub use jwk::{key_from_members, stored_key, JwkMembers};
pub use key::{B64Thumbprint, KeyAlg, PublicKey, Thumbprint, Thumbprint512};
#[cfg(feature = "documents")]
pub use metadata::{check_issuer, MAX_METADATA_LEN};
pub use parse::{parse, Context, Parsed, Replay, Revocation, SignatureParams};
pub use policy::{
    Compat, KeyRules, Limits, Policy, Scheme, Schemes, AAUTH_REQUIRED, AGENT_TYPES,
    AGENT_TYPES_COMPAT,
};
pub use replay::{ReplayCache, ReplayKey, ReplayStore};
pub use request::{trim_ows, Header, Request};
pub use sigkey::KeyRequirement;
pub use text::{Escapes, Text, TextBytes};
pub use token::{
    Audience, Claims, JwsAlg, JwtScratch, TokenInfo, MAX_HEADER_LEN, MAX_JWT_LEN, MAX_PAYLOAD_LEN,
};

#[doc = include_str!("reference.md")]
pub mod reference {}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
