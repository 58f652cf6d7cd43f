#!/usr/bin/env python3
"""The original demo's flow through nginx: backend -> nginx gateway (ngx_http_aauth_module,
discovering the backend's keys) -> agent (verifying again with the wheel's AsyncResolver).

    .venv/bin/python nginx/demo/demo.py      (normally via `make demo-nginx`, part of `make demo`)

* backend (127.0.0.1, a Python http.server): publishes `/.well-known/aauth-agent` and
  `/jwks.json` (request key `backend-ephemeral-1`, token issuer key `as-1`), prints an access-log
  line for every GET, and calls the agent through the gateway with the January 2026 legacy form
  `sig1=(scheme=jwks id="http://127.0.0.1:…" kid="backend-ephemeral-1")` (signed field by field
  here: aauth-signing no longer writes it), and the current `jwks_uri` and `jwt` forms (signed
  with aauth-signing);
* gateway: Debian's nginx with the module (prefix build/nginx-demo/), profile `compat` (for the
  legacy form), no trust store: `aauth_discovery` fetches the backend's metadata document and
  JWKS through an internal location, once per cache lifetime, and logs scheme, agent and the
  `Signature-Key` it verified;
* agent: Starlette behind the gateway with aauth-verify's `AAuthMiddleware`, `Verifier` and
  `AsyncResolver` (plain HTTP allowed to the backend only): it verifies every request again,
  fetching the same documents on its own, once.

Exit status 0 iff every call ended as expected and each document was fetched once per
verifier.
"""

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

import uvicorn
from aauth_signing import sign_request
from aauth_signing.keys.jwk import public_key_to_jwk
from aauth_signing.tokens.common import encode_jwt
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "nginx/tests"))

import aasign  # noqa: E402
from aauth_verify import Verifier  # noqa: E402
from aauth_verify.middleware import AAuthMiddleware  # noqa: E402
from aauth_verify.resolver import AsyncResolver  # noqa: E402

NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
MODULE = ROOT / "build/nginx/ngx_http_aauth_module.so"
PREFIX = ROOT / "build/nginx-demo"
AUTHORITY = "supply-chain-agent.localhost:3000"  # the agent's canonical authority, as in the demo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BACKEND_PORT = free_port()
BACKEND = f"http://127.0.0.1:{BACKEND_PORT}"
request_key = aasign.Key()          # the backend's ephemeral request key
issuer_key = aasign.Key()           # its agent-token issuer key
JWKS = {"keys": [request_key.jwk(kid="backend-ephemeral-1"), issuer_key.jwk(kid="as-1")]}
backend_log = []


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path in ("/.well-known/aauth-agent", "/.well-known/aauth-agent.json"):
            body = json.dumps({"issuer": BACKEND, "jwks_uri": BACKEND + "/jwks.json"}).encode()
        elif self.path == "/jwks.json":
            body = json.dumps(JWKS).encode()
        else:
            body = b""
        status = 200 if body else 404
        who = "agent (AsyncResolver)" if self.headers.get("User-Agent") else "gateway (nginx subrequest)"
        backend_log.append((self.path, who))
        print(f"  backend access: \"GET {self.path}\" {status} {len(body)} from the {who}", flush=True)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=600")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


agent_log = {}


async def task(request: Request) -> JSONResponse:
    who = request.state.aauth
    agent_log[request.headers.get("x-demo-call")] = (
        f"agent (AsyncResolver): verified again: scheme={who.scheme} agent={who.agent} kid={who.kid}; "
        f"gateway said scheme={request.headers.get('x-aauth-scheme')} agent={request.headers.get('x-aauth-agent')}")
    return JSONResponse({"ok": True})


def conf(listen, agent_port):
    return f"""
load_module {MODULE};
worker_processes 1;
pid {PREFIX}/logs/nginx.pid;
events {{ worker_connections 64; }}
http {{
    error_log {PREFIX}/logs/error.log notice;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;
    log_format aauth '[$http_x_demo_call] "$request" $status scheme=$aauth_scheme '
                     'agent=$aauth_agent kid=$aauth_kid error=$aauth_error '
                     'signature-key="$aauth_signature_key"';
    aauth_discovery_zone demo_keys 1m;
    server {{
        listen 127.0.0.1:{listen};
        access_log {PREFIX}/logs/access.log aauth;
        aauth on;
        aauth_authority {AUTHORITY};
        aauth_profile compat;
        aauth_discovery /_aauth_fetch;
        aauth_discovery_allow 127.0.0.1:{BACKEND_PORT};
        aauth_discovery_http 127.0.0.1:{BACKEND_PORT};
        location / {{
            proxy_set_header X-AAuth-Scheme $aauth_scheme;
            proxy_set_header X-AAuth-Agent $aauth_agent;
            proxy_pass http://127.0.0.1:{agent_port};
        }}
        location = /_aauth_fetch {{
            internal;
            proxy_pass $aauth_fetch_url;
            proxy_set_header Host $aauth_fetch_host;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_next_upstream off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 2s;
            subrequest_output_buffer_size 20k;
        }}
    }}
}}
"""


def headers_for(name, method, path, scheme, body):
    """The backend's signed headers for one call (X-Demo-Call names it in the logs)."""
    url = f"http://{AUTHORITY}{path}"
    if scheme == "legacy":
        comps = ["@method", "@authority", "@path", "signature-key"]
        if body is not None:
            comps += ["content-digest"]
        return aasign.sign(request_key, method, AUTHORITY, path,
                           aasign.legacy_jwks(BACKEND, "backend-ephemeral-1"), body=body, components=comps)
    sk = request_key.sk
    if scheme == "jwks_uri":
        kw = {"id": BACKEND, "dwk": "aauth-agent.json", "kid": "backend-ephemeral-1"}
    else:
        # aauth-signing's create_agent_token refuses an http issuer; encode_jwt does not.
        now = int(time.time())
        claims = {"iss": BACKEND, "sub": "aauth:backend@127.0.0.1", "dwk": "aauth-agent.json",
                  "jti": f"demo-{now}", "iat": now, "exp": now + 600,
                  "cnf": {"jwk": public_key_to_jwk(sk.public_key())}}
        kw = {"jwt": encode_jwt(claims, issuer_key.sk, "as-1", "aa-agent+jwt")}
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    extra = ["content-type", "content-digest"] if body is not None else None
    hdrs.update(sign_request(method, url, hdrs, body, sk, sig_scheme=scheme,
                             additional_signature_components=extra, **kw))
    return list(hdrs.items())


def call(port, name, method, path, scheme, body=None, tamper=False):
    hdrs = headers_for(name, method, path, scheme, body) if scheme else []
    if tamper:
        body = body.replace(b"1", b"2")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for h, v in hdrs + [("X-Demo-Call", name)]:
            c.putheader(h, v)
        if body is not None and not any(h.lower() == "content-length" for h, _ in hdrs):
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Signature-Error")
    finally:
        c.close()


def main():
    for d in ("conf", "logs", "tmp"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)
    (PREFIX / "logs/access.log").write_text("")

    backend = http.server.ThreadingHTTPServer(("127.0.0.1", BACKEND_PORT), Backend)
    backend.daemon_threads = True
    threading.Thread(target=backend.serve_forever, daemon=True).start()

    agent_port = free_port()
    verifier = Verifier(authority=AUTHORITY, scheme="http", profile="compat",
                        resolver=AsyncResolver(allow_http_hosts=[f"127.0.0.1:{BACKEND_PORT}"],
                                               trusted=[BACKEND]))
    agent_app = Starlette(routes=[Route("/task", task, methods=["GET", "POST"])],
                          middleware=[Middleware(AAuthMiddleware, verifier=verifier)])
    agent = uvicorn.Server(uvicorn.Config(agent_app, host="127.0.0.1", port=agent_port, log_level="warning"))
    threading.Thread(target=agent.run, daemon=True).start()

    listen = free_port()
    (PREFIX / "conf/nginx.conf").write_text(conf(listen, agent_port))
    nginx = subprocess.Popen([NGINX, "-p", str(PREFIX), "-c", str(PREFIX / "conf/nginx.conf"),
                              "-e", str(PREFIX / "logs/error.log"), "-g", "daemon off;"])
    body = json.dumps({"task": "analyse", "n": 1}).encode()
    calls = [
        ("1 legacy jwks GET", "GET", "/task", "legacy", None, False, 200),
        ("2 jwks_uri GET", "GET", "/task", "jwks_uri", None, False, 200),
        ("3 jwks_uri POST+digest", "POST", "/task", "jwks_uri", body, False, 200),
        ("4 jwt GET", "GET", "/task", "jwt", None, False, 200),
        ("5 legacy jwks POST+digest", "POST", "/task", "legacy", body, False, 200),
        ("6 jwks_uri GET again", "GET", "/task", "jwks_uri", None, False, 200),
        ("7 tampered body", "POST", "/task", "jwks_uri", body, True, 401),
        ("8 unsigned", "GET", "/task", None, None, False, 401),
    ]
    bad = 0
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                if agent.started:
                    break
            except OSError:
                if nginx.poll() is not None:
                    raise SystemExit("demo: nginx exited:\n" + (PREFIX / "logs/error.log").read_text())
            time.sleep(0.05)
        print(f"demo: backend {BACKEND} -> nginx gateway 127.0.0.1:{listen} (ngx_http_aauth_module, "
              f"discovery) -> agent 127.0.0.1:{agent_port} (aauth-verify AsyncResolver)\n")
        results = []
        for name, method, path, scheme, b, tamper, want in calls:
            print(f"{name}:", flush=True)
            status, se = call(listen, name, method, path, scheme, b, tamper)
            time.sleep(0.1)
            results.append((name, status, se, want))
            ok = status == want and (want != 200 or "verified again" in agent_log.get(name, ""))
            bad += not ok
            line = next((l for l in (PREFIX / "logs/access.log").read_text().splitlines()
                         if l.startswith(f"[{name}]")), "(no access-log line)")
            print(f"  {'ok  ' if ok else 'FAIL'} {status}" + (f" Signature-Error: {se}" if se else ""))
            print("  gateway: " + line)
            print("  " + agent_log.get(name, "agent: (not reached: refused by the gateway)"), flush=True)
    finally:
        nginx.send_signal(signal.SIGTERM)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait(timeout=5)
        agent.should_exit = True
        backend.shutdown()
        backend.server_close()
    per = {}
    for path, who in backend_log:
        per.setdefault(who, {}).setdefault(path, 0)
        per[who][path] += 1
    print("\nbackend GETs per verifier, for 8 calls (once per cache lifetime, not once per call;\n"
          "the legacy form names /.well-known/aauth-agent, aauth-signing's forms\n"
          "/.well-known/aauth-agent.json: the gateway caches keys per metadata document):")
    for who, paths in per.items():
        print(f"  {who}: {paths}")
        docs = [p for p in paths if p.startswith("/.well-known/")]
        if any(paths[p] != 1 for p in docs) or paths.get("/jwks.json", 0) > len(docs):
            bad += 1
            print("  UNEXPECTED: each document should be fetched once per cache entry")
    print(f"\ndemo: {len(calls) - sum(1 for r in results if r[1] != r[3])} of {len(calls)} calls "
          f"ended as expected" + (", FAILED" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
