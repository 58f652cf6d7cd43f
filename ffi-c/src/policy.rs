//! Schemes (`aauth_scheme`, the `AAUTH_SCHEMES_*` bits), the policy (`aauth_policy`), its
//! conversion into the core's `Policy`, and `aauth_policy_default`.

use core_verify::{Compat, Limits, Policy, Scheme, Schemes};

use crate::ptr::{array, check_out, write_out};
use crate::request::{opt_slice, slice};
use crate::result::aauth_result;
use crate::text::aauth_slice;

/// A `Signature-Key` scheme, as reported in `aauth_plan` and `aauth_identity`. The numbers
/// equal the core's `Scheme` numbers and never change.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §3.4–§3.11.
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
    /// Legacy `jwks` (January 2026): `jwks="<url>"` or `id` (+ optional `well-known`), and
    /// `kid`.
    LegacyJwks = 4,
    /// `jwt`: a JWT whose `cnf.jwk` signs the request (AAuth agent tokens).
    Jwt = 5,
    /// `jkt-jwt`: a self-contained JWT naming its key by thumbprint.
    JktJwt = 6,
    /// `self-jwt`: a JWT whose issuer key signs both the token and the request.
    SelfJwt = 7,
    /// `cached`: a cache identifier (`cid`) standing for a `jwt` or `jkt-jwt` assertion this
    /// verifier's host cached (`aauth_verifier_resolve_assertion`).
    Cached = 8,
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
            Some(Scheme::Cached) => aauth_scheme::Cached,
        }
    }
}

/// The core scheme numbered `n` (1–8), or `None`.
pub(crate) fn scheme_of(n: u32) -> Option<Scheme> {
    Scheme::ALL.into_iter().find(|s| *s as u32 == n)
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
/// Bit for `cached` in `aauth_policy.schemes`. Not in `AAUTH_SCHEMES_ALL`: accept it only
/// with an assertion store (`aauth_verifier_resolve_assertion`, `aauth_verifier_issue_cid`).
pub const AAUTH_SCHEMES_CACHED: u32 = 1 << 8;
/// Every scheme a verifier checks without host state: all but `cached` (the default).
pub const AAUTH_SCHEMES_ALL: u32 = 0xfe;

/// Every bit that names a scheme.
pub(crate) const SCHEME_BITS: u32 = AAUTH_SCHEMES_ALL | AAUTH_SCHEMES_CACHED;

const _: () = {
    const fn one(s: Scheme) -> u32 {
        Schemes::NONE.with(s).bits()
    }
    assert!(AAUTH_SCHEMES_ALL == Schemes::ALL.bits());
    assert!(AAUTH_SCHEMES_HWK == one(Scheme::Hwk));
    assert!(AAUTH_SCHEMES_JWKS_URI == one(Scheme::JwksUri));
    assert!(AAUTH_SCHEMES_JWKS == one(Scheme::Jwks));
    assert!(AAUTH_SCHEMES_LEGACY_JWKS == one(Scheme::LegacyJwks));
    assert!(AAUTH_SCHEMES_JWT == one(Scheme::Jwt));
    assert!(AAUTH_SCHEMES_JKT_JWT == one(Scheme::JktJwt));
    assert!(AAUTH_SCHEMES_SELF_JWT == one(Scheme::SelfJwt));
    assert!(AAUTH_SCHEMES_CACHED == one(Scheme::Cached));
    assert!(SCHEME_BITS == Schemes::ALL.with(Scheme::Cached).bits());
};

/// Profile for `aauth_policy_default`: strict (keys need `alg`, SF syntax only, `created`
/// required, AAuth required components, 60 s window, every scheme but `cached`).
pub const AAUTH_PROFILE_STRICT: u32 = 0;
/// Profile for `aauth_policy_default`: `AAUTH_PROFILE_STRICT` plus every compatibility
/// switch (what aauth 0.1.x–0.3.x and the February 2026 demo send).
pub const AAUTH_PROFILE_COMPAT: u32 = 1;

/// Most required components (and `jwt` types) an `aauth_policy` may list.
pub const AAUTH_MAX_REQUIRED: usize = 32;

/// Compatibility switches for older peers. All false is the strict profile.
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
/// members; every policy option of the core is here, plus the label to verify, but the table
/// of Structured Field types for the `sf` component parameter, which is the core's default.
///
/// Lifetime: the one-shot and rendering calls read the policy during the call only. A verifier
/// keeps a copy of this struct from `aauth_verifier_parse` on, so the lists and bytes it points
/// to (`required`, `jwt_types`, `label`) must then stay valid and unchanged until the last call
/// on that verifier (static lists, like the defaults, always are).
///
/// Spec: AAuth §HTTP Message Signatures Profile; RFC 9421 §3.2 step 6;
/// draft-hardt-httpbis-signature-key-09 §3.3, §7.
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
    /// The longest `expires − created` accepted, in seconds; 0 = no cap (the default).
    pub max_validity: u64,
    /// A request target with a query must cover `@query`, or `@query-param` for each of its
    /// parameter names (off by default: current signers cover only the AAuth minimum).
    pub require_query: bool,
}

/// A list of strings of one policy (required components, `jwt` types), converted for the core.
pub(crate) type StrStore<'a> = [&'a str; AAUTH_MAX_REQUIRED];

/// Storage for the converted lists of one policy.
pub(crate) struct PolicyStore<'a> {
    required: StrStore<'a>,
    jwt_types: StrStore<'a>,
}

impl PolicyStore<'_> {
    pub(crate) const fn new() -> PolicyStore<'static> {
        PolicyStore {
            required: [""; AAUTH_MAX_REQUIRED],
            jwt_types: [""; AAUTH_MAX_REQUIRED],
        }
    }
}

/// Converts a C list of UTF-8 strings into `store`.
///
/// # Safety
///
/// `list` is NULL or points to `len` readable slices, each satisfying [`slice`] for `'a`.
unsafe fn str_list<'a, 's>(
    list: *const aauth_slice,
    len: usize,
    store: &'s mut StrStore<'a>,
) -> Result<&'s [&'a str], aauth_result> {
    if len > AAUTH_MAX_REQUIRED {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: our contract (at most AAUTH_MAX_REQUIRED entries, checked).
    let list = unsafe { array(list, len) }?;
    for (slot, s) in store.iter_mut().zip(list) {
        // SAFETY: covered by our contract.
        let b = unsafe { slice(*s) }?;
        *slot = core::str::from_utf8(b).map_err(|_| aauth_result::InvalidParameter)?;
    }
    store
        .get(..list.len())
        .ok_or(aauth_result::InvalidParameter)
}

/// Converts a C policy into a core policy whose lists live in `store`, and returns the label.
///
/// # Safety
///
/// `p.required`, `p.jwt_types` (with every slice in them) and `p.label` satisfy the contract
/// of [`slice`] for `'a`.
pub(crate) unsafe fn policy<'a, 's>(
    p: &aauth_policy,
    store: &'s mut PolicyStore<'a>,
) -> Result<(Policy<'s>, Option<&'a [u8]>), aauth_result>
where
    'a: 's,
{
    if p.schemes & !SCHEME_BITS != 0 {
        return Err(aauth_result::InvalidParameter);
    }
    let PolicyStore {
        required,
        jwt_types,
    } = store;
    // SAFETY: covered by our contract.
    let required = unsafe { str_list(p.required, p.required_len, required) }?;
    // SAFETY: covered by our contract.
    let jwt_types = unsafe { str_list(p.jwt_types, p.jwt_types_len, jwt_types) }?;
    // SAFETY: covered by our contract.
    let label = unsafe { opt_slice(p.label) }?;
    Ok((
        Policy {
            window: p.window,
            required,
            require_authorization_when_present: p.require_authorization_when_present,
            require_content_digest_with_body: p.require_content_digest_with_body,
            require_signature_key: p.require_signature_key,
            schemes: Schemes::from_bits(p.schemes),
            jwt_types,
            base64url_signatures: p.base64url_signatures,
            compat: Compat {
                legacy_signature_key: p.compat.legacy_signature_key,
                alg_less_keys: p.compat.alg_less_keys,
                eddsa: p.compat.eddsa,
                missing_created: p.compat.missing_created,
                legacy_metadata: p.compat.legacy_metadata,
            },
            limits: Limits {
                max_header_bytes: p.limits.max_header_bytes,
                max_components: p.limits.max_components,
                max_params: p.limits.max_params,
            },
            max_validity: (p.max_validity != 0).then_some(p.max_validity),
            require_query: p.require_query,
            // The core's table of field types for the `sf` component parameter; not
            // configurable from C (yet).
            structured_fields: core_verify::STRUCTURED_FIELDS,
        },
        label,
    ))
}

/// A static list of C slices.
struct StaticSlices<const N: usize>([aauth_slice; N]);

// SAFETY: the slices point to immutable `'static` string literals; sharing them between
// threads is sound.
unsafe impl<const N: usize> Sync for StaticSlices<N> {}

const fn lit(s: &'static str) -> aauth_slice {
    aauth_slice {
        data: s.as_ptr(),
        len: s.len(),
    }
}

/// `N` C slices over a core list of static strings.
const fn lits<const N: usize>(list: &'static [&'static str]) -> StaticSlices<N> {
    assert!(list.len() == N);
    let mut out = [aauth_slice::NULL; N];
    let mut i = 0;
    while i < N {
        out[i] = lit(list[i]);
        i += 1;
    }
    StaticSlices(out)
}

static AGENT_TYPES_SLICES: StaticSlices<1> = lits(core_verify::AGENT_TYPES);
static AGENT_TYPES_COMPAT_SLICES: StaticSlices<2> = lits(core_verify::AGENT_TYPES_COMPAT);
static AAUTH_REQUIRED_SLICES: StaticSlices<4> = lits(core_verify::AAUTH_REQUIRED);

/// The C form of a core policy preset (its lists must be the core's static defaults).
fn policy_to_c(p: &Policy<'static>) -> aauth_policy {
    debug_assert_eq!(p.required, core_verify::AAUTH_REQUIRED);
    let types: &[aauth_slice] = if p.jwt_types == core_verify::AGENT_TYPES_COMPAT {
        &AGENT_TYPES_COMPAT_SLICES.0
    } else {
        debug_assert_eq!(p.jwt_types, core_verify::AGENT_TYPES);
        &AGENT_TYPES_SLICES.0
    };
    aauth_policy {
        window: p.window,
        required: AAUTH_REQUIRED_SLICES.0.as_ptr(),
        required_len: AAUTH_REQUIRED_SLICES.0.len(),
        require_authorization_when_present: p.require_authorization_when_present,
        require_content_digest_with_body: p.require_content_digest_with_body,
        require_signature_key: p.require_signature_key,
        schemes: p.schemes.bits(),
        jwt_types: types.as_ptr(),
        jwt_types_len: types.len(),
        base64url_signatures: p.base64url_signatures,
        compat: aauth_compat {
            legacy_signature_key: p.compat.legacy_signature_key,
            alg_less_keys: p.compat.alg_less_keys,
            eddsa: p.compat.eddsa,
            missing_created: p.compat.missing_created,
            legacy_metadata: p.compat.legacy_metadata,
        },
        limits: aauth_limits {
            max_header_bytes: p.limits.max_header_bytes,
            max_components: p.limits.max_components,
            max_params: p.limits.max_params,
        },
        label: aauth_slice::NULL,
        max_validity: p.max_validity.unwrap_or(0),
        require_query: p.require_query,
    }
}

/// Writes the default policy of a profile into `*out`: `AAUTH_PROFILE_STRICT` (0) or
/// `AAUTH_PROFILE_COMPAT` (1). Both require `@method @authority @path signature-key` (a
/// static list), a 60 s window and a `Signature-Key` header, accept every scheme but
/// `cached`, take the only signature (no label), cap no validity and do not require `@query`.
///
/// Returns `AAUTH_RESULT_INVALID_PARAMETER` for another profile, `AAUTH_RESULT_NULL_PARAMETER`
/// if `out` is NULL; `*out` is written only on success. Thread-safe.
///
/// Spec: AAuth §HTTP Message Signatures Profile; draft-hardt-httpbis-signature-key-09 §3.3, §7.
///
/// # Safety
///
/// `out` is NULL or points to writable memory for one `aauth_policy`.
#[no_mangle]
pub unsafe extern "C" fn aauth_policy_default(
    profile: u32,
    out: *mut aauth_policy,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out));
        let p = match profile {
            AAUTH_PROFILE_STRICT => Policy::STRICT,
            AAUTH_PROFILE_COMPAT => Policy::COMPAT,
            _ => return aauth_result::InvalidParameter,
        };
        // SAFETY: `out` is non-NULL and aligned (checked); writable per our contract.
        unsafe { write_out(out, policy_to_c(&p)) };
        aauth_result::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `aauth_scheme` mirrors the core's `Scheme` numbers, `cached` (8) included.
    #[test]
    fn schemes_mirror_the_core() {
        assert_eq!(Scheme::ALL.len(), 8);
        for s in Scheme::ALL {
            assert_eq!(aauth_scheme::from(Some(s)) as u32, s as u32, "{s:?}");
            assert_eq!(scheme_of(s as u32), Some(s));
            assert_eq!(1u32 << (s as u32) & SCHEME_BITS, 1u32 << (s as u32));
        }
        assert_eq!(aauth_scheme::Cached as u32, 8);
        assert_eq!(aauth_scheme::from(None) as u32, 0);
        assert_eq!(scheme_of(0), None);
        assert_eq!(scheme_of(9), None);
    }

    #[test]
    fn defaults_round_trip() {
        for (profile, core) in [
            (AAUTH_PROFILE_STRICT, Policy::STRICT),
            (AAUTH_PROFILE_COMPAT, Policy::COMPAT),
        ] {
            let mut c = core::mem::MaybeUninit::<aauth_policy>::uninit();
            // SAFETY: valid out pointer.
            let r = unsafe { aauth_policy_default(profile, c.as_mut_ptr()) };
            assert_eq!(r, aauth_result::Ok);
            // SAFETY: written on success.
            let c = unsafe { c.assume_init() };
            let mut store = PolicyStore::new();
            // SAFETY: the default lists are static.
            let (p, label) = unsafe { policy(&c, &mut store) }.unwrap();
            assert!(label.is_none());
            assert_eq!(p.required, core.required);
            assert_eq!(p.jwt_types, core.jwt_types);
            assert_eq!(p.schemes, core.schemes);
            assert_eq!(p.max_validity, None);
            assert!(!p.require_query);
            assert_eq!(p.compat, core.compat);
        }
    }
}
