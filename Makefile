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
TEST_TARGETS := test-rust test-c test-c-valgrind test-nginx

# Prints a step header: $(call step,Title)
step = @printf '\n==> %s\n' '$(1)'

.PHONY: test $(TEST_TARGETS) lint cargo-test doctest nostd fuzz fuzz-replay venv vectors clean

test: $(TEST_TARGETS)
	$(call step,all test suites passed: $(TEST_TARGETS))

## Rust ########################################################################

test-rust: lint cargo-test doctest nostd fuzz-replay

lint:
	$(call step,rustfmt)
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path $(CANARY_DIR)/Cargo.toml -- --check
	$(CARGO) fmt --manifest-path $(FUZZ_MANIFEST) --all -- --check
	$(call step,clippy)
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(call step,rustdoc)
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

cargo-test:
	$(call step,cargo test)
	$(CARGO) test --workspace --all-targets

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
# crashes to fuzz/artifacts/<target>/ (both ignored by git).
fuzz:
	$(call step,cargo-fuzz)
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	$(CARGO) fuzz --version
	@for t in $(FUZZ_TARGETS); do \
	  printf '\n==> fuzz %s for %ss\n' "$$t" '$(FUZZ_SECONDS)'; \
	  mkdir -p fuzz/corpus/$$t; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t '$(ROOT)'/fuzz/corpus/$$t '$(ROOT)'/fuzz/seeds/$$t \
	    -- -max_total_time=$(FUZZ_SECONDS) -dict='$(ROOT)'/fuzz/sf.dict; \
	done

## Python ######################################################################

venv: $(VENV_STAMP)

$(VENV_STAMP): $(PY_REQUIREMENTS)
	$(call step,virtualenv $(VENV))
	@if command -v uv >/dev/null; then \
	  uv venv --allow-existing --python $(PYTHON) $(VENV); \
	  $(if $(PY_REQUIREMENTS),uv pip install --python $(VENV)/bin/python -r $(PY_REQUIREMENTS);) \
	else \
	  $(PYTHON) -m venv $(VENV); \
	  $(VENV)/bin/python -m pip install --quiet --upgrade pip; \
	  $(if $(PY_REQUIREMENTS),$(VENV)/bin/python -m pip install --quiet -r $(PY_REQUIREMENTS);) \
	fi
	@touch $@

## Test vectors ################################################################

vectors:
	$(call step,test vectors)
	@if [ -f tests/vectors/regen.sh ]; then \
	  bash tests/vectors/regen.sh; \
	else \
	  echo "vectors: tests/vectors/regen.sh does not exist yet; nothing to do"; \
	fi

## Housekeeping ################################################################

# Removes build outputs and the virtualenv; keeps fuzz/corpus and fuzz/artifacts (findings).
clean:
	$(CARGO) clean
	rm -rf fuzz/target build $(VENV)
