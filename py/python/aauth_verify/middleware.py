"""ASGI middleware: verify every request, answer failures with 401, expose the identity.

Works with any ASGI app (Starlette, FastAPI, a2a servers)::

    app.add_middleware(AAuthMiddleware, verifier=Verifier(authority="api.example", resolver=AsyncResolver()))

* The request target is read from ``raw_path`` + ``query_string`` (not decoded), the canonical
  authority from the :class:`~aauth_verify.Verifier` (never ``Host``).
* When the signature covers ``content-digest`` (or the request has a ``Content-Digest``) the
  body is buffered (up to ``max_body`` bytes, else 413), checked, and replayed to the app.
* A failure answers ``401`` with ``Signature-Error`` (e.g. ``error=invalid_signature``),
  ``Accept-Signature-Scheme`` and an ``application/problem+json`` body
  ``{"type", "title", "status", "detail", "error"}``.
* On success ``scope["state"]["aauth"]`` holds the :class:`~aauth_verify.Verified` result
  (``request.state.aauth`` in Starlette/FastAPI).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Iterable, Optional

from .errors import VerificationError
from .verifier import Verifier

__all__ = ["AAuthMiddleware", "STATE_KEY"]

STATE_KEY = "aauth"
log = logging.getLogger("aauth_verify")

Scope = Any
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class AAuthMiddleware:
    def __init__(
        self,
        app: Any,
        verifier: Verifier,
        *,
        exempt_paths: Iterable[str] = (),
        max_body: int = 1024 * 1024,
        problem_type: str = "https://aauth.dev/problems/signature",
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.exempt = frozenset(exempt_paths)
        self.max_body = max_body
        self.problem_type = problem_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        raw_path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
        qs = scope.get("query_string") or b""
        target = raw_path.decode("latin-1") + ("?" + qs.decode("latin-1") if qs else "")
        needs_body = any(
            (n.lower() == b"content-digest")
            or (n.lower() == b"signature-input" and b"content-digest" in v.lower())
            for n, v in headers
        )
        body: Optional[bytes] = None
        replay = receive
        if needs_body:
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
                    await self._problem(send, 413, "payload_too_large", "body exceeds the limit", None)
                    return
                chunks.append(chunk)
                more = msg.get("more_body", False)
            body = b"".join(chunks)
            sent = False

            async def replay() -> dict:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

        try:
            verified = await self.verifier.averify(scope["method"], target, headers, body)
        except VerificationError as e:
            log.info("aauth: rejected %s %s: %s", scope["method"], target, e)
            await self._problem(send, 401, e.code, e.detail, e.signature_error)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY] = verified
        await self.app(scope, replay, send)

    async def _problem(self, send: Send, status: int, code: str, detail: str, sig_error: Optional[str]) -> None:
        doc = {
            "type": self.problem_type,
            "title": "Request signature rejected" if status == 401 else "Request rejected",
            "status": status,
            "detail": detail,
            "error": code,
        }
        payload = json.dumps(doc).encode("utf-8")
        hdrs = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        if sig_error:
            hdrs.append((b"signature-error", sig_error.encode("latin-1")))
            hdrs.append((b"accept-signature-scheme",
                         self.verifier.policy.accept_signature_scheme().encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": payload})
