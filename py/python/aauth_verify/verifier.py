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
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, fields
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)
from . import _native
from ._native import FetchAssertion, FetchCallerKey, FetchJwks, FetchMetadata, FetchNothing
from .errors import StoreUnavailable, VerificationError

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

__all__ = ["Verifier", "Verified", "HeadersVerified", "Key", "KeyRules", "StaticKeys",
           "HeadersLike", "Documents", "TrustedJwks"]

log = logging.getLogger("aauth_verify")

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
    if isinstance(headers, (str, bytes)) or not isinstance(headers, Iterable):
        raise TypeError("headers must be a mapping or an iterable of (name, value) pairs, not "
                        f"{type(headers).__name__}")
    return list(headers)


#: Request targets seen before: ``url -> (scheme, netloc, path, query or None)`` as
#: :func:`_target` splits them; a pure function of the text, bounded.
_TARGETS: Dict[str, Tuple[str, str, str, Optional[str]]] = {}
_TARGETS_SIZE = 256

#: ``scheme://authority`` and the rest (path and query) of an absolute-form target.
_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?]*)(.*)\Z", re.S)


def _split_target(url: str) -> Tuple[str, str, str, Optional[str]]:
    """``(scheme, authority, path, query)`` of a request target, split the way a server routes
    it (RFC 9112 §3.2): an origin-form target (``/path?query``) only at its first ``?``, so
    that ``//admin/x`` is the path ``//admin/x`` (``urlsplit`` would read an authority
    ``admin`` and a path ``/x``) and ``;params``, ``%2F`` and ``..`` stay as sent; an
    absolute-form target (``https://host/path?query``) at its authority, then at the first
    ``?``. Nothing is decoded, normalised or stripped (``urlsplit`` drops tabs and newlines). A
    ``#`` never belongs to a request target (a fragment is not sent), so a target with one is
    ``invalid_request``; anything but these two forms is a ``ValueError``.

    Spec: RFC 9112 §3.2 (request target forms); RFC 9421 §2.2.6 (``@path``), §2.2.7
    (``@query``).
    """
    if "#" in url:
        raise VerificationError("invalid_request", "the request target contains a fragment",
                                check="fragment_in_target")
    if url.startswith("/"):
        scheme, authority, rest = "", "", url
    else:
        m = _ABSOLUTE.match(url)
        if m is None:
            raise ValueError("url must be a path starting with '/' or an absolute URL "
                             f"(scheme://authority/path), not {url[:64]!r}")
        scheme, authority, rest = m.group(1).lower(), m.group(2), m.group(3)
    path, sep, query = rest.partition("?")
    return scheme, authority, path or "/", query if sep else None


def _target(url: str) -> Tuple[str, str, str, Optional[str]]:
    target = _split_target(url)
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

#: The schemes whose key comes from a resolver (metadata and JWKS), not from the request:
#: ``hwk`` and ``jkt-jwt`` are left out, as anyone can mint their key.
_RESOLVER_SCHEMES = ("jwks_uri", "jwks", "legacy-jwks", "jwt", "self-jwt")


def _str_list(name: str, value: Any) -> Optional[List[str]]:
    """``value`` as a list of ``str`` (``None`` stays ``None``); a bare ``str`` is refused, as
    it would be read one character at a time."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of str, not {type(value).__name__}")
    out = list(value)
    for item in out:
        if type(item) is not str:
            raise TypeError(f"{name} must hold str, not {type(item).__name__}")
    return out


def _has(obj: Any, *names: str) -> bool:
    return all(callable(getattr(obj, n, None)) for n in names)


def _check_options(*, authority: Any, scheme: Any, label: Any, clock: Any, keys: Any,
                   resolver: Any, replay: Any, assertions: Any, flags: Dict[str, Any],
                   require_signature_key: Any) -> None:
    """``TypeError``/``ValueError`` for a :class:`Verifier` option of the wrong kind (issue 12
    finding 12): a misconfiguration is refused when it is made, not on the first request."""
    if authority is not None and type(authority) is not str:
        raise TypeError(f"authority must be a str or None, not {type(authority).__name__}")
    if authority == "":
        raise ValueError("authority must not be empty (None: the authority of each absolute URL)")
    if type(scheme) is not str:
        raise TypeError(f"scheme must be a str, not {type(scheme).__name__}")
    if not scheme:
        raise ValueError("scheme must not be empty")
    if label is not None and type(label) is not str:
        raise TypeError(f"label must be a str or None, not {type(label).__name__}")
    if not callable(clock):
        raise TypeError("clock must be a callable returning seconds since the epoch")
    for name, value in flags.items():
        if type(value) is not bool:
            raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    if require_signature_key is not None and type(require_signature_key) is not bool:
        raise TypeError("require_signature_key must be a bool or None")
    if keys is not None and not isinstance(keys, Key):
        if not isinstance(keys, Mapping):
            raise TypeError(f"keys must be a Key or a mapping of keyid to Key, not {type(keys).__name__}")
        for kid, key in keys.items():
            if type(kid) is not str or not isinstance(key, Key):
                raise TypeError("keys must map str keyids to Key objects (Key.from_raw, Key.from_jwk)")
    if resolver is not None and not any(_has(resolver, n) for n in ("key", "jwks_key", "akey",
                                                                     "ajwks_key")):
        raise TypeError("resolver must have key/jwks_key (KeyResolver) or akey/ajwks_key")
    if replay is not None and not (_has(replay, "check_and_record")
                                   or _has(replay, "acheck_and_record")):
        raise TypeError("replay must have check_and_record or acheck_and_record (ReplayStore)")
    if assertions is not None and not (_has(assertions, "get", "put")
                                       or _has(assertions, "aget", "aput")):
        raise TypeError("assertions must have get/put or aget/aput (AssertionStore)")


#: :meth:`Verifier._ready_source`: the key source must be awaited from the async resolver.
_AWAIT = object()


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
        schemes: accepted ``Signature-Key`` schemes. The default depends on where keys come
            from. Without ``keys``: every scheme but ``cached``, which is added when
            ``assertions`` is given. With ``keys`` (a static trust store): only keys from
            outside the request, that is plain RFC 9421 with a ``keys`` key, plus, when a
            ``resolver`` is set too, the schemes whose key the resolver supplies (``jwks_uri``,
            ``jwks``, ``jwt``, ``self-jwt``, and ``cached`` with ``assertions``). ``hwk`` and
            ``jkt-jwt`` carry their own key, so anyone can sign them: they are refused
            (``unsupported_scheme``) unless listed here. An explicit list always wins.
        jwt_types: accepted ``typ`` of ``jwt`` tokens (default ``["aa-agent+jwt"]``, compat
            adds ``"agent+jwt"``).
        resolver: where ``jwks_uri``/``jwks``/``jwt`` keys come from: a
            :class:`~aauth_verify.protocols.KeyResolver` (``key``/``jwks_key``, e.g.
            :class:`~aauth_verify.resolver.Resolver` or :class:`StaticKeys`) or an
            :class:`~aauth_verify.protocols.AsyncKeyResolver` (``akey``/``ajwks_key``, for
            :meth:`averify`); one with ``refresh``/``arefresh`` is asked to refetch a signer's
            keys once when they fail.
        keys: key(s) for signatures without ``Signature-Key`` (plain RFC 9421): one
            :data:`Key` or a mapping from ``keyid`` to :data:`Key`; setting it turns off
            ``require_signature_key`` and narrows the default ``schemes`` (above).
        require_content_digest_with_body: reject a body not covered by ``content-digest``
            (``invalid_input`` listing ``content-digest``): a non-empty body, or, when the body
            has not been read (:meth:`verify_before_body`), framing that announces one (a
            non-zero ``Content-Length``, any ``Transfer-Encoding``); a body read afterwards must
            then be empty. Off by default here (the drop-in semantics); the
            :class:`~aauth_verify.middleware.AAuthMiddleware` builds its verifiers with it on.
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
            ``@query-param`` for each of its names). Off by default, because the signers in
            use cover only the AAuth minimum (``@method @authority @path signature-key``); but
            then the query is not signed: a captured ``GET /pay?amount=1`` is accepted as
            ``GET /pay?amount=1000``. Turn it on when the query carries meaning (and have
            signers cover ``@query``).
        replay: a :class:`~aauth_verify.protocols.ReplayStore` (or ``AsyncReplayStore``), e.g.
            :class:`~aauth_verify.stores.MemoryReplayCache` or
            :class:`~aauth_verify.stores.RedisReplayCache`: each verified request's replay key
            is recorded there, and a key already present is refused as ``invalid_signature``
            (check ``replayed``). A store that cannot answer raises
            :class:`~aauth_verify.errors.StoreUnavailable`, which the verification raises
            (fail closed: the middleware answers 503) unless ``replay_fail_open``.
        replay_fail_open: when the replay store is unavailable, log a warning and accept the
            request unrecorded instead of raising ``StoreUnavailable``.
        assertions: an :class:`~aauth_verify.protocols.AssertionStore` (or
            ``AsyncAssertionStore``), e.g. :class:`~aauth_verify.stores.MemoryAssertionCache`
            or :class:`~aauth_verify.stores.RedisAssertionCache`: enables the ``cached``
            scheme; a verified ``;cache`` token is stored under a fresh identifier and
            ``Verified.signature_key_cache`` is the ``Signature-Key-Cache`` value to answer
            with. A store that cannot answer (``StoreUnavailable``) makes a lookup a
            ``cache_miss`` (the signer resends the assertion in full, SK-09 §6.2) and a store
            that cannot keep a grant leaves ``signature_key_cache`` at ``None``.
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
        replay_fail_open: bool = False,
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
        _check_options(authority=authority, scheme=scheme, label=label, clock=clock,
                       keys=keys, resolver=resolver, replay=replay, assertions=assertions,
                       flags=dict(require_content_digest_with_body=require_content_digest_with_body,
                                  base64url_signatures=base64url_signatures,
                                  token_cache=token_cache, require_query=require_query,
                                  replay_fail_open=replay_fail_open),
                       require_signature_key=require_signature_key)
        required_components = _str_list("required_components", required_components)
        schemes = _str_list("schemes", schemes)
        jwt_types = _str_list("jwt_types", jwt_types)
        flags = _PROFILES[profile]
        if jwt_types is None:
            jwt_types = ["aa-agent+jwt", "agent+jwt"] if profile == "compat" else ["aa-agent+jwt"]
        if require_signature_key is None:
            require_signature_key = keys is None
        if schemes is None and keys is not None:
            # A trust store: keys from outside the request only (issue 12 finding 3).
            schemes = list(_RESOLVER_SCHEMES) if resolver is not None else []
            if assertions is not None and resolver is not None:
                schemes.append("cached")
        elif schemes is None and assertions is not None:
            schemes = _STATELESS_SCHEMES + ["cached"]
        self.replay_fail_open = replay_fail_open
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
        """The native request for ``url``: a path (``/path?query``, split at its first ``?``
        only, never decoded) or an absolute URL (see :func:`_split_target`)."""
        if type(url) is not str:
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        target = _TARGETS.get(url)
        if target is None:
            target = _target(url)
        scheme, netloc, path, query = target
        return self._request_parts(method, scheme, netloc, path, query, headers, body)

    def _request_parts(self, method: str, scheme: str, netloc: str, path: Union[str, bytes],
                       query: Union[str, bytes, None], headers: HeadersLike,
                       body: Optional[bytes]) -> _native.NativeRequest:
        """The native request from a target already split (the middleware passes ASGI's
        ``raw_path`` and ``query_string`` bytes as they are); a path with ``#`` or that does
        not start with ``/`` is ``invalid_request`` (RFC 9112 §3.2: not an origin-form
        target)."""
        if isinstance(path, str):
            bad = "#" in path or not path.startswith("/")
        else:
            bad = b"#" in path or not path.startswith(b"/")
        if bad:
            raise VerificationError("invalid_request", "the request path is not origin-form")
        authority = self.authority
        if authority is None:
            authority = netloc
        if not authority:
            raise ValueError("no canonical authority: configure Verifier(authority=...) or pass an absolute URL")
        if not scheme:
            scheme = self.scheme
        if body is not None and type(body) is not bytes:
            if isinstance(body, (bytearray, memoryview)):
                body = bytes(body)
            else:
                raise TypeError(f"body must be bytes or None, not {type(body).__name__}")
        if type(method) is not str:
            raise TypeError(f"method must be a str, not {type(method).__name__}")
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

    def _server_request(self, method: str, path: bytes, query: Optional[bytes],
                        headers: List[Tuple[bytes, bytes]]) -> _native.NativeRequest:
        """:meth:`_request_parts` for what a server parsed (the middleware): ``path`` and
        ``query`` as the bytes received, ``headers`` its list of pairs, no body yet, and the
        configured authority (the middleware refuses a verifier without one)."""
        if type(path) is not bytes or type(method) is not str or self.authority is None:
            return self._request_parts(method, "", "", path, query, headers, None)
        if b"#" in path or not path.startswith(b"/"):
            raise VerificationError("invalid_request", "the request path is not origin-form")
        return _native.NativeRequest(method, self.scheme, self.authority, path, query, headers, None)

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

    def _ready_source(self, plan: Any) -> Any:
        """The key source for ``plan`` when it needs no await: the request's own key, the
        configured ``keys``, a resolver's cache hit (its ``cached_key``/``cached_jwks_key``,
        answered without I/O, waiting or locks) or a sync-only resolver; :data:`_AWAIT` when
        the async resolver must be awaited (:meth:`_asource`)."""
        kind = type(plan)
        if kind is FetchMetadata:
            resolver = self.resolver
            peek = getattr(resolver, "cached_key", None)
            if peek is not None:
                hit = peek(plan.origin, plan.dwk, plan.kid, self.rules)
                if hit is not None:
                    return hit
            if getattr(resolver, "akey", None) is not None:
                return _AWAIT
        elif kind is FetchJwks:
            resolver = self.resolver
            peek = getattr(resolver, "cached_jwks_key", None)
            if peek is not None:
                hit = peek(plan.url, plan.kid, self.rules)
                if hit is not None:
                    return hit
            if getattr(resolver, "ajwks_key", None) is not None:
                return _AWAIT
        return self._source(plan)

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

    def _finish(self, pending: "Pending", before_body: bool = False) -> Any:
        """Phase 2 with the key the plan names; once more after one refresh of the signer's
        keys when they failed (``refetch``) and the resolver agreed to refetch: through
        ``refresh(signer)``, or the hardened resolver's ``refreshed_key``/``refreshed_jwks_key``
        (a thin shim: they return the new key, or ``None`` for nothing new). ``before_body``:
        the native ``finish_before_body`` (returns a ``Deferred``), else ``finish`` (the fields
        of :class:`Verified`)."""
        finish = pending.finish_before_body if before_body else pending.finish
        plan = pending.fetch
        source: "Optional[KeySource]" = None
        try:
            source = self._source(plan)
            return finish(source)
        except VerificationError as e:
            if not e.refetch or plan.signer is None:
                raise
            renewed = self._renewed(plan, source, "")
            if renewed is not None:
                return finish(renewed)
            refresh = getattr(self.resolver, "refresh", None)
            if refresh is None or not refresh(plan.signer):
                raise
        return finish(self._source(plan))

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

    async def _afinish(self, pending: "Pending", before_body: bool = False) -> Any:
        """:meth:`_finish` for :meth:`averify` (``arefreshed_key``, ``arefresh``, else the
        sync hooks)."""
        finish = pending.finish_before_body if before_body else pending.finish
        plan = pending.fetch
        source: "Optional[KeySource]" = None
        try:
            ready = self._ready_source(plan)  # a cache hit: no await
            source = await self._asource(plan) if ready is _AWAIT else ready
            return finish(source)
        except VerificationError as e:
            if not e.refetch or plan.signer is None:
                raise
            renewing = self._renewed(plan, source, "a")
            renewed = await renewing if renewing is not None else self._renewed(plan, source, "")
            if renewed is not None:
                return finish(renewed)
            if not await self._arefresh(plan.signer):
                raise
        return finish(await self._asource(plan))

    async def _arefresh(self, signer: str) -> bool:
        method = getattr(self.resolver, "arefresh", None)
        if method is not None:
            return bool(await method(signer))
        refresh = getattr(self.resolver, "refresh", None)
        return refresh is not None and bool(refresh(signer))

    # -- fleet state: assertions and replay keys ---------------------------------------------

    def _assertion(self, pending: "Pending", found: Optional[Tuple[bytes, str]]) -> None:
        """Resolves a ``cached`` plan with what the assertion store held (``cache_miss``). The
        assertion is then validated by the core as if presented in full: its failures are its
        own, never ``cache_miss``."""
        if found is None:
            raise pending.cache_miss()
        assertion, scheme = found
        pending.with_assertion(assertion, scheme)

    def _lookup(self, cid: str) -> Optional[Tuple[bytes, str]]:
        """The assertion store's ``get``; an unavailable store is a miss (SK-09 §6.2: the
        signer resends the assertion in full)."""
        store = self._assertions
        if store is None:
            return None
        get = getattr(store, "get", None)
        if get is None:
            raise TypeError("this assertion store has only aget/aput: use averify")
        try:
            return cast("Optional[Tuple[bytes, str]]", get(cid))
        except StoreUnavailable as e:
            log.warning("aauth: assertion store unavailable, answering cache_miss: %s", e)
            return None

    async def _alookup(self, cid: str) -> Optional[Tuple[bytes, str]]:
        store = self._assertions
        aget = getattr(store, "aget", None)
        if aget is None:
            return self._lookup(cid)
        try:
            return cast("Optional[Tuple[bytes, str]]", await aget(cid))
        except StoreUnavailable as e:
            log.warning("aauth: assertion store unavailable, answering cache_miss: %s", e)
            return None

    def _grant(self, values: Dict[str, Any], now: int) -> Optional[Tuple[Tuple[str, bytes, str, int], str]]:
        """For a ``;cache`` token: a fresh identifier; returns what the assertion store must
        hold (``cid, assertion, scheme, expires``) and the ``Signature-Key-Cache`` value, which
        goes into ``values`` only once the store holds the assertion."""
        grant = values["cache"]
        if grant is None or self._assertions is None:
            return None
        issued = grant.issue(os.urandom(16), now, self.assertion_ttl)
        return (issued.cid, grant.assertion, grant.scheme, issued.expires), issued.header

    def _keep(self, values: Dict[str, Any], now: int) -> None:
        grant = self._grant(values, now)
        if grant is None:
            return
        put = getattr(self._assertions, "put", None)
        if put is None:
            raise TypeError("this assertion store has only aget/aput: use averify")
        try:
            put(*grant[0])
        except StoreUnavailable as e:
            log.warning("aauth: assertion store unavailable, no Signature-Key-Cache: %s", e)
            return
        values["signature_key_cache"] = grant[1]

    async def _akeep(self, values: Dict[str, Any], now: int) -> None:
        aput = getattr(self._assertions, "aput", None)
        if aput is None:
            return self._keep(values, now)
        grant = self._grant(values, now)
        if grant is None:
            return None
        try:
            await aput(*grant[0])
        except StoreUnavailable as e:
            log.warning("aauth: assertion store unavailable, no Signature-Key-Cache: %s", e)
            return None
        values["signature_key_cache"] = grant[1]
        return None

    def _unavailable(self, e: StoreUnavailable) -> bool:
        """Whether to go on without the replay store (``replay_fail_open``)."""
        if self.replay_fail_open:
            log.warning("aauth: replay store unavailable, accepting unrecorded (fail open): %s", e)
            return True
        return False

    def _record(self, pending: Any, key: "ReplayKey", now: int) -> None:
        """Records ``key`` in the replay store; ``pending.replayed()`` if it was there."""
        check = getattr(self._replay, "check_and_record", None)
        if check is None:
            raise TypeError("this replay store has only acheck_and_record: use averify")
        try:
            fresh = check(key, now)
        except StoreUnavailable as e:
            if self._unavailable(e):
                return
            raise
        if not fresh:
            raise pending.replayed()

    async def _arecord(self, pending: Any, key: "ReplayKey", now: int) -> None:
        acheck = getattr(self._replay, "acheck_and_record", None)
        if acheck is None:
            return self._record(pending, key, now)
        try:
            fresh = await acheck(key, now)
        except StoreUnavailable as e:
            if self._unavailable(e):
                return None
            raise
        if not fresh:
            raise pending.replayed()
        return None

    # -- verification -----------------------------------------------------------------------

    def verify(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Verified:
        """Verifies a request; returns :class:`Verified` or raises :class:`VerificationError`
        (or :class:`~aauth_verify.errors.StoreUnavailable` when the replay store cannot
        answer).

        ``url`` is the request target (absolute URL or path + query, not decoded); ``headers``
        a mapping or a list of ``(name, value)`` pairs (repeated names allowed); ``body`` the
        raw body, needed when ``content-digest`` is covered.
        """
        req = self.request(method, url, headers, body)
        now = int(self._clock())
        try:
            pending = self.parse(req, now)
            if type(pending.fetch) is FetchAssertion:
                self._assertion(pending, self._lookup(pending.fetch.cid))
            values = self._finish(pending)
            if self._replay is not None:
                self._record(pending, values["replay"], now)
            if values["cache"] is not None:
                self._keep(values, now)
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
                self._assertion(pending, await self._alookup(pending.fetch.cid))
            values = await self._afinish(pending)
            if self._replay is not None:
                await self._arecord(pending, values["replay"], now)
            if values["cache"] is not None:
                await self._akeep(values, now)
        except VerificationError as e:
            raise self._error(e, req) from None
        return _verified(values)

    def verify_before_body(self, method: str, url: str, headers: HeadersLike) -> "HeadersVerified":
        """Verifies the signature over the headers before the body is read (the core's
        ``finish_before_body``), so that a forged or replayed request is refused before anyone
        reads, buffers or spools its body. Everything but the body is checked here: the key,
        the token, the signature, a covered ``Content-Digest`` field's syntax, the replay
        store (a replay is refused unread; a request whose body then fails has still used
        its signature), and ``require_content_digest_with_body`` by the framing (a non-zero
        ``Content-Length``, any ``Transfer-Encoding``). Returns :class:`HeadersVerified`:
        read the body when its ``reads_body`` says so and pass it to ``complete(body)``.
        One parse, as :meth:`verify`.
        """
        req = self.request(method, url, headers, None)
        return self._before_body(req)

    async def averify_before_body(self, method: str, url: str, headers: HeadersLike) -> "HeadersVerified":
        """:meth:`verify_before_body` for asyncio (then ``await result.acomplete(body)``)."""
        return await self._abefore_body(self.request(method, url, headers, None))

    def _before_body(self, req: _native.NativeRequest) -> "HeadersVerified":
        now = int(self._clock())
        try:
            pending = self.parse(req, now)
            if type(pending.fetch) is FetchAssertion:
                self._assertion(pending, self._lookup(pending.fetch.cid))
            deferred = self._finish(pending, before_body=True)
            if self._replay is not None:
                self._record(pending, deferred.replay, now)
        except VerificationError as e:
            raise self._error(e, req) from None
        return HeadersVerified(self, deferred, now)

    async def _abefore_body(self, req: _native.NativeRequest) -> "HeadersVerified":
        now = int(self._clock())
        try:
            pending = self.parse(req, now)
            if type(pending.fetch) is FetchAssertion:
                self._assertion(pending, await self._alookup(pending.fetch.cid))
            deferred = await self._afinish(pending, before_body=True)
            if self._replay is not None:
                await self._arecord(pending, deferred.replay, now)
        except VerificationError as e:
            raise self._error(e, req) from None
        return HeadersVerified(self, deferred, now)


class HeadersVerified:
    """A request whose signature verified over its headers (:meth:`Verifier.verify_before_body`);
    nothing about it may be acted on before :meth:`complete` returns its :class:`Verified`.

    ``needs_body``: ``content-digest`` is covered, the body must be read and checked.
    ``body_must_be_empty``: the policy requires ``content-digest`` for a body, the signature
    does not cover it and the framing announced none, so any body byte is refused
    (``invalid_input``; HTTP/2 and a lying ``Content-Length`` can still deliver some).
    ``reads_body``: either of the two: pass the whole body to :meth:`complete`. Otherwise the
    body is not part of what was verified, and ``complete()`` needs none.
    """

    __slots__ = ("_verifier", "_deferred", "_now", "needs_body", "body_must_be_empty")

    def __init__(self, verifier: Verifier, deferred: Any, now: int) -> None:
        self._verifier = verifier
        self._deferred = deferred
        self._now = now
        self.needs_body: bool = deferred.needs_body
        self.body_must_be_empty: bool = deferred.body_must_be_empty

    @property
    def reads_body(self) -> bool:
        return self.needs_body or self.body_must_be_empty

    def complete(self, body: Union[bytes, bytearray, memoryview] = b"") -> Verified:
        """Checks the whole body (``b""`` for none) and returns :class:`Verified`, or raises
        :class:`VerificationError` (``invalid_signature`` for a digest mismatch,
        ``invalid_input`` for a body that had to be empty). Once only (``RuntimeError``)."""
        values = self._deferred.complete(_body_bytes(body))
        if values["cache"] is not None:
            self._verifier._keep(values, self._now)
        return _verified(values)

    async def acomplete(self, body: Union[bytes, bytearray, memoryview] = b"") -> Verified:
        """:meth:`complete`, awaiting an async assertion store's ``aput``."""
        values = self._deferred.complete(_body_bytes(body))
        if values["cache"] is not None:
            await self._verifier._akeep(values, self._now)
        return _verified(values)


def _body_bytes(body: Any) -> bytes:
    if type(body) is bytes:
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"body must be bytes, not {type(body).__name__}")
