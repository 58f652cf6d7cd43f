"""The shared vectors (tests/vectors/*.json) through the native layer and through Verifier."""

from __future__ import annotations

import json

import pytest

from aauth_verify import Key, StaticKeys, VerificationError, Verifier, _native
from conftest import body_of, load_cases

SIGNATURES = load_cases("signatures.json")
TOKENS = load_cases("tokens.json")

COMPAT_FLAGS = dict(legacy_signature_key=True, alg_less_keys=True, eddsa=True,
                    missing_created=True, legacy_metadata=True)


def policy_of(p):
    p = p or {}
    compat = p.get("profile") == "compat"
    return _native.NativePolicy(
        window=p.get("window", 60),
        required=p.get("required_components"),
        require_signature_key=p.get("require_signature_key", True),
        schemes=p.get("schemes"),
        base64url_signatures=p.get("base64url_signatures", True),
        jwt_types=["aa-agent+jwt", "agent+jwt"] if compat else None,
        **(COMPAT_FLAGS if compat else {}),
    )


def request_of(r):
    return _native.NativeRequest(
        r["method"], r["scheme"], r["authority"], r["path"], r["query"],
        [tuple(h) for h in r["headers"]], body_of(r),
    )


def source_of(case, policy):
    k = case["key"]
    req_alg, eddsa = policy.key_rules
    t = k["type"]
    if t == "inline":
        return None
    if t == "raw_ed25519":
        return Key.from_raw(_b64url(k["x"]))
    if t == "jwk":
        return Key.from_jwk(json.dumps(k["jwk"]).encode(), req_alg, eddsa)
    if t in ("jwks", "jwt_issuer"):
        meta = k.get("metadata")
        return ("jwks", json.dumps(k["jwks"]).encode(),
                json.dumps(meta).encode() if meta is not None else None)
    raise AssertionError(t)


def _b64url(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def run_native(case):
    policy = policy_of(case.get("policy"))
    req = request_of(case["request"])
    label = (case.get("policy") or {}).get("label")
    try:
        info = _native.inspect(req, policy, case["now"], label)
        if "base" in case["expect"]:
            try:
                base = _native.signature_base(req, policy, case["now"], label)
                assert base.decode() == case["expect"]["base"]
            except VerificationError:
                assert case["expect"]["result"] != "ok"
        return _native.verify(req, policy, case["now"], source_of(case, policy), label), info
    except VerificationError as e:
        return e, None


def check(case, out):
    exp = case["expect"]
    if exp["result"] == "ok":
        assert not isinstance(out, Exception), f"want ok, got {out!r}"
        if exp.get("label"):
            assert out["label"] == exp["label"]
        if exp.get("scheme"):
            assert exp["scheme"] in (out["scheme"], out["scheme"] and out["scheme"].replace("legacy-", ""))
        if exp.get("thumbprint"):
            assert out["thumbprint"] == exp["thumbprint"]
        if exp.get("kid"):
            got = out["token"]["kid"] if out.get("token") else out["kid"]
            assert got == exp["kid"]
        if exp.get("created") is not None:
            assert out["created"] == exp["created"]
        if exp.get("token"):
            for k in ("typ", "iss", "sub"):
                if k in exp["token"]:
                    assert out["token"][k] == exp["token"][k]
    else:
        assert isinstance(out, VerificationError), f"want {exp.get('error')}, verified"
        if exp.get("error"):
            assert out.code == exp["error"], out
        assert out.signature_error.startswith(f"error={out.code}")


@pytest.mark.parametrize("case", SIGNATURES + TOKENS, ids=lambda c: c["name"])
def test_native(case):
    out, _ = run_native(case)
    check(case, out)


def _documents(case):
    """The HTTP documents a resolver would fetch for this case, keyed by URL (or None)."""
    k = case["key"]
    if k["type"] not in ("jwks", "jwt_issuer"):
        return None
    meta = k.get("metadata")
    policy = policy_of(case.get("policy"))
    req = request_of(case["request"])
    try:
        info = _native.inspect(req, policy, case["now"], (case.get("policy") or {}).get("label"))
    except VerificationError:
        return {}
    need = info["requirement"]
    docs = {}
    if need["kind"] == "jwks":
        docs[need["url"]] = k["jwks"]
        return docs
    if need["kind"] == "legacy-jwks" and need.get("jwks"):
        docs[need["jwks"]] = k["jwks"]
        return docs
    if need["kind"] in ("jwt", "self-jwt"):
        ident, dwk = info["token"]["iss"], info["token"]["dwk"]
    elif need["kind"] == "jwks_uri":
        ident, dwk = need["id"], need["dwk"]
    elif need["kind"] == "legacy-jwks":
        ident, dwk = need["id"], need.get("well_known") or "aauth-agent.json"
    else:
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("jwks_uri"), str):
        return None  # no way to express "metadata absent/broken" as fetchable documents
    docs[f"{ident.rstrip('/')}/.well-known/{dwk}"] = meta
    docs[meta["jwks_uri"]] = k["jwks"]
    return docs


VERIFIER_CASES = [c for c in SIGNATURES + TOKENS
                  if c["key"]["type"] in ("inline", "jwks", "jwt_issuer")]


@pytest.mark.parametrize("case", VERIFIER_CASES, ids=lambda c: c["name"])
def test_verifier(case):
    docs = _documents(case)
    if docs is None and case["key"]["type"] != "inline":
        pytest.skip("key material not expressible as documents")
    p = case.get("policy") or {}
    r = case["request"]
    v = Verifier(
        authority=r["authority"], scheme=r["scheme"], profile=p.get("profile", "strict"),
        window=p.get("window", 60), required_components=p.get("required_components"),
        schemes=p.get("schemes"), require_signature_key=p.get("require_signature_key", True),
        base64url_signatures=p.get("base64url_signatures", True), label=p.get("label"),
        resolver=StaticKeys(docs or {}), clock=lambda: case["now"],
    )
    url = r["path"] + (f"?{r['query']}" if r["query"] is not None else "")
    try:
        out = v.verify(r["method"], url, r["headers"], body_of(r))
    except VerificationError as e:
        check(case, e)
        return
    exp = case["expect"]
    assert exp["result"] == "ok", f"verified, want {exp.get('error')}"
    if exp.get("thumbprint"):
        assert out.thumbprint == exp["thumbprint"]
    if exp.get("created") is not None:
        assert out.created == exp["created"]
    if out.scheme == "jwt":
        assert out.claims and out.claims["iss"] == out.issuer and out.agent == out.subject
