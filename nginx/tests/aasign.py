"""A small RFC 9421 + Signature-Key signer for the nginx tests (needs `cryptography`).

The tests must send requests no well-behaved signer would (odd paths, duplicate headers, huge
bodies, hostile token claims), so they sign them here, field by field. Everything follows the
verifier's notes (docs/protocol.md): the signature base is RFC 9421 §2.5, the key is Ed25519.
"""

import base64
import hashlib
import json
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64(b):
    return base64.b64encode(b).decode()


class Key:
    """An Ed25519 key with its public JWK."""

    def __init__(self):
        self.sk = Ed25519PrivateKey.generate()
        self.x = b64u(self.sk.public_key().public_bytes_raw())

    def jwk(self, kid=None, alg="Ed25519"):
        d = {"kty": "OKP", "crv": "Ed25519", "x": self.x}
        if alg:
            d["alg"] = alg
        if kid is not None:
            d["kid"] = kid
        return d

    def sign(self, data):
        return self.sk.sign(data)

    def thumbprint(self):
        canon = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": self.x}, separators=(",", ":"))
        return b64u(hashlib.sha256(canon.encode()).digest())


def hwk(key):
    return f'sig=hwk;kty="OKP";crv="Ed25519";x="{key.x}";alg="Ed25519"'


def jwks_uri(ident, kid, dwk="aauth-agent"):
    return f'sig=jwks_uri;id="{ident}";dwk="{dwk}";kid="{kid}"'


def jwks_url(url, kid):
    return f'sig=jwks;url="{url}";kid="{kid}"'


def legacy_jwks(ident, kid):
    """The January 2026 demo's legacy inner-list form (compat profile)."""
    return f'sig1=(scheme=jwks id="{ident}" kid="{kid}")'


def jwt(token, cache=False):
    return f'sig=jwt;jwt="{token}"' + (";cache" if cache else "")


def cached(cid):
    return f'sig=cached;cid="{cid}"'


def token(issuer_key, kid, iss, sub, agent_key, dwk="aauth-agent", typ="aa-agent+jwt",
          lifetime=3600, jti=None, now=None, **claims):
    """A compact JWS agent token whose cnf.jwk is `agent_key`."""
    now = int(time.time()) if now is None else now
    header = {"alg": "Ed25519", "kid": kid, "typ": typ}
    payload = {"iss": iss, "sub": sub, "dwk": dwk, "iat": now - 1, "exp": now + lifetime,
               "cnf": {"jwk": agent_key.jwk()}}
    if jti is not None:
        payload["jti"] = jti
    payload.update(claims)
    h = b64u(json.dumps(header, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    sig = issuer_key.sign(f"{h}.{p}".encode())
    return f"{h}.{p}.{b64u(sig)}"


def digest(body):
    return f"sha-256=:{b64(hashlib.sha256(body).digest())}:"


def sign(key, method, authority, target, sigkey, headers=(), body=None, components=None,
         created=None, label=None, digest_body=None):
    """Signed headers for a request: `headers` plus Content-Digest (when `content-digest` is
    covered: over `digest_body`, else `body`), Signature-Key, Signature-Input, Signature."""
    created = int(time.time()) if created is None else created
    comps = list(components or ["@method", "@authority", "@path", "signature-key"])
    if label is None:
        label = sigkey.split("=", 1)[0]
    hdrs = list(headers)
    if "content-digest" in comps and not any(h.lower() == "content-digest" for h, _ in hdrs):
        hdrs.append(("Content-Digest", digest(digest_body if digest_body is not None
                                              else (body or b""))))
    path, _, query = target.partition("?")
    lines = []
    for c in comps:
        if c == "@method":
            v = method
        elif c == "@authority":
            v = authority
        elif c == "@path":
            v = path
        elif c == "@query":
            v = "?" + query
        elif c == "signature-key":
            v = sigkey
        else:
            v = ", ".join(val.strip() for h, val in hdrs if h.lower() == c)
        lines.append(f'"{c}": {v}')
    params = "(" + " ".join(f'"{c}"' for c in comps) + f");created={created}"
    lines.append(f'"@signature-params": {params}')
    sig = key.sign("\n".join(lines).encode())
    return hdrs + [("Signature-Key", sigkey), ("Signature-Input", f"{label}={params}"),
                   ("Signature", f"{label}=:{b64(sig)}:")]
