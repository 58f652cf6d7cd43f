#!/usr/bin/env python3
"""Collects the measurements of `make bench` into target/bench/summary.json and prints a table.

Inputs (each optional; a missing one becomes null fields with a "missing" note, never a guess):

* target/criterion/<scheme>_<kind>/<mode>/new/estimates.json  -- criterion wall clock (median)
* target/bench/callgrind/order.txt + cg.out.N                  -- callgrind instruction counts
* target/bench/memory.json                                     -- memprobe (heap, stack)
* target/bench/size.json                                       -- core compiled for size
* target/bench/python.json  -- benches/python/run.sh: python_speedup per scheme vs 0.2.0 / 0.1.2
* target/bench/c.json       -- benches/c/run.sh: c_verifications_per_second per scheme
* target/bench/nginx.json   -- benches/nginx/bench.py: requests per second through nginx, cold path

Standard library only.
"""

import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
OUT = os.path.join(TARGET, "bench")

FIXTURES = [
    ("hwk", "GET"),
    ("hwk", "POST"),
    ("jwks_uri", "GET"),
    ("jwks_uri", "POST"),
    ("jwt", "GET"),
    ("jwt", "POST"),
    ("jkt-jwt", "GET"),
]
MODES = ["parse", "base", "raw", "raw_all", "full", "full_cached", "full_documents"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def criterion_ns():
    """{fixture name: {mode: median ns}} from criterion's estimates."""
    out = {}
    base = os.path.join(TARGET, "criterion")
    for scheme, kind in FIXTURES:
        group = f"{scheme}_{kind}"
        for mode in MODES:
            est = load(os.path.join(base, group, mode, "new", "estimates.json"))
            if est:
                out.setdefault(f"{scheme} {kind}", {})[mode] = est["median"]["point_estimate"]
    return out


def callgrind_ir():
    """{fixture name: {mode: instructions per call}} from the probe's callgrind dumps."""
    d = os.path.join(OUT, "callgrind")
    try:
        with open(os.path.join(d, "order.txt")) as f:
            order = [json.loads(line) for line in f if line.strip()]
    except OSError:
        return {}
    out = {}
    for i, entry in enumerate(order, start=1):
        try:
            with open(os.path.join(d, f"cg.out.{i}")) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
        if m:
            out.setdefault(entry["fixture"], {})[entry["mode"]] = int(m.group(1)) / entry["iters"]
    return out


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def machine():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = None
    return {
        "cpu": model,
        "nproc": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "rustc": rustc,
        "python": platform.python_version(),
    }


def main():
    wall = criterion_ns()
    ir = callgrind_ir()
    names = [f"{s} {k}" for s, k in FIXTURES]

    core = {}
    for name in names:
        w = wall.get(name, {})
        c = ir.get(name, {})
        if not w and not c:
            continue
        full_mode = "full"
        row = {
            "wall_ns": {m: round(v, 1) for m, v in w.items()},
            "instructions": {m: round(v) for m, v in c.items()},
            "overhead_wall": ratio(w.get(full_mode), w.get("raw")),
            "overhead_instructions": ratio(c.get(full_mode), c.get("raw")),
        }
        if "raw_all" in c or "raw_all" in w:
            row["overhead_vs_all_crypto_wall"] = ratio(w.get(full_mode), w.get("raw_all"))
            row["overhead_vs_all_crypto_instructions"] = ratio(c.get(full_mode), c.get("raw_all"))
        if "full_cached" in c or "full_cached" in w:
            row["overhead_warm_cache_wall"] = ratio(w.get("full_cached"), w.get("raw"))
            row["overhead_warm_cache_instructions"] = ratio(c.get("full_cached"), c.get("raw"))
        core[name] = row

    # core_overhead per scheme: the worse (higher) of the GET and POST requests.
    core_overhead = {}
    for name, row in core.items():
        scheme = name.split(" ")[0]
        cur = core_overhead.setdefault(scheme, {"wall": None, "instructions": None, "worst_of": []})
        cur["worst_of"].append(name)
        for key, src in (("wall", "overhead_wall"), ("instructions", "overhead_instructions")):
            v = row[src]
            if v is not None and (cur[key] is None or v > cur[key]):
                cur[key] = v
        if "overhead_warm_cache_wall" in row:
            cur = core_overhead.setdefault(
                f"{scheme} (warm token cache)", {"wall": None, "instructions": None, "worst_of": []}
            )
            cur["worst_of"].append(name)
            for key, src in (
                ("wall", "overhead_warm_cache_wall"),
                ("instructions", "overhead_warm_cache_instructions"),
            ):
                v = row[src]
                if v is not None and (cur[key] is None or v > cur[key]):
                    cur[key] = v

    memory = load(os.path.join(OUT, "memory.json"))
    size = load(os.path.join(OUT, "size.json"))
    python = load(os.path.join(OUT, "python.json"))
    cbench = load(os.path.join(OUT, "c.json"))
    nginx = load(os.path.join(OUT, "nginx.json"))

    summary = {
        "machine": machine(),
        "method": {
            "wall": "criterion median, one run; full / raw over the same signature base",
            "instructions": "valgrind --tool=callgrind, instructions per call (10 calls)",
            "core_overhead": "per scheme, the worse of its GET and POST requests",
        },
        "core": core,
        "core_overhead": core_overhead,
        "python_speedup": python.get("python_speedup") if python else None,
        "python": python if python else {"missing": "benches/python did not run (see the bench-python step of make bench)"},
        "c_verifications_per_second": cbench.get("c_verifications_per_second") if cbench else None,
        "c": cbench if cbench else {"missing": "benches/c did not run (see the bench-c step of make bench)"},
        "nginx": nginx if nginx else {"missing": "benches/nginx did not run (see the bench-nginx step of make bench)"},
        "heap_allocations_per_verification": memory.get("heap_allocations_per_verification") if memory else None,
        "stack_bytes": memory.get("stack_bytes") if memory else None,
        "memory": memory if memory else {"missing": "memprobe did not run"},
        "core_size": size if size else {"missing": "size probe did not run"},
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=False)
        f.write("\n")
    print_table(summary)


def fmt_ns(v):
    if v is None:
        return "-"
    return f"{v / 1000:.2f} µs" if v >= 1000 else f"{v:.0f} ns"


def fmt_ir(v):
    return "-" if v is None else f"{v / 1000:.1f}k"


def fmt_x(v):
    return "-" if v is None else f"{v:.3f}×"


def print_table(s):
    m = s["machine"]
    print(f"\nMachine: {m['cpu']}, {m['nproc']} cores, {m['os']}, {m['rustc']}")
    print("\nCore (criterion median wall clock | callgrind instructions per call)\n")
    hdr = ["request", "parse", "base", "raw Ed25519", "full", "overhead (wall)", "overhead (instr)"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for name, row in s["core"].items():
        w, c = row["wall_ns"], row["instructions"]
        full_mode = "full"
        cells = [
            name,
            f"{fmt_ns(w.get('parse'))} / {fmt_ir(c.get('parse'))}",
            f"{fmt_ns(w.get('base'))} / {fmt_ir(c.get('base'))}",
            f"{fmt_ns(w.get('raw'))} / {fmt_ir(c.get('raw'))}",
            f"{fmt_ns(w.get(full_mode))} / {fmt_ir(c.get(full_mode))}",
            fmt_x(row["overhead_wall"]),
            fmt_x(row["overhead_instructions"]),
        ]
        print("| " + " | ".join(cells) + " |")
        if "overhead_warm_cache_wall" in row:
            cells = [
                f"{name}, warm token cache",
                "", "", "",
                f"{fmt_ns(w.get('full_cached'))} / {fmt_ir(c.get('full_cached'))}",
                fmt_x(row["overhead_warm_cache_wall"]),
                fmt_x(row["overhead_warm_cache_instructions"]),
            ]
            print("| " + " | ".join(cells) + " |")
    print_python(s["python"])
    print_c(s["c"])
    print_nginx(s["nginx"])
    print("\nOther figures\n")
    print(f"* heap allocations per verification: {s['heap_allocations_per_verification']}")
    print(f"* peak stack bytes of a verification: {json.dumps(s['stack_bytes'])}")
    size = s["core_size"]
    print(f"* core compiled for size: {json.dumps(size)}")
    print(f"* python_speedup: {json.dumps(s['python_speedup'])}")
    print(f"* c_verifications_per_second: {json.dumps(s['c_verifications_per_second'])}")
    print(f"\nwrote {os.path.relpath(os.path.join(OUT, 'summary.json'), ROOT)}")


def print_nginx(n):
    if "missing" in n:
        print(f"\nnginx: {n['missing']}")
        return
    print(f"\nnginx ({n['tool']}, {n['seconds']} s each, {n['worker_processes']} worker)\n")
    print("| configuration | requests/s | vs aauth off | non-2xx |")
    print("|---|---|---|---|")
    for name, r in n["runs"].items():
        rel = r.get("relative_to_off")
        print(f"| {name} | {r.get('requests_per_second')} | {fmt_x(rel)} | {r.get('non_2xx')} |")
    print(f"\n* warm discovery vs static trust store: {fmt_x(n.get('discovery_vs_static'))}")
    print(f"* cold first request of a new signer (two fetches): {n.get('cold_first_request_us')} µs")
    print(f"* warm request of the same signer: {n.get('warm_same_signer_us')} µs")
    print(f"* discovery fetches during the wrk runs: {n.get('discovery_fetches_during_runs')}")


def print_python(py):
    if "missing" in py:
        print(f"\nPython: {py['missing']}")
        return
    print("\nPython (µs per call, median of rounds; speedup = median of per-round ratios)\n")
    hdr = ["aauth-signing", "request", "aauth-signing µs", "drop-in µs", "Verifier µs",
           "drop-in ×", "Verifier ×"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    base, dropin, verifier = (
        "aauth_signing.verify_signature",
        "aauth_verify.verify_signature",
        "aauth_verify.Verifier.verify",
    )
    for env in py["environments"]:
        for r in env["requests"]:
            us, sp = r["us_per_call"], r["speedup"]
            cells = [env["env"], r["request"], f"{us[base]:.1f}", f"{us[dropin]:.1f}",
                     f"{us[verifier]:.1f}", fmt_x(sp[dropin]), fmt_x(sp[verifier])]
            warm = [k for k in sp if k.endswith("(warm token cache)")]
            if warm:
                cells.append(f"warm token cache: {us[warm[0]]:.1f} µs, {fmt_x(sp[warm[0]])}")
            print("| " + " | ".join(cells) + " |")
    print("\nPython speedup per scheme (the lower of its requests; drop-in / Verifier)\n")
    for scheme, entry in py["python_speedup"].items():
        parts = []
        for key in ("vs_0.1.2", "vs_0.2.0"):
            v = entry.get(key)
            if isinstance(v, dict) and dropin in v:
                parts.append(f"{key} {fmt_x(v[dropin])} / {fmt_x(v[verifier])}")
            elif isinstance(v, dict):
                warm = [x for x in v.values() if isinstance(x, (int, float))]
                if warm:
                    parts.append(f"{key} {fmt_x(warm[0])} (Verifier, warm token cache)")
        print(f"* {scheme}: " + ("; ".join(parts) if parts else entry.get("note", "-")))


def print_c(c):
    if "missing" in c:
        print(f"\nC API: {c['missing']}")
        return
    print("\nC API, one thread (verifications per second: best slice wall clock | per CPU second)\n")
    print("| request | per second | µs per call | per CPU second |")
    print("|---|---|---|---|")
    for r in c["requests"]:
        print(f"| {r['request']} | {r['per_second_best_slice']:.0f} | "
              f"{r['us_per_call_best_slice']:.1f} | {r['per_second_cpu']:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
