"""What :class:`aauth_verify.Verifier` asks of the objects it is given: key resolvers, and the
fleet state a deployment shares between processes (replay keys, cached assertions).

Every protocol is structural (``typing.Protocol``): any object with these methods will do.
:class:`~aauth_verify.resolver.Resolver` and :class:`~aauth_verify.StaticKeys` are
:class:`KeyResolver`\\ s, :class:`~aauth_verify.resolver.AsyncResolver` is an
:class:`AsyncKeyResolver`.

Key resolvers
    ``key(identifier, dwk, kid, rules)`` answers a ``FetchMetadata`` plan (a ``jwks_uri``
    signer, or a token issuer), ``jwks_key(url, kid, rules)`` a ``FetchJwks`` plan. Either
    returns a :data:`KeySource`: a :class:`~aauth_verify.Key` it selected, the
    :class:`~aauth_verify.Documents` it fetched (the core then checks the metadata ``issuer``
    and selects ``kid``), or a :class:`~aauth_verify.TrustedJwks`; or raises
    :class:`~aauth_verify.VerificationError`.

Cache hits without an await
    A resolver may also answer from memory: ``cached_key(identifier, dwk, kid, rules)`` and
    ``cached_jwks_key(url, kid, rules)`` (:class:`CachedKeys`) return the key a lookup would
    return when it is already at hand, or ``None``; they must not fetch, wait or block. The
    verifier asks them first, and awaits ``akey``/``ajwks_key`` only on ``None``, so a warm
    resolver costs ``averify`` no await (:class:`~aauth_verify.resolver.Resolver` and
    :class:`~aauth_verify.resolver.AsyncResolver` have both).

Refresh once (SK-09 §5.4.8, §7.2)
    When the key a resolver gave fails (its JWKS lacks the ``kid``, or the key does not verify
    the request or the token), the error's ``refetch`` is set and the verifier calls
    ``refresh(signer)`` (``arefresh`` under ``averify``) once, with the plan's signer (the
    metadata origin or the JWKS URL). The resolver drops what it cached for that signer and
    answers ``True`` if its next lookup will fetch again, ``False`` if its refetch floor (once
    a minute per signer) forbids it; on ``True`` the verifier resolves and finishes once more.
    A resolver without ``refresh`` is not asked.

Fleet state
    :class:`ReplayStore` records replay keys (``check_and_record`` is an atomic insert-if-absent
    that answers ``False`` for a key already present); :class:`AssertionStore` keeps the
    assertions behind the cache identifiers the verifier issues (``Signature-Key-Cache``) and
    resolves them for the ``cached`` scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, Protocol, Tuple, Union

if TYPE_CHECKING:
    from ._native import Documents, NativeKey, ReplayKey, TrustedJwks
    from .verifier import KeyRules

__all__ = [
    "KeySource",
    "KeyResolver",
    "AsyncKeyResolver",
    "CachedKeys",
    "Refreshable",
    "AsyncRefreshable",
    "ReplayStore",
    "AsyncReplayStore",
    "AssertionStore",
    "AsyncAssertionStore",
    "Profile",
    "SchemeName",
    "AssertionScheme",
]

#: ``Verifier(profile=...)``.
Profile = Literal["strict", "compat"]

#: A ``Signature-Key`` scheme name (``legacy-jwks`` is the January 2026 form of ``jwks``).
SchemeName = Literal[
    "hwk", "jwks_uri", "jwks", "legacy-jwks", "jwt", "jkt-jwt", "self-jwt", "cached"
]

#: The schemes an assertion of the ``cached`` scheme can stand for.
AssertionScheme = Literal["jwt", "jkt-jwt"]

#: What a resolver returns for a plan.
KeySource = Union["NativeKey", "Documents", "TrustedJwks"]


class KeyResolver(Protocol):
    """Resolves key plans synchronously (``Verifier.verify``, and ``averify`` when there is no
    async method)."""

    def key(self, identifier: str, dwk: str, kid: str, rules: "KeyRules") -> KeySource:
        """The key ``kid`` of the signer (or token issuer) ``identifier``, whose metadata is at
        ``{identifier}/.well-known/{dwk}``."""
        ...

    def jwks_key(self, url: str, kid: str, rules: "KeyRules") -> KeySource:
        """The key ``kid`` from the JWKS at ``url``."""
        ...


class AsyncKeyResolver(Protocol):
    """Resolves key plans for ``Verifier.averify``."""

    async def akey(self, identifier: str, dwk: str, kid: str, rules: "KeyRules") -> KeySource:
        ...

    async def ajwks_key(self, url: str, kid: str, rules: "KeyRules") -> KeySource:
        ...


class CachedKeys(Protocol):
    """A resolver's answers from memory (see the module documentation): ``None`` when the
    key is not at hand, never I/O, waiting or a lock that may block."""

    def cached_key(self, identifier: str, dwk: str, kid: str, rules: "KeyRules") -> Optional[KeySource]:
        ...

    def cached_jwks_key(self, url: str, kid: str, rules: "KeyRules") -> Optional[KeySource]:
        ...


class Refreshable(Protocol):
    """A resolver that can refetch a signer's keys once (see the module documentation)."""

    def refresh(self, signer: str) -> bool:
        ...


class AsyncRefreshable(Protocol):
    async def arefresh(self, signer: str) -> bool:
        ...


class ReplayStore(Protocol):
    """Where verified requests are remembered (AAuth §Freshness and Replay)."""

    def check_and_record(self, key: "ReplayKey", now: int) -> bool:
        """Records ``key`` until ``key.until`` and answers ``True``, or answers ``False`` if it
        is already recorded and not expired at ``now`` (a replay). Must be atomic."""
        ...


class AsyncReplayStore(Protocol):
    async def acheck_and_record(self, key: "ReplayKey", now: int) -> bool:
        ...


class AssertionStore(Protocol):
    """The assertions behind the cache identifiers this verifier issued (SK-09 §6)."""

    def get(self, cid: str) -> Optional[Tuple[bytes, AssertionScheme]]:
        """The assertion and its scheme held under ``cid``, or ``None`` (``cache_miss``)."""
        ...

    def put(self, cid: str, assertion: bytes, scheme: AssertionScheme, expires: int) -> None:
        """Holds ``assertion`` under ``cid`` until ``expires`` (seconds since the epoch)."""
        ...


class AsyncAssertionStore(Protocol):
    async def aget(self, cid: str) -> Optional[Tuple[bytes, AssertionScheme]]:
        ...

    async def aput(self, cid: str, assertion: bytes, scheme: AssertionScheme, expires: int) -> None:
        ...
