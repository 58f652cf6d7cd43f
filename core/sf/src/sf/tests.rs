use super::parse::*;
use super::ser::*;
use super::*;
use crate::sink::SliceSink;

const STRICT: Options = Options {
    byteseq_base64url: false,
};
const URL: Options = Options {
    byteseq_base64url: true,
};

/// Runs `f` against a 512-byte sink and returns what it wrote as a heapless string.
fn ser(f: impl FnOnce(&mut SliceSink<'_>)) -> heapless::Vec<u8, 512> {
    let mut buf = [0u8; 512];
    let mut s = SliceSink::new(&mut buf);
    f(&mut s);
    heapless::Vec::from_slice(s.finish().unwrap()).unwrap()
}

fn item(s: &str) -> Item<'_> {
    parse_item(s.as_bytes(), STRICT).unwrap()
}

fn item_err(s: &str) -> Error {
    parse_item(s.as_bytes(), STRICT).unwrap_err()
}

fn canon_item(s: &str) -> heapless::Vec<u8, 512> {
    let i = item(s);
    ser(|o| serialize_item(&i, o))
}

fn canon_dict(s: &str) -> heapless::Vec<u8, 512> {
    let d = parse_dictionary(s.as_bytes(), STRICT).unwrap();
    ser(|o| serialize_dictionary(&d, o))
}

fn canon_list(s: &str) -> heapless::Vec<u8, 512> {
    let l = parse_list(s.as_bytes(), STRICT).unwrap();
    ser(|o| serialize_list(&l, o))
}

#[test]
fn integers() {
    assert_eq!(item("42").value, BareItem::Integer(42));
    assert_eq!(item("-42").value, BareItem::Integer(-42));
    assert_eq!(item("-0").value, BareItem::Integer(0));
    assert_eq!(item("007").value, BareItem::Integer(7));
    assert_eq!(
        item("999999999999999").value,
        BareItem::Integer(INTEGER_MAX)
    );
    assert_eq!(
        item("-999999999999999").value,
        BareItem::Integer(INTEGER_MIN)
    );
    assert_eq!(item_err("1000000000000000").what, E_INT_LEN);
    assert_eq!(item_err("1000000000000000").pos, 15);
    assert_eq!(item_err("-").what, E_DIGIT);
    assert_eq!(item_err("-a").what, E_DIGIT);
    assert_eq!(canon_item("007"), b"7"[..]);
    assert_eq!(canon_item("-0"), b"0"[..]);
}

#[test]
fn decimals() {
    assert_eq!(
        item("1.5").value,
        BareItem::Decimal(Decimal { thousandths: 1500 })
    );
    assert_eq!(
        item("-0.001").value,
        BareItem::Decimal(Decimal { thousandths: -1 })
    );
    assert_eq!(
        item("123456789012.123").value,
        BareItem::Decimal(Decimal {
            thousandths: 123_456_789_012_123
        })
    );
    assert_eq!(item_err("1234567890123.1").what, E_DEC_INT_LEN);
    assert_eq!(item_err("1.1234").what, E_DEC_FRAC_LEN);
    assert_eq!(item_err("1.").what, E_DEC_DOT);
    assert_eq!(item_err("1..2").what, E_DEC_DOT);
    assert_eq!(item_err("1.2.3").what, E_ITEM_TRAILING);
    assert_eq!(canon_item("1.500"), b"1.5"[..]);
    assert_eq!(canon_item("1.000"), b"1.0"[..]);
    assert_eq!(canon_item("1.050"), b"1.05"[..]);
    assert_eq!(canon_item("-01.001"), b"-1.001"[..]);
    assert_eq!(canon_item("-0.0"), b"0.0"[..]);
}

#[test]
fn strings() {
    let BareItem::String(s) = item(r#""a\"b\\c""#).value else {
        panic!()
    };
    assert_eq!(s.raw(), br#"a\"b\\c"#);
    assert!(s.has_escapes());
    assert_eq!(s.as_plain(), None);
    assert!(s.bytes().eq(br#"a"b\c"#.iter().copied()));
    assert!(s.eq_bytes(br#"a"b\c"#));
    assert!(!s.eq_bytes(br#"a"b\"#));
    assert_eq!(s.unescaped_len(), 5);
    let mut buf = [0u8; 5];
    assert_eq!(s.unescape_into(&mut buf), Some(&br#"a"b\c"#[..]));
    assert_eq!(s.unescape_into(&mut buf[..4]), None);
    let BareItem::String(p) = item(r#""plain""#).value else {
        panic!()
    };
    assert_eq!(p.as_plain(), Some(&b"plain"[..]));
    assert!(p.eq_bytes(b"plain"));
    assert_eq!(canon_item(r#""a\"b\\c""#), br#""a\"b\\c""#[..]);
    assert_eq!(
        item(r#""""#).value,
        BareItem::String(SfStr::from_raw(b"").unwrap())
    );

    assert_eq!(item_err(r#""abc"#).what, E_STR_UNTERMINATED);
    assert_eq!(item_err(r#""abc\"#).what, E_STR_UNTERMINATED);
    assert_eq!(item_err(r#""a\nb""#).what, E_STR_ESCAPE);
    assert_eq!(item_err(r#""a\nb""#).pos, 3);
    assert_eq!(item_err("\"a\tb\"").what, E_STR_CHAR);
    assert_eq!(item_err("\"a\u{e9}b\"").what, E_STR_CHAR);

    assert!(SfStr::from_raw(br#"a\"b"#).is_some());
    assert!(SfStr::from_raw(br#"a"b"#).is_none());
    assert!(SfStr::from_raw(br#"a\b"#).is_none());
    assert!(SfStr::from_raw(b"a\\").is_none());
    assert!(SfStr::from_raw(b"a\x7f").is_none());
}

#[test]
fn tokens() {
    assert_eq!(item("foo").value, BareItem::Token(b"foo"));
    assert_eq!(item("*f:o/o!#").value, BareItem::Token(b"*f:o/o!#"));
    assert_eq!(item("Foo123").value, BareItem::Token(b"Foo123"));
    assert_eq!(item_err("foo,bar").what, E_ITEM_TRAILING);
    assert_eq!(item_err("foo bar").what, E_ITEM_TRAILING);
    assert!(is_valid_token(b"a:b/c"));
    assert!(!is_valid_token(b""));
    assert!(!is_valid_token(b"1a"));
    assert!(!is_valid_token(b"a b"));
}

#[test]
fn byte_sequences() {
    assert_eq!(item(":aGVsbG8=:").value, BareItem::ByteSeq(b"aGVsbG8="));
    assert_eq!(item("::").value, BareItem::ByteSeq(b""));
    assert_eq!(canon_item(":aGVsbG8:"), b":aGVsbG8=:"[..]);
    assert_eq!(canon_item(":iZ==:"), b":iQ==:"[..]);
    assert_eq!(canon_item(":/+Ah:"), b":/+Ah:"[..]);
    assert_eq!(item_err(":aGVsbG8=").what, E_BIN_UNTERMINATED);
    assert_eq!(item_err(":aGVs bG8=:").what, E_BIN_CHAR);
    assert_eq!(item_err(":_-Ah:").what, E_BIN_CHAR);
    assert_eq!(item_err(":a=GVsbG8=:").what, E_BIN_BASE64);
    assert_eq!(item_err(":a=GVsbG8=:").pos, 1);
    assert_eq!(item_err(":a:").what, E_BIN_BASE64);

    // base64url option
    let i = parse_item(b":_-Ah:", URL).unwrap();
    assert_eq!(i.value, BareItem::ByteSeq(b"_-Ah"));
    assert_eq!(ser(|o| serialize_item(&i, o)), b":/+Ah:"[..]);
    let i = parse_item(b":_w:", URL).unwrap();
    assert_eq!(ser(|o| serialize_item(&i, o)), b":/w==:"[..]);
    assert_eq!(parse_item(b":_w==:", URL).unwrap_err().what, E_BIN_BASE64);
    assert_eq!(parse_item(b":_+Ah:", URL).unwrap_err().what, E_BIN_BASE64);
    assert!(parse_item(b":aGVsbG8=:", URL).is_ok());
}

#[test]
fn booleans() {
    assert_eq!(item("?1").value, BareItem::Boolean(true));
    assert_eq!(item("?0").value, BareItem::Boolean(false));
    assert_eq!(item_err("?2").what, E_BOOL);
    assert_eq!(item_err("?").what, E_BOOL);
    assert_eq!(item_err("?01").what, E_ITEM_TRAILING);
}

#[test]
fn dates() {
    assert_eq!(item("@1659578233").value, BareItem::Date(1_659_578_233));
    assert_eq!(item("@-1").value, BareItem::Date(-1));
    assert_eq!(canon_item("@-0"), b"@0"[..]);
    assert_eq!(item_err("@1.5").what, E_DATE_DECIMAL);
    assert_eq!(item_err("@1.5").pos, 1);
    assert_eq!(item_err("@").what, E_DIGIT);
    assert_eq!(item_err("@1000000000000000").what, E_INT_LEN);
}

#[test]
fn display_strings() {
    assert_eq!(
        item(r#"%"f%c3%bc%c3%bc""#).value,
        BareItem::DisplayString(b"f%c3%bc%c3%bc")
    );
    assert_eq!(canon_item(r#"%"%61%22%25""#), br#"%"a%22%25""#[..]);
    assert_eq!(canon_item(r#"%"f%c3%bc""#), br#"%"f%c3%bc""#[..]);
    assert_eq!(item_err(r#"%foo"#).what, E_DS_QUOTE);
    assert_eq!(item_err(r#"%"f%C3%BC""#).what, E_DS_ESCAPE);
    assert_eq!(item_err(r#"%"f%C3%BC""#).pos, 3);
    assert_eq!(item_err(r#"%"%a"#).what, E_DS_ESCAPE);
    assert_eq!(item_err(r#"%"%""#).what, E_DS_ESCAPE);
    assert_eq!(item_err("%\"a\tb\"").what, E_DS_CHAR);
    assert_eq!(item_err(r#"%"foo"#).what, E_DS_UNTERMINATED);
    assert_eq!(item_err(r#"%"%c3%28""#).what, E_DS_UTF8);
    assert_eq!(item_err(r#"%"%c3""#).what, E_DS_UTF8);
    assert_eq!(item_err(r#"%"%c3a""#).what, E_DS_UTF8);
    assert_eq!(item_err(r#"%"%ed%a0%80""#).what, E_DS_UTF8); // surrogate
    assert_eq!(item_err(r#"%"%c0%80""#).what, E_DS_UTF8); // overlong
    assert_eq!(item_err(r#"%"%f4%90%80%80""#).what, E_DS_UTF8); // > U+10FFFF
    assert!(parse_item(r#"%"%f0%9f%98%80""#.as_bytes(), STRICT).is_ok());
    assert_eq!(
        ser(|o| serialize_display_string("a\"%ü\u{1}", o)),
        br#"%"a%22%25%c3%bc%01""#[..]
    );
}

#[test]
fn utf8_validator_matches_core() {
    // Exhaustive over 1- and 2-byte sequences, and 3-byte sequences with a few tails.
    let check = |bytes: &[u8]| {
        let mut v = Utf8::default();
        let ok = bytes.iter().all(|&b| v.feed(b)) && v.complete();
        assert_eq!(ok, core::str::from_utf8(bytes).is_ok(), "{bytes:x?}");
    };
    for a in 0..=255u8 {
        check(&[a]);
        for b in 0..=255u8 {
            check(&[a, b]);
            for c in [0x00, 0x80, 0x9f, 0xa0, 0xbf, 0xc0] {
                check(&[a, b, c]);
                check(&[a, b, c, 0x80]);
            }
        }
    }
}

#[test]
fn bare_item_errors() {
    assert_eq!(item_err("").what, E_EMPTY_ITEM);
    assert_eq!(item_err("   ").what, E_EMPTY_ITEM);
    assert_eq!(item_err("\t1").what, E_BARE_ITEM);
    assert_eq!(item_err("1\t").what, E_ITEM_TRAILING);
    assert_eq!(item_err("$").what, E_BARE_ITEM);
    assert_eq!(item_err("\u{e9}").what, E_BARE_ITEM);
    assert_eq!(item_err("  $").pos, 2);
    assert_eq!(item("  1  ").value, BareItem::Integer(1));
}

#[test]
fn parameters() {
    let i = item("1;a=2;b;c=?0;a=\"x\"; d=tok");
    assert_eq!(i.params.raw(), b";a=2;b;c=?0;a=\"x\"; d=tok");
    assert_eq!(i.params.len(), 5);
    assert_eq!(i.params.get(b"b"), Some(BareItem::Boolean(true)));
    assert_eq!(i.params.get(b"c"), Some(BareItem::Boolean(false)));
    assert_eq!(i.params.get(b"d"), Some(BareItem::Token(b"tok")));
    assert!(matches!(i.params.get(b"a"), Some(BareItem::String(_))));
    assert_eq!(i.params.get(b"zz"), None);
    let keys: heapless::Vec<&[u8], 8> = i.params.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [&b"a"[..], b"b", b"c", b"a", b"d"][..]);
    assert!(item("1").params.is_empty());
    assert!(Params::EMPTY.is_empty());
    // canonical: duplicates collapsed (first position, last value), ?1 bare, no SP
    assert_eq!(
        canon_item("1;a=2;b=?1;c=?0;a=\"x\"; d=tok"),
        br#"1;a="x";b;c=?0;d=tok"#[..]
    );
    assert_eq!(item_err("1;A=2").what, E_KEY);
    assert_eq!(item_err("1;a=").what, E_BARE_ITEM);
    assert_eq!(item_err("1; ").what, E_KEY);
    assert_eq!(item_err("1 ;a").what, E_ITEM_TRAILING);
}

#[test]
fn keys() {
    assert!(is_valid_key(b"a"));
    assert!(is_valid_key(b"*"));
    assert!(is_valid_key(b"sig-b26.x_y*1"));
    assert!(!is_valid_key(b""));
    assert!(!is_valid_key(b"Sig"));
    assert!(!is_valid_key(b"1a"));
    assert!(!is_valid_key(b"a b"));
    assert_eq!(ser(|o| serialize_key(b"sig1", o).unwrap()), b"sig1"[..]);
    assert_eq!(
        serialize_key(b"aB", &mut crate::sink::CountingSink::default())
            .unwrap_err()
            .pos,
        1
    );
    assert_eq!(
        serialize_key(b"", &mut crate::sink::CountingSink::default())
            .unwrap_err()
            .what,
        E_KEY_SER
    );
}

#[test]
fn inner_lists() {
    let l = parse_list(b"( a  \"b\" 1;x );p=1, ()", STRICT).unwrap();
    let mut it = l.iter();
    let Some(Member::InnerList(il)) = it.next() else {
        panic!()
    };
    assert_eq!(il.len(), 3);
    assert!(!il.is_empty());
    assert_eq!(il.raw(), b"( a  \"b\" 1;x );p=1");
    assert_eq!(il.params().get(b"p"), Some(BareItem::Integer(1)));
    assert_eq!(il.canonical_raw(), None);
    let items: heapless::Vec<Item<'_>, 4> = il.items().collect();
    assert_eq!(items[2].params.get(b"x"), Some(BareItem::Boolean(true)));
    let Some(Member::InnerList(empty)) = it.next() else {
        panic!()
    };
    assert!(empty.is_empty());
    assert_eq!(empty.canonical_raw(), Some(&b"()"[..]));
    assert!(it.next().is_none());
    assert_eq!(
        canon_list("( a  \"b\" 1;x );p=1, ()"),
        b"(a \"b\" 1;x);p=1, ()"[..]
    );

    let d = parse_dictionary(
        br#"sig=("@method" "@authority" "signature-key");created=1730217600;keyid="k""#,
        STRICT,
    )
    .unwrap();
    let Some(Member::InnerList(il)) = d.get(b"sig") else {
        panic!()
    };
    assert_eq!(il.canonical_raw(), Some(il.raw()));
    let d = parse_dictionary(b"sig=(\"a\");x=1;x=2", STRICT).unwrap();
    let Some(Member::InnerList(il)) = d.get(b"sig") else {
        panic!()
    };
    assert_eq!(il.canonical_raw(), None);

    let e = parse_list(b"(a", STRICT).unwrap_err();
    assert_eq!(e.what, E_IL_UNTERMINATED);
    assert_eq!(
        parse_list(b"(a ", STRICT).unwrap_err().what,
        E_IL_UNTERMINATED
    );
    assert_eq!(parse_list(b"(a,b)", STRICT).unwrap_err().what, E_IL_SEP);
    assert_eq!(parse_list(b"(a\tb)", STRICT).unwrap_err().what, E_IL_SEP);
    assert_eq!(parse_list(b"((a))", STRICT).unwrap_err().what, E_BARE_ITEM);
}

#[test]
fn dictionaries() {
    let d = parse_dictionary(b" a=1, b;x=?0,\tc=(1 2) ,a=3 ", STRICT).unwrap();
    assert_eq!(d.len(), 4);
    assert!(!d.is_empty());
    assert_eq!(d.raw(), b"a=1, b;x=?0,\tc=(1 2) ,a=3");
    let Some(Member::Item(a)) = d.get(b"a") else {
        panic!()
    };
    assert_eq!(a.value, BareItem::Integer(3));
    let Some(Member::Item(b)) = d.get(b"b") else {
        panic!()
    };
    assert_eq!(b.value, BareItem::Boolean(true));
    assert_eq!(b.params.get(b"x"), Some(BareItem::Boolean(false)));
    assert!(d.get(b"z").is_none());
    let keys: heapless::Vec<&[u8], 8> = d.keys().collect();
    assert_eq!(keys, [&b"a"[..], b"b", b"c", b"a"][..]);
    assert_eq!(
        canon_dict(" a=1, b;x=?0,\tc=(1 2) ,a=3 "),
        b"a=3, b;x=?0, c=(1 2)"[..]
    );
    assert_eq!(canon_dict("a=?1;p, b=?0"), b"a;p, b=?0"[..]);
    assert_eq!(canon_dict(""), b""[..]);
    assert!(parse_dictionary(b"   ", STRICT).unwrap().is_empty());

    let err = |s: &str| parse_dictionary(s.as_bytes(), STRICT).unwrap_err();
    assert_eq!(err("a=1,").what, E_TRAILING_COMMA);
    assert_eq!(err("a=1 , ").what, E_TRAILING_COMMA);
    assert_eq!(err("a=1 b=2").what, E_MEMBER_SEP);
    assert_eq!(err("a=1 b=2").pos, 4);
    assert_eq!(err("A=1").what, E_KEY);
    assert_eq!(err(",a=1").what, E_KEY);
    assert_eq!(err("a=").what, E_BARE_ITEM);
    assert_eq!(err("a=1,\u{e9}=2").what, E_KEY);
    assert_eq!(err("\ta=1").what, E_KEY);
}

#[test]
fn lists() {
    let l = parse_list(b"a, 1;p , \"s\",\t(x)", STRICT).unwrap();
    assert_eq!(l.len(), 4);
    assert_eq!(l.raw(), b"a, 1;p , \"s\",\t(x)");
    assert_eq!(
        canon_list("a, 1;p , \"s\",\t(x)"),
        b"a, 1;p, \"s\", (x)"[..]
    );
    assert!(parse_list(b"", STRICT).unwrap().is_empty());
    assert_eq!(
        parse_list(b"a,", STRICT).unwrap_err().what,
        E_TRAILING_COMMA
    );
    assert_eq!(parse_list(b"a b", STRICT).unwrap_err().what, E_MEMBER_SEP);
    assert_eq!(parse_list(b"a,,b", STRICT).unwrap_err().what, E_BARE_ITEM);
}

#[test]
fn equality_is_semantic() {
    let a = parse_dictionary(b"a=1;x, b=(1 2)", STRICT).unwrap();
    let b = parse_dictionary(b"a=1;x=?1 ,  b=( 1  2 )", STRICT).unwrap();
    assert_eq!(a, b);
    let c = parse_dictionary(b"a=1;x, b=(1 3)", STRICT).unwrap();
    assert_ne!(a, c);
    assert_eq!(
        parse_list(b"1,2", STRICT).unwrap(),
        parse_list(b"1, 2", STRICT).unwrap()
    );
}

#[test]
fn dedup_slow_path_many_keys() {
    // Enough distinct keys that the 256-bit filter must collide, plus real duplicates.
    let mut input: heapless::String<4096> = heapless::String::new();
    let mut expect: heapless::String<4096> = heapless::String::new();
    for i in 0..100u32 {
        use core::fmt::Write;
        if i > 0 {
            input.push_str(", ").unwrap();
            expect.push_str(", ").unwrap();
        }
        write!(input, "k{i}=1").unwrap();
        write!(expect, "k{i}=2").unwrap();
    }
    for i in 0..100u32 {
        use core::fmt::Write;
        write!(input, ", k{i}=2").unwrap();
    }
    let d = parse_dictionary(input.as_bytes(), STRICT).unwrap();
    let mut buf = [0u8; 4096];
    let mut s = SliceSink::new(&mut buf);
    serialize_dictionary(&d, &mut s);
    assert_eq!(s.finish().unwrap(), expect.as_bytes());
}

#[test]
fn scalar_serializers() {
    assert_eq!(
        ser(|o| serialize_string(br#"a"b\c"#, o).unwrap()),
        br#""a\"b\\c""#[..]
    );
    assert_eq!(ser(|o| serialize_string(b"", o).unwrap()), br#""""#[..]);
    let mut n = crate::sink::CountingSink::default();
    let e = serialize_string(b"ab\ncd", &mut n).unwrap_err();
    assert_eq!((e.pos, e.what, n.count), (2, E_STR_SER_CHAR, 0));
    assert_eq!(
        serialize_token(b"", &mut n).unwrap_err().what,
        E_TOKEN_EMPTY
    );
    assert_eq!(
        serialize_token(b"1a", &mut n).unwrap_err().what,
        E_TOKEN_START
    );
    assert_eq!(
        serialize_token(b"a b", &mut n).unwrap_err().what,
        E_TOKEN_CHAR
    );
    assert_eq!(
        ser(|o| serialize_token(b"*a:b/c", o).unwrap()),
        b"*a:b/c"[..]
    );
    assert_eq!(
        serialize_integer(INTEGER_MAX + 1, &mut n).unwrap_err().what,
        E_INT_RANGE
    );
    assert_eq!(
        serialize_integer(i64::MIN, &mut n).unwrap_err().what,
        E_INT_RANGE
    );
    assert_eq!(
        ser(|o| serialize_integer(INTEGER_MIN, o).unwrap()),
        b"-999999999999999"[..]
    );
    assert_eq!(
        serialize_decimal(
            Decimal {
                thousandths: INTEGER_MAX + 1
            },
            &mut n
        )
        .unwrap_err()
        .what,
        E_DEC_RANGE
    );
    assert_eq!(
        ser(|o| serialize_decimal(
            Decimal {
                thousandths: -INTEGER_MAX
            },
            o
        )
        .unwrap()),
        b"-999999999999.999"[..]
    );
    assert_eq!(
        serialize_date(i64::MAX, &mut n).unwrap_err().what,
        E_INT_RANGE
    );
    assert_eq!(ser(|o| serialize_date(-5, o).unwrap()), b"@-5"[..]);
    assert_eq!(ser(|o| serialize_boolean(false, o)), b"?0"[..]);
    assert_eq!(ser(|o| serialize_byte_seq(b"hello", o)), b":aGVsbG8=:"[..]);
    assert_eq!(ser(|o| serialize_byte_seq(b"", o)), b"::"[..]);
    assert_eq!(n.count, 0);
}

#[test]
fn hand_built_items() {
    assert!(BareItem::Integer(1).validate().is_ok());
    assert_eq!(
        BareItem::Integer(i64::MIN).validate().unwrap_err().what,
        E_INT_RANGE
    );
    assert_eq!(
        BareItem::Date(i64::MAX).validate().unwrap_err().what,
        E_INT_RANGE
    );
    assert_eq!(
        BareItem::Decimal(Decimal {
            thousandths: i64::MAX
        })
        .validate()
        .unwrap_err()
        .what,
        E_DEC_RANGE
    );
    assert!(BareItem::Token(b"a").validate().is_ok());
    assert_eq!(
        BareItem::Token(b"").validate().unwrap_err().what,
        E_TOKEN_EMPTY
    );
    assert!(BareItem::ByteSeq(b"_w").validate().is_ok());
    assert_eq!(
        BareItem::ByteSeq(b"a").validate().unwrap_err().what,
        E_BIN_BASE64
    );
    assert!(BareItem::DisplayString(b"%c3%bc").validate().is_ok());
    assert_eq!(
        BareItem::DisplayString(b"%C3").validate().unwrap_err().what,
        E_DS_ESCAPE
    );
    assert_eq!(
        BareItem::DisplayString(b"a\"").validate().unwrap_err().what,
        E_DS_CHAR
    );
    assert_eq!(
        BareItem::DisplayString(b"\x01")
            .validate()
            .unwrap_err()
            .what,
        E_DS_CHAR
    );
    assert_eq!(
        BareItem::DisplayString(b"%c3").validate().unwrap_err().what,
        E_DS_UTF8
    );
    assert_eq!(
        BareItem::DisplayString(b"%ff").validate().unwrap_err().what,
        E_DS_UTF8
    );
    assert!(BareItem::Boolean(true).validate().is_ok());
    // Hand-built invalid values never panic when serialized.
    for b in [
        BareItem::Integer(i64::MIN),
        BareItem::Decimal(Decimal {
            thousandths: i64::MIN,
        }),
        BareItem::ByteSeq(b"!!"),
        BareItem::DisplayString(b"%zz%"),
    ] {
        let mut n = crate::sink::CountingSink::default();
        serialize_bare_item(&b, &mut n);
        assert!(n.count > 0);
    }
    assert_eq!(
        ser(|o| serialize_bare_item(&BareItem::Integer(i64::MIN), o)),
        b"-9223372036854775808"[..]
    );
}

#[test]
fn error_display() {
    use core::fmt::Write;
    let e = item_err("$");
    let mut text: heapless::String<64> = heapless::String::new();
    write!(text, "{e}").unwrap();
    assert_eq!(
        text.as_str(),
        "structured field: expected a bare item at byte 0"
    );
}

#[test]
fn member_accessors() {
    let l = parse_list(b"a;x=1, (b);y=2", STRICT).unwrap();
    let v: heapless::Vec<Member<'_>, 2> = l.iter().collect();
    assert!(v[0].as_item().is_some() && v[0].as_inner_list().is_none());
    assert!(v[1].as_inner_list().is_some() && v[1].as_item().is_none());
    assert_eq!(v[0].params().get(b"x"), Some(BareItem::Integer(1)));
    assert_eq!(v[1].params().get(b"y"), Some(BareItem::Integer(2)));
    let mut n = 0;
    for _ in &l {
        n += 1;
    }
    for _ in &parse_dictionary(b"a, b", STRICT).unwrap() {
        n += 1;
    }
    for _ in &item("1;a;b").params {
        n += 1;
    }
    assert_eq!(n, 6);
}
