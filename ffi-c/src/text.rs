//! Byte strings and texts: `aauth_slice`, `aauth_text` (a value as it appears on the wire, with
//! the escapes it may contain) and `aauth_text_unescape`.

use aauth_verify_sf::sf::SfStr;
use core_verify::{Escapes, Text};

use crate::ptr::{bytes, copy_out, fill, try_ref};
use crate::result::aauth_result;

/// A borrowed byte string: `len` bytes at `data`, no NUL terminator needed.
///
/// Ownership: always the caller's (inputs) or the request's (outputs); this library never
/// frees or keeps a slice beyond the lifetime documented on each function. Where a slice is
/// optional, `data == NULL` (with `len == 0`) means "absent"; elsewhere `{NULL, 0}` is the
/// empty string. `data == NULL` with `len > 0` is `AAUTH_RESULT_NULL_PARAMETER`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_slice {
    /// The first byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl aauth_slice {
    /// The absent / empty slice `{NULL, 0}`.
    pub(crate) const NULL: aauth_slice = aauth_slice {
        data: core::ptr::null(),
        len: 0,
    };

    pub(crate) fn of(b: &[u8]) -> aauth_slice {
        aauth_slice {
            data: b.as_ptr(),
            len: b.len(),
        }
    }

    pub(crate) fn of_opt(b: Option<&[u8]>) -> aauth_slice {
        b.map_or(aauth_slice::NULL, aauth_slice::of)
    }
}

/// How an `aauth_text` is encoded (the values of `aauth_text.escapes`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_escapes {
    /// The bytes are the value.
    None = 0,
    /// The bytes contain Structured Field string escapes (`\"`, `\\`): a `Signature-Key` or
    /// `Signature-Input` parameter.
    Sf = 1,
    /// The bytes contain JSON string escapes (`\/`, `\u0041`, …): a JWT claim or header.
    Json = 2,
}

/// A borrowed text value: the bytes as they appear in their source (a header parameter or a
/// decoded JWT), and how they are escaped.
///
/// When `escapes` is `AAUTH_ESCAPES_NONE`, `data`/`len` is the value itself; otherwise copy
/// the value out with `aauth_text_unescape`. `data == NULL` means the value is absent. Every
/// text this library hands out is well formed and its value holds no control character.
///
/// Lifetime: texts from header parameters point into the caller's request memory. Texts from
/// a JWT (for the token schemes: the plan's `origin`, `dwk` and `kid`; the identity's `agent`,
/// `issuer`, `subject`, `kid`, `token_type`, `cache_jti`) point into the `aauth_verifier`
/// that produced them: valid until that verifier is parsed again, re-initialised, moved or
/// goes out of scope.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_text {
    /// The raw bytes (NULL when absent).
    pub data: *const u8,
    /// The number of raw bytes.
    pub len: usize,
    /// How the raw bytes are escaped: an `aauth_escapes` value (a `uint32_t`, so that a value
    /// from C outside the enumeration is refused, not trusted).
    pub escapes: u32,
}

impl aauth_text {
    /// The absent value.
    pub(crate) const ABSENT: aauth_text = aauth_text {
        data: core::ptr::null(),
        len: 0,
        escapes: aauth_escapes::None as u32,
    };

    /// The C view of a core text (absent for `None`).
    pub(crate) fn of(t: Option<Text<'_>>) -> aauth_text {
        match t {
            None => aauth_text::ABSENT,
            Some(t) => aauth_text {
                data: t.raw().as_ptr(),
                len: t.raw().len(),
                escapes: match t.escapes() {
                    Escapes::None => aauth_escapes::None,
                    Escapes::Sf => aauth_escapes::Sf,
                    Escapes::Json => aauth_escapes::Json,
                } as u32,
            },
        }
    }
}

/// The value of a JSON string body (the text between the quotes), unescaped into `buf`:
/// `Ok(n)`, `Err(InvalidParameter)` when `raw` is not a valid JSON string body (RFC 8259 §7:
/// no raw `"` or control character, only the defined escapes, surrogates in pairs), or
/// `Err(InsufficientSize)` (nothing reported) when the value does not fit.
///
/// The core keeps its JSON strings private and has no public constructor of a JSON `Text`
/// from raw bytes; this is the C layer's own decoder for texts the caller hands back. The unit
/// tests check it against the core's decoding of the same texts.
fn json_unescape(raw: &[u8], buf: &mut [u8]) -> Result<usize, aauth_result> {
    let bad = aauth_result::InvalidParameter;
    let hex4 = |s: Option<&[u8]>| -> Result<u32, aauth_result> {
        let s = s.ok_or(bad)?;
        let text = core::str::from_utf8(s).map_err(|_| bad)?;
        if s.len() != 4 || !s.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad);
        }
        u32::from_str_radix(text, 16).map_err(|_| bad)
    };
    let mut n = 0usize;
    let mut full = false;
    let mut i = 0usize;
    let mut put = |bytes: &[u8], n: &mut usize| {
        match buf.get_mut(*n..*n + bytes.len()) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => full = true,
        }
        *n += bytes.len();
    };
    while let Some(&c) = raw.get(i) {
        match c {
            0x00..=0x1f | b'"' => return Err(bad),
            b'\\' => {
                let (ch, used) = match raw.get(i + 1).ok_or(bad)? {
                    b'"' => ('"', 2),
                    b'\\' => ('\\', 2),
                    b'/' => ('/', 2),
                    b'b' => ('\u{8}', 2),
                    b'f' => ('\u{c}', 2),
                    b'n' => ('\n', 2),
                    b'r' => ('\r', 2),
                    b't' => ('\t', 2),
                    b'u' => {
                        let hi = hex4(raw.get(i + 2..i + 6))?;
                        if (0xD800..0xDC00).contains(&hi) {
                            if raw.get(i + 6..i + 8) != Some(b"\\u") {
                                return Err(bad);
                            }
                            let lo = hex4(raw.get(i + 8..i + 12))?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return Err(bad);
                            }
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            (char::from_u32(cp).ok_or(bad)?, 12)
                        } else {
                            // A lone low surrogate is not a char.
                            (char::from_u32(hi).ok_or(bad)?, 6)
                        }
                    }
                    _ => return Err(bad),
                };
                let mut utf8 = [0u8; 4];
                put(ch.encode_utf8(&mut utf8).as_bytes(), &mut n);
                i += used;
            }
            _ => {
                put(&[c], &mut n);
                i += 1;
            }
        }
    }
    if full {
        Err(aauth_result::InsufficientSize)
    } else {
        Ok(n)
    }
}

/// Copies the value of `text` into `buf` with its escapes removed (Structured Field `\"` and
/// `\\`, or JSON string escapes, as `text->escapes` says), and sets `*out_n` to its length
/// (not NUL-terminated). An absent text copies 0 bytes. The value is never longer than
/// `text->len`.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` for an `escapes` value that is not an
/// `aauth_escapes`, or bytes that are not valid for it (a lone backslash, a raw quote or
/// control byte, a bad `\u` escape); `AAUTH_RESULT_INSUFFICIENT_SIZE` (`*out_n` not written;
/// the buffer's contents unspecified) when `buf` is too small. Never allocates.
///
/// Spec: RFC 9651 §3.3.3 (sf-string escapes); RFC 8259 §7 (JSON string escapes).
///
/// # Safety
///
/// `text` NULL or readable, with its bytes readable for `text->len`; `buf` writable for
/// `buf_len` bytes (may be NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_text_unescape(
    text: *const aauth_text,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract; every field of `aauth_text` is valid for any bit pattern.
        let t = tri!(unsafe { try_ref(text) });
        // SAFETY: our contract.
        let raw = tri!(unsafe { bytes(t.data, t.len) });
        let write = |buf: &mut [u8]| match t.escapes {
            e if e == aauth_escapes::None as u32 => copy_out(raw, buf),
            e if e == aauth_escapes::Sf as u32 => SfStr::from_raw(raw)
                .ok_or(aauth_result::InvalidParameter)?
                .unescape_into(buf)
                .map(<[u8]>::len)
                .ok_or(aauth_result::InsufficientSize),
            e if e == aauth_escapes::Json as u32 => json_unescape(raw, buf),
            _ => Err(aauth_result::InvalidParameter),
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON-escaped core `Text` over `raw`, obtained the only public way (a metadata
    /// document's `jwks_uri`).
    fn core_json(raw: &str, doc: &mut String) -> Option<Vec<u8>> {
        *doc = format!(r#"{{"issuer":"x","jwks_uri":"{raw}"}}"#);
        let t = core_verify::check_issuer(doc.as_bytes(), b"x", false).ok()?;
        let mut out = vec![0u8; raw.len()];
        let n = t.decode_into(&mut out)?.len();
        out.truncate(n);
        Some(out)
    }

    #[test]
    fn json_unescape_agrees_with_the_core() {
        let mut doc = String::new();
        for raw in [
            r"plain",
            r"https:\/\/a\u002eexample",
            r#"q\"b\\s"#,
            r"\u00e9\u4e2d\ud83d\ude00",
            r"tab\tx",
            r"\ud83d",
            r"\ude00",
            r"\u12",
            r"\x",
            "trailing\\",
            "",
        ] {
            let mut buf = [0u8; 64];
            let ours = json_unescape(raw.as_bytes(), &mut buf)
                .ok()
                .map(|n| buf[..n].to_vec());
            // The core refuses control characters in a jwks_uri, so compare only the others.
            let core = core_json(raw, &mut doc);
            if raw.contains("\\t") {
                assert_eq!(ours.as_deref(), Some(&b"tab\tx"[..]));
                continue;
            }
            assert_eq!(ours, core, "{raw:?}");
        }
        let mut small = [0u8; 3];
        assert_eq!(
            json_unescape(b"abcd", &mut small),
            Err(aauth_result::InsufficientSize)
        );
        assert_eq!(
            json_unescape(b"a\x01", &mut small),
            Err(aauth_result::InvalidParameter)
        );
    }

    #[test]
    fn unknown_escapes_are_refused() {
        let t = aauth_text {
            data: b"abc".as_ptr(),
            len: 3,
            escapes: 7,
        };
        let mut buf = [0u8; 8];
        let mut n = 99usize;
        // SAFETY: valid pointers.
        let r = unsafe { aauth_text_unescape(&t, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(r, aauth_result::InvalidParameter);
        assert_eq!(n, 99);
    }
}
