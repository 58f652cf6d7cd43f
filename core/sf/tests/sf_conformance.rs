//! Runs the HTTP WG structured-field-tests suite (https://github.com/httpwg/structured-field-tests)
//! against `aauth_verify_sf::sf`.
//!
//! The suite is read from `$AAUTH_SF_TESTS_DIR`, else from
//! `<CARGO_MANIFEST_DIR>/../../../shared/vectors/structured-field-tests`. If neither exists the
//! test prints a "skipped" line and passes.
//!
//! For every parsing case: parsing must succeed or fail as the case says (`can_fail` cases may
//! fail), the parsed value must equal `expected`, the parsed value must serialize to
//! `canonical` (or the joined `raw`), and `expected` itself, serialized through the scalar
//! serializers, must give the same text. `serialisation-tests/` cases only do the last step.

use aauth_verify_sf::b64::decode_sf_binary;
use aauth_verify_sf::sf::{
    self, BareItem, Decimal, Dictionary, Item, List, Member, Options, Params,
};
use aauth_verify_sf::sink::Sink;
use serde_json::Value;
use std::path::{Path, PathBuf};

struct VecSink(Vec<u8>);

impl Sink for VecSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn suite_dir() -> PathBuf {
    match std::env::var_os("AAUTH_SF_TESTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/vectors/structured-field-tests"),
    }
}

// ---------------------------------------------------------------------------------------------
// base32 (RFC 4648 §6), for the suite's `binary` values
// ---------------------------------------------------------------------------------------------

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((v >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base32_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u64;
    let mut n = 0u32;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = B32.iter().position(|&b| b == c).expect("base32 char") as u64;
        bits = bits << 5 | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Parsed value -> comparison with `expected`
// ---------------------------------------------------------------------------------------------

fn typed<'v>(v: &'v Value, ty: &str) -> Option<&'v Value> {
    let o = v.as_object()?;
    if o.get("__type")?.as_str()? == ty {
        o.get("value")
    } else {
        None
    }
}

fn display_decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let h = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(h, 16).unwrap());
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

fn bare_matches(b: &BareItem<'_>, e: &Value) -> Result<(), String> {
    let ok = match b {
        BareItem::Integer(i) => e.is_i64() && e.as_i64() == Some(*i),
        BareItem::Decimal(Decimal { thousandths }) => match e.as_f64() {
            Some(f) if e.is_f64() => {
                let scaled = f * 1000.0;
                (scaled.round() as i64) == *thousandths
                    && (scaled - *thousandths as f64).abs() < 0.01
            }
            _ => false,
        },
        BareItem::String(s) => {
            let mut v = vec![0u8; s.unescaped_len()];
            let u = s.unescape_into(&mut v).unwrap().to_vec();
            e.as_str().map(str::as_bytes) == Some(&u[..]) && s.eq_bytes(&u)
        }
        BareItem::Token(t) => {
            typed(e, "token").and_then(Value::as_str).map(str::as_bytes) == Some(*t)
        }
        BareItem::ByteSeq(raw) => {
            let mut buf = vec![0u8; raw.len()];
            let bytes = decode_sf_binary(raw, &mut buf).map_err(|x| format!("{x:?}"))?;
            typed(e, "binary").and_then(Value::as_str) == Some(&base32_encode(bytes)[..])
        }
        BareItem::Boolean(v) => e.as_bool() == Some(*v),
        BareItem::Date(d) => typed(e, "date").and_then(Value::as_i64) == Some(*d),
        BareItem::DisplayString(raw) => {
            let s = String::from_utf8(display_decode(raw)).map_err(|x| x.to_string())?;
            typed(e, "displaystring").and_then(Value::as_str) == Some(&s[..])
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("bare item {b:?} != expected {e}"))
    }
}

/// Parameters with the RFC's map semantics applied: first position, last value.
fn collapsed_params<'a>(p: &Params<'a>) -> Vec<(&'a [u8], BareItem<'a>)> {
    let mut v: Vec<(&[u8], BareItem<'_>)> = Vec::new();
    for (k, val) in p.iter() {
        match v.iter_mut().find(|(k2, _)| *k2 == k) {
            Some(slot) => slot.1 = val,
            None => v.push((k, val)),
        }
    }
    // `get` must agree with the collapsed view.
    for (k, val) in &v {
        assert_eq!(p.get(k).as_ref(), Some(val));
    }
    v
}

fn params_match(p: &Params<'_>, e: &Value) -> Result<(), String> {
    let e = e.as_array().ok_or("params not an array")?;
    let ours = collapsed_params(p);
    if ours.len() != e.len() {
        return Err(format!("{} params, expected {}", ours.len(), e.len()));
    }
    for ((k, v), pe) in ours.iter().zip(e) {
        let name = pe[0].as_str().ok_or("param name")?;
        if k != &name.as_bytes() {
            return Err(format!("param {:?} != {name}", String::from_utf8_lossy(k)));
        }
        bare_matches(v, &pe[1])?;
    }
    Ok(())
}

fn item_matches(i: &Item<'_>, e: &Value) -> Result<(), String> {
    let e = e.as_array().ok_or("item not an array")?;
    bare_matches(&i.value, &e[0])?;
    params_match(&i.params, &e[1])
}

fn member_matches(m: &Member<'_>, e: &Value) -> Result<(), String> {
    match m {
        Member::Item(i) => item_matches(i, e),
        Member::InnerList(l) => {
            let items = e[0]
                .as_array()
                .ok_or("expected an item, got an inner list")?;
            if l.len() != items.len() {
                return Err(format!(
                    "inner list has {} items, expected {}",
                    l.len(),
                    items.len()
                ));
            }
            for (i, ie) in l.items().zip(items) {
                item_matches(&i, ie)?;
            }
            params_match(&l.params(), &e[1])
        }
    }
}

fn dict_matches(d: &Dictionary<'_>, e: &Value) -> Result<(), String> {
    let e = e.as_array().ok_or("dictionary not an array")?;
    // first position, last value
    let mut ours: Vec<(&[u8], Member<'_>)> = Vec::new();
    for (k, m) in d.iter() {
        match ours.iter_mut().find(|(k2, _)| *k2 == k) {
            Some(slot) => slot.1 = m,
            None => ours.push((k, m)),
        }
    }
    if ours.len() != e.len() {
        return Err(format!("{} members, expected {}", ours.len(), e.len()));
    }
    for ((k, m), me) in ours.iter().zip(e) {
        if k != &me[0].as_str().ok_or("member name")?.as_bytes() {
            return Err(format!("key {:?} != {}", String::from_utf8_lossy(k), me[0]));
        }
        if d.get(k).as_ref() != Some(m) {
            return Err("Dictionary::get disagrees with last value".into());
        }
        member_matches(m, &me[1])?;
    }
    Ok(())
}

fn list_matches(l: &List<'_>, e: &Value) -> Result<(), String> {
    let e = e.as_array().ok_or("list not an array")?;
    if l.len() != e.len() {
        return Err(format!("{} members, expected {}", l.len(), e.len()));
    }
    for (m, me) in l.iter().zip(e) {
        member_matches(&m, me)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// `expected` JSON -> text, through the public scalar serializers
// ---------------------------------------------------------------------------------------------

/// Rounds a JSON float to thousandths, half to even, from its shortest decimal text.
fn json_decimal(f: f64) -> Option<Decimal> {
    let text = format!("{f}");
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, &text[..]),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac3: Vec<u8> = frac.bytes().take(3).collect();
    frac3.resize(3, b'0');
    let rest = frac.get(3..).unwrap_or("");
    let mut t: i128 = format!("{int}{}", std::str::from_utf8(&frac3).unwrap())
        .parse()
        .ok()?;
    let rest_trim = rest.trim_end_matches('0');
    if !rest_trim.is_empty() {
        let first = rest_trim.as_bytes()[0];
        let exact_half = first == b'5' && rest_trim.len() == 1;
        if first > b'5' || (first == b'5' && !exact_half) || (exact_half && t % 2 == 1) {
            t += 1;
        }
    }
    let t = if neg { -t } else { t };
    Some(Decimal {
        thousandths: i64::try_from(t).ok()?,
    })
}

type SerResult = Result<(), String>;

fn ser_bare(e: &Value, out: &mut VecSink) -> SerResult {
    let err = |x: sf::Error| x.to_string();
    match e {
        Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(i) => sf::serialize_integer(i, out).map_err(err),
            None => Err("integer beyond i64".into()),
        },
        Value::Number(n) => {
            let d = json_decimal(n.as_f64().unwrap()).ok_or("decimal beyond i64")?;
            sf::serialize_decimal(d, out).map_err(err)
        }
        Value::String(s) => sf::serialize_string(s.as_bytes(), out).map_err(err),
        Value::Bool(b) => {
            sf::serialize_boolean(*b, out);
            Ok(())
        }
        Value::Object(_) => {
            if let Some(t) = typed(e, "token") {
                sf::serialize_token(t.as_str().unwrap().as_bytes(), out).map_err(err)
            } else if let Some(b) = typed(e, "binary") {
                sf::serialize_byte_seq(&base32_decode(b.as_str().unwrap()), out);
                Ok(())
            } else if let Some(d) = typed(e, "date") {
                sf::serialize_date(d.as_i64().ok_or("date beyond i64")?, out).map_err(err)
            } else if let Some(d) = typed(e, "displaystring") {
                sf::serialize_display_string(d.as_str().unwrap(), out);
                Ok(())
            } else {
                Err(format!("unknown __type {e}"))
            }
        }
        _ => Err(format!("unexpected JSON {e}")),
    }
}

fn ser_params(e: &Value, out: &mut VecSink) -> SerResult {
    for p in e.as_array().ok_or("params")? {
        out.write(b";");
        sf::serialize_key(p[0].as_str().unwrap().as_bytes(), out).map_err(|x| x.to_string())?;
        if p[1] != Value::Bool(true) {
            out.write(b"=");
            ser_bare(&p[1], out)?;
        }
    }
    Ok(())
}

fn ser_item(e: &Value, out: &mut VecSink) -> SerResult {
    ser_bare(&e[0], out)?;
    ser_params(&e[1], out)
}

fn ser_member(e: &Value, out: &mut VecSink) -> SerResult {
    if let Some(items) = e[0].as_array() {
        out.write(b"(");
        for (n, i) in items.iter().enumerate() {
            if n > 0 {
                out.write(b" ");
            }
            ser_item(i, out)?;
        }
        out.write(b")");
        ser_params(&e[1], out)
    } else {
        ser_item(e, out)
    }
}

fn ser_expected(ty: &str, e: &Value) -> Result<Vec<u8>, String> {
    let mut out = VecSink(Vec::new());
    match ty {
        "item" => ser_item(e, &mut out)?,
        "list" => {
            for (n, m) in e.as_array().ok_or("list")?.iter().enumerate() {
                if n > 0 {
                    out.write(b", ");
                }
                ser_member(m, &mut out)?;
            }
        }
        "dictionary" => {
            for (n, m) in e.as_array().ok_or("dictionary")?.iter().enumerate() {
                if n > 0 {
                    out.write(b", ");
                }
                sf::serialize_key(m[0].as_str().unwrap().as_bytes(), &mut out)
                    .map_err(|x| x.to_string())?;
                let v = &m[1];
                if v[0] == Value::Bool(true) && !v[0].is_array() {
                    ser_params(&v[1], &mut out)?;
                } else {
                    out.write(b"=");
                    ser_member(v, &mut out)?;
                }
            }
        }
        _ => return Err(format!("unknown header_type {ty}")),
    }
    Ok(out.0)
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Counts {
    passed: usize,
    must_fail_ok: usize,
    can_fail_failed: usize,
    failures: Vec<String>,
}

fn joined(v: &Value) -> Option<String> {
    Some(
        v.as_array()?
            .iter()
            .map(|s| s.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn run_parse_case(case: &Value, c: &mut Counts, file: &str) {
    let name = case["name"].as_str().unwrap_or("?");
    let ty = case["header_type"].as_str().unwrap_or("?");
    let input = joined(&case["raw"]).unwrap_or_default();
    let must_fail = case["must_fail"].as_bool().unwrap_or(false);
    let can_fail = case["can_fail"].as_bool().unwrap_or(false);
    let opts = Options::default();
    let mut fail = |why: String| c.failures.push(format!("{file}: {name}: {why}"));

    let parsed: Result<(Result<(), String>, Vec<u8>), sf::Error> = match ty {
        "item" => sf::parse_item(input.as_bytes(), opts).map(|i| {
            let mut out = VecSink(Vec::new());
            sf::serialize_item(&i, &mut out);
            (item_matches(&i, &case["expected"]), out.0)
        }),
        "list" => sf::parse_list(input.as_bytes(), opts).map(|l| {
            let mut out = VecSink(Vec::new());
            sf::serialize_list(&l, &mut out);
            (list_matches(&l, &case["expected"]), out.0)
        }),
        "dictionary" => sf::parse_dictionary(input.as_bytes(), opts).map(|d| {
            let mut out = VecSink(Vec::new());
            sf::serialize_dictionary(&d, &mut out);
            (dict_matches(&d, &case["expected"]), out.0)
        }),
        _ => {
            fail(format!("unknown header_type {ty}"));
            return;
        }
    };

    match parsed {
        Err(_) if must_fail => c.must_fail_ok += 1,
        Ok(_) if must_fail => fail(format!("parsed {input:?} but must fail")),
        Err(e) if can_fail => {
            c.can_fail_failed += 1;
            println!("  note: {file}: {name}: failed (allowed, can_fail): {e}");
        }
        Err(e) => fail(format!("parse of {input:?} failed: {e}")),
        Ok((matches, serialized)) => {
            let canonical = joined(&case["canonical"]).unwrap_or_else(|| input.clone());
            let mut bad = false;
            if let Err(why) = matches {
                fail(format!("value mismatch: {why}"));
                bad = true;
            }
            if serialized != canonical.as_bytes() {
                fail(format!(
                    "serialized {:?}, canonical {canonical:?}",
                    String::from_utf8_lossy(&serialized)
                ));
                bad = true;
            }
            match ser_expected(ty, &case["expected"]) {
                Ok(s) if s == canonical.as_bytes() => {}
                Ok(s) => {
                    fail(format!(
                        "expected value serialized to {:?}, canonical {canonical:?}",
                        String::from_utf8_lossy(&s)
                    ));
                    bad = true;
                }
                Err(e) => {
                    fail(format!("expected value failed to serialize: {e}"));
                    bad = true;
                }
            }
            if !bad {
                c.passed += 1;
            }
        }
    }
}

fn run_serialisation_case(case: &Value, c: &mut Counts, file: &str) {
    let name = case["name"].as_str().unwrap_or("?");
    let ty = case["header_type"].as_str().unwrap_or("?");
    let must_fail = case["must_fail"].as_bool().unwrap_or(false);
    let r = ser_expected(ty, &case["expected"]);
    match (r, must_fail) {
        (Err(_), true) => c.must_fail_ok += 1,
        (Ok(s), true) => c.failures.push(format!(
            "{file}: {name}: serialized to {:?} but must fail",
            String::from_utf8_lossy(&s)
        )),
        (Err(e), false) => c
            .failures
            .push(format!("{file}: {name}: serialization failed: {e}")),
        (Ok(s), false) => {
            let canonical = joined(&case["canonical"]).unwrap_or_default();
            if s == canonical.as_bytes() {
                c.passed += 1;
            } else {
                c.failures.push(format!(
                    "{file}: {name}: serialized {:?}, canonical {canonical:?}",
                    String::from_utf8_lossy(&s)
                ));
            }
        }
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "json"));
    v.sort();
    v
}

#[test]
fn structured_field_tests_suite() {
    let dir = suite_dir();
    if !dir.is_dir() {
        println!(
            "skipped: structured-field-tests suite not found at {} (set AAUTH_SF_TESTS_DIR)",
            dir.display()
        );
        return;
    }
    let mut total = Counts::default();
    let mut files = 0;
    for (sub, runner) in [
        ("", run_parse_case as fn(&Value, &mut Counts, &str)),
        ("serialisation-tests", run_serialisation_case),
    ] {
        for path in json_files(&dir.join(sub)) {
            let file = path
                .strip_prefix(&dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("read test file");
            let cases: Vec<Value> = serde_json::from_str(&text).expect("test file is a JSON array");
            let mut c = Counts::default();
            for case in &cases {
                runner(case, &mut c, &file);
            }
            println!(
                "{file}: {} cases: {} passed, {} correctly rejected, {} can_fail failures, {} FAILED",
                cases.len(),
                c.passed,
                c.must_fail_ok,
                c.can_fail_failed,
                c.failures.len()
            );
            files += 1;
            total.passed += c.passed;
            total.must_fail_ok += c.must_fail_ok;
            total.can_fail_failed += c.can_fail_failed;
            total.failures.extend(c.failures);
        }
    }
    println!(
        "TOTAL: {files} files: {} passed, {} correctly rejected, {} can_fail failures (allowed), {} FAILED; skipped: none",
        total.passed,
        total.must_fail_ok,
        total.can_fail_failed,
        total.failures.len()
    );
    for f in &total.failures {
        println!("FAIL {f}");
    }
    assert!(files > 0, "no test files found in {}", dir.display());
    assert!(
        total.failures.is_empty(),
        "{} conformance failures",
        total.failures.len()
    );
}
