//! Phase 2: what the host fetches ([`Fetch`]), where the key comes from ([`KeySource`]), the
//! one call that finishes every scheme ([`Parsed::finish`]), and what a verified request is
//! ([`Verified`], [`Identity`]).
//!
//! # The verified identity, per scheme
//!
//! | scheme | `agent` | `issuer` | `subject` | `kid` |
//! |---|---|---|---|---|
//! | none (a key the host holds) | — | — | — | `keyid` |
//! | `hwk` | — | — | — | `keyid` |
//! | `jwks_uri` | `id` | `id` | — | `kid` |
//! | `jwks` | `url` | `url` | — | `kid` |
//! | legacy `jwks` | `id`, else the `jwks` URL | the same | — | `kid` |
//! | `jwt` | `sub` | `iss` | `sub` | JWT header `kid` (the issuer key's) |
//! | `jkt-jwt` | `iss` (`urn:jkt:…`, the stable pseudonym) | `iss` | — | JWT header `kid` |
//! | `self-jwt` | `iss` (signer and issuer are one party) | `iss` | `sub` | JWT header `kid` |
//! | `cached` | as the `jwt` or `jkt-jwt` it stands for | | | |
//!
//! [`Verified::thumbprint`] is always the RFC 7638 thumbprint of the key that verified the
//! request signature (`cnf.jwk` for `jwt` and `jkt-jwt`). `hwk` signers are pseudonymous: the
//! thumbprint is their identity.
//!
//! Spec: RFC 9421 §3.2 steps 7–8; draft-hardt-httpbis-signature-key-09 §3.4–§3.11, §7.2;
//! AAuth §Verification steps 5–7.

use aauth_verify_sf::sf::{self, InnerList};
use aauth_verify_sf::sink::{Sink, SliceSink};

use crate::backend::Refusal;
#[cfg(feature = "tokens")]
use crate::cache;
use crate::component::Component;
use crate::digest;
#[cfg(feature = "tokens")]
use crate::error::ErrorCode::RevokedJwt;
use crate::error::{
    err, Check, Error,
    ErrorCode::{InvalidInput, InvalidRequest, InvalidSignature, UnknownKey},
};
use crate::grant::CacheGrant;
#[cfg(feature = "documents")]
use crate::jwk;
use crate::key::{self, PublicKey, Thumbprint};
#[cfg(feature = "documents")]
use crate::metadata;
#[cfg(feature = "tokens")]
use crate::parse::PendingToken;
use crate::parse::{Context, Parsed, Replay, SignatureParams, TokenSlot};
use crate::policy::{Policy, Scheme};
use crate::replay::{ReplayHasher, ReplayKey};
use crate::request::Request;
use crate::sigkey::KeyRequirement;
use crate::text::Text;
use crate::token::{Claims, TokenInfo};

/// The well-known document name the January 2026 demo's legacy `jwks` signers implied when
/// they sent an `id` without `well-known`.
///
/// Spec: AAuth January 2026 text §8.1 (`/.well-known/aauth-agent`).
pub const LEGACY_DWK: &str = "aauth-agent";

/// What the host must obtain before phase 2, as [`Parsed::fetch`] decides it.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11; AAuth §JWKS Discovery and Caching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch<'s> {
    /// Nothing: the request carries its key (`hwk`, `jkt-jwt`). Finish with
    /// [`KeySource::Inline`].
    Nothing,
    /// No `Signature-Key`: a key the host holds for this signature (plain RFC 9421), selected
    /// by `keyid` when one was sent.
    CallerKey {
        /// The `keyid` signature parameter.
        keyid: Option<Text<'s>>,
    },
    /// The signer's (or token issuer's) metadata document at `{origin}/.well-known/{dwk}`
    /// ([`Fetch::metadata_url`]), whose `issuer` must equal `origin`, then the JWKS at its
    /// `jwks_uri`; the key is `kid` (`jwks_uri`, legacy `jwks` with `id`, `jwt`, `self-jwt`).
    Metadata {
        /// The identifier: `id`, or the token's `iss`. Also the signer for caching.
        origin: Text<'s>,
        /// The well-known document name.
        dwk: Text<'s>,
        /// The key to select from the JWKS.
        kid: Text<'s>,
    },
    /// A JWKS at `url` (`jwks`, legacy `jwks` with `jwks`); the key is `kid`.
    Jwks {
        /// The JWKS URL; also the signer's identity.
        url: Text<'s>,
        /// The key to select from the JWKS.
        kid: Text<'s>,
    },
    /// The assertion the host cached under this identifier (`cached`): resolve it and call
    /// [`Parsed::with_assertion`], or answer [`Error::cache_miss`].
    Assertion {
        /// The cache identifier.
        cid: Text<'s>,
    },
}

impl<'s> Fetch<'s> {
    /// The signer the keys belong to (what a host caches them under and rate-limits refetches
    /// by): the metadata origin, or the JWKS URL.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.2 (per-issuer refetch floor).
    pub fn signer(&self) -> Option<Text<'s>> {
        match *self {
            Fetch::Metadata { origin, .. } => Some(origin),
            Fetch::Jwks { url, .. } => Some(url),
            _ => None,
        }
    }

    /// The key id to select.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.6 step 6, §3.8 step 5.
    pub fn kid(&self) -> Option<Text<'s>> {
        match *self {
            Fetch::Metadata { kid, .. } | Fetch::Jwks { kid, .. } => Some(kid),
            Fetch::CallerKey { keyid } => keyid,
            _ => None,
        }
    }

    /// Writes `{origin}/.well-known/{dwk}` (unescaped) into `buf`; `None` for other plans or
    /// when it does not fit.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.6 step 1; RFC 8615 §3.
    pub fn metadata_url<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let Fetch::Metadata { origin, dwk, .. } = *self else {
            return None;
        };
        let mut sink = SliceSink::new(buf);
        origin.write_to(&mut sink);
        sink.write(b"/.well-known/");
        dwk.write_to(&mut sink);
        sink.finish().and_then(|b| core::str::from_utf8(b).ok())
    }
}

/// Where phase 2 takes the key from.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.9, §7.2.
#[derive(Clone, Copy, Debug)]
pub enum KeySource<'k> {
    /// The key the request carries (`hwk`, `jkt-jwt`): the only source for
    /// [`Fetch::Nothing`].
    Inline,
    /// A key the host vouches for: from its trust store (for [`Fetch::CallerKey`], or for the
    /// signer a plan names), or one it decoded earlier from the signer's documents (with
    /// [`Parsed::check_metadata`] and [`crate::select_jwk`]) and kept. For `jwt` and `self-jwt`
    /// it is the issuer's key.
    Key(&'k PublicKey),
    /// The documents the plan asked for, as fetched: the metadata document (required for
    /// [`Fetch::Metadata`]; ignored for [`Fetch::Jwks`]) and the JWKS (feature `documents`).
    #[cfg(feature = "documents")]
    Documents {
        /// The metadata document.
        metadata: Option<&'k [u8]>,
        /// The JWKS document (`{"keys": [...]}`).
        jwks: &'k [u8],
    },
    /// A JWKS the host's configuration trusts for the signer the plan names (a static trust
    /// store): no metadata document is checked (feature `documents`).
    #[cfg(feature = "documents")]
    TrustedJwks(&'k [u8]),
}

impl KeySource<'_> {
    /// Whether the key comes from the host (fetched, cached or configured).
    fn is_hosts(&self) -> bool {
        !matches!(self, KeySource::Inline)
    }
}

/// The covered components of a signature, in order.
///
/// Spec: RFC 9421 §2, §4.1.
#[derive(Clone, Copy, Debug)]
pub struct Covered<'s>(pub(crate) InnerList<'s>);

impl<'s> Covered<'s> {
    /// How many components are covered.
    ///
    /// Spec: RFC 9421 §4.1.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is.
    ///
    /// Spec: RFC 9421 §4.1.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The component identifiers as they appear in the signature base (`"@method"`,
    /// `"@query-param";name="x"`): each written into `sink`, one after the other, with `f`
    /// called between them.
    ///
    /// Spec: RFC 9421 §2.5.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], Option<Text<'s>>)) {
        for item in self.0.items() {
            if let Ok(c) = Component::parse(&item) {
                f(c.name, c.query_name);
            }
        }
    }

    /// The raw `Signature-Input` inner list (the covered list and the parameters).
    ///
    /// Spec: RFC 9421 §4.1.
    pub fn raw(&self) -> &'s [u8] {
        self.0.raw()
    }
}

/// A token's claims and header before its JWS is verified: use them only to find the issuer's
/// keys.
///
/// Spec: RFC 7519 §4.1; draft-hardt-httpbis-signature-key-09 §3.8 step 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnverifiedToken<'s> {
    /// The token's scheme.
    pub scheme: Scheme,
    /// `typ`.
    pub typ: Text<'s>,
    /// The header `kid`.
    pub kid: Option<Text<'s>>,
    /// The claims, not verified.
    pub claims: Claims<'s>,
}

/// Who signed a verified request: one definition for every binding (see the table in the
/// module documentation).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11, §8.1; AAuth §Agent Identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity<'s> {
    /// The `Signature-Key` scheme (`None`: a key the host held, plain RFC 9421).
    pub scheme: Option<Scheme>,
    /// The signer's identity: the agent.
    pub agent: Option<Text<'s>>,
    /// The issuer that vouches for the key.
    pub issuer: Option<Text<'s>>,
    /// The token's `sub`.
    pub subject: Option<Text<'s>>,
    /// The key id.
    pub kid: Option<Text<'s>>,
}

/// A verified request: who signed it and what was covered.
///
/// Spec: RFC 9421 §3.2; draft-hardt-httpbis-signature-key-09 §3.
#[derive(Clone, Copy, Debug)]
pub struct Verified<'s> {
    /// The label of the verified signature.
    pub label: &'s [u8],
    /// Who signed.
    pub identity: Identity<'s>,
    /// The signature parameters.
    pub params: SignatureParams<'s>,
    /// The key that verified the request signature.
    pub key: PublicKey,
    /// The covered components.
    pub covered: Covered<'s>,
    /// For the token schemes: the verified token.
    pub token: Option<TokenInfo<'s>>,
    /// The replay key, when [`Context::replay`] asked for it.
    pub replay: Option<ReplayKey>,
    /// The signer asked for a cache identifier for its assertion (`;cache`, with a `jti`).
    pub cache: Option<CacheGrant<'s>>,
}

impl Verified<'_> {
    /// The RFC 7638 thumbprint of the key that verified the request signature.
    ///
    /// Spec: RFC 7638 §3.
    pub fn thumbprint(&self) -> Thumbprint {
        self.key.thumbprint()
    }
}

#[cfg(feature = "documents")]
/// Decodes a key id into `buf` (JSON or sf escapes removed).
fn kid_bytes<'b>(kid: Text<'_>, buf: &'b mut [u8; 256]) -> Result<&'b [u8], Error> {
    kid.decode_into(buf)
        .ok_or(err(UnknownKey, Check::TextTooLong))
}

#[cfg(feature = "documents")]
/// Selects `kid` from a JWKS; an absent `kid` may be cured by a refetch.
fn select(jwks: &[u8], kid: Text<'_>, policy: &Policy<'_>) -> Result<PublicKey, Error> {
    let mut buf = [0u8; 256];
    let kid = kid_bytes(kid, &mut buf)?;
    jwk::select_jwk(jwks, kid, policy.key_rules())
}

#[cfg(feature = "documents")]
/// Checks a metadata document against the identifier it was fetched for; returns its
/// `jwks_uri`.
fn check_metadata_for<'m>(
    doc: &'m [u8],
    origin: Text<'_>,
    policy: &Policy<'_>,
) -> Result<Text<'m>, Error> {
    let mut buf = [0u8; 512];
    let id = origin
        .decode_into(&mut buf)
        .ok_or(err(crate::error::ErrorCode::InvalidKey, Check::TextTooLong))?;
    metadata::check_issuer(doc, id, policy.compat.legacy_metadata)
}

impl<'s> Parsed<'s> {
    /// What the host must obtain before [`Parsed::finish`]: the core decides it for every
    /// scheme (for the token schemes, from the decoded token's `iss`, `dwk` and header `kid`).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11.
    pub fn fetch(&self) -> Fetch<'s> {
        #[cfg(feature = "tokens")]
        if let TokenSlot::Token(pt) = &self.token {
            let t = &pt.token;
            return match (t.scheme, t.claims.iss, t.claims.dwk, t.kid) {
                (Scheme::JktJwt, ..) => Fetch::Nothing,
                (_, Some(origin), Some(dwk), Some(kid)) => Fetch::Metadata { origin, dwk, kid },
                // Refused by the offline rules; nothing can be fetched.
                _ => Fetch::Nothing,
            };
        }
        match self.sig.requirement {
            KeyRequirement::External => Fetch::CallerKey {
                keyid: self.sig.params.keyid,
            },
            KeyRequirement::Inline(_) => Fetch::Nothing,
            KeyRequirement::JwksUri { id, dwk, kid } => Fetch::Metadata {
                origin: id,
                dwk,
                kid,
            },
            KeyRequirement::Jwks { url, kid } => Fetch::Jwks { url, kid },
            KeyRequirement::LegacyJwks {
                jwks: Some(url),
                kid,
                ..
            } => Fetch::Jwks { url, kid },
            KeyRequirement::LegacyJwks {
                id: Some(origin),
                well_known,
                kid,
                ..
            } => Fetch::Metadata {
                origin,
                dwk: well_known.unwrap_or(Text::plain(LEGACY_DWK.as_bytes())),
                kid,
            },
            // Exactly one of `jwks` and `id` (checked in phase 1).
            KeyRequirement::LegacyJwks { .. } => Fetch::Nothing,
            KeyRequirement::Cached { cid } => Fetch::Assertion { cid },
            // Token schemes always hold a token here.
            KeyRequirement::Jwt { .. }
            | KeyRequirement::JktJwt { .. }
            | KeyRequirement::SelfJwt { .. } => Fetch::Nothing,
        }
    }

    /// Checks the metadata document of a [`Fetch::Metadata`] plan (`issuer` must equal the
    /// plan's origin, byte for byte) and returns its `jwks_uri` for the host to fetch: for
    /// hosts that fetch the two documents in turn, or keep the keys they decode.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.6 steps 2–4 (`issuer_missing`,
    /// `issuer_mismatch`), §3.8 step 5; AAuth §Metadata Documents.
    #[cfg(feature = "documents")]
    pub fn check_metadata<'m>(
        &self,
        metadata_json: &'m [u8],
        policy: &Policy<'_>,
    ) -> Result<Text<'m>, Error> {
        match self.fetch() {
            Fetch::Metadata { origin, .. } => check_metadata_for(metadata_json, origin, policy),
            _ => Err(err(InvalidRequest, Check::WrongSource)),
        }
    }

    /// The key a host source yields for the plan (without `documents`, only `Key`).
    #[cfg_attr(not(feature = "documents"), allow(unused_variables))]
    fn host_key(&self, policy: &Policy<'_>, source: KeySource<'_>) -> Result<PublicKey, Error> {
        let fetch = self.fetch();
        match (fetch, source) {
            (Fetch::Assertion { .. }, _) => Err(err(InvalidRequest, Check::NoAssertion)),
            (Fetch::Nothing, _) => Err(err(UnknownKey, Check::WrongSource)),
            (_, KeySource::Inline) => Err(err(UnknownKey, Check::NoKeySupplied)),
            (_, KeySource::Key(k)) => Ok(*k),
            #[cfg(feature = "documents")]
            (Fetch::Metadata { origin, kid, .. }, KeySource::Documents { metadata, jwks }) => {
                let doc = metadata.ok_or(err(UnknownKey, Check::MetadataNotSupplied))?;
                check_metadata_for(doc, origin, policy)?;
                select(jwks, kid, policy)
            }
            #[cfg(feature = "documents")]
            (
                Fetch::Metadata { kid, .. } | Fetch::Jwks { kid, .. },
                KeySource::TrustedJwks(jwks),
            )
            | (Fetch::Jwks { kid, .. }, KeySource::Documents { jwks, .. }) => {
                select(jwks, kid, policy)
            }
            #[cfg(feature = "documents")]
            (
                Fetch::CallerKey { keyid },
                KeySource::TrustedJwks(jwks) | KeySource::Documents { jwks, .. },
            ) => select(
                jwks,
                keyid.ok_or(err(UnknownKey, Check::NoKidToSelect))?,
                policy,
            ),
        }
    }

    /// Phase 2, for every scheme: takes the key from `source` (checking the documents against
    /// the plan of [`Parsed::fetch`]), verifies the token's JWS for the token schemes (skipped
    /// when `ctx.tokens` recorded this token verified under the same key), checks a covered
    /// `Content-Digest` against the body, and verifies the Ed25519 signature over the streamed
    /// signature base. A token whose JWS and request verified is recorded in `ctx.tokens`.
    ///
    /// May be called again on the same [`Parsed`] (for instance with refetched keys after an
    /// error whose [`Error::refetch`] is set).
    ///
    /// Spec: RFC 9421 §3.2 steps 7–8, §3.3.6; RFC 9530 §2; draft-hardt-httpbis-signature-key-09
    /// §3.4–§3.11, §7.2; AAuth §Verification steps 5–7.
    pub fn finish(
        &self,
        req: &Request<'_, 's>,
        policy: &Policy<'_>,
        source: KeySource<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<Verified<'s>, Error> {
        self.finish_with(req, policy, source, ctx, false)
            .map(|(v, _)| v)
    }

    /// Phase 2 before the body has been read: everything [`Parsed::finish`] does except the
    /// `Content-Digest` check (whatever `req.body` holds), so that a host can refuse a forged
    /// request before it reads, buffers or spools a large body. The replay store, if any, is
    /// written here, once the signature verified: a replay is refused before its body is read,
    /// and a request whose body then fails its digest has still used its signature.
    ///
    /// Spec: RFC 9421 §3.2 steps 7–8 (the digest is one more check over covered content);
    /// RFC 9530 §2.
    pub fn finish_before_body(
        &self,
        req: &Request<'_, 's>,
        policy: &Policy<'_>,
        source: KeySource<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<Deferred<'s>, Error> {
        self.finish_with(req, policy, source, ctx, true)
            .map(|(verified, body)| Deferred { verified, body })
    }

    #[cfg_attr(not(feature = "dalek"), inline(never))]
    fn finish_with(
        &self,
        req: &Request<'_, 's>,
        policy: &Policy<'_>,
        source: KeySource<'_>,
        ctx: &mut Context<'_>,
        defer: bool,
    ) -> Result<(Verified<'s>, BodyCheck), Error> {
        match &self.token {
            #[cfg(feature = "tokens")]
            TokenSlot::Token(pt) => return self.finish_token(pt, req, policy, source, ctx, defer),
            TokenSlot::Free(_) => {}
        }
        let key = match (self.sig.requirement, source) {
            (KeyRequirement::Inline(k), KeySource::Inline) => k,
            _ => self.host_key(policy, source)?,
        };
        let (replay, body) = self
            .verify_request(req, &key, policy, ctx, defer)
            .map_err(|e| refetch_on_signature(e, source.is_hosts()))?;
        let (agent, kid) = match self.sig.requirement {
            KeyRequirement::JwksUri { id, kid, .. } => (Some(id), Some(kid)),
            KeyRequirement::Jwks { url, kid } => (Some(url), Some(kid)),
            KeyRequirement::LegacyJwks { jwks, id, kid, .. } => (id.or(jwks), Some(kid)),
            _ => (None, self.sig.params.keyid),
        };
        let v = Verified {
            label: self.sig.label,
            identity: Identity {
                scheme: self.sig.scheme,
                agent,
                issuer: agent,
                subject: None,
                kid,
            },
            params: self.sig.params,
            key,
            covered: Covered(self.sig.covered),
            token: None,
            replay,
            cache: None,
        };
        Ok((v, body))
    }

    #[cfg(feature = "tokens")]
    #[cfg_attr(not(feature = "dalek"), inline(never))]
    fn finish_token(
        &self,
        pt: &PendingToken<'s>,
        req: &Request<'_, 's>,
        policy: &Policy<'_>,
        source: KeySource<'_>,
        ctx: &mut Context<'_>,
        defer: bool,
    ) -> Result<(Verified<'s>, BodyCheck), Error> {
        let t = &pt.token;
        let issuer_key = match t.scheme {
            Scheme::JktJwt => match source {
                KeySource::Inline => None,
                _ => return Err(err(UnknownKey, Check::WrongSource)),
            },
            _ => Some(self.host_key(policy, source)?),
        };
        let signer = t.signer(issuer_key.as_ref())?;
        let hit = ctx.tokens.as_deref().is_some_and(|store| {
            cache::known_verified(t, pt.lookup, &signer, store, policy, ctx.now)
        });
        if !hit {
            t.check_jws(&signer).map_err(|e| {
                if source.is_hosts() && e.check == Check::JwtSignature {
                    e.refetchable()
                } else {
                    e
                }
            })?;
        }
        // The token verifies (and has not expired): has its issuer withdrawn it?
        if let (Some(r), Some(iss), Some(jti)) = (ctx.revoked, t.claims.iss, t.claims.jti) {
            if r.is_revoked(iss, jti) {
                return Err(err(RevokedJwt, Check::Revoked));
            }
        }
        let mut request_key = t.request_key(&signer)?;
        if !hit && ctx.tokens.is_some() {
            // The store keeps this key: decoded once here, for this verification and every hit.
            request_key = request_key.for_reuse();
        }
        let (replay, body) = self
            .verify_request(req, &request_key, policy, ctx, defer)
            .map_err(|e| {
                refetch_on_signature(e, source.is_hosts() && t.scheme == Scheme::SelfJwt)
            })?;
        // Recorded only once a request it carried verified too: a token nobody could use in a
        // signed request does not take a place in the store.
        if !hit {
            if let Some(store) = ctx.tokens.as_deref_mut() {
                cache::record(store, t, signer, &request_key, policy, ctx.now);
            }
        }
        let c = &t.claims;
        let agent = match t.scheme {
            Scheme::Jwt => c.sub,
            _ => c.iss,
        };
        let v = Verified {
            label: self.sig.label,
            identity: Identity {
                scheme: self.sig.scheme,
                agent,
                issuer: c.iss,
                subject: c.sub,
                kid: t.kid,
            },
            params: self.sig.params,
            key: request_key,
            covered: Covered(self.sig.covered),
            token: Some(t.info(signer)),
            replay,
            cache: match (self.sig.cache, pt.resolved, t.scheme, c.jti, c.exp) {
                (true, false, Scheme::Jwt | Scheme::JktJwt, Some(jti), Some(exp)) => {
                    Some(CacheGrant {
                        label: self.sig.label,
                        scheme: t.scheme,
                        assertion: t.compact,
                        jti,
                        exp,
                    })
                }
                _ => None,
            },
        };
        Ok((v, body))
    }

    /// Checks a covered `Content-Digest` against the body, verifies the Ed25519 signature over
    /// the streamed signature base with `key`, and applies [`Context::replay`] (the base is
    /// hashed as it streams, only when asked).
    ///
    /// Spec: RFC 9421 §3.2 steps 7–8, §3.3.6 (Ed25519); RFC 9530 §2 (Content-Digest); AAuth
    /// §Freshness and Replay (written only after the signature verifies).
    #[cfg_attr(not(feature = "dalek"), inline(never))]
    fn verify_request(
        &self,
        req: &Request<'_, '_>,
        key: &PublicKey,
        policy: &Policy<'_>,
        ctx: &mut Context<'_>,
        defer: bool,
    ) -> Result<(Option<ReplayKey>, BodyCheck), Error> {
        let mut body = BodyCheck {
            digest: false,
            // With the body unread, phase 1 judged it by its framing only; the body itself must
            // then be empty (an HTTP/2 request can carry DATA without a `Content-Length`).
            uncovered: defer && policy.require_content_digest_with_body && !self.sig.digest_covered,
        };
        // The field is read now, so a malformed one is refused before the signature; the body
        // is compared after it, in both paths, so that a request refused with its body in hand
        // and one refused before its body is read get the same answer (found by fuzzing).
        let mut pending = None;
        if self.sig.digest_covered {
            let d = digest::Expected::read(req)?;
            if defer {
                body.digest = true;
            } else {
                pending = Some(d);
            }
        }
        let sig = self.sig.signature?;
        let mut hasher = match ctx.replay {
            Replay::Off => None,
            _ => Some(ReplayHasher::new(key.x())),
        };
        let verified = match &mut hasher {
            None => key.verify_stream(&sig, |s| self.write_base(req, s)),
            Some(h) => key.verify_stream(&sig, |s| self.write_base(req, &mut Tee(s, h))),
        };
        match verified {
            Ok(r) => r?,
            Err(Refusal::Signature) => return Err(err(InvalidSignature, Check::SignatureInvalid)),
            Err(r) => return Err(key::key_refusal(r)),
        }
        if let Some(d) = pending {
            let Some(b) = req.body else {
                return Err(err(InvalidSignature, Check::BodyMissing));
            };
            digest::check(d, b)?;
        }
        let Some(h) = hasher else {
            return Ok((None, body));
        };
        let rk = h.finish(&self.sig.params, policy, ctx.now);
        if let Replay::Store(store) = &mut ctx.replay {
            if !store.check_and_record(&rk, ctx.now) {
                return Err(err(InvalidSignature, Check::Replayed));
            }
        }
        Ok((Some(rk), body))
    }

    /// Writes the signature base (RFC 9421 §2.5) into `out`.
    ///
    /// Spec: RFC 9421 §2.5 (one line per component, then `"@signature-params"`, no final LF).
    // Out of line: its locals are not on the stack during the Ed25519 arithmetic.
    #[cfg_attr(not(feature = "dalek"), inline(never))]
    pub fn write_base(&self, req: &Request<'_, '_>, out: &mut impl Sink) -> Result<(), Error> {
        for (item, t) in self.sig.covered.items().zip(self.sig.field_types) {
            let c = Component::parse(&item)?;
            c.write_identifier(out);
            out.write(b": ");
            c.write_value(req, crate::component::FieldType::from_u8(t), out)?;
            out.write(b"\n");
        }
        out.write(b"\"@signature-params\": ");
        // The text as received when a one-pass scan proves it canonical (what signers send);
        // else the canonical serialization.
        match self.sig.covered.quick_canonical_raw() {
            Some(raw) => out.write(raw),
            None => sf::serialize_inner_list(&self.sig.covered, out),
        }
        Ok(())
    }

    /// Copies the signature base into `buf` (for logging and debugging).
    ///
    /// Spec: RFC 9421 §2.5.
    pub fn base_into<'b>(
        &self,
        req: &Request<'_, '_>,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], Error> {
        let mut sink = SliceSink::new(buf);
        self.write_base(req, &mut sink)?;
        sink.finish()
            .ok_or(err(InvalidRequest, Check::BaseTooLarge))
    }
}

/// A request whose signature verified before its body was read
/// ([`Parsed::finish_before_body`]): [`Deferred::complete`] checks the body and yields the
/// [`Verified`] request. Nothing verified is readable before that.
///
/// Spec: RFC 9421 §3.2; RFC 9530 §2.
#[derive(Debug)]
#[must_use = "the body is not checked until `complete` is called"]
pub struct Deferred<'s> {
    verified: Verified<'s>,
    body: BodyCheck,
}

impl<'s> Deferred<'s> {
    /// Whether the body must be read: `content-digest` is covered. When `false`,
    /// [`Deferred::complete`] does not hash the body and the host need not read it for
    /// verification, unless [`Deferred::body_must_be_empty`].
    pub fn needs_body(&self) -> bool {
        self.body.digest
    }

    /// Whether a body would be refused: the policy requires `content-digest` for a body, the
    /// signature does not cover it, and the framing announced none (see
    /// [`BodyCheck::body_must_be_empty`]).
    ///
    /// Spec: RFC 9530 §2; RFC 9113 §8.1.1.
    pub fn body_must_be_empty(&self) -> bool {
        self.body.uncovered
    }

    /// Checks the body (the whole of it; an empty body is `b""`, never "absent") against a
    /// covered `Content-Digest`. Under [`Policy::require_content_digest_with_body`], a body the
    /// signature does not cover must be empty (`invalid_input`, as in phase 1): phase 1 saw only
    /// the framing, and a request can carry a body its framing did not announce.
    ///
    /// [`Policy::require_content_digest_with_body`]: crate::Policy::require_content_digest_with_body
    ///
    /// Spec: RFC 9530 §2; RFC 9113 §8.1.1 (an HTTP/2 body needs no `content-length`).
    pub fn complete(self, req: &Request<'_, '_>, body: &[u8]) -> Result<Verified<'s>, Error> {
        self.body.complete(req, body)?;
        Ok(self.verified)
    }

    /// The verified request and the body check still owed, apart: for hosts that must keep the
    /// state of a request across an asynchronous body read and cannot hold the borrow. The
    /// host must not act on the request before [`BodyCheck::complete`] (or
    /// [`BodyCheck::stream`] and [`BodyStream::finish`]) succeeds.
    pub fn into_parts(self) -> (Verified<'s>, BodyCheck) {
        (self.verified, self.body)
    }
}

/// What is left of a verification once the signature verified over the headers: the
/// `Content-Digest` check against the body. Owns no borrow.
///
/// Spec: RFC 9530 §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the body is not checked until `complete` is called"]
pub struct BodyCheck {
    digest: bool,
    uncovered: bool,
}

impl BodyCheck {
    /// Whether the body must be read (`content-digest` is covered).
    pub fn needs_body(&self) -> bool {
        self.digest
    }

    /// Whether the body must be empty: the policy requires `content-digest` for a body and the
    /// signature does not cover it (see [`Deferred::complete`]). A host that may receive a body
    /// its framing did not announce feeds what it reads to [`BodyCheck::complete`] (or a
    /// [`BodyStream`]), which refuses any byte.
    ///
    /// Spec: RFC 9530 §2; RFC 9113 §8.1.1.
    pub fn body_must_be_empty(&self) -> bool {
        self.uncovered
    }

    /// Checks the whole `body` (see [`Deferred::complete`]). `req` supplies the
    /// `Content-Digest` lines; its `body` member is not read.
    pub fn complete(self, req: &Request<'_, '_>, body: &[u8]) -> Result<(), Error> {
        let mut s = self.stream(req)?;
        s.update(body);
        s.finish()
    }

    /// Starts a body check fed piece by piece (a body in several buffers, or in a file).
    pub fn stream(self, req: &Request<'_, '_>) -> Result<BodyStream, Error> {
        Ok(BodyStream {
            digest: if self.digest {
                Some(digest::BodyDigest::new(req)?)
            } else {
                None
            },
            uncovered: self.uncovered,
            seen: false,
        })
    }
}

/// A [`BodyCheck`] in progress: [`BodyStream::update`] with each piece of the body, then
/// [`BodyStream::finish`].
///
/// Spec: RFC 9530 §2.
#[derive(Clone, Debug)]
#[must_use = "the body is not checked until `finish` is called"]
pub struct BodyStream {
    digest: Option<digest::BodyDigest>,
    uncovered: bool,
    seen: bool,
}

impl BodyStream {
    /// Feeds the next piece of the body (a no-op when no digest is covered).
    pub fn update(&mut self, piece: &[u8]) {
        if let Some(d) = &mut self.digest {
            d.update(piece);
        }
        self.seen |= !piece.is_empty();
    }

    /// Compares the digests (`invalid_signature` for a mismatch); a body that had to be empty
    /// ([`BodyCheck::body_must_be_empty`]) and was not is `invalid_input`.
    pub fn finish(self) -> Result<(), Error> {
        if self.uncovered && self.seen {
            return Err(err(InvalidInput, Check::BodyNotCovered));
        }
        match self.digest {
            Some(d) => d.finish(),
            None => Ok(()),
        }
    }
}

/// Both phases in one call, when the host already holds the key material the plan will name
/// (the request's own key, a trust store, documents fetched earlier): [`parse`] then
/// [`Parsed::finish`].
///
/// [`parse`]: crate::parse
///
/// Spec: RFC 9421 §3.2.
pub fn verify_request<'s>(
    req: &Request<'_, 's>,
    policy: &Policy<'_>,
    ctx: &mut Context<'_>,
    scratch: Option<&'s mut crate::JwtScratch>,
    source: KeySource<'_>,
) -> Result<Verified<'s>, Error> {
    let parsed = crate::parse(req, policy, ctx, scratch)?;
    parsed.finish(req, policy, source, ctx)
}

/// Writes to a signature verification and a replay hash at once.
struct Tee<'a, 'b, S: Sink>(&'a mut S, &'b mut ReplayHasher);

impl<S: Sink> Sink for Tee<'_, '_, S> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.update(bytes);
    }
}

/// Marks a request-signature failure as curable by a refetch when the key came from the host.
fn refetch_on_signature(e: Error, from_host: bool) -> Error {
    if from_host && e.check == Check::SignatureInvalid {
        e.refetchable()
    } else {
        e
    }
}
