"""The drop-in verify_signature under hostile targets, headers and arguments: issue 12
findings 5 (the path is the one the server routes on) and 12 (argument types); it stays
stateless (issue 17: fleet state is the Verifier's, never the drop-in's)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

aauth_signing = pytest.importorskip("aauth_signing")
from aauth_signing import sign_request  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import SignatureError, verify_signature  # noqa: E402
from signing import sign  # noqa: E402

AUTH = "api.test"


def args_of(lines: List[Tuple[str, str]], method: str, uri: str,
            body: Optional[bytes] = None) -> Dict[str, Any]:
    h = dict(lines)
    return dict(method=method, target_uri=uri, headers=h, body=body,
                signature_input_header=h["signature-input"], signature_header=h["signature"],
                signature_key_header=h.get("signature-key", ""))


def outcome(**kw: Any) -> Any:
    try:
        return verify_signature(**kw)
    except SignatureError as e:
        return ("raise", e.error_code)  # type: ignore[attr-defined]


# -- finding 5 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", [f"https://{AUTH}//admin/x", "//admin/x", f"https://{AUTH}//x",
                                 f"https://{AUTH}/x;a=b", f"https://{AUTH}/x%2F",
                                 f"https://{AUTH}/x/../admin"])
def test_a_signature_over_x_is_not_true_for_another_path(uri):
    """Issue 12 finding 5: a signature over /x must not verify a target the server routes
    elsewhere; "//admin/x" as origin-form is a path (urlsplit read authority "admin")."""
    lines, _ = sign("GET", AUTH, "/x")
    assert verify_signature(**args_of(lines, "GET", f"https://{AUTH}/x")) is True
    assert outcome(**args_of(lines, "GET", uri)) is not True


def test_params_are_part_of_the_path_unlike_aauth_signing():
    """Issue 12 finding 5: aauth-signing (signer and verifier) drop ";params" from @path with
    urlparse, so its signature for /x;a=b is a signature over /x and verifies a request the
    server routes to /x;a=b. The drop-in uses the path as given: a deliberate difference."""
    key = Ed25519PrivateKey.generate()
    uri = f"https://{AUTH}/x;a=b"
    h = sign_request("GET", uri, {}, None, key)
    kw = dict(method="GET", target_uri=uri, headers=h, body=None,
              signature_input_header=h["Signature-Input"], signature_header=h["Signature"],
              signature_key_header=h["Signature-Key"])
    assert aauth_signing.verify_signature(**kw) is True  # upstream: the ;a=b is not signed
    assert verify_signature(**kw) is False
    # Signed over the path as sent, it verifies.
    lines, _ = sign("GET", AUTH, "/x;a=b")
    assert verify_signature(**args_of(lines, "GET", uri)) is True


def test_an_encoded_slash_is_not_a_slash():
    """Issue 12 finding 5: %2F is verified as sent, never decoded."""
    lines, _ = sign("GET", AUTH, "/a%2Fb")
    assert verify_signature(**args_of(lines, "GET", f"https://{AUTH}/a%2Fb")) is True
    assert outcome(**args_of(lines, "GET", f"https://{AUTH}/a/b")) is False
    lines, _ = sign("GET", AUTH, "/a/b")
    assert outcome(**args_of(lines, "GET", f"https://{AUTH}/a%2Fb")) is False


@pytest.mark.parametrize("uri", [f"https://{AUTH}/x#/../admin", f"https://{AUTH}/x#",
                                 "/x#frag", f"https://{AUTH}/x?a=1#f"])
def test_a_fragment_raises_invalid_request(uri):
    """Issue 12 finding 5: urlsplit dropped the fragment, so /x#/../admin verified as /x."""
    lines, _ = sign("GET", AUTH, "/x")
    assert outcome(**args_of(lines, "GET", uri)) == ("raise", "invalid_request")


def test_control_characters_in_the_target_are_not_stripped():
    """Issue 12 finding 5: urlsplit removes TAB, CR and LF anywhere in the URL."""
    lines, _ = sign("GET", AUTH, "/x")
    for uri in (f"https://{AUTH}/x\t", f"https://{AUTH}/\nx", f"https://{AUTH}\r/x"):
        assert outcome(**args_of(lines, "GET", uri)) is not True


def test_neither_form_raises_invalid_request():
    """Issue 12 finding 5: a target that is neither a path nor an absolute URL."""
    lines, _ = sign("GET", AUTH, "/x")
    for uri in ("", "x", "api.test/x", "*"):
        assert outcome(**args_of(lines, "GET", uri)) == ("raise", "invalid_request")


# -- finding 12 --------------------------------------------------------------------------------


@pytest.mark.parametrize("field,value,exc", [
    ("signature_window", "60", TypeError), ("signature_window", 60.0, TypeError),
    ("signature_window", True, TypeError), ("signature_window", None, TypeError),
    ("signature_window", -1, ValueError), ("signature_window", 2**63, ValueError),
    ("signature_window", 2**64, ValueError), ("required_components", "@method", TypeError),
    ("required_components", ["@method", 1], TypeError), ("required_components", 5, TypeError),
    ("method", b"GET", TypeError), ("target_uri", f"https://{AUTH}/x".encode(), TypeError),
    ("target_uri", None, TypeError), ("body", 5, TypeError), ("body", ["a"], TypeError),
])
def test_arguments_of_the_wrong_kind(field, value, exc):
    """Issue 12 finding 12: int("60") used to accept a str window, a negative window was an
    OverflowError from the native layer, bytes targets went through urlsplit's bytes mode and a
    bare str of required components was read one letter at a time."""
    lines, _ = sign("GET", AUTH, "/x")
    kw = args_of(lines, "GET", f"https://{AUTH}/x")
    kw[field] = value
    with pytest.raises(exc):
        verify_signature(**kw)


def test_a_window_of_zero_and_a_large_one_are_accepted():
    """Issue 12 finding 12: the bounds are inclusive of 0 and of large (< 2**63) windows."""
    lines, _ = sign("GET", AUTH, "/x")
    kw = args_of(lines, "GET", f"https://{AUTH}/x")
    assert verify_signature(**kw, signature_window=2**40) is True
    assert verify_signature(**kw, signature_window=0) in (True, False)


# -- hostile headers and fetchers --------------------------------------------------------------


def test_hostile_header_values_raise_never_crash():
    """Hostile input is normal: an over-long Signature-Input is invalid_request, a non-str
    header value a TypeError, a NUL never verifies."""
    lines, _ = sign("GET", AUTH, "/x")
    kw = args_of(lines, "GET", f"https://{AUTH}/x")
    big = dict(kw, signature_input_header=kw["signature_input_header"] + ";n=" + "1" * 40000)
    assert outcome(**big) == ("raise", "invalid_request")
    with pytest.raises(TypeError):
        verify_signature(**dict(kw, headers={"x": 5}))
    nul = dict(kw, signature_key_header=kw["signature_key_header"] + "\0")
    assert outcome(**nul) != True  # noqa: E712


@pytest.mark.parametrize("jwks", [5, "not json", b"\xff", {"keys": "x"}, {"keys": [{}] * 1000},
                                  {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "A" * 43,
                                             "kid": "key-1", "alg": "Ed25519"}]}])
def test_a_fetcher_returning_garbage_is_never_true(jwks):
    """A jwks_fetcher is the caller's code, but what it returns comes from the network."""
    key = Ed25519PrivateKey.generate()
    uri = f"https://{AUTH}/x"
    h = sign_request("GET", uri, {}, None, key, sig_scheme="jwks_uri",
                     id="https://agent.example", dwk="aauth-agent.json", kid="key-1")
    kw = dict(method="GET", target_uri=uri, headers=h, body=None,
              signature_input_header=h["Signature-Input"], signature_header=h["Signature"],
              signature_key_header=h["Signature-Key"], jwks_fetcher=lambda *a: jwks)
    assert outcome(**kw) is not True


# -- stateless ---------------------------------------------------------------------------------


def test_the_drop_in_keeps_no_fleet_state():
    """Issue 17: replay and assertion caches are Verifier options; the drop-in, like
    aauth-signing 0.2.0, verifies the same request again (it has no store to consult)."""
    lines, _ = sign("GET", AUTH, "/x")
    kw = args_of(lines, "GET", f"https://{AUTH}/x")
    assert [verify_signature(**kw) for _ in range(3)] == [True, True, True]
