"""Exceptions raised by aauth_verify.

* :class:`VerificationError` is raised by :class:`aauth_verify.Verifier` (and by the native
  module). ``.code`` is the ``Signature-Error`` token, one of the 14 of SK-09's registry
  (:data:`ERROR_CODES`); ``.check`` names the check that failed (a stable name such as
  ``"signature_invalid"``, :data:`CHECKS`; branch on it, never on ``.detail``);
  ``.signature_error`` is the full header value for the response; ``.refetch`` says that the
  key came from the host and failed, so refetching the signer's keys once may help.
* :class:`StoreUnavailable` is raised by a fleet store (replay keys, cached assertions) that
  cannot answer, e.g. Redis unreachable or past its socket timeout. It is not a verdict on the
  request: a replay check that cannot be made refuses the request (the middleware answers
  503) unless the verifier was told to fail open; an assertion lookup that cannot be made is
  a ``cache_miss``.
* :data:`SignatureError` is what the drop-in :func:`aauth_verify.verify_signature` raises: the
  class of ``aauth_signing.errors`` when that package is importable (so existing
  ``except SignatureError`` clauses keep working), else a compatible class defined here.
"""

from __future__ import annotations

from typing import Any, Dict, Literal, Optional

from . import _native

__all__ = ["VerificationError", "SignatureError", "StoreUnavailable", "ERROR_CODES", "CHECKS",
           "ErrorCode"]

#: A ``Signature-Error`` ``error`` token (draft-hardt-httpbis-signature-key-09 §5.4).
ErrorCode = Literal[
    "invalid_request",
    "invalid_input",
    "invalid_signature",
    "clock_skew",
    "unsupported_scheme",
    "unsupported_algorithm",
    "invalid_key",
    "unknown_key",
    "invalid_jwt",
    "expired_jwt",
    "issuer_missing",
    "issuer_mismatch",
    "revoked_jwt",
    "cache_miss",
]

#: The spec's error tokens with their stable numbers (shared with the C ABI; new codes are
#: added at the end).
ERROR_CODES: Dict[str, int] = {
    "invalid_request": 1,
    "invalid_input": 2,
    "invalid_signature": 3,
    "clock_skew": 4,
    "unsupported_scheme": 5,
    "unsupported_algorithm": 6,
    "invalid_key": 7,
    "unknown_key": 8,
    "invalid_jwt": 9,
    "expired_jwt": 10,
    "issuer_missing": 11,
    "issuer_mismatch": 12,
    "revoked_jwt": 13,
    "cache_miss": 14,
}

#: Every check of the core by name, with its stable number (the C API reports the numbers).
CHECKS: Dict[str, int] = {name: number for name, number, _ in _native.checks()}

#: The codes a client can recover from by signing differently (SK-09 §5: these may be 401
#: where the others are 400).
RECOVERABLE = frozenset(token for token, _, _, recoverable in _native.error_codes() if recoverable)


class VerificationError(Exception):
    """A request failed verification.

    Attributes:
        code: the ``Signature-Error`` ``error`` token (see :data:`ERROR_CODES`).
        detail: which check failed, in a short phrase (for logs; do not match on it).
        signature_error: the ``Signature-Error`` header value to send with the response, e.g.
            ``error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")``.
        number: the stable numeric code.
        check: the name of the failed check (:data:`CHECKS`), or ``None`` for a refusal the
            host made itself (a resolver that could not fetch a key).
        refetch: the key came from the host and failed; refetching the signer's keys once may
            help (key rotation).
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        signature_error: Optional[str] = None,
        number: Optional[int] = None,
        *,
        check: Optional[str] = None,
        refetch: bool = False,
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.signature_error = signature_error or f"error={code}"
        self.number = number if number is not None else ERROR_CODES.get(code, 0)
        self.check = check
        self.refetch = refetch

    @property
    def check_number(self) -> Optional[int]:
        """The stable number of :attr:`check`."""
        return CHECKS.get(self.check) if self.check is not None else None

    @property
    def recoverable(self) -> bool:
        """Whether the client can recover by signing differently (SK-09 §5)."""
        return self.code in RECOVERABLE

    def status(self, aauth: bool = True) -> int:
        """The HTTP status, as the core decides it: 401 under AAuth; else 401 if
        :attr:`recoverable`, 400 if not (SK-09 §5)."""
        return _native.status_for(self.code, aauth)

    def problem_details(self, status: int) -> str:
        """The ``application/problem+json`` body (``type`` is
        ``urn:ietf:params:sig-error:<code>``), rendered by the core; the ``detail`` member is
        the check's static description, never request bytes or upstream addresses."""
        return _native.problem_details(self.code, self.check, status)

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.code, self.detail, self.signature_error, self.number,
                           self.check, self.refetch))


class StoreUnavailable(Exception):
    """A fleet store (replay keys, cached assertions) could not answer in time: the request
    was neither accepted nor refused on its merits. ``store`` is ``"replay"`` or
    ``"assertions"``; the message names the cause (never request bytes)."""

    def __init__(self, store: str, message: str) -> None:
        super().__init__(f"{store} store unavailable: {message}")
        self.store = store


def _rebuild(cls: Any, code: str, detail: str, header: str, number: int, check: Optional[str],
             refetch: bool) -> VerificationError:
    err: VerificationError = cls(code, detail, header, number, check=check, refetch=refetch)
    return err


def _signature_error_class() -> type:
    try:
        from aauth_signing.errors import SignatureError as cls  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return cls  # type: ignore[no-any-return,unused-ignore]
    except ImportError:
        pass
    try:
        from aauth.errors import SignatureError as cls  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return cls  # type: ignore[no-any-return,unused-ignore]
    except ImportError:
        pass

    class SignatureError(Exception):
        """HTTP signature validation error (compatible with ``aauth_signing.errors``)."""

        def __init__(
            self,
            message: str,
            error_code: Optional[str] = None,
            details: Optional[Dict[str, Any]] = None,
        ) -> None:
            super().__init__(message)
            self.error_code = error_code or "invalid_signature"
            self.details = details or {}

    SignatureError.__module__ = __name__
    return SignatureError


SignatureError: type = _signature_error_class()
