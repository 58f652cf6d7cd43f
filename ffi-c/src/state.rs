//! The caller-owned state and every `unsafe` that interprets its memory: `aauth_verifier` (the
//! signature kept between the phases as the core's lifetime-free `Frozen`, the token scratch,
//! the attached stores and hooks), `aauth_token_cache` and `aauth_replay_cache`.
//!
//! # Layout
//!
//! Each opaque type is an array of `u64` of a published size; the private layout (`Inner`,
//! `Tagged<S>`) starts with a `u64` tag and is asserted at compile time to fit. Zeroed memory
//! is a fresh verifier (tag 0); any other unknown tag is refused with `INVALID_STATE`, so a
//! garbage or freed-and-reused state is not trusted. A store's tag is checked on every use, so
//! memory reused while attached is noticed.
//!
//! # Between the phases
//!
//! `aauth_verifier_parse` keeps copies of the caller's `aauth_request` and `aauth_policy`
//! (pointers only: the caller keeps the bytes valid, as documented there), the clock and the
//! core's `Frozen` (positions in the request's header values and in the scratch, no
//! references). Every later call converts the request and policy again and thaws the `Frozen`
//! over them: the core checks every position, so a caller that breaks its promise gets an
//! error, never a dangling reference. Nothing has its lifetime extended; there is no
//! transmute. The decoded token stays in `scratch` and is not decoded again.

use core::ffi::c_void;
use core::mem::{align_of, size_of, MaybeUninit};

use core_verify::{
    parse, BodyStream, Context, Error, Frozen, JwtScratch, Parsed, Policy, Replay, ReplayCache,
    ReplayStore, Request, Revocation, Scheme, Text, TokenCache, TokenStore, MAX_PAYLOAD_LEN,
};

use crate::identity::aauth_identity;
use crate::policy::{aauth_policy, policy, PolicyStore};
use crate::ptr::check_out;
use crate::request::{aauth_request, opt_slice, request, RequestError, EMPTY_HEADERS};
use crate::result::aauth_result;
use crate::text::aauth_slice;

/// Size in bytes of `aauth_verifier`.
pub const AAUTH_VERIFIER_SIZE: usize = 9216;

/// Caller-owned storage for one verification (parse, fetch keys, finish; or a one-shot call).
/// Sized and aligned here so that C needs no allocation: keep one per in-flight request (in a
/// connection or request object, or on the stack: 9 KiB). The contents are private.
///
/// * Zero it (`aauth_verifier v = {0};`) or call `aauth_verifier_init` before first use.
/// * It keeps pointers to the request and policy passed to `aauth_verifier_parse`, and the
///   decoded JWT. It owns nothing and needs no cleanup.
/// * It may be moved (`memcpy`) between calls; token texts handed out before the move then
///   point into the old copy (see `aauth_text`).
/// * One thread at a time; it may move between threads between calls.
#[repr(C)]
pub struct aauth_verifier {
    _opaque: [u64; 1152],
}

/// How many tokens an `aauth_token_cache` holds.
pub const AAUTH_TOKEN_CACHE_ENTRIES: usize = 32;

/// Size in bytes of `aauth_token_cache`.
pub const AAUTH_TOKEN_CACHE_SIZE: usize = 16384;

/// Caller-owned storage for a verified-token cache (the core's `TokenCache`, 32 tokens,
/// 10 KiB, no allocation): attached to a verifier with `aauth_verifier_set_token_cache`, it
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
    _opaque: [u64; 2048],
}

/// How many requests an `aauth_replay_cache` remembers.
pub const AAUTH_REPLAY_CACHE_ENTRIES: usize = 1024;

/// Size in bytes of `aauth_replay_cache`.
pub const AAUTH_REPLAY_CACHE_SIZE: usize = 41_984;

/// Caller-owned storage for a replay store (the core's `ReplayCache`, 1024 requests, 41 KiB,
/// no allocation): attached with `aauth_verifier_set_replay(v, AAUTH_REPLAY_STORE, cache)`, it
/// refuses a second request with the same signed content within its validity as
/// `AAUTH_RESULT_INVALID_SIGNATURE` (check `replayed`). Each request is remembered until
/// `created + window` (or its `expires`); a full store overwrites the entry that expires
/// first, so it never refuses a valid request but may forget one early beyond 1024 distinct
/// requests per window. Larger rates, or several processes: keep the identity's replay key in
/// your own store (`AAUTH_REPLAY_KEY`).
///
/// * Call `aauth_replay_cache_init` before first use (zeroed memory is not a store).
/// * Not synchronized: one store per thread, or the caller's lock.
/// * It holds no pointers; it may be moved between calls while detached.
#[repr(C)]
pub struct aauth_replay_cache {
    _opaque: [u64; 5248],
}

/// What `aauth_verifier_set_replay` asks of phase 2.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aauth_replay {
    /// No replay key (the default).
    Off = 0,
    /// Compute the replay key into the identity, for a host's own store.
    Key = 1,
    /// Compute it and check it in an attached `aauth_replay_cache`.
    Store = 2,
}

/// A revocation check the host supplies (`aauth_verifier_set_revocation`): returns true when
/// the issuer `iss` withdrew its token `jti`. Called in phase 2 after a token's JWS verified,
/// with both values unescaped (not NUL-terminated; valid during the call only), and `ctx` as
/// given. It must not call back into the same verifier.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.13; AAuth §Token Revocation.
pub type aauth_revoked_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        iss: *const u8,
        iss_len: usize,
        jti: *const u8,
        jti_len: usize,
    ) -> bool,
>;

/// `aauth_verifier_init` has run (or a parse failed): no signature, maybe a last error.
const TAG_RESET: u64 = 0x6161_7574_6802_0001;
/// A signature is parsed: `body` is initialised.
const TAG_PARSED: u64 = 0x6161_7574_6802_0002;
/// `aauth_token_cache_init` has run.
const TAG_TOKENS: u64 = 0x6161_7574_6802_0c01;
/// `aauth_replay_cache_init` has run.
const TAG_REPLAY: u64 = 0x6161_7574_6802_0e01;

/// The core store behind `aauth_token_cache`.
/// cbindgen:ignore
pub(crate) type Tokens = TokenCache<AAUTH_TOKEN_CACHE_ENTRIES>;
/// The core store behind `aauth_replay_cache`.
/// cbindgen:ignore
pub(crate) type Replays = ReplayCache<AAUTH_REPLAY_CACHE_ENTRIES>;

/// A caller-owned store: a tag, then the core's store.
#[repr(C)]
pub(crate) struct Tagged<S> {
    tag: u64,
    store: S,
}

/// The two store types: their tag and empty value.
pub(crate) trait StoreKind: Sized {
    /// The tag written by its init function.
    const TAG: u64;
    /// The C type.
    type C;
    /// An empty store.
    fn empty() -> Self;
}

impl StoreKind for Tokens {
    const TAG: u64 = TAG_TOKENS;
    type C = aauth_token_cache;
    fn empty() -> Tokens {
        Tokens::new()
    }
}

impl StoreKind for Replays {
    const TAG: u64 = TAG_REPLAY;
    type C = aauth_replay_cache;
    fn empty() -> Replays {
        Replays::new()
    }
}

const _: () = {
    assert!(size_of::<Tagged<Tokens>>() <= size_of::<aauth_token_cache>());
    assert!(align_of::<Tagged<Tokens>>() <= align_of::<aauth_token_cache>());
    assert!(size_of::<aauth_token_cache>() == AAUTH_TOKEN_CACHE_SIZE);
    assert!(size_of::<Tagged<Replays>>() <= size_of::<aauth_replay_cache>());
    assert!(align_of::<Tagged<Replays>>() <= align_of::<aauth_replay_cache>());
    assert!(size_of::<aauth_replay_cache>() == AAUTH_REPLAY_CACHE_SIZE);
};

/// Initialises (or empties) a store.
///
/// # Safety
///
/// `p` is NULL or points to writable memory for one `S::C`, not in use by a call on a
/// verifier it is attached to.
pub(crate) unsafe fn init_store<S: StoreKind>(p: *mut S::C) -> aauth_result {
    let p = match check_out(p) {
        Ok(p) => p.cast::<Tagged<S>>(),
        Err(e) => return e,
    };
    // SAFETY: non-NULL and aligned (checked; `Tagged<S>` fits `S::C`, asserted at compile
    // time), writable per our contract; the fields are written through raw pointers, so no
    // reference to uninitialised memory is formed.
    unsafe {
        core::ptr::addr_of_mut!((*p).store).write(S::empty());
        core::ptr::addr_of_mut!((*p).tag).write(S::TAG);
    }
    aauth_result::Ok
}

/// The checked store behind a C pointer: non-NULL, aligned, initialised (tag).
///
/// # Safety
///
/// `p` is NULL or points to readable memory for one `S::C`.
pub(crate) unsafe fn checked_store<S: StoreKind>(
    p: *const S::C,
) -> Result<*mut Tagged<S>, aauth_result> {
    let p = check_out(p.cast_mut())?.cast::<Tagged<S>>();
    // SAFETY: non-NULL and aligned (checked); `Tagged` starts with a `u64` (repr(C)) and any
    // initialised bytes are a valid `u64`.
    if unsafe { p.cast::<u64>().read() } != S::TAG {
        return Err(aauth_result::InvalidState);
    }
    Ok(p)
}

/// Reads a checked store (for its `len` function).
///
/// # Safety
///
/// `p` as for [`checked_store`], and not written concurrently.
pub(crate) unsafe fn read_store<'c, S: StoreKind>(p: *const S::C) -> Result<&'c S, aauth_result> {
    // SAFETY: our contract.
    let p = unsafe { checked_store::<S>(p) }?;
    // SAFETY: tagged, so initialised by its init function; not written concurrently (our
    // contract).
    Ok(unsafe { &(*p).store })
}

/// The store an attached pointer names, if any; `INVALID_STATE` if its tag is gone (the memory
/// was zeroed or reused while attached).
///
/// # Safety
///
/// `p` is NULL or was checked when attached, and the caller keeps that memory valid, distinct
/// from the verifier and unused elsewhere during `'c` (the attach functions' contract). One
/// reference is made per call.
unsafe fn attached<'c, S: StoreKind>(p: *mut Tagged<S>) -> Result<Option<&'c mut S>, aauth_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, aligned and readable (checked when attached; the contract keeps it
    // so); `Tagged` starts with a `u64`.
    if unsafe { p.cast::<u64>().read() } != S::TAG {
        return Err(aauth_result::InvalidState);
    }
    // SAFETY: tagged, so initialised; exclusive per the contract.
    Ok(Some(unsafe { &mut (*p).store }))
}

/// Whether two objects' memory is disjoint (either NULL: yes).
pub(crate) fn apart<A, B>(a: *const A, b: *const B) -> bool {
    let (a0, b0) = (a as usize, b as usize);
    a.is_null()
        || b.is_null()
        || a0.saturating_add(size_of::<A>()) <= b0
        || b0.saturating_add(size_of::<B>()) <= a0
}

/// The host's revocation check.
#[derive(Clone, Copy)]
struct Hook {
    f: unsafe extern "C" fn(*mut c_void, *const u8, usize, *const u8, usize) -> bool,
    ctx: *mut c_void,
}

impl Revocation for Hook {
    fn is_revoked(&self, iss: Text<'_>, jti: Text<'_>) -> bool {
        // A token's claims fit its decoded payload, so their values fit these buffers.
        let mut iss_buf = [0u8; MAX_PAYLOAD_LEN];
        let mut jti_buf = [0u8; MAX_PAYLOAD_LEN];
        let (Some(iss), Some(jti)) = (iss.bytes_in(&mut iss_buf), jti.bytes_in(&mut jti_buf))
        else {
            // Not reachable (see above); if it were, refuse rather than let a token through.
            return true;
        };
        // SAFETY: the host's callback and context, set with `aauth_verifier_set_revocation`,
        // whose contract makes them callable with two readable byte strings during phase 2.
        unsafe { (self.f)(self.ctx, iss.as_ptr(), iss.len(), jti.as_ptr(), jti.len()) }
    }
}

/// What a successful finish left for `aauth_verifier_issue_cid`: the core's cache grant
/// (its label and `jti` are read again from the thawed signature).
#[derive(Clone, Copy)]
pub(crate) struct Grant {
    pub(crate) scheme: Scheme,
    pub(crate) exp: i64,
    /// The compact assertion, in the request.
    pub(crate) assertion: aauth_slice,
}

/// What a parsed verifier keeps between calls.
#[derive(Clone, Copy)]
pub(crate) struct Body {
    /// The caller's request view (pointers only).
    request: aauth_request,
    /// The caller's policy (pointers only).
    policy: aauth_policy,
    /// The clock passed to parse.
    pub(crate) now: i64,
    /// The parsed signature, as positions.
    pub(crate) frozen: Frozen,
    /// For `cached`: the assertion the host resolved (its memory; NULL before).
    pub(crate) assertion: aauth_slice,
    /// After a finish whose result carries a cache grant.
    pub(crate) grant: Option<Grant>,
}

/// A request whose signature verified before its body (`aauth_verifier_finish_before_body`):
/// the identity and the cache grant are kept until the body check passes.
pub(crate) struct PendingBody {
    /// What `aauth_verifier_body_finish` writes on success.
    pub(crate) identity: aauth_identity,
    /// The cache grant, installed on success.
    pub(crate) grant: Option<Grant>,
    /// The core's `BodyStream`, kept as bytes: its hashers hold a `u128` (alignment 16), more
    /// than `aauth_verifier` promises C (8), so it is moved in and out unaligned.
    stream: [MaybeUninit<u8>; size_of::<BodyStream>()],
}

impl PendingBody {
    /// Keeps `stream` with the identity and grant to write once it passes.
    pub(crate) fn new(
        identity: aauth_identity,
        grant: Option<Grant>,
        stream: BodyStream,
    ) -> PendingBody {
        let mut p = PendingBody {
            identity,
            grant,
            stream: [MaybeUninit::uninit(); size_of::<BodyStream>()],
        };
        p.put(stream);
        p
    }

    /// The body check so far (a bitwise copy; [`PendingBody::put`] it back after an update).
    pub(crate) fn take(&self) -> BodyStream {
        // SAFETY: `stream` always holds the bytes of a valid `BodyStream` written by `put` (the
        // only writer, called by `new`); `read_unaligned` needs no alignment. A `BodyStream`
        // is plain data (hash states, expected digests): a bitwise copy is a valid value, and
        // the stale bytes left behind are never dropped or read again before `put` rewrites
        // them.
        unsafe { core::ptr::read_unaligned(self.stream.as_ptr().cast::<BodyStream>()) }
    }

    /// Stores the body check.
    pub(crate) fn put(&mut self, s: BodyStream) {
        // SAFETY: `stream` is exactly `size_of::<BodyStream>()` writable bytes;
        // `write_unaligned` needs no alignment and does not drop the old bytes (plain data).
        unsafe { core::ptr::write_unaligned(self.stream.as_mut_ptr().cast::<BodyStream>(), s) }
    }
}

/// The private layout of [`aauth_verifier`]. Zeroed memory is a valid "fresh" state: `tag` 0.
#[repr(C)]
pub(crate) struct Inner {
    tag: u64,
    /// The last verification failure (valid when `tag` is `TAG_RESET` or `TAG_PARSED`).
    last: Option<Error>,
    /// Valid when `tag` is `TAG_PARSED`.
    body: MaybeUninit<Body>,
    /// The decoded token of a token scheme (bytes: always valid once written by reset).
    scratch: JwtScratch,
    /// The attached token cache, or NULL.
    tokens: *mut Tagged<Tokens>,
    /// What phase 2 does about replays.
    replay_mode: aauth_replay,
    /// The attached replay store (with `aauth_replay::Store`), or NULL.
    replays: *mut Tagged<Replays>,
    /// The host's revocation check.
    revoked: Option<Hook>,
    /// After `aauth_verifier_finish_before_body`, until the body check ends.
    pending: Option<PendingBody>,
}

const _: () = {
    assert!(size_of::<Inner>() <= size_of::<aauth_verifier>());
    assert!(align_of::<Inner>() <= align_of::<aauth_verifier>());
    assert!(size_of::<aauth_verifier>() == AAUTH_VERIFIER_SIZE);
};

/// Why a call failed: API misuse, or a verification failure (recorded as the last error).
pub(crate) enum Fail {
    /// Not a verdict about the request.
    Api(aauth_result),
    /// A verdict: its code, the check and the refetch hint are kept for the host.
    Verify(Error),
}

impl From<aauth_result> for Fail {
    fn from(r: aauth_result) -> Fail {
        Fail::Api(r)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Verify(e)
    }
}

impl From<RequestError> for Fail {
    fn from(e: RequestError) -> Fail {
        match e {
            RequestError::Api(r) => Fail::Api(r),
            RequestError::Verify(e) => Fail::Verify(e),
        }
    }
}

/// The C result of a call: a verification failure is recorded as the verifier's last error.
fn settle<R>(last: &mut Option<Error>, r: Result<R, Fail>) -> Result<R, aauth_result> {
    r.map_err(|f| match f {
        Fail::Api(e) => e,
        Fail::Verify(e) => {
            *last = Some(e);
            e.code.into()
        }
    })
}

/// A parsed signature thawed for one call, with what phase 2 reads: the request, the policy
/// and a context over the attached stores. `body` is the verifier's kept state.
pub(crate) struct Session<'s, 'x> {
    pub(crate) parsed: Parsed<'s>,
    pub(crate) req: &'x Request<'x, 's>,
    pub(crate) policy: &'x Policy<'x>,
    pub(crate) ctx: Context<'x>,
    pub(crate) body: &'x mut Body,
}

/// The context of a call: the clock, the label and the attached stores and hook.
///
/// # Safety
///
/// `tokens` and `replays` as for [`attached`].
unsafe fn context<'x>(
    now: i64,
    label: Option<&'x [u8]>,
    tokens: *mut Tagged<Tokens>,
    mode: aauth_replay,
    replays: *mut Tagged<Replays>,
    revoked: &'x Option<Hook>,
) -> Result<Context<'x>, aauth_result> {
    // SAFETY: our contract.
    let tokens = unsafe { attached::<Tokens>(tokens) }?;
    let replay = match mode {
        aauth_replay::Off => Replay::Off,
        aauth_replay::Key => Replay::Key,
        // SAFETY: our contract.
        aauth_replay::Store => match unsafe { attached::<Replays>(replays) }? {
            Some(s) => Replay::Store(s as &mut dyn ReplayStore),
            None => return Err(aauth_result::InvalidState),
        },
    };
    Ok(Context {
        now,
        label,
        tokens: tokens.map(|t| t as &mut dyn TokenStore),
        replay,
        revoked: revoked.as_ref().map(|h| h as &dyn Revocation),
    })
}

impl Inner {
    /// The last verification failure, if any.
    pub(crate) fn last(&self) -> Option<Error> {
        self.last
    }

    /// Records a failure the host decided (`aauth_verifier_host_refusal`); returns its code.
    pub(crate) fn record(&mut self, e: Error) -> aauth_result {
        self.last = Some(e);
        e.code.into()
    }

    /// Forgets the last failure (a later step succeeded).
    pub(crate) fn clear_last(&mut self) {
        self.last = None;
    }

    /// Keeps (or, with `None`, drops) a body check in progress.
    pub(crate) fn set_pending(&mut self, p: Option<PendingBody>) {
        self.pending = p;
    }

    /// The body check in progress, if any.
    pub(crate) fn pending_mut(&mut self) -> Option<&mut PendingBody> {
        self.pending.as_mut()
    }

    /// Ends the body check in progress: its state, if any.
    pub(crate) fn take_pending(&mut self) -> Option<PendingBody> {
        self.pending.take()
    }

    /// Installs the cache grant of a request whose body check passed.
    pub(crate) fn set_grant(&mut self, g: Option<Grant>) {
        if self.tag == TAG_PARSED {
            // SAFETY: `TAG_PARSED` is written only after the body.
            unsafe { self.body.assume_init_mut() }.grant = g;
        }
    }

    /// Attaches (or, with NULL, detaches) a checked token cache (the caller checked that it
    /// does not overlap the verifier).
    pub(crate) fn set_tokens(&mut self, c: *mut Tagged<Tokens>) -> aauth_result {
        let c_mem = c.cast::<aauth_token_cache>();
        if !apart(c_mem, self.replays.cast::<aauth_replay_cache>()) {
            return aauth_result::InvalidParameter;
        }
        self.tokens = c;
        aauth_result::Ok
    }

    /// Sets the replay mode and (for `Store`) the checked replay store (the caller checked
    /// that it does not overlap the verifier).
    pub(crate) fn set_replay(
        &mut self,
        mode: aauth_replay,
        c: *mut Tagged<Replays>,
    ) -> aauth_result {
        let c_mem = c.cast::<aauth_replay_cache>();
        if !apart(c_mem, self.tokens.cast::<aauth_token_cache>()) {
            return aauth_result::InvalidParameter;
        }
        self.replay_mode = mode;
        self.replays = c;
        aauth_result::Ok
    }

    /// Sets (or clears) the revocation check.
    pub(crate) fn set_revocation(&mut self, f: aauth_revoked_fn, ctx: *mut c_void) {
        self.revoked = f.map(|f| Hook { f, ctx });
    }

    /// Phase 1: parses the request and keeps the signature frozen, then runs `f` on the
    /// parsed signature in the same call (no thaw: the plan for `aauth_verifier_parse`, phase
    /// 2 for the one-shot calls). A verification failure is recorded as the last error; once
    /// the parse succeeded the verifier holds the signature, whatever `f` returns.
    ///
    /// # Safety
    ///
    /// `c_req` and `c_policy` (with everything they point to) are readable and stay valid and
    /// unchanged until the last call on this verifier (the documented contract of
    /// `aauth_verifier_parse`; the one-shot calls finish within the call).
    pub(crate) unsafe fn parse_then<R>(
        &mut self,
        c_req: &aauth_request,
        c_policy: &aauth_policy,
        now: i64,
        f: impl for<'s, 'x> FnOnce(Session<'s, 'x>) -> Result<R, Fail>,
    ) -> Result<R, aauth_result> {
        self.tag = TAG_RESET;
        self.last = None;
        self.pending = None;
        let Inner {
            tag,
            last,
            body,
            scratch,
            tokens,
            replay_mode,
            replays,
            revoked,
            ..
        } = self;
        let run = || -> Result<R, Fail> {
            let mut lists = PolicyStore::new();
            // SAFETY: the policy's lists are readable per our contract.
            let (policy, label) = unsafe { policy(c_policy, &mut lists) }?;
            let mut headers = EMPTY_HEADERS;
            // SAFETY: the request's slices are readable per our contract.
            let req = unsafe { request(c_req, &mut headers) }?;
            // SAFETY: the attached stores, per the attach functions' contract.
            let ctx = unsafe { context(now, label, *tokens, *replay_mode, *replays, revoked) }?;
            let parsed = parse(&req, &policy, &ctx, Some(scratch))?;
            let frozen = parsed.freeze(&req)?;
            let body = body.write(Body {
                request: *c_req,
                policy: *c_policy,
                now,
                frozen,
                assertion: aauth_slice::NULL,
                grant: None,
            });
            *tag = TAG_PARSED;
            f(Session {
                parsed,
                req: &req,
                policy: &policy,
                ctx,
                body,
            })
        };
        settle(last, run())
    }

    /// Runs `f` on the parsed signature, thawed over the request and policy kept by parse.
    /// A verification failure `f` returns is recorded as the last error.
    pub(crate) fn session<R>(
        &mut self,
        f: impl for<'s, 'x> FnOnce(Session<'s, 'x>) -> Result<R, Fail>,
    ) -> Result<R, aauth_result> {
        if self.tag != TAG_PARSED {
            return Err(aauth_result::InvalidState);
        }
        let Inner {
            last,
            body,
            scratch,
            tokens,
            replay_mode,
            replays,
            revoked,
            ..
        } = self;
        // SAFETY: `TAG_PARSED` is written only after the body.
        let body = unsafe { body.assume_init_mut() };
        let kept = *body;
        let run = || -> Result<R, Fail> {
            let mut lists = PolicyStore::new();
            // SAFETY: the caller keeps the parsed policy valid and unchanged (the contract of
            // `aauth_verifier_parse`); it converted then, so it converts now.
            let (policy, label) = unsafe { policy(&kept.policy, &mut lists) }?;
            let mut headers = EMPTY_HEADERS;
            // SAFETY: as above, for the request.
            let req = unsafe { request(&kept.request, &mut headers) }?;
            // SAFETY: the host keeps a resolved assertion valid until finish (the contract of
            // `aauth_verifier_resolve_assertion`).
            let assertion = unsafe { opt_slice(kept.assertion) }?;
            let parsed = kept.frozen.thaw(&req, Some(scratch), assertion)?;
            // SAFETY: the attached stores, per the attach functions' contract.
            let ctx =
                unsafe { context(kept.now, label, *tokens, *replay_mode, *replays, revoked) }?;
            f(Session {
                parsed,
                req: &req,
                policy: &policy,
                ctx,
                body,
            })
        };
        settle(last, run())
    }
}

/// Checks a verifier pointer, initialises a fresh (zeroed) verifier, and returns it.
///
/// # Safety
///
/// `v` is NULL or points to an `aauth_verifier` that is zeroed or was written by this library,
/// readable and writable, and not used elsewhere during `'v`.
pub(crate) unsafe fn verifier<'v>(v: *mut aauth_verifier) -> Result<&'v mut Inner, aauth_result> {
    let v = check_out(v)?;
    // SAFETY: non-NULL and aligned (checked); `Inner` starts with a `u64` (repr(C)) and any
    // initialised bytes are a valid `u64`.
    let tag = unsafe { v.cast::<u64>().read() };
    match tag {
        // SAFETY: our contract: `v` is valid for writes of an `aauth_verifier`.
        0 => unsafe { reset(v) },
        TAG_RESET | TAG_PARSED => {}
        _ => return Err(aauth_result::InvalidState),
    }
    // SAFETY: the tag says every field but `body` is initialised (`body` is `MaybeUninit`);
    // size and alignment are asserted at compile time; exclusivity is our contract.
    Ok(unsafe { &mut *v.cast::<Inner>() })
}

/// Writes a fresh state: tag, no last error, zeroed scratch, nothing attached.
///
/// # Safety
///
/// `v` is non-NULL, aligned and writable for one `aauth_verifier`.
pub(crate) unsafe fn reset(v: *mut aauth_verifier) {
    let inner = v.cast::<Inner>();
    // SAFETY: our contract; the fields are written through raw pointers, so no reference to a
    // partially initialised `Inner` is formed.
    unsafe {
        core::ptr::addr_of_mut!((*inner).last).write(None);
        core::ptr::addr_of_mut!((*inner).scratch).write(JwtScratch::new());
        core::ptr::addr_of_mut!((*inner).tokens).write(core::ptr::null_mut());
        core::ptr::addr_of_mut!((*inner).replay_mode).write(aauth_replay::Off);
        core::ptr::addr_of_mut!((*inner).replays).write(core::ptr::null_mut());
        core::ptr::addr_of_mut!((*inner).revoked).write(None);
        core::ptr::addr_of_mut!((*inner).pending).write(None);
        core::ptr::addr_of_mut!((*inner).tag).write(TAG_RESET);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_fits_with_headroom() {
        let used = size_of::<Inner>();
        eprintln!(
            "aauth_verifier: {used} of {AAUTH_VERIFIER_SIZE} bytes used (Frozen {}, Body {}, PendingBody {}, identity {}, BodyStream {})",
            size_of::<Frozen>(),
            size_of::<Body>(),
            size_of::<PendingBody>(),
            size_of::<aauth_identity>(),
            size_of::<BodyStream>()
        );
        assert!(used + 256 <= AAUTH_VERIFIER_SIZE, "keep some headroom");
        eprintln!(
            "aauth_token_cache: {} of {AAUTH_TOKEN_CACHE_SIZE}; aauth_replay_cache: {} of {AAUTH_REPLAY_CACHE_SIZE}",
            size_of::<Tagged<Tokens>>(),
            size_of::<Tagged<Replays>>()
        );
    }
}
