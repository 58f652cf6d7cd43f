"""ASGI middleware: verify every request, answer failures per SK-09 §5, expose the identity.

Works with any ASGI app (Starlette, FastAPI, a2a servers)::

    app.add_middleware(AAuthMiddleware, verifier=Verifier(authority="api.example", resolver=AsyncResolver()))

* The request target is read from ``raw_path`` + ``query_string`` (not decoded), the canonical
  authority from the :class:`~aauth_verify.Verifier` (never ``Host``).
* The body is buffered (up to ``max_body`` bytes, else 413), checked, and replayed to the app
  when the signature covers ``content-digest`` (or the request has a ``Content-Digest``), and
  whenever the policy requires ``content-digest`` for a body and the request has one
  (a non-zero ``Content-Length`` or any ``Transfer-Encoding``).
* A refusal answers ``401`` (AAuth; ``status="signature-key"``: 400 for the codes a client
  cannot recover from, SK-09 §5) with ``Signature-Error`` (e.g. ``error=invalid_signature``,
  or ``error=invalid_input, required_input=(...)`` listing what this request must cover),
  ``Accept-Signature-Scheme``, ``Accept-Signature-Alg`` for ``unsupported_algorithm`` and an
  ``application/problem+json`` body ``{"type": "urn:ietf:params:sig-error:<code>", "title",
  "status", "detail", "error"}``, all rendered by the core (the detail is the failed check's
  static description: never request bytes, URLs or upstream statuses).
* On success ``scope["state"]["aauth"]`` holds the :class:`~aauth_verify.Verified` result
  (``request.state.aauth`` in Starlette/FastAPI), and a cache identifier issued for a
  ``;cache`` token goes out as ``Signature-Key-Cache`` on the app's response.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Literal, MutableMapping, Optional, Tuple

from .errors import VerificationError
from .verifier import Verifier

__all__ = ["AAuthMiddleware", "STATE_KEY", "StatusRule"]

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


def _needs_body(headers: Headers, digest_required: bool) -> bool:
    for n, v in headers:
        name = n.lower()
        if name == b"content-digest" or (name == b"signature-input" and b"content-digest" in v.lower()):
            return True
        if digest_required and (name == b"transfer-encoding"
                                or (name == b"content-length" and v.strip() not in (b"", b"0"))):
            return True
    return False


class AAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        *,
        exempt_paths: Iterable[str] = (),
        max_body: int = 1024 * 1024,
        status: StatusRule = "aauth",
    ) -> None:
        if status not in ("aauth", "signature-key"):
            raise ValueError(f"status must be 'aauth' or 'signature-key', not {status!r}")
        self.app = app
        self.verifier = verifier
        self.exempt = frozenset(exempt_paths)
        self.max_body = max_body
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        headers: Headers = list(scope.get("headers") or [])
        raw_path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
        qs = scope.get("query_string") or b""
        target = raw_path.decode("latin-1") + ("?" + qs.decode("latin-1") if qs else "")
        body: Optional[bytes] = None
        replay = receive
        if _needs_body(headers, self.verifier.policy.require_content_digest_with_body):
            chunks = []
            size = 0
            more = True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await self._too_large(send)
                    return
                chunks.append(chunk)
                more = msg.get("more_body", False)
            body = b"".join(chunks)
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

        try:
            verified = await self.verifier.averify(scope["method"], target, headers, body)
        except VerificationError as e:
            log.info("aauth: rejected %s %s: %s", scope["method"], target, e)
            await self._refusal(send, e)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY] = verified
        cache_header = verified.signature_key_cache
        if cache_header is not None:
            await self.app(scope, replay, _with_header(send, b"signature-key-cache", cache_header))
        else:
            await self.app(scope, replay, send)

    async def _refusal(self, send: Send, e: VerificationError) -> None:
        status = e.status(aauth=self.status == "aauth")
        payload = e.problem_details(status).encode("utf-8")
        policy = self.verifier.policy
        hdrs: Headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(payload)).encode()),
            (b"signature-error", e.signature_error.encode("latin-1")),
            (b"accept-signature-scheme", policy.accept_signature_scheme().encode("latin-1")),
        ]
        if e.code == "unsupported_algorithm":
            hdrs.append((b"accept-signature-alg", policy.accept_signature_alg().encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": payload})

    async def _too_large(self, send: Send) -> None:
        doc: Dict[str, Any] = {"title": "Request body too large", "status": 413,
                               "detail": f"the body exceeds {self.max_body} bytes"}
        payload = json.dumps(doc).encode("utf-8")
        hdrs: Headers = [(b"content-type", b"application/problem+json"),
                         (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": hdrs})
        await send({"type": "http.response.body", "body": payload})


def _with_header(send: Send, name: bytes, value: str) -> Send:
    """``send`` that adds one header to the response start."""

    async def wrapped(message: Message) -> None:
        if message.get("type") == "http.response.start":
            message = dict(message)
            message["headers"] = list(message.get("headers") or []) + [(name, value.encode("latin-1"))]
        await send(message)

    return wrapped
