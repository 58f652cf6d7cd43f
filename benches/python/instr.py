#!/usr/bin/env python3
"""Per-call instruction counts of the Python implementations (valgrind callgrind), the stable
companion of bench.py's wall-clock figures on a shared machine.

``instr.py --env 0.2.0 OUT.json`` (in the bench venv of that aauth-signing version) runs, for
each bench request, one process that only sets up (``--calls 0``) and one per implementation
that also makes K calls, each under ``valgrind --tool=callgrind``; the difference over K is
the cost of one call (interpreter, extension, C library: everything the process executes).
Reported: instructions per call and the ratio aauth-signing / ours.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402


def run_calls(env: str, vector: str, impl: str, calls: int) -> None:
    case = bench.load_vectors()[vector]
    bench.freeze_clock(case["now"])
    fns = bench.build(case, bench.PROFILE[env])
    for fn in fns.values():
        bench.check_true("warm-up", fn)
    fn = fns[impl] if calls else None
    for _ in range(calls):
        fn()


def instructions(env: str, vector: str, impl: str, calls: int) -> int:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        cmd = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, os.path.abspath(__file__), "--run", env, vector, impl, str(calls),
        ]
        subprocess.run(cmd, check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            m = re.search(r"^(?:summary|totals):\s+(\d+)", f.read(), re.M)
        if not m:
            raise SystemExit(f"instr.py: no totals in callgrind output for {vector} {impl}")
        return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", choices=sorted(bench.CASES))
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--run", nargs=4, metavar=("ENV", "VECTOR", "IMPL", "CALLS"))
    ap.add_argument("out", nargs="?")
    a = ap.parse_args()
    if a.run:
        env, vector, impl, calls = a.run
        run_calls(env, vector, impl, int(calls))
        return
    if not a.env or not a.out:
        ap.error("--env and OUT are required")
    rows = []
    for label, scheme, vector in bench.CASES[a.env]:
        case = bench.load_vectors()[vector]
        impls = [bench.BASELINE, *bench.OURS]
        if case["expect"].get("scheme") == "jwt":
            impls.append(bench.WARM)
        base = instructions(a.env, vector, bench.BASELINE, 0)
        per_call = {n: (instructions(a.env, vector, n, a.calls) - base) / a.calls for n in impls}
        ratio = {n: per_call[bench.BASELINE] / per_call[n] for n in impls if n != bench.BASELINE}
        rows.append({"request": label, "scheme": scheme, "vector": vector,
                     "instructions_per_call": per_call, "speedup": ratio})
        cells = ", ".join(f"{bench.SHORT[n]} {per_call[n] / 1000:.0f}k" for n in impls)
        sp = ", ".join(f"{bench.SHORT[n]} {ratio[n]:.2f}×" for n in ratio)
        print(f"  [{a.env}] {label}: {cells} | {sp}", flush=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"env": a.env, "calls": a.calls, "requests": rows}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
