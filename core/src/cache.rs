//! A caller-owned, fixed-capacity cache of verified token signatures, so that an agent that
//! sends the same token on every request costs one Ed25519 verification per request (the
//! request signature) instead of two.
//!
//! Use it through [`Parsed::verify_token_cached`](crate::Parsed::verify_token_cached).
//!
//! # What is cached, and what a hit skips
//!
//! An entry records that *this JWS* (signing input and signature bytes) verified under *this
//! signer key* (the issuer key for `jwt` and `self-jwt`, the header key for `jkt-jwt`), for a
//! given scheme. The entry is the SHA-256 digest of
//! `scheme tag ‖ signer key (32 bytes) ‖ signature (64 bytes) ‖ signing input`, plus the
//! token's `exp`. A hit skips only the token's Ed25519 verification, which is a pure function
//! of those inputs. Everything else still runs on every request:
//!
//! * the request signature is always verified (a hit never vouches for a request);
//! * the token is still decoded by [`Parsed::token`](crate::Parsed::token), with every offline
//!   check (`typ` policy, `exp`, `iat`, `nbf`, `cnf.jwk`, the `jkt-jwt` thumbprint);
//! * for `jwt`, the caller still resolves the issuer key from `iss`/`dwk`/`kid` as usual; since
//!   that key is part of the entry, a rotated or revoked issuer key no longer hits.
//!
//! # Security properties
//!
//! * **No entry outlives the token:** an entry is used only while `now < exp` (the same rule
//!   as the token's own `exp` check) and an expired entry is the first to be overwritten.
//! * **Bounded memory, no allocation:** `N` entries of 48 bytes each, inline in the value; a
//!   full cache overwrites the entry that expires first.
//! * **A hit needs the same bytes and the same key:** a forged token that reuses a verified
//!   signature, a different issuer key, or the same token presented under another scheme hashes
//!   differently (SHA-256 collision resistance).
//! * The cache holds no secrets; it may be shared between requests of different agents. It is
//!   not synchronized: give each thread its own, or wrap it in the host's lock.
//!
//! Spec: RFC 7515 §5.2 (JWS validation is deterministic in the signing input, signature and
//! key); RFC 7519 §4.1.4 (`exp`).

use sha2::{Digest, Sha256};

use crate::jwk::PublicKey;
use crate::policy::Scheme;

/// One cached verification: the digest of what was verified and the token's `exp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    digest: [u8; 32],
    exp: i64,
    used: bool,
}

const EMPTY: Entry = Entry {
    digest: [0; 32],
    exp: i64::MIN,
    used: false,
};

/// A fixed-capacity cache of verified token signatures (`N` entries, no allocation).
///
/// Create one per verifier (or per thread) and pass it to
/// [`Parsed::verify_token_cached`](crate::Parsed::verify_token_cached).
#[derive(Clone, Debug)]
pub struct TokenCache<const N: usize> {
    entries: [Entry; N],
}

impl<const N: usize> Default for TokenCache<N> {
    fn default() -> Self {
        TokenCache::new()
    }
}

/// The cache key of one JWS verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// Hashes what a JWS verification depends on: the scheme, the signer key, the signature and
    /// the signing input.
    pub fn new(
        scheme: Scheme,
        signer: &PublicKey,
        signature: &[u8; 64],
        signing_input: &[u8],
    ) -> TokenDigest {
        let mut h = Sha256::new();
        h.update([scheme as u8]);
        h.update(signer.x);
        h.update(signature);
        h.update(signing_input);
        TokenDigest(h.finalize().into())
    }
}

impl<const N: usize> TokenCache<N> {
    /// An empty cache.
    pub const fn new() -> TokenCache<N> {
        TokenCache {
            entries: [EMPTY; N],
        }
    }

    /// The number of entries still valid at `now`.
    pub fn len(&self, now: i64) -> usize {
        self.entries
            .iter()
            .filter(|e| e.used && now < e.exp)
            .count()
    }

    /// Whether no entry is valid at `now`.
    pub fn is_empty(&self, now: i64) -> bool {
        self.len(now) == 0
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries = [EMPTY; N];
    }

    /// Whether `digest` was recorded and its token has not expired at `now`.
    pub fn contains(&self, digest: &TokenDigest, now: i64) -> bool {
        self.entries
            .iter()
            .any(|e| e.used && now < e.exp && e.digest == digest.0)
    }

    /// Records a verified JWS whose token expires at `exp`. Nothing is stored if it has
    /// already expired at `now`. Overwrites, in this order: the same digest, an empty or
    /// expired entry, the entry that expires first.
    pub fn insert(&mut self, digest: TokenDigest, exp: i64, now: i64) {
        if exp <= now {
            return;
        }
        let entry = Entry {
            digest: digest.0,
            exp,
            used: true,
        };
        let mut victim: Option<usize> = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.used && e.digest == digest.0 {
                victim = Some(i);
                break;
            }
            let free = !e.used || e.exp <= now;
            victim = match victim {
                None => Some(i),
                Some(v) => {
                    let Some(cur) = self.entries.get(v) else {
                        continue;
                    };
                    let cur_free = !cur.used || cur.exp <= now;
                    if cur_free {
                        Some(v)
                    } else if free || e.exp < cur.exp {
                        Some(i)
                    } else {
                        Some(v)
                    }
                }
            };
        }
        if let Some(slot) = victim.and_then(|v| self.entries.get_mut(v)) {
            *slot = entry;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> PublicKey {
        // The cache only hashes key bytes, so distinct byte strings suffice (never validated).
        let mut x = [0x66u8; 32];
        x[0] = 0x58;
        x[31] ^= b;
        PublicKey {
            x,
            alg: crate::jwk::KeyAlg::Ed25519,
        }
    }

    fn digest(k: u8, input: &[u8]) -> TokenDigest {
        TokenDigest::new(Scheme::Jwt, &key(k), &[7; 64], input)
    }

    #[test]
    fn hit_until_exp() {
        let mut c = TokenCache::<4>::new();
        let d = digest(0, b"h.p");
        assert!(!c.contains(&d, 100));
        c.insert(d, 200, 100);
        assert!(c.contains(&d, 100));
        assert!(c.contains(&d, 199));
        assert!(!c.contains(&d, 200), "an entry never outlives exp");
        assert!(!c.contains(&d, 10_000));
        assert_eq!(c.len(150), 1);
        assert!(c.is_empty(200));
    }

    #[test]
    fn expired_tokens_are_not_stored() {
        let mut c = TokenCache::<2>::new();
        let d = digest(0, b"h.p");
        c.insert(d, 100, 100);
        assert!(!c.contains(&d, 99));
        assert!(c.is_empty(0));
    }

    #[test]
    fn other_key_scheme_signature_or_input_miss() {
        let mut c = TokenCache::<4>::new();
        c.insert(digest(0, b"h.p"), 200, 100);
        assert!(!c.contains(&digest(1, b"h.p"), 100), "other issuer key");
        assert!(!c.contains(&digest(0, b"h.q"), 100), "other signing input");
        let other_scheme = TokenDigest::new(Scheme::SelfJwt, &key(0), &[7; 64], b"h.p");
        assert!(!c.contains(&other_scheme, 100), "other scheme");
        let other_sig = TokenDigest::new(Scheme::Jwt, &key(0), &[8; 64], b"h.p");
        assert!(!c.contains(&other_sig, 100), "other signature");
    }

    #[test]
    fn bounded_eviction_prefers_expired_then_soonest_exp() {
        let mut c = TokenCache::<2>::new();
        let (a, b, d, e) = (
            digest(0, b"a"),
            digest(0, b"b"),
            digest(0, b"d"),
            digest(0, b"e"),
        );
        c.insert(a, 300, 100);
        c.insert(b, 500, 100);
        assert!(c.contains(&a, 100) && c.contains(&b, 100));
        // Full: the entry expiring first (a) goes.
        c.insert(d, 400, 100);
        assert!(!c.contains(&a, 100));
        assert!(c.contains(&b, 100) && c.contains(&d, 100));
        // At 450, d has expired and is overwritten before b.
        c.insert(e, 900, 450);
        assert!(c.contains(&b, 450) && c.contains(&e, 450));
        assert_eq!(c.len(450), 2);
        // Re-inserting the same digest does not take a second slot.
        c.insert(e, 900, 450);
        assert!(c.contains(&b, 450));
        c.clear();
        assert!(c.is_empty(450));
    }

    #[test]
    fn zero_capacity_never_hits() {
        let mut c = TokenCache::<0>::new();
        let d = digest(0, b"h.p");
        c.insert(d, 200, 100);
        assert!(!c.contains(&d, 100));
    }
}
