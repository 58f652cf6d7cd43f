#!/usr/bin/env python3
"""Collects the measurements of `make bench` into target/bench/summary.json and prints a table.

Inputs (each optional; a missing one becomes null fields with a "missing" note, never a guess):

Each core figure comes from two builds, <backend> = dalek (hosted) and compact (embedded):

* target/criterion/<backend>_<scheme>_<kind>/<mode>/new/estimates.json -- criterion (median)
* target/bench/floors-<backend>.json       -- interleaved wall clock: floors and full verifications
* target/bench/callgrind-<backend>/order.txt + cg.out.N -- callgrind instruction counts
* target/bench/memory-<backend>.json       -- memprobe (heap, stack)
* target/bench/size.json                   -- the core compiled for size, per feature set
* target/bench/python.json  -- benches/python/run.sh: python_speedup per scheme vs 0.2.0 / 0.1.2
* target/bench/c.json       -- benches/c/run.sh: c_verifications_per_second per scheme (the
  dalek library), both backends interleaved and their ratio (issue 15)
* target/bench/nginx.json   -- benches/nginx/bench.py: requests per second through nginx, cold path
* target/bench/agent.json   -- benches/agent/bench.py: the agent path under uvicorn + wrk (issue 18)
* target/bench/agent-instr.json -- benches/agent/instr.py (optional): its instruction counts

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
FLOORS = ["raw_compact", "raw_dalek", "raw_dalek_prepared", "raw_dalek_strict", "raw_core"]
MODES = ["parse", "base", "raw", *FLOORS, "raw_all", "full", "full_cached", "full_documents"]
# The core is built twice: `dalek` (the hosted builds' backend) and `compact` (the embedded
# default). Each build's floor is the fastest raw verification of its kind measured in the same
# run: ed25519-dalek for the hosted build, ed25519-compact for the embedded one.
BACKENDS = {"dalek": "raw_dalek", "compact": "raw_compact"}
INSTRUCTION_NOTE = (
    "instruction counts (callgrind) are stable on a shared machine and compare runs of one "
    "backend; they cannot compare two backends whose instructions differ in width (the dalek "
    "backend runs AVX2 code, compact 64-bit scalar code): the wall-clock ratio of interleaved "
    "runs (floors-<backend>.json) is the figure for backend comparisons"
)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def criterion_ns(backend):
    """{fixture name: {mode: median ns}} from criterion's estimates for one backend build."""
    out = {}
    base = os.path.join(TARGET, "criterion")
    for scheme, kind in FIXTURES:
        group = f"{backend}_{scheme}_{kind}"
        for mode in MODES:
            est = load(os.path.join(base, group, mode, "new", "estimates.json"))
            if est:
                out.setdefault(f"{scheme} {kind}", {})[mode] = est["median"]["point_estimate"]
    return out


def callgrind_ir(backend):
    """{fixture name: {mode: instructions per call}} from one probe build's callgrind dumps."""
    d = os.path.join(OUT, f"callgrind-{backend}")
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
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    return {
        "cpu": model,
        "nproc": os.cpu_count(),
        "simd": sorted(flags & {"avx2", "avx512f", "avx512ifma", "avx512vl"}),
        "os": f"{platform.system()} {platform.release()}",
        "rustc": rustc,
        "python": platform.python_version(),
    }


def core_rows(backend, floor):
    """Per fixture: criterion wall clock, callgrind instructions and the interleaved ratios of
    one backend build, each against that build's floor."""
    wall, ir = criterion_ns(backend), callgrind_ir(backend)
    inter = (load(os.path.join(OUT, f"floors-{backend}.json")) or {}).get("fixtures", {})
    rows = {}
    for scheme, kind in FIXTURES:
        name = f"{scheme} {kind}"
        w, c, x = wall.get(name, {}), ir.get(name, {}), inter.get(name, {})
        if not w and not c and not x:
            continue
        xr = x.get("median_ratio", {})
        row = {
            "wall_ns": {m: round(v, 1) for m, v in w.items()},
            "instructions": {m: round(v) for m, v in c.items()},
            "interleaved_ns": x.get("median_ns", {}),
            # The figure: full / floor, interleaved wall clock (median of per-round ratios).
            "overhead_wall": xr.get(f"full/{floor}"),
            "overhead_wall_criterion": ratio(w.get("full"), w.get(floor)),
            "overhead_instructions": ratio(c.get("full"), c.get(floor)),
        }
        if "raw_all" in c or "raw_all" in w:
            row["overhead_vs_all_crypto_wall"] = ratio(w.get("full"), w.get("raw_all"))
            row["overhead_vs_all_crypto_instructions"] = ratio(c.get("full"), c.get("raw_all"))
        if "full_cached" in c or "full_cached" in w or f"full_cached/{floor}" in xr:
            row["overhead_warm_cache_wall"] = xr.get(f"full_cached/{floor}")
            row["overhead_warm_cache_wall_criterion"] = ratio(w.get("full_cached"), w.get(floor))
            row["overhead_warm_cache_instructions"] = ratio(c.get("full_cached"), c.get(floor))
        if f"full_documents/{floor}" in xr:
            row["overhead_documents_wall"] = xr.get(f"full_documents/{floor}")
        rows[name] = row
    return rows


def overhead_per_scheme(rows):
    """core_overhead per scheme: the worse (higher) of its GET and POST requests."""
    out = {}

    def put(key, name, row, srcs):
        cur = out.setdefault(key, {"wall": None, "wall_criterion": None, "instructions": None,
                                   "worst_of": []})
        cur["worst_of"].append(name)
        for k, src in srcs:
            v = row.get(src)
            if v is not None and (cur[k] is None or v > cur[k]):
                cur[k] = v

    for name, row in rows.items():
        scheme = name.split(" ")[0]
        put(scheme, name, row, (("wall", "overhead_wall"),
                                ("wall_criterion", "overhead_wall_criterion"),
                                ("instructions", "overhead_instructions")))
        if "overhead_warm_cache_wall" in row:
            put(f"{scheme} (warm token cache)", name, row,
                (("wall", "overhead_warm_cache_wall"),
                 ("wall_criterion", "overhead_warm_cache_wall_criterion"),
                 ("instructions", "overhead_warm_cache_instructions")))
    return out


def floors_summary():
    """Raw µs per verification of every floor, from the interleaved runs (median over rounds,
    the hwk GET signature base), and their ratios to the dalek floor."""
    out = {}
    for backend in BACKENDS:
        doc = load(os.path.join(OUT, f"floors-{backend}.json"))
        if not doc:
            continue
        f = doc["fixtures"].get("hwk GET", {})
        ns = f.get("median_ns", {})
        out[backend + " build"] = {
            "us_per_verification": {k: round(v / 1000, 2) for k, v in ns.items() if k.startswith("raw_")},
            "ratio_to_floor": {k: v for k, v in f.get("median_ratio", {}).items()
                               if k.startswith("raw_") and k.endswith("/" + doc["floor"])},
            "floor": doc["floor"],
            "rounds": doc["rounds"],
            "iters_per_round": doc["iters_per_round"],
        }
    return out


def main():
    summary_core = {b: core_rows(b, floor) for b, floor in BACKENDS.items()}
    core_overhead = overhead_per_scheme(summary_core["dalek"])
    core_overhead_embedded = overhead_per_scheme(summary_core["compact"])

    memory = {b: load(os.path.join(OUT, f"memory-{b}.json")) for b in BACKENDS}
    size = load(os.path.join(OUT, "size.json"))
    python = load(os.path.join(OUT, "python.json"))
    cbench = load(os.path.join(OUT, "c.json"))
    heap = [m.get("heap_allocations_per_verification") for m in memory.values() if m]
    nginx = load(os.path.join(OUT, "nginx.json"))
    agent = load(os.path.join(OUT, "agent.json"))
    agent_instr = load(os.path.join(OUT, "agent-instr.json"))

    summary = {
        "machine": machine(),
        "method": {
            "floor": "the fastest raw Ed25519 verification measured in the same run: ed25519-dalek "
                     "verify (key decoded inside) for the hosted build (core with feature dalek), "
                     "ed25519-compact for the embedded build (no features)",
            "wall": "interleaved rounds (benches/src/bin/floors.rs): median of per-round ratios "
                    "full / floor over the same signature base; criterion medians kept as "
                    "wall_ns / overhead_wall_criterion",
            "instructions": "valgrind --tool=callgrind, instructions per call (10 calls), per build",
            "instruction_note": INSTRUCTION_NOTE,
            "core_overhead": "per scheme, the worse of its GET and POST requests; core_overhead is "
                             "the hosted (dalek) build against the dalek floor, "
                             "core_overhead_embedded the compact build against the compact floor",
        },
        "floors": floors_summary(),
        "core": summary_core["dalek"],
        "core_embedded": summary_core["compact"],
        "core_overhead": core_overhead,
        "core_overhead_embedded": core_overhead_embedded,
        "python_speedup": python.get("python_speedup") if python else None,
        "python_targets": python.get("targets") if python else None,
        "python_threads": python.get("threads") if python else None,
        "python": python if python else {"missing": "benches/python did not run (see the bench-python step of make bench)"},
        "c_verifications_per_second": cbench.get("c_verifications_per_second") if cbench else None,
        "c_dalek_over_compact": {
            "target": cbench.get("target"),
            "per_scheme": {k: v["ratio"] for k, v in cbench["ratio_dalek_over_compact"].items()},
            "met": cbench.get("target_met"),
        } if cbench and "ratio_dalek_over_compact" in cbench else None,
        "c": cbench if cbench else {"missing": "benches/c did not run (see the bench-c step of make bench)"},
        "nginx": nginx if nginx else {"missing": "benches/nginx did not run (see the bench-nginx step of make bench)"},
        "agent": agent_section(agent, agent_instr),
        "heap_allocations_per_verification": max(heap) if len(heap) == len(BACKENDS) else None,
        "stack_bytes": {b: (m or {}).get("stack_bytes", {}).get("max") for b, m in memory.items()},
        "memory": {b: m if m else {"missing": "memprobe did not run"} for b, m in memory.items()},
        "core_size": size if size else {"missing": "size probe did not run"},
        "core_stack": load(os.path.join(OUT, "stack.json")) or {"missing": "stack probe did not run"},
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


def print_core(title, rows, floor):
    print(f"\n{title} (interleaved wall clock | criterion median | callgrind instructions)\n")
    hdr = ["request", "parse", "base", f"floor {floor}", "full", "full / floor (interleaved)",
           "(criterion)", "(instructions)"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for name, row in rows.items():
        w, c, x = row["wall_ns"], row["instructions"], row["interleaved_ns"]
        cells = [
            name,
            f"{fmt_ns(w.get('parse'))} / {fmt_ir(c.get('parse'))}",
            f"{fmt_ns(w.get('base'))} / {fmt_ir(c.get('base'))}",
            f"{fmt_ns(x.get(floor))} / {fmt_ir(c.get(floor))}",
            f"{fmt_ns(x.get('full'))} / {fmt_ir(c.get('full'))}",
            fmt_x(row["overhead_wall"]),
            fmt_x(row["overhead_wall_criterion"]),
            fmt_x(row["overhead_instructions"]),
        ]
        print("| " + " | ".join(cells) + " |")
        if "overhead_warm_cache_wall" in row:
            cells = [
                f"{name}, warm token cache", "", "", "",
                f"{fmt_ns(x.get('full_cached'))} / {fmt_ir(c.get('full_cached'))}",
                fmt_x(row["overhead_warm_cache_wall"]),
                fmt_x(row["overhead_warm_cache_wall_criterion"]),
                fmt_x(row["overhead_warm_cache_instructions"]),
            ]
            print("| " + " | ".join(cells) + " |")


def print_table(s):
    m = s["machine"]
    print(f"\nMachine: {m['cpu']} ({', '.join(m['simd'])}), {m['nproc']} cores, {m['os']}, {m['rustc']}")
    print("\nRaw Ed25519 floors, µs per verification (interleaved, hwk GET base)\n")
    for build, f in s["floors"].items():
        us = ", ".join(f"{k} {v}" for k, v in f["us_per_verification"].items())
        print(f"* {build}: {us}")
    print_core("Core, hosted build (dalek) against the dalek floor", s["core"], "raw_dalek")
    print_core("Core, embedded build (compact) against the compact floor", s["core_embedded"],
               "raw_compact")
    print(f"\nNote: {INSTRUCTION_NOTE}.")
    print_python(s["python"])
    print_c(s["c"])
    print_nginx(s["nginx"])
    print_agent(s["agent"])
    print("\nOther figures\n")
    print(f"* heap allocations per verification (both builds): {s['heap_allocations_per_verification']}")
    print(f"* peak stack bytes of a verification: {json.dumps(s['stack_bytes'])}")
    print_size(s["core_size"])
    print_stack(s.get("core_stack", {}))
    print(f"* python_speedup: {json.dumps(s['python_speedup'])}")
    print(f"* c_verifications_per_second: {json.dumps(s['c_verifications_per_second'])}")
    print(f"* c_dalek_over_compact: {json.dumps(s['c_dalek_over_compact'])}")
    print(f"\nwrote {os.path.relpath(os.path.join(OUT, 'summary.json'), ROOT)}")


def print_stack(st):
    if not st or "missing" in st:
        print("* embedded stack: stack probe did not run")
        return
    t = st["target"]
    print("\nPeak stack of one verification, compact backend (bytes; benches/stack-probe)\n")
    print("| feature set | hwk opt 3 | hwk opt z | jwks_uri opt z |")
    print("|---|---|---|---|")
    for name, v in st["sets"].items():
        print(f"| {name} | {v['3']['aauth-signing-020-hwk-get']} | "
              f"{v['z']['aauth-signing-020-hwk-get']} | {v['z']['aauth-signing-020-jwks-uri-get']} |")
    print(f"\n* target hwk at opt-level z ≤ {t['max_bytes']} B: best {t['best_hwk_opt_z']} B, "
          f"{'met' if t['met'] else 'not met'}")


def print_size(size):
    if "missing" in size:
        print(f"* core compiled for size: {size['missing']}")
        return
    targets = size.get("targets", {})
    limits = {"full": targets.get("full_text_kib"), "hwk_jwks_uri": targets.get("hwk_jwks_uri_text_kib")}
    print("\nCore compiled for size (opt-level z, no std, x86-64), per feature set\n")
    print("| feature set | cargo features | .text bytes | .text KiB | .rodata | target |")
    print("|---|---|---|---|---|---|")
    for name, v in size.get("sets", {}).items():
        base = name.replace("_size_settings", "")
        limit = limits.get(base) if not name.startswith("full_dalek") else None
        kib = v["text_bytes"] / 1024
        status = "-" if limit is None else (
            f"≤ {limit} KiB: {'met' if kib <= limit else 'not met'}")
        flags = " + sha2 soft-compact" if v.get("rustflags") else ""
        print(f"| {name} | {v['cargo_features']}{flags} | {v['text_bytes']} | {kib:.1f} | "
              f"{v['rodata_bytes']} | {status} |")


def print_nginx(n):
    if "missing" in n:
        print(f"\nnginx: {n['missing']}")
        return
    print(f"\nnginx ({n['tool']}, {n['seconds']} s each, {n.get('rounds', 1)} interleaved rounds, "
          f"{n['worker_processes']} worker; medians over rounds)\n")
    print("| configuration | requests/s | vs aauth off | p50 µs | p99 µs | added µs | added / floor "
          "| non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in n["runs"].items():
        rel = r.get("relative_to_off")
        over = r.get("added_over_floor")
        tgt = "" if over is None else f" ({'met' if r.get('target_met') else 'not met'})"
        print(f"| {name} | {r.get('requests_per_second')} | {fmt_x(rel)} | "
              f"{r.get('p50_latency_us', '-')} | {r.get('p99_latency_us', '-')} | "
              f"{r.get('added_us_per_request', '-')} | {fmt_x(over)}{tgt} | {r.get('non_2xx')} |")
    fl = n.get("floor", {})
    print(f"\n* floor: {fl.get('name')} {fl.get('us')} µs in this run "
          f"(bench-core's: {fl.get('bench_core_raw_dalek_us', '-')} µs); target added / floor ≤ 1.2")
    print(f"* warm discovery vs static trust store: {fmt_x(n.get('discovery_vs_static'))}")
    print(f"* cold first request of a new signer (two fetches): {n.get('cold_first_request_us')} µs")
    print(f"* warm request of the same signer: {n.get('warm_same_signer_us')} µs")
    print(f"* discovery fetches during the wrk runs: {n.get('discovery_fetches_during_runs')}")


def agent_section(agent, instr):
    """The agent path (issue 18): wrk figures and, when make bench-agent-instr ran, the
    instruction counts."""
    if not agent:
        return {"missing": "benches/agent did not run (see the bench-agent step of make bench)"}
    out = dict(agent)
    if instr:
        out["instructions"] = instr
    return out


def print_agent(a):
    if "missing" in a:
        print(f"\nAgent path: {a['missing']}")
        return
    print(f"\nAgent path (issue 18): {a['server']}; {a['tool']}, {a['seconds']} s per run, "
          f"{a['rounds']} interleaved rounds (medians)\n")
    hdr = ["request", "bare req/s", "AAuthMiddleware req/s", "demo aauth-signing req/s",
           "plain-ASGI aauth-signing req/s", "added µs (ours)", "Verifier.verify loop µs",
           "added / loop", "ours / demo", "ours / plain ASGI"]
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for name, r in a["requests"].items():
        rps, add, loop = r["requests_per_second"], r["added_us_per_request"], r["loop_us"]
        cells = [name, rps.get("bare"), rps.get("aauth_verify"), rps.get("aauth_signing_demo"),
                 rps.get("aauth_signing_asgi"), add.get("aauth_verify"), loop.get("verify"),
                 fmt_x(r.get("added_over_verify_loop")),
                 fmt_x(r.get("aauth_verify_rps_over_aauth_signing_demo")),
                 fmt_x(r.get("aauth_verify_rps_over_aauth_signing_asgi"))]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    t = a.get("targets", {})
    added = t.get("added_over_verify_loop", {})
    post = t.get("jwks_uri_post_rps_over_aauth_signing", {})
    print(f"\n* added per request / Verifier.verify loop (target ≤ 1.3): worst "
          f"{fmt_x(added.get('worst'))} ({added.get('worst_request')})")
    print(f"* jwks_uri POST req/s, AAuthMiddleware / aauth-signing (target ≥ 2.5): demo middleware "
          f"{fmt_x(post.get('vs_demo_middleware'))}, plain ASGI {fmt_x(post.get('vs_plain_asgi_middleware'))}")
    print(f"* key fetches after warm-up: {a.get('fetches_after_warm_up')}")
    instr = a.get("instructions")
    if instr:
        print("\nAgent path, instructions per request (callgrind; make bench-agent-instr)\n")
        print("| request | bare | AAuthMiddleware | added | Verifier.verify loop | added / loop |"
              " demo aauth-signing / ours |")
        print("|---|---|---|---|---|---|---|")
        for name, r in instr["requests"].items():
            srv, loop = r["server_instructions_per_request"], r.get("loop_instructions_per_call", {})
            print(f"| {name} | {fmt_ir(srv.get('bare'))} | {fmt_ir(srv.get('aauth_verify'))} | "
                  f"{fmt_ir(r['added_instructions_per_request'].get('aauth_verify'))} | "
                  f"{fmt_ir(loop.get('verify'))} | {fmt_x(r.get('added_over_verify_loop'))} | "
                  f"{fmt_x(r.get('aauth_verify_over_aauth_signing_demo'))} |")


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
    tg = py.get("targets", {})
    if any(isinstance(v, dict) and "met" in v for v in tg.values()):
        print(f"\nPython targets (issue 15, against {tg.get('against')})\n")
        print("| target | implementation | measured | target | met |")
        print("|---|---|---|---|---|")
        for key, v in tg.items():
            if isinstance(v, dict) and "met" in v:
                met = "-" if v["met"] is None else ("met" if v["met"] else "not met")
                print(f"| {key} | {v['implementation']} | {fmt_x(v['measured'])} | {v['target']} | {met} |")
    th = py.get("threads") or {}
    if th:
        print("\nPython threads: one Verifier, 1 thread vs 2 threads (issue 15 target ≥ 1.8)\n")
        print("| request | 1 thread /s | 2 threads /s | ratio (min–max) | met |")
        print("|---|---|---|---|---|")
        for name, t in th.items():
            print(f"| {name} | {t['one_thread_per_second']} | {t['two_threads_per_second']} | "
                  f"{fmt_x(t['ratio'])} ({t['ratio_min_max'][0]:.2f}–{t['ratio_min_max'][1]:.2f}) | "
                  f"{'met' if t['met'] else 'not met'} |")


def print_c(c):
    if "missing" in c:
        print(f"\nC API: {c['missing']}")
        return
    backends = c.get("backends")
    if not backends:  # a c.json from before both backends were measured
        print("\nC API, one thread (verifications per second: best slice wall clock | per CPU second)\n")
        print("| request | per second | µs per call | per CPU second |")
        print("|---|---|---|---|")
        for r in c["requests"]:
            print(f"| {r['request']} | {r['per_second_best_slice']:.0f} | "
                  f"{r['us_per_call_best_slice']:.1f} | {r['per_second_cpu']:.0f} |")
        return
    print(f"\nC API, one thread, both Ed25519 backends ({c['rounds']} interleaved rounds; "
          "verifications per second: best slice over rounds, wall clock; ratio = median of "
          "per-round ratios)\n")
    print("| request | dalek /s | dalek µs | compact /s | compact µs | dalek / compact (min–max) |")
    print("|---|---|---|---|---|---|")
    per_req = c["ratio_dalek_over_compact_per_request"]
    for d, k in zip(backends["dalek"]["requests"], backends["compact"]["requests"]):
        r = per_req[d["request"]]
        print(f"| {d['request']} | {d['per_second_best_slice']:.0f} | {d['us_per_call_best_slice']:.1f} | "
              f"{k['per_second_best_slice']:.0f} | {k['us_per_call_best_slice']:.1f} | "
              f"{fmt_x(r['median'])} ({r['min']:.2f}–{r['max']:.2f}) |")
    print(f"\nC per scheme (the lower of its requests), target dalek / compact {c['target']}\n")
    print("| scheme | dalek /s | compact /s | dalek / compact | target |")
    print("|---|---|---|---|---|")
    for scheme, v in c["ratio_dalek_over_compact"].items():
        print(f"| {scheme} | {v['dalek_per_second']:.0f} | {v['compact_per_second']:.0f} | "
              f"{fmt_x(v['ratio'])} | {c['target']}: {'met' if v['met'] else 'not met'} |")

if __name__ == "__main__":
    sys.exit(main())
