//! The Ed25519 backend: the one place that names an Ed25519 implementation.
//!
//! Everything else verifies through [`verify_stream`] (the request signature, whose base is
//! streamed, never buffered) and [`verify`] (JWS signatures), and validates keys through
//! [`prepare`]. The public API names no backend type.
//!
//! # Backends
//!
//! * `ed25519-compact` (no features; the embedded default): no dependencies, small code. It
//!   decodes the key on every verification and keeps nothing of a prepared key.
//! * `curve25519-dalek` (feature `dalek`; the hosted builds): the group arithmetic of
//!   `ed25519-dalek`, with its AVX2 code selected at run time on x86-64 (no `target-cpu`
//!   flags; other CPUs and architectures get its portable 64-bit code). A prepared key keeps
//!   its decoded point, so a key the host keeps and reuses (`PublicKey::from_raw`, keys from
//!   `select_jwk` / `parse_jwk`, a token store's request keys) is decompressed once, not per
//!   verification; a key used once (`hwk`, `cnf.jwk`) is decompressed by its verification.
//!
//! # The accept set (the same with either backend)
//!
//! A signature `(R, S)` by `A` over `M` verifies if and only if:
//!
//! 1. `S < L` (the group order): otherwise the signature is malleable (RFC 8032 §5.1.7 step 1).
//! 2. `A` is a canonical encoding (`y < p`, and no sign bit when `x = 0`) of a curve point that
//!    is not of small order (none of the eight points with `[8]A = 0`): else `invalid_key`.
//!    A small-order key signs "almost every message" (a signature with `S = 0` verifies for
//!    one message in eight), and a non-canonical one gives a second byte string for one key.
//! 3. `R` is a canonical encoding of a point that is not of small order: else
//!    `invalid_signature`.
//! 4. `[8]([S]B - [k]A - R) = 0` with `k = SHA-512(R ‖ A ‖ M) mod L`: the cofactored group
//!    equation of RFC 8032 §5.1.7 step 3.
//!
//! These are `ed25519-compact`'s rules; the dalek backend applies them as they are.
//! `ed25519-dalek`'s own `verify` differs on both sides, which the crate does not follow:
//!
//! * it admits small-order and non-canonical `A` and small-order `R` (rules 2 and 3); its
//!   `verify_strict` refuses small-order points but still admits a non-canonical `A`;
//! * it checks the cofactorless equation `R = [S]B - [k]A` (RFC 8032: "sufficient, but not
//!   required"), and so refuses signatures that meet the cofactored one only: those whose
//!   `A` or `R` carries a small-order component (mixed-order points). The crate keeps the
//!   cofactored equation, the stricter rule being out of reach of `ed25519-compact` (whose
//!   API exposes neither `[S]B - [k]A` nor a cofactorless check, and no check of the inputs
//!   alone can tell which signatures differ). Such a signature can only be made by the
//!   holder of the private key of `A`, or for a key `A` that is not in the prime-order
//!   subgroup (never one made by an RFC 8032 key generation); refusing it would not stop a
//!   forgery. Rules 1–4 are the "strongly binding, strongly unforgeable" set of Chalkias et
//!   al., "Taming the many EdDSAs" (SSR 2020), table 5 with cofactored verification.
//!
//! The edge cases of `novifinancial/ed25519-speccheck` (`tests/vectors/ed25519.json`, in the
//! order of its `cases.json`):
//!
//! | case | `A` | `R` | what | compact | dalek `verify` | dalek `verify_strict` | this crate |
//! |---|---|---|---|---|---|---|---|
//! | 0 | small | small | `S = 0`, cofactored only | refused | refused | refused | refused (2) |
//! | 1 | small | small | `S = 0`, both equations | refused | accepted | refused | refused (2) |
//! | 2 | small | mixed | cofactored only | refused | refused | refused | refused (2) |
//! | 3 | small | mixed | both equations | refused | accepted | refused | refused (2) |
//! | 4 | mixed | small | cofactored only | refused | refused | refused | refused (3) |
//! | 5 | mixed | small | both equations | refused | accepted | refused | refused (3) |
//! | 6 | mixed | mixed | both equations | accepted | accepted | accepted | accepted |
//! | 7 | mixed | mixed | cofactored only | accepted | refused | refused | accepted (4) |
//! | 8 | mixed | prime | cofactored only | accepted | refused | refused | accepted (4) |
//! | 9 | prime | prime | `S ≥ L` | refused | refused | refused | refused (1) |
//! | 10 | prime | prime | `S ≥ L` | refused | refused | refused | refused (1) |
//! | 11 | mixed | small, non-canonical | neither equation | refused | refused | refused | refused (3) |
//! | 12 | mixed | small, non-canonical | cofactored only | refused | refused | refused | refused (3) |
//! | 13 | small, non-canonical | mixed | cofactored only | refused | refused | refused | refused (2) |
//! | 14 | small, non-canonical | mixed | both equations | refused | accepted | refused | refused (2) |
//!
//! "small": of small order; "mixed": a point of order `8L`, `4L` or `2L`; "prime": in the
//! prime-order subgroup. Refusal reasons are the numbered rules above. The unit tests check
//! every case, the RFC 8032 §7.1 vectors and crafted mixed-order signatures against both
//! backends, and a property test checks that they agree on random and corrupted inputs.
//!
//! Spec: RFC 8032 §5.1.3 (decoding), §5.1.7 (verification); RFC 9421 §3.3.6 (`ed25519`).

#[cfg_attr(feature = "dalek", allow(dead_code))]
mod compact;
#[cfg(feature = "dalek")]
mod dalek;

#[cfg(not(feature = "dalek"))]
pub(crate) use compact::{prepare, verify_stream, Prepared, Stream};
#[cfg(feature = "dalek")]
pub(crate) use dalek::{prepare, verify_stream, Prepared, Stream};
// One-shot verification (JWS signatures) and the prepared-key flag: for the token schemes and
// the benches (the accept-set unit tests call each backend's module directly).
#[cfg(all(
    not(feature = "dalek"),
    any(feature = "tokens", feature = "bench-internals")
))]
pub(crate) use compact::{verify, KEEPS_POINT};
#[cfg(all(
    feature = "dalek",
    any(feature = "tokens", feature = "bench-internals")
))]
pub(crate) use dalek::{verify, KEEPS_POINT};

/// Why a key or signature was refused by the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The key is not a canonical point encoding.
    NotPoint,
    /// The key is a small-order point (including the identity and the all-zero key).
    SmallOrder,
    /// The signature does not verify (or is malformed: `S ≥ L`, non-canonical or small-order
    /// `R`).
    Signature,
}

/// The raw verification of the active backend, for benches/ only (feature `bench-internals`;
/// not part of the API).
///
/// Spec: RFC 8032 §5.1.7.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench {
    /// Verifies `signature` by the key `x` over `message` as the core does (every rule of the
    /// accept set; the key decoded inside unless `prepared`).
    ///
    /// Spec: RFC 8032 §5.1.7.
    pub fn verify(x: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        super::verify(x, None, message, signature).is_ok()
    }

    /// The name of the active backend.
    ///
    /// Spec: RFC 8032 §5.1.7.
    pub const BACKEND: &str = if super::KEEPS_POINT {
        "dalek"
    } else {
        "compact"
    };
}

// The accept-set tests use the standard library (JSON vectors, proptest), so they live outside
// src/, which is the no_std library only.
#[cfg(test)]
#[path = "../unit-tests/backend.rs"]
mod tests;
