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
