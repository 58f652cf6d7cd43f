"""The ASGI middleware in a real Starlette app (driven through httpx's ASGI transport)."""

from __future__ import annotations

import asyncio

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
from aauth_signing import sign_request  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from aauth_verify import Verifier  # noqa: E402
from aauth_verify.middleware import AAuthMiddleware  # noqa: E402

AUTH = "api.test"


async def whoami(request):
    v = request.state.aauth
    body = await request.body()
    return JSONResponse({"scheme": v.scheme, "thumbprint": v.thumbprint, "body": body.decode()})


def make_app():
    v = Verifier(authority=AUTH)
    return Starlette(routes=[Route("/who", whoami, methods=["GET", "POST"]),
                             Route("/health", lambda r: JSONResponse({"ok": True}))],
                     middleware=[Middleware(AAuthMiddleware, verifier=v, exempt_paths=["/health"])])


def signed(method, path, body=None, extra=None):
    key = Ed25519PrivateKey.generate()
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(sign_request(method, f"https://{AUTH}{path}", h, body, key,
                          additional_signature_components=extra))
    return h, key


async def call(method, path, headers, body=None):
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{AUTH}") as c:
        return await c.request(method, path, headers=headers, content=body)


def test_valid_request_reaches_handler_with_identity():
    h, _ = signed("GET", "/who?a=1")
    r = asyncio.run(call("GET", "/who?a=1", h))
    assert r.status_code == 200, r.text
    assert r.json()["scheme"] == "hwk" and len(r.json()["thumbprint"]) == 43


def test_body_is_checked_and_replayed():
    body = b'{"hello": "world"}'
    h, _ = signed("POST", "/who", body, ["content-type", "content-digest"])
    r = asyncio.run(call("POST", "/who", h, body))
    assert r.status_code == 200 and r.json()["body"] == body.decode()
    r = asyncio.run(call("POST", "/who", h, b'{"hello": "there"}'))
    assert r.status_code == 401
    assert r.headers["signature-error"] == "error=invalid_signature"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["error"] == "invalid_signature" and r.json()["status"] == 401


def test_failures_answer_401_with_signature_error():
    h, _ = signed("GET", "/who")
    r = asyncio.run(call("POST", "/who", h))  # signed as GET
    assert r.status_code == 401 and r.headers["signature-error"] == "error=invalid_signature"
    r = asyncio.run(call("GET", "/who", {}))
    assert r.status_code == 401 and r.headers["signature-error"] == "error=invalid_request"
    assert "hwk" in r.headers["accept-signature-scheme"]
    h2 = dict(h, **{"Signature-Input": h["Signature-Input"].replace('"signature-key"', '"@query"')})
    r = asyncio.run(call("GET", "/who", h2))
    assert r.status_code == 401 and r.headers["signature-error"].startswith("error=")


def test_exempt_path_and_non_http():
    r = asyncio.run(call("GET", "/health", {}))
    assert r.status_code == 200
