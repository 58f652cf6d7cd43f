"""Key discovery over HTTP with a cache: ``{id}/.well-known/{dwk}`` → ``jwks_uri`` → JWKS.

:class:`Resolver` (sync, sockets) and :class:`AsyncResolver` (asyncio streams) serve
:class:`aauth_verify.Verifier` for ``jwks_uri``, ``jwks``, legacy ``jwks`` and ``jwt`` (the
token issuer's keys). Both speak HTTP/1.1 through ``h11`` over connections they open
themselves, so that every rule below is enforced where the bytes are read.

Egress admission (SK-09 §7.3, a MUST; the rules live in the core's ``egress`` module):

* ``id``/``iss`` are admitted only as bare origins (``https://host[:port]``: lowercase, no
  userinfo, path, query or fragment, no trailing slash); ``jwks`` URLs and ``jwks_uri`` only
  as ``https://host[:port]/path[?query]``. Anything else is ``invalid_key``.
* HTTPS only, except plain HTTP to the hosts in ``allow_http_hosts``.
* The host is resolved once per resolution; loopback, private (RFC 1918, RFC 4193),
  link-local, CGNAT, unspecified, multicast, reserved and documentation addresses (and their
  IPv4-mapped, -compatible and NAT64 forms) are refused (``unknown_key``) unless the host is
  listed in ``allow_http_hosts`` or ``allow_private_hosts``. The connection goes to the
  checked address (DNS-rebinding pinning); the ``Host`` header, TLS SNI and the certificate
  check still use the name.
* A ``jwks_uri`` on another origin than its metadata document needs
  ``allow_cross_origin_jwks``.
* Redirects are followed only on the same origin, at most ``max_redirects``, never in a loop.
* ``Accept-Encoding: identity``; a response with any other ``Content-Encoding`` is refused, so
  ``max_bytes`` counts the bytes that are parsed. Documents larger than the core parses
  (metadata 4096 bytes, JWKS 16384 bytes) are refused while they are read.
* ``timeout`` seconds per document (connection, redirects and body, whatever the server's
  pace) and ``resolution_timeout`` seconds per resolution (metadata and JWKS together).
* The ``VerificationError`` a client sees never carries upstream statuses, URLs, addresses or
  document contents; those go to the ``aauth_verify`` logger (level INFO).

Allowlist patterns (``allow_http_hosts``, ``allow_private_hosts``, ``allow_cross_origin_jwks``):
``host`` (that host on its scheme's default port only: ``{"localhost"}`` does **not** admit
``http://localhost:8000``), ``host:port``, ``host:*`` (every port), ``*.suffix[:port|:*]``
and ``*[:port|:*]``. Hosts are written as in URLs (lowercase, ``[::1]``); a malformed pattern
is a ``ValueError``.

Cache (SK-09 §7.2):

* entries live ``ttl`` seconds (default 300; ``Cache-Control: max-age`` is honoured up to
  ``max_ttl``, at most 24 h), but a signer's documents are never fetched more than once per
  ``refetch_interval`` (60 s), whatever the TTL, a failure, or an unknown ``kid`` says;
* an unknown ``kid`` refetches at most once per ``refetch_interval``; after a cached key fails
  to verify, :meth:`Resolver.refreshed_key` (and friends) refresh under the same floor;
* a failed fetch is cached (negative cache) and retried after ``refetch_interval``, doubling
  per consecutive failure up to ``max_backoff``; while a refresh fails the last good keys
  are served for up to ``max_stale`` seconds past their expiry (AAuth stale-on-error);
* concurrent misses for the same document share one fetch and its outcome, failure included
  (one shielded task per document in the async resolver: cancelling one waiter, even the
  first, cancels nobody else);
* at most ``max_entries`` entries and ``max_cache_bytes`` bytes (least recently used entries
  go first); only documents that parse are stored, and cache keys are the canonical URLs;
* one origin receives at most ``max_fetches_per_origin`` (16) GETs per ``refetch_interval``,
  however many ``dwk`` names or URLs a signer points at it.

Keys (decided for issue 12, finding 13): the core's ``select_jwk`` selects the usable Ed25519
key whose ``kid`` matches. Two *different* usable keys under the requested ``kid`` are
``invalid_key`` (which one the signer meant is undefined); the same key listed twice is fine,
and members that are not usable (another ``kty``, no ``alg`` under strict) never make a usable
one fail. JWKS ``use`` and ``key_ops`` are not read (the core ignores members no signature-key
scheme defines): a member marked ``"use": "enc"`` is still selected by its ``kid``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as _FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple, Union
from urllib.parse import urljoin

try:
    import h11
except ImportError:  # without the [http] extra: resolvers refuse to be built (see _need_h11)
    pass

from . import _native
from .errors import VerificationError
from .verifier import Key, KeyRules

__all__ = ["Resolver", "AsyncResolver", "EgressPolicy"]

log = logging.getLogger("aauth_verify")

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d{1,10})")
DAY = 86400
#: The core's document limits (``metadata::MAX_METADATA_LEN``, ``jwk::MAX_JWKS_LEN``).
MAX_METADATA_BYTES = 4096
MAX_JWKS_BYTES = 16 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 16 * 1024
#: Largest response head (status line and headers) read, in bytes.
_MAX_HEAD = 16 * 1024
#: Bytes an entry costs besides its JWKS (the entry, its key and its memo), for the byte bound.
_ENTRY_OVERHEAD = 512

CacheKey = Tuple[Any, ...]
Fetch = Callable[[], Tuple[bytes, float]]
AFetch = Callable[[], Awaitable[Tuple[bytes, float]]]


def _number(name: str, v: object, lo: float, hi: float, *, integer: bool = False,
            open_lo: bool = False) -> float:
    """A numeric option: ``TypeError`` unless a number (not a bool; an int when ``integer``),
    ``ValueError`` unless finite and within ``[lo, hi]`` (``(lo, hi]`` when ``open_lo``)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, not {type(v).__name__}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"{name} must be finite")
    if v < lo or v > hi or (open_lo and v == lo):
        raise ValueError(f"{name} must be in {'(' if open_lo else '['}{lo}, {hi}]")
    return float(v)


def _patterns(name: str, items: Iterable[str]) -> FrozenSet[str]:
    """An allowlist option: an iterable of pattern strings (not a lone str), each well formed."""
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{name} must be a collection of patterns, not a single string")
    out = frozenset(items)
    for p in out:
        if not isinstance(p, str):
            raise TypeError(f"{name} holds a {type(p).__name__}, not a str")
        try:
            _native.check_pattern(p)
        except ValueError as e:
            raise ValueError(f"{name}: {p!r}: {e}") from None
    return out


@dataclass(frozen=True)
class EgressPolicy:
    """Where the resolver may connect, and how much and how long it may read (see the module
    documentation for the pattern syntax and the rules)."""

    allow_http_hosts: FrozenSet[str] = frozenset()
    trusted: Optional[FrozenSet[str]] = None
    max_bytes: int = 64 * 1024
    timeout: float = 5.0
    max_redirects: int = 3
    allow_private_hosts: FrozenSet[str] = frozenset()
    allow_cross_origin_jwks: FrozenSet[str] = frozenset()
    resolution_timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in ("allow_http_hosts", "allow_private_hosts", "allow_cross_origin_jwks"):
            object.__setattr__(self, name, _patterns(name, getattr(self, name)))
        _number("max_bytes", self.max_bytes, 1, 1 << 30, integer=True)
        _number("timeout", self.timeout, 0, 3600, open_lo=True)
        _number("resolution_timeout", self.resolution_timeout, 0, 3600, open_lo=True)
        _number("max_redirects", self.max_redirects, 0, 10, integer=True)

    def check_url(self, url: str) -> str:
        """Admits a fetch URL: ``"listed"``, ``"public"`` or ``"resolve"`` (resolve the name and
        check each address with :meth:`check_address`); ``VerificationError`` otherwise
        (``invalid_key`` for a malformed URL, ``unknown_key`` for a refused destination)."""
        if not isinstance(url, str):
            raise TypeError(f"key URL must be a str, not {type(url).__name__}")
        return _native.admit(url, list(self.allow_http_hosts), list(self.allow_private_hosts))

    @staticmethod
    def check_address(addr: str) -> None:
        """Refuses (``unknown_key``) a resolved address that is not public."""
        _native.admit_address(addr)

    def check_trusted(self, identifier: str) -> None:
        if self.trusted is not None and identifier.rstrip("/") not in self.trusted:
            raise VerificationError("unknown_key", "signer is not trusted")


class _Failed(Exception):
    """A fetch failed for a reason the log may hear and the client may not."""


@dataclass(frozen=True)
class _Target:
    """One request: the URL as admitted, and where it connects."""

    url: str
    scheme: str
    host: str  # the name, or the address text of an IP literal
    addr: str  # the checked address the connection goes to
    port: int
    authority: str  # the Host header
    target: str  # the origin-form request target

    def headers(self) -> List[Tuple[str, str]]:
        return [("host", self.authority), ("accept", "application/json"),
                ("accept-encoding", "identity"), ("connection", "close"),
                ("user-agent", "aauth-verify")]


class _Response:
    """The response side of one exchange (sans I/O): fed the bytes read, it enforces the
    head and body limits and the content coding as the bytes arrive."""

    def __init__(self, t: _Target, limit: int) -> None:
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        try:
            #: The request to send: a GET without a body.
            self.request = (self.conn.send(h11.Request(method="GET", target=t.target, headers=t.headers()))
                            or b"") + (self.conn.send(h11.EndOfMessage()) or b"")
        except h11.ProtocolError as e:  # the core admitted target and authority; defensive
            raise _Failed(f"request not expressible: {e}") from None
        self.limit = limit
        self.status = 0
        self.location: Optional[str] = None
        self.max_age: Optional[str] = None
        self.body = bytearray()
        self.done = False

    def feed(self, data: bytes) -> None:
        try:
            self.conn.receive_data(data)
            while not self.done:
                ev = self.conn.next_event()
                if ev is h11.NEED_DATA:
                    if not data:
                        raise _Failed("connection closed early")
                    return
                if isinstance(ev, h11.InformationalResponse):
                    continue
                if isinstance(ev, h11.Response):
                    self._head(ev)
                elif isinstance(ev, h11.Data):
                    self.body += ev.data
                    if len(self.body) > self.limit:
                        raise _Failed(f"body over {self.limit} bytes")
                elif isinstance(ev, h11.EndOfMessage):
                    self.done = True
                else:
                    raise _Failed(f"unexpected {type(ev).__name__}")
        except h11.ProtocolError as e:
            raise _Failed(f"HTTP protocol error: {e}") from None

    def _head(self, ev: h11.Response) -> None:
        self.status = ev.status_code
        headers: Dict[bytes, List[bytes]] = {}
        for k, v in ev.headers:
            headers.setdefault(bytes(k), []).append(bytes(v))
        if self.status in _REDIRECTS:
            loc = headers.get(b"location", [])
            self.location = loc[0].decode("latin-1") if len(loc) == 1 else None
            self.done = True  # the body of a redirect is never read
            return
        if self.status != 200:
            raise _Failed(f"answered {self.status}")
        codings = [c.strip().lower() for v in headers.get(b"content-encoding", []) for c in v.split(b",")]
        if any(c not in (b"", b"identity") for c in codings):
            raise _Failed(f"content coding {b','.join(codings).decode('latin-1')!r} refused")
        for v in headers.get(b"content-length", []):
            if v.strip().isdigit() and int(v) > self.limit:
                raise _Failed(f"content-length {int(v)} over {self.limit} bytes")
        cc = b", ".join(headers.get(b"cache-control", []))
        self.max_age = cc.decode("latin-1")


_DNS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="aauth-dns")


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
        allow_private_hosts: Iterable[str] = (),
        allow_cross_origin_jwks: Iterable[str] = (),
        resolution_timeout: float = 10.0,
        max_redirects: int = 3,
        max_backoff: float = 900,
        max_stale: float = DAY,
        max_entries: int = 1024,
        max_cache_bytes: int = 8 << 20,
        ssl_context: Optional[ssl.SSLContext] = None,
        max_fetches_per_origin: int = 16,
    ) -> None:
        """See the module documentation. ``ttl``, ``max_ttl`` (capped at 24 h),
        ``refetch_interval`` (SK-09 requires at least 60 s; smaller values are for tests),
        ``max_backoff`` and ``max_stale`` are seconds; ``clock`` drives the cache only
        (deadlines use :func:`time.monotonic`); ``ssl_context`` verifies HTTPS servers
        (default: the system trust store); ``max_fetches_per_origin`` bounds the GETs sent to
        one origin per ``refetch_interval``, whatever ``id``/``dwk``/URL spellings a signer
        names (so the verifier cannot be turned into a reflector against one host)."""
        if trusted is not None and isinstance(trusted, (str, bytes)):
            raise TypeError("trusted must be a collection of identifiers, not a single string")
        self.egress = EgressPolicy(
            allow_http_hosts=frozenset(_patterns("allow_http_hosts", allow_http_hosts)),
            trusted=frozenset(t.rstrip("/") for t in trusted) if trusted is not None else None,
            max_bytes=max_bytes,
            timeout=timeout,
            max_redirects=max_redirects,
            allow_private_hosts=_patterns("allow_private_hosts", allow_private_hosts),
            allow_cross_origin_jwks=_patterns("allow_cross_origin_jwks", allow_cross_origin_jwks),
            resolution_timeout=resolution_timeout,
        )
        self.max_ttl = min(_number("max_ttl", max_ttl, 0, 1e12), DAY)
        self.ttl = min(_number("ttl", ttl, 0, 1e12), self.max_ttl)
        self.refetch_interval = _number("refetch_interval", refetch_interval, 0, DAY)
        self.max_backoff = max(_number("max_backoff", max_backoff, 0, 30 * DAY), self.refetch_interval)
        self.max_stale = _number("max_stale", max_stale, 0, 30 * DAY)
        self.max_entries = int(_number("max_entries", max_entries, 1, 1 << 24, integer=True))
        self.max_cache_bytes = int(_number("max_cache_bytes", max_cache_bytes, 1, 1 << 40, integer=True))
        if not callable(clock):
            raise TypeError("clock must be callable")
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError("ssl_context must be an ssl.SSLContext")
        self._ssl = ssl_context or ssl.create_default_context()
        self._clock = clock
        self.max_fetches_per_origin = int(_number("max_fetches_per_origin", max_fetches_per_origin, 1, 1 << 20,
                                                  integer=True))
        #: GET times per origin within the last ``refetch_interval`` (at most ``max_entries``
        #: origins, least recently used dropped first).
        self._sent: "OrderedDict[str, List[float]]" = OrderedDict()
        self._cache: "OrderedDict[CacheKey, _Entry]" = OrderedDict()
        self._bytes = 0
        self._guard = threading.Lock()
        #: Number of HTTP GETs issued (for tests and metrics).
        self.fetches = 0

    # -- admission -------------------------------------------------------------------------

    def _meta_source(self, identifier: str, dwk: str, rules: KeyRules) -> Tuple[CacheKey, str]:
        if not isinstance(identifier, str) or not isinstance(dwk, str):
            raise TypeError("identifier and dwk must be str")
        url = _native.metadata_url(identifier, dwk)  # parses the origin; invalid_key
        self.egress.check_trusted(identifier)
        self.egress.check_url(url)
        return ("meta", identifier, dwk, rules.legacy_metadata), url

    def _jwks_source(self, url: str) -> CacheKey:
        if not isinstance(url, str):
            raise TypeError(f"key URL must be a str, not {type(url).__name__}")
        self.egress.check_url(url)
        self.egress.check_trusted(url)
        return ("jwks", url)

    def _plan(self, url: str, addrs: Dict[str, str]) -> Tuple[_Target, Optional[Tuple[str, int]]]:
        """Admits ``url`` and returns its target, with ``(name, port)`` when the name is not
        resolved yet (``addrs`` maps each name to the address checked for it)."""
        self.egress.check_url(url)
        (scheme, kind, host, port, authority), _, target = _native.parse_url(url)
        t = _Target(url, scheme, host, addrs.get(host, host), port, authority, target)
        return t, ((host, port) if kind == "name" and host not in addrs else None)

    def _spend(self, t: _Target) -> None:
        """Counts one GET to ``t``'s origin against ``max_fetches_per_origin``."""
        origin, url = f"{t.scheme}://{t.authority}", t.url
        now = self._clock()
        with self._guard:
            sent = self._sent.pop(origin, None) or []
            sent = [t for t in sent if t > now - self.refetch_interval]
            full = len(sent) >= self.max_fetches_per_origin
            if not full:
                sent.append(now)
            self._sent[origin] = sent
            while len(self._sent) > self.max_entries:
                self._sent.popitem(last=False)
        if full:
            log.info("aauth_verify: not fetching %s: %d GETs to its origin in %g s", url,
                     self.max_fetches_per_origin, self.refetch_interval)
            raise VerificationError("unknown_key", "key document could not be fetched")

    def _pick(self, url: str, host: str, infos: List[Any]) -> str:
        """The address to connect to among ``getaddrinfo`` results: every one must be public
        unless the host is listed (an attacker's DNS chooses the set)."""
        addrs = [str(i[4][0]) for i in infos if i[0] in (socket.AF_INET, socket.AF_INET6)]
        if not addrs:
            raise _Failed("no address")
        if self.egress.check_url(url) != "listed":
            for a in addrs:
                try:
                    # A link-local answer may carry its zone (fe80::1%eth0): refused either way.
                    self.egress.check_address(a.split("%", 1)[0])
                except (VerificationError, ValueError):
                    log.info("aauth_verify: refusing %s: %s resolves to %s", url, host, a)
                    raise VerificationError("unknown_key", "the host resolves to an address that is not public") from None
        return addrs[0]

    # -- documents -------------------------------------------------------------------------

    @staticmethod
    def _unfetchable(what: str, url: str, why: object, addr: str = "") -> VerificationError:
        log.info("aauth_verify: fetching %s %s%s failed: %s", what, url, f" ({addr})" if addr else "", why)
        return VerificationError("unknown_key", f"{what} could not be fetched")

    def _next_url(self, what: str, url: str, resp: _Response, hops: int, seen: List[str]) -> str:
        loc = resp.location
        if loc is None:
            raise self._unfetchable(what, url, f"redirect {resp.status} without one Location")
        try:
            nxt = urljoin(url, loc)
            same = _native.same_origin(url, nxt)
        except (VerificationError, ValueError):
            raise self._unfetchable(what, url, f"redirect to a malformed URL {loc!r}") from None
        if not same:
            raise self._unfetchable(what, url, f"redirect off the origin to {nxt}")
        if hops >= self.egress.max_redirects:
            raise self._unfetchable(what, url, "too many redirects")
        if nxt in seen:
            raise self._unfetchable(what, url, f"redirect loop through {nxt}")
        return nxt

    def _ttl_of(self, cache_control: Optional[str]) -> float:
        m = _MAX_AGE.search(cache_control or "")
        if m:
            return min(float(m.group(1)), self.max_ttl)
        return self.ttl

    def _budget(self, what: str, deadline: Optional[float], limit: Optional[int]) -> Tuple[float, int]:
        """A document's deadline (its own ``timeout``, within the resolution's) and byte limit
        (``max_bytes``, within what the core parses)."""
        doc_deadline = time.monotonic() + self.egress.timeout
        if deadline is not None:
            doc_deadline = min(doc_deadline, deadline)
        if limit is None:
            core = MAX_METADATA_BYTES if what == "metadata document" else MAX_JWKS_BYTES
            limit = min(self.egress.max_bytes, core)
        return doc_deadline, limit

    @staticmethod
    def _jwks_uri(meta: bytes, identifier: str, rules: KeyRules, cross: FrozenSet[str]) -> str:
        try:
            jwks_uri = _native.check_issuer(meta, identifier, rules.legacy_metadata)
        except VerificationError as e:
            log.info("aauth_verify: metadata of %s refused: %s", identifier, e.detail)
            raise VerificationError(e.code, "metadata document refused") from None
        try:
            _native.check_jwks_uri(jwks_uri, identifier, list(cross))
        except VerificationError as e:
            log.info("aauth_verify: jwks_uri %r of %s refused: %s", jwks_uri, identifier, e.detail)
            raise VerificationError(e.code, f"metadata jwks_uri refused: {e.detail}") from None
        return jwks_uri

    @staticmethod
    def _check_jwks(url: str, jwks: bytes) -> None:
        """Only a JWKS that parses is stored: selecting a kid no key has must say unknown_key."""
        try:
            Key.select(jwks, "\x00aauth-verify-probe", False, True)
        except VerificationError as e:
            if e.code == "unknown_key":
                return
            log.info("aauth_verify: JWKS %s refused: %s", url, e.detail)
            raise VerificationError(e.code, "JWKS refused") from None

    # -- the cache -------------------------------------------------------------------------

    def stats(self) -> Dict[str, int]:
        """Cache figures: ``entries`` (failures included), ``bytes`` (stored documents),
        ``charged`` (what the ``max_cache_bytes`` bound counts: documents plus a fixed
        overhead per entry), ``failures``, ``inflight`` (shared fetches running)."""
        with self._guard:
            # A snapshot in one C call: cache hits reorder the cache without the lock (_hit).
            entries = list(self._cache.values())
            charged = self._bytes
        return {
            "entries": len(entries),
            "bytes": sum(len(e.jwks) for e in entries if e.jwks is not None),
            "charged": charged,
            "failures": sum(1 for e in entries if e.error is not None),
            "inflight": self._inflight_count(),
        }

    def _inflight_count(self) -> int:
        raise NotImplementedError

    def _entry(self, ck: CacheKey) -> Optional[_Entry]:
        with self._guard:
            e = self._cache.get(ck)
            if e is not None:
                self._cache.move_to_end(ck)
            return e

    def _hit(self, ck: CacheKey, kid: str, rules: KeyRules) -> Optional[Any]:
        """The key ``kid`` from the entry ``ck`` when it is fresh and already selected that key
        (what the slow path would return without fetching), else ``None``. No lock, no
        admission, no I/O:

        * each cache operation here is one dict call, atomic under the GIL (the abi3 wheel runs
          on GIL builds only); a concurrent eviction at worst makes the reordering a no-op;
        * an entry under ``ck`` exists only after ``ck`` was admitted (``_meta_source`` and
          ``_jwks_source`` run before any fetch, and the egress policy is fixed when the
          resolver is made), so admitting it again would answer the same.
        """
        try:
            e = self._cache.get(ck)
        except TypeError:  # an unhashable argument: the slow path names the wrong type
            return None
        if e is None:
            return None
        key = e.keys.get((kid, rules.require_alg, rules.allow_eddsa))
        if key is None or self._clock() >= e.expires:
            return None
        try:
            self._cache.move_to_end(ck)  # least recently used goes first
        except KeyError:  # evicted by another thread meanwhile
            pass
        return key

    def cached_key(self, identifier: str, dwk: str, kid: str, rules: KeyRules = KeyRules()) -> Optional[Any]:
        """The key :meth:`Resolver.key` / :meth:`AsyncResolver.akey` would return, when the
        cache already holds it fresh; ``None`` otherwise (then ask ``key``/``akey``). Never
        fetches, waits or takes a lock (see ``aauth_verify.protocols.CachedKeys``)."""
        return self._hit(("meta", identifier, dwk, rules.legacy_metadata), kid, rules)

    def cached_jwks_key(self, url: str, kid: str, rules: KeyRules = KeyRules()) -> Optional[Any]:
        """:meth:`cached_key` for the ``jwks`` scheme (``jwks_key``/``ajwks_key``)."""
        return self._hit(("jwks", url), kid, rules)

    def _may_fetch(self, e: Optional[_Entry]) -> bool:
        return e is None or self._clock() >= e.retry_at

    def _settled(self, e: _Entry) -> _Entry:
        """The entry as it stands when no fetch may be made: its keys while they are usable
        (fresh, or stale within ``max_stale``), else its failure."""
        if e.jwks is not None and (e.error is None or self._clock() < e.expires + self.max_stale):
            return e
        err = e.error or VerificationError("unknown_key", "key document could not be fetched")
        raise VerificationError(err.code, err.detail)

    def _put(self, ck: CacheKey, e: _Entry) -> None:
        old = self._cache.pop(ck, None)
        if old is not None:
            self._bytes -= old.size
        self._cache[ck] = e
        self._bytes += e.size
        while self._cache and (len(self._cache) > self.max_entries or self._bytes > self.max_cache_bytes):
            _, gone = self._cache.popitem(last=False)
            self._bytes -= gone.size

    def _record(self, ck: CacheKey, outcome: Union[Tuple[bytes, float], VerificationError]) -> _Entry:
        """Stores a fetch's outcome; returns the entry to use or raises the failure."""
        now = self._clock()
        with self._guard:
            prev = self._cache.get(ck)
            if isinstance(outcome, tuple):
                jwks, ttl = outcome
                e = _Entry(jwks=jwks, expires=now + ttl, retry_at=now + self.refetch_interval,
                           size=len(jwks) + _ENTRY_OVERHEAD)
                self._put(ck, e)
                return e
            failures = (prev.failures if prev is not None else 0) + 1
            backoff = min(self.refetch_interval * 2 ** min(failures - 1, 32), self.max_backoff)
            keep = prev is not None and prev.jwks is not None and now < prev.expires + self.max_stale
            e = _Entry(
                jwks=prev.jwks if keep and prev is not None else None,
                expires=prev.expires if keep and prev is not None else now,
                retry_at=now + backoff,
                size=(prev.size if keep and prev is not None else _ENTRY_OVERHEAD),
                failures=failures,
                error=VerificationError(outcome.code, outcome.detail),
                keys=prev.keys if keep and prev is not None else {},
            )
            self._put(ck, e)
        if e.jwks is not None:
            log.info("aauth_verify: serving stale keys while the refresh fails: %s", outcome.detail)
            return e
        raise outcome

    @staticmethod
    def _select(e: _Entry, kid: str, rules: KeyRules) -> Optional[Any]:
        mk = (kid, rules.require_alg, rules.allow_eddsa)
        if mk in e.keys:
            return e.keys[mk]
        if e.jwks is None:
            return None
        try:
            key = Key.select(e.jwks, kid, rules.require_alg, rules.allow_eddsa)
        except VerificationError as err:
            if err.code == "unknown_key":
                return None
            raise
        e.keys[mk] = key
        return key

    @staticmethod
    def _no_kid() -> VerificationError:
        return VerificationError("unknown_key", "no key with this kid")

    @staticmethod
    def _renewed(key: Optional[Any], failed: Any) -> Optional[Any]:
        if key is None:
            raise _Base._no_kid()
        return None if key == failed else key


@dataclass
class _Entry:
    jwks: Optional[bytes]  # None: only a failure is known
    expires: float
    retry_at: float  # no fetch before this (the refetch floor, or the failure backoff)
    size: int
    failures: int = 0
    error: Optional[VerificationError] = None
    keys: Dict[Tuple[str, bool, bool], Any] = field(default_factory=dict)


class _Flight:
    """One sync fetch in progress; waiters block on ``done`` and share its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.entry: Optional[_Entry] = None
        self.error: Optional[BaseException] = None


def _need_h11() -> None:
    """Resolvers speak HTTP/1.1 through ``h11``, an optional dependency (the ``[http]``
    extra): name the extra instead of failing with a bare ``ModuleNotFoundError``."""
    import importlib

    try:
        importlib.import_module("h11")
    except ImportError:
        raise ImportError("aauth_verify.resolver needs h11: pip install 'aauth-verify[http]'",
                          name="h11") from None


class Resolver(_Base):
    """Synchronous key resolver (blocking sockets); thread-safe. See the module docs."""

    def __init__(self, *, client: Any = None, **kw: Any) -> None:
        if client is not None:
            raise TypeError("Resolver opens its own pinned connections: pass ssl_context= instead of client=")
        _need_h11()
        super().__init__(**kw)
        self._inflight: Dict[CacheKey, _Flight] = {}

    def close(self) -> None:
        """Nothing to release (connections are closed after each document); kept for
        compatibility."""

    def _inflight_count(self) -> int:
        return len(self._inflight)

    # -- I/O -------------------------------------------------------------------------------

    @staticmethod
    def _remaining(deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Failed("deadline passed")
        return left

    def _resolve(self, url: str, name: str, port: int, deadline: float) -> str:
        fut = _DNS.submit(socket.getaddrinfo, name, port, 0, socket.SOCK_STREAM)
        try:
            infos = fut.result(timeout=self._remaining(deadline))
        except _FutureTimeout:
            fut.cancel()
            raise _Failed(f"resolving {name} timed out") from None
        except OSError as e:
            raise _Failed(f"resolving {name} failed: {e}") from None
        return self._pick(url, name, infos)

    def _exchange(self, t: _Target, limit: int, deadline: float) -> _Response:
        resp = _Response(t, limit)
        sock = socket.create_connection((t.addr, t.port), timeout=self._remaining(deadline))
        try:
            if t.scheme == "https":
                sock.settimeout(self._remaining(deadline))
                sock = self._ssl.wrap_socket(sock, server_hostname=t.host)
            sock.settimeout(self._remaining(deadline))
            sock.sendall(resp.request)
            while not resp.done:
                sock.settimeout(self._remaining(deadline))
                resp.feed(sock.recv(_CHUNK))
        finally:
            sock.close()
        return resp

    def get(self, url: str, what: str = "key document", *, deadline: Optional[float] = None,
            addrs: Optional[Dict[str, str]] = None, limit: Optional[int] = None) -> Tuple[bytes, float]:
        """GETs one document under the egress rules; returns (body, TTL). ``deadline``
        (``time.monotonic``) bounds the resolution this document belongs to; ``addrs`` pins
        each name to the address checked first."""
        addrs = {} if addrs is None else addrs
        doc_deadline, limit = self._budget(what, deadline, limit)
        seen: List[str] = []
        hops = 0
        while True:
            seen.append(url)
            addr = ""
            try:
                t, lookup = self._plan(url, addrs)
                if lookup is not None:
                    addrs[lookup[0]] = self._resolve(url, lookup[0], lookup[1], doc_deadline)
                    t, _ = self._plan(url, addrs)
                addr = t.addr
                self._spend(t)
                self.fetches += 1
                resp = self._exchange(t, limit, doc_deadline)
            except _Failed as e:
                raise self._unfetchable(what, url, e, addr) from None
            except OSError as e:  # connection refused, reset, TLS failures, timeouts
                raise self._unfetchable(what, url, f"{type(e).__name__}: {e}", addr) from None
            if resp.status == 200:
                return bytes(resp.body), self._ttl_of(resp.max_age)
            url, hops = self._next_url(what, url, resp, hops, seen), hops + 1

    # -- resolution ------------------------------------------------------------------------

    def _refresh(self, ck: CacheKey, fetch: Fetch) -> _Entry:
        with self._guard:
            e = self._cache.get(ck)
            if e is not None and self._clock() < e.retry_at:
                flight = None
            else:
                flight = self._inflight.get(ck)
                owner = flight is None
                if flight is None:
                    flight = self._inflight[ck] = _Flight()
        if flight is None:
            assert e is not None
            return self._settled(e)
        if not owner:
            if not flight.done.wait(self.egress.resolution_timeout + 1):
                raise VerificationError("unknown_key", "key document could not be fetched")
            if flight.error is not None:
                err = flight.error
                if isinstance(err, VerificationError):
                    raise VerificationError(err.code, err.detail)
                raise err
            assert flight.entry is not None
            return flight.entry
        try:
            try:
                outcome: Union[Tuple[bytes, float], VerificationError] = fetch()
            except VerificationError as err:
                outcome = err
            flight.entry = self._record(ck, outcome)
            return flight.entry
        except BaseException as err:
            flight.error = err
            raise
        finally:
            with self._guard:
                del self._inflight[ck]
            flight.done.set()

    def _key(self, ck: CacheKey, fetch: Fetch, kid: str, rules: KeyRules) -> Any:
        e = self._entry(ck)
        if e is None or e.jwks is None or self._clock() >= e.expires:
            e = self._refresh(ck, fetch)
        key = self._select(e, kid, rules)
        if key is None and self._may_fetch(e):
            e = self._refresh(ck, fetch)
            key = self._select(e, kid, rules)
        if key is None:
            raise self._no_kid()
        return key

    def _meta_fetch(self, identifier: str, url: str, rules: KeyRules) -> Fetch:
        def fetch() -> Tuple[bytes, float]:
            deadline = time.monotonic() + self.egress.resolution_timeout
            addrs: Dict[str, str] = {}
            meta, ttl1 = self.get(url, "metadata document", deadline=deadline, addrs=addrs)
            jwks_uri = self._jwks_uri(meta, identifier, rules, self.egress.allow_cross_origin_jwks)
            jwks, ttl2 = self.get(jwks_uri, "JWKS", deadline=deadline, addrs=addrs)
            self._check_jwks(jwks_uri, jwks)
            return jwks, min(ttl1, ttl2)

        return fetch

    def _jwks_fetch(self, url: str) -> Fetch:
        def fetch() -> Tuple[bytes, float]:
            deadline = time.monotonic() + self.egress.resolution_timeout
            jwks, ttl = self.get(url, "JWKS", deadline=deadline)
            self._check_jwks(url, jwks)
            return jwks, ttl

        return fetch

    def key(self, identifier: str, dwk: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` of signer ``identifier`` (``jwks_uri``; token issuer for ``jwt``)."""
        hit = self._hit(("meta", identifier, dwk, rules.legacy_metadata), kid, rules)
        if hit is not None:
            return hit
        ck, url = self._meta_source(identifier, dwk, rules)
        return self._key(ck, self._meta_fetch(identifier, url, rules), kid, rules)

    def jwks_key(self, url: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` from the JWKS at ``url`` (``jwks`` scheme)."""
        hit = self._hit(("jwks", url), kid, rules)
        if hit is not None:
            return hit
        ck = self._jwks_source(url)
        return self._key(ck, self._jwks_fetch(url), kid, rules)

    def refreshed_key(self, identifier: str, dwk: str, kid: str, failed: Any,
                      rules: KeyRules = KeyRules()) -> Optional[Any]:
        """After the cached key ``failed`` did not verify (SK-09 §7.2): refreshes the signer's
        JWKS once, if the once-per-``refetch_interval`` floor allows, and returns the new key
        for ``kid`` to retry with, or ``None`` when there is nothing new (no refresh allowed,
        the refresh failed, or it served the same key): the verifier then reports the failure
        (``invalid_jwt``/``invalid_signature``). ``unknown_key`` when the refreshed JWKS has
        no ``kid``."""
        ck, url = self._meta_source(identifier, dwk, rules)
        return self._renewed(self._select(self._refresh(ck, self._meta_fetch(identifier, url, rules)),
                                          kid, rules), failed)

    def refreshed_jwks_key(self, url: str, kid: str, failed: Any,
                           rules: KeyRules = KeyRules()) -> Optional[Any]:
        """:meth:`refreshed_key` for the ``jwks`` scheme."""
        ck = self._jwks_source(url)
        return self._renewed(self._select(self._refresh(ck, self._jwks_fetch(url)), kid, rules), failed)

    def as_fetcher(self, rules: KeyRules = KeyRules(require_alg=False, allow_eddsa=True)) -> Callable[..., Any]:
        """A ``jwks_fetcher`` for the drop-in ``verify_signature``: ``f(id, dwk, kid)`` → a
        JWKS dict holding the cached key (after the metadata ``issuer`` check)."""

        def fetch(identifier: str, dwk: str = "aauth-agent.json", kid: Optional[str] = None) -> Any:
            try:
                key = self.key(identifier, dwk, kid or "", rules)
            except (VerificationError, TypeError):
                return None
            return {"keys": [dict(key.jwk(), kid=kid)]}

        return fetch


class AsyncResolver(_Base):
    """Asynchronous key resolver (asyncio streams): concurrent misses share one shielded task.
    Use one instance from one event loop."""

    def __init__(self, *, client: Any = None, **kw: Any) -> None:
        if client is not None:
            raise TypeError("AsyncResolver opens its own pinned connections: pass ssl_context= instead of client=")
        _need_h11()
        super().__init__(**kw)
        self._inflight: Dict[CacheKey, "asyncio.Task[_Entry]"] = {}

    async def aclose(self) -> None:
        """Waits for the shared fetches still running (connections close after each
        document)."""
        tasks = list(self._inflight.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _inflight_count(self) -> int:
        return len(self._inflight)

    # -- I/O -------------------------------------------------------------------------------

    async def _resolve(self, url: str, name: str, port: int) -> str:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise _Failed(f"resolving {name} failed: {e}") from None
        return self._pick(url, name, list(infos))

    async def _exchange(self, t: _Target, limit: int) -> _Response:
        resp = _Response(t, limit)
        tls = self._ssl if t.scheme == "https" else None
        reader, writer = await asyncio.open_connection(
            t.addr, t.port, ssl=tls, server_hostname=t.host if tls is not None else None, limit=_CHUNK)
        try:
            writer.write(resp.request)
            await writer.drain()
            while not resp.done:
                resp.feed(await reader.read(_CHUNK))
        finally:
            writer.close()
        return resp

    async def _get_once(self, t: Optional[_Target], url: str, lookup: Optional[Tuple[str, int]],
                        addrs: Dict[str, str], limit: int) -> _Response:
        if lookup is not None:
            addrs[lookup[0]] = await self._resolve(url, lookup[0], lookup[1])
            t, _ = self._plan(url, addrs)
        assert t is not None
        self._spend(t)
        self.fetches += 1
        return await self._exchange(t, limit)

    async def get(self, url: str, what: str = "key document", *, deadline: Optional[float] = None,
                  addrs: Optional[Dict[str, str]] = None, limit: Optional[int] = None) -> Tuple[bytes, float]:
        """:meth:`Resolver.get` for asyncio: the deadlines cancel the fetch wherever it is."""
        addrs = {} if addrs is None else addrs
        doc_deadline, limit = self._budget(what, deadline, limit)
        seen: List[str] = []
        hops = 0
        while True:
            seen.append(url)
            t, lookup = self._plan(url, addrs)
            try:
                left = doc_deadline - time.monotonic()
                if left <= 0:
                    raise _Failed("deadline passed")
                resp = await asyncio.wait_for(self._get_once(t, url, lookup, addrs, limit), left)
            except asyncio.TimeoutError:
                raise self._unfetchable(what, url, "deadline passed", addrs.get(t.host, "")) from None
            except _Failed as e:
                raise self._unfetchable(what, url, e, addrs.get(t.host, "")) from None
            except OSError as e:
                raise self._unfetchable(what, url, f"{type(e).__name__}: {e}", addrs.get(t.host, "")) from None
            if resp.status == 200:
                return bytes(resp.body), self._ttl_of(resp.max_age)
            url, hops = self._next_url(what, url, resp, hops, seen), hops + 1

    # -- resolution ------------------------------------------------------------------------

    async def _attempt(self, ck: CacheKey, fetch: AFetch) -> _Entry:
        try:
            outcome: Union[Tuple[bytes, float], VerificationError] = await fetch()
        except VerificationError as err:
            outcome = err
        return self._record(ck, outcome)

    async def _refresh(self, ck: CacheKey, fetch: AFetch) -> _Entry:
        e = self._cache.get(ck)
        if e is not None and self._clock() < e.retry_at:
            return self._settled(e)
        task = self._inflight.get(ck)
        if task is None:
            task = asyncio.ensure_future(self._attempt(ck, fetch))
            self._inflight[ck] = task

            def finished(t: "asyncio.Task[_Entry]") -> None:
                if self._inflight.get(ck) is t:
                    del self._inflight[ck]
                if not t.cancelled():
                    t.exception()  # retrieved, whether or not anyone still waits

            task.add_done_callback(finished)
        try:
            return await asyncio.shield(task)
        except VerificationError as err:
            raise VerificationError(err.code, err.detail) from None

    async def _key(self, ck: CacheKey, fetch: AFetch, kid: str, rules: KeyRules) -> Any:
        e = self._entry(ck)
        if e is None or e.jwks is None or self._clock() >= e.expires:
            e = await self._refresh(ck, fetch)
        key = self._select(e, kid, rules)
        if key is None and self._may_fetch(e):
            e = await self._refresh(ck, fetch)
            key = self._select(e, kid, rules)
        if key is None:
            raise self._no_kid()
        return key

    def _meta_fetch(self, identifier: str, url: str, rules: KeyRules) -> AFetch:
        async def fetch() -> Tuple[bytes, float]:
            deadline = time.monotonic() + self.egress.resolution_timeout
            addrs: Dict[str, str] = {}
            meta, ttl1 = await self.get(url, "metadata document", deadline=deadline, addrs=addrs)
            jwks_uri = self._jwks_uri(meta, identifier, rules, self.egress.allow_cross_origin_jwks)
            jwks, ttl2 = await self.get(jwks_uri, "JWKS", deadline=deadline, addrs=addrs)
            self._check_jwks(jwks_uri, jwks)
            return jwks, min(ttl1, ttl2)

        return fetch

    def _jwks_fetch(self, url: str) -> AFetch:
        async def fetch() -> Tuple[bytes, float]:
            deadline = time.monotonic() + self.egress.resolution_timeout
            jwks, ttl = await self.get(url, "JWKS", deadline=deadline)
            self._check_jwks(url, jwks)
            return jwks, ttl

        return fetch

    async def akey(self, identifier: str, dwk: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` of signer ``identifier`` (``jwks_uri``; token issuer for ``jwt``).
        A cache hit returns without suspending or locking (:meth:`cached_key`)."""
        hit = self._hit(("meta", identifier, dwk, rules.legacy_metadata), kid, rules)
        if hit is not None:
            return hit
        ck, url = self._meta_source(identifier, dwk, rules)
        return await self._key(ck, self._meta_fetch(identifier, url, rules), kid, rules)

    async def ajwks_key(self, url: str, kid: str, rules: KeyRules = KeyRules()) -> Any:
        """The key ``kid`` from the JWKS at ``url`` (``jwks`` scheme); a hit as :meth:`akey`."""
        hit = self._hit(("jwks", url), kid, rules)
        if hit is not None:
            return hit
        ck = self._jwks_source(url)
        return await self._key(ck, self._jwks_fetch(url), kid, rules)

    async def arefreshed_key(self, identifier: str, dwk: str, kid: str, failed: Any,
                             rules: KeyRules = KeyRules()) -> Optional[Any]:
        """:meth:`Resolver.refreshed_key` for asyncio."""
        ck, url = self._meta_source(identifier, dwk, rules)
        e = await self._refresh(ck, self._meta_fetch(identifier, url, rules))
        return self._renewed(self._select(e, kid, rules), failed)

    async def arefreshed_jwks_key(self, url: str, kid: str, failed: Any,
                                  rules: KeyRules = KeyRules()) -> Optional[Any]:
        """:meth:`Resolver.refreshed_jwks_key` for asyncio."""
        ck = self._jwks_source(url)
        return self._renewed(self._select(await self._refresh(ck, self._jwks_fetch(url)), kid, rules), failed)

    def key(self, *a: Any, **k: Any) -> Any:  # pragma: no cover - guidance only
        raise TypeError("AsyncResolver is async: use Verifier.averify (or Resolver for verify)")

    jwks_key = key
