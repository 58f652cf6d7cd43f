//! Structured Field Values (RFC 8941, RFC 9651): a zero-copy, allocation-free parser and a
//! canonical serializer.
//!
//! # Model
//!
//! *Validate once, iterate lazily.* [`parse_dictionary`], [`parse_list`] and [`parse_item`]
//! check the whole field value strictly (RFC 9651 §4.2) and return small views over the
//! validated text. The views' iterators walk that text again on demand; since it is known to be
//! valid they cannot fail (an impossible error would merely end the iteration). Nothing is
//! decoded eagerly: a String is its escaped content ([`SfStr`]), a Byte Sequence its base64
//! text, a Display String its percent-encoded content.
//!
//! Parsing is linear in the input length and never recurses (the grammar nests at most
//! member → inner list → item → parameters). Lookups ([`Dictionary::get`], [`Params::get`]) and
//! counts re-walk the text and are linear too.
//!
//! Serialization ([`serialize_dictionary`] and friends) writes the canonical form (RFC 9651
//! §4.1) into a [`Sink`](crate::sink::Sink).
//!
//! Spec: RFC 8941 §3, §4 (RFC 9651 §3, §4, which adds Date and Display String).

use core::fmt;

mod parse;
mod ser;
#[cfg(test)]
mod tests;

use parse::Cursor;
/// Serializers (RFC 8941 §4.1; RFC 9651 §4.1).
pub use ser::{
    serialize_bare_item, serialize_boolean, serialize_byte_seq, serialize_date, serialize_decimal,
    serialize_dictionary, serialize_display_string, serialize_inner_list, serialize_integer,
    serialize_item, serialize_key, serialize_list, serialize_member, serialize_params,
    serialize_string, serialize_token,
};

/// Largest Integer (and Date) magnitude: fifteen nines.
///
/// Spec: RFC 8941 §3.3.1; RFC 9651 §3.3.7.
pub const INTEGER_MAX: i64 = 999_999_999_999_999;

/// Smallest Integer (and Date).
///
/// Spec: RFC 8941 §3.3.1; RFC 9651 §3.3.7.
pub const INTEGER_MIN: i64 = -INTEGER_MAX;

/// A parse or serialization failure: the byte offset in the input (for serialization, in the
/// value being serialized) and a short static description.
///
/// Spec: RFC 8941 §4.2 ("fail parsing"), §4.1 ("fail serialization").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// Byte offset where the problem was found.
    ///
    /// Spec: RFC 8941 §4.2.
    pub pos: usize,
    /// What was wrong.
    ///
    /// Spec: RFC 8941 §4.2.
    pub what: &'static str,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "structured field: {} at byte {}", self.what, self.pos)
    }
}

impl core::error::Error for Error {}

/// Parser options.
///
/// Spec: RFC 8941 §4.2 (the default is the strict RFC grammar).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Also accept `-` and `_` in Byte Sequences, for the Python signer's unpadded base64url
    /// `Signature` values. A Byte Sequence must then follow the rules of
    /// [`decode_signature`](crate::b64::decode_signature) with base64url allowed: standard
    /// base64 (padding optional) or unpadded base64url, never the two alphabets mixed.
    ///
    /// Spec: RFC 8941 §4.2.7 (relaxed); RFC 4648 §5.
    pub byteseq_base64url: bool,
}

/// A Decimal, stored exactly as a count of thousandths (`1.5` is `1500`).
///
/// Valid values have an absolute value of at most `999_999_999_999_999` (twelve integer and
/// three fractional digits).
///
/// Spec: RFC 8941 §3.3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Decimal {
    /// The value times 1000.
    ///
    /// Spec: RFC 8941 §3.3.2.
    pub thousandths: i64,
}

/// A bare item: the value of an Item, Parameter or inner-list member.
///
/// Text-bearing variants borrow from the input, undecoded. Equality is textual: two Byte
/// Sequences with the same content but different padding compare unequal.
///
/// Spec: RFC 8941 §3.3; RFC 9651 §3.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareItem<'a> {
    /// An Integer in `INTEGER_MIN..=INTEGER_MAX` (RFC 8941 §3.3.1).
    Integer(i64),
    /// A Decimal (RFC 8941 §3.3.2).
    Decimal(Decimal),
    /// A String (RFC 8941 §3.3.3).
    String(SfStr<'a>),
    /// A Token, case-sensitive (RFC 8941 §3.3.4).
    Token(&'a [u8]),
    /// A Byte Sequence: the base64 text between the colons, not decoded (RFC 8941 §3.3.5).
    /// Decode it with [`decode_sf_binary`](crate::b64::decode_sf_binary) (or
    /// [`decode_signature`](crate::b64::decode_signature) when parsed with
    /// [`Options::byteseq_base64url`]).
    ByteSeq(&'a [u8]),
    /// A Boolean (RFC 8941 §3.3.6).
    Boolean(bool),
    /// A Date: seconds since the Unix epoch, in the Integer range (RFC 9651 §3.3.7).
    Date(i64),
    /// A Display String: the raw content between the quotes, percent-escapes kept
    /// (lowercase hex, decoding to valid UTF-8) (RFC 9651 §3.3.8).
    DisplayString(&'a [u8]),
}

/// A String's content as received: the text between the quotes with `\"` and `\\` escapes
/// kept. This escaped form is also the canonical serialized content.
///
/// Spec: RFC 8941 §3.3.3, §4.2.5, §4.1.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SfStr<'a> {
    raw: &'a [u8],
    escapes: bool,
}

impl<'a> SfStr<'a> {
    /// Wraps already-escaped String content (as it would appear between the quotes), checking
    /// it: printable ASCII only, `\` only before `"` or `\`, no unescaped `"`.
    ///
    /// Spec: RFC 8941 §3.3.3, §4.2.5.
    pub fn from_raw(raw: &'a [u8]) -> Option<SfStr<'a>> {
        let mut escapes = false;
        let mut i = raw.iter();
        while let Some(&c) = i.next() {
            match c {
                b'\\' => {
                    escapes = true;
                    if !matches!(i.next(), Some(b'"' | b'\\')) {
                        return None;
                    }
                }
                b'"' => return None,
                0x20..=0x7e => {}
                _ => return None,
            }
        }
        Some(SfStr { raw, escapes })
    }

    /// The escaped content (identical to the canonical serialized content).
    ///
    /// Spec: RFC 8941 §4.1.6.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the content contains any `\` escape.
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn has_escapes(&self) -> bool {
        self.escapes
    }

    /// The content itself when it has no escapes (then raw and unescaped forms coincide).
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn as_plain(&self) -> Option<&'a [u8]> {
        if self.escapes {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The unescaped bytes.
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn bytes(&self) -> SfStrBytes<'a> {
        SfStrBytes { rest: self.raw }
    }

    /// The number of unescaped bytes.
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn unescaped_len(&self) -> usize {
        self.bytes().count()
    }

    /// Whether the unescaped content equals `other` (no allocation).
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        match self.as_plain() {
            Some(p) => p == other,
            None => self.bytes().eq(other.iter().copied()),
        }
    }

    /// Writes the unescaped content into `out`; `None` if it does not fit.
    ///
    /// Spec: RFC 8941 §4.2.5.
    pub fn unescape_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let mut n = 0usize;
        for b in self.bytes() {
            *out.get_mut(n)? = b;
            n += 1;
        }
        out.get(..n)
    }
}

/// Iterator over the unescaped bytes of an [`SfStr`].
///
/// Spec: RFC 8941 §4.2.5.
#[derive(Clone, Debug)]
pub struct SfStrBytes<'a> {
    rest: &'a [u8],
}

impl Iterator for SfStrBytes<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let (&c, rest) = self.rest.split_first()?;
        if c == b'\\' {
            let (&e, rest) = rest.split_first()?;
            self.rest = rest;
            Some(e)
        } else {
            self.rest = rest;
            Some(c)
        }
    }
}

impl<'a> BareItem<'a> {
    /// Checks a (possibly hand-built) bare item against its type's constraints, as
    /// serialization requires: Integer/Date range, Decimal range, Token and Byte Sequence
    /// syntax (either base64 alphabet), Display String escapes and UTF-8. Parsed items always
    /// pass. The error position is an offset into the item's text, or 0.
    ///
    /// Spec: RFC 8941 §4.1.3–§4.1.8; RFC 9651 §4.1.10, §4.1.11.
    pub fn validate(&self) -> Result<(), Error> {
        let range = |what| Error { pos: 0, what };
        match *self {
            BareItem::Integer(i) | BareItem::Date(i) => {
                if (INTEGER_MIN..=INTEGER_MAX).contains(&i) {
                    Ok(())
                } else {
                    Err(range(ser::E_INT_RANGE))
                }
            }
            BareItem::Decimal(d) => {
                if (INTEGER_MIN..=INTEGER_MAX).contains(&d.thousandths) {
                    Ok(())
                } else {
                    Err(range(ser::E_DEC_RANGE))
                }
            }
            BareItem::String(_) | BareItem::Boolean(_) => Ok(()),
            BareItem::Token(t) => ser::check_token(t),
            BareItem::ByteSeq(b) => crate::b64::Lenient::check_signature(b, true)
                .map(|_| ())
                .map_err(|_| range(parse::E_BIN_BASE64)),
            BareItem::DisplayString(d) => ser::check_display_raw(d),
        }
    }
}

/// Validated parameters (possibly none): the text from the first `;` through the last
/// parameter.
///
/// Equality compares the parameter sequences (keys and values in order, duplicates included).
///
/// Spec: RFC 8941 §3.1.2.
#[derive(Clone, Copy, Debug)]
pub struct Params<'a> {
    raw: &'a [u8],
    opts: Options,
}

impl<'a> Params<'a> {
    /// No parameters.
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub const EMPTY: Params<'static> = Params {
        raw: b"",
        opts: Options {
            byteseq_base64url: false,
        },
    };

    /// Every parameter in received order, duplicates included.
    ///
    /// Spec: RFC 8941 §3.1.2, §4.2.3.2.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            c: Cursor::new(self.raw, self.opts),
            done: false,
        }
    }

    /// The value of the last parameter named `key` (later duplicates overwrite earlier ones).
    ///
    /// Spec: RFC 8941 §4.2.3.2 step 2.6.
    pub fn get(&self, key: &[u8]) -> Option<BareItem<'a>> {
        self.iter()
            .filter(|(k, _)| *k == key)
            .last()
            .map(|(_, v)| v)
    }

    /// Whether there are no parameters.
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The number of parameters received, duplicates included.
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The parameters' text as received.
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
}

impl PartialEq for Params<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a> IntoIterator for &Params<'a> {
    type Item = (&'a [u8], BareItem<'a>);
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over parameters: `(key, value)`, a key without `=` giving `Boolean(true)`.
///
/// Spec: RFC 8941 §4.2.3.2.
#[derive(Clone, Debug)]
pub struct ParamIter<'a> {
    c: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a [u8], BareItem<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.c.next_param() {
            Ok(Some(p)) => Some(p),
            _ => {
                self.done = true;
                None
            }
        }
    }
}

/// An Item: a bare item with parameters.
///
/// Spec: RFC 8941 §3.3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item<'a> {
    /// The value.
    ///
    /// Spec: RFC 8941 §3.3.
    pub value: BareItem<'a>,
    /// Its parameters.
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub params: Params<'a>,
}

/// A validated Inner List.
///
/// Equality compares items and parameters, not text.
///
/// Spec: RFC 8941 §3.1.1.
#[derive(Clone, Copy, Debug)]
pub struct InnerList<'a> {
    raw: &'a [u8],
    items: &'a [u8],
    params: Params<'a>,
    opts: Options,
}

impl<'a> InnerList<'a> {
    /// The items in order.
    ///
    /// Spec: RFC 8941 §3.1.1, §4.2.1.2.
    pub fn items(&self) -> InnerItems<'a> {
        InnerItems {
            c: Cursor::new(self.items, self.opts),
            done: false,
        }
    }

    /// The number of items.
    ///
    /// Spec: RFC 8941 §3.1.1.
    pub fn len(&self) -> usize {
        self.items().count()
    }

    /// Whether the list has no items.
    ///
    /// Spec: RFC 8941 §3.1.1.
    pub fn is_empty(&self) -> bool {
        self.items().next().is_none()
    }

    /// The inner list's own parameters.
    ///
    /// Spec: RFC 8941 §3.1.1.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The text from `(` through the end of the inner list's parameters, as received.
    ///
    /// Spec: RFC 8941 §3.1.1.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The raw text if a one-pass scan proves it canonical, else `None` (then serialize it).
    ///
    /// The scan accepts only the shape every signer writes: `(`, items separated by one SP,
    /// `)`, each item a String without escapes, and parameters `;key`, `;key=<String without
    /// escapes>`, `;key=<Integer without sign or leading zero>` or `;key=<Token>`, no key
    /// twice in one parameter list. Such text is its own canonical serialization (RFC 8941
    /// §4.1); anything else, canonical or not, gets `None`. Linear in the text, no
    /// allocation.
    ///
    /// Spec: RFC 8941 §4.1.1.1, §4.1.1.2, §4.1.4, §4.1.6, §4.1.7.
    pub fn quick_canonical_raw(&self) -> Option<&'a [u8]> {
        parse::plainly_canonical_inner_list(self.raw).then_some(self.raw)
    }

    /// `Some(raw)` exactly when the received text is already the canonical serialization
    /// ([`serialize_inner_list`] would write the same bytes), so it can be used uncopied.
    ///
    /// Cost: one serialization pass, linear unless the parameters may contain duplicate keys
    /// (see [`serialize_params`] for that O(m·n) worst case; bound untrusted input first).
    ///
    /// Spec: RFC 8941 §4.1.1.1.
    pub fn canonical_raw(&self) -> Option<&'a [u8]> {
        let mut cmp = ser::CompareSink::new(self.raw);
        serialize_inner_list(self, &mut cmp);
        if cmp.matches() {
            Some(self.raw)
        } else {
            None
        }
    }
}

impl PartialEq for InnerList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.items().eq(other.items()) && self.params == other.params
    }
}

/// Iterator over the items of an [`InnerList`].
///
/// Spec: RFC 8941 §4.2.1.2.
#[derive(Clone, Debug)]
pub struct InnerItems<'a> {
    c: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for InnerItems<'a> {
    type Item = Item<'a>;
    fn next(&mut self) -> Option<Item<'a>> {
        if self.done {
            return None;
        }
        match self.c.next_inner_item() {
            Ok(Some(i)) => Some(i),
            _ => {
                self.done = true;
                None
            }
        }
    }
}

/// A List or Dictionary member: an Item or an Inner List.
///
/// Spec: RFC 8941 §3.1, §3.2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Member<'a> {
    /// An Item.
    Item(Item<'a>),
    /// An Inner List.
    InnerList(InnerList<'a>),
}

impl<'a> Member<'a> {
    /// The member's parameters (the Item's or the Inner List's).
    ///
    /// Spec: RFC 8941 §3.1.2.
    pub fn params(&self) -> Params<'a> {
        match self {
            Member::Item(i) => i.params,
            Member::InnerList(l) => l.params,
        }
    }

    /// The Item, if this member is one.
    ///
    /// Spec: RFC 8941 §3.1.
    pub fn as_item(&self) -> Option<&Item<'a>> {
        match self {
            Member::Item(i) => Some(i),
            Member::InnerList(_) => None,
        }
    }

    /// The Inner List, if this member is one.
    ///
    /// Spec: RFC 8941 §3.1.
    pub fn as_inner_list(&self) -> Option<&InnerList<'a>> {
        match self {
            Member::InnerList(l) => Some(l),
            Member::Item(_) => None,
        }
    }
}

/// A validated Dictionary.
///
/// Equality compares the member sequences (duplicates included), not text.
///
/// Spec: RFC 8941 §3.2.
#[derive(Clone, Copy, Debug)]
pub struct Dictionary<'a> {
    c: Cursor<'a>,
}

impl<'a> Dictionary<'a> {
    /// Every member in received order, duplicates included.
    ///
    /// Spec: RFC 8941 §3.2, §4.2.2.
    pub fn iter(&self) -> DictIter<'a> {
        DictIter {
            c: self.c,
            done: false,
        }
    }

    /// The value of the last member named `key` (a duplicate key overwrites the value).
    ///
    /// Spec: RFC 8941 §4.2.2 step 3.4.
    pub fn get(&self, key: &[u8]) -> Option<Member<'a>> {
        self.iter()
            .filter(|(k, _)| *k == key)
            .last()
            .map(|(_, m)| m)
    }

    /// The keys in received order, duplicates included.
    ///
    /// Spec: RFC 8941 §3.2.
    pub fn keys(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter().map(|(k, _)| k)
    }

    /// The number of members received, duplicates included.
    ///
    /// Spec: RFC 8941 §3.2.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the dictionary has no members.
    ///
    /// Spec: RFC 8941 §3.2.
    pub fn is_empty(&self) -> bool {
        self.c.text().is_empty()
    }

    /// The field value as validated (leading and trailing SP removed).
    ///
    /// Spec: RFC 8941 §4.2.
    pub fn raw(&self) -> &'a [u8] {
        self.c.text()
    }
}

impl PartialEq for Dictionary<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a> IntoIterator for &Dictionary<'a> {
    type Item = (&'a [u8], Member<'a>);
    type IntoIter = DictIter<'a>;
    fn into_iter(self) -> DictIter<'a> {
        self.iter()
    }
}

/// Iterator over dictionary members: `(key, member)`; a key without `=` gives an Item whose
/// value is `Boolean(true)`.
///
/// Spec: RFC 8941 §4.2.2.
#[derive(Clone, Debug)]
pub struct DictIter<'a> {
    c: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for DictIter<'a> {
    type Item = (&'a [u8], Member<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.c.next_dict_member() {
            Ok(Some(m)) => Some(m),
            _ => {
                self.done = true;
                None
            }
        }
    }
}

/// A validated List.
///
/// Equality compares the member sequences, not text.
///
/// Spec: RFC 8941 §3.1.
#[derive(Clone, Copy, Debug)]
pub struct List<'a> {
    c: Cursor<'a>,
}

impl<'a> List<'a> {
    /// The members in order.
    ///
    /// Spec: RFC 8941 §3.1, §4.2.1.
    pub fn iter(&self) -> ListIter<'a> {
        ListIter {
            c: self.c,
            done: false,
        }
    }

    /// The number of members.
    ///
    /// Spec: RFC 8941 §3.1.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the list has no members.
    ///
    /// Spec: RFC 8941 §3.1.
    pub fn is_empty(&self) -> bool {
        self.c.text().is_empty()
    }

    /// The field value as validated (leading and trailing SP removed).
    ///
    /// Spec: RFC 8941 §4.2.
    pub fn raw(&self) -> &'a [u8] {
        self.c.text()
    }
}

impl PartialEq for List<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a> IntoIterator for &List<'a> {
    type Item = Member<'a>;
    type IntoIter = ListIter<'a>;
    fn into_iter(self) -> ListIter<'a> {
        self.iter()
    }
}

/// Iterator over list members.
///
/// Spec: RFC 8941 §4.2.1.
#[derive(Clone, Debug)]
pub struct ListIter<'a> {
    c: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        if self.done {
            return None;
        }
        match self.c.next_list_member() {
            Ok(Some(m)) => Some(m),
            _ => {
                self.done = true;
                None
            }
        }
    }
}

/// Parses a Dictionary field value (lines already joined with `,`). Empty input (or only SP)
/// is an empty dictionary.
///
/// Spec: RFC 8941 §4.2, §4.2.2; RFC 9651 §4.2.
pub fn parse_dictionary(input: &[u8], opts: Options) -> Result<Dictionary<'_>, Error> {
    let c = Cursor::top(input, opts);
    let mut v = c;
    while v.next_dict_member()?.is_some() {}
    Ok(Dictionary { c: c.validated() })
}

/// Parses a Dictionary field value and returns the value of `key` (its last occurrence, as
/// [`Dictionary::get`] would), in the one validating pass: for callers that read a single
/// member, this saves walking the dictionary a second time.
///
/// Spec: RFC 8941 §4.2.2 (a repeated key takes its last value); RFC 9651 §4.2.
pub fn parse_dictionary_member<'a>(
    input: &'a [u8],
    opts: Options,
    key: &[u8],
) -> Result<Option<Member<'a>>, Error> {
    let mut c = Cursor::top(input, opts);
    let mut found = None;
    while let Some((k, m)) = c.next_dict_member()? {
        if k == key {
            found = Some(m);
        }
    }
    Ok(found)
}

/// Parses a List field value (lines already joined with `,`). Empty input (or only SP) is an
/// empty list.
///
/// Spec: RFC 8941 §4.2, §4.2.1; RFC 9651 §4.2.
pub fn parse_list(input: &[u8], opts: Options) -> Result<List<'_>, Error> {
    let c = Cursor::top(input, opts);
    let mut v = c;
    while v.next_list_member()?.is_some() {}
    Ok(List { c: c.validated() })
}

/// Parses an Item field value. Empty input fails.
///
/// Spec: RFC 8941 §4.2, §4.2.3; RFC 9651 §4.2.
pub fn parse_item(input: &[u8], opts: Options) -> Result<Item<'_>, Error> {
    let mut c = Cursor::top(input, opts);
    if c.at_end() {
        return Err(c.err(parse::E_EMPTY_ITEM));
    }
    let item = c.item()?;
    if !c.at_end() {
        return Err(c.err(parse::E_ITEM_TRAILING));
    }
    Ok(item)
}

/// Whether `k` is a valid key (`( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`).
///
/// Spec: RFC 8941 §3.1.2, §4.1.1.3.
pub fn is_valid_key(k: &[u8]) -> bool {
    match k.split_first() {
        Some((&c, rest)) => parse::is_key_start(c) && rest.iter().all(|&c| parse::is_key_char(c)),
        None => false,
    }
}

/// Whether `t` is a valid Token (`( ALPHA / "*" ) *( tchar / ":" / "/" )`).
///
/// Spec: RFC 8941 §3.3.4, §4.1.7.
pub fn is_valid_token(t: &[u8]) -> bool {
    match t.split_first() {
        Some((&c, rest)) => {
            (c.is_ascii_alphabetic() || c == b'*') && rest.iter().all(|&c| parse::is_token_char(c))
        }
        None => false,
    }
}
