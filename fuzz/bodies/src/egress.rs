//! The `egress` target: identifier and fetch-URL admission (SK-09 §7.3).

use aauth_verify::egress::{
    admit, check_dwk, check_jwks_uri, check_pattern, metadata_url, parse_origin, parse_url,
    pattern_matches, Admitted,
};

/// Arbitrary bytes as an identifier, a fetch URL and (after the first `\n`) an allowlist
/// pattern. Nothing panics; whatever parses is its own canonical text and re-parses to the same
/// value; a parsed origin's metadata URL parses on the same origin; admission answers `Listed`
/// exactly when the pattern lists the origin, and otherwise never admits a non-public literal.
pub fn egress(data: &[u8]) {
    let (url, pattern) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"*:*"[..]),
    };
    let _ = check_dwk(pattern);
    let pattern_ok = check_pattern(pattern).is_ok();
    let lists: [&[u8]; 1] = [pattern];
    if let Ok(o) = parse_origin(url) {
        assert_eq!(o.text.as_bytes(), url, "an origin is its own text");
        assert_eq!(parse_origin(o.text.as_bytes()), Ok(o));
        let mut buf = [0u8; 4096];
        let meta = metadata_url(&o, b"aauth-agent.json", &mut buf).expect("fits 4096 bytes");
        let u = parse_url(meta.as_bytes()).expect("a metadata URL parses");
        assert!(u.origin.same_origin(&o));
        let matched = pattern_matches(pattern, &o);
        assert!(!matched || pattern_ok, "a malformed pattern matched");
        match admit(&o, &lists, &[]) {
            Ok(Admitted::Listed) => assert!(matched),
            Ok(Admitted::Public) => {
                assert!(!matched);
                assert!(o.host.class().is_some_and(|c| c.is_public()));
            }
            Ok(Admitted::Resolve) => assert!(!matched && o.host.class().is_none()),
            Err(_) => assert!(!matched),
        }
        let _ = check_jwks_uri(&u, &o, &lists);
    }
    if let Ok(u) = parse_url(url) {
        assert_eq!(u.text.as_bytes(), url, "a URL is its own text");
        assert_eq!(parse_url(u.text.as_bytes()), Ok(u));
        assert_eq!(parse_origin(u.origin.text.as_bytes()), Ok(u.origin));
        assert!(u.target.starts_with('/') && !u.target.contains('#'));
        let _ = admit(&u.origin, &[], &lists);
    }
}
