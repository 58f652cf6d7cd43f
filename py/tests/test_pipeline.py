"""The native pipeline and what Verifier builds on it: one parse and one finish per request,
typed plans and key sources, revocation, the refresh-once rule, and the fleet-state entry
points (replay keys, cache grants, the ``cached`` scheme)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest

from aauth_verify import (
    CHECKS,
    ERROR_CODES,
    Documents,
    StaticKeys,
    TrustedJwks,
    VerificationError,
    Verifier,
    _native,
)
from aauth_verify._native import FetchAssertion, FetchMetadata, FetchNothing
from conftest import body_of, load_cases
from test_vectors import policy_of, request_of, source_of

CASES = {c["name"]: c for c in load_cases("signatures.json") + load_cases("tokens.json")}

aauth_signing = pytest.importorskip("aauth_signing")
from aauth_signing import sign_request  # noqa: E402
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from aauth_signing.tokens.agent_token import create_agent_token  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

AGENT = "https://agent.example"
ISSUER = "https://issuer.example"
URI = "https://resource.example/api/data"


def _verifier_for(case: Dict[str, Any], **kw: Any) -> Verifier:
    r = case["request"]
    p = case.get("policy") or {}
    return Verifier(authority=r["authority"], scheme=r["scheme"], clock=lambda: case["now"],
                    schemes=p.get("schemes"), **kw)


def _verify(v: Verifier, case: Dict[str, Any]) -> Any:
    r = case["request"]
    url = r["path"] + (f"?{r['query']}" if r["query"] is not None else "")
    return v.verify(r["method"], url, r["headers"], body_of(r))


def _docs(case: Dict[str, Any]) -> Dict[str, Any]:
    k = case["key"]
    meta = k["metadata"]
    return {f"{meta['issuer']}/.well-known/aauth-agent.json": meta, meta["jwks_uri"]: k["jwks"]}


# -- the native API ---------------------------------------------------------------------------


def test_parse_then_finish_and_finish_again():
    case = CASES["jwt-a3"]
    policy = policy_of(case.get("policy"))
    before = _native.counters()
    pending = _native.parse(request_of(case["request"]), policy, case["now"])
    plan = pending.fetch
    assert type(plan) is FetchMetadata and plan.kind == "metadata"
    assert (plan.origin, plan.dwk, plan.kid) == ("https://agent.example", "aauth-agent.json", "ap-key-1")
    assert plan.metadata_url == "https://agent.example/.well-known/aauth-agent.json"
    assert plan.signer == plan.origin
    source = source_of(case, policy)
    assert type(source) is Documents
    first = pending.finish(source)
    second = pending.finish(source)  # the frozen signature thaws again
    assert first["subject"] == second["subject"] == "aauth:assistant@agent.example"
    assert _native.counters()[0] - before[0] == 1
    assert _native.counters()[1] - before[1] == 2
    # A wrong key source is a clear TypeError; a source that does not fit the plan is the
    # core's refusal.
    with pytest.raises(TypeError, match="key source"):
        pending.finish("jwks")  # type: ignore[arg-type]
    with pytest.raises(VerificationError) as e:
        pending.finish(None)
    assert e.value.code == "unknown_key" and e.value.check == "no_key_supplied"


def test_inline_plans_and_pending_facts():
    case = next(c for c in CASES.values() if c["expect"]["result"] == "ok"
                and c["expect"].get("scheme") == "hwk")
    pending = _native.parse(request_of(case["request"]), policy_of(case.get("policy")), case["now"])
    assert type(pending.fetch) is FetchNothing and pending.fetch.signer is None
    assert pending.scheme == "hwk" and pending.label == case["expect"]["label"]
    assert "signature-key" in pending.covered
    assert pending.inline_key is not None
    out = pending.finish()
    assert out["thumbprint"] == pending.inline_key.thumbprint == case["expect"]["thumbprint"]


def test_metadata_checked_by_the_core_and_trusted_jwks_not():
    case = CASES["jwt-a3"]
    policy = policy_of(None)
    pending = _native.parse(request_of(case["request"]), policy, case["now"])
    jwks = json.dumps(case["key"]["jwks"]).encode()
    other = json.dumps(dict(case["key"]["metadata"], issuer="https://other.example")).encode()
    with pytest.raises(VerificationError) as e:
        pending.finish(Documents(jwks, other))
    assert (e.value.code, e.value.check) == ("issuer_mismatch", "issuer_differs")
    with pytest.raises(VerificationError) as e:
        pending.finish(Documents(jwks))  # a metadata plan needs the metadata
    assert e.value.check == "metadata_not_supplied"
    assert pending.finish(TrustedJwks(jwks))["issuer"] == "https://agent.example"


def test_errors_carry_code_check_and_refetch():
    assert list(ERROR_CODES) == [t for t, *_ in _native.error_codes()]
    assert list(ERROR_CODES)[-2:] == ["revoked_jwt", "cache_miss"] and len(ERROR_CODES) == 14
    assert CHECKS["signature_invalid"] == 240 and CHECKS["kid_not_in_jwks"] == 157
    case = CASES["jwt-a3-unknown-kid"]
    pending = _native.parse(request_of(case["request"]), policy_of(None), case["now"])
    with pytest.raises(VerificationError) as e:
        pending.finish(source_of(case, policy_of(None)))
    assert (e.value.code, e.value.check, e.value.refetch) == ("unknown_key", "kid_not_in_jwks", True)
    assert e.value.check_number == 157
    # A request that carries its own key never asks for a refetch.
    hwk = CASES["hwk-v1-authority-uppercase"]
    with pytest.raises(VerificationError) as e:
        _native.parse(request_of(hwk["request"]), policy_of(hwk.get("policy")), hwk["now"]).finish()
    assert (e.value.check, e.value.refetch) == ("signature_invalid", False)


def test_problem_details_and_status_from_the_core():
    doc = json.loads(_native.problem_details("unknown_key", "kid_not_in_jwks", 401))
    assert doc == {"type": "urn:ietf:params:sig-error:unknown_key", "title": "Unknown key",
                   "status": 401, "detail": "no JWKS key has the requested kid", "error": "unknown_key"}
    # A host-side refusal without a check still gets a registry type.
    assert json.loads(_native.problem_details("cache_miss", None, 401))["type"].endswith("cache_miss")
    assert [_native.status_for(c, False) for c in ("invalid_signature", "invalid_input", "cache_miss")] == [400, 401, 401]
    assert _native.status_for("invalid_signature") == 401
    e = VerificationError("clock_skew")
    assert e.recoverable and e.status(aauth=False) == 401
    with pytest.raises(ValueError):
        _native.problem_details("no_such_code", None, 401)


def test_a_pending_in_use_is_refused_not_raced():
    case = CASES["jwt-a3"]
    policy = policy_of(None)
    pending = _native.parse(request_of(case["request"]), policy, case["now"])
    source = source_of(case, policy)
    errors: List[BaseException] = []
    results: List[Any] = []

    def revoked(iss: str, jti: str) -> bool:
        # Runs inside phase 2, which holds the pending: using it now, from this thread or
        # another, is refused rather than raced.
        worker = threading.Thread(target=lambda: _try(pending.finish, source))
        worker.start()
        worker.join()
        _try(lambda: pending.fetch)
        return False

    def _try(fn: Any, *args: Any) -> None:
        try:
            results.append(fn(*args))
        except RuntimeError as e:
            errors.append(e)

    pending = _native.parse(request_of(case["request"]), policy, case["now"], revoked=revoked)
    assert pending.finish(source)["agent"] == "aauth:assistant@agent.example"
    assert len(errors) == 1 and "another thread" in str(errors[0])
    assert len(results) == 1  # the plan is readable meanwhile


# -- revocation -------------------------------------------------------------------------------


def test_revoked_callable():
    case = CASES["jwt-a3"]
    seen: List[Tuple[str, str]] = []

    def revoked(iss: str, jti: str) -> bool:
        seen.append((iss, jti))
        return jti == "at-1"

    v = _verifier_for(case, resolver=StaticKeys(_docs(case)), revoked=revoked)
    with pytest.raises(VerificationError) as e:
        _verify(v, case)
    assert (e.value.code, e.value.check) == ("revoked_jwt", "revoked")
    assert e.value.signature_error == "error=revoked_jwt"
    assert seen == [("https://agent.example", "at-1")]
    ok = _verifier_for(case, resolver=StaticKeys(_docs(case)), revoked=lambda i, j: False)
    assert _verify(ok, case).subject == "aauth:assistant@agent.example"
    # Not consulted for a token whose JWS fails: a forged token is invalid_jwt, never revoked.
    bad = CASES["jwt-a3-wrong-issuer-key"]
    seen.clear()
    v = _verifier_for(bad, resolver=StaticKeys(_docs(bad)), revoked=revoked)
    with pytest.raises(VerificationError) as e:
        _verify(v, bad)
    assert e.value.code == "invalid_jwt" and seen == []


def test_revoked_callable_that_raises_refuses_and_propagates():
    case = CASES["jwt-a3"]

    class Down(Exception):
        pass

    def revoked(iss: str, jti: str) -> bool:
        raise Down("revocation list unavailable")

    v = _verifier_for(case, resolver=StaticKeys(_docs(case)), revoked=revoked)
    with pytest.raises(Down):
        _verify(v, case)
    with pytest.raises(TypeError):
        Verifier(authority="a", revoked=42)  # type: ignore[arg-type]


# -- refresh once before unknown_key ----------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    agent_key = Ed25519PrivateKey.generate()
    issuer_key = Ed25519PrivateKey.generate()
    stale_key = Ed25519PrivateKey.generate()
    agent_jwk = dict(public_key_to_jwk(agent_key.public_key()), kid="key-1")
    issuer_jwk = dict(public_key_to_jwk(issuer_key.public_key()), kid="as-1")

    def docs(agent_keys, issuer_keys):
        return {
            f"{AGENT}/.well-known/aauth-agent.json": {"issuer": AGENT, "jwks_uri": f"{AGENT}/jwks.json"},
            f"{AGENT}/jwks.json": {"keys": agent_keys},
            f"{ISSUER}/.well-known/aauth-agent.json": {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks.json"},
            f"{ISSUER}/jwks.json": {"keys": issuer_keys},
        }

    stale_agent = dict(public_key_to_jwk(stale_key.public_key()), kid="key-1")
    stale_issuer = dict(public_key_to_jwk(stale_key.public_key()), kid="as-1")
    return dict(
        agent_key=agent_key, issuer_key=issuer_key, agent_jwk=agent_jwk,
        current=docs([agent_jwk], [issuer_jwk]),
        no_kid=docs([dict(agent_jwk, kid="key-0")], [dict(issuer_jwk, kid="as-0")]),
        stale=docs([stale_agent], [stale_issuer]),
    )


def signed(world: Dict[str, Any], scheme: str) -> Dict[str, str]:
    kw: Dict[str, Any] = dict(id=AGENT, dwk="aauth-agent.json", kid="key-1")
    if scheme == "jwt":
        cnf = {k: v for k, v in world["agent_jwk"].items() if k != "kid"}
        kw = dict(jwt=create_agent_token(ISSUER, "aauth:bot@issuer.example", cnf, world["issuer_key"], "as-1"))
    return dict(sign_request("GET", URI, {}, None, world["agent_key"], sig_scheme=scheme, **kw))


class Rotating:
    """A resolver whose documents change on ``refresh``: version ``i`` until refreshed. Counts
    refreshes; ``allow=False`` plays a resolver within its refetch floor."""

    def __init__(self, *versions: Dict[str, Any], allow: bool = True) -> None:
        self.versions = [StaticKeys(v) for v in versions]
        self.i = 0
        self.allow = allow
        self.refreshes: List[str] = []

    def key(self, identifier: str, dwk: str, kid: str, rules: Any) -> Any:
        return self.versions[self.i].key(identifier, dwk, kid, rules)

    def jwks_key(self, url: str, kid: str, rules: Any) -> Any:  # pragma: no cover - not used
        return self.versions[self.i].jwks_key(url, kid, rules)

    def refresh(self, signer: str) -> bool:
        self.refreshes.append(signer)
        if self.allow and self.i + 1 < len(self.versions):
            self.i += 1
        return self.allow


class AsyncRotating(Rotating):
    async def akey(self, identifier: str, dwk: str, kid: str, rules: Any) -> Any:
        await asyncio.sleep(0)
        return self.key(identifier, dwk, kid, rules)

    async def arefresh(self, signer: str) -> bool:
        await asyncio.sleep(0)
        return self.refresh(signer)


@pytest.mark.parametrize("scheme,signer", [("jwks_uri", AGENT), ("jwt", ISSUER)])
@pytest.mark.parametrize("first", ["no_kid", "stale"])
def test_one_refresh_cures_a_rotated_key(world, scheme, signer, first):
    """The first JWKS lacks the kid (unknown_key) or holds a stale key under it (the request or
    the token does not verify): exactly one refresh of that signer, then it verifies."""
    resolver = Rotating(world[first], world["current"])
    v = Verifier(authority="resource.example", resolver=resolver)
    before = _native.counters()
    out = v.verify("GET", "/api/data", signed(world, scheme))
    assert out.scheme == scheme and resolver.refreshes == [signer]
    assert _native.counters()[0] - before[0] == 1  # one parse, whatever the retries
    # The next request uses the refreshed keys: no refresh.
    v.verify("GET", "/api/data", signed(world, scheme))
    assert resolver.refreshes == [signer]


@pytest.mark.parametrize("first", ["no_kid", "stale"])
def test_refresh_is_asked_once_then_the_error_stands(world, first):
    want = {"no_kid": ("unknown_key", "kid_not_in_jwks"), "stale": ("invalid_signature", "signature_invalid")}
    for resolver in (Rotating(world[first], allow=False), Rotating(world[first], world[first])):
        v = Verifier(authority="resource.example", resolver=resolver)
        with pytest.raises(VerificationError) as e:
            v.verify("GET", "/api/data", signed(world, "jwks_uri"))
        assert (e.value.code, e.value.check) == want[first]
        assert resolver.refreshes == [AGENT]


def test_no_refresh_without_the_method_or_without_refetch(world):
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["no_kid"]))
    with pytest.raises(VerificationError) as e:
        v.verify("GET", "/api/data", signed(world, "jwks_uri"))
    assert e.value.code == "unknown_key" and e.value.refetch
    # A signature that fails with the request's own key: refetch is never set.
    resolver = Rotating(world["current"])
    v = Verifier(authority="resource.example", resolver=resolver)
    h = signed(world, "hwk")
    with pytest.raises(VerificationError) as e:
        v.verify("PUT", "/api/data", h)
    assert not e.value.refetch and resolver.refreshes == []


@pytest.mark.parametrize("first", ["no_kid", "stale"])
async def test_averify_refreshes_once_with_arefresh(world, first):
    resolver = AsyncRotating(world[first], world["current"])
    v = Verifier(authority="resource.example", resolver=resolver)
    before = _native.counters()
    out = await v.averify("GET", "/api/data", signed(world, "jwt"))
    assert out.issuer == ISSUER and resolver.refreshes == [ISSUER]
    assert _native.counters()[0] - before[0] == 1


# -- fleet state: replay keys, cache grants, the cached scheme --------------------------------


class Replays:
    """A minimal in-process replay store (tests only)."""

    def __init__(self) -> None:
        self.seen: Dict[str, int] = {}

    def check_and_record(self, key: Any, now: int) -> bool:
        if self.seen.get(key.b64, -1) >= now:
            return False
        self.seen[key.b64] = key.until
        return True


class AsyncReplays(Replays):
    async def acheck_and_record(self, key: Any, now: int) -> bool:
        return self.check_and_record(key, now)


class Assertions:
    """A minimal in-process assertion store (tests only)."""

    def __init__(self) -> None:
        self.held: Dict[str, Tuple[bytes, str, int]] = {}

    def get(self, cid: str) -> Optional[Tuple[bytes, str]]:
        found = self.held.get(cid)
        return None if found is None else (found[0], found[1])

    def put(self, cid: str, assertion: bytes, scheme: str, expires: int) -> None:
        self.held[cid] = (assertion, scheme, expires)


def test_replay_key_and_store():
    case = next(c for c in CASES.values() if c["expect"]["result"] == "ok"
                and c["expect"].get("scheme") == "hwk" and not c.get("policy"))
    store = Replays()
    v = _verifier_for(case, replay=store)
    first = _verify(v, case)
    key = first.replay
    assert key is not None and len(key.digest) == 32 and len(key.b64) == 43
    assert key.until == case["expect"]["created"] + 60 and key.ttl(case["now"]) >= 1
    with pytest.raises(VerificationError) as e:
        _verify(v, case)
    assert (e.value.code, e.value.check) == ("invalid_signature", "replayed")
    # Without a store, no replay key is computed.
    assert _verify(_verifier_for(case), case).replay is None


async def test_replay_store_async():
    case = next(c for c in CASES.values() if c["expect"]["result"] == "ok"
                and c["expect"].get("scheme") == "hwk" and not c.get("policy"))
    v = _verifier_for(case, replay=AsyncReplays())
    r = case["request"]
    await v.averify(r["method"], r["path"], r["headers"], body_of(r))
    with pytest.raises(VerificationError) as e:
        await v.averify(r["method"], r["path"], r["headers"], body_of(r))
    assert e.value.check == "replayed"


def test_cache_grant_then_cached_scheme(monkeypatch):
    """A ``;cache`` jkt-jwt verifies and is stored under a fresh identifier (os.urandom(16),
    here pinned to the vector's); the next request presents ``cached;cid=...`` and verifies
    with the same identity."""
    import os

    grant_case = CASES["jkt-jwt-jti-with-cache"]
    cached_case = CASES["cached-jkt-jwt-hit"]
    store = Assertions()
    monkeypatch.setattr(os, "urandom", lambda n: b"\xab" * n)
    v = _verifier_for(grant_case, assertions=store)
    first = _verify(v, grant_case)
    assert first.cache is not None and first.cache.jti == "j-1"
    assert first.signature_key_cache == 'sig="q6urq6urq6urq6urq6urqw";jti="j-1";expires=1730221200'
    assert store.held["q6urq6urq6urq6urq6urqw"] == (
        grant_case["expect"]["requirement"]["jwt"].encode(), "jkt-jwt", 1730221200)
    second = _verify(v, cached_case)
    assert second.scheme == "cached" and second.agent == first.agent
    assert second.thumbprint == first.thumbprint and second.cache is None
    # An identifier nobody issued is cache_miss (recoverable: resend the assertion).
    store.held.clear()
    with pytest.raises(VerificationError) as e:
        _verify(v, cached_case)
    assert (e.value.code, e.value.check) == ("cache_miss", "cache_missed")
    assert e.value.status(aauth=False) == 401
    # Without a store the cached scheme is not offered.
    with pytest.raises(VerificationError) as e:
        _verify(_verifier_for(grant_case), cached_case)
    assert e.value.code == "unsupported_scheme"


def test_with_assertion_argument_errors():
    case = CASES["cached-jkt-jwt-hit"]
    pending = _native.parse(request_of(case["request"]), policy_of(case["policy"]), case["now"])
    assert type(pending.fetch) is FetchAssertion and pending.fetch.cid == "q6urq6urq6urq6urq6urqw"
    with pytest.raises(ValueError, match="unknown scheme"):
        pending.with_assertion(b"x.y.z", "nope")
    with pytest.raises(VerificationError) as e:
        pending.with_assertion(b"x.y.z", "hwk")  # not a scheme an assertion stands for
    assert e.value.code == "invalid_request"
    err = pending.cache_miss()
    assert isinstance(err, VerificationError) and err.code == "cache_miss"
