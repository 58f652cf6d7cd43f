"""The Verifier's verified-token cache: a repeated agent token skips only its JWS check."""

from __future__ import annotations

import copy

import pytest

from aauth_verify import StaticKeys, VerificationError, Verifier
from conftest import body_of, load_cases

TOKENS = {c["name"]: c for c in load_cases("tokens.json")}


def _verifier(case, cache=True, jwks=None):
    k = case["key"]
    meta = k["metadata"]
    docs = {
        "https://agent.example/.well-known/aauth-agent.json": meta,
        meta["jwks_uri"]: jwks if jwks is not None else k["jwks"],
    }
    r = case["request"]
    return Verifier(authority=r["authority"], scheme=r["scheme"], resolver=StaticKeys(docs),
                    clock=lambda: case["now"], token_cache=cache)


def _verify(v, case):
    r = case["request"]
    return v.verify(r["method"], r["path"], r["headers"], body_of(r))


@pytest.mark.parametrize("cache", [True, False])
def test_repeated_token_verifies(cache):
    case = TOKENS["jwt-a3"]
    v = _verifier(case, cache)
    first = _verify(v, case)
    second = _verify(v, case)  # with the cache: a hit
    assert first.thumbprint == second.thumbprint == case["expect"]["thumbprint"]
    assert second.subject == "aauth:assistant@agent.example"


def test_hit_still_verifies_the_request():
    """A cached token does not vouch for a request it did not sign."""
    v = _verifier(TOKENS["jwt-a3"])
    _verify(v, TOKENS["jwt-a3"])
    bad = TOKENS["jwt-a3-body-mismatch"]  # the same token, a body the digest does not match
    with pytest.raises(VerificationError) as e:
        _verify(v, bad)
    assert e.value.code == "invalid_signature"
    tampered = copy.deepcopy(TOKENS["jwt-a3"])
    tampered["request"]["path"] = "/api/other"
    with pytest.raises(VerificationError) as e:
        _verify(v, tampered)
    assert e.value.code == "invalid_signature"


def test_other_issuer_key_misses():
    """An entry is bound to the issuer key: the same token under another key is re-checked."""
    case = TOKENS["jwt-a3"]
    v = _verifier(case)
    _verify(v, case)
    wrong = TOKENS["jwt-a3-wrong-issuer-key"]["key"]["jwks"]
    v2 = _verifier(case, jwks=wrong)
    v2._token_cache = v._token_cache  # share the warm cache
    with pytest.raises(VerificationError) as e:
        _verify(v2, case)
    assert e.value.code == "invalid_jwt"


def test_expired_token_is_refused_even_when_cached():
    """An entry never outlives the token's exp."""
    case = TOKENS["jwt-a3"]
    v = _verifier(case)
    _verify(v, case)
    expired = TOKENS["jwt-a3-expired"]  # the same token, a request signed at its exp
    v._clock = lambda: expired["now"]
    with pytest.raises(VerificationError) as e:
        _verify(v, expired)
    assert e.value.code == "expired_jwt"


def test_static_keys_decode_each_key_once():
    """StaticKeys parses a key's documents once; misses are not remembered as keys."""
    from aauth_verify.verifier import KeyRules

    case = TOKENS["jwt-a3"]
    meta = case["key"]["metadata"]
    keys = StaticKeys({
        "https://agent.example/.well-known/aauth-agent.json": meta,
        meta["jwks_uri"]: case["key"]["jwks"],
    })
    rules = KeyRules()
    first = keys.key("https://agent.example", "aauth-agent.json", "ap-key-1", rules)
    assert keys.key("https://agent.example", "aauth-agent.json", "ap-key-1", rules) is first
    for _ in range(2):
        with pytest.raises(VerificationError) as e:
            keys.key("https://agent.example", "aauth-agent.json", "ap-key-2", rules)
        assert e.value.code == "unknown_key"


def test_resolver_that_verifies_on_the_same_thread():
    """A resolver may itself verify a request (nested on the same thread): the native
    scratch buffer the outer call holds is not shared with the inner one."""
    case = TOKENS["jwt-a3"]
    inner = _verifier(case)
    outer = _verifier(case)
    seen = []

    class Nesting:
        def __init__(self, real):
            self.real = real

        def key(self, *args):
            seen.append(_verify(inner, case).subject)  # a full token verification inside
            return self.real.key(*args)

        def jwks_key(self, *args):  # pragma: no cover - not used by jwt
            return self.real.jwks_key(*args)

    outer.resolver = Nesting(outer.resolver)
    for _ in range(2):
        out = _verify(outer, case)
        assert out.subject == "aauth:assistant@agent.example"
        assert out.claims["sub"] == "aauth:assistant@agent.example"
    assert seen == ["aauth:assistant@agent.example"] * 2
