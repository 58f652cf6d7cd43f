#!/usr/bin/env python3
"""Builds the size probe (opt-level "z", LTO, panic=abort, no std) with each Ed25519 backend and
prints its section sizes as JSON: `text_bytes` is the machine code of the whole verifier plus its
dependencies (ed25519-compact, the embedded build; `backends.dalek` for comparison).

It also attributes `.text` to its parts from the symbol table (`nm --size-sort -S -C`, binutils):
each function to the crate or core module its name belongs to, the full listing in
target/bench/size-symbols-<backend>.txt. With LTO at opt-level "z" much is inlined into its
callers, so a part's figure is what remains under its own names, not everything it costs."""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "target", "bench")

# (part, pattern on the demangled name): the first match wins.
PARTS = [
    ("JSON (serde-json-core, serde)", r"serde_json_core|serde::|serde_derive|Deserializ|Visitor"),
    ("SF parser (core/sf)", r"aauth_verify_sf::"),
    ("Ed25519 (ed25519-compact)", r"ed25519_compact::"),
    ("Ed25519 (curve25519-dalek)", r"curve25519_dalek"),
    ("SHA-2", r"sha2::|digest::|block_buffer"),
    ("base64", r"base64ct::"),
    ("token schemes (token/, cache, grant)", r"aauth_verify::(token|cache|grant|frozen)"),
    ("discovery documents (jwk, metadata)", r"aauth_verify::(jwk|metadata)"),
    ("rendering (render)", r"aauth_verify::render"),
    ("egress", r"aauth_verify::egress"),
    ("replay", r"aauth_verify::replay"),
    ("signature, components, Signature-Key (parse, finish, sigkey, component, digest)",
     r"aauth_verify::(parse|finish|sigkey|component|digest|request|text|policy|key|error|backend)"),
    ("core library (fmt, memchr, ...)", r"^(core|compiler_builtins|<core)"),
    ("entry point (the probe's _start: inlined verifier)", r"^_start$"),
]


def build(backend):
    target = os.path.join(ROOT, "target", "size-probe", backend)
    features = ["--features", "dalek"] if backend == "dalek" else []
    subprocess.run(
        ["cargo", "rustc", "--release", "-q", "--target-dir", target, *features, "--",
         "-C", "link-arg=-nostartfiles", "-C", "link-arg=-lc"],
        cwd=HERE, check=True, stdout=sys.stderr,
    )
    return os.path.join(target, "release", "aauth-verify-size-probe")


def sections(binary):
    out = subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def symbols(binary, backend):
    out = subprocess.run(["nm", "--size-sort", "-S", "-C", binary], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) ([0-9a-f]+) ([tTwW]) (.*)$", line)
        if m:
            rows.append((int(m.group(2), 16), m.group(4)))
    rows.sort(reverse=True)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"size-symbols-{backend}.txt"), "w") as f:
        for size, name in rows:
            f.write(f"{size:8d} {name}\n")
    groups = {}
    for size, name in rows:
        part = next((p for p, rx in PARTS if re.search(rx, name)), "other")
        groups[part] = groups.get(part, 0) + size
    return rows, dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def measure(backend):
    binary = build(backend)
    sec = sections(binary)
    rows, groups = symbols(binary, backend)
    return {
        "text_bytes": sec.get(".text"),
        "rodata_bytes": sec.get(".rodata"),
        "text_by_part": groups,
        "function_bytes": sum(s for s, _ in rows),
        "largest_functions": [{"bytes": s, "name": n[:160]} for s, n in rows[:25]],
        "listing": os.path.relpath(os.path.join(OUT, f"size-symbols-{backend}.txt"), ROOT),
    }


compact = measure("compact")
dalek = measure("dalek")
print(json.dumps({
    "text_bytes": compact["text_bytes"],
    "rodata_bytes": compact["rodata_bytes"],
    "backends": {"compact": compact, "dalek": dalek},
    "method": "size -A of a freestanding no_std x86-64 binary linking parse and finish (every "
              "scheme, a token cache, a replay cache) and render::signature_error/problem_details; "
              "opt-level=\"z\", lto, codegen-units=1, panic=abort; memcpy/memset/bcmp come from the "
              "C library and are not counted. text_bytes is the compact (embedded) build; "
              "text_by_part attributes the symbol table's function sizes by name (nm -S -C)",
}, indent=2))
