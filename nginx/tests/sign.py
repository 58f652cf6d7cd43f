#!/usr/bin/env python3
"""Signs fresh requests with aauth-signing for nginx/tests/test_nginx.py (and the demo).

    PYTHON_SIGNER nginx/tests/sign.py AUTHORITY  > signed.json

Runs in a Python that has aauth_signing (the project venv). Generates an agent key and a
token-issuer key, and prints JSON: the two JWKS (for `aauth_trusted_keys`) and requests signed
now (real clock) for `https://AUTHORITY`: hwk GET, hwk POST with Content-Digest, jwks_uri GET
(id https://agent.example), jwt GET (an aa-agent+jwt from https://issuer.example), each with
the identity the gateway must report.
"""

import json
import sys

from aauth_signing import sign_request
from aauth_signing.keys.jwk import calculate_jwk_thumbprint, public_key_to_jwk
from aauth_signing.tokens.agent_token import create_agent_token
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

AGENT_ID = "https://agent.example"
ISSUER = "https://issuer.example"
AGENT_SUB = "aauth:fresh@issuer.example"


def main():
    authority = sys.argv[1]
    agent_key = Ed25519PrivateKey.generate()
    issuer_key = Ed25519PrivateKey.generate()
    agent_jwk = public_key_to_jwk(agent_key.public_key(), kid="fresh-1")
    issuer_jwk = public_key_to_jwk(issuer_key.public_key(), kid="issuer-1")
    thumb = calculate_jwk_thumbprint(agent_jwk)
    cnf = {k: v for k, v in agent_jwk.items() if k != "kid"}
    token = create_agent_token(ISSUER, AGENT_SUB, cnf, issuer_key, "issuer-1")

    out = {"agent_id": AGENT_ID, "issuer": ISSUER,
           "jwks_agent": {"keys": [agent_jwk]}, "jwks_issuer": {"keys": [issuer_jwk]},
           "requests": []}

    def add(name, method, path, body, scheme, expect, extra=None, **kw):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        res = sign_request(method, f"https://{authority}{path}", headers, body, agent_key,
                           sig_scheme=scheme, additional_signature_components=extra, **kw)
        headers.update(res)
        out["requests"].append({
            "name": name, "method": method, "target": path,
            "headers": sorted(headers.items()),
            "body": body.decode() if body is not None else None,
            "expect": dict(expect, thumbprint=thumb),
        })

    add("fresh-hwk-get", "GET", "/api/fresh?x=1", None, "hwk", {"scheme": "hwk"})
    add("fresh-hwk-post-digest", "POST", "/api/fresh", b'{"fresh": true}', "hwk",
        {"scheme": "hwk"}, extra=["content-type", "content-digest"])
    add("fresh-jwks-uri-get", "GET", "/api/fresh", None, "jwks_uri",
        {"scheme": "jwks_uri", "agent": AGENT_ID, "issuer": AGENT_ID, "kid": "fresh-1"},
        id=AGENT_ID, dwk="aauth-agent.json", kid="fresh-1")
    add("fresh-jwt-get", "GET", "/api/fresh", None, "jwt",
        {"scheme": "jwt", "agent": AGENT_SUB, "issuer": ISSUER, "kid": "issuer-1"}, jwt=token)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
