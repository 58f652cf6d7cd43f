//! Egress admission properties (SK-09 §7.3): the parsers never panic, canonical identifiers
//! round-trip through them, every non-canonical spelling of an IPv4 address is refused, and no
//! IPv6 form of a non-public IPv4 address is admitted.
// Egress admission.
#![cfg(feature = "egress")]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aauth_verify::egress::{
    admit, check_dwk, check_pattern, classify_v4, classify_v6, metadata_url, parse_origin,
    parse_url, pattern_matches, AddrClass, Admitted, Host, UrlScheme,
};
use aauth_verify::ErrorCode;
use proptest::prelude::*;

const NONE: &[&[u8]] = &[];

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

/// A DNS name whose last label is not numeric (else it would be an IPv4 spelling).
fn name() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 0..4), "[a-z][a-z0-9]{0,6}")
        .prop_map(|(mut labels, tld)| {
            labels.push(tld);
            labels.join(".")
        })
        .prop_filter("0x… reads as a number", |n| {
            !n.rsplit('.').next().is_some_and(|l| l.starts_with("0x"))
        })
}

#[derive(Debug, Clone)]
enum H {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

fn host() -> impl Strategy<Value = H> {
    prop_oneof![
        name().prop_map(H::Name),
        any::<u32>().prop_map(|v| H::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| H::V6(Ipv6Addr::from(v))),
        // The interesting corners of v6 text: mapped and embedded forms, runs of zeros.
        any::<u32>().prop_map(|v| H::V6(Ipv4Addr::from(v).to_ipv6_mapped())),
        (any::<u16>(), any::<u16>())
            .prop_map(|(a, b)| H::V6(Ipv6Addr::new(a, 0, 0, b, 0, 0, 0, 1))),
    ]
}

fn host_text(h: &H) -> String {
    match h {
        H::Name(n) => n.clone(),
        H::V4(a) => a.to_string(),
        H::V6(a) => format!("[{a}]"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_origin(&data);
        let _ = parse_url(&data);
        let _ = check_pattern(&data);
        let _ = check_dwk(&data);
        let o = parse_origin(b"https://agent.example").unwrap();
        let _ = pattern_matches(&data, &o);
        let mut buf = [0u8; 64];
        let _ = metadata_url(&o, &data, &mut buf);
    }

    #[test]
    fn url_shaped_input_never_panics(
        prefix in prop::sample::select(vec!["https://", "http://", "https://[", "http://a.example:"]),
        rest in "[ -~]{0,80}",
    ) {
        let s = format!("{prefix}{rest}");
        if let Ok(u) = parse_url(s.as_bytes()) {
            // Whatever parses is its own canonical text and re-parses identically.
            prop_assert_eq!(u.text, s.as_str());
            prop_assert_eq!(parse_url(u.text.as_bytes()).unwrap(), u);
            prop_assert_eq!(parse_origin(u.origin.text.as_bytes()).unwrap(), u.origin);
        }
        if let Ok(o) = parse_origin(s.as_bytes()) {
            prop_assert_eq!(o.text, s.as_str());
        }
    }

    #[test]
    fn canonical_origins_round_trip(
        https in any::<bool>(),
        h in host(),
        port in prop::option::of(1u16..),
    ) {
        let scheme = if https { UrlScheme::Https } else { UrlScheme::Http };
        prop_assume!(port != Some(scheme.default_port()));
        let ht = host_text(&h);
        let authority = match port { Some(p) => format!("{ht}:{p}"), None => ht.clone() };
        let text = format!("{}://{authority}", scheme.as_str());
        let o = parse_origin(text.as_bytes()).unwrap();
        prop_assert_eq!(o.scheme, scheme);
        prop_assert_eq!(o.port, port);
        prop_assert_eq!(o.host_text, ht.as_str());
        prop_assert_eq!(o.authority, authority.as_str());
        prop_assert_eq!(o.text, text.as_str());
        match (&h, o.host) {
            (H::Name(n), Host::Name(m)) => prop_assert_eq!(n.as_str(), m),
            (H::V4(a), Host::V4(b)) => prop_assert_eq!(*a, b),
            (H::V6(a), Host::V6(b)) => prop_assert_eq!(*a, b),
            (h, got) => prop_assert!(false, "{:?} parsed as {:?}", h, got),
        }
        // Its metadata URL parses as a fetch URL on the same origin.
        let mut buf = [0u8; 512];
        let url = metadata_url(&o, b"aauth-agent.json", &mut buf).unwrap();
        let u = parse_url(url.as_bytes()).unwrap();
        prop_assert!(u.origin.same_origin(&o));
        prop_assert_eq!(u.target, "/.well-known/aauth-agent.json");
        // Anything appended after the origin makes it a non-identifier.
        for tail in ["/", "?", "#", "/x", ".", ":"] {
            let longer = format!("{text}{tail}");
            prop_assert!(parse_origin(longer.as_bytes()).is_err());
        }
        // Uppercase spellings are refused (server identifiers are lowercase).
        let upper = format!("{}://{}", scheme.as_str(), authority.to_ascii_uppercase());
        if upper != text {
            prop_assert!(parse_origin(upper.as_bytes()).is_err());
        }
    }

    #[test]
    fn non_canonical_ipv4_spellings_are_refused(v in any::<u32>()) {
        let [a, b, c, d] = v.to_be_bytes();
        let spellings = [
            format!("{v}"),
            format!("0x{v:x}"),
            format!("0{a:o}.{b}.{c}.{d}"),
            format!("{a}.{b}.{}", u32::from(c) << 8 | u32::from(d)),
            format!("{a}.{}", v & 0x00ff_ffff),
            format!("0x{a:x}.{b}.{c}.{d}"),
            format!("{a}.{b}.{c}.0{d}"),
            format!("{a}.{b}.{c}.{d}."),
        ];
        for s in spellings {
            let url = format!("https://{s}");
            let e = parse_origin(url.as_bytes());
            prop_assert!(e.is_err(), "{} admitted as {:?}", url, e);
            prop_assert_eq!(e.unwrap_err().code, ErrorCode::InvalidKey);
        }
    }

    #[test]
    fn every_ipv6_form_of_a_non_public_ipv4_is_refused(v in any::<u32>()) {
        let v4 = Ipv4Addr::from(v);
        let class = classify_v4(v4);
        let [a, b, c, d] = v4.octets();
        let nat64 = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        let compat = Ipv6Addr::new(0, 0, 0, 0, 0, 0, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        let six_to_four = Ipv6Addr::new(0x2002, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]), 0, 0, 0, 0, 1);
        for v6 in [v4.to_ipv6_mapped(), nat64, compat, six_to_four] {
            let c6 = classify_v6(v6);
            if !class.is_public() {
                prop_assert!(!c6.is_public(), "{} ({:?}) is public as {}", v4, class, v6);
                let url = format!("https://[{v6}]");
                let o = parse_origin(url.as_bytes()).unwrap();
                prop_assert_eq!(admit(&o, NONE, NONE).unwrap_err().code, ErrorCode::UnknownKey);
            }
            prop_assert_eq!(aauth_verify::egress::admit_address(IpAddr::V6(v6)).is_ok(), c6.is_public());
        }
        // The mapped form always takes the class of the embedded address.
        prop_assert_eq!(classify_v6(v4.to_ipv6_mapped()), class);
        // An IPv4 literal is admitted exactly when it is public.
        let o4 = format!("https://{v4}");
        let o = parse_origin(o4.as_bytes()).unwrap();
        prop_assert_eq!(admit(&o, NONE, NONE).is_ok(), class.is_public());
        if class.is_public() {
            prop_assert_eq!(admit(&o, NONE, NONE).unwrap(), Admitted::Public);
        }
    }

    #[test]
    fn listing_a_host_admits_it_whatever_its_class(v in any::<u32>(), port in 1024u16..) {
        let v4 = Ipv4Addr::from(v);
        let url = format!("http://{v4}:{port}");
        let o = parse_origin(url.as_bytes()).unwrap();
        let exact = format!("{v4}:{port}");
        let any_port = format!("{v4}:*");
        prop_assert_eq!(admit(&o, &[exact.as_bytes()], NONE).unwrap(), Admitted::Listed);
        prop_assert_eq!(admit(&o, &[any_port.as_bytes()], NONE).unwrap(), Admitted::Listed);
        // A bare host admits its scheme's default port only.
        prop_assert!(admit(&o, &[v4.to_string().as_bytes()], NONE).is_err());
        // Plain http is never admitted by the private-destination list alone.
        prop_assert!(admit(&o, NONE, &[exact.as_bytes()]).is_err());
    }
}

#[test]
fn classes_cover_the_issue_examples() {
    // Issue 12 finding 2: each of these was fetched before.
    for s in [
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://[::1]",
        "https://10.1.2.3",
        "https://localhost",
        "https://[::ffff:169.254.169.254]",
    ] {
        let o = parse_origin(s.as_bytes()).unwrap();
        assert_eq!(
            admit(&o, NONE, NONE).unwrap_err().code,
            ErrorCode::UnknownKey,
            "{s}"
        );
        assert_ne!(o.host.class(), Some(AddrClass::Public), "{s}");
    }
    for s in [
        "https://0x7f000001",
        "https://127.1",
        "https://host/admin/delete?x=1#",
    ] {
        assert_eq!(
            parse_origin(s.as_bytes()).unwrap_err().code,
            ErrorCode::InvalidKey,
            "{s}"
        );
    }
}
