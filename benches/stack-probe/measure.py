#!/usr/bin/env python3
"""Builds the stack probe (src/main.rs) once per feature set and optimisation level and prints
the peak stack of each as JSON (target/bench/stack.json under `make bench-memory`).

The probe paints the stack below its frame, runs one verification (both phases, replay store
included) and reports the deepest byte written; caller-owned buffers (the request, the policy)
are outside the measured frames. The issue 15 target is an `hwk` verification of the compact
backend at opt-level "z" ≤ 8 KiB; opt-level 3 (the Cargo default for release) is reported too,
since it is what most embedded builds use and the two differ by inlining.

Sets: `full` (default features) and `hwk_jwks_uri` (no default features), each plain and with
the opt-in size settings (`compact-opt-size`, sha2 soft-compact), as in ../size-probe."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE_FLAGS = '--cfg sha2_backend="soft" --cfg sha2_backend_soft="compact"'
SETS = {
    "full": (["--features", "default"], ""),
    "full_size_settings": (["--features", "compact-opt-size"], SIZE_FLAGS),
    "hwk_jwks_uri": (["--no-default-features"], ""),
    "hwk_jwks_uri_size_settings": (["--no-default-features", "--features", "compact-opt-size"],
                                   SIZE_FLAGS),
}
TARGET_BYTES = 8 * 1024


def run(args, rustflags, opt):
    env = dict(os.environ, RUSTFLAGS=rustflags, CARGO_PROFILE_RELEASE_OPT_LEVEL=opt,
               CARGO_TARGET_DIR=os.path.join(HERE, "target", f"opt-{opt}"))
    out = subprocess.run(["cargo", "run", "--release", "-q", *args], cwd=HERE, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["stack_bytes"]


def main():
    result = {"what": "peak stack bytes of one verification, compact backend, x86-64",
              "target": {"request": "hwk", "opt_level": "z", "max_bytes": TARGET_BYTES},
              "sets": {}}
    for name, (args, flags) in SETS.items():
        result["sets"][name] = {opt: run(args, flags, opt) for opt in ("3", "z")}
    best = min(v["z"]["aauth-signing-020-hwk-get"] for v in result["sets"].values())
    result["target"]["best_hwk_opt_z"] = best
    result["target"]["met"] = best <= TARGET_BYTES
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
