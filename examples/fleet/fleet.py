"""Two verifier processes sharing one Redis: replays and cache identifiers across a fleet.

    pip install 'aauth-verify[redis]' cryptography   # in this repository: make py-wheel
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no &
    python examples/fleet/fleet.py             # REDIS_URL=redis://127.0.0.1:6379/0 by default

Two processes (two web workers, two hosts behind one load balancer) each run a
``Verifier`` whose replay keys and cached assertions live in the same Redis. An agent signs
with a hardware-style key delegation (``jkt-jwt``, SK-09 §3.5) and asks for it to be cached
(``;cache``, SK-09 §6):

1. process A verifies the request and answers a ``Signature-Key-Cache`` identifier;
2. the very same request replayed to process B is refused: B sees A's replay key;
3. the agent's next request names the identifier (``sig=cached;cid=...``) instead of the
   token, and process B resolves it: it sees A's cached assertion.

Prints each step and ``fleet: ok``; exits non-zero if any step goes otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from aauth_verify import RedisAssertionCache, RedisReplayCache, VerificationError, Verifier

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
AUTHORITY = "api.example"

Headers = List[Tuple[str, str]]


# -- each process of the fleet -------------------------------------------------------------


def make_verifier() -> Verifier:
    # Socket timeouts bound every Redis call (the stores refuse a client without them); one
    # quick retry instead of redis-py's default ten with backoff.
    client = Redis.from_url(REDIS_URL, socket_timeout=0.25, socket_connect_timeout=0.25,
                            retry=Retry(NoBackoff(), 1))
    return Verifier(authority=AUTHORITY, replay=RedisReplayCache(client),
                    assertions=RedisAssertionCache(client))


def worker(name: str, inbox: Any, outbox: Any) -> None:
    verifier = make_verifier()
    for method, url, headers in iter(inbox.get, None):
        try:
            who = verifier.verify(method, url, headers)
            outbox.put((name, "ok", f"scheme={who.scheme} agent={who.agent}",
                        who.signature_key_cache))
        except VerificationError as e:
            outbox.put((name, e.code, e.check, None))


# -- the agent -----------------------------------------------------------------------------


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwk(key: Ed25519PrivateKey) -> Dict[str, str]:
    x = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(x), "alg": "Ed25519"}


def thumbprint(key: Ed25519PrivateKey) -> str:
    """RFC 7638: SHA-256 of the required members, in lexicographic order, no spaces."""
    j = jwk(key)
    canon = json.dumps({"crv": j["crv"], "kty": j["kty"], "x": j["x"]}, separators=(",", ":"))
    return b64url(hashlib.sha256(canon.encode()).digest())


def jkt_jwt(enclave: Ed25519PrivateKey, request_key: Ed25519PrivateKey, now: int) -> str:
    """A jkt-jwt (SK-09 §3.5): the enclave key delegates to the request key; the ``jti``
    lets a verifier cache it."""
    header = {"alg": "Ed25519", "typ": "jkt-s256+jwt", "jwk": jwk(enclave)}
    payload = {"iss": f"urn:jkt:sha-256:{thumbprint(enclave)}", "iat": now - 5,
               "exp": now + 3600, "jti": b64url(os.urandom(12)),
               "cnf": {"jwk": jwk(request_key)}}
    signing_input = ".".join(b64url(json.dumps(p, separators=(",", ":")).encode())
                             for p in (header, payload))
    return signing_input + "." + b64url(enclave.sign(signing_input.encode()))


def sign(key: Ed25519PrivateKey, method: str, path: str, signature_key: str) -> Headers:
    """RFC 9421 over the AAuth minimum: @method @authority @path signature-key."""
    params = f'("@method" "@authority" "@path" "signature-key");created={int(time.time())}'
    base = (f'"@method": {method}\n"@authority": {AUTHORITY}\n"@path": {path}\n'
            f'"signature-key": {signature_key}\n"@signature-params": {params}')
    signature = base64.b64encode(key.sign(base.encode())).decode()
    return [("signature-key", signature_key), ("signature-input", f"sig={params}"),
            ("signature", f"sig=:{signature}:")]


# -- the run ---------------------------------------------------------------------------------


def main() -> int:
    ctx = multiprocessing.get_context("spawn")
    outbox = ctx.Queue()
    inboxes = {name: ctx.Queue() for name in ("A", "B")}
    procs = [ctx.Process(target=worker, args=(name, q, outbox), daemon=True)
             for name, q in inboxes.items()]
    for p in procs:
        p.start()

    def send(name: str, headers: Headers) -> Tuple[str, str, Optional[str], Optional[str]]:
        inboxes[name].put(("GET", "/data", headers))
        answer: Tuple[str, str, Optional[str], Optional[str]] = outbox.get(timeout=30)
        print(f"  process {answer[0]}: {answer[1]} {answer[2] or ''}")
        return answer

    enclave, request_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    token = jkt_jwt(enclave, request_key, int(time.time()))
    ok = True
    try:
        print("1. a jkt-jwt with ;cache to process A")
        first = sign(request_key, "GET", "/data", f'sig=jkt-jwt;jwt="{token}";cache')
        _, verdict, _, cache = send("A", first)
        ok &= verdict == "ok" and cache is not None
        print(f"     Signature-Key-Cache: {cache}")
        print("2. the same request replayed to process B")
        ok &= send("B", first)[1:3] == ("invalid_signature", "replayed")
        print("3. the next request by reference (sig=cached) to process B")
        cid = (cache or '""').split('"')[1]
        ok &= send("B", sign(request_key, "GET", "/data", f'sig=cached;cid="{cid}"'))[1] == "ok"
    finally:
        for q in inboxes.values():
            q.put(None)
        for p in procs:
            p.join(10)
    print("fleet: ok" if ok else "fleet: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
