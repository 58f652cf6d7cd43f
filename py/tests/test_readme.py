"""The root README's Python blocks, run as written: the Starlette app is executed from the
README's text and called with requests signed by aauth-signing 0.2.0 (issue 13: every block
pasted and run)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("h11")
from aauth_signing import sign_request  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify.middleware import verified  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> List[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Python agents\n"):text.index("\n## Rust\n")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_has_its_python_blocks():
    blocks = python_blocks()
    assert len(blocks) == 3
    assert "AAuthMiddleware" in blocks[0] and "RedisReplayCache" in blocks[1]
    assert "verify_signature" in blocks[2]


def test_the_fleet_block_makes_a_verifier_on_redis():
    """The fleet block as written (the Redis client connects on first use; the two-process
    run of examples/fleet/fleet.py is test_fleet.py's test_the_fleet_example_runs)."""
    pytest.importorskip("redis")
    from aauth_verify import RedisAssertionCache, RedisReplayCache, Verifier

    ns: Dict[str, Any] = {"__name__": "fleet"}
    exec(compile(python_blocks()[1], str(README), "exec"), ns)  # noqa: S102 - our own README
    assert isinstance(ns["verifier"], Verifier)
    assert isinstance(ns["verifier"]._replay, RedisReplayCache)
    assert isinstance(ns["verifier"]._assertions, RedisAssertionCache)


def readme_app() -> Any:
    ns: Dict[str, Any] = {"__name__": "app"}
    exec(compile(python_blocks()[0], str(README), "exec"), ns)  # noqa: S102 - our own README
    return ns["app"]


async def call(app: Any, headers: Dict[str, str]) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
        return await c.get("/whoami", headers=headers)


def test_the_starlette_example_verifies_and_refuses():
    app = readme_app()
    key = Ed25519PrivateKey.generate()
    signed = sign_request("GET", "http://localhost:8000/whoami", {}, None, key)
    r = asyncio.run(call(app, dict(signed)))
    assert r.status_code == 200, r.text
    assert r.json()["scheme"] == "hwk" and r.json()["agent"] is None
    assert len(r.json()["key"]) == 43
    # Unsigned, and signed for another path: refused before the handler, with Signature-Error.
    r = asyncio.run(call(app, {}))
    assert r.status_code == 401 and r.headers["signature-error"] == "error=invalid_signature"
    assert r.headers["content-type"] == "application/problem+json"
    other = sign_request("GET", "http://localhost:8000/other", {}, None, key)
    r = asyncio.run(call(app, dict(other)))
    assert r.status_code == 401


def test_the_dropin_block_imports():
    ns: Dict[str, Any] = {}
    exec(python_blocks()[2], ns)  # noqa: S102
    assert callable(ns["verify_signature"])


def test_verified_outside_the_middleware_is_a_lookup_error():
    with pytest.raises(LookupError):
        verified({"type": "http", "state": {}})
    with pytest.raises(LookupError):
        verified({"type": "http", "state": {"aauth": "forged"}})
