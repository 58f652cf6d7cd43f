#!/usr/bin/env python3
"""End-to-end tests of ngx_http_aauth_module in a real nginx (Python stdlib only).

    python3 nginx/tests/test_nginx.py            (normally via `make test-nginx`)

Starts Debian's /usr/sbin/nginx (NGINX_BIN) with `load_module` of
build/nginx/ngx_http_aauth_module.so, a prefix under build/nginx-test/ and a generated
configuration, listening on 127.0.0.1 in front of an upstream (a Python http.server in this
process that echoes the identity headers nginx adds). It then:

* replays the shared vectors (tests/vectors/*.json) that a proxy can carry unchanged: each
  group of vectors with the same authority, clock (`aauth_test_now`), profile, scheme list and
  trust store gets a virtual server, selected by Host; verified vectors must reach the
  upstream with the expected identity, rejected ones must get 401 with their Signature-Error;
* checks the module's own behaviour: unsigned requests (`on` and `optional`), unknown keys,
  stale signatures, scheme allowlists (Accept-Signature-Scheme), bodies (Content-Length and
  chunked; larger than client_body_buffer_size), spoofed identity headers, `aauth off`;
* with PYTHON_SIGNER set to a Python that imports aauth_signing (the project venv), signs
  fresh requests for hwk, jwks_uri and jwt against the real clock (nginx/tests/sign.py);
* checks that `nginx -t` rejects bad directives with a clear message;
* checks the access log (log_format with the $aauth_* variables).

Every process started here is stopped on exit (bounded waits; SIGKILL by pid as a last resort).
"""

import base64
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
MODULE = Path(os.environ.get("AAUTH_NGINX_MODULE", ROOT / "build/nginx/ngx_http_aauth_module.so"))
PREFIX = ROOT / "build/nginx-test"
VECTORS = [ROOT / "tests/vectors/signatures.json", ROOT / "tests/vectors/tokens.json"]
PYTHON_SIGNER = os.environ.get("PYTHON_SIGNER", "")

IDENTITY_HEADERS = ["x-aauth-scheme", "x-aauth-agent", "x-aauth-issuer", "x-aauth-kid",
                    "x-aauth-thumbprint"]

failures = []
passes = 0


def check(cond, what):
    global passes
    if cond:
        passes += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Upstream ####################################################################


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers every request with JSON: method, target, identity headers, body length."""

    protocol_version = "HTTP/1.1"

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        out = json.dumps({
            "method": self.command,
            "target": self.path,
            "identity": {h: self.headers.get(h) for h in IDENTITY_HEADERS if self.headers.get(h)},
            "body_len": len(body),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

    def log_message(self, *args):
        pass


# Vectors #####################################################################


def load_cases():
    cases = []
    for f in VECTORS:
        cases += json.loads(f.read_text())["cases"]
    return cases


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def trust_id(case):
    """The identifier the trust store must map to the case's JWKS, or None."""
    req = case["expect"].get("requirement") or {}
    if req.get("scheme") in ("jwt", "self-jwt") and req.get("jwt"):
        try:
            return b64url_json(req["jwt"].split(".")[1]).get("iss")
        except Exception:
            return None
    return req.get("id") or req.get("url") or req.get("jwks")


def why_unusable(case):
    """Why a vector cannot be replayed through nginx unchanged (None: it can)."""
    r = case["request"]
    pol = case.get("policy") or {}
    key = case.get("key") or {}
    if not r["method"].isupper() or not r["method"].isalpha():
        return "nginx refuses non-upper-case methods (400)"
    if any(h.lower() == "host" for h, _ in r["headers"]):
        return "carries Host (the test routes by Host)"
    if key.get("type") == "assertion":
        return "the cached scheme needs an assertion store (the module has none)"
    if set(pol) - {"profile", "schemes", "window", "required_components"}:
        return ("policy member without a directive (label, require_signature_key, base64url, "
                "max_validity, require_query, revoked)")
    if key.get("type") not in ("inline", "jwks", "jwt_issuer"):
        return "caller-supplied raw key or JWK (no Signature-Key): not a trust-store case"
    si = " ".join(v for h, v in r["headers"] if h.lower() == "signature-input")
    if r["scheme"] != "http" and ('"@scheme"' in si or '"@target-uri"' in si):
        return "covers @scheme/@target-uri of an https request (the test listens on http)"
    if any(not all(32 <= ord(ch) < 127 or ch == "\t" for ch in h + v) for h, v in r["headers"]):
        return "non-ASCII header bytes"
    md = key.get("metadata")
    if md is not None:
        tid = trust_id(case)
        named = md.get("issuer", md.get("agent"))
        if named != tid or "jwks_uri" not in md \
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in md["jwks_uri"]) \
                or case["expect"].get("error") in ("issuer_missing", "issuer_mismatch"):
            return "tests the metadata document, which a static trust store does not use"
    if key.get("type") in ("jwks", "jwt_issuer") and trust_id(case) is None \
            and case["expect"]["result"] == "ok":
        return "no identifier to map"
    return None


def body_bytes(r):
    b = r.get("body")
    if b is None:
        return None
    if isinstance(b, dict):
        return base64.b64decode(b["base64"])
    return b.encode()


def target(r):
    return r["path"] + ("?" + r["query"] if r.get("query") is not None else "")


# nginx #######################################################################


class Nginx:
    def __init__(self, conf_text, port):
        self.port = port
        self.proc = None
        self.conf = PREFIX / "conf/nginx.conf"
        self.conf.write_text(conf_text)

    def start(self):
        (PREFIX / "logs/error.log").write_text("")
        (PREFIX / "logs/access.log").write_text("")
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(PREFIX), "-c", str(self.conf), "-e", str(PREFIX / "logs/error.log"),
             "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("nginx exited at start:\n" + self.proc.stderr.read().decode()
                                 + (PREFIX / "logs/error.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit("nginx did not start listening within 10 s")

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        children = []
        try:
            children = [int(x) for x in Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()]
        except OSError:
            pass
        p.send_signal(signal.SIGTERM)  # fast shutdown; the master stops its workers
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            for c in children:  # workers the master could not stop
                try:
                    os.kill(c, signal.SIGKILL)
                except OSError:
                    pass


def nginx_t(conf_text):
    """Runs nginx -t on a configuration; returns (exit status, output)."""
    conf = PREFIX / "conf/t.conf"
    conf.write_text(conf_text)
    p = subprocess.run([NGINX, "-t", "-p", str(PREFIX), "-c", str(conf), "-e", str(PREFIX / "logs/t-error.log")],
                       capture_output=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).decode()


HTTP_HEAD = """
load_module {module};
worker_processes 1;
pid {prefix}/logs/nginx.pid;
events {{ worker_connections 256; }}
"""


def http_conf(servers, upstream_port, listen):
    return HTTP_HEAD.format(module=MODULE, prefix=PREFIX) + f"""
http {{
    error_log {PREFIX}/logs/error.log info;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;

    log_format aauth '$host $status scheme=$aauth_scheme agent=$aauth_agent '
                     'kid=$aauth_kid thumbprint=$aauth_thumbprint error=$aauth_error';
    access_log {PREFIX}/logs/access.log aauth;

    # The verified identity, for the upstream. An empty variable drops the header, so a
    # client cannot smuggle its own X-AAuth-* headers through.
    proxy_set_header X-AAuth-Scheme $aauth_scheme;
    proxy_set_header X-AAuth-Agent $aauth_agent;
    proxy_set_header X-AAuth-Issuer $aauth_issuer;
    proxy_set_header X-AAuth-Kid $aauth_kid;
    proxy_set_header X-AAuth-Thumbprint $aauth_thumbprint;

    server {{
        listen 127.0.0.1:{listen} default_server;
        server_name _;
        return 404;
    }}
{servers}
}}
"""


def server_block(name, directives, locations=None):
    body = "\n".join(f"        {d};" for d in directives)
    locs = locations or f"        location / {{ proxy_pass http://127.0.0.1:{{upstream}}; }}"
    return f"""
    server {{
        listen 127.0.0.1:{{listen}};
        server_name {name};
{body}
{locs}
    }}"""


def request(port, host, method, tgt, headers, body=None, chunked=False, body_later=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.putrequest(method, tgt, skip_host=True, skip_accept_encoding=True)
        c.putheader("Host", host)
        names = {h.lower() for h, _ in headers}
        for h, v in headers:
            c.putheader(h, v)
        if body is not None and chunked:
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            half = len(body) // 2
            for part in (body[:half], body[half:]):
                if part:
                    c.send(b"%x\r\n" % len(part) + part + b"\r\n")
            c.send(b"0\r\n\r\n")
        elif body is not None and body_later:
            # Headers first, the body only once nginx is waiting for it: otherwise nginx may read
            # both at once and keep the whole body in its header buffer (timing-dependent).
            if "content-length" not in names:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders()
            time.sleep(0.3)
            c.send(body)
        else:
            if body is not None and "content-length" not in names:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
        resp = c.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        c.close()


def upstream_identity(data):
    try:
        return json.loads(data)["identity"]
    except (ValueError, KeyError):
        return None


# Tests #######################################################################


ALL_SCHEMES = "aauth_schemes hwk jwks_uri jwks legacy-jwks jwt jkt-jwt self-jwt"


def scheme_directive(schemes):
    names = []
    for s in schemes:
        names += ["jwks", "legacy-jwks"] if s == "jwks" else [s]
    return "aauth_schemes " + " ".join(names)


def main():
    if not Path(NGINX).exists():
        raise SystemExit(f"{NGINX} not found: apt-get install -y nginx (Debian's 1.22.1)")
    if not MODULE.exists():
        raise SystemExit(f"{MODULE} not found: run `make nginx-module`")
    for d in ("conf", "logs", "keys", "tmp"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    upstream.daemon_threads = True
    up_port = upstream.server_address[1]
    threading.Thread(target=upstream.serve_forever, daemon=True).start()

    listen = free_port()
    cases = load_cases()

    # Group usable vectors into virtual servers.
    groups, plan, skipped = {}, [], {}
    key_files = {}
    for case in cases:
        why = why_unusable(case)
        if why:
            skipped.setdefault(why, []).append(case["name"])
            continue
        pol = case.get("policy") or {}
        r = case["request"]
        directives = ["aauth on", f"aauth_authority {r['authority']}",
                      f"aauth_test_now {case['now']}",
                      f"aauth_profile {pol.get('profile', 'strict')}"]
        if "window" in pol:
            directives.append(f"aauth_window {pol['window']}")
        if pol.get("schemes") is not None:
            directives.append(scheme_directive(pol["schemes"]))
        if pol.get("required_components") is not None:
            directives.append("aauth_required_components "
                              + (" ".join(pol["required_components"]) or "-"))
        key = case.get("key") or {}
        tid = trust_id(case)
        if key.get("type") in ("jwks", "jwt_issuer") and tid and "jwks" in key:
            text = json.dumps(key["jwks"], sort_keys=True)
            if text not in key_files:
                path = PREFIX / f"keys/jwks-{len(key_files)}.json"
                path.write_text(text)
                key_files[text] = path
            directives.append(f"aauth_trusted_keys {tid} {key_files[text]}")
        k = tuple(directives)
        if k not in groups:
            groups[k] = f"g{len(groups)}.test"
        plan.append((case, groups[k]))

    # The module's own cases.
    A1 = next(c for c in cases if c["name"] == "hwk-get-a1")
    DIGEST = next(c for c in cases if c["name"] == "aauth-signing-020-hwk-post-digest")
    TAMPERED = next(c for c in cases if c["name"] == "aauth-signing-020-hwk-post-digest-body-tampered")
    JWKS_URI = next(c for c in cases if c["name"] == "aauth-signing-020-jwks-uri-get")
    JWT = next(c for c in cases if c["name"] == "jwt-aauth-signing-020-get")
    now = A1["now"]
    base = ["aauth on", "aauth_authority resource.example", f"aauth_test_now {now}"]
    jwks_file = PREFIX / "keys/agent-example-keys.json"
    # One origin that is both an agent (jwks_uri) and a token issuer (jwt): one JWKS with both.
    jwks_file.write_text(json.dumps({"keys": JWKS_URI["key"]["jwks"]["keys"] + JWT["key"]["jwks"]["keys"]}))
    extra = {
        "unknown.test": base,  # no trust store: every JWKS-based scheme is unknown_key
        "stale.test": ["aauth on", "aauth_authority resource.example", f"aauth_test_now {now + 3600}"],
        "optional.test": ["aauth optional", "aauth_authority resource.example", f"aauth_test_now {now}"],
        "jwtonly.test": base + ["aauth_schemes jwt"],
        "small.test": base + ["client_body_buffer_size 4", ALL_SCHEMES],
        # A trust store next to self-asserted keys: hwk and jkt-jwt must be listed explicitly
        # (without aauth_schemes a trust store refuses them; test_gateway.py pins that).
        "mixed.test": base + [f"aauth_trusted_keys https://agent.example {jwks_file}", ALL_SCHEMES],
    }
    fresh = sign_fresh()
    if fresh:
        fa, fi = PREFIX / "keys/fresh-agent.json", PREFIX / "keys/fresh-issuer.json"
        fa.write_text(json.dumps(fresh["jwks_agent"]))
        fi.write_text(json.dumps(fresh["jwks_issuer"]))
        # The real clock: no aauth_test_now.
        extra["fresh.test"] = ["aauth on", "aauth_authority resource.example",
                               f"aauth_trusted_keys {fresh['agent_id']} {fa}",
                               f"aauth_trusted_keys {fresh['issuer']} {fi}", ALL_SCHEMES]
    servers = "".join(server_block(n, d) for d, n in groups.items())
    servers += "".join(server_block(n, d) for n, d in extra.items())
    servers += server_block("off.test", base, f"""        location / {{ proxy_pass http://127.0.0.1:{{upstream}}; }}
        location /public/ {{ aauth off; proxy_pass http://127.0.0.1:{{upstream}}; }}""")
    conf = http_conf(servers.replace("{upstream}", str(up_port)).replace("{listen}", str(listen)),
                     up_port, listen)

    print(f"vectors: {len(plan)} replayed through nginx in {len(groups)} virtual servers, "
          f"{sum(len(v) for v in skipped.values())} not replayable:")
    for why, names in sorted(skipped.items()):
        print(f"  skip {len(names):3d}: {why}")

    ng = Nginx(conf, listen)
    started = time.monotonic()
    try:
        ng.start()
        print(f"nginx started on 127.0.0.1:{listen} (upstream 127.0.0.1:{up_port})")
        run_vectors(listen, plan)
        run_module_cases(listen, A1, DIGEST, TAMPERED, JWKS_URI, JWT)
        if fresh:
            run_fresh(listen, fresh)
        time.sleep(0.2)  # the access log is written after the response
        run_access_log(A1, JWT)
    finally:
        ng.stop()
        upstream.shutdown()
        upstream.server_close()
    print(f"nginx ran {time.monotonic() - started:.1f}s")

    run_config_tests(jwks_file)

    print(f"\n{passes} checks passed, {len(failures)} failed")
    if failures:
        print("\n".join("  " + f for f in failures))
        print("error log tail:\n" + "\n".join(
            (PREFIX / "logs/error.log").read_text().splitlines()[-20:]))
        sys.exit(1)


def expect_identity(case, ident, name):
    """The identity headers the upstream got must be the vector's expect.identity: the core's
    scheme, agent, issuer and kid, and the thumbprint (an absent field sends no header)."""
    want = case["expect"]["identity"]
    check(ident is not None, f"{name}: upstream answered")
    if ident is None:
        return
    for field in ("scheme", "agent", "issuer", "kid", "thumbprint"):
        got = ident.get("x-aauth-" + field)
        check(got == want[field], f"{name}: {field} {got!r} != {want[field]!r}")


def send_case(port, case, host, **kw):
    r = case["request"]
    return request(port, host, r["method"], target(r), r["headers"], body_bytes(r), **kw)


def run_vectors(port, plan):
    ok = rejected = 0
    for case, host in plan:
        name = "vector " + case["name"]
        status, headers, data = send_case(port, case, host)
        e = case["expect"]
        if e["result"] == "ok":
            check(status == 200, f"{name}: status {status} (want 200) {headers.get('signature-error', '')}")
            if status == 200:
                expect_identity(case, upstream_identity(data), name)
                ok += 1
        else:
            se = headers.get("signature-error", "")
            check(status == 401, f"{name}: status {status} (want 401, {e['error']})")
            check(se.startswith("error=" + e["error"]), f"{name}: Signature-Error {se!r} (want {e['error']})")
            if e["error"] == "unsupported_scheme":
                check("accept-signature-scheme" in headers, f"{name}: Accept-Signature-Scheme missing")
            rejected += 1
    print(f"vectors: {ok} verified and reached the upstream, {rejected} rejected with 401 as expected")


def run_module_cases(port, a1, digest, tampered, jwks_uri, jwt):
    n0 = passes

    # aauth on: an unsigned request is refused. A missing Signature-Input is invalid_signature
    # (SK-09 §5.4.4; invalid_request before the core followed -09).
    s, h, _ = request(port, "mixed.test", "GET", "/api/data", [])
    check(s == 401 and h.get("signature-error") == "error=invalid_signature",
          f"unsigned under on: {s} {h.get('signature-error')}")

    # The trust store: jwks_uri (by id) and jwt (by iss) resolve; hwk needs nothing.
    for case in (jwks_uri, jwt, a1):
        s, h, d = send_case(port, case, "mixed.test")
        check(s == 200, f"mixed.test {case['name']}: {s} {h.get('signature-error')}")
        if s == 200:
            expect_identity(case, upstream_identity(d), "mixed.test " + case["name"])

    # Unknown ids and issuers.
    for case in (jwks_uri, jwt):
        s, h, _ = send_case(port, case, "unknown.test")
        check(s == 401 and h.get("signature-error") == "error=unknown_key",
              f"unknown key {case['name']}: {s} {h.get('signature-error')}")

    # Stale: the clock is an hour ahead of created.
    s, h, _ = send_case(port, a1, "stale.test")
    check(s == 401 and h.get("signature-error") == "error=invalid_signature",
          f"stale: {s} {h.get('signature-error')}")

    # Scheme allowlist: hwk is refused with Accept-Signature-Scheme.
    s, h, _ = send_case(port, a1, "jwtonly.test")
    check(s == 401 and h.get("signature-error") == "error=unsupported_scheme"
          and h.get("accept-signature-scheme") == "jwt",
          f"scheme allowlist: {s} {h.get('signature-error')} {h.get('accept-signature-scheme')}")

    # optional: unsigned passes unmarked, and spoofed identity headers do not reach the upstream.
    s, h, d = request(port, "optional.test", "GET", "/x",
                      [("X-AAuth-Agent", "spoofed"), ("X-AAuth-Scheme", "jwt")])
    check(s == 200 and upstream_identity(d) == {}, f"optional unsigned: {s} {d[:200]!r}")
    s, h, d = send_case(port, a1, "optional.test")
    check(s == 200 and (upstream_identity(d) or {}).get("x-aauth-scheme") == "hwk",
          f"optional signed: {s} {d[:200]!r}")
    s, h, _ = send_case(port, tampered, "optional.test")
    check(s == 401, f"optional tampered: {s}")

    # Spoofed identity headers on a verified request are replaced by the verified values.
    r = a1["request"]
    s, h, d = request(port, "mixed.test", r["method"], target(r),
                      r["headers"] + [("X-AAuth-Agent", "spoofed"), ("X-AAuth-Kid", "spoofed")])
    ident = upstream_identity(d) or {}
    check(s == 200 and "x-aauth-agent" not in ident and "x-aauth-kid" not in ident,
          f"spoofed headers on hwk: {s} {ident}")

    # Bodies: Content-Length and chunked; tampered; larger than client_body_buffer_size.
    for chunked in (False, True):
        s, h, d = send_case(port, digest, "mixed.test", chunked=chunked)
        check(s == 200 and json.loads(d)["body_len"] == len(body_bytes(digest["request"])),
              f"digest body chunked={chunked}: {s} {h.get('signature-error')}")
        s, h, _ = send_case(port, tampered, "mixed.test", chunked=chunked)
        check(s == 401 and h.get("signature-error") == "error=" + tampered["expect"]["error"],
              f"tampered body chunked={chunked}: {s} {h.get('signature-error')}")
    # A body larger than client_body_buffer_size goes to nginx's temporary file; the digest is
    # computed as it arrives (the module once answered 413 here).
    s, h, d = send_case(port, digest, "small.test", body_later=True)
    check(s == 200 and json.loads(d)["body_len"] == len(body_bytes(digest["request"])),
          f"body beyond client_body_buffer_size: {s} {h.get('signature-error')}")

    # Finding 1 (critical): a self-issued jkt-jwt whose kid carries CRLF and a header line
    # verified, and `proxy_set_header X-AAuth-Kid $aauth_kid` wrote both lines upstream. The
    # core now refuses control characters in identity text: 401, nothing reaches the upstream.
    for name in ("jkt-jwt-kid-crlf", "jkt-jwt-kid-smuggled-request"):
        crlf = next(c for c in load_cases() if c["name"] == name)
        s, h, d = send_case(port, crlf, "mixed.test")
        check(s == 401 and h.get("signature-error") == "error=invalid_jwt"
              and b"admin.example" not in d and b"DELETE" not in d,
              f"{name}: {s} {h.get('signature-error')} {d[:200]!r}")

    # aauth off in a location.
    s, h, d = request(port, "off.test", "GET", "/public/x", [])
    check(s == 200, f"aauth off location: {s}")
    s, h, d = request(port, "off.test", "GET", "/private", [])
    check(s == 401, f"aauth on next to an off location: {s}")
    print(f"module cases: {passes - n0} checks passed")


def sign_fresh():
    """Keys and requests signed now by aauth-signing (nginx/tests/sign.py), or None."""
    if not PYTHON_SIGNER:
        print("fresh signing: SKIPPED (no PYTHON_SIGNER: a Python with aauth_signing)")
        return None
    probe = subprocess.run([PYTHON_SIGNER, "-c", "import aauth_signing"], capture_output=True,
                           timeout=60)
    if probe.returncode != 0:
        print(f"fresh signing: SKIPPED ({PYTHON_SIGNER} cannot import aauth_signing)")
        return None
    p = subprocess.run([PYTHON_SIGNER, str(Path(__file__).with_name("sign.py")), "resource.example"],
                       capture_output=True, timeout=60, check=True)
    return json.loads(p.stdout)


def run_fresh(port, fresh):
    """Requests signed by aauth-signing just now, verified against the real clock."""
    n0 = passes
    for r in fresh["requests"]:
        name = "fresh " + r["name"]
        body = r["body"].encode() if r["body"] is not None else None
        s, h, d = request(port, "fresh.test", r["method"], r["target"], r["headers"], body)
        check(s == 200, f"{name}: {s} {h.get('signature-error')}")
        ident = upstream_identity(d) if s == 200 else None
        if ident is not None:
            e = r["expect"]
            check(ident.get("x-aauth-scheme") == e["scheme"], f"{name}: scheme {ident}")
            check(ident.get("x-aauth-thumbprint") == e["thumbprint"], f"{name}: thumbprint {ident}")
            # The core's identity: what the signer left out (hwk has no agent) sends no header.
            for k in ("agent", "issuer", "kid"):
                check(ident.get("x-aauth-" + k) == e.get(k), f"{name}: {k} {ident}")
        # Tampered: another path.
        s, h, _ = request(port, "fresh.test", r["method"], r["target"].replace("fresh", "fresh2"),
                          r["headers"], body)
        check(s == 401 and h.get("signature-error") == "error=invalid_signature",
              f"{name} tampered: {s} {h.get('signature-error')}")
    print(f"fresh signing (aauth-signing, real clock): {passes - n0} checks passed")


def run_access_log(a1, jwt):
    log = (PREFIX / "logs/access.log").read_text().splitlines()
    tp = a1["expect"]["thumbprint"]
    check(any(l.startswith("mixed.test 200 scheme=hwk ") and f"thumbprint={tp}" in l for l in log),
          "access log: hwk identity line")
    sub = jwt["expect"]["token"]["sub"]
    check(any(l.startswith("mixed.test 200 scheme=jwt ") and f"agent={sub} " in l
              and f"kid={jwt['expect']['kid']} " in l for l in log),
          "access log: jwt identity line")
    check(any(l.startswith("unknown.test 401 ") and l.endswith("error=unknown_key") for l in log),
          "access log: unknown_key line")
    check(any(l.startswith("optional.test 200 scheme=- agent=- ") and l.endswith("error=-") for l in log),
          "access log: unsigned optional line is unmarked")
    print("access log, e.g.:\n  " + "\n  ".join(
        [l for l in log if l.startswith("mixed.test 200 scheme=j")][:2]
        + [l for l in log if l.startswith("mixed.test 200 scheme=hwk")][:1]
        + [l for l in log if l.startswith("unknown.test 401")][:1]))


def run_config_tests(jwks_file):
    not_jwks = PREFIX / "keys/not-jwks.json"
    not_jwks.write_text('["just", "a", "list"]')
    big = PREFIX / "keys/big.json"
    big.write_text('{"keys": []}' + " " * 20000)

    def conf(directives):
        return HTTP_HEAD.format(module=MODULE, prefix=PREFIX) + (
            "http { access_log off; server { listen 127.0.0.1:1; "
            + " ".join(d + ";" for d in directives) + " } }")

    good = ["aauth on", "aauth_authority resource.example", "aauth_window 30s",
            "aauth_profile compat", "aauth_schemes hwk jwks_uri jwt",
            "aauth_required_components @method @authority @path signature-key content-digest",
            f"aauth_trusted_keys https://agent.example {jwks_file}"]
    rc, out = nginx_t(conf(good))
    check(rc == 0, f"nginx -t accepts a good configuration: {out}")

    bad = [
        (["aauth maybe"], 'invalid value "maybe"'),
        (["aauth on"], 'needs "aauth_authority"'),
        (["aauth_authority resource.example/x"], 'invalid authority "resource.example/x"'),
        (["aauth_profile lax"], 'invalid value "lax"'),
        (["aauth_window soon"], '"aauth_window" directive invalid value'),
        (["aauth_schemes hwk x509"], 'unknown scheme "x509"'),
        (["aauth_required_components @method @bogus"], 'invalid component "@bogus"'),
        (["aauth_required_components @method Content-Type"], 'invalid component "Content-Type"'),
        (["aauth_trusted_keys https://a.example /nonexistent/jwks.json"], '"/nonexistent/jwks.json" failed'),
        ([f"aauth_trusted_keys https://a.example {not_jwks}"], "is not a JWKS"),
        ([f"aauth_trusted_keys https://a.example {big}"], "expected 1 to 16384"),
        ([f"aauth_trusted_keys https://a.example {jwks_file}",
          f"aauth_trusted_keys https://a.example {jwks_file}"], 'duplicate identifier "https://a.example"'),
        (["aauth_test_now yesterday"], "needs a number"),
        (["aauth on on"], "invalid number of arguments"),
    ]
    for directives, msg in bad:
        rc, out = nginx_t(conf(directives))
        check(rc != 0 and msg in out, f"nginx -t rejects {directives}: want {msg!r}, got rc={rc} {out.strip()}")
    print(f"nginx -t: 1 good configuration accepted, {len(bad)} bad ones rejected with their message")

    # The root README's nginx block, as shown (with this build's module path and a pid file of
    # the test prefix): issue 13, every README block runs.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## nginx\n"):]
    block = section[section.index("```nginx\n") + 9:section.index("\n```", section.index("```nginx\n"))]
    check("load_module /usr/lib/nginx/modules/ngx_http_aauth_module.so;" in block,
          "the README block loads the module from Debian's path")
    conf_text = block.replace("/usr/lib/nginx/modules/ngx_http_aauth_module.so", str(MODULE))
    conf_text = f"pid {PREFIX}/logs/readme.pid;\n" + conf_text
    rc, out = nginx_t(conf_text)
    check(rc == 0, f"nginx -t accepts the README's configuration: {out}")


if __name__ == "__main__":
    # A signal ends the run through the finally blocks (processes stopped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
