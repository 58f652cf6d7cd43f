"""The apps `make bench-agent` serves under uvicorn (issue 18), one process per app.

    python benches/agent/apps.py APP PORT KEYS_PORT

``APP`` is one of:

* ``bare``        - the handler alone (no verification): the baseline;
* ``aauth_verify`` - ``AAuthMiddleware(verifier=Verifier(resolver=AsyncResolver(...)))``;
* ``aauth_signing_demo`` - what the original demo's agents ran: a Starlette
  ``BaseHTTPMiddleware`` that captures ``dict(request.headers)``, rebuilds the target URI from
  the canonical authority, reads the body of a POST and calls ``aauth_signing.verify_signature``
  with a ``jwks_fetcher`` that caches each JWKS after its first fetch;
* ``aauth_signing_asgi`` - the same verification in a plain ASGI middleware (no
  ``BaseHTTPMiddleware``): aauth-signing's own cost without Starlette's middleware machinery.

Every app answers ``/task`` (GET, and POST reading the body) with the same small JSON. The
signer's metadata and JWKS are on ``http://127.0.0.1:KEYS_PORT`` (the bench's key server); the
canonical authority is ``agent.bench`` for every app, so one set of signed requests serves
all of them. Freshness: both verifiers read the real clock with a 3600 s window (the bench
signs its requests when it starts and runs for minutes); replay protection is off (wrk sends
the same signed request over and over).
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any, Callable, Dict, Optional

AUTHORITY = "agent.bench"
WINDOW = 3600


def handler() -> Any:
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    async def task(request: Request) -> JSONResponse:
        body = await request.body() if request.method == "POST" else b""
        return JSONResponse({"ok": True, "bytes": len(body)})

    return task


def starlette(middleware: Optional[list] = None) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route

    return Starlette(routes=[Route("/task", handler(), methods=["GET", "POST"])],
                     middleware=middleware or [])


def ours(keys_origin: str, keys_hostport: str) -> Any:
    from starlette.middleware import Middleware

    from aauth_verify import Verifier
    from aauth_verify.middleware import AAuthMiddleware
    from aauth_verify.resolver import AsyncResolver

    verifier = Verifier(
        authority=AUTHORITY,
        scheme="http",
        window=WINDOW,
        resolver=AsyncResolver(allow_http_hosts=[keys_hostport], trusted=[keys_origin]),
        require_content_digest_with_body=True,
    )
    return starlette([Middleware(AAuthMiddleware, verifier=verifier)])


def cached_fetcher() -> Callable[..., Any]:
    """aauth-signing's ``jwks_fetcher``: ``{id}/.well-known/{dwk}`` → ``jwks_uri`` → JWKS,
    fetched once per signer (blocking, on the first request only), then from a dict."""
    cache: Dict[Any, Any] = {}

    def fetch(identifier: str, dwk: str = "aauth-agent.json", kid: Optional[str] = None) -> Any:
        ck = (identifier, dwk)
        jwks = cache.get(ck)
        if jwks is None:
            with urllib.request.urlopen(f"{identifier.rstrip('/')}/.well-known/{dwk}", timeout=5) as r:
                meta = json.loads(r.read())
            with urllib.request.urlopen(meta["jwks_uri"], timeout=5) as r:
                jwks = cache[ck] = json.loads(r.read())
        return jwks

    return fetch


def demo() -> Any:
    """The demo's shape: BaseHTTPMiddleware capture, then aauth_signing.verify_signature."""
    from aauth_signing import verify_signature
    from aauth_signing.errors import SignatureError
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    fetcher = cached_fetcher()

    class SignatureMiddleware(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: Any) -> Response:
            headers = dict(request.headers)
            query = request.url.query
            uri = f"http://{AUTHORITY}{request.url.path or '/'}" + (f"?{query}" if query else "")
            body = None
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
            try:
                ok = verify_signature(
                    method=request.method, target_uri=uri, headers=headers, body=body,
                    signature_input_header=headers.get("signature-input", ""),
                    signature_header=headers.get("signature", ""),
                    signature_key_header=headers.get("signature-key", ""),
                    jwks_fetcher=fetcher, signature_window=WINDOW)
            except SignatureError:
                ok = False
            if not ok:
                return JSONResponse({"error": "invalid_signature"}, status_code=401)
            return await call_next(request)

    return starlette([Middleware(SignatureMiddleware)])


def plain_asgi() -> Any:
    """aauth_signing.verify_signature in a plain ASGI middleware (body replayed to the app)."""
    from aauth_signing import verify_signature
    from aauth_signing.errors import SignatureError

    fetcher = cached_fetcher()
    inner = starlette()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        qs = scope.get("query_string") or b""
        uri = f"http://{AUTHORITY}{scope['path']}" + (f"?{qs.decode('latin-1')}" if qs else "")
        body = None
        replay = receive
        if scope["method"] in ("POST", "PUT", "PATCH"):
            chunks = []
            while True:
                msg = await receive()
                chunks.append(msg.get("body", b""))
                if not msg.get("more_body"):
                    break
            body = b"".join(chunks)
            sent = False

            async def replay() -> Any:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
        try:
            ok = verify_signature(
                method=scope["method"], target_uri=uri, headers=headers, body=body,
                signature_input_header=headers.get("signature-input", ""),
                signature_header=headers.get("signature", ""),
                signature_key_header=headers.get("signature-key", ""),
                jwks_fetcher=fetcher, signature_window=WINDOW)
        except SignatureError:
            ok = False
        if not ok:
            payload = b'{"error":"invalid_signature"}'
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        await inner(scope, replay, send)

    return app


APPS = ("bare", "aauth_verify", "aauth_signing_demo", "aauth_signing_asgi")


def build(name: str, keys_port: int) -> Any:
    hostport = f"127.0.0.1:{keys_port}"
    if name == "bare":
        return starlette()
    if name == "aauth_verify":
        return ours(f"http://{hostport}", hostport)
    if name == "aauth_signing_demo":
        return demo()
    if name == "aauth_signing_asgi":
        return plain_asgi()
    raise SystemExit(f"apps.py: unknown app {name!r} (one of {', '.join(APPS)})")


def main() -> None:
    import uvicorn

    name, port, keys_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = build(name, keys_port)
    # uvicorn[standard]: loop="auto" and http="auto" pick uvloop and httptools when installed.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
