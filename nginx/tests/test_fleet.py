#!/usr/bin/env python3
"""Fleet state in shared memory (issue 17): the replay cache and the `cached` scheme's
assertion cache, across the workers of one nginx.

    .venv/bin/python nginx/tests/test_fleet.py      (normally via `make test-nginx`)

Two workers; every response says which worker answered (`X-Worker: $pid`), so the checks see
a replay refused by another worker than the one that accepted the original. Zones are the
smallest nginx allows (32 KiB), so that filling them is quick.
"""

import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aasign  # noqa: E402
import test_nginx as base  # noqa: E402
from test_gateway import AUTH, ALL, error_log, server, signed  # noqa: E402
from test_nginx import MODULE, PREFIX, Nginx, check, free_port, request  # noqa: E402


def conf(servers, up_port, listen):
    return f"""
load_module {MODULE};
worker_processes 2;
pid {PREFIX}/logs/nginx.pid;
events {{ worker_connections 512; accept_mutex off; }}
http {{
    error_log {PREFIX}/logs/error.log notice;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;
    access_log off;
    aauth_replay_zone fleet_replay 32k;
    aauth_assertion_zone fleet_cached 32k;
    proxy_set_header X-AAuth-Agent $aauth_agent;
    proxy_set_header X-AAuth-Scheme $aauth_scheme;
    add_header X-Worker $pid always;
    server {{
        listen 127.0.0.1:{listen} default_server;
        return 404;
    }}
{servers}
}}
""".replace("{upstream}", str(up_port)).replace("{listen}", str(listen))


def main():
    for d in ("conf", "logs", "keys", "tmp"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)
    upstream = base.http.server.ThreadingHTTPServer(("127.0.0.1", 0), base.Echo)
    upstream.daemon_threads = True
    base.threading.Thread(target=upstream.serve_forever, daemon=True).start()
    listen = free_port()

    issuer, other = aasign.Key(), aasign.Key()
    good = PREFIX / "keys/fleet-issuer.json"
    good.write_text(json.dumps({"keys": [issuer.jwk(kid="i1")]}))
    rotated = PREFIX / "keys/fleet-rotated.json"
    rotated.write_text(json.dumps({"keys": [other.jwk(kid="i1")]}))

    on = ["aauth on", f"aauth_authority {AUTH}"]
    servers = "".join([
        server("replay.test", on + [ALL, "aauth_replay on"]),
        server("noreplay.test", on + [ALL]),
        server("cached.test", on + [f"aauth_trusted_keys https://issuer.example {good}",
                                    "aauth_schemes jwt jkt-jwt cached"]),
        # The same issuer, another key: a resolved assertion fails here.
        server("rotated.test", on + [f"aauth_trusted_keys https://issuer.example {rotated}",
                                     "aauth_schemes jwt cached"]),
    ])
    ng = Nginx(conf(servers, upstream.server_address[1], listen), listen)
    n0 = base.passes
    try:
        ng.start()
        run(listen, issuer)
    finally:
        ng.stop()
        upstream.shutdown()
        upstream.server_close()
    rc, out = base.nginx_t(conf(server("x.test", ["aauth on", f"aauth_authority {AUTH}", "aauth_replay on"]),
                                1, 1).replace("aauth_replay_zone fleet_replay 32k;", ""))
    check(rc != 0 and '"aauth_replay on" needs "aauth_replay_zone"' in out, f"nginx -t: replay without zone: {out}")
    rc, out = base.nginx_t(conf("", 1, 1).replace("fleet_cached 32k", "fleet_cached 1k"))
    check(rc != 0 and "invalid zone size" in out, f"nginx -t: a zone too small: {out}")
    print(f"fleet: {base.passes - n0} checks passed, {len(base.failures)} failed")
    if base.failures:
        print("\n".join("  " + f for f in base.failures))
        print("error log tail:\n" + "\n".join(error_log().decode("utf-8", "replace").splitlines()[-15:]))
        sys.exit(1)


def run(port, issuer):
    k = aasign.Key()

    # --- Replay: one signed request, accepted once, refused by every worker after. ---
    hs = signed(k, "GET", "/once")
    s, h, _ = request(port, "replay.test", "GET", "/once", hs)
    first = h.get("x-worker")
    check(s == 200, f"replay: the first request verifies: {s} {h.get('signature-error')}")
    refused_by = set()
    for _ in range(40):
        s, h, d = request(port, "replay.test", "GET", "/once", hs)
        if not (s == 401 and h.get("signature-error") == "error=invalid_signature"
                and json.loads(d).get("detail", "").startswith("the signature was replayed")):
            check(False, f"replay: a replay is refused: {s} {h.get('signature-error')} {d[:120]!r}")
            break
        refused_by.add(h.get("x-worker"))
        if refused_by - {first}:
            break
    check(refused_by - {first}, f"replay: refused by another worker than the one that accepted it "
                                f"(accepted by {first}, refused by {refused_by})")
    s, _, _ = request(port, "noreplay.test", "GET", "/once", signed(k, "GET", "/once"))
    s2, _, _ = request(port, "noreplay.test", "GET", "/once", signed(k, "GET", "/once"))
    check(s == 200, f"replay: off by default: {s}")
    # Two distinct requests to one path in one second are both fine (the key is the base).
    a = signed(k, "POST", "/pay", body=b'{"n":1}', components=["@method", "@authority", "@path",
                                                               "signature-key", "content-digest"])
    b = signed(k, "POST", "/pay", body=b'{"n":2}', components=["@method", "@authority", "@path",
                                                               "signature-key", "content-digest"])
    s1, _, _ = request(port, "replay.test", "POST", "/pay", a, body=b'{"n":1}')
    s2, _, _ = request(port, "replay.test", "POST", "/pay", b, body=b'{"n":2}')
    check(s1 == 200 and s2 == 200, f"replay: two different bodies to one path both pass: {s1} {s2}")

    # A full zone (32 KiB) evicts its oldest entries: 1500 distinct valid requests all pass.
    fails = 0
    t0 = time.monotonic()
    for i in range(1500):
        s, _, _ = request(port, "replay.test", "GET", f"/fill/{i}", signed(k, "GET", f"/fill/{i}"))
        fails += s != 200
    check(fails == 0, f"replay: a full zone never refuses valid traffic ({fails} of 1500 refused)")
    recent = signed(k, "GET", "/fill/1499", created=int(time.time()) - 2)  # another signature
    s, _, _ = request(port, "replay.test", "GET", "/fill/1499", recent)
    check(s == 200, f"replay: a new signature of a recent path is not a replay: {s}")
    print(f"replay: 1500 distinct requests through a 32 KiB zone in {time.monotonic() - t0:.1f}s")

    # --- cached: ;cache issues a cid; the cid stands for the assertion on any worker. ---
    tok = aasign.token(issuer, "i1", "https://issuer.example", "agent@issuer", k, jti="jti-c1", lifetime=600)
    s, h, d = request(port, "cached.test", "GET", "/c", signed(k, "GET", "/c", aasign.jwt(tok, cache=True)))
    skc = h.get("signature-key-cache", "")
    m = re.fullmatch(r'sig="([A-Za-z0-9_-]{22})";jti="jti-c1";expires=(\d+)', skc)
    check(s == 200 and m is not None, f"cached: ;cache answers Signature-Key-Cache: {s} {skc!r} {h.get('signature-error')}")
    if m is None:
        return
    cid, expires = m.group(1), int(m.group(2))
    check(expires <= int(time.time()) + 600, f"cached: expires never after the token's exp: {expires}")
    workers = set()
    for i in range(30):
        s, h, d = request(port, "cached.test", "GET", f"/c{i}", signed(k, "GET", f"/c{i}", aasign.cached(cid)))
        ident = json.loads(d).get("identity", {}) if s == 200 else {}
        if s != 200 or ident.get("x-aauth-agent") != "agent@issuer":
            check(False, f"cached: sig=cached;cid resolves: {s} {h.get('signature-error')} {ident}")
            break
        workers.add(h.get("x-worker"))
        if len(workers) > 1:
            break
    check(len(workers) > 1, f"cached: the cid resolves on every worker: {workers}")
    s, h, _ = request(port, "cached.test", "GET", "/c", signed(k, "GET", "/c", aasign.cached("A" * 22)))
    check(s == 401 and h.get("signature-error") == "error=cache_miss", f"cached: an unknown cid is cache_miss: {s} {h}")
    # Signed by another key than the assertion's cnf: resolves, then fails its own way.
    s, h, _ = request(port, "cached.test", "GET", "/c", signed(aasign.Key(), "GET", "/c", aasign.cached(cid)))
    check(s == 401 and h.get("signature-error") == "error=invalid_signature",
          f"cached: a resolved assertion that fails is not cache_miss: {s} {h.get('signature-error')}")
    s, h, _ = request(port, "rotated.test", "GET", "/c", signed(k, "GET", "/c", aasign.cached(cid)))
    check(s == 401 and h.get("signature-error") not in (None, "error=cache_miss"),
          f"cached: an assertion whose issuer key changed fails as the assertion: {s} {h.get('signature-error')}")

    # A full assertion zone evicts: 300 cached assertions (~1 KB each) through 32 KiB all pass,
    # the newest cid still resolves.
    fails, last = 0, None
    for i in range(300):
        t = aasign.token(issuer, "i1", "https://issuer.example", "agent@issuer", k, jti=f"fill-{i}", lifetime=600)
        s, h, _ = request(port, "cached.test", "GET", "/f", signed(k, "GET", "/f", aasign.jwt(t, cache=True)))
        fails += s != 200
        last = h.get("signature-key-cache", last)
    check(fails == 0, f"cached: a full zone never refuses valid traffic ({fails} of 300)")
    cid2 = re.search(r'"([A-Za-z0-9_-]{22})"', last or "")
    s, h, _ = request(port, "cached.test", "GET", "/f", signed(k, "GET", "/f", aasign.cached(cid2.group(1) if cid2 else "")))
    check(s == 200, f"cached: the newest cid resolves after evictions: {s} {h.get('signature-error')}")
    s, h, _ = request(port, "cached.test", "GET", "/f", signed(k, "GET", "/f", aasign.cached(cid)))
    check(s in (200, 401) and (s == 200 or h.get("signature-error") == "error=cache_miss"),
          f"cached: the oldest cid is evicted (cache_miss) or still there: {s} {h.get('signature-error')}")


if __name__ == "__main__":
    main()
