"""The per-call paths of Verifier and of the drop-in: one native parse and one native finish
per request (issue 11), and the drop-in's memo of keys selected from an identical JWKS. Each
path must give the answers the slow path gives, including when a fetcher's document changes
under it."""

from __future__ import annotations

import json

import pytest

aauth_signing = pytest.importorskip("aauth_signing")
from aauth_signing import sign_request  # noqa: E402
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from aauth_signing.tokens.agent_token import create_agent_token  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import StaticKeys, VerificationError, Verifier, _dropin, _native  # noqa: E402
from aauth_verify import verify_signature  # noqa: E402

AGENT = "https://agent.example"
ISSUER = "https://issuer.example"
URI = "https://resource.example/api/data?x=1"
BODY = b'{"a": 1}'


@pytest.fixture(scope="module")
def world():
    agent_key = Ed25519PrivateKey.generate()
    issuer_key = Ed25519PrivateKey.generate()
    other_key = Ed25519PrivateKey.generate()
    agent_jwk = dict(public_key_to_jwk(agent_key.public_key()), kid="key-1")
    issuer_jwk = dict(public_key_to_jwk(issuer_key.public_key()), kid="as-1")
    other_x = public_key_to_jwk(other_key.public_key())["x"]
    docs = {
        f"{AGENT}/.well-known/aauth-agent.json": {"issuer": AGENT, "jwks_uri": f"{AGENT}/jwks.json"},
        f"{AGENT}/jwks.json": {"keys": [agent_jwk]},
        f"{ISSUER}/.well-known/aauth-agent.json": {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks.json"},
        f"{ISSUER}/jwks.json": {"keys": [issuer_jwk]},
    }
    return dict(agent_key=agent_key, issuer_key=issuer_key, agent_jwk=agent_jwk,
                issuer_jwk=issuer_jwk, other_x=other_x, docs=docs)


def signed(world, scheme):
    headers = {"Content-Type": "application/json"}
    kw = {}
    if scheme == "jwks_uri":
        kw = dict(id=AGENT, dwk="aauth-agent.json", kid="key-1")
    elif scheme == "jwt":
        cnf = {k: v for k, v in world["agent_jwk"].items() if k != "kid"}
        kw = dict(jwt=create_agent_token(ISSUER, "aauth:bot@issuer.example", cnf, world["issuer_key"], "as-1"))
    headers.update(sign_request("POST", URI, headers, BODY, world["agent_key"], sig_scheme=scheme, **kw))
    return headers


def dropin_args(h):
    return ("POST", URI, h, BODY, h["Signature-Input"], h["Signature"], h["Signature-Key"])


@pytest.fixture
def no_inspect():
    """Fails the test unless every verification made exactly one native parse and one
    native finish (counted by the native module)."""
    before = _native.counters()
    calls = []
    yield calls
    parses, finishes = (a - b for a, b in zip(_native.counters(), before))
    assert calls, "the test did not say how many verifications it made"
    assert parses == sum(calls), f"{parses} native parses for {sum(calls)} verifications"
    assert finishes <= parses


@pytest.fixture
def fresh_memo(monkeypatch):
    monkeypatch.setattr(_dropin, "_KEY_MEMO", {})
    return _dropin._KEY_MEMO


@pytest.fixture
def serialisations(monkeypatch):
    """Counts the JWKS serialisations (the drop-in's slow path)."""
    calls = []
    real = _dropin._jwks_bytes

    def counted(jwks):
        calls.append(jwks)
        return real(jwks)

    monkeypatch.setattr(_dropin, "_jwks_bytes", counted)
    return calls


# -- Verifier ---------------------------------------------------------------------------------


class CountingKeys(StaticKeys):
    def __init__(self, docs):
        super().__init__(docs)
        self.calls = []

    def key(self, identifier, dwk, kid, rules):
        self.calls.append(("key", identifier, dwk, kid))
        return super().key(identifier, dwk, kid, rules)


@pytest.mark.parametrize("scheme", ["hwk", "jwks_uri", "jwt"])
def test_verifier_makes_one_native_call(world, scheme, no_inspect):
    resolver = CountingKeys(world["docs"])
    v = Verifier(authority="resource.example", resolver=resolver)
    h = signed(world, scheme)
    out = v.verify("POST", "/api/data?x=1", h, BODY)
    assert out.scheme == scheme
    assert out.thumbprint == _native.NativeKey.from_jwk(json.dumps(world["agent_jwk"]).encode()).thumbprint
    want = {"hwk": [], "jwks_uri": [("key", AGENT, "aauth-agent.json", "key-1")],
            "jwt": [("key", ISSUER, "aauth-agent.json", "as-1")]}[scheme]
    assert resolver.calls == want
    if scheme == "jwt":
        assert out.claims["iss"] == ISSUER and out.kid == "as-1"
        assert out.agent == "aauth:bot@issuer.example"
    with pytest.raises(VerificationError) as e:
        v.verify("PUT", "/api/data?x=1", h, BODY)
    assert e.value.code == "invalid_signature"
    no_inspect.append(2)


def test_verifier_resolver_errors_become_verification_errors(world, no_inspect):
    class Refusing:
        def key(self, identifier, dwk, kid, rules):
            raise VerificationError("unknown_key", "not today")

    v = Verifier(authority="resource.example", resolver=Refusing())
    with pytest.raises(VerificationError) as e:
        v.verify("POST", "/api/data?x=1", signed(world, "jwks_uri"), BODY)
    assert (e.value.code, e.value.detail) == ("unknown_key", "not today")
    assert e.value.signature_error == "error=unknown_key"
    no_inspect.append(1)


class AsyncKeys(StaticKeys):
    def __init__(self, docs):
        super().__init__(docs)
        self.awaited = []

    async def akey(self, identifier, dwk, kid, rules):
        self.awaited.append((identifier, kid))
        return self.key(identifier, dwk, kid, rules)


@pytest.mark.parametrize("scheme", ["hwk", "jwks_uri", "jwt"])
async def test_averify_awaits_async_resolvers(world, scheme, no_inspect):
    resolver = AsyncKeys(world["docs"])
    v = Verifier(authority="resource.example", resolver=resolver)
    h = signed(world, scheme)
    out = await v.averify("POST", "/api/data?x=1", h, BODY)
    sync = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    assert out == sync.verify("POST", "/api/data?x=1", h, BODY)
    assert resolver.awaited == {"hwk": [], "jwks_uri": [(AGENT, "key-1")], "jwt": [(ISSUER, "as-1")]}[scheme]
    with pytest.raises(VerificationError) as e:
        await v.averify("PUT", "/api/data?x=1", h, BODY)
    assert e.value.code == "invalid_signature"
    no_inspect.append(3)  # two averify calls and the sync verify: one parse each


@pytest.mark.parametrize("scheme", ["hwk", "jwks_uri", "jwt"])
async def test_averify_with_a_sync_resolver_is_one_call(world, scheme, no_inspect):
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    out = await v.averify("POST", "/api/data?x=1", signed(world, scheme), BODY)
    assert out.scheme == scheme
    no_inspect.append(1)


async def test_averify_async_resolver_errors(world):
    class Refusing:
        async def akey(self, identifier, dwk, kid, rules):
            raise VerificationError("unknown_key", "fetch failed")

    v = Verifier(authority="resource.example", resolver=Refusing())
    with pytest.raises(VerificationError) as e:
        await v.averify("POST", "/api/data?x=1", signed(world, "jwks_uri"), BODY)
    assert (e.value.code, e.value.detail) == ("unknown_key", "fetch failed")


# -- drop-in: one native call -----------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["hwk", "jwks_uri", "jwt"])
def test_dropin_makes_one_native_call(world, scheme, no_inspect, fresh_memo):
    h = signed(world, scheme)
    jwks = world["docs"][f"{AGENT if scheme == 'jwks_uri' else ISSUER}/jwks.json"]
    assert verify_signature(*dropin_args(h), jwks_fetcher=lambda i, d, k: jwks) is True
    no_inspect.append(1)


def test_dropin_fetcher_verification_error_propagates(world, fresh_memo):
    """A fetcher's own VerificationError is not read as the core's verdict: it leaves the
    drop-in unchanged, as it did before the key lookup moved inside the native call."""
    h = signed(world, "jwks_uri")
    err = VerificationError("unknown_key", "from the fetcher")

    def fetch(i, d, k):
        raise err

    with pytest.raises(VerificationError) as e:
        verify_signature(*dropin_args(h), jwks_fetcher=fetch)
    assert e.value is err


def test_dropin_path_with_params_matches_upstream(world, fresh_memo):
    """urlparse drops ";params" from the path; the drop-in still does, as aauth-signing."""
    headers = {"Content-Type": "application/json"}
    uri = "https://resource.example/api;v=1/data?x=1"
    headers.update(sign_request("POST", uri, headers, BODY, world["agent_key"], sig_scheme="hwk"))
    args = ("POST", uri, headers, BODY, headers["Signature-Input"], headers["Signature"], headers["Signature-Key"])
    assert verify_signature(*args) is aauth_signing.verify_signature(*args)
    for other in ("https://resource.example/api/data?x=1", "https://resource.example/api;v=2/data?x=1"):
        a = (args[0], other) + args[2:]
        assert verify_signature(*a) is aauth_signing.verify_signature(*a)


# -- drop-in: JWKS memo -----------------------------------------------------------------------


def _jwks_doc(world, scheme):
    return world["docs"][f"{AGENT if scheme == 'jwks_uri' else ISSUER}/jwks.json"]


@pytest.mark.parametrize("scheme", ["jwks_uri", "jwt"])
def test_memo_serves_a_fresh_identical_dict(world, scheme, fresh_memo, serialisations):
    h = signed(world, scheme)
    doc = _jwks_doc(world, scheme)
    fetch = lambda i, d, k: json.loads(json.dumps(doc))  # noqa: E731 - a fresh dict per call
    for _ in range(3):
        assert verify_signature(*dropin_args(h), jwks_fetcher=fetch) is True
    assert len(serialisations) == 1  # first call only
    assert len(fresh_memo) == 1
    (snapshot, key), = fresh_memo.values()
    assert snapshot == doc and snapshot is not doc
    kid_jwk = doc["keys"][0]
    assert key == _native.NativeKey.from_jwk(json.dumps(kid_jwk).encode(), False, True)
    # A wrong signature on a memo hit is still False.
    bad = h["Signature"][:-3] + ("A" if h["Signature"][-3] != "A" else "B") + h["Signature"][-2:]
    args = dropin_args(h)
    assert verify_signature(*args[:5], bad, args[6], jwks_fetcher=fetch) is False
    assert verify_signature("PUT", *args[1:], jwks_fetcher=fetch) is False


def _both(args, fetch):
    def outcome(fn):
        try:
            return fn(*args, jwks_fetcher=fetch)
        except Exception as e:  # SignatureError: compare the code
            return ("raise", type(e).__name__, getattr(e, "error_code", None))

    return outcome(verify_signature), outcome(aauth_signing.verify_signature)


@pytest.mark.parametrize("scheme", ["jwks_uri", "jwt"])
def test_memo_follows_a_mutated_document(world, scheme, fresh_memo, serialisations):
    """The fetcher returns one dict object and changes it between calls: every call must see
    the document as it is now, never the key chosen from an earlier state."""
    h = signed(world, scheme)
    doc = json.loads(json.dumps(_jwks_doc(world, scheme)))
    args = dropin_args(h)
    fetch = lambda i, d, k: doc  # noqa: E731
    good_x = doc["keys"][0]["x"]
    assert verify_signature(*args, jwks_fetcher=fetch) is True
    doc["keys"][0]["x"] = world["other_x"]  # the same kid now names another key
    ours, theirs = _both(args, fetch)
    assert ours == theirs and ours is not True
    doc["keys"][0]["x"] = good_x
    assert verify_signature(*args, jwks_fetcher=fetch) is True
    doc["keys"][0]["kid"] = "renamed"  # the kid is gone
    ours, theirs = _both(args, fetch)
    assert ours == theirs and ours is not True
    doc["keys"][0]["kid"] = _jwks_doc(world, scheme)["keys"][0]["kid"]
    doc["keys"].insert(0, dict(doc["keys"][0], x=world["other_x"]))  # a duplicate kid first
    ours = _outcome(args, fetch)
    fresh_memo.clear()
    assert ours == _outcome(args, fetch) and ours is not True  # the memo-free answer
    # Serialised: the first state, the changed x, the renamed kid, the duplicate (twice, the
    # second time with the memo cleared). Restoring the first state was a memo hit: the same
    # document as the one that verified.
    assert len(serialisations) == 5


def _outcome(args, fetch):
    return _both(args, fetch)[0]


@pytest.mark.parametrize("variant", [
    lambda d: d["keys"][0].__setitem__("ext", True),
    lambda d: d["keys"][0].__setitem__("ext", 1),
    lambda d: d["keys"][0].__setitem__("ext", 1.0),
    lambda d: d.__setitem__("keys", list(reversed(d["keys"] + [{"kty": "OKP"}]))),
], ids=["true", "one", "one-point-zero", "reordered"])
def test_memo_misses_on_look_alikes(world, variant, fresh_memo, serialisations):
    """Documents equal under == but not the same JSON text never share a memo entry."""
    h = signed(world, "jwks_uri")
    base = json.loads(json.dumps(_jwks_doc(world, "jwks_uri")))
    base["keys"][0]["ext"] = False
    other = json.loads(json.dumps(base))
    variant(other)
    args = dropin_args(h)
    assert verify_signature(*args, jwks_fetcher=lambda i, d, k: base) is True
    ours, theirs = _both(args, lambda i, d, k: other)
    assert ours == theirs
    assert len(serialisations) == 2


def test_memo_bytes_and_str_documents(world, fresh_memo, serialisations):
    h = signed(world, "jwks_uri")
    text = json.dumps(_jwks_doc(world, "jwks_uri"))
    args = dropin_args(h)
    for doc in (text.encode(), text.encode(), text, text):
        assert verify_signature(*args, jwks_fetcher=lambda i, d, k, doc=doc: doc) is True
    assert len(serialisations) == 2  # bytes once, str once: the slot holds the latest form
    assert verify_signature(*args, jwks_fetcher=lambda i, d, k: text.replace(world["agent_jwk"]["x"], world["other_x"])) is False


def test_memo_is_not_filled_by_failures(world, fresh_memo):
    h = signed(world, "jwks_uri")
    args = dropin_args(h)
    doc = _jwks_doc(world, "jwks_uri")
    assert verify_signature("PUT", *args[1:], jwks_fetcher=lambda i, d, k: doc) is False
    assert fresh_memo == {}
    assert verify_signature(*args, jwks_fetcher=lambda i, d, k: {"keys": []}) is False
    assert fresh_memo == {}


def test_memo_is_bounded(world, fresh_memo, monkeypatch):
    monkeypatch.setattr(_dropin, "_KEY_MEMO_SIZE", 2)
    h = signed(world, "jwks_uri")
    doc = _jwks_doc(world, "jwks_uri")
    for kid in ("a", "b", "c"):
        _dropin._memo_put(("jwks_uri", AGENT, kid), doc, _dropin._jwks_bytes(doc), None)
    assert len(fresh_memo) == 1  # cleared when full, then the newest
    assert verify_signature(*dropin_args(h), jwks_fetcher=lambda i, d, k: doc) is True
    assert len(fresh_memo) == 2


def test_memo_key_refuses_unreliable_kids():
    assert _dropin._memo_key("jwt", ISSUER, None) is None
    assert _dropin._memo_key("jwt", ISSUER, "") is None
    assert _dropin._memo_key("jwt", None, "k") is None
    assert _dropin._memo_key("jwks_uri", AGENT, "bad\ufffdkid") is None
    assert _dropin._memo_key("jwks_uri", AGENT, "k") == ("jwks_uri", AGENT, "k")


# -- result and request construction ----------------------------------------------------------


def test_verified_is_a_plain_verified(world):
    """Verifier builds Verified without the frozen dataclass's __init__: the object must be
    indistinguishable from one built the ordinary way."""
    import dataclasses

    from aauth_verify.verifier import Verified

    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    for scheme in ("hwk", "jwks_uri", "jwt"):
        out = v.verify("POST", "/api/data?x=1", signed(world, scheme), BODY)
        assert type(out) is Verified
        names = [f.name for f in dataclasses.fields(Verified)]
        assert list(vars(out)) == names
        plain = Verified(**{n: getattr(out, n) for n in names})
        assert out == plain and repr(out) == repr(plain)
        assert out.as_dict() == plain.as_dict()
        with pytest.raises(dataclasses.FrozenInstanceError):
            out.kid = "changed"


def test_claims_are_fresh_per_call(world):
    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    h = signed(world, "jwt")
    first = v.verify("POST", "/api/data?x=1", h, BODY)
    first.claims["iss"] = "scribbled"
    first.claims["cnf"]["jwk"]["x"] = "scribbled"
    second = v.verify("POST", "/api/data?x=1", h, BODY)
    assert second.claims["iss"] == ISSUER
    assert second.claims["cnf"]["jwk"]["x"] == world["agent_jwk"]["x"]
    assert second.claims is not first.claims


def test_claims_decoded_lazily_behave_as_eager(world):
    """Verified.claims is decoded on first access: every way of reading a Verified (attribute,
    equality, repr, as_dict, dataclasses, copy, pickle) sees the decoded claims."""
    import base64
    import copy
    import dataclasses

    from aauth_verify.verifier import Verified

    v = Verifier(authority="resource.example", resolver=StaticKeys(world["docs"]))
    h = signed(world, "jwt")
    token = h["Signature-Key"].split('jwt="')[1].rstrip('"')
    part = token.split(".")[1]
    want = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    def fresh():
        return v.verify("POST", "/api/data?x=1", h, BODY)

    names = [f.name for f in dataclasses.fields(Verified)]
    eager = Verified(**{n: (want if n == "claims" else getattr(fresh(), n)) for n in names})
    readers = [
        lambda o: o.claims,
        lambda o: o == eager,
        lambda o: repr(o) == repr(eager),
        lambda o: o.as_dict() == eager.as_dict(),
        lambda o: dataclasses.replace(o, kid="k").claims,
        lambda o: copy.copy(o).claims,
        lambda o: vars(copy.copy(o))["claims"],
        # What pickle and copy read (Verified does not pickle: NativeKey does not).
        lambda o: o.__reduce_ex__(4)[2] == eager.__reduce_ex__(4)[2],
    ]
    for read in readers:  # each first read of a new Verified
        out = fresh()
        assert list(vars(out)) == names
        got = read(out)
        assert got == want or got is True
        assert out.claims == want and out.claims is out.claims  # memoised per Verified
        assert vars(out)["claims"] is out.claims
    out = fresh()
    shallow = copy.copy(out)
    assert shallow.claims is out.claims  # a shallow copy shares the dict, as with a field
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.claims = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del out.claims  # type: ignore[misc]
    # The class-level default is still None, for dataclasses and for readers of the class.
    assert Verified.claims is None
    assert next(f for f in dataclasses.fields(Verified) if f.name == "claims").default is None
    plain = Verified(**{n: getattr(out, n) for n in names if n != "claims"})
    assert plain.claims is None and vars(plain)["claims"] is None
    # Signatures without a token have no claims.
    assert v.verify("POST", "/api/data?x=1", signed(world, "hwk"), BODY).claims is None


def test_verifier_request_forms(world, monkeypatch):
    """Verifier.request passes exact lists, tuples and dict items to NativeRequest as they are
    and memoises each URL's split: every form must build the same request."""
    from urllib.parse import urlsplit

    from aauth_verify import verifier

    monkeypatch.setattr(verifier, "_TARGETS", {})
    monkeypatch.setattr(verifier, "_TARGETS_SIZE", 3)
    h = signed(world, "hwk")

    class Multi:  # Starlette/werkzeug style
        def __init__(self, pairs):
            self.pairs = pairs

        def multi_items(self):
            return list(self.pairs)

    class Raw:
        def __init__(self, pairs):
            self.raw = [(k.lower().encode(), v.encode()) for k, v in pairs]

    class Items(dict):
        pass

    pairs = list(h.items())
    forms = [lambda: h, lambda: Items(h), lambda: pairs, lambda: tuple(pairs),
             lambda: [list(p) for p in pairs], lambda: Multi(pairs), lambda: Raw(pairs),
             lambda: (p for p in pairs)]
    for form in forms:
        v = Verifier(authority="resource.example")
        for _ in range(2):  # the second time from the URL memo
            for body in (BODY, bytearray(BODY), memoryview(BODY)):
                assert v.verify("POST", "/api/data?x=1", form(), body).scheme == "hwk"
                assert v.verify("POST", URI, form(), body).scheme == "hwk"
    v = Verifier(authority="resource.example")
    base = v.signature_base("POST", "/api/data?x=1", h, BODY)
    assert v.signature_base("POST", URI, h, BODY) == base
    v.authority = None  # read per call: the URL's own authority
    assert v.signature_base("POST", URI, h, BODY) == base
    with pytest.raises(ValueError, match="no canonical authority"):
        v.signature_base("POST", "/api/data?x=1", h, BODY)
    # The split is the server's (issue 12 finding 5), no longer urlsplit's: an origin-form
    # target splits at its first "?" only ("//h.example/p" is a path, not an authority).
    urls = {"/a": ("", "", "/a", None), "/a?": ("", "", "/a", ""),
            "/a?b=1": ("", "", "/a", "b=1"), "https://h.example": ("https", "h.example", "/", None),
            "http://h.example:8080/p;x?y": ("http", "h.example:8080", "/p;x", "y"),
            "//h.example/p": ("", "", "//h.example/p", None), "/p?q?r": ("", "", "/p", "q?r"),
            "HTTPS://h.example/%2F?": ("https", "h.example", "/%2F", "")}
    for url, want in list(urls.items()) * 2:
        assert verifier._target(url) == want
        assert verifier._TARGETS.get(url, want) == want
        assert len(verifier._TARGETS) <= 3
    assert urlsplit("//h.example/p").path == "/p"  # what the old split verified @path over
    for bad in ("", "?q", "h.example/p", "*"):
        with pytest.raises(ValueError, match="must be a path"):
            verifier._target(bad)
    with pytest.raises(VerificationError) as e:
        verifier._target("https://h.example/p?q#f")
    assert e.value.code == "invalid_request"


def test_native_request_header_forms(world):
    h = signed(world, "hwk")
    pol = _native.NativePolicy()
    forms = [
        [(k, v) for k, v in h.items()],
        [[k, v] for k, v in h.items()],  # lists: the sequence protocol
        [(k.encode(), v.encode()) for k, v in h.items()],
        [(k, v.encode()) for k, v in h.items()],
        [__import__("collections").namedtuple("P", "n v")(k, v) for k, v in h.items()],
        ((k, v) for k, v in h.items()),  # any iterable
    ]
    thumbs = set()
    for headers in forms:
        req = _native.NativeRequest("POST", "https", "resource.example", "/api/data", "x=1", headers, BODY)
        thumbs.add(_native.parse(req, pol, int(__import__("time").time())).finish()["thumbprint"])
    assert len(thumbs) == 1
    for bad in ([("a",)], [("a", "b", "c")], [["a"]], [("a", 1)], [(1, "a")]):
        with pytest.raises(TypeError):
            _native.NativeRequest("GET", "https", "a", "/", None, bad)


def test_dropin_header_pairs():
    pairs = _dropin._header_pairs(
        [("Host", "a"), ("Signature", "stale"), ("HOST", "b"), ("X-One", "1"), ("signature-key", "old")],
        "si", "", "sk")
    assert pairs == [("host", "a"), ("x-one", "1"), ("signature-input", "si"), ("signature-key", "sk")]
    assert _dropin._header_pairs({"A": "1"}, "", "", "") == [("a", "1")]


def test_dropin_target_memo(monkeypatch):
    """The drop-in splits targets as the server routes them (issue 12 finding 5): ";params"
    stay in the path (aauth-signing's urlparse dropped them), "//h.example/a" is a path."""
    monkeypatch.setattr(_dropin, "_TARGETS", {})
    monkeypatch.setattr(_dropin, "_TARGETS_SIZE", 3)
    urls = {"https://h.example/p": ("https", "h.example", "/p", None),
            "https://h.example/p;x=1?q": ("https", "h.example", "/p;x=1", "q"),
            "http://h.example:8/": ("http", "h.example:8", "/", None),
            "/rel?": ("https", "", "/rel", None), "https://h.example": ("https", "h.example", "/", None),
            "//h.example/a;b": ("https", "", "//h.example/a;b", None)}
    for url, want in list(urls.items()) * 2:
        assert _dropin._target(url) == want
        assert _dropin._TARGETS.get(url, want) == want
        assert len(_dropin._TARGETS) <= 3
    for bad in ("https://h.example/p?q#f", "h.example/p", ""):
        with pytest.raises(VerificationError) as e:
            _dropin._target(bad)
        assert e.value.code == "invalid_request"


def test_dropin_default_policy():
    assert _dropin._DEFAULT_POLICY.window == 60 and _dropin._DEFAULT_POLICY.required == \
        _dropin._policy(None, 60).required
    assert _dropin._DEFAULT_POLICY.schemes == _dropin._policy(None, 60).schemes
