"""Shared helpers: loading the vector files that the Rust and C suites also run."""

from __future__ import annotations

import base64
import json
import pathlib
import sys
from typing import Any, Dict, List, Optional

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"


def load_cases(name: str) -> List[Dict[str, Any]]:
    return json.loads((VECTORS / name).read_text())["cases"]


def body_of(req: Dict[str, Any]) -> Optional[bytes]:
    b = req["body"]
    if b is None:
        return None
    if isinstance(b, str):
        return b.encode("utf-8")
    return base64.b64decode(b["base64"])


def target_uri(req: Dict[str, Any]) -> str:
    q = req.get("query")
    return f"{req['scheme']}://{req['authority']}{req['path']}" + (f"?{q}" if q is not None else "")


def header(req: Dict[str, Any], name: str) -> str:
    for n, v in req["headers"]:
        if n.lower() == name:
            return v
    return ""


@pytest.fixture
def frozen_time(monkeypatch):
    """Freezes ``time.time`` (which ``aauth_signing.verifier.time.time`` is) at a given value."""
    import time

    def freeze(now: float) -> None:
        monkeypatch.setattr(time, "time", lambda: float(now))

    return freeze


# -- a real Redis on 127.0.0.1 (issue 17) ------------------------------------------------------


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1 at a free port: no persistence (``--save ''
    --appendonly no``), its files in a temporary directory; ``stop()``/``start()`` kill and
    restart it on the same port."""

    def __init__(self, binary: str, workdir: str, extra: List[str]) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.binary, self.workdir, self.extra = binary, workdir, extra
        self.proc: Any = None

    def start(self) -> None:
        import subprocess
        import time

        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.workdir, "--protected-mode", "yes",
             *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except Exception:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def _kw(self, kw: Dict[str, Any]) -> Dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        base: Dict[str, Any] = dict(host="127.0.0.1", port=self.port, socket_timeout=0.5,
                                    socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        base.update(kw)
        return base

    def client(self, **kw: Any) -> Any:
        """A redis-py client with timeouts (what the stores require)."""
        import redis

        return redis.Redis(**self._kw(kw))

    def aclient(self, **kw: Any) -> Any:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        return redis.asyncio.Redis(**self._kw(dict(kw, retry=Retry(NoBackoff(), 0))))


def _redis_server(tmp_path: Any, extra: List[str]) -> Any:
    import shutil

    pytest.importorskip("redis", reason="redis-py is in py/requirements-dev.txt")
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not pathlib.Path(binary).exists():
        pytest.skip("redis-server is not installed (Debian package redis-server: make deps)")
    server = RedisServer(binary, str(tmp_path), extra)
    server.start()
    return server


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis for one test, stopped afterwards."""
    server = _redis_server(tmp_path, [])
    yield server
    server.stop()


@pytest.fixture
def small_redis(tmp_path):
    """A Redis bounded to 4 MB that evicts least recently used keys."""
    server = _redis_server(tmp_path, ["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"])
    yield server
    server.stop()
