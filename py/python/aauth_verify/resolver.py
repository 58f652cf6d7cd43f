"""Key discovery over HTTP with a cache: ``{id}/.well-known/{dwk}`` → ``jwks_uri`` → JWKS.

:class:`Resolver` (sync, ``httpx.Client``) and :class:`AsyncResolver` (``httpx.AsyncClient``)
serve :class:`aauth_verify.Verifier` for ``jwks_uri``, ``jwks``, legacy ``jwks`` and ``jwt``
(the token issuer's keys). Decoded keys are cached per document:

* entries live ``ttl`` seconds (default 300; ``Cache-Control: max-age`` is honoured up to
  ``max_ttl``, at most 24 h);
* an unknown ``kid`` refetches the documents, at most once per ``refetch_interval`` (60 s) per
  signer;
* concurrent misses for the same signer share one fetch (a lock per signer; one task per
  signer in the async resolver).

Egress rules (AAuth §Metadata Documents, SK-09 §7): HTTPS only, except plain HTTP to the hosts
in ``allow_http_hosts`` (e.g. ``{"127.0.0.1:8000", "localhost"}``); no credentials in URLs;
responses limited to ``max_bytes`` and ``timeout`` seconds; redirects followed only within the
same origin (at most 3); optional ``trusted`` allowlist of signer ids / token issuers.
Failures raise :class:`~aauth_verify.VerificationError` (``unknown_key`` when a document cannot
be fetched, ``issuer_missing``/``issuer_mismatch``/``invalid_key`` from the documents).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, Optional, Tuple
from urllib.parse import urljoin, urlsplit

from . import _native
from .errors import VerificationError
from .verifier import Key, KeyRules

__all__ = ["Resolver", "AsyncResolver", "EgressPolicy"]


def _httpx() -> Any:
    """The ``httpx`` module, imported when a resolver is built or fetches: it is an optional
    dependency (the ``[http]`` extra), so ``import aauth_verify`` works without it."""
    try:
        import httpx
    except ImportError:
        raise ImportError("aauth_verify.resolver needs httpx: pip install 'aauth-verify[http]'",
                          name="httpx") from None
    return httpx


_DWK = re.compile(r"^[A-Za-z0-9._-]+$")
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")
DAY = 86400


@dataclass(frozen=True)
class EgressPolicy:
    """Where the resolver may connect, and how much it may read."""

    allow_http_hosts: FrozenSet[str] = frozenset()
    trusted: Optional[FrozenSet[str]] = None
    max_bytes: int = 64 * 1024
    timeout: float = 5.0
    max_redirects: int = 3

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise VerificationError("unknown_key", "key URL carries credentials")
        if not parts.hostname:
            raise VerificationError("unknown_key", "key URL has no host")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and (
            parts.netloc in self.allow_http_hosts or parts.hostname in self.allow_http_hosts
        ):
            return
        raise VerificationError("unknown_key", f"key URL must be https: {url}")

    def check_trusted(self, identifier: str) -> None:
        if self.trusted is not None and identifier.rstrip("/") not in self.trusted:
            raise VerificationError("unknown_key", f"signer {identifier} is not trusted")


@dataclass
class _Entry:
    jwks: bytes
    fetched: float
    expires: float
    keys: Dict[Tuple[str, bool, bool], Any] = field(default_factory=dict)


def _origin(url: str) -> Tuple[str, str]:
    p = urlsplit(url)
    return (p.scheme, p.netloc.lower())


class _Base:
    def __init__(
        self,
        *,
        allow_http_hosts: Iterable[str] = (),
        trusted: Optional[Iterable[str]] = None,
        ttl: float = 300,
        max_ttl: float = DAY,
        refetch_interval: float = 60,
        max_bytes: int = 64 * 1024,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.egress = EgressPolicy(
            allow_http_hosts=frozenset(allow_http_hosts),
            trusted=frozenset(t.rstrip("/") for t in trusted) if trusted is not None else None,
            max_bytes=max_bytes,
            timeout=timeout,
        )
        self.max_ttl = min(float(max_ttl), DAY)
        self.ttl = min(float(ttl), self.max_ttl)
        self.refetch_interval = refetch_interval
        self._clock = clock
        self._cache: Dict[Tuple[Any, ...], _Entry] = {}
        #: Number of HTTP GETs issued (for tests and metrics).
        self.fetches = 0

    # -- pure helpers shared by both flavours ---------------------------------------------

    def _ttl_of(self, headers: Any) -> float:
        cc = headers.get("cache-control", "") if headers is not None else ""
        m = _MAX_AGE.search(cc or "")
        if m:
            return min(float(m.group(1)), self.max_ttl)
        return self.ttl

    def _fresh(self, ck: Tuple[Any, ...]) -> Optional[_Entry]:
        e = self._cache.get(ck)
        if e is not None and self._clock() < e.expires:
            return e
        return None

    def _may_refetch(self, e: _Entry) -> bool:
        return self._clock() - e.fetched >= self.refetch_interval

    def _store(self, ck: Tuple[Any, ...], jwks: bytes, ttl: float) -> _Entry:
        now = self._clock()
        e = _Entry(jwks=jwks, fetched=now, expires=now + ttl)
        self._cache[ck] = e
        return e

    @staticmethod
    def _select(e: _Entry, kid: str, rules: KeyRules) -> Optional[Any]:
        mk = (kid, rules.require_alg, rules.allow_eddsa)
        if mk in e.keys:
            return e.keys[mk]
        try:
            key = Key.select(e.jwks, kid, rules.require_alg, rules.allow_eddsa)
        except VerificationError as err:
            if err.code == "unknown_key":
                return None
            raise
        e.keys[mk] = key
        return key

    def _metadata_url(self, identifier: str, dwk: str) -> str:
        if not _DWK.match(dwk) or dwk in (".", ".."):
            raise VerificationError("invalid_key", "dwk is not a document name")
        self.egress.check_trusted(identifier)
        url = f"{identifier.rstrip('/')}/.well-known/{dwk}"
        self.egress.check_url(url)
        return url

    def _check_response(self, url: str, resp: Any, hops: int) -> Optional[str]:
        """Returns the next URL for a same-origin redirect, None when the body is the answer."""
        if resp.status_code in (301, 302, 303, 307, 308):
            loc: Optional[str] = resp.headers.get("location")
            nxt = urljoin(url, loc or "")
            if not loc or _origin(nxt) != _origin(url) or hops >= self.egress.max_redirects:
                raise VerificationError("unknown_key", f"refusing redirect from {url}")
            return nxt
        if resp.status_code != 200:
            raise VerificationError("unknown_key", f"{url} answered {resp.status_code}")
        return None

    def _too_big(self, url: str) -> VerificationError:
        return VerificationError("unknown_key", f"{url} exceeds {self.egress.max_bytes} bytes")


class Resolver(_Base):
    """Synchronous key resolver (``httpx.Client``); thread-safe. See the module docs."""

    def __init__(self, *, client: Any = None, **kw: Any) -> None:
        super().__init__(**kw)
        httpx = _httpx()

        self._client = client or httpx.Client(timeout=self.egress.timeout, follow_redirects=False, trust_env=False)
        self._locks: Dict[Tuple[Any, ...], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def _lock(self, ck: Tuple[Any, ...]) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(ck, threading.Lock())

    def get(self, url: str) -> Tuple[bytes, Any]:
        """GET with the egress rules; returns (body, headers)."""
        httpx = _httpx()

        hops = 0
        while True:
            self.egress.check_url(url)
            self.fetches += 1
            try:
                with self._client.stream("GET", url, headers={"accept": "application/json"},
                                         timeout=self.egress.timeout, follow_redirects=False) as resp:
                    nxt = self._check_response(url, resp, hops)
                    if nxt is None:
                        buf = bytearray()
                        for chunk in resp.iter_bytes():
                            buf += chunk
                            if len(buf) > self.egress.max_bytes:
                                raise self._too_big(url)
                        return bytes(buf), resp.headers
            except httpx.HTTPError as e:
                raise VerificationError("unknown_key", f"fetching {url} failed: {type(e).__name__}") from None
            url, hops = nxt, hops + 1

    def _load(self, ck: Tuple[Any, ...], fetch: Callable[[], Tuple[bytes, float]], stale: Optional[_Entry]) -> _Entry:
        with self._lock(ck):
            e = self._cache.get(ck)
            if e is not None and e is not stale and self._clock() < e.expires:
                return e  # another thread fetched while we waited
            jwks, ttl = fetch()
            return self._store(ck, jwks, ttl)

    def _key(self, ck: Tuple[Any, ...], fetch: Callable[[], Tuple[bytes, float]], kid: str, rules: KeyRules) -> Any:
        e = self._fresh(ck) or self._load(ck, fetch, None)
        key = self._select(e, kid, rules)
        if key is None and self._may_refetch(e):
            e = self._load(ck, fetch, e)
            key = self._select(e, kid, rules)
        if key is None:
            raise VerificationError("unknown_key", "no key with this kid")
        return key

    def key(self, identifier: str, dwk: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` of signer ``identifier`` (``jwks_uri``; token issuer for ``jwt``)."""
        url = self._metadata_url(identifier, dwk)

        def fetch() -> Tuple[bytes, float]:
            meta, h1 = self.get(url)
            jwks_uri = _native.check_issuer(meta, identifier, rules.legacy_metadata)
            jwks, h2 = self.get(jwks_uri)
            return jwks, min(self._ttl_of(h1), self._ttl_of(h2))

        return self._key(("meta", identifier, dwk, rules.legacy_metadata), fetch, kid, rules)

    def jwks_key(self, url: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` from the JWKS at ``url`` (``jwks`` scheme)."""
        self.egress.check_trusted(url)

        def fetch() -> Tuple[bytes, float]:
            jwks, h = self.get(url)
            return jwks, self._ttl_of(h)

        return self._key(("jwks", url), fetch, kid, rules)

    def as_fetcher(self, rules: KeyRules = KeyRules(require_alg=False, allow_eddsa=True)) -> Callable[..., Any]:
        """A ``jwks_fetcher`` for the drop-in ``verify_signature``: ``f(id, dwk, kid)`` → a
        JWKS dict holding the cached key (after the metadata ``issuer`` check)."""

        def fetch(identifier: str, dwk: str = "aauth-agent.json", kid: Optional[str] = None) -> Any:
            try:
                key = self.key(identifier, dwk, kid or "", rules)
            except VerificationError:
                return None
            return {"keys": [dict(key.jwk(), kid=kid)]}

        return fetch


class AsyncResolver(_Base):
    """Asynchronous key resolver (``httpx.AsyncClient``): concurrent misses share one task."""

    def __init__(self, *, client: Any = None, **kw: Any) -> None:
        super().__init__(**kw)
        httpx = _httpx()

        self._client = client or httpx.AsyncClient(timeout=self.egress.timeout, follow_redirects=False, trust_env=False)
        self._inflight: Dict[Tuple[Any, ...], "asyncio.Future[_Entry]"] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, url: str) -> Tuple[bytes, Any]:
        httpx = _httpx()

        hops = 0
        while True:
            self.egress.check_url(url)
            self.fetches += 1
            try:
                async with self._client.stream("GET", url, headers={"accept": "application/json"},
                                               timeout=self.egress.timeout, follow_redirects=False) as resp:
                    nxt = self._check_response(url, resp, hops)
                    if nxt is None:
                        buf = bytearray()
                        async for chunk in resp.aiter_bytes():
                            buf += chunk
                            if len(buf) > self.egress.max_bytes:
                                raise self._too_big(url)
                        return bytes(buf), resp.headers
            except httpx.HTTPError as e:
                raise VerificationError("unknown_key", f"fetching {url} failed: {type(e).__name__}") from None
            url, hops = nxt, hops + 1

    async def _load(self, ck: Tuple[Any, ...], fetch: Callable[[], Any]) -> _Entry:
        fut = self._inflight.get(ck)
        if fut is not None:
            return await asyncio.shield(fut)
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._inflight[ck] = fut
        try:
            jwks, ttl = await fetch()
            e = self._store(ck, jwks, ttl)
            fut.set_result(e)
            return e
        except BaseException as err:
            fut.set_exception(err)
            fut.exception()  # mark retrieved when nobody else waits
            raise
        finally:
            del self._inflight[ck]

    async def _key(self, ck: Tuple[Any, ...], fetch: Callable[[], Any], kid: str, rules: KeyRules) -> Any:
        e = self._fresh(ck) or await self._load(ck, fetch)
        key = self._select(e, kid, rules)
        if key is None and self._may_refetch(e):
            e = await self._load(ck, fetch)
            key = self._select(e, kid, rules)
        if key is None:
            raise VerificationError("unknown_key", "no key with this kid")
        return key

    async def akey(self, identifier: str, dwk: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        url = self._metadata_url(identifier, dwk)

        async def fetch() -> Tuple[bytes, float]:
            meta, h1 = await self.get(url)
            jwks_uri = _native.check_issuer(meta, identifier, rules.legacy_metadata)
            jwks, h2 = await self.get(jwks_uri)
            return jwks, min(self._ttl_of(h1), self._ttl_of(h2))

        return await self._key(("meta", identifier, dwk, rules.legacy_metadata), fetch, kid, rules)

    async def ajwks_key(self, url: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        self.egress.check_trusted(url)

        async def fetch() -> Tuple[bytes, float]:
            jwks, h = await self.get(url)
            return jwks, self._ttl_of(h)

        return await self._key(("jwks", url), fetch, kid, rules)

    def key(self, *a: Any, **k: Any) -> Any:  # pragma: no cover - guidance only
        raise TypeError("AsyncResolver is async: use Verifier.averify (or Resolver for verify)")

    jwks_key = key
