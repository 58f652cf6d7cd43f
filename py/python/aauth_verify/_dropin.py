"""Drop-in replacement for ``aauth_signing.verify_signature`` (aauth-signing 0.2.0).

Same parameters, same ``True``/``False``/raise split (INTEROP.md §3), verified by the Rust
core. Deliberate widenings, all of them wire forms older peers send: the legacy inner-list
``Signature-Key``, Ed25519 keys without ``alg``, ``EdDSA`` keys and tokens, and standard
(RFC 8941, padded) base64 in ``Signature`` next to the Python signer's unpadded base64url.
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

from . import _native
from .errors import SignatureError, VerificationError

__all__ = ["verify_signature"]

_SIG_HEADERS = ("signature-input", "signature", "signature-key")

#: Schemes aauth-signing 0.2.0 verifies; others raise "Unknown signature scheme".
_DROPIN_SCHEMES = ["hwk", "jwks_uri", "jwt", "jkt-jwt"]

#: aauth-signing does not check a ``jwt``'s ``typ``; these are the types AAuth peers have sent
#: (agent and auth tokens, current and January 2026 names).
_JWT_TYPES = ["aa-agent+jwt", "agent+jwt", "aa-auth+jwt", "auth+jwt"]

#: Core failures that aauth-signing answers with ``False`` although they are not
#: ``invalid_signature``: the three headers disagree on the label, or ``Signature`` is absent.
_FALSE_DETAILS = frozenset(
    {
        "Signature-Key has no member for the signature's label",
        "Signature has no member for the label",
        "Signature header is missing",
    }
)


@functools.lru_cache(maxsize=64)
def _policy(required: Optional[Tuple[str, ...]], window: int) -> Any:
    return _native.NativePolicy(
        window=window,
        required=list(required) if required is not None else None,
        schemes=_DROPIN_SCHEMES,
        legacy_signature_key=True,
        alg_less_keys=True,
        eddsa=True,
        jwt_types=_JWT_TYPES,
    )


def _raw_public_key(public_key: Any) -> Optional[bytes]:
    """32 raw bytes of an Ed25519 key given as bytes or a ``cryptography`` key; else None."""
    if isinstance(public_key, (bytes, bytearray, memoryview)):
        raw = bytes(public_key)
        return raw if len(raw) == 32 else None
    if isinstance(public_key, _native.NativeKey):
        return public_key.x
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:  # pragma: no cover - cryptography absent: nothing else to accept
        return None
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return None


def _call_fetcher(fetcher: Any, identifier: str, dwk: str, kid: Optional[str]) -> Any:
    """aauth-signing's calling convention: ``f(id, dwk, kid)``, on ``TypeError`` ``f(id, dwk)``,
    then ``f(id)`` (whose failure means "no JWKS"); a non-callable is the JWKS itself."""
    if not callable(fetcher):
        return fetcher
    try:
        return fetcher(identifier, dwk, kid)
    except TypeError:
        pass
    try:
        return fetcher(identifier, dwk)
    except TypeError:
        pass
    try:
        return fetcher(identifier)
    except Exception:
        return None


def _jwks_bytes(jwks: Any) -> bytes:
    if isinstance(jwks, bytes):
        return jwks
    if isinstance(jwks, str):
        return jwks.encode("utf-8")
    return json.dumps(jwks, separators=(",", ":")).encode("utf-8")


def _raise(e: VerificationError, policy: Any, authorization: bool) -> "SignatureError":
    details: dict = {}
    if e.code == "invalid_input":
        required = set(policy.required)
        if authorization:
            required.add("authorization")
        details["required_input"] = sorted(required)
    err = SignatureError(e.detail or e.code, error_code=e.code, details=details)
    try:
        err.signature_error = e.signature_error  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover
        pass
    return err


def _outcome(e: VerificationError, scheme: Optional[str], policy: Any, authorization: bool) -> bool:
    if e.code == "invalid_signature":
        return False
    if e.code == "invalid_request" and e.detail in _FALSE_DETAILS:
        return False
    if e.code == "unknown_key" and scheme == "jwks_uri":
        return False
    raise _raise(e, policy, authorization) from None


def _header_pairs(
    headers: Union[Mapping[str, str], Sequence[Tuple[str, str]]],
    sig_input: str,
    sig: str,
    sig_key: str,
) -> list:
    seen = set()
    pairs = []
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:  # type: ignore[misc]
        lower = str(name).lower()
        if lower in _SIG_HEADERS or lower in seen:
            continue
        seen.add(lower)
        pairs.append((lower, value))
    for name, value in zip(_SIG_HEADERS, (sig_input, sig, sig_key)):
        if value:
            pairs.append((name, value))
    return pairs


def verify_signature(
    method: str,
    target_uri: str,
    headers: Mapping[str, str],
    body: Optional[bytes],
    signature_input_header: str,
    signature_header: str,
    signature_key_header: str,
    public_key: Any = None,
    jwks_fetcher: Optional[Union[Callable[..., Any], Mapping[str, Any]]] = None,
    required_components: Optional[Sequence[str]] = None,
    signature_window: int = 60,
) -> bool:
    """Verify an AAuth request signature exactly where ``aauth_signing.verify_signature`` would.

    Returns ``True`` when the signature verifies, ``False`` for a bad, stale or expired
    signature, a ``Content-Digest`` that does not match ``body`` (or a covered digest with
    ``body=None``), labels that disagree, or a ``jwks_uri`` key that the JWKS lacks.

    Raises :data:`aauth_verify.SignatureError` (``aauth_signing``'s own class when installed)
    with ``error_code`` and ``details`` for malformed headers (``invalid_request``), missing
    required components (``invalid_input``, ``details["required_input"]``), ``created`` ahead
    of the window (``clock_skew``), unknown or unsupported schemes (``unsupported_scheme``),
    bad keys or a ``keyid`` naming another key (``invalid_key``), bad tokens
    (``invalid_jwt``, ``expired_jwt``), and a missing ``jwks_fetcher``.

    ``public_key`` (``hwk`` only) may be a ``cryptography`` ``Ed25519PublicKey`` or 32 raw
    bytes: the header's key must be that key, else ``False``. ``jwks_fetcher`` is called as
    ``(id, dwk, kid)``, falling back to ``(id, dwk)`` and ``(id)``; a non-callable is the JWKS.
    """
    now_f = time.time()
    now = math.floor(now_f)
    policy = _policy(
        tuple(required_components) if required_components else None, int(signature_window)
    )
    if isinstance(body, str):
        body = body.encode("utf-8")
    url = urlparse(target_uri)
    pairs = _header_pairs(headers, signature_input_header, signature_header, signature_key_header)
    request = _native.NativeRequest(
        method,
        url.scheme or "https",
        url.netloc,
        url.path or "/",
        url.query or None,
        pairs,
        body,
    )
    authorization = any(n == "authorization" for n, _ in pairs)
    try:
        info = _native.inspect(request, policy, now)
    except VerificationError as e:
        return _outcome(e, None, policy, authorization)

    covered = info["covered"]
    if body is None and "content-digest" in covered:
        return False
    if body is None and "content-type" in covered:
        raise SignatureError("content-type component specified but no body present")
    expires = info["expires"]
    if expires is not None and (expires <= now_f or (info["created"] or 0) > expires):
        return False

    need = info["requirement"]
    scheme = info["scheme"]
    key: Any = None
    if scheme == "hwk":
        if public_key is not None and _raw_public_key(public_key) != need["key"].x:
            return False
    elif scheme == "jwks_uri":
        if not jwks_fetcher:
            raise SignatureError("scheme=jwks_uri requires jwks_fetcher")
        jwks = _call_fetcher(jwks_fetcher, need["id"], need["dwk"], need["kid"])
        if not jwks:
            return False
        key = ("jwks", _jwks_bytes(jwks), None)
    elif scheme == "jwt":
        if not jwks_fetcher:
            raise SignatureError("scheme=jwt requires jwks_fetcher")
        token = info["token"]
        jwks = _call_fetcher(jwks_fetcher, token["iss"], token["dwk"], token["kid"])
        if not jwks:
            raise SignatureError("Issuer JWKS unavailable", error_code="unknown_key")
        key = ("jwks", _jwks_bytes(jwks), None)
    try:
        _native.verify(request, policy, now, key)
    except VerificationError as e:
        return _outcome(e, scheme, policy, authorization)
    return True
