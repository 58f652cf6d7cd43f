"""aauth_verify: fast, strict verification of AAuth HTTP request signatures.

RFC 9421 HTTP Message Signatures with Ed25519 and the ``Signature-Key`` header
(draft-hardt-httpbis-signature-key-09, AAuth -11), verified by an allocation-free Rust core
(the GIL is released while it runs).

* :func:`verify_signature`: drop-in for ``aauth_signing.verify_signature`` (0.2.0 semantics).
* :class:`Verifier`: configure once, ``verify(method, url, headers, body)`` → :class:`Verified`
  or :class:`VerificationError` (``.code``, ``.check``, ``.signature_error``); ``averify`` for
  asyncio.
* :class:`Resolver` / :class:`AsyncResolver` (``aauth_verify.resolver``, needs ``h11``, which
  the ``http`` extra brings): key discovery with a bounded cache and the draft's egress
  admission (SK-09 §7.3).
* :class:`AAuthMiddleware` (``aauth_verify.middleware``): ASGI middleware.
* :mod:`aauth_verify.protocols`: what resolvers and fleet stores (replay, assertions) provide;
  :mod:`aauth_verify.stores`: in-memory and Redis stores (``redis`` extra for the latter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _native
from ._dropin import verify_signature
from .errors import CHECKS, ERROR_CODES, SignatureError, StoreUnavailable, VerificationError
from .stores import MemoryAssertionCache, MemoryReplayCache, RedisAssertionCache, RedisReplayCache
from .verifier import (
    Documents,
    HeadersVerified,
    Key,
    KeyRules,
    StaticKeys,
    TrustedJwks,
    Verified,
    Verifier,
)

if TYPE_CHECKING:
    from .middleware import AAuthMiddleware
    from .resolver import AsyncResolver, EgressPolicy, Resolver

__version__ = "0.1.0"

__all__ = [
    "verify_signature",
    "Verifier",
    "Verified",
    "HeadersVerified",
    "Key",
    "KeyRules",
    "Documents",
    "TrustedJwks",
    "StaticKeys",
    "MemoryReplayCache",
    "MemoryAssertionCache",
    "RedisReplayCache",
    "RedisAssertionCache",
    "VerificationError",
    "SignatureError",
    "StoreUnavailable",
    "ERROR_CODES",
    "CHECKS",
    "Resolver",
    "AsyncResolver",
    "EgressPolicy",
    "AAuthMiddleware",
]


def __getattr__(name: str) -> Any:
    # Resolvers need the [http] extra (h11); the core API works without it.
    if name in ("Resolver", "AsyncResolver", "EgressPolicy"):
        from . import resolver

        return getattr(resolver, name)
    if name == "AAuthMiddleware":
        from .middleware import AAuthMiddleware

        return AAuthMiddleware
    raise AttributeError(f"module 'aauth_verify' has no attribute {name!r}")
