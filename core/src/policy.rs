//! Verification policy: which components must be covered, the freshness window, which
//! `Signature-Key` schemes are accepted, and the compatibility switches for older peers.
//!
//! Spec: AAuth §HTTP Message Signatures Profile (required components, window);
//! draft-hardt-httpbis-signature-key-09 §7 (scheme allowlists, `alg` rules).

use crate::jwk::KeyRules;

/// A `Signature-Key` scheme.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.8; legacy `jwks` from the January 2026
/// AAuth text §10.7.
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
}

impl Scheme {
    /// Every scheme, in numeric order.
    pub const ALL: [Scheme; 7] = [
        Scheme::Hwk,
        Scheme::JwksUri,
        Scheme::Jwks,
        Scheme::LegacyJwks,
        Scheme::Jwt,
        Scheme::JktJwt,
        Scheme::SelfJwt,
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
        }
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
}

/// A set of schemes (a small bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schemes(u32);

impl Schemes {
    /// No scheme.
    pub const NONE: Schemes = Schemes(0);
    /// Every scheme this crate verifies.
    pub const ALL: Schemes = Schemes::NONE
        .with(Scheme::Hwk)
        .with(Scheme::JwksUri)
        .with(Scheme::Jwks)
        .with(Scheme::LegacyJwks)
        .with(Scheme::Jwt)
        .with(Scheme::JktJwt)
        .with(Scheme::SelfJwt);
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
        Schemes(bits & Schemes::ALL.0)
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

/// The AAuth default set of required components.
///
/// Spec: AAuth §HTTP Message Signatures Profile (covered components).
pub const AAUTH_REQUIRED: &[&str] = &["@method", "@authority", "@path", "signature-key"];

/// How a request must be signed to be accepted.
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
    /// Accepted `typ` values of `jwt` tokens (empty means [`crate::jwt::AGENT_TYPES`]).
    pub jwt_types: &'p [&'p str],
    /// Accept the Python signer's unpadded base64url in `Signature` values.
    pub base64url_signatures: bool,
    /// Compatibility switches.
    pub compat: Compat,
    /// Input bounds.
    pub limits: Limits,
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
        jwt_types: crate::jwt::AGENT_TYPES,
        base64url_signatures: true,
        compat: Compat::STRICT,
        limits: Limits::DEFAULT,
    };
    /// [`Policy::STRICT`] plus every compatibility switch.
    pub const COMPAT: Policy<'static> = Policy {
        compat: Compat::ALL,
        jwt_types: crate::jwt::AGENT_TYPES_COMPAT,
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
    pub fn key_rules(&self) -> KeyRules {
        KeyRules {
            require_alg: !self.compat.alg_less_keys,
            allow_eddsa: self.compat.eddsa,
        }
    }
}
