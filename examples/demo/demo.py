"""AAuth demo on 127.0.0.1: a backend signs calls with aauth-signing, an agent verifies them
with aauth-verify's ASGI middleware.

* backend (Starlette): publishes /.well-known/aauth-agent.json and /jwks.json, holds the
  request-signing key (kid key-1) and the token-issuing key (kid as-1);
* agent (Starlette + AAuthMiddleware): Verifier(authority=127.0.0.1:<port>, AsyncResolver
  allowing plain HTTP to the backend only); its handler logs who called.

The backend calls the agent with the jwks_uri and jwt schemes (the agent fetches the backend's
metadata and JWKS once, then serves from its cache), then with a tampered body and with a
stale signature, which must be rejected with the right Signature-Error.

Run: `make demo`, or `uv run demo.py` in this directory. Exit status 0 iff every outcome was
as expected; the last line is `demo: N verified, M rejected as expected`.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from typing import Dict, Optional, Tuple
from unittest import mock

import httpx
import uvicorn
from aauth_signing import sign_request  # type: ignore[import-untyped]
from aauth_signing.keys.jwk import public_key_to_jwk  # type: ignore[import-untyped]
from aauth_signing.tokens.common import encode_jwt  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aauth_verify import Verifier
from aauth_verify.middleware import AAuthMiddleware
from aauth_verify.resolver import AsyncResolver

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
log = logging.getLogger("demo")
for noisy in ("uvicorn", "uvicorn.access", "uvicorn.error", "httpx"):
    logging.getLogger(noisy).setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


BACKEND_PORT, AGENT_PORT = free_port(), free_port()
BACKEND = f"http://127.0.0.1:{BACKEND_PORT}"
AGENT = f"http://127.0.0.1:{AGENT_PORT}"

request_key = Ed25519PrivateKey.generate()
issuer_key = Ed25519PrivateKey.generate()
JWKS = {"keys": [dict(public_key_to_jwk(request_key.public_key()), kid="key-1"),
                 dict(public_key_to_jwk(issuer_key.public_key()), kid="as-1")]}

# -- backend: publishes its metadata and keys ----------------------------------------------

backend_fetches = {"metadata": 0, "jwks": 0}


async def metadata(request: Request) -> JSONResponse:
    backend_fetches["metadata"] += 1
    return JSONResponse({"issuer": BACKEND, "jwks_uri": f"{BACKEND}/jwks.json"})


async def jwks(request: Request) -> JSONResponse:
    backend_fetches["jwks"] += 1
    return JSONResponse(JWKS)


backend_app = Starlette(routes=[Route("/.well-known/aauth-agent.json", metadata), Route("/jwks.json", jwks)])

# -- agent: verifies every request -----------------------------------------------------------


async def task(request: Request) -> JSONResponse:
    who = request.state.aauth
    body = await request.body()
    log.info("agent: %s %s verified: scheme=%s agent=%s issuer=%s kid=%s thumbprint=%s",
             request.method, request.url.path, who.scheme, who.agent, who.issuer, who.kid, who.thumbprint)
    return JSONResponse({"caller": who.agent, "scheme": who.scheme, "echo": body.decode() or None})


verifier = Verifier(
    authority=f"127.0.0.1:{AGENT_PORT}",
    scheme="http",
    resolver=AsyncResolver(allow_http_hosts=[f"127.0.0.1:{BACKEND_PORT}"], trusted=[BACKEND]),
    require_content_digest_with_body=True,
)
agent_app = Starlette(routes=[Route("/task", task, methods=["GET", "POST"])],
                      middleware=[Middleware(AAuthMiddleware, verifier=verifier)])


def serve(app: Starlette, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            return server
        time.sleep(0.02)
    raise SystemExit(f"demo: server on {port} did not start")


# -- the backend's outbound calls -------------------------------------------------------------


def agent_token() -> str:
    now = int(time.time())
    claims = {"iss": BACKEND, "sub": "aauth:backend@127.0.0.1", "dwk": "aauth-agent.json",
              "jti": f"demo-{now}", "iat": now, "exp": now + 600,
              "cnf": {"jwk": public_key_to_jwk(request_key.public_key())}}
    token: str = encode_jwt(claims, issuer_key, "as-1", "aa-agent+jwt")
    return token


def signed(method: str, scheme: str, body: Optional[bytes] = None,
           created: Optional[int] = None) -> Tuple[str, Dict[str, str]]:
    url = f"{AGENT}/task"
    headers: Dict[str, str] = {"Content-Type": "application/json"} if body is not None else {}
    kw: Dict[str, str] = {"id": BACKEND, "dwk": "aauth-agent.json", "kid": "key-1"} if scheme == "jwks_uri" else {"jwt": agent_token()}
    extra = ["content-type", "content-digest"] if body is not None else None
    if created is None:
        sig = sign_request(method, url, headers, body, request_key, sig_scheme=scheme,
                           additional_signature_components=extra, **kw)
    else:
        with mock.patch("aauth_signing.signer.time.time", return_value=float(created)):
            sig = sign_request(method, url, headers, body, request_key, sig_scheme=scheme,
                               additional_signature_components=extra, **kw)
    headers.update(sig)
    return url, headers


def main() -> int:
    serve(backend_app, BACKEND_PORT)
    serve(agent_app, AGENT_PORT)
    log.info("backend %s, agent %s", BACKEND, AGENT)
    verified = rejected = unexpected = 0
    body = json.dumps({"task": "analyse", "n": 1}).encode()
    cases = [
        ("jwks_uri GET", "GET", "jwks_uri", None, None, 200, None),
        ("jwks_uri POST + digest", "POST", "jwks_uri", body, None, 200, None),
        ("jwt GET", "GET", "jwt", None, None, 200, None),
        ("jwt POST + digest", "POST", "jwt", body, None, 200, None),
        ("tampered body", "POST", "jwt", body, "tamper", 401, "error=invalid_signature"),
        ("stale signature", "GET", "jwks_uri", None, "stale", 401, "error=invalid_signature"),
        ("created in the future", "GET", "jwks_uri", None, "future", 401, "error=clock_skew"),
        ("unsigned", "GET", None, None, "unsigned", 401, "error=invalid_signature"),
    ]
    with httpx.Client(timeout=10) as client:
        for name, method, scheme, data, twist, want_status, want_error in cases:
            skew = {"stale": -300, "future": 300}.get(twist or "")
            created = None if skew is None else int(time.time()) + skew
            headers: Dict[str, str]
            if scheme is None:
                url, headers = f"{AGENT}/task", {}
            else:
                url, headers = signed(method, scheme, data, created)
            sent = b'{"task": "exfiltrate", "n": 1}' if twist == "tamper" else data
            r = client.request(method, url, headers=headers, content=sent)
            got_error = r.headers.get("signature-error")
            ok = r.status_code == want_status and (want_error is None or got_error == want_error)
            if ok and want_status == 200:
                verified += 1
            elif ok:
                rejected += 1
            else:
                unexpected += 1
            log.info("backend: %-24s -> %s %s%s", name, r.status_code, got_error or r.json(),
                     "" if ok else f"   UNEXPECTED (want {want_status} {want_error})")
    log.info("agent fetched the backend's metadata %d time(s) and JWKS %d time(s)",
             backend_fetches["metadata"], backend_fetches["jwks"])
    if backend_fetches["jwks"] != 1:
        unexpected += 1
        log.info("UNEXPECTED: the JWKS should be fetched once and then cached")
    print(f"demo: {verified} verified, {rejected} rejected as expected"
          + (f", {unexpected} UNEXPECTED" if unexpected else ""))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
