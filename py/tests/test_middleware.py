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


def make_app(verifier=None, **options):
    v = verifier or Verifier(authority=AUTH)
    return Starlette(routes=[Route("/who", whoami, methods=["GET", "POST"]),
                             Route("/health", lambda r: JSONResponse({"ok": True}))],
                     middleware=[Middleware(AAuthMiddleware, verifier=v, exempt_paths=["/health"],
                                            **options)])


def signed(method, path, body=None, extra=None):
    key = Ed25519PrivateKey.generate()
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(sign_request(method, f"https://{AUTH}{path}", h, body, key,
                          additional_signature_components=extra))
    return h, key


async def call(method, path, headers, body=None, app=None):
    transport = httpx.ASGITransport(app=app or make_app())
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
    # SK-09 §5.4.4: missing signature headers are invalid_signature (was invalid_request).
    r = asyncio.run(call("GET", "/who", {}))
    assert r.status_code == 401 and r.headers["signature-error"] == "error=invalid_signature"
    assert "hwk" in r.headers["accept-signature-scheme"]
    h2 = dict(h, **{"Signature-Input": h["Signature-Input"].replace('"signature-key"', '"@query"')})
    r = asyncio.run(call("GET", "/who", h2))
    assert r.status_code == 401 and r.headers["signature-error"].startswith("error=")


def test_exempt_path_and_non_http():
    r = asyncio.run(call("GET", "/health", {}))
    assert r.status_code == 200


# -- SK-09 §4-§5 responses ---------------------------------------------------------------------


def _problem(r, code, status):
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["type"] == f"urn:ietf:params:sig-error:{code}"
    assert doc["status"] == status and doc["error"] == code and doc["title"]
    assert r.headers["signature-error"].startswith(f"error={code}")
    return doc


@pytest.mark.parametrize("rule,status", [("aauth", 401), ("signature-key", 400)])
def test_problem_details_and_status_rule(rule, status):
    h, _ = signed("GET", "/who")
    app = make_app(status=rule)
    r = asyncio.run(call("POST", "/who", h, app=app))  # signed as GET: not recoverable
    doc = _problem(r, "invalid_signature", status)
    assert doc["detail"] == "the Ed25519 signature does not verify"
    # A recoverable code is 401 under both rules (SK-09 §5).
    r = asyncio.run(call("GET", "/who", dict(h, **{"Signature-Key": h["Signature-Key"].replace("hwk", "x509")}), app=app))
    _problem(r, "unsupported_scheme", 401)
    assert "hwk" in r.headers["accept-signature-scheme"]
    assert "accept-signature-alg" not in r.headers


def test_status_rule_is_checked():
    with pytest.raises(ValueError):
        AAuthMiddleware(make_app(), Verifier(authority=AUTH), status="teapot")  # type: ignore[arg-type]


def test_unsupported_algorithm_carries_accept_signature_alg():
    h = {
        "Signature-Input": 'sig=("@method" "@authority" "@path");created=1;alg="rsa-pss-sha512"',
        "Signature": "sig=:" + "A" * 86 + "==:",
    }
    v = Verifier(authority=AUTH, require_signature_key=False, required_components=["@method"],
                 clock=lambda: 1)
    r = asyncio.run(call("GET", "/who", h, app=make_app(v)))
    _problem(r, "unsupported_algorithm", 401)
    assert r.headers["accept-signature-alg"] == "Ed25519"


def test_invalid_input_lists_content_digest_for_a_body():
    """With content-digest required for bodies, the middleware buffers a body the signature
    does not cover and the refusal lists what this request must cover (issue 14 item 8)."""
    body = b'{"hello": "world"}'
    h, _ = signed("POST", "/who", body)  # no content-digest covered
    v = Verifier(authority=AUTH, require_content_digest_with_body=True)
    r = asyncio.run(call("POST", "/who", h, body, app=make_app(v)))
    _problem(r, "invalid_input", 401)
    assert r.headers["signature-error"] == (
        'error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key" '
        '"content-digest")')
    # Without a body, the same policy does not ask for it.
    h, _ = signed("GET", "/who")
    assert asyncio.run(call("GET", "/who", h, app=make_app(v))).status_code == 200
