#!/usr/bin/env python3
"""HTTP figures through nginx with ngx_http_aauth_module (issue 16), reported, never asserted.

    .venv/bin/python benches/nginx/bench.py OUT.json      (normally via `make bench-nginx`)

One nginx worker on 127.0.0.1 serving a static file after the access phase, measured with wrk
(one thread, 8 keep-alive connections, `--latency`, BENCH_NGINX_SECONDS per run, default 3):

* `off`       - the module loaded, `aauth off` (the baseline);
* `hwk`       - a key in the request;
* `static`    - jwks_uri, the signer in aauth_trusted_keys (keys decoded at load);
* `discovery` - jwks_uri, the signer discovered (warm: keys decoded in the shared zone);
* `jwt-static` - an agent token whose issuer key is in aauth_trusted_keys;
* `jwt-discovery` - an agent token, its issuer discovered (warm).

Both jwt configurations replay one token, so after the first request the module's per-worker
verified-token cache (always attached, ngx_http_aauth_module.c) holds it: each request then
pays one Ed25519 verification (the request's), not two. That is issue 15's "jwt with the token
cache".

BENCH_NGINX_ROUNDS rounds (default 5); each round runs every configuration once, in an order
rotated from round to round, and measures the raw Ed25519 floor once (the `floors` binary of
aauth-verify-benches built with feature dalek, path in FLOORS_BIN: `raw_dalek`, one
ed25519-dalek `verify` with the key decoded inside, hwk GET signature base; `make bench-nginx`
builds it). Per round, the added cost of a configuration is 1/rps(on) - 1/rps(off) with that
round's `off`, and its ratio to that round's floor; medians over rounds are reported
(issue 15's target: added / floor <= 1.2). Reported, never asserted.

Signed requests are replayed unchanged by wrk (replay protection off, a fixed clock). Then the
cold path: the latency of the first request of a new signer (a metadata GET and a JWKS GET
through the internal location to a Python server on 127.0.0.1), next to a warm request.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "nginx/tests"))

import aasign  # noqa: E402
import test_nginx as base  # noqa: E402
from test_discovery import FETCH_LOCATION, Signer  # noqa: E402

PREFIX = ROOT / "build/nginx-bench"
MODULE = base.MODULE
AUTH = "bench.example"
SECONDS = os.environ.get("BENCH_NGINX_SECONDS", "3")
ROUNDS = int(os.environ.get("BENCH_NGINX_ROUNDS", "5"))
FLOORS_BIN = os.environ.get("FLOORS_BIN", str(ROOT / "target/release/floors"))
FLOOR_ITERS = os.environ.get("BENCH_NGINX_FLOOR_ITERS", "2000")
TARGET_ADDED_OVER_FLOOR = 1.2
WRK = ["wrk", "-t1", "-c8", "--latency"]


def conf(listen, signer, jwks_file, issuer_file, token_issuer_file):
    allow = f"127.0.0.1:{signer.port}"
    common = f"""
        aauth_authority {AUTH};
        aauth_window 3600;
        root {PREFIX}/html;
        location / {{ try_files /ok.txt =404; }}"""
    disc = f"""
        aauth_discovery /_aauth_fetch;
        aauth_discovery_allow {allow};
        aauth_discovery_http {allow};
        {FETCH_LOCATION}"""
    return f"""
load_module {MODULE};
worker_processes 1;
pid {PREFIX}/logs/nginx.pid;
events {{ worker_connections 256; }}
http {{
    error_log {PREFIX}/logs/error.log warn;
    access_log off;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;
    aauth_discovery_zone bench 1m;
    server {{ listen 127.0.0.1:{listen}; server_name off.test; aauth off; {common} }}
    server {{ listen 127.0.0.1:{listen}; server_name hwk.test; aauth on; {common} }}
    server {{ listen 127.0.0.1:{listen}; server_name static.test; aauth on;
             aauth_trusted_keys {signer.id} {jwks_file};
             aauth_trusted_keys {signer.id}/issuer {issuer_file}; {common} }}
    server {{ listen 127.0.0.1:{listen}; server_name jwt-static.test; aauth on;
             aauth_trusted_keys {signer.id} {token_issuer_file}; {common} }}
    server {{ listen 127.0.0.1:{listen}; server_name discovery.test; aauth on; {common} {disc} }}
}}
"""


def wrk(port, host, headers):
    args = WRK + [f"-d{SECONDS}s", "-H", f"Host: {host}"]
    for h, v in headers:
        args += ["-H", f"{h}: {v}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}/ok"], capture_output=True, text=True,
                         timeout=int(SECONDS) + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    unit = {"us": 1, "ms": 1000, "s": 1e6}

    def us(m):
        return round(float(m.group(1)) * unit[m.group(2)], 1) if m else None

    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "mean_latency_us": us(lat),
        "p50_latency_us": us(p50),
        "p99_latency_us": us(p99),
    }


def floor_us():
    """One same-run measurement of the raw Ed25519 floor: raw_dalek (ed25519-dalek verify, key
    decoded inside) over the hwk GET signature base, from one round of the floors binary."""
    if not os.access(FLOORS_BIN, os.X_OK):
        return None
    doc = json.loads(subprocess.run([FLOORS_BIN, "1", FLOOR_ITERS], capture_output=True,
                                    text=True, check=True, timeout=300).stdout)
    ns = doc["fixtures"]["hwk GET"]["median_ns"]
    return {"raw_dalek": ns["raw_dalek"] / 1000, "raw_dalek_prepared": ns["raw_dalek_prepared"] / 1000}


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def rnd(v, n=1):
    return None if v is None else round(v, n)


def timed(port, host, headers):
    t0 = time.perf_counter()
    s, h, _ = base.request(port, host, "GET", "/ok", headers)
    return (time.perf_counter() - t0) * 1e6, s, h


def measure_rounds(port, configs):
    """ROUNDS rounds: the floor once, then every configuration once in a rotated order."""
    rounds = []
    for r in range(ROUNDS):
        this = {"floor_us": floor_us(), "runs": {}}
        k = r % len(configs)
        for name, host, hs in configs[k:] + configs[:k]:
            this["runs"][name] = wrk(port, host, hs)
            w = this["runs"][name]
            print(f"  round {r + 1}/{ROUNDS} {name:14s} {w['requests_per_second']:>9} req/s  "
                  f"p99 {w['p99_latency_us']} us  non-2xx {w['non_2xx']}", flush=True)
        fl = this["floor_us"]
        print(f"  round {r + 1}/{ROUNDS} floor raw_dalek {fl and round(fl['raw_dalek'], 2)} us",
              flush=True)
        rounds.append(this)
    return rounds


def summarise(result, rounds, names):
    """Medians over rounds per configuration; added cost against the same round's `off`, and its
    ratio to the same round's floor."""
    floors = [r["floor_us"]["raw_dalek"] for r in rounds if r["floor_us"]]
    floor = med(floors)
    result["floor"] = {
        "name": "raw_dalek",
        "what": "one ed25519-dalek 2 verify (key decoded inside; the nginx module's library is "
                "built with the same dalek backend) over the hwk GET signature base, measured "
                "once per round in this run (benches/src/bin/floors.rs, 1 round of "
                f"{FLOOR_ITERS} calls, between the wrk runs while nginx is idle)",
        "us": rnd(floor, 2),
        "per_round_us": [rnd(f, 2) for f in floors],
        "raw_dalek_prepared_us": rnd(med(r["floor_us"]["raw_dalek_prepared"]
                                         for r in rounds if r["floor_us"]), 2),
    } if floors else {"missing": f"no floors binary at {FLOORS_BIN} (make bench-nginx builds it)"}
    reference = ROOT / "target/bench/floors-dalek.json"
    if reference.exists():
        try:
            ns = json.loads(reference.read_text())["fixtures"]["hwk GET"]["median_ns"]["raw_dalek"]
            result["floor"]["bench_core_raw_dalek_us"] = round(ns / 1000, 2)
        except (KeyError, ValueError):
            pass
    for name in names:
        per = [r["runs"][name] for r in rounds]
        run = {
            "requests_per_second": rnd(med(p["requests_per_second"] for p in per)),
            "non_2xx": sum(p["non_2xx"] for p in per),
            "mean_latency_us": rnd(med(p["mean_latency_us"] for p in per)),
            "p50_latency_us": rnd(med(p["p50_latency_us"] for p in per)),
            "p99_latency_us": rnd(med(p["p99_latency_us"] for p in per)),
            "per_round_requests_per_second": [p["requests_per_second"] for p in per],
            "per_round_p99_latency_us": [p["p99_latency_us"] for p in per],
        }
        if name != "off":
            added, over = [], []
            for r in rounds:
                on, off = (r["runs"][n]["requests_per_second"] for n in (name, "off"))
                if not on or not off:
                    continue
                a = (1 / on - 1 / off) * 1e6
                added.append(a)
                if r["floor_us"]:
                    over.append(a / r["floor_us"]["raw_dalek"])
            run["added_us_per_request"] = rnd(med(added), 2)
            run["per_round_added_us"] = [rnd(a, 2) for a in added]
            run["added_over_floor"] = rnd(med(over), 3)
            run["per_round_added_over_floor"] = [rnd(o, 3) for o in over]
            run["target"] = f"<= {TARGET_ADDED_OVER_FLOOR}"
            run["target_met"] = (None if run["added_over_floor"] is None
                                 else run["added_over_floor"] <= TARGET_ADDED_OVER_FLOOR)
            if name.startswith("jwt"):
                run["token_cache"] = ("warm: one token replayed; the module's per-worker "
                                      "verified-token cache holds it after the warm-up request")
        result["runs"][name] = run
    result["method"] = (
        "per round: the floor once, then every configuration for the same seconds in an order "
        "rotated each round; added = 1/rps(on) - 1/rps(off) with the same round's off, "
        "added_over_floor = added / the same round's floor; all figures medians over rounds")


def main():
    out = Path(sys.argv[1])
    if not shutil.which("wrk"):
        out.write_text(json.dumps({"missing": "wrk not installed (Debian package wrk)"}) + "\n")
        print("bench-nginx: wrk not installed; reported as missing")
        return
    for d in ("conf", "logs", "tmp", "html", "keys"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)
    (PREFIX / "html/ok.txt").write_text("ok\n")
    base.PREFIX = PREFIX

    signer = Signer(max_age=3600)
    agent = signer.keys["k1"]
    jwks_file = PREFIX / "keys/signer.json"
    jwks_file.write_text(json.dumps({"keys": [agent.jwk(kid="k1")]}))
    issuer_file = PREFIX / "keys/issuer.json"
    issuer_file.write_text(json.dumps({"keys": [signer.issuer_key.jwk(kid="iss-1")]}))
    # The token's iss is signer.id: for jwt-static, the issuer key under that identifier.
    token_issuer_file = PREFIX / "keys/token-issuer.json"
    token_issuer_file.write_text(json.dumps({"keys": [signer.issuer_key.jwk(kid="iss-1")]}))
    port = base.free_port()
    ng = base.Nginx(conf(port, signer, jwks_file, issuer_file, token_issuer_file), port)
    # base.Nginx writes into base.PREFIX; conf() above names PREFIX paths explicitly.
    result = {"tool": " ".join(WRK), "seconds": int(SECONDS), "rounds": ROUNDS,
              "worker_processes": 1, "runs": {}}
    try:
        ng.start()
        hwk = aasign.sign(agent, "GET", AUTH, "/ok", aasign.hwk(agent))
        juri = aasign.sign(agent, "GET", AUTH, "/ok", aasign.jwks_uri(signer.id, "k1"))
        tok = aasign.token(signer.issuer_key, "iss-1", signer.id, "agent@bench", agent, lifetime=7200)
        jwt = aasign.sign(agent, "GET", AUTH, "/ok", aasign.jwt(tok))
        # Warm the discovery zone, and check every configuration answers 200.
        configs = (("off", "off.test", []), ("hwk", "hwk.test", hwk),
                   ("static", "static.test", juri), ("discovery", "discovery.test", juri),
                   ("jwt-static", "jwt-static.test", jwt), ("jwt-discovery", "discovery.test", jwt))
        # Warm the discovery zone and the token cache, and check every configuration answers 200.
        for _, host, hs in configs:
            s, h, _ = base.request(port, host, "GET", "/ok", hs)
            if s != 200:
                raise SystemExit(f"bench-nginx: {host} answered {s} {h.get('signature-error')}")
        fetches_before = dict(signer.gets)
        rounds = measure_rounds(port, configs)
        result["discovery_fetches_during_runs"] = {
            k: signer.gets[k] - fetches_before[k] for k in signer.gets}
        summarise(result, rounds, [c[0] for c in configs])

        # Cold: each request names a new document (dwk), so each makes two fetches.
        cold, warm = [], []
        for i in range(15):
            hs = aasign.sign(agent, "GET", AUTH, "/ok", aasign.jwks_uri(signer.id, "k1", dwk=f"cold-{i}"))
            us, s, _ = timed(port, "discovery.test", hs)
            if s == 200:
                cold.append(us)
            us, s, _ = timed(port, "discovery.test", hs)
            if s == 200:
                warm.append(us)
        result["cold_first_request_us"] = {
            "median": round(statistics.median(cold)) if cold else None,
            "min": round(min(cold)) if cold else None, "n": len(cold),
            "note": "one request of a new signer: a metadata GET and a JWKS GET to a Python "
                    "http.server on 127.0.0.1, then verification"}
        result["warm_same_signer_us"] = {"median": round(statistics.median(warm)) if warm else None,
                                         "n": len(warm)}
    finally:
        ng.stop()
        signer.stop()
    off = result["runs"].get("off", {}).get("requests_per_second")
    for name, r in result["runs"].items():
        if off and r.get("requests_per_second"):
            r["relative_to_off"] = round(r["requests_per_second"] / off, 3)
    st, dc = (result["runs"].get(k, {}).get("requests_per_second") for k in ("static", "discovery"))
    result["discovery_vs_static"] = round(dc / st, 3) if st and dc else None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
