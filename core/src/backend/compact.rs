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
/// this order, before `write` runs.
pub(crate) fn verify_stream<E>(
    x: &[u8; 32],
    _prepared: Option<&Prepared>,
    signature: &[u8; 64],
    write: impl FnOnce(&mut Stream<'_>) -> Result<(), E>,
) -> Result<Result<(), E>, Refusal> {
    let sig = ed25519_compact::Signature::new(*signature);
    let mut state = ed25519_compact::PublicKey::new(*x)
        .verify_incremental(&sig)
        .map_err(refusal)?;
    if let Err(e) = write(&mut Stream(&mut state)) {
        return Ok(Err(e));
    }
    state.verify().map_err(refusal)?;
    Ok(Ok(()))
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
