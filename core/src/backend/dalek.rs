//! `curve25519-dalek`: the hosted backend (the group arithmetic `ed25519-dalek` verifies with,
//! with its runtime-selected AVX2 code on x86-64). It applies the rules of the compact backend
//! exactly, so that the accept set does not depend on the feature (see the parent module):
//!
//! * `S < L`, then `A` canonical, a point, not of small order, then `R` canonical and not of
//!   small order, all before the message streams, in `ed25519-compact`'s order (so a request
//!   refused by both backends is refused with the same error);
//! * the cofactored equation `[8]([S]B - [k]A - R) = 0`, evaluated as `ed25519-dalek` does
//!   for honest signatures (`R == encode([S]B - [k]A)`, one comparison of bytes) and, only when
//!   that fails, completed with `R` decoded (`[S]B - [k]A - R` of order dividing 8).

use aauth_verify_sf::sink::Sink;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

use super::Refusal;

/// What a key keeps once prepared: `-A`, the decoded (and negated) point, so that a key the host
/// keeps pays no point decompression per verification.
#[derive(Clone, Copy)]
pub(crate) struct Prepared {
    minus_a: EdwardsPoint,
}

impl core::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Prepared")
    }
}

/// Whether [`Prepared`] holds the decoded point (so that preparing a reused key pays off).
#[cfg(any(feature = "tokens", feature = "bench-internals"))]
pub(crate) const KEEPS_POINT: bool = true;

/// The field prime `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// `y` (sign bit cleared) of the canonical encodings of the eight points of small order: `1`
/// (the identity), `p - 1` (order 2), `0` (order 4, both signs) and `±y8` (order 8, both
/// signs). The points with `x = 0` (`y = ±1`) have no encoding with the sign bit set.
const SMALL_ORDER_Y: [[u8; 32]; 5] = {
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut minus_one = P;
    minus_one[0] = 0xec;
    [
        one,
        minus_one,
        [0u8; 32],
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
    ]
};

/// `b` with its sign bit (bit 255) cleared: the encoded `y`.
fn y_of(b: &[u8; 32]) -> [u8; 32] {
    let mut y = *b;
    if let Some(last) = y.last_mut() {
        *last &= 0x7f;
    }
    y
}

/// Whether `a < b` as little-endian integers.
fn lt(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// Whether `b` is a canonical point encoding as RFC 8032 §5.1.3 decodes it: `y < p`, and no
/// sign bit on a point with `x = 0` (`y = ±1`). Says nothing of whether `y` is on the curve.
pub(crate) fn canonical(b: &[u8; 32]) -> bool {
    let y = y_of(b);
    if !lt(&y, &P) {
        return false;
    }
    let negative = y != *b;
    let [one, minus_one, ..] = &SMALL_ORDER_Y;
    !(negative && (y == *one || y == *minus_one))
}

/// Whether the canonical encoding `b` is that of a point of small order (`[8]P = 0`).
pub(crate) fn small_order(b: &[u8; 32]) -> bool {
    let y = y_of(b);
    SMALL_ORDER_Y.contains(&y)
}

/// Decodes `A` and negates it, refusing what `ed25519-compact` refuses: a non-canonical
/// encoding or no point (`NotPoint`), a point of small order (`SmallOrder`).
/// Small order is told from the bytes (every canonical encoding of a small-order point is a
/// point, and the table lists them all), which saves the three doublings of
/// `is_small_order` on every key used once.
fn minus_a(x: &[u8; 32]) -> Result<EdwardsPoint, Refusal> {
    if !canonical(x) {
        return Err(Refusal::NotPoint);
    }
    if small_order(x) {
        return Err(Refusal::SmallOrder);
    }
    let a = CompressedEdwardsY(*x)
        .decompress()
        .ok_or(Refusal::NotPoint)?;
    Ok(-a)
}

/// Checks that `x` canonically encodes a point that is not of small order, and keeps `-A`.
pub(crate) fn prepare(x: &[u8; 32]) -> Result<Prepared, Refusal> {
    minus_a(x).map(|minus_a| Prepared { minus_a })
}

/// The sink a streamed verification absorbs the message through.
pub(crate) struct Stream<'s>(&'s mut Sha512);

impl Sink for Stream<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Verifies `signature` over the message `write` produces, streamed into the verifier. An
/// error from `write` is returned as is (`Ok(Err(e))`). `S`, `A` and `R` are checked, in
/// this order, before `write` runs (that `R` is a point at all only afterwards, when needed:
/// before an error of `write` is returned, and when the equation is not met bytewise).
pub(crate) fn verify_stream<E>(
    x: &[u8; 32],
    prepared: Option<&Prepared>,
    signature: &[u8; 64],
    write: impl FnOnce(&mut Stream<'_>) -> Result<(), E>,
) -> Result<Result<(), E>, Refusal> {
    let (r, s) = split(signature);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).ok_or(Refusal::Signature)?;
    let minus_a = match prepared {
        Some(p) => p.minus_a,
        None => minus_a(x)?,
    };
    if !canonical(&r) || small_order(&r) {
        return Err(Refusal::Signature);
    }
    let mut h = Sha512::new();
    h.update(r);
    h.update(x);
    if let Err(e) = write(&mut Stream(&mut h)) {
        if CompressedEdwardsY(r).decompress().is_none() {
            return Err(Refusal::Signature);
        }
        return Ok(Err(e));
    }
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    // [S]B - [k]A: for an honest signature, R itself.
    let rc = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &s);
    if rc.compress().0 == r {
        return Ok(Ok(()));
    }
    // The cofactored equation: [S]B - [k]A - R is of order dividing 8.
    let big_r = CompressedEdwardsY(r)
        .decompress()
        .ok_or(Refusal::Signature)?;
    if (rc - big_r).mul_by_cofactor().is_identity() {
        Ok(Ok(()))
    } else {
        Err(Refusal::Signature)
    }
}

/// `R` and `S`.
fn split(signature: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    let (a, b) = signature.split_at(32);
    r.copy_from_slice(a);
    s.copy_from_slice(b);
    (r, s)
}

/// Verifies `signature` over `message`.
#[cfg(any(feature = "tokens", feature = "bench-internals", test))]
pub(crate) fn verify(
    x: &[u8; 32],
    prepared: Option<&Prepared>,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), Refusal> {
    verify_stream(x, prepared, signature, |s| {
        s.write(message);
        Ok::<(), core::convert::Infallible>(())
    })
    .map(|_| ())
}
