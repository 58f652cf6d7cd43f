#!/usr/bin/env bash
# benches/c/run.sh OUT.json: verifications per second on one core through the C API
# (issue 6 part 3), with both Ed25519 backends in the same run (issue 15).
#
# Builds the C static library twice:
#   dalek   target/release/libaauth_verify.a (`make lib`: the hosted backend, what ships);
#   compact build/bench/c-compact/release/libaauth_verify.a (the ffi crate with
#           --no-default-features: the core's embedded default, ed25519-compact; "today's"
#           library before issue 15), in its own target dir so the real library is untouched.
# Generates the requests from the shared vectors, links the same benches/c/bench.c against each
# library, and runs the two binaries alternately, whole runs, for BENCH_C_ROUNDS rounds (the
# order swaps every round), each pinned to one CPU (taskset -c 0, when present). Per request and
# round: the best slice of each backend; the ratio dalek / compact of that round. Reported: per
# backend the best slice over all rounds and the median over rounds; the ratio is the median of
# the per-round ratios. Knobs: BENCH_C_SLICE (seconds per slice, default 0.25), BENCH_C_SLICES
# (slices per request and run, default 2), BENCH_C_ROUNDS (default 5).
set -euo pipefail

out=${1:?usage: run.sh OUT.json}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
python=${PYTHON:-python3}
cargo=${CARGO:-cargo}
cc=${CC:-cc}
build=build/bench/c
compact_dir=build/bench/c-compact
rounds=${BENCH_C_ROUNDS:-5}
slice=${BENCH_C_SLICE:-0.25}
slices=${BENCH_C_SLICES:-2}

make --no-print-directory lib
printf '\n==> cargo build --release -p aauth-verify-ffi --no-default-features (compact, %s)\n' \
  "$compact_dir"
CARGO_TARGET_DIR=$compact_dir "$cargo" build --release -p aauth-verify-ffi --no-default-features

mkdir -p "$build" "$(dirname "$out")"
"$python" "$here/gen_requests.py" "$build/requests.h"
# Same system libraries as ffi-c/ffi.mk (FFI_NATIVE_LIBS); -O2 for the loop, the library is
# the release build.
link() {
  "$cc" -std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude -I"$build" "$here/bench.c" \
    -o "$1" "$2" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
}
link "$build/bench-dalek" target/release/libaauth_verify.a
link "$build/bench-compact" "$compact_dir/release/libaauth_verify.a"

pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
rm -f "$build"/raw-*.json
for ((r = 1; r <= rounds; r++)); do
  if (( r % 2 )); then order=(dalek compact); else order=(compact dalek); fi
  for b in "${order[@]}"; do
    "${pin[@]}" "$build/bench-$b" "$slice" "$slices" > "$build/raw-$b-$r.json"
  done
  echo "bench-c: round $r/$rounds (${order[*]})"
done

"$python" - "$build" "$out" "${pin[*]:-unpinned}" "$rounds" <<'EOF'
import json, statistics, sys
build, out, pin, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
BACKENDS = ("dalek", "compact")
runs = {b: [json.load(open(f"{build}/raw-{b}-{r}.json")) for r in range(1, rounds + 1)]
        for b in BACKENDS}
first = runs["dalek"][0]
names = [x["request"] for x in first["requests"]]
scheme_of = {x["request"]: x["scheme"] for x in first["requests"]}


def row(b, name):
    """One backend's figures for one request over every round."""
    per = [next(x for x in doc["requests"] if x["request"] == name) for doc in runs[b]]
    best = max(x["per_second_best_slice"] for x in per)
    calls = sum(x["calls"] for x in per)
    return {
        "request": name,
        "scheme": scheme_of[name],
        "calls": calls,
        "per_second_best_slice": best,
        "per_second_median_round": statistics.median(x["per_second_best_slice"] for x in per),
        "per_second_wall": statistics.median(x["per_second_wall"] for x in per),
        "per_second_cpu": statistics.median(x["per_second_cpu"] for x in per),
        "us_per_call_best_slice": round(1e6 / best, 2),
        "rounds_per_second": [x["per_second_best_slice"] for x in per],
    }


backends = {b: [row(b, n) for n in names] for b in BACKENDS}
ratios = {}
for i, name in enumerate(names):
    d, c = backends["dalek"][i]["rounds_per_second"], backends["compact"][i]["rounds_per_second"]
    per_round = [a / b for a, b in zip(d, c)]
    ratios[name] = {"scheme": scheme_of[name], "median": round(statistics.median(per_round), 3),
                    "min": round(min(per_round), 3), "max": round(max(per_round), 3)}


def per_scheme(rows, key):
    """Per scheme: the lower (worse) figure of its requests."""
    out = {}
    for r in rows:
        v = r[key]
        if r["scheme"] not in out or v < out[r["scheme"]]:
            out[r["scheme"]] = v
    return out


vps = {b: per_scheme(backends[b], "per_second_best_slice") for b in BACKENDS}
ratio_scheme = {}
for name, r in ratios.items():
    s = r["scheme"]
    if s not in ratio_scheme or r["median"] < ratio_scheme[s]["ratio"]:
        ratio_scheme[s] = {"ratio": r["median"], "worst_request": name}
for s, v in ratio_scheme.items():
    v["dalek_per_second"] = vps["dalek"][s]
    v["compact_per_second"] = vps["compact"][s]
    v["met"] = v["ratio"] >= 1.8
doc = {
    "library_version": first["library_version"],
    "api": first["api"],
    "slice_seconds": first["slice_seconds"],
    "slices": first["slices"],
    "rounds": rounds,
    # The shipped library (dalek): the keys report.py and summary.json have always read.
    "requests": backends["dalek"],
    "c_verifications_per_second": vps["dalek"],
    "backends": {
        "dalek": {"library": "target/release/libaauth_verify.a (make lib, feature dalek)",
                  "requests": backends["dalek"], "c_verifications_per_second": vps["dalek"]},
        "compact": {"library": f"{build}-compact/release/libaauth_verify.a "
                               "(--no-default-features: ed25519-compact, the library before issue 15)",
                    "requests": backends["compact"], "c_verifications_per_second": vps["compact"]},
    },
    "ratio_dalek_over_compact": ratio_scheme,
    "ratio_dalek_over_compact_per_request": ratios,
    "target": ">= 1.8",
    "target_description": "issue 15: the C library's verifications per second with dalek >= 1.8x "
                          "the compact library's (today's), same requests, same run",
    "target_met": all(v["met"] for v in ratio_scheme.values()),
    "method": (
        "one thread (" + pin + "), one-shot C API over pre-built requests from the aauth-signing "
        "0.2.0 vectors; every call returns AAUTH_RESULT_OK; the same bench.c linked against each "
        f"static library, the two binaries run alternately (whole runs, {rounds} rounds, order "
        "swapped each round); per request and round the best time slice, wall clock; "
        "per_second_best_slice is the best over rounds, the ratio the median of per-round ratios "
        "dalek / compact; per scheme the lower of its GET and POST requests"
    ),
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
for i, name in enumerate(names):
    d, c, r = backends["dalek"][i], backends["compact"][i], ratios[name]
    print(f"  {name}: dalek {d['per_second_best_slice']:.0f}/s ({d['us_per_call_best_slice']:.1f} µs), "
          f"compact {c['per_second_best_slice']:.0f}/s ({c['us_per_call_best_slice']:.1f} µs), "
          f"dalek/compact {r['median']:.2f}× [{r['min']:.2f}–{r['max']:.2f}]")
for s, v in ratio_scheme.items():
    print(f"  {s}: dalek/compact {v['ratio']:.2f}× (target >= 1.8: {'met' if v['met'] else 'not met'})")
print(f"bench-c: wrote {out}")
EOF
