#!/bin/sh
# Regenerate tests/vectors/{signatures,tokens,ed25519}.json.
# Creates two project-local venvs under build/vectors/ (aauth-signing 0.2.0 and 0.1.2 cannot
# share one environment), runs the generator twice and fails unless both runs are identical.
# Needs python3.11 (override with PYTHON=...) and access to PyPI.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-python3.11}
B="$ROOT/build/vectors"
mkdir -p "$B"
mkvenv() { # dir, requirement...
    d=$1; shift
    if [ ! -x "$d/bin/python" ]; then "$PY" -m venv "$d"; fi
    "$d/bin/python" -m pip install -q "$@"
}
mkvenv "$B/venv-020" "aauth-signing==0.2.0" cryptography
mkvenv "$B/venv-012" "aauth-signing==0.1.2" cryptography
GEN="$ROOT/tests/vectors/generate.py"
"$B/venv-020/bin/python" "$GEN" --py012 "$B/venv-012/bin/python" --out "$ROOT/tests/vectors"
# Determinism check: a second run into a scratch directory must give the same bytes.
mkdir -p "$B/second-run"
"$B/venv-020/bin/python" "$GEN" --py012 "$B/venv-012/bin/python" --out "$B/second-run" >/dev/null
for f in signatures.json tokens.json; do
    cmp "$ROOT/tests/vectors/$f" "$B/second-run/$f" || { echo "regen: $f is not deterministic" >&2; exit 1; }
done
# The Ed25519 accept set (standard library only, deterministic).
python3 "$ROOT/tests/vectors/ed25519_gen.py"
python3 "$ROOT/tests/vectors/ed25519_gen.py" --check
echo "regen: vectors reproduced byte for byte"
