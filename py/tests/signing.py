"""A small RFC 9421 signer for the adversarial tests: it signs exactly the ``@path`` and
``@query`` bytes it is given (aauth-signing derives them from a URL with ``urlparse``, which
is the kind of re-parsing these tests are about), plain RFC 9421 with a ``keyid`` (no
``Signature-Key``), and ``hwk``."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Dict, List, Optional, Sequence, Tuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DEFAULT = ("@method", "@authority", "@path", "signature-key")


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def sign(
    method: str,
    authority: str,
    path: str,
    *,
    query: Optional[str] = None,
    headers: Optional[Dict[str, str]] = None,
    body: Optional[bytes] = None,
    key: Optional[Ed25519PrivateKey] = None,
    components: Sequence[str] = DEFAULT,
    keyid: Optional[str] = None,
    hwk: bool = True,
    created: Optional[int] = None,
    digest: bool = False,
) -> Tuple[List[Tuple[str, str]], Ed25519PrivateKey]:
    """Signs a request and returns its header lines (the given ``headers`` first) and the key.

    ``hwk=False`` leaves ``Signature-Key`` out (plain RFC 9421: cover components without
    ``signature-key`` and give a ``keyid``); ``digest=True`` adds a ``Content-Digest`` of
    ``body`` and covers it.
    """
    key = key or Ed25519PrivateKey.generate()
    h: Dict[str, str] = dict(headers or {})
    comps = list(components)
    if digest:
        h["content-digest"] = content_digest(body or b"")
        comps.append("content-digest")
    if hwk:
        h["signature-key"] = (f'sig=hwk;kty="OKP";crv="Ed25519";x="{b64url(raw_public(key))}"'
                              ';alg="Ed25519"')
    lower = {k.lower(): v for k, v in h.items()}
    lines = []
    for c in comps:
        if c == "@method":
            v = method
        elif c == "@authority":
            v = authority
        elif c == "@path":
            v = path
        elif c == "@query":
            v = "?" + (query or "")
        elif c == "@target-uri":
            v = f"https://{authority}{path}" + (f"?{query}" if query is not None else "")
        else:
            v = lower[c].strip()
        lines.append(f'"{c}": {v}')
    params = "(" + " ".join(f'"{c}"' for c in comps) + ")"
    params += f";created={int(time.time()) if created is None else created}"
    if keyid is not None:
        params += f';keyid="{keyid}"'
    lines.append(f'"@signature-params": {params}')
    base = "\n".join(lines).encode()
    sig = key.sign(base)
    h["signature-input"] = f"sig={params}"
    h["signature"] = "sig=:" + base64.b64encode(sig).decode() + ":"
    return list(h.items()), key
