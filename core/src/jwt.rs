//! Token-carried keys: compact JWS parsing into a caller-owned buffer, the offline token checks,
//! and the JWS verification for the `jwt`, `jkt-jwt` and `self-jwt` schemes.
//!
//! The flow is the same two phases as for other schemes:
//!
//! 1. [`Parsed::token`](crate::Parsed::token) decodes the (still unverified) token into a
//!    [`JwtScratch`] and runs every check that needs no key: well-formedness, `alg`, `typ`
//!    policy, `exp` (`expired_jwt`), `iat`/`nbf`, `cnf.jwk`, and for `jkt-jwt` the thumbprint
//!    binding of `iss`. For `jwt` the caller then learns `iss`, `dwk` and the header `kid`.
//! 2. The caller fetches `{iss}/.well-known/{dwk}`, checks it with
//!    [`Token::check_metadata`], fetches its `jwks_uri` and selects the issuer key with
//!    [`Token::select_issuer_key`]; [`Parsed::verify_token`](crate::Parsed::verify_token)
//!    verifies the JWS with that key, then the request with `cnf.jwk`.
//!
//! Spec: RFC 7515 §3.1, §5.2 (compact JWS); RFC 7519 §4.1 (claims); RFC 8037 §3.1 (Ed25519
//! JWS); draft-hardt-httpbis-signature-key-09 §3.5 (`jkt-jwt`), §3.7 (`self-jwt`), §3.8
//! (`jwt`); AAuth §Agent Tokens.

use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::b64;
use crate::cache::{decoding_switches, TokenKey, TokenStore};
use crate::error::{
    err, Error,
    ErrorCode::{ExpiredJwt, InvalidJwt, InvalidKey, UnknownKey, UnsupportedAlgorithm},
};
use crate::json::{self, member_index, read_member, JsonStr, Member, Members, MembersSeed};
use crate::jwk::{self, PublicKey};
use crate::metadata;
use crate::policy::{Policy, Scheme};
use crate::swar;

/// The longest compact token accepted (characters).
pub const MAX_JWT_LEN: usize = 8 * 1024;
/// The largest decoded JOSE header accepted (bytes).
pub const MAX_HEADER_LEN: usize = 2 * 1024;
/// The largest decoded claims set accepted (bytes).
pub const MAX_PAYLOAD_LEN: usize = 4 * 1024;

/// Default `typ` values accepted for `jwt` in the strict profile: AAuth agent tokens.
///
/// Spec: AAuth §Agent Tokens (`aa-agent+jwt`).
pub const AGENT_TYPES: &[&str] = &["aa-agent+jwt"];
/// `typ` values accepted for `jwt` in the compatibility profile (adds the January 2026 name).
///
/// Spec: AAuth January 2026 text §5.2 (`agent+jwt`).
pub const AGENT_TYPES_COMPAT: &[&str] = &["aa-agent+jwt", "agent+jwt"];

/// Caller-owned storage for a decoded token (header and claims); no heap is used.
///
/// About 6 KiB: keep it in a long-lived state object or on a thread's stack.
pub struct JwtScratch {
    buf: [u8; MAX_HEADER_LEN + MAX_PAYLOAD_LEN],
}

impl JwtScratch {
    /// An empty scratch buffer.
    pub const fn new() -> JwtScratch {
        JwtScratch {
            buf: [0; MAX_HEADER_LEN + MAX_PAYLOAD_LEN],
        }
    }
}

impl Default for JwtScratch {
    fn default() -> Self {
        JwtScratch::new()
    }
}

impl fmt::Debug for JwtScratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtScratch")
    }
}

/// The JWS algorithm of a token.
///
/// Spec: RFC 9864 (`Ed25519`); RFC 8037 §3.1 (`EdDSA`, compatibility only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwsAlg {
    /// `Ed25519` (fully specified).
    Ed25519,
    /// `EdDSA` (accepted with `Compat::eddsa`).
    EdDsa,
}

/// Up to four audience values (`aud` as a string or an array of strings).
///
/// Spec: RFC 7519 §4.1.3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Audience<'s> {
    items: [Option<JsonStr<'s>>; 4],
}

impl<'s> Audience<'s> {
    /// The audience values.
    pub fn iter(&self) -> impl Iterator<Item = JsonStr<'s>> + '_ {
        self.items.iter().flatten().copied()
    }

    /// Whether one of the values equals `bytes` (after JSON unescaping).
    pub fn contains(&self, bytes: &[u8]) -> bool {
        self.iter().any(|a| a.eq_bytes(bytes))
    }
}

/// The claims of a token, borrowed from the [`JwtScratch`]. Unknown claims are ignored.
///
/// Spec: RFC 7519 §4.1; AAuth §Agent Tokens (`dwk`, `ps`, `parent_agent`); RFC 7800 §3.1
/// (`cnf.jwk`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Claims<'s> {
    /// `iss`: the issuer (agent provider) identifier.
    pub iss: Option<JsonStr<'s>>,
    /// `sub`: the subject (for agent tokens, the agent id `aauth:local@domain`).
    pub sub: Option<JsonStr<'s>>,
    /// `dwk`: the issuer's well-known metadata document name.
    pub dwk: Option<JsonStr<'s>>,
    /// `jti`: the token id.
    pub jti: Option<JsonStr<'s>>,
    /// `ps`: the person server.
    pub ps: Option<JsonStr<'s>>,
    /// `parent_agent`.
    pub parent_agent: Option<JsonStr<'s>>,
    /// `scope`.
    pub scope: Option<JsonStr<'s>>,
    /// `aud`.
    pub aud: Audience<'s>,
    /// `iat` (seconds since the epoch).
    pub iat: Option<i64>,
    /// `exp` (seconds since the epoch).
    pub exp: Option<i64>,
    /// `nbf` (seconds since the epoch).
    pub nbf: Option<i64>,
    /// `cnf.jwk`: the key that signs the request (validated).
    pub cnf_jwk: Option<PublicKey>,
    /// Whether an `act` claim is present (delegation; its content is not interpreted).
    pub act: bool,
}

/// A decoded token whose offline checks passed; its JWS is verified in phase 2.
#[derive(Clone, Copy, Debug)]
pub struct Token<'s> {
    scheme: Scheme,
    alg: JwsAlg,
    typ: JsonStr<'s>,
    kid: Option<JsonStr<'s>>,
    header_jwk: Option<PublicKey>,
    claims: Claims<'s>,
    signing_input: &'s [u8],
    /// The decoded signature (`None` until needed when the token came from a store), and its
    /// base64url text.
    signature: Option<[u8; 64]>,
    sig64: &'s [u8],
    /// The decoded header and payload (in the scratch).
    header: &'s [u8],
    payload: &'s [u8],
    /// The compact token as sent, and the policy switches it was decoded under.
    compact: &'s [u8],
    switches: [bool; 2],
    /// What a token store said when the token was read through one.
    lookup: Lookup,
}

/// The outcome of reading a token through a [`TokenStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup {
    /// Read without a store.
    NotLooked,
    /// The store had no usable record.
    Miss,
    /// The store's record was used; its JWS verified with this key.
    Hit(PublicKey),
}

/// Where a decoded string lies: `start..start + len` in the decoded header or payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u16,
    len: u16,
}

impl Span {
    /// The span of `s` inside `base`, if `s` is a sub-slice of it.
    fn of(base: &[u8], s: JsonStr<'_>) -> Option<Span> {
        let raw = s.raw().as_bytes();
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

    fn opt(base: &[u8], s: Option<JsonStr<'_>>) -> Option<Option<Span>> {
        match s {
            None => Some(None),
            Some(s) => Span::of(base, s).map(Some),
        }
    }

    /// The string at this span of `base`, or `None` if it does not fit (never for the bytes
    /// the span was taken from).
    fn get<'s>(&self, base: &'s [u8]) -> Option<JsonStr<'s>> {
        let start = usize::from(self.start);
        let raw = base.get(start..start.checked_add(usize::from(self.len))?)?;
        // The same bytes as when the span was recorded, unless a host's store broke its
        // contract: checked again (cheap) so that a bad record can never yield a malformed
        // string.
        JsonStr::from_raw(core::str::from_utf8(raw).ok()?)
    }

    fn get_opt<'s>(span: Option<Span>, base: &'s [u8]) -> Option<Option<JsonStr<'s>>> {
        match span {
            None => Some(None),
            Some(s) => s.get(base).map(Some),
        }
    }
}

/// What a verified-token cache entry keeps of a decoded token: its members as positions in the
/// decoded header and payload, its keys and NumericDates (no token text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenLayout {
    alg: JwsAlg,
    typ: Span,
    kid: Option<Span>,
    header_jwk: Option<PublicKey>,
    /// `iss`, `sub`, `dwk`, `jti`, `ps`, `parent_agent`, `scope`.
    strs: [Option<Span>; 7],
    aud: [Option<Span>; 4],
    times: [Option<i64>; 3],
    cnf_jwk: Option<PublicKey>,
    act: bool,
}

impl TokenLayout {
    /// An unused entry's layout.
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
}

/// What a verified token contributes to [`Verified`](crate::Verified).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInfo<'s> {
    /// The token's `typ`.
    pub typ: JsonStr<'s>,
    /// The header `kid` (the issuer key id), if any.
    pub kid: Option<JsonStr<'s>>,
    /// The verified claims.
    pub claims: Claims<'s>,
    /// The key that verified the JWS (issuer key, or the `jkt-jwt` header key).
    pub issuer_key: PublicKey,
}

fn bad(detail: &'static str) -> Error {
    err(InvalidJwt, detail)
}

// --- JSON readers -------------------------------------------------------------------------

const HEADER_NAMES: [&str; 5] = ["alg", "typ", "kid", "jwk", "crit"];

struct RawHeader<'s> {
    strs: [Member<'s>; 3],
    jwk: Option<Members<'s, 9>>,
    crit: bool,
    duplicate: bool,
}

struct HeaderSeed;

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = RawHeader {
            strs: [Member::Absent; 3],
            jwk: None,
            crit: false,
            duplicate: false,
        };
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match member_index(&key, &HEADER_NAMES) {
                Some(i @ 0..=2) => {
                    if let Some(slot) = h.strs.get_mut(i) {
                        if !read_member(&mut map, slot)? {
                            h.duplicate = true;
                        }
                    }
                }
                Some(3) => {
                    let m = map.next_value_seed(MembersSeed { names: &jwk::NAMES })?;
                    if h.jwk.is_some() {
                        h.duplicate = true;
                    }
                    h.jwk = Some(m);
                }
                Some(_) => {
                    map.next_value::<json::Value<'de>>()?;
                    h.duplicate |= h.crit;
                    h.crit = true;
                }
                None => {
                    map.next_value::<json::Value<'de>>()?;
                }
            }
        }
        Ok(h)
    }
}

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = RawHeader<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// A JSON integer NumericDate. Fractional dates are refused (`serde-json-core` reads an
/// integer here; AAuth peers only send integers).
struct NumericDate(i64);

impl<'de> de::Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(NumericDate)
    }
}

/// An audience: a string or an array of at most four strings.
struct AudVisitor;

impl<'de> Visitor<'de> for AudVisitor {
    type Value = Audience<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let s = JsonStr::from_raw(v).ok_or_else(|| E::custom("invalid string"))?;
        Ok(Audience {
            items: [Some(s), None, None, None],
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut a = Audience::default();
        let mut n = 0;
        while let Some(s) = seq.next_element::<JsonStr<'de>>()? {
            *a.items
                .get_mut(n)
                .ok_or_else(|| de::Error::custom("too many audiences"))? = Some(s);
            n += 1;
        }
        Ok(a)
    }
}

struct Aud<'s>(Audience<'s>);

impl<'de: 's, 's> de::Deserialize<'de> for Aud<'s> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_ignored_any(AudVisitor).map(Aud)
    }
}

/// `cnf`: an object whose `jwk` member is captured.
struct CnfSeed;

impl<'de> Visitor<'de> for CnfSeed {
    type Value = (Option<Members<'de, 9>>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cnf object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut jwk = None;
        let mut duplicate = false;
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            if key.eq_str("jwk") {
                let m = map.next_value_seed(MembersSeed { names: &jwk::NAMES })?;
                duplicate |= jwk.is_some();
                jwk = Some(m);
            } else {
                map.next_value::<json::Value<'de>>()?;
            }
        }
        Ok((jwk, duplicate))
    }
}

impl<'de> DeserializeSeed<'de> for CnfSeed {
    type Value = (Option<Members<'de, 9>>, bool);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

const CLAIM_STRS: [&str; 7] = ["iss", "sub", "dwk", "jti", "ps", "parent_agent", "scope"];
const CLAIM_NAMES: [&str; 12] = [
    "iss",
    "sub",
    "dwk",
    "jti",
    "ps",
    "parent_agent",
    "scope",
    "aud",
    "iat",
    "exp",
    "nbf",
    "cnf",
];

struct RawClaims<'s> {
    strs: [Member<'s>; 7],
    aud: Option<Audience<'s>>,
    times: [Option<i64>; 3],
    cnf: Option<Option<Members<'s, 9>>>,
    act: bool,
    duplicate: bool,
}

struct ClaimsSeed;

impl<'de> Visitor<'de> for ClaimsSeed {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut c = RawClaims {
            strs: [Member::Absent; 7],
            aud: None,
            times: [None; 3],
            cnf: None,
            act: false,
            duplicate: false,
        };
        debug_assert_eq!(CLAIM_STRS.len(), 7);
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match member_index(&key, &CLAIM_NAMES) {
                Some(i @ 0..=6) => {
                    if let Some(slot) = c.strs.get_mut(i) {
                        if !read_member(&mut map, slot)? {
                            c.duplicate = true;
                        }
                    }
                }
                Some(7) => {
                    let a = map.next_value::<Aud<'de>>()?;
                    c.duplicate |= c.aud.is_some();
                    c.aud = Some(a.0);
                }
                Some(i @ 8..=10) => {
                    let t = map.next_value::<NumericDate>()?;
                    if let Some(slot) = c.times.get_mut(i - 8) {
                        c.duplicate |= slot.is_some();
                        *slot = Some(t.0);
                    }
                }
                Some(_) => {
                    let (jwk, dup) = map.next_value_seed(CnfSeed)?;
                    c.duplicate |= dup || c.cnf.is_some();
                    c.cnf = Some(jwk);
                }
                None => {
                    if key.eq_str("act") {
                        c.duplicate |= c.act;
                        c.act = true;
                    }
                    map.next_value::<json::Value<'de>>()?;
                }
            }
        }
        Ok(c)
    }
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed {
    type Value = RawClaims<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

fn opt_str<'s>(m: Member<'s>) -> Result<Option<JsonStr<'s>>, Error> {
    match m {
        Member::Absent => Ok(None),
        Member::Str(s) => Ok(Some(s)),
        Member::NotStr => Err(bad("a JWT string member has another type")),
    }
}

/// A key error inside a token is an invalid token, except an unsupported algorithm.
fn token_key_error(e: Error) -> Error {
    if e.code == UnsupportedAlgorithm {
        e
    } else {
        bad("a key inside the JWT is invalid")
    }
}

// --- Phase 1 ------------------------------------------------------------------------------

/// Decodes a compact JWS and runs the offline checks for `scheme`.
///
/// `cache` is the `;cache` flag of the `Signature-Key` member (a `jkt-jwt` may carry `jti`
/// only with it).
///
/// Spec: RFC 7515 §5.2 steps 1–7 (parse, decode, header); RFC 7519 §4.1.4 (`exp`), §4.1.5
/// (`nbf`), §4.1.6 (`iat`); draft-hardt-httpbis-signature-key-09 §3.5, §3.7, §3.8.
pub(crate) fn decode<'s>(
    scheme: Scheme,
    compact: &'s [u8],
    cache: bool,
    scratch: &'s mut JwtScratch,
    policy: &Policy<'_>,
    now: i64,
) -> Result<Token<'s>, Error> {
    let (token, _) = decode_parts(scheme, compact, scratch, policy, None)?;
    token.check_rules(cache, policy, now, false)?;
    Ok(token)
}

/// [`decode`] through a token store: a token the store holds (same bytes, scheme and decoding
/// switches, before its `exp`) is base64url-decoded into the scratch but its members are taken
/// from the record instead of parsing the JSON again. The offline checks run either way.
///
/// Spec: as [`decode`].
pub(crate) fn decode_cached<'s, S: TokenStore + ?Sized>(
    scheme: Scheme,
    compact: &'s [u8],
    cache_flag: bool,
    scratch: &'s mut JwtScratch,
    policy: &Policy<'_>,
    now: i64,
    store: &S,
) -> Result<Token<'s>, Error> {
    if compact.len() > MAX_JWT_LEN {
        return Err(bad("JWT is too long"));
    }
    let found = store.find(
        &TokenKey::new(scheme, decoding_switches(policy), compact),
        now,
    );
    let (mut token, hit) = decode_parts(scheme, compact, scratch, policy, found.map(|f| f.layout))?;
    token.lookup = match found {
        Some(f) if hit => Lookup::Hit(f.signer),
        _ => Lookup::Miss,
    };
    token.check_rules(cache_flag, policy, now, hit)?;
    Ok(token)
}

/// Decodes a compact JWS; with a `layout` the members come from it (falling back to the JSON
/// if it does not fit the decoded bytes). The flag says whether the layout was used.
fn decode_parts<'s>(
    scheme: Scheme,
    compact: &'s [u8],
    scratch: &'s mut JwtScratch,
    policy: &Policy<'_>,
    layout: Option<TokenLayout>,
) -> Result<(Token<'s>, bool), Error> {
    if compact.len() > MAX_JWT_LEN {
        return Err(bad("JWT is too long"));
    }
    let Some((h64, p64, s64)) = split_compact(compact) else {
        return Err(bad("JWT is not three dot-separated parts"));
    };
    let signing_input = compact
        .get(..h64.len() + 1 + p64.len())
        .ok_or(bad("JWT is not three dot-separated parts"))?;
    // A token the store holds needs its signature only if the JWS must be verified again
    // (then `check_jws` decodes it); a fresh one is checked here, before the header (the
    // order of the offline errors).
    let signature = match layout {
        Some(_) => None,
        None => Some(decode_signature(s64)?),
    };
    let (hbuf, pbuf) = scratch.buf.split_at_mut(MAX_HEADER_LEN);
    let header =
        b64::decode_base64url(h64, hbuf).map_err(|_| bad("JWT header is not base64url"))?;
    let payload =
        b64::decode_base64url(p64, pbuf).map_err(|_| bad("JWT payload is not base64url"))?;
    let header: &'s [u8] = header;
    let payload: &'s [u8] = payload;
    if let Some(layout) = layout {
        if let Some(t) = Token::from_layout(scheme, &layout, header, payload, signing_input) {
            let t = Token {
                signature: None,
                sig64: s64,
                compact,
                switches: decoding_switches(policy),
                ..t
            };
            return Ok((t, true));
        }
    }

    let signature = match signature {
        Some(s) => s,
        None => decode_signature(s64)?,
    };

    // Header (RFC 7515 §4.1).
    let h = json::from_slice_seed(header, MAX_HEADER_LEN, HeaderSeed)
        .map_err(|_| bad("JWT header is not a JSON object"))?;
    if h.duplicate {
        return Err(bad("JWT header has a duplicate member"));
    }
    if h.crit {
        return Err(bad("JWT header has crit"));
    }
    let [alg, typ, kid] = h.strs;
    let alg = opt_str(alg)?.ok_or(bad("JWT header has no alg"))?;
    let alg = if alg.eq_str("Ed25519") {
        JwsAlg::Ed25519
    } else if alg.eq_str("EdDSA") {
        if !policy.compat.eddsa {
            return Err(bad("JWT alg EdDSA is accepted only in compatibility mode"));
        }
        JwsAlg::EdDsa
    } else if alg.eq_str("none")
        || alg.eq_str("HS256")
        || alg.eq_str("HS384")
        || alg.eq_str("HS512")
    {
        return Err(bad("JWT alg is forbidden"));
    } else {
        return Err(err(UnsupportedAlgorithm, "JWT alg is not supported"));
    };
    let typ = opt_str(typ)?.ok_or(bad("JWT header has no typ"))?;
    let kid = opt_str(kid)?;
    let header_jwk = match h.jwk {
        None => None,
        Some(m) => Some(
            jwk::key_from_json_members(&m, policy.key_rules(), false).map_err(token_key_error)?,
        ),
    };

    // Claims (RFC 7519 §4.1).
    let c = json::from_slice_seed(payload, MAX_PAYLOAD_LEN, ClaimsSeed)
        .map_err(|_| bad("JWT claims are not a JSON object"))?;
    if c.duplicate {
        return Err(bad("JWT claims have a duplicate member"));
    }
    let [iss, sub, dwk, jti, ps, parent_agent, scope] = c.strs;
    let [iat, exp, nbf] = c.times;
    let cnf_jwk = match c.cnf {
        None => None,
        Some(None) => return Err(bad("JWT cnf has no jwk")),
        Some(Some(m)) => Some(
            jwk::key_from_json_members(&m, policy.key_rules(), false).map_err(token_key_error)?,
        ),
    };
    let claims = Claims {
        iss: opt_str(iss)?,
        sub: opt_str(sub)?,
        dwk: opt_str(dwk)?,
        jti: opt_str(jti)?,
        ps: opt_str(ps)?,
        parent_agent: opt_str(parent_agent)?,
        scope: opt_str(scope)?,
        aud: c.aud.unwrap_or_default(),
        iat,
        exp,
        nbf,
        cnf_jwk,
        act: c.act,
    };

    let token = Token {
        scheme,
        alg,
        typ,
        kid,
        header_jwk,
        claims,
        signing_input,
        signature: Some(signature),
        sig64: s64,
        header,
        payload,
        compact,
        switches: decoding_switches(policy),
        lookup: Lookup::NotLooked,
    };
    Ok((token, false))
}

/// The three parts of a compact JWS, or `None` when it does not have exactly two dots. The
/// dots are found eight bytes at a time (tokens are long).
fn split_compact(compact: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let dot = |s: &[u8]| swar::scan(s, |v| swar::has_byte(v, b'.'), |b| b == b'.');
    let i = dot(compact);
    let (h, rest) = (compact.get(..i)?, compact.get(i + 1..)?);
    let j = dot(rest);
    let (p, s) = (rest.get(..j)?, rest.get(j + 1..)?);
    (dot(s) == s.len()).then_some((h, p, s))
}

/// The 64 signature bytes of a JWS.
fn decode_signature(s64: &[u8]) -> Result<[u8; 64], Error> {
    let mut signature = [0u8; 64];
    match b64::decode_base64url(s64, &mut signature) {
        Ok(s) if s.len() == 64 => Ok(signature),
        _ => Err(bad("JWT signature is not 64 bytes of base64url")),
    }
}

fn iss_is_jkt(iss: &JsonStr<'_>, prefix: &[u8], thumb: &[u8]) -> bool {
    let mut d = iss.decoded();
    prefix.iter().chain(thumb).all(|b| d.next() == Some(*b)) && d.next().is_none()
}

impl<'s> Token<'s> {
    /// The offline checks that depend on the policy, the `;cache` flag and the clock; they run
    /// on every request, whether the members came from the JSON or from the cache. With
    /// `recorded` (a cache hit) the `jkt-jwt` thumbprint binding is not recomputed: it depends
    /// only on the token's bytes, which the entry's digest covers, and an entry is only
    /// recorded for a token that passed it.
    ///
    /// Spec: RFC 7519 §4.1.4–§4.1.6; draft-hardt-httpbis-signature-key-09 §3.5, §3.7, §3.8.
    fn check_rules(
        &self,
        cache: bool,
        policy: &Policy<'_>,
        now: i64,
        recorded: bool,
    ) -> Result<(), Error> {
        // Identity text reaches hosts' header fields and logs (SK-09 §5.4; RFC 9110 §5.5).
        if self.has_control_text() {
            return Err(bad("a JWT string member contains a control character"));
        }

        // Scheme rules.
        match self.scheme {
            Scheme::Jwt => {
                let allowed = if policy.jwt_types.is_empty() {
                    AGENT_TYPES
                } else {
                    policy.jwt_types
                };
                if !allowed.iter().any(|t| self.typ.eq_str(t)) {
                    return Err(bad("JWT typ is not accepted by policy"));
                }
                if self.claims.cnf_jwk.is_none() {
                    return Err(bad("JWT has no cnf.jwk"));
                }
                if self.claims.iss.is_none() || self.claims.dwk.is_none() || self.kid.is_none() {
                    return Err(bad(
                        "JWT lacks iss, dwk or header kid to find its issuer key",
                    ));
                }
            }
            Scheme::JktJwt => {
                let sha512 = if self.typ.eq_str("jkt-s256+jwt") {
                    false
                } else if self.typ.eq_str("jkt-s512+jwt") {
                    true
                } else {
                    return Err(bad("jkt-jwt typ must be jkt-s256+jwt or jkt-s512+jwt"));
                };
                let key = self.header_jwk.ok_or(bad("jkt-jwt header has no jwk"))?;
                let iss = self.claims.iss.ok_or(bad("jkt-jwt has no iss"))?;
                let matches = if recorded {
                    true
                } else if sha512 {
                    let t = key.thumbprint_sha512_b64();
                    iss_is_jkt(&iss, b"urn:jkt:sha-512:", t.as_bytes())
                } else {
                    let t = key.thumbprint_b64();
                    iss_is_jkt(&iss, b"urn:jkt:sha-256:", t.as_bytes())
                };
                if !matches {
                    return Err(bad(
                        "jkt-jwt iss is not the thumbprint URN of its header key",
                    ));
                }
                if self.claims.iat.is_none() {
                    return Err(bad("jkt-jwt has no iat"));
                }
                if self.claims.cnf_jwk.is_none() {
                    return Err(bad("jkt-jwt has no cnf.jwk"));
                }
                if self.claims.sub.is_some() {
                    return Err(bad("jkt-jwt must not carry sub"));
                }
                if self.claims.jti.is_some() && !cache {
                    return Err(bad("jkt-jwt carries jti without ;cache"));
                }
            }
            _ => {
                if self.claims.iss.is_none() || self.claims.dwk.is_none() || self.kid.is_none() {
                    return Err(bad("self-jwt lacks iss, dwk or header kid"));
                }
                if self.claims.cnf_jwk.is_some() {
                    return Err(bad("self-jwt must not carry cnf"));
                }
            }
        }

        // Time (RFC 7519 §4.1.4–§4.1.6; SK-09 bounds iat with the signature window).
        let now = i128::from(now);
        let window = i128::from(policy.window);
        let exp = self.claims.exp.ok_or(bad("JWT has no exp"))?;
        if i128::from(exp) <= now {
            return Err(err(ExpiredJwt, "JWT has expired"));
        }
        if self
            .claims
            .iat
            .is_some_and(|t| i128::from(t) > now + window)
        {
            return Err(bad("JWT iat is in the future"));
        }
        if self
            .claims
            .nbf
            .is_some_and(|t| i128::from(t) > now + window)
        {
            return Err(bad("JWT is not valid yet (nbf)"));
        }

        Ok(())
    }

    /// Whether a string member the host can read (`typ`, header `kid`, every string claim,
    /// each `aud` value) contains a control character after unescaping.
    fn has_control_text(&self) -> bool {
        let c = &self.claims;
        [
            Some(self.typ),
            self.kid,
            c.iss,
            c.sub,
            c.dwk,
            c.jti,
            c.ps,
            c.parent_agent,
            c.scope,
        ]
        .into_iter()
        .flatten()
        .chain(c.aud.iter())
        .any(|s| s.has_control())
    }

    /// A token rebuilt from a cache entry's layout over the freshly decoded header and
    /// payload; `None` if a span does not fit (then the JSON is parsed as usual).
    fn from_layout(
        scheme: Scheme,
        l: &TokenLayout,
        header: &'s [u8],
        payload: &'s [u8],
        signing_input: &'s [u8],
    ) -> Option<Token<'s>> {
        let [iss, sub, dwk, jti, ps, parent_agent, scope] = l.strs;
        let [a0, a1, a2, a3] = l.aud;
        let [iat, exp, nbf] = l.times;
        let p = |s| Span::get_opt(s, payload);
        Some(Token {
            scheme,
            alg: l.alg,
            typ: l.typ.get(header)?,
            kid: Span::get_opt(l.kid, header)?,
            header_jwk: l.header_jwk,
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
                cnf_jwk: l.cnf_jwk,
                act: l.act,
            },
            signing_input,
            signature: None,
            sig64: &[],
            header,
            payload,
            compact: &[],
            switches: [false; 2],
            lookup: Lookup::NotLooked,
        })
    }

    /// The layout a cache entry keeps for this token; `None` if a member does not lie in the
    /// decoded header or payload (never for a decoded token).
    pub(crate) fn layout(&self) -> Option<TokenLayout> {
        let c = &self.claims;
        let p = |s| Span::opt(self.payload, s);
        let [a0, a1, a2, a3] = c.aud.items;
        Some(TokenLayout {
            alg: self.alg,
            typ: Span::of(self.header, self.typ)?,
            kid: Span::opt(self.header, self.kid)?,
            header_jwk: self.header_jwk,
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

    /// What identifies this token in a [`TokenStore`].
    pub(crate) fn store_key(&self) -> TokenKey<'s> {
        TokenKey::new(self.scheme, self.switches, self.compact)
    }

    /// Whether the JWS is known to verify with `signer`: the store's record says so (read now
    /// when the token was not read through the store).
    pub(crate) fn known_verified<S: TokenStore + ?Sized>(
        &self,
        signer: &PublicKey,
        store: &S,
        now: i64,
    ) -> bool {
        match self.lookup {
            Lookup::Hit(k) => k == *signer,
            Lookup::Miss => false,
            Lookup::NotLooked => store
                .find(&self.store_key(), now)
                .is_some_and(|f| f.signer == *signer),
        }
    }

    /// The scheme the token came with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The JWS algorithm.
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The `typ` header.
    pub fn typ(&self) -> JsonStr<'s> {
        self.typ
    }

    /// The header `kid`: the issuer key to select from the issuer's JWKS.
    pub fn kid(&self) -> Option<JsonStr<'s>> {
        self.kid
    }

    /// The (not yet verified) claims.
    pub fn claims(&self) -> &Claims<'s> {
        &self.claims
    }

    /// The header `jwk` (`jkt-jwt`).
    pub fn header_jwk(&self) -> Option<PublicKey> {
        self.header_jwk
    }

    /// Checks the issuer's metadata document (`{iss}/.well-known/{dwk}`): its `issuer` must
    /// equal `iss`. Returns the `jwks_uri` to fetch.
    ///
    /// Spec: AAuth §Metadata Documents; draft-hardt-httpbis-signature-key-09 §3.8, §5.4.
    pub fn check_metadata<'m>(
        &self,
        metadata_json: &'m [u8],
        policy: &Policy<'_>,
    ) -> Result<JsonStr<'m>, Error> {
        let iss = self.claims.iss.ok_or(bad("JWT has no iss"))?;
        let mut buf = [0u8; 512];
        let iss = iss.bytes_in(&mut buf).ok_or(bad("JWT iss is too long"))?;
        metadata::check_issuer(metadata_json, iss, policy.compat.legacy_metadata)
    }

    /// Selects the issuer key named by the header `kid` from the issuer's JWKS.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.8 (key by `kid`; absent → `unknown_key`).
    pub fn select_issuer_key(
        &self,
        jwks_json: &[u8],
        policy: &Policy<'_>,
    ) -> Result<PublicKey, Error> {
        let kid = self.kid.ok_or(err(UnknownKey, "JWT header has no kid"))?;
        let mut buf = [0u8; 256];
        let kid = kid
            .bytes_in(&mut buf)
            .ok_or(err(UnknownKey, "JWT kid is too long"))?;
        jwk::select_jwk(jwks_json, kid, policy.key_rules())
    }

    /// Phase 2 for the token: verifies the JWS and returns the key that must have signed the
    /// request (`cnf.jwk`, or the issuer key for `self-jwt`) and the key that signed the token.
    ///
    /// Spec: RFC 7515 §5.2 step 8; RFC 8037 §3.1; draft-hardt-httpbis-signature-key-09 §3.5,
    /// §3.7, §3.8.
    pub(crate) fn verify_jws(
        &self,
        issuer_key: Option<&PublicKey>,
    ) -> Result<(PublicKey, PublicKey), Error> {
        let signer = self.signer(issuer_key)?;
        self.verify_jws_with(signer, true)
    }

    /// The key that must have signed the token.
    pub(crate) fn signer(&self, issuer_key: Option<&PublicKey>) -> Result<PublicKey, Error> {
        match self.scheme {
            Scheme::JktJwt => self.header_jwk.ok_or(bad("jkt-jwt header has no jwk")),
            _ => issuer_key
                .copied()
                .ok_or(err(UnknownKey, "the JWT issuer key was not supplied")),
        }
    }

    /// [`Token::verify_jws`] with the signer resolved; `check_signature: false` (a cache hit
    /// for exactly these bytes and this key) skips only the Ed25519 verification.
    pub(crate) fn verify_jws_with(
        &self,
        signer: PublicKey,
        check_signature: bool,
    ) -> Result<(PublicKey, PublicKey), Error> {
        if check_signature {
            self.check_jws(&signer)?;
        }
        let request_key = match self.scheme {
            Scheme::SelfJwt => signer,
            _ => self.claims.cnf_jwk.ok_or(bad("JWT has no cnf.jwk"))?,
        };
        Ok((request_key, signer))
    }

    fn check_jws(&self, signer: &PublicKey) -> Result<(), Error> {
        let sig = match self.signature {
            Some(s) => s,
            None => decode_signature(self.sig64)?,
        };
        let sig = ed25519_compact::Signature::new(sig);
        signer
            .ed25519()
            .verify(self.signing_input, &sig)
            .map_err(|e| match e {
                ed25519_compact::Error::WeakPublicKey
                | ed25519_compact::Error::InvalidPublicKey => err(
                    InvalidKey,
                    "the JWT issuer key is not a valid Ed25519 point",
                ),
                _ => bad("the JWT signature does not verify"),
            })
    }

    /// The information kept in a verification result.
    pub(crate) fn info(&self, issuer_key: PublicKey) -> TokenInfo<'s> {
        TokenInfo {
            typ: self.typ,
            kid: self.kid,
            claims: self.claims,
            issuer_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn tokens_doc() -> serde_json::Value {
        serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap()
    }

    fn key() -> PublicKey {
        PublicKey {
            x: [9; 32],
            alg: jwk::KeyAlg::Ed25519,
        }
    }

    proptest::proptest! {
        /// The word-at-a-time split agrees with `split('.')` taking exactly three parts.
        #[test]
        fn split_compact_matches_split(
            s in proptest::collection::vec(proptest::sample::select(&b"ab.."[..]), 0..40)
        ) {
            let mut parts = s.split(|&b| b == b'.');
            let want = match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(p), Some(x), None) => Some((h, p, x)),
                _ => None,
            };
            proptest::prop_assert_eq!(split_compact(&s), want);
        }
    }

    #[test]
    fn a_hit_takes_members_from_the_entry_and_a_bad_entry_falls_back() {
        let doc = tokens_doc();
        let (jwt, now) = agent_token(&doc);
        let policy = Policy::STRICT;
        let mut cache = crate::TokenCache::<2>::new();
        let mut scratch = JwtScratch::new();
        let t = decode_cached(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            &cache,
        )
        .unwrap();
        let (skey, claims) = (t.store_key(), t.claims);
        assert_eq!(t.lookup, Lookup::Miss);
        let mut layout = t.layout().unwrap();
        assert_eq!(
            Token::from_layout(Scheme::Jwt, &layout, t.header, t.payload, t.signing_input)
                .map(|r| r.claims),
            Some(claims)
        );

        // An entry whose nbf differs from the token's: the hit must report the entry's.
        layout.times[2] = Some(now - 5);
        let rec = |layout| crate::cache::CachedToken {
            exp: claims.exp.unwrap(),
            signer: key(),
            layout,
        };
        cache.record(&skey, rec(layout), now);
        let mut scratch = JwtScratch::new();
        let hit = decode_cached(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            &cache,
        )
        .unwrap();
        assert_eq!(hit.claims.nbf, Some(now - 5));
        assert_eq!(hit.claims.sub, claims.sub);
        assert_eq!(hit.signature, None, "not decoded on a hit");
        assert_eq!(decode_signature(hit.sig64).ok(), t.signature);
        assert_eq!(hit.lookup, Lookup::Hit(key()));

        // A span outside the decoded payload: the JSON is parsed instead.
        layout.strs[0] = Some(Span {
            start: 60_000,
            len: 3,
        });
        cache.clear();
        cache.record(&skey, rec(layout), now);
        let mut scratch = JwtScratch::new();
        let fallback = decode_cached(
            Scheme::Jwt,
            jwt.as_bytes(),
            false,
            &mut scratch,
            &policy,
            now,
            &cache,
        )
        .unwrap();
        assert_eq!(fallback.claims, claims);
    }
}
