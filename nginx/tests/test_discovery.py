#!/usr/bin/env python3
"""Discovery through nginx's own upstream machinery (issue 16).

    .venv/bin/python nginx/tests/test_discovery.py      (normally via `make test-nginx`)

Signers are real HTTP servers on 127.0.0.1 serving `/.well-known/aauth-agent` and a JWKS and
counting every GET; a counting listener proves that a refused destination gets no connection;
a small DNS server on 127.0.0.1 answers for the names used. nginx (two workers) fetches
through `location = /_aauth_fetch { internal; proxy_pass $aauth_fetch_url; }`.
"""

import http.server
import json
import random
import socket
import socketserver
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aasign  # noqa: E402
import test_nginx as base  # noqa: E402
from test_gateway import AUTH, error_log, signed  # noqa: E402
from test_nginx import MODULE, PREFIX, Nginx, check, free_port, request  # noqa: E402


class Signer:
    """An agent's server: metadata, JWKS, GET counts; `mode` makes it misbehave."""

    def __init__(self, mode="good", host="127.0.0.1", max_age=300, legacy=False):
        self.mode, self.max_age, self.legacy = mode, max_age, legacy
        self.keys = {"k1": aasign.Key()}
        self.issuer_key = aasign.Key()
        self.gets = {"metadata": 0, "jwks": 0}
        signer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                signer.handle(self)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.id = f"http://{host}:{self.port}"
        self.seen_headers = []
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def jwks(self):
        return {"keys": [k.jwk(kid=kid) for kid, k in self.keys.items()]
                + [self.issuer_key.jwk(kid="iss-1")]}

    def handle(self, h):
        try:
            self.serve(h)
        except (BrokenPipeError, ConnectionResetError):
            pass    # nginx cut a misbehaving response off: expected

    def serve(self, h):
        self.seen_headers.append(dict(h.headers))
        if h.path.startswith("/.well-known/"):
            self.gets["metadata"] += 1
            body = json.dumps({"agent" if self.legacy else "issuer": self.id,
                               "jwks_uri": self.id + "/jwks.json"}).encode()
        elif h.path == "/jwks.json":
            self.gets["jwks"] += 1
            body = json.dumps(self.jwks()).encode()
        else:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if self.mode == "big":
            body = b'{"issuer": "' + b"x" * (1024 * 1024) + b'"}'
        elif self.mode == "notjson":
            body = b"<html>not json</html>"
        elif self.mode == "redirect":
            h.send_response(302)
            h.send_header("Location", "http://127.0.0.1:1/elsewhere")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Cache-Control", f"max-age={self.max_age}")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if self.mode == "slow":
            for b in body:
                h.wfile.write(bytes([b]))
                h.wfile.flush()
                time.sleep(0.3)
            return
        h.wfile.write(body)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Counter:
    """A listener that counts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            c.close()


class DNS(socketserver.ThreadingUDPServer):
    """A minimal A-record server on 127.0.0.1 (names -> 127.0.0.1) for nginx's resolver."""

    def __init__(self, names):
        self.names = names
        super().__init__(("127.0.0.1", 0), DNSHandler)


class DNSHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        tid, flags, qd = struct.unpack("!HHH", data[:6])
        i, labels = 12, []
        while data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode())
            i += 1 + data[i]
        qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
        question = data[12:i + 5]
        name = ".".join(labels)
        addr = self.server.names.get(name)
        answers = b""
        if addr and qtype == 1:
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(addr)
        rcode = 0 if name in self.server.names else 3
        hdr = struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
        sock.sendto(hdr + question + answers, self.client_address)


FETCH_LOCATION = """
        location = /_aauth_fetch {
            internal;
            proxy_pass $aauth_fetch_url;
            proxy_set_header Host $aauth_fetch_host;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_set_header Accept application/json;
            proxy_next_upstream off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 2s;
            proxy_buffer_size 8k;
            subrequest_output_buffer_size 20k;
        }"""


def conf(servers, up_port, listen, dns_port):
    return f"""
load_module {MODULE};
worker_processes 2;
pid {PREFIX}/logs/nginx.pid;
events {{ worker_connections 512; accept_mutex off; }}
http {{
    error_log {PREFIX}/logs/error.log info;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;
    access_log off;
    aauth_discovery_zone disc 1m;
    resolver 127.0.0.1:{dns_port} ipv6=off valid=5s;
    resolver_timeout 2s;
    proxy_set_header X-AAuth-Agent $aauth_agent;
    proxy_set_header X-AAuth-Scheme $aauth_scheme;
    add_header X-AAuth-Error $aauth_error always;
    server {{
        listen 127.0.0.1:{listen} default_server;
        return 404;
    }}
{servers}
}}
""".replace("{upstream}", str(up_port)).replace("{listen}", str(listen))


def server(name, directives):
    body = "\n".join(f"        {d};" for d in directives)
    return f"""
    server {{
        listen 127.0.0.1:{{listen}};
        server_name {name};
{body}
        location / {{ proxy_pass http://127.0.0.1:{{upstream}}; }}
{FETCH_LOCATION}
    }}"""


def main():
    for d in ("conf", "logs", "keys", "tmp"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)
    upstream = base.http.server.ThreadingHTTPServer(("127.0.0.1", 0), base.Echo)
    upstream.daemon_threads = True
    base.threading.Thread(target=upstream.serve_forever, daemon=True).start()
    listen = free_port()

    good, rot, dies, stale, rekey = Signer(), Signer(), Signer(), Signer(max_age=1), Signer()
    bad = {m: Signer(mode=m) for m in ("big", "slow", "notjson", "redirect")}
    legacy = Signer(legacy=True)
    counter = Counter()
    dns = DNS({"signer.test": "127.0.0.1", "evil.test": "127.0.0.1"})
    threading.Thread(target=dns.serve_forever, daemon=True).start()
    named = Signer(host="signer.test")

    listed = [good, rot, dies, stale, legacy, named, rekey] + list(bad.values())
    allow = " ".join(f"127.0.0.1:{s.port}" for s in listed) + f" signer.test:{named.port}"
    common = ["aauth on", f"aauth_authority {AUTH}", "aauth_discovery /_aauth_fetch",
              f"aauth_discovery_allow {allow}", f"aauth_discovery_http {allow}",
              "aauth_discovery_refetch_interval 2s", "aauth_discovery_timeout 2s"]
    servers = "".join([
        server("disc.test", common + ["aauth_schemes jwks_uri jwks jwt"]),
        server("stale.test", common + ["aauth_schemes jwks_uri", "aauth_discovery_ttl 1s 1s"]),
        server("legacy.test", common + ["aauth_profile compat"]),
        server("observe.test", [c.replace("aauth on", "aauth observe") for c in common]),
        # Everything allowed, nothing listed: loopback destinations are refused by egress.
        server("open.test", ["aauth on", f"aauth_authority {AUTH}", "aauth_discovery /_aauth_fetch",
                             "aauth_discovery_allow *", "aauth_schemes jwks_uri"]),
    ])
    ng = Nginx(conf(servers, upstream.server_address[1], listen, dns.server_address[1]), listen)
    n0 = base.passes
    try:
        ng.start()
        run(listen, good, rot, dies, stale, bad, legacy, named, counter, rekey)
    finally:
        ng.stop()
        upstream.shutdown()
        for s in [good, rot, stale, legacy, named, rekey] + list(bad.values()):
            try:
                s.stop()
            except Exception:
                pass
        dns.shutdown()
    config_tests()
    print(f"discovery: {base.passes - n0} checks passed, {len(base.failures)} failed")
    if base.failures:
        print("\n".join("  " + f for f in base.failures))
        print("error log tail:\n" + "\n".join(error_log().decode("utf-8", "replace").splitlines()[-25:]))
        sys.exit(1)


def req_jwks_uri(port, host, signer, kid="k1", key=None, path="/d"):
    key = key or signer.keys.get(kid) or aasign.Key()
    return request(port, host, "GET", path, signed(key, "GET", path, aasign.jwks_uri(signer.id, kid)))


def run(port, good, rot, dies, stale, bad, legacy, named, counter, rekey):
    # --- 20 concurrent cold requests from one signer: one metadata GET, one JWKS GET. ---
    with ThreadPoolExecutor(20) as ex:
        results = list(ex.map(lambda i: req_jwks_uri(port, "disc.test", good, path=f"/d{i}"), range(20)))
    ok = sum(1 for s, _, _ in results if s == 200)
    check(ok == 20 and good.gets == {"metadata": 1, "jwks": 1},
          f"discovery: 20 concurrent cold requests -> one metadata and one JWKS GET: {ok} ok, {good.gets}, "
          f"{[h.get('signature-error') for s, h, _ in results if s != 200][:3]}")
    for i in range(20):
        s, h, d = req_jwks_uri(port, "disc.test", good, path=f"/w{i}")
        if s != 200:
            break
    ident = (json.loads(d).get("identity") if s == 200 else {}) or {}
    check(s == 200 and good.gets == {"metadata": 1, "jwks": 1} and ident.get("x-aauth-agent") == good.id,
          f"discovery: 20 warm requests, no more GETs: {s} {good.gets} {ident}")
    hdrs = good.seen_headers[0] if good.seen_headers else {}
    check(not any(k.lower().startswith("signature") for k in hdrs) and hdrs.get("Host") == f"127.0.0.1:{good.port}",
          f"discovery: the fetch carries no client header, Host is the signer's: {hdrs}")

    # jwt with issuer discovery: the token's iss is the signer, its kid the issuer key.
    agent = aasign.Key()
    tok = aasign.token(good.issuer_key, "iss-1", good.id, "agent@good", agent)
    s, h, d = request(port, "disc.test", "GET", "/t", signed(agent, "GET", "/t", aasign.jwt(tok)))
    check(s == 200 and (json.loads(d).get("identity") or {}).get("x-aauth-agent") == "agent@good",
          f"discovery: jwt with issuer discovery: {s} {h.get('signature-error')}")
    # The jwks scheme (a JWKS URL, no metadata) from the same origin.
    k1 = good.keys["k1"]
    s, h, _ = request(port, "disc.test", "GET", "/j", signed(k1, "GET", "/j", aasign.jwks_url(good.id + "/jwks.json", "k1")))
    check(s == 200, f"discovery: the jwks scheme: {s} {h.get('signature-error')}")

    # --- Rotation: a new kid refetches once (after the per-signer interval). ---
    s, _, _ = req_jwks_uri(port, "disc.test", rot)
    base_gets = dict(rot.gets)
    rot.keys["k2"] = aasign.Key()
    time.sleep(2.2)
    results = [req_jwks_uri(port, "disc.test", rot, kid="k2", path=f"/r{i}")[0] for i in range(5)]
    check(s == 200 and results == [200] * 5 and rot.gets["jwks"] == base_gets["jwks"] + 1,
          f"discovery: rotation refetches once: {results} {base_gets} -> {rot.gets}")

    # --- Silent re-keying: the same kid, a new key. The cached key fails, the library says a
    # refetch may cure it, one refetch does. ---
    s0, _, _ = req_jwks_uri(port, "disc.test", rekey)
    g0 = dict(rekey.gets)
    rekey.keys["k1"] = aasign.Key()
    time.sleep(2.2)
    s1, h1, _ = req_jwks_uri(port, "disc.test", rekey, path="/rk1")
    s2, h2, _ = req_jwks_uri(port, "disc.test", rekey, path="/rk2")
    check(s0 == 200 and s1 == 200 and s2 == 200 and rekey.gets["jwks"] == g0["jwks"] + 1,
          f"discovery: a cached key that fails refetches once: {s0} {s1} {s2} {g0} -> {rekey.gets}")
    # The old key now fails without another refetch (within the interval).
    s3, h3, _ = req_jwks_uri(port, "disc.test", rekey, key=aasign.Key(), path="/rk3")
    check(s3 == 401 and rekey.gets["jwks"] == g0["jwks"] + 1,
          f"discovery: and a failing key within the interval does not refetch: {s3} {rekey.gets}")

    # --- A flood of random kids refetches at most once per interval. ---
    time.sleep(2.2)
    before = rot.gets["jwks"]
    t0 = time.monotonic()
    statuses = [req_jwks_uri(port, "disc.test", rot, kid=f"rnd-{random.random()}", path=f"/f{i}")[0]
                for i in range(50)]
    dt = time.monotonic() - t0
    check(all(s == 401 for s in statuses) and rot.gets["jwks"] - before <= 1 + int(dt / 2),
          f"discovery: 50 random kids in {dt:.1f}s -> {rot.gets['jwks'] - before} refetches")

    # Finding 6 (log escaping) where the module quotes a request-chosen text itself: an unknown
    # kid with quotes is logged as \xHH, never raw.
    req_jwks_uri(port, "disc.test", good, kid="refetch-now", key=aasign.Key())  # uses the refetch
    mark = len(error_log())
    s, h, _ = req_jwks_uri(port, "disc.test", good, kid='x\\" forged=\\"1', key=aasign.Key())
    time.sleep(0.2)
    logged = error_log()[mark:]
    check(s == 401 and b'x\\x22 forged=\\x221' in logged and b'x" forged="1' not in logged,
          f"finding 6: a kid is logged escaped: {s} {logged[-300:]!r}")

    # --- Egress: a signer outside the allowlist gets no connection. ---
    outside = type("S", (), {"id": f"http://127.0.0.1:{counter.port}", "keys": {}})
    s, h, _ = req_jwks_uri(port, "disc.test", outside)
    check(s == 401 and h.get("signature-error") == "error=unknown_key" and counter.count == 0,
          f"egress: a signer outside aauth_discovery_allow: {s} {h.get('signature-error')}, {counter.count} connections")
    for sid in (f"https://127.0.0.1:{counter.port}", f"http://127.0.0.1:{counter.port}",
                f"https://evil.test:{counter.port}", "https://[::1]", "https://10.0.0.1"):
        o = type("S", (), {"id": sid, "keys": {}})
        s, h, _ = req_jwks_uri(port, "open.test", o)
        check(s == 401 and h.get("signature-error") == "error=unknown_key",
              f"egress: {sid} refused (loopback/private/http not listed): {s} {h.get('signature-error')}")
    time.sleep(0.3)
    check(counter.count == 0, f"egress: no connection was made to a refused destination: {counter.count}")

    # A listed name: resolved by the module (nginx's resolver), pinned, Host kept.
    s, h, _ = req_jwks_uri(port, "disc.test", named)
    hdrs = named.seen_headers[0] if named.seen_headers else {}
    check(s == 200 and hdrs.get("Host") == f"signer.test:{named.port}",
          f"egress: a listed name is resolved and fetched with its Host: {s} {h.get('signature-error')} {hdrs.get('Host')}")

    # --- The signer's server killed after warm-up: the cache keeps verifying. ---
    s, _, _ = req_jwks_uri(port, "disc.test", dies)
    dies.stop()
    results = [req_jwks_uri(port, "disc.test", dies, path=f"/k{i}")[0] for i in range(10)]
    check(s == 200 and results == [200] * 10, f"discovery: the signer down after warm-up: {s} {results}")

    # --- Stale-on-error: keys past their TTL, the refresh fails, the last good keys serve. ---
    s, _, _ = req_jwks_uri(port, "stale.test", stale)
    stale.stop()
    time.sleep(2.5)
    mark = len(error_log())
    s2, h2, _ = req_jwks_uri(port, "stale.test", stale, path="/s2")
    time.sleep(0.2)
    check(s == 200 and s2 == 200 and b"discovery of" in error_log()[mark:],
          f"discovery: stale keys serve while the refresh fails: {s} {s2} {h2.get('signature-error')}")

    # --- Documents that misbehave: a clear refusal, logged; nginx unaffected. ---
    for mode, want, log in (("big", "error=unknown_key", b"larger than"),
                            ("slow", "error=unknown_key", b"timed out"),
                            ("notjson", "error=invalid_key", b"refused"),
                            ("redirect", "error=unknown_key", b"redirects are not followed")):
        mark = len(error_log())
        t0 = time.monotonic()
        s, h, _ = req_jwks_uri(port, "disc.test", bad[mode])
        dt = time.monotonic() - t0
        time.sleep(0.2)
        logged = error_log()[mark:]
        check(s == 401 and h.get("signature-error") == want and log in logged and dt < 6,
              f"discovery: a {mode} document: {s} {h.get('signature-error')} in {dt:.1f}s, "
              f"logged: {log in logged} {logged[-300:]!r}")
    s, _, _ = req_jwks_uri(port, "disc.test", good, path="/after")
    check(s == 200, f"discovery: nginx unaffected after bad documents: {s}")

    # --- Legacy jwks with id (compat): the January 2026 demo's form and metadata. ---
    lk = legacy.keys["k1"]
    s, h, d = request(port, "legacy.test", "GET", "/l",
                      signed(lk, "GET", "/l", aasign.legacy_jwks(legacy.id, "k1")))
    check(s == 200, f"discovery: legacy jwks with id: {s} {h.get('signature-error')}")

    # --- observe: a bad request goes through, $aauth_error set. ---
    s, h, _ = request(port, "observe.test", "GET", "/o", [])
    check(s == 200 and h.get("x-aauth-error") == "invalid_signature", f"observe: {s} {h.get('x-aauth-error')}")


def config_tests():
    def t(directives, zone=True):
        http = ("aauth_discovery_zone dz 1m; " if zone else "")
        return base.HTTP_HEAD.format(module=MODULE, prefix=PREFIX) + (
            f"http {{ access_log off; {http} server {{ listen 127.0.0.1:1; "
            + " ".join(d + ";" for d in directives) + " } }")

    on = ["aauth on", f"aauth_authority {AUTH}", "aauth_discovery /_aauth_fetch"]
    rc, out = base.nginx_t(t(on + ["aauth_discovery_allow *.example.com 127.0.0.1:8000"]))
    check(rc == 0, f"nginx -t: a good discovery configuration: {out}")
    for directives, zone, msg in (
            (on + ["aauth_discovery_allow https://a.example"], True, '"aauth_discovery_allow": invalid pattern "https://a.example"'),
            (on + ["aauth_discovery_allow *", "aauth_discovery_http A.example"], True, '"aauth_discovery_http": invalid pattern'),
            (on + ["aauth_discovery_allow *", "aauth_discovery_ttl 1h 5m"], True, '"aauth_discovery_ttl": invalid ttl'),
            (on + ["aauth_discovery_allow *"], False, '"aauth_discovery" needs "aauth_discovery_zone"'),
            (on, True, '"aauth_discovery" needs "aauth_discovery_allow"'),
            (["aauth_discovery fetch"], True, '"aauth_discovery": invalid location "fetch"')):
        rc, out = base.nginx_t(t(directives, zone))
        check(rc != 0 and msg in out, f"nginx -t refuses {directives}: want {msg!r}, got {out.strip()}")


if __name__ == "__main__":
    main()
