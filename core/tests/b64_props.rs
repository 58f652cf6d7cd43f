//! The table-driven `decode_base64url` accepts exactly what `base64ct::Base64UrlUnpadded`
//! accepts and decodes it to the same bytes (strict: no padding, no standard alphabet,
//! non-zero trailing bits refused).

use aauth_verify::b64::{decode_base64url, encode_base64url, B64Error};
use base64ct::{Base64UrlUnpadded, Encoding};
use proptest::prelude::*;

fn reference(raw: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; raw.len()];
    Base64UrlUnpadded::decode(raw, &mut buf)
        .ok()
        .map(<[u8]>::to_vec)
}

fn ours(raw: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; raw.len()];
    decode_base64url(raw, &mut buf).ok().map(<[u8]>::to_vec)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn same_accept_set_as_base64ct(raw in prop::collection::vec(
        prop::sample::select(&b"AQgw_-zZ09+/=.aB \\x00"[..]), 0..40)) {
        prop_assert_eq!(ours(&raw), reference(&raw));
    }

    #[test]
    fn round_trips(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let mut enc = [0u8; 200];
        let text = encode_base64url(&bytes, &mut enc).unwrap();
        prop_assert_eq!(ours(text.as_bytes()), Some(bytes.clone()));
        // Flipping any single character to another valid one changes the result or fails.
        for i in 0..text.len() {
            let mut t = text.as_bytes().to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            prop_assert_eq!(ours(&t), reference(&t));
        }
    }
}

#[test]
fn errors() {
    let mut small = [0u8; 2];
    assert_eq!(
        decode_base64url(b"AAAA", &mut small),
        Err(B64Error::BufferTooSmall)
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        decode_base64url(b"A", &mut buf),
        Err(B64Error::InvalidEncoding)
    );
    assert_eq!(
        decode_base64url(b"AB==", &mut buf),
        Err(B64Error::InvalidEncoding)
    );
    assert_eq!(
        decode_base64url(b"AB", &mut buf),
        Err(B64Error::InvalidEncoding)
    ); // trailing bits
    assert_eq!(decode_base64url(b"AQ", &mut buf), Ok(&[1u8][..]));
    assert_eq!(decode_base64url(b"", &mut buf), Ok(&[][..]));
}
