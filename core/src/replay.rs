//! Replay protection: the key of a verified request, a store trait, and a fixed-capacity store.
//!
//! `created` bounds how long a signature is accepted (the window), but within it a captured
//! request can be sent again. A replay store remembers every verified request until it would
//! be refused as stale anyway, and refuses a second one with the same key.
//!
//! # The key
//!
//! AAuth -11 suggests keying by `(thumbprint, created, @method, @authority, @path)`. That tuple
//! refuses two distinct legitimate requests: the same agent sending two POSTs with different
//! bodies (or queries, or any other covered header) to one path within one second. The key
//! here is instead the SHA-256 of the request key and the whole signature base: a second
//! request is refused only if it carries exactly the same signed content as one already seen,
//! which is what a replay is. (Signature bytes alone would not do: encodings of one signature
//! can differ between Ed25519 implementations.)
//!
//! A request is remembered until `created + window` (the last second it is fresh, future skew
//! included: a `created` up to `window` ahead is accepted, and stays fresh until
//! `created + window`), or its `expires` if that comes first. A signature without `created`
//! (compatibility mode) is remembered for `window` from now.
//!
//! The store is written only after the signature verified, so unsigned noise cannot fill it.
//! It is checked after the signature too, so a replay costs the attacker nothing but the
//! verifier one signature check: the point is the decision, not the cost.
//!
//! Spec: AAuth §Freshness and Replay; RFC 9421 §7.2.2 (replay), §7.2.3 (nonces).

use sha2::{Digest, Sha256};

use crate::parse::SignatureParams;
use crate::policy::Policy;

/// What identifies a verified request in a replay store, and until when it must be
/// remembered.
///
/// Spec: AAuth §Freshness and Replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    /// SHA-256 over a domain tag, the request key and the signature base.
    pub digest: [u8; 32],
    /// The last second (seconds since the epoch) at which the same request would still be
    /// accepted: remember it until then.
    pub until: i64,
}

impl ReplayKey {
    /// The key as 43 characters of unpadded base64url (for a text key in a host's store).
    ///
    /// Spec: RFC 4648 §5.
    pub fn to_b64(&self) -> [u8; 43] {
        let mut out = [0u8; 43];
        let _ = aauth_verify_sf::b64::encode_base64url(&self.digest, &mut out);
        out
    }

    /// Seconds from `now` until the key may be forgotten (at least 1).
    ///
    /// Spec: AAuth §Freshness and Replay.
    pub fn ttl(&self, now: i64) -> u64 {
        u64::try_from(self.until.saturating_sub(now))
            .unwrap_or(0)
            .max(1)
    }
}

/// Hashes the signature base as it is streamed into the Ed25519 verification.
pub(crate) struct ReplayHasher(Sha256);

const DOMAIN: &[u8] = b"aauth-verify replay v1\0";

impl ReplayHasher {
    pub(crate) fn new(key_x: &[u8; 32]) -> ReplayHasher {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(key_x);
        ReplayHasher(h)
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(crate) fn finish(
        self,
        params: &SignatureParams<'_>,
        policy: &Policy<'_>,
        now: i64,
    ) -> ReplayKey {
        let window = i64::try_from(policy.window).unwrap_or(i64::MAX);
        let mut until = match params.created {
            Some(c) => c.saturating_add(window),
            None => now.saturating_add(window),
        };
        if let Some(e) = params.expires {
            until = until.min(e);
        }
        ReplayKey {
            digest: self.0.finalize().into(),
            until,
        }
    }
}

/// Where verified requests are remembered. `ReplayCache` is the one for `no_std` hosts; a
/// host with a shared store (Redis) checks [`crate::Verified::replay`] itself after
/// verification, with an atomic insert-if-absent.
///
/// Spec: AAuth §Freshness and Replay.
pub trait ReplayStore {
    /// Records `key` (until `key.until`) and returns `true`, or returns `false` if a key with
    /// the same digest is already recorded and not yet expired at `now`: a replay.
    fn check_and_record(&mut self, key: &ReplayKey, now: i64) -> bool;
}

/// A fixed-capacity replay store (`N` keys, no allocation).
///
/// A full store overwrites the entry that expires first: it never refuses a valid request,
/// but under a flood of more than `N` distinct verified requests per window an old entry can
/// be forgotten early, and its request replayed. Size `N` for the expected rate × window (for
/// example 60 s × 100 requests/s = 6 000).
///
/// Spec: AAuth §Freshness and Replay.
#[derive(Clone, Debug)]
pub struct ReplayCache<const N: usize> {
    digests: [[u8; 32]; N],
    until: [i64; N],
}

impl<const N: usize> Default for ReplayCache<N> {
    fn default() -> Self {
        ReplayCache::new()
    }
}

impl<const N: usize> ReplayCache<N> {
    /// An empty store.
    ///
    /// Spec: AAuth §Freshness and Replay.
    pub const fn new() -> ReplayCache<N> {
        ReplayCache {
            digests: [[0; 32]; N],
            until: [i64::MIN; N],
        }
    }

    /// How many keys are still remembered at `now`.
    ///
    /// Spec: AAuth §Freshness and Replay.
    pub fn len(&self, now: i64) -> usize {
        self.until.iter().filter(|u| **u >= now).count()
    }

    /// Whether no key is remembered at `now`.
    ///
    /// Spec: AAuth §Freshness and Replay.
    pub fn is_empty(&self, now: i64) -> bool {
        self.len(now) == 0
    }
}

impl<const N: usize> ReplayStore for ReplayCache<N> {
    fn check_and_record(&mut self, key: &ReplayKey, now: i64) -> bool {
        let mut victim: Option<usize> = None;
        let mut victim_until = i64::MAX;
        for (i, (d, u)) in self.digests.iter().zip(self.until.iter()).enumerate() {
            if *u >= now && *d == key.digest {
                return false;
            }
            // Prefer an expired slot; else the one that expires first.
            let rank = if *u < now { i64::MIN } else { *u };
            if victim.is_none() || rank < victim_until {
                victim = Some(i);
                victim_until = rank;
            }
        }
        if let Some(i) = victim {
            if let (Some(d), Some(u)) = (self.digests.get_mut(i), self.until.get_mut(i)) {
                *d = key.digest;
                *u = key.until;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8, until: i64) -> ReplayKey {
        ReplayKey {
            digest: [b; 32],
            until,
        }
    }

    #[test]
    fn a_second_sighting_is_a_replay_until_expiry() {
        let mut c = ReplayCache::<4>::new();
        assert!(c.check_and_record(&key(1, 160), 100));
        assert!(
            !c.check_and_record(&key(1, 160), 120),
            "replayed within the window"
        );
        assert!(
            !c.check_and_record(&key(1, 160), 160),
            "the last fresh second counts"
        );
        assert!(
            c.check_and_record(&key(1, 220), 161),
            "forgotten once stale"
        );
        assert!(
            c.check_and_record(&key(2, 160), 120),
            "another request is fresh"
        );
        assert_eq!(c.len(120), 2);
    }

    #[test]
    fn a_full_store_evicts_the_soonest_expiry_and_never_refuses() {
        let mut c = ReplayCache::<2>::new();
        assert!(c.check_and_record(&key(1, 150), 100));
        assert!(c.check_and_record(&key(2, 170), 100));
        assert!(
            c.check_and_record(&key(3, 160), 100),
            "full, but still accepted"
        );
        assert!(
            c.check_and_record(&key(1, 150), 100),
            "1 expired first and was evicted"
        );
        assert!(!c.check_and_record(&key(2, 170), 100), "2 was kept");
    }

    #[test]
    fn ttl_and_text() {
        let k = key(7, 160);
        assert_eq!(k.ttl(100), 60);
        assert_eq!(k.ttl(200), 1);
        assert_eq!(k.to_b64().len(), 43);
    }
}
