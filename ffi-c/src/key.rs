//! Where phase 2 takes the key from: `aauth_key_source`, checked here and turned into the
//! core's `KeySource`. The host says what it has; the core decides whether it fits the plan.

use core_verify::{parse_jwk, KeySource, Policy, PublicKey};

use crate::jwks::aauth_jwks_key;
use crate::ptr::try_ref;
use crate::request::{opt_slice, slice};
use crate::result::aauth_result;
use crate::state::Fail;
use crate::text::aauth_slice;

/// The kinds of `aauth_key_source` (the values of `aauth_key_source.kind`).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.9, §7.2.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_key_kind {
    /// The key the request carries (`hwk`, `jkt-jwt`): the only source for
    /// `AAUTH_FETCH_NOTHING`.
    Inline = 0,
    /// `key`: a raw 32-byte Ed25519 public key the host vouches for (a trust store, or one it
    /// resolved and kept); for `jwt` and `self-jwt` it is the issuer's key.
    RawKey = 1,
    /// `key`: one JWK (a JSON object, at most 4096 bytes) the host vouches for, checked under
    /// the policy's key rules.
    Jwk = 2,
    /// The documents the plan asked for, as fetched: `jwks` (at most 16384 bytes) and
    /// `metadata` (required for `AAUTH_FETCH_METADATA`; ignored for `AAUTH_FETCH_JWKS`).
    Documents = 3,
    /// `jwks`: a JWKS the host's configuration trusts for the signer the plan names (a static
    /// trust store): no metadata document is checked.
    TrustedJwks = 4,
    /// `decoded`: a key (or the failure) the host kept from `aauth_jwks_decode`, for the signer
    /// the plan names and the plan's `kid` (the host selects the entry by `kid`).
    Decoded = 5,
}

/// The key material for `aauth_verifier_finish` (and `aauth_verify`): a `kind` and the slices
/// it uses; the others are ignored. The bytes are read during the call only.
///
/// ```c
/// aauth_key_source inline_key = {AAUTH_KEY_KIND_INLINE};
/// aauth_key_source docs = {AAUTH_KEY_KIND_DOCUMENTS, {NULL, 0}, {jwks, jwks_len}, {md, md_len}};
/// aauth_key_source kept = {AAUTH_KEY_KIND_DECODED}; kept.decoded = &entry;
/// ```
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.9, §7.2.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_key_source {
    /// An `aauth_key_kind` value.
    pub kind: u32,
    /// `AAUTH_KEY_KIND_RAW_KEY`: 32 bytes; `AAUTH_KEY_KIND_JWK`: the JWK document.
    pub key: aauth_slice,
    /// `AAUTH_KEY_KIND_DOCUMENTS`, `AAUTH_KEY_KIND_TRUSTED_JWKS`: the JWKS document.
    pub jwks: aauth_slice,
    /// `AAUTH_KEY_KIND_DOCUMENTS`: the metadata document (`data == NULL`: not supplied).
    pub metadata: aauth_slice,
    /// `AAUTH_KEY_KIND_DECODED`: one entry `aauth_jwks_decode` wrote (NULL otherwise).
    pub decoded: *const aauth_jwks_key,
}

/// A checked key source: its slices are made, a raw key has 32 bytes.
#[derive(Clone, Copy)]
pub(crate) enum HostKey<'k> {
    Inline,
    Raw([u8; 32]),
    Jwk(&'k [u8]),
    Documents {
        metadata: Option<&'k [u8]>,
        jwks: &'k [u8],
    },
    Trusted(&'k [u8]),
    Decoded(aauth_jwks_key),
}

impl<'k> HostKey<'k> {
    /// Checks a C key source (API errors only: the key itself is judged in phase 2).
    ///
    /// # Safety
    ///
    /// `src` is NULL or readable, with the slices its kind uses readable for their lengths and
    /// unchanged during `'k`.
    pub(crate) unsafe fn of(src: *const aauth_key_source) -> Result<HostKey<'k>, aauth_result> {
        // SAFETY: our contract; every field is valid for any bit pattern.
        let s = unsafe { try_ref(src) }?;
        let kind = |k: aauth_key_kind| s.kind == k as u32;
        if kind(aauth_key_kind::Inline) {
            Ok(HostKey::Inline)
        } else if kind(aauth_key_kind::RawKey) {
            crate::ptr::non_null(s.key.data)?;
            // SAFETY: our contract.
            let raw = unsafe { slice(s.key) }?;
            let x = raw.try_into().map_err(|_| aauth_result::InvalidParameter)?;
            Ok(HostKey::Raw(x))
        } else if kind(aauth_key_kind::Jwk) {
            crate::ptr::non_null(s.key.data)?;
            // SAFETY: our contract.
            Ok(HostKey::Jwk(unsafe { slice(s.key) }?))
        } else if kind(aauth_key_kind::Documents) {
            crate::ptr::non_null(s.jwks.data)?;
            Ok(HostKey::Documents {
                // SAFETY: our contract.
                metadata: unsafe { opt_slice(s.metadata) }?,
                // SAFETY: our contract.
                jwks: unsafe { slice(s.jwks) }?,
            })
        } else if kind(aauth_key_kind::TrustedJwks) {
            crate::ptr::non_null(s.jwks.data)?;
            // SAFETY: our contract.
            Ok(HostKey::Trusted(unsafe { slice(s.jwks) }?))
        } else if kind(aauth_key_kind::Decoded) {
            // SAFETY: our contract: `decoded` is NULL or one readable entry; every field of an
            // `aauth_jwks_key` is valid for any bit pattern.
            Ok(HostKey::Decoded(*unsafe { try_ref(s.decoded) }?))
        } else {
            Err(aauth_result::InvalidParameter)
        }
    }

    /// Runs `f` with the core's key source (a raw key or JWK decoded first: a bad one is the
    /// verification failure the core reports for it).
    pub(crate) fn with_source<R>(
        self,
        policy: &Policy<'_>,
        f: impl FnOnce(KeySource<'_>) -> Result<R, Fail>,
    ) -> Result<R, Fail> {
        match self {
            HostKey::Inline => f(KeySource::Inline),
            HostKey::Raw(x) => f(KeySource::Key(&PublicKey::from_raw(x)?)),
            HostKey::Jwk(doc) => f(KeySource::Key(&parse_jwk(doc, policy.key_rules())?)),
            HostKey::Documents { metadata, jwks } => f(KeySource::Documents { metadata, jwks }),
            HostKey::Trusted(jwks) => f(KeySource::TrustedJwks(jwks)),
            HostKey::Decoded(e) => f(KeySource::Key(&e.key(policy.key_rules())?)),
        }
    }
}
