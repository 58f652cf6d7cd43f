//! Replay protection: the replay mode of a verifier, and the fixed-size `aauth_replay_cache`
//! (the layout is in `state.rs`). A host with its own store (shared memory, Redis) uses
//! `AAUTH_REPLAY_KEY` and the identity's `replay_key` / `replay_until`.

use core_verify::{Check, Error, ErrorCode};

use crate::ptr::{check_out, write_out};
use crate::result::aauth_result;
use crate::state::{
    aauth_replay, aauth_replay_cache, aauth_verifier, apart, checked_store, init_store, read_store,
    verifier, Replays,
};

/// Initialises (or empties) a replay store. Call it before the store's first use.
///
/// Returns `AAUTH_RESULT_NULL_PARAMETER` if `cache` is NULL, `AAUTH_RESULT_INVALID_PARAMETER`
/// if it is misaligned. Thread-safe for distinct stores; never allocates.
///
/// Spec: AAuth §Freshness and Replay.
///
/// # Safety
///
/// `cache` is NULL or points to writable memory for one `aauth_replay_cache`, not in use by a
/// call on a verifier it is attached to.
#[no_mangle]
pub unsafe extern "C" fn aauth_replay_cache_init(cache: *mut aauth_replay_cache) -> aauth_result {
    // SAFETY: our contract.
    ffi_boundary!(unsafe { init_store::<Replays>(cache) })
}

/// Writes into `*out_len` how many requests `cache` still remembers at `now`.
///
/// Returns `AAUTH_RESULT_INVALID_STATE` if the store was not initialised. Thread-safe for
/// stores not in use by another thread.
///
/// Spec: AAuth §Freshness and Replay.
///
/// # Safety
///
/// `cache` is NULL or points to an `aauth_replay_cache`; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_replay_cache_len(
    cache: *const aauth_replay_cache,
    now: i64,
    out_len: *mut usize,
) -> aauth_result {
    ffi_boundary!({
        let out = tri!(check_out(out_len));
        // SAFETY: our contract for `cache`.
        let n = tri!(unsafe { read_store::<Replays>(cache) }).len(now);
        // SAFETY: `out` is checked.
        unsafe { write_out(out, n) };
        aauth_result::Ok
    })
}

/// Sets what phase 2 of `verifier` does about replays (`mode`, an `aauth_replay` value):
///
/// * `AAUTH_REPLAY_OFF` (the default; `cache` NULL): nothing.
/// * `AAUTH_REPLAY_KEY` (`cache` NULL): compute the replay key into the identity
///   (`replay_key`, `replay_key_text`, `replay_until`) for the host's own store, which must
///   refuse a key it holds as `AAUTH_RESULT_INVALID_SIGNATURE`.
/// * `AAUTH_REPLAY_STORE` (`cache` an initialised `aauth_replay_cache`): compute it and check
///   it in `cache` after the signature verified: a request seen before within its validity is
///   `AAUTH_RESULT_INVALID_SIGNATURE` (check `replayed`).
///
/// The setting stays across parses until `aauth_verifier_init`. Returns
/// `AAUTH_RESULT_INVALID_PARAMETER` for an unknown mode, a cache given with another mode or
/// missing with `AAUTH_REPLAY_STORE`, or a cache overlapping the verifier or its token cache;
/// `AAUTH_RESULT_INVALID_STATE` if `cache` was not initialised (later calls too if its memory
/// is reused while attached). Never allocates.
///
/// Spec: AAuth §Freshness and Replay; RFC 9421 §7.2.2.
///
/// # Safety
///
/// `verifier` as for `aauth_verifier_parse`. `cache` is NULL or an initialised
/// `aauth_replay_cache` that stays valid and is not moved while attached, used by one thread
/// at a time (one store per thread, or the caller's lock).
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_set_replay(
    verifier: *mut aauth_verifier,
    mode: u32,
    cache: *mut aauth_replay_cache,
) -> aauth_result {
    ffi_boundary!({
        let mode = match mode {
            m if m == aauth_replay::Off as u32 => aauth_replay::Off,
            m if m == aauth_replay::Key as u32 => aauth_replay::Key,
            m if m == aauth_replay::Store as u32 => aauth_replay::Store,
            _ => return aauth_result::InvalidParameter,
        };
        if (mode == aauth_replay::Store) == cache.is_null() {
            return aauth_result::InvalidParameter;
        }
        let c = if cache.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: our contract for `cache`.
            tri!(unsafe { checked_store::<Replays>(cache) })
        };
        // Checked before the verifier is read: the two calls hold `&mut` to both at once.
        if !apart(verifier, cache) {
            return aauth_result::InvalidParameter;
        }
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.set_replay(mode, c)
    })
}

/// A replay found by the host's own store (`AAUTH_REPLAY_KEY`: the identity's replay key was
/// already recorded, unexpired): records the core's `replayed` failure as the verifier's last
/// (`invalid_signature`, check `replayed`, the same verdict an attached
/// `aauth_replay_cache` gives) and returns `AAUTH_RESULT_INVALID_SIGNATURE`, to answer with
/// `aauth_signature_error`. Never allocates.
///
/// Spec: AAuth §Freshness and Replay; RFC 9421 §7.2.2.
///
/// # Safety
///
/// `verifier` NULL or zeroed or initialised, readable and writable.
#[no_mangle]
pub unsafe extern "C" fn aauth_verifier_replayed(verifier: *mut aauth_verifier) -> aauth_result {
    ffi_boundary!({
        // SAFETY: our contract for `verifier`.
        let inner = tri!(unsafe { self::verifier(verifier) });
        inner.record(Error::new(ErrorCode::InvalidSignature, Check::Replayed))
    })
}
