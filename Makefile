# aauth-verify: the single entry point for building and testing. `make test` runs everything.
#
# Adding a test suite: write a `test-<name>` target and add it to TEST_TARGETS.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-builtin-rules

CARGO ?= cargo
PYTHON ?= python3
FUZZ_SECONDS ?= 30

export UV_PYTHON_DOWNLOADS := never

ROOT := $(CURDIR)
CANARY_DIR := ci/nostd-canary
FUZZ_MANIFEST := fuzz/Cargo.toml
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_targets/*.rs)))
VENV := .venv
VENV_STAMP := $(VENV)/.stamp
# Development requirements for the virtualenv, once the Python package exists.
PY_REQUIREMENTS := $(wildcard py/requirements-dev.txt)

# Every test suite. `make test` runs them in this order.
TEST_TARGETS := test-rust test-c test-c-valgrind test-py test-nginx

# Prints a step header: $(call step,Title)
step = @printf '\n==> %s\n' '$(1)'

# Stops with an install hint unless the command (or executable path) $(1) exists; $(2) is its
# Debian package: $(call require,valgrind,valgrind)
require = @command -v '$(1)' >/dev/null || { \
  echo "$@: $(1) not found: install the Debian package $(2) (make deps, or as root:" \
    "apt-get install -y $(2))"; exit 1; }

PY_WHEEL_DIR := py/target/wheels
# Installs into the virtualenv with uv when present (uv venvs have no pip), else with pip.
VENV_PIP = $(if $(shell command -v uv),uv pip install --python $(VENV)/bin/python,$(VENV)/bin/python -m pip install)

.PHONY: deps test $(TEST_TARGETS) py-lint py-wheel demo lint cargo-test doctest nostd fuzz fuzz-cmin fuzz-replay \
	venv vectors clean bench bench-core bench-callgrind bench-memory bench-size bench-python bench-c \
	bench-python-instr bench-c-instr bench-nginx bench-agent bench-agent-instr bench-agent-profile

# deps comes first: make builds prerequisites left to right (run `make test` without -j).
test: deps $(TEST_TARGETS)
	$(call step,all test suites passed: $(TEST_TARGETS))

## Set-up ######################################################################

# Installs the Debian packages of ci/debian-packages.txt that are missing, with apt-get as root
# or through a password-less sudo; otherwise stops with the apt-get line to run (ci/deps.sh).
# `make test`, `make demo` and .ci/run run it first; when everything is present it only asks
# dpkg (milliseconds). Other targets do not install anything: each checks for its own tools.
deps:
	$(call step,set-up: Debian packages (ci/debian-packages.txt))
	bash ci/deps.sh

## Rust ########################################################################

test-rust: lint cargo-test doctest nostd fuzz-replay

# The core's embedded feature sets (each with --no-default-features; the default is every
# family): clippy and the tests run once per set. "" is hwk and jwks_uri with host-held keys.
CORE_FEATURE_SETS := "" bench-internals jwks documents tokens egress compact-opt-size \
  dalek,bench-internals

# Every Cargo workspace of the tree keeps its own lock file; a stale one breaks the wheel build
# (maturin passes --locked: `uv add py/` fails) and the probes. Checked first.
LOCKED_MANIFESTS := Cargo.toml py/Cargo.toml fuzz/Cargo.toml $(CANARY_DIR)/Cargo.toml \
  benches/size-probe/Cargo.toml benches/stack-probe/Cargo.toml

lint:
	$(call step,lock files up to date)
	@for m in $(LOCKED_MANIFESTS); do \
	  $(CARGO) metadata --locked --format-version 1 --manifest-path $$m >/dev/null \
	    || { echo "$$m: Cargo.lock is stale (cargo update -w --manifest-path $$m)"; exit 1; }; \
	done
	$(call step,rustfmt)
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path $(CANARY_DIR)/Cargo.toml -- --check
	$(CARGO) fmt --manifest-path $(FUZZ_MANIFEST) --all -- --check
	$(call step,clippy)
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(call step,clippy: the core with each Ed25519 backend)
	$(CARGO) clippy -p aauth-verify --all-targets --features bench-internals -- -D warnings
	$(CARGO) clippy -p aauth-verify --all-targets --features dalek,bench-internals -- -D warnings
	$(call step,clippy: the core with each embedded feature set)
	@for f in $(CORE_FEATURE_SETS); do \
	  echo "clippy -p aauth-verify --no-default-features --features '$$f'"; \
	  $(CARGO) clippy -q -p aauth-verify --all-targets --no-default-features --features "$$f" -- -D warnings; \
	done
	$(call step,rustdoc)
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p aauth-verify --no-deps --features dalek
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p aauth-verify --no-deps --no-default-features

# The core alone, once per Ed25519 backend (a workspace build unifies the features its members
# ask for; `-p aauth-verify` alone builds the core with the features given here only). The
# backend unit tests compare the two backends when `dalek` is on (src/backend/tests.rs).
cargo-test:
	$(call step,cargo test)
	$(CARGO) test --workspace --all-targets
	$(call step,cargo test: the core with ed25519-compact (the default))
	$(CARGO) test -p aauth-verify --all-targets --features bench-internals
	$(call step,cargo test: the core with curve25519-dalek (feature dalek) and both backends compared)
	$(CARGO) test -p aauth-verify --all-targets --features dalek,bench-internals
	$(call step,cargo test: the core with each embedded feature set (tests/features.rs runs every vector))
	@for f in $(CORE_FEATURE_SETS); do \
	  echo "test -p aauth-verify --no-default-features --features '$$f'"; \
	  $(CARGO) test -q -p aauth-verify --all-targets --no-default-features --features "$$f"; \
	done

doctest:
	$(call step,doctests)
	$(CARGO) test --workspace --doc

# Links a #![no_std] binary against the core with no std, no libc and no start files: fails
# with "duplicate lang item `panic_impl`" if anything in the graph pulls in std (STYLE.md §10).
nostd:
	$(call step,no_std canary: dependency graph)
	cd $(CANARY_DIR) && $(CARGO) tree -e normal
	@dups=$$(cd $(CANARY_DIR) && $(CARGO) tree -e normal --duplicates 2>/dev/null); \
	if [ -n "$$dups" ]; then \
	  echo "nostd: the canary resolves a second version of a core dependency;"; \
	  echo "make its version requirements match core/Cargo.toml:"; echo "$$dups"; exit 1; \
	fi
	$(call step,no_std canary: link)
	cd $(CANARY_DIR) && $(CARGO) rustc --release -- -D warnings -C link-arg=-nostartfiles
	@echo "nostd: linked target/nostd-canary/release/aauth-verify-nostd-canary without std"
	$(call step,no_std canary with the dalek backend: dependency graph)
	cd $(CANARY_DIR) && $(CARGO) tree -e normal --features dalek
	@# curve25519-dalek 4 brings cpufeatures 0.2 (sha2 0.11 has 0.3) and syn 2 for its derive
	@# macro: transitive, not version requirements of the core; any other duplicate fails.
	@dups=$$(cd $(CANARY_DIR) && $(CARGO) tree -e normal --features dalek --duplicates 2>/dev/null \
	  | grep -E '^[a-z]' | grep -vE '^(cpufeatures|syn) v' || true); \
	if [ -n "$$dups" ]; then \
	  echo "nostd: with dalek, the canary resolves a second version of: $$dups"; exit 1; \
	fi
	$(call step,no_std canary with the dalek backend: link)
	cd $(CANARY_DIR) && $(CARGO) rustc --release --features dalek -- -D warnings -C link-arg=-nostartfiles
	@echo "nostd: linked the canary with --features dalek without std"
	$(call step,no_std: the smallest feature set links freestanding (the size probe))
	cd benches/size-probe && $(CARGO) rustc --release -q --no-default-features \
	  --target-dir $(ROOT)/target/size-probe/nostd -- -D warnings -C link-arg=-nostartfiles -C link-arg=-lc
	@echo "nostd: linked the size probe with --no-default-features without std"

## C bindings ################################################################

include ffi-c/ffi.mk

## nginx module ##############################################################

include nginx/nginx.mk

## Fuzzing #####################################################################

# Runs every fuzz target body over fuzz/seeds/<target>/ and fuzz/corpus/<target>/ on stable,
# without libFuzzer.
fuzz-replay:
	$(call step,fuzz bodies: clippy)
	$(CARGO) clippy --manifest-path $(FUZZ_MANIFEST) -p aauth-verify-fuzz-bodies \
	  --all-targets -- -D warnings
	$(call step,fuzz replay: seeds and corpus)
	$(CARGO) run --manifest-path $(FUZZ_MANIFEST) -p aauth-verify-fuzz-bodies --bin replay

# Runs each libFuzzer target for FUZZ_SECONDS. cargo-fuzz needs nightly features, which
# RUSTC_BOOTSTRAP=1 unlocks on the stable toolchain. New inputs go to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/ (ignored by git). Stops at the first crash.
fuzz:
	$(call step,cargo-fuzz)
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	$(CARGO) fuzz --version
	@for t in $(FUZZ_TARGETS); do \
	  printf '\n==> fuzz %s for %ss\n' "$$t" '$(FUZZ_SECONDS)'; \
	  mkdir -p fuzz/corpus/$$t; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t '$(ROOT)'/fuzz/corpus/$$t '$(ROOT)'/fuzz/seeds/$$t \
	    -- -max_total_time=$(FUZZ_SECONDS) -dict='$(ROOT)'/fuzz/sf.dict || exit 1; \
	done

# Minimises each target's grown corpus in place (libFuzzer -merge=1: the smallest set of
# inputs with the same coverage), before fuzz/corpus/ is committed.
fuzz-cmin:
	$(call step,cargo-fuzz cmin)
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@for t in $(FUZZ_TARGETS); do \
	  printf '\n==> cmin %s: %s inputs\n' "$$t" "$$(ls fuzz/corpus/$$t | wc -l)"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz cmin -O $$t '$(ROOT)'/fuzz/corpus/$$t || exit 1; \
	  printf '==> cmin %s: %s inputs kept\n' "$$t" "$$(ls fuzz/corpus/$$t | wc -l)"; \
	done

## Python ######################################################################

venv: $(VENV_STAMP)

$(VENV_STAMP): $(PY_REQUIREMENTS)
	$(call step,virtualenv $(VENV))
	$(call require,$(PYTHON),python3)
	@command -v uv >/dev/null || $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "venv: $(PYTHON) -m venv needs ensurepip: install the Debian package python3-venv" \
	    "(make deps, or as root: apt-get install -y python3-venv)"; exit 1; }
	@if command -v uv >/dev/null; then \
	  uv venv --allow-existing --python $(PYTHON) $(VENV); \
	  $(if $(PY_REQUIREMENTS),uv pip install --python $(VENV)/bin/python -r $(PY_REQUIREMENTS);) \
	else \
	  $(PYTHON) -m venv $(VENV); \
	  $(VENV)/bin/python -m pip install --quiet --upgrade pip; \
	  $(if $(PY_REQUIREMENTS),$(VENV)/bin/python -m pip install --quiet -r $(PY_REQUIREMENTS);) \
	fi
	@touch $@

# The Python package (py/): lint the pyo3 crate, type-check the Python sources and examples
# (mypy --strict), build the abi3 wheel with maturin, install it into .venv and run pytest
# (vectors, aauth-signing interop, resolver, middleware).
test-py: py-lint py-wheel
	$(call step,pytest py/tests)
	$(VENV)/bin/python -m pytest py/tests -q -p no:cacheprovider

py-lint: venv
	$(call step,py: rustfmt and clippy)
	$(CARGO) fmt --manifest-path py/Cargo.toml -- --check
	PYO3_PYTHON='$(ROOT)/$(VENV)/bin/python' $(CARGO) clippy --manifest-path py/Cargo.toml \
	  --locked --all-targets -- -D warnings
	$(call step,py: mypy --strict)
	$(VENV)/bin/python -m mypy --strict py/python examples

py-wheel: venv
	$(call step,py: maturin build --release)
	rm -rf $(PY_WHEEL_DIR)
	@start=$$(date +%s); \
	$(VENV)/bin/maturin build --release --locked -m py/Cargo.toml --out $(PY_WHEEL_DIR) \
	  --interpreter $(VENV)/bin/python; \
	echo "py-wheel: built in $$(( $$(date +%s) - start )) s"
	$(VENV_PIP) --force-reinstall --no-deps $(PY_WHEEL_DIR)/*.whl

# The AAuth demo on 127.0.0.1 (examples/demo): a backend signs with aauth-signing, an agent
# verifies with aauth-verify's middleware. Also runnable as `cd examples/demo && uv run demo.py`.
# deps first: make puts the prerequisites of the rule with the recipe before those of other rules
# for the same target (demo-nginx, added in nginx/nginx.mk).
demo: deps py-wheel
	$(call step,demo)
	$(VENV)/bin/python examples/demo/demo.py

## Test vectors ################################################################

vectors:
	$(call step,test vectors)
	@if [ -f tests/vectors/regen.sh ]; then \
	  bash tests/vectors/regen.sh; \
	else \
	  echo "vectors: tests/vectors/regen.sh does not exist yet; nothing to do"; \
	fi

## Benchmarks ##################################################################

# `make bench`: every performance figure of issue 6, then a table and target/bench/summary.json
# (benches/report.py). Ratios are measured in one run and never asserted. Sections whose code is
# not in this tree (Python bindings in py/, C bindings in ffi-c/) are reported as missing.
BENCH_OUT := target/bench
BENCH_PKG := aauth-verify-benches

bench: bench-core bench-callgrind bench-memory bench-size bench-python bench-c bench-nginx bench-agent
	$(call step,bench report)
	$(PYTHON) benches/report.py

# The core is measured twice: with the hosted builds' Ed25519 backend (`dalek`) and with the
# embedded default (`compact`); BENCH_BACKENDS lists them as <name>:<cargo features>.
BENCH_BACKENDS := dalek:--features=dalek compact:
FLOOR_ROUNDS ?= 15
FLOOR_ITERS ?= 300

# Criterion wall clock per scheme: parse, base, the raw floors, full (benches/benches/core.rs),
# then the interleaved rounds of floors and full verifications (benches/src/bin/floors.rs): the
# wall-clock ratios that compare backends.
bench-core:
	@for b in $(BENCH_BACKENDS); do \
	  name=$${b%%:*}; feat=$${b#*:}; \
	  printf '\n==> bench: core (criterion), %s backend\n' "$$name"; \
	  $(CARGO) bench -p $(BENCH_PKG) --bench core $$feat; \
	done
	@mkdir -p $(BENCH_OUT)
	@for b in $(BENCH_BACKENDS); do \
	  name=$${b%%:*}; feat=$${b#*:}; \
	  printf '\n==> bench: core (interleaved floors), %s backend\n' "$$name"; \
	  $(CARGO) run --release -q -p $(BENCH_PKG) --bin floors $$feat -- $(FLOOR_ROUNDS) $(FLOOR_ITERS) \
	    > $(BENCH_OUT)/floors-$$name.json; \
	  echo "floors: $(BENCH_OUT)/floors-$$name.json"; \
	done

# Instruction counts (stable on a shared machine): one callgrind dump per measured call, per
# backend build. They compare runs of one backend, not two backends (AVX2 against scalar code).
bench-callgrind:
	$(call step,bench: core (callgrind instruction counts))
	@if ! command -v valgrind >/dev/null; then \
	  echo "bench-callgrind: valgrind not installed; instruction counts will be missing"; exit 0; \
	fi; \
	for b in $(BENCH_BACKENDS); do \
	  name=$${b%%:*}; feat=$${b#*:}; d=$(BENCH_OUT)/callgrind-$$name; \
	  $(CARGO) build --release -q -p $(BENCH_PKG) --bin probe $$feat; \
	  rm -rf $$d; mkdir -p $$d; \
	  valgrind --tool=callgrind --callgrind-out-file=$$d/cg.out \
	    --toggle-collect=aauth_probe_measure --dump-after=aauth_probe_measure \
	    target/release/probe 10 > $$d/order.txt 2> $$d/valgrind.log; \
	  echo "callgrind ($$name): $$(wc -l < $$d/order.txt) measurements"; \
	done

# Heap allocations per verification and peak stack depth (benches/src/bin/memprobe.rs), per
# backend build; then the embedded stack budget per feature set (benches/stack-probe).
bench-memory:
	$(call step,bench: memory)
	@mkdir -p $(BENCH_OUT)
	@for b in $(BENCH_BACKENDS); do \
	  name=$${b%%:*}; feat=$${b#*:}; \
	  $(CARGO) run --release -q -p $(BENCH_PKG) --bin memprobe $$feat > $(BENCH_OUT)/memory-$$name.json; \
	  echo "memory ($$name):"; cat $(BENCH_OUT)/memory-$$name.json; \
	done
	@echo "stack per feature set and opt-level (benches/stack-probe):"
	@$(PYTHON) benches/stack-probe/measure.py > $(BENCH_OUT)/stack.json && cat $(BENCH_OUT)/stack.json

# .text of a freestanding binary that links the whole verifier, built with opt-level="z".
bench-size:
	$(call step,bench: core size)
	@if [ -d benches/size-probe ]; then \
	  mkdir -p $(BENCH_OUT); \
	  $(PYTHON) benches/size-probe/measure.py > $(BENCH_OUT)/size.json; \
	  cat $(BENCH_OUT)/size.json; \
	else echo "bench-size: no size probe yet"; fi

# Python: aauth_verify vs aauth-signing 0.2.0 and 0.1.2 (benches/python/), when py/ exists.
bench-python:
	$(call step,bench: python)
	@if [ -d py ] && [ -f benches/python/run.sh ]; then \
	  bash benches/python/run.sh $(BENCH_OUT)/python.json; \
	else \
	  rm -f $(BENCH_OUT)/python.json; \
	  echo "bench-python: no Python bindings (py/) or bench in this tree; reported as missing"; \
	fi

# Optional (not part of `make bench`, ≈ 4 min): instructions per Python call under callgrind,
# the stable companion of bench-python's wall clock; needs the venv bench-python made.
bench-python-instr:
	$(call step,bench: python instruction counts)
	@test -x build/bench/venv-020/bin/python || { echo "run make bench-python first"; exit 1; }
	build/bench/venv-020/bin/python benches/python/instr.py --env 0.2.0 $(BENCH_OUT)/python-instr.json

# C: verifications per second on one core through the C API, when ffi-c/ exists: the shipped
# library (dalek) and the same bench linked against a compact build (build/bench/c-compact),
# interleaved rounds, and their ratio (issue 15 target >= 1.8; reported, never asserted).
bench-c:
	$(call step,bench: C API)
	@if [ -d ffi-c ] && [ -f benches/c/run.sh ]; then \
	  bash benches/c/run.sh $(BENCH_OUT)/c.json; \
	else \
	  rm -f $(BENCH_OUT)/c.json; \
	  echo "bench-c: no C bindings (ffi-c/) or bench in this tree; reported as missing"; \
	fi

# nginx: requests per second and p50/p99 through nginx with the module (off, hwk, static trust
# store, warm discovery, jwt with the token cache) with wrk in interleaved rounds, the added cost
# per request against the raw Ed25519 floor measured in the same rounds (issue 15 target <= 1.2,
# reported, never asserted), and the cold-path latency of a new signer (benches/nginx/bench.py).
bench-nginx: nginx-module $(if $(PY_REQUIREMENTS),venv)
	$(call step,bench: nginx (wrk; warm discovery vs static trust store, cold path))
	@if [ -x '$(NGINX_TEST_SIGNER)' ]; then \
	  $(CARGO) build --release -q -p $(BENCH_PKG) --bin floors --features dalek && \
	  FLOORS_BIN=target/release/floors NGINX_BIN=$(NGINX_BIN) \
	    '$(NGINX_TEST_SIGNER)' benches/nginx/bench.py $(BENCH_OUT)/nginx.json; \
	else \
	  rm -f $(BENCH_OUT)/nginx.json; \
	  echo "bench-nginx: no Python with cryptography (NGINX_TEST_SIGNER); reported as missing"; \
	fi

# The agent path end to end (issue 18, benches/agent/bench.py, ≈ 4 min): one uvicorn worker
# (uvicorn[standard]) per app under wrk, interleaved rounds: no verification, AAuthMiddleware
# with AsyncResolver, and aauth-signing's verify_signature as the demo's agents called it; hwk,
# jwks_uri and jwt, GET and POST with content-digest; Verifier.verify in a loop in the same run.
bench-agent: py-wheel
	$(call step,bench: agent path (uvicorn + wrk: AAuthMiddleware vs aauth-signing))
	@if command -v wrk >/dev/null; then \
	  $(VENV)/bin/python benches/agent/bench.py $(BENCH_OUT)/agent.json; \
	else \
	  rm -f $(BENCH_OUT)/agent.json; \
	  echo "bench-agent: wrk not installed (Debian package wrk, make deps); reported as missing"; \
	fi

# Optional (not part of `make bench`, ≈ 10 min): instructions per request of each uvicorn worker
# under callgrind, and of Verifier.verify in a loop (benches/agent/instr.py): the stable
# companion of bench-agent's wall clock.
bench-agent-instr: py-wheel
	$(call step,bench: agent path instruction counts)
	$(call require,valgrind,valgrind)
	$(VENV)/bin/python benches/agent/instr.py $(BENCH_OUT)/agent-instr.json

# Optional: where one uvicorn worker's time goes under wrk (py-spy samples, benches/agent/profile.py).
# APP=aauth_verify|aauth_signing_demo|aauth_signing_asgi|bare, REQUEST="jwks_uri POST + digest".
bench-agent-profile: py-wheel
	$(call step,bench: agent path profile (py-spy))
	$(VENV)/bin/python benches/agent/profile.py '$(or $(APP),aauth_verify)' \
	  '$(or $(REQUEST),jwks_uri POST + digest)' $(or $(SECONDS),10)

# Optional (not part of `make bench`, ≈ 1 min): instructions per one-shot C call under
# callgrind (benches/c/instr.sh), the stable companion of bench-c's wall clock. To compare with
# another build: bash benches/c/instr.sh OUT.json OTHER/include OTHER/libaauth_verify.a
bench-c-instr:
	$(call step,bench: C API instruction counts)
	$(call require,valgrind,valgrind)
	bash benches/c/instr.sh $(BENCH_OUT)/c-instr.json

## Housekeeping ################################################################

# Removes build outputs and the virtualenv; keeps fuzz/corpus and fuzz/artifacts (findings).
clean:
	$(CARGO) clean
	rm -rf fuzz/target build $(VENV)
