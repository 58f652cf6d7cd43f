"""The resolver against hostile servers (issue 12: the network edge).

Every server here listens on 127.0.0.1 (or ::1), and every name the tests make up resolves
there through a stub of ``socket.getaddrinfo``: no test sends traffic anywhere else. Each test
names the finding of issue 12 it pins.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import gc
import json
import logging
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

pytest.importorskip("h11")
from aauth_signing.keys.jwk import public_key_to_jwk  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aauth_verify import VerificationError  # noqa: E402
from aauth_verify.resolver import AsyncResolver, Resolver  # noqa: E402

DWK = "aauth-agent.json"
JWK = dict(public_key_to_jwk(Ed25519PrivateKey.generate().public_key()), kid="key-1")
REAL_GETADDRINFO = socket.getaddrinfo


# -- a hostile HTTP server ------------------------------------------------------------------


class Req:
    def __init__(self, method: str, path: str, headers: Dict[str, str]) -> None:
        self.method, self.path, self.headers = method, path, headers


#: A route answers a request with (status, headers, body) or with a callable that writes the
#: response to the socket itself (for tricklers and floods).
Answer = Any


class Hostile:
    """A raw HTTP/1.1 server on 127.0.0.1: counts connections and requests, records the
    request headers, and answers each path with whatever a test put in ``routes``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: Dict[str, Callable[[Req], Answer]] = {}
        self.requests: List[Req] = []
        self.connections = 0
        self.default: Callable[[Req], Answer] = lambda req: (404, {}, b"{}")
        srv = self
        lock = threading.Lock()

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with lock:
                    srv.connections += 1
                sock: socket.socket = self.request
                sock.settimeout(10)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                except OSError:
                    return
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                method, path, _ = head[0].split(" ", 2)
                headers = {}
                for line in head[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                req = Req(method, path, headers)
                with lock:
                    srv.requests.append(req)
                answer = srv.routes.get(path, srv.default)(req)
                try:
                    if callable(answer):
                        answer(sock)
                        return
                    status, hdrs, body = answer
                    out = [f"HTTP/1.1 {status} X"]
                    hdrs = dict(hdrs)
                    hdrs.setdefault("content-length", str(len(body)))
                    hdrs.setdefault("connection", "close")
                    out += [f"{k}: {v}" for k, v in hdrs.items()]
                    sock.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                except OSError:
                    pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(socketserver.ThreadingTCPServer):
            address_family = family
            allow_reuse_address = True
            daemon_threads = True

        self.httpd = Server((host, port), Handler)
        self.port = self.httpd.server_address[1]
        self.host = host
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def json(self, path: str, doc: Any, **headers: str) -> None:
        body = json.dumps(doc).encode()
        self.routes[path] = lambda req: (200, headers, body)

    def publish(self, origin: Optional[str] = None, jwks_uri: Optional[str] = None) -> None:
        origin = origin or self.origin
        self.json(f"/.well-known/{DWK}", {"issuer": origin, "jwks_uri": jwks_uri or f"{origin}/jwks.json"})
        self.json("/jwks.json", {"keys": [JWK]})

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Listener:
    """A TCP listener that only counts the connections it accepts (and closes them)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            c.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server():
    s = Hostile()
    yield s
    s.close()


@pytest.fixture
def listener():
    s = Listener()
    yield s
    s.close()


@pytest.fixture
def dns(monkeypatch):
    """Stub DNS: ``dns[name] = [addr, ...]`` answers lookups of ``name`` in turn (the last
    answer repeats); IP literals pass through; any other name fails. Only loopback answers
    are allowed, so nothing leaves the machine. ``dns.calls[name]`` counts lookups."""

    class Dns(dict):
        calls: Dict[str, int] = {}

    table = Dns()
    table.calls = {}

    def fake(host, port, *a, **k):
        h = host.decode() if isinstance(host, bytes) else host
        if h in table:
            table.calls[h] = table.calls.get(h, 0) + 1
            answers = table[h]
            addr = answers[min(table.calls[h] - 1, len(answers) - 1)]
            assert addr in ("127.0.0.1", "::1"), "tests resolve names to loopback only"
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sa = (addr, port or 0, 0, 0) if fam == socket.AF_INET6 else (addr, port or 0)
            return [(fam, socket.SOCK_STREAM, 6, "", sa)]
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in h else socket.AF_INET, h)
        except (OSError, TypeError):
            raise socket.gaierror(socket.EAI_NONAME, "stub DNS knows no such name") from None
        return REAL_GETADDRINFO(host, port, *a, **k)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


def listed(server: Hostile, **kw: Any) -> Resolver:
    return Resolver(allow_http_hosts=[f"127.0.0.1:{server.port}"], **kw)


def alisted(server: Hostile, **kw: Any) -> AsyncResolver:
    return AsyncResolver(allow_http_hosts=[f"127.0.0.1:{server.port}"], **kw)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def code_of(fn: Callable[[], Any]) -> str:
    with pytest.raises(VerificationError) as e:
        fn()
    return e.value.code


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed twice (``Content-Encoding: gzip, gzip``)."""

    def gz(chunks):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        out = [c.compress(ch) for ch in chunks]
        out.append(c.flush())
        return b"".join(out)

    inner = gz(b"\0" * (1 << 20) for _ in range(size >> 20))
    return gz([inner])


# -- finding 1: decompression bombs ---------------------------------------------------------


BOMB = gzip_bomb(256 << 20)


def _serve_bomb(server: Hostile, path: str) -> None:
    server.routes[path] = lambda req: (200, {"content-encoding": "gzip, gzip",
                                             "content-type": "application/json"}, BOMB)


def _peak_during(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
    except VerificationError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_f1_gzip_bomb_is_not_decoded_sync(server):
    """Finding 1: a 1 KB `gzip, gzip` body that inflates to 256 MiB must not be inflated."""
    assert len(BOMB) < 4096
    server.publish()
    _serve_bomb(server, "/jwks.json")
    r = listed(server)
    peak = _peak_during(lambda: r.key(server.origin, DWK, "key-1"))
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"
    assert code_of(lambda: listed(server).key(server.origin, DWK, "key-1")) == "unknown_key"
    jwks_reqs = [q for q in server.requests if q.path == "/jwks.json"]
    assert jwks_reqs and all(q.headers.get("accept-encoding") == "identity" for q in jwks_reqs)


async def test_f1_gzip_bomb_is_not_decoded_async(server):
    """Finding 1 (async resolver): same bomb, same bound."""
    server.publish()
    _serve_bomb(server, f"/.well-known/{DWK}")
    r = alisted(server)
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(VerificationError):
            await r.akey(server.origin, DWK, "key-1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await r.aclose()
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"


def test_f1_any_content_coding_is_refused_and_the_limit_counts_bytes(server):
    """Finding 1: a single `gzip` (even a small honest one) is refused, not decoded."""
    server.publish()
    small = zlib.compress(json.dumps({"keys": [JWK]}).encode(), wbits=31)
    server.routes["/jwks.json"] = lambda req: (200, {"content-encoding": "gzip"}, small)
    assert code_of(lambda: listed(server).key(server.origin, DWK, "key-1")) == "unknown_key"
    server.routes["/jwks.json"] = lambda req: (200, {"content-encoding": "identity"},
                                               json.dumps({"keys": [JWK]}).encode())
    assert listed(server).key(server.origin, DWK, "key-1") is not None


# -- finding 2: SSRF --------------------------------------------------------------------------


def test_f2_an_id_with_a_path_query_or_fragment_is_never_fetched(server):
    """Finding 2: `id="…/admin/delete?x=1#"` made the verifier GET /admin/delete?x=1."""
    server.publish()
    for ident in (f"{server.origin}/admin/delete?x=1#", f"{server.origin}/", f"{server.origin}?x",
                  f"http://user@127.0.0.1:{server.port}", f"HTTP://127.0.0.1:{server.port}"):
        assert code_of(lambda: listed(server).key(ident, DWK, "key-1")) == "invalid_key", ident
    assert server.requests == []


@pytest.mark.parametrize("ident", [
    "https://127.0.0.1:{port}", "https://[::1]:{port}", "https://localhost:{port}",
    "https://x.localhost:{port}", "https://[::ffff:127.0.0.1]:{port}", "https://127.1:{port}",
    "https://0x7f000001:{port}", "https://2130706433:{port}", "https://0177.0.0.1:{port}",
])
def test_f2_loopback_destinations_are_refused_without_a_connection(listener, ident):
    """Finding 2: loopback in every spelling is refused before any connection (the listener
    counts zero accepts)."""
    ident = ident.format(port=listener.port)
    r = Resolver()
    assert code_of(lambda: r.key(ident, DWK, "key-1")) in ("unknown_key", "invalid_key")
    assert code_of(lambda: r.jwks_key(f"{ident}/jwks.json", "key-1")) in ("unknown_key", "invalid_key")
    time.sleep(0.05)
    assert listener.accepted == 0


@pytest.mark.parametrize("ident", [
    "https://169.254.169.254", "https://10.0.0.1", "https://192.168.1.1", "https://172.16.0.1",
    "https://100.64.0.1", "https://[fd00::1]", "https://[fe80::1]", "https://0.0.0.0",
    "https://[::ffff:169.254.169.254]", "https://[64:ff9b::a00:1]", "https://224.0.0.1",
])
def test_f2_private_literals_are_refused_before_any_io(monkeypatch, ident):
    """Finding 2: private, link-local, CGNAT, ULA, unspecified, multicast and IPv6 forms of
    private IPv4 are refused without touching the network (connecting would raise here)."""

    def no_network(*a: Any, **k: Any) -> Any:
        raise AssertionError("the resolver tried to connect")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    r = Resolver()
    assert code_of(lambda: r.key(ident, DWK, "key-1")) == "unknown_key"
    assert code_of(lambda: r.jwks_key(f"{ident}/jwks.json", "key-1")) == "unknown_key"


def test_f2_a_name_that_resolves_to_loopback_is_refused(dns, listener):
    """Finding 2: `evil.example` → 127.0.0.1 is refused after one lookup, with no connection."""
    dns["evil.example"] = ["127.0.0.1"]
    r = Resolver()
    assert code_of(lambda: r.key(f"https://evil.example:{listener.port}", DWK, "key-1")) == "unknown_key"
    assert code_of(lambda: r.jwks_key(f"https://evil.example:{listener.port}/k", "key-1")) == "unknown_key"
    time.sleep(0.05)
    assert listener.accepted == 0
    assert dns.calls["evil.example"] == 2  # one lookup per resolution


def test_f2_a_listed_private_host_is_reached_through_the_explicit_option(dns, server):
    """Finding 2: `allow_private_hosts` admits a private destination over https/http only as
    listed; http still needs `allow_http_hosts`."""
    dns["dev.internal"] = ["127.0.0.1"]
    origin = f"http://dev.internal:{server.port}"
    server.publish(origin)
    r = Resolver(allow_http_hosts=[f"dev.internal:{server.port}"])
    assert r.key(origin, DWK, "key-1") is not None
    r = Resolver(allow_private_hosts=[f"dev.internal:{server.port}"])
    assert code_of(lambda: r.key(origin, DWK, "key-1")) == "unknown_key"  # http not listed


def test_f2_dns_rebinding_connection_goes_to_the_checked_address(dns, server):
    """Finding 2 (DNS rebinding): the name is resolved once per resolution and every
    connection goes to the address that was checked. A second lookup would answer ::1, where
    a listener on the same port counts connections: it must see none."""
    try:
        other = Listener("::1", server.port)
    except OSError:
        pytest.skip("no IPv6 loopback, or its port is taken")
    try:
        dns["rebind.example"] = ["127.0.0.1", "::1"]
        origin = f"http://rebind.example:{server.port}"
        server.publish(origin)
        r = Resolver(allow_http_hosts=[f"rebind.example:{server.port}"])
        assert r.key(origin, DWK, "key-1") is not None
        assert dns.calls["rebind.example"] == 1  # metadata and JWKS: one lookup
        assert server.hits(f"/.well-known/{DWK}") == 1 and server.hits("/jwks.json") == 1
        time.sleep(0.05)
        assert other.accepted == 0
        # The Host header still names the host, not the address.
        assert {q.headers["host"] for q in server.requests} == {f"rebind.example:{server.port}"}
    finally:
        other.close()


def _self_signed(name: str, tmp: str) -> Tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(dns):
    """An HTTPS signer on 127.0.0.1 whose certificate names `keys.example` only; yields
    (origin, port, client SSL context, the SNI names the server saw)."""
    import http.server

    with tempfile.TemporaryDirectory() as tmp:
        cert, key = _self_signed("keys.example", tmp)
        seen_sni: List[Optional[str]] = []
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
        sctx.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
        origin_box: List[str] = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                o = origin_box[0]
                doc = ({"issuer": o, "jwks_uri": f"{o}/jwks.json"} if "well-known" in self.path
                       else {"keys": [JWK]})
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: Any) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        httpd.socket = sctx.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            port = httpd.server_address[1]
            origin = f"https://keys.example:{port}"
            origin_box.append(origin)
            dns["keys.example"] = ["127.0.0.1"]
            yield origin, port, ssl.create_default_context(cafile=cert), seen_sni
        finally:
            httpd.shutdown()
            httpd.server_close()


def test_f2_pinned_https_keeps_sni_and_certificate_on_the_name(tls_server):
    """Finding 2: with the connection pinned to the checked address, TLS still sends the name
    as SNI and verifies the certificate against the name (the certificate is for
    `keys.example` only, so verification against 127.0.0.1 would fail)."""
    origin, port, cctx, seen_sni = tls_server
    r = Resolver(allow_private_hosts=[f"keys.example:{port}"], ssl_context=cctx)
    assert r.key(origin, DWK, "key-1").jwk()["x"] == JWK["x"]
    assert seen_sni and set(seen_sni) == {"keys.example"}
    # Without the CA the same server is refused: the certificate really is checked.
    assert code_of(lambda: Resolver(allow_private_hosts=[f"keys.example:{port}"]).key(origin, DWK, "key-1")) \
        == "unknown_key"


async def test_f2_async_pinned_https_keeps_sni_and_certificate_on_the_name(tls_server, dns):
    """Finding 2 (async resolver): one lookup per resolution, SNI and certificate on the name."""
    origin, port, cctx, seen_sni = tls_server
    dns.calls.clear()
    r = AsyncResolver(allow_private_hosts=[f"keys.example:{port}"], ssl_context=cctx)
    assert (await r.akey(origin, DWK, "key-1")).jwk()["x"] == JWK["x"]
    assert set(seen_sni) == {"keys.example"} and dns.calls["keys.example"] == 1
    await r.aclose()


def test_f2_cross_origin_jwks_uri_needs_explicit_admission(server):
    """Finding 2: metadata on one origin naming a JWKS on another (even a listed one) is
    refused unless `allow_cross_origin_jwks` admits the JWKS origin."""
    other = Hostile()
    try:
        other.json("/jwks.json", {"keys": [JWK]})
        server.publish(jwks_uri=f"http://127.0.0.1:{other.port}/jwks.json")
        hosts = [f"127.0.0.1:{server.port}", f"127.0.0.1:{other.port}"]
        r = Resolver(allow_http_hosts=hosts)
        assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"
        assert other.requests == []
        r = Resolver(allow_http_hosts=hosts, allow_cross_origin_jwks=[f"127.0.0.1:{other.port}"])
        assert r.key(server.origin, DWK, "key-1") is not None
        assert other.hits("/jwks.json") == 1
    finally:
        other.close()


def test_f2_client_details_never_carry_upstream_status_url_or_address(server, caplog):
    """Finding 2: the 401 detail said `…answered 404` with the URL, turning the verifier into
    a scanner; the detail is now generic and the log has the rest."""
    r = listed(server)
    caplog.set_level(logging.INFO, logger="aauth_verify")
    for status in (404, 500, 302):
        server.routes[f"/.well-known/{DWK}"] = lambda req, s=status: (s, {"location": "http://10.0.0.1/"}, b"")
        with pytest.raises(VerificationError) as e:
            listed(server).key(server.origin, DWK, "key-1")
        d = e.value.detail
        assert str(status) not in d and "127.0.0.1" not in d and "10.0.0.1" not in d and "://" not in d, d
    assert any("404" in rec.getMessage() and "127.0.0.1" in rec.getMessage() for rec in caplog.records)
    # Malformed metadata: the core's detail is about the document, never its content.
    server.routes[f"/.well-known/{DWK}"] = lambda req: (200, {}, b"<html>secret internal page</html>")
    with pytest.raises(VerificationError) as e:
        r.key(server.origin, DWK, "key-1")
    assert "secret" not in e.value.detail


def test_f2_redirects_off_origin_loops_and_non_canonical_targets_are_refused(server):
    """Finding 2: a redirect may stay on the origin (at most 3 hops, no loops); anything else
    is refused without being followed."""
    other = Listener()
    try:
        server.publish()
        meta = f"/.well-known/{DWK}"
        for loc in (f"http://127.0.0.1:{other.port}/x", "http://localhost:%d/x" % server.port,
                    "//evil.example/x", "/a/../b", "http://[x/", "/x#frag"):
            server.routes[meta] = lambda req, loc=loc: (302, {"location": loc}, b"")
            assert code_of(lambda: listed(server).key(server.origin, DWK, "key-1")) == "unknown_key", loc
        server.routes[meta] = lambda req: (302, {"location": "/loop"}, b"")
        server.routes["/loop"] = lambda req: (302, {"location": meta}, b"")
        before = len(server.requests)
        assert code_of(lambda: listed(server).key(server.origin, DWK, "key-1")) == "unknown_key"
        assert len(server.requests) - before <= 3
        assert other.accepted == 0
    finally:
        other.close()


# -- finding 6: deadlines -------------------------------------------------------------------


def _trickle(total: int, every: float) -> Callable[[Req], Answer]:
    def answer(req: Req) -> Callable[[socket.socket], None]:
        def write(sock: socket.socket) -> None:
            sock.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {total}\r\n\r\n".encode())
            for _ in range(total):
                time.sleep(every)
                sock.sendall(b" ")
        return write
    return answer


def test_f6_a_trickling_server_is_cut_at_the_document_deadline(server):
    """Finding 6: one byte every 0.2 s (per-read timeouts never fire) is cut after `timeout`."""
    server.publish()
    server.routes[f"/.well-known/{DWK}"] = _trickle(200, 0.2)
    r = listed(server, timeout=1.0)
    t0 = time.monotonic()
    assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"
    assert time.monotonic() - t0 < 2.5


async def test_f6_async_trickler_is_cut_at_the_document_deadline(server):
    """Finding 6 (async)."""
    server.publish()
    server.routes["/jwks.json"] = _trickle(200, 0.2)
    r = alisted(server, timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(VerificationError):
        await r.akey(server.origin, DWK, "key-1")
    assert time.monotonic() - t0 < 2.5
    await r.aclose()


def test_f6_one_deadline_per_resolution(server):
    """Finding 6: metadata and JWKS each just inside `timeout` are still cut by
    `resolution_timeout`."""
    server.publish()
    meta = json.dumps({"issuer": server.origin, "jwks_uri": f"{server.origin}/jwks.json"}).encode()

    def slow(body: bytes) -> Callable[[Req], Answer]:
        def answer(req: Req) -> Callable[[socket.socket], None]:
            def write(sock: socket.socket) -> None:
                sock.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n\r\n".encode())
                for i in range(len(body)):
                    time.sleep(0.9 / len(body))
                    sock.sendall(body[i:i + 1])
            return write
        return answer

    server.routes[f"/.well-known/{DWK}"] = slow(meta)
    server.routes["/jwks.json"] = slow(json.dumps({"keys": [JWK]}).encode())
    t0 = time.monotonic()
    assert listed(server, timeout=1.5).key(server.origin, DWK, "key-1") is not None
    assert time.monotonic() - t0 > 1.5
    r = listed(server, timeout=1.5, resolution_timeout=1.2)
    t0 = time.monotonic()
    assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"
    assert time.monotonic() - t0 < 1.9


# -- finding 7: failures, waiters, cache keys, stale-on-error --------------------------------


def test_f7_failures_are_cached_with_backoff(server):
    """Finding 7: five requests for a signer answering 500 made five fetches."""
    server.routes[f"/.well-known/{DWK}"] = lambda req: (500, {}, b"")
    clock = Clock()
    r = listed(server, clock=clock)
    for _ in range(5):
        assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"
    assert server.hits(f"/.well-known/{DWK}") == 1
    clock.t += 61  # the first backoff is the refetch floor (60 s)
    code_of(lambda: r.key(server.origin, DWK, "key-1"))
    assert server.hits(f"/.well-known/{DWK}") == 2
    clock.t += 61  # the second failure doubled the backoff
    code_of(lambda: r.key(server.origin, DWK, "key-1"))
    assert server.hits(f"/.well-known/{DWK}") == 2
    clock.t += 60
    server.publish()
    assert r.key(server.origin, DWK, "key-1") is not None
    assert server.hits(f"/.well-known/{DWK}") == 3


def test_f7_concurrent_waiters_share_one_failure(server):
    """Finding 7: eight concurrent requests for a slow failing signer made eight serial
    fetches (8 s); now one fetch, one failure for all."""

    def slow_fail(req: Req) -> Answer:
        time.sleep(0.5)
        return (500, {}, b"")

    server.routes[f"/.well-known/{DWK}"] = slow_fail
    r = listed(server)

    def one(_: int) -> str:
        try:
            r.key(server.origin, DWK, "key-1")
        except VerificationError as e:
            return e.code
        return "ok"

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(one, range(8)))
    assert codes == ["unknown_key"] * 8
    assert server.hits(f"/.well-known/{DWK}") == 1
    assert time.monotonic() - t0 < 2.0


async def test_f7_async_waiters_share_one_failure(server):
    """Finding 7 (async)."""

    def slow_fail(req: Req) -> Answer:
        time.sleep(0.3)
        return (500, {}, b"")

    server.routes[f"/.well-known/{DWK}"] = slow_fail
    r = alisted(server)
    res = await asyncio.gather(*[r.akey(server.origin, DWK, "key-1") for _ in range(8)],
                               return_exceptions=True)
    await r.aclose()
    assert all(isinstance(e, VerificationError) and e.code == "unknown_key" for e in res)
    assert server.hits(f"/.well-known/{DWK}") == 1


def test_f7_trailing_slashes_do_not_make_new_entries(server):
    """Finding 7: `id` with a trailing slash created a second cache entry (and fetch)."""
    server.publish()
    r = listed(server)
    r.key(server.origin, DWK, "key-1")
    for variant in (server.origin + "/", server.origin + "//", server.origin + "/."):
        with pytest.raises(VerificationError):
            r.key(variant, DWK, "key-1")
    assert server.hits(f"/.well-known/{DWK}") == 1
    assert r.stats()["entries"] == 1


def test_f7_stale_keys_are_served_while_a_refresh_fails(server):
    """Finding 7 (AAuth -11 SHOULD): after the TTL, a failing refresh serves the last good
    keys, and the failure is cached so the refresh is not retried on every request."""
    server.publish()
    clock = Clock()
    r = listed(server, clock=clock)
    k = r.key(server.origin, DWK, "key-1")
    clock.t += 301
    server.routes["/jwks.json"] = lambda req: (503, {}, b"")
    for _ in range(3):
        assert r.key(server.origin, DWK, "key-1") == k
    assert server.hits("/jwks.json") == 2
    clock.t += 86400 + 3600  # beyond `max_stale`: the stale keys are gone
    assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"


def test_f7_refresh_after_a_failed_verification_honours_the_floor(server):
    """SK-09 §7.2: a cached key that fails to verify → refresh once (≤ once a minute), then
    the new key, or None when nothing new is known."""
    server.publish()
    clock = Clock()
    r = listed(server, clock=clock)
    old = r.key(server.origin, DWK, "key-1")
    assert r.refreshed_key(server.origin, DWK, "key-1", old) is None  # within 60 s: no fetch
    assert server.hits("/jwks.json") == 1
    new_jwk = dict(public_key_to_jwk(Ed25519PrivateKey.generate().public_key()), kid="key-1")
    server.json("/jwks.json", {"keys": [new_jwk]})
    clock.t += 61
    new = r.refreshed_key(server.origin, DWK, "key-1", old)
    assert new is not None and new.jwk()["x"] == new_jwk["x"]
    assert server.hits("/jwks.json") == 2
    assert r.key(server.origin, DWK, "key-1") == new
    clock.t += 61
    server.json("/jwks.json", {"keys": [dict(new_jwk, kid="key-2")]})
    assert code_of(lambda: r.refreshed_key(server.origin, DWK, "key-1", new)) == "unknown_key"


# -- finding 8: bounds ----------------------------------------------------------------------


def test_f8_ten_thousand_distinct_ids_stay_bounded(server, dns):
    """Finding 8: 3 000 attacker ids left 3 000 entries and 3 000 locks; 10 000 distinct ids
    now leave at most `max_entries` entries and no locks."""

    def meta(req: Req) -> Answer:
        # Every tenth signer publishes keys; the others answer 404 (a negative entry each), so
        # the run stays near 11 000 loopback connections.
        origin = "http://" + req.headers["host"]
        if int(req.headers["host"][1:].split(".")[0]) % 10:
            return (404, {}, b"{}")
        return (200, {}, json.dumps({"issuer": origin, "jwks_uri": f"{origin}/jwks.json"}).encode())

    server.routes[f"/.well-known/{DWK}"] = meta
    server.json("/jwks.json", {"keys": [JWK], "pad": "x" * 8000})

    class AnyLocalhost(dict):
        def __contains__(self, k: object) -> bool:
            return isinstance(k, str) and k.endswith(".localhost")

        def __getitem__(self, k: str) -> List[str]:
            return ["127.0.0.1"]

    dns_any = AnyLocalhost()
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *a: Any, **k: Any) -> Any:
        if isinstance(host, str) and host in dns_any:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]
        return real(host, port, *a, **k)

    socket.getaddrinfo = fake  # the dns fixture restores the original
    r = Resolver(allow_http_hosts=[f"*.localhost:{server.port}"], max_entries=256,
                 max_cache_bytes=1 << 20)
    gc.collect()
    tracemalloc.start()
    for i in range(10_000):
        origin = f"http://a{i}.localhost:{server.port}"
        try:
            r.key(origin, DWK, "key-1")
        except VerificationError:
            pass
        if i == 500:
            tracemalloc.reset_peak()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    st = r.stats()
    assert st["entries"] <= 256 and st["charged"] <= 1 << 20 and st["inflight"] == 0, st
    assert st["entries"] >= 64 and st["failures"] > 0  # the cache works, it is just bounded
    assert peak < 24 << 20, f"peak {peak >> 20} MiB"


def test_f8_documents_over_the_core_limits_are_refused_before_storing(server):
    """Finding 8: a JWKS over 16 KiB (or metadata over 4 KiB) is refused while reading, even
    with a larger `max_bytes`, and nothing is stored."""
    server.publish()
    server.json("/jwks.json", {"keys": [JWK], "pad": "x" * 17000})
    r = listed(server, max_bytes=1 << 20)
    assert code_of(lambda: r.key(server.origin, DWK, "key-1")) == "unknown_key"
    assert r.stats()["bytes"] == 0
    server.publish()
    server.json(f"/.well-known/{DWK}", {"issuer": server.origin, "jwks_uri": f"{server.origin}/jwks.json",
                                       "pad": "x" * 5000})
    assert code_of(lambda: listed(server, max_bytes=1 << 20).key(server.origin, DWK, "key-1")) == "unknown_key"


@pytest.mark.parametrize("body", [
    b"[]", b"null", b'{"keys": 1}', b'{"keys": [1, 2]', b"\xff\xfe", b'{"keys": [' * 200 + b"]" * 200 + b"}",
    b'{"keys": [], "keys": []}',
])
def test_f8_only_documents_that_parse_are_stored(server, body):
    """Finding 8: odd JSON is refused and never stored (the next request fetches nothing new
    because the failure is cached, and stores nothing)."""
    server.publish()
    server.routes["/jwks.json"] = lambda req: (200, {}, body)
    r = listed(server)
    assert code_of(lambda: r.key(server.origin, DWK, "key-1")) in ("invalid_key", "unknown_key")
    assert r.stats()["bytes"] == 0


# -- finding 10: cancellation ---------------------------------------------------------------


async def test_f10_cancelling_the_fetching_task_does_not_fail_other_waiters(server):
    """Finding 10: cancelling the task that owns the in-flight fetch raised CancelledError in a
    concurrent honest request for the same signer."""
    server.publish()
    inner = server.routes[f"/.well-known/{DWK}"]

    def slow(req: Req) -> Answer:
        time.sleep(0.4)
        return inner(req)

    server.routes[f"/.well-known/{DWK}"] = slow
    r = alisted(server)
    owner = asyncio.ensure_future(r.akey(server.origin, DWK, "key-1"))
    await asyncio.sleep(0.1)
    honest = asyncio.ensure_future(r.akey(server.origin, DWK, "key-1"))
    await asyncio.sleep(0.05)
    owner.cancel()
    key = await honest
    assert key.jwk()["x"] == JWK["x"]
    with pytest.raises(asyncio.CancelledError):
        await owner
    assert server.hits(f"/.well-known/{DWK}") == 1
    await r.aclose()


# -- findings 11 and 12: hostile input never escapes as a 500 -------------------------------


@pytest.mark.parametrize("ident", ["https://[x", "https://a.example:abc", "https://a.example:99999",
                                   "https://a\u00e9.example", "https://a.example\r\nx: y", ""])
def test_f11_malformed_ids_are_verification_errors(ident):
    """Finding 11: `https://[x` raised ValueError, `:abc` httpx.InvalidURL."""
    r = Resolver()
    assert code_of(lambda: r.key(ident, DWK, "key-1")) == "invalid_key"
    assert code_of(lambda: r.jwks_key(ident + "/k", "key-1")) == "invalid_key"


def test_f11_dwk_with_a_trailing_newline_is_refused(server):
    """Finding 11: `_DWK.match` accepted `"x\\n"` (`$` matches before a final newline)."""
    r = listed(server)
    for dwk in ("x\n", "../x", "a/b", "", ".."):
        assert code_of(lambda: r.key(server.origin, dwk, "key-1")) == "invalid_key"
    assert server.requests == []


def test_f12_programmer_input_raises_type_or_value_errors():
    """Finding 12: a non-str url raised AttributeError; bad numeric options raised
    OverflowError or nothing at all."""
    r = Resolver()
    with pytest.raises(TypeError):
        r.jwks_key(b"https://a.example/k", "key-1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        r.key(None, DWK, "key-1")  # type: ignore[arg-type]
    for kw in ({"ttl": -1}, {"timeout": 2 ** 70}, {"max_bytes": -5}, {"max_entries": 0},
               {"refetch_interval": float("nan")}, {"timeout": float("inf")}):
        with pytest.raises(ValueError):
            Resolver(**kw)
    for kw in ({"ttl": "300"}, {"max_bytes": 1.5}, {"timeout": True}, {"allow_http_hosts": "localhost"}):
        with pytest.raises(TypeError):
            Resolver(**kw)
    with pytest.raises(ValueError):
        Resolver(allow_http_hosts=["Localhost:8000"])
    with pytest.raises(ValueError):
        Resolver(allow_http_hosts=["localhost:abc"])


# -- item 13: decisions -----------------------------------------------------------------------


def test_13_a_bare_host_in_allow_http_hosts_admits_its_default_port_only(listener):
    """Item 13: `allow_http_hosts={"localhost"}` used to admit every port; a bare host now
    means port 80 (write `localhost:8000`, or `localhost:*`)."""
    r = Resolver(allow_http_hosts=["localhost"])
    assert code_of(lambda: r.key(f"http://localhost:{listener.port}", DWK, "key-1")) == "unknown_key"
    time.sleep(0.05)
    assert listener.accepted == 0


# -- typing ---------------------------------------------------------------------------------


def test_resolver_module_is_mypy_strict_clean():
    """resolver.py passes `mypy --strict` (its imports are followed silently)."""
    pytest.importorskip("mypy")
    import pathlib

    src = pathlib.Path(__file__).resolve().parents[1] / "python"
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         "--cache-dir", os.devnull, "aauth_verify/resolver.py"],
        capture_output=True, text=True, timeout=300, cwd=src,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_f2_zoned_link_local_answers_are_refused(monkeypatch, listener):
    """Finding 2: a link-local answer with a zone (`fe80::1%lo`, which is not an address the
    core parses) is refused as unknown_key, not raised as ValueError; nothing connects."""
    answers = {
        "loopback.example": [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))],
        "zoned.example": [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%lo", 0, 0, 1))],
    }

    def fake(host: Any, port: Any, *a: Any, **k: Any) -> Any:
        if host in answers:
            return answers[host]
        raise socket.gaierror(socket.EAI_NONAME, "stub DNS knows no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    r = Resolver()
    for name in answers:
        assert code_of(lambda: r.key(f"https://{name}:{listener.port}", DWK, "key-1")) == "unknown_key"
    time.sleep(0.05)
    assert listener.accepted == 0


def test_f2_one_private_answer_refuses_the_host(monkeypatch):
    """Finding 2: the attacker's DNS chooses the whole answer set, so a public first answer
    does not vouch for a loopback second one. Connecting is stubbed to fail the test, so even a
    broken resolver sends nothing to the public address."""
    tried: List[Any] = []

    def no_network(addr: Any, *a: Any, **k: Any) -> Any:
        tried.append(addr)
        raise AssertionError("the resolver tried to connect")

    def fake(host: Any, port: Any, *a: Any, **k: Any) -> Any:
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        raise socket.gaierror(socket.EAI_NONAME, "stub DNS knows no such name")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert code_of(lambda: Resolver().key("https://mixed.example", DWK, "key-1")) == "unknown_key"
    assert tried == []


def test_f7_one_origin_gets_a_bounded_number_of_gets_whatever_the_spellings(server):
    """Finding 7/8 (SK-09 §7.2 "per issuer"): 40 distinct `dwk` names for one origin are 40
    cache keys, but the origin receives at most `max_fetches_per_origin` GETs per
    `refetch_interval`; the verifier cannot be made a reflector against one host."""
    clock = Clock()
    r = listed(server, clock=clock, max_fetches_per_origin=8)
    for i in range(40):
        assert code_of(lambda: r.key(server.origin, f"doc-{i}.json", "key-1")) == "unknown_key"
    assert len(server.requests) == 8
    clock.t += 61
    code_of(lambda: r.key(server.origin, "doc-99.json", "key-1"))
    assert len(server.requests) == 9
