//! Minimal, allocation-free JSON helpers on top of `serde-json-core`.
//!
//! Without the `documents` feature only [`JsonStr`] remains (the JSON string escapes that
//! [`crate::Text`] decodes); nothing parses JSON.
//!
//! `serde-json-core` 0.7 hands string values and member names to visitors **in escaped form**
//! (`visit_borrowed_str` with the raw text between the quotes) when no unescape buffer is given
//! (`serde_json_core::from_slice`). [`JsonStr`] keeps that raw text and compares or decodes it
//! without allocating, so an escaped value (`"OK\u0050"`) is never compared in escaped form.
//!
//! Bounds. `serde-json-core` recurses once per nesting level and has no depth limit, so every
//! document goes through [`check_bounds`] first: it rejects inputs longer than the caller's
//! limit (see [`crate::jwk::MAX_JWK_LEN`], [`crate::jwk::MAX_JWKS_LEN`],
//! [`crate::metadata::MAX_METADATA_LEN`]) and nesting deeper than [`MAX_DEPTH`], in one linear
//! pass, before any parsing. Parsing is then linear in the input and its stack depth is bounded.
//!
//! Duplicates. Our object visitors match member names by their *decoded* value (so `"k\u0074y"`
//! is `kty`) and reject a member that appears twice; members we do not know are skipped as
//! [`Value`], whatever they contain (strings and names inside them are still checked).
//!
//! Why not `#[derive(Deserialize)]` for objects: serde-derive does reject a duplicate field, but
//! it matches member names on the raw (escaped) text, so `{"alg":"Ed25519","\u0061lg":"none"}`
//! passes as a single `alg` (the unit test `serde_derive_misses_escaped_names` pins this). Use
//! [`MembersSeed`] for string members, or write a visitor with [`member_index`] and
//! [`read_member`] (and `map.next_value::<u64>()`, [`StrList`], a nested seed for other types),
//! tracking duplicates yourself.
//!
//! Spec: RFC 8259 §4 (objects), §7 (strings); RFC 7517 §4 (JWK members).

use core::fmt;

#[cfg(feature = "documents")]
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The deepest nesting of arrays and objects that [`check_bounds`] accepts.
///
/// A JWKS needs 3 levels (`{"keys":[{…}]}`); 16 leaves room for nested unknown members while
/// keeping `serde-json-core`'s recursion (one set of stack frames per level) small.
///
/// Spec: RFC 8259 §9 (implementations may limit nesting depth).
#[cfg(feature = "documents")]
pub const MAX_DEPTH: usize = 16;

/// Why a JSON document was refused.
///
/// Spec: RFC 8259 §9 (parsers may set limits on size and depth).
#[cfg(feature = "documents")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// The document is longer than the limit for its kind.
    TooLarge,
    /// Arrays/objects nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Not valid JSON, or not of the expected shape (including bad string escapes).
    Syntax,
}

#[cfg(feature = "documents")]
impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonError::TooLarge => "JSON document too large",
            JsonError::TooDeep => "JSON document nested too deeply",
            JsonError::Syntax => "malformed JSON document",
        })
    }
}

/// Checks the size and nesting bounds of a document before it is parsed.
///
/// Rejects `json.len() > max_len` ([`JsonError::TooLarge`]) and any point where more than
/// [`MAX_DEPTH`] arrays/objects are open ([`JsonError::TooDeep`]). Brackets inside strings are
/// not counted. Everything else (syntax, balance) is left to the parser. Runs in one pass over
/// the input, with no recursion.
///
/// Spec: RFC 8259 §9.
#[cfg(feature = "documents")]
pub fn check_bounds(json: &[u8], max_len: usize) -> Result<(), JsonError> {
    if json.len() > max_len {
        return Err(JsonError::TooLarge);
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(JsonError::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses one JSON value of type `T` after [`check_bounds`], with `serde-json-core` and **no**
/// unescape buffer (so [`JsonStr`] sees raw text). Trailing non-whitespace is an error.
///
/// Spec: RFC 8259 §2.
#[cfg(all(test, feature = "documents"))]
pub fn from_slice<'a, T: de::Deserialize<'a>>(
    json: &'a [u8],
    max_len: usize,
) -> Result<T, JsonError> {
    from_slice_seed(json, max_len, core::marker::PhantomData::<T>)
}

/// Like [`from_slice`], with a [`DeserializeSeed`] (to pass context into a visitor).
///
/// Spec: RFC 8259 §2.
#[cfg(feature = "documents")]
pub fn from_slice_seed<'a, S: DeserializeSeed<'a>>(
    json: &'a [u8],
    max_len: usize,
    seed: S,
) -> Result<S::Value, JsonError> {
    check_bounds(json, max_len)?;
    let mut de = serde_json_core::de::Deserializer::new(json, None);
    let value = seed.deserialize(&mut de).map_err(|_| JsonError::Syntax)?;
    de.end().map_err(|_| JsonError::Syntax)?;
    Ok(value)
}

/// A JSON string as it appears between the quotes, escapes kept (borrowed, no allocation).
///
/// A `JsonStr` is always well formed: no raw control characters or unescaped `"`, and every
/// escape is one of `\" \\ \/ \b \f \n \r \t \uXXXX`, with UTF-16 surrogates correctly paired.
/// Comparisons ([`eq_str`](Self::eq_str), [`eq_bytes`](Self::eq_bytes), `==`) use the decoded
/// value. `Debug` shows the raw text.
///
/// Deserialize it only with `serde_json_core::from_slice` / [`from_slice`] (no unescape
/// buffer): `serde-json-core` then passes the raw text through `visit_borrowed_str`. A
/// deserializer that hands over an owned or already-unescaped string is refused.
///
/// Spec: RFC 8259 §7.
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    raw: &'a str,
}

impl<'a> JsonStr<'a> {
    /// Wraps the raw text between the quotes of a JSON string, or `None` if it is not a valid
    /// JSON string body.
    ///
    /// Spec: RFC 8259 §7.
    pub fn from_raw(raw: &'a str) -> Option<JsonStr<'a>> {
        let b = raw.as_bytes();
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            match c {
                0x00..=0x1f | b'"' => return None,
                b'\\' => {
                    let (_, used) = parse_escape(b.get(i..)?)?;
                    i += used;
                }
                _ => i += 1,
            }
        }
        Some(JsonStr { raw })
    }

    /// The raw (escaped) text between the quotes.
    ///
    /// Spec: RFC 8259 §7.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the raw text contains any escape sequence.
    ///
    /// Spec: RFC 8259 §7.
    pub fn has_escapes(&self) -> bool {
        self.raw.as_bytes().contains(&b'\\')
    }

    /// The value, when it has no escapes (then raw text and value are the same).
    ///
    /// Spec: RFC 8259 §7.
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.has_escapes() {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The decoded value as UTF-8 bytes, one at a time.
    ///
    /// Spec: RFC 8259 §7.
    pub fn decoded(&self) -> Decoded<'a> {
        Decoded::over(self.raw.as_bytes())
    }

    /// Length in bytes of the decoded (UTF-8) value.
    ///
    /// Spec: RFC 8259 §7.
    pub fn decoded_len(&self) -> usize {
        self.decoded().count()
    }

    /// Whether the decoded value equals `s`.
    ///
    /// Spec: RFC 8259 §7 (escaped and literal characters are the same string).
    pub fn eq_str(&self, s: &str) -> bool {
        self.eq_bytes(s.as_bytes())
    }

    /// Whether the decoded value equals `bytes` (UTF-8 of the value), byte for byte.
    ///
    /// Spec: RFC 8259 §7, §8.3 (comparison after unescaping).
    pub fn eq_bytes(&self, bytes: &[u8]) -> bool {
        if !self.has_escapes() {
            return self.raw.as_bytes() == bytes;
        }
        let mut it = self.decoded();
        for &b in bytes {
            if it.next() != Some(b) {
                return false;
            }
        }
        it.next().is_none() && !it.bad
    }

    /// Decodes the value into `buf` and returns it, or `None` if it does not fit.
    ///
    /// Spec: RFC 8259 §7.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let mut it = self.decoded();
        let mut n = 0;
        for b in &mut it {
            *buf.get_mut(n)? = b;
            n += 1;
        }
        if it.bad {
            return None;
        }
        core::str::from_utf8(buf.get(..n)?).ok()
    }

    /// Whether the decoded value contains a control character: a byte below 0x20 (only
    /// reachable through an escape such as `\r` or `\u0000`) or DEL (0x7f, raw or escaped).
    ///
    /// Identity text handed to a host (a `kid`, `iss`, `sub`, a URL to fetch) must not carry
    /// one: hosts copy such values into HTTP header fields and log lines, where CR and LF split
    /// the message (request smuggling, log forgery).
    ///
    /// Spec: RFC 8259 §7 (escapes); RFC 9110 §5.5 (field values exclude CR, LF and NUL).
    pub fn has_control(&self) -> bool {
        let raw = self.raw.as_bytes();
        if raw.contains(&0x7f) {
            return true;
        }
        self.has_escapes() && self.decoded().any(|b| b < 0x20 || b == 0x7f)
    }

    /// The value as bytes: the raw text when it has no escapes, else decoded into `buf`.
    /// `None` if it needs decoding and does not fit.
    ///
    /// Spec: RFC 8259 §7.
    pub fn bytes_in<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        match self.as_plain() {
            Some(p) => Some(p.as_bytes()),
            None => self.decode_into(buf).map(str::as_bytes),
        }
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        let mut a = self.decoded();
        let mut b = other.decoded();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return !a.bad && !b.bad,
                (x, y) if x == y => {}
                _ => return false,
            }
        }
    }
}

impl Eq for JsonStr<'_> {}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonStr({:?})", self.raw)
    }
}

/// Iterator over the decoded UTF-8 bytes of a [`JsonStr`].
///
/// Spec: RFC 8259 §7.
#[derive(Clone, Debug)]
pub struct Decoded<'a> {
    rest: &'a [u8],
    pending: [u8; 4],
    plen: u8,
    ppos: u8,
    bad: bool,
}

impl<'a> Decoded<'a> {
    /// The decoded bytes of the raw text of a JSON string (validated when it was read).
    pub(crate) fn over(raw: &'a [u8]) -> Decoded<'a> {
        Decoded {
            rest: raw,
            pending: [0; 4],
            plen: 0,
            ppos: 0,
            bad: false,
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.ppos < self.plen {
            let b = self.pending.get(usize::from(self.ppos)).copied();
            self.ppos += 1;
            return b;
        }
        let (&b, rest) = self.rest.split_first()?;
        if b != b'\\' {
            self.rest = rest;
            return Some(b);
        }
        match parse_escape(self.rest) {
            Some((ch, used)) => {
                self.rest = self.rest.get(used..).unwrap_or(&[]);
                let enc = ch.encode_utf8(&mut self.pending);
                // `encode_utf8` returns at most 4 bytes.
                self.plen = enc.len() as u8;
                self.ppos = 1;
                self.pending.first().copied()
            }
            None => {
                self.bad = true;
                self.rest = &[];
                None
            }
        }
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    if s.len() != 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in s {
        let d = (c as char).to_digit(16)?;
        v = (v << 4) | d;
    }
    Some(v)
}

/// Parses the escape at the start of `s` (which begins with `\`): the character and the
/// number of input bytes used. `None` for an invalid escape or an unpaired surrogate.
fn parse_escape(s: &[u8]) -> Option<(char, usize)> {
    if s.first() != Some(&b'\\') {
        return None;
    }
    let ch = match *s.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(s.get(2..6)?)?;
            if (0xD800..0xDC00).contains(&hi) {
                if s.get(6..8)? != b"\\u" {
                    return None;
                }
                let lo = hex4(s.get(8..12)?)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Some((char::from_u32(cp)?, 12));
            }
            // A lone low surrogate is rejected by `from_u32`.
            return Some((char::from_u32(hi)?, 6));
        }
        _ => return None,
    };
    Some((ch, 2))
}

#[cfg(feature = "documents")]
struct JsonStrVisitor;

#[cfg(feature = "documents")]
impl<'de> Visitor<'de> for JsonStrVisitor {
    type Value = JsonStr<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        JsonStr::from_raw(v).ok_or_else(|| E::custom("invalid JSON string"))
    }
}

#[cfg(feature = "documents")]
impl<'de: 'a, 'a> de::Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(JsonStrVisitor)
    }
}

/// Any JSON value, keeping only strings: other values (numbers, booleans, `null`, arrays,
/// objects) are skipped and become [`Value::Other`]. Skipped arrays and objects are still
/// checked: every string and member name in them must be a valid [`JsonStr`] (numbers and
/// literals are only delimited, as `serde-json-core` does).
///
/// Uses `deserialize_ignored_any`, the one `serde-json-core` entry point that dispatches on the
/// next token, so a member of an unexpected type does not fail the whole document.
///
/// Spec: RFC 8259 §3.
#[cfg(feature = "documents")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string.
    Str(JsonStr<'a>),
    /// Any other value (skipped).
    Other,
}

#[cfg(feature = "documents")]
struct ValueVisitor;

#[cfg(feature = "documents")]
impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        JsonStrVisitor.visit_borrowed_str(v).map(Value::Str)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Value<'de>>()?.is_some() {}
        Ok(Value::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<JsonStr<'de>, Value<'de>>()?.is_some() {}
        Ok(Value::Other)
    }
}

#[cfg(feature = "documents")]
impl<'de: 'a, 'a> de::Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_ignored_any(ValueVisitor)
    }
}

/// One object member we look for, as recorded by an object visitor.
///
/// Spec: RFC 8259 §4; RFC 7517 §4.
#[cfg(feature = "documents")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Member<'a> {
    /// Not present.
    #[default]
    Absent,
    /// Present, a string.
    Str(JsonStr<'a>),
    /// Present, some other type.
    NotStr,
}

#[cfg(feature = "documents")]
impl<'a> Member<'a> {
    /// The string, if present and a string.
    ///
    /// Spec: RFC 8259 §4.
    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Member::Str(s) => Some(*s),
            _ => None,
        }
    }

    /// Whether the member is present (of any type).
    ///
    /// Spec: RFC 8259 §4.
    pub fn is_present(&self) -> bool {
        !matches!(self, Member::Absent)
    }
}

/// Reads the value of the current member into `slot`. Returns `false` (leaving `slot` as it
/// was) if `slot` was already filled: the member is a duplicate. The value is consumed either way.
///
/// Spec: RFC 8259 §4 (names SHOULD be unique; we refuse duplicates of the members we use).
#[cfg(feature = "documents")]
pub fn read_member<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Member<'de>,
) -> Result<bool, A::Error> {
    let v: Value<'de> = map.next_value()?;
    if slot.is_present() {
        return Ok(false);
    }
    *slot = match v {
        Value::Str(s) => Member::Str(s),
        Value::Other => Member::NotStr,
    };
    Ok(true)
}

/// The index of the first name in `names` equal to the decoded `key`.
///
/// Spec: RFC 8259 §4, §8.3.
#[cfg(feature = "documents")]
pub fn member_index(key: &JsonStr<'_>, names: &[&str]) -> Option<usize> {
    names.iter().position(|n| key.eq_str(n))
}

/// An object whose listed members are captured as strings (`N` names, matched by decoded
/// value); other members are skipped. Duplicates of listed members set `duplicate`.
///
/// Spec: RFC 8259 §4.
#[cfg(feature = "documents")]
#[derive(Clone, Copy, Debug)]
pub struct Members<'a, const N: usize> {
    /// The captured members, in the order of the names given.
    pub values: [Member<'a>; N],
    /// Whether a listed member appeared more than once.
    pub duplicate: bool,
}

/// A [`DeserializeSeed`] reading an object into [`Members`] for the given names. Anything that is
/// not an object is a type error.
///
/// Spec: RFC 8259 §4.
#[cfg(feature = "documents")]
#[derive(Clone, Copy, Debug)]
pub struct MembersSeed<'n, const N: usize> {
    /// Member names to capture.
    pub names: &'n [&'n str; N],
}

#[cfg(feature = "documents")]
impl<'de, const N: usize> Visitor<'de> for MembersSeed<'_, N> {
    type Value = Members<'de, N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Members {
            values: [Member::Absent; N],
            duplicate: false,
        };
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match member_index(&key, self.names).and_then(|i| out.values.get_mut(i)) {
                Some(slot) => {
                    if !read_member(&mut map, slot)? {
                        out.duplicate = true;
                    }
                }
                None => {
                    map.next_value::<Value<'de>>()?;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(feature = "documents")]
impl<'de, const N: usize> DeserializeSeed<'de> for MembersSeed<'_, N> {
    type Value = Members<'de, N>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

#[cfg(all(test, feature = "documents"))]
mod tests {
    use super::*;

    fn js(raw: &str) -> JsonStr<'_> {
        JsonStr::from_raw(raw).unwrap()
    }

    #[test]
    fn escapes_decode() {
        assert!(js("OK\\u0050").eq_str("OKP"));
        assert!(js("a\\\"b\\\\c\\/d").eq_str("a\"b\\c/d"));
        assert!(js("\\b\\f\\n\\r\\t").eq_str("\u{8}\u{c}\n\r\t"));
        assert!(js("\\u00e9").eq_str("é"));
        assert!(js("\\ud83d\\ude00").eq_str("😀"));
        assert!(js("😀").eq_str("😀"));
        assert!(!js("OK\\u0050").eq_str("OK\\u0050"));
        assert!(!js("OKP").eq_str("OK"));
        assert!(!js("OK").eq_str("OKP"));
        assert!(js("https:\\/\\/a.example").eq_str("https://a.example"));
        assert_eq!(js("https:\\/\\/a.example"), js("https://a.example"));
        assert_ne!(js("a"), js("b"));
        let mut buf = [0u8; 8];
        assert_eq!(js("x\\u0041y").decode_into(&mut buf), Some("xAy"));
        assert_eq!(js("0123456789").decode_into(&mut buf), None);
        assert_eq!(js("a\\nb").decoded_len(), 3);
        assert!(js("a\\nb").has_escapes());
        assert_eq!(js("ab").as_plain(), Some("ab"));
        assert_eq!(js("a\\nb").as_plain(), None);
    }

    #[test]
    fn control_characters_are_seen_after_unescaping() {
        for bad in [
            "x\\r\\nX-Admin: 1",
            "a\\u0000",
            "\\u001f",
            "\\t",
            "del\u{7f}",
            "\\u007f",
        ] {
            assert!(js(bad).has_control(), "{bad:?}");
        }
        for good in [
            "plain",
            "https:\\/\\/a.example",
            "\\u00e9",
            "\\u0020~",
            "\\u0080",
        ] {
            assert!(!js(good).has_control(), "{good:?}");
        }
    }

    #[test]
    fn invalid_strings_refused() {
        for bad in [
            "\\x",
            "\\",
            "a\\u12",
            "\\u12g4",
            "\\ud800",
            "\\udc00",
            "\\ud800\\u0041",
            "\\ud800x",
            "a\"b",
            "tab\there",
            "\\U0041",
        ] {
            assert!(JsonStr::from_raw(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(check_bounds(b"{}", 1), Err(JsonError::TooLarge));
        let mut deep = [b'['; 17];
        assert_eq!(check_bounds(&deep, 100), Err(JsonError::TooDeep));
        deep[16] = b']';
        assert_eq!(check_bounds(&deep, 100), Ok(()));
        // Brackets in strings do not count.
        assert_eq!(
            check_bounds(br#"{"a":"[[[[[[[[[[[[[[[[[[[[\"[[[["}"#, 100),
            Ok(())
        );
    }

    #[test]
    fn serde_derive_misses_escaped_names() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct S<'a> {
            #[serde(borrow)]
            alg: JsonStr<'a>,
        }
        // Plain duplicates are caught by serde-derive...
        assert!(from_slice::<S<'_>>(br#"{"alg":"a","alg":"b"}"#, 100).is_err());
        // ...escaped ones are not: the second name is an "unknown" member.
        let s: S<'_> = from_slice(br#"{"alg":"Ed25519","\u0061lg":"none"}"#, 100).unwrap();
        assert!(s.alg.eq_str("Ed25519"));
        // MembersSeed sees the duplicate.
        const NAMES: [&str; 1] = ["alg"];
        let m = from_slice_seed(
            br#"{"alg":"Ed25519","\u0061lg":"none"}"#,
            100,
            MembersSeed { names: &NAMES },
        );
        assert!(m.unwrap().duplicate);
    }

    #[test]
    fn members_seed() {
        const NAMES: [&str; 2] = ["a", "b"];
        let seed = MembersSeed { names: &NAMES };
        let m = from_slice_seed(br#"{"\u0061":"x","c":{"d":[1,2]},"b":5}"#, 100, seed).unwrap();
        assert!(m.values[0].as_str().unwrap().eq_str("x"));
        assert_eq!(m.values[1], Member::NotStr);
        assert!(!m.duplicate);
        let m = from_slice_seed(br#"{"a":"x","\u0061":"y"}"#, 100, seed).unwrap();
        assert!(m.duplicate);
        assert!(from_slice_seed(br#"{"a":"\x"}"#, 100, seed).is_err());
        assert!(from_slice_seed(br#"["a"]"#, 100, seed).is_err());
        assert!(from_slice_seed(br#"{"a":"x"} x"#, 100, seed).is_err());
    }
}
