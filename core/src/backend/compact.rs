//! `ed25519-compact`: the embedded default (no dependencies, small code). Its rules are the
//! accept set of the crate (see the parent module).

use aauth_verify_sf::sink::Sink;

use super::Refusal;

fn refusal(e: ed25519_compact::Error) -> Refusal {
    match e {
        ed25519_compact::Error::WeakPublicKey => Refusal::SmallOrder,
        ed25519_compact::Error::InvalidPublicKey => Refusal::NotPoint,
        _ => Refusal::Signature,
    }
}

/// What a key keeps once prepared for this backend. `ed25519-compact` decodes the point on
/// every verification and offers no prepared form, so there is nothing to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Prepared;

/// Whether [`Prepared`] holds the decoded point (so that preparing a reused key pays off).
#[cfg(any(feature = "tokens", feature = "bench-internals"))]
pub(crate) const KEEPS_POINT: bool = false;

/// Checks that `x` canonically encodes a point that is not of small order.
pub(crate) fn prepare(x: &[u8; 32]) -> Result<Prepared, Refusal> {
    ed25519_compact::PublicKey::new(*x)
        .validate()
        .map(|()| Prepared)
        .map_err(refusal)
}

/// The sink a streamed verification absorbs the message through.
pub(crate) struct Stream<'s>(&'s mut ed25519_compact::VerifyingState);

impl Sink for Stream<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.absorb(bytes);
    }
}

/// Verifies `signature` over the message `write` produces, streamed into the verifier. An
/// error from `write` is returned as is (`Ok(Err(e))`). `S`, `A` and `R` are checked, in
/// this order, before `write` runs. Out of line, as are its two ends: the verifying state is
/// on the stack once per verification, not once per caller instantiation.
#[inline(never)]
pub(crate) fn verify_stream<E>(
    x: &[u8; 32],
    _prepared: Option<&Prepared>,
    signature: &[u8; 64],
    write: impl FnOnce(&mut Stream<'_>) -> Result<(), E>,
) -> Result<Result<(), E>, Refusal> {
    // Borrowed in place: moving the state out of the `Result` would copy it.
    let mut started = start(x, signature);
    let state = match &mut started {
        Ok(state) => state,
        Err(r) => return Err(*r),
    };
    if let Err(e) = write(&mut Stream(state)) {
        return Ok(Err(e));
    }
    end(state)?;
    Ok(Ok(()))
}

// The two ends of a streamed verification, out of line: their temporaries (the decoded points,
// the scalar multiplication's tables) are never on the stack together with the caller's, which
// holds only the verifying state while the base streams (an embedded stack budget).

/// Checks `S`, `A` and `R` and starts hashing `R ‖ A`.
#[inline(never)]
fn start(x: &[u8; 32], signature: &[u8; 64]) -> Result<ed25519_compact::VerifyingState, Refusal> {
    let sig = ed25519_compact::Signature::new(*signature);
    ed25519_compact::PublicKey::new(*x)
        .verify_incremental(&sig)
        .map_err(refusal)
}

/// The group equation over the absorbed message.
#[inline(never)]
fn end(state: &ed25519_compact::VerifyingState) -> Result<(), Refusal> {
    state.verify().map_err(refusal)
}

/// Verifies `signature` over `message`.
#[cfg(any(feature = "tokens", feature = "bench-internals", test))]
pub(crate) fn verify(
    x: &[u8; 32],
    _prepared: Option<&Prepared>,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), Refusal> {
    ed25519_compact::PublicKey::new(*x)
        .verify(message, &ed25519_compact::Signature::new(*signature))
        .map_err(refusal)
}
