//! Per-verifier state the core reads and writes: the verified-token store (`NativeTokenCache`,
//! the core's `TokenStore` keyed by exact token bytes) and the pool of token scratch buffers.

use std::collections::HashMap;
use std::sync::Mutex;

use aauth_verify::{CachedToken, JwtScratch, TokenKey, TokenStore};
use pyo3::prelude::*;

/// Capacity of a [`NativeTokenCache`].
const TOKEN_CACHE_ENTRIES: usize = 256;

/// A token store keyed by the exact token bytes (the core's [`TokenStore`]): with a heap at
/// hand, a hash-map lookup and one byte comparison replace the SHA-256 of every token that
/// the core's fixed-size `TokenCache` needs. At most [`TOKEN_CACHE_ENTRIES`] tokens of at most
/// `MAX_JWT_LEN` bytes each are kept; when full, expired records are dropped first, then the
/// record that expires first.
#[derive(Default)]
pub struct ExactStore {
    /// Records by tag (scheme and decoding switches), then by compact token.
    by_tag: HashMap<[u8; 3], HashMap<Box<[u8]>, CachedToken>>,
    len: usize,
}

impl TokenStore for ExactStore {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        self.by_tag
            .get(&key.tag())?
            .get(key.compact())
            .filter(|t| now < t.exp())
            .copied()
    }

    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, now: i64) {
        let held = self.by_tag.get_mut(&key.tag());
        if let Some(slot) = held.and_then(|m| m.get_mut(key.compact())) {
            *slot = token; // the same token verified again (another issuer key): replaced
            return;
        }
        if self.len >= TOKEN_CACHE_ENTRIES {
            for m in self.by_tag.values_mut() {
                m.retain(|_, t| now < t.exp());
            }
            self.len = self.by_tag.values().map(HashMap::len).sum();
        }
        if self.len >= TOKEN_CACHE_ENTRIES {
            // Still full: the record that expires first goes (a flood of fresh tokens then
            // displaces one record at a time, never the whole store).
            let first = self
                .by_tag
                .iter()
                .flat_map(|(tag, m)| m.iter().map(move |(k, t)| (t.exp(), *tag, k)))
                .min_by_key(|(exp, _, _)| *exp)
                .map(|(_, tag, k)| (tag, k.clone()));
            if let Some((tag, k)) = first {
                if let Some(m) = self.by_tag.get_mut(&tag) {
                    if m.remove(&k).is_some() {
                        self.len -= 1;
                    }
                }
            }
        }
        let m = self.by_tag.entry(key.tag()).or_default();
        if m.insert(key.compact().into(), token).is_none() {
            self.len += 1;
        }
    }
}

/// A verified-token cache (256 tokens, keyed by their exact bytes): a repeated agent token is
/// not parsed again, and its JWS, verified before with the same issuer key, is not verified
/// again; entries end at the token's `exp`. Thread-safe: the lock is taken for each lookup and
/// each record, never across a signature verification.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct NativeTokenCache {
    inner: Mutex<ExactStore>,
}

impl NativeTokenCache {
    /// The store as the core's `TokenStore`, locking per operation.
    pub fn store(&self) -> Locked<'_> {
        Locked(&self.inner)
    }
}

#[pymethods]
impl NativeTokenCache {
    #[new]
    fn new() -> Self {
        NativeTokenCache {
            inner: Mutex::new(ExactStore::default()),
        }
    }

    /// The number of tokens held (expired ones included until they are dropped).
    fn __len__(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len
    }
}

/// A [`TokenStore`] over a shared [`ExactStore`] that holds its lock only inside `find` and
/// `record`, so two threads verifying with one verifier never wait on each other's Ed25519.
pub struct Locked<'a>(&'a Mutex<ExactStore>);

impl TokenStore for Locked<'_> {
    fn find(&self, key: &TokenKey<'_>, now: i64) -> Option<CachedToken> {
        // A poisoned lock only means another thread panicked while holding it; the store holds
        // no invariant a panic can break.
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .find(key, now)
    }

    fn record(&mut self, key: &TokenKey<'_>, token: CachedToken, now: i64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(key, token, now)
    }
}

/// How many spare scratch buffers each thread keeps.
const POOL: usize = 4;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<Box<JwtScratch>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A token scratch buffer (about 6 KiB): a spare one of this thread's, else a new one. A
/// buffer needs no zeroing between uses (the core writes before it reads).
pub fn take_scratch() -> Box<JwtScratch> {
    SCRATCH
        .with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .unwrap_or_else(|| Box::new(JwtScratch::new()))
}

/// Gives a scratch buffer back to this thread's spares (dropped when it has enough).
pub fn give_scratch(scratch: Box<JwtScratch>) {
    SCRATCH.with(|pool| {
        if let Ok(mut p) = pool.try_borrow_mut() {
            if p.len() < POOL {
                p.push(scratch);
            }
        }
    })
}
