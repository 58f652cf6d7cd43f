"""Drop-in replacement for ``aauth_signing.verify_signature`` (aauth-signing 0.2.0).

Same parameters, same ``True``/``False``/raise split (aauth-signing 0.2.0's), verified by the Rust
core. Deliberate widenings, all of them wire forms older peers send: the legacy inner-list
``Signature-Key``, Ed25519 keys without ``alg``, ``EdDSA`` keys and tokens, and standard
(RFC 8941, padded) base64 in ``Signature`` next to the Python signer's unpadded base64url.
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from . import _native
from .errors import SignatureError, VerificationError
from .verifier import _split_target

__all__ = ["verify_signature"]

_SIG_HEADERS = ("signature-input", "signature", "signature-key")
_SIG_HEADER_SET = frozenset(_SIG_HEADERS)

#: Schemes aauth-signing 0.2.0 verifies; others raise "Unknown signature scheme".
_DROPIN_SCHEMES = ["hwk", "jwks_uri", "jwt", "jkt-jwt"]

#: aauth-signing does not check a ``jwt``'s ``typ``; these are the types AAuth peers have sent
#: (agent and auth tokens, current and January 2026 names).
_JWT_TYPES = ["aa-agent+jwt", "agent+jwt", "aa-auth+jwt", "auth+jwt"]

#: ``invalid_signature`` failures that aauth-signing raises for (its parser throws on an empty
#: ``Signature-Input`` or ``Signature-Key``) where it answers every other one with ``False``.
_RAISING_CHECKS = frozenset({"signature_input_missing", "signature_key_missing"})

#: Failures of other codes that aauth-signing answers with ``False``: the three headers
#: disagree on the label, or ``Signature`` is absent.
_FALSE_CHECKS = frozenset(
    {"signature_key_label_missing", "signature_label_missing", "signature_missing"}
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


_DEFAULT_POLICY = _policy(None, 60)


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


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _jwks_bytes(jwks: Any) -> bytes:
    if isinstance(jwks, bytes):
        return jwks
    if isinstance(jwks, str):
        return jwks.encode("utf-8")
    return _dumps(jwks).encode("utf-8")


#: Keys selected from earlier JWKS documents, so that a fetcher returning the same document
#: again (aauth_signing's fetchers build a fresh dict per call) costs no JSON serialisation
#: and no key parsing: ``(scheme, signer, kid) -> (snapshot, NativeKey)``. ``snapshot`` is
#: the document as verified (``bytes``/``str`` as given, a dict as ``json.loads`` of the
#: bytes verified); a later document is served from here only when ``_native.same_json``
#: finds it identical to the snapshot (same types, key order, values), i.e. when it would
#: serialise to the same bytes, whose key selection is deterministic. Only keys that verified
#: a request are kept. Every drop-in policy has the same key rules (``_policy``), so they are
#: not part of the memo key.
_KEY_MEMO: Dict[Tuple[str, str, str], Tuple[Any, Any]] = {}
_KEY_MEMO_SIZE = 256


def _memo_put(memo: Tuple[str, str, str], jwks: Any, raw: bytes, key: Any) -> None:
    if type(jwks) is bytes or type(jwks) is str:
        snapshot = jwks
    else:
        try:
            snapshot = json.loads(raw)
        except ValueError:  # pragma: no cover - the core accepted these bytes as JSON
            return
        if _dumps(snapshot).encode("utf-8") != raw:
            return  # would not serialise back to the bytes verified: never serve it
    if len(_KEY_MEMO) >= _KEY_MEMO_SIZE:
        _KEY_MEMO.clear()
    _KEY_MEMO[memo] = (snapshot, key)


def _memo_key(scheme: str, signer: Any, kid: Any) -> Optional[Tuple[str, str, str]]:
    """The memo slot for a key, or None when ``kid`` cannot name one reliably (absent, or
    replaced characters where the core's text did not decode)."""
    if not kid or not isinstance(signer, str) or "\ufffd" in kid:
        return None
    return (scheme, signer, kid)


def _raise(e: VerificationError, policy: Any, authorization: bool) -> Exception:
    details: Dict[str, Any] = {}
    if e.code == "invalid_input":
        required = set(policy.required)
        if authorization:
            required.add("authorization")
        details["required_input"] = sorted(required)
    err: Exception = SignatureError(e.detail or e.code, error_code=e.code, details=details)
    try:
        setattr(err, "signature_error", e.signature_error)
    except AttributeError:  # pragma: no cover
        pass
    return err


def _outcome(e: VerificationError, scheme: Optional[str], policy: Any, authorization: bool) -> bool:
    """aauth-signing 0.2.0's answer to a core refusal: ``False`` or a raised ``SignatureError``
    (decided by the failed check, never by its English text)."""
    if e.code == "invalid_signature" and e.check not in _RAISING_CHECKS:
        return False
    if e.check in _FALSE_CHECKS:
        return False
    if e.code == "unknown_key" and scheme == "jwks_uri":
        return False
    raise _raise(e, policy, authorization) from None


#: ``target_uri`` seen before -> ``(scheme or "https", authority, path, query or None)`` as
#: verify_signature splits it (:func:`aauth_verify.verifier._split_target`); bounded.
_TARGETS: Dict[str, Tuple[str, str, str, Optional[str]]] = {}
_TARGETS_SIZE = 256


def _target(target_uri: Any) -> Tuple[str, str, str, Optional[str]]:
    """The target as the server that received it routes it: the path as given, ``;params``
    included (aauth-signing's ``urlparse`` drops them, so a signature over ``/x`` verified
    ``/x;a=b``), ``//x`` a path, never an authority; a ``#``, or a target of neither form, is
    ``invalid_request``."""
    if type(target_uri) is not str:
        raise TypeError(f"target_uri must be a str, not {type(target_uri).__name__}")
    try:
        scheme, netloc, path, query = _split_target(target_uri)
    except ValueError as e:  # neither form: refused like a malformed header
        raise VerificationError("invalid_request", str(e)) from None
    target = (scheme or "https", netloc, path, query or None)
    if len(_TARGETS) >= _TARGETS_SIZE:
        _TARGETS.clear()
    _TARGETS[target_uri] = target
    return target


def _window(signature_window: Any) -> int:
    if type(signature_window) is not int:
        raise TypeError(f"signature_window must be an int of seconds, not "
                        f"{type(signature_window).__name__}")
    if not 0 <= signature_window < 2**63:
        raise ValueError(f"signature_window must be between 0 and 2**63 - 1, not {signature_window}")
    return signature_window


def _components(required: Any) -> Optional[Tuple[str, ...]]:
    if not required:
        return None
    if isinstance(required, (str, bytes)) or not isinstance(required, Iterable):
        raise TypeError("required_components must be a list of component names, not "
                        f"{type(required).__name__}")
    out = tuple(required)
    for c in out:
        if type(c) is not str:
            raise TypeError(f"required_components must hold str, not {type(c).__name__}")
    return out


def _header_pairs(
    headers: Union[Mapping[str, str], Sequence[Tuple[str, str]]],
    sig_input: str,
    sig: str,
    sig_key: str,
) -> List[Tuple[Any, Any]]:
    seen: Set[str] = set()
    pairs: List[Tuple[Any, Any]] = []
    add, append = seen.add, pairs.append
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:
        lower = str(name).lower()
        if lower in _SIG_HEADER_SET or lower in seen:
            continue
        add(lower)
        append((lower, value))
    if sig_input:
        append(("signature-input", sig_input))
    if sig:
        append(("signature", sig))
    if sig_key:
        append(("signature-key", sig_key))
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

    ``target_uri``'s path is used as given, the way the server routes it (RFC 9112 §3.2):
    ``;params`` included (aauth-signing drops them, so its signature over ``/x`` verified
    ``/x;a=b``; here it does not), an origin-form ``//x`` is a path, and a target with ``#``
    (or that is neither a path nor an absolute URL) raises ``invalid_request``. Arguments of the wrong kind raise ``TypeError`` (a non-``str``
    method or target, a ``signature_window`` that is not an ``int``, a bare ``str`` as
    ``required_components``) or ``ValueError`` (a negative or 64-bit ``signature_window``).
    """
    now_f = time.time()
    now = math.floor(now_f)
    if not required_components and signature_window == 60 and type(signature_window) is int:
        policy = _DEFAULT_POLICY  # what _policy(None, 60) returns
    else:
        policy = _policy(_components(required_components), _window(signature_window))
    if type(method) is not str:
        raise TypeError(f"method must be a str, not {type(method).__name__}")
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif body is not None and type(body) is not bytes:
        if not isinstance(body, (bytearray, memoryview)):
            raise TypeError(f"body must be bytes, str or None, not {type(body).__name__}")
        body = bytes(body)
    target = _TARGETS.get(target_uri) if type(target_uri) is str else None
    if target is None:
        try:
            target = _target(target_uri)
        except VerificationError as e:
            raise _raise(e, policy, False) from None
    scheme, netloc, path, query = target
    pairs = _header_pairs(headers, signature_input_header, signature_header, signature_key_header)
    request = _native.NativeRequest(method, scheme, netloc, path, query, pairs, body)
    authorization = any(n == "authorization" for n, _ in pairs)
    try:
        pending = _native.parse(request, policy, now)
    except VerificationError as e:
        return _outcome(e, None, policy, authorization)
    # aauth-signing's checks on the parsed signature, then the fetcher (its exceptions, a
    # VerificationError included, propagate unchanged: they are not the core's verdict).
    found = _key_source(pending, body, now_f, public_key, jwks_fetcher)
    if found is False:
        return False
    source, remember = (None, None) if found is None or found is True else found
    try:
        out = pending.finish(source)
    except VerificationError as e:
        return _outcome(e, pending.scheme, policy, authorization)
    if remember is not None:
        # A JWKS that verified this request: remember the key selected from it.
        memo, jwks, raw = remember
        _memo_put(memo, jwks, raw, out["key"] if pending.scheme == "jwks_uri" else out["issuer_key"])
    return True


#: What `_key_source` found: the key source for phase 2 with, for a JWKS from the fetcher,
#: what the memo keeps once it verified (slot, document, bytes).
_Found = Tuple[Any, Optional[Tuple[Tuple[str, str, str], Any, bytes]]]


def _key_source(pending: Any, body: Optional[bytes], now_f: float, public_key: Any,
                jwks_fetcher: Any) -> Union[None, bool, _Found]:
    """aauth-signing's checks on the parsed signature and its key lookup: ``None`` for the
    request's own key, ``False`` for aauth-signing's ``False``, else the key source."""
    covered = pending.covered
    if body is None and "content-digest" in covered:
        return False
    if body is None and "content-type" in covered:
        raise SignatureError("content-type component specified but no body present")
    expires = pending.expires
    if expires is not None and (expires <= now_f or (pending.created or 0) > expires):
        return False
    scheme = pending.scheme
    plan = pending.fetch
    if scheme == "hwk":
        if public_key is not None and _raw_public_key(public_key) != pending.inline_key.x:
            return False
        return None
    if scheme != "jwks_uri" and scheme != "jwt":
        return None
    if not jwks_fetcher:
        raise SignatureError(f"scheme={scheme} requires jwks_fetcher")
    signer, kid = plan.origin, plan.kid
    jwks = _call_fetcher(jwks_fetcher, signer, plan.dwk, kid)
    if not jwks:
        if scheme == "jwt":
            raise SignatureError("Issuer JWKS unavailable", error_code="unknown_key")
        return False
    memo = _memo_key(scheme, signer, kid)
    if memo is not None:
        entry = _KEY_MEMO.get(memo)
        if entry is not None and entry[1] is not None and _native.same_json(jwks, entry[0]):
            return entry[1], None
    raw = _jwks_bytes(jwks)
    return _native.TrustedJwks(raw), ((memo, jwks, raw) if memo is not None else None)
