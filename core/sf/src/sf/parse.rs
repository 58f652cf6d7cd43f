//! The grammar: one cursor type whose methods implement the RFC 9651 §4.2 parsing algorithms.
//!
//! The same methods validate a field once (top-level `parse_*` functions, errors propagated)
//! and later re-walk the validated text lazily (iterators, where an error can no longer happen
//! and would simply end the iteration). Every method consumes input monotonically and never
//! recurses, so all work is linear in the input length.

use super::{BareItem, Decimal, Error, InnerList, Item, Member, Options, Params, SfStr};
use crate::b64::Lenient;
use crate::swar;

pub(super) const E_EMPTY_ITEM: &str = "empty item";
pub(super) const E_ITEM_TRAILING: &str = "unexpected characters after item";
pub(super) const E_MEMBER_SEP: &str = "expected ',' after member";
pub(super) const E_TRAILING_COMMA: &str = "trailing comma";
pub(super) const E_KEY: &str = "expected key (lcalpha or '*')";
pub(super) const E_BARE_ITEM: &str = "expected a bare item";
pub(super) const E_DIGIT: &str = "expected a digit";
pub(super) const E_INT_LEN: &str = "integer has more than 15 digits";
pub(super) const E_DEC_INT_LEN: &str = "decimal has more than 12 integer digits";
pub(super) const E_DEC_FRAC_LEN: &str = "decimal has more than 3 fractional digits";
pub(super) const E_DEC_DOT: &str = "decimal ends with '.'";
pub(super) const E_STR_UNTERMINATED: &str = "unterminated string";
pub(super) const E_STR_ESCAPE: &str = "invalid escape in string";
pub(super) const E_STR_CHAR: &str = "invalid character in string";
pub(super) const E_BIN_UNTERMINATED: &str = "unterminated byte sequence";
pub(super) const E_BIN_CHAR: &str = "invalid character in byte sequence";
pub(super) const E_BIN_BASE64: &str = "invalid base64 in byte sequence";
pub(super) const E_BOOL: &str = "invalid boolean (expected ?0 or ?1)";
pub(super) const E_DATE_DECIMAL: &str = "date must be an integer";
pub(super) const E_DS_QUOTE: &str = "expected '\"' after '%'";
pub(super) const E_DS_ESCAPE: &str = "invalid percent-escape in display string";
pub(super) const E_DS_CHAR: &str = "invalid character in display string";
pub(super) const E_DS_UNTERMINATED: &str = "unterminated display string";
pub(super) const E_DS_UTF8: &str = "display string is not valid UTF-8";
pub(super) const E_IL_SEP: &str = "expected SP or ')' after inner list item";
pub(super) const E_IL_UNTERMINATED: &str = "unterminated inner list";

/// Character classes of the grammar, one table lookup per byte (bit flags in [`CLASSES`]).
const KEY_START: u8 = 1;
/// `key` characters after the first (RFC 9651 §4.2.3.3).
const KEY_CHAR: u8 = 2;
/// `tchar` (RFC 9110 §5.6.2).
const TCHAR: u8 = 4;
/// Token characters after the first: `tchar`, `:` and `/` (RFC 9651 §4.2.6).
const TOKEN_CHAR: u8 = 8;
/// Characters a Byte Sequence may hold: the standard base64 alphabet and `=` (§4.2.7).
const B64_CHAR: u8 = 16;
/// `-` and `_`, which a Byte Sequence holds only with [`Options::byteseq_base64url`].
const B64URL_CHAR: u8 = 32;

// Evaluated at compile time: an out-of-bounds index would be a build error, never a panic.
#[allow(clippy::indexing_slicing)]
const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let lower = b.is_ascii_lowercase();
        let alnum = b.is_ascii_alphanumeric();
        let tchar = alnum
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        let mut f = 0u8;
        if lower || b == b'*' {
            f |= KEY_START;
        }
        if lower || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*') {
            f |= KEY_CHAR;
        }
        if tchar {
            f |= TCHAR | TOKEN_CHAR;
        }
        if b == b':' || b == b'/' {
            f |= TOKEN_CHAR;
        }
        if alnum || matches!(b, b'+' | b'/' | b'=') {
            f |= B64_CHAR;
        }
        if b == b'-' || b == b'_' {
            f |= B64URL_CHAR;
        }
        t[c] = f;
        c += 1;
    }
    t
};

/// Whether `c` is in every class of `mask`.
fn is(c: u8, mask: u8) -> bool {
    CLASSES.get(usize::from(c)).copied().unwrap_or(0) & mask == mask
}

/// Whether `c` is in any class of `mask`.
fn is_any(c: u8, mask: u8) -> bool {
    CLASSES.get(usize::from(c)).copied().unwrap_or(0) & mask != 0
}

/// Length of the leading run of `s` whose bytes are in any class of `mask`.
fn run_of(s: &[u8], mask: u8) -> usize {
    s.iter().position(|&c| !is_any(c, mask)).unwrap_or(s.len())
}

/// Whether `c` may follow the first character of a key.
pub(super) fn is_key_char(c: u8) -> bool {
    is(c, KEY_CHAR)
}

/// Whether `c` may start a key.
pub(super) fn is_key_start(c: u8) -> bool {
    is(c, KEY_START)
}

/// Whether `c` may follow the first character of a token.
pub(super) fn is_token_char(c: u8) -> bool {
    is(c, TOKEN_CHAR)
}

/// Whether `s` (an inner list as parsed, parameters included) has the plain shape whose text
/// is its own canonical serialization: see `InnerList::quick_canonical_raw`.
pub(super) fn plainly_canonical_inner_list(s: &[u8]) -> bool {
    /// A String without escapes at `s[i]` (the opening quote): the index after it.
    fn string(s: &[u8], i: usize) -> Option<usize> {
        if s.get(i) != Some(&b'"') {
            return None;
        }
        let mut j = i + 1;
        loop {
            match *s.get(j)? {
                b'"' => return Some(j + 1),
                b'\\' => return None,
                0x20..=0x7e => j += 1,
                _ => return None,
            }
        }
    }
    /// Parameters from `s[i]`: the index after them.
    fn params(s: &[u8], mut i: usize) -> Option<usize> {
        let start = i;
        while s.get(i) == Some(&b';') {
            let k = i + 1;
            if !is_key_start(*s.get(k)?) {
                return None;
            }
            let mut e = k + 1;
            while s.get(e).is_some_and(|&c| is_key_char(c)) {
                e += 1;
            }
            let key = s.get(k..e)?;
            // No key twice: the serializer would collapse the duplicates.
            let mut p = start;
            while p < i {
                // `s[p]` is a `;` of an earlier parameter.
                let mut q = p + 1;
                while s.get(q).is_some_and(|&c| is_key_char(c)) {
                    q += 1;
                }
                if s.get(p + 1..q)? == key {
                    return None;
                }
                p = q;
                while p < i && s.get(p) != Some(&b';') {
                    if s.get(p) == Some(&b'"') {
                        p = string(s, p)?;
                    } else {
                        p += 1;
                    }
                }
            }
            i = e;
            if s.get(i) == Some(&b'=') {
                i += 1;
                match *s.get(i)? {
                    b'"' => i = string(s, i)?,
                    b'0' => i += 1,
                    b'1'..=b'9' => {
                        let d = s
                            .get(i..)?
                            .iter()
                            .take_while(|c| c.is_ascii_digit())
                            .count();
                        if d > 15 {
                            return None;
                        }
                        i += d;
                    }
                    c if c.is_ascii_alphabetic() || c == b'*' => {
                        i += 1;
                        while s.get(i).is_some_and(|&c| is_token_char(c)) {
                            i += 1;
                        }
                    }
                    _ => return None,
                }
                // A digit run must end the value (`01`, `1a` are not this shape).
                if s.get(i)
                    .is_some_and(|&c| c != b';' && c != b' ' && c != b')')
                {
                    return None;
                }
            }
        }
        Some(i)
    }
    let scan = || -> Option<usize> {
        if s.first() != Some(&b'(') {
            return None;
        }
        let mut i = 1;
        if s.get(i) != Some(&b')') {
            loop {
                i = string(s, i)?;
                i = params(s, i)?;
                match *s.get(i)? {
                    b' ' => i += 1,
                    b')' => break,
                    _ => return None,
                }
            }
        }
        params(s, i + 1)
    };
    scan() == Some(s.len())
}

/// Length of the leading run of plain String characters in `s`: up to `"`, `\\`, and (unless
/// `trusted`) anything outside `%x20-7E`; eight bytes at a time.
fn string_run(s: &[u8], trusted: bool) -> usize {
    if trusted {
        swar::scan(
            s,
            |v| swar::has_byte(v, b'"') | swar::has_byte(v, b'\\'),
            |b| b == b'"' || b == b'\\',
        )
    } else {
        swar::scan(
            s,
            |v| swar::has_byte(v, b'"') | swar::has_byte(v, b'\\') | swar::has_non_visible(v),
            |b| b == b'"' || b == b'\\' || !(0x20..=0x7e).contains(&b),
        )
    }
}

/// Value of a lowercase hex digit (the only hex Display Strings allow).
pub(super) fn lc_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// An incremental UTF-8 validator (RFC 3629 §4: no overlongs, no surrogates, ≤ U+10FFFF).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Utf8 {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8 {
    /// Feeds one byte; false when the sequence so far cannot be valid UTF-8.
    pub(super) fn feed(&mut self, b: u8) -> bool {
        if self.need == 0 {
            let (need, lo, hi) = match b {
                0x00..=0x7f => return true,
                0xc2..=0xdf => (1, 0x80, 0xbf),
                0xe0 => (2, 0xa0, 0xbf),
                0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
                0xed => (2, 0x80, 0x9f),
                0xf0 => (3, 0x90, 0xbf),
                0xf1..=0xf3 => (3, 0x80, 0xbf),
                0xf4 => (3, 0x80, 0x8f),
                _ => return false,
            };
            *self = Utf8 { need, lo, hi };
            true
        } else {
            if b < self.lo || b > self.hi {
                return false;
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xbf;
            true
        }
    }

    /// Whether the input so far ends on a character boundary.
    pub(super) fn complete(&self) -> bool {
        self.need == 0
    }
}

/// A number as the §4.2.4 algorithm returns it.
enum Number {
    Integer(i64),
    Decimal(i64),
}

/// A position in a slice of field text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor<'a> {
    /// The text (already trimmed of leading/trailing SP at top level).
    s: &'a [u8],
    /// Offset of the next byte in `s`; always `<= s.len()`.
    pos: usize,
    /// Offset of `s` in the caller's input, for error positions.
    base: usize,
    pub(super) opts: Options,
    /// The text was already validated by a full parse: iteration skips the checks that cannot
    /// fail again (the base64 structure of byte sequences).
    trusted: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor over `s` from its start.
    pub(super) fn new(s: &'a [u8], opts: Options) -> Self {
        // Only ever built over slices that a full parse has validated (parameters, inner-list
        // items).
        Cursor {
            s,
            pos: 0,
            base: 0,
            opts,
            trusted: true,
        }
    }

    /// The same cursor, for iterating over text this cursor has already validated.
    pub(super) fn validated(mut self) -> Self {
        self.trusted = true;
        self
    }

    /// A cursor over a whole field value: leading and trailing SP removed (RFC 9651 §4.2 steps
    /// 2 and 6; HTAB is not trimmed).
    pub(super) fn top(input: &'a [u8], opts: Options) -> Self {
        let start = input.iter().position(|&c| c != b' ').unwrap_or(input.len());
        let end = input
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(start, |i| i + 1);
        Cursor {
            s: input.get(start..end).unwrap_or(&[]),
            pos: 0,
            base: start,
            opts,
            trusted: false,
        }
    }

    /// The whole text this cursor walks.
    pub(super) fn text(&self) -> &'a [u8] {
        self.s
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) {
        if self.pos < self.s.len() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// The text from the cursor on.
    fn rest(&self) -> &'a [u8] {
        self.s.get(self.pos..).unwrap_or(&[])
    }

    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.s.get(from..to).unwrap_or(&[])
    }

    pub(super) fn err(&self, what: &'static str) -> Error {
        self.err_at(self.pos, what)
    }

    fn err_at(&self, pos: usize, what: &'static str) -> Error {
        Error {
            pos: self.base.saturating_add(pos),
            what,
        }
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.bump();
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    /// RFC 9651 §4.2.3.3.
    pub(super) fn key(&mut self) -> Result<&'a [u8], Error> {
        let start = self.pos;
        match self.peek() {
            Some(c) if is_key_start(c) => self.bump(),
            _ => return Err(self.err(E_KEY)),
        }
        self.pos += run_of(self.rest(), KEY_CHAR);
        Ok(self.slice(start, self.pos))
    }

    /// RFC 9651 §4.2.3.1.
    pub(super) fn bare_item(&mut self) -> Result<BareItem<'a>, Error> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => Ok(match self.number()? {
                Number::Integer(i) => BareItem::Integer(i),
                Number::Decimal(t) => BareItem::Decimal(Decimal { thousandths: t }),
            }),
            Some(b'"') => self.string(),
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => Ok(self.token()),
            Some(b':') => self.byte_seq(),
            Some(b'?') => self.boolean(),
            Some(b'@') => self.date(),
            Some(b'%') => self.display_string(),
            _ => Err(self.err(E_BARE_ITEM)),
        }
    }

    /// RFC 9651 §4.2.4.
    fn number(&mut self) -> Result<Number, Error> {
        let neg = self.eat(b'-');
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.err(E_DIGIT));
        }
        let mut int: i64 = 0;
        let mut int_digits = 0u32;
        let mut frac: i64 = 0;
        let mut frac_digits = 0u32;
        let mut decimal = false;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => {
                    let d = i64::from(c - b'0');
                    if decimal {
                        if frac_digits >= 3 {
                            return Err(self.err(E_DEC_FRAC_LEN));
                        }
                        frac = frac * 10 + d;
                        frac_digits += 1;
                    } else {
                        if int_digits >= 15 {
                            return Err(self.err(E_INT_LEN));
                        }
                        int = int * 10 + d;
                        int_digits += 1;
                    }
                }
                b'.' if !decimal => {
                    if int_digits > 12 {
                        return Err(self.err(E_DEC_INT_LEN));
                    }
                    decimal = true;
                }
                _ => break,
            }
            self.bump();
        }
        let sign = if neg { -1 } else { 1 };
        if !decimal {
            return Ok(Number::Integer(sign * int));
        }
        if frac_digits == 0 {
            return Err(self.err(E_DEC_DOT));
        }
        let scale = 10i64.pow(3 - frac_digits);
        Ok(Number::Decimal(sign * (int * 1000 + frac * scale)))
    }

    /// RFC 9651 §4.2.5.
    fn string(&mut self) -> Result<BareItem<'a>, Error> {
        self.bump();
        let start = self.pos;
        let mut escapes = false;
        loop {
            // Skip the run of plain characters in one tight loop.
            self.pos += string_run(self.rest(), self.trusted);
            match self.peek() {
                None => return Err(self.err(E_STR_UNTERMINATED)),
                Some(b'\\') => {
                    self.bump();
                    match self.peek() {
                        Some(b'"' | b'\\') => escapes = true,
                        None => return Err(self.err(E_STR_UNTERMINATED)),
                        Some(_) => return Err(self.err(E_STR_ESCAPE)),
                    }
                }
                Some(b'"') => {
                    let raw = self.slice(start, self.pos);
                    self.bump();
                    return Ok(BareItem::String(SfStr { raw, escapes }));
                }
                Some(_) => return Err(self.err(E_STR_CHAR)),
            }
            self.bump();
        }
    }

    /// RFC 9651 §4.2.6 (the first character was checked by the caller).
    fn token(&mut self) -> BareItem<'a> {
        let start = self.pos;
        self.bump();
        self.pos += run_of(self.rest(), TOKEN_CHAR);
        BareItem::Token(self.slice(start, self.pos))
    }

    /// RFC 9651 §4.2.7.
    fn byte_seq(&mut self) -> Result<BareItem<'a>, Error> {
        self.bump();
        let start = self.pos;
        let url = self.opts.byteseq_base64url;
        let chars = if url {
            B64_CHAR | B64URL_CHAR
        } else {
            B64_CHAR
        };
        self.pos += run_of(self.rest(), chars);
        match self.peek() {
            None => return Err(self.err(E_BIN_UNTERMINATED)),
            Some(b':') => {}
            Some(_) => return Err(self.err(E_BIN_CHAR)),
        }
        let raw = self.slice(start, self.pos);
        let ok = if self.trusted {
            true
        } else if url {
            Lenient::check_signature(raw, true).is_ok()
        } else {
            Lenient::check_standard(raw).is_ok()
        };
        if !ok {
            return Err(self.err_at(start, E_BIN_BASE64));
        }
        self.bump();
        Ok(BareItem::ByteSeq(raw))
    }

    /// RFC 9651 §4.2.8.
    fn boolean(&mut self) -> Result<BareItem<'a>, Error> {
        self.bump();
        let v = match self.peek() {
            Some(b'0') => false,
            Some(b'1') => true,
            _ => return Err(self.err(E_BOOL)),
        };
        self.bump();
        Ok(BareItem::Boolean(v))
    }

    /// RFC 9651 §4.2.9.
    fn date(&mut self) -> Result<BareItem<'a>, Error> {
        self.bump();
        let start = self.pos;
        match self.number()? {
            Number::Integer(i) => Ok(BareItem::Date(i)),
            Number::Decimal(_) => Err(self.err_at(start, E_DATE_DECIMAL)),
        }
    }

    /// RFC 9651 §4.2.10.
    fn display_string(&mut self) -> Result<BareItem<'a>, Error> {
        self.bump();
        if !self.eat(b'"') {
            return Err(self.err(E_DS_QUOTE));
        }
        let start = self.pos;
        let mut utf8 = Utf8::default();
        loop {
            match self.peek() {
                None => return Err(self.err(E_DS_UNTERMINATED)),
                Some(b'"') => {
                    if !utf8.complete() {
                        return Err(self.err(E_DS_UTF8));
                    }
                    let raw = self.slice(start, self.pos);
                    self.bump();
                    return Ok(BareItem::DisplayString(raw));
                }
                Some(b'%') => {
                    let at = self.pos;
                    self.bump();
                    let h = self.peek().and_then(lc_hex);
                    self.bump();
                    let l = self.peek().and_then(lc_hex);
                    let (Some(h), Some(l)) = (h, l) else {
                        return Err(self.err_at(at, E_DS_ESCAPE));
                    };
                    if !utf8.feed(h << 4 | l) {
                        return Err(self.err_at(at, E_DS_UTF8));
                    }
                }
                Some(c @ 0x20..=0x7e) => {
                    if !utf8.feed(c) {
                        return Err(self.err(E_DS_UTF8));
                    }
                }
                Some(_) => return Err(self.err(E_DS_CHAR)),
            }
            self.bump();
        }
    }

    /// One parameter (RFC 9651 §4.2.3.2 loop body), or `None` when no `;` follows.
    pub(super) fn next_param(&mut self) -> Result<Option<(&'a [u8], BareItem<'a>)>, Error> {
        if !self.eat(b';') {
            return Ok(None);
        }
        self.skip_sp();
        let key = self.key()?;
        let value = if self.eat(b'=') {
            self.bare_item()?
        } else {
            BareItem::Boolean(true)
        };
        Ok(Some((key, value)))
    }

    /// RFC 9651 §4.2.3.2.
    pub(super) fn params(&mut self) -> Result<Params<'a>, Error> {
        let start = self.pos;
        while self.next_param()?.is_some() {}
        Ok(Params {
            raw: self.slice(start, self.pos),
            opts: self.opts,
        })
    }

    /// RFC 9651 §4.2.3.
    pub(super) fn item(&mut self) -> Result<Item<'a>, Error> {
        let value = self.bare_item()?;
        let params = self.params()?;
        Ok(Item { value, params })
    }

    /// RFC 9651 §4.2.1.2.
    fn inner_list(&mut self) -> Result<InnerList<'a>, Error> {
        let open = self.pos;
        self.bump();
        let items_start = self.pos;
        let items_end;
        loop {
            self.skip_sp();
            match self.peek() {
                Some(b')') => {
                    items_end = self.pos;
                    self.bump();
                    break;
                }
                None => return Err(self.err(E_IL_UNTERMINATED)),
                Some(_) => {}
            }
            self.item()?;
            match self.peek() {
                Some(b' ' | b')') => {}
                None => return Err(self.err(E_IL_UNTERMINATED)),
                Some(_) => return Err(self.err(E_IL_SEP)),
            }
        }
        let params = self.params()?;
        Ok(InnerList {
            raw: self.slice(open, self.pos),
            items: self.slice(items_start, items_end),
            params,
            opts: self.opts,
        })
    }

    /// RFC 9651 §4.2.1.1.
    fn member_value(&mut self) -> Result<Member<'a>, Error> {
        if self.peek() == Some(b'(') {
            Ok(Member::InnerList(self.inner_list()?))
        } else {
            Ok(Member::Item(self.item()?))
        }
    }

    /// The next item of an inner list's content (the text between the parentheses).
    pub(super) fn next_inner_item(&mut self) -> Result<Option<Item<'a>>, Error> {
        self.skip_sp();
        if self.at_end() {
            return Ok(None);
        }
        self.item().map(Some)
    }

    /// After a list or dictionary member: OWS, then end of input or `,` OWS and another member
    /// (RFC 9651 §4.2.1 / §4.2.2 loop tail).
    fn member_separator(&mut self) -> Result<(), Error> {
        self.skip_ows();
        if self.at_end() {
            return Ok(());
        }
        if !self.eat(b',') {
            return Err(self.err(E_MEMBER_SEP));
        }
        self.skip_ows();
        if self.at_end() {
            return Err(self.err(E_TRAILING_COMMA));
        }
        Ok(())
    }

    /// The next list member (RFC 9651 §4.2.1 loop body), or `None` at the end.
    pub(super) fn next_list_member(&mut self) -> Result<Option<Member<'a>>, Error> {
        if self.at_end() {
            return Ok(None);
        }
        let m = self.member_value()?;
        self.member_separator()?;
        Ok(Some(m))
    }

    /// The next dictionary member (RFC 9651 §4.2.2 loop body), or `None` at the end.
    pub(super) fn next_dict_member(&mut self) -> Result<Option<(&'a [u8], Member<'a>)>, Error> {
        if self.at_end() {
            return Ok(None);
        }
        let key = self.key()?;
        let m = if self.eat(b'=') {
            self.member_value()?
        } else {
            Member::Item(Item {
                value: BareItem::Boolean(true),
                params: self.params()?,
            })
        };
        self.member_separator()?;
        Ok(Some((key, m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_string_run(s: &[u8], trusted: bool) -> usize {
        s.iter()
            .position(|&b| b == b'"' || b == b'\\' || (!trusted && !(0x20..=0x7e).contains(&b)))
            .unwrap_or(s.len())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// The eight-bytes-at-a-time scan stops exactly where a byte-by-byte scan does.
        #[test]
        fn string_run_matches_bytewise(
            s in prop::collection::vec(prop_oneof![
                8 => prop::sample::select(&b"aZ09 ~!"[..]),
                1 => prop::sample::select(&b"\"\\\x00\x1f\x20\x7e\x7f\x80\xfe\xff"[..]),
                1 => any::<u8>(),
            ], 0..40),
            trusted in any::<bool>(),
        ) {
            prop_assert_eq!(string_run(&s, trusted), naive_string_run(&s, trusted));
        }
    }

    #[test]
    fn classes_match_the_grammar() {
        for c in 0..=255u8 {
            assert_eq!(is_key_start(c), c.is_ascii_lowercase() || c == b'*');
            assert_eq!(
                is_key_char(c),
                c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c)
            );
            let tchar = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
            assert_eq!(is(c, TCHAR), tchar);
            assert_eq!(is_token_char(c), tchar || c == b':' || c == b'/');
            assert_eq!(
                is_any(c, B64_CHAR),
                c.is_ascii_alphanumeric() || b"+/=".contains(&c)
            );
            assert_eq!(is_any(c, B64URL_CHAR), c == b'-' || c == b'_');
        }
    }
}
