//! The C-visible types: result codes, slices, the request view, the policy, the key
//! requirement, the verified identity and the caller-owned verifier state.

use core::ffi::c_char;

use core_verify::{ErrorCode, Scheme};

/// The result of every fallible function.
///
/// The numbers are stable and never change once published:
///
/// * `AAUTH_RESULT_OK` (0): success.
/// * 1–12: the request failed verification; the number is the core `ErrorCode` and
///   `aauth_result_token` gives the `Signature-Error` token (`invalid_request` …
///   `issuer_mismatch`). Send these to the client with `aauth_signature_error`.
/// * 1000 and up: the call itself was wrong (a NULL pointer, a buffer too small, a state
///   used out of order) or a Rust panic was caught. These are bugs in the caller or in this
///   library, not verdicts about the request.
///
/// Values read back from C are `uint32_t`; functions that take a result accept any value and
/// treat unknown ones as `AAUTH_RESULT_INVALID_PARAMETER`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_result {
    /// Success.
    Ok = 0,
    /// `invalid_request`: a signature header is missing or malformed, or a covered component
    /// cannot be produced.
    InvalidRequest = 1,
    /// `invalid_input`: a required component is not covered.
    InvalidInput = 2,
    /// `invalid_signature`: the signature does not verify, is too old, or has expired.
    InvalidSignature = 3,
    /// `clock_skew`: `created` lies in the future beyond the window.
    ClockSkew = 4,
    /// `unsupported_scheme`: the `Signature-Key` scheme is unknown or not allowed.
    UnsupportedScheme = 5,
    /// `unsupported_algorithm`: the key's algorithm is not Ed25519.
    UnsupportedAlgorithm = 6,
    /// `invalid_key`: the key material is malformed or forbidden.
    InvalidKey = 7,
    /// `unknown_key`: no key with the named `kid`, or no key was supplied.
    UnknownKey = 8,
    /// `invalid_jwt`: a key-carrying JWT is malformed or does not verify.
    InvalidJwt = 9,
    /// `expired_jwt`: a key-carrying JWT has expired.
    ExpiredJwt = 10,
    /// `issuer_missing`: the signer's metadata has no `issuer`.
    IssuerMissing = 11,
    /// `issuer_mismatch`: the signer's metadata `issuer` differs from its identifier.
    IssuerMismatch = 12,
    /// A pointer that must not be NULL was NULL.
    NullParameter = 1000,
    /// An output buffer is too small; nothing was written.
    InsufficientSize = 1001,
    /// A Rust panic was caught at the boundary (a bug in this library); nothing was written.
    Panic = 1002,
    /// An argument is out of range: an unknown enum value or scheme bit, a slice longer than
    /// `PTRDIFF_MAX`, a misaligned array, a raw key that is not 32 bytes, a required component
    /// that is not UTF-8, more than `AAUTH_MAX_REQUIRED` required components.
    InvalidParameter = 1003,
    /// An `aauth_verifier` was used before a successful `aauth_verifier_parse`, or the call
    /// does not apply to the parsed signature's scheme.
    InvalidState = 1004,
}

impl aauth_result {
    /// Every value, in numeric order. Not `pub`: cbindgen would export it as an
    /// `aauth_result_ALL` initializer macro naming enumerators the header does not define.
    pub(crate) const ALL: [aauth_result; 18] = [
        aauth_result::Ok,
        aauth_result::InvalidRequest,
        aauth_result::InvalidInput,
        aauth_result::InvalidSignature,
        aauth_result::ClockSkew,
        aauth_result::UnsupportedScheme,
        aauth_result::UnsupportedAlgorithm,
        aauth_result::InvalidKey,
        aauth_result::UnknownKey,
        aauth_result::InvalidJwt,
        aauth_result::ExpiredJwt,
        aauth_result::IssuerMissing,
        aauth_result::IssuerMismatch,
        aauth_result::NullParameter,
        aauth_result::InsufficientSize,
        aauth_result::Panic,
        aauth_result::InvalidParameter,
        aauth_result::InvalidState,
    ];

    /// The value numbered `n`, or `None`.
    pub fn from_u32(n: u32) -> Option<aauth_result> {
        aauth_result::ALL.into_iter().find(|r| *r as u32 == n)
    }

    /// The core error code this result stands for (1–12), if any.
    pub fn error_code(self) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| *c as u32 == self as u32)
    }

    /// A short, stable, NUL-terminated name for every value.
    pub(crate) fn name(self) -> &'static core::ffi::CStr {
        match self {
            aauth_result::Ok => c"ok",
            aauth_result::InvalidRequest => c"invalid_request",
            aauth_result::InvalidInput => c"invalid_input",
            aauth_result::InvalidSignature => c"invalid_signature",
            aauth_result::ClockSkew => c"clock_skew",
            aauth_result::UnsupportedScheme => c"unsupported_scheme",
            aauth_result::UnsupportedAlgorithm => c"unsupported_algorithm",
            aauth_result::InvalidKey => c"invalid_key",
            aauth_result::UnknownKey => c"unknown_key",
            aauth_result::InvalidJwt => c"invalid_jwt",
            aauth_result::ExpiredJwt => c"expired_jwt",
            aauth_result::IssuerMissing => c"issuer_missing",
            aauth_result::IssuerMismatch => c"issuer_mismatch",
            aauth_result::NullParameter => c"null_parameter",
            aauth_result::InsufficientSize => c"insufficient_size",
            aauth_result::Panic => c"panic",
            aauth_result::InvalidParameter => c"invalid_parameter",
            aauth_result::InvalidState => c"invalid_state",
        }
    }

    pub(crate) fn name_ptr(self) -> *const c_char {
        self.name().as_ptr().cast()
    }
}

impl From<ErrorCode> for aauth_result {
    fn from(code: ErrorCode) -> aauth_result {
        match code {
            ErrorCode::InvalidRequest => aauth_result::InvalidRequest,
            ErrorCode::InvalidInput => aauth_result::InvalidInput,
            ErrorCode::InvalidSignature => aauth_result::InvalidSignature,
            ErrorCode::ClockSkew => aauth_result::ClockSkew,
            ErrorCode::UnsupportedScheme => aauth_result::UnsupportedScheme,
            ErrorCode::UnsupportedAlgorithm => aauth_result::UnsupportedAlgorithm,
            ErrorCode::InvalidKey => aauth_result::InvalidKey,
            ErrorCode::UnknownKey => aauth_result::UnknownKey,
            ErrorCode::InvalidJwt => aauth_result::InvalidJwt,
            ErrorCode::ExpiredJwt => aauth_result::ExpiredJwt,
            ErrorCode::IssuerMissing => aauth_result::IssuerMissing,
            ErrorCode::IssuerMismatch => aauth_result::IssuerMismatch,
        }
    }
}

/// A `Signature-Key` scheme, as reported in `aauth_key_requirement` and `aauth_identity`.
/// The numbers equal the core's `Scheme` numbers and never change.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_scheme {
    /// No `Signature-Key` header (plain RFC 9421): the caller supplies the key.
    None = 0,
    /// `hwk`: the key is inline in the header.
    Hwk = 1,
    /// `jwks_uri`: `{id}/.well-known/{dwk}` names a `jwks_uri` holding key `kid`.
    JwksUri = 2,
    /// `jwks` (draft -08): `url` is a JWKS holding key `kid`.
    Jwks = 3,
    /// Legacy `jwks` (January 2026): `jwks="<url>"` (reported in `url`) or `id` (+ optional
    /// `well-known`, reported in `dwk`), and `kid`.
    LegacyJwks = 4,
    /// `jwt`: a JWT whose `cnf.jwk` signs the request (AAuth agent tokens).
    Jwt = 5,
    /// `jkt-jwt`: a self-contained JWT naming its key by thumbprint.
    JktJwt = 6,
    /// `self-jwt`: a JWT whose issuer key signs both the token and the request.
    SelfJwt = 7,
}

impl From<Option<Scheme>> for aauth_scheme {
    fn from(s: Option<Scheme>) -> aauth_scheme {
        match s {
            None => aauth_scheme::None,
            Some(Scheme::Hwk) => aauth_scheme::Hwk,
            Some(Scheme::JwksUri) => aauth_scheme::JwksUri,
            Some(Scheme::Jwks) => aauth_scheme::Jwks,
            Some(Scheme::LegacyJwks) => aauth_scheme::LegacyJwks,
            Some(Scheme::Jwt) => aauth_scheme::Jwt,
            Some(Scheme::JktJwt) => aauth_scheme::JktJwt,
            Some(Scheme::SelfJwt) => aauth_scheme::SelfJwt,
        }
    }
}

/// Bit for `hwk` in `aauth_policy.schemes` (bit `n` is the scheme numbered `n`).
pub const AAUTH_SCHEMES_HWK: u32 = 1 << 1;
/// Bit for `jwks_uri` in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_JWKS_URI: u32 = 1 << 2;
/// Bit for `jwks` (draft -08, `url`) in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_JWKS: u32 = 1 << 3;
/// Bit for legacy `jwks` (January 2026) in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_LEGACY_JWKS: u32 = 1 << 4;
/// Bit for `jwt` in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_JWT: u32 = 1 << 5;
/// Bit for `jkt-jwt` in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_JKT_JWT: u32 = 1 << 6;
/// Bit for `self-jwt` in `aauth_policy.schemes`.
pub const AAUTH_SCHEMES_SELF_JWT: u32 = 1 << 7;
/// Every scheme bit.
pub const AAUTH_SCHEMES_ALL: u32 = 0xfe;

const _: () = {
    assert!(AAUTH_SCHEMES_ALL == core_verify::Schemes::ALL.bits());
    assert!(AAUTH_SCHEMES_HWK == core_verify::Schemes::NONE.with(Scheme::Hwk).bits());
    assert!(AAUTH_SCHEMES_SELF_JWT == core_verify::Schemes::NONE.with(Scheme::SelfJwt).bits());
};

/// Profile for `aauth_policy_default`: strict draft -08 / AAuth (keys need `alg`, SF syntax
/// only, `created` required, AAuth required components, 60 s window, every scheme).
pub const AAUTH_PROFILE_STRICT: u32 = 0;
/// Profile for `aauth_policy_default`: `AAUTH_PROFILE_STRICT` plus every compatibility
/// switch (what aauth 0.1.x–0.3.x and the February 2026 demo send).
pub const AAUTH_PROFILE_COMPAT: u32 = 1;

/// Most header lines an `aauth_request` may carry. A request with more fails verification
/// with `AAUTH_RESULT_INVALID_REQUEST` (the verifier converts the lines on its stack).
pub const AAUTH_MAX_HEADERS: usize = 256;

/// Most required components an `aauth_policy` may list.
pub const AAUTH_MAX_REQUIRED: usize = 32;

/// Length of `aauth_identity.thumbprint` without its NUL terminator.
pub const AAUTH_THUMBPRINT_LEN: usize = 43;

/// A borrowed byte string: `len` bytes at `data`, no NUL terminator needed.
///
/// Ownership: always the caller's (inputs) or the request's (outputs); this library never
/// frees or keeps a slice beyond the lifetime documented on each function. Where a slice is
/// optional, `data == NULL` (with `len == 0`) means "absent"; elsewhere `{NULL, 0}` is the
/// empty string. `data == NULL` with `len > 0` is `AAUTH_RESULT_NULL_PARAMETER`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_slice {
    /// The first byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl aauth_slice {
    /// The absent / empty slice `{NULL, 0}`.
    pub(crate) const NULL: aauth_slice = aauth_slice {
        data: core::ptr::null(),
        len: 0,
    };

    pub(crate) fn of(b: &[u8]) -> aauth_slice {
        aauth_slice {
            data: b.as_ptr(),
            len: b.len(),
        }
    }
}

/// How an `aauth_text` is encoded.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_escapes {
    /// The bytes are the value.
    None = 0,
    /// The bytes contain Structured Field string escapes (`\"`, `\\`): a `Signature-Key` or
    /// `Signature-Input` parameter.
    Sf = 1,
    /// The bytes contain JSON string escapes (`\/`, `\u0041`, …): a JWT claim or header.
    Json = 2,
}

/// A borrowed text value: the bytes as they appear in their source (a header parameter or a
/// decoded JWT), and how they are escaped.
///
/// When `escapes` is `AAUTH_ESCAPES_NONE`, `data`/`len` is the value itself; otherwise copy
/// the value out with `aauth_text_unescape`. `data == NULL` means the value is absent.
///
/// Lifetime: texts from header parameters point into the caller's request memory. Texts from
/// a JWT (token schemes: `aauth_key_requirement.iss`, `.dwk`, `.kid`; `aauth_identity.kid`,
/// `.issuer`, `.subject`, `.token_type`) point into the `aauth_verifier` that produced them:
/// valid until that verifier is parsed again, re-initialised, moved or goes out of scope.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_text {
    /// The raw bytes (NULL when absent).
    pub data: *const u8,
    /// The number of raw bytes.
    pub len: usize,
    /// How the raw bytes are escaped.
    pub escapes: aauth_escapes,
}

impl aauth_text {
    /// The absent value.
    pub(crate) const ABSENT: aauth_text = aauth_text {
        data: core::ptr::null(),
        len: 0,
        escapes: aauth_escapes::None,
    };

    pub(crate) fn of(t: Option<core_verify::Text<'_>>) -> aauth_text {
        match t {
            None => aauth_text::ABSENT,
            Some(t) => aauth_text {
                data: t.raw().as_ptr(),
                len: t.raw().len(),
                escapes: if t.has_escapes() {
                    aauth_escapes::Sf
                } else {
                    aauth_escapes::None
                },
            },
        }
    }

    pub(crate) fn of_json(t: Option<core_verify::json::JsonStr<'_>>) -> aauth_text {
        match t {
            None => aauth_text::ABSENT,
            Some(t) => aauth_text {
                data: t.raw().as_ptr(),
                len: t.raw().len(),
                escapes: if t.has_escapes() {
                    aauth_escapes::Json
                } else {
                    aauth_escapes::None
                },
            },
        }
    }
}

/// One header line as received: a name (any case) and a value (surrounding whitespace is
/// allowed). Repeated names are allowed and kept in order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_header {
    /// The field name.
    pub name: aauth_slice,
    /// The field value of this line.
    pub value: aauth_slice,
}

/// A borrowed view of the HTTP request to verify. Nothing is copied.
///
/// * `method`, `scheme`: as sent (`GET`, `https`); not normalised.
/// * `authority`: the receiving service's **canonical** authority (`resource.example`,
///   `host:8443`), never taken blindly from `Host`.
/// * `path`: the raw absolute path without the query (empty means `/`).
/// * `query`: the query without its leading `?`; `data == NULL` when the target has no `?`.
/// * `headers`/`headers_len`: every header line in order (at most `AAUTH_MAX_HEADERS`);
///   `headers` may be NULL only when `headers_len` is 0.
/// * `body`: the body when the caller has it (to check a covered `Content-Digest`);
///   `data == NULL` when absent.
///
/// Lifetime: the bytes and the header array must stay valid and unchanged for as long as
/// results that point into them are used (identities, requirements) and, for the two-phase
/// API, from `aauth_verifier_parse` until the last call on that verifier.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_request {
    /// `@method`.
    pub method: aauth_slice,
    /// `@scheme`.
    pub scheme: aauth_slice,
    /// `@authority` (canonical).
    pub authority: aauth_slice,
    /// `@path`.
    pub path: aauth_slice,
    /// `@query` without `?`; `data == NULL` = no query.
    pub query: aauth_slice,
    /// The header lines.
    pub headers: *const aauth_header,
    /// The number of header lines.
    pub headers_len: usize,
    /// The body; `data == NULL` = not supplied.
    pub body: aauth_slice,
}

/// Compatibility switches for older peers. All false is the strict draft -08 profile.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_compat {
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

/// Bounds on hostile input; exceeding one fails with `AAUTH_RESULT_INVALID_REQUEST`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_limits {
    /// Maximum total bytes of all lines of each signature header (default 16384).
    pub max_header_bytes: usize,
    /// Maximum number of covered components (default 32).
    pub max_components: usize,
    /// Maximum number of `Signature-Input` parameters (default 16).
    pub max_params: usize,
}

/// How a request must be signed to be accepted. Start from `aauth_policy_default` and change
/// members; every policy option of the core is here.
///
/// Lifetime: the one-shot and rendering calls read the policy during the call only. A verifier
/// keeps a copy of this struct from `aauth_verifier_parse` on, so the lists and bytes it points
/// to (`required`, `jwt_types`, `label`) must then stay valid and unchanged until the last call
/// on that verifier (static lists, like the defaults, always are).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_policy {
    /// Freshness window in seconds: `now - window <= created <= now + window`.
    pub window: u64,
    /// Components that must be covered (identifiers without parameters, UTF-8, e.g.
    /// `@method`), at most `AAUTH_MAX_REQUIRED`. May be NULL when `required_len` is 0.
    /// The default points to a static list: `@method @authority @path signature-key`.
    pub required: *const aauth_slice,
    /// The number of entries in `required`.
    pub required_len: usize,
    /// Also require `authorization` when the request has an `Authorization` header.
    pub require_authorization_when_present: bool,
    /// Also require `content-digest` when the request has a non-empty body.
    pub require_content_digest_with_body: bool,
    /// Require a `Signature-Key` header (false allows plain RFC 9421 with a caller key).
    pub require_signature_key: bool,
    /// Accepted `Signature-Key` schemes: an OR of `AAUTH_SCHEMES_*` bits.
    pub schemes: u32,
    /// Accepted `typ` values of `jwt` tokens (UTF-8), at most `AAUTH_MAX_REQUIRED`; an empty
    /// list means `aa-agent+jwt`. The strict default is `aa-agent+jwt`, the compat default adds
    /// `agent+jwt` (both static lists). May be NULL when `jwt_types_len` is 0.
    pub jwt_types: *const aauth_slice,
    /// The number of entries in `jwt_types`.
    pub jwt_types_len: usize,
    /// Accept the Python signer's unpadded base64url in `Signature` values.
    pub base64url_signatures: bool,
    /// Compatibility switches.
    pub compat: aauth_compat,
    /// Input bounds.
    pub limits: aauth_limits,
    /// The signature label to verify; `data == NULL` takes the only signature, or the only one
    /// bound to a `Signature-Key` member.
    pub label: aauth_slice,
}

/// What key the parsed signature needs, reported by `aauth_verifier_parse`.
///
/// | `scheme`                 | fetch                                                      | then call |
/// |--------------------------|------------------------------------------------------------|-----------|
/// | `AAUTH_SCHEME_NONE`      | nothing: your trust store (`kid` = the `keyid` parameter)  | `_finish_raw_key`, `_finish_jwk`, `_finish_jwks` |
/// | `AAUTH_SCHEME_HWK`       | nothing (`inline_key`)                                     | `_finish_inline` |
/// | `AAUTH_SCHEME_JWKS_URI`  | `{id}/.well-known/{dwk}`, check it, then its `jwks_uri`    | `_check_metadata`, `_finish_jwks` |
/// | `AAUTH_SCHEME_JWKS`      | `url` (a JWKS)                                             | `_finish_jwks` |
/// | `AAUTH_SCHEME_LEGACY_JWKS` | `url`; or with `id`: `{id}/.well-known/{dwk or aauth-agent}` then its `jwks_uri` | as above |
/// | `AAUTH_SCHEME_JWT`, `_SELF_JWT` | `{iss}/.well-known/{dwk}`, check it, then its `jwks_uri` (issuer keys, select `kid`) | `_check_metadata`, `_finish_jwks` (or `_finish_raw_key`/`_finish_jwk` with the issuer key) |
/// | `AAUTH_SCHEME_JKT_JWT`   | nothing (the token carries its key)                        | `_finish_inline` |
///
/// Lifetime: see `aauth_text` (header parameters point into the request, token values into the
/// verifier).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_key_requirement {
    /// The scheme of the `Signature-Key` member bound to the signature.
    pub scheme: aauth_scheme,
    /// Whether `aauth_verifier_finish_jwks` needs the signer's metadata document (or a prior
    /// successful `aauth_verifier_check_metadata`): `jwks_uri`, and legacy `jwks` with `id`.
    pub needs_metadata: bool,
    /// The signer identifier (`id`), an HTTPS origin.
    pub id: aauth_text,
    /// The well-known document name (`dwk`; legacy `well-known`).
    pub dwk: aauth_text,
    /// The key id within the JWKS (`kid`), or the `keyid` signature parameter for
    /// `AAUTH_SCHEME_NONE`.
    pub kid: aauth_text,
    /// The JWKS URL (`url`; legacy `jwks`).
    pub url: aauth_text,
    /// The compact JWT (token schemes).
    pub jwt: aauth_text,
    /// The token issuer (`iss`, token schemes; not yet verified: use it only to fetch
    /// `{iss}/.well-known/{dwk}`). For token schemes `dwk` is the token's `dwk` claim and `kid`
    /// its header `kid` (the issuer key to select).
    pub iss: aauth_text,
    /// Whether `inline_key` holds the `hwk` key.
    pub has_inline_key: bool,
    /// The inline Ed25519 public key (`hwk`), validated as a curve point.
    pub inline_key: [u8; 32],
}

/// The verified identity, written on success.
///
/// Lifetime: the slices and texts point into the request memory, token values into the
/// verifier (see `aauth_text`); the arrays are copies.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_identity {
    /// The `Signature-Key` scheme (`AAUTH_SCHEME_NONE`: key supplied by the caller).
    pub scheme: aauth_scheme,
    /// The label of the verified signature.
    pub label: aauth_slice,
    /// The key id: `kid` for the JWKS schemes, the token header `kid` (the issuer key) for
    /// token schemes, else the `keyid` parameter when sent.
    pub kid: aauth_text,
    /// The signer (agent) identifier named by `Signature-Key`: `id` (`jwks_uri`, legacy
    /// `jwks` with `id`), `url` (`jwks`) or the legacy `jwks` URL. Absent for `hwk` (the key
    /// itself, see `thumbprint`, is the identity) and for caller-supplied keys.
    pub signer: aauth_text,
    /// The verified token's issuer (`iss`), token schemes only.
    pub issuer: aauth_text,
    /// The verified token's subject (`sub`: the agent identifier), token schemes only.
    pub subject: aauth_text,
    /// The verified token's `typ` (e.g. `aa-agent+jwt`), token schemes only.
    pub token_type: aauth_text,
    /// The `nonce` signature parameter.
    pub nonce: aauth_text,
    /// The `tag` signature parameter.
    pub tag: aauth_text,
    /// Whether `created` is set.
    pub has_created: bool,
    /// `created`, seconds since the epoch.
    pub created: i64,
    /// Whether `expires` is set.
    pub has_expires: bool,
    /// `expires`, seconds since the epoch.
    pub expires: i64,
    /// The Ed25519 public key that verified the request (for token schemes: `cnf.jwk`, or the
    /// issuer key for `self-jwt`).
    pub public_key: [u8; 32],
    /// For token schemes: the key that verified the token (issuer key, or the `jkt-jwt`
    /// header key). Zero otherwise.
    pub token_key: [u8; 32],
    /// The RFC 7638 SHA-256 thumbprint of `public_key`, unpadded base64url, NUL-terminated
    /// (43 characters).
    pub thumbprint: [c_char; 44],
}

/// Size in bytes of `aauth_verifier`.
pub const AAUTH_VERIFIER_SIZE: usize = 8192;

/// Caller-owned storage for one verification (parse, fetch keys, finish; or a one-shot call).
/// Sized and aligned here so that C needs no allocation: keep one per in-flight request (in a
/// connection or request object, or on the stack: 8 KiB). The contents are private.
///
/// * Zero it (`aauth_verifier v = {0};`) or call `aauth_verifier_init` before first use.
/// * It keeps pointers to the request and policy passed to `aauth_verifier_parse`, and space
///   for a decoded JWT. It owns nothing and needs no cleanup.
/// * It may be moved (`memcpy`) between calls; token texts handed out before the move then
///   point into the old copy (see `aauth_text`).
/// * One thread at a time; it may move between threads between calls.
#[repr(C)]
pub struct aauth_verifier {
    _opaque: [u64; 1024],
}

/// Size in bytes of `aauth_token_cache`.
pub const AAUTH_TOKEN_CACHE_SIZE: usize = 9216;

/// How many tokens an `aauth_token_cache` holds.
pub const AAUTH_TOKEN_CACHE_ENTRIES: usize = 32;

/// Caller-owned storage for a verified-token cache (the core's `TokenCache`, 32 tokens,
/// 9 KiB, no allocation): attached to a verifier with `aauth_verifier_set_token_cache`, it
/// makes a repeated agent token (`jwt`, `jkt-jwt`, `self-jwt`) cost one Ed25519 verification
/// instead of two, and its JSON is not parsed again. A record ends at the token's `exp` and is
/// used only when the issuer key the caller supplies is the one the token verified with; the
/// token's offline checks and the request signature run on every request.
///
/// * Call `aauth_token_cache_init` before first use (zeroed memory is not a cache).
/// * Not synchronized: one cache per thread (an nginx worker, an event loop), or the caller's
///   lock around every call on a verifier it is attached to.
/// * It holds no secrets and no pointers; it may be moved between calls while detached.
#[repr(C)]
pub struct aauth_token_cache {
    _opaque: [u64; 1152],
}
