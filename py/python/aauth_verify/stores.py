"""Fleet state: where a :class:`~aauth_verify.Verifier` remembers replay keys and the
assertions behind the cache identifiers it issues, in memory (one process) or in Redis (a
fleet of processes and hosts that must see each other's requests).

The core computes everything (the replay key of a request, when it may be forgotten, the
cache identifier and its expiry); these stores only keep it. Both kinds are off by default:
``Verifier(replay=..., assertions=...)`` turns them on; the drop-in ``verify_signature`` is
stateless, like aauth-signing.

* :class:`MemoryReplayCache`, :class:`RedisReplayCache`: the
  :class:`~aauth_verify.protocols.ReplayStore` protocol (AAuth §Freshness and Replay). A key
  is recorded with an atomic insert-if-absent (Redis: ``SET key 1 NX PX ttl``) until the last
  second the request is fresh (``ReplayKey.ttl(now)``); a key already there is a replay.
* :class:`MemoryAssertionCache`, :class:`RedisAssertionCache`: the
  :class:`~aauth_verify.protocols.AssertionStore` protocol (SK-09 §6): the assertion and its
  scheme under the cache identifier, until the identifier's expiry.

Bounds. The memory stores hold at most ``max_entries`` entries; when full, expired entries go
first, then the one closest to its expiry (so a flood of distinct requests displaces the
entries that would be forgotten soonest, and memory stays bounded). A Redis deployment bounds
itself: give the server a ``maxmemory`` and an eviction policy (``volatile-ttl`` evicts the
keys closest to expiry, as the memory stores do; ``allkeys-lru`` also works; with
``noeviction`` a full Redis refuses writes, which the replay check turns into a refusal).
Either way an evicted replay key lets that one request be replayed within its window: size
the store for ``window`` seconds of peak traffic.

Timeouts. Every Redis call is bounded by the client's socket timeouts, which you set when you
make the client (a store refuses a client with ``socket_timeout=None``, redis-py's default
before version 6; since then it is 5 s, long for a request that waits on it)::

    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = Redis(host="127.0.0.1", port=6379, socket_timeout=0.25,
                   socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 1))

(redis-py's default ``Retry`` tries 10 times with backoff: about 3.5 s per call while Redis
refuses connections, more if it is unreachable.) With a ``redis.asyncio`` client each call is
also bounded by ``deadline`` seconds (``asyncio.wait_for``). A Redis that does not answer
raises :class:`~aauth_verify.errors.StoreUnavailable`: the verifier refuses the request
(fail closed; the middleware answers 503) unless ``Verifier(replay_fail_open=True)``, and an
assertion lookup becomes ``cache_miss`` (the signer resends the assertion in full, SK-09
§6.2). A ``redis.asyncio`` client serves ``Verifier.averify`` (and the middleware); a sync
client serves ``verify`` and, blocking the event loop for at most its timeouts, ``averify``.

``redis`` is an optional dependency: ``pip install 'aauth-verify[redis]'``.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Type

from .errors import StoreUnavailable

if TYPE_CHECKING:
    from ._native import ReplayKey
    from .protocols import AssertionScheme

__all__ = ["MemoryReplayCache", "RedisReplayCache", "MemoryAssertionCache",
           "RedisAssertionCache"]

_SCHEMES = ("jwt", "jkt-jwt")


def _positive_int(name: str, value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**63:
        raise ValueError(f"{name} must be a positive int, not {value!r}")
    return value


class _Expiring:
    """A bounded map whose entries end at a second (``until``); the heap orders them by it.

    Every held key has exactly one heap entry with its ``until`` (an entry is only replaced
    after it was purged), so the heap never outgrows the map."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = _positive_int("max_entries", max_entries)
        self.held: Dict[str, Tuple[int, Any]] = {}
        self.heap: List[Tuple[int, str]] = []
        self.lock = threading.Lock()

    def purge(self, now: int) -> None:
        """Drops every entry that ended before ``now`` (call with the lock held)."""
        heap, held = self.heap, self.held
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            del held[key]

    def add(self, key: str, until: int, value: Any) -> None:
        """Holds ``value`` under ``key`` (absent, lock held) until ``until``; when full, the
        entry closest to its end goes first."""
        if len(self.held) >= self.max_entries:
            _, gone = heapq.heappop(self.heap)
            del self.held[gone]
        self.held[key] = (until, value)
        heapq.heappush(self.heap, (until, key))


class MemoryReplayCache:
    """Replay keys in this process (thread-safe): at most ``max_entries`` (default 100,000,
    about 25 MB), each until the last second its request is fresh.

    Spec: AAuth §Freshness and Replay (the core's replay key: SHA-256 of the key and the
    signature base, see ``docs/protocol.md``)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._map = _Expiring(max_entries)

    @property
    def max_entries(self) -> int:
        return self._map.max_entries

    def __len__(self) -> int:
        return len(self._map.held)

    def check_and_record(self, key: "ReplayKey", now: int) -> bool:
        """Records ``key`` and answers ``True``, or ``False`` if it is held (a replay)."""
        m = self._map
        with m.lock:
            m.purge(now)
            b64 = key.b64
            if b64 in m.held:
                return False
            m.add(b64, key.until, None)
            return True


class MemoryAssertionCache:
    """Assertions behind cache identifiers, in this process (thread-safe): at most
    ``max_entries`` (default 4,096; an assertion is at most 8 KiB, so at most 32 MiB), each
    until its identifier's expiry by ``clock`` (``time.time``; give the verifier's clock).

    Spec: draft-hardt-httpbis-signature-key-09 §6."""

    def __init__(self, max_entries: int = 4096, *, clock: Callable[[], float] = time.time) -> None:
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds since the epoch")
        self._map = _Expiring(max_entries)
        self._clock = clock

    @property
    def max_entries(self) -> int:
        return self._map.max_entries

    def __len__(self) -> int:
        return len(self._map.held)

    def get(self, cid: str) -> Optional[Tuple[bytes, "AssertionScheme"]]:
        m = self._map
        with m.lock:
            m.purge(int(self._clock()))
            found = m.held.get(cid)
        return None if found is None else found[1]

    def put(self, cid: str, assertion: bytes, scheme: "AssertionScheme", expires: int) -> None:
        if scheme not in _SCHEMES:
            raise ValueError(f"scheme must be 'jwt' or 'jkt-jwt', not {scheme!r}")
        m = self._map
        with m.lock:
            m.purge(int(self._clock()))
            if cid in m.held:
                return  # identifiers are 128 random bits: never reissued
            m.add(cid, expires, (bytes(assertion), scheme))


# -- Redis -----------------------------------------------------------------------------------


def _redis_errors() -> Tuple[Type[BaseException], ...]:
    """The exceptions a Redis call raises when Redis cannot answer; ``ImportError`` naming
    the extra when redis-py is not installed."""
    try:
        import redis.exceptions
    except ImportError:
        raise ImportError("the Redis stores need redis-py: pip install 'aauth-verify[redis]'") from None
    return (redis.exceptions.RedisError, OSError)


def _is_async(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "execute_command", None))


def _check_client(client: Any) -> None:
    for method in ("set", "get"):
        if not callable(getattr(client, method, None)):
            raise TypeError("client must be a redis-py client (redis.Redis or redis.asyncio.Redis)")
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    # (socket_connect_timeout falls back to socket_timeout when it is None.)
    if isinstance(kwargs, dict) and "socket_timeout" in kwargs and kwargs["socket_timeout"] is None:
        raise ValueError("the Redis client has no socket_timeout: a Redis that stops answering "
                         "would hang every verification; make it with socket_timeout=0.25 (or so)")


def _prefix(prefix: Any) -> str:
    if type(prefix) is not str or not prefix:
        raise TypeError(f"prefix must be a non-empty str, not {prefix!r}")
    return prefix


def _deadline(deadline: Any) -> float:
    if type(deadline) not in (int, float) or not 0 < deadline <= 60:
        raise ValueError(f"deadline must be seconds in (0, 60], not {deadline!r}")
    return float(deadline)


def _why(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


class _Redis:
    def __init__(self, client: Any, prefix: str, deadline: float, store: str) -> None:
        self._errors = _redis_errors()
        _check_client(client)
        self.client = client
        self.prefix = _prefix(prefix)
        self.deadline = _deadline(deadline)
        self.is_async = _is_async(client)
        self._store = store

    def _sync_only(self, async_name: str) -> None:
        if self.is_async:
            raise TypeError(f"this store has a redis.asyncio client: use Verifier.averify "
                            f"(which calls {async_name})")

    def _call(self, f: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        try:
            return f(*args, **kw)
        except self._errors as e:
            raise StoreUnavailable(self._store, _why(e)) from None

    async def _acall(self, f: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        if not self.is_async:
            return self._call(f, *args, **kw)
        try:
            return await asyncio.wait_for(f(*args, **kw), self.deadline)
        except asyncio.TimeoutError:
            raise StoreUnavailable(self._store, f"no answer within {self.deadline} s") from None
        except self._errors as e:
            raise StoreUnavailable(self._store, _why(e)) from None


class RedisReplayCache(_Redis):
    """Replay keys in Redis, shared by every verifier using the same Redis and ``prefix``:
    ``SET {prefix}{key.b64} 1 NX PX {ttl}``, atomic across the fleet. ``client`` is a
    ``redis.Redis`` or ``redis.asyncio.Redis`` made with socket timeouts (see the module
    documentation); a Redis that cannot answer raises ``StoreUnavailable``.

    Spec: AAuth §Freshness and Replay."""

    def __init__(self, client: Any, *, prefix: str = "aauth:replay:", deadline: float = 1.0) -> None:
        super().__init__(client, prefix, deadline, "replay")

    def _args(self, key: "ReplayKey", now: int) -> Tuple[Tuple[str, bytes], Dict[str, Any]]:
        return (self.prefix + key.b64, b"1"), dict(nx=True, px=key.ttl(now) * 1000)

    def check_and_record(self, key: "ReplayKey", now: int) -> bool:
        self._sync_only("acheck_and_record")
        args, kw = self._args(key, now)
        return bool(self._call(self.client.set, *args, **kw))

    async def acheck_and_record(self, key: "ReplayKey", now: int) -> bool:
        args, kw = self._args(key, now)
        return bool(await self._acall(self.client.set, *args, **kw))


class RedisAssertionCache(_Redis):
    """Assertions behind cache identifiers in Redis: ``{prefix}{cid}`` holds the scheme, a
    NUL and the compact assertion, with the identifier's expiry as its TTL (measured with
    ``clock``, ``time.time``: give the verifier's). Any verifier of the fleet resolves any
    identifier another one issued. A Redis that cannot answer raises ``StoreUnavailable``
    (the verifier answers ``cache_miss`` for a lookup, and sends no ``Signature-Key-Cache``
    for a grant it could not store); a value that is not one this store wrote is a miss.

    Spec: draft-hardt-httpbis-signature-key-09 §6."""

    def __init__(self, client: Any, *, prefix: str = "aauth:cid:", deadline: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(client, prefix, deadline, "assertions")
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds since the epoch")
        self._clock = clock

    def _put_args(self, cid: str, assertion: bytes, scheme: str,
                  expires: int) -> Tuple[Tuple[str, bytes], Dict[str, Any]]:
        if scheme not in _SCHEMES:
            raise ValueError(f"scheme must be 'jwt' or 'jkt-jwt', not {scheme!r}")
        ttl_ms = max(1000, int((expires - self._clock()) * 1000))
        return (self.prefix + cid, scheme.encode() + b"\0" + bytes(assertion)), dict(px=ttl_ms, nx=True)

    @staticmethod
    def _decode(value: Any) -> Optional[Tuple[bytes, "AssertionScheme"]]:
        if value is None:
            return None
        if isinstance(value, str):  # a client made with decode_responses=True
            value = value.encode("utf-8")
        if not isinstance(value, bytes):
            return None
        scheme, sep, assertion = value.partition(b"\0")
        if not sep or not assertion:
            return None
        if scheme == b"jwt":
            return assertion, "jwt"
        if scheme == b"jkt-jwt":
            return assertion, "jkt-jwt"
        return None

    def get(self, cid: str) -> Optional[Tuple[bytes, "AssertionScheme"]]:
        self._sync_only("aget")
        return self._decode(self._call(self.client.get, self.prefix + cid))

    async def aget(self, cid: str) -> Optional[Tuple[bytes, "AssertionScheme"]]:
        return self._decode(await self._acall(self.client.get, self.prefix + cid))

    def put(self, cid: str, assertion: bytes, scheme: "AssertionScheme", expires: int) -> None:
        self._sync_only("aput")
        args, kw = self._put_args(cid, assertion, scheme, expires)
        self._call(self.client.set, *args, **kw)

    async def aput(self, cid: str, assertion: bytes, scheme: "AssertionScheme", expires: int) -> None:
        args, kw = self._put_args(cid, assertion, scheme, expires)
        await self._acall(self.client.set, *args, **kw)
