//! The two phases: [`parse`] (phase 1, once per request) returns a [`Pending`] holding the
//! request, the parsed signature frozen by the core ([`Frozen`]) and the token's scratch
//! buffer; its `fetch` is the core's plan; `Pending.finish(source)` (phase 2) thaws and
//! finishes it. Nothing is parsed twice, whether Python awaits a resolver in between or not.
//! Both phases run without the GIL.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aauth_verify::render::RequestFacts;
use aauth_verify::{
    parse as core_parse, BodyCheck, Check, Context, Error, ErrorCode, Frozen, JwtScratch, Parsed,
    Policy, PublicKey, Replay, Request, Revocation, Scheme, Text, TokenStore,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::error::{error_object, raise, Failure};
use crate::key::{NativeKey, Source};
use crate::plan::{text, Plan};
use crate::policy::NativePolicy;
use crate::request::NativeRequest;
use crate::result::{verified_fields, NativeReplayKey, Outcome, Signature};
use crate::store::{give_scratch, take_scratch, Locked, NativeTokenCache};

/// Phase-1 and phase-2 calls made, for tests that count parses.
static PARSES: AtomicU64 = AtomicU64::new(0);
static FINISHES: AtomicU64 = AtomicU64::new(0);

/// `(parses, finishes)` made by this process so far (each `parse` is one phase 1 of the core,
/// each `finish` one phase 2).
#[pyfunction]
pub fn counters() -> (u64, u64) {
    (
        PARSES.load(Ordering::Relaxed),
        FINISHES.load(Ordering::Relaxed),
    )
}

/// Where a `Pending` stands: the frozen signature, its scratch buffer (for a token, or for the
/// assertion a `cached` plan may resolve to), the resolved assertion, and the current plan.
struct State {
    frozen: Frozen,
    scratch: Option<Box<JwtScratch>>,
    assertion: Option<Box<[u8]>>,
}

/// The per-request context Python configured (what the core's `Context` borrows).
struct Ctx {
    now: i64,
    label: Option<Vec<u8>>,
    tokens: Option<Py<NativeTokenCache>>,
    revoked: Option<Py<PyAny>>,
    replay: bool,
}

/// A Python callable `(issuer, jti) -> bool` as the core's [`Revocation`]. An exception it
/// raises counts as "revoked" (fail closed) and is raised once phase 2 returns.
struct PyRevocation<'a> {
    f: &'a Py<PyAny>,
    err: RefCell<Option<PyErr>>,
}

impl Revocation for PyRevocation<'_> {
    fn is_revoked(&self, iss: Text<'_>, jti: Text<'_>) -> bool {
        let (iss, jti) = (text(&iss), text(&jti));
        Python::attach(|py| {
            match self
                .f
                .bind(py)
                .call1((iss, jti))
                .and_then(|r| r.is_truthy())
            {
                Ok(revoked) => revoked,
                Err(e) => {
                    self.err.replace(Some(e));
                    true
                }
            }
        })
    }
}

impl Ctx {
    /// Runs `f` with the core's context over this one (`finish` adds revocation and replay).
    fn with<R>(&self, finish: bool, f: impl FnOnce(&mut Context<'_>) -> R) -> (R, Option<PyErr>) {
        let mut locked: Option<Locked<'_>> = self.tokens.as_ref().map(|t| t.get().store());
        let rev = match (&self.revoked, finish) {
            (Some(f), true) => Some(PyRevocation {
                f,
                err: RefCell::new(None),
            }),
            _ => None,
        };
        let mut ctx = Context {
            now: self.now,
            label: self.label.as_deref(),
            tokens: locked.as_mut().map(|l| l as &mut dyn TokenStore),
            replay: if finish && self.replay {
                Replay::Key
            } else {
                Replay::Off
            },
            revoked: rev.as_ref().map(|r| r as &dyn Revocation),
        };
        let out = f(&mut ctx);
        // `ctx` borrows `rev`; it is not used past this point.
        (out, rev.and_then(|r| r.err.into_inner()))
    }
}

/// A request that passed phase 1, waiting for the key material its plan (`fetch`) names.
#[pyclass(frozen, module = "aauth_verify._native")]
pub struct Pending {
    request: Py<NativeRequest>,
    policy: Py<NativePolicy>,
    ctx: Ctx,
    sig: Signature,
    inline_key: Option<PublicKey>,
    state: Mutex<State>,
    plan: Mutex<Py<PyAny>>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = state.scratch.take() {
            give_scratch(s);
        }
    }
}

/// What phase 1 hands back out of the GIL-free section.
struct Phase1 {
    frozen: Frozen,
    plan: Plan,
    label: String,
    scheme: Option<&'static str>,
    covered: Vec<String>,
    created: Option<i64>,
    expires: Option<i64>,
    inline_key: Option<PublicKey>,
    keep_scratch: bool,
}

impl Phase1 {
    fn of(p: &Parsed<'_>, r: &Request<'_, '_>) -> Result<Phase1, Error> {
        let fetch = p.fetch();
        let frozen = p.freeze(r)?;
        let mut covered = Vec::with_capacity(p.covered().len());
        p.covered()
            .for_each(|name, _| covered.push(String::from_utf8_lossy(name).into_owned()));
        let params = p.params();
        Ok(Phase1 {
            keep_scratch: frozen.has_token()
                || matches!(fetch, aauth_verify::Fetch::Assertion { .. }),
            frozen,
            plan: Plan::of(&fetch),
            label: String::from_utf8_lossy(p.label()).into_owned(),
            scheme: p.scheme().map(Scheme::name),
            covered,
            created: params.created,
            expires: params.expires,
            inline_key: p.inline_key(),
        })
    }
}

fn failure(e: Error, p: &Policy<'_>, r: &Request<'_, '_>) -> Failure {
    Failure::new(e, p, RequestFacts::of(r))
}

/// Phase 1: every check that needs no key material. Returns a [`Pending`] whose `fetch` says
/// what to obtain, or raises `VerificationError`. `tokens` is the verifier's token cache (read
/// here, written by `finish`); `revoked(issuer, jti) -> bool` withdraws tokens; `replay=True`
/// makes `finish` compute the request's replay key.
#[pyfunction]
#[pyo3(signature = (request, policy, now, *, label = None, tokens = None, revoked = None, replay = false))]
#[allow(clippy::too_many_arguments)]
pub fn parse(
    py: Python<'_>,
    request: &Bound<'_, NativeRequest>,
    policy: &Bound<'_, NativePolicy>,
    now: i64,
    label: Option<&str>,
    tokens: Option<&Bound<'_, NativeTokenCache>>,
    revoked: Option<&Bound<'_, PyAny>>,
    replay: bool,
) -> PyResult<Pending> {
    let revoked = match revoked.filter(|r| !r.is_none()) {
        Some(r) if !r.is_callable() => {
            return Err(PyValueError::new_err(
                "revoked must be a callable (issuer, jti) -> bool",
            ))
        }
        r => r.map(|r| r.clone().unbind()),
    };
    let ctx = Ctx {
        now,
        label: label.map(|l| l.as_bytes().to_vec()),
        tokens: tokens.map(|t| t.clone().unbind()),
        revoked,
        replay,
    };
    let (req, pol) = (request.get(), policy.get());
    let mut scratch = take_scratch();
    PARSES.fetch_add(1, Ordering::Relaxed);
    let out = py.detach(|| {
        req.with(|r| {
            pol.with(|p| {
                ctx.with(false, |c| {
                    let parsed =
                        core_parse(r, p, c, Some(&mut scratch)).map_err(|e| failure(e, p, r))?;
                    Phase1::of(&parsed, r).map_err(|e| failure(e, p, r))
                })
                .0
            })
        })
    });
    let one = match out {
        Ok(one) => one,
        Err(f) => {
            give_scratch(scratch);
            return Err(raise(py, f));
        }
    };
    let scratch = if one.keep_scratch {
        Some(scratch)
    } else {
        give_scratch(scratch);
        None
    };
    Ok(Pending {
        request: request.clone().unbind(),
        policy: policy.clone().unbind(),
        ctx,
        sig: Signature {
            label: PyString::new(py, &one.label).unbind(),
            scheme: one.scheme,
            covered: PyTuple::new(py, &one.covered)?.unbind(),
            created: one.created,
            expires: one.expires,
        },
        inline_key: one.inline_key,
        state: Mutex::new(State {
            frozen: one.frozen,
            scratch,
            assertion: None,
        }),
        plan: Mutex::new(one.plan.into_py(py)?),
    })
}

const BUSY: &str = "this Pending is being finished on another thread";

impl Pending {
    /// The frozen signature and its buffers, or a `RuntimeError` while another call (another
    /// thread, or a callback inside phase 2) holds them.
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err(BUSY))
    }

    /// The `VerificationError` for a host-side refusal of this request.
    fn refusal<'py>(&self, py: Python<'py>, e: Error) -> PyResult<Bound<'py, PyAny>> {
        let facts = self.request.get().facts();
        let f = self.policy.get().with(|p| Failure::new(e, p, facts));
        error_object(py, &f)
    }
}

#[pymethods]
impl Pending {
    /// The plan: `FetchNothing`, `FetchCallerKey`, `FetchMetadata`, `FetchJwks` or
    /// `FetchAssertion`.
    #[getter]
    fn fetch(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let plan = self
            .plan
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err(BUSY))?;
        Ok(plan.clone_ref(py))
    }

    /// The label of the signature being verified.
    #[getter]
    fn label(&self, py: Python<'_>) -> Py<PyString> {
        self.sig.label.clone_ref(py)
    }

    /// The `Signature-Key` scheme name (`None`: a key the host holds).
    #[getter]
    fn scheme(&self) -> Option<&'static str> {
        self.sig.scheme
    }

    /// The covered component names, in order.
    #[getter]
    fn covered(&self, py: Python<'_>) -> Py<PyTuple> {
        self.sig.covered.clone_ref(py)
    }

    /// `created` (seconds since the epoch).
    #[getter]
    fn created(&self) -> Option<i64> {
        self.sig.created
    }

    /// `expires` (seconds since the epoch).
    #[getter]
    fn expires(&self) -> Option<i64> {
        self.sig.expires
    }

    /// The `hwk` key the request carries (not verified yet).
    #[getter]
    fn inline_key(&self) -> Option<NativeKey> {
        self.inline_key.map(|key| NativeKey { key })
    }

    /// The `cached` scheme's next step: the assertion the host cached under the plan's `cid`
    /// and the scheme it was presented under (`"jwt"` or `"jkt-jwt"`). The core decodes it and
    /// runs its offline checks as if it had been presented in full (its failures are its own,
    /// never `cache_miss`); `fetch` is then the assertion's plan.
    fn with_assertion(&self, py: Python<'_>, assertion: &[u8], scheme: &str) -> PyResult<()> {
        let scheme = Scheme::from_name(scheme)
            .ok_or_else(|| PyValueError::new_err(format!("unknown scheme {scheme:?}")))?;
        let (req, pol) = (self.request.get(), self.policy.get());
        let mut guard = self.lock()?;
        let state = &mut *guard;
        let held: Box<[u8]> = assertion.into();
        let out = py.detach(|| {
            req.with(|r| {
                pol.with(|p| {
                    self.ctx
                        .with(false, |c| {
                            let parsed =
                                state.frozen.thaw(r, state.scratch.as_deref_mut(), None)?;
                            let parsed = parsed.with_assertion(&held, scheme, p, c)?;
                            Ok((parsed.freeze(r)?, Plan::of(&parsed.fetch())))
                        })
                        .0
                        .map_err(|e: Error| failure(e, p, r))
                })
            })
        });
        let (frozen, plan) = out.map_err(|f| raise(py, f))?;
        state.frozen = frozen;
        state.assertion = Some(held);
        *self
            .plan
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err(BUSY))? = plan.into_py(py)?;
        Ok(())
    }

    /// Phase 2 with `source`: `None` (the request's own key), a `Key`, `Documents` or
    /// `TrustedJwks`. Returns the fields of `aauth_verify.Verified`, or raises
    /// `VerificationError` (whose `refetch` says whether refetching the signer's keys once may
    /// help). May be called again, e.g. with refetched keys.
    #[pyo3(signature = (source = None))]
    fn finish<'py>(
        &self,
        py: Python<'py>,
        source: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let source = Source::of(source)?;
        let (req, pol) = (self.request.get(), self.policy.get());
        let mut guard = self.lock()?;
        let state = &mut *guard;
        FINISHES.fetch_add(1, Ordering::Relaxed);
        let (out, callback_error) = py.detach(|| {
            req.with(|r| {
                pol.with(|p| {
                    let (out, err) = self.ctx.with(true, |c| {
                        let parsed = state.frozen.thaw(
                            r,
                            state.scratch.as_deref_mut(),
                            state.assertion.as_deref(),
                        )?;
                        source
                            .with(|src| parsed.finish(r, p, src, c))
                            .map(|v| Outcome::of(&v))
                    });
                    (out.map_err(|e| failure(e, p, r)), err)
                })
            })
        });
        drop(guard);
        if let Some(e) = callback_error {
            return Err(e);
        }
        match out {
            Ok(o) => verified_fields(py, &self.sig, o),
            Err(f) => Err(raise(py, f)),
        }
    }

    /// Phase 2 before the body has been read (the core's `finish_before_body`): the key, the
    /// token and the signature over the headers are verified now, and a covered
    /// `Content-Digest` field is read (a malformed one is refused here), so a forged request is
    /// refused before the host reads its body. Returns a `Deferred` whose `complete(body)`
    /// checks the body and returns the fields of `aauth_verify.Verified`. May be called again,
    /// like `finish`.
    #[pyo3(signature = (source = None))]
    fn finish_before_body(
        &self,
        py: Python<'_>,
        source: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<NativeDeferred> {
        let source = Source::of(source)?;
        let (req, pol) = (self.request.get(), self.policy.get());
        let mut guard = self.lock()?;
        let state = &mut *guard;
        FINISHES.fetch_add(1, Ordering::Relaxed);
        let (out, callback_error) = py.detach(|| {
            req.with(|r| {
                pol.with(|p| {
                    let (out, err) = self.ctx.with(true, |c| {
                        let parsed = state.frozen.thaw(
                            r,
                            state.scratch.as_deref_mut(),
                            state.assertion.as_deref(),
                        )?;
                        source
                            .with(|src| parsed.finish_before_body(r, p, src, c))
                            .map(|d| {
                                let (v, check) = d.into_parts();
                                (Outcome::of(&v), check)
                            })
                    });
                    (out.map_err(|e| failure(e, p, r)), err)
                })
            })
        });
        drop(guard);
        if let Some(e) = callback_error {
            return Err(e);
        }
        let (outcome, check) = out.map_err(|f| raise(py, f))?;
        Ok(NativeDeferred {
            request: self.request.clone_ref(py),
            policy: self.policy.clone_ref(py),
            sig: self.sig.clone_ref(py),
            check,
            replay: outcome.replay(),
            outcome: Mutex::new(Some(outcome)),
        })
    }

    /// The `VerificationError` (not raised) for a `cached` identifier the host cannot resolve:
    /// `cache_miss`.
    fn cache_miss<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.refusal(py, Error::cache_miss())
    }

    /// The `VerificationError` (not raised) for a request the host's replay store has seen:
    /// `invalid_signature`, check `replayed`.
    fn replayed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.refusal(py, Error::new(ErrorCode::InvalidSignature, Check::Replayed))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let plan = self
            .plan
            .try_lock()
            .ok()
            .and_then(|p| p.bind(py).repr().ok().map(|r| r.to_string()))
            .unwrap_or_default();
        format!("Pending(scheme={:?}, fetch={plan})", self.sig.scheme)
    }
}

/// A request whose signature verified over its headers, its body not checked yet
/// (`Pending.finish_before_body`). Nothing verified is readable before `complete(body)` but the
/// replay key, which a host records before it reads the body (a replay is refused unread).
#[pyclass(frozen, module = "aauth_verify._native", name = "Deferred")]
pub struct NativeDeferred {
    request: Py<NativeRequest>,
    policy: Py<NativePolicy>,
    sig: Signature,
    check: BodyCheck,
    replay: Option<NativeReplayKey>,
    outcome: Mutex<Option<Outcome>>,
}

#[pymethods]
impl NativeDeferred {
    /// Whether the body must be read and passed to `complete`: `content-digest` is covered.
    #[getter]
    fn needs_body(&self) -> bool {
        self.check.needs_body()
    }

    /// Whether the body must be empty: the policy requires `content-digest` for a body and the
    /// signature does not cover it (the framing announced no body). A host that may receive
    /// one anyway (HTTP/2, a lying `Content-Length`) passes what it read to `complete`.
    #[getter]
    fn body_must_be_empty(&self) -> bool {
        self.check.body_must_be_empty()
    }

    /// The replay key (`None` unless `parse(..., replay=True)`).
    #[getter]
    fn replay(&self, py: Python<'_>) -> PyResult<Option<Py<NativeReplayKey>>> {
        self.replay
            .as_ref()
            .map(|k| Py::new(py, NativeReplayKey::clone_of(k)))
            .transpose()
    }

    /// Checks the whole body (`b""` when there is none) and returns the fields of
    /// `aauth_verify.Verified`, or raises `VerificationError` (`invalid_signature` for a digest
    /// mismatch, `invalid_input` for a body that had to be empty). Once only: a second call is
    /// a `RuntimeError`, whatever the first one answered.
    fn complete<'py>(&self, py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyDict>> {
        let outcome = self
            .outcome
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err(BUSY))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this Deferred was completed already"))?;
        let (req, pol, check) = (self.request.get(), self.policy.get(), self.check);
        let out = py.detach(|| {
            req.with(|r| {
                check.complete(r, body).map_err(|e| {
                    // What the request carried is what was read, not only what it announced.
                    let mut facts = RequestFacts::of(r);
                    facts.body |= !body.is_empty();
                    pol.with(|p| Failure::new(e, p, facts))
                })
            })
        });
        match out {
            Ok(()) => verified_fields(py, &self.sig, outcome),
            Err(f) => Err(raise(py, f)),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Deferred(scheme={:?}, needs_body={}, body_must_be_empty={})",
            self.sig.scheme,
            self.check.needs_body(),
            self.check.body_must_be_empty()
        )
    }
}

/// The signature base (RFC 9421 §2.5) of the request's signature, for logs and debugging.
#[pyfunction]
#[pyo3(signature = (request, policy, now, label = None))]
pub fn signature_base<'py>(
    py: Python<'py>,
    request: &Bound<'py, NativeRequest>,
    policy: &Bound<'py, NativePolicy>,
    now: i64,
    label: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (req, pol) = (request.get(), policy.get());
    let out = req.with(|r| {
        pol.with(|p| {
            let ctx = Context {
                label: label.map(str::as_bytes),
                ..Context::at(now)
            };
            let mut scratch = take_scratch();
            let base = core_parse(r, p, &ctx, Some(&mut scratch)).and_then(|parsed| {
                let mut buf = vec![0u8; 64 * 1024];
                let n = parsed.base_into(r, &mut buf)?.len();
                buf.truncate(n);
                Ok(buf)
            });
            give_scratch(scratch);
            base.map_err(|e| failure(e, p, r))
        })
    });
    match out {
        Ok(b) => Ok(PyBytes::new(py, &b)),
        Err(f) => Err(raise(py, f)),
    }
}
