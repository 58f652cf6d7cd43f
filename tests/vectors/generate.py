#!/usr/bin/env python3
"""Deterministic generator of the shared aauth-verify test vectors.

Writes tests/vectors/signatures.json and tests/vectors/tokens.json. Run it through
tests/vectors/regen.sh, which creates two project-local venvs (aauth-signing 0.2.0 and 0.1.2
cannot share one environment) and runs this script with the 0.2.0 one; the 0.1.2 signer runs in
a subprocess of its own venv (`generate.py --worker`).

Three sources of signatures:
  * reference sets (tests/vectors/README.md: RFC 9421 B.2.6, A1-A3, V1-V7), re-derived here and
    checked byte for byte (base, SHA-256, signature);
  * aauth-signing 0.2.0 / 0.1.2 `sign_request` with the clock frozen (fresh signatures);
  * an independent RFC 9421 signer in this file (base built by hand, Ed25519 via cryptography)
    for everything the Python library cannot produce (legacy forms, odd-but-legal syntax,
    negatives).
Ed25519 is deterministic, so two runs give byte-identical files (regen.sh checks that).
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Worker mode: runs inside a venv holding one aauth-signing version.
# --------------------------------------------------------------------------------------------


def _worker():
    import importlib.metadata
    import uuid
    from unittest import mock

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    import aauth_signing
    from aauth_signing.signature_base import build_signature_base

    version = importlib.metadata.version("aauth-signing")
    tasks = json.load(sys.stdin)
    out = []
    for t in tasks:
        now = t["now"]
        if t["op"] == "sign":
            key = Ed25519PrivateKey.from_private_bytes(_b64u_dec(t["d"]))
            headers = dict(t["headers"])
            body = t["body"].encode() if t["body"] is not None else None
            with mock.patch("aauth_signing.signer.time.time", return_value=now):
                res = aauth_signing.sign_request(
                    t["method"], t["uri"], headers, body, key,
                    sig_scheme=t["scheme"],
                    additional_signature_components=t.get("additional"),
                    **t.get("kwargs", {}))
            u = urlsplit(t["uri"])
            si = res["Signature-Input"]
            params = si.split("=", 1)[1]
            comps = [c.strip('"') for c in params[1:params.index(")")].split()]
            base = build_signature_base(
                method=t["method"], authority=u.netloc, path=u.path or "/",
                query=u.query or None, headers=headers, body=body,
                signature_key_header=res["Signature-Key"], covered_components=comps,
                signature_params=params)
            out.append({"version": version, "result": dict(res), "headers": headers,
                        "base": base})
        elif t["op"] == "agent_token":
            from aauth_signing.tokens.agent_token import create_agent_token
            key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(t["issuer_secret_hex"]))
            fixed = uuid.UUID(t["jti"])
            with mock.patch("aauth_signing.tokens.agent_token.time.time", return_value=now), \
                    mock.patch("aauth_signing.tokens.agent_token.uuid.uuid4", return_value=fixed):
                tok = create_agent_token(t["iss"], t["sub"], t["cnf_jwk"], key, t["kid"],
                                         exp=t["exp"])
            out.append({"version": version, "token": tok})
        elif t["op"] == "verify":
            from aauth_signing import verify_signature
            h = t["headers"]
            body = t["body"].encode() if t["body"] is not None else None
            jwks = t.get("jwks")
            kw = {}
            if jwks is not None:
                kw["jwks_fetcher"] = (lambda *a, _j=jwks: _j)
            with mock.patch("aauth_signing.verifier.time.time", return_value=now):
                try:
                    ok = verify_signature(t["method"], t["uri"], h, body, h["Signature-Input"],
                                          h["Signature"], h["Signature-Key"], **kw)
                    err = None
                except Exception as e:  # recorded, compared by the caller
                    ok, err = False, type(e).__name__ + ": " + str(e)
            out.append({"version": version, "ok": bool(ok), "error": err})
        else:
            raise SystemExit("unknown worker op " + t["op"])
    json.dump(out, sys.stdout)


# --------------------------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------------------------


def _b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def b64std(b):
    return base64.b64encode(b).decode()


def sha256hex(s):
    return hashlib.sha256(s.encode() if isinstance(s, str) else s).hexdigest()


def cjson(obj):
    return json.dumps(obj, separators=(",", ":"))


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail("CROSS-CHECK FAILED: " + msg)


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def _load_crypto():
    global Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature, serialization, ec, padding
    global hashes, rsa
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey, Ed25519PublicKey)


class Key:
    def __init__(self, seed):
        self.seed = seed
        self.sk = Ed25519PrivateKey.from_private_bytes(seed)
        self.pub = self.sk.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
        self.x = b64u(self.pub)
        self.d = b64u(seed)

    def sign(self, data):
        return self.sk.sign(data.encode() if isinstance(data, str) else data)

    def jwk(self, alg=True, kid=None):
        j = {"kty": "OKP", "crv": "Ed25519", "x": self.x}
        if kid is not None:
            j["kid"] = kid
        if alg:
            j["alg"] = "Ed25519"
        return j

    def thumbprint(self, h=hashlib.sha256):
        return okp_thumbprint(self.x, h)


def okp_thumbprint(x, h=hashlib.sha256):
    return b64u(h(cjson({"crv": "Ed25519", "kty": "OKP", "x": x}).encode()).digest())


def ed_verify(pub, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg.encode())
        return True
    except InvalidSignature:
        return False


# Minimal Ed25519 point decoding (RFC 8032 §5.1.3) to tell "valid point" from "not a point".
_P = 2 ** 255 - 19
_Dc = (-121665 * pow(121666, _P - 2, _P)) % _P


def ed_point_valid(b):
    if len(b) != 32:
        return False
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    sign = b[31] >> 7
    if y >= _P:
        return False
    u = (y * y - 1) % _P
    v = (_Dc * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    if x2 == 0:
        return sign == 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    return (x * x - x2) % _P == 0


# --------------------------------------------------------------------------------------------
# Structured-field serialization (the subset we emit) and the RFC 9421 signature base
# --------------------------------------------------------------------------------------------


class Tok(str):
    """An SF Token (serialized bare)."""


def sf_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sf_bare(v):
    if v is True:
        return "?1"
    if v is False:
        return "?0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Tok):
        return str(v)
    if isinstance(v, bytes):
        return ":" + b64std(v) + ":"
    return sf_str(v)


def sf_params(params):
    out = ""
    for k, v in params:
        out += ";" + k if v is True else ";" + k + "=" + sf_bare(v)
    return out


def norm_comp(c):
    """`name` or `(name, params)` or `(name, params, canonical)`; the third member is the
    hand-derived value an `sf` / `key` component must produce (RFC 9421 §2.1.1, §2.1.2): this
    generator has no Structured Fields serializer of its own, so those values are written out
    from RFC 9651 §4.1 by hand and the verifier must reproduce them."""
    return (c, []) if isinstance(c, str) else (c[0], list(c[1]))


def comp_id(c):
    name, params = norm_comp(c)
    return sf_str(name) + sf_params(params)


def sig_params_line(components, params):
    """Canonical `@signature-params` value (RFC 9421 §2.3)."""
    return "(" + " ".join(comp_id(c) for c in components) + ")" + sf_params(params)


_FORM_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def form_decode(s):
    s = s.replace("+", " ")
    out = bytearray()
    i = 0
    while i < len(s):
        hx = s[i + 1:i + 3]
        if s[i] == "%" and len(hx) == 2 and all(c in "0123456789abcdefABCDEF" for c in hx):
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


def form_reencode(b):
    return "".join(chr(c) if c in _FORM_SAFE else "%%%02X" % c for c in b)


def header_lines(req, name):
    return [v for n, v in req["headers"] if n.lower() == name]


def component_value(req, comp):
    name, params = norm_comp(comp)
    q = req["query"]
    if name == "@method":
        return req["method"]
    if name == "@authority":
        return req["authority"]
    if name == "@path":
        return req["path"] or "/"
    if name == "@query":
        return "?" + (q or "")
    if name == "@scheme":
        return req["scheme"]
    if name == "@target-uri":
        return "%s://%s%s%s" % (req["scheme"], req["authority"], req["path"] or "/",
                                "" if q is None else "?" + q)
    if name == "@request-target":
        return (req["path"] or "/") + ("" if q is None else "?" + q)
    if name == "@query-param":
        want = dict(params)["name"]
        found = []
        for part in (q or "").split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            if form_reencode(form_decode(k)) == want:
                found.append(form_reencode(form_decode(v)))
        if len(found) != 1:
            raise Fail("query-param %r present %d times" % (want, len(found)))
        return found[0]
    if name.startswith("@"):
        raise Fail("derived component %s not built here" % name)
    lines = header_lines(req, name)
    if not lines:
        raise Fail("covered header %s missing" % name)
    p = dict(params)
    if p.get("bs") is True:  # RFC 9421 §2.1.3: each trimmed line as a Byte Sequence
        return ", ".join(":" + b64std(v.strip(" \t").encode()) + ":" for v in lines)
    if "sf" in p or "key" in p:
        if isinstance(comp, str) or len(comp) < 3:
            raise Fail("sf/key component %s needs its canonical value written out" % name)
        return comp[2]
    return ", ".join(v.strip(" \t") for v in lines)


def build_base(req, components, params):
    lines = [comp_id(c) + ": " + component_value(req, c) for c in components]
    lines.append('"@signature-params": ' + sig_params_line(components, params))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Requests, Signature-Key members, signing
# --------------------------------------------------------------------------------------------


def request(method, authority, path, query=None, scheme="https", headers=(), body=None):
    return {"method": method, "scheme": scheme, "authority": authority, "path": path,
            "query": query, "headers": [list(h) for h in headers], "body": body}


def from_uri(method, uri, headers=(), body=None):
    u = urlsplit(uri)
    return request(method, u.netloc, u.path or "/", u.query if "?" in uri else None,
                   u.scheme, headers, body)


def sk_item(label, scheme, params):
    """Current (SF Item) Signature-Key member and the phase-1 requirement it yields."""
    value = label + "=" + scheme + sf_params(params)
    req = {"scheme": scheme}
    for k, v in params:
        req[k] = v if isinstance(v, str) else sf_bare(v)
    return value, req


def sk_legacy(label, scheme, params):
    """Legacy inner-list member `label=(scheme=x k="v" ...)` (not valid SF)."""
    value = label + "=(scheme=" + scheme + "".join(" %s=%s" % (k, sf_str(v))
                                                   for k, v in params) + ")"
    req = {"scheme": scheme}
    req.update({k: v for k, v in params})
    return value, req


def set_header(req, name, value):
    req["headers"] = [h for h in req["headers"] if h[0].lower() != name.lower()]
    req["headers"].append([name, value])


def enc_sig(sig, enc):
    if enc == "std":
        return b64std(sig)
    if enc == "std-nopad":
        return b64std(sig).rstrip("=")
    if enc == "url":
        return b64u(sig)
    raise ValueError(enc)


def sign(req, key, components, params, label="sig", enc="std", si_raw=None):
    """Own RFC 9421 signer: adds Signature-Input and Signature; returns (base, signature)."""
    base = build_base(req, components, params)
    sig = key.sign(base)
    set_header(req, "Signature-Input", si_raw or label + "=" + sig_params_line(components, params))
    set_header(req, "Signature", label + "=:" + enc_sig(sig, enc) + ":")
    return base, sig


AAUTH = ["@method", "@authority", "@path", "signature-key"]
CREATED = 1730217600


# --------------------------------------------------------------------------------------------
# Case assembly
# --------------------------------------------------------------------------------------------

POLICY_DEFAULTS = {"profile": "strict", "window": 60, "required_components": None,
                   "require_signature_key": True, "schemes": None, "label": None,
                   "base64url_signatures": True, "max_validity": None, "revoked": None,
                   "require_query": False, "require_content_digest_with_body": False}


class Cases:
    def __init__(self):
        self.cases = []
        self.names = set()

    def add(self, name, description, provenance, spec, req, expect, policy=None, now=CREATED,
            key=None, verify_pub=None, base=None, components=None, params=None):
        check(name not in self.names, "duplicate case name " + name)
        check(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) is not None,
              "case name not kebab-case: " + name)
        self.names.add(name)
        policy = dict(policy or {})
        for k in policy:
            check(k in POLICY_DEFAULTS, "unknown policy member " + k)
        exp = dict(expect)
        if base is None and components is not None:
            base = build_base(req, components, params)
        if base is not None:
            exp["base"] = base
            exp["base_sha256"] = sha256hex(base)
        if exp["result"] == "ok":
            check(base is not None, name + ": ok case without base")
            check(verify_pub is not None, name + ": ok case without verification key")
            label = exp["label"]
            sig = None
            for line in header_lines(req, "signature"):
                for member in line.split(","):
                    member = member.strip()
                    if member.startswith(label + "=:"):
                        sig = _b64u_dec(member[len(label) + 2:-1].replace("+", "-")
                                        .replace("/", "_").rstrip("="))
            check(sig is not None and len(sig) == 64, name + ": no 64-byte signature")
            check(ed_verify(verify_pub, sig, base), name + ": signature does not verify over base")
            check(digest_ok(req, base), name + ": covered Content-Digest does not match the body")
        else:
            check("error" in exp, name + ": error case without token")
        if exp["result"] == "ok" and "identity" not in exp:
            exp["identity"] = identity_of(exp, req)
        order = ["result", "error", "requirement", "label", "scheme", "base", "base_sha256",
                 "thumbprint", "kid", "created", "expires", "token", "identity", "cache"]
        exp = {k: exp[k] for k in order if k in exp}
        self.cases.append({
            "name": name, "description": description, "provenance": provenance, "spec": spec,
            "request": copy.deepcopy(req), "policy": policy, "now": now,
            "key": key or {"type": "inline"}, "expect": exp})


def identity_of(exp, req):
    """The verified identity every binding must report, by the table of the core's `finish`
    module: agent, issuer, subject and kid per scheme, the scheme's stable name and the request
    key's thumbprint."""
    rq = exp.get("requirement") or {}
    scheme = exp.get("scheme")
    if scheme == "jwks" and "url" not in rq:
        scheme = "legacy-jwks"
    ident = {"scheme": scheme, "agent": None, "issuer": None, "subject": None, "kid": None,
             "thumbprint": exp["thumbprint"]}
    if scheme in ("jwt", "jkt-jwt", "self-jwt"):
        hb, pb, _ = rq["jwt"].split(".")
        header, claims = json.loads(_b64u_dec(hb)), json.loads(_b64u_dec(pb))
        ident["issuer"] = claims.get("iss")
        ident["subject"] = claims.get("sub")
        ident["agent"] = claims.get("sub") if scheme == "jwt" else claims.get("iss")
        ident["kid"] = header.get("kid")
    elif scheme == "jwks_uri":
        ident["agent"] = ident["issuer"] = rq["id"]
        ident["kid"] = rq["kid"]
    elif scheme in ("jwks", "legacy-jwks"):
        ident["agent"] = ident["issuer"] = rq.get("url") or rq.get("id") or rq.get("jwks")
        ident["kid"] = rq["kid"]
    else:  # hwk, or a key the host holds: the keyid parameter, if sent
        label = exp["label"]
        for line in header_lines(req, "signature-input"):
            m = re.search(r'(?:^|,\s*)' + re.escape(label) + r'=\([^)]*\)([^,]*)', line)
            if m:
                k = re.search(r';keyid="([^"]*)"', m.group(1))
                ident["kid"] = k.group(1) if k else None
    return ident


def body_bytes(req):
    b = req["body"]
    if b is None:
        return None
    return base64.b64decode(b["base64"]) if isinstance(b, dict) else b.encode()


def digest_ok(req, base):
    """RFC 9530 check as the verifier does it: only when covered and a body is supplied."""
    line = [ln for ln in base.split("\n") if ln.startswith('"content-digest"')]
    body = body_bytes(req)
    if not line or body is None:
        return True
    algs = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    seen = False
    # The verifier checks the field as sent (every supported member), whatever the identifier's
    # parameters: read the field itself, not the base line.
    for member in ", ".join(header_lines(req, "content-digest")).split(","):
        k, _, v = member.strip().partition("=")
        if k in algs:
            seen = True
            if base64.b64decode(v.strip(":")) != algs[k](body).digest():
                return False
    return seen


def ok(label, scheme, thumbprint, requirement=None, kid=None, created=CREATED, expires=None,
       **extra):
    e = {"result": "ok", "label": label, "scheme": scheme, "thumbprint": thumbprint,
         "kid": kid, "created": created, "expires": expires}
    if requirement is not None:
        e["requirement"] = requirement
    e.update(extra)
    return e


def err(token, requirement=None, label=None, scheme=None):
    e = {"result": "error", "error": token}
    if requirement is not None:
        e["requirement"] = requirement
    if label is not None:
        e["label"] = label
    if scheme is not None:
        e["scheme"] = scheme
    return e


# --------------------------------------------------------------------------------------------
# Reference sets (tests/vectors/README.md): published bytes we must reproduce exactly
# --------------------------------------------------------------------------------------------

K1_D = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
K1_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
K2_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
K2_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

# RFC 9421 B.1.2 test-key-rsa-pss (public), used to show an RSA key is unsupported.
RSA_PSS_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""
B21_SIG = ("d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGx"
           "btRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72"
           "rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5W"
           "Sb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==")

DOC = {
    "B26": {"sig": "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==",
            "len": 284, "sha": "e6402577f54303accfda63dfbde1a7b8c5e5e6f3f7898637b7d78dc07ee1896a"},
    "A1": {"sig": "puQwGqlektSkNVskiaY9MZJcXFRWrc2T8sO9WBJ7tL9i9u9cWwbtDPRe9FzOnViBwwFq1FUQ/a0WZnuiWwHkCw==",
           "len": 264, "sha": "e78bd55740c2740bc4705e311dbe6849c841c78919985ee7cec2359011e2f539"},
    "A1L": {"sig": "YtZTQITT5+s+oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z++s5UL7W47/9oWCVJu3qFews0v4KHEytK2I4tu5CQ==",
            "len": 260, "sha": "93568bcf81a9afa91acc85dc4dff91f2d81c6fdf3477e4a54766db4573fe5dea"},
    "A2": {"sig": "1mkLmvaqr81wAl7WKf7M1zV3/xQBr+3WATneLaxei/ApCE2L1BbJzbOmA8H6IxfZYl2pYomE7iWwWTwSltmZCA==",
           "len": 260, "sha": "4177bc009f36f7ebc616b90dc7a176f20fe73320e285abdc4facecc539ea95a5"},
    "A3": {"sig": "u9/mMg8BYDwy7Gbh5ybgVUiQHQZvPqr4EGEH7syNnK8/GDa+UAq9xgLpnImqr4Vzt++GAioWcQbTTYK69DUKCA==",
           "len": 821, "sha": "00be9deaf271505ba77a6485d5781a2f783130b26a19269aca98391f25486dfb"},
    "V1": {"sig": "RHGwKHhwsnOtWimYGb0pV_JAJs9quer59BAS5j7aASw7jeRMtkCxdK8GuoDcJv_6ZJnbP0iM-I1QDhw3QFYgAw",
           "len": 250, "sha": "d42737053bc43baa8249f9aab747ce6ef1ac0df10c856d1bcb5eaf7a9ff356dc"},
    "V2": {"sig": "0c3epctJ3B_TtSDp7Zya76ckz5kzidukuOVCIkA92UHeGNnQryx-Jsqn5TFiG5uourg02VIPuDt1NW-t5_GwCg",
           "len": 297, "sha": "8cb571ec84b51f8875e4e0f4d96c672229669542cc632c67e71b5859420c5ff8"},
    "V3": {"sig": "LLDWEWjsWHy8UkdrtXRgGUUeT39WrLrCWmqBxVcOKDhb6zKZmojeqjNNUKMfeIxBCy7my2DDisOIz9Ed1g8lAA",
           "len": 389, "sha": "1705f9d8a144c8c3a15f3b7946ad03c7a141ab80ad305b3d64b5a5089659d5da"},
    "V4": {"sig": "YR1vL4t86T_sXAoSaWX-otNPjIvlE6Kywj5xzMaQDbzy9E_3wswZp0V7b1auVEVLuqKwNMI4S1ZTyhBmM7FyDA",
           "len": 277, "sha": "c1ef47afaddb337e319a7e9f1f7a7d87ca1ad3feb98b9406ae05b8aa7aab01ca"},
    "V5": {"sig": "YZdZCuQ2G0-yEz3K1NCq-vthgPhuBJO3U9AKhMyGQEzLji8-9lwZQbBCaEE2OEDY7OOsWlKgnlI5JLrx8RQxAg",
           "len": 728, "sha": "997cbdbd412a967bbdce26f2c79a6d41075184df6db40b18e10eb630e1d42304"},
    "V6-1": {"sig": "CInA_UTkvNxQmmWjK5EN0lCgpm7uJcXNCi-wP4Eb2xmrZpyOPceP-q8PqUWsSHrNOy2zpLRFEsfasKLrnd0tDA",
             "len": 264, "sha": "f9b5b1c5e68f7b721172c726250b0a772215dcf31ddad1835ab01f671955aa21"},
    "V6-2": {"sig": "WZFBqtHogik37eIEkm4NTmt3XVzPsOzhRKWcHh-I8dFxkapBAgD2vGdPUVPqihxIYAX662_zQW0Qp4K2L3-kCA",
             "len": 311, "sha": "793c57d501b7a35b4ecdff7cb07c0b085f4406b89f92ea6f5eae29ddb8da3118"},
    "V6-3": {"sig": "mLJ_HZJm6UjsqWDp_xLaSo5SSlIKtlIGz9FwA5HGe6jgz2uz6KaBoXVYNIuLVgBTs_J320G6OOkIaDeudfyQDQ",
             "len": 403, "sha": "5468b12abf0beace446ca391aa48e5aa0e3f8fd70b4ab2efc820ce188cc4d926"},
    "V7": {"sig": "YtZTQITT5-s-oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z--s5UL7W47_9oWCVJu3qFews0v4KHEytK2I4tu5CQ",
           "len": 260, "sha": "93568bcf81a9afa91acc85dc4dff91f2d81c6fdf3477e4a54766db4573fe5dea"},
}

A3_JWT = ("eyJhbGciOiJFZDI1NTE5Iiwia2lkIjoiYXAta2V5LTEiLCJ0eXAiOiJhYS1hZ2VudCtqd3QifQ."
          "eyJpc3MiOiJodHRwczovL2FnZW50LmV4YW1wbGUiLCJkd2siOiJhYXV0aC1hZ2VudC5qc29uIiwic3ViIjoiYWF1dGg6YXNzaXN0YW50QGFnZW50LmV4YW1wbGUiLCJqdGkiOiJhdC0xIiwiaWF0IjoxNzMwMjE3MDAwLCJleHAiOjE3MzAyMjA2MDAsImNuZiI6eyJqd2siOnsia3R5IjoiT0tQIiwiY3J2IjoiRWQyNTUxOSIsIngiOiJKclFMajVQXzg5aVhFUzktdkZnckl5MjljbEY5Q0Nfb1BQc3czYzVEMGJzIiwiYWxnIjoiRWQyNTUxOSJ9fX0."
          "XMcan3h-oESzdzNkGl8KMrOlVKn4xcIRwDk3AKx2g0iO3vWSQ1Xzn8JD5ZK6tFAykVg9mfCNg90IWh6gCDo7Ag")
V5_JWT = ("eyJhbGciOiJFZERTQSIsImtpZCI6ImFzLWtleS0xIiwidHlwIjoiYWEtYWdlbnQrand0In0."
          "eyJpc3MiOiJodHRwczovL2FnZW50LXNlcnZlci5leGFtcGxlIiwic3ViIjoiaHR0cHM6Ly9hZ2VudC5leGFtcGxlIiwiZHdrIjoiYWF1dGgtYWdlbnQuanNvbiIsImp0aSI6ImZkMGU2MjNlLTFiYmMtNGRkZC04MGE4LTlhM2E2YTExZDJhYiIsImNuZiI6eyJqd2siOnsia3R5IjoiT0tQIiwiY3J2IjoiRWQyNTUxOSIsIngiOiJKclFMajVQXzg5aVhFUzktdkZnckl5MjljbEY5Q0Nfb1BQc3czYzVEMGJzIiwia2lkIjoia2V5LTEifX0sImlhdCI6MTczMDIxNzYwMCwiZXhwIjoxNzMwMjIxMjAwfQ."
          "tdi1rpimXjtdLfCY5cfhYLiQiiZn-sTHkrwSdP5rXpIv4i7FTnKMmyPz4UVfzPpWAprIp3tH4807Fpppn0nECQ")


def check_documented(name, base, key, sig_header_value):
    """Assert our base equals the documented one and the documented signature verifies."""
    d = DOC[name]
    check(len(base.encode()) == d["len"],
          "%s base is %d bytes, documented %d" % (name, len(base.encode()), d["len"]))
    check(sha256hex(base) == d["sha"], "%s base SHA-256 %s != documented %s"
          % (name, sha256hex(base), d["sha"]))
    check(sig_header_value == d["sig"], "%s signature value differs from the document" % name)
    sig = _b64u_dec(d["sig"].replace("+", "-").replace("/", "_").rstrip("="))
    check(ed_verify(key.pub, sig, base), "%s documented signature does not verify" % name)
    check(key.sign(base) == sig, "%s: re-signing does not reproduce the documented signature"
          % name)


# --------------------------------------------------------------------------------------------
# aauth-signing subprocess driver
# --------------------------------------------------------------------------------------------


def run_worker(python, tasks):
    if not tasks:
        return []
    p = subprocess.run([python, os.path.abspath(__file__), "--worker"],
                       input=json.dumps(tasks), capture_output=True, text=True,
                       env=dict(os.environ, PYTHONHASHSEED="0"))
    if p.returncode != 0:
        raise Fail("worker %s failed:\n%s" % (python, p.stderr))
    return json.loads(p.stdout)


# --------------------------------------------------------------------------------------------
# signatures.json
# --------------------------------------------------------------------------------------------

RES = "resource.example"
SCA = "supply-chain-agent.localhost:3000"
MAA = "market-analysis-agent.localhost:3000"
BODY = '{"hello": "world"}'
DIGEST256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
COMPAT = {"profile": "compat"}
AGENT_META = {"issuer": "https://agent.example",
              "jwks_uri": "https://agent.example/.well-known/jwks.json"}


def digest(body, alg="sha-256"):
    h = hashlib.sha256 if alg == "sha-256" else hashlib.sha512
    return "%s=:%s:" % (alg, b64std(h(body.encode()).digest()))


def signatures(K1, K2, py020, py012):
    C = Cases()
    T1 = K1.thumbprint()
    check(T1 == "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U", "K1 thumbprint")
    check(K2.thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "K2 thumbprint")
    hwk_params = [("kty", "OKP"), ("crv", "Ed25519"), ("x", K1.x), ("alg", "Ed25519")]
    hwk_noalg = hwk_params[:3]
    hwk020 = [("alg", "Ed25519")] + hwk_noalg
    P0 = [("created", CREATED)]

    def hwk_req(label="sig", params=hwk_params, method="GET", authority=RES, path="/api/data",
                query=None, scheme="https", headers=(), body=None):
        r = request(method, authority, path, query, scheme, headers, body)
        v, rq = sk_item(label, "hwk", params)
        set_header(r, "Signature-Key", v)
        return r, rq

    # ---------------- RFC 9421 B.2.6 and mutations ----------------
    b2_headers = [["Host", "example.com"], ["Date", "Tue, 20 Apr 2021 02:07:55 GMT"],
                  ["Content-Type", "application/json"],
                  ["Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+Ab"
                   "wAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"],
                  ["Content-Length", "18"]]
    b26c = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
    b26p = [("created", 1618884473), ("keyid", "test-key-ed25519")]
    check(b2_headers[3][1] == digest(BODY, "sha-512"), "B.2 sha-512 Content-Digest")
    r = request("POST", "example.com", "/foo", "param=Value&Pet=dog", "https", b2_headers, BODY)
    base, sig = sign(r, K1, b26c, b26p, label="sig-b26")
    check_documented("B26", base, K1, enc_sig(sig, "std"))
    b26pol = {"required_components": [], "require_signature_key": False, "label": "sig-b26"}
    b26key = {"type": "raw_ed25519", "x": K1.x}
    NOW26 = 1618884473
    prov = "RFC 9421 B.2.6 (set B26)"

    def b26(name, desc, req, expect, spec="RFC 9421 §3.2, B.2.6", policy=b26pol, **kw):
        C.add(name, desc, kw.pop("prov", prov), spec, req, expect, policy=policy, now=NOW26,
              key=b26key, **kw)

    b26_ok = ok("sig-b26", None, T1, kid="test-key-ed25519", created=1618884473)
    b26("rfc9421-b26", "RFC 9421 B.2.6 Ed25519 signature, external raw key, no requirements",
        r, b26_ok, components=b26c, params=b26p, verify_pub=K1.pub)
    m = copy.deepcopy(r)
    m["headers"][-1][1] = "sig-b26=:" + enc_sig(sig, "std-nopad") + ":"
    b26("rfc9421-b26-unpadded", "B.2.6 with the padding of the Signature value removed",
        m, b26_ok, spec="RFC 8941 §4.2.7; RFC 9421 B.2.6", components=b26c, params=b26p,
        verify_pub=K1.pub, prov=prov + " / own signer")
    m = copy.deepcopy(r)
    m["method"] = "post"
    b26("rfc9421-b26-method-lowercase", "B.2.6 with the method sent as `post`",
        m, err("invalid_signature", label="sig-b26"), components=b26c, params=b26p)
    m = copy.deepcopy(r)
    set_header(m, "Signature-Input", "sig-b26=" + sig_params_line(b26c, [("created", 1618884474), b26p[1]]))
    set_header(m, "Signature", r["headers"][-1][1])
    b26("rfc9421-b26-created-changed", "B.2.6 with created changed by one second",
        m, err("invalid_signature", label="sig-b26"), components=b26c,
        params=[("created", 1618884474), b26p[1]])
    m = copy.deepcopy(r)
    kp = [b26p[0], ("keyid", "test-key-ed25519x")]
    set_header(m, "Signature-Input", "sig-b26=" + sig_params_line(b26c, kp))
    set_header(m, "Signature", r["headers"][-1][1])
    b26("rfc9421-b26-keyid-changed", "B.2.6 with the keyid parameter changed",
        m, err("invalid_signature", label="sig-b26"), components=b26c, params=kp)
    reord = ["@method", "date", "@path", "@authority", "content-type", "content-length"]
    m = copy.deepcopy(r)
    set_header(m, "Signature-Input", "sig-b26=" + sig_params_line(reord, b26p))
    set_header(m, "Signature", r["headers"][-1][1])
    b26("rfc9421-b26-reordered", "B.2.6 with the first two covered components swapped",
        m, err("invalid_signature", label="sig-b26"), components=reord, params=b26p)
    m = copy.deepcopy(r)
    set_header(m, "Signature-Input", "sig-b26=" + sig_params_line(b26c[1:], b26p))
    set_header(m, "Signature", r["headers"][-1][1])
    b26("rfc9421-b26-date-dropped", "B.2.6 with \"date\" removed from the covered list",
        m, err("invalid_signature", label="sig-b26"), components=b26c[1:], params=b26p)
    for n in (63, 65):
        m = copy.deepcopy(r)
        bad = sig[:63] if n == 63 else sig + b"\x00"
        set_header(m, "Signature", "sig-b26=:" + b64std(bad) + ":")
        b26("rfc9421-b26-sig-%d-bytes" % n, "B.2.6 with a %d-byte signature" % n,
            m, err("invalid_signature", label="sig-b26"), components=b26c, params=b26p)
    m = copy.deepcopy(r)
    set_header(m, "Signature", "sig-b27=:" + b64std(sig) + ":")
    b26("rfc9421-b26-label-differs", "B.2.6 with the Signature member labelled sig-b27",
        m, err("invalid_signature"), spec="RFC 9421 §3.2 step 1; SK-09 §5.4.4 (missing signature)")
    b26("rfc9421-b26-aauth-default-policy",
        "B.2.6 under the AAuth default policy: no Signature-Key header",
        r, err("invalid_signature"), spec="SK-09 §5.4.4; AAuth §Verification step 1",
        policy={"label": "sig-b26"})
    m = copy.deepcopy(r)
    m["body"] = '{"hello": "World"}'
    b26("rfc9421-b26-body-not-covered",
        "B.2.6 with a different body: Content-Digest is not covered, so it is not checked",
        m, b26_ok, spec="RFC 9421 §7.2.8; RFC 9530", components=b26c, params=b26p,
        verify_pub=K1.pub)

    # B.2.1 with the RSA-PSS key → unsupported_algorithm
    rsa_pub = serialization.load_pem_public_key(RSA_PSS_PEM.encode())
    nums = rsa_pub.public_numbers()
    rsa_jwk = {"kty": "RSA", "kid": "test-key-rsa-pss",
               "n": b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
               "e": b64u(nums.e.to_bytes(3, "big"))}
    b21p = [("created", 1618884473), ("keyid", "test-key-rsa-pss"),
            ("nonce", "b3k2pp5k7z-50gnwp.yemd")]
    r21 = request("POST", "example.com", "/foo", "param=Value&Pet=dog", "https", b2_headers, BODY)
    b21base = build_base(r21, [], b21p)
    rsa_pub.verify(base64.b64decode(B21_SIG), b21base.encode(),
                   padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                   hashes.SHA512())  # raises if the RFC value does not verify
    set_header(r21, "Signature-Input", "sig-b21=" + sig_params_line([], b21p))
    set_header(r21, "Signature", "sig-b21=:" + B21_SIG + ":")
    C.add("rfc9421-b21-rsa-pss-unsupported",
          "RFC 9421 B.2.1 rsa-pss-sha512 signature with the RFC's RSA-PSS public JWK supplied",
          "RFC 9421 B.2.1 (signature verified here with RSA-PSS-SHA512)",
          "RFC 9421 §3.3.1, §3.3.6, B.2.1", r21,
          err("unsupported_algorithm", label="sig-b21"),
          policy={"required_components": [], "require_signature_key": False,
                  "label": "sig-b21"},
          now=1618884473, key={"type": "jwk", "jwk": rsa_jwk}, base=b21base)

    # B.2.5 hmac-sha256 with the RFC's shared secret supplied as an oct JWK → unsupported
    secret = base64.b64decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbm"
                              "HhIDi6pcl8jsasjlTMtDQ==")
    b25c = ["date", "@authority", "content-type"]
    b25p = [("created", 1618884473), ("keyid", "test-shared-secret")]
    r25 = request("POST", "example.com", "/foo", "param=Value&Pet=dog", "https", b2_headers, BODY)
    b25base = build_base(r25, b25c, b25p)
    b25sig = hmac.new(secret, b25base.encode(), hashlib.sha256).digest()
    check(b64std(b25sig) == "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=", "RFC 9421 B.2.5 HMAC")
    set_header(r25, "Signature-Input", "sig-b25=" + sig_params_line(b25c, b25p))
    set_header(r25, "Signature", "sig-b25=:" + b64std(b25sig) + ":")
    C.add("rfc9421-b25-hmac-forbidden-key",
          "RFC 9421 B.2.5 hmac-sha256 signature with the RFC's shared secret as an oct JWK: "
          "symmetric keys are forbidden key material (invalid_key)",
          "RFC 9421 B.2.5 (HMAC recomputed here)", "RFC 9421 §3.3.3, B.2.5; SK-09 §7.5", r25,
          err("invalid_key", label="sig-b25"),
          policy={"required_components": [], "require_signature_key": False,
                  "label": "sig-b25"},
          now=1618884473, key={"type": "jwk", "jwk": {"kty": "oct", "kid": "test-shared-secret",
                                                      "k": b64u(secret)}}, base=b25base)

    # §13.3 empty covered list
    kx = _b64u_dec("ki1njC7OefXt2DlsENfg30xtp6jeJjOn-YdJrfZT6Ls")
    e_sig = base64.b64decode("hKbbEc5kU5Qjg4YMwiZXTJDxDRtIn/E+Yktb9bJKB4qWEtIW7Jq0cXbtj0Kl7ED61BxlVts/cWgKBsk2BPFBDg==")
    r = request("GET", RES, "/", None, "https", [
        ["Signature-Input", 'sig=();created=1767021027;alg="ed25519"'],
        ["Signature", "sig=:" + b64std(e_sig) + ":"]])
    ebase = build_base(r, [], [("created", 1767021027), ("alg", "ed25519")])
    check(len(ebase) == 56 and ed_verify(kx, e_sig, ebase), "§13.3 empty-list vector")
    ekey = {"type": "raw_ed25519", "x": b64u(kx)}
    e_ok = ok("sig", None, okp_thumbprint(b64u(kx)), created=1767021027)
    C.add("empty-covered-list-no-requirements",
          "Empty covered list, valid under plain RFC 9421 (no requirements)",
          "set E0 (hellocoop/packages-js httpsig test-vectors-go.json)", "RFC 9421 §2.5, §3.2",
          r, e_ok, policy={"required_components": [], "require_signature_key": False},
          now=1767021027, key=ekey, base=ebase, verify_pub=kx)
    C.add("empty-covered-list-aauth-default",
          "Empty covered list under the AAuth default requirements",
          "set E0", "AA §HTTP Message Signatures Profile", r,
          err("invalid_input", label="sig"), policy={"require_signature_key": False},
          now=1767021027, key=ekey, base=ebase)

    # A policy that does not require Signature-Key (plain RFC 9421 with a caller key) does not
    # require covering it when the request sends none; one that is sent must still be covered.
    k1key = {"type": "raw_ed25519", "x": K1.x}
    for name, desc, extra, res in (
            ("plain-rfc9421-default-components", "No Signature-Key, caller key, AAuth default "
             "components minus the absent signature-key", [], None),
            ("plain-rfc9421-signature-key-sent-uncovered", "Caller-key policy, but a "
             "Signature-Key header is sent and not covered",
             [["Signature-Key", 'sig=hwk;kty="OKP";crv="Ed25519";x="%s";alg="Ed25519"' % K1.x]],
             "invalid_input")):
        r = request("GET", RES, "/api/data", None, "https", list(extra))
        comps = AAUTH[:3]
        b, _ = sign(r, K1, comps, [("created", CREATED), ("keyid", "k1")])
        pol = {"require_signature_key": False}
        if res is None:
            C.add(name, desc, "own signer", "RFC 9421 §3.2; ours (docs/protocol.md)", r,
                  ok("sig", None, T1, kid="k1"), policy=pol, key=k1key, base=b, verify_pub=K1.pub)
        else:
            C.add(name, desc, "own signer", "SK-09 §7.8; AA §HTTP Message Signatures Profile",
                  r, err(res, label="sig"), policy=pol, key=k1key, base=b)

    # ---------------- A1, A1L, V1, V7 ----------------
    r, rq = hwk_req()
    base, sig = sign(r, K1, AAUTH, P0)
    check_documented("A1", base, K1, enc_sig(sig, "std"))
    a1 = r
    C.add("hwk-get-a1", "Current hwk (SK-08+) GET, standard base64 signature",
          "set A1", "RFC 9421 §2.5; SK-09 §3.4", r,
          ok("sig", "hwk", T1, rq), components=AAUTH, params=P0, verify_pub=K1.pub)
    C.add("hwk-get-a1-compat", "A1 also verifies under the compat profile",
          "set A1", "SK-09 §3.4", r, ok("sig", "hwk", T1, rq), policy=COMPAT,
          components=AAUTH, params=P0, verify_pub=K1.pub)
    C.add("hwk-a1-scheme-not-allowed", "A1 under an AAuth agent policy allowing only jwt",
          "set A3 negatives", "SK-09 §3.1; AA §Verification step 4", r,
          err("unsupported_scheme", rq, "sig", "hwk"), policy={"schemes": ["jwt"]},
          components=AAUTH, params=P0)
    C.add("hwk-a1-scheme-allowlisted", "A1 under an explicit allowlist containing hwk",
          "set A1", "SK-09 §3.1 (the verifier chooses the schemes it accepts)", r, ok("sig", "hwk", T1, rq),
          policy={"schemes": ["hwk", "jwt"]}, components=AAUTH, params=P0, verify_pub=K1.pub)

    a1l_v, a1l_rq = sk_legacy("sig1", "hwk", hwk_noalg)
    r = request("GET", RES, "/api/data", None, "https", [["Signature-Key", a1l_v]])
    base, sig = sign(r, K1, AAUTH, P0, label="sig1")
    check_documented("A1L", base, K1, enc_sig(sig, "std"))
    C.add("hwk-legacy-inner-list-a1l-compat",
          "Legacy inner-list Signature-Key (Jan 2026), alg-less key, compat profile",
          "set A1L (agentgateway sigbase-aauth-get-simple)", "AA-jan §10.1 (legacy inner-list Signature-Key; ours: compat)", r,
          ok("sig1", "hwk", T1, a1l_rq), policy=COMPAT, components=AAUTH, params=P0,
          verify_pub=K1.pub)
    C.add("hwk-legacy-inner-list-a1l-strict",
          "Legacy inner-list Signature-Key is not SF: rejected by the strict profile",
          "set A1L", "RFC 8941 §4.2.2 (the legacy form is not a Dictionary)", r, err("invalid_request"))
    m = copy.deepcopy(r)
    set_header(m, "Signature", "sig1=:" + enc_sig(sig, "url") + ":")
    check_documented("V7", base, K1, enc_sig(sig, "url"))
    C.add("hwk-legacy-v7-base64url-compat", "set V7: A1L with a base64url Signature value",
          "set V7", "RFC 9421 §4.2; RFC 4648 §5 (ours: base64url compat)", m, ok("sig1", "hwk", T1, a1l_rq), policy=COMPAT,
          components=AAUTH, params=P0, verify_pub=K1.pub)
    C.add("hwk-legacy-v7-base64url-refused",
          "V7 with base64url Signature values refused by policy",
          "set V7", "RFC 8941 §3.3.5", m,
          err("invalid_signature", a1l_rq, "sig1", "hwk"),
          policy={"profile": "compat", "base64url_signatures": False},
          components=AAUTH, params=P0)

    v1_v, v1_rq = sk_item("sig", "hwk", hwk_noalg)
    r = request("GET", RES, "/api/data", None, "https", [["Signature-Key", v1_v]])
    base, sig = sign(r, K1, AAUTH, P0, enc="url")
    check_documented("V1", base, K1, enc_sig(sig, "url"))
    v1 = r
    C.add("hwk-v1-no-alg-compat", "set V1: hwk without alg (pre -08), compat profile",
          "set V1 (aauth-signing 0.1.2 wire form)", "SK-07 §3.4 (no alg before -08; ours: compat)", r,
          ok("sig", "hwk", T1, v1_rq), policy=COMPAT, components=AAUTH, params=P0,
          verify_pub=K1.pub)
    C.add("hwk-v1-no-alg-strict", "set V1 under the strict profile: alg missing",
          "set V1", "SK-09 §3.4, §7.4", r, err("invalid_key", v1_rq, "sig", "hwk"),
          components=AAUTH, params=P0)
    m = copy.deepcopy(r)
    set_header(m, "Signature", "sig=:" + enc_sig(sig, "std") + ":")
    C.add("hwk-v1-standard-base64-compat", "V1 with the same signature in standard base64",
          "set V1 / own signer", "RFC 9421 §4.2", m, ok("sig", "hwk", T1, v1_rq),
          policy=COMPAT, components=AAUTH, params=P0, verify_pub=K1.pub)
    for nm, auth in (("uppercase", "RESOURCE.example"), ("default-port", "resource.example:443")):
        m = copy.deepcopy(r)
        m["authority"] = auth
        C.add("hwk-v1-authority-%s" % nm,
              "V1 verified against authority %s: no normalisation, base differs" % auth,
              "set V1 negatives", "RFC 9421 §2.2.3; AA §Canonical Authority", m,
              err("invalid_signature", v1_rq, "sig", "hwk"), policy=COMPAT,
              components=AAUTH, params=P0)

    # V2, V3 (compat: alg-less key)
    r = request("GET", SCA, "/agent/card", "x=1&y=2", "http", [["Signature-Key", v1_v]])
    v2c = ["@method", "@authority", "@path", "@query", "signature-key"]
    base, sig = sign(r, K1, v2c, P0, enc="url")
    check_documented("V2", base, K1, enc_sig(sig, "url"))
    C.add("hwk-v2-query-port-compat", "set V2: hwk GET with query and port",
          "set V2", "RFC 9421 §2.2.7", r, ok("sig", "hwk", T1, v1_rq), policy=COMPAT,
          components=v2c, params=P0, verify_pub=K1.pub)
    v3c = ["@method", "@authority", "@path", "content-type", "content-digest", "signature-key"]
    r = request("POST", RES, "/api/data", None, "https",
                [["Content-Type", "application/json"], ["Content-Digest", DIGEST256],
                 ["Signature-Key", v1_v]], BODY)
    check(digest(BODY) == DIGEST256, "sha-256 digest of the body")
    base, sig = sign(r, K1, v3c, P0, enc="url")
    check_documented("V3", base, K1, enc_sig(sig, "url"))
    C.add("hwk-v3-post-digest-compat", "set V3: hwk POST covering content-digest, body given",
          "set V3", "RFC 9530 §2; RFC 9421 §7.2.8", r, ok("sig", "hwk", T1, v1_rq),
          policy=COMPAT, components=v3c, params=P0, verify_pub=K1.pub)
    m = copy.deepcopy(r)
    m["body"] = "other"
    C.add("hwk-v3-body-mismatch", "V3 with body `other`: Content-Digest does not match",
          "set V3", "RFC 9530 §2", m, err("invalid_signature", v1_rq, "sig", "hwk"),
          policy=COMPAT, components=v3c, params=P0)
    m = copy.deepcopy(r)
    m["body"] = None
    C.add("hwk-v3-no-body",
          "V3 with no body supplied: a covered content-digest cannot be checked, so the "
          "signature is refused (fail closed)",
          "set V3", "RFC 9530 §2; RFC 9421 §7.2.8", m,
          err("invalid_signature", v1_rq, "sig", "hwk"),
          policy=COMPAT, components=v3c, params=P0)

    # V4 jwks_uri
    v4_v, v4_rq = sk_item("sig", "jwks_uri", [("id", "http://" + SCA), ("dwk", "aauth-agent.json"),
                                              ("kid", "key-1")])
    r = request("POST", MAA, "/", None, "http", [["Signature-Key", v4_v]])
    base, sig = sign(r, K1, AAUTH, P0, enc="url")
    check_documented("V4", base, K1, enc_sig(sig, "url"))
    v4 = r
    v4meta = {"issuer": "http://" + SCA, "jwks_uri": "http://%s/jwks.json" % SCA}
    jwks_noalg = {"keys": [K1.jwk(alg=False, kid="key-1")]}
    jwks_alg = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "key-1", "alg": "Ed25519",
                          "x": K1.x}]}

    def v4case(name, desc, expect, jwks, meta, policy=None, prov="set V4"):
        C.add(name, desc, prov, "SK-09 §3.6; AA §Metadata Documents", r, expect, policy=policy,
              key={"type": "jwks", "jwks": jwks, "metadata": meta}, components=AAUTH,
              params=P0, verify_pub=K1.pub if expect["result"] == "ok" else None)
    v4ok = ok("sig", "jwks_uri", T1, v4_rq, kid="key-1")
    v4case("jwks-uri-v4-compat", "set V4: jwks_uri POST, alg-less JWKS key, compat",
           v4ok, jwks_noalg, v4meta, COMPAT)
    v4case("jwks-uri-v4-strict", "V4 with the JWKS key carrying alg, strict profile",
           v4ok, jwks_alg, v4meta)
    v4case("jwks-uri-v4-strict-key-without-alg", "V4 strict with the alg-less JWKS key",
           err("invalid_key", v4_rq, "sig", "jwks_uri"), jwks_noalg, v4meta)
    v4case("jwks-uri-v4-issuer-mismatch", "V4 with metadata issuer different from id",
           err("issuer_mismatch", v4_rq, "sig", "jwks_uri"), jwks_alg,
           dict(v4meta, issuer="http://evil.localhost:3000"))
    v4case("jwks-uri-v4-issuer-trailing-slash", "V4 with issuer `id/` (bytewise compare)",
           err("issuer_mismatch", v4_rq, "sig", "jwks_uri"), jwks_alg,
           dict(v4meta, issuer="http://" + SCA + "/"))
    v4case("jwks-uri-v4-issuer-missing", "V4 with metadata lacking issuer",
           err("issuer_missing", v4_rq, "sig", "jwks_uri"), jwks_alg,
           {"jwks_uri": v4meta["jwks_uri"]})
    v4case("jwks-uri-v4-metadata-without-jwks-uri", "V4 with metadata lacking jwks_uri",
           err("invalid_key", v4_rq, "sig", "jwks_uri"), jwks_alg, {"issuer": v4meta["issuer"]})
    v4case("jwks-uri-v4-unknown-kid", "V4 with a JWKS lacking kid key-1",
           err("unknown_key", v4_rq, "sig", "jwks_uri"),
           {"keys": [dict(jwks_alg["keys"][0], kid="key-2")]}, v4meta)
    v4case("jwks-uri-v4-other-member-unusable",
           "V4 with an extra unusable (RSA, no n) JWKS member: selection is by kid",
           v4ok, {"keys": [{"kty": "RSA", "kid": "old", "alg": "PS256"}] + jwks_alg["keys"]},
           v4meta)
    v4case("jwks-uri-v4-wrong-key", "V4 with kid key-1 bound to another Ed25519 key",
           err("invalid_signature", v4_rq, "sig", "jwks_uri"),
           {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "key-1", "alg": "Ed25519",
                      "x": K2.x}]}, v4meta)
    v4case("jwks-uri-v4-legacy-metadata-compat",
           "V4 with the legacy {agent, jwks_uri} metadata document, compat",
           v4ok, jwks_noalg, {"agent": "http://" + SCA, "jwks_uri": v4meta["jwks_uri"]}, COMPAT)
    v4case("jwks-uri-v4-legacy-metadata-strict",
           "V4 with the legacy {agent, jwks_uri} metadata document, strict: no issuer",
           err("issuer_missing", v4_rq, "sig", "jwks_uri"), jwks_alg,
           {"agent": "http://" + SCA, "jwks_uri": v4meta["jwks_uri"]})
    v4case("jwks-uri-v4-jwks-uri-crlf",
           "V4 with a metadata jwks_uri carrying CRLF: refused before the host fetches it",
           err("invalid_key", v4_rq, "sig", "jwks_uri"), jwks_alg,
           dict(v4meta, jwks_uri=v4meta["jwks_uri"] + "\r\nHost: internal"), prov="own signer")
    v4case("jwks-uri-v4-jwks-uri-nul", "V4 with a metadata jwks_uri carrying an escaped NUL",
           err("invalid_key", v4_rq, "sig", "jwks_uri"), jwks_alg,
           dict(v4meta, jwks_uri=v4meta["jwks_uri"] + "\u0000"), prov="own signer")
    # Identifiers and URLs in the spec's forms only, before anything is fetched (SK-09 §7.3;
    # AAuth §Server Identifiers): otherwise `id="https://host/admin/delete?x=1#"` makes the
    # verifier GET /admin/delete?x=1.
    FSP = "SK-09 §3.6, §3.7, §7.3 (egress admission); AAuth §Server Identifiers"
    for name, desc, params in (
            ("jwks-uri-id-with-path", "id with a path, query and fragment",
             [("id", "https://agent.example/admin/delete?x=1#"), ("dwk", "aauth-agent.json"),
              ("kid", "key-1")]),
            ("jwks-uri-id-with-userinfo", "id with userinfo",
             [("id", "https://user@agent.example"), ("dwk", "aauth-agent.json"),
              ("kid", "key-1")]),
            ("jwks-uri-id-trailing-slash", "id with a trailing slash",
             [("id", "https://agent.example/"), ("dwk", "aauth-agent.json"), ("kid", "key-1")]),
            ("jwks-uri-id-unclosed-ipv6", "id https://[x", [("id", "https://[x"),
                                                            ("dwk", "aauth-agent.json"),
                                                            ("kid", "key-1")]),
            ("jwks-uri-id-bad-port", "id with a non-numeric port",
             [("id", "https://agent.example:abc"), ("dwk", "aauth-agent.json"),
              ("kid", "key-1")]),
            ("jwks-uri-id-hex-ip", "id with an ambiguous numeric host (0x7f000001)",
             [("id", "https://0x7f000001"), ("dwk", "aauth-agent.json"), ("kid", "key-1")]),
            ("jwks-uri-dwk-path", "dwk naming a path (../admin)",
             [("id", "https://agent.example"), ("dwk", "../admin"), ("kid", "key-1")]),
            ("jwks-url-with-fragment", "jwks url with a fragment",
             [("url", "https://agent.example/jwks.json#x"), ("kid", "key-1")]),
            ("jwks-url-with-userinfo", "jwks url with userinfo",
             [("url", "https://u:p@agent.example/jwks.json"), ("kid", "key-1")])):
        scheme = "jwks" if params[0][0] == "url" else "jwks_uri"
        v, frq = sk_item("sig", scheme, params)
        m = copy.deepcopy(r)
        set_header(m, "Signature-Key", v)
        sign(m, K1, AAUTH, P0)
        C.add(name, desc, "own signer", FSP, m, err("invalid_key", frq, "sig", scheme),
              key={"type": "jwks", "jwks": jwks_alg, "metadata": v4meta},
              components=AAUTH, params=P0)

    # Signature-Key parameters cannot carry control characters: sf-strings are 0x20-0x7E
    # (RFC 8941 §3.3.3), so the field does not parse. Pinned so that it stays so.
    for name, desc, value in (
            ("signature-key-param-tab", "jwks_uri id carrying a TAB inside the sf-string",
             'sig=jwks_uri;id="http://%s\t";dwk="aauth-agent.json";kid="key-1"' % SCA),
            ("signature-key-param-del", "jwks_uri kid carrying a DEL inside the sf-string",
             'sig=jwks_uri;id="http://%s";dwk="aauth-agent.json";kid="key-1\x7f"' % SCA)):
        m = copy.deepcopy(r)
        set_header(m, "Signature-Key", value)
        sign(m, K1, AAUTH, P0)
        C.add(name, desc, "own signer", "RFC 8941 §3.3.3; SK-09 §5.4.6 (invalid_request)", m,
              err("invalid_request", None, "sig", None),
              key={"type": "jwks", "jwks": jwks_alg, "metadata": v4meta},
              components=AAUTH, params=P0)
    m = copy.deepcopy(r)
    nodwk_v, nodwk_rq = sk_item("sig", "jwks_uri", [("id", "http://" + SCA), ("kid", "key-1")])
    set_header(m, "Signature-Key", nodwk_v)
    sign(m, K1, AAUTH, P0)
    C.add("jwks-uri-missing-dwk", "jwks_uri without the required dwk parameter",
          "own signer", "SK-09 §3.6", m, err("invalid_key", nodwk_rq, "sig", "jwks_uri"),
          key={"type": "jwks", "jwks": jwks_alg, "metadata": v4meta},
          components=AAUTH, params=P0)
    m = copy.deepcopy(r)
    kidmis = P0 + [("keyid", "key-2")]
    sign(m, K1, AAUTH, kidmis)
    C.add("jwks-uri-keyid-mismatch", "Signature-Input keyid names another kid than Signature-Key",
          "own signer", "SK-09 §4.3", m, err("invalid_key", v4_rq, "sig", "jwks_uri"),
          key={"type": "jwks", "jwks": jwks_alg, "metadata": v4meta},
          components=AAUTH, params=kidmis)
    m = copy.deepcopy(r)
    kidok = P0 + [("keyid", "key-1")]
    sign(m, K1, AAUTH, kidok)
    C.add("jwks-uri-keyid-matches", "Signature-Input keyid equal to the Signature-Key kid",
          "own signer", "SK-09 §4.3", m, ok("sig", "jwks_uri", T1, v4_rq, kid="key-1"),
          key={"type": "jwks", "jwks": jwks_alg, "metadata": v4meta},
          components=AAUTH, params=kidok, verify_pub=K1.pub)

    # V6-1..3 (0.2.0 wire form, alg first) -- documented signatures
    v6_v, v6_rq = sk_item("sig", "hwk", hwk020)
    v6reqs = [
        ("V6-1", request("GET", RES, "/api/data", None, "https", [["Signature-Key", v6_v]]), AAUTH,
         "hwk GET"),
        ("V6-2", request("GET", SCA, "/agent/card", "x=1&y=2", "http", [["Signature-Key", v6_v]]),
         v2c, "hwk GET with query and port"),
        ("V6-3", request("POST", RES, "/api/data", None, "https",
                         [["Content-Type", "application/json"], ["Content-Digest", DIGEST256],
                          ["Signature-Key", v6_v]], BODY), v3c, "hwk POST covering content-digest"),
    ]
    for tag, r, comps, what in v6reqs:
        base, sig = sign(r, K1, comps, P0, enc="url")
        check_documented(tag, base, K1, enc_sig(sig, "url"))
        C.add("hwk-" + tag.lower() + "-alg-first", "set %s: aauth-signing 0.2.0 wire form, %s"
              % (tag, what), "set " + tag, "SK-09 §3.4; RFC 9421 §2.5", r,
              ok("sig", "hwk", T1, v6_rq), components=comps, params=P0, verify_pub=K1.pub)

    # A2 legacy jwks (Feb 2026 demo)
    a2_v, a2_rq = sk_legacy("sig1", "jwks", [("id", "http://backend.localhost:8000"),
                                             ("kid", "backend-ephemeral-1")])
    r = request("POST", SCA, "/", None, "http", [["Signature-Key", a2_v]])
    a2p = [("created", 1770414041)]
    base, sig = sign(r, K1, AAUTH, a2p, label="sig1")
    check_documented("A2", base, K1, enc_sig(sig, "std"))
    a2meta = {"agent": "http://backend.localhost:8000",
              "jwks_uri": "http://backend.localhost:8000/jwks.json"}
    a2jwks = {"keys": [K1.jwk(alg=False, kid="backend-ephemeral-1")]}
    a2key = {"type": "jwks", "jwks": a2jwks, "metadata": a2meta}
    C.add("jwks-legacy-a2-compat", "Feb 2026 demo: legacy jwks with id+kid, legacy metadata",
          "set A2", "AA-jan §10.7 (legacy jwks)", r,
          ok("sig1", "jwks", T1, a2_rq, kid="backend-ephemeral-1", created=1770414041),
          policy=COMPAT, now=1770414041, key=a2key, components=AAUTH, params=a2p,
          verify_pub=K1.pub)
    C.add("jwks-legacy-a2-strict", "A2 under the strict profile: legacy inner list",
          "set A2", "AA-jan §10.1 (legacy inner list; ours: compat)", r, err("invalid_request"), now=1770414041,
          key=a2key)
    C.add("jwks-legacy-a2-agent-mismatch", "A2 with legacy metadata agent != id",
          "set A2 / own", "AA-jan §8.1 (legacy metadata)", r,
          err("issuer_mismatch", a2_rq, "sig1", "jwks"), policy=COMPAT, now=1770414041,
          key=dict(a2key, metadata=dict(a2meta, agent="http://evil.localhost:8000")),
          components=AAUTH, params=a2p)
    C.add("jwks-legacy-a2-unknown-kid", "A2 with a JWKS lacking backend-ephemeral-1",
          "set A2 / own", "AA-jan §10.7 (legacy jwks)", r,
          err("unknown_key", a2_rq, "sig1", "jwks"), policy=COMPAT, now=1770414041,
          key=dict(a2key, jwks={"keys": [K1.jwk(alg=False, kid="other")]}),
          components=AAUTH, params=a2p)
    for nm, params, desc in (
            ("both", [("jwks", "http://backend.localhost:8000/jwks.json"),
                      ("id", "http://backend.localhost:8000"), ("kid", "k1")], "both jwks and id"),
            ("neither", [("kid", "k1")], "neither jwks nor id")):
        v, rq = sk_legacy("sig1", "jwks", params)
        r = request("POST", SCA, "/", None, "http", [["Signature-Key", v]])
        sign(r, K1, AAUTH, P0, label="sig1")
        C.add("jwks-legacy-%s-jwks-and-id" % nm, "Legacy jwks with %s" % desc,
              "own signer", "AA-jan §10.7", r, err("invalid_key", rq, "sig1", "jwks"),
              policy=COMPAT, key={"type": "jwks", "jwks": a2jwks, "metadata": None},
              components=AAUTH, params=P0)
    v, rq = sk_legacy("sig1", "jwks", [("jwks", "http://backend.localhost:8000/jwks.json"),
                                       ("kid", "backend-ephemeral-1")])
    r = request("POST", SCA, "/", None, "http", [["Signature-Key", v]])
    sign(r, K1, AAUTH, P0, label="sig1")
    C.add("jwks-legacy-mode1-url-compat", "Legacy jwks mode 1: jwks=<url> + kid, no metadata",
          "own signer", "AA-jan §10.7", r,
          ok("sig1", "jwks", T1, rq, kid="backend-ephemeral-1"), policy=COMPAT,
          key={"type": "jwks", "jwks": a2jwks, "metadata": None}, components=AAUTH, params=P0,
          verify_pub=K1.pub)

    # jwks draft -08: url + kid
    v, rq = sk_item("sig", "jwks", [("url", "https://agent.example/jwks.json"), ("kid", "k1")])
    r = request("GET", RES, "/api/data", None, "https", [["Signature-Key", v]])
    sign(r, K1, AAUTH, P0)
    k1jwks = {"keys": [K1.jwk(kid="k1")]}
    C.add("jwks-url-kid", "Draft -08 jwks scheme: url + kid, JWKS fetched from url",
          "own signer", "SK-09 §3.7", r, ok("sig", "jwks", T1, rq, kid="k1"),
          key={"type": "jwks", "jwks": k1jwks, "metadata": None}, components=AAUTH, params=P0,
          verify_pub=K1.pub)
    C.add("jwks-url-unknown-kid", "Draft -08 jwks scheme with a JWKS lacking k1",
          "own signer", "SK-08 §3.7", r, err("unknown_key", rq, "sig", "jwks"),
          key={"type": "jwks", "jwks": {"keys": [K1.jwk(kid="k2")]}, "metadata": None},
          components=AAUTH, params=P0)

    return C, locals()


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

COMMENT_SIG = (
    "aauth-verify shared test vectors: RFC 9421 HTTP Message Signatures (Ed25519) with the "
    "Signature-Key header (schemes hwk, jwks_uri, jwks, legacy jwks, unsupported ones). Each case "
    "gives a request, a verification policy (members omitted = defaults: profile strict, window "
    "60, required_components null = AAuth default, require_signature_key true, schemes null, "
    "label null, base64url_signatures true), the verifier clock `now`, the key material the host "
    "supplies, and the expected outcome (ok, or a Signature-Error token) with the exact signature "
    "base. expect.requirement is the selected Signature-Key member as parsed (scheme plus its "
    "parameters as strings; Byte Sequences and Booleans in SF form), present whenever the three "
    "headers parse and the label binds, even if a later check fails; expect.base/base_sha256 are "
    "present whenever the base can be built; expect.thumbprint is the RFC 7638 SHA-256 "
    "thumbprint of the key that signed the request. Bodies are UTF-8 strings or "
    "{\"base64\": ...}. Generated by tests/vectors/generate.py from the reference sets of "
    "tests/vectors/README.md, aauth-signing 0.2.0 / 0.1.2 with a frozen clock and an "
    "independent signer; regenerate with `make vectors` or `sh tests/vectors/regen.sh` (output "
    "is byte-identical across runs). Do not edit by hand.")
COMMENT_TOK = (
    "aauth-verify shared test vectors for token-carrying Signature-Key schemes: jwt (AAuth agent "
    "tokens) and jkt-jwt. Same case format as signatures.json; key.type jwt_issuer gives the "
    "issuer metadata and JWKS the host fetched, inline means the key comes from the request. "
    "Generated by tests/vectors/generate.py (documented A3/V5 token bytes, aauth-signing 0.2.0 "
    "with a frozen clock, an independent signer); regenerate with `make vectors` or "
    "`sh tests/vectors/regen.sh`. Do not edit by hand.")


_PAIR = re.compile(r'\[\n\s+("(?:[^"\\]|\\.)*"),\n\s+("(?:[^"\\]|\\.)*")\n\s+\]')


def write_json(path, comment, cases):
    text = json.dumps({"_comment": comment, "cases": cases}, indent=2, ensure_ascii=False)
    text = _PAIR.sub(r"[\1, \2]", text)  # header name/value pairs on one line
    check(json.loads(text) == {"_comment": comment, "cases": cases}, "compact pair rewrite")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")


def main():
    if "--worker" in sys.argv:
        _worker()
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py020", default=sys.executable,
                    help="python of the venv with aauth-signing==0.2.0")
    ap.add_argument("--py012", required=True, help="python of the venv with aauth-signing==0.1.2")
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    _load_crypto()
    K1 = Key(_b64u_dec(K1_D))
    K2 = Key(bytes.fromhex(K2_SECRET))
    check(K1.x == K1_X and K2.x == K2_X, "signing keys do not match their documented x")
    try:
        C, ctx = signatures(K1, K2, a.py020, a.py012)
        signatures_fresh(C, K1, K2, a.py020, a.py012, ctx)
        signatures_syntax(C, K1, K2, ctx)
        T = tokens(K1, K2, a.py020, a.py012)
    except Fail as e:
        sys.exit(str(e))
    write_json(os.path.join(a.out, "signatures.json"), COMMENT_SIG, C.cases)
    write_json(os.path.join(a.out, "tokens.json"), COMMENT_TOK, T.cases)
    print("signatures.json: %d cases, tokens.json: %d cases" % (len(C.cases), len(T.cases)))


def lib_request(method, uri, res, headers, body):
    """Request object from aauth-signing's returned headers."""
    r = from_uri(method, uri, body=body)
    for k, v in headers.items():
        if k.lower() not in ("signature-key", "signature-input", "signature"):
            r["headers"].append([k, v])
    for k in ("Signature-Key", "Signature-Input", "Signature"):
        r["headers"].append([k, res[k]])
    return r


def parse_own_si(si):
    """Components and params of a canonical Signature-Input member we (or the library) wrote."""
    label, rest = si.split("=", 1)
    inner, params = rest[1:].split(")", 1)
    comps = [c.strip('"') for c in inner.split()]
    plist = []
    for p in params.split(";")[1:]:
        k, v = p.split("=", 1)
        plist.append((k, int(v) if v.isdigit() else v.strip('"')))
    return label, comps, plist


def signatures_fresh(C, K1, K2, py020, py012, ctx):
    T1 = K1.thumbprint()
    meta = {"issuer": "https://agent.example",
            "jwks_uri": "https://agent.example/.well-known/jwks.json"}
    jwks7 = {"keys": [K1.jwk(kid="key-7")]}
    specs020 = [
        ("aauth-signing-020-hwk-get", "hwk GET", "GET", "https://resource.example/api/data",
         {}, None, "hwk", {}, None),
        ("aauth-signing-020-hwk-get-query", "hwk GET with a query", "GET",
         "https://resource.example/search?q=rust&page=2", {}, None, "hwk", {}, None),
        ("aauth-signing-020-hwk-post-digest", "hwk POST covering content-type and content-digest",
         "POST", "https://resource.example/api/items", {"Content-Type": "application/json"},
         '{"item": 42}', "hwk", {}, ["content-type", "content-digest"]),
        ("aauth-signing-020-hwk-authorization",
         "hwk GET with an Authorization header (covered automatically)", "GET",
         "https://resource.example/api/data", {"Authorization": "AAuth opaque-token-1"}, None,
         "hwk", {}, None),
        ("aauth-signing-020-jwks-uri-get", "jwks_uri GET", "GET",
         "https://resource.example/api/data", {}, None, "jwks_uri",
         {"id": "https://agent.example", "dwk": "aauth-agent.json", "kid": "key-7"}, None),
        ("aauth-signing-020-jwks-uri-post-digest", "jwks_uri POST with query and digest", "POST",
         "https://resource.example/api/items?dry_run=1", {"Content-Type": "application/json"},
         '{"item": 43}', "jwks_uri",
         {"id": "https://agent.example", "dwk": "aauth-agent.json", "kid": "key-7"},
         ["content-type", "content-digest"]),
    ]
    specs012 = [
        ("aauth-signing-012-hwk-get", "hwk GET (alg-less key, legacy era)", "GET",
         "https://resource.example/api/data", {}, None, "hwk", {}, None),
        ("aauth-signing-012-hwk-post-digest", "hwk POST covering content-type and content-digest",
         "POST", "http://supply-chain-agent.localhost:3000/api/order",
         {"Content-Type": "application/json"}, '{"order": 7}', "hwk", {},
         ["content-type", "content-digest"]),
        ("aauth-signing-012-jwks-uri-get", "jwks_uri GET", "GET",
         "https://resource.example/api/data?x=1", {}, None, "jwks_uri",
         {"id": "https://agent.example", "dwk": "aauth-agent.json", "kid": "key-7"}, None),
    ]

    def tasks(specs):
        return [{"op": "sign", "now": CREATED, "d": K1.d, "method": m, "uri": u, "headers": h,
                 "body": b, "scheme": sch, "kwargs": kw, "additional": add}
                for (_, _, m, u, h, b, sch, kw, add) in specs]

    out020 = run_worker(py020, tasks(specs020))
    out012 = run_worker(py012, tasks(specs012))
    verify_tasks = {py020: [], py012: []}
    for specs, outs, py in ((specs020, out020, py020), (specs012, out012, py012)):
        for (name, desc, m, u, h, b, sch, kw, add), o in zip(specs, outs):
            res = o["result"]
            r = lib_request(m, u, res, o["headers"], b)
            label, comps, params = parse_own_si(res["Signature-Input"])
            check(sig_params_line(comps, params) == res["Signature-Input"].split("=", 1)[1],
                  name + ": library Signature-Input is not canonical")
            base = build_base(r, comps, params)
            check(base == o["base"], name + ": our base differs from aauth-signing's")
            sk = res["Signature-Key"]
            # requirement from the library's SF-item Signature-Key
            rq = {"scheme": sk.split("=", 1)[1].split(";")[0]}
            for p in sk.split(";")[1:]:
                k, v = p.split("=", 1)
                rq[k] = v.strip('"')
            kid = kw.get("kid")
            key = ({"type": "inline"} if sch == "hwk" else
                   {"type": "jwks", "jwks": jwks7, "metadata": meta})
            prov = "generated by aauth-signing %s" % o["version"]
            legacy = o["version"].startswith("0.1.")
            expect = ok(label, sch, T1, rq, kid=kid)
            C.add(name + ("-compat" if legacy and sch == "hwk" else ""),
                  "aauth-signing %s %s" % (o["version"], desc), prov,
                  "RFC 9421 §2.5; SK-09 §3.4/§3.6", r, expect,
                  policy=COMPAT if legacy and sch == "hwk" else None, key=key, base=base,
                  verify_pub=K1.pub)
            if legacy and sch == "hwk":
                C.add(name + "-strict", "aauth-signing %s %s under strict: hwk without alg"
                      % (o["version"], desc), prov, "SK-09 §3.4, §7.4", r,
                      err("invalid_key", rq, label, sch), key=key, base=base)
            if name == "aauth-signing-020-hwk-get":
                check(res["Signature"] == "sig=:" + DOC["V6-1"]["sig"] + ":",
                      "aauth-signing 0.2.0 hwk GET does not reproduce set V6-1")
            if name == "aauth-signing-012-hwk-get":
                check(res["Signature"] == "sig=:" + DOC["V1"]["sig"] + ":",
                      "aauth-signing 0.1.2 hwk GET does not reproduce set V1")
            if b is not None:
                m2 = copy.deepcopy(r)
                m2["body"] = b.replace("}", ", \"x\": 1}")
                if not legacy:
                    C.add(name + "-body-tampered", "%s with a different body (digest mismatch)"
                          % name, prov, "RFC 9530 §2", m2,
                          err("invalid_signature", rq, label, sch), key=key, base=base)
            verify_tasks[py].append({"op": "verify", "now": CREATED, "method": m, "uri": u,
                                     "headers": {k: v for k, v in r["headers"]}, "body": b,
                                     "jwks": jwks7 if sch != "hwk" else None, "name": name})
    # The interop sets V1-V7, verified by the aauth-signing versions that produced them.
    for tag, case in (("V1", "hwk-v1-no-alg-compat"), ("V2", "hwk-v2-query-port-compat"),
                      ("V3", "hwk-v3-post-digest-compat"), ("V4", "jwks-uri-v4-compat"),
                      ("V6-1", "hwk-v6-1-alg-first"), ("V6-2", "hwk-v6-2-alg-first"),
                      ("V6-3", "hwk-v6-3-alg-first")):
        c = next(x for x in C.cases if x["name"] == case)
        rr = c["request"]
        uri = "%s://%s%s%s" % (rr["scheme"], rr["authority"], rr["path"],
                               "" if rr["query"] is None else "?" + rr["query"])
        t = {"op": "verify", "now": CREATED, "method": rr["method"], "uri": uri,
             "headers": {k: v for k, v in rr["headers"]}, "body": rr["body"],
             "jwks": c["key"].get("jwks"), "name": tag}
        verify_tasks[py012].append(t)
        if tag.startswith("V6") or tag == "V4":
            verify_tasks[py020].append(dict(t, jwks=ctx["jwks_alg"] if tag == "V4" else None))
    for py, ts in verify_tasks.items():
        for t, o in zip(ts, run_worker(py, ts)):
            check(o["ok"], "aauth-signing %s does not verify %s: %s"
                  % (o["version"], t["name"], o["error"]))



def signatures_syntax(C, K1, K2, ctx):
    """Own-signer cases: legal variants, components, policy and negatives (A1-shaped)."""
    T1, T2 = K1.thumbprint(), K2.thumbprint()
    hwk_params = [("kty", "OKP"), ("crv", "Ed25519"), ("x", K1.x), ("alg", "Ed25519")]
    SK, RQ = sk_item("sig", "hwk", hwk_params)
    P0 = [("created", CREATED)]
    own = "own signer"

    def base_req(method="GET", path="/api/data", query=None, headers=(), body=None, sk=SK):
        r = request(method, RES, path, query, "https", headers, body)
        if sk is not None:
            for line in ([sk] if isinstance(sk, str) else sk):
                r["headers"].append(["Signature-Key", line])
        return r

    def good(name, desc, spec, r, comps, params, policy=None, now=CREATED, label="sig",
             rq=RQ, key=K1, prov=own, **kw):
        C.add(name, desc, prov, spec, r,
              ok(label, rq["scheme"], key.thumbprint(), rq,
                 created=dict(params).get("created"), expires=dict(params).get("expires"), **kw),
              policy=policy, now=now, components=comps, params=params, verify_pub=key.pub)

    def bad(name, desc, spec, r, token, comps=None, params=None, policy=None, now=CREATED,
            label="sig", rq=RQ, parsed=True, key=None, prov=own):
        e = err(token, rq, label, rq["scheme"]) if parsed else err(token)
        C.add(name, desc, prov, spec, r, e, policy=policy, now=now, key=key,
              components=comps, params=params)

    # ---- @signature-params is the canonical re-serialization ----
    r = base_req()
    sign(r, K1, AAUTH, P0,
         si_raw='sig=( "@method"  "@authority" "@path" "signature-key" );created=1730217600')
    good("si-noncanonical-spacing",
         "Signature-Input with legal extra spaces in the inner list, signed over the canonical line",
         "RFC 8941 §3.1.1; RFC 9421 §2.3", r, AAUTH, P0)
    r = base_req()
    sign(r, K1, AAUTH, P0,
         si_raw='sig=("@method" "@authority" "@path" "signature-key"); created=1730217600')
    good("si-space-after-semicolon", "Signature-Input with `; created=` (SK-09 §3 example style)",
         "RFC 8941 §3.1.2; RFC 9421 §2.3", r, AAUTH, P0)
    pu = P0 + [("foo", "bar"), ("nonce", "n-1"), ("zz", Tok("tok"))]
    r = base_req()
    sign(r, K1, AAUTH, pu)
    good("si-unknown-params-kept", "Unknown parameters (String, Token) kept in received order",
         "RFC 9421 §2.3", r, AAUTH, pu)
    pb = P0 + [("flag", True)]
    r = base_req()
    sign(r, K1, AAUTH, pb, si_raw='sig=("@method" "@authority" "@path" "signature-key")'
         ';created=1730217600;flag=?1')
    good("si-boolean-param-canonical", "Parameter sent as `;flag=?1`, serialized `;flag` in the base",
         "RFC 8941 §4.1.9; RFC 9421 §2.3", r, AAUTH, pb)
    pbn = [("flag", True), ("created", CREATED)]
    r = base_req()
    sign(r, K1, AAUTH, pbn)
    good("si-created-not-first", "created after another parameter", "RFC 9421 §2.3", r, AAUTH, pbn)
    for alg in ("rsa-pss-sha512", "ed25519"):
        pa = P0 + [("alg", alg)]
        r = base_req()
        sign(r, K1, AAUTH, pa)
        good("si-alg-%s-ignored" % alg, "Signature-Input alg=%s is ignored with a Signature-Key "
             "(kept in @signature-params)" % alg, "SK-09 §7.4; AA §Signature Parameters",
             r, AAUTH, pa)
    pk = P0 + [("keyid", T1)]
    r = base_req()
    sign(r, K1, AAUTH, pk)
    good("hwk-keyid-thumbprint", "keyid equal to the hwk key's RFC 7638 thumbprint",
         "SK-09 §4.3", r, AAUTH, pk)
    pk = P0 + [("keyid", T2)]
    r = base_req()
    sign(r, K1, AAUTH, pk)
    bad("hwk-keyid-mismatch", "keyid names another key than the hwk Signature-Key",
        "SK-09 §4.3", r, "invalid_key", AAUTH, pk)
    pn = P0 + [("nonce", "abc"), ("tag", "aauth")]
    r = base_req()
    sign(r, K1, AAUTH, pn)
    good("si-nonce-tag", "nonce and tag parameters are carried through", "RFC 9421 §2.3",
         r, AAUTH, pn)

    # ---- labels, multiple signatures, multiple field lines ----
    sk1, _ = sk_item("sig1", "hwk", hwk_params)
    sk2, rq2 = sk_item("sig2", "hwk", [("kty", "OKP"), ("crv", "Ed25519"), ("x", K2.x),
                                       ("alg", "Ed25519")])
    r = base_req(sk=sk1 + ", " + sk2)
    b1 = build_base(r, AAUTH, P0)
    b2 = build_base(r, AAUTH, P0)
    r["headers"].append(["Signature-Input", "sig1=" + sig_params_line(AAUTH, P0) + ", sig2="
                         + sig_params_line(AAUTH, P0)])
    r["headers"].append(["Signature", "sig1=:%s:, sig2=:%s:" % (b64std(K1.sign(b1)),
                                                                b64std(K2.sign(b2)))])
    good("multi-signature-label-sig2", "Two signatures (K1 as sig1, K2 as sig2); policy picks sig2",
         "RFC 9421 §3.2 step 1, §4.3; SK-09 §3", r, AAUTH, P0, policy={"label": "sig2"},
         label="sig2", rq=rq2, key=K2)
    rq1 = dict(RQ)
    good("multi-signature-label-sig1", "Two signatures; policy picks sig1",
         "RFC 9421 §3.2 step 1", r, AAUTH, P0, policy={"label": "sig1"}, label="sig1", rq=rq1)
    bad("multi-signature-no-label", "Two signatures and no label chosen", "RFC 9421 §3.2, §4.1; ours",
        r, "invalid_request", parsed=False)
    bad("multi-signature-label-absent", "Policy label sig3 is in none of the headers",
        "RFC 9421 §3.2 step 1; SK-09 §5.4.4", r, "invalid_signature", policy={"label": "sig3"},
        parsed=False)
    r = base_req(sk=[sk1, sk2])
    b = build_base(r, AAUTH, P0)
    check('"signature-key": ' + sk1 + ", " + sk2 in b, "multi-line signature-key join")
    r["headers"] += [["Signature-Input", "sig1=" + sig_params_line(AAUTH, P0)],
                     ["Signature", "sig1=:%s:" % b64std(K1.sign(b))],
                     ["Signature-Input", "sig2=" + sig_params_line(AAUTH, P0)],
                     ["Signature", "sig2=:%s:" % b64std(K2.sign(b))]]
    good("multi-line-headers-label-sig2",
         "Signature-Input, Signature and Signature-Key each sent as two field lines; sig2 chosen",
         "RFC 9110 §5.3; RFC 9421 §2.1, §4", r, AAUTH, P0, policy={"label": "sig2"},
         label="sig2", rq=rq2, key=K2)
    xs, _ = sk_item("sig0", "x509", [("x5u", "https://agent.example/chain.pem"),
                                     ("x5t", hashlib.sha256(b"leaf").digest())])
    r = base_req(sk=xs + ", " + SK)
    sign(r, K1, AAUTH, P0)
    good("signature-key-other-member-ignored",
         "Signature-Key with an extra x509 member for another label: ignored",
         "SK-09 §3.1", r, AAUTH, P0)
    r = base_req(sk=sk2)
    sign(r, K1, AAUTH, P0)
    bad("signature-key-label-differs", "Signature-Key member labelled sig2, signature labelled sig",
        "SK-09 §3 step 4, §3.1, §5.4.4", r, "invalid_signature", parsed=False)
    r = base_req()
    b = build_base(r, AAUTH, P0)
    r["headers"] += [["Signature-Input", "sig=" + sig_params_line(AAUTH, P0)],
                     ["Signature", "sig2=:%s:" % b64std(K1.sign(b))]]
    bad("signature-label-differs", "Signature member labelled sig2, Signature-Input labelled sig",
        "RFC 9421 §3.2 step 1; SK-09 §5.4.4", r, "invalid_signature", parsed=False)
    r = base_req(headers=[["SIGNATURE-KEY", SK]], sk=None)
    b, s = sign(r, K1, AAUTH, P0)
    r["headers"] = [[n.lower() if n == "Signature" else n.upper(), v] for n, v in r["headers"]]
    good("header-names-any-case", "Header names in upper and lower case",
         "RFC 9110 §5.1", r, AAUTH, P0)

    # ---- field components ----
    cx = AAUTH[:3] + ["x-custom", "signature-key"]
    r = base_req(headers=[["X-Custom", "one"], ["X-Other", "z"], ["x-custom", "two"]])
    b, _ = sign(r, K1, cx, P0)
    check('"x-custom": one, two' in b, "x-custom join")
    good("field-two-lines-joined", "Covered x-custom sent as two field lines: joined with \", \"",
         "RFC 9421 §2.1", r, cx, P0)
    m = copy.deepcopy(r)
    m["headers"][2][1] = "three"
    bad("field-value-tampered", "Second x-custom line changed after signing", "RFC 9421 §3.2",
        m, "invalid_signature", cx, P0)
    m = copy.deepcopy(r)
    m["headers"] = [h for h in m["headers"] if h[1] != "two"]
    bad("field-line-dropped", "One x-custom line removed after signing", "RFC 9421 §2.1",
        m, "invalid_signature", cx, P0)
    r = base_req(headers=[["X-Custom", "  padded value \t"]])
    b, _ = sign(r, K1, cx, P0)
    check('"x-custom": padded value\n' in b, "trim")
    good("field-value-trimmed", "Leading/trailing whitespace of a field value is trimmed",
         "RFC 9421 §2.1", r, cx, P0)
    ce = AAUTH[:3] + ["x-empty", "signature-key"]
    r = base_req(headers=[["X-Empty", ""]])
    b, _ = sign(r, K1, ce, P0)
    check('"x-empty": \n' in b, "empty field line")
    good("field-empty-value", "Covered header present with an empty value", "RFC 9421 §2.1",
         r, ce, P0)
    cm = AAUTH[:3] + ["x-missing", "signature-key"]
    r = base_req()
    r["headers"] += [["Signature-Input", "sig=" + sig_params_line(cm, P0)],
                     ["Signature", "sig=:" + b64std(K1.sign("x")) + ":"]]
    bad("field-missing", "Covered header x-missing absent from the request", "RFC 9421 §2.5",
        r, "invalid_request", parsed=False)

    # ---- derived components ----
    def derived(name, desc, spec, comps, query=None, path="/api/data", method="GET", expect_line=None):
        r = base_req(method=method, path=path, query=query)
        b, _ = sign(r, K1, comps, P0)
        if expect_line:
            check(expect_line in b.split("\n"), "%s: expected base line %r" % (name, expect_line))
        good(name, desc, spec, r, comps, P0)
        return r

    q = AAUTH[:3] + ["@query", "signature-key"]
    derived("component-query", "@query with a query string", "RFC 9421 §2.2.7", q,
            query="param=value&foo=bar&baz=bat%2Dman", expect_line='"@query": ?param=value&foo=bar&baz=bat%2Dman')
    derived("component-query-empty", "@query with an empty query (`?` sent)", "RFC 9421 §2.2.7",
            q, query="", expect_line='"@query": ?')
    derived("component-query-absent", "@query with no query: value `?`", "RFC 9421 §2.2.7", q,
            expect_line='"@query": ?')
    # Policy require_query: a target with a query must cover @query, or @query-param for
    # each of its names (a captured GET /x is otherwise accepted as /x?role=admin).
    RQS = "RFC 9421 §2.2.7, §2.2.8; ours (policy require_query)"
    for name, desc, comps, query, res in (
            ("require-query-uncovered", "Query sent, only the AAuth minimum covered", AAUTH,
             "role=admin", "invalid_input"),
            ("require-query-covered", "Query sent and @query covered", q, "role=admin", None),
            ("require-query-params-covered", "Query sent and each name covered by @query-param",
             AAUTH[:3] + [("@query-param", [("name", "a")]), ("@query-param", [("name", "b")]),
                          "signature-key"], "a=1&b=2", None),
            ("require-query-one-param-uncovered", "Query a=1&b=2, only @query-param a covered",
             AAUTH[:3] + [("@query-param", [("name", "a")]), "signature-key"], "a=1&b=2",
             "invalid_input"),
            ("require-query-absent", "No query: nothing more is required", AAUTH, None, None)):
        r = base_req(query=query)
        sign(r, K1, comps, P0)
        if res is None:
            good(name, desc, RQS, r, comps, P0, policy={"require_query": True})
        else:
            bad(name, desc, RQS, r, res, comps, P0, policy={"require_query": True})
    r = base_req(query="role=admin")
    sign(r, K1, AAUTH, P0)
    good("require-query-off-by-default", "Query sent, not covered, default policy", RQS, r,
         AAUTH, P0)

    qp = AAUTH[:3] + [("@query-param", [("name", "baz")]), ("@query-param", [("name", "qux")]),
                      ("@query-param", [("name", "param")]), "signature-key"]
    derived("component-query-param", "@query-param values from the RFC 9421 §2.2.8 example",
            "RFC 9421 §2.2.8", qp, path="/path", query="param=value&foo=bar&baz=batman&qux=",
            expect_line='"@query-param";name="baz": batman')
    check(form_reencode(form_decode("this%20is%20a%20big%0Avalue")) == "this%20is%20a%20big%0Avalue"
          and form_reencode(form_decode("with+plus+whitespace")) == "with%20plus%20whitespace"
          and form_reencode(form_decode("fa%C3%A7ade%22%3A%20")) == "fa%C3%A7ade%22%3A%20",
          "RFC 9421 §2.2.8 re-encoding examples")
    qp2 = AAUTH[:3] + [("@query-param", [("name", "var")]), ("@query-param", [("name", "bar")]),
                       ("@query-param", [("name", "fa%C3%A7ade%22%3A%20")]), "signature-key"]
    derived("component-query-param-encoded",
            "@query-param decode/re-encode examples of RFC 9421 §2.2.8", "RFC 9421 §2.2.8", qp2,
            path="/parameters",
            query="var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
            expect_line='"@query-param";name="bar": with%20plus%20whitespace')
    derived("component-target-uri", "@target-uri", "RFC 9421 §2.2.2",
            AAUTH[:3] + ["@target-uri", "signature-key"], query="a=1",
            expect_line='"@target-uri": https://resource.example/api/data?a=1')
    derived("component-scheme", "@scheme", "RFC 9421 §2.2.4",
            AAUTH[:3] + ["@scheme", "signature-key"], expect_line='"@scheme": https')
    derived("component-request-target", "@request-target", "RFC 9421 §2.2.5",
            AAUTH[:3] + ["@request-target", "signature-key"], query="a=1&b=2",
            expect_line='"@request-target": /api/data?a=1&b=2')
    derived("component-order-free", "AAuth components covered in another order",
            "RFC 9421 §2.5; AA §HTTP Message Signatures Profile",
            ["signature-key", "@path", "@authority", "@method"])

    def bad_list(name, desc, comps, spec="RFC 9421 §2.5, §3.2", query=None, raw=None):
        r = base_req(query=query, headers=[["X-Dict", "a=1, b=2"]])
        r["headers"] += [["Signature-Input", raw or "sig=" + sig_params_line(comps, P0)],
                         ["Signature", "sig=:" + b64std(K1.sign("not the base")) + ":"]]
        bad(name, desc, spec, r, "invalid_request", parsed=False)

    bad_list("covered-duplicate", "\"@method\" listed twice", ["@method"] + AAUTH)
    bad_list("covered-signature-params", "\"@signature-params\" listed", AAUTH + ["@signature-params"])
    bad_list("covered-status-in-request", "\"@status\" in a request", AAUTH + ["@status"],
             spec="RFC 9421 §2.2.9")
    bad_list("covered-unknown-derived", "Unknown derived component \"@foo\"", AAUTH + ["@foo"])
    # ---- component parameters sf, key, bs (RFC 9421 §2.1.1-§2.1.3) ----
    # The RFC's own examples, with the values written out by hand from RFC 9651 §4.1.
    EX_DICT = "a=1,    b=2;x=1;y=2,   c=(a   b   c), d"
    for name, desc, comps, lines, expect_line in (
            ("covered-param-key", "key= on the four members of the RFC 9421 §2.1.2 example",
             AAUTH + [("example-dict", [("key", "a")], "1"),
                      ("example-dict", [("key", "d")], "?1"),
                      ("example-dict", [("key", "b")], "2;x=1;y=2"),
                      ("example-dict", [("key", "c")], "(a b c)")],
             [["Example-Dict", " " + EX_DICT]], '"example-dict";key="c": (a b c)'),
            ("covered-param-key-across-lines", "key= finds a member on the second field line",
             AAUTH + [("example-dict", [("key", "b")], "2;x=1;y=2")],
             [["Example-Dict", "a=1"], ["Example-Dict", "b=2;x=1;y=2"]],
             '"example-dict";key="b": 2;x=1;y=2'),
            ("covered-param-bs", "bs on the RFC 9421 §2.1.3 example (two field lines)",
             AAUTH + [("example-header", [("bs", True)])],
             [["Example-Header", "value, with, lots"], ["Example-Header", "of, commas"]],
             '"example-header";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:'),
            ("covered-param-sf-list", "sf on a List the verifier knows (Accept-Signature-Alg)",
             AAUTH + [("accept-signature-alg", [("sf", True)], "Ed25519, ES256;q=1")],
             [["Accept-Signature-Alg", "Ed25519 ,ES256;q=1"]],
             '"accept-signature-alg";sf: Ed25519, ES256;q=1'),
            ("covered-param-sf-dictionary", "sf on a Dictionary the verifier knows, two lines",
             AAUTH + [("signature-error", [("sf", True)], 'error=invalid_key, required=("a" "b")')],
             [["Signature-Error", "error=invalid_key  "], ["Signature-Error", 'required=( "a"  "b" )']],
             '"signature-error";sf: error=invalid_key, required=("a" "b")')):
        r = base_req(headers=lines)
        b, _ = sign(r, K1, comps, P0)
        check(expect_line in b.split("\n"), "%s: expected base line %r" % (name, expect_line))
        good(name, desc, "RFC 9421 §2.1.1-§2.1.3", r, comps, P0)
    # `signature-key;key="<label>"` covers what the verifier reads of Signature-Key: it
    # satisfies the required `signature-key` (SK-09 §7.8). The member is sent with legal extra
    # spaces, so the serialized member differs from the raw text.
    sk_spaced = SK.replace(";", "; ")
    for name, desc, lab, res in (
            ("covered-param-key-signature-key", "signature-key;key=\"sig\" in place of signature-key",
             "sig", None),
            ("covered-param-key-signature-key-other",
             "signature-key;key=\"other\": the label's own member is not covered", "other",
             "invalid_input")):
        r = base_req(sk=[sk_spaced, 'other=hwk;kty="OKP"'])
        comps = AAUTH[:3] + [("signature-key", [("key", lab)], SK[len("sig="):] if lab == "sig"
                              else 'hwk;kty="OKP"')]
        sign(r, K1, comps, P0)
        if res is None:
            good(name, desc, "RFC 9421 §2.1.2; SK-09 §7.8", r, comps, P0)
        else:
            bad(name, desc, "RFC 9421 §2.1.2; SK-09 §7.8", r, res, comps, P0)
    r = base_req(method="POST", body="{}", headers=[["Content-Digest", digest("{}") + "  ,  " +
                                                     digest("{}", "sha-512")]])
    comps = AAUTH + [("content-digest", [("sf", True)],
                      digest("{}") + ", " + digest("{}", "sha-512"))]
    sign(r, K1, comps, P0)
    good("covered-param-sf-content-digest", "content-digest;sf, checked against the body too",
         "RFC 9421 §2.1.1; RFC 9530 §2", r, comps, P0)
    r = base_req(method="POST", body="{}", headers=[["Content-Digest", digest("{}") + ", " +
                                                     digest("{x}", "sha-512")]])
    comps = AAUTH + [("content-digest", [("key", "sha-256")], digest("{}")[len("sha-256="):])]
    sign(r, K1, comps, P0)
    bad("covered-param-key-content-digest-other-member",
        "content-digest;key=\"sha-256\" covered, sha-512 member wrong: every member is checked",
        "RFC 9530 §2; ours", r, "invalid_signature", comps, P0)

    def bad_param(name, desc, comps, headers, token="invalid_request", parsed=True):
        r = base_req(headers=headers)
        r["headers"] += [["Signature-Input", "sig=" + sig_params_line(comps, P0)],
                         ["Signature", "sig=:" + b64std(K1.sign("not the base")) + ":"]]
        bad(name, desc, "RFC 9421 §2.1.1-§2.1.3, §2.5", r, token, parsed=parsed)

    XD = [["X-Dict", "a=1, b=2"]]
    for name, desc, prm, parsed in (
            ("covered-param-sf-unknown-field", "sf on a field whose type the verifier does not know",
             [("sf", True)], False),
            ("covered-param-sf-false", "sf=?0", [("sf", False)], False),
            ("covered-param-bs-with-sf", "bs together with sf", [("bs", True), ("sf", True)], False),
            ("covered-param-bs-with-key", "bs together with key", [("key", "a"), ("bs", True)], False),
            ("covered-param-key-not-string", "key=1 (an Integer)", [("key", 1)], False),
            ("covered-param-key-twice", "key given twice", [("key", "a"), ("key", "b")], False),
            ("covered-param-key-missing", "key names a member the field does not have",
             [("key", "zz")], True),
            ("covered-param-req", "req on a request component", [("req", True)], False),
            ("covered-param-tr", "tr (trailers are not verified)", [("tr", True)], False)):
        bad_param(name, desc, AAUTH + [("x-dict", prm)], XD, parsed=parsed)
    bad_param("covered-param-key-not-dictionary", "key on a field that is not a Dictionary",
              AAUTH + [("x-dict", [("key", "a")])], [["X-Dict", "a=1, (b"]])
    bad_param("covered-param-sf-malformed", "sf on a known List that does not parse",
              AAUTH + [("accept-signature-alg", [("sf", True)])], [["Accept-Signature-Alg", "a, ,b"]])
    bad_param("covered-param-on-derived", "key on a derived component",
              AAUTH[:3] + [("@method", [("key", "a")]), "signature-key"], [], parsed=False)
    bad_list("query-param-no-name", "@query-param without name",
             AAUTH + ["@query-param"], query="a=1", spec="RFC 9421 §2.2.8")
    bad_list("query-param-name-missing", "@query-param name absent from the query",
             AAUTH + [("@query-param", [("name", "b")])], query="a=1", spec="RFC 9421 §2.2.8")
    bad_list("query-param-name-repeated", "@query-param name repeated in the query",
             AAUTH + [("@query-param", [("name", "a")])], query="a=1&a=2", spec="RFC 9421 §2.2.8")

    for name, path, query in (("target-fragment-in-path", "/api/data#/../admin", None),
                              ("target-fragment-in-query", "/api/data", "a=1#x")):
        r = base_req(path=path, query=query)
        sign(r, K1, AAUTH, P0)
        bad(name, "Request target with a fragment (%s)" % (path + ("?" + query if query else "")),
            "RFC 9112 §3.2 (no fragment in a request target)", r, "invalid_request", parsed=False)

    # ---- required components (AAuth profile) ----
    def need(name, desc, comps, policy=None, headers=()):
        r = base_req(headers=headers)
        sign(r, K1, comps, P0)
        bad(name, desc, "AA §HTTP Message Signatures Profile", r,
            "invalid_input", comps, P0, policy=policy)

    need("required-signature-key-not-covered", "signature-key not covered", AAUTH[:3])
    need("required-authority-not-covered", "@authority not covered",
         ["@method", "@path", "signature-key"])
    need("required-authorization-not-covered", "Authorization sent but not covered", AAUTH,
         headers=[["Authorization", "AAuth abc"]])
    need("required-custom-policy", "Policy requires content-digest, not covered", AAUTH,
         policy={"required_components": AAUTH + ["content-digest"]})
    # Policy require_content_digest_with_body: a request with a body must cover
    # content-digest. "Has a body" is a non-empty body, or, when the host has not read the
    # body (a gateway verifying before it reads), framing that announces one.
    RB = "RFC 9530 §2; RFC 9112 §6.3; ours (policy require_content_digest_with_body)"
    pol = {"require_content_digest_with_body": True}
    cd = AAUTH + ["content-digest"]
    for name, desc, body, hdrs, comps, res in (
            ("require-body-digest-uncovered", "POST with a body, content-digest not covered",
             "{}", [["Content-Digest", digest("{}")]], AAUTH, "invalid_input"),
            ("require-body-digest-covered", "POST with a body and content-digest covered",
             "{}", [["Content-Digest", digest("{}")]], cd, None),
            ("require-body-digest-announced", "Body not supplied, Content-Length: 2 announces one",
             None, [["Content-Length", "2"]], AAUTH, "invalid_input"),
            ("require-body-digest-chunked", "Body not supplied, Transfer-Encoding announces one",
             None, [["Transfer-Encoding", "chunked"]], AAUTH, "invalid_input"),
            ("require-body-digest-length-zero", "Content-Length: 0 and no body: nothing required",
             None, [["Content-Length", "0"]], AAUTH, None),
            ("require-body-digest-empty-body", "An empty body supplied: nothing required",
             "", [["Content-Length", "0"]], AAUTH, None)):
        r = base_req(method="POST", body=body, headers=hdrs)
        sign(r, K1, comps, P0)
        if res is None:
            good(name, desc, RB, r, comps, P0, policy=pol)
        else:
            bad(name, desc, RB, r, res, comps, P0, policy=pol)
    r = base_req(method="POST", headers=[["Content-Digest", digest("")], ["Content-Length", "0"]],
                 body="")
    sign(r, K1, cd, P0)
    good("digest-empty-body", "Covered Content-Digest of the empty body, body supplied empty",
         "RFC 9530 §2", r, cd, P0)
    r = base_req(method="PUT", headers=[["Content-Digest", digest("{\"a\":1}")],
                                        ["Content-Length", "0"]], body="")
    sign(r, K1, cd, P0)
    bad("digest-body-resent-empty", "Signed PUT with a body, resent with an empty body",
        "RFC 9530 §2", r, "invalid_signature", cd, P0)

    r = base_req(headers=[["Authorization", "AAuth abc"]])
    ca = AAUTH + ["authorization"]
    sign(r, K1, ca, P0)
    good("required-authorization-covered", "Authorization sent and covered", "AA §HTTP Message Signatures Profile",
         r, ca, P0)
    r = base_req()
    sign(r, K1, ["@method", "signature-key"], P0)
    good("required-components-custom-relaxed", "Policy requiring only @method and signature-key",
         "RFC 9421 §3.2 step 5 (the verifier decides what must be covered)", r,
         ["@method", "signature-key"], P0,
         policy={"required_components": ["@method", "signature-key"]})

    # ---- missing / malformed headers ----
    r = base_req()
    sign(r, K1, AAUTH, P0)
    a1 = r

    def drop(r, name):
        m = copy.deepcopy(r)
        m["headers"] = [h for h in m["headers"] if h[0].lower() != name]
        return m

    for h in ("signature-input", "signature", "signature-key"):
        bad("missing-" + h, "No %s header" % h, "SK-09 §5.4.4; AAuth §Verification step 1",
            drop(a1, h), "invalid_signature", parsed=False)

    def replace(r, name, value):
        m = copy.deepcopy(r)
        for hh in m["headers"]:
            if hh[0].lower() == name:
                hh[1] = value
        return m

    si0 = "sig=" + sig_params_line(AAUTH, P0)
    sg0 = header_lines(a1, "signature")[0]
    for nm, hdr, val, desc in (
            ("si-not-sf", "signature-input", si0[:-20], "Signature-Input inner list unterminated"),
            ("si-uppercase-label", "signature-input", "Sig" + si0[3:], "Signature-Input label `Sig`"),
            ("signature-key-not-sf", "signature-key", SK[:-5], "Signature-Key string unterminated"),
            ("si-member-not-inner-list", "signature-input", 'sig="@method"',
             "Signature-Input member is a String"),
            ("si-created-string", "signature-input", si0.replace("=1730217600", '="1730217600"'),
             "created is a String"),
            ("si-expires-token", "signature-input", si0 + ";expires=never", "expires is a Token")):
        bad(nm, desc, "RFC 8941 §4.2; RFC 9421 §4.1", replace(a1, hdr, val), "invalid_request",
            parsed=False)

    # ---- signature bytes ----
    sig = _b64u_dec(sg0[5:-1].replace("+", "-").replace("/", "_").rstrip("="))
    for nm, val, desc in (
            ("signature-string", 'sig="%s"' % b64std(sig), "Signature member is a String"),
            ("signature-token", "sig=abc", "Signature member is a Token"),
            ("signature-trailing-comma", sg0 + ",",
             "Signature field with a trailing comma (a malformed Signature field is an invalid signature)"),
            ("signature-bad-base64", "sig=:%s$%s:" % (b64std(sig)[:40], b64std(sig)[41:]),
             "Signature byte sequence with a non-base64 character"),
            ("signature-63-bytes", "sig=:%s:" % b64std(sig[:63]), "63-byte signature"),
            ("signature-65-bytes", "sig=:%s:" % b64std(sig + b"\x01"), "65-byte signature"),
            ("signature-bit-flipped", "sig=:%s:" % b64std(bytes([sig[0] ^ 1]) + sig[1:]),
             "One bit of the signature flipped")):
        bad(nm, desc, "RFC 9421 §3.3.6, §4.2", replace(a1, "signature", val),
            "invalid_signature", AAUTH, P0)
    std, url = b64std(sig), b64u(sig)
    idx_std = [i for i, c in enumerate(std) if c in "+/"]
    idx_url = [i for i, c in enumerate(url) if c in "-_"]
    if idx_std and idx_url and idx_std[0] != idx_url[-1]:
        mixed = list(url)
        mixed[idx_std[0]] = std[idx_std[0]]
        mixed = "".join(mixed)
        check(any(c in "+/" for c in mixed) and any(c in "-_" for c in mixed), "mixed alphabet")
        bad("signature-mixed-base64-alphabets", "Signature mixing base64 and base64url characters",
            "RFC 4648 §4, §5; ours (one alphabet per value)", replace(a1, "signature", "sig=:%s:" % mixed),
            "invalid_signature", AAUTH, P0)
    good("signature-base64url", "A1 with its signature in unpadded base64url",
         "RFC 4648 §5; ours (base64url_signatures, the Python signer's encoding)", replace(a1, "signature", "sig=:%s:" % url), AAUTH, P0)
    bad("signature-base64url-refused", "Unpadded base64url refused when base64url_signatures=false",
        "RFC 8941 §3.3.5", replace(a1, "signature", "sig=:%s:" % url), "invalid_signature",
        AAUTH, P0, policy={"base64url_signatures": False})
    good("signature-base64-unpadded", "A1 with its standard base64 signature unpadded",
         "RFC 8941 §4.2.7", replace(a1, "signature", "sig=:%s:" % std.rstrip("=")), AAUTH, P0)

    # ---- tampering after signing ----
    for nm, field, val in (("method", "method", "POST"), ("path", "path", "/api/Data"),
                           ("authority", "authority", "resource.example:8443"),
                           ("method-case", "method", "get")):
        m = copy.deepcopy(a1)
        m[field] = val
        bad("tampered-" + nm, "A1 with %s changed to %s" % (field, val), "RFC 9421 §3.2",
            m, "invalid_signature", AAUTH, P0)
    pc = [("created", CREATED - 1)]
    bad("tampered-created", "Signature-Input created changed after signing", "RFC 9421 §3.2",
        replace(a1, "signature-input", "sig=" + sig_params_line(AAUTH, pc)),
        "invalid_signature", AAUTH, pc)
    pc = P0 + [("nonce", "x")]
    bad("tampered-param-added", "Parameter appended to Signature-Input after signing",
        "RFC 9421 §3.2", replace(a1, "signature-input", "sig=" + sig_params_line(AAUTH, pc)),
        "invalid_signature", AAUTH, pc)

    # ---- time ----
    for nm, now, res in (("created-exactly-window-old", CREATED + 60, None),
                         ("created-too-old", CREATED + 61, "invalid_signature"),
                         ("created-exactly-window-ahead", CREATED - 60, None),
                         ("created-too-far-ahead", CREATED - 61, "clock_skew")):
        d = "now = created %+d" % (now - CREATED)
        if res:
            bad(nm, "A1 verified at " + d, "AA §Freshness and Replay; SK-09 §5.4.14", a1, res, AAUTH, P0,
                now=now)
        else:
            good(nm, "A1 verified at " + d + " (boundary accepted)", "AA §Freshness and Replay", a1,
                 AAUTH, P0, now=now)
    good("created-wide-window", "A1 at now = created + 250 with a 300 s window",
         "AA aauth-resource.json signature_window", a1, AAUTH, P0, now=CREATED + 250,
         policy={"window": 300})
    r = base_req()
    sign(r, K1, AAUTH, [("created", -1)])
    bad("created-negative", "created=-1 (hostile value): too old, never a panic",
        "RFC 9421 §2.3; AA §Freshness and Replay", r, "invalid_signature", AAUTH,
        [("created", -1)])
    r = base_req()
    sign(r, K1, AAUTH, [("created", 999999999999999)])
    bad("created-max-integer", "created=999999999999999: far in the future",
        "RFC 8941 §3.3.1; SK-09 §5.4.14", r, "clock_skew", AAUTH, [("created", 999999999999999)])
    r = base_req()
    sign(r, K1, AAUTH, [])
    bad("created-missing-strict", "No created parameter, strict profile", "AA §Freshness and Replay",
        r, "invalid_signature", AAUTH, [])
    good("created-missing-compat", "No created parameter, compat profile",
         "AA §Freshness and Replay (ours: compat accepts no created)", r, AAUTH, [], policy=COMPAT)
    pe = P0 + [("expires", CREATED + 10)]
    r = base_req()
    sign(r, K1, AAUTH, pe)
    bad("expires-past", "expires 20 s before now", "RFC 9421 §2.3, §3.2", r, "invalid_signature",
        AAUTH, pe, now=CREATED + 30)
    good("expires-future", "expires in the future", "RFC 9421 §2.3", r, AAUTH, pe, now=CREATED + 5)
    good("expires-within-max-validity", "expires - created = 10 s, policy caps it at 10 s",
         "RFC 9421 §2.3; ours (policy max_validity)", r, AAUTH, pe, now=CREATED + 5,
         policy={"max_validity": 10})
    bad("expires-beyond-max-validity", "expires - created = 10 s, policy caps it at 9 s",
        "RFC 9421 §2.3; ours (policy max_validity)", r, "invalid_signature", AAUTH, pe,
        now=CREATED + 5, policy={"max_validity": 9})
    pe2 = [("created", CREATED + 20), ("expires", CREATED + 10)]
    r = base_req()
    sign(r, K1, AAUTH, pe2)
    bad("expires-before-created", "expires 10 s before created (both fresh)",
        "RFC 9421 §2.3 (expires after created); SK-09 §5.4.4", r, "invalid_signature", AAUTH,
        pe2, now=CREATED + 5)

    # ---- Content-Digest ----
    cd = AAUTH[:3] + ["content-digest", "signature-key"]
    for nm, dig, res, desc in (
            ("digest-sha512", digest(BODY, "sha-512"), None, "sha-512 Content-Digest matches"),
            ("digest-two-algorithms", digest(BODY) + ", " + digest(BODY, "sha-512"), None,
             "sha-256 and sha-512 both present and matching"),
            ("digest-unsupported-algorithm", "md5=:SaXfzeUzuiMWRDs3q3u1IQ==:", "invalid_signature",
             "Only an md5 digest: no supported algorithm"),
            ("digest-mismatch", digest("other"), "invalid_signature",
             "sha-256 digest of another body"),
            ("digest-malformed", "sha-256=:abc", "invalid_request",
             "Content-Digest that is not a Dictionary"),
            ("digest-not-byte-sequence", 'sha-256="' + digest(BODY)[9:-1] + '"', "invalid_request",
             "sha-256 member is a String, not a Byte Sequence"),
            ("digest-wrong-length", "sha-256=:" + b64std(b"short") + ":", "invalid_signature",
             "sha-256 member of the wrong length"),
            ("digest-two-values-one-algorithm", digest(BODY) + ", sha-256=:" +
             b64std(hashlib.sha256(b"other").digest()) + ":", "invalid_signature",
             "sha-256 given twice with different values (the last wins as a Dictionary)")):
        r = base_req(method="POST", headers=[["Content-Digest", dig]], body=BODY)
        sign(r, K1, cd, P0)
        if res:
            bad(nm, desc, "RFC 9530 §2", r, res, cd, P0)
        else:
            good(nm, desc, "RFC 9530 §2", r, cd, P0)
    r = base_req(method="POST", headers=[["Content-Type", "application/octet-stream"],
                                         ["Content-Digest", digest("\x00\x01binary")]])
    r["body"] = {"base64": b64std(b"\x00\x01binary")}
    sign(r, K1, cd, P0)
    good("digest-binary-body", "Binary body given as base64, digest matches", "RFC 9530 §2",
         r, cd, P0)

    # ---- hwk key problems ----
    def hwk_case(name, desc, params, token, spec="SK-09 §3.4, §7.4", policy=None,
                 ok_pub=None):
        v, rq = sk_item("sig", "hwk", params)
        r = base_req(sk=v)
        sign(r, K1, AAUTH, P0)
        if token == "ok":
            C.add(name, desc, own, spec, r, ok("sig", "hwk", okp_thumbprint(dict(params)["x"]), rq),
                  policy=policy, components=AAUTH, params=P0, verify_pub=ok_pub)
        else:
            bad(name, desc, spec, r, token, AAUTH, P0, policy=policy, rq=rq)

    x = K1.x
    hwk_case("hwk-x-missing", "hwk without x", [("kty", "OKP"), ("crv", "Ed25519"),
                                                ("alg", "Ed25519")], "invalid_key")
    hwk_case("hwk-x-bad-base64url", "hwk x with a character outside base64url",
             [("kty", "OKP"), ("crv", "Ed25519"), ("x", x[:10] + "+" + x[11:]), ("alg", "Ed25519")],
             "invalid_key")
    hwk_case("hwk-x-31-bytes", "hwk x decoding to 31 bytes",
             [("kty", "OKP"), ("crv", "Ed25519"), ("x", b64u(K1.pub[:31])), ("alg", "Ed25519")],
             "invalid_key")
    hwk_case("hwk-x-33-bytes", "hwk x decoding to 33 bytes",
             [("kty", "OKP"), ("crv", "Ed25519"), ("x", b64u(K1.pub + b"\x00")), ("alg", "Ed25519")],
             "invalid_key")
    # one character of x changed: find a valid and an invalid point
    valid_other = invalid = None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for pos in range(0, 42):
        for c in alphabet:
            cand = x[:pos] + c + x[pos + 1:]
            if cand == x:
                continue
            raw = _b64u_dec(cand)
            if b64u(raw) != cand:
                continue
            if ed_point_valid(raw):
                valid_other = valid_other or cand
            else:
                invalid = invalid or cand
        if valid_other and invalid:
            break
    def euler_ok(b):  # independent check: (u/v) must be a square mod p
        y = int.from_bytes(b, "little") & ((1 << 255) - 1)
        x2 = (y * y - 1) * pow(_Dc * y * y + 1, _P - 2, _P) % _P
        return x2 == 0 or pow(x2, (_P - 1) // 2, _P) == 1
    check(ed_point_valid(K1.pub) and ed_point_valid(K2.pub), "point check on known keys")
    check(euler_ok(_b64u_dec(valid_other)) and not euler_ok(_b64u_dec(invalid)),
          "changed-x point validity")
    hwk_case("hwk-x-changed-valid-point", "One character of x changed, still a valid point",
             [("kty", "OKP"), ("crv", "Ed25519"), ("x", valid_other), ("alg", "Ed25519")],
             "invalid_signature")
    hwk_case("hwk-x-not-a-point", "One character of x changed, no longer a curve point",
             [("kty", "OKP"), ("crv", "Ed25519"), ("x", invalid), ("alg", "Ed25519")],
             "invalid_key")
    hwk_case("hwk-with-kid", "A1 plus ;kid=\"k\"", hwk_params + [("kid", "k")], "invalid_key")
    hwk_case("hwk-alg-eddsa", "hwk alg=\"EdDSA\" (forbidden from -08)",
             hwk_params[:3] + [("alg", "EdDSA")], "invalid_key")
    hwk_case("hwk-alg-inconsistent", "OKP/Ed25519 key with alg=\"ES256\"",
             hwk_params[:3] + [("alg", "ES256")], "invalid_key")
    hwk_case("hwk-crv-inconsistent", "kty OKP, crv P-256, alg Ed25519",
             [("kty", "OKP"), ("crv", "P-256"), ("x", x), ("alg", "Ed25519")], "invalid_key")
    hwk_case("hwk-alg-none", "hwk alg=\"none\"", hwk_params[:3] + [("alg", "none")], "invalid_key")
    hwk_case("hwk-unknown-member-ignored", "Unknown JWK member use=\"sig\" is ignored",
             hwk_params + [("use", "sig")], "ok", ok_pub=K1.pub)
    hwk_case("hwk-param-order", "hwk parameters in another order (alg first, x before crv)",
             [("alg", "Ed25519"), ("x", x), ("kty", "OKP"), ("crv", "Ed25519")], "ok",
             ok_pub=K1.pub)
    ec = ec_mod_key()
    hwk_case("hwk-ec-p256-unsupported", "Well-formed EC P-256 hwk key (ES256)",
             [("kty", "EC"), ("crv", "P-256"), ("x", ec[0]), ("y", ec[1]), ("alg", "ES256")],
             "unsupported_algorithm")
    rsa_pub = serialization.load_pem_public_key(RSA_PSS_PEM.encode()).public_numbers()
    hwk_case("hwk-rsa-unsupported", "Well-formed RSA hwk key (PS256)",
             [("kty", "RSA"), ("n", b64u(rsa_pub.n.to_bytes(256, "big"))),
              ("e", b64u(rsa_pub.e.to_bytes(3, "big"))), ("alg", "PS256")],
             "unsupported_algorithm")
    hwk_case("hwk-ed448-unsupported", "Well-formed OKP Ed448 hwk key",
             [("kty", "OKP"), ("crv", "Ed448"), ("x", b64u(hashlib.shake_256(b"ed448").digest(57))),
              ("alg", "Ed448")], "unsupported_algorithm")

    # ---- unsupported schemes ----
    for nm, scheme, params, desc, pol in (
            ("scheme-unknown", "foo", [("a", "b")], "Unknown scheme sig=foo;a=\"b\"", None),
            ("scheme-x509", "x509", [("x5u", "https://agent.example/chain.pem"),
                                     ("x5t", hashlib.sha256(b"leaf").digest())],
             "x509 (not implemented)", None),
            ("scheme-cached", "cached", [("cid", "c-1")], "cached with no cache", None),
            ("scheme-hwk-not-in-allowlist", "hwk", hwk_params,
             "hwk under a policy allowing only jwks_uri", {"schemes": ["jwks_uri"]})):
        v, rq = sk_item("sig", scheme, params)
        r = base_req(sk=v)
        sign(r, K1, AAUTH, P0)
        bad(nm, desc, "SK-09 §3.1, §5.4", r, "unsupported_scheme", AAUTH, P0, rq=rq, policy=pol)


def ec_mod_key():
    k = ec.derive_private_key(0x1D2C3B4A59687786, ec.SECP256R1())
    n = k.public_key().public_numbers()
    return b64u(n.x.to_bytes(32, "big")), b64u(n.y.to_bytes(32, "big"))


def make_jwt(header, payload, key=None, alg=None, hmac_key=None, raw_header=None):
    h = raw_header if raw_header is not None else b64u(cjson(header).encode())
    si = h + "." + b64u(cjson(payload).encode())
    if hmac_key is not None:
        return si + "." + b64u(hmac.new(hmac_key, si.encode(), hashlib.sha256).digest())
    if key is None:
        return si + "."
    return si + "." + b64u(key.sign(si))


def tokens(K1, K2, py020, py012):
    C = Cases()
    T1 = K1.thumbprint()
    own = "own signer"
    ISS = "https://agent.example"
    META = {"issuer": ISS, "jwks_uri": ISS + "/.well-known/jwks.json"}
    JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ap-key-1", "alg": "Ed25519",
                      "x": K2.x}]}
    JKEY = {"type": "jwt_issuer", "metadata": META, "jwks": JWKS}
    HDR = {"alg": "Ed25519", "kid": "ap-key-1", "typ": "aa-agent+jwt"}
    PAY = {"iss": ISS, "dwk": "aauth-agent.json", "sub": "aauth:assistant@agent.example",
           "jti": "at-1", "iat": 1730217000, "exp": 1730220600,
           "cnf": {"jwk": K1.jwk()}}
    a3c = ["@method", "@authority", "@path", "content-type", "content-digest", "signature-key"]
    P0 = [("created", CREATED)]

    # A3, exact bytes
    tok = make_jwt(HDR, PAY, K2)
    check(tok == A3_JWT, "A3 token bytes not reproduced")

    def jwt_request(token, scheme="jwt", post=True, key=K1, created=CREATED, label="sig",
                    extra_params=()):
        v, rq = sk_item(label, scheme, [("jwt", token)] + list(extra_params))
        if post:
            r = request("POST", RES, "/api/data", None, "https",
                        [["Content-Type", "application/json"], ["Content-Digest", DIGEST256],
                         ["Signature-Key", v]], BODY)
            comps = a3c
        else:
            r = request("GET", RES, "/api/data", None, "https", [["Signature-Key", v]])
            comps = AAUTH
        params = [("created", created)]
        base, sig = sign(r, key, comps, params, label=label)
        return r, rq, comps, params, base, sig

    r, rq, comps, params, base, sig = jwt_request(tok)
    check_documented("A3", base, K1, enc_sig(sig, "std"))
    tinfo = {"typ": "aa-agent+jwt", "iss": ISS, "sub": PAY["sub"]}

    def good(name, desc, prov, spec, r, rq, comps, params, key=JKEY, policy=None, now=CREATED,
             kid="ap-key-1", scheme="jwt", info=tinfo):
        C.add(name, desc, prov, spec, r,
              ok("sig", scheme, T1, rq, kid=kid, created=dict(params).get("created"),
                 token=info),
              policy=policy, now=now, key=key, components=comps, params=params,
              verify_pub=K1.pub)

    def bad(name, desc, prov, spec, r, rq, comps, params, token, key=JKEY, policy=None,
            now=CREATED, scheme="jwt"):
        C.add(name, desc, prov, spec, r, err(token, rq, "sig", scheme), policy=policy, now=now,
              key=key, components=comps, params=params)

    SP = "SK-09 §3.8; AA §Agent Tokens"
    good("jwt-a3", "AAuth agent token (aa-agent+jwt, Ed25519) on a POST with Content-Digest",
         "set A3", SP, r, rq, comps, params)
    good("jwt-a3-compat", "A3 under the compat profile", "set A3", SP, r, rq, comps,
         params, policy=COMPAT)
    good("jwt-a3-allowlist-jwt", "A3 under the AAuth agent policy (schemes = [jwt])",
         "set A3", SP, r, rq, comps, params, policy={"schemes": ["jwt"]})
    bad("jwt-a3-scheme-not-allowed", "A3 under a policy allowing only hwk", "set A3",
        "SK-09 §3.1", r, rq, comps, params, "unsupported_scheme", policy={"schemes": ["hwk"]})
    bad("jwt-a3-issuer-mismatch", "A3 with metadata issuer https://evil.example",
        "set A3 negatives", "AA §Metadata Documents", r, rq, comps, params, "issuer_mismatch",
        key=dict(JKEY, metadata=dict(META, issuer="https://evil.example")))
    bad("jwt-a3-issuer-missing", "A3 with metadata lacking issuer", "set A3 / own",
        "AA §Metadata Documents", r, rq, comps, params, "issuer_missing",
        key=dict(JKEY, metadata={"jwks_uri": META["jwks_uri"]}))
    bad("jwt-a3-unknown-kid", "A3 with an issuer JWKS lacking ap-key-1", "set A3 negatives",
        SP, r, rq, comps, params, "unknown_key",
        key=dict(JKEY, jwks={"keys": [dict(JWKS["keys"][0], kid="ap-key-2")]}))
    bad("jwt-a3-wrong-issuer-key", "A3 with ap-key-1 bound to another key in the JWKS",
        "set A3 / own", SP, r, rq, comps, params, "invalid_jwt",
        key=dict(JKEY, jwks={"keys": [dict(JWKS["keys"][0], x=K1.x)]}))
    m = copy.deepcopy(r)
    m["body"] = "other"
    bad("jwt-a3-body-mismatch", "A3 with a body not matching Content-Digest",
        "set A3 / own", "RFC 9530 §2", m, rq, comps, params, "invalid_signature")

    # A3 at exp: re-signed with created = now so only the token is stale
    r2, rq2, c2, p2, _, _ = jwt_request(tok, created=1730220600)
    bad("jwt-a3-expired", "A3 token at now = exp (request re-signed at that time)",
        "set A3 negatives", SP, r2, rq2, c2, p2, "expired_jwt", now=1730220600)
    r2, rq2, c2, p2, _, _ = jwt_request(tok, created=1730220599)
    good("jwt-a3-last-second", "A3 token at now = exp - 1", "set A3", SP, r2, rq2, c2,
         p2, now=1730220599)
    r2, rq2, c2, p2, _, _ = jwt_request(tok, key=K2)
    bad("jwt-a3-request-not-signed-by-cnf", "Request signed by the issuer key, not cnf.jwk",
        own, SP, r2, rq2, c2, p2, "invalid_signature")

    # token edits: each re-wrapped in a freshly signed request so only the JWT is wrong
    hb, pb, sb = tok.split(".")
    flip = _b64u_dec(sb)
    flip = bytes([flip[0] ^ 1]) + flip[1:]
    edits = [
        ("jwt-tampered-payload", "Payload jti changed, issuer signature kept",
         hb + "." + b64u(cjson(dict(PAY, jti="at-2")).encode()) + "." + sb, "invalid_jwt"),
        ("jwt-tampered-header", "Header re-encoded with another member order, signature kept",
         b64u(cjson({"typ": "aa-agent+jwt", "alg": "Ed25519", "kid": "ap-key-1"}).encode())
         + "." + pb + "." + sb, "invalid_jwt"),
        ("jwt-tampered-signature", "One bit of the JWS signature flipped",
         hb + "." + pb + "." + b64u(flip), "invalid_jwt"),
        ("jwt-wrong-issuer-key", "Token signed by the request key instead of the issuer key",
         make_jwt(HDR, PAY, K1), "invalid_jwt"),
        ("jwt-alg-none", "Unsecured token, alg none",
         make_jwt(dict(HDR, alg="none"), PAY), "invalid_jwt"),
        ("jwt-alg-hs256", "HS256 token keyed with the issuer's public x",
         make_jwt(dict(HDR, alg="HS256"), PAY, hmac_key=K2.pub), "invalid_jwt"),
        ("jwt-typ-jwt", "typ JWT", make_jwt(dict(HDR, typ="JWT"), PAY, K2), "invalid_jwt"),
        ("jwt-typ-missing", "No typ header", make_jwt({"alg": "Ed25519", "kid": "ap-key-1"}, PAY, K2),
         "invalid_jwt"),
        ("jwt-typ-legacy-strict", "Legacy typ agent+jwt, strict",
         make_jwt(dict(HDR, typ="agent+jwt"), PAY, K2), "invalid_jwt"),
        ("jwt-cnf-missing", "No cnf claim",
         make_jwt(HDR, {k: v for k, v in PAY.items() if k != "cnf"}, K2), "invalid_jwt"),
        ("jwt-cnf-jwk-missing", "cnf without jwk",
         make_jwt(HDR, dict(PAY, cnf={"jkt": T1}), K2), "invalid_jwt"),
        ("jwt-exp-missing", "No exp claim",
         make_jwt(HDR, {k: v for k, v in PAY.items() if k != "exp"}, K2), "invalid_jwt"),
        ("jwt-eddsa-strict", "Token with alg EdDSA, strict profile",
         make_jwt(dict(HDR, alg="EdDSA"), PAY, K2), "invalid_jwt"),
        ("jwt-malformed-two-parts", "Token with two parts", hb + "." + pb, "invalid_jwt"),
        ("jwt-malformed-payload", "Payload segment not base64url JSON",
         hb + ".bm90IGpzb24." + sb, "invalid_jwt"),
    ]
    for name, desc, t, token in edits:
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        bad(name, desc, own, SP, r2, rq2, c2, p2, token)
    # Not yet valid: iat / nbf beyond the signature window (SK-09 bounds iat with the window).
    for name, desc, t, token in (
            ("jwt-iat-future", "iat 120 s ahead of now (window 60 s): clock skew",
             make_jwt(HDR, dict(PAY, iat=CREATED + 120), K2), "clock_skew"),
            ("jwt-nbf-future", "nbf 120 s ahead of now (window 60 s)",
             make_jwt(HDR, dict(PAY, nbf=CREATED + 120), K2), "invalid_jwt")):
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        bad(name, desc, own, SP + "; RFC 7519 §4.1.5, §4.1.6", r2, rq2, c2, p2, token)
    r2, rq2, c2, p2, _, _ = jwt_request(make_jwt(HDR, dict(PAY, iat=CREATED + 30), K2),
                                        post=False)
    good("jwt-iat-within-window", "iat 30 s ahead of now, inside the 60 s window", own,
         SP + "; RFC 7519 §4.1.6", r2, rq2, c2, p2)

    # The token's iss and dwk are fetched ({iss}/.well-known/{dwk}): spec forms only.
    for name, desc, t in (
            ("jwt-iss-with-path", "Agent token whose iss has a path",
             make_jwt(HDR, dict(PAY, iss=ISS + "/tenant"), K2)),
            ("jwt-iss-uppercase", "Agent token whose iss host is not lowercase",
             make_jwt(HDR, dict(PAY, iss="https://Agent.example"), K2)),
            ("jwt-dwk-path", "Agent token whose dwk names a path",
             make_jwt(HDR, dict(PAY, dwk="../admin"), K2))):
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        bad(name, desc, own, SP + "; SK-09 §7.3; AAuth §Server Identifiers", r2, rq2, c2, p2,
            "invalid_jwt")

    # AAuth -11: token types fail closed; iat is REQUIRED on AAuth tokens (SK-09 §3.8 step 2;
    # AAuth §Person Token, §Agent Tokens).
    TSP = SP + "; AAuth §Person Token Verification (a person token is never an agent token)"
    for name, desc, t in (
            ("jwt-typ-auth-token", "aa-auth+jwt where an agent token is required",
             make_jwt(dict(HDR, typ="aa-auth+jwt"), PAY, K2)),
            ("jwt-typ-person-token", "aa-person+jwt where an agent token is required",
             make_jwt(dict(HDR, typ="aa-person+jwt"), PAY, K2))):
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        bad(name, desc, own, TSP, r2, rq2, c2, p2, "invalid_jwt")
        bad(name + "-compat", desc + ", compat profile", own, TSP, r2, rq2, c2, p2,
            "invalid_jwt", policy=COMPAT)
    r2, rq2, c2, p2, _, _ = jwt_request(
        make_jwt(HDR, {k: v for k, v in PAY.items() if k != "iat"}, K2), post=False)
    bad("jwt-iat-missing", "Agent token without iat (REQUIRED on AAuth tokens)", own,
        SP + "; AAuth §Agent Token Structure", r2, rq2, c2, p2, "invalid_jwt")
    bad("jwt-iat-missing-compat", "Agent token without iat, compat profile", own,
        SP + "; AAuth §Agent Token Structure", r2, rq2, c2, p2, "invalid_jwt", policy=COMPAT)
    # The JWT alg must agree with the alg of the issuer key that verifies it (SK-09 §3.3).
    eddsa_tok = make_jwt(dict(HDR, alg="EdDSA"), PAY, K2)
    r2, rq2, c2, p2, _, _ = jwt_request(eddsa_tok, post=False)
    bad("jwt-alg-disagrees-with-key", "alg EdDSA token, issuer key declared alg Ed25519, compat",
        own, SP + "; SK-09 §3.3", r2, rq2, c2, p2, "invalid_jwt", policy=COMPAT)
    # Revocation (SK-09 §5.4.13): the token verifies, but its issuer withdrew (iss, jti).
    r, rq, comps, params, base, sig = jwt_request(tok)
    RSP = "SK-09 §5.4.13; AAuth §Token Revocation"
    bad("jwt-a3-revoked", "A3 whose (iss, jti) the verifier holds as withdrawn", own, RSP, r, rq,
        comps, params, "revoked_jwt", policy={"revoked": [[ISS, "at-1"]]})
    good("jwt-a3-other-token-revoked", "A3 while another token of the issuer is withdrawn",
         own, RSP, r, rq, comps, params, policy={"revoked": [[ISS, "at-2"],
                                                            ["https://other.example", "at-1"]]})

    legacy_jwks = {"keys": [K2.jwk(alg=False, kid="ap-key-1")]}
    for name, desc, t, key in (
            ("jwt-typ-legacy-compat", "Legacy typ agent+jwt under compat",
             make_jwt(dict(HDR, typ="agent+jwt"), PAY, K2), JKEY),
            ("jwt-eddsa-compat", "alg EdDSA token, alg-less issuer JWKS key, compat",
             make_jwt(dict(HDR, alg="EdDSA"), PAY, K2), dict(JKEY, jwks=legacy_jwks))):
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        info = dict(tinfo, typ=json.loads(_b64u_dec(t.split(".")[0]))["typ"])
        good(name, desc, own, SP + "; SK-09 §7.4", r2, rq2, c2, p2, key=key,
             policy=COMPAT, info=info)

    # Set V5: aauth-signing 0.1.2, EdDSA
    v5_v, v5_rq = sk_item("sig", "jwt", [("jwt", V5_JWT)])
    r = request("POST", SCA, "/", None, "http", [["Signature-Key", v5_v]])
    base, sig = sign(r, K1, AAUTH, P0, enc="url")
    check_documented("V5", base, K1, enc_sig(sig, "url"))
    vh, vp, vs = V5_JWT.split(".")
    check(ed_verify(K2.pub, _b64u_dec(vs), vh + "." + vp), "V5 token signature")
    v5p = json.loads(_b64u_dec(vp))
    v5key = {"type": "jwt_issuer",
             "metadata": {"issuer": "https://agent-server.example",
                          "jwks_uri": "https://agent-server.example/.well-known/jwks.json"},
             "jwks": {"keys": [K2.jwk(alg=False, kid="as-key-1")]}}
    good("jwt-v5-eddsa-compat", "set V5: aauth-signing 0.1.2 agent token (EdDSA), compat",
         "set V5", SP, r, v5_rq, AAUTH, P0, key=v5key, policy=COMPAT, kid="as-key-1",
         info={"typ": "aa-agent+jwt", "iss": v5p["iss"], "sub": v5p["sub"]})
    bad("jwt-v5-eddsa-strict", "set V5 under strict: EdDSA forbidden", "set V5", SP, r,
        v5_rq, AAUTH, P0, "invalid_jwt", key=v5key)

    # Fresh aauth-signing 0.2.0 agent tokens and signatures
    outs = run_worker(py020, [
        {"op": "agent_token", "now": CREATED - 60, "iss": ISS, "sub": "aauth:fresh@agent.example",
         "cnf_jwk": K1.jwk(), "issuer_secret_hex": K2_SECRET, "kid": "ap-key-1",
         "exp": CREATED + 3540, "jti": "00000000-0000-4000-8000-000000000001"}])
    ftok = outs[0]["token"]
    fh = json.loads(_b64u_dec(ftok.split(".")[0]))
    check(fh["alg"] == "Ed25519" and fh["typ"] == "aa-agent+jwt", "0.2.0 token header")
    check(ed_verify(K2.pub, _b64u_dec(ftok.split(".")[2]), ftok.rsplit(".", 1)[0]),
          "0.2.0 token signature")
    specs = [("jwt-aauth-signing-020-get", "GET", "https://resource.example/api/data", {}, None,
              None),
             ("jwt-aauth-signing-020-post-digest", "POST", "https://resource.example/api/items?x=1",
              {"Content-Type": "application/json"}, '{"item": 1}', ["content-type", "content-digest"])]
    souts = run_worker(py020, [{"op": "sign", "now": CREATED, "d": K1.d, "method": m, "uri": u,
                                "headers": h, "body": b, "scheme": "jwt",
                                "kwargs": {"jwt": ftok}, "additional": add}
                               for (_, m, u, h, b, add) in specs])
    vtasks = []
    for (name, m, u, h, b, add), o in zip(specs, souts):
        res = o["result"]
        r = lib_request(m, u, res, o["headers"], b)
        label, comps, params = parse_own_si(res["Signature-Input"])
        base = build_base(r, comps, params)
        check(base == o["base"], name + ": our base differs from aauth-signing's")
        rq = {"scheme": "jwt", "jwt": ftok}
        check(res["Signature-Key"] == 'sig=jwt;jwt="%s"' % ftok, name + ": Signature-Key form")
        good(name, "aauth-signing %s agent token and request signature (%s)" % (o["version"], m),
             "generated by aauth-signing %s" % o["version"], SP, r, rq, comps, params,
             info={"typ": "aa-agent+jwt", "iss": ISS, "sub": "aauth:fresh@agent.example"})
        vtasks.append({"op": "verify", "now": CREATED, "method": m, "uri": u,
                       "headers": {k: v for k, v in r["headers"]}, "body": b, "jwks": JWKS,
                       "name": name})
    for t, o in zip(vtasks, run_worker(py020, vtasks)):
        check(o["ok"], "aauth-signing does not verify %s: %s" % (t["name"], o["error"]))

    # jkt-jwt (SK-09 §3.5): self-issued delegation from the header jwk to cnf.jwk
    def jkt(name, desc, token, header=None, payload=None, key=K2, h=hashlib.sha256,
            res="ok", extra=(), req_key=K1):
        hd = {"alg": "Ed25519", "typ": "jkt-s256+jwt", "jwk": K2.jwk()}
        hd.update(header or {})
        pl = {"iss": "urn:jkt:%s:%s" % ("sha-256" if h is hashlib.sha256 else "sha-512",
                                         K2.thumbprint(h)),
              "iat": CREATED - 60, "exp": CREATED + 3600, "cnf": {"jwk": K1.jwk()}}
        pl.update(payload or {})
        for d in (hd, pl):
            for k in [k for k, v in d.items() if v is None]:
                del d[k]
        t = token or make_jwt(hd, pl, key)
        r, rq, comps, params, _, _ = jwt_request(t, scheme="jkt-jwt", post=False, key=req_key,
                                                 extra_params=extra)
        spec = "SK-09 §3.5"
        if res == "ok":
            grant = None
            if ("cache", True) in list(extra) and "jti" in pl:
                # ;cache with a jti: the verifier may issue a cache identifier (SK-09 §6).
                grant = {"scheme": "jkt-jwt", "jti": pl["jti"], "exp": pl["exp"]}
            C.add(name, desc, own, spec, r,
                  ok("sig", "jkt-jwt", T1, rq, kid=None, created=dict(params).get("created"),
                     token={"typ": hd["typ"], "iss": pl["iss"], "sub": None}, cache=grant),
                  key={"type": "inline"}, components=comps, params=params,
                  verify_pub=K1.pub)
        else:
            bad(name, desc, own, spec, r, rq, comps, params, res, key={"type": "inline"},
                scheme="jkt-jwt")

    jkt("jkt-jwt-s256", "jkt-jwt delegation (jkt-s256+jwt) from an enclave key to the request key",
        None)
    jkt("jkt-jwt-s512", "jkt-jwt with typ jkt-s512+jwt and a SHA-512 thumbprint iss", None,
        header={"typ": "jkt-s512+jwt"}, h=hashlib.sha512)
    jkt("jkt-jwt-s512-with-sha256-iss", "typ jkt-s512+jwt but iss uses the SHA-256 thumbprint",
        None, header={"typ": "jkt-s512+jwt"}, res="invalid_jwt")
    jkt("jkt-jwt-iss-mismatch", "iss names the thumbprint of another key", None,
        payload={"iss": "urn:jkt:sha-256:" + T1}, res="invalid_jwt")
    jkt("jkt-jwt-typ-wrong", "jkt-jwt carrying typ aa-agent+jwt", None,
        header={"typ": "aa-agent+jwt"}, res="invalid_jwt")
    jkt("jkt-jwt-sub-present", "jkt-jwt with a sub claim", None,
        payload={"sub": "aauth:x@agent.example"}, res="invalid_jwt")
    jkt("jkt-jwt-jti-without-cache", "jti present without ;cache", None, payload={"jti": "j-1"},
        res="invalid_jwt")
    jkt("jkt-jwt-iat-missing", "iat missing", None, payload={"iat": None}, res="invalid_jwt")
    jkt("jkt-jwt-exp-missing", "exp missing", None, payload={"exp": None}, res="invalid_jwt")
    jkt("jkt-jwt-expired", "exp = now", None, payload={"exp": CREATED}, res="expired_jwt")
    jkt("jkt-jwt-signed-by-other-key", "Token signed by a key other than the header jwk", None,
        key=K1, res="invalid_jwt")
    jkt("jkt-jwt-cnf-missing", "No cnf claim", None, payload={"cnf": None}, res="invalid_jwt")
    jkt("jkt-jwt-request-not-signed-by-cnf", "Request signed by the header jwk, not cnf.jwk",
        None, req_key=K2, res="invalid_signature")
    jkt("jkt-jwt-jti-with-cache", "jti present with ;cache on the Signature-Key member", None,
        payload={"jti": "j-1"}, extra=[("cache", True)])
    jkt("jkt-jwt-header-jwk-missing", "No jwk header", None, header={"jwk": None},
        res="invalid_jwt")
    jkt("jkt-jwt-alg-eddsa-strict", "jkt-jwt with alg EdDSA, strict", None,
        header={"alg": "EdDSA"}, res="invalid_jwt")

    # The cached scheme (SK-09 §3.11, §6): a jkt-jwt presented with ;cache and a jti may be
    # answered with a cache identifier; later requests send sig=cached;cid="...", which the host
    # resolves to the assertion, validated exactly as if presented in full.
    CSP = "SK-09 §3.11, §6, §6.1"
    ALLC = ["hwk", "jwks_uri", "jwks", "jwt", "jkt-jwt", "self-jwt", "cached"]
    CID = "q6urq6urq6urq6urq6urqw"
    c_hd = {"alg": "Ed25519", "typ": "jkt-s256+jwt", "jwk": K2.jwk()}
    c_pl = {"iss": "urn:jkt:sha-256:" + K2.thumbprint(), "iat": CREATED - 60,
            "exp": CREATED + 3600, "cnf": {"jwk": K1.jwk()}, "jti": "j-1"}
    c_tok = make_jwt(c_hd, c_pl, K2)
    r, rq, comps, params, _, _ = jwt_request(c_tok, scheme="jkt-jwt", post=False,
                                             extra_params=[("cache", True)])
    cv, crq = sk_item("sig", "cached", [("cid", CID)])
    r = request("GET", RES, "/api/data", None, "https", [["Signature-Key", cv]])
    base, _ = sign(r, K1, AAUTH, P0)
    c_ident = {"scheme": "cached", "agent": c_pl["iss"], "issuer": c_pl["iss"], "subject": None,
               "kid": None, "thumbprint": T1}
    akey = {"type": "assertion", "scheme": "jkt-jwt", "assertion": c_tok}
    C.add("cached-jkt-jwt-hit", "sig=cached;cid=...: the host resolves the cid to the cached "
          "jkt-jwt, which is validated as if presented in full", own, CSP, r,
          ok("sig", "cached", T1, crq, kid=None,
             token={"typ": "jkt-s256+jwt", "iss": c_pl["iss"], "sub": None}, identity=c_ident),
          key=akey, components=AAUTH, params=P0, verify_pub=K1.pub, policy={"schemes": ALLC})
    C.add("cached-miss", "sig=cached;cid=...: the host does not hold the cid (evicted, unknown)",
          own, CSP + "; §5.4.3", r, err("cache_miss", crq, "sig", "cached"),
          key={"type": "assertion", "scheme": "jkt-jwt", "assertion": None},
          components=AAUTH, params=P0, policy={"schemes": ALLC})
    C.add("cached-not-implemented", "sig=cached under a policy without assertion caching",
          own, CSP + "; §6.2 (unsupported_scheme)", r, err("unsupported_scheme", crq, "sig",
                                                           "cached"),
          key=akey, components=AAUTH, params=P0)
    e_pl = dict(c_pl, exp=CREATED - 1)
    e_tok = make_jwt(c_hd, e_pl, K2)
    C.add("cached-resolved-but-expired", "the cid resolves, but the assertion has expired: its "
          "own error, never cache_miss", own, CSP + " (resolution and validation are distinct)",
          r, err("expired_jwt", crq, "sig", "cached"),
          key={"type": "assertion", "scheme": "jkt-jwt", "assertion": e_tok},
          components=AAUTH, params=P0, policy={"schemes": ALLC})
    # A cached agent token (jwt): the resolved assertion still needs its issuer's keys.
    a_pl = dict(PAY, jti="at-cache-1")
    a_tok = make_jwt(HDR, a_pl, K2)
    C.add("cached-jwt-hit", "sig=cached resolving to an agent token (jwt): issuer metadata and "
          "JWKS as for the token in full", own, CSP, r,
          ok("sig", "cached", T1, crq, kid="ap-key-1",
             token={"typ": "aa-agent+jwt", "iss": ISS, "sub": PAY["sub"]},
             identity={"scheme": "cached", "agent": PAY["sub"], "issuer": ISS,
                       "subject": PAY["sub"], "kid": "ap-key-1", "thumbprint": T1}),
          key=dict(JKEY, type="assertion", scheme="jwt", assertion=a_tok),
          components=AAUTH, params=P0, verify_pub=K1.pub, policy={"schemes": ALLC})

    # Identity text with control characters (CR, LF, NUL, DEL) after JSON unescaping: hosts
    # copy kid/iss/sub into header fields and log lines, so such a token is refused before
    # anything reads it (the nginx finding: "kid":"x\r\nX-AAuth-Agent: ..." reached the
    # upstream as a header of its own).
    CTL = "SK-09 §5.4.10 (invalid_jwt); RFC 9110 §5.5 (no CR, LF or NUL in field values)"
    jkt("jkt-jwt-kid-crlf", "jkt-jwt whose header kid carries CRLF and a forged header line",
        None, header={"kid": "x\r\nX-AAuth-Agent: https://admin.example"}, res="invalid_jwt")
    jkt("jkt-jwt-kid-smuggled-request", "jkt-jwt whose kid carries a whole second request",
        None, header={"kid": "x\r\nContent-Length: 0\r\n\r\nDELETE /admin/users/42 "
                             "HTTP/1.1\r\nHost: internal\r\n\r\n"}, res="invalid_jwt")
    raw_del = make_jwt(HDR, dict(PAY, sub="aauth:x\x7f@agent.example"), K2)
    hb2, pb2, _ = raw_del.split(".")
    raw_pay = cjson(dict(PAY, sub="aauth:x\x7f@agent.example")).replace("\\u007f", "\x7f")
    check("\x7f" in raw_pay, "raw DEL in the payload")
    pb2 = b64u(raw_pay.encode())
    raw_del = hb2 + "." + pb2 + "." + b64u(K2.sign(hb2 + "." + pb2))
    for name, desc, t in (
            ("jwt-sub-nul", "Agent token whose sub carries an escaped NUL",
             make_jwt(HDR, dict(PAY, sub="aauth:x\u0000@agent.example"), K2)),
            ("jwt-sub-del-raw", "Agent token whose sub carries a raw DEL (valid JSON)", raw_del),
            ("jwt-iss-lf", "Agent token whose iss carries an escaped LF",
             make_jwt(HDR, dict(PAY, iss=ISS + "\n"), K2)),
            ("jwt-kid-cr", "Agent token whose header kid carries an escaped CR",
             make_jwt(dict(HDR, kid="ap-key-1\r"), PAY, K2)),
            ("jwt-typ-tab", "Agent token whose typ carries a TAB",
             make_jwt(dict(HDR, typ="aa-agent+jwt\t"), PAY, K2)),
            ("jwt-scope-ctl", "Agent token whose scope carries an escaped control character",
             make_jwt(HDR, dict(PAY, scope="read\u001bwrite"), K2)),
            ("jwt-aud-crlf", "Agent token whose aud array carries CRLF",
             make_jwt(HDR, dict(PAY, aud=["https://resource.example", "x\r\ny"]), K2))):
        r2, rq2, c2, p2, _, _ = jwt_request(t, post=False)
        bad(name, desc, own, CTL, r2, rq2, c2, p2, "invalid_jwt")
    r2, rq2, c2, p2, _, _ = jwt_request(tok)
    bad("jwt-a3-jwks-uri-crlf", "A3 with a metadata jwks_uri that carries CRLF (the host would "
        "fetch it)", own, "SK-09 §5.4.7 (invalid_key); RFC 9110 §5.5", r2, rq2, c2, p2,
        "invalid_key", key=dict(JKEY, metadata=dict(META, jwks_uri=META["jwks_uri"] +
                                                    "\r\nX-Injected: 1")))

    # self-jwt (SK-06+ §3.7): the issuer key signs both the token and the request; no cnf.
    SHDR = {"alg": "Ed25519", "kid": "ap-key-1", "typ": "aa-agent+jwt"}
    SPAY = {"iss": ISS, "dwk": "aauth-agent.json", "sub": "aauth:assistant@agent.example",
            "iat": CREATED - 60, "exp": CREATED + 3600}
    SSP = "SK-09 §3.7"
    for name, desc, t, req_key, res in (
            ("self-jwt-ok", "self-jwt: the issuer key signs the token and the request",
             make_jwt(SHDR, SPAY, K2), K2, "ok"),
            ("self-jwt-request-signed-by-other-key", "self-jwt whose request is signed by another key",
             make_jwt(SHDR, SPAY, K2), K1, "invalid_signature"),
            ("self-jwt-with-cnf", "self-jwt carrying a cnf claim",
             make_jwt(SHDR, dict(SPAY, cnf={"jwk": K1.jwk()}), K2), K2, "invalid_jwt"),
            ("self-jwt-token-signed-by-other-key", "self-jwt token not signed by the issuer key",
             make_jwt(SHDR, SPAY, K1), K2, "invalid_jwt")):
        r2, rq2, c2, p2, _, _ = jwt_request(t, scheme="self-jwt", post=False, key=req_key)
        if res == "ok":
            C.add(name, desc, own, SSP, r2,
                  ok("sig", "self-jwt", K2.thumbprint(), rq2, kid="ap-key-1", created=CREATED,
                     token={"typ": "aa-agent+jwt", "iss": ISS, "sub": SPAY["sub"]}),
                  key=JKEY, components=c2, params=p2, verify_pub=K2.pub)
        else:
            bad(name, desc, own, SSP, r2, rq2, c2, p2, res, scheme="self-jwt")
    return C


if __name__ == "__main__":
    main()
