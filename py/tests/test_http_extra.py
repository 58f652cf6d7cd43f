"""Without h11 (installed without the ``[http]`` extra): the core API works, and building a
resolver fails with an ImportError that names the extra, not a bare ModuleNotFoundError."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import aauth_verify
from aauth_verify.resolver import AsyncResolver, Resolver

HINT = "pip install 'aauth-verify[http]'"


@pytest.fixture
def no_h11(monkeypatch):
    # A None entry makes `import h11` raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, "h11", None)


@pytest.mark.parametrize("cls", [Resolver, AsyncResolver])
def test_resolver_without_h11_names_the_extra(no_h11, cls):
    with pytest.raises(ImportError) as e:
        cls()
    assert HINT in str(e.value)
    assert e.value.name == "h11"
    assert not isinstance(e.value, ModuleNotFoundError)


def test_lazy_exports_without_h11(no_h11):
    # The package-level names resolve (the module imports h11 only when a resolver is built).
    assert aauth_verify.AsyncResolver is AsyncResolver
    with pytest.raises(ImportError, match=r"aauth-verify\[http\]"):
        aauth_verify.AsyncResolver()


def test_fresh_interpreter_without_h11():
    # The whole path a user without the extra takes: import, verify without a resolver, then
    # build a resolver. h11 is blocked before anything is imported.
    code = textwrap.dedent(
        """
        import sys
        sys.modules["h11"] = None
        import aauth_verify
        from aauth_verify import Verifier, VerificationError
        try:
            Verifier(authority="api.example").verify("GET", "https://api.example/", {}, None)
        except VerificationError as e:
            print("verify:", e.code)
        from aauth_verify.resolver import AsyncResolver
        try:
            AsyncResolver()
        except ImportError as e:
            print("resolver:", type(e).__name__, e)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("verify: "), out.stdout
    assert lines[1] == f"resolver: ImportError aauth_verify.resolver needs h11: {HINT}", out.stdout
