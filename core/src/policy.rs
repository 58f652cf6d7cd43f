//! Verification policy: which components must be covered, the freshness window, which
//! `Signature-Key` schemes are accepted, and the compatibility switches for older peers.
//!
//! Spec: AAuth §HTTP Message Signatures Profile (required components, window);
//! draft-hardt-httpbis-signature-key-09 §7 (scheme allowlists, `alg` rules).

/// A `Signature-Key` scheme.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.9, §3.11; legacy `jwks` from the January
/// 2026 AAuth text §10.7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Scheme {
    /// `hwk`: the key is inline in the header.
    Hwk = 1,
    /// `jwks_uri`: `{id}/.well-known/{dwk}` names a `jwks_uri` holding key `kid`.
    JwksUri = 2,
    /// `jwks` (draft -08): `url` is a JWKS holding key `kid`.
    Jwks = 3,
    /// Legacy `jwks` (Jan 2026): `jwks="<url>"` or `id` (+ `well-known`), and `kid`.
    LegacyJwks = 4,
    /// `jwt`: a JWT whose `cnf.jwk` signs the request (AAuth agent tokens).
    Jwt = 5,
    /// `jkt-jwt`: a self-contained JWT naming its key by thumbprint.
    JktJwt = 6,
    /// `self-jwt`: a JWT whose issuer key signs both the token and the request.
    SelfJwt = 7,
    /// `cached`: a reference (`cid`) to a `jwt`/`jkt-jwt` assertion this verifier cached.
    Cached = 8,
}

impl Scheme {
    /// Every scheme, in numeric order.
    pub const ALL: [Scheme; 8] = [
        Scheme::Hwk,
        Scheme::JwksUri,
        Scheme::Jwks,
        Scheme::LegacyJwks,
        Scheme::Jwt,
        Scheme::JktJwt,
        Scheme::SelfJwt,
        Scheme::Cached,
    ];

    /// The scheme's token as it appears on the wire (legacy `jwks` shares `jwks`).
    pub const fn token(self) -> &'static str {
        match self {
            Scheme::Hwk => "hwk",
            Scheme::JwksUri => "jwks_uri",
            Scheme::Jwks | Scheme::LegacyJwks => "jwks",
            Scheme::Jwt => "jwt",
            Scheme::JktJwt => "jkt-jwt",
            Scheme::SelfJwt => "self-jwt",
            Scheme::Cached => "cached",
        }
    }

    /// Whether the scheme carries a JWT (`jwt`, `jkt-jwt`, `self-jwt`; `cached` refers to one).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.5, §3.8, §3.9, §3.11.
    pub const fn is_token(self) -> bool {
        matches!(
            self,
            Scheme::Jwt | Scheme::JktJwt | Scheme::SelfJwt | Scheme::Cached
        )
    }

    /// Whether the request carries its own key with no third party vouching for it (`hwk`,
    /// `jkt-jwt`): pseudonymous, and never a key from a trust store.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.3, §8.1 (pseudonymity).
    pub const fn is_self_asserted(self) -> bool {
        matches!(self, Scheme::Hwk | Scheme::JktJwt)
    }

    /// Whether this build of the crate verifies the scheme. Every scheme is built by default;
    /// an embedded build leaves scheme families out with Cargo features (`jwks`: `jwks` and
    /// legacy `jwks`; `tokens`: `jwt`, `jkt-jwt`, `self-jwt`; `cached`: `cached`); `hwk` and
    /// `jwks_uri` are always built. A scheme that is not built is refused as
    /// `unsupported_scheme` ([`crate::Check::SchemeNotBuilt`]) whatever the policy says,
    /// exactly as if the policy did not accept it, and is not advertised by
    /// [`crate::render::accept_signature_scheme`].
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §4.1, §5.4.2.
    pub const fn is_built(self) -> bool {
        match self {
            Scheme::Jwt | Scheme::JktJwt | Scheme::SelfJwt => cfg!(feature = "tokens"),
            Scheme::Cached => cfg!(feature = "cached"),
            Scheme::Jwks | Scheme::LegacyJwks => cfg!(feature = "jwks"),
            Scheme::Hwk | Scheme::JwksUri => true,
        }
    }

    /// The scheme named by a stable name or wire token (`legacy-jwks` for legacy `jwks`).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §9.2.2.
    pub fn from_name(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A stable name that distinguishes legacy `jwks` (`legacy-jwks`).
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::LegacyJwks => "legacy-jwks",
            s => s.token(),
        }
    }

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    const fn built_bit(self) -> u32 {
        if self.is_built() {
            self.bit()
        } else {
            0
        }
    }
}

/// A set of schemes (a small bit set).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §4.1 (the accepted set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schemes(u32);

impl Schemes {
    /// No scheme.
    pub const NONE: Schemes = Schemes(0);
    /// Every scheme this crate verifies without host state: all but `cached`, which needs an
    /// assertion store (add it with [`Schemes::with`] when the host has one).
    pub const ALL: Schemes = Schemes::NONE
        .with(Scheme::Hwk)
        .with(Scheme::JwksUri)
        .with(Scheme::Jwks)
        .with(Scheme::LegacyJwks)
        .with(Scheme::Jwt)
        .with(Scheme::JktJwt)
        .with(Scheme::SelfJwt);
    /// The schemes whose key a third party vouches for (everything but `hwk`, `jkt-jwt` and
    /// `cached`): what a verifier with a trust store accepts by default.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §7.3.
    pub const VOUCHED: Schemes = Schemes::ALL.without(Scheme::Hwk).without(Scheme::JktJwt);
    /// The schemes this build verifies ([`Scheme::is_built`]): every scheme, `cached`
    /// included, unless Cargo features left some out.
    pub const BUILT: Schemes = Schemes(
        Scheme::Hwk.built_bit()
            | Scheme::JwksUri.built_bit()
            | Scheme::Jwks.built_bit()
            | Scheme::LegacyJwks.built_bit()
            | Scheme::Jwt.built_bit()
            | Scheme::JktJwt.built_bit()
            | Scheme::SelfJwt.built_bit()
            | Scheme::Cached.built_bit(),
    );
    /// What AAuth resources accept from agents (draft -06+): `jwt` only.
    pub const AAUTH_AGENT: Schemes = Schemes::NONE.with(Scheme::Jwt);

    /// This set plus `s`.
    pub const fn with(self, s: Scheme) -> Schemes {
        Schemes(self.0 | s.bit())
    }

    /// This set without `s`.
    pub const fn without(self, s: Scheme) -> Schemes {
        Schemes(self.0 & !s.bit())
    }

    /// Whether `s` is in the set.
    pub const fn contains(self, s: Scheme) -> bool {
        self.0 & s.bit() != 0
    }

    /// The raw bits (bit `n` is the scheme numbered `n`).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// A set from raw bits (unknown bits ignored).
    pub const fn from_bits(bits: u32) -> Schemes {
        Schemes(bits & Schemes::ALL.with(Scheme::Cached).0)
    }

    /// The schemes in the set, in numeric order.
    pub fn iter(self) -> impl Iterator<Item = Scheme> {
        Scheme::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

/// Switches that accept what older peers send. All `false` is the strict draft -08 profile.
///
/// Spec: PROTOCOL notes on the Dec 2025 – Apr 2026 wire forms; draft-hardt-httpbis-signature-key-08
/// §7.4 (before -08 keys had no `alg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Compat {
    /// Accept the legacy inner-list `Signature-Key: sig1=(scheme=hwk kty="OKP" …)`.
    pub legacy_signature_key: bool,
    /// Accept OKP/Ed25519 keys without `alg`.
    pub alg_less_keys: bool,
    /// Accept `alg: "EdDSA"` on keys and JWTs.
    pub eddsa: bool,
    /// Accept a signature without `created`.
    pub missing_created: bool,
    /// Accept legacy metadata `{"agent": …, "jwks_uri": …}` (no `issuer`).
    pub legacy_metadata: bool,
}

impl Compat {
    /// Everything off: strict draft -08 / AAuth -10+.
    pub const STRICT: Compat = Compat {
        legacy_signature_key: false,
        alg_less_keys: false,
        eddsa: false,
        missing_created: false,
        legacy_metadata: false,
    };
    /// Everything on: what aauth 0.1.x–0.3.x and the Feb 2026 demo send.
    pub const ALL: Compat = Compat {
        legacy_signature_key: true,
        alg_less_keys: true,
        eddsa: true,
        missing_created: true,
        legacy_metadata: true,
    };
}

/// Bounds on hostile input; exceeding one fails with `invalid_request`.
///
/// Spec: RFC 9421 §7.2.5 (signature header size); ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum total bytes of all lines of each signature header (default 16 KiB).
    pub max_header_bytes: usize,
    /// Maximum number of covered components (default 32).
    pub max_components: usize,
    /// Maximum number of `Signature-Input` parameters (default 16). This also bounds the
    /// canonical re-serialization of `@signature-params`, whose duplicate-key handling is
    /// quadratic in the parameter count.
    pub max_params: usize,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_header_bytes: 16 * 1024,
        max_components: 32,
        max_params: 16,
    };
}

/// Which `alg` values a JWK may carry.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.3 (every JWK carries a fully-specified `alg`;
/// no `EdDSA`); earlier drafts derived the algorithm from `kty`+`crv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyRules {
    /// Reject a JWK without `alg` (strict -08: `true`).
    pub require_alg: bool,
    /// Accept `alg` `EdDSA` for Ed25519 keys (compatibility: `true`).
    pub allow_eddsa: bool,
}

impl KeyRules {
    /// draft-hardt-httpbis-signature-key-08+: `alg` required, `EdDSA` refused.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.3.
    pub const STRICT: KeyRules = KeyRules {
        require_alg: true,
        allow_eddsa: false,
    };
    /// Compatibility with pre -08 peers: `alg` optional, `EdDSA` accepted.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-07 §3.4 (algorithm from `kty`/`crv`).
    pub const COMPAT: KeyRules = KeyRules {
        require_alg: false,
        allow_eddsa: true,
    };
}

impl Default for KeyRules {
    fn default() -> Self {
        KeyRules::STRICT
    }
}

/// Default `typ` values accepted for `jwt` in the strict profile: AAuth agent tokens.
///
/// Spec: AAuth §Agent Tokens (`aa-agent+jwt`).
pub const AGENT_TYPES: &[&str] = &["aa-agent+jwt"];

/// `typ` values accepted for `jwt` in the compatibility profile (adds the January 2026 name).
///
/// Spec: AAuth January 2026 text §5.2 (`agent+jwt`).
pub const AGENT_TYPES_COMPAT: &[&str] = &["aa-agent+jwt", "agent+jwt"];

/// The AAuth default set of required components.
///
/// Spec: AAuth §HTTP Message Signatures Profile (covered components).
pub const AAUTH_REQUIRED: &[&str] = &["@method", "@authority", "@path", "signature-key"];

/// How a request must be signed to be accepted.
///
/// Spec: AAuth §HTTP Message Signatures Profile; RFC 9421 §3.2 step 6 (application
/// requirements); draft-hardt-httpbis-signature-key-09 §3.3, §7.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'p> {
    /// Freshness window in seconds: `now - window <= created <= now + window`.
    pub window: u64,
    /// Components that must be covered (identifiers without parameters).
    pub required: &'p [&'p str],
    /// Also require `authorization` when the request has an `Authorization` header.
    pub require_authorization_when_present: bool,
    /// Also require `content-digest` when the request has a non-empty body.
    pub require_content_digest_with_body: bool,
    /// Require a `Signature-Key` header (`false` allows plain RFC 9421 with a caller key).
    pub require_signature_key: bool,
    /// Accepted `Signature-Key` schemes.
    pub schemes: Schemes,
    /// Accepted `typ` values of `jwt` tokens (empty means [`AGENT_TYPES`]). Only listed
    /// types pass: an auth or person token (`aa-auth+jwt`, `aa-person+jwt`) is refused where
    /// an agent token is required.
    pub jwt_types: &'p [&'p str],
    /// Accept the Python signer's unpadded base64url in `Signature` values.
    pub base64url_signatures: bool,
    /// Compatibility switches.
    pub compat: Compat,
    /// Input bounds.
    pub limits: Limits,
    /// The longest `expires − created` accepted, in seconds (`None`: no cap).
    pub max_validity: Option<u64>,
    /// A request target with a query must cover `@query`, or `@query-param` for each of its
    /// parameter names (off by default: current signers cover only the AAuth minimum).
    pub require_query: bool,
    /// The fields whose Structured Field type this verifier knows, for the `sf` component
    /// parameter (default [`crate::STRUCTURED_FIELDS`]).
    pub structured_fields: &'p [(&'p str, crate::FieldType)],
}

impl Policy<'static> {
    /// Strict AAuth / draft -08 profile: keys need `alg`, SF syntax only, `created` required,
    /// AAuth required components, 60 s window, every scheme allowed.
    pub const STRICT: Policy<'static> = Policy {
        window: 60,
        required: AAUTH_REQUIRED,
        require_authorization_when_present: true,
        require_content_digest_with_body: false,
        require_signature_key: true,
        schemes: Schemes::ALL,
        jwt_types: AGENT_TYPES,
        base64url_signatures: true,
        compat: Compat::STRICT,
        limits: Limits::DEFAULT,
        max_validity: None,
        require_query: false,
        structured_fields: crate::component::STRUCTURED_FIELDS,
    };
    /// [`Policy::STRICT`] plus every compatibility switch.
    pub const COMPAT: Policy<'static> = Policy {
        compat: Compat::ALL,
        jwt_types: AGENT_TYPES_COMPAT,
        ..Policy::STRICT
    };
}

impl Default for Policy<'static> {
    fn default() -> Self {
        Policy::STRICT
    }
}

impl Policy<'_> {
    /// The key rules that follow from the compatibility switches.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §3.3.
    pub fn key_rules(&self) -> KeyRules {
        KeyRules {
            require_alg: !self.compat.alg_less_keys,
            allow_eddsa: self.compat.eddsa,
        }
    }
}
