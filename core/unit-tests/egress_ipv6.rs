//! The hand-written IPv6 reading and writing against `core::net` (the rule they replace: an
//! IPv6 literal is accepted exactly when `Ipv6Addr` parses it and `Display` writes it back).
extern crate std;
use super::*;
use core::fmt::Write as _;
use proptest::prelude::*;
use std::vec::Vec;

struct Buf([u8; 64], usize);

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

fn display(a: Ipv6Addr) -> ([u8; 64], usize) {
    let mut b = Buf([0; 64], 0);
    write!(b, "{a}").unwrap();
    (b.0, b.1)
}

/// The former rule, through `core::net`.
fn reference(inner: &[u8]) -> Option<Ipv6Addr> {
    if inner.iter().any(u8::is_ascii_uppercase)
        || !inner
            .iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
    {
        return None;
    }
    let a: Ipv6Addr = core::str::from_utf8(inner).ok()?.parse().ok()?;
    let (buf, n) = display(a);
    (buf.get(..n) == Some(inner)).then_some(a)
}

fn same(inner: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        parse_v6(inner).ok(),
        reference(inner),
        "{:?}",
        core::str::from_utf8(inner)
    );
    Ok(())
}

#[test]
fn edge_cases() {
    for s in [
        "",
        "::",
        "::1",
        "1::",
        "1::1",
        ":",
        ":::",
        "1:::2",
        "::ffff:1.2.3.4",
        "::ffff:0.0.0.0",
        "::ffff:255.255.255.255",
        "::ffff:01.2.3.4",
        "::ffff:1.2.3",
        "::ffff:102:304",
        "::1.2.3.4",
        "0::ffff:1.2.3.4",
        "::ffff:0:1.2.3.4",
        "0:0:0:0:0:ffff:1.2.3.4",
        "1:0:0:2:0:0:0:3",
        "1:0:0:2::3",
        "1::2:0:0:0:3",
        "1:0:0:2:0:0:3:4",
        "1::2:0:0:3:4",
        "1:0:0:2::3:4",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:0:3:4:5:6:7:8",
        "1::3:4:5:6:7:8",
        "01::",
        "0001::",
        "10000::",
        "fe80::1",
        "FE80::1",
        "fe80::1%1",
        "2001:db8::",
        "2001:db8:0:0:1::1",
        "2001:db8::1:0:0:1",
        "::ffff:1.2.3.4.5",
        "::ffff",
        "::fffff:1.2.3.4",
        "ffff::",
        "::0",
        "0::",
        "0:0:0:0:0:0:0:0",
    ] {
        same(s.as_bytes()).unwrap();
    }
}

fn group() -> impl Strategy<Value = u16> {
    prop_oneof![4 => Just(0u16), 1 => Just(1u16), 1 => Just(0xffffu16), 2 => any::<u16>()]
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b"0123456789abcdefABF:.:::".to_vec()),
        0..44,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn every_address_reads_back_its_display(segs in prop::array::uniform8(group())) {
        let a = Ipv6Addr::from(segs);
        let (buf, n) = display(a);
        let mut ours = [0u8; 48];
        let mut sink = SliceSink::new(&mut ours);
        write_v6(&segs, &mut sink);
        prop_assert_eq!(sink.finish(), buf.get(..n));
        prop_assert_eq!(parse_v6(&buf[..n]).ok(), Some(a));
    }

    #[test]
    fn an_edited_display_is_judged_as_core_net_judges_it(
        segs in prop::array::uniform8(group()),
        at in 0usize..48,
        with in prop::sample::select(b"0fa:.1".to_vec()),
        how in 0u8..3,
    ) {
        let (buf, n) = display(Ipv6Addr::from(segs));
        let mut t: Vec<u8> = buf[..n].to_vec();
        let i = at % (n + 1);
        match how {
            0 => t.insert(i, with),
            1 if i < n => { t.remove(i); }
            _ if i < n => t[i] = with,
            _ => t.push(with),
        }
        same(&t)?;
    }

    #[test]
    fn any_text_is_judged_as_core_net_judges_it(t in text()) {
        same(&t)?;
    }
}
