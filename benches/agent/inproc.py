#!/usr/bin/env python3
"""The agent path in one process, without a server (issue 18): what each call costs, and a
harness to profile it.

    python benches/agent/inproc.py [--rounds N] [--calls K] [--only NAME] [OUT.json]

Per request (benches/agent/common.py REQUESTS, signed by aauth-signing 0.2.0), after the
resolvers fetched the signer's documents once from a key server on 127.0.0.1:

* ``verify``     - ``Verifier.verify`` (sync ``Resolver``, warm) in a loop;
* ``averify``    - ``await Verifier.averify`` (``AsyncResolver``, warm) in a loop, one coroutine
  (on uvloop's event loop when installed, as under uvicorn[standard]);
* ``middleware`` - ``AAuthMiddleware`` around an ASGI app that answers at once, called with the
  scope uvicorn builds (headers as ``(bytes, bytes)`` pairs, ``raw_path``), minus the same app
  called alone (``app``);
* ``aauth_signing`` - ``aauth_signing.verify_signature`` (cached JWKS dict) in a loop.

Interleaved rounds (order rotated), best of 5 repeats per round, median of rounds.
``--only NAME --calls K --request R`` makes K calls of one of them and nothing else (for
callgrind or py-spy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import apps  # noqa: E402
from common import PATH, REQUESTS, KeyServer  # noqa: E402

from aauth_verify import Verifier  # noqa: E402
from aauth_verify.middleware import AAuthMiddleware  # noqa: E402
from aauth_verify.resolver import AsyncResolver, Resolver  # noqa: E402

RESPONSE_START = {"type": "http.response.start", "status": 200,
                  "headers": [(b"content-type", b"application/json")]}
RESPONSE_BODY = {"type": "http.response.body", "body": b'{"ok":true}'}


async def answer(scope: Any, receive: Any, send: Any) -> None:
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
    await send(RESPONSE_START)
    await send(RESPONSE_BODY)


def scope_of(method: str, headers: List[Tuple[str, str]], body: Optional[bytes]) -> Dict[str, Any]:
    """The HTTP scope uvicorn (httptools) hands an app for this request."""
    hs = [(b"host", b"127.0.0.1:8000")] + [(n.lower().encode("latin-1"), v.encode("latin-1"))
                                            for n, v in headers]
    if body is not None:
        hs.append((b"content-length", str(len(body)).encode()))
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "scheme": "http",
            "method": method, "root_path": "", "path": PATH, "raw_path": PATH.encode(),
            "query_string": b"", "headers": hs, "state": {}}


def new_loop() -> asyncio.AbstractEventLoop:
    """The event loop uvicorn[standard] runs apps on: uvloop's when installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class Setup:
    def __init__(self) -> None:
        self.keys = KeyServer()
        hostport = f"127.0.0.1:{self.keys.port}"
        common = dict(authority=apps.AUTHORITY, scheme="http", window=apps.WINDOW,
                      require_content_digest_with_body=True)
        self.sync = Verifier(resolver=Resolver(allow_http_hosts=[hostport], trusted=[self.keys.origin]),
                             **common)  # type: ignore[arg-type]
        self.async_ = Verifier(resolver=AsyncResolver(allow_http_hosts=[hostport],
                                                      trusted=[self.keys.origin]),
                               **common)  # type: ignore[arg-type]
        self.middleware = AAuthMiddleware(answer, verifier=self.async_)
        self.fetcher = apps.cached_fetcher()
        self.loop = new_loop()
        self.statuses: List[int] = []

    def fns(self, scheme: str, method: str) -> Dict[str, Callable[[], Any]]:
        """One zero-argument callable per implementation, each making one verification (the
        async ones wrapped as loops: see ``timed``)."""
        from aauth_signing import verify_signature

        headers, body = self.keys.sign(scheme, method)
        url = PATH
        sync, averifier, mw = self.sync, self.async_, self.middleware
        scope = scope_of(method, headers, body)
        msg = {"type": "http.request", "body": body or b"", "more_body": False}

        async def receive() -> Any:
            return msg

        statuses = self.statuses = []

        async def send(m: Any) -> None:
            if m["type"] == "http.response.start":
                statuses.append(m["status"])
                del statuses[:-1]

        hd = dict(headers)
        lower = {k.lower(): v for k, v in hd.items()}
        fetcher = self.fetcher

        def upstream() -> bool:
            ok: bool = verify_signature(
                method=method, target_uri=f"http://{apps.AUTHORITY}{PATH}", headers=lower, body=body,
                signature_input_header=lower["signature-input"], signature_header=lower["signature"],
                signature_key_header=lower["signature-key"], jwks_fetcher=fetcher,
                signature_window=apps.WINDOW)
            return ok

        out: Dict[str, Any] = {
            "verify": lambda: sync.verify(method, url, headers, body),
            "averify": lambda: averifier.averify(method, url, headers, body),
            "middleware": lambda: mw(dict(scope, state={}), receive, send),
            "app": lambda: answer(dict(scope, state={}), receive, send),
            "aauth_signing": upstream,
        }
        return out

    def check(self, fns: Dict[str, Callable[[], Any]]) -> None:
        """Every implementation verifies the request (the middleware answers 200)."""
        assert fns["verify"]().scheme is not None
        assert self.loop.run_until_complete(fns["averify"]()).scheme is not None
        assert fns["aauth_signing"]() is True
        self.loop.run_until_complete(fns["middleware"]())
        if self.statuses != [200]:
            raise SystemExit(f"inproc.py: the middleware answered {self.statuses}")


def timed(loop: asyncio.AbstractEventLoop, fn: Callable[[], Any], is_async: bool, n: int) -> float:
    """Seconds per call over ``n`` calls."""
    if is_async:
        async def run() -> float:
            t0 = time.perf_counter()
            for _ in range(n):
                await fn()
            return time.perf_counter() - t0

        return loop.run_until_complete(run()) / n
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


ASYNC = {"averify", "middleware", "app"}
#: The order of the --instr measurements (one callgrind dump each).
INSTR_ORDER = ("verify", "averify", "middleware", "app")


def measure(setup: Setup, rounds: int, target_s: float) -> List[Dict[str, Any]]:
    rows = []
    for name, scheme, method in REQUESTS:
        fns = setup.fns(scheme, method)
        setup.check(fns)
        names = list(fns)
        n = {k: max(50, int(target_s / max(timed(setup.loop, f, k in ASYNC, 50), 1e-7)))
             for k, f in fns.items()}
        per_round: List[Dict[str, float]] = []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            best = {}
            for k in order:
                best[k] = min(timed(setup.loop, fns[k], k in ASYNC, n[k]) for _ in range(5))
            best["middleware - app"] = best["middleware"] - best["app"]
            per_round.append(best)
        us = {k: round(statistics.median(b[k] for b in per_round) * 1e6, 2) for k in per_round[0]}
        ratio = {
            "averify / verify": round(statistics.median(b["averify"] / b["verify"] for b in per_round), 3),
            "(middleware - app) / verify": round(statistics.median(
                b["middleware - app"] / b["verify"] for b in per_round), 3),
            "aauth_signing / verify": round(statistics.median(
                b["aauth_signing"] / b["verify"] for b in per_round), 3),
        }
        rows.append({"request": name, "us_per_call": us, "ratios": ratio})
        print(f"  {name:24s} " + ", ".join(f"{k} {v:.1f}" for k, v in us.items())
              + " µs | " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_AGENT_INPROC_ROUNDS", 5)))
    ap.add_argument("--target", type=float, default=0.05, help="seconds per timed repeat")
    ap.add_argument("--only", choices=["verify", "averify", "middleware", "app", "aauth_signing"])
    ap.add_argument("--request", default="jwks_uri POST + digest")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--instr", type=int, metavar="K",
                    help="for instr.py under callgrind: K calls of verify, averify, middleware "
                         "and app, each inside one operator.call (the collected function)")
    ap.add_argument("out", nargs="?")
    a = ap.parse_args()
    setup = Setup()
    try:
        if a.instr:
            import operator

            scheme, method = next((s, m) for n, s, m in REQUESTS if n == a.request)
            fns = setup.fns(scheme, method)
            setup.check(fns)
            for k in INSTR_ORDER:
                timed(setup.loop, fns[k], k in ASYNC, 10)  # warm: first-call paths out of the count
                operator.call(timed, setup.loop, fns[k], k in ASYNC, a.instr)  # type: ignore[attr-defined]
            return
        if a.only:
            scheme, method = next((s, m) for n, s, m in REQUESTS if n == a.request)
            fns = setup.fns(scheme, method)
            setup.check(fns)
            if a.calls:
                timed(setup.loop, fns[a.only], a.only in ASYNC, a.calls)
            return
        rows = measure(setup, a.rounds, a.target)
    finally:
        setup.keys.stop()
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump({"rounds": a.rounds, "requests": rows}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
