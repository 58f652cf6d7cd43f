//! Fuzz target bodies: each takes arbitrary bytes, must never panic on them, and asserts the
//! properties the target checks. They are plain functions so that both libFuzzer
//! (`fuzz/fuzz_targets/*.rs`, nightly features via `RUSTC_BOOTSTRAP=1`) and the stable replay
//! binary (`make fuzz-replay`) can run them.

use aauth_verify::sf;
use aauth_verify::sink::SliceSink;

/// A fuzz target body.
pub type Body = fn(&[u8]);

/// Every target: its name (the file in `fuzz/fuzz_targets/`, the directory under `fuzz/seeds/`
/// and `fuzz/corpus/`) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("sf_dictionary", sf_dictionary),
    ("sf_list", sf_list),
    ("sf_item", sf_item),
];

/// Size of each stack buffer that a serialization is written into.
const OUT: usize = 16 * 1024;

/// Checks that serializing a parsed value is stable: parse `data`; if it parses, serialize it,
/// parse the output again (it must parse) and serialize that; both serializations must be
/// byte-identical. A serialization is not expected to exceed four times its input, so a buffer
/// overflow is an error for inputs up to `OUT / 4` bytes and only skips the check above that.
macro_rules! round_trip {
    ($data:expr, $parse:path, $serialize:path) => {{
        let data: &[u8] = $data;
        let Ok(first) = $parse(data, sf::Options::default()) else {
            return;
        };
        let mut buf1 = [0u8; OUT];
        let mut sink1 = SliceSink::new(&mut buf1);
        $serialize(&first, &mut sink1);
        let Some(out1) = sink1.finish() else {
            assert!(data.len() > OUT / 4, "serialization overflowed {OUT} bytes");
            return;
        };
        let second = match $parse(out1, sf::Options::default()) {
            Ok(v) => v,
            Err(_) => panic!(
                "serialized output does not parse again: {:?} -> {:?}",
                String::from_utf8_lossy(data),
                String::from_utf8_lossy(out1),
            ),
        };
        let mut buf2 = [0u8; OUT];
        let mut sink2 = SliceSink::new(&mut buf2);
        $serialize(&second, &mut sink2);
        let out2 = sink2.finish().expect("re-serialization overflowed");
        assert_eq!(
            out1,
            out2,
            "round trip is not stable for input {:?}",
            String::from_utf8_lossy(data)
        );
    }};
}

/// `sf::parse_dictionary` never panics and its serialization round-trips.
pub fn sf_dictionary(data: &[u8]) {
    round_trip!(data, sf::parse_dictionary, sf::serialize_dictionary)
}

/// `sf::parse_list` never panics and its serialization round-trips.
pub fn sf_list(data: &[u8]) {
    round_trip!(data, sf::parse_list, sf::serialize_list)
}

/// `sf::parse_item` never panics and its serialization round-trips.
pub fn sf_item(data: &[u8]) {
    round_trip!(data, sf::parse_item, sf::serialize_item)
}
