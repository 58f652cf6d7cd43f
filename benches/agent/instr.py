#!/usr/bin/env python3
"""Instructions per request of the agent path (issue 18), the stable companion of bench.py's
wrk figures on a shared machine.

    .venv/bin/python benches/agent/instr.py OUT.json    (make bench-agent-instr; ≈ 4 min)

Each app of benches/agent/apps.py runs as one uvicorn worker under
``valgrind --tool=callgrind``. Per request (benches/agent/common.py), after warm-up requests,
the counters are zeroed (``callgrind_control -z``), ``CALLS`` requests go one after another
over one keep-alive connection, and the dump that follows (``callgrind_control -d``) holds what the whole server process executed for them (uvicorn,
Starlette, the middleware, the native library, the kernel interface; not the client). Then
the loops of benches/agent/inproc.py (``Verifier.verify``, ``averify``, the middleware alone
and the bare ASGI app it wraps) under callgrind: K calls of each inside one ``operator.call``,
the only function collected (``--toggle-collect=_operator_call``, Python 3.11+), over K.

Reported: instructions per request per app, the middleware's addition over ``bare``, and its
ratio to ``Verifier.verify`` in a loop (the issue 18 target: ≤ 1.3).
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import apps  # noqa: E402
import inproc  # noqa: E402
from common import PATH, REQUESTS, KeyServer, free_port  # noqa: E402

CALLS = int(os.environ.get("BENCH_AGENT_INSTR_CALLS", "200"))
LOOP_CALLS = int(os.environ.get("BENCH_AGENT_INSTR_LOOP_CALLS", "200"))
WORK = HERE.parents[1] / "build/bench/agent/instr"
#: Knobs for a partial run: BENCH_AGENT_INSTR_APPS=bare,aauth_verify, BENCH_AGENT_INSTR_LOOPS=0.
APPS = [a for a in os.environ.get("BENCH_AGENT_INSTR_APPS", ",".join(apps.APPS)).split(",") if a]
WITH_LOOPS = os.environ.get("BENCH_AGENT_INSTR_LOOPS", "1") != "0"


def totals(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        m = re.search(r"^(?:summary|totals):\s+(\d+)", f.read(), re.M)
    if not m:
        raise SystemExit(f"instr.py: no totals in {path}")
    return int(m.group(1))


def request(conn: http.client.HTTPConnection, method: str, headers: List[Tuple[str, str]],
            body: Optional[bytes]) -> int:
    conn.request(method, PATH, body=body, headers=dict(headers))
    r = conn.getresponse()
    r.read()
    return r.status


def server_counts(app: str, keys: KeyServer, signed: Dict[str, Any]) -> Dict[str, float]:
    port = free_port()
    out = WORK / f"{app}.cg"
    for old in glob.glob(f"{out}*"):
        os.unlink(old)
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         sys.executable, str(HERE / "apps.py"), app, str(port), str(keys.port)],
        stdout=subprocess.DEVNULL, stderr=open(WORK / f"{app}.valgrind.log", "w"), env=env)
    try:
        conn = None
        deadline = time.monotonic() + 120
        while conn is None:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.connect()
                conn = c
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"instr.py: {app} did not start under valgrind")
                time.sleep(0.5)
        result = {}
        for i, (name, (method, headers, body)) in enumerate(signed.items(), start=1):
            for _ in range(20):
                if request(conn, method, headers, body) != 200:
                    raise SystemExit(f"instr.py: {app} refused {name}")
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
            for _ in range(CALLS):
                request(conn, method, headers, body)
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
            dumps = sorted(glob.glob(f"{out}.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
            result[name] = totals(dumps[-1]) / CALLS
            for d in dumps:
                os.unlink(d)
            print(f"  {app:20s} {name:24s} {result[name] / 1000:8.1f}k instructions per request",
                  flush=True)
        conn.close()
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def loop_counts(request_name: str, calls: int) -> Dict[str, float]:
    """Instructions per call of each loop of inproc.py: one process, each loop inside one
    ``operator.call``, the only function callgrind collects in (one dump after each)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        env = dict(os.environ, PYTHONHASHSEED="0")
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                        "--toggle-collect=_operator_call", "--dump-after=_operator_call",
                        f"--callgrind-out-file={out}", sys.executable, str(HERE / "inproc.py"),
                        "--instr", str(calls), "--request", request_name],
                       check=True, capture_output=True, env=env)
        dumps = sorted(glob.glob(f"{out}.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
        if len(dumps) != len(inproc.INSTR_ORDER):
            raise SystemExit(f"instr.py: {len(dumps)} callgrind dumps for {request_name}, "
                             f"want {len(inproc.INSTR_ORDER)}")
        return {w: totals(p) / calls for w, p in zip(inproc.INSTR_ORDER, dumps)}


def main() -> None:
    out = Path(sys.argv[1])
    WORK.mkdir(parents=True, exist_ok=True)
    keys = KeyServer()
    try:
        signed = {}
        for name, scheme, method in REQUESTS:
            headers, body = keys.sign(scheme, method)
            signed[name] = (method, headers, body)
        per_app = {a: server_counts(a, keys, signed) for a in APPS}
    finally:
        keys.stop()
    loops: Dict[str, Dict[str, float]] = {}
    for name, _, _ in (REQUESTS if WITH_LOOPS else []):
        loops[name] = loop_counts(name, LOOP_CALLS)
        loops[name]["middleware - app"] = loops[name]["middleware"] - loops[name]["app"]
        print(f"  loops {name:24s} " + ", ".join(f"{w} {v / 1000:.1f}k" for w, v in loops[name].items()),
              flush=True)
    rows = {}
    for name, _, _ in REQUESTS:
        server = {a: round(per_app[a][name]) for a in APPS}
        added = {a: server[a] - server["bare"] for a in APPS if a != "bare" and "bare" in server}
        row: Dict[str, Any] = {"server_instructions_per_request": server,
                               "added_instructions_per_request": added}
        if name in loops:
            row["loop_instructions_per_call"] = {k: round(v) for k, v in loops[name].items()}
            row["in_process_middleware_over_verify_loop"] = round(
                loops[name]["middleware - app"] / loops[name]["verify"], 3)
            if "aauth_verify" in added:
                row["added_over_verify_loop"] = round(added["aauth_verify"] / loops[name]["verify"], 3)
        for base in ("aauth_signing_demo", "aauth_signing_asgi"):
            if base in server and "aauth_verify" in server:
                row[f"aauth_verify_over_{base}"] = round(server[base] / server["aauth_verify"], 3)
        rows[name] = row
    doc = {"calls_per_request": CALLS, "loop_calls": LOOP_CALLS,
           "method": "valgrind --tool=callgrind on the uvicorn worker, counters zeroed after 20 "
                     f"warm-up requests, dumped after {CALLS} sequential keep-alive ones; loops: "
                     "inproc.py --instr K (each loop inside operator.call, the only function "
                     "collected), over K; PYTHONHASHSEED=0",
           "requests": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    for name, r in rows.items():
        if "added_over_verify_loop" in r:
            print(f"  {name:24s} added {r['added_instructions_per_request']['aauth_verify'] / 1000:.1f}k, "
                  f"verify loop {r['loop_instructions_per_call']['verify'] / 1000:.1f}k: "
                  f"{r['added_over_verify_loop']:.2f}×")


if __name__ == "__main__":
    main()
