"""Verifier under hostile input and misconfiguration: issue 12 findings 3 (trust stores and
self-asserted keys), 4 (verify before the body), 5 (``@path`` is what the server routes on)
and 12 (argument types)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple

import pytest

from aauth_verify import HeadersVerified, Key, StaticKeys, VerificationError, Verifier
from conftest import body_of, load_cases
from signing import raw_public, sign

AUTH = "api.test"
CASES = {c["name"]: c for c in load_cases("signatures.json") + load_cases("tokens.json")}


def _vector(case: Dict[str, Any]) -> Tuple[str, str, List[Tuple[str, str]], Optional[bytes]]:
    r = case["request"]
    url = r["path"] + (f"?{r['query']}" if r["query"] is not None else "")
    return r["method"], url, [tuple(h) for h in r["headers"]], body_of(r)  # type: ignore[misc]


def _code(f: Any) -> Tuple[str, Optional[str]]:
    with pytest.raises(VerificationError) as e:
        f()
    return e.value.code, e.value.check


# -- finding 3: a trust store does not accept keys the request brings ------------------------


def test_keys_alone_refuse_hwk_and_jkt_jwt_but_verify_plain_rfc9421():
    """Issue 12 finding 3: Verifier(keys=...) with no schemes= accepted hwk and jkt-jwt, whose
    keys anyone can mint, next to the trust store; it now accepts only keys from outside the
    request."""
    pinned, pinned_key = sign("GET", AUTH, "/x", hwk=False, keyid="k1",
                              components=("@method", "@authority", "@path"))
    # (The default required components include signature-key, which plain RFC 9421 has not.)
    v = Verifier(authority=AUTH, keys={"k1": Key.from_raw(raw_public(pinned_key))},
                 required_components=["@method", "@authority", "@path"])
    assert v.policy.schemes == []
    assert v.verify("GET", "/x", pinned).kid == "k1"
    hwk, _ = sign("GET", AUTH, "/x")
    assert _code(lambda: v.verify("GET", "/x", hwk)) == ("unsupported_scheme", "scheme_not_allowed")
    case = CASES["jkt-jwt-jti-with-cache"]
    r = case["request"]
    jkt = Verifier(authority=r["authority"], scheme=r["scheme"], clock=lambda: case["now"],
                   keys=Key.from_raw(raw_public(pinned_key)))
    assert _code(lambda: jkt.verify(*_vector(case)))[0] == "unsupported_scheme"
    # The same request under the default policy (no trust store) verifies: the refusal is the
    # trust store's default, not a broken vector.
    plain = Verifier(authority=r["authority"], scheme=r["scheme"], clock=lambda: case["now"])
    assert plain.verify(*_vector(case)).scheme == "jkt-jwt"


def test_keys_with_a_resolver_add_the_resolver_schemes_and_schemes_overrides():
    """Issue 12 finding 3: with keys= and a resolver, the resolver's schemes (jwks_uri, jwks,
    jwt, self-jwt) are accepted, hwk/jkt-jwt still not; an explicit schemes= wins."""
    _, pinned_key = sign("GET", AUTH, "/x", hwk=False, keyid="k1",
                         components=("@method", "@authority", "@path"))
    keys = {"k1": Key.from_raw(raw_public(pinned_key))}
    v = Verifier(authority=AUTH, keys=keys, resolver=StaticKeys({}))
    assert set(v.policy.schemes) == {"jwks_uri", "jwks", "legacy-jwks", "jwt", "self-jwt"}
    assert "hwk" not in v.policy.accept_signature_scheme()
    hwk, _ = sign("GET", AUTH, "/x")
    assert _code(lambda: v.verify("GET", "/x", hwk))[0] == "unsupported_scheme"
    with_cached = Verifier(authority=AUTH, keys=keys, resolver=StaticKeys({}),
                           assertions=_Assertions())
    assert "cached" in with_cached.policy.schemes and "jkt-jwt" not in with_cached.policy.schemes
    explicit = Verifier(authority=AUTH, keys=keys, schemes=["hwk"])
    assert explicit.verify("GET", "/x", hwk).scheme == "hwk"


class _Assertions:
    def __init__(self) -> None:
        self.held: Dict[str, Tuple[bytes, str]] = {}

    def get(self, cid: str) -> Optional[Tuple[bytes, str]]:
        return self.held.get(cid)

    def put(self, cid: str, assertion: bytes, scheme: str, expires: int) -> None:
        self.held[cid] = (assertion, scheme)


def test_a_cached_jkt_jwt_is_refused_by_a_verifier_that_refuses_jkt_jwt():
    """Found with issue 12 finding 3: a fleet's shared assertion store may hold a jkt-jwt that
    another verifier accepted; presenting it as cached;cid= must not get past a policy that
    refuses jkt-jwt in full (the core checks the assertion's scheme)."""
    grant, cached = CASES["jkt-jwt-jti-with-cache"], CASES["cached-jkt-jwt-hit"]
    store = _Assertions()
    r = grant["request"]

    def verifier(schemes: List[str]) -> Verifier:
        return Verifier(authority=r["authority"], scheme=r["scheme"], clock=lambda: grant["now"],
                        schemes=schemes, assertions=store)

    first = verifier(["jkt-jwt", "cached"]).verify(*_vector(grant))
    assert first.signature_key_cache is not None
    cid = first.signature_key_cache.split('"')[1]
    store.held["q6urq6urq6urq6urq6urqw"] = store.held.pop(cid)  # the cid the vector presents
    assert verifier(["jkt-jwt", "cached"]).verify(*_vector(cached)).scheme == "cached"
    assert _code(lambda: verifier(["jwt", "cached"]).verify(*_vector(cached))) == (
        "unsupported_scheme", "scheme_not_allowed")


# -- finding 5: the path signed is the path the server routes on ------------------------------


@pytest.mark.parametrize("sent", ["//admin/x", "//x", "/x/", "/x;a=b", "/x%2F", "/X"])
def test_a_signature_over_x_does_not_verify_another_route(sent):
    """Issue 12 finding 5: urlsplit read "//admin/x" as authority "admin" and path "/x", so a
    signature over /x verified a request routed to //admin/x. Every other spelling of the path
    is another request."""
    h, _ = sign("GET", AUTH, "/x")
    v = Verifier(authority=AUTH)
    assert v.verify("GET", "/x", h).scheme == "hwk"
    assert _code(lambda: v.verify("GET", sent, h)) == ("invalid_signature", "signature_invalid")


@pytest.mark.parametrize("path", ["//admin/x", "/x;a=b", "/a%2Fb", "/a/../b", "/x?"])
def test_the_path_is_signed_and_verified_as_sent(path):
    """Issue 12 finding 5: ";params", "%2F", ".." and a leading "//" reach @path as sent."""
    p, _, q = path.partition("?")
    h, _ = sign("GET", AUTH, p, query=q if "?" in path else None,
                components=("@method", "@authority", "@path", "@query", "signature-key"))
    v = Verifier(authority=AUTH)
    assert v.verify("GET", path, h).scheme == "hwk"
    assert v.verify("GET", f"https://{AUTH}{path}", h).scheme == "hwk"


def test_a_target_with_a_fragment_is_invalid_request():
    """Issue 12 finding 5: "/x#/../admin" was verified as /x (urlsplit drops the fragment);
    a request target never holds "#", so it is refused before anything else."""
    h, _ = sign("GET", AUTH, "/x")
    v = Verifier(authority=AUTH)
    for url in ("/x#/../admin", "/x#", f"https://{AUTH}/x#f", "/x?a=1#f"):
        with pytest.raises(VerificationError) as e:
            v.verify("GET", url, h)
        assert e.value.code == "invalid_request"
        assert e.value.signature_error == "error=invalid_request"


def test_tabs_and_newlines_are_not_stripped_from_the_target():
    """Issue 12 finding 5: urlsplit removes TAB/CR/LF anywhere in a URL, so "/x\\t" was /x."""
    h, _ = sign("GET", AUTH, "/x")
    v = Verifier(authority=AUTH)
    for url in ("/x\t", f"https://{AUTH}/\nx", "/x\r"):
        with pytest.raises(VerificationError):
            v.verify("GET", url, h)


# -- finding 4: the signature before the body ------------------------------------------------


def test_verify_before_body_then_complete():
    """Issue 12 finding 4: the headers are verified first; the body only once they verified."""
    body = b'{"n": 1}'
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True,
                headers={"content-length": str(len(body))})
    v = Verifier(authority=AUTH, require_content_digest_with_body=True)
    hv = v.verify_before_body("POST", "/x", h)
    assert isinstance(hv, HeadersVerified) and hv.needs_body and hv.reads_body
    assert hv.complete(body).scheme == "hwk"
    with pytest.raises(RuntimeError, match="completed already"):
        hv.complete(body)
    hv = v.verify_before_body("POST", "/x", h)
    assert _code(lambda: hv.complete(body + b" ")) == ("invalid_signature", "digest_mismatch")
    # A forged signature is refused with no body in hand.
    forged = [(n, val.replace("sig=:", "sig=:AA") if n == "signature" else val) for n, val in h]
    assert _code(lambda: v.verify_before_body("POST", "/x", forged))[0] == "invalid_signature"


def test_a_body_the_framing_hides_is_refused_when_bodies_need_a_digest():
    """Issue 12 finding 4: under require_content_digest_with_body a request whose framing
    announces no body (no Content-Length, as HTTP/2 allows) must still not deliver an unsigned
    one: complete() refuses any byte, with the refusal listing content-digest."""
    h, _ = sign("POST", AUTH, "/x")
    v = Verifier(authority=AUTH, require_content_digest_with_body=True)
    hv = v.verify_before_body("POST", "/x", h)
    assert not hv.needs_body and hv.body_must_be_empty and hv.reads_body
    assert v.verify_before_body("POST", "/x", h).complete(b"").scheme == "hwk"
    with pytest.raises(VerificationError) as e:
        hv.complete(b"unsigned")
    assert (e.value.code, e.value.check) == ("invalid_input", "body_not_covered")
    assert '"content-digest"' in e.value.signature_error
    # Announced by the framing: refused before the body, listing content-digest too.
    framed = h + [("content-length", "8")]
    with pytest.raises(VerificationError) as e:
        v.verify_before_body("POST", "/x", framed)
    assert e.value.check == "body_not_covered" and '"content-digest"' in e.value.signature_error
    # Without the switch the body is not part of what was verified.
    loose = Verifier(authority=AUTH).verify_before_body("POST", "/x", h)
    assert not loose.reads_body and loose.complete().scheme == "hwk"


def test_a_replay_is_refused_before_its_body():
    """Issue 12 finding 4: the replay store is asked before the body is read."""
    body = b"abc"
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True)
    seen: Dict[str, int] = {}

    class Replays:
        def check_and_record(self, key: Any, now: int) -> bool:
            fresh = key.b64 not in seen
            seen[key.b64] = key.until
            return fresh

    v = Verifier(authority=AUTH, replay=Replays())
    v.verify_before_body("POST", "/x", h).complete(body)
    assert _code(lambda: v.verify_before_body("POST", "/x", h)) == ("invalid_signature", "replayed")


async def test_averify_before_body():
    body = b"abc"
    h, _ = sign("POST", AUTH, "/x", body=body, digest=True)
    hv = await Verifier(authority=AUTH).averify_before_body("POST", "/x", h)
    assert (await hv.acomplete(body)).scheme == "hwk"


# -- finding 12: arguments of the wrong kind --------------------------------------------------


@pytest.mark.parametrize("kw,exc", [
    (dict(window=-1), ValueError), (dict(window=2**63), ValueError), (dict(window="60"), ValueError),
    (dict(window=True), ValueError), (dict(assertion_ttl=1.5), ValueError),
    (dict(authority=b"api.test"), TypeError), (dict(authority=""), ValueError),
    (dict(scheme=None), TypeError), (dict(scheme=""), ValueError), (dict(label=1), TypeError), (dict(clock=5), TypeError),
    (dict(schemes="hwk"), TypeError), (dict(schemes=["hwk", 1]), TypeError),
    (dict(schemes=["nope"]), ValueError), (dict(required_components="@method"), TypeError),
    (dict(jwt_types=b"x"), TypeError), (dict(require_query=1), TypeError),
    (dict(require_content_digest_with_body="yes"), TypeError), (dict(token_cache=None), TypeError),
    (dict(keys=b"\0" * 32), TypeError), (dict(keys={"k": "x"}), TypeError),
    (dict(resolver=object()), TypeError), (dict(replay=object()), TypeError),
    (dict(assertions={}), TypeError), (dict(revoked="no"), TypeError),
    (dict(replay_fail_open="no"), TypeError), (dict(profile="lax"), ValueError),
])
def test_verifier_options_are_checked_when_made(kw, exc):
    """Issue 12 finding 12: a misconfigured Verifier fails at construction with a clear
    TypeError/ValueError (a str schemes= was read one letter at a time; keys=bytes verified
    nothing)."""
    with pytest.raises(exc):
        Verifier(**{"authority": AUTH, **kw})


def test_verify_arguments_are_checked():
    """Issue 12 finding 12: per-call arguments of the wrong kind raise TypeError, not a crash
    deeper down or a silent conversion."""
    h, _ = sign("GET", AUTH, "/x")
    v = Verifier(authority=AUTH)
    for args, why in (((b"GET", "/x", h), "method"), (("GET", b"/x", h), "url"),
                      (("GET", "/x", h, "body"), "body"), (("GET", "/x", [("a",)]), "pairs"),
                      (("GET", "/x", 5), "headers"), (("GET", "/x", "a: b"), "headers")):
        with pytest.raises(TypeError, match=why):
            v.verify(*args)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        v.verify_before_body("GET", "/x", h).complete("text")  # type: ignore[arg-type]
    assert asyncio.run(v.averify("GET", "/x", h)).scheme == "hwk"


# -- finding 13: decisions, pinned ------------------------------------------------------------


def test_a_bare_host_in_allow_http_hosts_admits_its_default_port_only():
    """Issue 12 finding 13: allow_http_hosts={"localhost"} admitted every port; a bare host
    now means port 80 for http, and ports are explicit ("localhost:8000", "localhost:*")."""
    from aauth_verify.resolver import EgressPolicy

    bare = EgressPolicy(allow_http_hosts=frozenset({"localhost"}))
    assert bare.check_url("http://localhost/jwks.json") == "listed"
    with pytest.raises(VerificationError) as e:
        bare.check_url("http://localhost:8000/jwks.json")
    assert e.value.code == "unknown_key"
    assert EgressPolicy(allow_http_hosts=frozenset({"localhost:8000"})).check_url(
        "http://localhost:8000/jwks.json") == "listed"
    assert EgressPolicy(allow_http_hosts=frozenset({"localhost:*"})).check_url(
        "http://localhost:8000/jwks.json") == "listed"


def test_duplicate_kids_and_jwks_use():
    """Issue 12 finding 13: two different usable keys under one kid are invalid_key (the
    resolver's docstring said the first wins); the same key twice is fine; "use" and
    "key_ops" are not read (documented: refusing "use": "enc" would be a core rule)."""
    import json

    from signing import b64url
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def jwk(**extra: Any) -> Dict[str, Any]:
        x = b64url(raw_public(Ed25519PrivateKey.generate()))
        return dict(kty="OKP", crv="Ed25519", x=x, alg="Ed25519", kid="k", **extra)

    one, other = jwk(), jwk()
    with pytest.raises(VerificationError) as e:
        Key.select(json.dumps({"keys": [one, other]}).encode(), "k")
    assert e.value.code == "invalid_key"
    assert Key.select(json.dumps({"keys": [one, one]}).encode(), "k").x == \
        Key.from_jwk(json.dumps(one).encode()).x
    enc = jwk(use="enc", key_ops=["encrypt"])
    assert Key.select(json.dumps({"keys": [enc]}).encode(), "k").alg == "Ed25519"


def test_the_query_is_unsigned_unless_require_query():
    """Issue 12 finding 13: @query is not required by default (the signers in use cover the
    AAuth minimum), so a captured GET /pay?amount=1 verifies as /pay?amount=1000;
    require_query=True refuses it, listing @query."""
    h, _ = sign("GET", AUTH, "/pay")
    assert Verifier(authority=AUTH).verify("GET", "/pay?amount=1000", h).scheme == "hwk"
    with pytest.raises(VerificationError) as e:
        Verifier(authority=AUTH, require_query=True).verify("GET", "/pay?amount=1000", h)
    assert e.value.check == "query_not_covered" and '"@query"' in e.value.signature_error
    covered, _ = sign("GET", AUTH, "/pay", query="amount=1",
                      components=("@method", "@authority", "@path", "@query", "signature-key"))
    strict = Verifier(authority=AUTH, require_query=True)
    assert strict.verify("GET", "/pay?amount=1", covered).scheme == "hwk"
    assert _code(lambda: strict.verify("GET", "/pay?amount=1000", covered))[0] == "invalid_signature"
