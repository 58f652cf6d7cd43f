"""The agent path's costs that are properties, not timings (issue 18): a warm resolver answers
without suspending or locking, ``averify`` and the middleware make one native parse and one
native finish, the middleware hands the core the server's header list as it is and reads no
body the policy does not need. The speed itself is measured by ``make bench-agent``."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest

pytest.importorskip("h11")
from aauth_signing import sign_request  # noqa: E402
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from aauth_signing.tokens.common import encode_jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import Verifier, _native, verifier as verifier_module  # noqa: E402
from aauth_verify.middleware import STATE_KEY, AAuthMiddleware  # noqa: E402
from aauth_verify.resolver import AsyncResolver, Resolver  # noqa: E402
from test_resolver import Server  # noqa: E402

AUTH = "agent.test"
BODY = b'{"task": "analyse", "n": 1}'


class NoLock:
    """Stands in for a resolver's lock: taking it fails the test."""

    def __enter__(self) -> None:
        raise AssertionError("the resolver took its lock")

    def __exit__(self, *a: Any) -> None:
        pass


@pytest.fixture
def signer():
    s = Server()
    request_key, issuer_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    s.json("/.well-known/aauth-agent.json", {"issuer": s.origin, "jwks_uri": f"{s.origin}/jwks.json"})
    s.json("/jwks.json", {"keys": [dict(public_key_to_jwk(request_key.public_key()), kid="key-1"),
                                   dict(public_key_to_jwk(issuer_key.public_key()), kid="as-1")]})
    s.request_key, s.issuer_key = request_key, issuer_key
    yield s
    s.close()


def signed(signer: Server, scheme: str, method: str) -> Tuple[List[Tuple[str, str]], Optional[bytes]]:
    body = BODY if method == "POST" else None
    headers: Dict[str, str] = {"Content-Type": "application/json"} if body is not None else {}
    if scheme == "jwks_uri":
        kw = {"id": signer.origin, "dwk": "aauth-agent.json", "kid": "key-1"}
    else:
        now = int(time.time())
        kw = {"jwt": encode_jwt({"iss": signer.origin, "sub": "aauth:backend@test", "dwk": "aauth-agent.json",
                                 "jti": f"t-{now}", "iat": now, "exp": now + 600,
                                 "cnf": {"jwk": public_key_to_jwk(signer.request_key.public_key())}},
                                signer.issuer_key, "as-1", "aa-agent+jwt")}
    extra = ["content-type", "content-digest"] if body is not None else None
    headers.update(sign_request(method, f"http://{AUTH}/task", headers, body, signer.request_key,
                                sig_scheme=scheme, additional_signature_components=extra, **kw))
    return list(headers.items()), body


def resolver_for(signer: Server, kind: Any = AsyncResolver, **kw: Any) -> Any:
    return kind(allow_http_hosts=[f"127.0.0.1:{signer.port}"], trusted=[signer.origin], **kw)


def done_without_suspending(coro: Any) -> Any:
    """Runs ``coro`` one step: it must return without awaiting anything that suspends."""
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError(f"the coroutine suspended on {yielded!r}")


def test_warm_async_resolver_answers_without_suspending_or_locking(signer):
    r = resolver_for(signer)
    key = asyncio.run(r.akey(signer.origin, "aauth-agent.json", "key-1"))
    fetched = dict(signer.hits)
    r._guard = NoLock()
    assert done_without_suspending(r.akey(signer.origin, "aauth-agent.json", "key-1")) == key
    assert r.cached_key(signer.origin, "aauth-agent.json", "key-1") == key
    assert signer.hits == fetched
    # Not at hand: another kid, another spelling of the signer, another profile's rules.
    assert r.cached_key(signer.origin, "aauth-agent.json", "key-2") is None
    assert r.cached_key(signer.origin + "/", "aauth-agent.json", "key-1") is None
    assert r.cached_key(signer.origin, "other.json", "key-1") is None
    assert r.cached_jwks_key(f"{signer.origin}/jwks.json", "key-1") is None


def test_an_expired_entry_is_no_hit_and_the_slow_path_refetches(signer):
    now = [1000.0]
    r = resolver_for(signer, ttl=60, refetch_interval=0, clock=lambda: now[0])
    key = asyncio.run(r.akey(signer.origin, "aauth-agent.json", "key-1"))
    assert r.cached_key(signer.origin, "aauth-agent.json", "key-1") == key
    now[0] += 61
    assert r.cached_key(signer.origin, "aauth-agent.json", "key-1") is None
    before = signer.hits.get("/jwks.json", 0)
    assert asyncio.run(r.akey(signer.origin, "aauth-agent.json", "key-1")) == key
    assert signer.hits["/jwks.json"] == before + 1


def test_sync_resolver_hit_takes_no_lock_and_stats_still_count(signer):
    r = resolver_for(signer, Resolver)
    key = r.key(signer.origin, "aauth-agent.json", "key-1")
    guard = r._guard
    r._guard = NoLock()
    assert r.key(signer.origin, "aauth-agent.json", "key-1") == key
    r._guard = guard
    assert r.stats()["entries"] == 1


def test_hits_from_many_threads_while_another_fills_the_cache(signer):
    """Lock-free hits beside locked inserts and evictions (and stats()) stay consistent."""
    r = resolver_for(signer, Resolver, max_entries=2, max_fetches_per_origin=1000)
    key = r.key(signer.origin, "aauth-agent.json", "key-1")
    stop, errors = threading.Event(), []

    def hits() -> None:
        try:
            while not stop.is_set():
                got = r.cached_key(signer.origin, "aauth-agent.json", "key-1")
                assert got is None or got == key
                r.stats()
        except BaseException as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    threads = [threading.Thread(target=hits) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(20):  # other dwk names: new entries evict the signer's now and then
        signer.json(f"/.well-known/d{i}.json", {"issuer": signer.origin, "jwks_uri": f"{signer.origin}/jwks.json"})
        r.key(signer.origin, f"d{i}.json", "key-1")
        r.key(signer.origin, "aauth-agent.json", "key-1")
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert r.stats()["entries"] <= 2


@pytest.mark.parametrize("scheme", ["jwks_uri", "jwt"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_warm_averify_is_one_parse_one_finish_and_never_suspends(signer, scheme, method):
    v = Verifier(authority=AUTH, scheme="http", resolver=resolver_for(signer))
    headers, body = signed(signer, scheme, method)
    asyncio.run(v.averify(method, "/task", headers, body))  # fetches the documents once
    v.resolver._guard = NoLock()
    before = _native.counters()
    out = done_without_suspending(v.averify(method, "/task", headers, body))
    assert out.scheme == scheme and out.agent is not None
    assert tuple(a - b for a, b in zip(_native.counters(), before)) == (1, 1)


class Wire:
    """One request's server side whose receive and send never suspend."""

    def __init__(self, body: Optional[bytes]) -> None:
        self.inbox = [{"type": "http.request", "body": body or b"", "more_body": False}]
        self.received = 0
        self.sent: List[Dict[str, Any]] = []

    async def receive(self) -> Dict[str, Any]:
        self.received += 1
        return self.inbox.pop(0) if self.inbox else {"type": "http.disconnect"}

    async def send(self, message: Dict[str, Any]) -> None:
        self.sent.append(message)


class App:
    def __init__(self) -> None:
        self.seen: List[Tuple[Any, bytes, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        wire_reads = scope["wire"].received
        body = b""
        if scope["method"] == "POST":
            body = (await receive())["body"]
        self.seen.append((scope["state"][STATE_KEY], body, wire_reads))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope_of(method: str, headers: List[Tuple[str, str]], body: Optional[bytes], wire: Any) -> Dict[str, Any]:
    hs = [(b"host", b"127.0.0.1:8000")] + [(n.lower().encode(), v.encode()) for n, v in headers]
    if body is not None:
        hs.append((b"content-length", str(len(body)).encode()))
    return {"type": "http", "http_version": "1.1", "scheme": "http", "method": method, "path": "/task",
            "raw_path": b"/task", "query_string": b"", "root_path": "", "headers": hs, "state": {},
            "wire": wire}


@pytest.mark.parametrize("scheme", ["jwks_uri", "jwt"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_middleware_request_is_one_parse_one_finish_and_never_suspends(signer, scheme, method,
                                                                      monkeypatch):
    app = App()
    mw = AAuthMiddleware(app, authority=AUTH, scheme="http", resolver=resolver_for(signer))
    headers, body = signed(signer, scheme, method)
    given: List[Any] = []
    real = verifier_module._native.NativeRequest

    def recording(*args: Any) -> Any:
        given.append(args[5])
        return real(*args)

    async def main() -> None:
        wire = Wire(body)
        await mw(scope_of(method, headers, body, wire), wire.receive, wire.send)  # warm
        mw.verifier.resolver._guard = NoLock()
        monkeypatch.setattr(verifier_module._native, "NativeRequest", recording)
        wire = Wire(body)
        scope = scope_of(method, headers, body, wire)
        before = _native.counters()
        done_without_suspending(mw(scope, wire.receive, wire.send))  # inside a task: timeouts work
        assert tuple(a - b for a, b in zip(_native.counters(), before)) == (1, 1)
        assert given == [scope["headers"]] and given[0] is scope["headers"]
        assert wire.sent[0]["status"] == 200

    asyncio.run(main())
    verified, seen_body, _ = app.seen[-1]
    assert verified.scheme == scheme and seen_body == (body or b"")


def test_no_body_read_when_the_policy_does_not_need_it(signer):
    """require_content_digest_with_body off and content-digest not covered: the body is the
    app's to read, the middleware never calls receive."""
    v = Verifier(authority=AUTH, scheme="http", resolver=resolver_for(signer))
    app = App()
    mw = AAuthMiddleware(app, verifier=v)
    hs: Dict[str, str] = {}
    hs.update(sign_request("POST", f"http://{AUTH}/task", hs, None, signer.request_key,
                           sig_scheme="jwks_uri", id=signer.origin, dwk="aauth-agent.json", kid="key-1"))
    wire = Wire(BODY)  # a body the signature does not cover
    asyncio.run(mw(scope_of("POST", list(hs.items()), BODY, wire), wire.receive, wire.send))
    assert wire.sent[0]["status"] == 200
    verified, seen_body, reads_before_app = app.seen[-1]
    assert reads_before_app == 0 and seen_body == BODY and verified.scheme == "jwks_uri"


class Stalling:
    """A server side that hands over ``messages``, then never answers again."""

    def __init__(self, messages: List[Dict[str, Any]]) -> None:
        self.inbox = list(messages)
        self.sent: List[Dict[str, Any]] = []
        self.received = 0

    async def receive(self) -> Dict[str, Any]:
        self.received += 1
        if self.inbox:
            return self.inbox.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(self, message: Dict[str, Any]) -> None:
        self.sent.append(message)


@pytest.mark.parametrize("http_version,first", [
    ("1.1", [{"type": "http.request", "body": b"", "more_body": True}]),  # says more is coming
    ("2", []),  # HTTP/2: a GET's stream may stay open
])
def test_a_get_whose_body_never_ends_is_408_without_reaching_the_app(signer, http_version, first):
    """The timer is skipped only for the HTTP/1.x message that has no body by its framing and
    whose first message says so; a server that says otherwise gets the timer."""
    app = App()
    mw = AAuthMiddleware(app, authority=AUTH, scheme="http", resolver=resolver_for(signer),
                         body_timeout=0.2)
    headers, _ = signed(signer, "jwks_uri", "GET")
    wire = Stalling(first)
    scope = scope_of("GET", headers, None, wire)
    scope["http_version"] = http_version
    asyncio.run(asyncio.wait_for(mw(scope, wire.receive, wire.send), 10))
    assert wire.sent[0]["status"] == 408 and app.seen == []


class Slow:
    """A POST body that arrives after ``delay`` seconds (or never, when ``delay`` is None)."""

    def __init__(self, body: bytes, delay: Optional[float]) -> None:
        self.body, self.delay = body, delay
        self.sent: List[Dict[str, Any]] = []
        self.received = 0

    async def receive(self) -> Dict[str, Any]:
        self.received += 1
        if self.delay is None:
            await asyncio.sleep(3600)
        await asyncio.sleep(self.delay or 0)
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Dict[str, Any]) -> None:
        self.sent.append(message)


def post_middleware(signer: Server, body_timeout: float) -> Tuple[AAuthMiddleware, App, Any]:
    app = App()
    mw = AAuthMiddleware(app, authority=AUTH, scheme="http", resolver=resolver_for(signer),
                         body_timeout=body_timeout)
    headers, body = signed(signer, "jwks_uri", "POST")
    return mw, app, (headers, body)


def test_the_body_timer_leaves_the_task_as_it_found_it(signer):
    """The body read's timer (Python 3.11+: call_later on the request's task): a body in time
    is verified and nothing cancels the task afterwards, past the deadline too; a body too
    late is 408 and the task is not left cancelling."""
    mw, app, (headers, body) = post_middleware(signer, body_timeout=0.3)

    async def in_time() -> Any:
        wire = Slow(body, 0.05)
        await mw(scope_of("POST", headers, body, wire), wire.receive, wire.send)
        await asyncio.sleep(0.5)  # past the deadline: no stray cancellation
        return wire, asyncio.current_task().cancelling()  # type: ignore[union-attr]

    wire, cancelling = asyncio.run(in_time())
    assert wire.sent[0]["status"] == 200 and cancelling == 0 and app.seen[-1][1] == body

    async def too_late() -> Any:
        wire = Slow(body, None)
        await mw(scope_of("POST", headers, body, wire), wire.receive, wire.send)
        await asyncio.sleep(0.01)
        return wire, asyncio.current_task().cancelling()  # type: ignore[union-attr]

    wire, cancelling = asyncio.run(too_late())
    assert wire.sent[0]["status"] == 408 and cancelling == 0 and len(app.seen) == 1


def test_cancelling_the_request_during_the_body_read_is_not_a_408(signer):
    """A cancellation from outside (the server shutting down, the client gone) while the body
    is read propagates as CancelledError; no response is sent, the app is not called."""
    mw, app, (headers, body) = post_middleware(signer, body_timeout=5)

    async def main() -> Slow:
        wire = Slow(body, None)
        task = asyncio.ensure_future(mw(scope_of("POST", headers, body, wire), wire.receive, wire.send))
        while wire.received == 0:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return wire

    wire = asyncio.run(main())
    assert wire.sent == [] and app.seen == []
