//! The table-driven `decode_base64url` accepts exactly what `base64ct::Base64UrlUnpadded`
//! accepts and decodes it to the same bytes (strict: no padding, no standard alphabet,
//! non-zero trailing bits refused). The lenient decoders (`Signature` values, sf-binary) match
//! a plain bit-by-bit model of their documented rules.

use aauth_verify_sf::b64::{
    decode_base64url, decode_sf_binary, decode_signature, encode_base64url, B64Error,
};
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

/// The lenient rules written out one character at a time: one alphabet per value (`+`/`/`
/// or, when `allow_url`, `-`/`_`), optional `=` padding that exactly completes the last group
/// (never with base64url), no length of 1 modulo 4, pad bits ignored.
fn lenient_model(raw: &[u8], allow_url: bool) -> Option<Vec<u8>> {
    const STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let has_std = raw.iter().any(|c| b"+/".contains(c));
    let has_url = raw.iter().any(|c| b"-_".contains(c));
    if has_url && (has_std || !allow_url) {
        return None;
    }
    let data_len = raw.iter().rposition(|&c| c != b'=').map_or(0, |i| i + 1);
    let (data, pad) = raw.split_at(data_len);
    let rem = data.len() % 4;
    if rem == 1 {
        return None;
    }
    if !pad.is_empty() && (has_url || rem == 0 || rem + pad.len() != 4) {
        return None;
    }
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for &c in data {
        let c = match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        };
        let v = STD.iter().position(|&s| s == c)? as u32;
        acc = (acc << 6 | v) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn signature(raw: &[u8], allow_url: bool) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; raw.len()];
    decode_signature(raw, &mut buf, allow_url)
        .ok()
        .map(|(b, _)| b.to_vec())
}

fn sf_binary(raw: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; raw.len()];
    decode_sf_binary(raw, &mut buf).ok().map(<[u8]>::to_vec)
}

type Encoder = for<'o> fn(&[u8], &'o mut [u8]) -> Result<&'o str, B64Error>;

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn lenient_decoders_follow_the_model(raw in prop::collection::vec(
        prop::sample::select(&b"AQgw_-zZ09+/==.aB \x00\xff"[..]), 0..40)) {
        prop_assert_eq!(signature(&raw, true), lenient_model(&raw, true));
        prop_assert_eq!(signature(&raw, false), lenient_model(&raw, false));
        prop_assert_eq!(sf_binary(&raw), lenient_model(&raw, false));
    }

    #[test]
    fn lenient_decoders_read_long_values(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let mut enc = [0u8; 200];
        let text = aauth_verify_sf::b64::encode_base64(&bytes, &mut enc).unwrap();
        prop_assert_eq!(signature(text.as_bytes(), false), Some(bytes.clone()));
        prop_assert_eq!(sf_binary(text.as_bytes()), Some(bytes.clone()));
        let url = encode_base64url(&bytes, &mut enc).unwrap().to_owned();
        prop_assert_eq!(signature(url.as_bytes(), true), Some(bytes.clone()));
    }

    #[test]
    fn encoders_write_what_base64ct_writes(
        bytes in prop::collection::vec(any::<u8>(), 0..100),
        slack in 0usize..3,
    ) {
        let mut ours_buf = [0u8; 200];
        let mut ref_buf = [0u8; 200];
        let url = encode_base64url(&bytes, &mut ours_buf).unwrap().to_owned();
        prop_assert_eq!(&url, Base64UrlUnpadded::encode(&bytes, &mut ref_buf).unwrap());
        let std = aauth_verify_sf::b64::encode_base64(&bytes, &mut ours_buf).unwrap().to_owned();
        prop_assert_eq!(&std, base64ct::Base64::encode(&bytes, &mut ref_buf).unwrap());
        // A buffer one byte short is refused; one of any larger size gets the same text.
        for (text, f) in [
            (&url, aauth_verify_sf::b64::encode_base64url as Encoder),
            (&std, aauth_verify_sf::b64::encode_base64),
        ] {
            if !text.is_empty() {
                prop_assert_eq!(
                    f(&bytes, &mut ours_buf[..text.len() - 1]),
                    Err(B64Error::BufferTooSmall)
                );
            }
            prop_assert_eq!(f(&bytes, &mut ours_buf[..text.len() + slack]).unwrap(), text.as_str());
        }
    }

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
