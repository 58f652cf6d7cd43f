#!/usr/bin/env bash
# Installs the Debian packages listed in ci/debian-packages.txt that are not installed yet.
#
#   bash ci/deps.sh           (normally via `make deps`; `make test`, `make demo` and .ci/run
#                              run it first)
#   bash ci/deps.sh --check   only report: exit 1 and print the install line if any is missing
#
# Fast when everything is present: one dpkg-query call, no apt-get. Otherwise it runs
# `apt-get update` and `apt-get install -y --no-install-recommends <missing>` as root, or through
# `sudo` when sudo works without a password; else it stops with the exact line to run.
# On a machine without dpkg/apt-get (not Debian) it only prints the list and carries on: each
# make target checks for the tool it needs.
set -euo pipefail

LIST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debian-packages.txt
check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  "") ;;
  *) echo "usage: ci/deps.sh [--check]" >&2; exit 2 ;;
esac

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$LIST")

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "deps: not a Debian system (no dpkg-query/apt-get); install the equivalents of:"
  echo "  ${wanted[*]}"
  exit 0
fi

# The packages of the list that dpkg does not report as installed (removed packages whose
# configuration files remain are "config-files", not "installed").
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null |
    awk '$2 == "installed" { print $1 }' || true)
  local p
  for p in "${wanted[@]}"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  echo "deps: Debian packages present: ${wanted[*]}"
  exit 0
fi

install_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if $check_only; then
  echo "deps: missing Debian packages: ${missing[*]}"
  echo "deps: install them with (as root): $install_line"
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  else
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: not root, and sudo is absent or asks for a password. Run as root, then make again:" >&2
    echo "  $install_line" >&2
    exit 1
  fi
fi

echo "deps: installing Debian packages: ${missing[*]}"
start=$SECONDS
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

mapfile -t still < <(missing_packages)
if ((${#still[@]})); then
  echo "deps: still not installed after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "deps: installed ${missing[*]} in $((SECONDS - start)) s"
