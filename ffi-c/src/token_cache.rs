//! The verified-token cache: `aauth_token_cache_init`, `aauth_token_cache_len` and attaching
//! one to a verifier (the layout is in `state.rs`).

use crate::ptr::{check_out, write_out};
use crate::result::aauth_result;
use crate::state::{
    aauth_token_cache, aauth_verifier, apart, checked_store, init_store, read_store, verifier,
    Tokens,
};

/// Initialises (or empties) a verified-token cache. Call it before the cache's first use.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `cache` is NULL, `AAUTH_RESULT_INVALID_PARAMETER`
/// if it is misaligned. Thread-safe for distinct caches; never allocates.
///
/// Spec: RFC 7515 §5.2; RFC 7519 §4.1.4 (records end at `exp`).
///
/// # Safety
///
/// `cache` is NULL or points to writable memory for one `aauth_token_cache`, not in use by a
/// call on a verifier it is attached to.
#[no_mangle]
pub unsafe extern "C" fn aauth_token_cache_init(cache: *mut aauth_token_cache) -> aauth_result {
    // SAFETY: our contract.
    ffi_boundary!(unsafe { init_store::<Tokens>(cache) })
}

/// Writes into `*out_len` how many tokens `cache` holds that are still valid at `now`.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` if the cache was not initialised. Thread-safe for
/// caches not in use by another thread.
///
/// Spec: RFC 7519 §4.1.4.
///
/// # Safety
///
/// `cache` is NULL or points to an `aauth_token_cache`; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_token_cache_len(
    cache: *const aauth_token_cache,
    now: i64,
    out_len: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_len));
        // SAFETY: our contract for `cache`.
        let n = tri!(unsafe { read_store::<Tokens>(cache) }).len(now);
        // SAFETY: `out` is checked non-NULL and aligned; writable per our contract.
        unsafe { write_out(out, n) };
        aauth_result::Ok
    })
}

/// Attaches `cache` to `verifier` (NULL detaches): phase 1 reads a token through the cache
/// (one lookup per verification; a hit is not parsed again) and phase 2 records the ones whose
/// JWS and request verified. It stays attached across verifications until
/// `aauth_verifier_init` (which detaches).
///
/// Returns `AAUTH_RESULT_INVALID_STATE` if `cache` was not initialised (later calls on the
/// verifier return it too if the cache's memory is zeroed or reused while attached), and
/// `AAUTH_RESULT_INVALID_PARAMETER` if it overlaps the verifier or its replay store. Never
/// allocates.
///
/// Spec: RFC 7515 §5.2 (a JWS verifies the same way for the same bytes and key).
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse`. `cache` is NULL or an initialised
/// `aauth_token_cache` that stays valid and is not moved while attached, and is used by one
/// thread at a time: no two calls on verifiers it is attached to may run at once (one cache
/// per thread, or the caller's lock).
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_set_token_cache(
    verifier: *mut aauth_verifier,
    cache: *mut aauth_token_cache,
) -> aauth_result {
    ffi_boundary!({
        let c = if cache.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: our contract for `cache`.
            tri!(unsafe { checked_store::<Tokens>(cache) })
        };
        // Checked before the verifier is read: the two calls hold `&mut` to both at once.
        if !apart(verifier, cache) {
            return aauth_result::InvalidParameter;
        }
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.set_tokens(c)
    })
}
