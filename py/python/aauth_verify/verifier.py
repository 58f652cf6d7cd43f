"""The configured verifier: ``Verifier(...).verify(method, url, headers, body)``.

Each verification is one native phase 1 (``_native.parse``: every check that needs no key)
and one native phase 2 (``Pending.finish``). Between them the core's plan (``Pending.fetch``)
says what the host must obtain, and this module obtains it: from the request itself, from
the configured ``keys``, from a resolver (awaited under :meth:`Verifier.averify`, with no
second parse), or for the ``cached`` scheme from an :class:`~aauth_verify.protocols.AssertionStore`.
The verified identity (agent, issuer, subject, kid, thumbprint) is the core's.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, fields
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)
from urllib.parse import urlsplit

from . import _native
from ._native import FetchAssertion, FetchCallerKey, FetchJwks, FetchMetadata, FetchNothing
from .errors import VerificationError

if TYPE_CHECKING:
    from ._native import CacheGrant, Pending, ReplayKey
    from .protocols import (
        AssertionStore,
        AsyncAssertionStore,
        AsyncReplayStore,
        KeySource,
        Profile,
        ReplayStore,
    )

__all__ = ["Verifier", "Verified", "Key", "KeyRules", "StaticKeys", "HeadersLike",
           "Documents", "TrustedJwks"]

#: A validated Ed25519 public key (``Key.from_raw(b)``, ``Key.from_jwk(json)``,
#: ``Key.select(jwks_json, kid)``; ``.x``, ``.alg``, ``.thumbprint``, ``.jwk()``).
Key = _native.NativeKey
#: The documents a plan asked for, as fetched (metadata and JWKS): the core checks and selects.
Documents = _native.Documents
#: A JWKS the configuration trusts for the plan's signer (no metadata check).
TrustedJwks = _native.TrustedJwks

HeadersLike = Union[Mapping[str, str], Iterable[Tuple[Union[str, bytes], Union[str, bytes]]]]


@dataclass(frozen=True)
class KeyRules:
    """What keys and metadata a policy accepts (handed to key resolvers)."""

    require_alg: bool = True
    allow_eddsa: bool = False
    legacy_metadata: bool = False


_claims_lock = threading.Lock()


class _Claims:
    """The ``claims`` field of :class:`Verified`: a data descriptor that decodes the token's
    payload on first access (most callers never read it) and keeps the result, so that every
    access of one ``Verified`` returns the same dict, fresh per ``Verified``. Reading it is
    otherwise like reading the field (``__dict__["claims"]``); the class default is ``None``.
    Until then the field holds the native ``TokenClaims`` (the payload the core decoded).
    """

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return None  # the field's default (dataclasses reads it from the class)
        value = obj.__dict__["claims"]
        if type(value) is _native.TokenClaims:
            try:
                decoded = _json_decode(value.payload)
            except Exception:  # pragma: no cover - the core already decoded it
                decoded = None
            with _claims_lock:  # one decoded dict per Verified, whichever thread gets here first
                value = obj.__dict__["claims"]
                if type(value) is _native.TokenClaims:
                    value = obj.__dict__["claims"] = decoded
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        # Only __init__ gets here (object.__setattr__); the frozen __setattr__ raises first.
        obj.__dict__["claims"] = value


@dataclass(frozen=True)
class Verified:
    """A verified request: who signed it and what the signature covered.

    The identity fields are the core's (one table for every binding, see the README):
    ``agent`` is the signer (the ``jwks_uri`` ``id``, the ``jwks`` URL, an agent token's
    ``sub``, the ``iss`` of ``self-jwt`` and ``jkt-jwt``); ``issuer`` vouches for the key;
    ``subject`` is a token's ``sub``; ``kid`` the key id (the token issuer's key for tokens).
    ``hwk`` signers are pseudonymous: ``thumbprint`` (RFC 7638, of the key that signed the
    request) is their identity.

    ``replay`` is the request's replay key when the verifier was asked for it, ``cache`` the
    grant of a ``;cache`` token, and ``signature_key_cache`` the ``Signature-Key-Cache`` value
    to send back once the verifier's assertion store holds it.
    """

    label: str
    scheme: Optional[str]
    agent: Optional[str]
    issuer: Optional[str]
    subject: Optional[str]
    kid: Optional[str]
    thumbprint: str
    created: Optional[int]
    expires: Optional[int]
    covered: Tuple[str, ...]
    key: Any
    token_type: Optional[str] = None
    claims: Optional[Dict[str, Any]] = _Claims()  # type: ignore[assignment]  # default None
    nonce: Optional[str] = None
    tag: Optional[str] = None
    issuer_key: Any = None
    replay: Optional["ReplayKey"] = None
    cache: Optional["CacheGrant"] = None
    signature_key_cache: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-friendly view (the key as its JWK)."""
        return {
            "label": self.label,
            "scheme": self.scheme,
            "agent": self.agent,
            "issuer": self.issuer,
            "subject": self.subject,
            "kid": self.kid,
            "thumbprint": self.thumbprint,
            "created": self.created,
            "expires": self.expires,
            "covered": list(self.covered),
            "token_type": self.token_type,
            "claims": self.claims,
        }

    def __getstate__(self) -> Dict[str, Any]:
        # Pickles and copies hold the decoded claims, as if they had been decoded eagerly.
        state = dict(self.__dict__)
        state["claims"] = self.claims
        return state


_VERIFIED_FIELDS = tuple(f.name for f in fields(Verified))

_new_object = object.__new__
_setattr = object.__setattr__


def _verified(values: Dict[str, Any]) -> Verified:
    """``Verified(**values)`` without the frozen dataclass's per-field ``object.__setattr__``:
    the same object, whose ``__dict__`` is the field dict the native phase 2 built."""
    v = _new_object(Verified)
    _setattr(v, "__dict__", values)
    return v


class StaticKeys:
    """A key resolver over documents already in memory, keyed by URL.

    ``documents`` maps URLs to JSON documents (dicts, ``str`` or ``bytes``): the metadata at
    ``{id}/.well-known/{dwk}`` and the JWKS at its ``jwks_uri``. Useful for tests, pinned
    peers and offline verification; :class:`aauth_verify.resolver.Resolver` fetches them.
    """

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self._docs = {k: _as_bytes(v) for k, v in documents.items()}
        # The documents never change, so each decoded key is parsed once (no JSON per request).
        self._keys: Dict[Tuple[Any, ...], Any] = {}

    def _get(self, url: str) -> bytes:
        try:
            return self._docs[url]
        except KeyError:
            raise VerificationError("unknown_key", f"no document for {url}") from None

    def key(self, identifier: str, dwk: str, kid: str, rules: KeyRules) -> Any:
        memo = ("key", identifier, dwk, kid, rules.legacy_metadata, rules.require_alg,
                rules.allow_eddsa)
        found = self._keys.get(memo)
        if found is None:
            meta = self._get(f"{identifier.rstrip('/')}/.well-known/{dwk}")
            jwks_uri = _native.check_issuer(meta, identifier, rules.legacy_metadata)
            found = Key.select(self._get(jwks_uri), kid, rules.require_alg, rules.allow_eddsa)
            self._keys[memo] = found
        return found

    def jwks_key(self, url: str, kid: str, rules: KeyRules) -> Any:
        memo = ("jwks", url, kid, rules.require_alg, rules.allow_eddsa)
        found = self._keys.get(memo)
        if found is None:
            found = Key.select(self._get(url), kid, rules.require_alg, rules.allow_eddsa)
            self._keys[memo] = found
        return found


def _as_bytes(doc: Any) -> bytes:
    if isinstance(doc, bytes):
        return doc
    if isinstance(doc, str):
        return doc.encode("utf-8")
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def _header_pairs(headers: Any) -> Any:
    if hasattr(headers, "raw") and isinstance(getattr(headers, "raw"), list):
        return list(headers.raw)  # Starlette Headers: every line, in order
    if hasattr(headers, "multi_items"):
        return list(headers.multi_items())
    if hasattr(headers, "items"):
        return list(headers.items())
    return list(headers)


#: Request targets seen before: ``url -> (scheme, netloc, path or "/", query or None)`` as
#: ``request`` derives them from ``urlsplit``; a pure function of the text, bounded.
_TARGETS: Dict[str, Tuple[str, str, str, Optional[str]]] = {}
_TARGETS_SIZE = 256


def _target(url: str) -> Tuple[str, str, str, Optional[str]]:
    parts = urlsplit(url)
    target = (parts.scheme, parts.netloc, parts.path or "/", parts.query if "?" in url else None)
    if type(url) is str:
        if len(_TARGETS) >= _TARGETS_SIZE:
            _TARGETS.clear()
        _TARGETS[url] = target
    return target


#: ``json.loads``'s own decoder (no hooks), minus its per-call type dispatch.
_json_decode = json.JSONDecoder().decode


_PROFILES: Dict[str, Dict[str, bool]] = {
    "strict": dict(legacy_signature_key=False, alg_less_keys=False, eddsa=False,
                   missing_created=False, legacy_metadata=False),
    "compat": dict(legacy_signature_key=True, alg_less_keys=True, eddsa=True,
                   missing_created=True, legacy_metadata=True),
}

#: Every scheme the core verifies without host state (``cached`` needs an assertion store).
_STATELESS_SCHEMES = ["hwk", "jwks_uri", "jwks", "legacy-jwks", "jwt", "jkt-jwt", "self-jwt"]


def _no_key(detail: str) -> VerificationError:
    return VerificationError("unknown_key", detail, check="key_unavailable")


class Verifier:
    """Verifies AAuth-signed requests under one policy.

    Args:
        authority: the canonical authority of this service (``"api.example"``,
            ``"127.0.0.1:8000"``); never taken from ``Host``. ``None`` uses the authority of
            the absolute URL passed to :meth:`verify`.
        scheme: the URL scheme used when :meth:`verify` gets a path rather than a URL.
        profile: ``"strict"`` (SK-09/AAuth -11: ``alg`` on keys, no ``EdDSA``, SF syntax,
            ``created`` required) or ``"compat"`` (also what aauth 0.1.x–0.3.x peers send).
        window: freshness window for ``created`` (and a token's ``iat``) in seconds.
        required_components: covered components every signature needs (default
            ``@method @authority @path signature-key``; ``authorization`` is added when the
            request carries one).
        schemes: accepted ``Signature-Key`` schemes (default: every scheme but ``cached``,
            which is added when ``assertions`` is given).
        jwt_types: accepted ``typ`` of ``jwt`` tokens (default ``["aa-agent+jwt"]``, compat
            adds ``"agent+jwt"``).
        resolver: where ``jwks_uri``/``jwks``/``jwt`` keys come from: a
            :class:`~aauth_verify.protocols.KeyResolver` (``key``/``jwks_key``, e.g.
            :class:`~aauth_verify.resolver.Resolver` or :class:`StaticKeys`) or an
            :class:`~aauth_verify.protocols.AsyncKeyResolver` (``akey``/``ajwks_key``, for
            :meth:`averify`); one with ``refresh``/``arefresh`` is asked to refetch a signer's
            keys once when they fail.
        keys: key(s) for signatures without ``Signature-Key`` (plain RFC 9421): one
            :data:`Key` or a mapping from ``keyid``; setting it turns off
            ``require_signature_key``.
        require_content_digest_with_body: reject a non-empty body not covered by
            ``content-digest``.
        label: the signature label to verify (default: the only one).
        clock: returns the current time in seconds (``time.time``).
        token_cache: keep a cache of verified agent tokens (256 tokens keyed by their exact
            bytes, each ending at the token's ``exp``): a repeated token with the same issuer
            key skips its JSON parsing and JWS verification (its offline checks still run);
            the request signature is always verified.
        revoked: ``revoked(issuer, jti) -> bool``: tokens their issuers withdrew; a verified
            token it names is ``revoked_jwt`` (SK-09 §5.4.13). An exception it raises refuses
            the request and propagates.
        max_validity: the longest ``expires - created`` accepted, in seconds (default: no cap).
        require_query: a request target with a query must cover ``@query`` (or
            ``@query-param`` for each of its names).
        replay: a :class:`~aauth_verify.protocols.ReplayStore` (or ``AsyncReplayStore``):
            each verified request's replay key is recorded there, and a key already present
            is refused as ``invalid_signature`` (check ``replayed``).
        assertions: an :class:`~aauth_verify.protocols.AssertionStore` (or
            ``AsyncAssertionStore``): enables the ``cached`` scheme; a verified ``;cache``
            token is stored under a fresh identifier and ``Verified.signature_key_cache`` is
            the ``Signature-Key-Cache`` value to answer with.
        assertion_ttl: the longest an issued cache identifier is honoured (never past the
            token's ``exp``), in seconds.
    """

    def __init__(
        self,
        *,
        authority: Optional[str] = None,
        scheme: str = "https",
        profile: "Profile" = "strict",
        window: int = 60,
        required_components: Optional[Sequence[str]] = None,
        schemes: Optional[Sequence[str]] = None,
        jwt_types: Optional[Sequence[str]] = None,
        resolver: Any = None,
        keys: Any = None,
        require_content_digest_with_body: bool = False,
        require_signature_key: Optional[bool] = None,
        base64url_signatures: bool = True,
        label: Optional[str] = None,
        clock: Callable[[], float] = time.time,
        token_cache: bool = True,
        revoked: Optional[Callable[[str, str], bool]] = None,
        max_validity: Optional[int] = None,
        require_query: bool = False,
        replay: Union["ReplayStore", "AsyncReplayStore", None] = None,
        assertions: Union["AssertionStore", "AsyncAssertionStore", None] = None,
        assertion_ttl: int = 3600,
    ) -> None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be 'strict' or 'compat', not {profile!r}")
        for name, value in (("window", window), ("max_validity", max_validity),
                            ("assertion_ttl", assertion_ttl)):
            if value is not None and (type(value) is bool or not isinstance(value, int)
                                      or not 0 <= value < 2**63):
                raise ValueError(f"{name} must be a non-negative int of 63 bits, not {value!r}")
        if revoked is not None and not callable(revoked):
            raise TypeError("revoked must be a callable (issuer, jti) -> bool")
        flags = _PROFILES[profile]
        if jwt_types is None:
            jwt_types = ["aa-agent+jwt", "agent+jwt"] if profile == "compat" else ["aa-agent+jwt"]
        if require_signature_key is None:
            require_signature_key = keys is None
        if schemes is None and assertions is not None:
            schemes = _STATELESS_SCHEMES + ["cached"]
        self.authority = authority
        self.scheme = scheme
        self.profile = profile
        self.label = label
        # Verified agent tokens: a repeated token skips its JSON and JWS (native exact-bytes store).
        self._token_cache = _native.NativeTokenCache() if token_cache else None
        self.resolver = resolver
        self.keys = keys
        self._clock = clock
        self._revoked = revoked
        self._replay = replay
        self._assertions = assertions
        self.assertion_ttl = assertion_ttl
        self.policy = _native.NativePolicy(
            window=window,
            required=list(required_components) if required_components is not None else None,
            require_content_digest_with_body=require_content_digest_with_body,
            require_signature_key=require_signature_key,
            schemes=list(schemes) if schemes is not None else None,
            jwt_types=list(jwt_types),
            base64url_signatures=base64url_signatures,
            max_validity=max_validity,
            require_query=require_query,
            **flags,
        )
        self.rules = KeyRules(
            require_alg=not flags["alg_less_keys"],
            allow_eddsa=flags["eddsa"],
            legacy_metadata=flags["legacy_metadata"],
        )

    # -- request marshalling ----------------------------------------------------------------

    def request(self, method: str, url: str, headers: HeadersLike,
                body: Optional[bytes] = None) -> _native.NativeRequest:
        """The native request for ``url`` (absolute, or a path with optional ``?query``)."""
        if type(url) is not str:
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        target = _TARGETS.get(url)
        if target is None:
            target = _target(url)
        scheme, netloc, path, query = target
        authority = self.authority
        if authority is None:
            authority = netloc
        if not authority:
            raise ValueError("no canonical authority: configure Verifier(authority=...) or pass an absolute URL")
        if not scheme:
            scheme = self.scheme
        if body is not None and type(body) is not bytes and isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        kind = type(headers)
        # Exact lists and tuples of pairs, and dicts' items, go to NativeRequest as they are
        # (it copies them); anything else through _header_pairs.
        if kind is list or kind is tuple:
            pairs: Any = headers
        elif kind is dict:
            pairs = headers.items()  # type: ignore[union-attr]
        else:
            pairs = _header_pairs(headers)
        return _native.NativeRequest(method, scheme, authority, path, query, pairs, body)

    def signature_base(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> bytes:
        """The RFC 9421 signature base the signer must have signed (for debugging)."""
        req = self.request(method, url, headers, body)
        return _native.signature_base(req, self.policy, int(self._clock()), self.label)

    # -- the two phases -----------------------------------------------------------------------

    def parse(self, req: _native.NativeRequest, now: int) -> "Pending":
        """Phase 1 of ``req`` under this verifier's policy and state (the native ``parse``)."""
        return _native.parse(req, self.policy, now, label=self.label, tokens=self._token_cache,
                             revoked=self._revoked, replay=self._replay is not None)

    def _error(self, e: VerificationError, req: _native.NativeRequest) -> VerificationError:
        """``e`` with the ``Signature-Error`` this policy renders for ``req`` (errors raised by
        resolvers carry only their code)."""
        header = self.policy.signature_error(e.code, req, e.check)
        return VerificationError(e.code, e.detail, header, e.number, check=e.check,
                                 refetch=e.refetch)

    def _caller_key(self, keyid: Optional[str]) -> Any:
        keys = self.keys
        if isinstance(keys, Key):
            return keys
        if isinstance(keys, Mapping) and keyid is not None and keyid in keys:
            return keys[keyid]
        raise _no_key("no key for this signature")

    def _source(self, plan: Any) -> "Optional[KeySource]":
        """The key source for ``plan``, from the request, ``keys`` or the sync resolver."""
        kind = type(plan)
        if kind is FetchNothing:
            return None
        resolver = self.resolver
        if kind is FetchMetadata:
            if resolver is None:
                raise _no_key("no key resolver is configured")
            return cast("KeySource", resolver.key(plan.origin, plan.dwk, plan.kid, self.rules))
        if kind is FetchJwks:
            if resolver is None:
                raise _no_key("no key resolver is configured")
            return cast("KeySource", resolver.jwks_key(plan.url, plan.kid, self.rules))
        if kind is FetchCallerKey:
            return cast("KeySource", self._caller_key(plan.keyid))
        raise TypeError(f"no key source for {plan!r}")  # pragma: no cover - the core's plans

    async def _asource(self, plan: Any) -> "Optional[KeySource]":
        """:meth:`_source`, awaiting the resolver's ``akey``/``ajwks_key`` when it has them."""
        kind = type(plan)
        if kind is FetchMetadata:
            method = getattr(self.resolver, "akey", None)
            if method is not None:
                return cast("KeySource", await method(plan.origin, plan.dwk, plan.kid, self.rules))
        elif kind is FetchJwks:
            method = getattr(self.resolver, "ajwks_key", None)
            if method is not None:
                return cast("KeySource", await method(plan.url, plan.kid, self.rules))
        return self._source(plan)

    def _finish(self, pending: "Pending") -> Dict[str, Any]:
        """Phase 2 with the key the plan names; once more after one refresh of the signer's
        keys when they failed (``refetch``) and the resolver agreed to refetch: through
        ``refresh(signer)``, or the hardened resolver's ``refreshed_key``/``refreshed_jwks_key``
        (a thin shim: they return the new key, or ``None`` for nothing new)."""
        plan = pending.fetch
        source: "Optional[KeySource]" = None
        try:
            source = self._source(plan)
            return pending.finish(source)
        except VerificationError as e:
            if not e.refetch or plan.signer is None:
                raise
            renewed = self._renewed(plan, source, "")
            if renewed is not None:
                return pending.finish(renewed)
            refresh = getattr(self.resolver, "refresh", None)
            if refresh is None or not refresh(plan.signer):
                raise
        return pending.finish(self._source(plan))

    def _renewed(self, plan: Any, failed: Any, prefix: str) -> Any:
        """The ``refreshed_key`` shim's method and arguments for ``plan``, called (sync) or
        returned for awaiting (``prefix="a"``); ``None`` when the resolver has no such hook or
        there was no key to renew."""
        if failed is None:
            return None
        if type(plan) is FetchMetadata:
            hook = getattr(self.resolver, prefix + "refreshed_key", None)
            args: Tuple[Any, ...] = (plan.origin, plan.dwk, plan.kid, failed, self.rules)
        else:
            hook = getattr(self.resolver, prefix + "refreshed_jwks_key", None)
            args = (plan.url, plan.kid, failed, self.rules)
        if hook is None:
            return None
        return hook(*args)

    async def _afinish(self, pending: "Pending") -> Dict[str, Any]:
        """:meth:`_finish` for :meth:`averify` (``arefreshed_key``, ``arefresh``, else the
        sync hooks)."""
        plan = pending.fetch
        source: "Optional[KeySource]" = None
        try:
            source = await self._asource(plan)
            return pending.finish(source)
        except VerificationError as e:
            if not e.refetch or plan.signer is None:
                raise
            renewing = self._renewed(plan, source, "a")
            renewed = await renewing if renewing is not None else self._renewed(plan, source, "")
            if renewed is not None:
                return pending.finish(renewed)
            if not await self._arefresh(plan.signer):
                raise
        return pending.finish(await self._asource(plan))

    async def _arefresh(self, signer: str) -> bool:
        method = getattr(self.resolver, "arefresh", None)
        if method is not None:
            return bool(await method(signer))
        refresh = getattr(self.resolver, "refresh", None)
        return refresh is not None and bool(refresh(signer))

    def _assertion(self, pending: "Pending", found: Optional[Tuple[bytes, str]]) -> None:
        """Resolves a ``cached`` plan with what the assertion store held (``cache_miss``)."""
        if found is None:
            raise pending.cache_miss()
        assertion, scheme = found
        pending.with_assertion(assertion, scheme)

    def _grant(self, values: Dict[str, Any], now: int) -> Optional[Tuple[str, bytes, str, int]]:
        """For a ``;cache`` token: a fresh identifier and the ``Signature-Key-Cache`` value in
        ``values``; returns what the assertion store must hold (``cid, assertion, scheme,
        expires``)."""
        grant = values["cache"]
        if grant is None or self._assertions is None:
            return None
        issued = grant.issue(os.urandom(16), now, self.assertion_ttl)
        values["signature_key_cache"] = issued.header
        return issued.cid, grant.assertion, grant.scheme, issued.expires

    # -- verification -----------------------------------------------------------------------

    def verify(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Verified:
        """Verifies a request; returns :class:`Verified` or raises :class:`VerificationError`.

        ``url`` is the request target (absolute URL or path + query, not decoded); ``headers``
        a mapping or a list of ``(name, value)`` pairs (repeated names allowed); ``body`` the
        raw body, needed when ``content-digest`` is covered.
        """
        req = self.request(method, url, headers, body)
        now = int(self._clock())
        try:
            pending = self.parse(req, now)
            if type(pending.fetch) is FetchAssertion:
                store = cast("Optional[AssertionStore]", self._assertions)
                self._assertion(pending, store.get(pending.fetch.cid) if store else None)
            values = self._finish(pending)
            grant = self._grant(values, now)
            if grant is not None:
                cast("AssertionStore", self._assertions).put(*grant)  # type: ignore[arg-type]
            replay = self._replay
            if replay is not None:
                if not cast("ReplayStore", replay).check_and_record(values["replay"], now):
                    raise pending.replayed()
        except VerificationError as e:
            raise self._error(e, req) from None
        return _verified(values)

    async def averify(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Verified:
        """:meth:`verify` for asyncio: resolvers' ``akey``/``ajwks_key``/``arefresh`` and the
        stores' ``aget``/``aput``/``acheck_and_record`` are awaited (the sync methods are used
        where there are no async ones). The request is parsed once."""
        req = self.request(method, url, headers, body)
        now = int(self._clock())
        try:
            pending = self.parse(req, now)
            if type(pending.fetch) is FetchAssertion:
                self._assertion(pending, await self._store_call("aget", "get", pending.fetch.cid))
            values = await self._afinish(pending)
            grant = self._grant(values, now)
            if grant is not None:
                await self._store_call("aput", "put", *grant)
            if self._replay is not None:
                method_ = getattr(self._replay, "acheck_and_record", None)
                if method_ is not None:
                    fresh = await method_(values["replay"], now)
                else:
                    fresh = cast("ReplayStore", self._replay).check_and_record(values["replay"], now)
                if not fresh:
                    raise pending.replayed()
        except VerificationError as e:
            raise self._error(e, req) from None
        return _verified(values)

    async def _store_call(self, async_name: str, sync_name: str, *args: Any) -> Any:
        """The assertion store's async method, else its sync one (``None`` without a store)."""
        store = self._assertions
        if store is None:
            return None
        method = getattr(store, async_name, None)
        if method is not None:
            return await method(*args)
        return getattr(store, sync_name)(*args)
