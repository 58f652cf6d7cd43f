"""ASGI middleware: verify every request, answer failures per SK-09 §5, expose the identity.

Works with any ASGI app (Starlette, FastAPI, a2a servers)::

    app.add_middleware(AAuthMiddleware, authority="api.example", resolver=AsyncResolver())
    # or, with a Verifier configured elsewhere:
    app.add_middleware(AAuthMiddleware, verifier=Verifier(authority="api.example", ...))

* **The target.** ``@path`` is ASGI's ``raw_path``, the exact bytes the server received and
  the app routes on (``//admin/x`` stays ``//admin/x``; nothing is decoded or re-parsed), and
  ``@query`` is ``query_string`` (ASGI does not tell ``/x?`` from ``/x``: both are "no
  query"). Without ``raw_path`` the decoded ``path`` is UTF-8 encoded again. A path with
  ``#`` or that is not origin-form is ``invalid_request``. The canonical authority is the
  :class:`~aauth_verify.Verifier`'s (never ``Host``), so the verifier must have one.
* **Headers first, then the body.** The signature is verified over the headers before any
  body byte is read (:meth:`~aauth_verify.Verifier.averify_before_body`): a forged or
  replayed request never makes the app, or this middleware, buffer its body. The body is then
  read, up to ``max_body`` bytes (default 1 MiB; more is answered ``413`` with a plain-text
  body and no ``Signature-Error``, a ``Content-Length`` above it without reading anything)
  and within ``body_timeout`` seconds (``408``), when the signature covers ``content-digest``
  (it is checked, then replayed to the app), and when the policy requires ``content-digest``
  for a body (``require_content_digest_with_body``): a body the framing announces (non-zero
  ``Content-Length``, any ``Transfer-Encoding``) without a covered digest is refused before it
  is read (``invalid_input`` listing ``content-digest``), and a body the framing did not
  announce must be empty.
* **The default is to require ``content-digest`` for bodies.** When the middleware builds the
  verifier (``AAuthMiddleware(app, authority=..., **verifier_options)``), it passes
  ``require_content_digest_with_body=True`` unless told otherwise. With a ``verifier=`` of
  your own, that verifier's option governs; if it is off, the body of a request whose
  signature does not cover ``content-digest`` reaches the app unverified (a warning is logged
  once, when the middleware is made).
* **Refusals** answer ``401`` (AAuth; ``status="signature-key"``: 400 for the codes a client
  cannot recover from, SK-09 §5) with ``Signature-Error`` (e.g. ``error=invalid_signature``,
  or ``error=invalid_input, required_input=(...)`` listing what this request must cover),
  ``Accept-Signature-Scheme``, ``Accept-Signature-Alg`` for ``unsupported_algorithm`` and an
  ``application/problem+json`` body ``{"type": "urn:ietf:params:sig-error:<code>", "title",
  "status", "detail", "error"}``, all rendered by the core (the detail is the failed check's
  static description: never request bytes, URLs or upstream statuses).
* **Fleet state.** When the verifier's replay store is unavailable
  (:class:`~aauth_verify.errors.StoreUnavailable`) the request is answered ``503`` with a
  plain body and logged at ERROR on the ``aauth_verify`` logger (unless the verifier was made
  with ``replay_fail_open=True``). A cache identifier issued for a ``;cache`` token goes out
  as ``Signature-Key-Cache`` on the app's response (or on the WebSocket accept).
* **WebSocket** handshakes are verified like any request (method ``GET``, the path, the
  headers; no body). A refusal is the same response when the server offers the
  ``websocket.http.response`` extension, else a ``websocket.close`` before the accept (which
  the server answers ``403``). ``exempt_paths`` exempts WebSocket paths too.
* **Identity.** On success ``scope["state"]["aauth"]`` holds the
  :class:`~aauth_verify.Verified` result (``request.state.aauth`` in Starlette/FastAPI), and
  it is the only verified identity: the middleware puts none in headers, so client-sent
  ``X-AAuth-*`` headers reach the app as the client's own; on an exempt path
  ``state["aauth"]`` is ``None``, whatever was there before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import (
    Any,
    Awaitable,
    Callable,
    Iterable,
    List,
    Literal,
    MutableMapping,
    Optional,
    Tuple,
)

from .errors import StoreUnavailable, VerificationError
from .verifier import HeadersVerified, Verified, Verifier

__all__ = ["AAuthMiddleware", "STATE_KEY", "StatusRule", "verified"]

STATE_KEY = "aauth"
log = logging.getLogger("aauth_verify")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: ``"aauth"``: every refusal is 401 (AAuth §Verification). ``"signature-key"``: 401 for the
#: recoverable codes (``unsupported_algorithm``, ``unsupported_scheme``, ``invalid_input``,
#: ``cache_miss``, ``clock_skew``) and 400 for the others (SK-09 §5).
StatusRule = Literal["aauth", "signature-key"]

Headers = List[Tuple[bytes, bytes]]

#: The default ``max_body``: 1 MiB.
MAX_BODY = 1024 * 1024


#: The ``http_version`` values of HTTP/1.x, where a request whose framing announces no body
#: has none (RFC 9112 §6.3).
_HTTP1 = ("1.1", "1.0")

class _TooLarge(Exception):
    pass


class _Gone(Exception):
    """The client disconnected while its body was read."""


class _Slow(Exception):
    """The body took longer than ``body_timeout``."""


class AAuthMiddleware:
    """Verifies every HTTP request and WebSocket handshake before ``app`` sees it (see the
    module documentation).

    Args:
        app: the ASGI application.
        verifier: a configured :class:`~aauth_verify.Verifier` with an ``authority``; or
            ``None`` to build one from ``verifier_options`` (with
            ``require_content_digest_with_body=True`` unless given).
        exempt_paths: paths (as the app routes them, ``scope["path"]``) passed through
            unverified; a list of ``str`` starting with ``/``.
        max_body: the largest body read for verification, in bytes (default 1 MiB).
        body_timeout: seconds allowed for reading that body (default 30).
        status: ``"aauth"`` (every refusal 401) or ``"signature-key"`` (SK-09 §5).
        verifier_options: :class:`~aauth_verify.Verifier` keyword arguments, when
            ``verifier`` is ``None``.
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        verifier: Optional[Verifier] = None,
        *,
        exempt_paths: Iterable[str] = (),
        max_body: int = MAX_BODY,
        body_timeout: float = 30.0,
        status: StatusRule = "aauth",
        **verifier_options: Any,
    ) -> None:
        if status not in ("aauth", "signature-key"):
            raise ValueError(f"status must be 'aauth' or 'signature-key', not {status!r}")
        if type(max_body) is not int or not 0 <= max_body < 2**63:
            raise ValueError(f"max_body must be a non-negative int, not {max_body!r}")
        if (type(body_timeout) not in (int, float) or not 0 < body_timeout <= 3600
                or body_timeout != body_timeout):
            raise ValueError(f"body_timeout must be seconds in (0, 3600], not {body_timeout!r}")
        if isinstance(exempt_paths, (str, bytes)) or not isinstance(exempt_paths, Iterable):
            raise TypeError("exempt_paths must be a list of paths (a single str would be read "
                            f"one character at a time), not {type(exempt_paths).__name__}")
        exempt = frozenset(exempt_paths)
        for p in exempt:
            if type(p) is not str or not p.startswith("/"):
                raise TypeError(f"exempt_paths must hold paths starting with '/', not {p!r}")
        if verifier is None:
            verifier_options.setdefault("require_content_digest_with_body", True)
            verifier = Verifier(**verifier_options)
        elif verifier_options:
            raise TypeError("pass either verifier= or Verifier options, not both: "
                            + ", ".join(sorted(verifier_options)))
        elif not isinstance(verifier, Verifier):
            raise TypeError(f"verifier must be an aauth_verify.Verifier, not {type(verifier).__name__}")
        if verifier.authority is None:
            raise ValueError("the middleware needs Verifier(authority=...): the canonical "
                             "authority is never taken from Host")
        if not verifier.policy.require_content_digest_with_body:
            log.warning("aauth: require_content_digest_with_body is off: the body of a request "
                        "whose signature does not cover content-digest reaches the app unverified")
        self.app = app
        self.verifier = verifier
        self.exempt = exempt
        self.max_body = max_body
        self.body_timeout = float(body_timeout)
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)  # lifespan and other extensions
            return
        state = scope.setdefault("state", {})
        if scope.get("path") in self.exempt:
            state[STATE_KEY] = None
            await self.app(scope, receive, send)
            return
        state.pop(STATE_KEY, None)
        websocket = kind == "websocket"
        method = "GET" if websocket else scope["method"]
        # The server's list of (bytes, bytes) pairs goes to the core as it is (the native
        # request copies it); any other iterable is read once, here.
        headers = scope.get("headers")
        if type(headers) is not list:
            headers = list(headers or ())
        raw_path = scope.get("raw_path")
        if not raw_path:
            raw_path = str(scope.get("path") or "/").encode("utf-8")
        qs = scope.get("query_string") or None
        v = self.verifier
        try:
            req = v._server_request(method, raw_path, qs, headers)
            heads: HeadersVerified = await v._abefore_body(req)
            body = b""
            replay = receive
            if heads.reads_body and not websocket:
                announced = heads.needs_body
                body = await self._read_body(headers, receive, announced,
                                             announced or scope.get("http_version") not in _HTTP1)
                replay = _replaying(body, receive)
            if v._assertions is None:
                verified = heads.complete(body)  # nothing to keep: no await
            else:
                verified = await heads.acomplete(body)
        except VerificationError as e:
            log.info("aauth: rejected %s %r: %s", method, raw_path, e)
            await self._refusal(scope, receive, send, e)
            return
        except StoreUnavailable as e:
            log.error("aauth: answering 503 to %s %r: %s (the replay check could not be made)",
                      method, raw_path, e)
            await self._plain(scope, receive, send, 503, b"replay store unavailable\n",
                              [(b"retry-after", b"1")])
            return
        except _TooLarge:
            await self._plain(scope, receive, send, 413,
                              f"request body larger than {self.max_body} bytes\n".encode())
            return
        except _Slow:
            await self._plain(scope, receive, send, 408, b"request body too slow\n")
            return
        except _Gone:
            return
        state[STATE_KEY] = verified
        cache_header = verified.signature_key_cache
        if cache_header is not None:
            await self.app(scope, replay, _with_header(send, b"signature-key-cache", cache_header))
        else:
            await self.app(scope, replay, send)

    async def _read_body(self, headers: Headers, receive: Receive, announced: bool,
                         timed: bool) -> bytes:
        """The whole body, at most ``max_body`` bytes within ``body_timeout`` seconds.

        ``announced``: the signature covers ``content-digest``, so a ``Content-Length`` above
        ``max_body`` is refused before anything is read; otherwise the framing announced no
        body and the core checks that none came. ``timed=False`` (HTTP/1.x and no body
        announced): RFC 9112 §6.3 gives such a request no body, so the server's first
        message is the whole (empty) body, there at once; the timer is only armed if the
        server says otherwise (more_body).
        """
        if announced:
            for n, val in headers:
                if n.lower() == b"content-length":
                    declared = val.strip()
                    if declared.isdigit() and int(declared) > self.max_body:
                        raise _TooLarge()
        first: Optional[Message] = None
        if not timed:
            first = await receive()
            if first.get("type") == "http.request" and not first.get("more_body", False):
                chunk = first.get("body") or b""
                if len(chunk) > self.max_body:
                    raise _TooLarge()
                return bytes(chunk)
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            # Python 3.11+: a timer that cancels this task, what asyncio.timeout does without
            # its context manager's two coroutines and state machine (22k instructions of a
            # POST; asyncio.wait_for before 3.12 also runs the read as a second task, one
            # more event-loop turn per request). Our cancellation becomes _Slow only when no
            # one else cancelled the task meanwhile (uncancel, as asyncio.timeout does); the
            # timer is cancelled before anything else can suspend the task.
            base = task.cancelling()
            expired: List[bool] = []
            handle = asyncio.get_running_loop().call_later(self.body_timeout, _expire, task, expired)
            try:
                return await self._chunks(receive, first)
            except asyncio.CancelledError:
                if expired and task.uncancel() <= base:
                    raise _Slow() from None
                raise
            finally:
                handle.cancel()
        try:
            return await asyncio.wait_for(self._chunks(receive, first), self.body_timeout)
        except asyncio.TimeoutError:
            raise _Slow() from None

    async def _chunks(self, receive: Receive, first: Optional[Message] = None) -> bytes:
        chunks: List[bytes] = []
        size = 0
        while True:
            if first is not None:
                msg, first = first, None
            else:
                msg = await receive()
            if msg.get("type") != "http.request":
                raise _Gone()
            chunk = msg.get("body") or b""
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge()
            chunks.append(bytes(chunk))
            if not msg.get("more_body", False):
                return b"".join(chunks)

    def _refusal_headers(self, e: VerificationError) -> Headers:
        policy = self.verifier.policy
        hdrs: Headers = [(b"signature-error", e.signature_error.encode("latin-1"))]
        accepted = policy.accept_signature_scheme()
        if accepted:
            hdrs.append((b"accept-signature-scheme", accepted.encode("latin-1")))
        if e.code == "unsupported_algorithm":
            hdrs.append((b"accept-signature-alg", policy.accept_signature_alg().encode("latin-1")))
        return hdrs

    async def _refusal(self, scope: Scope, receive: Receive, send: Send,
                       e: VerificationError) -> None:
        status = e.status(aauth=self.status == "aauth")
        payload = e.problem_details(status).encode("utf-8")
        await self._respond(scope, receive, send, status, b"application/problem+json", payload,
                            self._refusal_headers(e))

    async def _plain(self, scope: Scope, receive: Receive, send: Send, status: int,
                     payload: bytes, extra: Optional[Headers] = None) -> None:
        await self._respond(scope, receive, send, status, b"text/plain; charset=utf-8", payload,
                            extra or [])

    async def _respond(self, scope: Scope, receive: Receive, send: Send, status: int,
                       content_type: bytes, payload: bytes, extra: Headers) -> None:
        hdrs: Headers = [(b"content-type", content_type),
                         (b"content-length", str(len(payload)).encode())] + extra
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": status, "headers": hdrs})
            await send({"type": "http.response.body", "body": payload})
            return
        # A WebSocket handshake: the first message is websocket.connect; the refusal is an
        # HTTP response where the server allows one, else a close before the accept (403).
        msg = await receive()
        if msg.get("type") != "websocket.connect":
            return
        if "websocket.http.response" in (scope.get("extensions") or {}):
            await send({"type": "websocket.http.response.start", "status": status,
                        "headers": hdrs})
            await send({"type": "websocket.http.response.body", "body": payload})
        else:
            await send({"type": "websocket.close", "code": 1008})


def _expire(task: Any, expired: List[bool]) -> None:
    """The body timer: runs only while the task waits for the body (a loop callback)."""
    expired.append(True)
    task.cancel()


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first hands the app the body already read, whole."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_header(send: Send, name: bytes, value: str) -> Send:
    """``send`` that adds one header to the response start (or the WebSocket accept)."""

    async def wrapped(message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start" or kind == "websocket.accept":
            message = dict(message)
            message["headers"] = list(message.get("headers") or []) + [(name, value.encode("latin-1"))]
        await send(message)

    return wrapped


def verified(request: Any) -> Verified:
    """The verified request, in a handler behind :class:`AAuthMiddleware`: who signed it
    (``agent``, ``issuer``, ``subject``, ``kid``, ``thumbprint``, ``scheme``) and what the
    signature covered. ``request`` is a Starlette/FastAPI ``Request`` or ``WebSocket``, or the
    ASGI scope itself; the value is ``scope["state"]["aauth"]``, typed.

    Raises ``LookupError`` when there is none: an exempt path (``exempt_paths``), or an app not
    behind the middleware. Nothing a client sends (no header) is ever read here.
    """
    scope = getattr(request, "scope", request)
    state = scope.get("state") if isinstance(scope, dict) else None
    value = state.get(STATE_KEY) if isinstance(state, dict) else None
    if not isinstance(value, Verified):
        raise LookupError("no verified AAuth signature for this request (an exempt path, or an "
                          "app not behind AAuthMiddleware)")
    return value
