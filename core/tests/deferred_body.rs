//! `Parsed::finish_before_body`: the signature is verified over the headers before a body is
//! read; the body is then checked (whole or in pieces) against the covered `Content-Digest`.
//! A forged request is refused without its body, a malformed digest field before the body is
//! read, a replay before its body is read, and an empty body is checked as empty.
// Runs the shared vectors, every scheme family among them (`cached` brings `tokens` and
// `documents`); core/tests/features.rs runs them in every feature set.
#![cfg(feature = "cached")]

use aauth_verify::{
    parse, Check, Context, ErrorCode, Header, JwtScratch, Replay, ReplayCache, Request,
};
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

fn case(name: &str) -> Value {
    let doc: Value =
        serde_json::from_str(include_str!("../../tests/vectors/signatures.json")).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
        .clone()
}

/// Phase 1 and the header half of phase 2 on `p` with `headers`, with no body supplied; then
/// `body` through `f`.
fn deferred<T>(
    p: &Prepared,
    headers: &[(Vec<u8>, Vec<u8>)],
    replay: Replay<'_>,
    f: impl FnOnce(&Request<'_, '_>, aauth_verify::Deferred<'_>) -> T,
) -> Result<T, aauth_verify::Error> {
    let policy = policy_of(&Value::Null);
    let hs: Vec<Header<'_>> = headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = Request {
        body: None,
        ..p.request(&hs)
    };
    let mut ctx = Context {
        replay,
        ..Context::at(p.now)
    };
    let mut scratch = JwtScratch::new();
    let parsed = parse(&req, &policy, &ctx, Some(&mut scratch))?;
    let d = p.with_source(&policy, |src| {
        parsed.finish_before_body(&req, &policy, src, &mut ctx)
    })?;
    Ok(f(&req, d))
}

const POST: &str = "aauth-signing-020-hwk-post-digest";

#[test]
fn the_body_is_checked_whole_or_in_any_pieces() {
    let p = Prepared::new(&case(POST));
    let body = p.body.clone().expect("a body");
    assert!(body.len() > 3);
    deferred(&p, &p.headers, Replay::Off, |req, d| {
        assert!(d.needs_body());
        d.complete(req, &body).expect("the right body");
    })
    .unwrap();
    for split in 0..=body.len() {
        deferred(&p, &p.headers, Replay::Off, |req, d| {
            let (_, check) = d.into_parts();
            let mut s = check.stream(req).unwrap();
            s.update(&body[..split]);
            s.update(&[]);
            s.update(&body[split..]);
            s.finish().expect("same body, split anywhere");
        })
        .unwrap();
    }
}

#[test]
fn another_or_an_empty_or_a_truncated_body_is_refused() {
    let p = Prepared::new(&case(POST));
    let body = p.body.clone().unwrap();
    let mut other = body.clone();
    other[0] ^= 1;
    for b in [&other[..], b"", &body[..body.len() - 1]] {
        let e = deferred(&p, &p.headers, Replay::Off, |req, d| {
            d.complete(req, b).unwrap_err()
        })
        .unwrap();
        assert_eq!(
            (e.code, e.check),
            (ErrorCode::InvalidSignature, Check::DigestMismatch)
        );
    }
}

#[test]
fn a_forged_request_is_refused_before_the_body() {
    let p = Prepared::new(&case(POST));
    let mut headers = p.headers.clone();
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case(b"signature") {
            // Change one character inside the base64 of the signature (still valid base64).
            let i = v.iter().position(|&c| c == b':').unwrap() + 5;
            v[i] = if v[i] == b'A' { b'B' } else { b'A' };
        }
    }
    let e = deferred(&p, &headers, Replay::Off, |_, _| ()).unwrap_err();
    assert_eq!(e.check, Check::SignatureInvalid);
}

#[test]
fn a_replay_is_refused_before_its_body() {
    let p = Prepared::new(&case(POST));
    let body = p.body.clone().unwrap();
    let mut store = ReplayCache::<8>::new();
    deferred(&p, &p.headers, Replay::Store(&mut store), |req, d| {
        d.complete(req, &body).unwrap();
    })
    .unwrap();
    let e = deferred(&p, &p.headers, Replay::Store(&mut store), |_, _| ()).unwrap_err();
    assert_eq!(e.check, Check::Replayed);
}

#[test]
fn no_body_is_needed_when_no_digest_is_covered() {
    let p = Prepared::new(&case("hwk-get-a1"));
    deferred(&p, &p.headers, Replay::Off, |req, d| {
        assert!(!d.needs_body());
        // Whatever the host passes is not read.
        d.complete(req, b"anything").unwrap();
    })
    .unwrap();
}

#[test]
fn a_malformed_digest_field_is_refused_before_the_body() {
    // The digest vectors with a malformed field fail in finish_before_body already, with no
    // body in hand.
    let doc: Value =
        serde_json::from_str(include_str!("../../tests/vectors/signatures.json")).unwrap();
    let mut seen = 0;
    for c in doc["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        if !name.starts_with("digest-") || c["expect"]["result"] == "ok" {
            continue;
        }
        let p = Prepared::new(c);
        let r = deferred(&p, &p.headers, Replay::Off, |_, _| ());
        if let Err(e) = r {
            assert_eq!(
                e.code.token(),
                c["expect"]["error"].as_str().unwrap(),
                "{name}: refused before the body with the vector's code"
            );
            seen += 1;
        }
    }
    assert!(seen >= 2, "malformed-digest vectors exist ({seen})");
}

#[test]
fn an_unannounced_body_is_refused_when_bodies_need_a_digest() {
    // Phase 1 judges a body it has not seen by the framing (no Content-Length, no
    // Transfer-Encoding here: no body). Under require_content_digest_with_body the body read
    // afterwards must then be empty: an HTTP/2 request may carry DATA without content-length,
    // and finish() over the same bytes refuses it in phase 1 (invalid_input).
    let p = Prepared::new(&case("hwk-get-a1"));
    let mut policy = policy_of(&Value::Null);
    policy.require_content_digest_with_body = true;
    let hs: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let run = |body: &[&[u8]]| {
        let req = Request {
            body: None,
            ..p.request(&hs)
        };
        let mut ctx = Context::at(p.now);
        let parsed = parse(&req, &policy, &ctx, None)?;
        let d = p.with_source(&policy, |src| {
            parsed.finish_before_body(&req, &policy, src, &mut ctx)
        })?;
        assert!(!d.needs_body() && d.body_must_be_empty());
        let (_, check) = d.into_parts();
        let mut s = check.stream(&req)?;
        for piece in body {
            s.update(piece);
        }
        s.finish()
    };
    run(&[]).expect("no body");
    run(&[b"", b""]).expect("empty pieces are no body");
    let e = run(&[b"", b"x"]).unwrap_err();
    assert_eq!(
        (e.code, e.check),
        (ErrorCode::InvalidInput, Check::BodyNotCovered)
    );
    // The same bytes through finish(): refused in phase 1, with the same error.
    let req = Request {
        body: Some(b"x"),
        ..p.request(&hs)
    };
    let e = parse(&req, &policy, &Context::at(p.now), None).unwrap_err();
    assert_eq!(
        (e.code, e.check),
        (ErrorCode::InvalidInput, Check::BodyNotCovered)
    );
    // Without the policy switch, the deferred check owes nothing about the body.
    let default = policy_of(&Value::Null);
    let req = Request {
        body: None,
        ..p.request(&hs)
    };
    let mut ctx = Context::at(p.now);
    let parsed = parse(&req, &default, &ctx, None).unwrap();
    let d = p
        .with_source(&default, |src| {
            parsed.finish_before_body(&req, &default, src, &mut ctx)
        })
        .unwrap();
    assert!(!d.body_must_be_empty());
    d.complete(&req, b"anything").unwrap();
}
