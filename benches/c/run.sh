#!/usr/bin/env bash
# benches/c/run.sh OUT.json: verifications per second on one core through the C API
# (issue 6 part 3). Builds target/release/libaauth_verify.a (`make lib`), generates the
# requests from the shared vectors, compiles benches/c/bench.c against the static library,
# runs it pinned to one CPU (taskset, when present) and adds per-scheme figures to its JSON.
# Knobs: BENCH_C_SLICE (seconds per slice, default 0.4), BENCH_C_SLICES (default 5).
set -euo pipefail

out=${1:?usage: run.sh OUT.json}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
python=${PYTHON:-python3}
cc=${CC:-cc}
build=build/bench/c

make --no-print-directory lib
mkdir -p "$build" "$(dirname "$out")"
"$python" "$here/gen_requests.py" "$build/requests.h"
# Same system libraries as ffi-c/ffi.mk (FFI_NATIVE_LIBS); -O2 for the loop, the library is
# the release build.
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude -I"$build" "$here/bench.c" \
  -o "$build/bench" target/release/libaauth_verify.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
"${pin[@]}" "$build/bench" "${BENCH_C_SLICE:-0.4}" "${BENCH_C_SLICES:-5}" > "$build/raw.json"

"$python" - "$build/raw.json" "$out" "${pin[*]:-unpinned}" <<'EOF'
import json, os, sys
raw, out, pin = sys.argv[1], sys.argv[2], sys.argv[3]
with open(raw) as f:
    doc = json.load(f)
per_scheme = {}
for r in doc["requests"]:
    # Per scheme: the lower (worse) best-slice rate of its requests.
    v = r["per_second_best_slice"]
    if r["scheme"] not in per_scheme or v < per_scheme[r["scheme"]]:
        per_scheme[r["scheme"]] = v
doc["c_verifications_per_second"] = per_scheme
doc["method"] = (
    "one thread (" + pin + "), one-shot C API over pre-built requests from the aauth-signing "
    "0.2.0 vectors; every call returns AAUTH_RESULT_OK; best of the time slices, wall clock; "
    "per scheme the lower of its GET and POST requests"
)
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
for r in doc["requests"]:
    print(f"  {r['request']}: {r['per_second_best_slice']:.0f}/s best slice "
          f"({r['us_per_call_best_slice']:.1f} µs), {r['per_second_cpu']:.0f}/s per CPU second")
print(f"bench-c: wrote {out}")
EOF
