#!/usr/bin/env bash
# benches/python/run.sh OUT.json: aauth_verify vs aauth-signing 0.1.2 and 0.2.0 (issue 6 part 2).
#
# Builds our wheel (`make py-wheel`, into py/target/wheels), makes two venvs under build/bench
# (venv-012: aauth-signing==0.1.2 + our wheel; venv-020: aauth-signing==0.2.0 + our wheel),
# runs benches/python/bench.py once in each (0.1.2 first) and merges the two results into
# OUT.json. Knobs: BENCH_PY_ROUNDS (default 7), BENCH_PY_TARGET (seconds per timeit repeat,
# default 0.03), BENCH_PY_SKIP_WHEEL=1 to use the wheel already built.
set -euo pipefail

out=${1:?usage: run.sh OUT.json}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
python=${PYTHON:-python3}
bench_dir=build/bench
wheel_dir=py/target/wheels

if [ "${BENCH_PY_SKIP_WHEEL:-0}" != 1 ] || ! ls "$wheel_dir"/*.whl >/dev/null 2>&1; then
  make --no-print-directory py-wheel
fi
wheel=$(ls "$wheel_dir"/*.whl | head -n 1)
wheel_sum=$(sha256sum "$wheel" | cut -c1-16)

# make_venv DIR AAUTH_SIGNING_VERSION: creates DIR once; reinstalls our wheel when it changed.
make_venv() {
  local dir=$1 version=$2 stamp=$1/.bench-stamp
  local want="aauth-signing==$version wheel=$wheel_sum"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  echo "bench-python: $dir (aauth-signing==$version + $(basename "$wheel"))"
  if command -v uv >/dev/null; then
    uv venv --allow-existing --quiet --python "$python" "$dir"
    uv pip install --quiet --python "$dir/bin/python" "aauth-signing==$version"
    uv pip install --quiet --python "$dir/bin/python" --reinstall --no-deps "$wheel"
  else
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "aauth-signing==$version"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
      --no-deps "$wheel"
  fi
  echo "$want" > "$stamp"
}

mkdir -p "$bench_dir" "$(dirname "$out")"
make_venv "$bench_dir/venv-012" 0.1.2
make_venv "$bench_dir/venv-020" 0.2.0

start=$(date +%s)
"$bench_dir/venv-012/bin/python" "$here/bench.py" --env 0.1.2 "$bench_dir/python-012.json"
"$bench_dir/venv-020/bin/python" "$here/bench.py" --env 0.2.0 "$bench_dir/python-020.json"
"$python" "$here/bench.py" --merge "$out" "$bench_dir/python-012.json" "$bench_dir/python-020.json"
echo "bench-python: measured in $(( $(date +%s) - start )) s; wrote $out"
