//! Egress admission: which identifiers and key URLs a verifier may fetch from, and where it may
//! connect. Pure functions over bytes; the I/O layer (the Python resolver, the nginx module)
//! does the resolving and connecting and asks these functions before each step.
//!
//! The signer names every URL the verifier fetches (`id`, `iss`, a `jwks` `url`, the metadata
//! document's `jwks_uri`), before anything is verified, so each is hostile input:
//!
//! 1. [`parse_origin`] admits an identifier (`id`, `iss`) only as a bare origin
//!    `scheme://host[:port]`, and [`parse_url`] a fetch URL only as
//!    `scheme://host[:port]/path[?query]`. Both accept one spelling per URL: lowercase scheme
//!    and host, no userinfo, no percent-escapes or bytes outside the URI character set in the
//!    authority, no explicit default port, no numeric host other than a canonical dotted quad or
//!    an RFC 5952 IPv6 literal. Anything else cannot name a key → `invalid_key`.
//! 2. [`metadata_url`] builds `{origin}/.well-known/{dwk}` with `dwk` restricted to a safe token.
//! 3. [`admit`] applies the deployment's lists: plain `http` only to a listed host, IP literals
//!    and `localhost` names only when public or listed; a name that is not listed must be
//!    resolved once, each address checked with [`admit_address`], and the connection made to
//!    the checked address (DNS-rebinding pinning). A refused destination → `unknown_key`.
//! 4. [`check_jwks_uri`] refuses a cross-origin `jwks_uri` unless the deployment admits it.
//!
//! Steps 2–4 are the host's and need the `egress` feature (on by default); the forms of step 1
//! are rules of `Signature-Key` and of tokens, always built.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §7.3 (egress admission), §7.1 (HTTPS transport);
//! AAuth §Server Identifiers (https, scheme and host only, lowercase, no port, path, query,
//! fragment or trailing slash; this crate also admits `http` and ports, for hosts the
//! deployment lists, which is the caller's decision).

#[cfg(feature = "egress")]
use core::net::IpAddr;
use core::net::{Ipv4Addr, Ipv6Addr};

use aauth_verify_sf::sink::{Sink, SliceSink};

use crate::error::{Check, Error, ErrorCode};

/// Longest identifier or fetch URL accepted, in bytes.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (no limit given; ours, the common
/// 2048-byte URL bound).
pub const MAX_URL_LEN: usize = 2048;

/// Longest `dwk` document name accepted by [`metadata_url`], in bytes.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6 (no limit given; ours).
pub const MAX_DWK_LEN: usize = 128;

/// The path between an origin and its `dwk` in a metadata URL.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6; RFC 8615 §3.
#[cfg(feature = "egress")]
pub const WELL_KNOWN: &str = "/.well-known/";

/// The one place an egress error is built (the error type is shared with the verifier).
fn refuse(code: ErrorCode, check: Check) -> Error {
    Error::new(code, check)
}

fn malformed(check: Check) -> Error {
    refuse(ErrorCode::InvalidKey, check)
}

#[cfg(feature = "egress")]
fn denied(check: Check) -> Error {
    refuse(ErrorCode::UnknownKey, check)
}

/// The scheme of an identifier or fetch URL.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (HTTPS for all outbound fetches; `http`
/// only for hosts the deployment lists, see [`admit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlScheme {
    /// `https`.
    Https,
    /// `http` (development backends; admitted only for listed hosts).
    Http,
}

impl UrlScheme {
    /// The scheme as written, without `://`.
    ///
    /// Spec: RFC 9110 §4.2.
    pub const fn as_str(self) -> &'static str {
        match self {
            UrlScheme::Https => "https",
            UrlScheme::Http => "http",
        }
    }

    /// The default port (443 or 80), which a canonical URL never writes.
    ///
    /// Spec: RFC 9110 §4.2.1, §4.2.2.
    pub const fn default_port(self) -> u16 {
        match self {
            UrlScheme::Https => 443,
            UrlScheme::Http => 80,
        }
    }
}

/// The host of an identifier or fetch URL.
///
/// Spec: RFC 3986 §3.2.2; draft-hardt-httpbis-signature-key-09 §7.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A DNS name: lowercase LDH labels (an IDN arrives as its A-labels), no trailing dot.
    Name(&'a str),
    /// A canonical dotted-quad IPv4 literal.
    V4(Ipv4Addr),
    /// A bracketed IPv6 literal in RFC 5952 form (written `[…]` in the URL).
    V6(Ipv6Addr),
}

#[cfg(feature = "egress")]
impl Host<'_> {
    /// The address class of an IP literal, [`AddrClass::Loopback`] for `localhost` and
    /// `*.localhost` names, and `None` for any other name (it must be resolved, and each
    /// address checked with [`admit_address`]).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.3; RFC 6761 §6.3 (`localhost`).
    pub fn class(&self) -> Option<AddrClass> {
        match *self {
            Host::Name(n) if n == "localhost" || n.ends_with(".localhost") => {
                Some(AddrClass::Loopback)
            }
            Host::Name(_) => None,
            Host::V4(a) => Some(classify_v4(a)),
            Host::V6(a) => Some(classify_v6(a)),
        }
    }
}

/// An identifier parsed by [`parse_origin`], or the origin of a [`FetchUrl`].
///
/// Every text field borrows the input, which is the canonical spelling (the parsers refuse any
/// other), so two origins are the same origin exactly when their `text`s are equal.
///
/// Spec: RFC 6454 §4 (origin = scheme, host, port); draft-hardt-httpbis-signature-key-09 §7.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin<'a> {
    /// `https` or `http`.
    pub scheme: UrlScheme,
    /// The host.
    pub host: Host<'a>,
    /// The explicit port, `None` when the URL writes none (never the scheme's default).
    pub port: Option<u16>,
    /// The host as written (`[…]` for IPv6): what TLS SNI and certificate checks use.
    pub host_text: &'a str,
    /// `host[:port]` as written: the `Host` header value.
    pub authority: &'a str,
    /// `scheme://host[:port]`.
    pub text: &'a str,
}

impl Origin<'_> {
    /// The port the connection goes to: the explicit one, else the scheme's default.
    ///
    /// Spec: RFC 9110 §4.2.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// Whether `other` is the same origin (scheme, host and port).
    ///
    /// Spec: RFC 6454 §5; draft-hardt-httpbis-signature-key-09 §7.3 (redirects to another
    /// host, cross-origin `jwks_uri`).
    pub fn same_origin(&self, other: &Origin<'_>) -> bool {
        self.scheme == other.scheme
            && self.host_text == other.host_text
            && self.effective_port() == other.effective_port()
    }
}

/// A fetch URL parsed by [`parse_url`]: an origin and a request target.
///
/// Spec: RFC 9110 §4.2; RFC 9112 §3.2.1 (origin-form); draft-hardt-httpbis-signature-key-09
/// §7.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchUrl<'a> {
    /// Scheme, host and port.
    pub origin: Origin<'a>,
    /// The path: starts with `/`, no dot segments.
    pub path: &'a str,
    /// The query (after `?`), if any.
    pub query: Option<&'a str>,
    /// `path[?query]`: the origin-form request target to send.
    pub target: &'a str,
    /// The whole URL.
    pub text: &'a str,
}

/// Where a destination stands after [`admit`].
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
#[cfg(feature = "egress")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Admitted {
    /// The deployment lists the host: connect to what it resolves to, private or not.
    Listed,
    /// A public IP literal: connect to it.
    Public,
    /// A name: resolve it once, check every address with [`admit_address`], connect to a
    /// checked address (pinned for the connection), with SNI and the certificate still on the
    /// name.
    Resolve,
}

/// The class of a destination address. Only [`AddrClass::Public`] may be connected to without
/// the deployment listing the host.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3; RFC 6890 (special-purpose registries).
#[cfg(feature = "egress")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddrClass {
    /// Globally routable unicast.
    Public,
    /// `0.0.0.0`, `::` (RFC 1122 §3.2.1.3; RFC 4291 §2.5.2).
    Unspecified,
    /// `127.0.0.0/8`, `::1`, `localhost` names (RFC 1122; RFC 4291 §2.5.3; RFC 6761 §6.3).
    Loopback,
    /// RFC 1918 `10/8`, `172.16/12`, `192.168/16`; RFC 4193 `fc00::/7`; the deprecated
    /// site-local `fec0::/10`; local-use NAT64 `64:ff9b:1::/48` (RFC 8215).
    Private,
    /// `169.254/16`, `fe80::/10` (RFC 3927; RFC 4291 §2.5.6).
    LinkLocal,
    /// Carrier-grade NAT `100.64/10` (RFC 6598).
    Shared,
    /// `224/4`, `ff00::/8` (RFC 5771; RFC 4291 §2.7).
    Multicast,
    /// `255.255.255.255` (RFC 919).
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`
    /// (RFC 5737; RFC 3849; RFC 9637).
    Documentation,
    /// Everything else that is not globally routable unicast: `0/8`, `192.0.0/24`,
    /// `192.88.99/24`, `198.18/15`, `240/4`, IPv6 outside `2000::/3`, `2001::/23`, `5f00::/16`
    /// and IPv4-compatible IPv6 of a public address.
    Reserved,
}

#[cfg(feature = "egress")]
impl AddrClass {
    /// Whether the class may be connected to without the deployment listing the host.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
    pub const fn is_public(self) -> bool {
        matches!(self, AddrClass::Public)
    }

    /// A lowercase name for logs and bindings (`public`, `loopback`, `private`, …).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
    pub const fn as_str(self) -> &'static str {
        match self {
            AddrClass::Public => "public",
            AddrClass::Unspecified => "unspecified",
            AddrClass::Loopback => "loopback",
            AddrClass::Private => "private",
            AddrClass::LinkLocal => "link-local",
            AddrClass::Shared => "shared",
            AddrClass::Multicast => "multicast",
            AddrClass::Broadcast => "broadcast",
            AddrClass::Documentation => "documentation",
            AddrClass::Reserved => "reserved",
        }
    }
}

/// Classifies an IPv4 address.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3; RFC 6890 §2.2.2 and the IANA IPv4
/// special-purpose registry.
#[cfg(feature = "egress")]
pub fn classify_v4(a: Ipv4Addr) -> AddrClass {
    let [o0, o1, o2, _] = a.octets();
    if a.is_unspecified() {
        AddrClass::Unspecified
    } else if a.is_broadcast() {
        AddrClass::Broadcast
    } else if o0 == 127 {
        AddrClass::Loopback
    } else if o0 == 10 || (o0 == 172 && (o1 & 0xf0) == 16) || (o0 == 192 && o1 == 168) {
        AddrClass::Private
    } else if o0 == 169 && o1 == 254 {
        AddrClass::LinkLocal
    } else if o0 == 100 && (o1 & 0xc0) == 64 {
        AddrClass::Shared
    } else if (o0 & 0xf0) == 224 {
        AddrClass::Multicast
    } else if (o0, o1, o2) == (192, 0, 2)
        || (o0, o1, o2) == (198, 51, 100)
        || (o0, o1, o2) == (203, 0, 113)
    {
        AddrClass::Documentation
    } else if o0 == 0
        || (o0, o1, o2) == (192, 0, 0)
        || (o0, o1, o2) == (192, 88, 99)
        || (o0 == 198 && (o1 & 0xfe) == 18)
        || (o0 & 0xf0) == 240
    {
        AddrClass::Reserved
    } else {
        AddrClass::Public
    }
}

/// Classifies an IPv6 address. Forms that embed an IPv4 address (IPv4-mapped `::ffff:0:0/96`,
/// IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) take the class of the
/// embedded address when it is not public; an IPv4-compatible address is never public.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3; RFC 4291 §2.5; RFC 6890 §2.2.3 and the
/// IANA IPv6 special-purpose registry; RFC 6052 §2.1 (NAT64); RFC 3056 §2 (6to4).
#[cfg(feature = "egress")]
pub fn classify_v6(a: Ipv6Addr) -> AddrClass {
    let s = a.segments();
    let [s0, s1, s2, s3, s4, s5, s6, s7] = s;
    let embedded = Ipv4Addr::new((s6 >> 8) as u8, s6 as u8, (s7 >> 8) as u8, s7 as u8);
    if a.is_unspecified() {
        return AddrClass::Unspecified;
    }
    if a.is_loopback() {
        return AddrClass::Loopback;
    }
    if [s0, s1, s2, s3, s4] == [0; 5] && s5 == 0xffff {
        return classify_v4(embedded);
    }
    if [s0, s1, s2, s3, s4, s5] == [0; 6] {
        // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1): never routed as such.
        return match classify_v4(embedded) {
            AddrClass::Public => AddrClass::Reserved,
            c => c,
        };
    }
    if [s0, s1, s2, s3, s4, s5] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded);
    }
    if s0 == 0x64 && s1 == 0xff9b && s2 == 1 {
        return AddrClass::Private;
    }
    if s0 == 0x2002 {
        let v4 = Ipv4Addr::new((s1 >> 8) as u8, s1 as u8, (s2 >> 8) as u8, s2 as u8);
        return match classify_v4(v4) {
            AddrClass::Public => AddrClass::Public,
            c => c,
        };
    }
    if (s0 & 0xff00) == 0xff00 {
        return AddrClass::Multicast;
    }
    if (s0 & 0xffc0) == 0xfe80 {
        return AddrClass::LinkLocal;
    }
    if (s0 & 0xfe00) == 0xfc00 || (s0 & 0xffc0) == 0xfec0 {
        return AddrClass::Private;
    }
    if (s0 == 0x2001 && s1 == 0x0db8) || (s0 & 0xfff0) == 0x3ff0 {
        return AddrClass::Documentation;
    }
    if (s0 & 0xe000) != 0x2000 || (s0 == 0x2001 && s1 < 0x0200) || s0 == 0x5f00 {
        return AddrClass::Reserved;
    }
    AddrClass::Public
}

/// Classifies an IP address ([`classify_v4`] or [`classify_v6`]).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
#[cfg(feature = "egress")]
pub fn classify_ip(a: IpAddr) -> AddrClass {
    match a {
        IpAddr::V4(a) => classify_v4(a),
        IpAddr::V6(a) => classify_v6(a),
    }
}

/// Checks a resolved destination address: `Ok` when public, else `unknown_key`. Call it for
/// every address a name that [`admit`] answered [`Admitted::Resolve`] for resolves to, and
/// connect only to a checked address.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (reject private, loopback and link-local
/// destination addresses; pin the resolved IP address).
#[cfg(feature = "egress")]
pub fn admit_address(a: IpAddr) -> Result<(), Error> {
    if classify_ip(a).is_public() {
        Ok(())
    } else {
        Err(denied(Check::AddressNotPublic))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn as_str(b: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(b).map_err(|_| malformed(Check::UrlBytes))
}

/// The scheme and the bytes after `://`.
fn split_scheme(url: &[u8]) -> Result<(UrlScheme, &[u8]), Error> {
    if url.len() > MAX_URL_LEN {
        return Err(malformed(Check::UrlBytes));
    }
    if url.iter().any(|&b| b <= b' ' || b >= 0x7f) {
        return Err(malformed(Check::UrlBytes));
    }
    if let Some(rest) = url.strip_prefix(b"https://") {
        Ok((UrlScheme::Https, rest))
    } else if let Some(rest) = url.strip_prefix(b"http://") {
        Ok((UrlScheme::Http, rest))
    } else {
        Err(malformed(Check::UrlScheme))
    }
}

/// Splits `rest` (after `scheme://`) at the end of the authority.
fn split_authority(rest: &[u8]) -> (&[u8], &[u8]) {
    let end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(rest.len());
    rest.split_at_checked(end).unwrap_or((rest, b""))
}

/// The RFC 5952 text of an IPv6 address, exactly as `Ipv6Addr`'s `Display` writes it (the unit
/// tests compare the two on random and edge-case addresses): groups in lowercase hex without
/// leading zeros, the first longest run of two or more zero groups written `::`, and an
/// IPv4-mapped address (`::ffff:0:0/96`) as `::ffff:` and a dotted quad. Written by hand
/// rather than through `core::fmt`, which would bring the formatting machinery and
/// `core::net`'s parser into every build (about 7 KB of `.text` at `opt-level = "z"`).
fn write_v6(segs: &[u16; 8], out: &mut SliceSink<'_>) {
    fn hex(v: u16, out: &mut SliceSink<'_>) {
        let mut started = false;
        for shift in [12u16, 8, 4, 0] {
            let d = (v >> shift) & 0xF;
            if d != 0 || started || shift == 0 {
                out.write(&[b"0123456789abcdef"
                    .get(usize::from(d))
                    .copied()
                    .unwrap_or(b'0')]);
                started = true;
            }
        }
    }
    fn groups(segs: &[u16], out: &mut SliceSink<'_>) {
        for (i, &g) in segs.iter().enumerate() {
            if i > 0 {
                out.write(b":");
            }
            hex(g, out);
        }
    }
    if let [0, 0, 0, 0, 0, 0xffff, hi, lo] = *segs {
        out.write(b"::ffff:");
        for (i, octet) in [hi >> 8, hi & 0xFF, lo >> 8, lo & 0xFF]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                out.write(b".");
            }
            let mut digits = [0u8; 3];
            let mut n = 0;
            let mut v = octet;
            loop {
                if let Some(d) = digits.get_mut(n) {
                    *d = b'0' + (v % 10) as u8;
                }
                n += 1;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            for d in digits.get(..n).unwrap_or(&[]).iter().rev() {
                out.write(&[*d]);
            }
        }
        return;
    }
    // The first longest run of zero groups.
    let (mut best, mut best_len, mut run) = (0, 0, 0);
    for (i, &g) in segs.iter().enumerate() {
        run = if g == 0 { run + 1 } else { 0 };
        if run > best_len {
            best_len = run;
            best = i + 1 - run;
        }
    }
    match (segs.get(..best), segs.get(best + best_len..)) {
        (Some(left), Some(right)) if best_len > 1 => {
            groups(left, out);
            out.write(b"::");
            groups(right, out);
        }
        _ => groups(segs, out),
    }
}

/// Up to `out.len()` colon-separated groups of one to four hex digits (none for an empty
/// `part`); how many, or `None` if `part` is anything else.
fn hex_groups(part: &[u8], out: &mut [u16]) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    for g in part.split(|&b| b == b':') {
        if g.is_empty() || g.len() > 4 {
            return None;
        }
        let mut v = 0u16;
        for &c in g {
            v = (v << 4) | u16::from(char::from(c).to_digit(16)? as u8);
        }
        *out.get_mut(n)? = v;
        n += 1;
    }
    Some(n)
}

/// An IPv6 literal (inside the brackets) in its one RFC 5952 spelling, the one
/// `Ipv6Addr`'s `Display` writes: it is read into groups (with at most one `::`, or as
/// `::ffff:` and a dotted quad), and the groups must be written back exactly as received.
fn parse_v6(inner: &[u8]) -> Result<Ipv6Addr, Error> {
    let bad = || malformed(Check::UrlHost);
    let mut segs = [0u16; 8];
    match inner.strip_prefix(b"::ffff:").and_then(canonical_v4) {
        Some(v4) => {
            let [a, b, c, d] = v4.octets();
            segs[5] = 0xffff;
            segs[6] = u16::from_be_bytes([a, b]);
            segs[7] = u16::from_be_bytes([c, d]);
        }
        None => match inner.windows(2).position(|w| w == b"::") {
            None => {
                if hex_groups(inner, &mut segs).ok_or_else(bad)? != 8 {
                    return Err(bad());
                }
            }
            Some(i) => {
                let (left, right) = (
                    inner.get(..i).ok_or_else(bad)?,
                    inner.get(i + 2..).ok_or_else(bad)?,
                );
                let mut tail = [0u16; 8];
                let nl = hex_groups(left, &mut segs).ok_or_else(bad)?;
                let nr = hex_groups(right, &mut tail).ok_or_else(bad)?;
                // `::` stands for at least one zero group.
                if nl + nr > 7 {
                    return Err(bad());
                }
                let (src, dst) = (
                    tail.get(..nr).ok_or_else(bad)?,
                    segs.get_mut(8 - nr..).ok_or_else(bad)?,
                );
                dst.copy_from_slice(src);
            }
        },
    }
    let mut buf = [0u8; 48];
    let mut text = SliceSink::new(&mut buf);
    write_v6(&segs, &mut text);
    if text.finish() != Some(inner) {
        return Err(bad());
    }
    Ok(Ipv6Addr::from(segs))
}

/// A canonical dotted quad (`0` or `[1-9][0-9]{0,2}` ≤ 255, four times), or `None`.
fn canonical_v4(host: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = host.split(|&b| b == b'.');
    for o in octets.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if p.len() > 1 && p.first() == Some(&b'0') {
            return None;
        }
        let v = p
            .iter()
            .fold(0u16, |v, d| v * 10 + u16::from(d.wrapping_sub(b'0')));
        *o = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// Whether a label reads as a number to a WHATWG URL parser (decimal, or `0x` hex): a host whose
/// last label is one is an IPv4 address in some spelling.
fn numeric_label(label: &[u8]) -> bool {
    if let Some(hex) = label.strip_prefix(b"0x") {
        return hex.iter().all(u8::is_ascii_hexdigit);
    }
    !label.is_empty() && label.iter().all(u8::is_ascii_digit)
}

fn parse_host(host: &[u8]) -> Result<Host<'_>, Error> {
    if host.is_empty() {
        return Err(malformed(Check::UrlHost));
    }
    if let Some(rest) = host.strip_prefix(b"[") {
        let inner = rest.strip_suffix(b"]").ok_or(malformed(Check::UrlHost))?;
        return parse_v6(inner).map(Host::V6);
    }
    if host.contains(&b'%') {
        return Err(malformed(Check::UrlHost));
    }
    if host.iter().any(u8::is_ascii_uppercase) {
        return Err(malformed(Check::UrlHost));
    }
    if host.len() > 253 {
        return Err(malformed(Check::UrlHost));
    }
    let last = host.rsplit(|&b| b == b'.').next().unwrap_or(host);
    if numeric_label(last) {
        return canonical_v4(host)
            .map(Host::V4)
            .ok_or(malformed(Check::UrlHost));
    }
    for label in host.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return Err(malformed(Check::UrlHost));
        }
        if !label
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(malformed(Check::UrlHost));
        }
        if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
            return Err(malformed(Check::UrlHost));
        }
    }
    Ok(Host::Name(as_str(host)?))
}

/// `1`..`65535`, decimal without a leading zero.
fn parse_port(p: &[u8]) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || p.first() == Some(&b'0') {
        return None;
    }
    if !p.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = p
        .iter()
        .fold(0u32, |v, d| v * 10 + u32::from(d.wrapping_sub(b'0')));
    u16::try_from(v).ok()
}

/// Splits `host[:port]` (the host may be `[v6]`), without checking either part.
fn split_port(auth: &[u8]) -> Result<(&[u8], Option<&[u8]>), Error> {
    let host_end = if auth.first() == Some(&b'[') {
        auth.iter()
            .position(|&b| b == b']')
            .map(|i| i + 1)
            .ok_or(malformed(Check::UrlHost))?
    } else {
        auth.iter().position(|&b| b == b':').unwrap_or(auth.len())
    };
    let (host, rest) = auth.split_at_checked(host_end).unwrap_or((auth, b""));
    match rest.split_first() {
        None => Ok((host, None)),
        Some((b':', port)) => Ok((host, Some(port))),
        Some(_) => Err(malformed(Check::UrlHost)),
    }
}

fn parse_authority(scheme: UrlScheme, auth: &[u8]) -> Result<(Host<'_>, Option<u16>, &str), Error> {
    if auth.contains(&b'@') {
        return Err(malformed(Check::UrlUserinfo));
    }
    let (host_b, port_b) = split_port(auth)?;
    let host = parse_host(host_b)?;
    let port = match port_b {
        None => None,
        Some(p) => {
            let port = parse_port(p).ok_or(malformed(Check::UrlPort))?;
            if port == scheme.default_port() {
                return Err(malformed(Check::UrlPort));
            }
            Some(port)
        }
    };
    Ok((host, port, as_str(host_b)?))
}

fn origin_of<'a>(url: &'a [u8], scheme: UrlScheme, auth: &'a [u8]) -> Result<Origin<'a>, Error> {
    let (host, port, host_text) = parse_authority(scheme, auth)?;
    let text_len = scheme.as_str().len() + 3 + auth.len();
    let text = url.get(..text_len).ok_or(malformed(Check::UrlBytes))?;
    Ok(Origin {
        scheme,
        host,
        port,
        host_text,
        authority: as_str(auth)?,
        text: as_str(text)?,
    })
}

/// Parses an identifier (a Signature-Key `id`, a token's `iss`) as a bare origin
/// `scheme://host[:port]`.
///
/// Refused (`invalid_key`): a scheme other than lowercase `https`/`http`; userinfo; any path
/// (even `/`), query or fragment; an empty host; a host with uppercase letters, a
/// percent-escape, a byte outside `[a-z0-9.-]` (IDNs must arrive as A-labels), an empty label
/// or trailing dot; a numeric host that is not a canonical dotted quad (`127.1`, `0x7f000001`,
/// `2130706433`, `0177.0.0.1`: ambiguous); an IPv6 literal not in RFC 5952 form or with a zone
/// id; a port that is empty, zero, over 65535, has a leading zero or is the scheme's default;
/// whitespace, control or non-ASCII bytes; more than [`MAX_URL_LEN`] bytes. Whether `http` or a
/// port is acceptable is the caller's decision ([`admit`]).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3, §3.6; AAuth §Server Identifiers;
/// RFC 6454 §4.
pub fn parse_origin(id: &[u8]) -> Result<Origin<'_>, Error> {
    let (scheme, rest) = split_scheme(id)?;
    let (auth, tail) = split_authority(rest);
    if !tail.is_empty() {
        return Err(malformed(Check::IdentifierForm));
    }
    origin_of(id, scheme, auth)
}

fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

/// Checks `%HH` escapes and the allowed bytes of a path (`extra` = `/`) or a query (`/?`).
fn check_component(part: &[u8], extra: &[u8]) -> Result<(), Error> {
    let mut i = part.iter();
    while let Some(&b) = i.next() {
        if b == b'%' {
            let ok = matches!((i.next(), i.next()), (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit());
            if !ok {
                return Err(malformed(Check::UrlBytes));
            }
        } else if !is_pchar(b) && !extra.contains(&b) {
            return Err(malformed(Check::UrlBytes));
        }
    }
    Ok(())
}

/// A path segment that is `.` or `..`, literally or percent-encoded.
fn dot_segment(seg: &[u8]) -> bool {
    const DOTS: [&[u8]; 6] = [b".", b"..", b"%2e", b".%2e", b"%2e.", b"%2e%2e"];
    DOTS.iter().any(|d| seg.eq_ignore_ascii_case(d))
}

/// Parses a fetch URL (a `jwks` `url`, a metadata document's `jwks_uri`, a redirect target):
/// `scheme://host[:port]/path[?query]`.
///
/// The origin follows [`parse_origin`]'s rules. The path is required (at least `/`), made of
/// RFC 3986 `pchar`s, `/` and valid `%HH` escapes, with no dot segments (`.`, `..`, or their
/// percent-encoded forms: an HTTP client would rewrite them). The query may also hold `/` and
/// `?`. A fragment, a backslash, userinfo and anything [`parse_origin`] refuses →
/// `invalid_key`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3; RFC 3986 §3.3, §3.4, §5.2.4; RFC 9110
/// §4.2.
pub fn parse_url(url: &[u8]) -> Result<FetchUrl<'_>, Error> {
    let (scheme, rest) = split_scheme(url)?;
    let (auth, tail) = split_authority(rest);
    let origin = origin_of(url, scheme, auth)?;
    if tail.contains(&b'#') {
        return Err(malformed(Check::UrlFragment));
    }
    if tail.contains(&b'\\') {
        return Err(malformed(Check::UrlBytes));
    }
    let (path, query) = match tail.iter().position(|&b| b == b'?') {
        Some(q) => {
            let (p, q) = tail.split_at_checked(q).unwrap_or((tail, b""));
            (p, Some(q.get(1..).unwrap_or(b"")))
        }
        None => (tail, None),
    };
    if path.first() != Some(&b'/') {
        return Err(malformed(Check::UrlPath));
    }
    check_component(path, b"/")?;
    if path.split(|&b| b == b'/').any(dot_segment) {
        return Err(malformed(Check::UrlPath));
    }
    if let Some(q) = query {
        check_component(q, b"/?")?;
    }
    Ok(FetchUrl {
        origin,
        path: as_str(path)?,
        query: query.map(as_str).transpose()?,
        target: as_str(tail)?,
        text: as_str(url)?,
    })
}

/// Checks a `dwk` (the metadata document name): `[A-Za-z0-9._-]{1,128}` with no `..`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6 (`dwk`); RFC 8615 §3 (well-known names are
/// segment-nz tokens).
pub fn check_dwk(dwk: &[u8]) -> Result<&str, Error> {
    if dwk.is_empty() || dwk.len() > MAX_DWK_LEN {
        return Err(malformed(Check::DwkForm));
    }
    if !dwk
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(malformed(Check::DwkForm));
    }
    if dwk == b"." || dwk.windows(2).any(|w| w == b"..") {
        return Err(malformed(Check::DwkForm));
    }
    as_str(dwk)
}

/// Writes the metadata URL `{origin}/.well-known/{dwk}` into `out` and returns it.
///
/// `dwk` must pass [`check_dwk`] (else `invalid_key`). `out` needs
/// `origin.text.len() + 13 + dwk.len()` bytes (at most `MAX_URL_LEN + 13 + MAX_DWK_LEN`); a
/// shorter buffer → `invalid_key`.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6; AAuth §Metadata Documents; RFC 8615 §3.
#[cfg(feature = "egress")]
pub fn metadata_url<'b>(
    origin: &Origin<'_>,
    dwk: &[u8],
    out: &'b mut [u8],
) -> Result<&'b str, Error> {
    let dwk = check_dwk(dwk)?;
    let mut n = 0usize;
    for part in [origin.text, WELL_KNOWN, dwk] {
        let end = n + part.len();
        out.get_mut(n..end)
            .ok_or(malformed(Check::TextTooLong))?
            .copy_from_slice(part.as_bytes());
        n = end;
    }
    let written = out.get(..n).ok_or(malformed(Check::TextTooLong))?;
    as_str(written)
}

// ---------------------------------------------------------------------------------------------
// Deployment lists
// ---------------------------------------------------------------------------------------------

/// A parsed allowlist pattern: a host part and a port part.
#[cfg(feature = "egress")]
#[derive(Clone, Copy)]
enum HostPat<'p> {
    Any,
    Suffix(&'p [u8]),
    Exact(&'p [u8]),
}

#[cfg(feature = "egress")]
#[derive(Clone, Copy)]
enum PortPat {
    Default,
    Any,
    Is(u16),
}

#[cfg(feature = "egress")]
fn split_pattern(p: &[u8]) -> Result<(HostPat<'_>, PortPat), Error> {
    let bad = || malformed(Check::PatternForm);
    let (host, port) = split_port(p).map_err(|_| bad())?;
    let port = match port {
        None => PortPat::Default,
        Some(b"*") => PortPat::Any,
        Some(n) => PortPat::Is(parse_port(n).ok_or_else(bad)?),
    };
    let host = if host == b"*" {
        HostPat::Any
    } else if let Some(suffix) = host.strip_prefix(b"*.") {
        match parse_host(suffix) {
            Ok(Host::Name(_)) => HostPat::Suffix(suffix),
            _ => return Err(bad()),
        }
    } else {
        parse_host(host).map_err(|_| bad())?;
        HostPat::Exact(host)
    };
    Ok((host, port))
}

/// Checks an allowlist pattern (for configuration errors): `host[:port]`, `*.suffix[:port]`,
/// `*[:port]`, where the host is spelled as [`parse_origin`] requires and the port is a number
/// or `*`. Malformed → `invalid_key` (bindings report it as a configuration error).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 ("unless explicitly allowed by deployment
/// configuration").
#[cfg(feature = "egress")]
pub fn check_pattern(pattern: &[u8]) -> Result<(), Error> {
    split_pattern(pattern).map(|_| ())
}

/// Whether `pattern` matches `origin`'s host and port.
///
/// * Host part: `*` matches every host; `*.suffix` every name ending in `.suffix` (not
///   `suffix` itself, never an IP literal); anything else exactly that host
///   (`127.0.0.1`, `[::1]`, `localhost`).
/// * Port part: none matches only the scheme's default port (so `localhost` does **not**
///   admit `http://localhost:8000`; write `localhost:8000`, or `localhost:*` for every port);
///   `:N` matches port `N`; `:*` any port.
///
/// A malformed pattern matches nothing.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
#[cfg(feature = "egress")]
pub fn pattern_matches(pattern: &[u8], origin: &Origin<'_>) -> bool {
    let Ok((host, port)) = split_pattern(pattern) else {
        return false;
    };
    let h = origin.host_text.as_bytes();
    let host_ok = match host {
        HostPat::Any => true,
        HostPat::Exact(e) => e == h,
        HostPat::Suffix(s) => {
            matches!(origin.host, Host::Name(_))
                && h.len() > s.len() + 1
                && h.ends_with(s)
                && h.get(h.len() - s.len() - 1) == Some(&b'.')
        }
    };
    let port_ok = match port {
        PortPat::Any => true,
        PortPat::Default => origin.port.is_none(),
        PortPat::Is(n) => origin.effective_port() == n,
    };
    host_ok && port_ok
}

/// Whether any of `patterns` matches `origin` ([`pattern_matches`]).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
#[cfg(feature = "egress")]
pub fn listed<'p, I>(patterns: I, origin: &Origin<'_>) -> bool
where
    I: IntoIterator<Item = &'p [u8]>,
{
    patterns.into_iter().any(|p| pattern_matches(p, origin))
}

/// Egress admission of a destination before any connection.
///
/// * `http` is admitted only when `http_hosts` lists the origin (else `unknown_key`).
/// * A host listed in `http_hosts` or `private_hosts` → [`Admitted::Listed`]: the deployment
///   vouches for it, whatever it resolves to.
/// * Otherwise an IP literal, `localhost` or `*.localhost` must be public (else
///   `unknown_key`) → [`Admitted::Public`]; any other name → [`Admitted::Resolve`].
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (HTTPS for all outbound fetches; reject
/// private, loopback and link-local destinations unless explicitly allowed).
#[cfg(feature = "egress")]
pub fn admit(
    origin: &Origin<'_>,
    http_hosts: &[&[u8]],
    private_hosts: &[&[u8]],
) -> Result<Admitted, Error> {
    let http_listed = listed(http_hosts.iter().copied(), origin);
    if origin.scheme == UrlScheme::Http && !http_listed {
        return Err(denied(Check::HttpNotListed));
    }
    if http_listed || listed(private_hosts.iter().copied(), origin) {
        return Ok(Admitted::Listed);
    }
    match origin.host.class() {
        None => Ok(Admitted::Resolve),
        Some(c) if c.is_public() => Ok(Admitted::Public),
        Some(_) => Err(denied(Check::AddressNotPublic)),
    }
}

/// Checks a metadata document's `jwks_uri` against the origin the document was fetched from:
/// a same-origin `jwks_uri` passes; a cross-origin one only when one of `cross_origin`'s
/// patterns ([`pattern_matches`]) lists the `jwks_uri`'s origin (else `unknown_key`).
/// Egress admission ([`admit`]) of the `jwks_uri` still applies.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (cross-origin `jwks_uri` URLs require
/// explicit deployment admission).
#[cfg(feature = "egress")]
pub fn check_jwks_uri(
    jwks_uri: &FetchUrl<'_>,
    metadata: &Origin<'_>,
    cross_origin: &[&[u8]],
) -> Result<(), Error> {
    if jwks_uri.origin.same_origin(metadata)
        || listed(cross_origin.iter().copied(), &jwks_uri.origin)
    {
        Ok(())
    } else {
        Err(denied(Check::JwksUriCrossOrigin))
    }
}

#[cfg(all(test, feature = "egress"))]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin<'_> {
        parse_origin(s.as_bytes()).unwrap()
    }

    fn refused(s: &str) -> bool {
        parse_origin(s.as_bytes()).is_err()
    }

    #[test]
    fn origins_in_canonical_form_parse() {
        let o = origin("https://agent.example");
        assert_eq!(o.scheme, UrlScheme::Https);
        assert_eq!(o.host, Host::Name("agent.example"));
        assert_eq!(
            (o.port, o.authority, o.text),
            (None, "agent.example", "https://agent.example")
        );
        let o = origin("http://127.0.0.1:8000");
        assert_eq!(o.host, Host::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(
            (o.port, o.host_text, o.authority),
            (Some(8000), "127.0.0.1", "127.0.0.1:8000")
        );
        let o = origin("http://backend.localhost:8000");
        assert_eq!(o.host.class(), Some(AddrClass::Loopback));
        let o = origin("https://[::1]:8443");
        assert_eq!(o.host, Host::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(o.host_text, "[::1]");
        assert_eq!(
            origin("https://xn--bcher-kva.example").host,
            Host::Name("xn--bcher-kva.example")
        );
    }

    #[test]
    fn origins_in_other_forms_are_refused() {
        for s in [
            "https://agent.example/",
            "https://agent.example/admin/delete?x=1#",
            "https://agent.example?x",
            "https://agent.example#",
            "https://user@agent.example",
            "https://user:pw@agent.example",
            "https://Agent.example",
            "HTTPS://agent.example",
            "ftp://agent.example",
            "https:agent.example",
            "https://",
            "https://:443",
            "https://agent.example:",
            "https://agent.example:abc",
            "https://agent.example:0",
            "https://agent.example:65536",
            "https://agent.example:080",
            "https://agent.example:443",
            "http://agent.example:80",
            "https://agent.example.",
            "https://agent..example",
            "https://-agent.example",
            "https://agent_x.example",
            "https://ag%65nt.example",
            "https://agent.example\\x",
            "https://agent .example",
            "https://agent.example\n",
            "https://bücher.example",
            "https://[x",
            "https://[::1",
            "https://[::1]x",
            "https://[::1]:",
            "https://[0::1]",
            "https://[::FFFF:127.0.0.1]",
            "https://[fe80::1%25eth0]",
            "https://[v1.x]",
            "https://127.1",
            "https://0x7f000001",
            "https://2130706433",
            "https://0177.0.0.1",
            "https://127.0.0.01",
            "https://256.0.0.1",
            "https://1.2.3.4.5",
            "https://a.b.0x1",
            "https://example.123",
            "https://0x",
        ] {
            assert!(refused(s), "{s:?} was admitted");
            assert_eq!(
                parse_origin(s.as_bytes()).unwrap_err().code,
                ErrorCode::InvalidKey,
                "{s:?}"
            );
        }
        let long = [b'a'; MAX_URL_LEN + 1];
        assert!(parse_origin(&long).is_err());
        // Labels of 63 bytes pass, 64 do not.
        let mut label = [b'a'; 8 + 64 + 8];
        label[..8].copy_from_slice(b"https://");
        label[72..].copy_from_slice(b".example");
        assert!(parse_origin(&label).is_err(), "64-byte label");
        assert!(parse_origin(&label[1..]).is_err(), "not a scheme");
        label[8] = b'-';
        assert!(parse_origin(&label).is_err(), "leading '-'");
        let mut ok = [b'a'; 8 + 63 + 8];
        ok[..8].copy_from_slice(b"https://");
        ok[71..].copy_from_slice(b".example");
        assert!(parse_origin(&ok).is_ok(), "63-byte label");
    }

    #[test]
    fn fetch_urls() {
        let u = parse_url(b"https://agent.example/jwks.json?v=1/2?3").unwrap();
        assert_eq!(u.origin.text, "https://agent.example");
        assert_eq!(
            (u.path, u.query, u.target),
            ("/jwks.json", Some("v=1/2?3"), "/jwks.json?v=1/2?3")
        );
        let u = parse_url(b"http://127.0.0.1:8000/").unwrap();
        assert_eq!((u.path, u.query, u.target), ("/", None, "/"));
        assert!(parse_url(b"https://a.example/%7Euser/k%20s").is_ok());
        assert!(parse_url(b"https://a.example/?").is_ok());
        for s in [
            "https://a.example",
            "https://a.example?x",
            "https://a.example/x#f",
            "https://a.example/x#",
            "https://a.example/a/../b",
            "https://a.example/a/./b",
            "https://a.example/..",
            "https://a.example/%2e%2E/b",
            "https://a.example/.%2e",
            "https://a.example/a%",
            "https://a.example/a%zz",
            "https://a.example/a b",
            "https://a.example/a\\b",
            "https://a.example/a\"b",
            "https://a.example/a<b>",
            "https://a.example/?a{b}",
            "https://u@a.example/x",
            "https://a.example:abc/x",
            "https://[x/x",
        ] {
            assert_eq!(
                parse_url(s.as_bytes()).map(|_| ()).unwrap_err().code,
                ErrorCode::InvalidKey,
                "{s:?}"
            );
        }
    }

    #[test]
    fn metadata_urls() {
        let mut buf = [0u8; 256];
        let o = origin("https://agent.example");
        assert_eq!(
            metadata_url(&o, b"aauth-agent.json", &mut buf).unwrap(),
            "https://agent.example/.well-known/aauth-agent.json"
        );
        for dwk in [
            &b""[..],
            b".",
            b"..",
            b"../etc",
            b"a/b",
            b"x\n",
            b"a..b",
            b"a b",
            b"a%2f",
            &[b'a'; 129],
        ] {
            assert!(metadata_url(&o, dwk, &mut buf).is_err(), "{dwk:?}");
        }
        let mut small = [0u8; 20];
        assert!(metadata_url(&o, b"aauth-agent.json", &mut small).is_err());
        // The result parses as a fetch URL on the same origin.
        let u = parse_url(metadata_url(&o, b"a.json", &mut buf).unwrap().as_bytes()).unwrap();
        assert!(u.origin.same_origin(&o));
    }

    #[test]
    fn address_classes() {
        let v4 = |s: &str| classify_v4(s.parse().unwrap());
        let v6 = |s: &str| classify_v6(s.parse().unwrap());
        for (a, c) in [
            ("0.0.0.0", AddrClass::Unspecified),
            ("0.1.2.3", AddrClass::Reserved),
            ("10.1.2.3", AddrClass::Private),
            ("100.64.0.1", AddrClass::Shared),
            ("100.127.255.255", AddrClass::Shared),
            ("100.128.0.1", AddrClass::Public),
            ("127.0.0.1", AddrClass::Loopback),
            ("127.255.0.9", AddrClass::Loopback),
            ("169.254.169.254", AddrClass::LinkLocal),
            ("172.15.0.1", AddrClass::Public),
            ("172.16.0.1", AddrClass::Private),
            ("172.31.255.255", AddrClass::Private),
            ("172.32.0.1", AddrClass::Public),
            ("192.0.0.8", AddrClass::Reserved),
            ("192.0.2.1", AddrClass::Documentation),
            ("192.88.99.1", AddrClass::Reserved),
            ("192.168.1.1", AddrClass::Private),
            ("198.18.0.1", AddrClass::Reserved),
            ("198.19.255.1", AddrClass::Reserved),
            ("198.20.0.1", AddrClass::Public),
            ("198.51.100.1", AddrClass::Documentation),
            ("203.0.113.1", AddrClass::Documentation),
            ("224.0.0.1", AddrClass::Multicast),
            ("239.1.1.1", AddrClass::Multicast),
            ("240.0.0.1", AddrClass::Reserved),
            ("255.255.255.255", AddrClass::Broadcast),
            ("8.8.8.8", AddrClass::Public),
            ("93.184.216.34", AddrClass::Public),
        ] {
            assert_eq!(v4(a), c, "{a}");
        }
        for (a, c) in [
            ("::", AddrClass::Unspecified),
            ("::1", AddrClass::Loopback),
            ("::ffff:127.0.0.1", AddrClass::Loopback),
            ("::ffff:169.254.169.254", AddrClass::LinkLocal),
            ("::ffff:10.0.0.1", AddrClass::Private),
            ("::ffff:8.8.8.8", AddrClass::Public),
            ("::127.0.0.1", AddrClass::Loopback),
            ("::8.8.8.8", AddrClass::Reserved),
            ("64:ff9b::10.0.0.1", AddrClass::Private),
            ("64:ff9b::169.254.169.254", AddrClass::LinkLocal),
            ("64:ff9b::8.8.8.8", AddrClass::Public),
            ("64:ff9b:1::1", AddrClass::Private),
            ("2002:7f00:1::1", AddrClass::Loopback),
            ("2002:808:808::1", AddrClass::Public),
            ("fc00::1", AddrClass::Private),
            ("fd12:3456::1", AddrClass::Private),
            ("fec0::1", AddrClass::Private),
            ("fe80::1", AddrClass::LinkLocal),
            ("febf::1", AddrClass::LinkLocal),
            ("ff02::1", AddrClass::Multicast),
            ("2001:db8::1", AddrClass::Documentation),
            ("3fff::1", AddrClass::Documentation),
            ("2001::1", AddrClass::Reserved),
            ("2001:1ff::1", AddrClass::Reserved),
            ("100::1", AddrClass::Reserved),
            ("5f00::1", AddrClass::Reserved),
            ("4000::1", AddrClass::Reserved),
            ("2606:4700::1111", AddrClass::Public),
            ("2001:4860:4860::8888", AddrClass::Public),
        ] {
            assert_eq!(v6(a), c, "{a}");
        }
        assert!(admit_address("8.8.8.8".parse().unwrap()).is_ok());
        assert_eq!(
            admit_address("::1".parse().unwrap()).unwrap_err().code,
            ErrorCode::UnknownKey
        );
    }

    #[test]
    fn patterns() {
        let o = origin("http://127.0.0.1:8000");
        assert!(pattern_matches(b"127.0.0.1:8000", &o));
        assert!(pattern_matches(b"127.0.0.1:*", &o));
        assert!(pattern_matches(b"*:8000", &o));
        assert!(pattern_matches(b"*:*", &o));
        assert!(
            !pattern_matches(b"127.0.0.1", &o),
            "a bare host admits the default port only"
        );
        assert!(!pattern_matches(b"*", &o));
        assert!(!pattern_matches(b"127.0.0.1:8001", &o));
        assert!(
            !pattern_matches(b"*.0.0.1:8000", &o),
            "suffixes never match IP literals"
        );
        let l = origin("http://localhost");
        assert!(pattern_matches(b"localhost", &l) && pattern_matches(b"localhost:80", &l));
        assert!(pattern_matches(b"*", &l));
        let s = origin("https://a.b.example");
        assert!(pattern_matches(b"*.example", &s) && pattern_matches(b"*.b.example", &s));
        assert!(!pattern_matches(b"*.a.b.example", &s));
        assert!(!pattern_matches(
            b"*.b.example",
            &origin("https://b.example")
        ));
        assert!(!pattern_matches(b"*.example", &origin("https://xexample")));
        assert!(pattern_matches(
            b"[::1]:8443",
            &origin("https://[::1]:8443")
        ));
        for p in [
            &b""[..],
            b"*.",
            b"*.*",
            b"a.example:",
            b"a.example:0",
            b"A.example",
            b"*x",
            b"a@b",
            b"[::1",
            b"127.1",
        ] {
            assert!(check_pattern(p).is_err(), "{p:?}");
            assert!(!pattern_matches(p, &s), "{p:?}");
        }
    }

    #[test]
    fn admission() {
        let none: &[&[u8]] = &[];
        let dev: &[&[u8]] = &[b"127.0.0.1:8000"];
        assert_eq!(
            admit(&origin("https://agent.example"), none, none),
            Ok(Admitted::Resolve)
        );
        assert_eq!(
            admit(&origin("https://8.8.8.8"), none, none),
            Ok(Admitted::Public)
        );
        assert_eq!(
            admit(&origin("http://127.0.0.1:8000"), dev, none),
            Ok(Admitted::Listed)
        );
        assert_eq!(
            admit(&origin("https://127.0.0.1:8000"), dev, none),
            Ok(Admitted::Listed)
        );
        assert_eq!(
            admit(&origin("https://127.0.0.1:8000"), none, dev),
            Ok(Admitted::Listed)
        );
        for s in [
            "http://agent.example",
            "http://127.0.0.1:8000",
            "https://127.0.0.1",
            "https://[::1]",
            "https://localhost",
            "https://x.localhost",
            "https://10.0.0.1",
            "https://169.254.169.254",
            "https://[::ffff:169.254.169.254]",
            "https://100.64.0.1",
            "https://0.0.0.0",
        ] {
            assert_eq!(
                admit(&origin(s), none, none).unwrap_err().code,
                ErrorCode::UnknownKey,
                "{s}"
            );
        }
        assert!(
            admit(&origin("http://127.0.0.1:8000"), none, dev).is_err(),
            "http needs the http list"
        );
    }

    #[test]
    fn jwks_uri_origin() {
        let meta = origin("https://agent.example");
        let none: &[&[u8]] = &[];
        let same = parse_url(b"https://agent.example/jwks.json").unwrap();
        let other = parse_url(b"https://keys.example/jwks.json").unwrap();
        let port = parse_url(b"https://agent.example:8443/jwks.json").unwrap();
        assert!(check_jwks_uri(&same, &meta, none).is_ok());
        assert_eq!(
            check_jwks_uri(&other, &meta, none).unwrap_err().code,
            ErrorCode::UnknownKey
        );
        assert!(check_jwks_uri(&port, &meta, none).is_err());
        assert!(check_jwks_uri(&other, &meta, &[b"keys.example"]).is_ok());
        assert!(check_jwks_uri(&other, &meta, &[b"*.example"]).is_ok());
    }
}

// The hand-written IPv6 reading and writing against `core::net`: tests on the standard library
// (proptest), kept outside src/, which is the no_std library only.
#[cfg(test)]
#[path = "../unit-tests/egress_ipv6.rs"]
mod ipv6_tests;
