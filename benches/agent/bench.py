#!/usr/bin/env python3
"""The agent path end to end (issue 18): uvicorn + Starlette under wrk, reported, never asserted.

    .venv/bin/python benches/agent/bench.py OUT.json      (normally via `make bench-agent`)

What a demo backend's call to its agent costs on the agent: a request signed by
aauth-signing 0.2.0 (benches/agent/common.py), sent by wrk (one thread, 8 connections,
``BENCH_AGENT_SECONDS`` each, default 3) to one uvicorn worker on 127.0.0.1 running one of the
apps of benches/agent/apps.py:

* ``bare`` (no verification), ``aauth_verify`` (``AAuthMiddleware`` + ``AsyncResolver``),
  ``aauth_signing_demo`` (the demo's ``BaseHTTPMiddleware`` calling
  ``aauth_signing.verify_signature``, cached JWKS) and ``aauth_signing_asgi`` (the same call
  in a plain ASGI middleware);
* for ``hwk``, ``jwks_uri`` and ``jwt`` (the token cache on), GET and POST (JSON body,
  ``content-type`` and ``content-digest`` covered).

Every app runs in its own process for the whole bench; the signer's metadata and JWKS come
from a key server in this process, fetched once per app (counted). Runs are interleaved:
``BENCH_AGENT_ROUNDS`` rounds (default 3), each running every request against every app, the
app order rotating per round. Reported per request and app: the median requests/s of the
rounds, the cost the middleware adds per request (``1e6/rps - 1e6/rps(bare)`` µs, per round,
median), and in the same run, between the wrk rounds, ``Verifier.verify`` in a loop on the
same request (benches/agent/inproc.py, warm sync ``Resolver``) and the in-process middleware
call.

Freshness: requests are signed when the bench starts (real ``created``), and both verifiers
read the real clock with a 3600 s window (the bench runs for minutes); the agent token lives
2 h. Replay protection is off in both (wrk sends one signed request again and again).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import apps  # noqa: E402
import inproc  # noqa: E402
from common import PATH, REQUESTS, KeyServer, free_port, wrk_script  # noqa: E402

SECONDS = int(os.environ.get("BENCH_AGENT_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_AGENT_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_AGENT_CONNECTIONS", "8"))
WORK = ROOT / "build/bench/agent"
OURS, DEMO, ASGI = "aauth_verify", "aauth_signing_demo", "aauth_signing_asgi"


class Server:
    def __init__(self, app: str, keys_port: int) -> None:
        self.app, self.port = app, free_port()
        self.log = open(WORK / f"{app}.log", "w")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "apps.py"), app, str(self.port),
                                      str(keys_port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/nothing", timeout=1)
            except urllib.error.HTTPError:
                return  # 404 (or 401): the server answers
            except OSError:
                time.sleep(0.05)
                continue
            return
        raise SystemExit(f"bench-agent: {app} did not start (see {self.log.name})")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def send(port: int, method: str, headers: List[Any], body: Optional[bytes]) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", data=body, method=method,
                                 headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status: int = r.status
            return status
    except urllib.error.HTTPError as e:
        return e.code


def wrk(port: int, script: Path) -> Dict[str, Any]:
    args = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(script),
            f"http://127.0.0.1:{port}{PATH}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=SECONDS + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def versions() -> Dict[str, Optional[str]]:
    out: Dict[str, Optional[str]] = {"python": platform.python_version()}
    for pkg in ("aauth-verify", "aauth-signing", "uvicorn", "uvloop", "httptools", "starlette"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def loops(setup: "inproc.Setup", scheme: str, method: str) -> Dict[str, float]:
    """µs per call of ``Verifier.verify``, ``averify`` and the in-process middleware (minus the
    bare app) on a fresh signature of the same request: best of 5 repeats of ~0.1 s."""
    fns = setup.fns(scheme, method)
    setup.check(fns)
    out = {}
    for k in ("verify", "averify", "middleware", "app"):
        n = max(50, int(0.1 / max(inproc.timed(setup.loop, fns[k], k in inproc.ASYNC, 50), 1e-7)))
        out[k] = min(inproc.timed(setup.loop, fns[k], k in inproc.ASYNC, n) for _ in range(5)) * 1e6
    out["middleware - app"] = out["middleware"] - out["app"]
    return out


def main() -> None:
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    if not shutil.which("wrk"):
        out.write_text(json.dumps({"missing": "wrk not installed (Debian package wrk)"}) + "\n")
        print("bench-agent: wrk not installed; reported as missing")
        return
    WORK.mkdir(parents=True, exist_ok=True)
    setup = inproc.Setup()  # its key server serves the app servers too
    keys = setup.keys
    servers = {a: Server(a, keys.port) for a in apps.APPS}
    result: Dict[str, Any] = {
        "tool": f"wrk -t1 -c{CONNECTIONS}", "seconds": SECONDS, "rounds": ROUNDS,
        "server": "uvicorn, one worker, 127.0.0.1, access log off (uvloop + httptools when installed)",
        "versions": versions(),
        "freshness": "signed at bench start; both verifiers read the real clock with a "
                     f"{apps.WINDOW} s window; agent token valid 2 h; replay protection off",
        "requests": {},
    }
    try:
        signed = {}
        for name, scheme, method in REQUESTS:
            headers, body = keys.sign(scheme, method)
            script = WORK / f"{scheme}-{method}.lua"
            script.write_text(wrk_script(method, headers, body))
            signed[name] = (scheme, method, script)
            for a, s in servers.items():  # warms each app (one key fetch each) and checks 200
                status = send(s.port, method, headers, body)
                if status != 200:
                    raise SystemExit(f"bench-agent: {a} answered {name} with {status} "
                                     f"(see {s.log.name})")
            setup.check(setup.fns(scheme, method))  # the in-process loops' resolvers too
        fetched = dict(keys.gets)
        per_round: Dict[str, List[Dict[str, Any]]] = {n: [] for n in signed}
        loop_rounds: Dict[str, List[Dict[str, float]]] = {n: [] for n in signed}
        names = list(apps.APPS)
        for r in range(ROUNDS):
            order = names[r % len(names):] + names[:r % len(names)]
            for name, (scheme, method, script) in signed.items():
                runs = {a: wrk(servers[a].port, script) for a in order}
                per_round[name].append(runs)
                loop_rounds[name].append(loops(setup, scheme, method))
                cells = ", ".join(f"{a} {runs[a]['requests_per_second']}" for a in names)
                print(f"  round {r + 1} {name:24s} {cells}", flush=True)
        # Each key-fetching verifier (3 app servers, 3 in-process) fetched once while warming.
        result["fetches_warm_up"] = fetched
        result["fetches_after_warm_up"] = {k: keys.gets[k] - fetched[k] for k in keys.gets}
        for name in signed:
            result["requests"][name] = summarise(per_round[name], loop_rounds[name])
    finally:
        for s in servers.values():
            s.stop()
        keys.stop()
    result["targets"] = targets(result["requests"])
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["targets"], indent=2))


def summarise(rounds: List[Dict[str, Any]], loops_: List[Dict[str, float]]) -> Dict[str, Any]:
    """Medians over rounds of requests/s, added µs per request, and the per-round ratios."""
    apps_ = list(rounds[0])
    rps = {a: statistics.median(r[a]["requests_per_second"] or 0 for r in rounds) for a in apps_}

    def added(r: Dict[str, Any], a: str) -> float:
        return 1e6 / r[a]["requests_per_second"] - 1e6 / r["bare"]["requests_per_second"]

    row: Dict[str, Any] = {
        "requests_per_second": {a: round(v) for a, v in rps.items()},
        "added_us_per_request": {a: round(statistics.median(added(r, a) for r in rounds), 1)
                                 for a in apps_ if a != "bare"},
        "loop_us": {k: round(statistics.median(x[k] for x in loops_), 1) for k in loops_[0]},
        "non_2xx": {a: sum(r[a]["non_2xx"] for r in rounds) for a in apps_},
        "rounds_requests_per_second": [{a: r[a]["requests_per_second"] for a in apps_} for r in rounds],
    }
    row["added_over_verify_loop"] = round(statistics.median(
        added(r, OURS) / x["verify"] for r, x in zip(rounds, loops_)), 3)
    for base in (DEMO, ASGI):
        row[f"aauth_verify_rps_over_{base}"] = round(statistics.median(
            r[OURS]["requests_per_second"] / r[base]["requests_per_second"] for r in rounds), 3)
    return row


def targets(rows: Dict[str, Any]) -> Dict[str, Any]:
    worst = max(rows, key=lambda n: rows[n]["added_over_verify_loop"])
    post = rows.get("jwks_uri POST + digest", {})
    return {
        "added_over_verify_loop": {
            "target": "<= 1.3", "worst": rows[worst]["added_over_verify_loop"], "worst_request": worst,
            "per_request": {n: r["added_over_verify_loop"] for n, r in rows.items()},
        },
        "jwks_uri_post_rps_over_aauth_signing": {
            "target": ">= 2.5",
            "vs_demo_middleware": post.get(f"aauth_verify_rps_over_{DEMO}"),
            "vs_plain_asgi_middleware": post.get(f"aauth_verify_rps_over_{ASGI}"),
        },
    }


if __name__ == "__main__":
    main()
