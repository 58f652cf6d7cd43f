#!/usr/bin/env python3
"""Builds the size probe (opt-level "z", LTO, panic=abort, no std) once per feature set and prints
the section sizes of each as JSON. `text_bytes` is the machine code of the verifier plus its
dependencies; the probe links what its feature set offers a host (src/main.rs).

Feature sets (`sets` in the output; every build is ed25519-compact unless it names dalek):

* `full`: the default features (every scheme family, egress admission, a token cache, a replay
  store); `full_dalek`: the same with the hosted backend, for comparison;
* `hwk_jwks_uri`: no default features (`hwk`, `jwks_uri`, `jwks` with keys the host holds:
  no JSON, no tokens, no egress admission), the smallest verifier;
* the families in between, each adding to the one before (`documents`; `fetching`: + `jwks`,
  `egress`; `tokens`: + `tokens`; `full`: + `cached`), to attribute the bytes;
* `..._size_settings`: the same with the two opt-in size settings that change no result:
  ed25519-compact's `opt_size` (core feature `compact-opt-size`) and sha2's compact software
  SHA-256 (RUSTFLAGS `--cfg sha2_backend="soft" --cfg sha2_backend_soft="compact"`).

It also attributes `.text` to its parts from the symbol table (`nm --size-sort -S -C`, binutils):
each function to the crate or core module its name belongs to, the full listing in
target/bench/size-symbols-<set>.txt. With LTO at opt-level "z" much is inlined into its
callers, so a part's figure is what remains under its own names, not everything it costs.

`measure.py --sets a,b` builds only those sets (for a quick look)."""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "target", "bench")

SIZE_FLAGS = '--cfg sha2_backend="soft" --cfg sha2_backend_soft="compact"'

# name -> (probe features, default features on, extra RUSTFLAGS, what it is)
SETS = {
    "full": ([], True, "", "every scheme family (default features), ed25519-compact"),
    "full_dalek": (["dalek"], True, "", "every scheme family, curve25519-dalek (hosted backend)"),
    "full_size_settings": (["compact-opt-size"], True, SIZE_FLAGS,
                           "every scheme family, compact-opt-size + sha2 soft-compact"),
    "hwk_jwks_uri": ([], False, "", "no default features: hwk and jwks_uri, host-held keys"),
    "hwk_jwks_uri_size_settings": (["compact-opt-size"], False, SIZE_FLAGS,
                                   "hwk_jwks_uri, compact-opt-size + sha2 soft-compact"),
    "documents": (["documents"], False, "", "hwk_jwks_uri + JWK/JWKS/metadata documents"),
    "fetching": (["documents", "jwks", "egress"], False, "",
                 "documents + the jwks schemes + egress admission: a verifier that fetches keys"),
    "fetching_size_settings": (["documents", "jwks", "egress", "compact-opt-size"], False,
                               SIZE_FLAGS, "fetching with the size settings"),
    "tokens": (["documents", "jwks", "egress", "tokens"], False, "",
               "fetching + jwt, jkt-jwt, self-jwt and the token cache (full less cached)"),
}

# (part, pattern on the demangled name): the first match wins.
PARTS = [
    ("JSON (serde-json-core, serde)", r"serde_json_core|serde::|serde_derive|Deserializ|Visitor"),
    ("SF parser (core/sf)", r"aauth_verify_sf::"),
    ("Ed25519 + its SHA-512 (ed25519-compact)", r"ed25519_compact::"),
    ("Ed25519 (curve25519-dalek)", r"curve25519_dalek"),
    ("SHA-2 (sha2)", r"sha2::|digest::|block_buffer"),
    ("base64", r"base64ct::"),
    ("token schemes (token/, cache, grant)", r"aauth_verify::(token|cache|grant|frozen)"),
    ("discovery documents (jwk, metadata)", r"aauth_verify::(jwk|metadata)"),
    ("rendering (render)", r"aauth_verify::render"),
    ("egress (URL forms, admission)", r"aauth_verify::egress"),
    ("replay", r"aauth_verify::replay"),
    ("signature, components, Signature-Key (parse, finish, sigkey, component, digest)",
     r"aauth_verify::(parse|finish|sigkey|component|digest|request|text|policy|key|error|backend)"),
    ("core::net, core::fmt (IP literals)", r"core::net|core::fmt|<core::fmt|Formatter"),
    ("core library (str, slice, ...)", r"^(core|compiler_builtins|<core|<\[)"),
    ("entry point (the probe's _start: inlined verifier)", r"^_start$"),
]


def build(name):
    features, default, rustflags, _ = SETS[name]
    target = os.path.join(ROOT, "target", "size-probe", name)
    args = ["cargo", "rustc", "--release", "-q", "--target-dir", target]
    if not default:
        args.append("--no-default-features")
    if features:
        args += ["--features", ",".join(features)]
    env = dict(os.environ)
    env["RUSTFLAGS"] = (env.get("RUSTFLAGS", "") + " " + rustflags).strip()
    subprocess.run(args + ["--", "-C", "link-arg=-nostartfiles", "-C", "link-arg=-lc"],
                   cwd=HERE, check=True, stdout=sys.stderr, env=env)
    return os.path.join(target, "release", "aauth-verify-size-probe")


def sections(binary):
    out = subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def symbols(binary, name):
    out = subprocess.run(["nm", "--size-sort", "-S", "-C", binary], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) ([0-9a-f]+) ([tTwW]) (.*)$", line)
        if m:
            rows.append((int(m.group(2), 16), m.group(4)))
    rows.sort(reverse=True)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"size-symbols-{name}.txt"), "w") as f:
        for size, sym in rows:
            f.write(f"{size:8d} {sym}\n")
    groups = {}
    for size, sym in rows:
        part = next((p for p, rx in PARTS if re.search(rx, sym)), "other")
        groups[part] = groups.get(part, 0) + size
    return rows, dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def measure(name):
    binary = build(name)
    sec = sections(binary)
    rows, groups = symbols(binary, name)
    features, default, rustflags, what = SETS[name]
    return {
        "what": what,
        "cargo_features": ("default" if default else "--no-default-features")
        + ("".join(" +" + f for f in features)),
        "rustflags": rustflags,
        "text_bytes": sec.get(".text"),
        "rodata_bytes": sec.get(".rodata"),
        "text_by_part": groups,
        "function_bytes": sum(s for s, _ in rows),
        "largest_functions": [{"bytes": s, "name": n[:160]} for s, n in rows[:25]],
        "listing": os.path.relpath(os.path.join(OUT, f"size-symbols-{name}.txt"), ROOT),
    }


def main():
    names = list(SETS)
    if len(sys.argv) > 2 and sys.argv[1] == "--sets":
        names = sys.argv[2].split(",")
    sets = {n: measure(n) for n in names}
    full = sets.get("full", {})
    print(json.dumps({
        "text_bytes": full.get("text_bytes"),
        "rodata_bytes": full.get("rodata_bytes"),
        "sets": sets,
        "targets": {"hwk_jwks_uri_text_kib": 64, "full_text_kib": 120},
        "method": "size -A of a freestanding no_std x86-64 binary (benches/size-probe) linking "
                  "parse and finish with the key sources its features offer, a replay store, and "
                  "per feature: a token cache and with_assertion (tokens, cached), egress "
                  "admission (egress); render::signature_error/problem_details; "
                  "opt-level=\"z\", lto, codegen-units=1, panic=abort; memcpy/memset/bcmp come "
                  "from the C library and are not counted. text_bytes is the full compact build; "
                  "text_by_part attributes the symbol table's function sizes by name (nm -S -C)",
    }, indent=2))


main()
