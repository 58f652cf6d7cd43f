#!/usr/bin/env python3
"""Proves that a token is decoded once per request on every C path.

Usage: decode_count.py PROBE   (a decode_probe linked against the debug libaauth_verify.a)

Runs the probe under callgrind for each flow and counts, in the call graph, the calls of the
core's token decoding (`aauth_verify::token::split`: the base64url decode of the header and
payload, on every path, cache hit included; `aauth_verify::token::parse_json`: the JSON, skipped
on a cache hit) and of the token store's `find` (one lookup per request). The debug build keeps
these functions out of line, so every call is seen. Fails unless, for N requests with a token:
split == N and find == N (with a cache) or 0 (without); parse_json == N without a cache and at
most N/2 with one (every vector runs twice: the second time is a hit).
"""

import os
import re
import subprocess
import sys
import tempfile

FUNCTIONS = {
    "split": re.compile(r"aauth_verify::token::split(::h[0-9a-f]+)?$"),
    "parse_json": re.compile(r"aauth_verify::token::parse_json(::h[0-9a-f]+)?$"),
    "find": re.compile(r"as aauth_verify::cache::TokenStore>::find(::h[0-9a-f]+)?$"),
}


def calls(path):
    """{function key: calls} from a callgrind output file (name compression handled)."""
    names, counts, target = {}, dict.fromkeys(FUNCTIONS, 0), None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if m:
                ident, name = m.group(1), m.group(2)
                if name is not None:
                    names[ident] = name
                if line.startswith("cfn="):
                    target = names.get(ident, "")
                continue
            if line.startswith("calls=") and target is not None:
                n = int(line[6:].split()[0])
                for key, rx in FUNCTIONS.items():
                    if rx.search(target):
                        counts[key] += n
                target = None
    return counts


def main():
    probe = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for flow in ("two-phase", "one-shot", "two-phase-cache", "one-shot-cache"):
            out = os.path.join(tmp, flow + ".cg")
            p = subprocess.run(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, probe, flow],
                capture_output=True, text=True, check=False)
            if p.returncode != 0:
                print(f"FAIL {flow}: probe exited {p.returncode}\n{p.stdout}{p.stderr}")
                failed += 1
                continue
            n = int(re.search(r"requests (\d+)", p.stdout).group(1))
            c = calls(out)
            cached = flow.endswith("-cache")
            ok = (n > 0 and c["split"] == n and c["find"] == (n if cached else 0)
                  and (c["parse_json"] <= n // 2 if cached else c["parse_json"] == n))
            print(f"{'ok  ' if ok else 'FAIL'} {flow}: {n} requests with a token: "
                  f"{c['split']} token decodes (split), {c['parse_json']} JSON reads "
                  f"(parse_json), {c['find']} token-cache lookups")
            failed += not ok
    print("decode count: " + ("a token is decoded once per request on every C path"
                              if not failed else f"{failed} flows FAILED"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
