"""Type stubs for the native module (pyo3, abi3). Failures raise
:class:`aauth_verify.errors.VerificationError`."""

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

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
    def accept_signature_scheme(self) -> str: ...
    def signature_error(self, code: str, authorization_present: bool = False) -> str: ...

class NativeRequest:
    def __init__(
        self,
        method: _Bytes,
        scheme: _Bytes,
        authority: _Bytes,
        path: _Bytes,
        query: Optional[_Bytes],
        headers: Iterable[Tuple[_Bytes, _Bytes]],
        body: Optional[_Bytes] = None,
    ) -> None: ...
    def has_authorization(self) -> bool: ...

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

class NativeTokenCache:
    """Verified agent tokens (256 entries, each ending at the token's exp); thread-safe."""
    def __init__(self) -> None: ...

_KeySource = Union[None, NativeKey, Tuple[str, bytes, Optional[bytes]]]

def inspect(
    request: NativeRequest, policy: NativePolicy, now: int, label: Optional[str] = None
) -> Dict[str, Any]: ...
def verify(
    request: NativeRequest,
    policy: NativePolicy,
    now: int,
    key: _KeySource = None,
    label: Optional[str] = None,
    cache: Optional[NativeTokenCache] = None,
    resolve: Optional[Callable[[Dict[str, Any]], _KeySource]] = None,
) -> Dict[str, Any]:
    """Phase 1, the key, phase 2, over one parse. The key is ``key``, or (not both)
    ``resolve(info)``, called between the phases with the dict :func:`inspect` returns; its
    exceptions propagate unchanged. With ``resolve`` the result is that dict, completed."""
def signature_base(
    request: NativeRequest, policy: NativePolicy, now: int, label: Optional[str] = None
) -> bytes: ...
def check_issuer(metadata_json: bytes, expected: str, allow_legacy: bool = False) -> str: ...
def error_codes() -> List[Tuple[str, int]]: ...
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
