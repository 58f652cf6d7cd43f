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

/// One covered component identifier.
///
/// Spec: RFC 9421 §2 (a component identifier is an sf-string with parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Component<'a> {
    /// The component name, e.g. `@method` or `content-type` (never contains escapes).
    pub name: &'a [u8],
    /// `Some` for derived components.
    pub derived: Option<Derived>,
    /// The `name` parameter of `@query-param`.
    pub query_name: Option<Text<'a>>,
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
        let mut query_name = None;
        // The only parameter AAuth can use is `name`, once. Refusing repeats also keeps the
        // canonical re-serialization (whose duplicate handling is quadratic) bounded.
        if item.params.len() > 1 {
            return Err(err(InvalidRequest, Check::ComponentParamRepeated));
        }
        for (key, value) in item.params.iter() {
            match key {
                b"name" if derived == Some(Derived::QueryParam) => match value {
                    BareItem::String(v) => query_name = Some(Text::from(v)),
                    _ => return Err(err(InvalidRequest, Check::QueryParamNameNotString)),
                },
                b"sf" | b"key" | b"bs" => {
                    return Err(err(InvalidRequest, Check::ComponentParamUnsupported))
                }
                b"tr" => return Err(err(InvalidRequest, Check::TrailerParam)),
                b"req" => return Err(err(InvalidRequest, Check::ReqParamInRequest)),
                _ => return Err(err(InvalidRequest, Check::ComponentParamUnknown)),
            }
        }
        if derived == Some(Derived::QueryParam) && query_name.is_none() {
            return Err(err(InvalidRequest, Check::QueryParamNoName));
        }
        Ok(Component {
            name,
            derived,
            query_name,
        })
    }

    /// Whether this is the component `name` with no parameters.
    pub fn is_plain(&self, name: &[u8]) -> bool {
        self.name == name && self.query_name.is_none()
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
        self.name == other.name
            && match (&self.query_name, &other.query_name) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_text(b),
                _ => false,
            }
    }

    /// Writes the canonical identifier (`"name"` plus `;name="…"`).
    ///
    /// Spec: RFC 9421 §2.5 (each line starts with the serialized component identifier).
    pub fn write_identifier(&self, out: &mut impl Sink) {
        out.write(b"\"");
        out.write(self.name);
        out.write(b"\"");
        if let Some(q) = &self.query_name {
            out.write(b";name=\"");
            out.write(q.raw());
            out.write(b"\"");
        }
    }

    /// Checks that the request can produce this component (fields present, query params
    /// present once), without writing anything.
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

    /// Writes the component value (without identifier or line feed).
    ///
    /// Spec: RFC 9421 §2.1 (field lines trimmed and joined with `", "`), §2.2.
    pub fn write_value(&self, req: &Request<'_, '_>, out: &mut impl Sink) -> Result<(), Error> {
        let Some(d) = self.derived else {
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
