"""AAuthMiddleware driven with raw ASGI messages, the way a hostile client can shape them:
bodies (chunked, oversize, lying Content-Length, empty, slow, abandoned), WebSocket
handshakes, path forms, and identity headers the client writes itself.

Issue 12 findings 4 (the body), 5 (``@path``), 9 (WebSocket), 12 (option types); issue 19
(client-supplied identity headers)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

from aauth_verify import StoreUnavailable, Verifier
from aauth_verify.middleware import MAX_BODY, STATE_KEY, AAuthMiddleware
from signing import sign

AUTH = "api.test"

Message = Dict[str, Any]


class App:
    """Records what reached it: the scope, the verified identity and the body it read."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            self.calls.append({"scope": scope, "aauth": scope["state"].get(STATE_KEY)})
            await send({"type": "websocket.accept", "headers": []})
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        self.calls.append({"scope": scope, "aauth": scope["state"].get(STATE_KEY), "body": body})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope_of(method: str, raw_path: bytes, headers: Sequence[Tuple[str, str]], *,
             query: bytes = b"", path: Optional[str] = None, kind: str = "http",
             state: Optional[Dict[str, Any]] = None, raw: bool = True) -> Dict[str, Any]:
    from urllib.parse import unquote

    s: Dict[str, Any] = {
        "type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "https",
        "path": path if path is not None else unquote(raw_path.decode("latin-1")),
        "query_string": query, "root_path": "",
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 443),
    }
    if raw:
        s["raw_path"] = raw_path
    if kind == "http":
        s["method"] = method
    if state is not None:
        s["state"] = state
    return s


class Wire:
    """The server side of one request: the messages the app may receive, what it sent."""

    def __init__(self, messages: Sequence[Message], delay: float = 0.0) -> None:
        self.inbox = list(messages)
        self.received = 0
        self.sent: List[Message] = []
        self.delay = delay

    async def receive(self) -> Message:
        self.received += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.inbox:
            return self.inbox.pop(0)
        await asyncio.sleep(3600)  # a client that sends nothing more
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        start = next(m for m in self.sent if m["type"].endswith("response.start"))
        return int(start["status"])

    @property
    def headers(self) -> Dict[str, str]:
        start = next(m for m in self.sent if m["type"].endswith("response.start"))
        return {n.decode(): v.decode() for n, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"].endswith("response.body"))


def body_messages(*chunks: bytes) -> List[Message]:
    if not chunks:
        return [{"type": "http.request", "body": b"", "more_body": False}]
    return [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)]


def run(mw: AAuthMiddleware, scope: Dict[str, Any], wire: Wire) -> Wire:
    asyncio.run(asyncio.wait_for(mw(scope, wire.receive, wire.send), 10))
    return wire


def middleware(app: App, **kw: Any) -> AAuthMiddleware:
    kw.setdefault("authority", AUTH)
    return AAuthMiddleware(app, **kw)


def refused(wire: Wire, code: str, status: int = 401) -> Dict[str, Any]:
    assert wire.status == status, wire.sent
    assert wire.headers["signature-error"].startswith(f"error={code}")
    doc: Dict[str, Any] = json.loads(wire.body)
    assert doc["error"] == code
    return doc


# -- bodies (finding 4) ------------------------------------------------------------------------


def test_a_chunked_body_covered_by_its_digest_reaches_the_app_whole():
    """Issue 12 finding 4: a Transfer-Encoding: chunked body (no Content-Length) is read in
    all its pieces, checked against the covered digest and replayed whole."""
    body = b'{"part": 1, "part": 2, "part": 3}'
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True,
                headers={"transfer-encoding": "chunked"})
    app = App()
    wire = run(middleware(app), scope_of("POST", b"/x", h),
               Wire(body_messages(body[:5], b"", body[5:20], body[20:])))
    assert wire.status == 200 and app.calls[0]["body"] == body
    assert app.calls[0]["aauth"].scheme == "hwk"
    # The same chunks, one byte changed: refused, the app never called.
    app = App()
    wire = run(middleware(app), scope_of("POST", b"/x", h),
               Wire(body_messages(body[:5], body[5:-1] + b"!")))
    refused(wire, "invalid_signature")
    assert app.calls == []


def test_an_uncovered_body_is_refused_before_it_is_read():
    """Issue 12 finding 4: by default (the middleware builds its verifier with
    require_content_digest_with_body) a body the framing announces without a covered
    content-digest is invalid_input listing content-digest, and not one byte of it is read."""
    for framing in ({"content-length": "5"}, {"transfer-encoding": "chunked"}):
        h, _ = sign("POST", AUTH, "/x", headers=framing)
        app = App()
        wire = run(middleware(app), scope_of("POST", b"/x", h), Wire(body_messages(b"hello")))
        refused(wire, "invalid_input")
        assert '"content-digest"' in wire.headers["signature-error"]
        assert wire.received == 0 and app.calls == []


def test_a_forged_request_never_makes_anyone_buffer_its_body():
    """Issue 12 finding 4: the signature is verified over the headers first: a forged request
    announcing a large body is refused without a single receive()."""
    body = b"x" * 100
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True,
                headers={"content-length": str(MAX_BODY)})
    forged = [(n, v.replace("sig=:", "sig=:AA") if n == "signature" else v) for n, v in h]
    wire = run(middleware(App()), scope_of("POST", b"/x", forged), Wire(body_messages(body)))
    refused(wire, "invalid_signature")
    assert wire.received == 0


def test_an_oversize_body_is_413_plain_without_signature_error():
    """Issue 12 finding 4: a body over max_body is 413 with a plain body and no
    Signature-Error; a Content-Length over it is answered without reading anything."""
    body = b"y" * 200
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True, headers={"content-length": "200"})
    wire = run(middleware(App(), max_body=100), scope_of("POST", b"/x", h), Wire(body_messages(body)))
    assert wire.status == 413 and wire.received == 0
    assert "signature-error" not in wire.headers
    assert wire.headers["content-type"].startswith("text/plain") and b"100" in wire.body
    # Chunked, no length: read until it passes max_body, then 413.
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True, headers={"transfer-encoding": "chunked"})
    app = App()
    wire = run(middleware(app, max_body=100), scope_of("POST", b"/x", h),
               Wire(body_messages(*[body[i:i + 30] for i in range(0, 200, 30)])))
    assert wire.status == 413 and wire.received == 4 and app.calls == []
    assert "signature-error" not in wire.headers
    # max_body=0: only empty bodies.
    h, _ = sign("POST", AUTH, "/x", body=b"", digest=True, headers={"content-length": "0"})
    assert run(middleware(App(), max_body=0), scope_of("POST", b"/x", h),
               Wire(body_messages())).status == 200


def test_a_lying_content_length_does_not_smuggle_a_body():
    """Issue 12 finding 4: Content-Length: 0 (or none, as HTTP/2 allows) with body bytes
    behind it: the body the framing hid must be empty (invalid_input); a digest over the
    announced length does not cover the longer body actually delivered."""
    for framing in ({"content-length": "0"}, {}):
        h, _ = sign("POST", AUTH, "/x", headers=framing)
        app = App()
        wire = run(middleware(app), scope_of("POST", b"/x", h), Wire(body_messages(b"smuggled")))
        refused(wire, "invalid_input")
        assert '"content-digest"' in wire.headers["signature-error"] and app.calls == []
    short = b"abc"
    h, _ = sign("POST", AUTH, "/x", body=short, digest=True, headers={"content-length": "3"})
    app = App()
    wire = run(middleware(app), scope_of("POST", b"/x", h), Wire(body_messages(short, b"-and-more")))
    refused(wire, "invalid_signature")
    assert app.calls == []


def test_empty_bodies():
    """Issue 12 finding 4: an empty body is checked as empty (b""), never as absent."""
    h, _ = sign("POST", AUTH, "/x", body=b"", digest=True, headers={"content-length": "0"})
    app = App()
    assert run(middleware(app), scope_of("POST", b"/x", h), Wire(body_messages())).status == 200
    assert app.calls[0]["body"] == b""
    wire = run(middleware(App()), scope_of("POST", b"/x", h), Wire(body_messages(b"z")))
    refused(wire, "invalid_signature")
    h, _ = sign("GET", AUTH, "/x")
    app = App()
    assert run(middleware(app), scope_of("GET", b"/x", h), Wire(body_messages())).status == 200


def test_a_client_that_disconnects_or_stalls_gets_no_app_call():
    """Issue 12 finding 4: a body that never completes: a disconnect ends the request with no
    response; a stalled body is 408 after body_timeout, not a hang."""
    body = b"q" * 50
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True, headers={"content-length": "50"})
    app = App()
    wire = run(middleware(app), scope_of("POST", b"/x", h),
               Wire([{"type": "http.request", "body": body[:10], "more_body": True},
                     {"type": "http.disconnect"}]))
    assert wire.sent == [] and app.calls == []
    wire = run(middleware(app, body_timeout=0.2), scope_of("POST", b"/x", h),
               Wire([{"type": "http.request", "body": body[:10], "more_body": True}]))
    assert wire.status == 408 and "signature-error" not in wire.headers and app.calls == []


def test_the_digest_default_and_its_warning(caplog):
    """Issue 12 finding 4: verifiers the middleware builds require content-digest for bodies;
    a verifier= without it is accepted, with a warning, and then governs."""
    assert middleware(App()).verifier.policy.require_content_digest_with_body
    assert not middleware(App(), require_content_digest_with_body=False).verifier.policy \
        .require_content_digest_with_body
    with caplog.at_level(logging.WARNING, logger="aauth_verify"):
        mw = AAuthMiddleware(App(), verifier=Verifier(authority=AUTH))
    assert "reaches the app unverified" in caplog.text
    h, _ = sign("POST", AUTH, "/x", headers={"content-length": "4"})
    app = App()
    mw.app = app
    wire = run(mw, scope_of("POST", b"/x", h), Wire(body_messages(b"free")))
    assert wire.status == 200 and app.calls[0]["body"] == b"free"


def test_a_store_that_cannot_answer_is_503():
    """Issue 17: the replay check fails closed: 503, plain, no Signature-Error, the app not
    called; with replay_fail_open the request goes through."""

    class Down:
        def check_and_record(self, key: Any, now: int) -> bool:
            raise StoreUnavailable("replay", "connection refused")

    h, _ = sign("GET", AUTH, "/x")
    app = App()
    wire = run(middleware(app, replay=Down()), scope_of("GET", b"/x", h), Wire(body_messages()))
    assert wire.status == 503 and "signature-error" not in wire.headers and app.calls == []
    wire = run(middleware(app, replay=Down(), replay_fail_open=True), scope_of("GET", b"/x", h),
               Wire(body_messages()))
    assert wire.status == 200


# -- path forms (finding 5) --------------------------------------------------------------------


@pytest.mark.parametrize("raw,path", [
    (b"//admin/x", "//admin/x"), (b"/x;a=b", "/x;a=b"), (b"/x%2Fadmin", "/x/admin"),
    (b"/x/../admin", "/x/../admin"), (b"/x/", "/x/"),
])
def test_a_signature_over_x_is_not_a_signature_over_another_route(raw, path):
    """Issue 12 finding 5: @path is raw_path, the bytes the server routed on: a signature
    over /x does not verify //admin/x, /x;a=b, /x%2Fadmin or /x/../admin."""
    h, _ = sign("GET", AUTH, "/x")
    app = App()
    assert run(middleware(app), scope_of("GET", b"/x", h), Wire(body_messages())).status == 200
    wire = run(middleware(app), scope_of("GET", raw, h, path=path), Wire(body_messages()))
    refused(wire, "invalid_signature")
    assert len(app.calls) == 1


@pytest.mark.parametrize("raw,path", [
    (b"//admin/x", "//admin/x"), (b"/x;a=b", "/x;a=b"), (b"/x%2Fadmin", "/x/admin"),
])
def test_the_raw_path_is_what_is_verified(raw, path):
    """Issue 12 finding 5: a signature over the raw bytes verifies; one over the decoded path
    does not (the app sees the decoded one; the wire carried the raw one)."""
    h, _ = sign("GET", AUTH, raw.decode())
    app = App()
    assert run(middleware(app), scope_of("GET", raw, h, path=path), Wire(body_messages())).status == 200
    if raw.decode() != path:
        h, _ = sign("GET", AUTH, path)
        wire = run(middleware(app), scope_of("GET", raw, h, path=path), Wire(body_messages()))
        refused(wire, "invalid_signature")


def test_a_fragment_or_a_non_origin_path_is_invalid_request():
    """Issue 12 finding 5: /x#/../admin is not a request target (urlsplit verified it as /x)."""
    h, _ = sign("GET", AUTH, "/x")
    for raw in (b"/x#/../admin", b"/x#", b"x", b"*", b"https://evil/x"):
        app = App()
        wire = run(middleware(app), scope_of("GET", raw, h, path="/x"), Wire(body_messages()))
        refused(wire, "invalid_request")
        assert app.calls == []


def test_the_query_string_is_the_query():
    """Issue 12 finding 5 (query side): @query is query_string; require_query refuses a
    query left out of the signature (the /pay?amount= example)."""
    h, _ = sign("GET", AUTH, "/pay", query="amount=1",
                components=("@method", "@authority", "@path", "@query", "signature-key"))
    app = App()
    assert run(middleware(app), scope_of("GET", b"/pay", h, query=b"amount=1"),
               Wire(body_messages())).status == 200
    refused(run(middleware(app), scope_of("GET", b"/pay", h, query=b"amount=1000"),
                Wire(body_messages())), "invalid_signature")
    loose, _ = sign("GET", AUTH, "/pay")
    assert run(middleware(App()), scope_of("GET", b"/pay", loose, query=b"amount=1000"),
               Wire(body_messages())).status == 200  # the default: the query is not signed
    wire = run(middleware(App(), require_query=True),
               scope_of("GET", b"/pay", loose, query=b"amount=1000"), Wire(body_messages()))
    refused(wire, "invalid_input")
    assert '"@query"' in wire.headers["signature-error"]


def test_without_raw_path_the_path_is_used():
    """Issue 12 finding 5: a server that gives no raw_path: the decoded path, UTF-8 encoded,
    is @path, still never re-parsed (//admin/x stays a path)."""
    h, _ = sign("GET", AUTH, "/x")
    app = App()
    assert run(middleware(app), scope_of("GET", b"", h, path="/x", raw=False),
               Wire(body_messages())).status == 200
    refused(run(middleware(app), scope_of("GET", b"", h, path="//admin/x", raw=False),
                Wire(body_messages())), "invalid_signature")


# -- WebSocket (finding 9) ---------------------------------------------------------------------


def ws_connect() -> List[Message]:
    return [{"type": "websocket.connect"}]


def test_a_websocket_handshake_is_verified():
    """Issue 12 finding 9: websocket scopes went to the app unverified; the handshake is now
    verified like a GET (path, query, headers)."""
    h, _ = sign("GET", AUTH, "/ws")
    app = App()
    wire = run(middleware(app), scope_of("GET", b"/ws", h, kind="websocket"), Wire(ws_connect()))
    assert app.calls[0]["aauth"].scheme == "hwk"
    assert wire.sent[0]["type"] == "websocket.accept"


def test_an_unsigned_or_forged_websocket_is_closed_before_accept():
    """Issue 12 finding 9: a refused handshake never reaches the app: websocket.close before
    the accept (the server answers 403), or the full refusal with websocket.http.response."""
    h, _ = sign("GET", AUTH, "/other")
    for headers in ([], h):
        app = App()
        wire = run(middleware(app), scope_of("GET", b"/ws", headers, kind="websocket"),
                   Wire(ws_connect()))
        assert app.calls == [] and wire.sent == [{"type": "websocket.close", "code": 1008}]
    scope = scope_of("GET", b"/ws", h, kind="websocket")
    scope["extensions"] = {"websocket.http.response": {}}
    app = App()
    wire = run(middleware(app), scope, Wire(ws_connect()))
    assert app.calls == [] and wire.sent[0]["type"] == "websocket.http.response.start"
    refused(wire, "invalid_signature")


def test_an_exempt_websocket_path_passes_without_identity():
    """Issue 12 finding 9: exempt_paths apply to WebSocket paths, with no identity."""
    app = App()
    run(middleware(app, exempt_paths=["/ws"]), scope_of("GET", b"/ws", [], kind="websocket"),
        Wire(ws_connect()))
    assert app.calls[0]["aauth"] is None


# -- identity headers the client writes (issue 19) ---------------------------------------------


def test_client_identity_headers_are_never_the_verified_identity():
    """Issue 19: the middleware never passes client-supplied identity headers as if they were
    verified. X-AAuth-* headers from the client stay the client's (the middleware writes no
    identity into headers); the only verified identity is scope["state"]["aauth"], which a
    pre-set value (a lifespan's state, an outer middleware) cannot fake."""
    forged = [("x-aauth-agent", "https://admin.example"), ("x-aauth-scheme", "jwt"),
              ("x-aauth-thumbprint", "AAAA"), ("x-aauth-verified", "1")]
    h, _ = sign("GET", AUTH, "/x", headers=dict(forged))
    app = App()
    state = {STATE_KEY: "https://admin.example"}
    run(middleware(app), scope_of("GET", b"/x", h, state=state), Wire(body_messages()))
    who = app.calls[0]["aauth"]
    assert who.scheme == "hwk" and who.agent is None and who.issuer is None
    assert who.thumbprint != "AAAA"
    sent = dict((n.decode(), v.decode()) for n, v in app.calls[0]["scope"]["headers"])
    assert sent["x-aauth-agent"] == "https://admin.example"  # the client's, as the client sent it
    # Refused: the app is never called, so nothing pre-set is ever read as verified.
    app = App()
    run(middleware(app), scope_of("GET", b"/x", forged, state={STATE_KEY: "forged"}),
        Wire(body_messages()))
    assert app.calls == []
    # Exempt: the state says "not verified" (None), whatever it held.
    run(middleware(app, exempt_paths=["/health"]),
        scope_of("GET", b"/health", forged, state={STATE_KEY: "forged"}), Wire(body_messages()))
    assert app.calls[0]["aauth"] is None


def test_lifespan_passes_through():
    """Only http and websocket scopes are verified; lifespan goes to the app."""
    seen: List[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    asyncio.run(AAuthMiddleware(app, authority=AUTH)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


# -- options (finding 12) ----------------------------------------------------------------------


@pytest.mark.parametrize("kw,exc", [
    (dict(exempt_paths="/health"), TypeError), (dict(exempt_paths=[b"/h"]), TypeError),
    (dict(exempt_paths=["health"]), TypeError), (dict(exempt_paths=5), TypeError),
    (dict(max_body=-1), ValueError), (dict(max_body="1"), ValueError),
    (dict(max_body=True), ValueError), (dict(max_body=2**63), ValueError),
    (dict(body_timeout=0), ValueError), (dict(body_timeout=float("nan")), ValueError),
    (dict(body_timeout="5"), ValueError), (dict(status="teapot"), ValueError),
    (dict(authority=None), ValueError), (dict(window=-1), ValueError),
    (dict(verifier="v"), TypeError),
    (dict(verifier=Verifier(authority=AUTH), resolver=None), TypeError),
    (dict(verifier=Verifier()), ValueError),
])
def test_middleware_options_are_checked(kw, exc):
    """Issue 12 finding 12: exempt_paths="/health" exempted every one-letter path; a
    verifier without an authority failed on every request instead of at start-up."""
    kw.setdefault("authority", AUTH) if "verifier" not in kw else None
    with pytest.raises(exc):
        AAuthMiddleware(App(), **kw)
