//! The request view: borrowed slices describing the HTTP request being verified.
//!
//! Nothing is copied. The caller supplies the *canonical* authority of the receiving service
//! (never derived from `Host`), the raw path and query, every header line in order (repeated
//! names allowed) and, optionally, the body for `Content-Digest` checks.
//!
//! Spec: RFC 9421 §2.1 (HTTP fields), §2.2 (derived components); AAuth §Canonical Authority.

/// One header line as received: name (any case) and value (surrounding whitespace allowed).
///
/// Spec: RFC 9110 §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Field name, compared case-insensitively.
    pub name: &'a [u8],
    /// Field value as received on this line.
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// A header line from name and value.
    ///
    /// Spec: RFC 9110 §5.
    pub const fn new(name: &'a [u8], value: &'a [u8]) -> Header<'a> {
        Header { name, value }
    }
}

/// A borrowed view of an HTTP request.
///
/// Two lifetimes: `'a` for the request's bytes (method, path, header names and values, body),
/// `'h` for the array of [`Header`] views over them. What verification returns borrows only
/// `'a`, so a host may build the header array on its stack for each call.
///
/// Spec: RFC 9421 §2.2: `@method`, `@scheme`, `@authority`, `@path`, `@query` come from these
/// members verbatim (the verifier does not normalise them; pass the canonical authority).
#[derive(Clone, Copy, Debug)]
pub struct Request<'h, 'a> {
    /// Method as sent, e.g. `b"GET"` (case-sensitive, not normalised).
    pub method: &'a [u8],
    /// Scheme, e.g. `b"https"`.
    pub scheme: &'a [u8],
    /// The receiver's canonical authority, e.g. `b"resource.example"` or `b"host:8443"`.
    pub authority: &'a [u8],
    /// The absolute path, not decoded, without the query (empty is treated as `/`).
    pub path: &'a [u8],
    /// The query without its leading `?`, or `None` when the target has no `?`.
    pub query: Option<&'a [u8]>,
    /// Every header line, in the order received.
    pub headers: &'h [Header<'a>],
    /// The body, when the caller has it (needed to check a covered `Content-Digest`).
    pub body: Option<&'a [u8]>,
}

impl<'h, 'a> Request<'h, 'a> {
    /// Whether the request has a body: a non-empty [`Request::body`], or, when the host has
    /// not read it (`None`), framing that announces one (any `Transfer-Encoding`, or a
    /// `Content-Length` other than zero; one that does not parse counts as a body).
    ///
    /// Spec: RFC 9112 §6.1–§6.3 (message body length); RFC 9110 §8.6.
    pub fn has_body(&self) -> bool {
        match self.body {
            Some(b) => !b.is_empty(),
            None => {
                self.has_field(b"transfer-encoding")
                    || self
                        .field_lines(b"content-length")
                        .any(|v| v.is_empty() || v.iter().any(|&c| c != b'0'))
            }
        }
    }

    /// Every line of the field `name` (case-insensitive), each trimmed of SP/HTAB.
    ///
    /// Spec: RFC 9421 §2.1 (all lines of a field, in order).
    pub fn field_lines<'n>(&self, name: &'n [u8]) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'h: 'n,
        'a: 'n,
    {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| trim_ows(h.value))
    }

    /// Whether the field `name` is present at least once.
    ///
    /// Spec: RFC 9110 §5.3.
    pub fn has_field(&self, name: &[u8]) -> bool {
        self.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
    }
}

/// Trims optional whitespace (SP, HTAB) at both ends.
///
/// Spec: RFC 9110 §5.5 (field values exclude leading and trailing whitespace).
pub fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_case_insensitive() {
        let h = [
            Header::new(b"X-A", b" one\t"),
            Header::new(b"x-b", b"z"),
            Header::new(b"x-a", b"two"),
        ];
        let r = Request {
            method: b"GET",
            scheme: b"https",
            authority: b"a",
            path: b"/",
            query: None,
            headers: &h,
            body: None,
        };
        let mut it = r.field_lines(b"x-a");
        assert_eq!(it.next(), Some(&b"one"[..]));
        assert_eq!(it.next(), Some(&b"two"[..]));
        assert_eq!(it.next(), None);
        assert!(r.has_field(b"X-B"));
        assert!(!r.has_field(b"x-c"));
        assert_eq!(trim_ows(b"  \t "), b"");
    }
}
