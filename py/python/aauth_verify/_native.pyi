"""Type stubs for the native module (pyo3, abi3). Failures raise
:class:`aauth_verify.errors.VerificationError`."""

from typing import Any, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, TypedDict, Union

from .errors import VerificationError

_Bytes = Union[bytes, str]

CORE_VERSION: str

class NativePolicy:
    def __init__(
        self,
        *,
        window: int = 60,
        required: Optional[Sequence[str]] = None,
        require_authorization_when_present: bool = True,
        require_content_digest_with_body: bool = False,
        require_signature_key: bool = True,
        schemes: Optional[Sequence[str]] = None,
        jwt_types: Optional[Sequence[str]] = None,
        base64url_signatures: bool = True,
        legacy_signature_key: bool = False,
        alg_less_keys: bool = False,
        eddsa: bool = False,
        missing_created: bool = False,
        legacy_metadata: bool = False,
        max_header_bytes: Optional[int] = None,
        max_components: Optional[int] = None,
        max_params: Optional[int] = None,
        max_validity: Optional[int] = None,
        require_query: bool = False,
    ) -> None: ...
    @property
    def window(self) -> int: ...
    @property
    def required(self) -> List[str]: ...
    @property
    def schemes(self) -> List[str]: ...
    @property
    def jwt_types(self) -> List[str]: ...
    @property
    def key_rules(self) -> Tuple[bool, bool]: ...
    @property
    def legacy_metadata(self) -> bool: ...
    @property
    def max_validity(self) -> Optional[int]: ...
    @property
    def require_query(self) -> bool: ...
    @property
    def require_content_digest_with_body(self) -> bool: ...
    def accept_signature_scheme(self) -> str: ...
    @staticmethod
    def accept_signature_alg() -> str: ...
    def signature_error(
        self, code: str, request: Optional["NativeRequest"] = None, check: Optional[str] = None
    ) -> str: ...

class NativeRequest:
    def __init__(
        self,
        method: _Bytes,
        scheme: _Bytes,
        authority: _Bytes,
        path: _Bytes,
        query: Optional[_Bytes],
        headers: Iterable[Any],
        body: Optional[_Bytes] = None,
    ) -> None: ...
    def has_authorization(self) -> bool: ...
    def has_body(self) -> bool: ...
    def has_query(self) -> bool: ...

class NativeKey:
    @staticmethod
    def from_raw(x: bytes) -> "NativeKey": ...
    @staticmethod
    def from_jwk(json: bytes, require_alg: bool = True, allow_eddsa: bool = False) -> "NativeKey": ...
    @staticmethod
    def select(jwks: bytes, kid: str, require_alg: bool = True, allow_eddsa: bool = False) -> "NativeKey": ...
    @property
    def x(self) -> bytes: ...
    @property
    def alg(self) -> Optional[str]: ...
    @property
    def thumbprint(self) -> str: ...
    def jwk(self) -> Dict[str, str]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Documents:
    """The metadata document and JWKS a plan asked for, as fetched."""
    def __init__(self, jwks: bytes, metadata: Optional[bytes] = None) -> None: ...

class TrustedJwks:
    """A JWKS the configuration trusts for the plan's signer (no metadata check)."""
    def __init__(self, jwks: bytes) -> None: ...

class NativeTokenCache:
    """Verified agent tokens (256 entries, each ending at the token's exp); thread-safe."""
    def __init__(self) -> None: ...
    def __len__(self) -> int: ...

class FetchNothing:
    kind: Literal["nothing"]
    signer: None

class FetchCallerKey:
    kind: Literal["caller_key"]
    keyid: Optional[str]
    signer: None

class FetchMetadata:
    kind: Literal["metadata"]
    origin: str
    dwk: str
    kid: str
    metadata_url: str
    signer: str

class FetchJwks:
    kind: Literal["jwks"]
    url: str
    kid: str
    signer: str

class FetchAssertion:
    kind: Literal["assertion"]
    cid: str
    signer: None

Fetch = Union[FetchNothing, FetchCallerKey, FetchMetadata, FetchJwks, FetchAssertion]
KeySource = Union[None, NativeKey, Documents, TrustedJwks]

class TokenClaims:
    payload: str

class ReplayKey:
    digest: bytes
    b64: str
    until: int
    def ttl(self, now: int) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Issued:
    cid: str
    expires: int
    header: str

class CacheGrant:
    label: str
    scheme: Literal["jwt", "jkt-jwt"]
    assertion: bytes
    jti: str
    exp: int
    def issue(self, random: bytes, now: int, max_ttl: int) -> Issued: ...

class VerifiedFields(TypedDict):
    """The ``__dict__`` of :class:`aauth_verify.Verified`, as phase 2 builds it."""
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
    key: NativeKey
    token_type: Optional[str]
    claims: Optional[TokenClaims]
    nonce: Optional[str]
    tag: Optional[str]
    issuer_key: Optional[NativeKey]
    replay: Optional[ReplayKey]
    cache: Optional[CacheGrant]
    signature_key_cache: Optional[str]

class Deferred:
    """A request whose signature verified over its headers; ``complete(body)`` checks the body
    (once) and returns the fields of :class:`aauth_verify.Verified`."""
    @property
    def needs_body(self) -> bool: ...
    @property
    def body_must_be_empty(self) -> bool: ...
    @property
    def replay(self) -> Optional[ReplayKey]: ...
    def complete(self, body: bytes) -> Dict[str, Any]: ...

class Pending:
    """A request that passed phase 1, waiting for the key material its plan names."""
    @property
    def fetch(self) -> Fetch: ...
    @property
    def label(self) -> str: ...
    @property
    def scheme(self) -> Optional[str]: ...
    @property
    def covered(self) -> Tuple[str, ...]: ...
    @property
    def created(self) -> Optional[int]: ...
    @property
    def expires(self) -> Optional[int]: ...
    @property
    def inline_key(self) -> Optional[NativeKey]: ...
    def with_assertion(self, assertion: bytes, scheme: str) -> None: ...
    def finish(self, source: KeySource = None) -> Dict[str, Any]: ...
    def finish_before_body(self, source: KeySource = None) -> "Deferred": ...
    def cache_miss(self) -> VerificationError: ...
    def replayed(self) -> VerificationError: ...

def parse(
    request: NativeRequest,
    policy: NativePolicy,
    now: int,
    *,
    label: Optional[str] = None,
    tokens: Optional[NativeTokenCache] = None,
    revoked: Optional[Any] = None,
    replay: bool = False,
) -> Pending: ...
def signature_base(
    request: NativeRequest, policy: NativePolicy, now: int, label: Optional[str] = None
) -> bytes: ...
def counters() -> Tuple[int, int]: ...
def check_issuer(metadata_json: bytes, expected: str, allow_legacy: bool = False) -> str: ...
def error_codes() -> List[Tuple[str, int, str, bool]]: ...
def checks() -> List[Tuple[str, int, str]]: ...
def status_for(code: str, aauth: bool = True) -> int: ...
def problem_details(code: str, check: Optional[str], status: int) -> str: ...
def key_allowed(key: NativeKey, require_alg: bool, allow_eddsa: bool) -> bool: ...
def same_json(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same JSON tree of exact ``dict`` (same key order),
    ``list``, ``str``, ``int``, ``float`` (same bits), ``bool``, ``None`` (or equal ``str`` or
    ``bytes``): whether ``json.dumps`` writes the same text for both."""

# -- egress admission (core ``egress``, SK-09 §7.3); ``py/src/egress.rs`` --------------------

#: ``(scheme, kind, host, port, authority)``: ``kind`` is ``"name"``, ``"ipv4"`` or
#: ``"ipv6"``; ``host`` the name or address without brackets; ``port`` the effective port;
#: ``authority`` the ``Host`` header value.
_Parts = Tuple[str, str, str, int, str]

def parse_origin(id: str) -> _Parts:
    """An identifier as a bare origin; ``VerificationError`` (``invalid_key``) otherwise."""
def parse_url(url: str) -> Tuple[_Parts, str, str]:
    """A fetch URL: ``(parts, origin, target)``; ``VerificationError`` (``invalid_key``)."""
def metadata_url(id: str, dwk: str) -> str:
    """``{id}/.well-known/{dwk}``; ``VerificationError`` (``invalid_key``) for a bad ``dwk``."""
def admit(url: str, http_hosts: Sequence[str], private_hosts: Sequence[str]) -> str:
    """``"listed"``, ``"public"`` or ``"resolve"``; ``VerificationError`` (``unknown_key``)
    for a refused destination."""
def classify_ip(addr: str) -> str: ...
def admit_address(addr: str) -> None:
    """``VerificationError`` (``unknown_key``) unless ``addr`` is public."""
def check_jwks_uri(jwks_uri: str, metadata_origin: str, cross_origin: Sequence[str]) -> None: ...
def same_origin(a: str, b: str) -> bool: ...
def check_pattern(pattern: str) -> None:
    """``ValueError`` unless ``pattern`` is ``host[:port|:*]``, ``*.suffix[...]`` or ``*[...]``."""
def pattern_matches(pattern: str, url: str) -> bool: ...
