#!/usr/bin/env python3
"""Builds the size probe (opt-level "z", LTO, panic=abort, no std) and prints its section sizes
as JSON: `text_bytes` is the machine code of the whole verifier plus its dependencies."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
target = os.path.join(ROOT, "target", "size-probe")
subprocess.run(
    ["cargo", "rustc", "--release", "-q", "--target-dir", target, "--",
     "-C", "link-arg=-nostartfiles", "-C", "link-arg=-lc"],
    cwd=HERE, check=True, stdout=sys.stderr,
)
binary = os.path.join(target, "release", "aauth-verify-size-probe")
out = subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout
sections = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
        sections[parts[0]] = int(parts[1])
print(json.dumps({
    "text_bytes": sections.get(".text"),
    "rodata_bytes": sections.get(".rodata"),
    "method": "size -A of a freestanding no_std x86-64 binary linking parse and finish (every "
              "scheme, a token cache, a replay cache) and render::signature_error/problem_details; "
              "opt-level=\"z\", "
              "lto, codegen-units=1, panic=abort; memcpy/memset/bcmp come from the C library and are not counted",
}, indent=2))
