#!/usr/bin/env python3
"""The original demo's flow through nginx: backend -> nginx gateway (ngx_http_aauth_module) -> agent.

    <python with aauth_signing> nginx/demo/demo.py      (normally via `make demo-nginx`)

* backend: signs its calls with aauth-signing (jwks_uri, jwt agent token, hwk; one tampered
  body; one unsigned call) for the agent's canonical authority;
* gateway: Debian's nginx with the module (prefix build/nginx-demo/), a static trust store for
  the backend's id and token issuer, logging who called ($aauth_scheme, $aauth_agent,
  $aauth_kid, $aauth_thumbprint, $aauth_error) and passing the identity upstream;
* agent: a Python HTTP server behind the gateway that verifies every request again, as the
  supply-chain agent did, with the wheel's drop-in `aauth_verify.verify_signature` when the
  wheel is installed, else with aauth-signing's own `verify_signature`.

For each call it prints the gateway's access-log line next to the agent's verification log.
Exit status 0 iff every call ended as expected.
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

from aauth_signing import sign_request
from aauth_signing.keys.jwk import public_key_to_jwk
from aauth_signing.tokens.agent_token import create_agent_token
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

try:  # the wheel (py/): the drop-in replacement of aauth_signing.verify_signature
    from aauth_verify import verify_signature
    AGENT_VERIFIER = "aauth_verify wheel"
except ImportError:
    from aauth_signing import verify_signature
    AGENT_VERIFIER = "aauth-signing"

ROOT = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
MODULE = ROOT / "build/nginx/ngx_http_aauth_module.so"
PREFIX = ROOT / "build/nginx-demo"
AUTHORITY = "supply-chain-agent.localhost:3000"  # the agent's canonical authority, as in the demo
BACKEND = "https://backend.example"
ISSUER = "https://backend.example"  # the backend also issues its agent tokens


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


request_key = Ed25519PrivateKey.generate()
issuer_key = Ed25519PrivateKey.generate()
JWKS = {"keys": [public_key_to_jwk(request_key.public_key(), kid="key-1"),
                 public_key_to_jwk(issuer_key.public_key(), kid="as-1")]}

agent_log = {}  # request id -> the agent's verification line


class Agent(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        h = {k: v for k, v in self.headers.items()}
        try:
            ok = verify_signature(self.command, f"http://{AUTHORITY}{self.path}", h, body,
                                  h.get("Signature-Input"), h.get("Signature"), h.get("Signature-Key"),
                                  jwks_fetcher=lambda *a: JWKS)
            verdict = "verified" if ok else "NOT verified"
        except Exception as e:
            verdict = f"refused ({type(e).__name__}: {e})"
        agent_log[self.headers.get("X-Demo-Call")] = (
            f"agent ({AGENT_VERIFIER}): {verdict}; gateway says scheme={self.headers.get('X-AAuth-Scheme')} "
            f"agent={self.headers.get('X-AAuth-Agent') or '-'} "
            f"key={self.headers.get('X-AAuth-Thumbprint') or '-'}")
        out = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = handle_any

    def log_message(self, *args):
        pass


def conf(listen, agent_port, jwks_file):
    return f"""
load_module {MODULE};
worker_processes 1;
pid {PREFIX}/logs/nginx.pid;
events {{ worker_connections 64; }}
http {{
    error_log {PREFIX}/logs/error.log info;
    client_body_temp_path {PREFIX}/tmp/body;
    proxy_temp_path {PREFIX}/tmp/proxy;
    fastcgi_temp_path {PREFIX}/tmp/fastcgi;
    uwsgi_temp_path {PREFIX}/tmp/uwsgi;
    scgi_temp_path {PREFIX}/tmp/scgi;
    log_format aauth '[$http_x_demo_call] "$request" $status scheme=$aauth_scheme '
                     'agent=$aauth_agent kid=$aauth_kid key=$aauth_thumbprint error=$aauth_error';
    server {{
        listen 127.0.0.1:{listen};
        access_log {PREFIX}/logs/access.log aauth;
        aauth on;
        aauth_authority {AUTHORITY};
        aauth_trusted_keys {BACKEND} {jwks_file};
        location / {{
            proxy_set_header X-AAuth-Scheme $aauth_scheme;
            proxy_set_header X-AAuth-Agent $aauth_agent;
            proxy_set_header X-AAuth-Thumbprint $aauth_thumbprint;
            proxy_pass http://127.0.0.1:{agent_port};
        }}
    }}
}}
"""


def call(port, name, method, path, scheme, body=None, tamper=False):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if scheme:
        kw = {"hwk": {}, "jwks_uri": {"id": BACKEND, "dwk": "aauth-agent.json", "kid": "key-1"},
              "jwt": {"jwt": create_agent_token(ISSUER, "aauth:backend@backend.example",
                                                public_key_to_jwk(request_key.public_key()),
                                                issuer_key, "as-1")}}[scheme]
        extra = ["content-type", "content-digest"] if body is not None else None
        headers.update(sign_request(method, f"http://{AUTHORITY}{path}", headers, body, request_key,
                                    sig_scheme=scheme, additional_signature_components=extra, **kw))
    if tamper:
        body = body.replace(b"1", b"2")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=dict(headers, **{"X-Demo-Call": name}))
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Signature-Error")
    finally:
        c.close()


def main():
    for d in ("conf", "logs", "keys", "tmp"):
        (PREFIX / d).mkdir(parents=True, exist_ok=True)
    jwks_file = PREFIX / "keys/backend.jwks.json"
    jwks_file.write_text(json.dumps(JWKS))
    (PREFIX / "logs/access.log").write_text("")

    agent = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    agent.daemon_threads = True
    threading.Thread(target=agent.serve_forever, daemon=True).start()
    listen = free_port()
    (PREFIX / "conf/nginx.conf").write_text(conf(listen, agent.server_address[1], jwks_file))
    nginx = subprocess.Popen([NGINX, "-p", str(PREFIX), "-c", str(PREFIX / "conf/nginx.conf"),
                              "-e", str(PREFIX / "logs/error.log"), "-g", "daemon off;"])
    body = json.dumps({"task": "analyse", "n": 1}).encode()
    calls = [
        ("1 jwks_uri GET", "GET", "/task", "jwks_uri", None, False, 200),
        ("2 jwks_uri POST+digest", "POST", "/task", "jwks_uri", body, False, 200),
        ("3 jwt GET", "GET", "/task?q=1", "jwt", None, False, 200),
        ("4 hwk POST+digest", "POST", "/task", "hwk", body, False, 200),
        ("5 tampered body", "POST", "/task", "jwks_uri", body, True, 401),
        ("6 unsigned", "GET", "/task", None, None, False, 401),
    ]
    bad = 0
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                break
            except OSError:
                if nginx.poll() is not None:
                    raise SystemExit("demo: nginx exited:\n" + (PREFIX / "logs/error.log").read_text())
                time.sleep(0.05)
        print(f"demo: backend -> nginx gateway 127.0.0.1:{listen} (ngx_http_aauth_module) -> "
              f"agent 127.0.0.1:{agent.server_address[1]} (verifies again with {AGENT_VERIFIER})\n")
        results = []
        for name, method, path, scheme, b, tamper, want in calls:
            status, se = call(listen, name, method, path, scheme, b, tamper)
            results.append((name, status, se, want))
        time.sleep(0.2)
        log = (PREFIX / "logs/access.log").read_text().splitlines()
        for name, status, se, want in results:
            ok = status == want and (want != 200 or "agent" in agent_log.get(name, "") and
                                     ": verified;" in agent_log.get(name, ""))
            bad += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {status}" + (f" Signature-Error: {se}" if se else ""))
            print("     gateway: " + next((l for l in log if l.startswith(f"[{name}]")), "(no access-log line)"))
            print("     " + agent_log.get(name, "agent: (not reached: refused by the gateway)"))
    finally:
        nginx.send_signal(signal.SIGTERM)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait(timeout=5)
        agent.shutdown()
        agent.server_close()
    print(f"\ndemo: {len(calls) - bad} of {len(calls)} calls ended as expected")
    return 1 if bad else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
