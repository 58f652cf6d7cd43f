//! Eight-bytes-at-a-time scanning ("SIMD within a register") for the long, mostly plain runs
//! of header text: String contents in the SF parser and covered field values.
//!
//! A word test may report a word that holds no stop byte (a false positive): the word is then
//! checked byte by byte and the scan continues, so the result is always exactly the bytewise
//! one. Property tests pin both uses to a bytewise scan.

/// Eight copies of a byte.
pub const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101u64.wrapping_mul(b as u64)
}

const HI: u64 = splat(0x80);

/// Non-zero if some byte of `v` is zero (exact as a yes/no answer).
pub const fn has_zero(v: u64) -> u64 {
    v.wrapping_sub(splat(1)) & !v & HI
}

/// Non-zero if some byte of `v` equals `b`.
pub const fn has_byte(v: u64, b: u8) -> u64 {
    has_zero(v ^ splat(b))
}

/// Non-zero if some byte of `v` is below 0x20 or at least 0x7F (control, DEL or non-ASCII).
pub const fn has_non_visible(v: u64) -> u64 {
    (v.wrapping_sub(splat(0x20)) & !v & HI) | ((v.wrapping_add(splat(1)) | v) & HI)
}

/// The index of the first byte of `s` for which `stop` holds (or `s.len()`), testing eight
/// bytes at a time with `word_may_stop` (which must be non-zero for every word holding a stop
/// byte).
#[inline(always)]
pub fn scan(s: &[u8], word_may_stop: impl Fn(u64) -> u64, stop: impl Fn(u8) -> bool) -> usize {
    let mut done = 0usize;
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        if word_may_stop(u64::from_le_bytes(bytes)) != 0 {
            if let Some(i) = w.iter().position(|&b| stop(b)) {
                return done + i;
            }
        }
        done += 8;
    }
    let rest = words.remainder();
    done + rest.iter().position(|&b| stop(b)).unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// Field-value checking (HTAB allowed, so words holding one are false positives)
        /// stops exactly where a bytewise scan does.
        #[test]
        fn field_value_scan_matches_bytewise(
            s in prop::collection::vec(
                prop_oneof![
                    8 => prop::sample::select(&b"aZ09 ~!"[..]),
                    1 => prop::sample::select(&b"\"\\\t\x00\x1f\x20\x7e\x7f\x80\xfe\xff"[..]),
                    1 => any::<u8>(),
                ],
                0..40,
            )
        ) {
            let bad = |b: u8| b != b'\t' && !(0x20..0x7f).contains(&b);
            let want = s.iter().position(|&b| bad(b)).unwrap_or(s.len());
            prop_assert_eq!(scan(&s, has_non_visible, bad), want);
        }

        /// Each word test is non-zero exactly when the word holds a matching byte.
        #[test]
        fn word_tests_are_exact(w in any::<[u8; 8]>(), b in any::<u8>()) {
            let v = u64::from_le_bytes(w);
            prop_assert_eq!(has_byte(v, b) != 0, w.contains(&b));
            prop_assert_eq!(
                has_non_visible(v) != 0,
                w.iter().any(|&c| !(0x20..0x7f).contains(&c))
            );
        }
    }
}
