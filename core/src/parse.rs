//! Phase 1: every check that needs no key material, and the plan of what the host must fetch.
//!
//! [`parse`] reads the three signature headers, binds the label, checks the covered and
//! required components and freshness, parses `Signature-Key` into what the signature needs,
//! and for the token schemes decodes the token into the caller's [`JwtScratch`] and runs its
//! offline rules. The result, [`Parsed`], says what the host must fetch next
//! ([`Parsed::fetch`]); [`Parsed::finish`](crate::Parsed::finish) is phase 2.
//!
//! Spec: RFC 9421 §3.2 steps 1–6; AAuth §Verification steps 1–4 (and 5 for the offline part of
//! the token schemes); draft-hardt-httpbis-signature-key-09 §3 (label binding), §3.11, §5.4.

use aauth_verify_sf::b64;
use aauth_verify_sf::sf::{self, BareItem, InnerList};

use crate::cache::TokenStore;
#[cfg(feature = "tokens")]
use crate::cache::{self, Lookup};
use crate::component::{Component, MAX_COMPONENTS};
#[cfg(feature = "tokens")]
use crate::error::ErrorCode::{InvalidJwt, UnsupportedScheme};
use crate::error::{
    err, Check, Error,
    ErrorCode::{
        ClockSkew, InvalidInput, InvalidKey, InvalidRequest, InvalidSignature, UnsupportedAlgorithm,
    },
};
use crate::key::PublicKey;
use crate::policy::{Policy, Scheme};
use crate::replay::ReplayStore;
use crate::request::Request;
use crate::sigkey::{self, KeyRequirement};
use crate::text::Text;
use crate::token::JwtScratch;
#[cfg(feature = "tokens")]
use crate::token::Token;

/// What phase 1 and phase 2 read from the host besides the request and the policy: the clock,
/// the label to verify, and the optional stores.
///
/// Spec: RFC 9421 §3.2 step 1 (the application chooses the signature); AAuth §Freshness and
/// Replay; draft-hardt-httpbis-signature-key-09 §5.4.13 (revocation), §7.2 (caches).
pub struct Context<'c> {
    /// The verifier's clock, seconds since the Unix epoch.
    pub now: i64,
    /// The signature label to verify (`None`: the only one, or the only one bound to a
    /// `Signature-Key` member).
    pub label: Option<&'c [u8]>,
    /// Verified tokens, so that a repeated token skips its JSON and its JWS ([`crate::cache`]).
    pub tokens: Option<&'c mut dyn TokenStore>,
    /// Replay protection ([`crate::replay`]): off, the key only (for a host that checks its own
    /// shared store after verification), or a store the core checks.
    pub replay: Replay<'c>,
    /// Tokens their issuers withdrew: a verified token found here is `revoked_jwt`.
    pub revoked: Option<&'c dyn Revocation>,
}

/// What phase 2 does about replays.
///
/// Spec: AAuth §Freshness and Replay.
pub enum Replay<'c> {
    /// Nothing.
    Off,
    /// Compute [`crate::Verified::replay`] (a SHA-256 of the signature base) for the host to
    /// check in its own store.
    Key,
    /// Compute it and check it in this store: a key seen before is `invalid_signature`
    /// ([`Check::Replayed`]).
    Store(&'c mut dyn ReplayStore),
}

/// Tokens their issuers withdrew, by `(iss, jti)` (a host's revocation list).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.13; AAuth §Token Revocation (state keyed by
/// `(iss, jti)`).
pub trait Revocation {
    /// Whether the issuer `iss` withdrew its token `jti` (both as they appear in the token;
    /// compare them decoded, e.g. with [`Text::eq_bytes`]).
    fn is_revoked(&self, iss: Text<'_>, jti: Text<'_>) -> bool;
}

impl<'c> Context<'c> {
    /// A context with a clock and nothing else.
    ///
    /// Spec: RFC 9421 §3.2.
    pub fn at(now: i64) -> Context<'c> {
        Context {
            now,
            label: None,
            tokens: None,
            replay: Replay::Off,
            revoked: None,
        }
    }
}

impl core::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("now", &self.now)
            .field("label", &self.label)
            .field("tokens", &self.tokens.is_some())
            .field("replay", &!matches!(self.replay, Replay::Off))
            .field("revoked", &self.revoked.is_some())
            .finish()
    }
}

/// The parameters of the signature.
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
    /// `alg` (ignored when a `Signature-Key` is present).
    pub alg: Option<Text<'a>>,
}

/// The signature-level result of phase 1 (everything but the token).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) label: &'a [u8],
    pub(crate) scheme: Option<Scheme>,
    pub(crate) requirement: KeyRequirement<'a>,
    pub(crate) params: SignatureParams<'a>,
    pub(crate) covered: InnerList<'a>,
    pub(crate) signature: Result<[u8; 64], Error>,
    /// The `;cache` flag of the `Signature-Key` member.
    pub(crate) cache: bool,
    /// Whether `content-digest` is covered (checked in phase 2).
    pub(crate) digest_covered: bool,
    /// Per covered component, the Structured Field type its value is serialized as (`sf`,
    /// `key`; [`crate::FieldType`] as a number, 0 for none), decided in phase 1.
    pub(crate) field_types: [u8; MAX_COMPONENTS],
}

#[cfg(feature = "tokens")]
/// A decoded token awaiting phase 2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingToken<'s> {
    pub(crate) token: Token<'s>,
    pub(crate) lookup: Lookup,
    /// The token came from a `cached` identifier the host resolved.
    pub(crate) resolved: bool,
}

/// Where a parsed signature's token stands.
// The token lives inline (no heap); `Parsed` is built once per request and not moved around.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum TokenSlot<'s> {
    /// No token (yet): the scratch buffer, if the host gave one.
    // Read only by `with_assertion` (the `cached` scheme).
    Free(#[cfg_attr(not(feature = "cached"), allow(dead_code))] Option<&'s mut JwtScratch>),
    /// The token, decoded and checked offline.
    #[cfg(feature = "tokens")]
    Token(PendingToken<'s>),
}

/// A signature that passed every offline check, and the plan of what the host must fetch to
/// finish it ([`Parsed::fetch`]).
///
/// Spec: RFC 9421 §3.2; draft-hardt-httpbis-signature-key-09 §3.
#[derive(Debug)]
pub struct Parsed<'s> {
    pub(crate) sig: Signed<'s>,
    pub(crate) token: TokenSlot<'s>,
}

/// Collects the member `label` across all lines of a dictionary field (last one wins).
fn dict_member<'a>(
    req: &Request<'_, 'a>,
    field: &[u8],
    label: &[u8],
    opts: sf::Options,
    policy: &Policy<'_>,
    missing: Error,
    malformed: Error,
) -> Result<Option<sf::Member<'a>>, Error> {
    let mut found = None;
    let mut any = false;
    let mut total = 0usize;
    for line in req.field_lines(field) {
        any = true;
        total = total.saturating_add(line.len());
        if total > policy.limits.max_header_bytes {
            return Err(err(InvalidRequest, Check::HeaderTooLarge));
        }
        if let Some(m) = sf::parse_dictionary_member(line, opts, label).map_err(|_| malformed)? {
            found = Some(m);
        }
    }
    if !any {
        return Err(missing);
    }
    Ok(found)
}

/// The most distinct labels `Signature-Input` may carry.
const MAX_LABELS: usize = 8;

/// Walks every `Signature-Input` line once, then chooses the label: the caller's, else the
/// only one, else the only one bound to a `Signature-Key` member. Returns the label (borrowed
/// from the header) and its member (the last one across lines).
///
/// Spec: RFC 9421 §3.2 step 1 (the application chooses among several signatures); RFC 9651
/// §4.2 (a repeated key takes its last value); draft-hardt-httpbis-signature-key-09 §5.4.4 (a
/// missing header is `invalid_signature`).
fn signature_input<'a>(
    req: &Request<'_, 'a>,
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
            return Err(err(InvalidRequest, Check::HeaderTooLarge));
        }
        let dict = sf::parse_dictionary(line, sf::Options::default())
            .map_err(|_| err(InvalidRequest, Check::SignatureInputMalformed))?;
        for (key, member) in dict.iter() {
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = member,
                None => members
                    .push((key, member))
                    .map_err(|_| err(InvalidRequest, Check::TooManyLabels))?,
            }
        }
    }
    if !any {
        return Err(err(InvalidSignature, Check::SignatureInputMissing));
    }
    if let Some(wanted) = label {
        return members
            .iter()
            .find(|(k, _)| *k == wanted)
            .copied()
            .ok_or(err(InvalidSignature, Check::LabelNotFound));
    }
    match members.as_slice() {
        [] => Err(err(InvalidSignature, Check::NoSignature)),
        [one] => Ok(*one),
        several => {
            let mut bound = None;
            for m in several {
                if sigkey::has_member(req, m.0, policy) {
                    if bound.is_some() {
                        return Err(err(InvalidRequest, Check::ChooseLabel));
                    }
                    bound = Some(*m);
                }
            }
            bound.ok_or(err(InvalidRequest, Check::ChooseLabel))
        }
    }
}

fn int_param(v: BareItem<'_>) -> Result<i64, Error> {
    match v {
        BareItem::Integer(i) => Ok(i),
        _ => Err(err(InvalidRequest, Check::ParamNotInteger)),
    }
}

fn str_param(v: BareItem<'_>) -> Result<Text<'_>, Error> {
    match v {
        BareItem::String(s) => Ok(Text::from(s)),
        _ => Err(err(InvalidRequest, Check::ParamNotString)),
    }
}

/// Phase 1: every check that needs no key material, then (for the token schemes) the token's
/// offline checks. `scratch` holds a decoded token; without one the token schemes are
/// `unsupported_scheme`.
///
/// The result says what the host must fetch ([`Parsed::fetch`]) before phase 2
/// ([`Parsed::finish`]). `ctx.tokens`, when set, is read (not written) here: a token it holds
/// is not parsed again.
///
/// Spec: RFC 9421 §3.2 steps 1–6; AAuth §Verification steps 1–5;
/// draft-hardt-httpbis-signature-key-09 §3 (label binding), §3.5, §3.8, §3.9 (offline token
/// checks), §5.4 (error codes).
#[cfg_attr(not(feature = "dalek"), inline(never))]
pub fn parse<'s>(
    req: &Request<'_, 's>,
    policy: &Policy<'_>,
    ctx: &Context<'_>,
    scratch: Option<&'s mut JwtScratch>,
) -> Result<Parsed<'s>, Error> {
    let sig = parse_signature(req, policy, ctx.label, ctx.now)?;
    // Without the token schemes, phase 1 refused every token-carrying member already.
    #[cfg(not(feature = "tokens"))]
    let token = TokenSlot::Free(scratch);
    #[cfg(feature = "tokens")]
    let tokens = ctx.tokens.as_deref();
    #[cfg(feature = "tokens")]
    let token = match token_text(&sig)? {
        None => TokenSlot::Free(scratch),
        Some((scheme, compact)) => {
            let Some(scratch) = scratch else {
                return Err(err(UnsupportedScheme, Check::NoTokenScratch));
            };
            let (token, lookup) =
                cache::read(scheme, compact, sig.cache, scratch, policy, ctx.now, tokens)?;
            TokenSlot::Token(PendingToken {
                token,
                lookup,
                resolved: false,
            })
        }
    };
    Ok(Parsed { sig, token })
}

#[cfg(feature = "tokens")]
/// The token scheme and compact token text of a signature, if it carries one.
fn token_text<'a>(sig: &Signed<'a>) -> Result<Option<(Scheme, &'a [u8])>, Error> {
    let (scheme, text) = match sig.requirement {
        KeyRequirement::Jwt { jwt } => (Scheme::Jwt, jwt),
        KeyRequirement::JktJwt { jwt } => (Scheme::JktJwt, jwt),
        KeyRequirement::SelfJwt { jwt } => (Scheme::SelfJwt, jwt),
        _ => return Ok(None),
    };
    let compact = text.as_plain().ok_or(err(InvalidJwt, Check::JwtEscape))?;
    Ok(Some((scheme, compact)))
}

/// The signature-level checks of phase 1.
#[cfg_attr(not(feature = "dalek"), inline(never))]
pub(crate) fn parse_signature<'a>(
    req: &Request<'_, 'a>,
    policy: &Policy<'_>,
    label: Option<&[u8]>,
    now: i64,
) -> Result<Signed<'a>, Error> {
    // A request target never carries a fragment: a `#` is not what any server routes on, and
    // a signature over `/x` must not verify `/x#/../admin`.
    if req.path.contains(&b'#') || req.query.is_some_and(|q| q.contains(&b'#')) {
        return Err(err(InvalidRequest, Check::FragmentInTarget));
    }
    // Step 1: the signature headers, the label, the inner list and the signature bytes.
    let (label, input) = signature_input(req, policy, label)?;
    let sf::Member::InnerList(covered) = input else {
        return Err(err(InvalidRequest, Check::SignatureInputNotInnerList));
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
        err(InvalidSignature, Check::SignatureMissing),
        err(InvalidSignature, Check::SignatureMalformed),
    )?
    .ok_or(err(InvalidSignature, Check::SignatureLabelMissing))?;
    // Decoding errors surface in phase 2, after the key checks (AAuth §Verification step 7).
    let signature = decode_signature(sig_member, policy);
    if policy.require_signature_key && !req.has_field(b"signature-key") {
        return Err(err(InvalidSignature, Check::SignatureKeyMissing));
    }

    // Signature parameters (RFC 9421 §2.3), counted while read.
    let mut params = SignatureParams::default();
    for (i, (key, value)) in covered.params().iter().enumerate() {
        if i >= policy.limits.max_params {
            return Err(err(InvalidRequest, Check::TooManyParams));
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

    let (digest_covered, field_types) = check_components(req, policy, &covered, label)?;

    // Step 3: freshness (AAuth §Freshness; SK-09 §5.4.4, §5.4.14).
    let now = i128::from(now);
    let window = i128::from(policy.window);
    match params.created {
        Some(created) => {
            let created = i128::from(created);
            if created > now + window {
                return Err(err(ClockSkew, Check::CreatedInFuture));
            }
            if created < now - window {
                return Err(err(InvalidSignature, Check::CreatedTooOld));
            }
        }
        None if policy.compat.missing_created => {}
        None => return Err(err(InvalidSignature, Check::CreatedMissing)),
    }
    if let Some(expires) = params.expires {
        if i128::from(expires) < now {
            return Err(err(InvalidSignature, Check::Expired));
        }
        if let Some(created) = params.created {
            if expires < created {
                return Err(err(InvalidSignature, Check::ExpiresBeforeCreated));
            }
            if let Some(max) = policy.max_validity {
                if i128::from(expires) - i128::from(created) > i128::from(max) {
                    return Err(err(InvalidSignature, Check::ValidityTooLong));
                }
            }
        }
    }

    // Steps 4–6: the key (SK §3, §3.3, §7.4).
    let (scheme, requirement, cache) = match sigkey::parse(req, label, policy)? {
        Some(k) => (Some(k.scheme), k.requirement, k.cache),
        None if policy.require_signature_key => {
            return Err(err(InvalidSignature, Check::SignatureKeyMissing))
        }
        None => {
            if let Some(alg) = params.alg {
                if !alg.eq_bytes(b"ed25519") {
                    return Err(err(UnsupportedAlgorithm, Check::AlgNotEd25519));
                }
            }
            (None, KeyRequirement::External, false)
        }
    };
    if let Some(keyid) = params.keyid {
        let names_key = match requirement {
            KeyRequirement::Inline(key) => keyid.eq_bytes(key.thumbprint().as_bytes()),
            KeyRequirement::JwksUri { kid, .. }
            | KeyRequirement::Jwks { kid, .. }
            | KeyRequirement::LegacyJwks { kid, .. } => keyid.eq_text(&kid),
            _ => true,
        };
        if !names_key {
            return Err(err(InvalidKey, Check::KeyidMismatch));
        }
    }
    Ok(Signed {
        label,
        scheme,
        requirement,
        params,
        covered,
        signature,
        cache,
        digest_covered,
        field_types,
    })
}

/// The covered components of phase 1 (RFC 9421 §2, §3.2 step 6, and AAuth's required
/// components, step 2): each well-formed, available in the request and covered once, at most
/// the policy's limit, and every required one covered. Returns whether `content-digest` is
/// covered and each component's Structured Field type.
///
/// Out of line on purpose: its fixed array of parsed components is off the stack before the
/// `Signature-Key` member is parsed, so the peak stack of phase 1 is the larger of the two
/// steps, not their sum (an embedded budget; `benches/stack-probe`).
///
/// Spec: RFC 9421 §2, §3.2 steps 2 and 6; AAuth §Covered Components.
#[cfg_attr(not(feature = "dalek"), inline(never))]
fn check_components<'a>(
    req: &Request<'_, 'a>,
    policy: &Policy<'_>,
    covered: &InnerList<'a>,
    label: &[u8],
) -> Result<(bool, [u8; MAX_COMPONENTS]), Error> {
    // Covered components: well-formed, bounded, no duplicates (RFC 9421 §2, §3.2 step 6).
    // Parsed once into a fixed array; the base builder parses them once more while streaming.
    // The count is checked as the items are walked (one pass), before any work on the extra one.
    let max = policy.limits.max_components.min(MAX_COMPONENTS);
    let mut components: heapless::Vec<Component<'a>, MAX_COMPONENTS> = heapless::Vec::new();
    let mut field_types = [0u8; MAX_COMPONENTS];
    for (i, item) in covered.items().enumerate() {
        let slot = match field_types.get_mut(i) {
            Some(slot) if i < max => slot,
            _ => return Err(err(InvalidRequest, Check::TooManyComponents)),
        };
        let c = Component::parse(&item)?;
        if components.iter().any(|earlier| earlier.same_as(&c)) {
            return Err(err(InvalidRequest, Check::ComponentTwice));
        }
        *slot = c
            .field_type(policy.structured_fields)?
            .map_or(0, |t| t as u8);
        components
            .push(c)
            .map_err(|_| err(InvalidRequest, Check::TooManyComponents))?;
    }

    // Step 2: required components (AAuth §Covered Components).
    let covers = |name: &[u8]| components.iter().any(|c| c.covers_field(name, label));
    // A policy that does not require `Signature-Key` (plain RFC 9421 with a caller key)
    // cannot require covering a header the request does not send.
    let no_key_header = !policy.require_signature_key && !req.has_field(b"signature-key");
    for r in policy.required {
        if no_key_header && r.as_bytes() == b"signature-key" {
            continue;
        }
        if !covers(r.as_bytes()) {
            return Err(err(InvalidInput, Check::RequiredNotCovered));
        }
    }
    if policy.require_authorization_when_present
        && req.has_field(b"authorization")
        && !covers(b"authorization")
    {
        return Err(err(InvalidInput, Check::AuthorizationNotCovered));
    }
    // Any component of the field (`key`, `sf`, `bs` included) puts the body under the digest
    // check, which reads every supported member of the field as sent.
    let digest_covered = components
        .iter()
        .any(|c| c.derived.is_none() && c.name == b"content-digest");
    if policy.require_content_digest_with_body && req.has_body() && !digest_covered {
        return Err(err(InvalidInput, Check::BodyNotCovered));
    }
    if policy.require_query {
        if let Some(q) = req.query {
            let whole = covers(b"@query");
            // Every parameter name of the query covered by an `@query-param` instead.
            let each = !q.is_empty()
                && crate::component::query_pairs(q)
                    .all(|(name, _)| components.iter().any(|c| c.is_query_param(name)));
            if !whole && !each {
                return Err(err(InvalidInput, Check::QueryNotCovered));
            }
        }
    }
    for c in &components {
        c.check_available(req)?;
    }
    Ok((digest_covered, field_types))
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
        return Err(err(InvalidSignature, Check::SignatureNotByteSequence));
    };
    let mut buf = [0u8; 66];
    let (bytes, _) = b64::decode_signature(raw, &mut buf, policy.base64url_signatures)
        .map_err(|_| err(InvalidSignature, Check::SignatureBadEncoding))?;
    bytes
        .try_into()
        .map_err(|_| err(InvalidSignature, Check::SignatureBadEncoding))
}

impl<'s> Parsed<'s> {
    /// The label of the signature being verified.
    ///
    /// Spec: RFC 9421 §4.1.
    pub fn label(&self) -> &'s [u8] {
        self.sig.label
    }

    /// The `Signature-Key` scheme (`None` when the caller supplies the key).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.
    pub fn scheme(&self) -> Option<Scheme> {
        self.sig.scheme
    }

    /// What the `Signature-Key` member names (its parameters, as received).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11.
    pub fn requirement(&self) -> &KeyRequirement<'s> {
        &self.sig.requirement
    }

    /// The signature parameters.
    ///
    /// Spec: RFC 9421 §2.3.
    pub fn params(&self) -> &SignatureParams<'s> {
        &self.sig.params
    }

    /// The covered components, in order.
    ///
    /// Spec: RFC 9421 §2, §4.1.
    pub fn covered(&self) -> crate::Covered<'s> {
        crate::Covered(self.sig.covered)
    }

    /// The inline (`hwk`) key, if the request carries one.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.4.
    pub fn inline_key(&self) -> Option<PublicKey> {
        match self.sig.requirement {
            KeyRequirement::Inline(k) => Some(k),
            _ => None,
        }
    }

    /// The decoded token, if the scheme carries one (not verified yet).
    #[cfg(feature = "tokens")]
    pub(crate) fn pending_token(&self) -> Option<&PendingToken<'s>> {
        match &self.token {
            TokenSlot::Token(t) => Some(t),
            TokenSlot::Free(_) => None,
        }
    }

    /// For the token schemes: the token's (not yet verified) claims, `typ` and header `kid`.
    ///
    /// Spec: RFC 7519 §4.1 (claims before verification are untrusted: use them only to find
    /// the issuer's keys).
    pub fn unverified_token(&self) -> Option<crate::UnverifiedToken<'s>> {
        #[cfg(not(feature = "tokens"))]
        return None;
        #[cfg(feature = "tokens")]
        return self.pending_token().map(|t| crate::UnverifiedToken {
            scheme: t.token.scheme,
            typ: t.token.typ,
            kid: t.token.kid,
            claims: t.token.claims,
        });
    }

    /// The `cached` scheme's next step: decodes the assertion the host resolved the cache
    /// identifier to (the compact token it cached, and the scheme it was presented under) and
    /// runs its offline checks exactly as if it had been presented in full. A failure here is
    /// the assertion's own error, never `cache_miss`: a host that cannot resolve the
    /// identifier answers [`Error::cache_miss`] itself. The assertion's scheme must be one
    /// the policy accepts (`unsupported_scheme` otherwise): a store shared by a fleet may hold
    /// a `jkt-jwt` another verifier accepted, and presenting it by reference must not get past
    /// a policy that refuses it in full.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.11, §6.1 (resolution and validation are
    /// separate stages; validated as if presented in full).
    #[cfg(feature = "cached")]
    pub fn with_assertion(
        self,
        assertion: &'s [u8],
        scheme: Scheme,
        policy: &Policy<'_>,
        ctx: &Context<'_>,
    ) -> Result<Parsed<'s>, Error> {
        let TokenSlot::Free(scratch) = self.token else {
            return Err(err(InvalidRequest, Check::WrongSource));
        };
        if !matches!(self.sig.requirement, KeyRequirement::Cached { .. })
            || !matches!(scheme, Scheme::Jwt | Scheme::JktJwt)
        {
            return Err(err(InvalidRequest, Check::WrongSource));
        }
        if !policy.schemes.contains(scheme) {
            return Err(err(UnsupportedScheme, Check::SchemeNotAllowed));
        }
        let Some(scratch) = scratch else {
            return Err(err(UnsupportedScheme, Check::NoTokenScratch));
        };
        // The assertion was cached because it was presented with `;cache`.
        let (token, lookup) = cache::read(
            scheme,
            assertion,
            true,
            scratch,
            policy,
            ctx.now,
            ctx.tokens.as_deref(),
        )?;
        Ok(Parsed {
            sig: self.sig,
            token: TokenSlot::Token(PendingToken {
                token,
                lookup,
                resolved: true,
            }),
        })
    }
}
