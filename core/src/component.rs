//! Covered components: parsing the identifiers of a `Signature-Input` inner list and producing
//! their values from a [`Request`] into a [`Sink`].
//!
//! Spec: RFC 9421 §2 (component identifiers), §2.1 (HTTP fields), §2.2 (derived components).

use crate::error::{err, Check, Error, ErrorCode::InvalidRequest};
use crate::request::Request;
use crate::text::Text;
use aauth_verify_sf::sf::{self, BareItem};
use aauth_verify_sf::sink::Sink;

/// The most covered components a signature may have (an upper bound on
/// [`Limits::max_components`](crate::Limits::max_components)).
///
/// Spec: RFC 9421 §2 (no limit given; ours).
pub const MAX_COMPONENTS: usize = 32;

/// A derived component name.
///
/// Spec: RFC 9421 §2.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derived {
    /// `@method` (§2.2.1).
    Method,
    /// `@target-uri` (§2.2.2).
    TargetUri,
    /// `@authority` (§2.2.3).
    Authority,
    /// `@scheme` (§2.2.4).
    Scheme,
    /// `@request-target` (§2.2.5).
    RequestTarget,
    /// `@path` (§2.2.6).
    Path,
    /// `@query` (§2.2.7).
    Query,
    /// `@query-param;name="…"` (§2.2.8).
    QueryParam,
}

impl Derived {
    fn from_name(name: &[u8]) -> Result<Derived, Error> {
        Ok(match name {
            b"@method" => Derived::Method,
            b"@target-uri" => Derived::TargetUri,
            b"@authority" => Derived::Authority,
            b"@scheme" => Derived::Scheme,
            b"@request-target" => Derived::RequestTarget,
            b"@path" => Derived::Path,
            b"@query" => Derived::Query,
            b"@query-param" => Derived::QueryParam,
            b"@status" => return Err(err(InvalidRequest, Check::StatusInRequest)),
            b"@signature-params" => return Err(err(InvalidRequest, Check::SignatureParamsListed)),
            _ => return Err(err(InvalidRequest, Check::UnknownDerived)),
        })
    }
}

/// The Structured Field type of an HTTP field, for the `sf` component parameter.
///
/// Spec: RFC 9651 §3 (Lists, Dictionaries, Items); RFC 9421 §2.1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FieldType {
    /// An Item.
    Item = 1,
    /// A List.
    List = 2,
    /// A Dictionary.
    Dictionary = 3,
}

impl FieldType {
    pub(crate) fn from_u8(n: u8) -> Option<FieldType> {
        match n {
            1 => Some(FieldType::Item),
            2 => Some(FieldType::List),
            3 => Some(FieldType::Dictionary),
            _ => None,
        }
    }
}

/// The Structured Fields this verifier knows the type of, for `sf` (the default of
/// [`crate::Policy::structured_fields`]): the signature fields and the digest fields.
///
/// Spec: RFC 9421 §4.1, §4.2; RFC 9530 §2–§4; draft-hardt-httpbis-signature-key-09 §3, §4, §5,
/// §6.
pub const STRUCTURED_FIELDS: &[(&str, FieldType)] = &[
    ("signature-key", FieldType::Dictionary),
    ("signature-input", FieldType::Dictionary),
    ("signature", FieldType::Dictionary),
    ("accept-signature", FieldType::Dictionary),
    ("signature-error", FieldType::Dictionary),
    ("signature-key-cache", FieldType::Dictionary),
    ("accept-signature-scheme", FieldType::List),
    ("accept-signature-alg", FieldType::List),
    ("content-digest", FieldType::Dictionary),
    ("repr-digest", FieldType::Dictionary),
    ("want-content-digest", FieldType::Dictionary),
    ("want-repr-digest", FieldType::Dictionary),
];

/// The largest combined field value that `sf` and `key` re-serialize (bytes), and the most
/// members of such a field: both bound the canonical serializer's duplicate handling, which is
/// quadratic in the member count.
///
/// Spec: RFC 9421 §2.1.1, §2.1.2; ours.
pub const MAX_SF_FIELD: usize = 4096;
const MAX_SF_MEMBERS: usize = 64;

/// One covered component identifier.
///
/// Spec: RFC 9421 §2 (a component identifier is an sf-string with parameters), §2.1.1–§2.1.3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component<'a> {
    /// The component name, e.g. `@method` or `content-type` (never contains escapes).
    pub name: &'a [u8],
    /// `Some` for derived components.
    pub derived: Option<Derived>,
    /// The `name` parameter of `@query-param`.
    pub query_name: Option<Text<'a>>,
    /// `sf`: the field's value strictly re-serialized as a Structured Field.
    pub sf: bool,
    /// `key`: the value of this member of a Dictionary field.
    pub key: Option<Text<'a>>,
    /// `bs`: each field line wrapped as a Byte Sequence.
    pub bs: bool,
    /// The parameters as received (the identifier line repeats them in order).
    params: sf::Params<'a>,
}

impl<'a> Component<'a> {
    /// Parses one item of the covered-components inner list.
    ///
    /// Spec: RFC 9421 §2 and §2.1 (component parameters `sf`, `key`, `bs`, `req`, `tr` are
    /// never used by AAuth and are rejected, as is any unknown parameter).
    pub fn parse(item: &sf::Item<'a>) -> Result<Component<'a>, Error> {
        let BareItem::String(s) = item.value else {
            return Err(err(InvalidRequest, Check::ComponentNotString));
        };
        let Some(name) = s.as_plain() else {
            return Err(err(InvalidRequest, Check::ComponentEscape));
        };
        if name.is_empty() {
            return Err(err(InvalidRequest, Check::ComponentEmpty));
        }
        let derived = if name.first() == Some(&b'@') {
            Some(Derived::from_name(name)?)
        } else {
            if !name.iter().all(|&b| is_lower_tchar(b)) {
                return Err(err(InvalidRequest, Check::FieldNameNotLowercase));
            }
            None
        };
        let (mut query_name, mut key, mut sf, mut bs) = (None, None, false, false);
        // At most two parameters, none twice: what any meaningful identifier needs (`sf;key`
        // is redundant but legal). This also keeps the canonical re-serialization of the
        // inner list (whose duplicate handling is quadratic) bounded.
        // (Most identifiers have none: then nothing below runs.)
        let mut prev: Option<&[u8]> = None;
        for (i, (k, value)) in item.params.iter().enumerate() {
            if i >= 2 || prev == Some(k) {
                return Err(err(InvalidRequest, Check::ComponentParamRepeated));
            }
            prev = Some(k);
            match (k, value) {
                (b"name", BareItem::String(v)) if derived == Some(Derived::QueryParam) => {
                    query_name = Some(Text::from(v))
                }
                (b"name", _) if derived == Some(Derived::QueryParam) => {
                    return Err(err(InvalidRequest, Check::QueryParamNameNotString))
                }
                (b"sf", BareItem::Boolean(true)) if derived.is_none() => sf = true,
                (b"bs", BareItem::Boolean(true)) if derived.is_none() => bs = true,
                (b"key", BareItem::String(v)) if derived.is_none() => key = Some(Text::from(v)),
                (b"sf" | b"bs" | b"key", _) => {
                    return Err(err(InvalidRequest, Check::ComponentParamUnsupported))
                }
                (b"tr", _) => return Err(err(InvalidRequest, Check::TrailerParam)),
                (b"req", _) => return Err(err(InvalidRequest, Check::ReqParamInRequest)),
                _ => return Err(err(InvalidRequest, Check::ComponentParamUnknown)),
            }
        }
        if derived == Some(Derived::QueryParam) && query_name.is_none() {
            return Err(err(InvalidRequest, Check::QueryParamNoName));
        }
        // RFC 9421 §2.1.3: `bs` cannot be combined with `sf` or `key`.
        if bs && (sf || key.is_some()) {
            return Err(err(InvalidRequest, Check::SfAndBs));
        }
        Ok(Component {
            name,
            derived,
            query_name,
            sf,
            key,
            bs,
            params: item.params,
        })
    }

    /// The field type this component's value is serialized as, if any: `key` implies a
    /// Dictionary; `sf` needs a field the policy knows the type of (else `invalid_request`).
    ///
    /// Spec: RFC 9421 §2.1.1 (the application must know the field's type), §2.1.2.
    pub fn field_type(&self, known: &[(&str, FieldType)]) -> Result<Option<FieldType>, Error> {
        if self.key.is_some() {
            return Ok(Some(FieldType::Dictionary));
        }
        if !self.sf {
            return Ok(None);
        }
        known
            .iter()
            .find(|(n, _)| n.as_bytes() == self.name)
            .map(|(_, t)| Some(*t))
            .ok_or(err(InvalidRequest, Check::FieldNotStructured))
    }

    /// Whether this component covers the whole field `name` (no `@query-param` name, no
    /// `key`; `sf` and `bs` only change the serialization) — or, for `signature-key`, the
    /// member of the signature's own `label` (which is all a verifier reads of it).
    ///
    /// Spec: RFC 9421 §2.1; draft-hardt-httpbis-signature-key-09 §7.8.
    pub fn covers_field(&self, name: &[u8], label: &[u8]) -> bool {
        self.name == name
            && self.query_name.is_none()
            && match self.key {
                None => true,
                Some(k) => name == b"signature-key" && k.eq_bytes(label),
            }
    }

    /// Whether this is `@query-param` naming the (raw, still form-encoded) parameter `name`.
    ///
    /// Spec: RFC 9421 §2.2.8 (names compared after decoding and re-encoding).
    pub fn is_query_param(&self, name: &[u8]) -> bool {
        let Some(target) = &self.query_name else {
            return false;
        };
        let mut cmp = CompareSink::new(target.bytes());
        reencode(name, &mut cmp);
        cmp.matched()
    }

    /// Whether two identifiers name the same component (name and parameters).
    pub fn same_as(&self, other: &Component<'_>) -> bool {
        let same = |a: &Option<Text<'_>>, b: &Option<Text<'_>>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_text(b),
            _ => false,
        };
        self.name == other.name
            && self.sf == other.sf
            && self.bs == other.bs
            && same(&self.query_name, &other.query_name)
            && same(&self.key, &other.key)
    }

    /// Writes the canonical identifier: `"name"`, then its parameters in the order received
    /// (`;name="…"`, `;key="…"`, `;sf`, `;bs`).
    ///
    /// Spec: RFC 9421 §2.5 (each line starts with the serialized component identifier).
    pub fn write_identifier(&self, out: &mut impl Sink) {
        out.write(b"\"");
        out.write(self.name);
        out.write(b"\"");
        sf::serialize_params(&self.params, out);
    }

    /// Checks that the request can produce this component (fields present, query params
    /// present once), without writing anything. (A structured field that does not parse is
    /// found when the base is written.)
    pub fn check_available(&self, req: &Request<'_, '_>) -> Result<(), Error> {
        match self.derived {
            None => {
                if req.has_field(self.name) {
                    Ok(())
                } else {
                    Err(err(InvalidRequest, Check::FieldMissing))
                }
            }
            Some(Derived::QueryParam) => self.find_query_param(req).map(|_| ()),
            Some(_) => Ok(()),
        }
    }

    /// Writes the component value (without identifier or line feed). `field_type` is what
    /// [`Component::field_type`] said in phase 1.
    ///
    /// Spec: RFC 9421 §2.1 (field lines trimmed and joined with `", "`), §2.1.1–§2.1.3, §2.2.
    pub fn write_value(
        &self,
        req: &Request<'_, '_>,
        field_type: Option<FieldType>,
        out: &mut impl Sink,
    ) -> Result<(), Error> {
        let Some(d) = self.derived else {
            if self.bs {
                return self.write_wrapped(req, out);
            }
            if let Some(t) = field_type {
                return self.write_structured(req, t, out);
            }
            let mut first = true;
            for line in req.field_lines(self.name) {
                check_field_value(line)?;
                if !first {
                    out.write(b", ");
                }
                out.write(line);
                first = false;
            }
            if first {
                return Err(err(InvalidRequest, Check::FieldMissing));
            }
            return Ok(());
        };
        let path: &[u8] = if req.path.is_empty() { b"/" } else { req.path };
        match d {
            Derived::Method => {
                if req.method.is_empty() {
                    return Err(err(InvalidRequest, Check::MethodEmpty));
                }
                derived(req.method, out)
            }
            Derived::Authority => {
                if req.authority.is_empty() {
                    return Err(err(InvalidRequest, Check::AuthorityEmpty));
                }
                derived(req.authority, out)
            }
            Derived::Scheme => derived(req.scheme, out),
            Derived::Path => derived(path, out),
            Derived::Query => {
                out.write(b"?");
                derived(req.query.unwrap_or(b""), out)
            }
            Derived::RequestTarget => {
                derived(path, out)?;
                if let Some(q) = req.query {
                    out.write(b"?");
                    derived(q, out)?;
                }
                Ok(())
            }
            Derived::TargetUri => {
                derived(req.scheme, out)?;
                out.write(b"://");
                derived(req.authority, out)?;
                derived(path, out)?;
                if let Some(q) = req.query {
                    out.write(b"?");
                    derived(q, out)?;
                }
                Ok(())
            }
            Derived::QueryParam => {
                let value = self.find_query_param(req)?;
                reencode(value, out);
                Ok(())
            }
        }
    }

    /// `bs`: every line of the field, trimmed, as a Byte Sequence (`:base64:`), joined with
    /// `", "`.
    ///
    /// Spec: RFC 9421 §2.1.3.
    fn write_wrapped(&self, req: &Request<'_, '_>, out: &mut impl Sink) -> Result<(), Error> {
        let mut first = true;
        for line in req.field_lines(self.name) {
            if !first {
                out.write(b", ");
            }
            first = false;
            out.write(b":");
            // Groups of 3 bytes encode to 4 characters with no padding: only the last piece
            // can need it.
            let mut buf = [0u8; 64];
            for chunk in line.chunks(48) {
                let text = aauth_verify_sf::b64::encode_base64(chunk, &mut buf)
                    .map_err(|_| err(InvalidRequest, Check::BaseTooLarge))?;
                out.write(text.as_bytes());
            }
            out.write(b":");
        }
        if first {
            return Err(err(InvalidRequest, Check::FieldMissing));
        }
        Ok(())
    }

    /// `sf` / `key`: the field (every line joined with `", "`) parsed as `t` and strictly
    /// re-serialized, or (`key`) the named member's value of the Dictionary. Bounded by
    /// [`MAX_SF_FIELD`] bytes and 64 members.
    ///
    /// Spec: RFC 9421 §2.1.1, §2.1.2; RFC 9651 §4.1, §4.2.
    #[inline(never)]
    fn write_structured(
        &self,
        req: &Request<'_, '_>,
        t: FieldType,
        out: &mut impl Sink,
    ) -> Result<(), Error> {
        let too_large = err(InvalidRequest, Check::HeaderTooLarge);
        let not_sf = err(InvalidRequest, Check::FieldNotStructured);
        let mut buf = [0u8; MAX_SF_FIELD];
        let mut joined = aauth_verify_sf::sink::SliceSink::new(&mut buf);
        let mut any = false;
        for line in req.field_lines(self.name) {
            check_field_value(line)?;
            if any {
                joined.write(b", ");
            }
            joined.write(line);
            any = true;
        }
        if !any {
            return Err(err(InvalidRequest, Check::FieldMissing));
        }
        let value = joined.finish().ok_or(too_large)?;
        let opts = sf::Options::default();
        match t {
            FieldType::Dictionary => {
                let d = sf::parse_dictionary(value, opts).map_err(|_| not_sf)?;
                if d.len() > MAX_SF_MEMBERS {
                    return Err(too_large);
                }
                match self.key {
                    None => sf::serialize_dictionary(&d, out),
                    Some(k) => {
                        let mut kbuf = [0u8; 64];
                        let k = k.decode_into(&mut kbuf).ok_or(not_sf)?;
                        let m = d
                            .get(k)
                            .ok_or(err(InvalidRequest, Check::KeyMemberMissing))?;
                        sf::serialize_member(&m, out);
                    }
                }
            }
            FieldType::List => {
                let l = sf::parse_list(value, opts).map_err(|_| not_sf)?;
                if l.len() > MAX_SF_MEMBERS {
                    return Err(too_large);
                }
                sf::serialize_list(&l, out);
            }
            FieldType::Item => {
                let i = sf::parse_item(value, opts).map_err(|_| not_sf)?;
                sf::serialize_item(&i, out);
            }
        }
        Ok(())
    }

    /// The raw value of the single query parameter this component names.
    ///
    /// Spec: RFC 9421 §2.2.8 (names compared after decode + re-encode; a repeated name MUST
    /// NOT be covered).
    fn find_query_param<'r>(&self, req: &Request<'_, 'r>) -> Result<&'r [u8], Error> {
        let Some(target) = &self.query_name else {
            return Err(err(InvalidRequest, Check::QueryParamNoName));
        };
        let mut found = None;
        for (name, value) in query_pairs(req.query.unwrap_or(b"")) {
            let mut cmp = CompareSink::new(target.bytes());
            reencode(name, &mut cmp);
            if cmp.matched() {
                if found.is_some() {
                    return Err(err(InvalidRequest, Check::QueryParamRepeated));
                }
                found = Some(value);
            }
        }
        found.ok_or(err(InvalidRequest, Check::QueryParamAbsent))
    }
}

fn is_lower_tchar(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*'
        | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// Field values must be visible ASCII, SP or HTAB (no CR, LF, NUL or non-ASCII).
fn check_field_value(v: &[u8]) -> Result<(), Error> {
    let bad = |b: u8| b != b'\t' && !(0x20..0x7f).contains(&b);
    // HTAB makes a word test positive; `scan` then checks that word bytewise and goes on.
    if aauth_verify_sf::swar::scan(v, aauth_verify_sf::swar::has_non_visible, bad) == v.len() {
        Ok(())
    } else {
        Err(err(InvalidRequest, Check::FieldValueBytes))
    }
}

/// Derived values must be visible ASCII (no whitespace or control bytes at all).
fn derived(v: &[u8], out: &mut impl Sink) -> Result<(), Error> {
    if v.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        out.write(v);
        Ok(())
    } else {
        Err(err(InvalidRequest, Check::DerivedBytes))
    }
}

/// `name=value` pairs of a query string, split on `&` (empty pieces skipped) and the first `=`.
///
/// Spec: WHATWG URL, application/x-www-form-urlencoded parsing (as RFC 9421 §2.2.8 requires).
pub(crate) fn query_pairs(q: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    q.split(|&b| b == b'&').filter(|p| !p.is_empty()).map(|p| {
        match p.iter().position(|&b| b == b'=') {
            Some(i) => (p.get(..i).unwrap_or(b""), p.get(i + 1..).unwrap_or(b"")),
            None => (p, &b""[..]),
        }
    })
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Form-decodes `raw` (`+` → SP, `%XX` → byte, a stray `%` kept) and percent-encodes the
/// result: every byte except ASCII alphanumerics and `*-._` becomes `%XX` (uppercase hex).
///
/// Spec: RFC 9421 §2.2.8 (parse, then "percent-encode after encoding" with the
/// application/x-www-form-urlencoded percent-encode set; spaces become `%20`).
pub(crate) fn reencode(raw: &[u8], out: &mut impl Sink) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let byte = match b {
            b'+' => b' ',
            b'%' => match (
                raw.get(i + 1).and_then(|&h| hex_val(h)),
                raw.get(i + 2).and_then(|&l| hex_val(l)),
            ) {
                (Some(h), Some(l)) => {
                    i += 2;
                    (h << 4) | l
                }
                _ => b'%',
            },
            other => other,
        };
        i += 1;
        if byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_') {
            out.write(&[byte]);
        } else {
            let hex = |n: u8| HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0');
            out.write(&[b'%', hex(byte >> 4), hex(byte)]);
        }
    }
}

/// A sink that compares what is written with an expected byte sequence.
struct CompareSink<I: Iterator<Item = u8>> {
    expected: I,
    ok: bool,
}

impl<I: Iterator<Item = u8>> CompareSink<I> {
    fn new(expected: I) -> Self {
        CompareSink { expected, ok: true }
    }

    fn matched(mut self) -> bool {
        self.ok && self.expected.next().is_none()
    }
}

impl<I: Iterator<Item = u8>> Sink for CompareSink<I> {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.ok && self.expected.next() != Some(b) {
                self.ok = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aauth_verify_sf::sink::SliceSink;

    fn enc(s: &[u8]) -> ([u8; 128], usize) {
        let mut buf = [0u8; 128];
        let mut sink = SliceSink::new(&mut buf);
        reencode(s, &mut sink);
        let n = sink.len();
        (buf, n)
    }

    #[test]
    fn reencode_matches_rfc_examples() {
        // RFC 9421 §2.2.8 examples.
        let (b, n) = enc(b"this%20is%20a%20big%0Avalue");
        assert_eq!(&b[..n], b"this%20is%20a%20big%0Avalue");
        let (b, n) = enc(b"with+plus+whitespace");
        assert_eq!(&b[..n], b"with%20plus%20whitespace");
        let (b, n) = enc(b"a%zz%4");
        assert_eq!(&b[..n], b"a%25zz%254");
        let (b, n) = enc(b"%c3%a9~");
        assert_eq!(&b[..n], b"%C3%A9%7E");
    }

    #[test]
    fn pairs() {
        let v: heapless::Vec<(&[u8], &[u8]), 8> = query_pairs(b"a=1&&b&c=x=y").collect();
        assert_eq!(
            &v[..],
            &[(&b"a"[..], &b"1"[..]), (b"b", b""), (b"c", b"x=y")]
        );
    }
}
