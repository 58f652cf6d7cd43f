"""The configured verifier: ``Verifier(...).verify(method, url, headers, body)``."""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from dataclasses import dataclass, field, fields
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)
from urllib.parse import urlsplit

from . import _native
from .errors import VerificationError

__all__ = ["Verifier", "Verified", "Key", "KeyRules", "StaticKeys", "HeadersLike"]

#: A validated Ed25519 public key (``Key.from_raw(b)``, ``Key.from_jwk(json)``,
#: ``Key.select(jwks_json, kid)``; ``.x``, ``.alg``, ``.thumbprint``, ``.jwk()``).
Key = _native.NativeKey

HeadersLike = Union[Mapping[str, str], Iterable[Tuple[Union[str, bytes], Union[str, bytes]]]]

_TOKEN_KINDS = ("jwt", "self-jwt")


@dataclass(frozen=True)
class KeyRules:
    """What keys and metadata a policy accepts (handed to key resolvers)."""

    require_alg: bool = True
    allow_eddsa: bool = False
    legacy_metadata: bool = False


class _PendingClaims(str):
    """``Verified.claims`` not decoded yet: the agent token (its payload is base64url JSON).
    A ``str`` subclass only because that is the cheapest object to build per request."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<claims not decoded yet>"


_claims_lock = threading.Lock()


class _Claims:
    """The ``claims`` field of :class:`Verified`: a data descriptor that decodes the token's
    payload on first access (most callers never read it) and keeps the result, so that every
    access of one ``Verified`` returns the same dict, fresh per ``Verified``. Reading it is
    otherwise like reading the field (``__dict__["claims"]``); the class default is ``None``.
    """

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return None  # the field's default (dataclasses reads it from the class)
        value = obj.__dict__["claims"]
        if type(value) is _PendingClaims:
            try:
                decoded = _b64url_json(value.split(".")[1])
            except Exception:  # pragma: no cover - the core already decoded it
                decoded = None
            with _claims_lock:  # one decoded dict per Verified, whichever thread gets here first
                value = obj.__dict__["claims"]
                if type(value) is _PendingClaims:
                    value = obj.__dict__["claims"] = decoded
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        # Only __init__ gets here (object.__setattr__); the frozen __setattr__ raises first.
        obj.__dict__["claims"] = value


@dataclass(frozen=True)
class Verified:
    """A verified request: who signed it and what the signature covered.

    ``agent`` is the signer's identity: the ``jwks_uri`` ``id``, the ``jwks`` URL, or the agent
    token's ``sub``; ``None`` for pseudonymous ``hwk``/``jkt-jwt`` signers, which are
    identified by ``thumbprint`` (RFC 7638, of the key that signed the request).
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


def _header_pairs(headers: HeadersLike) -> list:
    if hasattr(headers, "raw") and isinstance(getattr(headers, "raw"), list):
        return list(headers.raw)  # Starlette Headers: every line, in order
    if hasattr(headers, "multi_items"):
        return list(headers.multi_items())
    if hasattr(headers, "items"):
        return list(headers.items())  # type: ignore[union-attr]
    return list(headers)


#: Request targets seen before: ``url -> (scheme, netloc, path or "/", query or None)`` as
#: ``request`` derives them from ``urlsplit``; a pure function of the text, bounded.
_TARGETS: Dict[str, Tuple[str, str, str, Optional[str]]] = {}
_TARGETS_SIZE = 256


def _target(url: Any) -> Tuple[Any, Any, Any, Any]:
    parts = urlsplit(url)
    target = (parts.scheme, parts.netloc, parts.path or "/", parts.query if "?" in url else None)
    if type(url) is str:
        if len(_TARGETS) >= _TARGETS_SIZE:
            _TARGETS.clear()
        _TARGETS[url] = target
    return target


def _b64url_json(part: str) -> Any:
    """``json.loads`` of a JWT part, a fresh object per call (the caller may change it)."""
    return _json_decode(_b64url_text(part))


#: ``json.loads``'s own decoder (no hooks), minus its per-call type dispatch.
_json_decode = json.JSONDecoder().decode


@functools.lru_cache(maxsize=256)
def _b64url_text(part: str) -> str:
    """A JWT part as the text ``json.loads`` would decode from its bytes. Agent tokens repeat
    across requests until they expire, so each is base64-decoded once (the text is immutable).
    """
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


_PROFILES = {
    "strict": dict(legacy_signature_key=False, alg_less_keys=False, eddsa=False,
                   missing_created=False, legacy_metadata=False),
    "compat": dict(legacy_signature_key=True, alg_less_keys=True, eddsa=True,
                   missing_created=True, legacy_metadata=True),
}


class Verifier:
    """Verifies AAuth-signed requests under one policy.

    Args:
        authority: the canonical authority of this service (``"api.example"``,
            ``"127.0.0.1:8000"``); never taken from ``Host``. ``None`` uses the authority of
            the absolute URL passed to :meth:`verify`.
        scheme: the URL scheme used when :meth:`verify` gets a path rather than a URL.
        profile: ``"strict"`` (draft -08+/AAuth: ``alg`` on keys, no ``EdDSA``, SF syntax,
            ``created`` required) or ``"compat"`` (also what aauth 0.1.x–0.3.x peers send).
        window: freshness window for ``created`` in seconds.
        required_components: covered components every signature needs (default
            ``@method @authority @path signature-key``; ``authorization`` is added when the
            request carries one).
        schemes: accepted ``Signature-Key`` schemes (default: all: ``hwk``, ``jwks_uri``,
            ``jwks``, ``legacy-jwks``, ``jwt``, ``jkt-jwt``, ``self-jwt``).
        jwt_types: accepted ``typ`` of ``jwt`` tokens (default ``["aa-agent+jwt"]``, compat
            adds ``"agent+jwt"``).
        resolver: where ``jwks_uri``/``jwks``/``jwt`` keys come from (a
            :class:`~aauth_verify.resolver.Resolver`, :class:`StaticKeys`, or any object with
            ``key(id, dwk, kid, rules)`` and ``jwks_key(url, kid, rules)``; async resolvers
            add ``akey``/``ajwks_key``).
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
    """

    def __init__(
        self,
        *,
        authority: Optional[str] = None,
        scheme: str = "https",
        profile: str = "strict",
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
    ) -> None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be 'strict' or 'compat', not {profile!r}")
        flags = _PROFILES[profile]
        if jwt_types is None:
            jwt_types = ["aa-agent+jwt", "agent+jwt"] if profile == "compat" else ["aa-agent+jwt"]
        if require_signature_key is None:
            require_signature_key = keys is None
        self.authority = authority
        self.scheme = scheme
        self.profile = profile
        self.label = label
        # Verified agent tokens: a repeated token skips its JSON and JWS (native exact-bytes store).
        self._token_cache = _native.NativeTokenCache() if token_cache else None
        self.resolver = resolver
        self.keys = keys
        self._clock = clock
        self.policy = _native.NativePolicy(
            window=int(window),
            required=list(required_components) if required_components is not None else None,
            require_content_digest_with_body=require_content_digest_with_body,
            require_signature_key=require_signature_key,
            schemes=list(schemes) if schemes is not None else None,
            jwt_types=list(jwt_types),
            base64url_signatures=base64url_signatures,
            **flags,
        )
        self.rules = KeyRules(
            require_alg=not flags["alg_less_keys"],
            allow_eddsa=flags["eddsa"],
            legacy_metadata=flags["legacy_metadata"],
        )

    # -- request marshalling ----------------------------------------------------------------

    def request(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Any:
        """The native request for ``url`` (absolute, or a path with optional ``?query``)."""
        target = _TARGETS.get(url) if type(url) is str else None
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

    # -- verification -----------------------------------------------------------------------

    def _error(self, e: VerificationError, req: Any) -> VerificationError:
        header = self.policy.signature_error(e.code, req.has_authorization())
        return VerificationError(e.code, e.detail, header, e.number)

    def _source(self, info: Dict[str, Any]) -> Tuple[str, Tuple[Any, ...]]:
        """What to ask the resolver for: ("none"|"key"|"jwks", args)."""
        need = info["requirement"]
        kind = need["kind"]
        if kind in ("inline", "jkt-jwt"):
            return "none", ()
        if kind == "external":
            return "external", (info.get("keyid"),)
        if kind == "jwks_uri":
            return "key", (need["id"], need["dwk"], need["kid"])
        if kind == "jwks":
            return "jwks", (need["url"], need["kid"])
        if kind == "legacy-jwks":
            if need.get("jwks"):
                return "jwks", (need["jwks"], need["kid"])
            return "key", (need["id"], need.get("well_known") or "aauth-agent.json", need["kid"])
        if kind in _TOKEN_KINDS:
            tok = info["token"]
            return "key", (tok["iss"], tok["dwk"], tok["kid"])
        raise VerificationError("unsupported_scheme", f"no key source for {kind}")

    def _external(self, keyid: Optional[str]) -> Any:
        if isinstance(self.keys, Key):
            return self.keys
        if isinstance(self.keys, Mapping) and keyid is not None and keyid in self.keys:
            return self.keys[keyid]
        raise VerificationError("unknown_key", "no key for this signature")

    def _resolve(self, what: str, args: Tuple[Any, ...]) -> Any:
        if what == "none":
            return None
        if what == "external":
            return self._external(*args)
        if self.resolver is None:
            raise VerificationError("unknown_key", "no key resolver is configured")
        if what == "key":
            return self.resolver.key(*args, self.rules)
        return self.resolver.jwks_key(*args, self.rules)

    def _key_for(self, info: Dict[str, Any]) -> Any:
        """The ``resolve`` callback of the native verify: the key for a phase-1 summary.
        ``_resolve(*_source(info))``, with the common kinds inlined."""
        need = info["requirement"]
        kind = need["kind"]
        if kind == "inline":
            return None
        resolver = self.resolver
        if resolver is not None:
            if kind == "jwt" or kind == "self-jwt":
                tok = info["token"]
                return resolver.key(tok["iss"], tok["dwk"], tok["kid"], self.rules)
            if kind == "jwks_uri":
                return resolver.key(need["id"], need["dwk"], need["kid"], self.rules)
        return self._resolve(*self._source(info))

    def _finish(self, out: Dict[str, Any]) -> Verified:
        tok = out.get("token")
        if tok is None:
            claims = issuer = subject = token_type = None
            agent = out.get("signer")
            kid = out.get("kid")
        else:
            need = out["requirement"]
            kind = need["kind"]
            token_type = tok["typ"]
            issuer = tok["iss"]
            subject = tok["sub"]
            kid = tok["kid"] if kind != "jkt-jwt" else out.get("kid")
            agent = subject if kind == "jwt" else issuer if kind == "self-jwt" else None
            # Decoded on first access of Verified.claims.
            claims = _PendingClaims(need["jwt"])
        # Verified(**fields) without the frozen dataclass's per-field object.__setattr__: the
        # same object, a Verified whose __dict__ holds the fields (in field order).
        v = _new_object(Verified)
        _setattr(
            v,
            "__dict__",
            {
                "label": out["label"],
                "scheme": out["scheme"],
                "agent": agent,
                "issuer": issuer,
                "subject": subject,
                "kid": kid,
                "thumbprint": out["thumbprint"],
                "created": out["created"],
                "expires": out["expires"],
                "covered": tuple(out["covered"]),
                "key": out["key"],
                "token_type": token_type,
                "claims": claims,
                "nonce": out["nonce"],
                "tag": out["tag"],
            },
        )
        return v

    def verify(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Verified:
        """Verifies a request; returns :class:`Verified` or raises :class:`VerificationError`.

        ``url`` is the request target (absolute URL or path + query, not decoded); ``headers``
        a mapping or a list of ``(name, value)`` pairs (repeated names allowed); ``body`` the
        raw body, needed when ``content-digest`` is covered.
        """
        req = self.request(method, url, headers, body)
        now = int(self._clock())
        try:
            # One native call, one parse: the core calls _key_for between its two phases.
            out = _native.verify(req, self.policy, now, None, self.label, self._token_cache, self._key_for)
            return self._finish(out)
        except VerificationError as e:
            raise self._error(e, req) from None

    async def averify(self, method: str, url: str, headers: HeadersLike, body: Optional[bytes] = None) -> Verified:
        """:meth:`verify` for asyncio: key fetches go through the resolver's ``akey``/``ajwks_key``."""
        req = self.request(method, url, headers, body)
        now = int(self._clock())
        try:
            try:
                # Keys that need no await (inline, configured, a resolver without the async
                # method) resolve inside one native call, as in verify().
                out = _native.verify(
                    req, self.policy, now, None, self.label, self._token_cache, self._key_for_sync
                )
            except _NeedsAwait as pending:
                # The resolver must be awaited: outside the native call, which then verifies
                # with the key (parsing the request a second time).
                key = await pending.method(*pending.args, self.rules)
                out = _native.verify(req, self.policy, now, key, self.label, self._token_cache)
            return self._finish(out)
        except VerificationError as e:
            raise self._error(e, req) from None

    def _key_for_sync(self, info: Dict[str, Any]) -> Any:
        """``_key_for``, except that a key the resolver serves asynchronously raises
        :class:`_NeedsAwait` with the coroutine function and its arguments."""
        what, args = self._source(info)
        if what in ("key", "jwks") and self.resolver is not None:
            method = getattr(self.resolver, "akey" if what == "key" else "ajwks_key", None)
            if method is not None:
                raise _NeedsAwait(method, args)
        return self._resolve(what, args)


class _NeedsAwait(Exception):
    """Ends a native verify whose key must come from an async resolver method."""

    def __init__(self, method: Callable[..., Awaitable[Any]], args: Tuple[Any, ...]) -> None:
        super().__init__()
        self.method = method
        self.args = args
