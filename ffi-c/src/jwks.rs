//! Keys a host decodes once and keeps: `aauth_jwks_decode` (the core's `each_jwk`: every `kid`
//! of a fetched or configured JWKS with exactly `select_jwk`'s answer) and `aauth_jwks_key`,
//! which the host stores (it holds no pointer, so it may live in memory shared by processes)
//! and hands back to phase 2 as `AAUTH_KEY_KIND_DECODED`. The C layer copies the core's answer
//! and rebuilds the key with the core's `stored_key`; it decides nothing.

use core_verify::{each_jwk, stored_key, Check, Error, ErrorCode, KeyAlg, KeyRules, PublicKey};

use crate::policy::{aauth_policy, policy, PolicyStore};
use crate::ptr::{check_out, req_bytes, try_ref, write_out};
use crate::result::{aauth_result, error_code_of};
use crate::state::Fail;

/// Most `kid`s `aauth_jwks_decode` reports from one JWKS (the core's `MAX_JWKS_KIDS`).
pub const AAUTH_MAX_JWKS_KIDS: usize = 32;

/// Longest `kid` `aauth_jwks_decode` reports, in bytes (decoded).
pub const AAUTH_MAX_KID_LEN: usize = 128;

/// `aauth_jwks_key.alg`: the key has no `alg` member.
pub const AAUTH_KEY_ALG_NONE: u32 = 0;
/// `aauth_jwks_key.alg`: `Ed25519` (RFC 9864).
pub const AAUTH_KEY_ALG_ED25519: u32 = 1;
/// `aauth_jwks_key.alg`: the legacy `EdDSA` (RFC 8037).
pub const AAUTH_KEY_ALG_EDDSA: u32 = 2;

/// One `kid` of a decoded JWKS and the core's answer for it: a key (`result` is
/// `AAUTH_RESULT_OK`; `x` and `alg` are set) or the verification failure `select_jwk` gives
/// for that `kid` (`result`, `check`, `refetch`; e.g. `invalid_key` for two different keys
/// under one `kid`). It holds no pointer: copy it anywhere, shared memory included.
///
/// Phase 2 takes it as `AAUTH_KEY_KIND_DECODED` (`aauth_key_source.decoded`): a key is
/// validated again and used with its `alg`; a failure is reported as the core reported it.
/// `rules` records the key rules it was decoded under (from the policy's compatibility
/// switches): phase 2 refuses it (`AAUTH_RESULT_INVALID_PARAMETER`) under other rules.
///
/// Spec: RFC 7517 §4.5, §5; draft-hardt-httpbis-signature-key-09 §3.3, §7.2.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct aauth_jwks_key {
    /// The `kid`, decoded (not NUL-terminated).
    pub kid: [u8; AAUTH_MAX_KID_LEN],
    /// The number of bytes in `kid`.
    pub kid_len: usize,
    /// `AAUTH_RESULT_OK`, or the verification failure for this `kid` (an `aauth_result`).
    pub result: u32,
    /// The check behind a failure (0 for a key).
    pub check: u16,
    /// Whether a refetch may cure the failure.
    pub refetch: bool,
    /// The key rules it was decoded under (bit 0: `alg` required, bit 1: `EdDSA` allowed).
    pub rules: u8,
    /// The encoded Ed25519 point (for a key).
    pub x: [u8; 32],
    /// The declared algorithm: `AAUTH_KEY_ALG_*`.
    pub alg: u32,
}

impl aauth_jwks_key {
    const EMPTY: aauth_jwks_key = aauth_jwks_key {
        kid: [0; AAUTH_MAX_KID_LEN],
        kid_len: 0,
        result: 0,
        check: 0,
        refetch: false,
        rules: 0,
        x: [0; 32],
        alg: AAUTH_KEY_ALG_NONE,
    };

    /// The core's answer this entry records: the key, or the failure.
    pub(crate) fn key(&self, rules: KeyRules) -> Result<PublicKey, Fail> {
        if self.rules != rules_bits(rules) {
            return Err(Fail::Api(aauth_result::InvalidParameter));
        }
        if self.result != aauth_result::Ok as u32 {
            let code: ErrorCode =
                error_code_of(self.result).ok_or(Fail::Api(aauth_result::InvalidParameter))?;
            let check =
                Check::from_u16(self.check).ok_or(Fail::Api(aauth_result::InvalidParameter))?;
            return Err(Fail::Verify(Error {
                code,
                check,
                refetch: self.refetch,
            }));
        }
        let alg = match self.alg {
            AAUTH_KEY_ALG_NONE => KeyAlg::None,
            AAUTH_KEY_ALG_ED25519 => KeyAlg::Ed25519,
            AAUTH_KEY_ALG_EDDSA => KeyAlg::EdDsa,
            _ => return Err(Fail::Api(aauth_result::InvalidParameter)),
        };
        Ok(stored_key(self.x, alg)?)
    }
}

fn rules_bits(r: KeyRules) -> u8 {
    u8::from(r.require_alg) | (u8::from(r.allow_eddsa) << 1)
}

fn alg_number(a: KeyAlg) -> u32 {
    match a {
        KeyAlg::None => AAUTH_KEY_ALG_NONE,
        KeyAlg::Ed25519 => AAUTH_KEY_ALG_ED25519,
        KeyAlg::EdDsa => AAUTH_KEY_ALG_EDDSA,
    }
}

/// Decodes a JWKS once (the core's `each_jwk`, under the key rules of `policy`'s compatibility
/// switches): writes one `aauth_jwks_key` per distinct `kid`, in document order, each with
/// exactly what `select_jwk` answers for that `kid`, into `out[0..*out_n]`. A host keeps them
/// (a shared cache, a trust store decoded at start) so that no request parses the document
/// again. Keys without a `kid`, `kid`s over `AAUTH_MAX_KID_LEN` bytes or with a control
/// character, and `kid`s beyond the first `AAUTH_MAX_JWKS_KIDS` are not reported (a request
/// naming one is not served from the kept keys).
///
/// Returns the document's verification failure (e.g. `AAUTH_RESULT_INVALID_KEY` for malformed
/// JSON or more than 16384 bytes) with nothing written, `AAUTH_RESULT_INSUFFICIENT_SIZE` when
/// `out_cap` is smaller than the number of `kid`s (`AAUTH_MAX_JWKS_KIDS` always suffices).
/// Never allocates.
///
/// Spec: RFC 7517 §5, §4.5; draft-hardt-httpbis-signature-key-09 §3.6, §7.2 (keys cached
/// until refetched).
///
/// # Safety
///
/// `policy` NULL or readable (with its lists); `jwks` readable for `jwks_len` bytes; `out`
/// writable for `out_cap` entries (may be NULL if `out_cap` is 0); `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_jwks_decode(
    policy: *const aauth_policy,
    jwks: *const u8,
    jwks_len: usize,
    out: *mut aauth_jwks_key,
    out_cap: usize,
    out_n: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `policy`.
        let c_policy = tri!(unsafe { try_ref(policy) });
        let mut lists = PolicyStore::new();
        // SAFETY: our contract: the policy's lists are readable.
        let (p, _) = tri!(unsafe { self::policy(c_policy, &mut lists) });
        // SAFETY: our contract for `jwks`.
        let doc = tri!(unsafe { req_bytes(jwks, jwks_len) });
        let out_n = tri!(check_out(out_n));
        if out_cap > 0 {
            tri!(check_out(out));
        }
        let rules = p.key_rules();
        let mut found = [aauth_jwks_key::EMPTY; AAUTH_MAX_JWKS_KIDS];
        let mut n = 0usize;
        let decoded = each_jwk(doc, rules, |kid, r| {
            let Some(e) = found.get_mut(n) else { return };
            let Some(dst) = e.kid.get_mut(..kid.len()) else {
                return;
            };
            dst.copy_from_slice(kid);
            e.kid_len = kid.len();
            e.rules = rules_bits(rules);
            match r {
                Ok(k) => {
                    e.x = *k.x();
                    e.alg = alg_number(k.alg());
                }
                Err(err) => {
                    e.result = aauth_result::from(err.code) as u32;
                    e.check = err.check as u16;
                    e.refetch = err.refetch;
                }
            }
            n += 1;
        });
        if let Err(e) = decoded {
            return e.code.into();
        }
        if n > out_cap {
            return aauth_result::InsufficientSize;
        }
        for (i, e) in found.iter().take(n).enumerate() {
            // SAFETY: `out` is checked non-NULL and aligned when `out_cap` > 0, and writable
            // for `out_cap` entries per our contract; `i < n <= out_cap`.
            unsafe { write_out(out.add(i), *e) };
        }
        // SAFETY: `out_n` is checked.
        unsafe { write_out(out_n, n) };
        aauth_result::Ok
    })
}
