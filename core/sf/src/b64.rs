//! Base64 decoders and encoders for the three places the protocol uses base64:
//!
//! * sf-binary (Byte Sequence content, RFC 8941 §4.2.7): standard alphabet, padding optional,
//!   non-zero pad bits tolerated ([`decode_sf_binary`]);
//! * `Signature` values, which the Python signer writes as unpadded base64url between the colons
//!   ([`decode_signature`], the one sanctioned compatibility path);
//! * JWK members and JWT parts: strict unpadded base64url ([`decode_base64url`]).
//!
//! Nothing here allocates. Every decoder and encoder is hand-written and table-driven: the
//! lenient decoders because base64ct rejects missing padding and non-zero pad bits, the strict
//! decoder and the encoders for size (they handle public data only, so they need not be
//! constant-time like base64ct's). Property tests pin the strict decoder's accept set and the
//! encoders' output to base64ct's.
//!
//! Spec: RFC 4648 §4, §5; RFC 8941 §4.2.7 (RFC 9651 §4.2.7).

/// Why a base64 decode or encode failed.
///
/// Spec: RFC 4648 §4, §5; RFC 8941 §4.2.7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum B64Error {
    /// The text is not valid base64 under the rules of the decoder that was called.
    InvalidEncoding,
    /// The output buffer is too small for the result.
    BufferTooSmall,
}

impl core::fmt::Display for B64Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            B64Error::InvalidEncoding => "invalid base64 encoding",
            B64Error::BufferTooSmall => "output buffer too small",
        })
    }
}

impl core::error::Error for B64Error {}

/// Which alphabet a `Signature` value used.
///
/// Spec: RFC 4648 §4 (base64), §5 (base64url); RFC 9421 §4.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigEncoding {
    /// Standard alphabet (`+`, `/`), padded or not. Also reported for values that contain none
    /// of `+ / - _` (they decode identically under both alphabets).
    Base64,
    /// Unpadded base64url (`-`, `_`), as written by the Python `aauth-signing` package.
    Base64Url,
}

/// Flag in [`SEXTETS`]: the character is `+` or `/` (standard alphabet only).
const STD_ONLY: u8 = 0x40;
/// Flag in [`SEXTETS`]: the character is `-` or `_` (URL alphabet only).
const URL_ONLY: u8 = 0x80;
/// Both flags: the character belongs to neither alphabet.
const NOT_B64: u8 = STD_ONLY | URL_ONLY;

/// Sextet values of both base64 alphabets in one table: the low 6 bits are the value, and the
/// two high bits say which alphabet a character is limited to ([`STD_ONLY`], [`URL_ONLY`];
/// [`NOT_B64`] for every other byte, `=` included).
// Evaluated at compile time: an out-of-bounds index would be a build error, never a panic.
#[allow(clippy::indexing_slicing)]
const SEXTETS: [u8; 256] = {
    let mut t = [NOT_B64; 256];
    let mut i = 0u8;
    while i < 62 {
        let c = match i {
            0..=25 => b'A' + i,
            26..=51 => b'a' + (i - 26),
            _ => b'0' + (i - 52),
        };
        t[c as usize] = i;
        i += 1;
    }
    t[b'+' as usize] = 62 | STD_ONLY;
    t[b'/' as usize] = 63 | STD_ONLY;
    t[b'-' as usize] = 62 | URL_ONLY;
    t[b'_' as usize] = 63 | URL_ONLY;
    t
};

/// The [`SEXTETS`] entry of `c`.
fn sextet_entry(c: u8) -> u8 {
    SEXTETS.get(usize::from(c)).copied().unwrap_or(NOT_B64)
}

/// The union of the alphabet flags of every character of `data` (one pass, no early exit).
fn alphabet_flags(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |acc, &c| acc | sextet_entry(c)) & NOT_B64
}

/// Base64 text that passed a lenient check: `data` holds the characters before any padding, all
/// in one alphabet, and its length is not 1 modulo 4. Pad bits are ignored when decoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lenient<'a> {
    data: &'a [u8],
}

impl<'a> Lenient<'a> {
    /// Splits off the trailing `=` padding of `raw`: either none, or (only if `allow_pad`)
    /// exactly the padding that completes the last 4-character group.
    fn split_pad(raw: &'a [u8], allow_pad: bool) -> Result<&'a [u8], B64Error> {
        let data_len = raw.iter().rposition(|&c| c != b'=').map_or(0, |i| i + 1);
        let (data, pad) = raw
            .split_at_checked(data_len)
            .ok_or(B64Error::InvalidEncoding)?;
        let rem = data.len() % 4;
        if rem == 1 {
            return Err(B64Error::InvalidEncoding);
        }
        if !pad.is_empty() && (!allow_pad || rem == 0 || rem + pad.len() != 4) {
            return Err(B64Error::InvalidEncoding);
        }
        Ok(data)
    }

    /// Checks `raw` as sf-binary: characters from the standard alphabet, then either no
    /// padding or exactly the padding that completes the last 4-character group.
    pub(crate) fn check_standard(raw: &'a [u8]) -> Result<Self, B64Error> {
        let data = Self::split_pad(raw, true)?;
        if alphabet_flags(data) & URL_ONLY != 0 {
            return Err(B64Error::InvalidEncoding);
        }
        Ok(Lenient { data })
    }

    /// Checks a value under the `Signature` rules (see [`decode_signature`]).
    pub(crate) fn check_signature(
        raw: &'a [u8],
        allow_base64url: bool,
    ) -> Result<(Self, SigEncoding), B64Error> {
        // One pass over the whole value: padding characters count as `NOT_B64`, so padded
        // text is split first and only the data is classified.
        let data = Self::split_pad(raw, true)?;
        let padded = data.len() != raw.len();
        match alphabet_flags(data) {
            0 | STD_ONLY => Ok((Lenient { data }, SigEncoding::Base64)),
            URL_ONLY if allow_base64url && !padded => {
                Ok((Lenient { data }, SigEncoding::Base64Url))
            }
            _ => Err(B64Error::InvalidEncoding),
        }
    }

    /// The number of decoded bytes.
    pub(crate) fn decoded_len(&self) -> usize {
        let full = self.data.len() / 4 * 3;
        match self.data.len() % 4 {
            2 => full + 1,
            3 => full + 2,
            _ => full,
        }
    }

    /// Calls `f` with the decoded bytes of each 4-character group (3 bytes, fewer for the last
    /// group), in order.
    pub(crate) fn for_each_group(&self, mut f: impl FnMut(&[u8])) {
        for chunk in self.data.chunks(4) {
            let bytes = group(chunk);
            let n = chunk.len().saturating_sub(1);
            if let Some(b) = bytes.get(..n) {
                f(b);
            }
        }
    }

    /// Decodes into `out`.
    pub(crate) fn decode_into<'o>(&self, out: &'o mut [u8]) -> Result<&'o [u8], B64Error> {
        let len = self.decoded_len();
        let dst = out.get_mut(..len).ok_or(B64Error::BufferTooSmall)?;
        let chunks = self.data.chunks_exact(4);
        let rest = chunks.remainder();
        let mut o = dst.chunks_exact_mut(3);
        for (chunk, d) in chunks.zip(&mut o) {
            d.copy_from_slice(&group(chunk));
        }
        let tail = o.into_remainder();
        if let Some(bytes) = group(rest).get(..tail.len()) {
            tail.copy_from_slice(bytes);
        }
        Ok(dst)
    }
}

/// The 3 bytes a group of up to 4 checked characters encodes (missing characters count as 0,
/// pad bits are kept and later dropped by the caller).
fn group(chunk: &[u8]) -> [u8; 3] {
    let mut acc: u32 = 0;
    for (i, &c) in chunk.iter().take(4).enumerate() {
        acc |= u32::from(sextet_entry(c) & 0x3F) << (18 - 6 * i);
    }
    [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]
}

/// Decodes sf-binary content (the text between the colons of a Byte Sequence).
///
/// Standard alphabet only. `=` padding is optional, but when present it must be exactly the
/// padding that completes the last group (`aGk=` and `aGk` are accepted, `aGk==`, `=aGk` and
/// `a=Gk` are not). Non-zero pad bits are ignored (`iZ==` decodes like `iQ==`). A length of 1
/// modulo 4 (after removing padding) is invalid.
///
/// Spec: RFC 8941 §4.2.7 (parsers SHOULD NOT fail on missing padding or non-zero pad bits);
/// RFC 4648 §4.
pub fn decode_sf_binary<'o>(raw: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], B64Error> {
    Lenient::check_standard(raw)?.decode_into(out)
}

/// The length [`decode_sf_binary`] would produce for `raw`, or the reason it would fail
/// (never [`B64Error::BufferTooSmall`]). Useful to size a buffer.
///
/// Spec: RFC 8941 §4.2.7; RFC 4648 §4.
pub fn sf_binary_decoded_len(raw: &[u8]) -> Result<usize, B64Error> {
    Ok(Lenient::check_standard(raw)?.decoded_len())
}

/// Decodes a `Signature` dictionary value (the text between the colons).
///
/// Accepts standard base64, padded or not, with non-zero pad bits tolerated (as
/// [`decode_sf_binary`]); and, only when `allow_base64url` is true, **unpadded** base64url (pad
/// bits also tolerated). A value mixing `+`/`/` with `-`/`_` is rejected, and so is base64url
/// with `=` padding. Returns the decoded bytes and the alphabet that was used.
///
/// Spec: RFC 9421 §4.2 (Byte Sequence per RFC 8941 §3.3.5, §4.2.7); compatibility with
/// the Python signer, which writes unpadded base64url (ours: `Policy::base64url_signatures`);
/// RFC 4648 §4, §5.
pub fn decode_signature<'o>(
    raw: &[u8],
    out: &'o mut [u8],
    allow_base64url: bool,
) -> Result<(&'o [u8], SigEncoding), B64Error> {
    let (l, enc) = Lenient::check_signature(raw, allow_base64url)?;
    Ok((l.decode_into(out)?, enc))
}

/// Sextet values of the base64url alphabet; 0xFF marks every other byte.
// Evaluated at compile time: an out-of-bounds index would be a build error, never a panic.
#[allow(clippy::indexing_slicing)]
const URL_SEXTETS: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0u8;
    while i < 64 {
        let c = match i {
            0..=25 => b'A' + i,
            26..=51 => b'a' + (i - 26),
            52..=61 => b'0' + (i - 52),
            62 => b'-',
            _ => b'_',
        };
        t[c as usize] = i;
        i += 1;
    }
    t
};

fn url_sextet(c: u8) -> u32 {
    u32::from(URL_SEXTETS.get(usize::from(c)).copied().unwrap_or(0xFF))
}

/// Decodes strict unpadded base64url (JWK members, JWT parts): no `=` allowed, only the URL
/// alphabet, and non-zero trailing bits are rejected.
///
/// Table-driven and not constant-time: it decodes public data only (keys, tokens). Its accept
/// set equals `base64ct::Base64UrlUnpadded` (pinned by a property test).
///
/// Spec: RFC 7515 §2 (Base64url Encoding), RFC 4648 §5; RFC 7517 §6.
pub fn decode_base64url<'o>(raw: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], B64Error> {
    let tail = raw.len() % 4;
    if tail == 1 {
        return Err(B64Error::InvalidEncoding);
    }
    let need = raw.len() / 4 * 3 + tail.saturating_sub(1);
    let dst = out.get_mut(..need).ok_or(B64Error::BufferTooSmall)?;
    let mut bad = 0u32;
    let chunks = raw.chunks_exact(4);
    let rest = chunks.remainder();
    let mut o = dst.chunks_exact_mut(3);
    for (chunk, d) in chunks.zip(&mut o) {
        let (a, b, c, e) = match *chunk {
            [a, b, c, e] => (url_sextet(a), url_sextet(b), url_sextet(c), url_sextet(e)),
            _ => return Err(B64Error::InvalidEncoding),
        };
        bad |= (a | b | c | e) & 0xC0;
        let v = (a << 18) | (b << 12) | (c << 6) | e;
        d.copy_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    let last = o.into_remainder();
    match (rest, last) {
        ([], []) => {}
        (&[a, b], [x]) => {
            let (a, b) = (url_sextet(a), url_sextet(b));
            bad |= (a | b) & 0xC0;
            let v = (a << 6) | b;
            // The 4 low bits do not encode data and must be zero.
            bad |= v & 0x0F;
            *x = (v >> 4) as u8;
        }
        (&[a, b, c], [x, y]) => {
            let (a, b, c) = (url_sextet(a), url_sextet(b), url_sextet(c));
            bad |= (a | b | c) & 0xC0;
            let v = (a << 12) | (b << 6) | c;
            bad |= v & 0x03;
            *x = (v >> 10) as u8;
            *y = (v >> 2) as u8;
        }
        _ => return Err(B64Error::InvalidEncoding),
    }
    if bad != 0 {
        return Err(B64Error::InvalidEncoding);
    }
    Ok(dst)
}

/// The standard alphabet (RFC 4648 §4).
const STD_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The URL and filename safe alphabet (RFC 4648 §5).
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes `bytes` with `alphabet` into the start of `out`, with `=` padding when `pad`.
fn encode_with<'o>(
    bytes: &[u8],
    out: &'o mut [u8],
    alphabet: &[u8; 64],
    pad: bool,
) -> Result<&'o str, B64Error> {
    let tail = bytes.len() % 3;
    let len = bytes.len() / 3 * 4
        + match (tail, pad) {
            (0, _) => 0,
            (_, true) => 4,
            (t, false) => t + 1,
        };
    let dst = out.get_mut(..len).ok_or(B64Error::BufferTooSmall)?;
    for (group, chars) in bytes.chunks(3).zip(dst.chunks_mut(4)) {
        let byte = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let v = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for (i, c) in chars.iter_mut().enumerate() {
            // A group of n bytes encodes to n + 1 characters; the rest is padding.
            *c = if i <= group.len() {
                let sextet = (v >> (18 - 6 * i)) & 0x3F;
                alphabet.get(sextet as usize).copied().unwrap_or(b'A')
            } else {
                b'='
            };
        }
    }
    core::str::from_utf8(dst).map_err(|_| B64Error::InvalidEncoding)
}

/// Encodes `bytes` as unpadded base64url into `out`.
///
/// Spec: RFC 7515 §2, RFC 4648 §5.
pub fn encode_base64url<'o>(bytes: &[u8], out: &'o mut [u8]) -> Result<&'o str, B64Error> {
    encode_with(bytes, out, URL_ALPHABET, false)
}

/// Encodes `bytes` as padded standard base64 into `out` (the canonical sf-binary form).
///
/// Spec: RFC 8941 §4.1.8; RFC 4648 §4.
pub fn encode_base64<'o>(bytes: &[u8], out: &'o mut [u8]) -> Result<&'o str, B64Error> {
    encode_with(bytes, out, STD_ALPHABET, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sf(raw: &str) -> Result<([u8; 64], usize), B64Error> {
        let mut buf = [0u8; 64];
        let n = decode_sf_binary(raw.as_bytes(), &mut buf)?.len();
        Ok((buf, n))
    }

    fn sf_bytes(raw: &str) -> Result<heapless::Vec<u8, 64>, B64Error> {
        let (buf, n) = sf(raw)?;
        Ok(heapless::Vec::from_slice(&buf[..n]).unwrap())
    }

    #[test]
    fn sf_binary_padded_and_unpadded() {
        assert_eq!(sf_bytes("aGVsbG8=").unwrap(), b"hello"[..]);
        assert_eq!(sf_bytes("aGVsbG8").unwrap(), b"hello"[..]);
        assert_eq!(sf_bytes("aGk=").unwrap(), b"hi"[..]);
        assert_eq!(sf_bytes("aQ==").unwrap(), b"i"[..]);
        assert_eq!(sf_bytes("aQ").unwrap(), b"i"[..]);
        assert_eq!(sf_bytes("").unwrap(), b""[..]);
        assert_eq!(sf_bytes("/+Ah").unwrap(), [0xff, 0xe0, 0x21][..]);
    }

    #[test]
    fn sf_binary_nonzero_pad_bits_tolerated() {
        assert_eq!(sf_bytes("iZ==").unwrap(), sf_bytes("iQ==").unwrap());
        assert_eq!(sf_bytes("iZ").unwrap(), [0x89][..]);
        assert_eq!(sf_bytes("aGn=").unwrap(), b"hi"[..]);
    }

    #[test]
    fn sf_binary_rejects() {
        for bad in [
            "=aGk",
            "a=Gk",
            "aGk==",
            "aQ=",
            "aQ===",
            "a",
            "aGVsb",
            "====",
            "=",
            "aGVsbG8.",
            "_-Ah",
            "aGVs bG8=",
            "aGVsbG8=!",
        ] {
            assert_eq!(sf(bad).err(), Some(B64Error::InvalidEncoding), "{bad}");
        }
    }

    #[test]
    fn sf_binary_buffer_too_small() {
        let mut buf = [0u8; 4];
        assert_eq!(
            decode_sf_binary(b"aGVsbG8=", &mut buf),
            Err(B64Error::BufferTooSmall)
        );
        let mut buf = [0u8; 5];
        assert_eq!(decode_sf_binary(b"aGVsbG8=", &mut buf), Ok(&b"hello"[..]));
        assert_eq!(sf_binary_decoded_len(b"aGVsbG8"), Ok(5));
        assert_eq!(sf_binary_decoded_len(b"a"), Err(B64Error::InvalidEncoding));
    }

    #[test]
    fn signature_alphabets() {
        let mut buf = [0u8; 8];
        assert_eq!(
            decode_signature(b"/+Ah", &mut buf, false),
            Ok((&[0xff, 0xe0, 0x21][..], SigEncoding::Base64))
        );
        assert_eq!(
            decode_signature(b"_-Ah", &mut buf, true),
            Ok((&[0xff, 0xe0, 0x21][..], SigEncoding::Base64Url))
        );
        assert_eq!(
            decode_signature(b"_-Ah", &mut buf, false),
            Err(B64Error::InvalidEncoding)
        );
        // mixing alphabets
        assert_eq!(
            decode_signature(b"_+Ah", &mut buf, true),
            Err(B64Error::InvalidEncoding)
        );
        // base64url with padding
        assert_eq!(
            decode_signature(b"_w==", &mut buf, true),
            Err(B64Error::InvalidEncoding)
        );
        assert_eq!(
            decode_signature(b"_w", &mut buf, true),
            Ok((&[0xff][..], SigEncoding::Base64Url))
        );
        // standard, padded or not, lenient pad bits
        assert_eq!(
            decode_signature(b"iZ==", &mut buf, false),
            Ok((&[0x89][..], SigEncoding::Base64))
        );
        assert_eq!(
            decode_signature(b"iZ", &mut buf, true),
            Ok((&[0x89][..], SigEncoding::Base64))
        );
        assert_eq!(
            decode_signature(b"aGVsbG8gd29ybGQ=", &mut buf, true),
            Err(B64Error::BufferTooSmall)
        );
        assert_eq!(
            decode_signature(b"a", &mut buf, true),
            Err(B64Error::InvalidEncoding)
        );
    }

    #[test]
    fn strict_base64url() {
        let mut buf = [0u8; 8];
        assert_eq!(
            decode_base64url(b"_-Ah", &mut buf),
            Ok(&[0xff, 0xe0, 0x21][..])
        );
        assert_eq!(decode_base64url(b"aQ", &mut buf), Ok(&b"i"[..]));
        assert_eq!(decode_base64url(b"", &mut buf), Ok(&b""[..]));
        assert_eq!(
            decode_base64url(b"aQ==", &mut buf),
            Err(B64Error::InvalidEncoding)
        );
        assert_eq!(
            decode_base64url(b"aZ", &mut buf),
            Err(B64Error::InvalidEncoding)
        );
        assert_eq!(
            decode_base64url(b"/+Ah", &mut buf),
            Err(B64Error::InvalidEncoding)
        );
        assert_eq!(
            decode_base64url(b"a", &mut buf),
            Err(B64Error::InvalidEncoding)
        );
        assert_eq!(
            decode_base64url(b"aGVsbG8", &mut buf[..4]),
            Err(B64Error::BufferTooSmall)
        );
        assert_eq!(decode_base64url(b"aGVsbG8", &mut buf), Ok(&b"hello"[..]));
    }

    #[test]
    fn encoders() {
        let mut buf = [0u8; 8];
        assert_eq!(
            encode_base64(&[0xff, 0xe0, 0x21, 0x01], &mut buf),
            Ok("/+AhAQ==")
        );
        assert_eq!(
            encode_base64url(&[0xff, 0xe0, 0x21, 0x01], &mut buf),
            Ok("_-AhAQ")
        );
        assert_eq!(
            encode_base64(b"hello", &mut buf[..7]),
            Err(B64Error::BufferTooSmall)
        );
        assert_eq!(
            encode_base64url(b"hello", &mut buf[..6]),
            Err(B64Error::BufferTooSmall)
        );
    }
}
