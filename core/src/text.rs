//! [`Text`]: a borrowed string value that may still contain Structured Field escapes.
//!
//! Signature-Key parameters arrive as sf-strings (`"…"` with `\"` and `\\` escapes) in the
//! current syntax, or as quoted strings/tokens in the legacy inner-list syntax. Both use the
//! same two escapes, so one type serves both without copying.
//!
//! Spec: RFC 8941 §3.3.3 (sf-string).

use crate::sf::SfStr;
use crate::sink::Sink;

/// A borrowed text value: raw bytes plus whether they contain `\"`/`\\` escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'a> {
    raw: &'a [u8],
    escaped: bool,
}

impl<'a> Text<'a> {
    /// Text that contains no escapes (a token, or a plain string).
    pub const fn plain(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            escaped: false,
        }
    }

    /// Text whose raw form may contain `\"` and `\\` escapes (validated by the caller).
    pub(crate) fn escaped(raw: &'a [u8]) -> Text<'a> {
        Text {
            raw,
            escaped: raw.contains(&b'\\'),
        }
    }

    /// The raw (still escaped) bytes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the raw form contains escapes.
    pub fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// The value itself when it needs no unescaping.
    pub fn as_plain(&self) -> Option<&'a [u8]> {
        if self.escaped {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The value as UTF-8 text when it needs no unescaping (it is always ASCII).
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_plain().and_then(|b| core::str::from_utf8(b).ok())
    }

    /// The unescaped bytes, one by one.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        let raw = self.raw;
        let escaped = self.escaped;
        let mut i = 0;
        core::iter::from_fn(move || {
            let b = *raw.get(i)?;
            if escaped && b == b'\\' {
                i += 2;
                raw.get(i - 1).copied()
            } else {
                i += 1;
                Some(b)
            }
        })
    }

    /// Number of unescaped bytes.
    pub fn len(&self) -> usize {
        if self.escaped {
            self.bytes().count()
        } else {
            self.raw.len()
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Compares the unescaped value with `other`.
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        if !self.escaped {
            return self.raw == other;
        }
        let mut it = self.bytes();
        for &b in other {
            if it.next() != Some(b) {
                return false;
            }
        }
        it.next().is_none()
    }

    /// Compares two texts by their unescaped values.
    pub fn eq_text(&self, other: &Text<'_>) -> bool {
        self.bytes().eq(other.bytes())
    }

    /// Copies the unescaped value into `out`; `None` if it does not fit.
    pub fn unescape_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let mut n = 0;
        for b in self.bytes() {
            *out.get_mut(n)? = b;
            n += 1;
        }
        out.get(..n)
    }

    /// Writes the unescaped value into a sink.
    pub fn write_to(&self, out: &mut impl Sink) {
        if !self.escaped {
            out.write(self.raw);
        } else {
            for b in self.bytes() {
                out.write(&[b]);
            }
        }
    }
}

impl<'a> From<SfStr<'a>> for Text<'a> {
    fn from(s: SfStr<'a>) -> Text<'a> {
        Text {
            raw: s.raw(),
            escaped: s.has_escapes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes() {
        let t = Text::escaped(br#"a\"b\\c"#);
        assert!(t.has_escapes());
        assert!(t.eq_bytes(br#"a"b\c"#));
        assert!(!t.eq_bytes(br#"a"b\"#));
        assert!(!t.eq_bytes(br#"a"b\cd"#));
        assert_eq!(t.len(), 5);
        let mut buf = [0u8; 5];
        assert_eq!(t.unescape_into(&mut buf), Some(&br#"a"b\c"#[..]));
        let mut small = [0u8; 4];
        assert_eq!(t.unescape_into(&mut small), None);
        assert_eq!(t.as_plain(), None);
        assert!(t.eq_text(&Text::plain(br#"a"b\c"#)));
    }

    #[test]
    fn plain() {
        let t = Text::escaped(b"abc");
        assert!(!t.has_escapes());
        assert_eq!(t.as_str(), Some("abc"));
        assert!(t.eq_bytes(b"abc"));
    }

    #[test]
    fn trailing_backslash_is_bounded() {
        // Not producible by the parsers, but must not panic.
        let t = Text::escaped(b"ab\\");
        assert_eq!(t.bytes().count(), 2);
    }
}
