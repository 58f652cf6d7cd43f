//! A caller-owned, fixed-capacity cache of verified tokens, so that an agent that sends the
//! same token on every request costs one Ed25519 verification per request (the request
//! signature) instead of two, and its token's JSON is not parsed again.
//!
//! Pass one to [`parse`](crate::parse) and [`Parsed::finish`](crate::Parsed::finish) through
//! [`Context::tokens`](crate::Context::tokens). Any [`TokenStore`] will do: [`TokenCache`] is
//! the one for `no_std` hosts (fixed size, SHA-256 keys); a host with a heap may key records by
//! the exact token bytes instead (the Python binding does), under the same rules.
//!
//! # What is cached, and what a hit skips
//!
//! An entry records that *this token* (its exact compact text: header, payload and signature)
//! was decoded and passed its JWS verification under *this signer key* (the issuer key for
//! `jwt` and `self-jwt`, the header key for `jkt-jwt`), for a given scheme and the policy
//! switches that change how a token is decoded (`EdDSA`, alg-less keys). It is keyed by the
//! SHA-256 digest of `scheme tag ‖ policy switches ‖ compact token`, and holds the token's
//! `exp`, the signer key, and where each decoded member lies in the decoded header and payload
//! (a few offsets, the two keys and the NumericDates; no token text).
//!
//! Phase 1 looks the token up (one lookup per request): on a hit it base64url-decodes the header
//! and payload into the scratch as usual but takes the members from the entry instead of parsing
//! the JSON again. The two phases skip different things:
//!
//! * in phase 1 a hit skips the JSON parsing and key decoding (deterministic in the bytes and
//!   the policy switches in the digest). The offline checks still run on every request: the
//!   `typ` policy, `exp`, `iat`, `nbf`, `cnf.jwk` presence, the `jkt-jwt` thumbprint and the
//!   `;cache`/`jti` rule;
//! * in phase 2 a hit skips the token's Ed25519 verification, and only when the signer key the
//!   host resolved *now* equals the one recorded, so a rotated or revoked issuer key no longer
//!   hits;
//! * the request signature is always verified: a hit never vouches for a request.
//!
//! # Security properties
//!
//! * **No entry outlives the token:** an entry is used only while `now < exp` (the same rule
//!   as the token's own `exp` check) and an expired entry is the first to be overwritten.
//! * **Bounded memory, no allocation:** `N` entries of [`ENTRY_BYTES`] bytes at most each,
//!   inline in the value; a full cache overwrites the entry that expires first.
//! * **A hit needs the same bytes and the same key:** a forged token that reuses a verified
//!   signature, a different issuer key, or the same token presented under another scheme or
//!   decoded under other policy switches hashes differently or is refused by the key
//!   comparison (SHA-256 collision resistance).
//! * The cache holds no secrets; it may be shared between requests of different agents. It is
//!   not synchronized: give each thread its own, or wrap it in the host's lock.
//!
//! Without the `tokens` feature there are no token schemes: the store types remain (they are
//! part of [`Context`](crate::Context)), [`TokenCache`] does not exist and no store is read.
//!
//! Spec: RFC 7515 §5.2 (JWS validation is deterministic in the signing input, signature and
//! key); RFC 7519 §4.1.4 (`exp`).

#[cfg(feature = "tokens")]
use sha2::{Digest, Sha256};

#[cfg(feature = "tokens")]
use crate::error::Error;
use crate::key::{KeyBytes, PublicKey};
#[cfg(feature = "tokens")]
use crate::policy::{Policy, Scheme};
#[cfg(feature = "tokens")]
use crate::text::Text;
use crate::token::JwsAlg;
#[cfg(feature = "tokens")]
use crate::token::{self, rules, Audience, Claims, JwtScratch, Token};

/// What a token store keeps about one verified token: its `exp`, the key its JWS verified
/// with, and where its decoded members lie (opaque).
///
/// Spec: RFC 7519 §4.1.4 (`exp`); RFC 7515 §5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedToken {
    pub(crate) exp: i64,
    /// Only compared with the key the host resolves (34 bytes whatever the backend).
    pub(crate) signer: KeyBytes,
    pub(crate) layout: TokenLayout,
}

impl CachedToken {
    /// The token's `exp`: a store must not return the record at or after it.
    pub fn exp(&self) -> i64 {
        self.exp
    }

    /// The key the token's JWS verified with.
    pub fn signer(&self) -> PublicKey {
        self.signer.key()
    }
}

/// What identifies a token in a [`TokenStore`]: a tag (scheme and the policy switches that
/// change how a token decodes) and the compact token exactly as sent. Two tokens are the same
/// entry only if both are byte-for-byte equal.
///
/// Spec: RFC 7515 §7.1 (compact serialization).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenKey<'a> {
    tag: [u8; 3],
    compact: &'a [u8],
}

impl<'a> TokenKey<'a> {
    #[cfg(feature = "tokens")]
    pub(crate) fn new(scheme: Scheme, switches: [bool; 2], compact: &'a [u8]) -> TokenKey<'a> {
        TokenKey {
            tag: [scheme as u8, u8::from(switches[0]), u8::from(switches[1])],
            compact,
        }
    }

    /// The scheme and decoding switches, as three bytes.
    pub fn tag(&self) -> [u8; 3] {
        self.tag
    }

    /// The compact token.
    pub fn compact(&self) -> &'a [u8] {
        self.compact
    }
}

/// Where verified tokens are remembered: [`TokenCache`] (fixed size, no allocation, keyed by
/// SHA-256), or a host's own store (the Python binding keeps the token bytes in a hash map).
///
/// A store must return a record only for a key equal to the one it was recorded under (or,
/// for a digest-keyed store, one whose digest is collision-resistant), and only while
/// `now < exp`. This is a security contract, not only a performance one: on a hit the token's
/// request key (`cnf.jwk`), header key and claims come from the record, so a store that
/// returns a record for another token lets that token's holder through. It must also stay
/// bounded: the core records one token per request whose token and signature verified, and
/// anyone can mint valid `jkt-jwt` tokens, so a full store should evict (the entry that
/// expires first, as [`TokenCache`] does) rather than grow.
///
/// Spec: RFC 7515 §5.2 (a JWS verifies the same way for the same bytes and key); RFC 7519
/// §4.1.4 (`exp`).
pub trait TokenStore {
    /// The record for `key`, if one is held and `now` is before its `exp`.
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken>;

    /// Records `token` under `key` (called after its JWS verified; `exp > now`).
    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, now: i64);
}

#[cfg(feature = "tokens")]
/// One cache slot: the digest of the token's key and its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    digest: [u8; 32],
    used: bool,
    rec: CachedToken,
}

#[cfg(feature = "tokens")]
const EMPTY: Entry = Entry {
    digest: [0; 32],
    used: false,
    rec: CachedToken {
        exp: i64::MIN,
        signer: KeyBytes::EMPTY,
        layout: TokenLayout::EMPTY,
    },
};

#[cfg(feature = "tokens")]
/// The size of one cache entry in bytes (what `N` multiplies).
pub const ENTRY_BYTES: usize = core::mem::size_of::<Entry>();

#[cfg(feature = "tokens")]
/// A fixed-capacity cache of verified tokens (`N` entries, no allocation).
///
/// Create one per verifier (or per thread) and pass it to
/// [`Context::tokens`](crate::Context::tokens) for [`parse`](crate::parse) and
/// [`Parsed::finish`](crate::Parsed::finish).
#[derive(Clone, Debug)]
pub struct TokenCache<const N: usize> {
    entries: [Entry; N],
}

#[cfg(feature = "tokens")]
impl<const N: usize> Default for TokenCache<N> {
    fn default() -> Self {
        TokenCache::new()
    }
}

#[cfg(feature = "tokens")]
/// The cache key of one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TokenDigest([u8; 32]);

#[cfg(feature = "tokens")]
impl TokenDigest {
    /// SHA-256 of the key's tag and compact token.
    fn of(key: &TokenKey<'_>) -> TokenDigest {
        let mut h = Sha256::new();
        h.update(key.tag);
        h.update(key.compact);
        TokenDigest(h.finalize().into())
    }
}

#[cfg(feature = "tokens")]
/// The policy switches that change how a token decodes: `EdDSA` accepted, alg-less keys
/// accepted.
pub(crate) fn decoding_switches(policy: &Policy<'_>) -> [bool; 2] {
    [policy.compat.eddsa, policy.compat.alg_less_keys]
}

#[cfg(feature = "tokens")]
impl<const N: usize> TokenStore for TokenCache<N> {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        self.lookup(&TokenDigest::of(key), now)
    }

    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, now: i64) {
        self.insert(TokenDigest::of(key), token, now);
    }
}

#[cfg(feature = "tokens")]
impl<const N: usize> TokenCache<N> {
    /// An empty cache.
    pub const fn new() -> TokenCache<N> {
        TokenCache {
            entries: [EMPTY; N],
        }
    }

    /// The number of entries still valid at `now`.
    pub fn len(&self, now: i64) -> usize {
        self.entries
            .iter()
            .filter(|e| e.used && now < e.rec.exp)
            .count()
    }

    /// Whether no entry is valid at `now`.
    pub fn is_empty(&self, now: i64) -> bool {
        self.len(now) == 0
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries = [EMPTY; N];
    }

    /// The record under `digest`, if its token has not expired at `now`.
    fn lookup(&self, digest: &TokenDigest, now: i64) -> Option<CachedToken> {
        self.entries
            .iter()
            .find(|e| e.used && now < e.rec.exp && e.digest == digest.0)
            .map(|e| e.rec)
    }

    /// Records a verified token. Nothing is stored if it has already expired at `now`.
    /// Overwrites, in this order: the same digest, an empty or expired entry, the entry that
    /// expires first.
    fn insert(&mut self, digest: TokenDigest, rec: CachedToken, now: i64) {
        if rec.exp <= now {
            return;
        }
        let entry = Entry {
            digest: digest.0,
            used: true,
            rec,
        };
        let mut victim: Option<usize> = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.used && e.digest == digest.0 {
                victim = Some(i);
                break;
            }
            let free = !e.used || e.rec.exp <= now;
            victim = match victim {
                None => Some(i),
                Some(v) => {
                    let Some(cur) = self.entries.get(v) else {
                        continue;
                    };
                    let cur_free = !cur.used || cur.rec.exp <= now;
                    if cur_free {
                        Some(v)
                    } else if free || e.rec.exp < cur.rec.exp {
                        Some(i)
                    } else {
                        Some(v)
                    }
                }
            };
        }
        if let Some(slot) = victim.and_then(|v| self.entries.get_mut(v)) {
            *slot = entry;
        }
    }
}

// --- what a record keeps of a token -------------------------------------------------------

/// Where a decoded string lies: `start..start + len` in the decoded header or payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u16,
    len: u16,
}

#[cfg(feature = "tokens")]
impl Span {
    /// The span of `s` inside `base`, if `s` is a sub-slice of it.
    fn of(base: &[u8], s: Text<'_>) -> Option<Span> {
        let raw = s.raw();
        // Addresses only, never dereferenced: `s` borrows from `base` when decoded from it.
        let start = (raw.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
        let end = start.checked_add(raw.len())?;
        if end > base.len() {
            return None;
        }
        Some(Span {
            start: u16::try_from(start).ok()?,
            len: u16::try_from(raw.len()).ok()?,
        })
    }

    fn opt(base: &[u8], s: Option<Text<'_>>) -> Option<Option<Span>> {
        match s {
            None => Some(None),
            Some(s) => Span::of(base, s).map(Some),
        }
    }

    /// The string at this span of `base`, or `None` if it does not fit (never for the bytes
    /// the span was taken from).
    fn get<'s>(&self, base: &'s [u8]) -> Option<Text<'s>> {
        let start = usize::from(self.start);
        let raw = base.get(start..start.checked_add(usize::from(self.len))?)?;
        // The same bytes as when the span was recorded, unless a host's store broke its
        // contract: checked again (cheap) so that a bad record can never yield a malformed
        // string.
        crate::json::JsonStr::from_raw(core::str::from_utf8(raw).ok()?).map(Text::from)
    }

    fn get_opt<'s>(span: Option<Span>, base: &'s [u8]) -> Option<Option<Text<'s>>> {
        match span {
            None => Some(None),
            Some(s) => s.get(base).map(Some),
        }
    }
}

/// What a verified-token record keeps of a decoded token: its members as positions in the
/// decoded header and payload, its keys and NumericDates (no token text). Opaque to hosts.
///
/// Spec: RFC 7515 §5.2 (a JWS decodes the same way for the same bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLayout {
    alg: JwsAlg,
    typ: Span,
    kid: Option<Span>,
    /// Only compared (as the `jkt-jwt` signer) on a hit, never verified with.
    header_jwk: Option<KeyBytes>,
    /// `iss`, `sub`, `dwk`, `jti`, `ps`, `parent_agent`, `scope`.
    strs: [Option<Span>; 7],
    aud: [Option<Span>; 4],
    times: [Option<i64>; 3],
    /// The request key: verified with on every hit, so kept prepared (see [`record`]).
    cnf_jwk: Option<PublicKey>,
    act: bool,
}

impl TokenLayout {
    /// An unused entry's layout.
    #[cfg(feature = "tokens")]
    pub(crate) const EMPTY: TokenLayout = TokenLayout {
        alg: JwsAlg::Ed25519,
        typ: Span { start: 0, len: 0 },
        kid: None,
        header_jwk: None,
        strs: [None; 7],
        aud: [None; 4],
        times: [None; 3],
        cnf_jwk: None,
        act: false,
    };

    /// The layout of a decoded token; `None` if a member does not lie in the decoded header
    /// or payload (never for a decoded token).
    #[cfg(feature = "tokens")]
    pub(crate) fn of(t: &Token<'_>) -> Option<TokenLayout> {
        let c = &t.claims;
        let p = |s| Span::opt(t.payload, s);
        let [a0, a1, a2, a3] = c.aud.items;
        Some(TokenLayout {
            alg: t.alg,
            typ: Span::of(t.header, t.typ)?,
            kid: Span::opt(t.header, t.kid)?,
            header_jwk: t.header_jwk.as_ref().map(KeyBytes::of),
            strs: [
                p(c.iss)?,
                p(c.sub)?,
                p(c.dwk)?,
                p(c.jti)?,
                p(c.ps)?,
                p(c.parent_agent)?,
                p(c.scope)?,
            ],
            aud: [p(a0)?, p(a1)?, p(a2)?, p(a3)?],
            times: [c.iat, c.exp, c.nbf],
            cnf_jwk: c.cnf_jwk,
            act: c.act,
        })
    }

    /// The token this layout describes over freshly split parts; `None` if a span does not
    /// fit (then the JSON is parsed as usual).
    #[cfg(feature = "tokens")]
    pub(crate) fn token<'s>(&self, scheme: Scheme, parts: &token::Parts<'s>) -> Option<Token<'s>> {
        let [iss, sub, dwk, jti, ps, parent_agent, scope] = self.strs;
        let [a0, a1, a2, a3] = self.aud;
        let [iat, exp, nbf] = self.times;
        let payload = parts.payload;
        let p = |s| Span::get_opt(s, payload);
        Some(Token {
            scheme,
            alg: self.alg,
            typ: self.typ.get(parts.header)?,
            kid: Span::get_opt(self.kid, parts.header)?,
            header_jwk: self.header_jwk.map(KeyBytes::key),
            claims: Claims {
                iss: p(iss)?,
                sub: p(sub)?,
                dwk: p(dwk)?,
                jti: p(jti)?,
                ps: p(ps)?,
                parent_agent: p(parent_agent)?,
                scope: p(scope)?,
                aud: Audience {
                    items: [p(a0)?, p(a1)?, p(a2)?, p(a3)?],
                },
                iat,
                exp,
                nbf,
                cnf_jwk: self.cnf_jwk,
                act: self.act,
            },
            signing_input: parts.signing_input,
            sig64: parts.sig64,
            header: parts.header,
            payload: parts.payload,
            compact: parts.compact,
        })
    }
}

// --- find, decode, record -----------------------------------------------------------------

#[cfg(feature = "tokens")]
/// What a token store said when a token was read through one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Read without a store.
    NotLooked,
    /// The store had no usable record.
    Miss,
    /// The store's record was used; its JWS verified with this key.
    Hit(KeyBytes),
}

#[cfg(feature = "tokens")]
/// Reads a token for `scheme`: through `store` when there is one (a record for exactly these
/// bytes supplies the members, and the JSON is not parsed), else decoded; then the offline
/// rules ([`rules::check`]) run either way.
///
/// Spec: RFC 7515 §5.2; draft-hardt-httpbis-signature-key-09 §3.5, §3.8, §3.9.
#[cfg_attr(not(feature = "dalek"), inline(never))]
pub(crate) fn read<'s>(
    scheme: Scheme,
    compact: &'s [u8],
    cache_flag: bool,
    scratch: &'s mut JwtScratch,
    policy: &Policy<'_>,
    now: i64,
    store: Option<&dyn TokenStore>,
) -> Result<(Token<'s>, Lookup), Error> {
    let Some(store) = store else {
        let t = token::decode(scheme, compact, scratch, policy)?;
        rules::check(&t, cache_flag, policy, now, false)?;
        return Ok((t, Lookup::NotLooked));
    };
    if compact.len() > token::MAX_JWT_LEN {
        return Err(token::bad(crate::error::Check::JwtTooLong));
    }
    let found = store.find(
        &TokenKey::new(scheme, decoding_switches(policy), compact),
        now,
    );
    let parts = token::split(compact, scratch)?;
    let hit = found.and_then(|f| f.layout.token(scheme, &parts).map(|t| (t, f.signer)));
    let (t, lookup) = match hit {
        Some((t, signer)) => (t, Lookup::Hit(signer)),
        None => {
            token::decode_signature(parts.sig64)?;
            (token::parse_json(scheme, parts, policy)?, Lookup::Miss)
        }
    };
    rules::check(
        &t,
        cache_flag,
        policy,
        now,
        matches!(lookup, Lookup::Hit(_)),
    )?;
    Ok((t, lookup))
}

#[cfg(feature = "tokens")]
/// Whether the JWS of `t` is known to verify with `signer`: the store's record says so (read
/// now when the token was not read through the store).
pub(crate) fn known_verified(
    t: &Token<'_>,
    lookup: Lookup,
    signer: &PublicKey,
    store: &dyn TokenStore,
    policy: &Policy<'_>,
    now: i64,
) -> bool {
    match lookup {
        Lookup::Hit(k) => k == KeyBytes::of(signer),
        Lookup::Miss => false,
        Lookup::NotLooked => store
            .find(
                &TokenKey::new(t.scheme, decoding_switches(policy), t.compact),
                now,
            )
            .is_some_and(|f| f.signer == KeyBytes::of(signer)),
    }
}

#[cfg(feature = "tokens")]
/// Records a token whose JWS and request verified (nothing if it has no `exp` after `now`).
/// `request_key` is the key the request verified with, as prepared for reuse
/// ([`PublicKey::for_reuse`]): the record keeps it as the token's `cnf.jwk`, so that a hit
/// verifies the request without decoding the point again.
pub(crate) fn record(
    store: &mut dyn TokenStore,
    t: &Token<'_>,
    signer: PublicKey,
    request_key: &PublicKey,
    policy: &Policy<'_>,
    now: i64,
) {
    if let (Some(exp), Some(mut layout)) = (t.claims.exp, TokenLayout::of(t)) {
        if exp > now {
            if layout.cnf_jwk.as_ref() == Some(request_key) {
                layout.cnf_jwk = Some(*request_key);
            }
            let key = TokenKey::new(t.scheme, decoding_switches(policy), t.compact);
            store.record(
                &key,
                CachedToken {
                    exp,
                    signer: KeyBytes::of(&signer),
                    layout,
                },
                now,
            );
        }
    }
}

#[cfg(all(test, feature = "tokens"))]
mod tests {
    use super::*;
    use crate::key::KeyAlg;

    fn key(b: u8) -> PublicKey {
        // The cache only hashes key bytes, so distinct byte strings suffice (never validated).
        let mut x = [0x66u8; 32];
        x[0] = 0x58;
        x[31] ^= b;
        PublicKey::deferred(x, KeyAlg::Ed25519)
    }

    fn digest(_k: u8, input: &[u8]) -> TokenDigest {
        TokenDigest::of(&TokenKey::new(Scheme::Jwt, [false, false], input))
    }

    trait Simple {
        fn contains(&self, d: &TokenDigest, now: i64) -> bool;
        fn put(&mut self, d: TokenDigest, exp: i64, now: i64);
    }

    impl<const N: usize> Simple for TokenCache<N> {
        fn contains(&self, d: &TokenDigest, now: i64) -> bool {
            self.lookup(d, now).is_some()
        }
        fn put(&mut self, d: TokenDigest, exp: i64, now: i64) {
            let rec = CachedToken {
                exp,
                signer: KeyBytes::of(&key(0)),
                layout: TokenLayout::EMPTY,
            };
            self.insert(d, rec, now);
        }
    }

    #[test]
    fn hit_until_exp() {
        let mut c = TokenCache::<4>::new();
        let d = digest(0, b"h.p");
        assert!(!c.contains(&d, 100));
        c.put(d, 200, 100);
        assert!(c.contains(&d, 100));
        assert!(c.contains(&d, 199));
        assert!(!c.contains(&d, 200), "an entry never outlives exp");
        assert!(!c.contains(&d, 10_000));
        assert_eq!(c.len(150), 1);
        assert!(c.is_empty(200));
    }

    #[test]
    fn expired_tokens_are_not_stored() {
        let mut c = TokenCache::<2>::new();
        let d = digest(0, b"h.p");
        c.put(d, 100, 100);
        assert!(!c.contains(&d, 99));
        assert!(c.is_empty(0));
    }

    #[test]
    fn other_token_scheme_or_switches_miss() {
        let mut c = TokenCache::<4>::new();
        c.put(digest(0, b"h.p.s"), 200, 100);
        assert!(c.contains(&digest(0, b"h.p.s"), 100));
        assert!(!c.contains(&digest(0, b"h.q.s"), 100), "other payload");
        assert!(!c.contains(&digest(0, b"h.p.t"), 100), "other signature");
        let other_scheme =
            TokenDigest::of(&TokenKey::new(Scheme::SelfJwt, [false, false], b"h.p.s"));
        assert!(!c.contains(&other_scheme, 100), "other scheme");
        for switches in [[true, false], [false, true]] {
            let d = TokenDigest::of(&TokenKey::new(Scheme::Jwt, switches, b"h.p.s"));
            assert!(!c.contains(&d, 100), "other decoding switches");
        }
    }

    #[test]
    fn bounded_eviction_prefers_expired_then_soonest_exp() {
        let mut c = TokenCache::<2>::new();
        let (a, b, d, e) = (
            digest(0, b"a"),
            digest(0, b"b"),
            digest(0, b"d"),
            digest(0, b"e"),
        );
        c.put(a, 300, 100);
        c.put(b, 500, 100);
        assert!(c.contains(&a, 100) && c.contains(&b, 100));
        // Full: the entry expiring first (a) goes.
        c.put(d, 400, 100);
        assert!(!c.contains(&a, 100));
        assert!(c.contains(&b, 100) && c.contains(&d, 100));
        // At 450, d has expired and is overwritten before b.
        c.put(e, 900, 450);
        assert!(c.contains(&b, 450) && c.contains(&e, 450));
        assert_eq!(c.len(450), 2);
        // Re-inserting the same digest does not take a second slot.
        c.put(e, 900, 450);
        assert!(c.contains(&b, 450));
        c.clear();
        assert!(c.is_empty(450));
    }

    /// The aauth-signing 0.2.0 agent token of the shared vectors, and its clock.
    fn agent_token(doc: &serde_json::Value) -> (&str, i64) {
        let case = doc["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "jwt-aauth-signing-020-get")
            .unwrap();
        let jwt = case["expect"]["requirement"]["jwt"].as_str().unwrap();
        (jwt, case["now"].as_i64().unwrap())
    }

    #[test]
    fn a_hit_takes_members_from_the_record_and_a_bad_record_falls_back() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap();
        let (jwt, now) = agent_token(&doc);
        let policy = Policy::STRICT;
        let mut cache = TokenCache::<2>::new();
        let mut scratch = JwtScratch::new();
        let (t, lookup) = read(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            Some(&cache),
        )
        .unwrap();
        assert_eq!(lookup, Lookup::Miss);
        let claims = t.claims;
        let mut layout = TokenLayout::of(&t).unwrap();
        let key = TokenKey::new(Scheme::Jwt, decoding_switches(&policy), jwt.as_bytes());

        // A record whose nbf differs from the token's: the hit must report the record's.
        layout.times[2] = Some(now - 5);
        let rec = |layout| CachedToken {
            exp: claims.exp.unwrap(),
            signer: KeyBytes::of(&super::tests::key(1)),
            layout,
        };
        cache.record(&key, rec(layout), now);
        let mut scratch = JwtScratch::new();
        let (hit, lookup) = read(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            Some(&cache),
        )
        .unwrap();
        assert_eq!(hit.claims.nbf, Some(now - 5));
        assert_eq!(hit.claims.sub, claims.sub);
        assert_eq!(lookup, Lookup::Hit(KeyBytes::of(&super::tests::key(1))));

        // A span outside the decoded payload: the JSON is parsed instead.
        layout.strs[0] = Some(Span {
            start: 60_000,
            len: 3,
        });
        cache.clear();
        cache.record(&key, rec(layout), now);
        let mut scratch = JwtScratch::new();
        let (fallback, lookup) = read(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            Some(&cache),
        )
        .unwrap();
        assert_eq!(lookup, Lookup::Miss);
        assert_eq!(fallback.claims, claims);
    }

    #[test]
    fn zero_capacity_never_hits() {
        let mut c = TokenCache::<0>::new();
        let d = digest(0, b"h.p");
        c.put(d, 200, 100);
        assert!(!c.contains(&d, 100));
    }
}
