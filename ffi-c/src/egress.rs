//! Egress admission for a C host that fetches the signer's documents itself (the nginx
//! module): the core's `egress` module (SK-09 §7.3), one call per step. The host asks before
//! every fetch and connects only where the answer lets it; every rule is the core's.
//!
//! A refused destination is `AAUTH_RESULT_UNKNOWN_KEY`, a malformed identifier or URL
//! `AAUTH_RESULT_INVALID_KEY`, as the core reports them.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use core_verify::egress::{self, Admitted, Host};

use crate::ptr::{array, check_out, fill, req_bytes, write_out};
use crate::request::slice;
use crate::result::aauth_result;
use crate::text::aauth_slice;

/// Most patterns one egress list may hold.
pub const AAUTH_MAX_PATTERNS: usize = 64;

/// `aauth_destination.admitted`: the deployment lists the host (connect to what it resolves
/// to, private or not).
pub const AAUTH_ADMITTED_LISTED: u32 = 0;
/// `aauth_destination.admitted`: a public IP literal (connect to it).
pub const AAUTH_ADMITTED_PUBLIC: u32 = 1;
/// `aauth_destination.admitted`: a name: resolve it once, check every address with
/// `aauth_egress_admit_address`, connect only to a checked address (pinned), with SNI and the
/// certificate check still on the name.
pub const AAUTH_ADMITTED_RESOLVE: u32 = 2;

/// `aauth_destination.host_kind`: a DNS name.
pub const AAUTH_HOST_NAME: u32 = 0;
/// `aauth_destination.host_kind`: an IPv4 literal (`address[0..4]`).
pub const AAUTH_HOST_IPV4: u32 = 1;
/// `aauth_destination.host_kind`: an IPv6 literal (`address`).
pub const AAUTH_HOST_IPV6: u32 = 2;

/// Where a fetch URL may go, as `aauth_egress_admit_url` admitted it. The slices point into
/// the URL passed in.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_destination {
    /// `AAUTH_ADMITTED_*`.
    pub admitted: u32,
    /// `https` (else plain `http`, which the deployment listed).
    pub https: bool,
    /// `AAUTH_HOST_*`.
    pub host_kind: u32,
    /// The host as written (`[…]` for IPv6): what TLS SNI and the certificate check use.
    pub host: aauth_slice,
    /// The address of an IP literal (IPv4 in the first 4 bytes).
    pub address: [u8; 16],
    /// The port to connect to (the explicit one, else the scheme's default).
    pub port: u16,
    /// `host[:port]` as written: the `Host` header to send.
    pub authority: aauth_slice,
    /// `scheme://host[:port]`.
    pub origin: aauth_slice,
    /// `path[?query]`: the request target to send.
    pub target: aauth_slice,
}

/// Converts a C list of patterns.
///
/// # Safety
///
/// `list` NULL or readable for `len` slices, each readable for its length while `store` is
/// used.
unsafe fn patterns(
    list: *const aauth_slice,
    len: usize,
    store: &mut [&[u8]; AAUTH_MAX_PATTERNS],
) -> Result<usize, aauth_result> {
    if len > AAUTH_MAX_PATTERNS {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: our contract.
    let list = unsafe { array(list, len) }?;
    for (dst, s) in store.iter_mut().zip(list) {
        // SAFETY: our contract.
        *dst = unsafe { slice(*s) }?;
    }
    Ok(list.len())
}

/// Checks an allowlist pattern (`host[:port]`, `*.suffix[:port]`, `*[:port]`; the port a
/// number or `*`): `AAUTH_RESULT_OK`, or `AAUTH_RESULT_INVALID_KEY` for a malformed one (a
/// configuration error). Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
///
/// # Safety
///
/// `pattern` readable for `pattern_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_check_pattern(
    pattern: *const u8,
    pattern_len: usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let p = tri!(unsafe { req_bytes(pattern, pattern_len) });
        match egress::check_pattern(p) {
            Ok(()) => aauth_result::Ok,
            Err(e) => e.code.into(),
        }
    })
}

/// Parses a fetch URL (`scheme://host[:port]/path[?query]`, one canonical spelling) and admits
/// its destination (the core's `parse_url` and `admit`): plain `http` only when one of
/// `http_hosts` lists the origin; a host listed in `http_hosts` or `private_hosts` is
/// `AAUTH_ADMITTED_LISTED`; otherwise an IP literal or `localhost` name must be public
/// (`AAUTH_ADMITTED_PUBLIC`), and any other name is `AAUTH_ADMITTED_RESOLVE`. Writes the
/// destination into `*out` (its slices point into `url`).
///
/// Returns `AAUTH_RESULT_INVALID_KEY` for a malformed URL, `AAUTH_RESULT_UNKNOWN_KEY` for a
/// refused destination (nothing written), `AAUTH_RESULT_INVALID_PARAMETER` for more than
/// `AAUTH_MAX_PATTERNS` patterns in a list. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3, §7.1; RFC 3986 §3.
///
/// # Safety
///
/// `url` readable for `url_len` bytes; each list NULL or readable for its length in slices,
/// each readable; `out` writable for one `aauth_destination`.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_admit_url(
    url: *const u8,
    url_len: usize,
    http_hosts: *const aauth_slice,
    http_hosts_len: usize,
    private_hosts: *const aauth_slice,
    private_hosts_len: usize,
    out: *mut aauth_destination,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let url = tri!(unsafe { req_bytes(url, url_len) });
        let out = tri!(check_out(out));
        let mut http = [&b""[..]; AAUTH_MAX_PATTERNS];
        let mut private = [&b""[..]; AAUTH_MAX_PATTERNS];
        // SAFETY: our contract.
        let nh = tri!(unsafe { patterns(http_hosts, http_hosts_len, &mut http) });
        // SAFETY: our contract.
        let np = tri!(unsafe { patterns(private_hosts, private_hosts_len, &mut private) });
        let u = match egress::parse_url(url) {
            Ok(u) => u,
            Err(e) => return e.code.into(),
        };
        let o = &u.origin;
        let admitted = match egress::admit(o, &http[..nh], &private[..np]) {
            Ok(Admitted::Listed) => AAUTH_ADMITTED_LISTED,
            Ok(Admitted::Public) => AAUTH_ADMITTED_PUBLIC,
            Ok(Admitted::Resolve) => AAUTH_ADMITTED_RESOLVE,
            Err(e) => return e.code.into(),
        };
        let mut address = [0u8; 16];
        let host_kind = match o.host {
            Host::Name(_) => AAUTH_HOST_NAME,
            Host::V4(a) => {
                address[..4].copy_from_slice(&a.octets());
                AAUTH_HOST_IPV4
            }
            Host::V6(a) => {
                address = a.octets();
                AAUTH_HOST_IPV6
            }
        };
        let d = aauth_destination {
            admitted,
            https: o.scheme == egress::UrlScheme::Https,
            host_kind,
            host: aauth_slice::of(o.host_text.as_bytes()),
            address,
            port: o.effective_port(),
            authority: aauth_slice::of(o.authority.as_bytes()),
            origin: aauth_slice::of(o.text.as_bytes()),
            target: aauth_slice::of(u.target.as_bytes()),
        };
        // SAFETY: `out` is checked.
        unsafe { write_out(out, d) };
        aauth_result::Ok
    })
}

/// Checks a resolved address of a name that `aauth_egress_admit_url` answered
/// `AAUTH_ADMITTED_RESOLVE` for (`addr_len` 4 for IPv4, 16 for IPv6, network order):
/// `AAUTH_RESULT_OK` when public, else `AAUTH_RESULT_UNKNOWN_KEY` (loopback, private,
/// link-local, …). Connect only to an address it admitted. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (reject private, loopback and link-local
/// destinations; pin the resolved address).
///
/// # Safety
///
/// `addr` readable for `addr_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_admit_address(
    addr: *const u8,
    addr_len: usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let b = tri!(unsafe { req_bytes(addr, addr_len) });
        let ip = if let Ok(a) = <[u8; 4]>::try_from(b) {
            IpAddr::V4(Ipv4Addr::from(a))
        } else if let Ok(a) = <[u8; 16]>::try_from(b) {
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            return aauth_result::InvalidParameter;
        };
        match egress::admit_address(ip) {
            Ok(()) => aauth_result::Ok,
            Err(e) => e.code.into(),
        }
    })
}

/// Writes into `*out_listed` whether one of `patterns` lists the origin of fetch URL `url`
/// (the core's `listed`: a deployment allowlist). Returns `AAUTH_RESULT_INVALID_KEY` for a
/// malformed URL. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
///
/// # Safety
///
/// `patterns` NULL or readable for `patterns_len` slices, each readable; `url` readable for
/// `url_len` bytes; `out_listed` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_listed(
    patterns: *const aauth_slice,
    patterns_len: usize,
    url: *const u8,
    url_len: usize,
    out_listed: *mut bool,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let url = tri!(unsafe { req_bytes(url, url_len) });
        let out = tri!(check_out(out_listed));
        let mut list = [&b""[..]; AAUTH_MAX_PATTERNS];
        // SAFETY: our contract.
        let n = tri!(unsafe { self::patterns(patterns, patterns_len, &mut list) });
        let u = match egress::parse_url(url) {
            Ok(u) => u,
            Err(e) => return e.code.into(),
        };
        let listed = egress::listed(list[..n].iter().copied(), &u.origin);
        // SAFETY: `out` is checked.
        unsafe { write_out(out, listed) };
        aauth_result::Ok
    })
}

/// Checks a metadata document's `jwks_uri` against the URL the document was fetched from
/// (the core's `check_jwks_uri`): same origin, or an origin one of `cross_origin` lists;
/// else `AAUTH_RESULT_UNKNOWN_KEY`. `AAUTH_RESULT_INVALID_KEY` for a malformed URL. Egress
/// admission of the `jwks_uri` (`aauth_egress_admit_url`) still applies. Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §7.3 (cross-origin `jwks_uri` URLs require
/// explicit deployment admission).
///
/// # Safety
///
/// `jwks_uri` and `metadata_url` readable for their lengths; `cross_origin` NULL or readable
/// for `cross_origin_len` slices, each readable.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_check_jwks_uri(
    jwks_uri: *const u8,
    jwks_uri_len: usize,
    metadata_url: *const u8,
    metadata_url_len: usize,
    cross_origin: *const aauth_slice,
    cross_origin_len: usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let j = tri!(unsafe { req_bytes(jwks_uri, jwks_uri_len) });
        // SAFETY: our contract.
        let m = tri!(unsafe { req_bytes(metadata_url, metadata_url_len) });
        let mut list = [&b""[..]; AAUTH_MAX_PATTERNS];
        // SAFETY: our contract.
        let n = tri!(unsafe { patterns(cross_origin, cross_origin_len, &mut list) });
        let r = egress::parse_url(j).and_then(|j| {
            let m = egress::parse_url(m)?;
            egress::check_jwks_uri(&j, &m.origin, &list[..n])
        });
        match r {
            Ok(()) => aauth_result::Ok,
            Err(e) => e.code.into(),
        }
    })
}

/// Writes the metadata URL `{origin}/.well-known/{dwk}` for an identifier into `buf` (not
/// NUL-terminated) and sets `*out_n` (the core's `parse_origin` and `metadata_url`): the
/// identifier must be a bare origin in its one canonical spelling and `dwk` a safe document
/// name, else `AAUTH_RESULT_INVALID_KEY`. Both are the plan's texts, unescaped. Returns
/// `AAUTH_RESULT_INSUFFICIENT_SIZE` when `buf` is too small (2200 bytes always suffice).
/// Never allocates.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.6, §7.3; AAuth §Server Identifiers;
/// RFC 8615 §3.
///
/// # Safety
///
/// `origin` and `dwk` readable for their lengths; `buf` writable for `buf_len` bytes (may be
/// NULL if `buf_len` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_egress_metadata_url(
    origin: *const u8,
    origin_len: usize,
    dwk: *const u8,
    dwk_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract.
        let o = tri!(unsafe { req_bytes(origin, origin_len) });
        // SAFETY: our contract.
        let d = tri!(unsafe { req_bytes(dwk, dwk_len) });
        let o = match egress::parse_origin(o) {
            Ok(o) => o,
            Err(e) => return e.code.into(),
        };
        if let Err(e) = egress::check_dwk(d) {
            return e.code.into();
        }
        let need = o.text.len() + egress::WELL_KNOWN.len() + d.len();
        let write = |buf: &mut [u8]| {
            if buf.len() < need {
                return Err(aauth_result::InsufficientSize);
            }
            egress::metadata_url(&o, d, buf)
                .map(str::len)
                .map_err(|e| e.code.into())
        };
        // SAFETY: our contract for `buf` and `out_n`.
        unsafe { fill(buf, buf_len, out_n, write) }
    })
}
