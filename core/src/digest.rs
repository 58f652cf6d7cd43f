//! `Content-Digest` checking when the body is available.
//!
//! Spec: RFC 9530 §2 (Content-Digest is a Dictionary of algorithm → Byte Sequence), §5
//! (`sha-256`, `sha-512`); RFC 9421 §7.2.8 (covering the digest covers the body).

use crate::error::{
    err, Check, Error,
    ErrorCode::{InvalidRequest, InvalidSignature},
};
use crate::request::Request;
use crate::sha512::Sha512;
use aauth_verify_sf::b64;
use aauth_verify_sf::sf::{self, BareItem};
use sha2::{Digest, Sha256};

/// A `Content-Digest` check fed the body piece by piece (a body in several buffers, or read
/// from a file): at least one of `sha-256` / `sha-512` must be present and every one present
/// must match; other algorithms are ignored. Holds only the expected digests and the running
/// hashes: no borrow of the request.
///
/// Spec: RFC 9530 §2, §3.
#[derive(Clone)]
pub struct BodyDigest {
    sha256: Option<([u8; 32], Sha256)>,
    sha512: Option<([u8; 64], Sha512)>,
}

impl core::fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BodyDigest")
            .field("sha256", &self.sha256.is_some())
            .field("sha512", &self.sha512.is_some())
            .finish()
    }
}

/// The digests a `Content-Digest` field promises, decoded: what has to stay on the stack
/// while the signature is verified, without the hash states or the parsed dictionary.
///
/// Spec: RFC 9530 §2, §3.
#[derive(Clone, Copy)]
pub(crate) struct Expected {
    sha256: Option<[u8; 32]>,
    sha512: Option<[u8; 64]>,
}

impl Expected {
    /// Reads the expected digests from every `Content-Digest` line. A malformed field, a
    /// supported member that is not a Byte Sequence of the algorithm's length, two different
    /// values for one algorithm, or no supported algorithm at all is refused here, before any
    /// body byte is read.
    ///
    /// Spec: RFC 9530 §2, §3.
    // Out of line: the parsed dictionary is off the stack before the signature is verified.
    #[cfg_attr(not(feature = "dalek"), inline(never))]
    pub(crate) fn read(req: &Request<'_, '_>) -> Result<Expected, Error> {
        let mut d = Expected {
            sha256: None,
            sha512: None,
        };
        for line in req.field_lines(b"content-digest") {
            let dict = sf::parse_dictionary(line, sf::Options::default())
                .map_err(|_| err(InvalidRequest, Check::DigestMalformed))?;
            for (alg, member) in dict.iter() {
                if alg != b"sha-256" && alg != b"sha-512" {
                    continue;
                }
                let sf::Member::Item(sf::Item {
                    value: BareItem::ByteSeq(raw),
                    ..
                }) = member
                else {
                    return Err(err(InvalidRequest, Check::DigestNotByteSequence));
                };
                let mut buf = [0u8; 66];
                let got = b64::decode_sf_binary(raw, &mut buf)
                    .map_err(|_| err(InvalidSignature, Check::DigestBadEncoding))?;
                let mismatch = err(InvalidSignature, Check::DigestMismatch);
                if alg == b"sha-256" {
                    let want: [u8; 32] = got.try_into().map_err(|_| mismatch)?;
                    match &d.sha256 {
                        Some(w) if *w != want => return Err(mismatch),
                        _ => d.sha256 = Some(want),
                    }
                } else {
                    let want: [u8; 64] = got.try_into().map_err(|_| mismatch)?;
                    match &d.sha512 {
                        Some(w) if *w != want => return Err(mismatch),
                        _ => d.sha512 = Some(want),
                    }
                }
            }
        }
        if d.sha256.is_none() && d.sha512.is_none() {
            return Err(err(InvalidSignature, Check::DigestNoAlgorithm));
        }
        Ok(d)
    }

    /// Starts the running hashes.
    pub(crate) fn start(self) -> BodyDigest {
        BodyDigest {
            sha256: self.sha256.map(|w| (w, Sha256::new())),
            sha512: self.sha512.map(|w| (w, Sha512::new())),
        }
    }
}

/// Compares a whole body with the expected digests (`invalid_signature` on a mismatch).
///
/// Spec: RFC 9530 §2.
// Out of line: its hash states are never on the stack with the Ed25519 arithmetic.
#[cfg_attr(not(feature = "dalek"), inline(never))]
pub(crate) fn check(expected: Expected, body: &[u8]) -> Result<(), Error> {
    let mut d = expected.start();
    d.update(body);
    d.finish()
}

impl BodyDigest {
    /// Reads the expected digests from every `Content-Digest` line and starts the hashes. A
    /// malformed field, a supported member that is not a Byte Sequence of the algorithm's
    /// length, two different values for one algorithm, or no supported algorithm at all is
    /// refused here, before any body byte is read (the same reading as the core's own check).
    ///
    /// Spec: RFC 9530 §2, §3.
    pub fn new(req: &Request<'_, '_>) -> Result<BodyDigest, Error> {
        Expected::read(req).map(Expected::start)
    }

    /// Feeds the next piece of the body.
    pub fn update(&mut self, piece: &[u8]) {
        if let Some((_, h)) = &mut self.sha256 {
            h.update(piece);
        }
        if let Some((_, h)) = &mut self.sha512 {
            h.update(piece);
        }
    }

    /// Whether every expected digest matches the body fed so far (`invalid_signature`
    /// otherwise).
    ///
    /// Spec: RFC 9530 §2.
    pub fn finish(self) -> Result<(), Error> {
        let mismatch = err(InvalidSignature, Check::DigestMismatch);
        if let Some((want, h)) = self.sha256 {
            if h.finalize().as_slice() != want {
                return Err(mismatch);
            }
        }
        if let Some((want, h)) = self.sha512 {
            if h.finalize() != want {
                return Err(mismatch);
            }
        }
        Ok(())
    }
}
