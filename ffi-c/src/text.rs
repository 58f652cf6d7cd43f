//! Byte strings and texts: `aauth_slice`, `aauth_text` (a value as it appears on the wire, with
//! the escapes it may contain) and `aauth_text_unescape`.

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
        let escapes = match t.escapes {
            e if e == aauth_escapes::None as u32 => Escapes::None,
            e if e == aauth_escapes::Sf as u32 => Escapes::Sf,
            e if e == aauth_escapes::Json as u32 => Escapes::Json,
            _ => return aauth_result::InvalidParameter,
        };
        // The core checks the bytes against their escapes and decodes them.
        let text = tri!(Text::from_raw(raw, escapes).ok_or(aauth_result::InvalidParameter));
        let write = |buf: &mut [u8]| match escapes {
            Escapes::None => copy_out(raw, buf),
            _ => text
                .decode_into(buf)
                .map(<[u8]>::len)
                .ok_or(aauth_result::InsufficientSize),
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(
        raw: &[u8],
        escapes: aauth_escapes,
        buf: &mut [u8],
    ) -> Result<Vec<u8>, aauth_result> {
        let t = aauth_text {
            data: raw.as_ptr(),
            len: raw.len(),
            escapes: escapes as u32,
        };
        let mut n = usize::MAX;
        // SAFETY: valid pointers and lengths.
        let r = unsafe { aauth_text_unescape(&t, buf.as_mut_ptr(), buf.len(), &mut n) };
        if r == aauth_result::Ok {
            Ok(buf[..n].to_vec())
        } else {
            assert_eq!(n, usize::MAX, "nothing reported on failure");
            Err(r)
        }
    }

    #[test]
    fn json_and_sf_texts_decode_or_are_refused() {
        let mut buf = [0u8; 64];
        for (raw, want) in [
            (&br"plain"[..], Some(&b"plain"[..])),
            (br"https:\/\/a\u002eexample", Some(b"https://a.example")),
            (br#"q\"b\\s"#, Some(br#"q"b\s"#)),
            (br"\u00e9\ud83d\ude00", Some("\u{e9}\u{1f600}".as_bytes())),
            (br"tab\tx", Some(b"tab\tx")),
            (br"\ud83d", None),
            (br"\u12", None),
            (br"\x", None),
            (b"trailing\\", None),
            (b"a\x01", None),
            (b"a\"b", None),
            (b"\xff", None),
            (b"", Some(b"")),
        ] {
            let got = unescape(raw, aauth_escapes::Json, &mut buf).ok();
            assert_eq!(got.as_deref(), want, "{:?}", String::from_utf8_lossy(raw));
        }
        assert_eq!(
            unescape(br#"a\"b"#, aauth_escapes::Sf, &mut buf).unwrap(),
            br#"a"b"#
        );
        assert_eq!(
            unescape(br"a\n", aauth_escapes::Sf, &mut buf),
            Err(aauth_result::InvalidParameter)
        );
        assert_eq!(
            unescape(b"a\x01\\", aauth_escapes::None, &mut buf).unwrap(),
            b"a\x01\\"
        );
        let mut small = [0u8; 3];
        for e in [aauth_escapes::None, aauth_escapes::Sf, aauth_escapes::Json] {
            assert_eq!(
                unescape(b"abcd", e, &mut small),
                Err(aauth_result::InsufficientSize)
            );
        }
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
