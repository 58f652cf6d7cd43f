//! Canonical serialization (RFC 9651 §4.1) into a [`Sink`].

use super::parse::{is_key_char, is_key_start, is_token_char, lc_hex, Utf8};
use super::{
    BareItem, Decimal, Dictionary, Error, InnerList, Item, List, Member, Params, INTEGER_MAX,
    INTEGER_MIN,
};
use crate::b64::Lenient;
use crate::sink::Sink;

pub(super) const E_INT_RANGE: &str = "integer out of range";
pub(super) const E_DEC_RANGE: &str = "decimal out of range";
pub(super) const E_STR_SER_CHAR: &str = "string byte outside 0x20..=0x7E";
pub(super) const E_TOKEN_EMPTY: &str = "empty token";
pub(super) const E_TOKEN_START: &str = "token must start with ALPHA or '*'";
pub(super) const E_TOKEN_CHAR: &str = "invalid character in token";
pub(super) const E_KEY_SER: &str = "invalid key";

/// A sink that compares what is written with an expected text.
pub(super) struct CompareSink<'e> {
    expected: &'e [u8],
    pos: usize,
    ok: bool,
}

impl<'e> CompareSink<'e> {
    pub(super) fn new(expected: &'e [u8]) -> Self {
        CompareSink {
            expected,
            pos: 0,
            ok: true,
        }
    }

    /// Whether exactly `expected` was written.
    pub(super) fn matches(&self) -> bool {
        self.ok && self.pos == self.expected.len()
    }
}

impl Sink for CompareSink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        if !self.ok {
            return;
        }
        let end = self.pos.saturating_add(bytes.len());
        if self.expected.get(self.pos..end) == Some(bytes) {
            self.pos = end;
        } else {
            self.ok = false;
        }
    }
}

/// Writes the decimal digits of `v` (which may be any `u64`).
fn write_u64(v: u64, out: &mut impl Sink) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.write(buf.get(i..).unwrap_or(&[]));
}

/// Writes `v` in decimal without range checks.
fn write_i64(v: i64, out: &mut impl Sink) {
    if v < 0 {
        out.write(b"-");
    }
    write_u64(v.unsigned_abs(), out);
}

/// Writes a Decimal without range checks: integer part, `.`, 1–3 fractional digits with
/// trailing zeros removed.
fn write_decimal(d: Decimal, out: &mut impl Sink) {
    let t = d.thousandths;
    if t < 0 {
        out.write(b"-");
    }
    let a = t.unsigned_abs();
    write_u64(a / 1000, out);
    let f = (a % 1000) as u16;
    let digits = [
        b'0' + (f / 100) as u8,
        b'0' + (f / 10 % 10) as u8,
        b'0' + (f % 10) as u8,
    ];
    let n = if f.is_multiple_of(100) {
        1
    } else if f.is_multiple_of(10) {
        2
    } else {
        3
    };
    out.write(b".");
    out.write(digits.get(..n).unwrap_or(&[]));
}

/// Writes the canonical base64 (standard alphabet, padded) of the bytes `raw` decodes to.
/// Text that does not decode (only possible for hand-built items) is written unchanged.
fn write_byte_seq_content(raw: &[u8], out: &mut impl Sink) {
    match Lenient::check_signature(raw, true) {
        Ok((l, _)) => l.for_each_group(|bytes| write_b64_group(bytes, out)),
        Err(_) => out.write(raw),
    }
}

/// Encodes up to three bytes as one padded base64 group.
fn write_b64_group(bytes: &[u8], out: &mut impl Sink) {
    let mut buf = [0u8; 4];
    if let Ok(s) = crate::b64::encode_base64(bytes, &mut buf) {
        out.write(s.as_bytes());
    }
}

/// Writes one Display String byte in canonical form.
fn write_ds_byte(b: u8, out: &mut impl Sink) {
    if b == b'%' || b == b'"' || !(0x20..=0x7e).contains(&b) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        out.write(&[b'%', hi, lo]);
    } else {
        out.write(&[b]);
    }
}

/// Writes received Display String content canonically: decode percent-escapes, re-escape
/// only what must be escaped (`%`, `"`, controls, non-ASCII).
fn write_display_content(raw: &[u8], out: &mut impl Sink) {
    let mut i = raw.iter();
    while let Some(&c) = i.next() {
        if c == b'%' {
            let h = i.next().copied().and_then(lc_hex);
            let l = i.next().copied().and_then(lc_hex);
            if let (Some(h), Some(l)) = (h, l) {
                write_ds_byte(h << 4 | l, out);
            }
        } else {
            write_ds_byte(c, out);
        }
    }
}

/// Checks received-form Display String content (as [`BareItem::DisplayString`] holds it).
pub(super) fn check_display_raw(raw: &[u8]) -> Result<(), Error> {
    let mut utf8 = Utf8::default();
    let mut i = raw.iter().enumerate();
    while let Some((pos, &c)) = i.next() {
        let byte = match c {
            b'%' => {
                let h = i.next().and_then(|(_, &c)| lc_hex(c));
                let l = i.next().and_then(|(_, &c)| lc_hex(c));
                match (h, l) {
                    (Some(h), Some(l)) => h << 4 | l,
                    _ => {
                        return Err(Error {
                            pos,
                            what: super::parse::E_DS_ESCAPE,
                        })
                    }
                }
            }
            b'"' => {
                return Err(Error {
                    pos,
                    what: super::parse::E_DS_CHAR,
                })
            }
            0x20..=0x7e => c,
            _ => {
                return Err(Error {
                    pos,
                    what: super::parse::E_DS_CHAR,
                })
            }
        };
        if !utf8.feed(byte) {
            return Err(Error {
                pos,
                what: super::parse::E_DS_UTF8,
            });
        }
    }
    if utf8.complete() {
        Ok(())
    } else {
        Err(Error {
            pos: raw.len(),
            what: super::parse::E_DS_UTF8,
        })
    }
}

/// Checks a token for serialization.
pub(super) fn check_token(t: &[u8]) -> Result<(), Error> {
    let Some((&first, rest)) = t.split_first() else {
        return Err(Error {
            pos: 0,
            what: E_TOKEN_EMPTY,
        });
    };
    if !(first.is_ascii_alphabetic() || first == b'*') {
        return Err(Error {
            pos: 0,
            what: E_TOKEN_START,
        });
    }
    match rest.iter().position(|&c| !is_token_char(c)) {
        Some(p) => Err(Error {
            pos: p + 1,
            what: E_TOKEN_CHAR,
        }),
        None => Ok(()),
    }
}

/// Serializes a bare item canonically.
///
/// Items from the parser are always valid. A hand-built item is written without checks (call
/// [`BareItem::validate`] first): out-of-range numbers are written as-is, a Token or Byte
/// Sequence that is not valid is written unchanged, and invalid Display String escapes are
/// dropped.
///
/// Spec: RFC 8941 §4.1.3 (RFC 9651 §4.1.3–§4.1.11).
pub fn serialize_bare_item(item: &BareItem<'_>, out: &mut impl Sink) {
    match *item {
        BareItem::Integer(i) => write_i64(i, out),
        BareItem::Decimal(d) => write_decimal(d, out),
        BareItem::String(s) => {
            out.write(b"\"");
            out.write(s.raw());
            out.write(b"\"");
        }
        BareItem::Token(t) => out.write(t),
        BareItem::ByteSeq(b) => {
            out.write(b":");
            write_byte_seq_content(b, out);
            out.write(b":");
        }
        BareItem::Boolean(b) => out.write(if b { b"?1" } else { b"?0" }),
        BareItem::Date(d) => {
            out.write(b"@");
            write_i64(d, out);
        }
        BareItem::DisplayString(d) => {
            out.write(b"%\"");
            write_display_content(d, out);
            out.write(b"\"");
        }
    }
}

/// A tiny set over key hashes (256 bits): a cheap first pass that proves, in the common case,
/// that a sequence of keys has no duplicates.
fn keys_possibly_duplicated<'k>(keys: impl Iterator<Item = &'k [u8]>) -> bool {
    let mut bits = [0u64; 4];
    for k in keys {
        // FNV-1a, 64-bit.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in k {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let word = (h >> 62) as usize;
        let bit = 1u64 << (h & 63);
        if let Some(w) = bits.get_mut(word) {
            if *w & bit != 0 {
                return true;
            }
            *w |= bit;
        }
    }
    false
}

fn write_param(key: &[u8], value: &BareItem<'_>, out: &mut impl Sink) {
    out.write(b";");
    out.write(key);
    if *value != BareItem::Boolean(true) {
        out.write(b"=");
        serialize_bare_item(value, out);
    }
}

/// Serializes parameters canonically: `;key=value`, Boolean true as bare `;key`.
///
/// Duplicate keys are collapsed as the parser's map semantics require: each key appears once,
/// at its first position, with its last value. When no duplicates are possible (checked with a
/// fixed 256-bit hash set) this is a single pass; otherwise each parameter is compared with the
/// others, which costs O(m·n) for m parameters in n bytes. An attacker can force that path
/// (keys chosen to collide, plus one duplicate): about 50 ms for 1500 parameters in 8 KiB
/// (release build). Callers serializing untrusted input should bound the field length, or
/// reject duplicate keys, first.
///
/// Spec: RFC 8941 §4.1.1.2, §4.2.3.2 step 2.6.
pub fn serialize_params(p: &Params<'_>, out: &mut impl Sink) {
    if p.is_empty() {
        return;
    }
    if !keys_possibly_duplicated(p.iter().map(|(k, _)| k)) {
        for (k, v) in p.iter() {
            write_param(k, &v, out);
        }
        return;
    }
    for (i, (k, _)) in p.iter().enumerate() {
        if p.iter().take(i).any(|(k2, _)| k2 == k) {
            continue;
        }
        if let Some(v) = p.get(k) {
            write_param(k, &v, out);
        }
    }
}

/// Serializes an Item: bare item then parameters.
///
/// Spec: RFC 8941 §4.1.3.
pub fn serialize_item(i: &Item<'_>, out: &mut impl Sink) {
    serialize_bare_item(&i.value, out);
    serialize_params(&i.params, out);
}

/// Serializes an Inner List: `(`, items separated by one SP, `)`, parameters.
///
/// Spec: RFC 8941 §4.1.1.1.
pub fn serialize_inner_list(l: &InnerList<'_>, out: &mut impl Sink) {
    out.write(b"(");
    for (n, item) in l.items().enumerate() {
        if n > 0 {
            out.write(b" ");
        }
        serialize_item(&item, out);
    }
    out.write(b")");
    serialize_params(&l.params(), out);
}

/// Serializes a List or Dictionary member value (Item or Inner List).
///
/// Spec: RFC 8941 §4.1.1, §4.1.2.
pub fn serialize_member(m: &Member<'_>, out: &mut impl Sink) {
    match m {
        Member::Item(i) => serialize_item(i, out),
        Member::InnerList(l) => serialize_inner_list(l, out),
    }
}

fn write_dict_member(key: &[u8], m: &Member<'_>, out: &mut impl Sink) {
    out.write(key);
    match m {
        Member::Item(i) if i.value == BareItem::Boolean(true) => serialize_params(&i.params, out),
        _ => {
            out.write(b"=");
            serialize_member(m, out);
        }
    }
}

/// Serializes a Dictionary: members separated by `, `; a member whose value is Boolean true
/// is written as its bare key (with parameters).
///
/// Duplicate keys are collapsed as RFC 8941 §4.2.2 requires (first position, last value). When
/// no duplicates are possible (checked with a fixed 256-bit hash set) this is a single pass;
/// otherwise each member is compared with the others, costing O(m·n) for m members in n bytes
/// (an attacker can force this: about 130 ms for 1500 members in 8 KiB, release build; bound
/// untrusted input first). Exact first-position/last-value collapsing in linear time would need
/// memory proportional to the member count, which this allocation-free crate does not have.
/// An empty dictionary writes nothing (the field should then be omitted).
///
/// Spec: RFC 8941 §4.1.2, §4.2.2.
pub fn serialize_dictionary(d: &Dictionary<'_>, out: &mut impl Sink) {
    let dup = keys_possibly_duplicated(d.keys());
    let mut first = true;
    for (i, (k, m)) in d.iter().enumerate() {
        let m = if dup {
            if d.keys().take(i).any(|k2| k2 == k) {
                continue;
            }
            d.get(k).unwrap_or(m)
        } else {
            m
        };
        if !first {
            out.write(b", ");
        }
        first = false;
        write_dict_member(k, &m, out);
    }
}

/// Serializes a List: members separated by `, `. An empty list writes nothing.
///
/// Spec: RFC 8941 §4.1.1.
pub fn serialize_list(l: &List<'_>, out: &mut impl Sink) {
    for (n, m) in l.iter().enumerate() {
        if n > 0 {
            out.write(b", ");
        }
        serialize_member(&m, out);
    }
}

/// Serializes an Integer; fails outside `INTEGER_MIN..=INTEGER_MAX`.
///
/// Spec: RFC 8941 §4.1.4.
pub fn serialize_integer(i: i64, out: &mut impl Sink) -> Result<(), Error> {
    if !(INTEGER_MIN..=INTEGER_MAX).contains(&i) {
        return Err(Error {
            pos: 0,
            what: E_INT_RANGE,
        });
    }
    write_i64(i, out);
    Ok(())
}

/// Serializes a Decimal; fails when the integer part has more than 12 digits. (Rounding to
/// three fractional digits, RFC 8941 §4.1.5 step 2, is the caller's job: a [`Decimal`] is
/// already exact in thousandths.)
///
/// Spec: RFC 8941 §4.1.5.
pub fn serialize_decimal(d: Decimal, out: &mut impl Sink) -> Result<(), Error> {
    if !(INTEGER_MIN..=INTEGER_MAX).contains(&d.thousandths) {
        return Err(Error {
            pos: 0,
            what: E_DEC_RANGE,
        });
    }
    write_decimal(d, out);
    Ok(())
}

/// Serializes raw bytes as a String: quoted, with `"` and `\` escaped. Fails (writing
/// nothing) on any byte outside 0x20..=0x7E; `pos` is its index.
///
/// Spec: RFC 8941 §4.1.6.
pub fn serialize_string(s: &[u8], out: &mut impl Sink) -> Result<(), Error> {
    if let Some(pos) = s.iter().position(|c| !(0x20..=0x7e).contains(c)) {
        return Err(Error {
            pos,
            what: E_STR_SER_CHAR,
        });
    }
    out.write(b"\"");
    for chunk in s.split_inclusive(|&c| c == b'"' || c == b'\\') {
        match chunk.split_last() {
            Some((&last, head)) if last == b'"' || last == b'\\' => {
                out.write(head);
                out.write(&[b'\\', last]);
            }
            _ => out.write(chunk),
        }
    }
    out.write(b"\"");
    Ok(())
}

/// Serializes a Token; fails (writing nothing) unless `t` matches
/// `( ALPHA / "*" ) *( tchar / ":" / "/" )`.
///
/// Spec: RFC 8941 §4.1.7.
pub fn serialize_token(t: &[u8], out: &mut impl Sink) -> Result<(), Error> {
    check_token(t)?;
    out.write(t);
    Ok(())
}

/// Serializes a key (dictionary member name or parameter name); fails (writing nothing) on an
/// invalid key.
///
/// Spec: RFC 8941 §4.1.1.3.
pub fn serialize_key(k: &[u8], out: &mut impl Sink) -> Result<(), Error> {
    let bad = match k.split_first() {
        None => Some(0),
        Some((&c, _)) if !is_key_start(c) => Some(0),
        Some((_, rest)) => rest.iter().position(|&c| !is_key_char(c)).map(|p| p + 1),
    };
    match bad {
        Some(pos) => Err(Error {
            pos,
            what: E_KEY_SER,
        }),
        None => {
            out.write(k);
            Ok(())
        }
    }
}

/// Serializes arbitrary bytes as a Byte Sequence: `:` padded standard base64 `:`.
///
/// Spec: RFC 8941 §4.1.8.
pub fn serialize_byte_seq(bytes: &[u8], out: &mut impl Sink) {
    out.write(b":");
    for group in bytes.chunks(3) {
        write_b64_group(group, out);
    }
    out.write(b":");
}

/// Serializes a Boolean: `?1` or `?0`.
///
/// Spec: RFC 8941 §4.1.9.
pub fn serialize_boolean(b: bool, out: &mut impl Sink) {
    out.write(if b { b"?1" } else { b"?0" });
}

/// Serializes a Date (`@` and an Integer); fails outside the Integer range.
///
/// Spec: RFC 9651 §4.1.10.
pub fn serialize_date(d: i64, out: &mut impl Sink) -> Result<(), Error> {
    if !(INTEGER_MIN..=INTEGER_MAX).contains(&d) {
        return Err(Error {
            pos: 0,
            what: E_INT_RANGE,
        });
    }
    out.write(b"@");
    write_i64(d, out);
    Ok(())
}

/// Serializes Unicode text as a Display String: `%"`, then each UTF-8 byte, percent-encoded
/// (lowercase hex) when it is `%`, `"` or outside 0x20..=0x7E, then `"`.
///
/// Spec: RFC 9651 §4.1.11.
pub fn serialize_display_string(s: &str, out: &mut impl Sink) {
    out.write(b"%\"");
    for &b in s.as_bytes() {
        write_ds_byte(b, out);
    }
    out.write(b"\"");
}
