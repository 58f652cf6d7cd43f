//! Property tests for `aauth_verify_sf::sf` and `aauth_verify_sf::b64`.
//!
//! * arbitrary bytes never make a parser, iterator or serializer panic, and whatever parses
//!   serializes to text that parses again and serializes identically;
//! * generated well-formed dictionaries, lists and items, written canonically or with
//!   non-canonical (but valid) noise, parse to the generated values and serialize to the
//!   canonical text, which is a fixed point;
//! * the base64 decoders invert the encoders.

use aauth_verify_sf::b64::{
    decode_base64url, decode_sf_binary, decode_signature, encode_base64, encode_base64url,
    SigEncoding,
};
use aauth_verify_sf::sf::{self, BareItem, InnerList, Item, Member, Options, Params};
use aauth_verify_sf::sink::Sink;
use proptest::prelude::*;

struct VecSink(Vec<u8>);

impl Sink for VecSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

const STRICT: Options = Options {
    byteseq_base64url: false,
};
const URL: Options = Options {
    byteseq_base64url: true,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Item,
    List,
    Dict,
}

/// Parses `input` as `kind`, touches every accessor, and returns the canonical serialization.
fn parse_and_serialize(input: &[u8], kind: Kind, opts: Options) -> Option<Vec<u8>> {
    let mut out = VecSink(Vec::new());
    match kind {
        Kind::Item => {
            let i = sf::parse_item(input, opts).ok()?;
            touch_params(&i.params);
            sf::serialize_item(&i, &mut out);
        }
        Kind::List => {
            let l = sf::parse_list(input, opts).ok()?;
            let _ = (l.len(), l.is_empty(), l.raw());
            for m in l.iter() {
                touch_member(&m);
            }
            sf::serialize_list(&l, &mut out);
        }
        Kind::Dict => {
            let d = sf::parse_dictionary(input, opts).ok()?;
            let _ = (d.len(), d.is_empty(), d.raw());
            for (k, m) in d.iter() {
                assert!(sf::is_valid_key(k));
                assert!(d.get(k).is_some());
                touch_member(&m);
            }
            sf::serialize_dictionary(&d, &mut out);
        }
    }
    Some(out.0)
}

fn touch_params(p: &Params<'_>) {
    let _ = (p.is_empty(), p.raw(), p.len());
    for (k, v) in p.iter() {
        assert!(sf::is_valid_key(k));
        assert!(p.get(k).is_some());
        touch_bare(&v);
    }
}

fn touch_bare(b: &BareItem<'_>) {
    assert_eq!(b.validate(), Ok(()));
    if let BareItem::String(s) = b {
        let mut buf = [0u8; 256];
        let u = s.unescape_into(&mut buf).map(<[u8]>::to_vec);
        if let Some(u) = u {
            assert!(s.eq_bytes(&u));
            assert_eq!(u.len(), s.unescaped_len());
        }
        assert_eq!(s.has_escapes(), s.as_plain().is_none());
    }
}

fn touch_member(m: &Member<'_>) {
    match m {
        Member::Item(i) => {
            touch_bare(&i.value);
            touch_params(&i.params);
        }
        Member::InnerList(l) => touch_inner(l),
    }
}

fn touch_inner(l: &InnerList<'_>) {
    let _ = (l.len(), l.is_empty(), l.raw());
    for i in l.items() {
        touch_bare(&i.value);
        touch_params(&i.params);
    }
    touch_params(&l.params());
    let mut out = VecSink(Vec::new());
    sf::serialize_inner_list(l, &mut out);
    assert_eq!(l.canonical_raw().is_some(), out.0 == l.raw());
    if l.quick_canonical_raw().is_some() {
        assert_eq!(
            out.0,
            l.raw(),
            "the quick scan accepted a non-canonical inner list {:?}",
            String::from_utf8_lossy(l.raw())
        );
    }
}

/// The quick canonical scan of `Signature-Input` members: what signers write is accepted, and
/// each non-canonical variant (or shape it does not handle) is not.
#[test]
fn quick_canonical_scan_accepts_the_signer_shape_only() {
    let member = |text: &str| -> Option<bool> {
        let dict = sf::parse_dictionary(text.as_bytes(), Options::default()).ok()?;
        let (_, m) = dict.iter().next()?;
        let Member::InnerList(l) = m else { return None };
        Some(l.quick_canonical_raw().is_some())
    };
    for ok in [
        r#"sig=("@method" "@authority" "@path" "signature-key");created=1730217600"#,
        r#"sig=();created=0"#,
        r#"sig=("@query-param";name="a" "x";key="b";sf "y";bs);created=1;keyid="k";alg=ed25519;tag="t""#,
        r#"sig=("a");expires=999999999999999"#,
    ] {
        assert_eq!(member(ok), Some(true), "{ok}");
    }
    for not in [
        r#"sig=( "a");created=1"#,
        r#"sig=("a"  "b");created=1"#,
        r#"sig=("a" );created=1"#,
        r#"sig=("a"); created=1"#,
        r#"sig=("a");created=01"#,
        r#"sig=("a");created=-1"#,
        r#"sig=("a");created=1.5"#,
        r#"sig=("a");x=?1"#,
        r#"sig=("a");x=?0"#,
        r#"sig=("a");x=1;x=2"#,
        r#"sig=("a";k=1;k=2)"#,
        r#"sig=("a\"b")"#,
        r#"sig=(a)"#,
        r#"sig=("a");x=:AA==:"#,
    ] {
        assert_eq!(member(not), Some(false), "{not}");
    }
}

/// Whatever parses must serialize to a fixed point that also parses strictly.
fn check_fixed_point(input: &[u8]) {
    for kind in [Kind::Item, Kind::List, Kind::Dict] {
        for opts in [STRICT, URL] {
            if let Some(s1) = parse_and_serialize(input, kind, opts) {
                let s2 = parse_and_serialize(&s1, kind, STRICT).unwrap_or_else(|| {
                    panic!(
                        "canonical output {:?} does not parse",
                        String::from_utf8_lossy(&s1)
                    )
                });
                assert_eq!(s1, s2);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A model of structured values, rendered canonically or with noise
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum MBare {
    Int(i64),
    Dec(i64),
    Str(Vec<u8>),
    Tok(String),
    Bin(Vec<u8>),
    Bool(bool),
    Date(i64),
    Disp(String),
}

#[derive(Clone, Debug)]
struct MItem {
    value: MBare,
    params: Vec<(String, MBare)>,
}

#[derive(Clone, Debug)]
enum MMember {
    Item(MItem),
    Inner(Vec<MItem>, Vec<(String, MBare)>),
}

/// Tiny deterministic noise source; `None` renders canonically.
struct Noise(Option<u64>);

impl Noise {
    fn pick(&mut self, n: u64) -> u64 {
        match &mut self.0 {
            None => 0,
            Some(s) => {
                *s ^= *s << 13;
                *s ^= *s >> 7;
                *s ^= *s << 17;
                *s % n
            }
        }
    }
    fn flip(&mut self) -> bool {
        self.pick(2) == 1
    }
    fn sp(&mut self, min: usize) -> String {
        " ".repeat(min + self.pick(3) as usize)
    }
    fn ows(&mut self) -> String {
        (0..self.pick(3))
            .map(|_| if self.flip() { ' ' } else { '\t' })
            .collect()
    }
}

const INT_MAX: i64 = 999_999_999_999_999;

fn render_int(i: i64, z: &mut Noise) -> String {
    let digits = i.unsigned_abs().to_string();
    let zeros = z.pick(16 - digits.len() as u64) as usize;
    format!(
        "{}{}{digits}",
        if i < 0 { "-" } else { "" },
        "0".repeat(zeros)
    )
}

fn render_bare(b: &MBare, z: &mut Noise) -> String {
    match b {
        MBare::Int(i) => render_int(*i, z),
        MBare::Dec(t) => {
            let a = t.unsigned_abs();
            let mut frac = format!("{:03}", a % 1000);
            if !z.flip() {
                while frac.len() > 1 && frac.ends_with('0') {
                    frac.pop();
                }
            }
            format!("{}{}.{frac}", if *t < 0 { "-" } else { "" }, a / 1000)
        }
        MBare::Str(s) => {
            let mut o = String::from("\"");
            for &c in s {
                if c == b'"' || c == b'\\' {
                    o.push('\\');
                }
                o.push(c as char);
            }
            o.push('"');
            o
        }
        MBare::Tok(t) => t.clone(),
        MBare::Bin(b) => {
            let mut buf = vec![0u8; b.len().div_ceil(3) * 4];
            let mut s = encode_base64(b, &mut buf).unwrap().to_string();
            if z.flip() {
                s = s.trim_end_matches('=').to_string();
            }
            format!(":{s}:")
        }
        MBare::Bool(v) => if *v { "?1" } else { "?0" }.to_string(),
        MBare::Date(d) => format!("@{}", render_int(*d, z)),
        MBare::Disp(s) => {
            let mut o = String::from("%\"");
            for &c in s.as_bytes() {
                if c == b'%' || c == b'"' || !(0x20..=0x7e).contains(&c) || z.pick(4) == 3 {
                    o.push_str(&format!("%{c:02x}"));
                } else {
                    o.push(c as char);
                }
            }
            o.push('"');
            o
        }
    }
}

fn render_params(p: &[(String, MBare)], z: &mut Noise) -> String {
    let mut o = String::new();
    for (k, v) in p {
        o.push(';');
        o.push_str(&z.sp(0));
        o.push_str(k);
        if !matches!(v, MBare::Bool(true)) || z.flip() {
            o.push('=');
            o.push_str(&render_bare(v, z));
        }
    }
    o
}

fn render_item(i: &MItem, z: &mut Noise) -> String {
    render_bare(&i.value, z) + &render_params(&i.params, z)
}

fn render_member(m: &MMember, z: &mut Noise) -> String {
    match m {
        MMember::Item(i) => render_item(i, z),
        MMember::Inner(items, p) => {
            let mut o = String::from("(");
            o.push_str(&z.sp(0));
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    o.push_str(&z.sp(1));
                }
                o.push_str(&render_item(i, z));
            }
            o.push_str(&z.sp(0));
            o.push(')');
            o + &render_params(p, z)
        }
    }
}

fn render_sep(z: &mut Noise) -> String {
    if z.0.is_none() {
        ", ".into()
    } else {
        format!("{},{}", z.ows(), z.ows())
    }
}

fn render_list(l: &[MMember], z: &mut Noise) -> String {
    let mut o = z.sp(0);
    for (n, m) in l.iter().enumerate() {
        if n > 0 {
            o.push_str(&render_sep(z));
        }
        o.push_str(&render_member(m, z));
    }
    o + &z.sp(0)
}

fn render_dict(d: &[(String, MMember)], z: &mut Noise) -> String {
    let mut o = z.sp(0);
    for (n, (k, m)) in d.iter().enumerate() {
        if n > 0 {
            o.push_str(&render_sep(z));
        }
        o.push_str(k);
        match m {
            MMember::Item(i) if matches!(i.value, MBare::Bool(true)) && !z.flip() => {
                o.push_str(&render_params(&i.params, z));
            }
            _ => {
                o.push('=');
                o.push_str(&render_member(m, z));
            }
        }
    }
    o + &z.sp(0)
}

// ----- comparing parsed values with the model -----

fn bare_matches(m: &MBare, b: &BareItem<'_>) -> bool {
    match (m, b) {
        (MBare::Int(a), BareItem::Integer(b)) => a == b,
        (MBare::Dec(a), BareItem::Decimal(b)) => *a == b.thousandths,
        (MBare::Str(a), BareItem::String(b)) => b.eq_bytes(a),
        (MBare::Tok(a), BareItem::Token(b)) => a.as_bytes() == *b,
        (MBare::Bin(a), BareItem::ByteSeq(raw)) => {
            let mut buf = vec![0u8; raw.len()];
            decode_sf_binary(raw, &mut buf).is_ok_and(|d| d == &a[..])
        }
        (MBare::Bool(a), BareItem::Boolean(b)) => a == b,
        (MBare::Date(a), BareItem::Date(b)) => a == b,
        (MBare::Disp(a), BareItem::DisplayString(raw)) => {
            let mut out = Vec::new();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'%' {
                    out.push(
                        u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).unwrap(), 16)
                            .unwrap(),
                    );
                    i += 3;
                } else {
                    out.push(raw[i]);
                    i += 1;
                }
            }
            out == a.as_bytes()
        }
        _ => false,
    }
}

fn params_match(m: &[(String, MBare)], p: &Params<'_>) -> bool {
    p.len() == m.len()
        && p.iter()
            .zip(m)
            .all(|((k, v), (mk, mv))| k == mk.as_bytes() && bare_matches(mv, &v))
}

fn item_matches(m: &MItem, i: &Item<'_>) -> bool {
    bare_matches(&m.value, &i.value) && params_match(&m.params, &i.params)
}

fn member_matches(m: &MMember, p: &Member<'_>) -> bool {
    match (m, p) {
        (MMember::Item(a), Member::Item(b)) => item_matches(a, b),
        (MMember::Inner(items, params), Member::InnerList(l)) => {
            l.len() == items.len()
                && l.items().zip(items).all(|(b, a)| item_matches(a, &b))
                && params_match(params, &l.params())
        }
        _ => false,
    }
}

// ----- strategies -----

fn key() -> impl Strategy<Value = String> {
    "[a-z*][a-z0-9_.*-]{0,6}"
}

fn bare() -> impl Strategy<Value = MBare> {
    prop_oneof![
        (-INT_MAX..=INT_MAX).prop_map(MBare::Int),
        (-30i64..30).prop_map(MBare::Int),
        (-INT_MAX..=INT_MAX).prop_map(MBare::Dec),
        (-3000i64..3000).prop_map(MBare::Dec),
        prop::collection::vec(0x20u8..=0x7e, 0..12).prop_map(MBare::Str),
        "[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,8}".prop_map(MBare::Tok),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(MBare::Bin),
        any::<bool>().prop_map(MBare::Bool),
        (-INT_MAX..=INT_MAX).prop_map(MBare::Date),
        ".{0,6}".prop_map(MBare::Disp),
    ]
}

fn dedup<T>(v: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut out: Vec<(String, T)> = Vec::new();
    for (k, x) in v {
        if !out.iter().any(|(k2, _)| *k2 == k) {
            out.push((k, x));
        }
    }
    out
}

fn params() -> impl Strategy<Value = Vec<(String, MBare)>> {
    prop::collection::vec((key(), bare()), 0..4).prop_map(dedup)
}

fn item() -> impl Strategy<Value = MItem> {
    (bare(), params()).prop_map(|(value, params)| MItem { value, params })
}

fn member() -> impl Strategy<Value = MMember> {
    prop_oneof![
        item().prop_map(MMember::Item),
        (prop::collection::vec(item(), 0..4), params()).prop_map(|(i, p)| MMember::Inner(i, p)),
    ]
}

fn dict() -> impl Strategy<Value = Vec<(String, MMember)>> {
    prop::collection::vec((key(), member()), 0..6).prop_map(dedup)
}

fn list() -> impl Strategy<Value = Vec<MMember>> {
    prop::collection::vec(member(), 0..6)
}

fn sf_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b" \t,;=()\"\\:?@%*-._/+aAzZ0919e\xc3\xbc".to_vec()),
        0..48,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..200)) {
        check_fixed_point(&input);
    }

    #[test]
    fn sf_alphabet_bytes_never_panic(input in sf_ish_bytes()) {
        check_fixed_point(&input);
    }

    #[test]
    fn dictionaries_round_trip(d in dict(), seed in any::<u64>()) {
        let canonical = render_dict(&d, &mut Noise(None));
        let noisy = render_dict(&d, &mut Noise(Some(seed | 1)));
        for text in [&canonical, &noisy] {
            let parsed = sf::parse_dictionary(text.as_bytes(), STRICT)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert_eq!(parsed.len(), d.len());
            for ((k, m), (mk, mm)) in parsed.iter().zip(&d) {
                prop_assert_eq!(k, mk.as_bytes());
                prop_assert!(member_matches(mm, &m), "{:?} vs {:?}", mm, m);
                prop_assert!(parsed.get(k).is_some_and(|g| g == m));
            }
            let out = parse_and_serialize(text.as_bytes(), Kind::Dict, STRICT).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), canonical.clone());
        }
        // In canonical text every inner list is its own canonical form.
        let parsed = sf::parse_dictionary(canonical.as_bytes(), STRICT).unwrap();
        for (_, m) in parsed.iter() {
            if let Member::InnerList(l) = m {
                prop_assert_eq!(l.canonical_raw(), Some(l.raw()));
            }
        }
    }

    #[test]
    fn lists_round_trip(l in list(), seed in any::<u64>()) {
        let canonical = render_list(&l, &mut Noise(None));
        let noisy = render_list(&l, &mut Noise(Some(seed | 1)));
        for text in [&canonical, &noisy] {
            let parsed = sf::parse_list(text.as_bytes(), STRICT)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert_eq!(parsed.len(), l.len());
            for (m, mm) in parsed.iter().zip(&l) {
                prop_assert!(member_matches(mm, &m), "{:?} vs {:?}", mm, m);
            }
            let out = parse_and_serialize(text.as_bytes(), Kind::List, STRICT).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), canonical.clone());
        }
        // Parsing the canonical text twice gives equal values.
        let a = sf::parse_list(canonical.as_bytes(), STRICT).unwrap();
        let out = parse_and_serialize(canonical.as_bytes(), Kind::List, STRICT).unwrap();
        let b = sf::parse_list(&out, STRICT).unwrap();
        prop_assert!(a == b);
    }

    #[test]
    fn items_round_trip(i in item(), seed in any::<u64>()) {
        let canonical = render_item(&i, &mut Noise(None));
        let noisy = format!(" {} ", render_item(&i, &mut Noise(Some(seed | 1))));
        for text in [&canonical, &noisy] {
            let parsed = sf::parse_item(text.as_bytes(), STRICT)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert!(item_matches(&i, &parsed));
            let out = parse_and_serialize(text.as_bytes(), Kind::Item, STRICT).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), canonical.clone());
        }
    }

    #[test]
    fn duplicate_keys_collapse(entries in prop::collection::vec(("[a-c]", member()), 0..8)) {
        // Expected: first position, last value.
        let mut collapsed: Vec<(String, MMember)> = Vec::new();
        for (k, m) in &entries {
            match collapsed.iter_mut().find(|(k2, _)| k2 == k) {
                Some(slot) => slot.1 = m.clone(),
                None => collapsed.push((k.clone(), m.clone())),
            }
        }
        let text = render_dict(&entries, &mut Noise(None));
        let out = parse_and_serialize(text.as_bytes(), Kind::Dict, STRICT).unwrap();
        prop_assert_eq!(String::from_utf8(out).unwrap(), render_dict(&collapsed, &mut Noise(None)));
    }

    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..=100)) {
        let mut enc = [0u8; 140];
        let mut dec = [0u8; 100];
        let std_padded = encode_base64(&bytes, &mut enc).unwrap().to_string();
        let std_unpadded = std_padded.trim_end_matches('=').to_string();
        for s in [&std_padded, &std_unpadded] {
            prop_assert_eq!(decode_sf_binary(s.as_bytes(), &mut dec).unwrap(), &bytes[..]);
            for allow in [false, true] {
                let (d, e) = decode_signature(s.as_bytes(), &mut dec, allow).unwrap();
                prop_assert_eq!(d, &bytes[..]);
                prop_assert_eq!(e, SigEncoding::Base64);
            }
        }
        let url = encode_base64url(&bytes, &mut enc).unwrap().to_string();
        prop_assert_eq!(decode_base64url(url.as_bytes(), &mut dec).unwrap(), &bytes[..]);
        let (d, e) = decode_signature(url.as_bytes(), &mut dec, true).unwrap();
        prop_assert_eq!(d, &bytes[..]);
        let has_url_chars = url.contains(['-', '_']);
        prop_assert_eq!(e == SigEncoding::Base64Url, has_url_chars);
        if has_url_chars {
            prop_assert!(decode_signature(url.as_bytes(), &mut dec, false).is_err());
            prop_assert!(decode_sf_binary(url.as_bytes(), &mut dec).is_err());
        }
        // The SF serializer re-encodes a base64url Byte Sequence as padded standard base64.
        let field = format!(":{url}:");
        let out = parse_and_serialize(field.as_bytes(), Kind::Item, URL).unwrap();
        prop_assert_eq!(String::from_utf8(out).unwrap(), format!(":{std_padded}:"));
        // Too-small buffers are reported, never a panic.
        if !bytes.is_empty() {
            let n = bytes.len() - 1;
            prop_assert!(decode_sf_binary(std_padded.as_bytes(), &mut dec[..n]).is_err());
            prop_assert!(decode_base64url(url.as_bytes(), &mut dec[..n]).is_err());
            prop_assert!(encode_base64(&bytes, &mut enc[..std_padded.len() - 1]).is_err());
        }
    }

    #[test]
    fn b64_decoders_never_panic(raw in prop::collection::vec(
        prop::sample::select(b"AZaz09+/-_=!".to_vec()), 0..40)) {
        let mut dec = [0u8; 40];
        let _ = decode_sf_binary(&raw, &mut dec);
        let _ = decode_signature(&raw, &mut dec, true);
        let _ = decode_signature(&raw, &mut dec, false);
        let _ = decode_base64url(&raw, &mut dec);
        // Accepted sf-binary re-encodes to something that decodes to the same bytes.
        if let Ok(d) = decode_sf_binary(&raw, &mut dec) {
            let d = d.to_vec();
            let mut enc = [0u8; 64];
            let e = encode_base64(&d, &mut enc).unwrap();
            let mut dec2 = [0u8; 40];
            prop_assert_eq!(decode_sf_binary(e.as_bytes(), &mut dec2).unwrap(), &d[..]);
        }
    }
}

/// Inner lists near the signer shape (random separators, values, duplicate keys): whenever
/// the quick scan accepts one, it is exactly its canonical serialization.
fn near_signer_shape() -> impl Strategy<Value = String> {
    let sep = prop_oneof![Just(" "), Just(" "), Just("  "), Just("")];
    let key = prop_oneof![
        Just("a"),
        Just("b"),
        Just("created"),
        Just("k*1"),
        Just("A")
    ];
    let value = prop_oneof![
        Just(String::new()),
        Just("=1".to_string()),
        Just("=0".to_string()),
        Just("=01".to_string()),
        Just("=-1".to_string()),
        Just("=1730217600".to_string()),
        Just("=1234567890123456".to_string()),
        Just("=\"v\"".to_string()),
        Just("=\"v\\\"w\"".to_string()),
        Just("=tok/x:y".to_string()),
        Just("=?1".to_string()),
        Just("=1.5".to_string()),
        Just("=:AA==:".to_string()),
    ];
    let param = (prop_oneof![Just(";"), Just(";"), Just("; ")], key, value)
        .prop_map(|(s, k, v)| format!("{s}{k}{v}"));
    let params = proptest::collection::vec(param, 0..4).prop_map(|v| v.concat());
    let item = (
        prop_oneof![
            Just("\"@method\""),
            Just("\"x\""),
            Just("\"\""),
            Just("\"a\\\\b\""),
            Just("tok")
        ],
        params.clone(),
    )
        .prop_map(|(i, p)| format!("{i}{p}"));
    (
        prop_oneof![Just("("), Just("( ")],
        proptest::collection::vec((item, sep), 0..5),
        prop_oneof![Just(")"), Just(" )")],
        params,
    )
        .prop_map(|(open, items, close, p)| {
            let mut s = String::from(open);
            for (n, (i, sep)) in items.iter().enumerate() {
                if n > 0 {
                    s.push_str(sep);
                }
                s.push_str(i);
            }
            s.push_str(close);
            s.push_str(&p);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
    #[test]
    fn quick_canonical_scan_is_sound(text in near_signer_shape()) {
        let field = format!("sig={text}");
        if let Ok(dict) = sf::parse_dictionary(field.as_bytes(), Options::default()) {
            if let Some((_, Member::InnerList(l))) = dict.iter().next() {
                let mut out = VecSink(Vec::new());
                sf::serialize_inner_list(&l, &mut out);
                if l.quick_canonical_raw().is_some() {
                    prop_assert_eq!(&out.0[..], l.raw());
                }
                if l.canonical_raw().is_none() {
                    prop_assert!(l.quick_canonical_raw().is_none());
                }
            }
        }
    }
}
