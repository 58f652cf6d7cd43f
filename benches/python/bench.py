#!/usr/bin/env python3
"""aauth_verify against aauth-signing in one Python process (issue 6 part 2).

Run once per environment: ``bench.py --env 0.2.0 OUT.json`` in a venv with aauth-signing 0.2.0
and our wheel, ``bench.py --env 0.1.2 OUT.json`` in one with aauth-signing 0.1.2 and our wheel;
``bench.py --merge OUT.json IN.json...`` joins the results. benches/python/run.sh does all three.

Method, per request:

* The request is a shared vector (tests/vectors/*.json) signed by that aauth-signing version
  (for 0.1.2, the EdDSA agent token that 0.1.2's own signer produced for the demo).
* Three implementations get the same bytes: ``aauth_signing.verify_signature``, our drop-in
  ``aauth_verify.verify_signature`` (identical arguments and in-memory ``jwks_fetcher``), and
  ``aauth_verify.Verifier.verify`` (a ``StaticKeys`` resolver over the same metadata and JWKS;
  it checked the metadata's ``issuer``, which aauth-signing does not, when it first decoded
  the key, and reuses that key afterwards).
* One frozen clock: ``time.time`` (the function ``aauth_signing.verifier.time.time`` and our
  drop-in both read) returns the vector's ``now``; the ``Verifier`` gets ``clock=`` the same.
* Each implementation must return ``True`` (``Verified`` for ``Verifier``) before timing.
* Interleaved A/B rounds: each round times every implementation with ``timeit`` best-of-5
  (setup outside the loop), the order rotating between rounds; a round's ratio is
  aauth-signing's best time over ours. Reported: the median of the per-round ratios, and the
  median of the per-round best µs/call.

Standard library only, plus the two packages under test.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import threading
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VECTORS = os.path.join(ROOT, "tests", "vectors")

#: (request name in the report, scheme, vector name), per aauth-signing version.
CASES = {
    "0.2.0": [
        ("hwk GET", "hwk", "aauth-signing-020-hwk-get"),
        ("hwk POST + digest", "hwk", "aauth-signing-020-hwk-post-digest"),
        ("jwks_uri GET", "jwks_uri", "aauth-signing-020-jwks-uri-get"),
        ("jwt GET", "jwt", "jwt-aauth-signing-020-get"),
    ],
    "0.1.2": [
        ("hwk GET (alg-less key)", "hwk", "aauth-signing-012-hwk-get-compat"),
        ("hwk POST + digest (alg-less key)", "hwk", "aauth-signing-012-hwk-post-digest-compat"),
        ("jwks_uri GET", "jwks_uri", "aauth-signing-012-jwks-uri-get"),
        ("jwt POST (EdDSA token, aauth-signing 0.1.2)", "jwt", "jwt-v5-eddsa-compat"),
    ],
}

#: Our Verifier's profile per environment: 0.1.2 peers send alg-less keys and EdDSA tokens.
PROFILE = {"0.2.0": "strict", "0.1.2": "compat"}

BASELINE = "aauth_signing.verify_signature"
OURS = ("aauth_verify.verify_signature", "aauth_verify.Verifier.verify")
#: jwt requests only: a Verifier whose verified-token cache already holds the agent token.
WARM = "aauth_verify.Verifier.verify (warm token cache)"
SHORT = {BASELINE: "aauth-signing", OURS[0]: "drop-in", OURS[1]: "Verifier", WARM: "Verifier, warm cache"}

WARM_CACHE_NOTE = (
    "Verifier with its verified-token cache already holding the agent token: the token's JSON "
    "and its JWS verification are skipped (its offline checks still run, the issuer key is "
    "resolved again), the request signature is verified; the plain Verifier figures are "
    "measured with token_cache=False"
)


def load_vectors():
    out = {}
    for name in ("signatures.json", "tokens.json"):
        with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
            for case in json.load(f)["cases"]:
                out[case["name"]] = case
    return out


def body_of(req):
    b = req["body"]
    if b is None:
        return None
    if isinstance(b, str):
        return b.encode("utf-8")
    return base64.b64decode(b["base64"])


def target_uri(req):
    q = req.get("query")
    return f"{req['scheme']}://{req['authority']}{req['path']}" + (f"?{q}" if q is not None else "")


def header(req, name):
    for n, v in req["headers"]:
        if n.lower() == name:
            return v
    return ""


def freeze_clock(now):
    """Freezes time.time for every reader in this process (aauth_signing and our drop-in)."""
    frozen = lambda: float(now)  # noqa: E731
    time.time = frozen
    import aauth_signing.verifier as upstream_verifier

    upstream_verifier.time.time = frozen  # the same module object; explicit for the reader


def build(case, profile):
    """The three callables for one vector, sharing one request and one in-memory key source."""
    import aauth_signing
    import aauth_verify
    from aauth_verify import StaticKeys, Verifier

    req = case["request"]
    key = case["key"]
    jwks = key.get("jwks")
    metadata = key.get("metadata")

    def fetcher(identifier, dwk=None, kid=None):
        return jwks

    kwargs = dict(
        method=req["method"],
        target_uri=target_uri(req),
        headers={n: v for n, v in req["headers"]},
        body=body_of(req),
        signature_input_header=header(req, "signature-input"),
        signature_header=header(req, "signature"),
        signature_key_header=header(req, "signature-key"),
        jwks_fetcher=fetcher if jwks is not None else None,
    )

    resolver = None
    if jwks is not None:
        docs = {metadata["jwks_uri"]: jwks}
        need = case["expect"].get("requirement") or {}
        ident = need.get("id")
        if ident is None:  # token schemes: the issuer's metadata
            ident = metadata["issuer"]
        dwk = need.get("dwk") or "aauth-agent.json"
        docs[f"{ident.rstrip('/')}/.well-known/{dwk}"] = metadata
        resolver = StaticKeys(docs)
    now = case["now"]

    def make_verifier(token_cache):
        return Verifier(
            authority=req["authority"],
            scheme=req["scheme"],
            profile=profile,
            resolver=resolver,
            clock=lambda: float(now),
            token_cache=token_cache,
        )

    verifier = make_verifier(False)
    warm = make_verifier(True)
    method, url, headers, body = (
        req["method"],
        target_uri(req),
        [(n, v) for n, v in req["headers"]],
        body_of(req),
    )
    upstream = aauth_signing.verify_signature
    dropin = aauth_verify.verify_signature
    fns = {
        BASELINE: lambda: upstream(**kwargs),
        OURS[0]: lambda: dropin(**kwargs),
        OURS[1]: lambda: verifier.verify(method, url, headers, body),
    }
    if case["expect"].get("scheme") == "jwt":
        # The first call (check_true) verifies the token and fills the cache; timed calls hit.
        fns[WARM] = lambda: warm.verify(method, url, headers, body)
    return fns


def check_true(name, fn):
    out = fn()
    ok = out is True or (out is not None and out is not False and hasattr(out, "thumbprint"))
    if not ok:
        raise SystemExit(f"bench.py: {name} did not verify the request (returned {out!r})")


def calibrate(fn, target_s):
    """Calls per timeit repeat so that one repeat lasts about target_s."""
    n, elapsed = 1, 0.0
    while True:
        elapsed = timeit.Timer(fn).timeit(number=n)
        if elapsed >= target_s / 4 or n >= 1 << 16:
            break
        n *= 2
    return max(1, int(n * target_s / max(elapsed, 1e-9)))


def measure(fns, rounds, repeat, target_s):
    names = list(fns)
    numbers = {n: calibrate(fns[n], target_s) for n in names}
    per_round = []
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        if r % 2:
            order.reverse()
        best = {}
        for n in order:
            times = timeit.Timer(fns[n]).repeat(repeat=repeat, number=numbers[n])
            best[n] = min(times) / numbers[n]
        per_round.append(best)
    us = {n: statistics.median(b[n] for b in per_round) * 1e6 for n in names}
    ratio = {
        n: statistics.median(b[BASELINE] / b[n] for b in per_round) for n in names if n != BASELINE
    }
    spread = {
        n: [round(min(b[BASELINE] / b[n] for b in per_round), 3),
            round(max(b[BASELINE] / b[n] for b in per_round), 3)]
        for n in names if n != BASELINE
    }
    return {
        "us_per_call": {n: round(v, 2) for n, v in us.items()},
        "calls_per_repeat": numbers,
        "speedup": {n: round(v, 3) for n, v in ratio.items()},
        "speedup_min_max": spread,
        "rounds_us": [{n: round(v * 1e6, 2) for n, v in b.items()} for b in per_round],
    }


#: Requests whose Verifier is also timed from two threads (issue 15: 2 threads on one Verifier
#: reach >= 1.8x one thread; the GIL is released while the core verifies).
THREAD_REQUESTS = ("hwk GET", "jwks_uri GET", "jwt GET")
THREADS_TARGET = 1.8


def threads(fn, rounds, seconds):
    """Verifications per second of one thread and of two threads sharing ``fn`` (one Verifier),
    interleaved: each round runs both, the order swapped every round; a round's ratio is
    two threads' rate over one thread's. Reported: the median ratio and per-round figures."""
    n = calibrate(fn, seconds)

    def one():
        t = time.perf_counter()
        for _ in range(n):
            fn()
        return n / (time.perf_counter() - t)

    def two():
        barrier = threading.Barrier(3)

        def work():
            barrier.wait()
            for _ in range(n):
                fn()

        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in ts:
            t.join()
        return 2 * n / (time.perf_counter() - t0)

    per_round = []
    for r in range(rounds):
        if r % 2:
            b, a = two(), one()
        else:
            a, b = one(), two()
        per_round.append((a, b, b / a))
    ratio = statistics.median(x[2] for x in per_round)
    return {
        "calls_per_thread": n,
        "one_thread_per_second": round(statistics.median(x[0] for x in per_round)),
        "two_threads_per_second": round(statistics.median(x[1] for x in per_round)),
        "ratio": round(ratio, 3),
        "ratio_min_max": [round(min(x[2] for x in per_round), 3),
                          round(max(x[2] for x in per_round), 3)],
        "target": f">= {THREADS_TARGET}",
        "met": ratio >= THREADS_TARGET,
    }


def versions():
    from importlib import metadata

    out = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    for pkg in ("aauth-signing", "aauth-verify", "cryptography", "PyJWT"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def run_env(env, out_path, rounds, repeat, target_s):
    vectors = load_vectors()
    env_versions = versions()
    if env_versions["aauth-signing"] != env:
        raise SystemExit(f"bench.py: expected aauth-signing {env}, found {env_versions['aauth-signing']}")
    results = []
    for label, scheme, vector in CASES[env]:
        case = vectors[vector]
        freeze_clock(case["now"])
        fns = build(case, PROFILE[env])
        for n, fn in fns.items():
            check_true(n, fn)
        m = measure(fns, rounds, repeat, target_s)
        row = {"request": label, "scheme": scheme, "vector": vector, **m}
        if env == "0.2.0" and label in THREAD_REQUESTS:
            row["threads"] = threads(fns[OURS[1]], rounds, max(target_s * 10, 0.2))
            t = row["threads"]
            print(f"  [{env}] {label}: Verifier 1 thread {t['one_thread_per_second']}/s, "
                  f"2 threads {t['two_threads_per_second']}/s, {t['ratio']:.2f}×", flush=True)
        results.append(row)
        cells = ", ".join(f"{SHORT[n]} {m['us_per_call'][n]:.1f} µs" for n in fns)
        sp = ", ".join(f"{SHORT[n]} {m['speedup'][n]:.2f}×" for n in fns if n != BASELINE)
        print(f"  [{env}] {label}: {cells} | {sp}", flush=True)
    doc = {
        "env": env,
        "versions": env_versions,
        "rounds": rounds,
        "repeat": repeat,
        "target_seconds_per_repeat": target_s,
        "verifier_profile": PROFILE[env],
        "requests": results,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


#: Issue 15's targets against aauth-signing 0.2.0: (key in python_speedup, implementation, x).
TARGETS = (
    ("hwk", "aauth_verify.verify_signature", 4.0),
    ("jwks_uri", "aauth_verify.verify_signature", 4.0),
    ("jwt", "aauth_verify.verify_signature", 6.0),
    ("jwt_warm_token_cache", WARM, 12.0),
)


def targets(speedup):
    """Each target with the measured figure (the lower of the scheme's requests) and whether
    it is met; reported, never asserted."""
    out = {"against": "aauth-signing 0.2.0"}
    for key, impl, want in TARGETS:
        v = (speedup.get(key) or {}).get("vs_0.2.0") or {}
        got = v.get(impl)
        out[key] = {"implementation": impl, "target": f">= {want}", "measured": got,
                    "met": None if got is None else got >= want}
    return out


def merge(out_path, inputs):
    envs = []
    for p in inputs:
        with open(p, encoding="utf-8") as f:
            envs.append(json.load(f))
    envs.sort(key=lambda e: e["env"] != "0.1.2")  # 0.1.2 (the demo's pin) first, then 0.2.0
    speedup = {}
    for scheme in ("hwk", "jwks_uri", "jwt"):
        entry = {}
        for e in envs:
            rows = [r for r in e["requests"] if r["scheme"] == scheme]
            if not rows:
                continue
            # Per scheme: the lower (worse) median ratio of its requests, per implementation.
            entry[f"vs_{e['env']}"] = {
                n: min(r["speedup"][n] for r in rows) for n in OURS
            }
            entry[f"vs_{e['env']}"]["requests"] = [r["request"] for r in rows]
        speedup[scheme] = entry
    warm = {"note": WARM_CACHE_NOTE}
    for e in envs:
        rows = [r for r in e["requests"] if r["scheme"] == "jwt" and WARM in r["speedup"]]
        warm[f"vs_{e['env']}"] = (
            {WARM: min(r["speedup"][WARM] for r in rows), "requests": [r["request"] for r in rows]}
            if rows else None
        )
    speedup["jwt_warm_token_cache"] = warm
    doc = {
        "method": (
            "one process per environment; identical pre-signed vector requests and in-memory "
            "key sources; time.time frozen at the vector's now (Verifier: clock=); every "
            "implementation returns True before timing; interleaved rounds, timeit best-of-"
            "repeat per round; speedup = median over rounds of aauth-signing time / ours; "
            "per scheme the lower of its requests"
        ),
        "targets": targets(speedup),
        "threads": {r["request"]: r["threads"] for e in envs for r in e["requests"]
                    if "threads" in r},
        "python_speedup": speedup,
        "environments": envs,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", choices=sorted(CASES))
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_PY_ROUNDS", 7)))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--target", type=float, default=float(os.environ.get("BENCH_PY_TARGET", 0.03)),
                    help="seconds per timeit repeat")
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="*")
    a = ap.parse_args()
    if a.merge:
        merge(a.out, a.inputs)
    elif a.env:
        run_env(a.env, a.out, a.rounds, a.repeat, a.target)
    else:
        ap.error("--env or --merge")


if __name__ == "__main__":
    sys.exit(main())
