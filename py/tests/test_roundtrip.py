"""Live interop: requests signed by aauth-signing 0.2.0 (real clock, random keys) verify with
our drop-in and our Verifier for every scheme; tampered copies do not. Plus the demo-era wire
forms and concurrent use from many threads."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

aauth_signing = pytest.importorskip("aauth_signing")
from aauth_signing import sign_request  # noqa: E402
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from aauth_signing.tokens.agent_token import create_agent_token  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import (  # noqa: E402
    StaticKeys,
    VerificationError,
    Verifier,
    verify_signature,
)
from aauth_verify import _native  # noqa: E402

AGENT = "https://agent.example"
ISSUER = "https://issuer.example"
URI = "https://resource.example/api/data?x=1"


@pytest.fixture(scope="module")
def world():
    agent_key = Ed25519PrivateKey.generate()
    issuer_key = Ed25519PrivateKey.generate()
    agent_jwk = dict(public_key_to_jwk(agent_key.public_key()), kid="key-1")
    issuer_jwk = dict(public_key_to_jwk(issuer_key.public_key()), kid="as-1")
    docs = {
        f"{AGENT}/.well-known/aauth-agent.json": {"issuer": AGENT, "jwks_uri": f"{AGENT}/jwks.json"},
        f"{AGENT}/jwks.json": {"keys": [agent_jwk]},
        f"{ISSUER}/.well-known/aauth-agent.json": {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks.json"},
        f"{ISSUER}/jwks.json": {"keys": [issuer_jwk]},
    }
    return dict(agent_key=agent_key, issuer_key=issuer_key, agent_jwk=agent_jwk, docs=docs)


def fetcher_for(docs):
    def fetch(ident, dwk, kid):
        meta = docs[f"{ident}/.well-known/{dwk}"]
        return docs[meta["jwks_uri"]]

    return fetch


def signed(world, scheme, method="POST", body=b'{"a": 1}', extra=None):
    headers = {"Content-Type": "application/json"}
    kw = {}
    if scheme == "jwks_uri":
        kw = dict(id=AGENT, dwk="aauth-agent.json", kid="key-1")
    elif scheme == "jwt":
        cnf = {k: v for k, v in world["agent_jwk"].items() if k != "kid"}
        kw = dict(jwt=create_agent_token(ISSUER, "aauth:bot@issuer.example", cnf, world["issuer_key"], "as-1"))
    sig = sign_request(method, URI, headers, body, world["agent_key"], sig_scheme=scheme,
                       additional_signature_components=extra, **kw)
    headers.update(sig)
    return headers


SCHEMES = ["hwk", "jwks_uri", "jwt"]
EXTRAS = [None, ["content-type", "content-digest"]]


@pytest.mark.parametrize("extra", EXTRAS, ids=["plain", "digest"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_dropin_round_trip(world, scheme, extra):
    h = signed(world, scheme, extra=extra)
    args = (h["Signature-Input"], h["Signature"], h["Signature-Key"])
    fetch = fetcher_for(world["docs"])
    for fn in (aauth_signing.verify_signature, verify_signature):
        assert fn("POST", URI, h, b'{"a": 1}', *args, jwks_fetcher=fetch) is True
        # Tampered copies: the other implementation's answer must match ours.
        assert fn("PUT", URI, h, b'{"a": 1}', *args, jwks_fetcher=fetch) is False
        assert fn("POST", URI + "&y=2", h, b'{"a": 1}', *args, jwks_fetcher=fetch) is False
        if extra:
            assert fn("POST", URI, h, b'{"a": 2}', *args, jwks_fetcher=fetch) is False
        bad_sig = h["Signature"][:-3] + ("A" if h["Signature"][-3] != "A" else "B") + h["Signature"][-2:]
        assert fn("POST", URI, h, b'{"a": 1}', args[0], bad_sig, args[2], jwks_fetcher=fetch) is False


@pytest.mark.parametrize("scheme", SCHEMES)
def test_verifier_round_trip(world, scheme):
    h = signed(world, scheme, extra=["content-type", "content-digest"])
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]),
                 require_content_digest_with_body=True)
    out = v.verify("POST", "/api/data?x=1", h, b'{"a": 1}')
    assert out.scheme == scheme
    assert out.thumbprint == _native.NativeKey.from_jwk(
        __import__("json").dumps(world["agent_jwk"]).encode()).thumbprint
    if scheme == "jwks_uri":
        assert out.agent == AGENT and out.kid == "key-1"
    if scheme == "jwt":
        assert out.issuer == ISSUER and out.agent == "aauth:bot@issuer.example"
        assert out.claims["cnf"]["jwk"]["x"] == world["agent_jwk"]["x"]
        assert out.token_type == "aa-agent+jwt" and out.kid == "as-1"
    with pytest.raises(VerificationError) as e:
        v.verify("POST", "/api/data?x=1", h, b'{"a": 2}')
    assert e.value.code == "invalid_signature"
    assert e.value.signature_error == "error=invalid_signature"


def test_missing_fetcher_raises(world):
    from aauth_verify import SignatureError

    h = signed(world, "jwks_uri")
    with pytest.raises(SignatureError, match="jwks_fetcher"):
        verify_signature("POST", URI, h, b'{"a": 1}', h["Signature-Input"], h["Signature"], h["Signature-Key"])


def test_fetcher_fallback_two_and_one_args(world):
    h = signed(world, "jwks_uri")
    args = ("POST", URI, h, b'{"a": 1}', h["Signature-Input"], h["Signature"], h["Signature-Key"])
    jwks = world["docs"][f"{AGENT}/jwks.json"]
    calls = []
    assert verify_signature(*args, jwks_fetcher=lambda i, d: calls.append((i, d)) or jwks) is True
    assert verify_signature(*args, jwks_fetcher=lambda i: calls.append((i,)) or jwks) is True
    assert verify_signature(*args, jwks_fetcher=jwks) is True
    assert calls == [(AGENT, "aauth-agent.json"), (AGENT,)]


def test_public_key_pins_hwk(world):
    h = signed(world, "hwk")
    args = ("POST", URI, h, b'{"a": 1}', h["Signature-Input"], h["Signature"], h["Signature-Key"])
    pub = world["agent_key"].public_key()
    assert verify_signature(*args, public_key=pub) is True
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    assert verify_signature(*args, public_key=pub.public_bytes(Encoding.Raw, PublicFormat.Raw)) is True
    other = Ed25519PrivateKey.generate().public_key()
    assert verify_signature(*args, public_key=other) is False
    assert aauth_signing.verify_signature(*args, public_key=other) is False


def test_clock_skew_and_stale(world, frozen_time):
    import time

    h = signed(world, "hwk")
    args = ("POST", URI, h, b'{"a": 1}', h["Signature-Input"], h["Signature"], h["Signature-Key"])
    created = int(h["Signature-Input"].rsplit("created=", 1)[1])
    from aauth_verify import SignatureError

    frozen_time(created - 120)
    with pytest.raises(SignatureError) as e:
        verify_signature(*args)
    assert e.value.error_code == "clock_skew"
    frozen_time(created + 120)
    assert verify_signature(*args) is False
    assert time.time() == created + 120


# -- demo-era wire forms (docs/protocol.md) ----------------------------------------------------

X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
V1 = dict(
    key=f'sig=hwk;kty="OKP";crv="Ed25519";x="{X}"',
    input='sig=("@method" "@authority" "@path" "signature-key");created=1730217600',
    sig="sig=:RHGwKHhwsnOtWimYGb0pV_JAJs9quer59BAS5j7aASw7jeRMtkCxdK8GuoDcJv_6ZJnbP0iM-I1QDhw3QFYgAw:",
)
V7 = dict(
    key=f'sig1=(scheme=hwk kty="OKP" crv="Ed25519" x="{X}")',
    input='sig1=("@method" "@authority" "@path" "signature-key");created=1730217600',
    sig="sig1=:YtZTQITT5-s-oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z--s5UL7W47_9oWCVJu3qFews0v4KHEytK2I4tu5CQ:",
)
V7_PADDED = "sig1=:YtZTQITT5+s+oRUeogyNzAs1ceI4j22PaUenkjBOR9j1z++s5UL7W47/9oWCVJu3qFews0v4KHEytK2I4tu5CQ==:"


@pytest.mark.parametrize("form,sig", [
    (V1, V1["sig"]),             # aauth 0.1.x-0.3.x: hwk without alg
    (V7, V7["sig"]),             # legacy inner-list Signature-Key, label sig1
    (V7, V7_PADDED),             # RFC 8941 padded standard base64
])
def test_demo_era_forms(form, sig, frozen_time):
    frozen_time(1730217600)
    uri = "https://resource.example/api/data"
    assert verify_signature("GET", uri, {}, None, form["input"], sig, form["key"]) is True
    assert verify_signature("POST", uri, {}, None, form["input"], sig, form["key"]) is False
    v = Verifier(authority="resource.example", profile="compat", clock=lambda: 1730217600)
    h = {"Signature-Input": form["input"], "Signature": sig, "Signature-Key": form["key"]}
    assert v.verify("GET", "/api/data", h).thumbprint
    # The strict profile refuses the alg-less key.
    with pytest.raises(VerificationError) as e:
        Verifier(authority="resource.example", clock=lambda: 1730217600).verify("GET", "/api/data", h)
    assert e.value.code in ("invalid_key", "invalid_request")


def test_v1_negatives(frozen_time):
    frozen_time(1730217600)
    for uri in ("https://RESOURCE.example/api/data", "https://resource.example:443/api/data"):
        assert verify_signature("GET", uri, {}, None, V1["input"], V1["sig"], V1["key"]) is False
    from aauth_verify import SignatureError

    with pytest.raises(SignatureError) as e:
        verify_signature("GET", "https://resource.example/api/data", {}, None, V1["input"], V1["sig"],
                         'sig=jwks;id="https://a.example";kid="k"')
    assert e.value.error_code == "unsupported_scheme"


# -- concurrency ----------------------------------------------------------------------------

def test_thread_safety(world):
    reqs = [signed(world, s, extra=e) for s in SCHEMES for e in EXTRAS]
    fetch = fetcher_for(world["docs"])
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        ok = 0
        for n in range(60):
            h = reqs[(i + n) % len(reqs)]
            good = n % 3 != 0
            body = b'{"a": 1}' if good else b'{"a": 9}'
            digest = "content-digest" in h["Signature-Input"]
            r = verify_signature("POST", URI, h, body, h["Signature-Input"], h["Signature"],
                                 h["Signature-Key"], jwks_fetcher=fetch)
            assert r is (good or not digest)
            try:
                v.verify("POST", "/api/data?x=1", h, body)
                assert good or not digest
                ok += 1
            except VerificationError as e:
                assert not good and e.code == "invalid_signature"
        return ok

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(work, range(8)))
    assert sum(results) > 0


def test_token_cache_holds_each_token_once_and_stays_bounded(world):
    """The native token cache keys tokens by their exact bytes: a repeated token is one entry,
    and however many distinct tokens arrive it never holds more than 256."""
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    h = signed(world, "jwt")
    for _ in range(3):
        assert v.verify("POST", "/api/data?x=1", h, b'{"a": 1}').scheme == "jwt"
    assert len(v._token_cache) == 1
    sizes = []
    for _ in range(300):
        h = signed(world, "jwt")  # a new token each time (fresh jti)
        assert v.verify("POST", "/api/data?x=1", h, b'{"a": 1}').scheme == "jwt"
        sizes.append(len(v._token_cache))
    assert max(sizes) == 256
    assert 1 <= sizes[-1] <= 256
    # The newest token is held and still verifies (a hit).
    assert v.verify("POST", "/api/data?x=1", h, b'{"a": 1}').issuer == ISSUER
