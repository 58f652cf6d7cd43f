"""The resolver against a real HTTP server on 127.0.0.1 (no mocks of the network layer)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("httpx")
from aauth_signing import sign_request  # noqa: E402
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from aauth_signing.tokens.common import encode_jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import VerificationError, Verifier  # noqa: E402
from aauth_verify.resolver import AsyncResolver, Resolver  # noqa: E402


class Server:
    def __init__(self):
        self.routes = {}
        self.hits = {}
        self.delay = 0.0
        srv = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                srv.hits[self.path] = srv.hits.get(self.path, 0) + 1
                if srv.delay:
                    time.sleep(srv.delay)
                status, headers, body = srv.routes.get(self.path, (404, {}, b"{}"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path, doc, **headers):
        self.routes[path] = (200, headers, json.dumps(doc).encode())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def keys():
    agent = Ed25519PrivateKey.generate()
    jwk = dict(public_key_to_jwk(agent.public_key()), kid="key-1")
    return agent, jwk


def publish(server, jwk, issuer=None):
    server.json("/.well-known/aauth-agent.json",
                {"issuer": issuer or server.origin, "jwks_uri": f"{server.origin}/jwks.json"})
    server.json("/jwks.json", {"keys": [jwk]})


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def resolver(server, **kw):
    return Resolver(allow_http_hosts=[f"127.0.0.1:{server.port}"], **kw)


def test_fetch_and_cache(server, keys):
    publish(server, keys[1])
    clock = Clock()
    r = resolver(server, clock=clock)
    k = r.key(server.origin, "aauth-agent.json", "key-1")
    assert k.jwk()["x"] == keys[1]["x"]
    assert r.key(server.origin, "aauth-agent.json", "key-1") is not None
    assert server.hits == {"/.well-known/aauth-agent.json": 1, "/jwks.json": 1}
    clock.t += 301  # default TTL 300 s
    r.key(server.origin, "aauth-agent.json", "key-1")
    assert server.hits["/jwks.json"] == 2


def test_max_age_is_honoured_and_capped(server, keys):
    server.json("/.well-known/aauth-agent.json",
                {"issuer": server.origin, "jwks_uri": f"{server.origin}/jwks.json"},
                **{"cache-control": "max-age=999999"})
    server.json("/jwks.json", {"keys": [keys[1]]}, **{"cache-control": "max-age=999999"})
    clock = Clock()
    r = resolver(server, clock=clock)
    r.key(server.origin, "aauth-agent.json", "key-1")
    clock.t += 86399
    r.key(server.origin, "aauth-agent.json", "key-1")
    assert server.hits["/jwks.json"] == 1
    clock.t += 2  # capped at 24 h
    r.key(server.origin, "aauth-agent.json", "key-1")
    assert server.hits["/jwks.json"] == 2


def test_unknown_kid_refetches_at_most_once_a_minute(server, keys):
    publish(server, keys[1])
    clock = Clock()
    r = resolver(server, clock=clock)
    r.key(server.origin, "aauth-agent.json", "key-1")
    clock.t += 61
    with pytest.raises(VerificationError) as e:
        r.key(server.origin, "aauth-agent.json", "key-2")
    assert e.value.code == "unknown_key"
    assert server.hits["/jwks.json"] == 2  # one refetch
    with pytest.raises(VerificationError):
        r.key(server.origin, "aauth-agent.json", "key-2")
    assert server.hits["/jwks.json"] == 2  # not again within 60 s
    # A rotated key appears after the interval.
    server.json("/jwks.json", {"keys": [keys[1], dict(keys[1], kid="key-2")]})
    clock.t += 61
    assert r.key(server.origin, "aauth-agent.json", "key-2") is not None


def test_issuer_mismatch(server, keys):
    publish(server, keys[1], issuer="https://someone-else.example")
    with pytest.raises(VerificationError) as e:
        resolver(server).key(server.origin, "aauth-agent.json", "key-1")
    assert e.value.code == "issuer_mismatch"


def test_plain_http_needs_an_allowance(server, keys):
    publish(server, keys[1])
    with pytest.raises(VerificationError) as e:
        Resolver().key(server.origin, "aauth-agent.json", "key-1")
    assert e.value.code == "unknown_key" and "https" in e.value.detail
    assert server.hits == {}


def test_trusted_allowlist(server, keys):
    publish(server, keys[1])
    with pytest.raises(VerificationError):
        resolver(server, trusted=["https://only.example"]).key(server.origin, "aauth-agent.json", "key-1")
    assert server.hits == {}
    assert resolver(server, trusted=[server.origin]).key(server.origin, "aauth-agent.json", "key-1")


def test_redirects(server, keys):
    publish(server, keys[1])
    server.routes["/.well-known/aauth-agent.json"] = (302, {"location": "/meta"}, b"")
    server.json("/meta", {"issuer": server.origin, "jwks_uri": f"{server.origin}/jwks.json"})
    assert resolver(server).key(server.origin, "aauth-agent.json", "key-1")
    server.routes["/.well-known/aauth-agent.json"] = (302, {"location": "http://localhost:1/x"}, b"")
    with pytest.raises(VerificationError) as e:
        resolver(server).key(server.origin, "aauth-agent.json", "key-1")
    # The client-facing detail names no upstream status or URL (issue 12 finding 2).
    assert e.value.code == "unknown_key" and "localhost" not in e.value.detail


def test_size_limit_and_errors(server, keys):
    publish(server, keys[1])
    server.json("/jwks.json", {"keys": [keys[1]], "pad": "x" * 100_000})
    with pytest.raises(VerificationError) as e:
        resolver(server).key(server.origin, "aauth-agent.json", "key-1")
    assert e.value.code == "unknown_key" and "could not be fetched" in e.value.detail
    server.routes["/jwks.json"] = (500, {}, b"")
    with pytest.raises(VerificationError) as e:
        resolver(server).key(server.origin, "aauth-agent.json", "key-1")
    assert e.value.code == "unknown_key"
    with pytest.raises(VerificationError):
        resolver(server).key(server.origin, "../etc", "key-1")


def test_concurrent_misses_share_one_fetch(server, keys):
    publish(server, keys[1])
    server.delay = 0.2
    r = resolver(server)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        out = list(ex.map(lambda _: r.key(server.origin, "aauth-agent.json", "key-1"), range(8)))
    assert len({k.thumbprint for k in out}) == 1
    assert server.hits == {"/.well-known/aauth-agent.json": 1, "/jwks.json": 1}


def test_async_concurrent_misses_share_one_fetch(server, keys):
    publish(server, keys[1])
    server.delay = 0.2

    async def main():
        r = AsyncResolver(allow_http_hosts=[f"127.0.0.1:{server.port}"])
        try:
            return await asyncio.gather(*[r.akey(server.origin, "aauth-agent.json", "key-1") for _ in range(8)])
        finally:
            await r.aclose()

    out = asyncio.run(main())
    assert len({k.thumbprint for k in out}) == 1
    assert server.hits == {"/.well-known/aauth-agent.json": 1, "/jwks.json": 1}


def _signed(agent, scheme, origin, issuer_key=None):
    uri = "https://resource.example/api"
    h = {}
    kw = dict(id=origin, dwk="aauth-agent.json", kid="key-1")
    if scheme == "jwt":
        # create_agent_token insists on an https issuer without port; sign the same claims with
        # the library's own JWS helper so the issuer can be this http://127.0.0.1:port server.
        now = int(time.time())
        claims = dict(iss=origin, sub="aauth:bot@127.0.0.1", dwk="aauth-agent.json", jti="t-1",
                      iat=now, exp=now + 600, cnf={"jwk": public_key_to_jwk(agent.public_key())})
        kw = dict(jwt=encode_jwt(claims, issuer_key, "as-1", "aa-agent+jwt"))
    h.update(sign_request("GET", uri, h, None, agent, sig_scheme=scheme, **kw))
    return h


def test_verifier_with_live_resolver(server, keys):
    agent, jwk = keys
    issuer = Ed25519PrivateKey.generate()
    publish(server, jwk)
    server.json("/jwks.json", {"keys": [jwk, dict(public_key_to_jwk(issuer.public_key()), kid="as-1")]})
    v = Verifier(authority="resource.example", resolver=resolver(server))
    out = v.verify("GET", "/api", _signed(agent, "jwks_uri", server.origin))
    assert out.agent == server.origin and out.kid == "key-1"
    out = v.verify("GET", "/api", _signed(agent, "jwt", server.origin, issuer))
    assert out.issuer == server.origin and out.agent == "aauth:bot@127.0.0.1"
    assert server.hits["/jwks.json"] == 1  # one document serves both (same id and dwk)

    async def amain():
        av = Verifier(authority="resource.example",
                      resolver=AsyncResolver(allow_http_hosts=[f"127.0.0.1:{server.port}"]))
        res = await asyncio.gather(*[av.averify("GET", "/api", _signed(agent, "jwks_uri", server.origin))
                                     for _ in range(4)])
        await av.resolver.aclose()
        return res

    assert all(r.agent == server.origin for r in asyncio.run(amain()))


def test_as_fetcher_for_the_dropin(server, keys):
    from aauth_verify import verify_signature

    agent, jwk = keys
    publish(server, jwk)
    h = _signed(agent, "jwks_uri", server.origin)
    fetch = resolver(server).as_fetcher()
    assert verify_signature("GET", "https://resource.example/api", h, None, h["Signature-Input"],
                            h["Signature"], h["Signature-Key"], jwks_fetcher=fetch) is True
