"""Shared pieces of the agent-path bench (issue 18): the signer's keys, the key server, and the
requests signed by aauth-signing 0.2.0."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

from aauth_signing import sign_request
from aauth_signing.keys.jwk import public_key_to_jwk
from aauth_signing.tokens.common import encode_jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps import AUTHORITY

#: (name in the report, scheme, method)
REQUESTS = [
    ("hwk GET", "hwk", "GET"),
    ("hwk POST + digest", "hwk", "POST"),
    ("jwks_uri GET", "jwks_uri", "GET"),
    ("jwks_uri POST + digest", "jwks_uri", "POST"),
    ("jwt GET", "jwt", "GET"),
    ("jwt POST + digest", "jwt", "POST"),
]
#: The JSON a demo backend POSTs to its agent.
BODY = json.dumps({"task": "analyse", "items": [{"sku": "laptop-14", "qty": 120}], "n": 1}).encode()
PATH = "/task"
#: Lifetime of the agent token: longer than any bench run.
TOKEN_LIFETIME = 7200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class KeyServer:
    """The signer's metadata and JWKS on 127.0.0.1 (its origin is the ``jwks_uri`` ``id`` and
    the agent token's ``iss``); counts the GETs it answers."""

    def __init__(self) -> None:
        self.request_key = Ed25519PrivateKey.generate()
        self.issuer_key = Ed25519PrivateKey.generate()
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.gets: Dict[str, int] = {"metadata": 0, "jwks": 0}
        jwks = {"keys": [dict(public_key_to_jwk(self.request_key.public_key()), kid="key-1"),
                         dict(public_key_to_jwk(self.issuer_key.public_key()), kid="as-1")]}
        docs = {
            "/.well-known/aauth-agent.json": ("metadata", json.dumps(
                {"issuer": self.origin, "jwks_uri": f"{self.origin}/jwks.json"}).encode()),
            "/jwks.json": ("jwks", json.dumps(jwks).encode()),
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                found = docs.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                server.gets[found[0]] += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(found[1])))
                self.end_headers()
                self.wfile.write(found[1])

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()

    def token(self, now: int) -> str:
        claims = {"iss": self.origin, "sub": "aauth:backend@bench", "dwk": "aauth-agent.json",
                  "jti": f"bench-{now}", "iat": now, "exp": now + TOKEN_LIFETIME,
                  "cnf": {"jwk": public_key_to_jwk(self.request_key.public_key())}}
        token: str = encode_jwt(claims, self.issuer_key, "as-1", "aa-agent+jwt")
        return token

    def sign(self, scheme: str, method: str, now: Optional[int] = None) -> Tuple[List[Tuple[str, str]], Optional[bytes]]:
        """A request to the agent signed by aauth-signing 0.2.0 the way the demo's backend signs
        its calls; returns its header lines and body."""
        now = int(time.time()) if now is None else now
        body = BODY if method == "POST" else None
        headers: Dict[str, str] = {"Content-Type": "application/json"} if body is not None else {}
        kw: Dict[str, str] = {}
        if scheme == "jwks_uri":
            kw = {"id": self.origin, "dwk": "aauth-agent.json", "kid": "key-1"}
        elif scheme == "jwt":
            kw = {"jwt": self.token(now)}
        extra = ["content-type", "content-digest"] if body is not None else None
        sig = sign_request(method, f"http://{AUTHORITY}{PATH}", headers, body, self.request_key,
                           sig_scheme=scheme, additional_signature_components=extra, **kw)
        headers.update(sig)
        return list(headers.items()), body


_LUA_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:;=,()/+*@'{}[]")


def lua_string(s: str) -> str:
    """``s`` as a Lua string literal (anything but plain ASCII as a decimal escape)."""
    return '"' + "".join(c if c in _LUA_PLAIN else f"\\{ord(c):03d}" for c in s) + '"'


def wrk_script(method: str, headers: List[Tuple[str, str]], body: Optional[bytes]) -> str:
    """A wrk Lua script sending one request, unchanged, on every call (wrk adds ``Host`` from
    the URL and ``Content-Length`` from the body)."""
    lines = [f"wrk.method = {lua_string(method)}", "wrk.headers = {}"]
    for n, v in headers:
        lines.append(f"wrk.headers[{lua_string(n)}] = {lua_string(v)}")
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body.decode('latin-1'))}")
    return "\n".join(lines) + "\n"
