//! Runs the shared vectors in `tests/vectors/*.json` (the same files the C and Python suites
//! use) through the two-phase API and checks each outcome, base and identity.

use aauth_verify::{b64, jwk, parse, Header, JwtScratch, KeyRequirement, PublicKey, Request};
use serde_json::Value;
use sha2::{Digest, Sha256};

const SIGNATURES: &str = include_str!("../../tests/vectors/signatures.json");
const TOKENS: &str = include_str!("../../tests/vectors/tokens.json");

mod vectors_common {
    include!("common/mod.rs");
}
use vectors_common::policy_of;

struct Owned {
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

fn owned(req: &Value) -> Owned {
    let headers = req["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().as_bytes().to_vec(),
                h[1].as_str().unwrap().as_bytes().to_vec(),
            )
        })
        .collect();
    let body = match &req["body"] {
        Value::Null => None,
        Value::String(t) => Some(t.as_bytes().to_vec()),
        Value::Object(o) => {
            let raw = o["base64"].as_str().unwrap().as_bytes();
            let mut buf = vec![0u8; raw.len()];
            let n = b64::decode_sf_binary(raw, &mut buf).unwrap().len();
            buf.truncate(n);
            Some(buf)
        }
        other => panic!("bad body {other}"),
    };
    Owned { headers, body }
}

fn requirement_matches(r: &KeyRequirement<'_>, e: &Value) -> Result<(), String> {
    let want = |k: &str| e.get(k).and_then(Value::as_str);
    let check = |name: &str, got: &aauth_verify::Text<'_>| -> Result<(), String> {
        match want(name) {
            Some(w) if got.eq_bytes(w.as_bytes()) => Ok(()),
            Some(w) => Err(format!("requirement {name}: want {w:?}, got {:?}", got)),
            None => Ok(()),
        }
    };
    match r {
        KeyRequirement::JwksUri { id, dwk, kid } => {
            check("id", id)?;
            check("dwk", dwk)?;
            check("kid", kid)
        }
        KeyRequirement::Jwks { url, kid } => {
            check("url", url)?;
            check("kid", kid)
        }
        KeyRequirement::LegacyJwks { jwks, id, kid, .. } => {
            if let Some(j) = jwks {
                check("jwks", j)?;
            }
            if let Some(i) = id {
                check("id", i)?;
            }
            check("kid", kid)
        }
        _ => Ok(()),
    }
}

type Outcome<'x> = Result<Result<aauth_verify::Verified<'x>, String>, aauth_verify::Error>;

/// Runs phase 1, the base check, key resolution and phase 2 for one case.
fn evaluate<'x>(
    case: &Value,
    req: &Request<'x>,
    policy: &aauth_verify::Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
    scratch: &'x mut JwtScratch,
) -> Outcome<'x> {
    let (req, policy) = (*req, *policy);
    let expect = &case["expect"];
    let want_ok = expect["result"] == "ok";

    let parsed = parse(&req, &policy, label, now)?;
    if let Some(r) = expect.get("requirement") {
        if let Some(sch) = r.get("scheme").and_then(Value::as_str) {
            let got = parsed.scheme().map(|s| s.name());
            if got != Some(sch) && parsed.scheme().map(|s| s.token()) != Some(sch) {
                return Ok(Err(format!("requirement scheme: want {sch}, got {got:?}")));
            }
        }
        if let Err(m) = requirement_matches(parsed.requirement(), r) {
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
    let key_spec = &case["key"];
    let json = |k: &str| serde_json::to_vec(&key_spec[k]).unwrap();
    if matches!(
        parsed.requirement(),
        KeyRequirement::Jwt { .. } | KeyRequirement::JktJwt { .. } | KeyRequirement::SelfJwt { .. }
    ) {
        let token = parsed.token(scratch, &policy, now)?;
        let issuer_key = match key_spec["type"].as_str().unwrap() {
            "inline" => None,
            "jwt_issuer" | "jwks" => {
                if key_spec.get("metadata").is_some_and(|m| !m.is_null()) {
                    token.check_metadata(&json("metadata"), &policy)?;
                }
                Some(token.select_issuer_key(&json("jwks"), &policy)?)
            }
            other => return Ok(Err(format!("key type {other} for a token"))),
        };
        return Ok(Ok(parsed.verify_token(
            &req,
            &token,
            issuer_key.as_ref(),
        )?));
    }
    let key: PublicKey = match key_spec["type"].as_str().unwrap() {
        "inline" => match parsed.inline_key() {
            Some(k) => k,
            None => return Ok(Err("inline key expected".into())),
        },
        "raw_ed25519" => {
            let mut x = [0u8; 32];
            b64::decode_base64url(key_spec["x"].as_str().unwrap().as_bytes(), &mut x).unwrap();
            PublicKey::from_raw(x)?
        }
        "jwk" => {
            let text = serde_json::to_vec(&key_spec["jwk"]).unwrap();
            jwk::parse_jwk(&text, policy.key_rules())?
        }
        "jwks" => {
            if let Some(m) = key_spec.get("metadata").filter(|m| !m.is_null()) {
                let text = serde_json::to_vec(m).unwrap();
                parsed.check_metadata(&text, &policy)?;
            }
            let text = serde_json::to_vec(&key_spec["jwks"]).unwrap();
            parsed.select_key(&text, &policy)?
        }
        other => return Ok(Err(format!("key type {other} not handled by this suite"))),
    };
    let v = parsed.verify(&req, &key)?;
    Ok(Ok(v))
}

/// Runs one case; returns a description of the mismatch, if any.
fn run_case(case: &Value) -> Result<(), String> {
    let req_v = &case["request"];
    let o = owned(req_v);
    let headers: Vec<Header<'_>> = o.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let query = req_v["query"].as_str().map(str::as_bytes);
    let req = Request {
        method: req_v["method"].as_str().unwrap().as_bytes(),
        scheme: req_v["scheme"].as_str().unwrap().as_bytes(),
        authority: req_v["authority"].as_str().unwrap().as_bytes(),
        path: req_v["path"].as_str().unwrap().as_bytes(),
        query,
        headers: &headers,
        body: o.body.as_deref(),
    };
    let null = Value::Null;
    let policy = policy_of(case.get("policy").unwrap_or(&null));
    let label = case
        .get("policy")
        .and_then(|p| p.get("label"))
        .and_then(Value::as_str)
        .map(str::as_bytes);
    let now = case["now"].as_i64().unwrap();
    let expect = &case["expect"];
    let want_ok = expect["result"] == "ok";
    let want_err = expect.get("error").and_then(Value::as_str);

    let mut scratch = Box::new(JwtScratch::new());
    let outcome = evaluate(case, &req, &policy, label, now, &mut scratch);

    match (outcome, want_ok) {
        (Ok(Err(m)), _) => Err(m),
        (Ok(Ok(v)), true) => {
            if let Some(l) = expect.get("label").and_then(Value::as_str) {
                if v.label != l.as_bytes() {
                    return Err(format!("label: want {l}"));
                }
            }
            if let Some(sch) = expect.get("scheme").and_then(Value::as_str) {
                let got = v.scheme.map(|s| s.token());
                if got != Some(sch) && v.scheme.map(|s| s.name()) != Some(sch) {
                    return Err(format!("scheme: want {sch}, got {got:?}"));
                }
            }
            if let Some(t) = expect.get("thumbprint").and_then(Value::as_str) {
                let got = v.key.thumbprint_b64();
                if got.as_str() != t {
                    return Err(format!("thumbprint: want {t}, got {}", got.as_str()));
                }
            }
            if let Some(k) = expect.get("kid").and_then(Value::as_str) {
                // For tokens the key id is the issuer key's (header kid).
                let ok = match v.token {
                    Some(t) => t.kid.is_some_and(|x| x.eq_str(k)),
                    None => v.kid.is_some_and(|x| x.eq_bytes(k.as_bytes())),
                };
                if !ok {
                    return Err(format!(
                        "kid: want {k}, got {:?} / {:?}",
                        v.kid,
                        v.token.map(|t| t.kid)
                    ));
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
                        if !got.is_some_and(|g| g.eq_str(w)) {
                            return Err(format!("token {k}: want {w}, got {got:?}"));
                        }
                    }
                }
            }
            if let Some(c) = expect.get("created").and_then(Value::as_i64) {
                if v.params.created != Some(c) {
                    return Err(format!("created: want {c}, got {:?}", v.params.created));
                }
            }
            Ok(())
        }
        (Ok(Ok(_)), false) => Err(format!("verified, but want error {want_err:?}")),
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
        if let Err(m) = run_case(case) {
            failures.push(format!("{name}: {m}"));
        }
    }
    (cases.len(), failures)
}

#[test]
fn signature_vectors() {
    let (n, failures) = run_file(SIGNATURES);
    assert!(
        n >= 40,
        "expected a substantial vector set, found {n} cases"
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {n} signature vectors failed",
        failures.len()
    );
    eprintln!("signature vectors: {n} passed, 0 failed");
}

#[test]
fn token_vectors() {
    let (n, failures) = run_file(TOKENS);
    assert!(
        n >= 40,
        "expected a substantial token vector set, found {n} cases"
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {n} token vectors failed",
        failures.len()
    );
    eprintln!("token vectors: {n} passed, 0 failed");
}
