//! Runs the shared vectors in `tests/vectors/*.json` (the same files the C, Python and nginx
//! suites use) through the two phases and checks each outcome: the error code, the fetch plan,
//! the signature base and the verified identity.
// Runs the shared vectors, every scheme family among them (`cached` brings `tokens` and
// `documents`); core/tests/features.rs runs them in every feature set.
#![cfg(feature = "cached")]

use aauth_verify::{parse, Context, Fetch, Header, JwtScratch, Text, Verified};
use serde_json::Value;
use sha2::{Digest, Sha256};

const SIGNATURES: &str = include_str!("../../tests/vectors/signatures.json");
const TOKENS: &str = include_str!("../../tests/vectors/tokens.json");

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

fn text_is(got: Option<Text<'_>>, want: &Value) -> bool {
    match (got, want.as_str()) {
        (None, None) => want.is_null(),
        (Some(g), Some(w)) => g.eq_bytes(w.as_bytes()),
        _ => false,
    }
}

/// The fetch plan must name what the vector's requirement says.
fn plan_matches(f: &Fetch<'_>, r: &Value) -> Result<(), String> {
    let want = |k: &str| r.get(k).and_then(Value::as_str);
    let check = |name: &str, got: Text<'_>| -> Result<(), String> {
        match want(name) {
            Some(w) if got.eq_bytes(w.as_bytes()) => Ok(()),
            Some(w) => Err(format!("plan {name}: want {w:?}, got {got:?}")),
            None => Ok(()),
        }
    };
    match *f {
        Fetch::Metadata { origin, kid, .. } if r.get("jwt").is_none() => {
            check("id", origin)?;
            check("kid", kid)
        }
        Fetch::Jwks { url, kid } => {
            match want("url").or(want("jwks")) {
                Some(w) if !url.eq_bytes(w.as_bytes()) => {
                    return Err(format!("plan url: want {w}, got {url:?}"))
                }
                _ => {}
            }
            check("kid", kid)
        }
        _ => Ok(()),
    }
}

fn check_verified(v: &Verified<'_>, expect: &Value) -> Result<(), String> {
    if let Some(l) = expect.get("label").and_then(Value::as_str) {
        if v.label != l.as_bytes() {
            return Err(format!("label: want {l}"));
        }
    }
    if let Some(sch) = expect.get("scheme").and_then(Value::as_str) {
        let got = v.identity.scheme;
        if got.map(|s| s.token()) != Some(sch) && got.map(|s| s.name()) != Some(sch) {
            return Err(format!("scheme: want {sch}, got {got:?}"));
        }
    }
    if let Some(t) = expect.get("thumbprint").and_then(Value::as_str) {
        let got = v.thumbprint();
        if got.as_str() != t {
            return Err(format!("thumbprint: want {t}, got {}", got.as_str()));
        }
    }
    if let Some(k) = expect.get("kid").and_then(Value::as_str) {
        if !v.identity.kid.is_some_and(|x| x.eq_bytes(k.as_bytes())) {
            return Err(format!("kid: want {k}, got {:?}", v.identity.kid));
        }
    }
    if let Some(t) = expect.get("token") {
        let Some(info) = v.token else {
            return Err("token info missing".into());
        };
        for (k, got) in [
            ("typ", Some(info.typ)),
            ("iss", info.claims.iss),
            ("sub", info.claims.sub),
        ] {
            if let Some(w) = t.get(k).and_then(Value::as_str) {
                if !got.is_some_and(|g| g.eq_bytes(w.as_bytes())) {
                    return Err(format!("token {k}: want {w}, got {got:?}"));
                }
            }
        }
    }
    if let Some(id) = expect.get("identity") {
        let i = &v.identity;
        for (k, got) in [
            ("agent", i.agent),
            ("issuer", i.issuer),
            ("subject", i.subject),
            ("kid", i.kid),
        ] {
            if !text_is(got, &id[k]) {
                return Err(format!("identity {k}: want {}, got {got:?}", id[k]));
            }
        }
        let scheme = i.scheme.map(|s| s.name());
        if scheme != id["scheme"].as_str() {
            return Err(format!(
                "identity scheme: want {}, got {scheme:?}",
                id["scheme"]
            ));
        }
        if id["thumbprint"].as_str() != Some(v.thumbprint().as_str()) {
            return Err(format!("identity thumbprint: want {}", id["thumbprint"]));
        }
    }
    match (expect.get("cache"), v.cache) {
        (None | Some(Value::Null), None) => {}
        (Some(want), Some(g)) if !want.is_null() => {
            let scheme_ok = Some(g.scheme.name()) == want["scheme"].as_str();
            if !scheme_ok
                || !text_is(Some(g.jti), &want["jti"])
                || Some(g.exp) != want["exp"].as_i64()
            {
                return Err(format!("cache grant: want {want}, got {g:?}"));
            }
        }
        (want, got) => return Err(format!("cache grant: want {want:?}, got {got:?}")),
    }
    if let Some(c) = expect.get("created").and_then(Value::as_i64) {
        if v.params.created != Some(c) {
            return Err(format!("created: want {c}, got {:?}", v.params.created));
        }
    }
    Ok(())
}

/// How a case is run: both phases directly; phase 2 on a signature frozen after phase 1 and
/// thawed (as the C verifier and the async Python path do); or frozen and finished before the
/// body, the body checked afterwards in pieces (as the gateway does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Direct,
    Frozen,
    Deferred,
}

/// Runs one case; returns a description of the mismatch, if any. With `frozen`, phase 2 runs
/// on a signature frozen after phase 1 and thawed over the same request and scratch, as the C
/// verifier and the async Python path do.
fn run_case(case: &Value, mode: Mode) -> Result<(), String> {
    let frozen = mode != Mode::Direct;
    let p = Prepared::new(case);
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&headers);
    let policy = policy_of(case.get("policy").unwrap_or(&Value::Null));
    let expect = &case["expect"];
    let want_ok = expect["result"] == "ok";
    let want_err = expect.get("error").and_then(Value::as_str);
    let mut scratch = Box::new(JwtScratch::new());

    let outcome = (|| -> Result<Result<(), String>, aauth_verify::Error> {
        let mut ctx = Context {
            label: p.label.as_deref(),
            revoked: Some(&p.revoked),
            ..Context::at(p.now)
        };
        let parsed = parse(&req, &policy, &ctx, Some(&mut scratch))?;
        let parsed = p.resolve(parsed, &policy, &ctx)?;
        if let Some(r) = expect.get("requirement") {
            if let Some(sch) = r.get("scheme").and_then(Value::as_str) {
                let got = parsed.scheme();
                if got.map(|s| s.name()) != Some(sch) && got.map(|s| s.token()) != Some(sch) {
                    return Ok(Err(format!("requirement scheme: want {sch}, got {got:?}")));
                }
            }
            if let Err(m) = plan_matches(&parsed.fetch(), r) {
                return Ok(Err(m));
            }
        }
        if let Some(base) = expect.get("base").and_then(Value::as_str) {
            let mut buf = vec![0u8; 64 * 1024];
            match parsed.base_into(&req, &mut buf) {
                Ok(got) if got == base.as_bytes() => {}
                Ok(got) => {
                    return Ok(Err(format!(
                        "base mismatch:\n--- want\n{base}\n--- got\n{}",
                        String::from_utf8_lossy(got)
                    )))
                }
                Err(e) if want_ok => return Ok(Err(format!("base failed: {e}"))),
                Err(_) => {}
            }
            if let Some(h) = expect.get("base_sha256").and_then(Value::as_str) {
                assert_eq!(
                    hex::encode(Sha256::digest(base.as_bytes())),
                    h,
                    "vector base_sha256"
                );
            }
        }
        let parsed = if frozen {
            let f = parsed.freeze(&req)?;
            f.thaw(&req, Some(&mut scratch), p.assertion.as_deref())?
        } else {
            parsed
        };
        let v = match mode {
            Mode::Deferred => {
                // As a gateway does: verify over the headers, then read the body only if the
                // digest is covered, fed in small pieces.
                let d = p.with_source(&policy, |src| {
                    parsed.finish_before_body(&req, &policy, src, &mut ctx)
                })?;
                let (v, check) = d.into_parts();
                if check.needs_body() {
                    let body = req.body.ok_or(aauth_verify::Error::new(
                        aauth_verify::ErrorCode::InvalidSignature,
                        aauth_verify::Check::BodyMissing,
                    ))?;
                    let mut s = check.stream(&req)?;
                    for piece in body.chunks(7) {
                        s.update(piece);
                    }
                    s.finish()?;
                }
                v
            }
            _ => p.with_source(&policy, |src| parsed.finish(&req, &policy, src, &mut ctx))?,
        };
        Ok(check_verified(&v, expect))
    })();

    match (outcome, want_ok) {
        (Ok(Err(m)), _) => Err(m),
        (Ok(Ok(())), true) => Ok(()),
        (Ok(Ok(())), false) => Err(format!("verified, but want error {want_err:?}")),
        (Err(e), true) => Err(format!("want ok, got error {e}")),
        (Err(e), false) => match want_err {
            Some(w) if w == e.code.token() => Ok(()),
            Some(w) => Err(format!("want error {w}, got {e}")),
            None => Ok(()),
        },
    }
}

fn run_file(text: &str) -> (usize, Vec<String>) {
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        for mode in [Mode::Direct, Mode::Frozen, Mode::Deferred] {
            if let Err(m) = run_case(case, mode) {
                failures.push(format!("{name} ({mode:?}): {m}"));
            }
        }
    }
    (cases.len(), failures)
}

fn run(text: &str, what: &str) {
    let (n, failures) = run_file(text);
    assert!(
        n >= 40,
        "expected a substantial vector set, found {n} cases"
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {n} {what} vectors failed",
        failures.len()
    );
    eprintln!("{what} vectors: {n} passed, 0 failed");
}

#[test]
fn signature_vectors() {
    run(SIGNATURES, "signature");
}

#[test]
fn token_vectors() {
    run(TOKENS, "token");
}
