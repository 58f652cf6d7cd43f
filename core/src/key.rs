//! Public keys: [`PublicKey`] (an Ed25519 key with the JOSE `alg` it was declared with) and
//! RFC 7638 thumbprints.
//!
//! A key's fields are private: keys come from [`PublicKey::from_raw`] (a trust store), from JWK
//! text ([`crate::parse_jwk`], [`crate::select_jwk`]), or from the request (`hwk`, `cnf.jwk`).
//! Keys that a host keeps and reuses are validated as curve points when they are built: the
//! all-zero key, the identity, every small-order point and every non-canonical encoding are
//! `invalid_key`.
//!
//! A validated key is prepared once for the Ed25519 backend: with the `dalek` feature it keeps
//! its decoded point (a `PublicKey` is then 208 bytes instead of 34), so the keys a host keeps
//! (`from_raw`, `parse_jwk`, `select_jwk`) and the request keys a token store records pay no
//! point decompression when they verify. A key that serves one verification (`hwk`, `cnf.jwk`)
//! is decoded by that verification, once.
//!
//! Spec: RFC 8032 §5.1.3, §5.1.5 (encoding); RFC 8037 §2 (OKP JWK); RFC 7638 (thumbprints);
//! draft-hardt-httpbis-signature-key-09 §3.3.

use aauth_verify_sf::b64::encode_base64url;
use sha2::{Digest, Sha256};

use crate::backend::{self, Refusal};
use crate::error::{err, Check, Error, ErrorCode};

/// The algorithm a usable key is bound to.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.3; RFC 9864 §2 (`Ed25519`); RFC 8037 §3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// JOSE `Ed25519` (RFC 9864): the only value accepted in strict mode.
    Ed25519,
    /// Legacy JOSE `EdDSA` (RFC 8037); only with [`crate::KeyRules::allow_eddsa`].
    EdDsa,
    /// No `alg` member (pre -08 keys, raw trust-store keys); only without
    /// [`crate::KeyRules::require_alg`], or from [`PublicKey::from_raw`].
    None,
}

impl KeyAlg {
    /// The JOSE `alg` value, or `None` for [`KeyAlg::None`].
    ///
    /// Spec: RFC 9864 §2; RFC 8037 §3.1.
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            KeyAlg::Ed25519 => Some("Ed25519"),
            KeyAlg::EdDsa => Some("EdDSA"),
            KeyAlg::None => None,
        }
    }
}

/// An Ed25519 public key with the `alg` it was declared with.
///
/// Two keys are equal when they are the same point with the same `alg`.
///
/// Spec: RFC 8032 §5.1.5 (encoding); RFC 8037 §2 (OKP JWK); RFC 9864 §2.
#[derive(Clone, Copy)]
pub struct PublicKey {
    x: [u8; 32],
    alg: KeyAlg,
    /// What the backend keeps of a validated key (`None`: not validated yet; the verification
    /// that uses it decodes and checks the point).
    prepared: Option<backend::Prepared>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        self.x == other.x && self.alg == other.alg
    }
}

impl Eq for PublicKey {}

/// The point and `alg`, as equality sees the key (not whether it is prepared).
impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PublicKey")
            .field("x", &self.x)
            .field("alg", &self.alg)
            .finish()
    }
}

impl core::hash::Hash for PublicKey {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.x.hash(h);
        self.alg.hash(h);
    }
}

/// A key as a record keeps it when the key is only compared, never verified with (a token
/// record's signer and header key): the encoded point and `alg`, 34 bytes with any backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyBytes {
    x: [u8; 32],
    alg: KeyAlg,
}

impl KeyBytes {
    /// An all-zero placeholder (an unused record).
    #[cfg(feature = "tokens")]
    pub(crate) const EMPTY: KeyBytes = KeyBytes {
        x: [0; 32],
        alg: KeyAlg::None,
    };

    /// The point and `alg` of `key`.
    #[cfg(feature = "tokens")]
    pub(crate) const fn of(key: &PublicKey) -> KeyBytes {
        KeyBytes {
            x: key.x,
            alg: key.alg,
        }
    }

    /// The key again (not prepared: a verification with it decodes the point).
    pub(crate) const fn key(self) -> PublicKey {
        PublicKey::deferred(self.x, self.alg)
    }
}

/// An unpadded base64url thumbprint of `N` characters (43 for SHA-256, 86 for SHA-512).
///
/// Spec: RFC 7638 §3; RFC 4648 §5.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct B64Thumbprint<const N: usize> {
    buf: [u8; N],
}

/// A SHA-256 JWK thumbprint in unpadded base64url (43 characters).
///
/// Spec: RFC 7638 §3.
pub type Thumbprint = B64Thumbprint<43>;

/// A SHA-512 JWK thumbprint in unpadded base64url (86 characters), for `jkt-s512`.
///
/// Spec: RFC 7638 §3; draft-hardt-httpbis-signature-key-09 §3.5.
pub type Thumbprint512 = B64Thumbprint<86>;

impl<const N: usize> B64Thumbprint<N> {
    fn encode(digest: &[u8]) -> Self {
        let mut buf = [0u8; N];
        // N is exactly the unpadded length of the digest, so encoding cannot fail.
        let _ = encode_base64url(digest, &mut buf);
        B64Thumbprint { buf }
    }

    /// The thumbprint text.
    ///
    /// Spec: RFC 7638 §3.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf).unwrap_or("")
    }

    /// The thumbprint text as bytes.
    ///
    /// Spec: RFC 7638 §3.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

impl<const N: usize> core::fmt::Debug for B64Thumbprint<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Thumbprint({})", self.as_str())
    }
}

impl<const N: usize> core::fmt::Display for B64Thumbprint<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) fn key_refusal(r: Refusal) -> Error {
    match r {
        Refusal::SmallOrder => err(ErrorCode::InvalidKey, Check::KeySmallOrder),
        Refusal::NotPoint | Refusal::Signature => err(ErrorCode::InvalidKey, Check::KeyNotPoint),
    }
}

impl PublicKey {
    /// A key from 32 raw bytes (a caller's trust store), with [`KeyAlg::None`]. Fails with
    /// `invalid_key` unless the bytes canonically encode a point that is not of small order
    /// (this excludes the all-zero key and the identity).
    ///
    /// Spec: RFC 8032 §5.1.3 (decoding); draft-hardt-httpbis-signature-key-09 §7.1.
    pub fn from_raw(x: [u8; 32]) -> Result<PublicKey, Error> {
        PublicKey::validated(x, KeyAlg::None)
    }

    /// A validated key with `alg`.
    pub(crate) fn validated(x: [u8; 32], alg: KeyAlg) -> Result<PublicKey, Error> {
        let prepared = backend::prepare(&x).map_err(key_refusal)?;
        Ok(PublicKey {
            x,
            alg,
            prepared: Some(prepared),
        })
    }

    /// A key that serves one verification (`hwk`, `cnf.jwk`, a `jkt-jwt` header key): only its
    /// length is checked here; the verification decodes the point anyway and refuses a bad or
    /// small-order one as `invalid_key`, so the point is never decoded twice.
    pub(crate) const fn deferred(x: [u8; 32], alg: KeyAlg) -> PublicKey {
        PublicKey {
            x,
            alg,
            prepared: None,
        }
    }

    /// This key prepared for reuse (a request key a token store will keep): its point decoded
    /// once, when the backend keeps decoded points. Unchanged when it does not, when the key is
    /// prepared already, or when the point is refused (the verification that uses the key then
    /// refuses it with the usual error).
    #[cfg(feature = "tokens")]
    pub(crate) fn for_reuse(self) -> PublicKey {
        if !backend::KEEPS_POINT || self.prepared.is_some() {
            return self;
        }
        match backend::prepare(&self.x) {
            Ok(p) => PublicKey {
                prepared: Some(p),
                ..self
            },
            Err(_) => self,
        }
    }

    /// Whether the key holds the backend's prepared form (benches and tests only, feature
    /// `bench-internals`): with `dalek`, its decoded point.
    ///
    /// Spec: RFC 8032 §5.1.3.
    #[cfg(feature = "bench-internals")]
    #[doc(hidden)]
    pub fn is_prepared(&self) -> bool {
        self.prepared.is_some() && backend::KEEPS_POINT
    }

    /// The 32-byte encoded point `A`.
    ///
    /// Spec: RFC 8032 §5.1.5.
    pub const fn x(&self) -> &[u8; 32] {
        &self.x
    }

    /// The declared JOSE algorithm.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.3.
    pub const fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// `x` in unpadded base64url (43 characters).
    ///
    /// Spec: RFC 8037 §2.
    pub fn x_b64(&self) -> [u8; 43] {
        let mut buf = [0u8; 43];
        // 32 bytes encode to exactly 43 characters, so this cannot fail.
        let _ = encode_base64url(&self.x, &mut buf);
        buf
    }

    /// Feeds the RFC 7638 thumbprint input `{"crv":"Ed25519","kty":"OKP","x":"…"}` to `update`.
    fn thumbprint_input(&self, mut update: impl FnMut(&[u8])) {
        update(br#"{"crv":"Ed25519","kty":"OKP","x":""#);
        update(&self.x_b64());
        update(br#""}"#);
    }

    /// The RFC 7638 SHA-256 thumbprint over `{"crv":"Ed25519","kty":"OKP","x":"…"}`.
    ///
    /// Spec: RFC 7638 §3; RFC 8037 §2 (required OKP members).
    pub fn thumbprint_sha256(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        self.thumbprint_input(|b| h.update(b));
        h.finalize().into()
    }

    /// The RFC 7638 thumbprint with SHA-512 (for `jkt-s512+jwt`).
    ///
    /// Spec: RFC 7638 §3; draft-hardt-httpbis-signature-key-09 §3.5.
    pub fn thumbprint_sha512(&self) -> [u8; 64] {
        let mut h = crate::sha512::Sha512::new();
        self.thumbprint_input(|b| h.update(b));
        h.finalize()
    }

    /// The SHA-256 thumbprint in unpadded base64url (as in `urn:jkt:sha-256:<thumbprint>`).
    ///
    /// Spec: RFC 7638 §3; RFC 9278 §3.
    pub fn thumbprint(&self) -> Thumbprint {
        Thumbprint::encode(&self.thumbprint_sha256())
    }

    /// The SHA-512 thumbprint in unpadded base64url.
    ///
    /// Spec: RFC 7638 §3; RFC 9278 §3.
    pub fn thumbprint_sha512_b64(&self) -> Thumbprint512 {
        Thumbprint512::encode(&self.thumbprint_sha512())
    }

    /// Verifies `signature` over what `write` streams. `Err` is the backend's refusal.
    pub(crate) fn verify_stream<E>(
        &self,
        signature: &[u8; 64],
        write: impl FnOnce(&mut backend::Stream<'_>) -> Result<(), E>,
    ) -> Result<Result<(), E>, Refusal> {
        backend::verify_stream(&self.x, self.prepared.as_ref(), signature, write)
    }

    /// Verifies `signature` over `message`.
    #[cfg(feature = "tokens")]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Refusal> {
        backend::verify(&self.x, self.prepared.as_ref(), message, signature)
    }
}
