//! Known-answer tests straight from RFC 9421 Appendix B and the AAuth reference vectors, kept
//! independent of the generated vector files.

use aauth_verify::{parse, Context, ErrorCode, Header, KeySource, Policy, PublicKey, Request};
use aauth_verify_sf::b64;

/// Both phases with a fixed key source.
fn verify_request<'s>(
    req: &Request<'_, 's>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
    source: KeySource<'_>,
) -> Result<aauth_verify::Verified<'s>, aauth_verify::Error> {
    let mut ctx = Context::at(now);
    ctx.label = label;
    aauth_verify::verify_request(req, policy, &mut ctx, None, source)
}

const X_B14: &[u8] = b"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";

fn b14_key() -> PublicKey {
    let mut x = [0u8; 32];
    b64::decode_base64url(X_B14, &mut x).unwrap();
    PublicKey::from_raw(x).unwrap()
}

fn get_api_data<'h, 'a>(headers: &'h [Header<'a>]) -> Request<'h, 'a> {
    Request {
        method: b"GET",
        scheme: b"https",
        authority: b"resource.example",
        path: b"/api/data",
        query: None,
        headers,
        body: None,
    }
}

#[test]
fn rfc9421_b26() {
    let headers = [
        Header::new(b"Host", b"example.com"),
        Header::new(b"Date", b"Tue, 20 Apr 2021 02:07:55 GMT"),
        Header::new(b"Content-Type", b"application/json"),
        Header::new(b"Content-Digest", b"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
        Header::new(b"Content-Length", b"18"),
        Header::new(b"Signature-Input", br#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#),
        Header::new(b"Signature", b"sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"),
    ];
    let req = Request {
        method: b"POST",
        scheme: b"https",
        authority: b"example.com",
        path: b"/foo",
        query: Some(b"param=Value&Pet=dog"),
        headers: &headers,
        body: Some(br#"{"hello": "world"}"#),
    };
    let policy = Policy {
        required: &[],
        require_signature_key: false,
        ..Policy::STRICT
    };
    let parsed = parse(&req, &policy, &Context::at(1618884473), None).unwrap();
    let mut buf = [0u8; 512];
    let base = parsed.base_into(&req, &mut buf).unwrap();
    let want = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
    assert_eq!(std::str::from_utf8(base).unwrap(), want);
    let key = b14_key();
    let v = parsed
        .finish(
            &req,
            &policy,
            KeySource::Key(&key),
            &mut Context::at(1618884473),
        )
        .unwrap();
    assert_eq!(v.label, b"sig-b26");
    assert!(v.identity.kid.unwrap().eq_bytes(b"test-key-ed25519"));
    // One byte of the method changed: the signature no longer verifies.
    let req2 = Request {
        method: b"post",
        ..req
    };
    let e = verify_request(&req2, &policy, None, 1618884473, KeySource::Key(&key)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    // The AAuth default policy refuses it: no Signature-Key header (step 1; SK-09 §5.4.4)...
    let e = parse(&req, &Policy::STRICT, &Context::at(1618884473), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    // ...but with a caller key allowed it parses: it covers @method, @authority and @path,
    // and signature-key need not be covered when no Signature-Key is sent.
    let aauth_external = Policy {
        require_signature_key: false,
        ..Policy::STRICT
    };
    parse(&req, &aauth_external, &Context::at(1618884473), None).unwrap();
    // Without @authority it is refused: the AAuth components are still required.
    let input = b"sig-b26=(\"date\" \"@method\" \"@path\");created=1618884473";
    let mut hs: Vec<Header<'_>> = req.headers.to_vec();
    for h in hs.iter_mut() {
        if h.name.eq_ignore_ascii_case(b"signature-input") {
            *h = Header::new(b"Signature-Input", input);
        }
    }
    let req3 = Request {
        headers: &hs,
        ..req
    };
    let e = parse(&req3, &aauth_external, &Context::at(1618884473), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

const A1_KEY: &[u8] = br#"sig=hwk;kty="OKP";crv="Ed25519";x="JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";alg="Ed25519""#;
const A_INPUT: &[u8] =
    br#"sig=("@method" "@authority" "@path" "signature-key");created=1730217600"#;

#[test]
fn a1_hwk_current() {
    let headers = [
        Header::new(b"Signature-Key", A1_KEY),
        Header::new(b"Signature-Input", A_INPUT),
        Header::new(b"Signature", b"sig=:puQwGqlektSkNVskiaY9MZJcXFRWrc2T8sO9WBJ7tL9i9u9cWwbtDPRe9FzOnViBwwFq1FUQ/a0WZnuiWwHkCw==:"),
    ];
    let req = get_api_data(&headers);
    let v = verify_request(&req, &Policy::STRICT, None, 1730217600, KeySource::Inline).unwrap();
    assert_eq!(
        v.thumbprint().as_str(),
        "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"
    );
    // Stale and future.
    let e = verify_request(
        &req,
        &Policy::STRICT,
        None,
        1730217600 + 61,
        KeySource::Inline,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignature);
    let e = verify_request(
        &req,
        &Policy::STRICT,
        None,
        1730217600 - 61,
        KeySource::Inline,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ClockSkew);
    assert!(verify_request(
        &req,
        &Policy::STRICT,
        None,
        1730217600 + 60,
        KeySource::Inline
    )
    .is_ok());
    assert!(verify_request(
        &req,
        &Policy::STRICT,
        None,
        1730217600 - 60,
        KeySource::Inline
    )
    .is_ok());
}

#[test]
fn v7_legacy_base64url_and_a1l() {
    let key = br#"sig1=(scheme=hwk kty="OKP" crv="Ed25519" x="JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")"#;
    let input = br#"sig1=("@method" "@authority" "@path" "signature-key");created=1730217600"#;
    for sig in [
        &b"sig1=:YtZTQITT5-s-oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z--s5UL7W47_9oWCVJu3qFews0v4KHEytK2I4tu5CQ:"[..],
        b"sig1=:YtZTQITT5+s+oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z++s5UL7W47/9oWCVJu3qFews0v4KHEytK2I4tu5CQ==:",
    ] {
        let headers = [
            Header::new(b"Signature-Key", key),
            Header::new(b"Signature-Input", input),
            Header::new(b"Signature", sig),
        ];
        let req = get_api_data(&headers);
        let v = verify_request(&req, &Policy::COMPAT, None, 1730217600, KeySource::Inline).unwrap();
        assert_eq!(v.label, b"sig1");
        let e = verify_request(&req, &Policy::STRICT, None, 1730217600, KeySource::Inline).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }
}

#[test]
fn v1_alg_less_hwk_is_compat_only() {
    let headers = [
        Header::new(b"Signature-Key", br#"sig=hwk;kty="OKP";crv="Ed25519";x="JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs""#),
        Header::new(b"Signature-Input", A_INPUT),
        Header::new(b"Signature", b"sig=:RHGwKHhwsnOtWimYGb0pV_JAJs9quer59BAS5j7aASw7jeRMtkCxdK8GuoDcJv_6ZJnbP0iM-I1QDhw3QFYgAw:"),
    ];
    let req = get_api_data(&headers);
    assert!(verify_request(&req, &Policy::COMPAT, None, 1730217600, KeySource::Inline).is_ok());
    let e = verify_request(&req, &Policy::STRICT, None, 1730217600, KeySource::Inline).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidKey);
}

#[test]
fn empty_covered_list() {
    let headers = [
        Header::new(b"Signature-Input", br#"sig=();created=1767021027;alg="ed25519""#),
        Header::new(b"Signature", b"sig=:hKbbEc5kU5Qjg4YMwiZXTJDxDRtIn/E+Yktb9bJKB4qWEtIW7Jq0cXbtj0Kl7ED61BxlVts/cWgKBsk2BPFBDg==:"),
    ];
    let req = get_api_data(&headers);
    let mut x = [0u8; 32];
    b64::decode_base64url(b"ki1njC7OefXt2DlsENfg30xtp6jeJjOn-YdJrfZT6Ls", &mut x).unwrap();
    let key = PublicKey::from_raw(x).unwrap();
    let rfc = Policy {
        required: &[],
        require_signature_key: false,
        ..Policy::STRICT
    };
    assert!(verify_request(&req, &rfc, None, 1767021027, KeySource::Key(&key)).is_ok());
    let aauth_external = Policy {
        require_signature_key: false,
        ..Policy::STRICT
    };
    let e = verify_request(
        &req,
        &aauth_external,
        None,
        1767021027,
        KeySource::Key(&key),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn repeated_component_parameters_are_refused_quickly() {
    // A hostile covered list: one component with thousands of `;name` parameters.
    let mut input =
        String::from(r#"sig=("@method" "@authority" "@path" "signature-key" "@query-param""#);
    for _ in 0..1500 {
        input.push_str(r#";name="a""#);
    }
    input.push_str(");created=1730217600");
    let headers = [
        Header::new(b"Signature-Key", A1_KEY),
        Header::new(b"Signature-Input", input.as_bytes()),
        Header::new(b"Signature", b"sig=:puQwGqlektSkNVskiaY9MZJcXFRWrc2T8sO9WBJ7tL9i9u9cWwbtDPRe9FzOnViBwwFq1FUQ/a0WZnuiWwHkCw==:"),
    ];
    let mut req = get_api_data(&headers);
    req.query = Some(b"a=1");
    let e = parse(&req, &Policy::STRICT, &Context::at(1730217600), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(e.check, aauth_verify::Check::ComponentParamRepeated);
}
