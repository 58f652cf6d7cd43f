//! Every shared vector under the scheme families this build has (`make test-rust` runs it with
//! each feature set): a family left out changes no rule of the others.
//!
//! * A case whose `Signature-Key` names a scheme this build leaves out fails with
//!   `unsupported_scheme` (`scheme_not_built`), or with its own expected error when a check of
//!   phase 1 that comes before the `Signature-Key` member refuses it first.
//! * Every other case has exactly its expected outcome (the error code, or the verified
//!   thumbprint).
//! * Without `documents`, a case whose key comes from JSON documents (a JWKS, a metadata
//!   document) runs phase 1 only: a host without them cannot supply that key. A JWK the host
//!   holds is built from its members with `key_from_members`.
//!
//! With every feature on (the default) no case is skipped and none is `scheme_not_built`.

use aauth_verify::{parse, Check, Context, ErrorCode, Header, JwtScratch, Scheme};
use serde_json::Value;

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::{policy_of, Prepared};

const SIGNATURES: &str = include_str!("../../tests/vectors/signatures.json");
const TOKENS: &str = include_str!("../../tests/vectors/tokens.json");

/// Whether a `Signature-Key` line of the case names `scheme` as a member's scheme (the
/// structured form `label=scheme;…` or the legacy `scheme=…` inside an inner list).
fn names_scheme(p: &Prepared, scheme: Scheme) -> bool {
    let token = scheme.token();
    p.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"signature-key"))
        .any(|(_, v)| {
            let v = String::from_utf8_lossy(v);
            [
                format!("={token};"),
                format!("={token},"),
                format!("={token} "),
            ]
            .iter()
            .any(|m| v.contains(m.as_str()) || v.ends_with(&m[..m.len() - 1]))
        })
}

fn unbuilt_named(p: &Prepared) -> bool {
    Scheme::ALL
        .into_iter()
        .chain([Scheme::Cached])
        .any(|s| !s.is_built() && names_scheme(p, s))
}

#[derive(Default)]
struct Tally {
    exact: usize,
    not_built: usize,
    phase1_only: usize,
    failures: Vec<String>,
}

fn run_case(case: &Value, t: &mut Tally) {
    let name = case["name"].as_str().unwrap_or("?");
    let p = Prepared::new(case);
    let headers: Vec<Header<'_>> = p.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let req = p.request(&headers);
    let policy = policy_of(case.get("policy").unwrap_or(&Value::Null));
    let expect = &case["expect"];
    let want_ok = expect["result"] == "ok";
    let want_err = expect.get("error").and_then(Value::as_str);
    let needs_documents = matches!(p.key_type.as_str(), "jwks" | "jwt_issuer")
        || (p.key_type == "assertion" && !p.jwks.is_empty());
    let phase1_only = needs_documents && !cfg!(feature = "documents");
    let mut scratch = Box::new(JwtScratch::new());
    let mut ctx = Context {
        label: p.label.as_deref(),
        revoked: Some(&p.revoked),
        ..Context::at(p.now)
    };
    let outcome = parse(&req, &policy, &ctx, Some(&mut scratch))
        .and_then(|parsed| p.resolve(parsed, &policy, &ctx))
        .map(|parsed| {
            if phase1_only {
                return None;
            }
            Some(p.with_source(&policy, |src| {
                parsed
                    .finish(&req, &policy, src, &mut ctx)
                    .map(|v| v.thumbprint())
            }))
        });
    let outcome = match outcome {
        Ok(None) => {
            t.phase1_only += 1;
            return;
        }
        Ok(Some(r)) => r,
        Err(e) => Err(e),
    };
    match outcome {
        Err(e) if e.check == Check::SchemeNotBuilt => {
            if e.code == ErrorCode::UnsupportedScheme && unbuilt_named(&p) {
                t.not_built += 1;
            } else {
                t.failures
                    .push(format!("{name}: {e} for a scheme this build has"));
            }
        }
        Err(e) if !want_ok && want_err.is_none_or(|w| w == e.code.token()) => t.exact += 1,
        Err(e) => t
            .failures
            .push(format!("{name}: want {want_err:?}, got {e}")),
        Ok(_) if unbuilt_named(&p) => t.failures.push(format!(
            "{name}: verified with a scheme this build leaves out"
        )),
        Ok(thumb) if want_ok => match expect.get("thumbprint").and_then(Value::as_str) {
            Some(w) if w != thumb.as_str() => t
                .failures
                .push(format!("{name}: thumbprint {} want {w}", thumb.as_str())),
            _ => t.exact += 1,
        },
        Ok(_) => t
            .failures
            .push(format!("{name}: verified, want {want_err:?}")),
    }
}

#[test]
fn every_vector_under_this_feature_set() {
    let mut t = Tally::default();
    let mut n = 0;
    for text in [SIGNATURES, TOKENS] {
        let doc: Value = serde_json::from_str(text).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            n += 1;
            run_case(case, &mut t);
        }
    }
    for f in &t.failures {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "{n} cases: {} as expected, {} scheme_not_built, {} phase 1 only (no documents); built: {:?}",
        t.exact,
        t.not_built,
        t.phase1_only,
        aauth_verify::Schemes::BUILT.iter().collect::<Vec<_>>()
    );
    assert!(t.failures.is_empty(), "{} cases failed", t.failures.len());
    assert!(n > 300, "the vector files hold {n} cases");
    if cfg!(all(
        feature = "jwks",
        feature = "cached",
        feature = "documents"
    )) {
        assert_eq!(
            (t.not_built, t.phase1_only),
            (0, 0),
            "every family is built"
        );
    }
}

#[test]
fn built_schemes_follow_the_features() {
    let tokens = cfg!(feature = "tokens");
    let jwks = cfg!(feature = "jwks");
    for (s, built) in [
        (Scheme::Hwk, true),
        (Scheme::JwksUri, true),
        (Scheme::Jwks, jwks),
        (Scheme::LegacyJwks, jwks),
        (Scheme::Jwt, tokens),
        (Scheme::JktJwt, tokens),
        (Scheme::SelfJwt, tokens),
        (Scheme::Cached, cfg!(feature = "cached")),
    ] {
        assert_eq!(s.is_built(), built, "{s:?}");
        assert_eq!(aauth_verify::Schemes::BUILT.contains(s), built, "{s:?}");
    }
    let mut buf = [0u8; 128];
    let all = aauth_verify::Schemes::ALL.with(Scheme::Cached);
    let listed = aauth_verify::render::accept_signature_scheme(all, &mut buf).unwrap();
    let mut want = vec!["hwk", "jwks_uri"];
    if jwks {
        want.push("jwks");
    }
    if tokens {
        want.extend(["jwt", "jkt-jwt", "self-jwt"]);
    }
    if cfg!(feature = "cached") {
        want.push("cached");
    }
    assert_eq!(listed, want.join(", "));
}
