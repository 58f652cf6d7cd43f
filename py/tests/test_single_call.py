"""``_native.verify(..., resolve=f)``: one parse for phase 1, the key callback and phase 2.

Every shared vector must give the same outcome through the single call as through the two
calls it replaces (``inspect`` then ``verify(key=...)``): the callback sees exactly the
``inspect`` dict, and the result is exactly the two-call result.
"""

from __future__ import annotations

import json

import pytest

from aauth_verify import VerificationError, _native
from conftest import load_cases
from test_vectors import policy_of, request_of, source_of

CASES = load_cases("signatures.json") + load_cases("tokens.json")


def _label(case):
    return (case.get("policy") or {}).get("label")


def _same_value(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _error(e):
    return (e.code, e.detail, e.signature_error, e.number)


def _key(key):
    """``key`` itself, or the key a factory makes (which may raise, as resolvers do)."""
    return key() if callable(key) else key


def two_calls(case, policy, req, key, cache=None):
    try:
        info = _native.inspect(req, policy, case["now"], _label(case))
    except VerificationError as e:
        return None, _error(e)
    try:
        return info, _native.verify(req, policy, case["now"], _key(key), _label(case), cache)
    except VerificationError as e:
        return info, _error(e)


def one_call(case, policy, req, key, cache=None):
    seen = []

    def resolve(info):
        seen.append(info)
        return _key(key)

    try:
        out = _native.verify(req, policy, case["now"], None, _label(case), cache, resolve)
    except VerificationError as e:
        out = _error(e)
    assert len(seen) <= 1
    return (seen[0] if seen else None), out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_single_call_equals_inspect_then_verify(case):
    policy = policy_of(case.get("policy"))
    req = request_of(case["request"])
    key = lambda: source_of(case, policy)  # noqa: E731 - may raise (oct keys): in the callback
    info2, out2 = two_calls(case, policy, req, key)
    info1, out1 = one_call(case, policy, req, key)
    # The callback ran exactly when inspect succeeded, with inspect's dict (before completion:
    # compare against a fresh inspect, since the single call completes the dict it passed).
    assert (info1 is None) == (info2 is None)
    if isinstance(out1, dict):
        assert out1 is info1  # the dict handed to resolve, completed
    assert _same_value(out1, out2), (out1, out2)


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"]["result"] == "ok"][:40],
                         ids=lambda c: c["name"])
def test_callback_receives_the_inspect_dict(case):
    policy = policy_of(case.get("policy"))
    req = request_of(case["request"])
    key = source_of(case, policy)
    want = _native.inspect(req, policy, case["now"], _label(case))
    got = []

    def resolve(info):
        assert _same_value(info, want)
        got.append(info)
        return key

    _native.verify(req, policy, case["now"], None, _label(case), None, resolve)
    assert len(got) == 1


def _case(name):
    return next(c for c in CASES if c["name"] == name)


def _jwt_case():
    return next(c for c in CASES if c["expect"]["result"] == "ok" and c["key"]["type"] == "jwt_issuer"
                and (c.get("policy") or {}).get("profile") != "compat")


def _jwks_case():
    return next(c for c in CASES if c["expect"]["result"] == "ok" and c["key"]["type"] == "jwks"
                and (c.get("policy") or {}).get("profile") != "compat")


def _setup(case):
    policy = policy_of(case.get("policy"))
    return policy, request_of(case["request"]), source_of(case, policy)


def test_token_cache_through_single_call():
    case = _jwt_case()
    policy, req, key = _setup(case)
    cache = _native.NativeTokenCache()
    for _ in range(3):  # miss, then hits: the same result each time
        _, out1 = one_call(case, policy, req, key, cache)
        _, out2 = two_calls(case, policy, req, key)
        assert isinstance(out1, dict) and _same_value(out1, out2)
        assert isinstance(out1["token"]["issuer_key"], _native.NativeKey)


def test_resolve_exception_propagates_unchanged():
    case = _jwks_case()
    policy, req, _ = _setup(case)

    class Boom(Exception):
        pass

    boom = Boom("no key today")

    def resolve(info):
        raise boom

    with pytest.raises(Boom) as e:
        _native.verify(req, policy, case["now"], resolve=resolve)
    assert e.value is boom


def test_resolve_verification_error_is_not_rewritten():
    case = _jwks_case()
    policy, req, _ = _setup(case)
    err = VerificationError("unknown_key", "resolver said no", "error=unknown_key")

    def resolve(info):
        raise err

    with pytest.raises(VerificationError) as e:
        _native.verify(req, policy, case["now"], resolve=resolve)
    assert e.value is err


def test_resolve_not_called_when_phase_one_fails():
    case = next(c for c in CASES if c["expect"]["result"] != "ok" and c["expect"].get("error") == "invalid_request")
    policy, req, key = _setup(case)
    calls = []
    with pytest.raises(VerificationError) as e:
        _native.verify(req, policy, case["now"], resolve=lambda info: calls.append(info) or key)
    assert calls == []
    assert e.value.code == "invalid_request"


def test_resolve_returning_a_wrong_shape_is_a_type_error():
    case = _jwks_case()
    policy, req, _ = _setup(case)
    for bad in ("jwks", ("jwks", b"{}"), 42, ("jwk", b"{}", None)):
        with pytest.raises(TypeError, match="key must be"):
            _native.verify(req, policy, case["now"], resolve=lambda info, bad=bad: bad)


def test_resolve_argument_errors():
    case = _jwks_case()
    policy, req, key = _setup(case)
    with pytest.raises(TypeError, match="not both"):
        _native.verify(req, policy, case["now"], key, resolve=lambda info: key)
    with pytest.raises(TypeError, match="callable"):
        _native.verify(req, policy, case["now"], resolve=42)
    # resolve=None is the old two-argument form.
    assert _native.verify(req, policy, case["now"], key, resolve=None)["scheme"] == "jwks_uri"


def test_resolve_none_means_inline():
    case = next(c for c in CASES if c["expect"]["result"] == "ok" and c["key"]["type"] == "inline")
    policy, req, _ = _setup(case)
    out = _native.verify(req, policy, case["now"], resolve=lambda info: None)
    assert out["thumbprint"] == _native.inspect(req, policy, case["now"], _label(case))["requirement"]["key"].thumbprint


def test_resolve_with_metadata_and_jwks():
    case = next(c for c in CASES if c["expect"]["result"] == "ok" and c["key"]["type"] == "jwks"
                and isinstance(c["key"].get("metadata"), dict))
    policy, req, key = _setup(case)
    assert key[2] is not None
    out = _native.verify(req, policy, case["now"], None, _label(case), resolve=lambda info: key)
    assert out["key"] == _native.verify(req, policy, case["now"], key, _label(case))["key"]
    # A metadata document naming another issuer fails the same way in both forms.
    meta = dict(case["key"]["metadata"], issuer="https://someone-else.example")
    bad = (key[0], key[1], json.dumps(meta).encode())
    with pytest.raises(VerificationError) as one:
        _native.verify(req, policy, case["now"], None, _label(case), resolve=lambda info: bad)
    with pytest.raises(VerificationError) as two:
        _native.verify(req, policy, case["now"], bad, _label(case))
    assert _error(one.value) == _error(two.value)
    assert one.value.code == "issuer_mismatch"


def test_a_replaced_token_entry_is_restored():
    case = _jwt_case()
    policy, req, key = _setup(case)

    def resolve(info):
        info["token"] = "scribbled"
        return key

    out = _native.verify(req, policy, case["now"], None, _label(case), resolve=resolve)
    _, want = two_calls(case, policy, req, key)
    assert _same_value(out, want)


# -- same_json --------------------------------------------------------------------------------

DOC = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc", "alg": "Ed25519", "kid": "k1",
                 "n": 1, "f": 1.5, "b": True, "z": None, "l": [1, "two", [3.0]]}]}


def _copy(doc):
    return json.loads(json.dumps(doc))


def test_same_json_accepts_identical_documents():
    assert _native.same_json(DOC, _copy(DOC))
    assert _native.same_json(_copy(DOC), _copy(DOC))
    assert _native.same_json(b'{"keys":[]}', b'{"keys":[]}')
    assert _native.same_json('{"keys":[]}', '{"keys":[]}')
    assert _native.same_json({}, {})
    assert _native.same_json(None, None)
    assert _native.same_json(10**40, 10**40)


@pytest.mark.parametrize("change", [
    lambda d: d["keys"][0].__setitem__("x", "abd"),
    lambda d: d["keys"][0].__setitem__("b", 1),        # True == 1, but not the same JSON
    lambda d: d["keys"][0].__setitem__("n", True),
    lambda d: d["keys"][0].__setitem__("n", 1.0),      # 1 == 1.0, but "1" != "1.0"
    lambda d: d["keys"][0].__setitem__("f", float("nan")),
    lambda d: d["keys"][0].__setitem__("z", 0),
    lambda d: d["keys"][0].__setitem__("extra", 1),
    lambda d: d["keys"][0].pop("kid"),
    lambda d: d["keys"].append({}),
    lambda d: d["keys"][0]["l"].__setitem__(2, (3.0,)),  # tuple: == differs anyway, type too
    lambda d: d["keys"][0]["l"][2].__setitem__(0, 3),
    lambda d: d.__setitem__("keys", tuple(d["keys"])),
    lambda d: d["keys"][0].__setitem__("x", type("S", (str,), {})("abc")),
    lambda d: d["keys"][0].__setitem__("n", type("I", (int,), {})(1)),
], ids=["value", "bool-for-int", "int-for-bool", "float-for-int", "nan", "none", "extra-key",
        "missing-key", "extra-item", "tuple", "nested-int-for-float", "tuple-top",
        "str-subclass", "int-subclass"])
def test_same_json_rejects_any_difference(change):
    other = _copy(DOC)
    change(other)
    assert not _native.same_json(other, DOC)
    assert not _native.same_json(DOC, other)


def test_same_json_strictness_beyond_equality():
    assert not _native.same_json(0.0, -0.0)  # equal floats, different JSON
    # NaN is not equal to itself, but the same bits serialise to the same text ("NaN").
    assert _native.same_json(float("nan"), float("nan"))
    assert json.dumps(float("nan")) == json.dumps(float("nan"))
    a = {"a": 1, "b": 2}
    assert a == {"b": 2, "a": 1}
    assert not _native.same_json(a, {"b": 2, "a": 1})  # key order changes the text
    assert not _native.same_json({1: "x"}, {1: "x"})  # json.dumps would write "1"
    assert not _native.same_json({"1": "x"}, {1: "x"})
    from collections import OrderedDict

    assert not _native.same_json(OrderedDict(a), a)
    assert not _native.same_json(b"{}", "{}")
    assert not _native.same_json(bytearray(b"{}"), bytearray(b"{}"))  # not a JSON type
    deep = inner = []
    for _ in range(40):
        inner.append([])
        inner = inner[0]
    assert not _native.same_json(deep, _copy(deep))  # deeper than 32 levels: answer no
    shallow = inner = []
    for _ in range(10):
        inner.append([])
        inner = inner[0]
    assert _native.same_json(shallow, _copy(shallow))


def _random_doc(rng, depth=0):
    kinds = ["str", "int", "float", "bool", "none"] + (["dict", "list"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "dict":
        return {rng.choice("abcxyz") + str(i): _random_doc(rng, depth + 1) for i in range(rng.randrange(4))}
    if kind == "list":
        return [_random_doc(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {"str": lambda: rng.choice(["", "a", "é", "\u2028", "0"]),
            "int": lambda: rng.choice([0, 1, -1, 2**70]),
            "float": lambda: rng.choice([0.0, -0.0, 1.0, 1.5, 1e300]),
            "bool": lambda: rng.choice([True, False]),
            "none": lambda: None}[kind]()


def test_same_json_means_same_serialisation():
    """The property the drop-in relies on, over random documents and random look-alikes:
    ``same_json(a, b)`` exactly when ``json.dumps(a) == json.dumps(b)`` (for trees of JSON
    types without NaN); and a document always matches its own ``json.loads`` copy."""
    import random

    rng = random.Random(6)
    matched = 0
    for _ in range(3000):
        a, b = _random_doc(rng), _random_doc(rng)
        assert _native.same_json(a, _copy(a))
        same = _native.same_json(a, b)
        # Without NaN (whose bits may differ under one spelling) it is exactly "same text".
        assert same == (json.dumps(a) == json.dumps(b)), (a, b)
        matched += same
    assert matched > 100  # the generator does produce look-alikes
