"""Fleet state (issue 17): replay keys and cached assertions in memory and in a real Redis
(started by the ``redis_server`` fixture on 127.0.0.1), shared by several verifiers, with
Redis killed and restarted under them, and under a flood of distinct requests."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from aauth_verify import (
    MemoryAssertionCache,
    MemoryReplayCache,
    RedisAssertionCache,
    RedisReplayCache,
    StoreUnavailable,
    VerificationError,
    Verifier,
)
from aauth_verify.middleware import AAuthMiddleware
from conftest import body_of, load_cases
from signing import sign

AUTH = "api.test"
CASES = {c["name"]: c for c in load_cases("tokens.json")}
GRANT, CACHED = CASES["jkt-jwt-jti-with-cache"], CASES["cached-jkt-jwt-hit"]
EXPIRED = CASES["cached-resolved-but-expired"]
CID = "q6urq6urq6urq6urq6urqw"  # the cid the cached vectors present: os.urandom -> 0xab * 16
NOW = GRANT["now"]


def _vector(case: Dict[str, Any]) -> Tuple[str, str, Any, Optional[bytes]]:
    r = case["request"]
    url = r["path"] + (f"?{r['query']}" if r["query"] is not None else "")
    return r["method"], url, [tuple(h) for h in r["headers"]], body_of(r)


def _at_vector(**kw: Any) -> Verifier:
    r = GRANT["request"]
    return Verifier(authority=r["authority"], scheme=r["scheme"], clock=lambda: NOW,
                    schemes=["jkt-jwt", "cached"], **kw)


@pytest.fixture
def pinned_cid(monkeypatch):
    monkeypatch.setattr(os, "urandom", lambda n: b"\xab" * n)


def _code(f: Any) -> Tuple[str, Optional[str]]:
    with pytest.raises(VerificationError) as e:
        f()
    return e.value.code, e.value.check


# -- memory stores ----------------------------------------------------------------------------


def test_memory_replay_cache_is_bounded_under_a_flood():
    """Issue 17: a flood of distinct verified requests keeps the memory store at
    max_entries; the entries displaced are those closest to expiry, and a fresh replay is still
    refused."""
    store = MemoryReplayCache(max_entries=50)
    v = Verifier(authority=AUTH, replay=store)
    last = None
    for i in range(400):
        last, _ = sign("GET", AUTH, f"/r/{i}")
        v.verify("GET", f"/r/{i}", last)
        assert len(store) <= 50
    assert len(store) == 50
    assert _code(lambda: v.verify("GET", "/r/399", last)) == ("invalid_signature", "replayed")


def test_memory_replay_cache_forgets_expired_keys_first():
    """Issue 17: the memory bound drops expired keys first, then the one closest to expiry;
    a key is fresh through its last second (until)."""
    class K:
        def __init__(self, b64: str, until: int) -> None:
            self.b64, self.until = b64, until

    store = MemoryReplayCache(max_entries=2)
    assert store.check_and_record(K("a", 100), 50)
    assert store.check_and_record(K("b", 200), 50)
    assert not store.check_and_record(K("a", 100), 100)  # still fresh at its last second
    assert store.check_and_record(K("c", 300), 150)  # "a" expired: it goes, "b" stays
    assert not store.check_and_record(K("b", 200), 150)
    assert store.check_and_record(K("d", 400), 150)  # full: "b" (closest to expiry) goes
    assert store.check_and_record(K("b", 200), 150) and len(store) == 2
    with pytest.raises(ValueError):
        MemoryReplayCache(0)
    with pytest.raises(ValueError):
        MemoryReplayCache(True)  # type: ignore[arg-type]


def test_memory_assertion_cache_grants_and_expiry(pinned_cid):
    """Issue 17: the in-memory assertion store serves the cached scheme, ends an identifier at
    its expiry and stays within max_entries."""
    store = MemoryAssertionCache(max_entries=2, clock=lambda: NOW)
    v = _at_vector(assertions=store)
    first = v.verify(*_vector(GRANT))
    assert first.signature_key_cache is not None and CID in first.signature_key_cache
    assert v.verify(*_vector(CACHED)).scheme == "cached"
    later = MemoryAssertionCache(clock=lambda: NOW + 10**6)
    later.put(CID, b"a.b.c", "jkt-jwt", NOW + 10)
    assert later.get(CID) is None and len(later) == 0
    for i in range(5):
        store.put(f"c{i}", b"a.b.c", "jwt", NOW + 100 + i)
    assert len(store) == 2 and store.get("c4") == (b"a.b.c", "jwt")
    with pytest.raises(ValueError):
        store.put("x", b"a.b.c", "hwk", NOW + 1)  # type: ignore[arg-type]


# -- Redis: two verifiers, one fleet ----------------------------------------------------------


def test_two_verifiers_sharing_redis_see_each_others_replays(redis_server):
    """Issue 17: a request verified by one process is a replay for every other one."""
    a = Verifier(authority=AUTH, replay=RedisReplayCache(redis_server.client()))
    b = Verifier(authority=AUTH, replay=RedisReplayCache(redis_server.client()))
    h, _ = sign("POST", AUTH, "/pay", body=b"{}", digest=True)
    first = a.verify("POST", "/pay", h, b"{}")
    assert _code(lambda: b.verify("POST", "/pay", h, b"{}")) == ("invalid_signature", "replayed")
    assert _code(lambda: a.verify("POST", "/pay", h, b"{}"))[1] == "replayed"
    # The key is SET NX PX: it carries the TTL the core computed.
    ttl = redis_server.client().pttl("aauth:replay:" + first.replay.b64)
    assert 0 < ttl <= first.replay.ttl(int(time.time())) * 1000
    # Another prefix is another fleet.
    c = Verifier(authority=AUTH, replay=RedisReplayCache(redis_server.client(), prefix="other:"))
    assert c.verify("POST", "/pay", h, b"{}").scheme == "hwk"


async def test_two_async_verifiers_sharing_redis(redis_server):
    """Issue 17: the same with redis.asyncio clients under averify."""
    a = Verifier(authority=AUTH, replay=RedisReplayCache(redis_server.aclient()))
    b = Verifier(authority=AUTH, replay=RedisReplayCache(redis_server.aclient()))
    h, _ = sign("GET", AUTH, "/x")
    await a.averify("GET", "/x", h)
    with pytest.raises(VerificationError) as e:
        await b.averify("GET", "/x", h)
    assert e.value.check == "replayed"
    # A sync verify with an asyncio client is a clear error, never an unawaited coroutine
    # (which is truthy, and would accept every replay).
    h2, _ = sign("GET", AUTH, "/x")
    with pytest.raises(TypeError, match="averify"):
        a.verify("GET", "/x", h2)


def test_verifiers_resolve_each_others_cache_identifiers(redis_server, pinned_cid):
    """Issue 17: a cid issued by one verifier resolves on another (SK-09 §6)."""
    a = _at_vector(assertions=RedisAssertionCache(redis_server.client(), clock=lambda: NOW))
    b = _at_vector(assertions=RedisAssertionCache(redis_server.client(), clock=lambda: NOW))
    first = a.verify(*_vector(GRANT))
    assert first.signature_key_cache == f'sig="{CID}";jti="j-1";expires={NOW + 3600}'
    second = b.verify(*_vector(CACHED))
    assert second.scheme == "cached" and second.agent == first.agent
    assert second.thumbprint == first.thumbprint
    ttl = redis_server.client().pttl("aauth:cid:" + CID)
    assert 3590 * 1000 < ttl <= 3600 * 1000


async def test_async_verifiers_resolve_each_others_cache_identifiers(redis_server, pinned_cid):
    """Issue 17: cids across verifiers with redis.asyncio clients."""
    a = _at_vector(assertions=RedisAssertionCache(redis_server.aclient(), clock=lambda: NOW))
    b = _at_vector(assertions=RedisAssertionCache(redis_server.aclient(), clock=lambda: NOW))
    assert (await a.averify(*_vector(GRANT))).signature_key_cache is not None
    assert (await b.averify(*_vector(CACHED))).scheme == "cached"


def test_a_resolved_assertion_that_fails_is_never_cache_miss(redis_server):
    """Issue 17 / SK-09 §6.1: resolution and validation are separate: an assertion the store
    holds that then fails (expired, corrupted) is its own error, never cache_miss; a cid the
    store lacks, or a value this store did not write, is cache_miss."""
    client = redis_server.client()
    store = RedisAssertionCache(client, clock=lambda: NOW)
    v = _at_vector(assertions=store)
    expired = EXPIRED["key"]
    store.put(CID, expired["assertion"].encode(), expired["scheme"], NOW + 60)
    assert _code(lambda: v.verify(*_vector(EXPIRED)))[0] == "expired_jwt"
    client.set("aauth:cid:" + CID, b"jkt-jwt\0not.a.token")
    assert _code(lambda: v.verify(*_vector(CACHED)))[0] == "invalid_jwt"
    client.set("aauth:cid:" + CID, b"hwk\0x.y.z")  # not a scheme an assertion stands for
    assert _code(lambda: v.verify(*_vector(CACHED)))[0] == "cache_miss"
    client.delete("aauth:cid:" + CID)
    assert _code(lambda: v.verify(*_vector(CACHED))) == ("cache_miss", "cache_missed")


# -- Redis unreachable ---------------------------------------------------------------------------


def test_redis_killed_mid_run_fails_closed_then_recovers(redis_server, caplog):
    """Issue 17: Redis down: the replay check fails closed (StoreUnavailable, fast: the client's
    timeouts), a cid lookup is cache_miss, a grant sends no Signature-Key-Cache; once Redis is
    back the same verifiers work again."""
    replay = RedisReplayCache(redis_server.client())
    v = Verifier(authority=AUTH, replay=replay)
    h, _ = sign("GET", AUTH, "/x")
    v.verify("GET", "/x", h)
    redis_server.stop()
    h2, _ = sign("GET", AUTH, "/x")
    start = time.monotonic()
    with pytest.raises(StoreUnavailable) as e:
        v.verify("GET", "/x", h2)
    assert e.value.store == "replay" and time.monotonic() - start < 2
    with caplog.at_level(logging.WARNING, logger="aauth_verify"):
        loose = Verifier(authority=AUTH, replay=replay, replay_fail_open=True)
        assert loose.verify("GET", "/x", h2).scheme == "hwk"
    assert "fail open" in caplog.text
    # Assertions: a lookup is cache_miss, a grant is verified but not advertised.
    assertions = RedisAssertionCache(redis_server.client(), clock=lambda: NOW)
    cv = _at_vector(assertions=assertions)
    assert _code(lambda: cv.verify(*_vector(CACHED))) == ("cache_miss", "cache_missed")
    granted = cv.verify(*_vector(GRANT))
    assert granted.cache is not None and granted.signature_key_cache is None
    redis_server.start()
    h3, _ = sign("GET", AUTH, "/x")
    assert v.verify("GET", "/x", h3).scheme == "hwk"
    assert _code(lambda: v.verify("GET", "/x", h3))[1] == "replayed"
    assert cv.verify(*_vector(GRANT)).signature_key_cache is not None


async def test_the_middleware_answers_503_while_redis_is_down(redis_server, caplog):
    """Issue 17: fail closed through the middleware: 503, no Signature-Error, an ERROR log line;
    a ;cache grant answered with Signature-Key-Cache while Redis is up."""
    import httpx

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = AAuthMiddleware(app, authority=AUTH, replay=RedisReplayCache(redis_server.aclient()))

    async def call(h: Any) -> Any:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mw),
                                     base_url=f"https://{AUTH}") as c:
            return await c.get("/x", headers=h)

    h, _ = sign("GET", AUTH, "/x")
    assert (await call(h)).status_code == 200
    assert (await call(h)).status_code == 401  # replayed
    redis_server.stop()
    h2, _ = sign("GET", AUTH, "/x")
    with caplog.at_level(logging.ERROR, logger="aauth_verify"):
        r = await call(h2)
    assert r.status_code == 503 and "signature-error" not in r.headers
    assert "replay store unavailable" in caplog.text
    redis_server.start()
    assert (await call(h2)).status_code == 200


async def test_signature_key_cache_goes_out_on_the_response(redis_server, pinned_cid):
    """Issue 17: AAuthMiddleware adds Signature-Key-Cache to the app's response when the
    verifier issued an identifier, and not otherwise."""
    import httpx

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    r = GRANT["request"]
    mw = AAuthMiddleware(app, authority=r["authority"], scheme=r["scheme"], clock=lambda: NOW,
                         schemes=["jkt-jwt", "cached"],
                         assertions=RedisAssertionCache(redis_server.aclient(), clock=lambda: NOW))

    async def call(case: Dict[str, Any]) -> Any:
        method, url, headers, body = _vector(case)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mw),
                                     base_url=f"https://{r['authority']}") as c:
            return await c.request(method, url, headers=headers, content=body)

    first = await call(GRANT)
    assert first.status_code == 200 and CID in first.headers["signature-key-cache"]
    second = await call(CACHED)
    assert second.status_code == 200 and "signature-key-cache" not in second.headers


def _black_hole() -> Tuple[socket.socket, int]:
    """A listener on 127.0.0.1 that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s, s.getsockname()[1]


def test_a_redis_that_never_answers_times_out(redis_server):
    """Issue 17: nothing hangs: a server that accepts and stays silent costs the client's
    socket_timeout (sync) or the store's deadline (asyncio), then StoreUnavailable."""
    import redis
    import redis.asyncio
    from redis.asyncio.retry import Retry as ARetry
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    hole, port = _black_hole()
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.3,
                             socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 0))
        v = Verifier(authority=AUTH, replay=RedisReplayCache(client))
        h, _ = sign("GET", AUTH, "/x")
        start = time.monotonic()
        with pytest.raises(StoreUnavailable):
            v.verify("GET", "/x", h)
        assert time.monotonic() - start < 1.5
        # asyncio: a client whose own timeout is long is still cut at the store's deadline.
        aclient = redis.asyncio.Redis(host="127.0.0.1", port=port, socket_timeout=30,
                                      socket_connect_timeout=30, retry=ARetry(NoBackoff(), 0))
        av = Verifier(authority=AUTH, replay=RedisReplayCache(aclient, deadline=0.3))
        start = time.monotonic()
        with pytest.raises(StoreUnavailable, match="within 0.3 s"):
            asyncio.run(av.averify("GET", "/x", h))
        assert time.monotonic() - start < 1.5
    finally:
        hole.close()


def test_clients_without_timeouts_and_bad_options_are_refused(redis_server):
    """Issue 17 (every Redis call has a timeout): a client with socket_timeout=None could
    hang a verification forever, so the stores refuse it."""
    import redis

    with pytest.raises(ValueError, match="socket_timeout"):
        RedisReplayCache(redis.Redis(host="127.0.0.1", port=redis_server.port,
                                     socket_timeout=None))
    with pytest.raises(ValueError, match="socket_timeout"):
        RedisAssertionCache(redis.Redis(host="127.0.0.1", port=redis_server.port,
                                        socket_timeout=None, socket_connect_timeout=1))
    with pytest.raises(TypeError):
        RedisReplayCache(object())
    with pytest.raises(TypeError):
        RedisReplayCache(redis_server.client(), prefix="")
    with pytest.raises(ValueError):
        RedisReplayCache(redis_server.client(), deadline=0)


def test_redis_is_an_optional_extra(monkeypatch):
    """Issue 17: without redis-py the stores name the extra to install."""
    for name in list(sys.modules):
        if name == "redis" or name.startswith("redis."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r"aauth-verify\[redis\]"):
        RedisReplayCache(object())
    # The rest of the package does not need it.
    assert MemoryReplayCache().check_and_record.__self__ is not None


# -- bounded under a flood ----------------------------------------------------------------------


def test_a_flood_stays_within_redis_maxmemory(small_redis):
    """Issue 17: a flood of distinct replay keys (more than the memory Redis is allowed)
    stays within maxmemory: allkeys-lru evicts, every write succeeds, and the newest keys are
    still there."""

    class K:
        def __init__(self, i: int) -> None:
            self.b64 = f"{i:043d}"

        def ttl(self, now: int) -> int:
            return 120

    client = small_redis.client()
    store = RedisReplayCache(client)
    limit = int(client.config_get("maxmemory")["maxmemory"])
    n = 40_000
    for i in range(n):
        assert store.check_and_record(K(i), 0)
    info = client.info()
    assert info["used_memory"] <= limit * 1.05, (info["used_memory"], limit)
    assert info["evicted_keys"] > 0 and client.dbsize() < n
    assert not store.check_and_record(K(n - 1), 0)  # the newest are kept
    # Real requests through a verifier still work on the bounded Redis.
    v = Verifier(authority=AUTH, replay=store)
    h, _ = sign("GET", AUTH, "/x")
    v.verify("GET", "/x", h)
    assert _code(lambda: v.verify("GET", "/x", h))[1] == "replayed"


# -- the README's two-process example, run -----------------------------------------------------


def test_the_fleet_example_runs(redis_server):
    """The examples/fleet/ script of the README: two processes, one Redis."""
    script = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "fleet.py"
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "fleet: ok" in out.stdout
