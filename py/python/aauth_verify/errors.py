"""Exceptions raised by aauth_verify.

* :class:`VerificationError` is raised by :class:`aauth_verify.Verifier` (and by the native
  module). ``.code`` is the ``Signature-Error`` token (``invalid_request``, ``invalid_input``,
  ``invalid_signature``, ``clock_skew``, ``unsupported_scheme``, ``unsupported_algorithm``,
  ``invalid_key``, ``unknown_key``, ``invalid_jwt``, ``expired_jwt``, ``issuer_missing``,
  ``issuer_mismatch``); ``.signature_error`` is the full header value for the 401 response.
* :data:`SignatureError` is what the drop-in :func:`aauth_verify.verify_signature` raises: the
  class of ``aauth_signing.errors`` when that package is importable (so existing
  ``except SignatureError`` clauses keep working), else a compatible class defined here.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["VerificationError", "SignatureError", "ERROR_CODES"]

#: The spec's error tokens with their stable numbers (shared with the C ABI).
ERROR_CODES = {
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
}


class VerificationError(Exception):
    """A request failed verification.

    Attributes:
        code: the ``Signature-Error`` ``error`` token (see :data:`ERROR_CODES`).
        detail: which check failed, in a short phrase (for logs; do not match on it).
        signature_error: the ``Signature-Error`` header value to send with the 401, e.g.
            ``error=invalid_input, required_input=("@method" "@authority" "@path" "signature-key")``.
        number: the stable numeric code.
    """

    status = 401

    def __init__(
        self,
        code: str,
        detail: str = "",
        signature_error: Optional[str] = None,
        number: Optional[int] = None,
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.signature_error = signature_error or f"error={code}"
        self.number = number if number is not None else ERROR_CODES.get(code, 0)

    def __reduce__(self) -> Any:
        return (type(self), (self.code, self.detail, self.signature_error, self.number))


def _signature_error_class() -> type:
    try:
        from aauth_signing.errors import SignatureError as cls  # type: ignore[import-not-found]

        return cls
    except ImportError:
        pass
    try:
        from aauth.errors import SignatureError as cls  # type: ignore[import-not-found]

        return cls
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
