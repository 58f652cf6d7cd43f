//! Assertion caching (the `cached` scheme): what a verified `;cache` token lets the host issue,
//! and the `Signature-Key-Cache` response member that announces it.
//!
//! A signer that presents a `jwt` or `jkt-jwt` with `;cache` (and the token has a `jti`) asks
//! the verifier for a cache identifier. [`crate::Verified::cache`] is then a [`CacheGrant`]:
//! the host stores the assertion (its compact text and scheme) under an identifier of its
//! choice, normally [`CacheGrant::issue`] over 16 random bytes it supplies (the core has no
//! RNG), and answers with [`Issued::render`]. Later requests send
//! `Signature-Key: <label>=cached;cid="<cid>"`; the host resolves the identifier
//! ([`crate::Fetch::Assertion`]) and calls [`crate::Parsed::with_assertion`], which validates
//! the assertion exactly as if it were presented in full. An identifier the host cannot resolve
//! is [`crate::Error::cache_miss`]; an assertion that resolved and then failed is never a miss.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §3.11, §6, §6.1, §7.6 (identifiers must be
//! unpredictable: 128 random bits).

use aauth_verify_sf::sf;
use aauth_verify_sf::sink::{Sink, SliceSink};

use crate::policy::Scheme;
use crate::text::Text;

/// A verified assertion the signer asked to have cached.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.8 (`cache`), §6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheGrant<'s> {
    /// The signature label (the member name of `Signature-Key-Cache`).
    pub label: &'s [u8],
    /// The scheme the assertion was presented under (`jwt` or `jkt-jwt`).
    pub scheme: Scheme,
    /// The compact assertion: what the host stores under the identifier.
    pub assertion: &'s [u8],
    /// The token's `jti`.
    pub jti: Text<'s>,
    /// The token's `exp`: the identifier must not be honoured past it.
    pub exp: i64,
}

/// A cache identifier issued for a [`CacheGrant`].
///
/// Spec: draft-hardt-httpbis-signature-key-09 §6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    cid: [u8; 22],
    /// When the identifier stops being honoured (never after the token's `exp`).
    pub expires: i64,
}

impl CacheGrant<'_> {
    /// An identifier from 16 bytes of randomness the host supplies (128 bits, 22 base64url
    /// characters), honoured until `now + max_ttl` or the token's `exp`, whichever is first.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §6 (`expires` never later than the
    /// assertion's expiry), §7.6 (unpredictable).
    pub fn issue(&self, random: [u8; 16], now: i64, max_ttl: u64) -> Issued {
        let mut cid = [0u8; 22];
        let _ = aauth_verify_sf::b64::encode_base64url(&random, &mut cid);
        let cap = now.saturating_add(i64::try_from(max_ttl).unwrap_or(i64::MAX));
        Issued {
            cid,
            expires: cap.min(self.exp),
        }
    }
}

impl Issued {
    /// The identifier (22 characters of unpadded base64url).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §6.
    pub fn cid(&self) -> &str {
        core::str::from_utf8(&self.cid).unwrap_or("")
    }

    /// Renders the `Signature-Key-Cache` field value for `grant` into `out`:
    /// `<label>="<cid>";jti="<jti>";expires=<n>`. The `jti` is left out when it cannot be an
    /// sf-string (non-ASCII or control bytes). `None` when `out` is too small.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §6 (a Dictionary keyed by label; the member
    /// value is the identifier String; `jti` and `expires` parameters).
    pub fn render<'b>(&self, grant: &CacheGrant<'_>, out: &'b mut [u8]) -> Option<&'b str> {
        let mut sink = SliceSink::new(out);
        sf::serialize_key(grant.label, &mut sink).ok()?;
        sink.write(b"=\"");
        sink.write(&self.cid);
        sink.write(b"\"");
        let mut jti = [0u8; 256];
        if let Some(j) = grant.jti.decode_into(&mut jti) {
            let mut probe = aauth_verify_sf::sink::CountingSink::default();
            if sf::serialize_string(j, &mut probe).is_ok() {
                sink.write(b";jti=");
                sf::serialize_string(j, &mut sink).ok()?;
            }
        }
        sink.write(b";expires=");
        sf::serialize_integer(self.expires, &mut sink).ok()?;
        sink.finish().and_then(|b| core::str::from_utf8(b).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_caps_at_exp_and_renders() {
        let g = CacheGrant {
            label: b"sig1",
            scheme: Scheme::Jwt,
            assertion: b"h.p.s",
            jti: Text::plain(b"2f9c8a1e"),
            exp: 1_730_000_000,
        };
        let i = g.issue([0xAB; 16], 1_729_999_000, 3600);
        assert_eq!(i.expires, 1_730_000_000, "never later than exp");
        assert_eq!(i.cid().len(), 22);
        let i2 = g.issue([0xAB; 16], 1_729_990_000, 3600);
        assert_eq!(i2.expires, 1_729_993_600);
        let mut buf = [0u8; 128];
        let h = i.render(&g, &mut buf).unwrap();
        assert_eq!(
            h,
            "sig1=\"q6urq6urq6urq6urq6urqw\";jti=\"2f9c8a1e\";expires=1730000000"
        );
        let odd = CacheGrant {
            jti: Text::plain("é".as_bytes()),
            ..g
        };
        let mut buf = [0u8; 128];
        assert_eq!(
            i.render(&odd, &mut buf).unwrap(),
            "sig1=\"q6urq6urq6urq6urq6urqw\";expires=1730000000"
        );
    }
}
