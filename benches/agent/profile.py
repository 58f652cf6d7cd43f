#!/usr/bin/env python3
"""Where a uvicorn worker's time goes under wrk (issue 18): py-spy samples of one app server.

    .venv/bin/python benches/agent/profile.py [APP] [REQUEST] [SECONDS]
    (make bench-agent-profile; defaults: aauth_verify, "jwks_uri POST + digest", 10)

Starts the key server and one app of benches/agent/apps.py under ``py-spy record``
(250 samples/s, collapsed stacks to build/bench/agent/profile-APP.txt), warms it with one
request, drives it with wrk for SECONDS, then prints the share of samples spent in (inclusive)
the frames that matter: the middleware, the verifier's phases, the native calls, the resolver,
the body read, uvicorn and Starlette, the event loop.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from bench import WORK, Server, send  # noqa: E402
from common import PATH, REQUESTS, KeyServer, free_port, wrk_script  # noqa: E402

#: (label, regular expression matched against one frame "function (file:line)")
BUCKETS: List[Tuple[str, str]] = [
    ("AAuthMiddleware.__call__ (the app within included)", r"^AAuthMiddleware\.__call__ "),
    ("  Verifier._request_parts (NativeRequest)", r"^Verifier\._request_parts "),
    ("  Verifier._abefore_body", r"^Verifier\._abefore_body "),
    ("    Verifier.parse (native parse)", r"^Verifier\.parse "),
    ("    Verifier._afinish", r"^Verifier\._afinish "),
    ("      the resolver", r"^(AsyncResolver|_Base)\."),
    ("  AAuthMiddleware._read_body", r"^AAuthMiddleware\._read_body "),
    ("  HeadersVerified.acomplete", r"^HeadersVerified\.acomplete "),
    ("  the app within (ExceptionMiddleware, router, handler)", r"^ExceptionMiddleware\.__call__ "),
    ("Starlette.__call__ (everything Starlette runs)", r"^Starlette\.__call__ "),
    ("aauth_signing.verify_signature", r"^verify_signature \(aauth_signing/verifier\.py"),
    ("starlette BaseHTTPMiddleware", r"starlette/middleware/base\.py"),
    ("uvicorn protocol (data_received, on_*)", r"^HttpToolsProtocol\."),
    ("uvicorn RequestResponseCycle.run_asgi", r"^RequestResponseCycle\.run_asgi "),
]


def main() -> None:
    app = sys.argv[1] if len(sys.argv) > 1 else "aauth_verify"
    request = sys.argv[2] if len(sys.argv) > 2 else "jwks_uri POST + digest"
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    scheme, method = next((s, m) for n, s, m in REQUESTS if n == request)
    WORK.mkdir(parents=True, exist_ok=True)
    keys = KeyServer()
    server = Server(app, keys.port)
    out = WORK / f"profile-{app}.txt"
    try:
        headers, body = keys.sign(scheme, method)
        if send(server.port, method, headers, body) != 200:
            raise SystemExit(f"profile: {app} refused {request}")
        script = WORK / "profile.lua"
        script.write_text(wrk_script(method, headers, body))
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                "-r", "250", "-f", "raw", "-o", str(out), "-d", str(seconds + 2),
                                "-p", str(server.proc.pid)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        time.sleep(1)
        subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(script),
                        f"http://127.0.0.1:{server.port}{PATH}"], check=True)
        spy.wait(seconds + 30)
    finally:
        server.stop()
        keys.stop()
    report(out)


def report(path: Path) -> None:
    total = 0
    hits: Dict[str, int] = collections.Counter()
    self_time: Dict[str, int] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        frames = stack.split(";")
        total += count
        for label, pattern in BUCKETS:
            if any(re.search(pattern, f) for f in frames):
                hits[label] += count
        self_time[frames[-1]] += count
    print(f"\n{path}: {total} samples\n")
    for label, _ in BUCKETS:
        print(f"  {100 * hits[label] / max(total, 1):5.1f} %  {label}")
    print("\nTop frames by self samples:\n")
    for frame, n in self_time.most_common(25):
        print(f"  {100 * n / max(total, 1):5.1f} %  {frame[:150]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
    else:
        main()
