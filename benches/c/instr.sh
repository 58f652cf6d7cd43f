#!/usr/bin/env bash
# benches/c/instr.sh OUT.json [INCLUDE_DIR LIBRARY]: instructions per one-shot C API call
# (callgrind), for every request of benches/c/gen_requests.py, and with a warm token cache for
# the token ones. Defaults: include/ and target/release/libaauth_verify.a (`make lib`); pass
# another header directory and static library to measure another build the same way (the
# probe uses only calls whose signatures have not changed since 0.1.0: aauth_verify_inline,
# aauth_verify_with_jwks, aauth_token_cache_init, aauth_verifier_set_token_cache).
# Knob: INSTR_CALLS (measured calls per row, default 20).
set -euo pipefail

out=${1:?usage: instr.sh OUT.json [INCLUDE_DIR LIBRARY]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
inc=${2:-include}
lib=${3:-target/release/libaauth_verify.a}
python=${PYTHON:-python3}
cc=${CC:-cc}
calls=${INSTR_CALLS:-20}
build=build/bench/c-instr

command -v valgrind >/dev/null || { echo "instr.sh: valgrind not installed (Debian package valgrind)"; exit 1; }
if [ $# -lt 3 ]; then make --no-print-directory lib; fi
mkdir -p "$build" "$(dirname "$out")"
"$python" "$here/gen_requests.py" "$build/requests.h"
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic -O2 -I"$inc" -I"$build" "$here/instr.c" \
  -o "$build/instr" "$lib" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

n=$(grep -c '^  {"' "$build/requests.h" || true)
rows=()
for ((i = 0; i < n; i++)); do
  for mode in plain cache; do
    name=$("$build/instr" "$i" 1 ${mode/plain/})
    case "$name" in jwt*) ;; *) [ "$mode" = cache ] && continue ;; esac
    cg="$build/cg.$i.$mode"
    valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=aauth_instr_measure \
      "$build/instr" "$i" "$calls" ${mode/plain/} > /dev/null 2> "$build/valgrind.log"
    ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$cg")
    rows+=("$name|$mode|$((ir / calls))")
  done
done
"$python" - "$out" "$lib" "$calls" "${rows[@]}" <<'PY'
import json, sys
out, lib, calls, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
doc = {"library": lib, "calls_per_row": calls, "method": (
    "valgrind --tool=callgrind --toggle-collect=aauth_instr_measure over benches/c/instr.c: "
    "instructions per one-shot call (aauth_verify_inline / aauth_verify_with_jwks with the "
    "documents in memory), after one unmeasured warm-up call"), "requests": []}
for r in rows:
    name, mode, ir = r.split("|")
    label = name + (", warm token cache" if mode == "cache" else "")
    doc["requests"].append({"request": label, "instructions": int(ir)})
    print(f"  {label}: {int(ir):,} instructions per call")
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"instr.sh: wrote {out}")
PY
