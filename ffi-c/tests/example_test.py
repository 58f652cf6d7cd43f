#!/usr/bin/env python3
"""Exercises examples/c/aauth_verify_request on raw HTTP/1.1 requests built from the shared
vectors. Usage: example_test.py BINARY WORKDIR (FFI_RUN in the environment, e.g. valgrind,
prefixes each run)."""

import base64
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (file, case, expected verdict line, expected lines in the output)
CASES = [
    ("signatures", "hwk-get-a1", "verdict: verified", ["scheme: hwk", "thumbprint: "]),
    ("signatures", "jwks-uri-v4-strict", "verdict: verified",
     ["scheme: jwks_uri", "plan: metadata http", "agent: http", "issuer: http", "kid: "]),
    ("signatures", "jwks-uri-v4-wrong-key", "verdict: rejected (invalid_signature)",
     ["Signature-Error: error=invalid_signature", "check: signature_invalid ("]),
    ("signatures", "jwks-uri-v4-issuer-mismatch", "verdict: rejected (issuer_mismatch)",
     ["check: issuer_differs ("]),
    ("tokens", "jwt-a3", "verdict: verified",
     ["scheme: jwt", "plan: metadata https://agent.example/.well-known/",
      "agent: aauth:assistant@agent.example", "issuer: https://agent.example",
      "subject: aauth:assistant@agent.example"]),
]


def raw_request(req):
    target = req["path"] + ("?" + req["query"] if req.get("query") is not None else "")
    out = ("%s %s HTTP/1.1\r\n" % (req["method"], target)).encode()
    for name, value in req["headers"]:
        out += ("%s: %s\r\n" % (name, value)).encode()
    out += b"\r\n"
    body = req.get("body")
    if isinstance(body, dict):
        out += base64.b64decode(body["base64"])
    elif body is not None:
        out += body.encode()
    return out


def main():
    binary, workdir = sys.argv[1], sys.argv[2]
    run = shlex.split(os.environ.get("FFI_RUN", ""))
    os.makedirs(workdir, exist_ok=True)
    docs = {}
    for name in ("signatures", "tokens"):
        with open(os.path.join(ROOT, "tests", "vectors", name + ".json"), encoding="utf-8") as f:
            docs[name] = {c["name"]: c for c in json.load(f)["cases"]}
    failed = 0
    for file_name, case_name, verdict, lines in CASES:
        case = docs[file_name][case_name]
        base = os.path.join(workdir, case_name)
        with open(base + ".http", "wb") as f:
            f.write(raw_request(case["request"]))
        with open(base + ".jwks.json", "w", encoding="utf-8") as f:
            json.dump(case["key"].get("jwks") or {"keys": []}, f)
        args = run + [binary, "--authority", case["request"]["authority"],
                      "--scheme", case["request"]["scheme"], "--now", str(case["now"])]
        if (case.get("policy") or {}).get("profile") == "compat":
            args.append("--compat")
        if case["key"].get("metadata"):
            with open(base + ".metadata.json", "w", encoding="utf-8") as f:
                json.dump(case["key"]["metadata"], f)
            args += ["--metadata", base + ".metadata.json"]
        # The request comes on stdin, as from a pipe.
        with open(base + ".http", "rb") as stdin:
            proc = subprocess.run(args + ["-", base + ".jwks.json"], stdin=stdin,
                                  capture_output=True, text=True, check=False)
        out = proc.stdout.splitlines()
        want_rc = 0 if verdict == "verdict: verified" else 1
        ok = proc.returncode == want_rc and verdict in out and all(
            any(line.startswith(w) for line in out) for w in lines)
        print("%s %s: %s" % ("ok  " if ok else "FAIL", case_name, verdict))
        if not ok:
            failed += 1
            print("  exit %d\n  stdout: %s\n  stderr: %s" % (proc.returncode, out, proc.stderr))
    print("example: %d passed, %d failed" % (len(CASES) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
