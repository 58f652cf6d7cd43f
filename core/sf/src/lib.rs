//! # aauth-verify-sf
//!
//! The lexical layer of [aauth-verify](../aauth_verify/index.html), kept apart so that its
//! parsers can be tested and fuzzed on their own:
//!
//! * [`sf`]: Structured Field Values (RFC 9651): a zero-copy, allocation-free, strict parser
//!   (Dictionaries, Lists, Items, Inner Lists, Parameters) and a canonical serializer;
//! * [`b64`]: the three base64 forms HTTP Message Signatures and JOSE use (sf-binary, the
//!   Python signer's base64url `Signature` values, strict unpadded base64url);
//! * [`sink`]: where serializers write (a caller buffer, a counter, a hash);
//! * [`swar`]: eight-bytes-at-a-time scanning of long, mostly plain runs of header text.
//!
//! Nothing here allocates, panics on input, or reads out of bounds; every parser is linear in
//! its input. Users of aauth-verify do not need this crate directly.
//!
//! Spec: RFC 9651 §3, §4 (RFC 8941); RFC 4648 §4, §5.
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
pub mod sf;
pub mod sink;
pub mod swar;

pub use sink::{CountingSink, Sink, SliceSink};
