//! The two-phase verifier.
//!
//! 1. [`parse`] runs every offline check (headers, label, covered components, required
//!    components, freshness, scheme allowlist, inline key) and returns a [`Parsed`] signature
//!    that says which key it needs ([`Parsed::requirement`]).
//! 2. The caller obtains the key (inline, from its trust store, or by fetching metadata and a
//!    JWKS, with the helpers [`Parsed::check_metadata`] and [`Parsed::select_key`]) and calls
//!    [`Parsed::verify`], which streams the signature base into Ed25519 verification.
//!
//! [`verify_request`] does both in one call for keys that need no I/O.
//!
//! Spec: RFC 9421 §3.2 (verifying a signature); AAuth §Verification (order of checks);
//! draft-hardt-httpbis-signature-key-09 §3.1, §7.

use crate::b64;
use crate::cache::{CachedToken, TokenStore};
use crate::component::Component;
use crate::digest;
use crate::error::{
    err, Error,
    ErrorCode::{
        ClockSkew, InvalidInput, InvalidJwt, InvalidKey, InvalidRequest, InvalidSignature,
        UnknownKey, UnsupportedAlgorithm,
    },
};
use crate::json::JsonStr;
use crate::jwk::{self, PublicKey};
use crate::jwt::{self, JwtScratch, Token, TokenInfo};
use crate::metadata;
use crate::policy::{Policy, Scheme};
use crate::request::Request;
use crate::sf::{self, BareItem, InnerList};
use crate::sigkey::{self, KeyRequirement};
use crate::sink::{Sink, SliceSink};
use crate::text::Text;

/// The parameters of the verified signature.
///
/// Spec: RFC 9421 §2.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SignatureParams<'a> {
    /// `created` (seconds since the epoch).
    pub created: Option<i64>,
    /// `expires` (seconds since the epoch).
    pub expires: Option<i64>,
    /// `nonce`.
    pub nonce: Option<Text<'a>>,
    /// `tag`.
    pub tag: Option<Text<'a>>,
    /// `keyid`.
    pub keyid: Option<Text<'a>>,
    /// `alg` (ignored when a `Signature-Key` is present, per draft -08 §7.4).
    pub alg: Option<Text<'a>>,
}

/// A signature that passed every offline check and awaits its key.
#[derive(Clone, Copy, Debug)]
pub struct Parsed<'a> {
    label: &'a [u8],
    scheme: Option<Scheme>,
    requirement: KeyRequirement<'a>,
    params: SignatureParams<'a>,
    covered: InnerList<'a>,
    signature: Result<[u8; 64], Error>,
    cache: bool,
    /// Whether `content-digest` is covered (known at parse time; checked in phase 2).
    digest_covered: bool,
}

/// The outcome of a successful verification: who signed and what was covered.
#[derive(Clone, Copy, Debug)]
pub struct Verified<'a> {
    /// The label of the verified signature.
    pub label: &'a [u8],
    /// The `Signature-Key` scheme (`None`: key supplied by the caller, plain RFC 9421).
    pub scheme: Option<Scheme>,
    /// The signature parameters.
    pub params: SignatureParams<'a>,
    /// The key that verified the request.
    pub key: PublicKey,
    /// The key id: `kid` for the JWKS schemes, else `keyid` when sent.
    pub kid: Option<Text<'a>>,
    /// The signer identifier named by `Signature-Key` (`id`, `url`, legacy `jwks`).
    pub signer: Option<Text<'a>>,
    /// The covered components, as the received inner list.
    pub covered: InnerList<'a>,
    /// For the token schemes: the verified token.
    pub token: Option<TokenInfo<'a>>,
}

/// A key source for [`verify_request`].
#[derive(Clone, Copy, Debug)]
pub enum KeySource<'k> {
    /// Only keys carried by the request itself (`hwk`).
    Inline,
    /// This key (trust store, plain RFC 9421, or a key the caller resolved itself).
    Key(PublicKey),
    /// Documents the caller fetched: the JWKS, and for `jwks_uri` (and legacy `jwks` with `id`)
    /// the metadata document whose `issuer` must equal the signer id.
    Jwks {
        /// The JWKS document (`{"keys": [...]}`).
        jwks: &'k [u8],
        /// The `{id}/.well-known/{dwk}` document, when the scheme has one.
        metadata: Option<&'k [u8]>,
    },
}

/// Verifies a request in one call, when the key needs no I/O (inline, or already fetched).
///
/// Spec: RFC 9421 §3.2.
pub fn verify_request<'a>(
    req: &Request<'a>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
    source: KeySource<'_>,
) -> Result<Verified<'a>, Error> {
    let parsed = parse(req, policy, label, now)?;
    finish(&parsed, req, policy, source)
}

/// Phase 2 for the non-token schemes with a [`KeySource`].
fn finish<'a>(
    parsed: &Parsed<'a>,
    req: &Request<'a>,
    policy: &Policy<'_>,
    source: KeySource<'_>,
) -> Result<Verified<'a>, Error> {
    let key = match source {
        KeySource::Inline => parsed.inline_key().ok_or(err(
            UnknownKey,
            "the signature's key is not inline and none was supplied",
        ))?,
        KeySource::Key(k) => k,
        KeySource::Jwks { jwks, metadata } => {
            if let Some(doc) = metadata {
                parsed.check_metadata(doc, policy)?;
            } else if matches!(parsed.requirement, KeyRequirement::JwksUri { .. }) {
                return Err(err(
                    UnknownKey,
                    "jwks_uri needs the signer's metadata document",
                ));
            }
            parsed.select_key(jwks, policy)?
        }
    };
    parsed.verify(req, &key)
}

/// Collects the member `label` across all lines of a dictionary field (last one wins).
fn dict_member<'a>(
    req: &Request<'a>,
    field: &[u8],
    label: &[u8],
    opts: sf::Options,
    policy: &Policy<'_>,
    missing: &'static str,
    malformed: Error,
) -> Result<Option<sf::Member<'a>>, Error> {
    let mut found = None;
    let mut any = false;
    let mut total = 0usize;
    for line in req.field_lines(field) {
        any = true;
        total = total.saturating_add(line.len());
        if total > policy.limits.max_header_bytes {
            return Err(err(
                InvalidRequest,
                "signature header exceeds the size limit",
            ));
        }
        let dict = sf::parse_dictionary(line, opts).map_err(|_| malformed)?;
        if let Some(m) = dict.get(label) {
            found = Some(m);
        }
    }
    if !any {
        return Err(err(InvalidRequest, missing));
    }
    Ok(found)
}

const BAD_INPUT: Error = err(InvalidRequest, "Signature-Input is not a valid dictionary");

/// The most covered components a signature may have (an upper bound on
/// [`Limits::max_components`](crate::Limits::max_components)).
pub const MAX_COMPONENTS: usize = 32;

/// The most distinct labels `Signature-Input` may carry.
const MAX_LABELS: usize = 8;

/// Walks every `Signature-Input` line once, then chooses the label: the caller's, else the
/// only one, else the only one bound to a `Signature-Key` member. Returns the label (borrowed
/// from the header) and its member (the last one across lines).
///
/// Spec: RFC 9421 §3.2 step 1 (the application chooses among several signatures); RFC 8941
/// §4.2 (a repeated key takes its last value).
fn signature_input<'a>(
    req: &Request<'a>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
) -> Result<(&'a [u8], sf::Member<'a>), Error> {
    let mut members: heapless::Vec<(&'a [u8], sf::Member<'a>), MAX_LABELS> = heapless::Vec::new();
    let mut total = 0usize;
    let mut any = false;
    for line in req.field_lines(b"signature-input") {
        any = true;
        total = total.saturating_add(line.len());
        if total > policy.limits.max_header_bytes {
            return Err(err(
                InvalidRequest,
                "Signature-Input exceeds the size limit",
            ));
        }
        let dict = sf::parse_dictionary(line, sf::Options::default()).map_err(|_| BAD_INPUT)?;
        for (key, member) in dict.iter() {
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = member,
                None => members
                    .push((key, member))
                    .map_err(|_| err(InvalidRequest, "too many signatures in Signature-Input"))?,
            }
        }
    }
    if !any {
        return Err(err(InvalidRequest, "Signature-Input header is missing"));
    }
    if let Some(wanted) = label {
        return members
            .iter()
            .find(|(k, _)| *k == wanted)
            .copied()
            .ok_or(err(
                InvalidRequest,
                "Signature-Input has no member for the label",
            ));
    }
    match members.as_slice() {
        [] => Err(err(InvalidRequest, "Signature-Input has no signature")),
        [one] => Ok(*one),
        several => {
            let mut bound = None;
            for m in several {
                if sigkey::has_member(req, m.0, policy) {
                    if bound.is_some() {
                        return Err(err(InvalidRequest, "several signatures: choose a label"));
                    }
                    bound = Some(*m);
                }
            }
            bound.ok_or(err(InvalidRequest, "several signatures: choose a label"))
        }
    }
}

fn int_param(v: BareItem<'_>) -> Result<i64, Error> {
    match v {
        BareItem::Integer(i) => Ok(i),
        _ => Err(err(InvalidRequest, "signature parameter is not an integer")),
    }
}

fn str_param(v: BareItem<'_>) -> Result<Text<'_>, Error> {
    match v {
        BareItem::String(s) => Ok(Text::from(s)),
        _ => Err(err(InvalidRequest, "signature parameter is not a string")),
    }
}

/// Phase 1: every check that needs no key material.
///
/// `label` chooses among several signatures; `None` takes the only one (or the only one bound
/// to a `Signature-Key` member). `now` is seconds since the epoch.
///
/// Spec: RFC 9421 §3.2 steps 1–6; AAuth §Verification steps 1–4 (and 5–6 for `hwk`);
/// draft-hardt-httpbis-signature-key-09 §3.1 (label binding), §5.4 (error codes).
pub fn parse<'a>(
    req: &Request<'a>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
) -> Result<Parsed<'a>, Error> {
    // Step 1: the signature headers, the label, the inner list and the signature bytes.
    let (label, input) = signature_input(req, policy, label)?;
    let sf::Member::InnerList(covered) = input else {
        return Err(err(
            InvalidRequest,
            "Signature-Input member is not an inner list",
        ));
    };
    // The Signature value is checked against the policy later (a malformed value is an
    // invalid signature); the field itself may carry the Python signer's base64url.
    let sig_opts = sf::Options {
        byteseq_base64url: true,
    };
    let sig_member = dict_member(
        req,
        b"signature",
        label,
        sig_opts,
        policy,
        "Signature header is missing",
        err(InvalidSignature, "Signature is not a valid dictionary"),
    )?
    .ok_or(err(InvalidRequest, "Signature has no member for the label"))?;
    // Decoding errors surface in phase 2, after the key checks (AAuth §Verification step 7).
    let signature = decode_signature(sig_member, policy);
    if policy.require_signature_key && !req.has_field(b"signature-key") {
        return Err(err(InvalidRequest, "Signature-Key header is missing"));
    }

    // Signature parameters (RFC 9421 §2.3), counted while read.
    let mut params = SignatureParams::default();
    for (i, (key, value)) in covered.params().iter().enumerate() {
        if i >= policy.limits.max_params {
            return Err(err(InvalidRequest, "too many signature parameters"));
        }
        match key {
            b"created" => params.created = Some(int_param(value)?),
            b"expires" => params.expires = Some(int_param(value)?),
            b"nonce" => params.nonce = Some(str_param(value)?),
            b"tag" => params.tag = Some(str_param(value)?),
            b"keyid" => params.keyid = Some(str_param(value)?),
            b"alg" => params.alg = Some(str_param(value)?),
            _ => {}
        }
    }

    // Covered components: well-formed, bounded, no duplicates (RFC 9421 §2, §3.2 step 6).
    // Parsed once into a fixed array; the base builder parses them once more while streaming.
    if covered.len() > policy.limits.max_components.min(MAX_COMPONENTS) {
        return Err(err(InvalidRequest, "too many covered components"));
    }
    let mut components: heapless::Vec<Component<'a>, MAX_COMPONENTS> = heapless::Vec::new();
    for item in covered.items() {
        let c = Component::parse(&item)?;
        if components.iter().any(|earlier| earlier.same_as(&c)) {
            return Err(err(InvalidRequest, "a component is covered twice"));
        }
        components
            .push(c)
            .map_err(|_| err(InvalidRequest, "too many covered components"))?;
    }

    // Step 2: required components (AAuth §Covered Components).
    let covers = |name: &[u8]| {
        components
            .iter()
            .any(|c| c.name == name && c.query_name.is_none())
    };
    for r in policy.required {
        if !covers(r.as_bytes()) {
            return Err(err(InvalidInput, "a required component is not covered"));
        }
    }
    if policy.require_authorization_when_present
        && req.has_field(b"authorization")
        && !covers(b"authorization")
    {
        return Err(err(
            InvalidInput,
            "authorization is present but not covered",
        ));
    }
    if policy.require_content_digest_with_body
        && req.body.is_some_and(|b| !b.is_empty())
        && !covers(b"content-digest")
    {
        return Err(err(
            InvalidInput,
            "the body is not covered by content-digest",
        ));
    }
    for c in &components {
        c.check_available(req)?;
    }

    // Step 3: freshness (AAuth §Freshness; SK-09 clock_skew).
    let now = i128::from(now);
    let window = i128::from(policy.window);
    match params.created {
        Some(created) => {
            let created = i128::from(created);
            if created > now + window {
                return Err(err(ClockSkew, "created is in the future beyond the window"));
            }
            if created < now - window {
                return Err(err(InvalidSignature, "created is older than the window"));
            }
        }
        None if policy.compat.missing_created => {}
        None => return Err(err(InvalidSignature, "created is missing")),
    }
    if let Some(expires) = params.expires {
        if i128::from(expires) < now {
            return Err(err(InvalidSignature, "the signature has expired"));
        }
    }

    // Steps 4–6: the key (SK §3.1, §7.4).
    let (scheme, requirement, cache) = match sigkey::parse(req, label, policy)? {
        Some(k) => (Some(k.scheme), k.requirement, k.cache),
        None if policy.require_signature_key => {
            return Err(err(InvalidRequest, "Signature-Key header is missing"))
        }
        None => {
            if let Some(alg) = params.alg {
                if !alg.eq_bytes(b"ed25519") {
                    return Err(err(
                        UnsupportedAlgorithm,
                        "only ed25519 signatures are supported",
                    ));
                }
            }
            (None, KeyRequirement::External, false)
        }
    };
    if let Some(keyid) = params.keyid {
        let names_key = match requirement {
            KeyRequirement::Inline(key) => keyid.eq_bytes(key.thumbprint_b64().as_str().as_bytes()),
            KeyRequirement::JwksUri { kid, .. }
            | KeyRequirement::Jwks { kid, .. }
            | KeyRequirement::LegacyJwks { kid, .. } => keyid.eq_text(&kid),
            _ => true,
        };
        if !names_key {
            return Err(err(InvalidKey, "keyid does not name the Signature-Key key"));
        }
    }
    Ok(Parsed {
        label,
        scheme,
        requirement,
        params,
        covered,
        signature,
        cache,
        digest_covered: covers(b"content-digest"),
    })
}

/// Decodes the `Signature` member: a byte sequence of exactly 64 bytes.
///
/// Spec: RFC 9421 §4.2; RFC 8032 §5.1.6 (64-byte signatures); the base64url form is the Python
/// signer's (accepted when [`Policy::base64url_signatures`]).
fn decode_signature(member: sf::Member<'_>, policy: &Policy<'_>) -> Result<[u8; 64], Error> {
    let sf::Member::Item(sf::Item {
        value: BareItem::ByteSeq(raw),
        ..
    }) = member
    else {
        return Err(err(
            InvalidSignature,
            "Signature member is not a byte sequence",
        ));
    };
    let mut buf = [0u8; 66];
    let (bytes, _) =
        b64::decode_signature(raw, &mut buf, policy.base64url_signatures).map_err(|_| {
            err(
                InvalidSignature,
                "Signature is not valid base64 of 64 bytes",
            )
        })?;
    bytes
        .try_into()
        .map_err(|_| err(InvalidSignature, "Signature is not 64 bytes"))
}

struct Absorb<'s>(&'s mut ed25519_compact::VerifyingState);

impl Sink for Absorb<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.absorb(bytes);
    }
}

impl<'a> Parsed<'a> {
    /// The label of the signature being verified.
    pub fn label(&self) -> &'a [u8] {
        self.label
    }

    /// The `Signature-Key` scheme (`None` when the caller supplies the key).
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// What key the caller must supply.
    pub fn requirement(&self) -> &KeyRequirement<'a> {
        &self.requirement
    }

    /// The signature parameters.
    pub fn params(&self) -> &SignatureParams<'a> {
        &self.params
    }

    /// The covered components as received.
    pub fn covered(&self) -> InnerList<'a> {
        self.covered
    }

    /// The 64 signature bytes, or why the `Signature` value is unusable.
    pub fn signature(&self) -> Result<&[u8; 64], Error> {
        self.signature.as_ref().map_err(|e| *e)
    }

    /// The inline (`hwk`) key, if the request carries one.
    pub fn inline_key(&self) -> Option<PublicKey> {
        match self.requirement {
            KeyRequirement::Inline(k) => Some(k),
            _ => None,
        }
    }

    /// Checks the signer's metadata document (`{id}/.well-known/{dwk}`) and returns its
    /// `jwks_uri` for the caller to fetch.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.6 (`issuer` must equal `id`:
    /// `issuer_missing`, `issuer_mismatch`).
    pub fn check_metadata<'m>(
        &self,
        metadata_json: &'m [u8],
        policy: &Policy<'_>,
    ) -> Result<JsonStr<'m>, Error> {
        let id = match self.requirement {
            KeyRequirement::JwksUri { id, .. } => id,
            KeyRequirement::LegacyJwks { id: Some(id), .. } => id,
            _ => {
                return Err(err(
                    InvalidRequest,
                    "this signature's scheme has no metadata document",
                ))
            }
        };
        let mut buf = [0u8; 512];
        let id = id
            .unescape_into(&mut buf)
            .ok_or(err(InvalidKey, "signer id is too long"))?;
        metadata::check_issuer(metadata_json, id, policy.compat.legacy_metadata)
    }

    /// Selects the signing key from a JWKS document by the `kid` named in `Signature-Key`.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.6, §7.4 (select by `kid`, ignore unusable
    /// members; absent → `unknown_key`).
    pub fn select_key(&self, jwks_json: &[u8], policy: &Policy<'_>) -> Result<PublicKey, Error> {
        let kid = match self.requirement {
            KeyRequirement::JwksUri { kid, .. }
            | KeyRequirement::Jwks { kid, .. }
            | KeyRequirement::LegacyJwks { kid, .. } => kid,
            KeyRequirement::External => match self.params.keyid {
                Some(k) => k,
                None => return Err(err(UnknownKey, "no kid or keyid to select a key by")),
            },
            _ => return Err(err(InvalidRequest, "this signature's scheme has no JWKS")),
        };
        let mut buf = [0u8; 256];
        let kid = kid
            .unescape_into(&mut buf)
            .ok_or(err(UnknownKey, "kid is too long"))?;
        jwk::select_jwk(jwks_json, kid, policy.key_rules())
    }

    /// Writes the signature base (RFC 9421 §2.5) into `out`.
    ///
    /// Spec: RFC 9421 §2.5 (one line per component, then `"@signature-params"`, no final LF).
    pub fn write_base(&self, req: &Request<'_>, out: &mut impl Sink) -> Result<(), Error> {
        for item in self.covered.items() {
            let c = Component::parse(&item)?;
            c.write_identifier(out);
            out.write(b": ");
            c.write_value(req, out)?;
            out.write(b"\n");
        }
        out.write(b"\"@signature-params\": ");
        match self.covered.canonical_raw() {
            Some(raw) => out.write(raw),
            None => sf::serialize_inner_list(&self.covered, out),
        }
        Ok(())
    }

    /// Copies the signature base into `buf` (for logging and debugging).
    pub fn base_into<'b>(&self, req: &Request<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
        let mut sink = SliceSink::new(buf);
        self.write_base(req, &mut sink)?;
        sink.finish().ok_or(err(
            InvalidRequest,
            "signature base does not fit the buffer",
        ))
    }

    /// Phase 2: checks a covered `Content-Digest` against the body (when the request has one)
    /// and verifies the Ed25519 signature over the streamed signature base with `key`.
    ///
    /// Spec: RFC 9421 §3.2 steps 7–8, §3.3.6 (Ed25519); RFC 9530 §2 (Content-Digest).
    pub fn verify(&self, req: &Request<'a>, key: &PublicKey) -> Result<Verified<'a>, Error> {
        if let (true, Some(body)) = (self.digest_covered, req.body) {
            digest::check(req, body)?;
        }
        let sig = ed25519_compact::Signature::new(self.signature?);
        let mut state = key.ed25519().verify_incremental(&sig).map_err(map_crypto)?;
        self.write_base(req, &mut Absorb(&mut state))?;
        state.verify().map_err(map_crypto)?;
        let (kid, signer) = match self.requirement {
            KeyRequirement::JwksUri { id, kid, .. } => (Some(kid), Some(id)),
            KeyRequirement::Jwks { url, kid } => (Some(kid), Some(url)),
            KeyRequirement::LegacyJwks { jwks, id, kid, .. } => (Some(kid), id.or(jwks)),
            _ => (self.params.keyid, None),
        };
        Ok(Verified {
            label: self.label,
            scheme: self.scheme,
            params: self.params,
            key: *key,
            kid,
            signer,
            covered: self.covered,
            token: None,
        })
    }

    /// For the token schemes (`jwt`, `jkt-jwt`, `self-jwt`): decodes the token into `scratch`
    /// and runs its offline checks (`alg`, `typ`, `exp`, `iat`, `nbf`, `cnf.jwk`, the `jkt-jwt`
    /// thumbprint). The token is **not verified yet**: use its `iss`, `dwk` and `kid` only to
    /// fetch the issuer's keys, then call [`Parsed::verify_token`].
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.5, §3.7, §3.8; RFC 7519 §4.1.
    pub fn token<'s>(
        &self,
        scratch: &'s mut JwtScratch,
        policy: &Policy<'_>,
        now: i64,
    ) -> Result<Token<'s>, Error>
    where
        'a: 's,
    {
        let (scheme, compact) = self.token_text()?;
        jwt::decode(scheme, compact, self.cache, scratch, policy, now)
    }

    /// The token scheme and the compact token text.
    fn token_text(&self) -> Result<(Scheme, &'a [u8]), Error> {
        let (scheme, text) = match self.requirement {
            KeyRequirement::Jwt { jwt } => (Scheme::Jwt, jwt),
            KeyRequirement::JktJwt { jwt } => (Scheme::JktJwt, jwt),
            KeyRequirement::SelfJwt { jwt } => (Scheme::SelfJwt, jwt),
            _ => {
                return Err(err(
                    InvalidRequest,
                    "this signature's scheme carries no token",
                ))
            }
        };
        let compact = text
            .as_plain()
            .ok_or(err(InvalidJwt, "the JWT contains an escape"))?;
        Ok((scheme, compact))
    }

    /// [`Parsed::token`] through a [`TokenStore`] (usually a [`crate::TokenCache`]): a token
    /// that `cache` already holds (the same bytes, scheme and decoding switches, before its
    /// `exp`) is not parsed again; its members come from the record. The offline checks still
    /// run. Pass the same store to [`Parsed::verify_token_cached`] to also skip the token's JWS
    /// verification. See [`crate::cache`].
    ///
    /// Spec: as [`Parsed::token`].
    pub fn token_cached<'s, S: TokenStore + ?Sized>(
        &self,
        scratch: &'s mut JwtScratch,
        policy: &Policy<'_>,
        now: i64,
        cache: &S,
    ) -> Result<Token<'s>, Error>
    where
        'a: 's,
    {
        let (scheme, compact) = self.token_text()?;
        jwt::decode_cached(scheme, compact, self.cache, scratch, policy, now, cache)
    }

    /// Phase 2 for the token schemes: verifies the token's JWS (with `issuer_key` for `jwt` and
    /// `self-jwt`; `jkt-jwt` carries its own key, pass `None`), then the request signature with
    /// the token's `cnf.jwk` (or the issuer key for `self-jwt`).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.5, §3.7, §3.8; RFC 9421 §3.2.
    pub fn verify_token<'s>(
        &self,
        req: &Request<'a>,
        token: &Token<'s>,
        issuer_key: Option<&PublicKey>,
    ) -> Result<Verified<'s>, Error>
    where
        'a: 's,
    {
        let (request_key, signer) = token.verify_jws(issuer_key)?;
        let mut v = self.verify(req, &request_key)?;
        v.token = Some(token.info(signer));
        Ok(v)
    }

    /// [`Parsed::verify_token`] with a [`TokenStore`] (usually a [`crate::TokenCache`]): when
    /// this token's JWS already verified with the same signer key and the token has not expired
    /// at `now`, the JWS verification is skipped; otherwise it is verified, and recorded once
    /// the request signature has verified as well. A token
    /// read with [`Parsed::token_cached`] carries what the store said, so the store is not
    /// consulted twice. The request signature is always verified. See [`crate::cache`] for the
    /// security properties.
    ///
    /// Spec: as [`Parsed::verify_token`]; RFC 7519 §4.1.4 (entries end at `exp`).
    pub fn verify_token_cached<'s, S: TokenStore + ?Sized>(
        &self,
        req: &Request<'a>,
        token: &Token<'s>,
        issuer_key: Option<&PublicKey>,
        store: &mut S,
        now: i64,
    ) -> Result<Verified<'s>, Error>
    where
        'a: 's,
    {
        let signer = token.signer(issuer_key)?;
        let hit = token.known_verified(&signer, store, now);
        let (request_key, signer) = token.verify_jws_with(signer, !hit)?;
        let mut v = self.verify(req, &request_key)?;
        // Recorded only once a request it carried verified too: a token nobody could use in
        // a signed request does not take a place in the store.
        if !hit {
            if let (Some(exp), Some(layout)) = (token.claims().exp, token.layout()) {
                if exp > now {
                    let rec = CachedToken {
                        exp,
                        signer,
                        layout,
                    };
                    store.record(&token.store_key(), rec, now);
                }
            }
        }
        v.token = Some(token.info(signer));
        Ok(v)
    }
}

/// Verifies a request in one call for every scheme, including the token schemes: `scratch`
/// holds the decoded token. For `jwt` and `self-jwt`, `source` is
/// [`KeySource::Jwks`] with the issuer's metadata and JWKS (or [`KeySource::Key`] with the issuer
/// key); for `jkt-jwt` it is [`KeySource::Inline`]. Other schemes behave as in
/// [`verify_request`].
///
/// Spec: RFC 9421 §3.2; draft-hardt-httpbis-signature-key-09 §3.5–§3.8.
pub fn verify_request_with_token<'s>(
    req: &Request<'s>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
    scratch: &'s mut JwtScratch,
    source: KeySource<'_>,
) -> Result<Verified<'s>, Error> {
    let parsed = parse(req, policy, label, now)?;
    if !matches!(
        parsed.requirement,
        KeyRequirement::Jwt { .. } | KeyRequirement::JktJwt { .. } | KeyRequirement::SelfJwt { .. }
    ) {
        return finish(&parsed, req, policy, source);
    }
    let token = parsed.token(scratch, policy, now)?;
    let issuer_key = match (token.scheme(), source) {
        (Scheme::JktJwt, _) => None,
        (_, KeySource::Key(k)) => Some(k),
        (_, KeySource::Jwks { jwks, metadata }) => {
            match metadata {
                Some(doc) => {
                    token.check_metadata(doc, policy)?;
                }
                None => return Err(err(UnknownKey, "jwt needs the issuer's metadata document")),
            }
            Some(token.select_issuer_key(jwks, policy)?)
        }
        (_, KeySource::Inline) => {
            return Err(err(UnknownKey, "jwt needs the issuer's keys"));
        }
    };
    parsed.verify_token(req, &token, issuer_key.as_ref())
}

fn map_crypto(e: ed25519_compact::Error) -> Error {
    match e {
        ed25519_compact::Error::WeakPublicKey | ed25519_compact::Error::InvalidPublicKey => {
            err(InvalidKey, "the public key is not a valid Ed25519 point")
        }
        _ => err(InvalidSignature, "the Ed25519 signature does not verify"),
    }
}
