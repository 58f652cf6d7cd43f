//! SHA-512 for the core's own digests (`Content-Digest: sha-512`, `jkt-s512` thumbprints): one
//! implementation per build, the one its Ed25519 backend hashes with. Without `dalek` it is
//! `ed25519-compact`'s (so the embedded build carries a single SHA-512, not that one and
//! `sha2`'s); with `dalek` it is `sha2`'s, whose vectorized code the dalek backend uses too.
//! Both are FIPS 180-4 SHA-512: the unit tests check them against `sha2` on the FIPS vectors
//! and on every length around the block boundaries.
//!
//! Spec: FIPS 180-4 §6.4; RFC 9530 §5 (`sha-512`); RFC 7638 §3.

/// A running SHA-512.
#[derive(Clone)]
pub(crate) struct Sha512(
    #[cfg(not(feature = "dalek"))] ed25519_compact::sha512::Hash,
    #[cfg(feature = "dalek")] sha2::Sha512,
);

impl Sha512 {
    /// An empty hash.
    pub(crate) fn new() -> Sha512 {
        #[cfg(not(feature = "dalek"))]
        return Sha512(ed25519_compact::sha512::Hash::new());
        #[cfg(feature = "dalek")]
        return Sha512(sha2::Digest::new());
    }

    /// Absorbs `bytes`.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        #[cfg(not(feature = "dalek"))]
        self.0.update(bytes);
        #[cfg(feature = "dalek")]
        sha2::Digest::update(&mut self.0, bytes);
    }

    /// The digest of everything absorbed.
    pub(crate) fn finalize(self) -> [u8; 64] {
        #[cfg(not(feature = "dalek"))]
        return self.0.finalize();
        #[cfg(feature = "dalek")]
        return sha2::Digest::finalize(self.0).into();
    }
}

#[cfg(test)]
mod tests {
    use super::Sha512;
    use sha2::Digest;

    fn ours(pieces: &[&[u8]]) -> [u8; 64] {
        let mut h = Sha512::new();
        for p in pieces {
            h.update(p);
        }
        h.finalize()
    }

    #[test]
    fn fips_180_vectors() {
        // FIPS 180-4 examples (csrc.nist.gov, SHA512.pdf): "abc" and the 896-bit message.
        assert_eq!(
            hex::encode(ours(&[b"abc"])),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        let m = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn\
                  hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_eq!(
            hex::encode(ours(&[m])),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        );
        assert_eq!(
            hex::encode(ours(&[])),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
    }

    #[test]
    fn agrees_with_sha2_around_block_boundaries() {
        let mut data = [0u8; 600];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i * 31 + 7) as u8;
        }
        for len in 0..data.len() {
            let msg = &data[..len];
            let want: [u8; 64] = sha2::Sha512::digest(msg).into();
            assert_eq!(ours(&[msg]), want, "one piece, {len} bytes");
            // The same message in three pieces, split around the 128-byte block.
            let (a, rest) = msg.split_at(len.min(len / 3 + 1));
            let (b, c) = rest.split_at(rest.len().min(127));
            assert_eq!(ours(&[a, b, c]), want, "three pieces, {len} bytes");
        }
    }
}
