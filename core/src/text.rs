//! [`Text`]: a borrowed string value as it appears on the wire, escapes and all, that decodes
//! without copying.
//!
//! Identity values come from two places: `Signature-Key` parameters (sf-strings with `\"` and
//! `\\` escapes, or the legacy inner-list syntax, which uses the same two) and JSON documents
//! (JWT claims and headers, with JSON escapes). One type carries both, so bindings read every
//! identity field the same way: the raw bytes plus which escapes they may contain
//! ([`Escapes`]), or the decoded value through [`Text::bytes`], [`Text::decode_into`] and the
//! comparisons.
//!
//! Every `Text` the crate hands out is well formed for its escapes, and its decoded value
//! holds no control character (the parsers refuse them: sf-strings are printable ASCII, and
//! JSON identity members are checked), so it can be copied into a header field or a log line.
//!
//! Spec: RFC 9651 §3.3.3 (sf-string); RFC 8259 §7 (JSON strings).

use crate::json::JsonStr;
use aauth_verify_sf::sf::SfStr;
use aauth_verify_sf::sink::Sink;

/// Which escapes the raw bytes of a [`Text`] may contain.
///
/// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Escapes {
    /// None: the raw bytes are the value.
    None = 0,
    /// Structured Field string escapes: `\"` and `\\`.
    Sf = 1,
    /// JSON string escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`).
    Json = 2,
}

/// A borrowed text value: raw bytes plus the escapes they may contain.
///
/// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'a> {
    raw: &'a [u8],
    escapes: Escapes,
}

impl<'a> Text<'a> {
    /// Text that contains no escapes (a token, or a plain string).
    ///
    /// Spec: RFC 9651 §3.3.4 (tokens).
    pub const fn plain(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            escapes: Escapes::None,
        }
    }

    /// Text from raw bytes a host hands back (for instance a value it copied out earlier),
    /// checked against `escapes`: for [`Escapes::Sf`] only `\"` and `\\` escapes and printable
    /// ASCII; for [`Escapes::Json`] UTF-8 with no raw `"` or control byte and only the defined
    /// escapes. `None` when the bytes are not valid for `escapes`.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn from_raw(raw: &'a [u8], escapes: Escapes) -> Option<Text<'a>> {
        match escapes {
            Escapes::None => Some(Text::plain(raw)),
            Escapes::Sf => SfStr::from_raw(raw).map(Text::from),
            Escapes::Json => core::str::from_utf8(raw)
                .ok()
                .and_then(JsonStr::from_raw)
                .map(Text::from),
        }
    }

    /// Text whose raw form may contain `\"` and `\\` escapes (validated by the caller).
    pub(crate) fn sf_escaped(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            escapes: if raw.contains(&b'\\') {
                Escapes::Sf
            } else {
                Escapes::None
            },
        }
    }

    /// The raw (still escaped) bytes.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Which escapes the raw bytes may contain ([`Escapes::None`] when there are none).
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub const fn escapes(&self) -> Escapes {
        self.escapes
    }

    /// Whether the raw form contains escapes.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub const fn has_escapes(&self) -> bool {
        !matches!(self.escapes, Escapes::None)
    }

    /// The value itself when it needs no unescaping.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn as_plain(&self) -> Option<&'a [u8]> {
        match self.escapes {
            Escapes::None => Some(self.raw),
            _ => None,
        }
    }

    /// The value as UTF-8 text when it needs no unescaping.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_plain().and_then(|b| core::str::from_utf8(b).ok())
    }

    /// The unescaped bytes (UTF-8 of the value), one by one.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn bytes(&self) -> TextBytes<'a> {
        match self.escapes {
            // Built only from a validated `JsonStr`.
            Escapes::Json => TextBytes::Json(crate::json::Decoded::over(self.raw)),
            Escapes::Sf => TextBytes::Sf {
                raw: self.raw,
                i: 0,
            },
            Escapes::None => TextBytes::Plain(self.raw.iter()),
        }
    }

    /// Number of unescaped bytes.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn len(&self) -> usize {
        match self.escapes {
            Escapes::None => self.raw.len(),
            _ => self.bytes().count(),
        }
    }

    /// Whether the value is empty.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Compares the unescaped value with `other`.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §8.3 (comparison after unescaping).
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        match self.escapes {
            Escapes::None => self.raw == other,
            _ => self.bytes().eq(other.iter().copied()),
        }
    }

    /// Compares two texts by their unescaped values.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §8.3.
    pub fn eq_text(&self, other: &Text<'_>) -> bool {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a == b,
            _ => self.bytes().eq(other.bytes()),
        }
    }

    /// Copies the unescaped value into `out`; `None` if it does not fit.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn decode_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        if let Some(p) = self.as_plain() {
            let dst = out.get_mut(..p.len())?;
            dst.copy_from_slice(p);
            return Some(dst);
        }
        let mut n = 0;
        for b in self.bytes() {
            *out.get_mut(n)? = b;
            n += 1;
        }
        out.get(..n)
    }

    /// The value: the raw bytes when they need no unescaping, else decoded into `buf` (`None`
    /// if it does not fit).
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn bytes_in<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        match self.as_plain() {
            Some(p) => Some(p),
            None => self.decode_into(buf),
        }
    }

    /// Writes the unescaped value into a sink.
    ///
    /// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
    pub fn write_to(&self, out: &mut impl Sink) {
        match self.as_plain() {
            Some(p) => out.write(p),
            None => {
                for b in self.bytes() {
                    out.write(&[b]);
                }
            }
        }
    }

    /// Whether the decoded value contains a control character (below 0x20, or DEL).
    #[cfg(any(feature = "tokens", test))]
    pub(crate) fn has_control(&self) -> bool {
        self.bytes().any(|b| b < 0x20 || b == 0x7f)
    }
}

impl<'a> From<SfStr<'a>> for Text<'a> {
    fn from(s: SfStr<'a>) -> Text<'a> {
        Text {
            raw: s.raw(),
            escapes: if s.has_escapes() {
                Escapes::Sf
            } else {
                Escapes::None
            },
        }
    }
}

impl<'a> From<JsonStr<'a>> for Text<'a> {
    fn from(s: JsonStr<'a>) -> Text<'a> {
        Text {
            raw: s.raw().as_bytes(),
            escapes: if s.has_escapes() {
                Escapes::Json
            } else {
                Escapes::None
            },
        }
    }
}

/// The unescaped bytes of a [`Text`].
///
/// Spec: RFC 9651 §3.3.3; RFC 8259 §7.
#[derive(Clone, Debug)]
pub enum TextBytes<'a> {
    /// No escapes.
    #[doc(hidden)]
    Plain(core::slice::Iter<'a, u8>),
    /// sf-string escapes.
    #[doc(hidden)]
    Sf {
        /// The raw bytes.
        raw: &'a [u8],
        /// The position in `raw`.
        i: usize,
    },
    /// JSON escapes.
    #[doc(hidden)]
    Json(crate::json::Decoded<'a>),
}

impl Iterator for TextBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        match self {
            TextBytes::Plain(it) => it.next().copied(),
            TextBytes::Sf { raw, i } => {
                let b = *raw.get(*i)?;
                if b == b'\\' {
                    *i += 2;
                    raw.get(*i - 1).copied()
                } else {
                    *i += 1;
                    Some(b)
                }
            }
            TextBytes::Json(d) => d.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_sf() {
        let t = Text::sf_escaped(br#"a\"b\\c"#);
        assert!(t.has_escapes());
        assert_eq!(t.escapes(), Escapes::Sf);
        assert!(t.eq_bytes(br#"a"b\c"#));
        assert!(!t.eq_bytes(br#"a"b\"#));
        assert!(!t.eq_bytes(br#"a"b\cd"#));
        assert_eq!(t.len(), 5);
        let mut buf = [0u8; 5];
        assert_eq!(t.decode_into(&mut buf), Some(&br#"a"b\c"#[..]));
        let mut small = [0u8; 4];
        assert_eq!(t.decode_into(&mut small), None);
        assert_eq!(t.as_plain(), None);
        assert!(t.eq_text(&Text::plain(br#"a"b\c"#)));
    }

    #[test]
    fn unescapes_json() {
        let j = JsonStr::from_raw(r"https:\/\/a\u002eexample").unwrap();
        let t = Text::from(j);
        assert_eq!(t.escapes(), Escapes::Json);
        assert!(t.eq_bytes(b"https://a.example"));
        assert!(t.eq_text(&Text::plain(b"https://a.example")));
        assert_eq!(t.len(), 17);
        assert!(!t.has_control());
        let ctl = Text::from(JsonStr::from_raw(r"x\r\ny").unwrap());
        assert!(ctl.has_control());
    }

    #[test]
    fn plain() {
        let t = Text::sf_escaped(b"abc");
        assert!(!t.has_escapes());
        assert_eq!(t.as_str(), Some("abc"));
        assert!(t.eq_bytes(b"abc"));
    }

    #[test]
    fn trailing_backslash_is_bounded() {
        // Not producible by the parsers, but must not panic.
        let t = Text::sf_escaped(b"ab\\");
        assert_eq!(t.bytes().count(), 2);
    }
}
