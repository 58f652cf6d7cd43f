#!/usr/bin/env python3
"""HTTP figures through nginx with ngx_http_aauth_module (issue 16), reported, never asserted.

    .venv/bin/python benches/nginx/bench.py OUT.json      (normally via `make bench-nginx`)

One nginx worker on 127.0.0.1 serving a static file after the access phase, measured with wrk
(one thread, 8 connections, BENCH_NGINX_SECONDS each, default 3):

* `off`       - the module loaded, `aauth off` (the baseline);
* `hwk`       - a key in the request;
* `static`    - jwks_uri, the signer in aauth_trusted_keys (keys decoded at load);
* `discovery` - jwks_uri, the signer discovered (warm: keys decoded in the shared zone);
* `jwt-discovery` - an agent token, its issuer discovered (warm).

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


def conf(listen, signer, jwks_file, issuer_file):
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
    server {{ listen 127.0.0.1:{listen}; server_name discovery.test; aauth on; {common} {disc} }}
}}
"""


def wrk(port, host, headers):
    args = ["wrk", "-t1", "-c8", f"-d{SECONDS}s", "-H", f"Host: {host}"]
    for h, v in headers:
        args += ["-H", f"{h}: {v}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}/ok"], capture_output=True, text=True,
                         timeout=int(SECONDS) + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 1, "ms": 1000, "s": 1e6}
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "mean_latency_us": float(lat.group(1)) * unit[lat.group(2)] if lat else None,
    }


def timed(port, host, headers):
    t0 = time.perf_counter()
    s, h, _ = base.request(port, host, "GET", "/ok", headers)
    return (time.perf_counter() - t0) * 1e6, s, h


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
    port = base.free_port()
    ng = base.Nginx(conf(port, signer, jwks_file, issuer_file), port)
    # base.Nginx writes into base.PREFIX; conf() above names PREFIX paths explicitly.
    result = {"tool": "wrk -t1 -c8", "seconds": int(SECONDS), "worker_processes": 1, "runs": {}}
    try:
        ng.start()
        hwk = aasign.sign(agent, "GET", AUTH, "/ok", aasign.hwk(agent))
        juri = aasign.sign(agent, "GET", AUTH, "/ok", aasign.jwks_uri(signer.id, "k1"))
        tok = aasign.token(signer.issuer_key, "iss-1", signer.id, "agent@bench", agent, lifetime=7200)
        jwt = aasign.sign(agent, "GET", AUTH, "/ok", aasign.jwt(tok))
        # Warm the discovery zone, and check every configuration answers 200.
        for host, hs in (("off.test", []), ("hwk.test", hwk), ("static.test", juri),
                         ("discovery.test", juri), ("discovery.test", jwt)):
            s, h, _ = base.request(port, host, "GET", "/ok", hs)
            if s != 200:
                raise SystemExit(f"bench-nginx: {host} answered {s} {h.get('signature-error')}")
        fetches_before = dict(signer.gets)
        for name, host, hs in (("off", "off.test", []), ("hwk", "hwk.test", hwk),
                               ("static", "static.test", juri), ("discovery", "discovery.test", juri),
                               ("jwt-discovery", "discovery.test", jwt)):
            result["runs"][name] = wrk(port, host, hs)
            print(f"  {name:14s} {result['runs'][name]}", flush=True)
        result["discovery_fetches_during_runs"] = {
            k: signer.gets[k] - fetches_before[k] for k in signer.gets}

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
