"""The shared vectors (tests/vectors/*.json) through the native layer and through Verifier.

This is the Python part of the cross-language identity test (issue 11): every ok vector's
``expect.identity`` (scheme, agent, issuer, subject, kid, thumbprint) and ``expect.cache`` must
be what the core reports here, as in Rust, C and nginx.
"""

from __future__ import annotations

import base64
import re
import json
from typing import Any, Dict, Optional, Tuple

import pytest

from aauth_verify import Documents, Key, StaticKeys, TrustedJwks, VerificationError, Verifier, _native
from aauth_verify._native import FetchAssertion, FetchJwks, FetchMetadata
from conftest import body_of, load_cases

SIGNATURES = load_cases("signatures.json")
TOKENS = load_cases("tokens.json")
CASES = SIGNATURES + TOKENS

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
        max_validity=p.get("max_validity"),
        require_query=p.get("require_query", False),
        require_content_digest_with_body=p.get("require_content_digest_with_body", False),
        **(COMPAT_FLAGS if compat else {}),
    )


def request_of(r):
    return _native.NativeRequest(
        r["method"], r["scheme"], r["authority"], r["path"], r["query"],
        [tuple(h) for h in r["headers"]], body_of(r),
    )


def revoked_of(case):
    pairs = {tuple(p) for p in (case.get("policy") or {}).get("revoked", [])}
    return (lambda iss, jti: (iss, jti) in pairs) if pairs else None


def _b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def source_of(case, policy):
    """The key source the case describes, as the Rust harness builds it
    (core/tests/common/mod.rs `with_source`)."""
    k = case["key"]
    req_alg, eddsa = policy.key_rules
    t = k["type"]
    if t == "inline" or (t == "assertion" and not k.get("jwks")):
        return None
    if t == "raw_ed25519":
        return Key.from_raw(_b64url(k["x"]))
    if t == "jwk":
        return Key.from_jwk(json.dumps(k["jwk"]).encode(), req_alg, eddsa)
    if t in ("jwks", "jwt_issuer", "assertion"):
        jwks = json.dumps(k["jwks"]).encode()
        meta = k.get("metadata")
        if meta is None:
            return TrustedJwks(jwks)
        return Documents(jwks, json.dumps(meta).encode())
    raise AssertionError(t)


def resolve_assertion(case, pending):
    """The host's resolution of a ``cached`` plan: the case's assertion, or a miss."""
    if type(pending.fetch) is not FetchAssertion:
        return
    k = case["key"]
    if not k.get("assertion"):
        raise pending.cache_miss()
    pending.with_assertion(k["assertion"].encode(), k["scheme"])


def run_native(case):
    policy = policy_of(case.get("policy"))
    req = request_of(case["request"])
    label = (case.get("policy") or {}).get("label")
    if "base" in case["expect"]:
        try:
            base = _native.signature_base(req, policy, case["now"], label)
            assert base.decode() == case["expect"]["base"]
        except VerificationError:
            assert case["expect"]["result"] != "ok"
    try:
        pending = _native.parse(req, policy, case["now"], label=label, revoked=revoked_of(case))
        resolve_assertion(case, pending)
        return pending.finish(source_of(case, policy))
    except VerificationError as e:
        return e


def check_identity(exp, got: Dict[str, Any]):
    """``expect.identity`` (all six fields) and ``expect.cache`` against a result's fields."""
    ident = exp["identity"]
    for k in ("scheme", "agent", "issuer", "subject", "kid", "thumbprint"):
        assert got[k] == ident[k], (k, got[k], ident[k])
    want_cache = exp.get("cache")
    grant = got["cache"]
    if want_cache is None:
        assert grant is None
    else:
        assert grant is not None
        assert (grant.scheme, grant.jti, grant.exp) == (want_cache["scheme"], want_cache["jti"],
                                                        want_cache["exp"])


def check(case, out):
    exp = case["expect"]
    if exp["result"] == "ok":
        assert not isinstance(out, Exception), f"want ok, got {out!r}"
        if exp.get("label"):
            assert out["label"] == exp["label"]
        if exp.get("created") is not None:
            assert out["created"] == exp["created"]
        if exp.get("token"):
            assert out["token_type"] == exp["token"]["typ"]
        check_identity(exp, out)
    else:
        assert isinstance(out, VerificationError), f"want {exp.get('error')}, verified"
        if exp.get("error"):
            assert out.code == exp["error"], out
        assert out.signature_error.startswith(f"error={out.code}")
        assert out.check is not None and out.check_number is not None


def test_every_ok_vector_has_an_identity():
    ok = [c for c in CASES if c["expect"]["result"] == "ok"]
    assert ok and all("identity" in c["expect"] for c in ok)
    assert any(c["expect"].get("cache") for c in ok)
    assert any(c["key"]["type"] == "assertion" for c in ok)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_native(case):
    check(case, run_native(case))


# -- through Verifier -------------------------------------------------------------------------


class Assertions:
    """A minimal in-process assertion store for the ``cached`` vectors."""

    def __init__(self, held: Optional[Dict[str, Tuple[bytes, str]]] = None) -> None:
        self.held = dict(held or {})
        self.put_calls: list = []

    def get(self, cid: str) -> Optional[Tuple[bytes, str]]:
        return self.held.get(cid)

    def put(self, cid: str, assertion: bytes, scheme: str, expires: int) -> None:
        self.put_calls.append((cid, assertion, scheme, expires))
        self.held[cid] = (assertion, scheme)


def _documents(case, pending):
    """The HTTP documents a resolver would fetch for this case's plan, keyed by URL (None when
    the case's key material cannot be expressed as fetchable documents)."""
    k = case["key"]
    if k["type"] not in ("jwks", "jwt_issuer", "assertion") or not k.get("jwks"):
        return {}
    plan = pending.fetch
    meta = k.get("metadata")
    if type(plan) is FetchJwks:
        return {plan.url: k["jwks"]}
    if type(plan) is FetchMetadata:
        if not isinstance(meta, dict) or not isinstance(meta.get("jwks_uri"), str):
            return None  # "metadata absent/broken" is not a fetchable document
        return {plan.metadata_url: meta, meta["jwks_uri"]: k["jwks"]}
    return None


VERIFIER_CASES = [c for c in CASES if c["key"]["type"] in ("inline", "jwks", "jwt_issuer", "assertion")]


@pytest.mark.parametrize("case", VERIFIER_CASES, ids=lambda c: c["name"])
def test_verifier(case):
    p = case.get("policy") or {}
    r = case["request"]
    k = case["key"]
    docs: Optional[Dict[str, Any]] = {}
    assertions = None
    try:
        pending = _native.parse(request_of(r), policy_of(p), case["now"], label=p.get("label"))
        if type(pending.fetch) is FetchAssertion:
            held = {pending.fetch.cid: (k["assertion"].encode(), k["scheme"])} if k.get("assertion") else {}
            assertions = Assertions(held)
            resolve_assertion(case, pending)
        docs = _documents(case, pending)
    except VerificationError:
        pass
    if docs is None:
        pytest.skip("key material not expressible as documents")
    v = Verifier(
        authority=r["authority"], scheme=r["scheme"], profile=p.get("profile", "strict"),
        window=p.get("window", 60), required_components=p.get("required_components"),
        schemes=p.get("schemes"), require_signature_key=p.get("require_signature_key", True),
        base64url_signatures=p.get("base64url_signatures", True), label=p.get("label"),
        resolver=StaticKeys(docs or {}), clock=lambda: case["now"], revoked=revoked_of(case),
        max_validity=p.get("max_validity"), require_query=p.get("require_query", False),
        require_content_digest_with_body=p.get("require_content_digest_with_body", False),
        assertions=assertions,
    )
    url = r["path"] + (f"?{r['query']}" if r["query"] is not None else "")
    try:
        out = v.verify(r["method"], url, r["headers"], body_of(r))
    except VerificationError as e:
        check(case, e)
        return
    exp = case["expect"]
    assert exp["result"] == "ok", f"verified, want {exp.get('error')}"
    check_identity(exp, vars(out))
    if exp.get("created") is not None:
        assert out.created == exp["created"]
    if out.scheme == "jwt":
        assert out.claims and out.claims["iss"] == out.issuer and out.agent == out.subject
    if out.scheme in ("jwt", "jkt-jwt", "self-jwt"):
        # The claims are the payload the core decoded, parsed as json.loads parses the token.
        sk = " ".join(v for n, v in r["headers"] if n.lower() == "signature-key")
        tokens = re.findall(r'jwt="([A-Za-z0-9_.-]+)"', sk)
        part = tokens[0].split(".")[1] if len(tokens) == 1 else None
        if part is not None:
            want = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            assert out.claims == want
            assert out.claims is out.claims, "decoded once per Verified"
