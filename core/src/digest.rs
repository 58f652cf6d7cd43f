//! `Content-Digest` checking when the body is available.
//!
//! Spec: RFC 9530 §2 (Content-Digest is a Dictionary of algorithm → Byte Sequence), §5
//! (`sha-256`, `sha-512`); RFC 9421 §7.2.8 (covering the digest covers the body).

use crate::error::{
    err, Check, Error,
    ErrorCode::{InvalidRequest, InvalidSignature},
};
use crate::request::Request;
use aauth_verify_sf::b64;
use aauth_verify_sf::sf::{self, BareItem};
use sha2::{Digest, Sha256, Sha512};

/// Checks every supported digest in `Content-Digest` against `body`.
///
/// At least one of `sha-256` / `sha-512` must be present and every one present must match;
/// other algorithms are ignored. A mismatch, or no supported algorithm, is `invalid_signature`.
///
/// Spec: RFC 9530 §2, §3 (a recipient may ignore unsupported algorithms).
pub fn check(req: &Request<'_, '_>, body: &[u8]) -> Result<(), Error> {
    let mut checked = false;
    for line in req.field_lines(b"content-digest") {
        let dict = sf::parse_dictionary(line, sf::Options::default())
            .map_err(|_| err(InvalidRequest, Check::DigestMalformed))?;
        for (alg, member) in dict.iter() {
            let expected_len = match alg {
                b"sha-256" => 32,
                b"sha-512" => 64,
                _ => continue,
            };
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
            let ok = if expected_len == 32 {
                got == Sha256::digest(body).as_slice()
            } else {
                got == Sha512::digest(body).as_slice()
            };
            if !ok {
                return Err(err(InvalidSignature, Check::DigestMismatch));
            }
            checked = true;
        }
    }
    if checked {
        Ok(())
    } else {
        Err(err(InvalidSignature, Check::DigestNoAlgorithm))
    }
}
