# C bindings: libaauth_verify.{a,so}, include/aauth_verify.h, the C tests, install.
# Included by the root Makefile. Targets:
#   make lib                        build target/release/libaauth_verify.{a,so}
#   make header                     regenerate include/aauth_verify.h (cbindgen $(CBINDGEN_VERSION))
#   make header-check               fail if the committed header is stale
#   make test-c [VALGRIND=1]        header check, version check, C tests, pkg-config and example
#   make test-c-valgrind            test-c, then the C test binaries again under valgrind, and
#                                   test-c-decodes
#   make test-c-decodes             callgrind proof that every C path decodes a token once
#   make install PREFIX=/usr/local  libraries, header and aauth-verify.pc (DESTDIR honoured):
#                                   libaauth_verify.a, libaauth_verify.so.$(FFI_VERSION) with the
#                                   links libaauth_verify.so.<major> (its SONAME, ffi-c/build.rs)
#                                   and libaauth_verify.so
#
# A program linked with `pkg-config --libs aauth-verify` needs libaauth_verify.so.<major> at run
# time: outside the loader's paths, give it a run path or link the static library:
#   cc app.c $(pkg-config --cflags --libs aauth-verify) -Wl,-rpath,$(pkg-config --variable=libdir aauth-verify)
#   cc app.c $(pkg-config --cflags aauth-verify) $(pkg-config --variable=libdir aauth-verify)/libaauth_verify.a \
#     -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc       (the .pc file's Libs.private)
# (`make test-c` builds and runs both.)

CC ?= cc
CBINDGEN ?= cbindgen
CBINDGEN_VERSION := 0.29.4
PREFIX ?= /usr/local
DESTDIR ?=
VALGRIND ?=

FFI_DIR := ffi-c
FFI_BUILD := build/ffi-c
FFI_LIB_DIR := target/release
FFI_STATIC := $(FFI_LIB_DIR)/libaauth_verify.a
FFI_SHARED := $(FFI_LIB_DIR)/libaauth_verify.so
FFI_HEADER := include/aauth_verify.h
FFI_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | sed -n 1p)
# The shared library's SONAME (set by ffi-c/build.rs from the major version) and installed name.
FFI_SONAME := libaauth_verify.so.$(word 1,$(subst ., ,$(FFI_VERSION)))
FFI_REALNAME := libaauth_verify.so.$(FFI_VERSION)
# What the static library needs from the system (`cargo rustc -- --print native-static-libs`).
FFI_NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
FFI_CFLAGS := -std=c99 -Wall -Wextra -Werror -pedantic -O1 -g
FFI_VECTORS := tests/vectors/signatures.json tests/vectors/tokens.json
FFI_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign,--wrap=aligned_alloc
FFI_TEST_PREFIX := $(ROOT)/$(FFI_BUILD)/prefix

ifeq ($(VALGRIND),1)
FFI_RUN := valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
  --errors-for-leak-kinds=all --track-origins=yes
else
FFI_RUN :=
endif

.PHONY: lib lib-debug header header-check header-version-check test-c test-c-valgrind \
	test-c-decodes install cbindgen-pinned

lib:
	$(call step,cargo build --release -p aauth-verify-ffi)
	$(CARGO) build --release -p aauth-verify-ffi

cbindgen-pinned:
	@have=$$({ $(CBINDGEN) --version 2>/dev/null || true; } | awk '{print $$2}'); \
	if [ "$$have" != "$(CBINDGEN_VERSION)" ]; then \
	  echo "installing cbindgen $(CBINDGEN_VERSION) (found: $${have:-none})"; \
	  $(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked; \
	fi

header: cbindgen-pinned
	$(call step,cbindgen: $(FFI_HEADER))
	$(CBINDGEN) --config $(FFI_DIR)/cbindgen.toml --crate aauth-verify-ffi \
	  --output $(FFI_HEADER) $(FFI_DIR)

# Regenerates the header into the build directory and compares it with the committed one.
header-check: cbindgen-pinned
	$(call step,header freshness: $(FFI_HEADER))
	@mkdir -p $(FFI_BUILD)
	$(CBINDGEN) --quiet --config $(FFI_DIR)/cbindgen.toml --crate aauth-verify-ffi \
	  --output $(FFI_BUILD)/aauth_verify.h $(FFI_DIR)
	@if ! diff -u $(FFI_HEADER) $(FFI_BUILD)/aauth_verify.h; then \
	  echo "$(FFI_HEADER) is stale: run 'make header' and commit it"; exit 1; \
	fi
	@echo "$(FFI_HEADER) is up to date"

# The header's version macros must match Cargo.toml.
header-version-check:
	$(call step,header version macros = Cargo.toml $(FFI_VERSION))
	@major=$$(echo $(FFI_VERSION) | cut -d. -f1); minor=$$(echo $(FFI_VERSION) | cut -d. -f2); \
	patch=$$(echo $(FFI_VERSION) | cut -d. -f3); \
	grep -qx '#define AAUTH_VERIFY_VERSION "$(FFI_VERSION)"' $(FFI_HEADER) && \
	grep -qx "#define AAUTH_VERIFY_VERSION_MAJOR $$major" $(FFI_HEADER) && \
	grep -qx "#define AAUTH_VERIFY_VERSION_MINOR $$minor" $(FFI_HEADER) && \
	grep -qx "#define AAUTH_VERIFY_VERSION_PATCH $$patch" $(FFI_HEADER) || { \
	  echo "version macros in $(FFI_HEADER) do not match Cargo.toml $(FFI_VERSION):"; \
	  grep 'AAUTH_VERIFY_VERSION' $(FFI_HEADER); \
	  echo "edit after_includes in $(FFI_DIR)/cbindgen.toml and run 'make header'"; exit 1; }
	@echo "version macros match $(FFI_VERSION)"

$(FFI_BUILD)/vectors.h: $(FFI_DIR)/tests/gen_vectors.py $(FFI_VECTORS)
	@mkdir -p $(FFI_BUILD)
	$(PYTHON) $(FFI_DIR)/tests/gen_vectors.py $@ $(FFI_VECTORS)

FFI_TEST_DEPS := $(FFI_BUILD)/vectors.h $(wildcard $(FFI_DIR)/tests/*.h) $(FFI_HEADER)
FFI_TEST_INC := -Iinclude -I$(FFI_DIR)/tests -I$(FFI_BUILD)

# Statically linked, with the allocation counter.
$(FFI_BUILD)/vectors_test: $(FFI_DIR)/tests/vectors_test.c $(FFI_TEST_DEPS) lib
	$(CC) $(FFI_CFLAGS) -DCOUNT_ALLOCS $(FFI_TEST_INC) $< -o $@ $(FFI_WRAP) \
	  $(FFI_STATIC) $(FFI_NATIVE_LIBS)

$(FFI_BUILD)/api_test: $(FFI_DIR)/tests/api_test.c $(FFI_TEST_DEPS) lib
	$(CC) $(FFI_CFLAGS) -DCOUNT_ALLOCS $(FFI_TEST_INC) $< -o $@ $(FFI_WRAP) \
	  $(FFI_STATIC) $(FFI_NATIVE_LIBS)

# Gateway calls: decoded keys, phase 2 before the body, egress admission (the nginx module's).
$(FFI_BUILD)/gateway_test: $(FFI_DIR)/tests/gateway_test.c $(FFI_TEST_DEPS) lib
	$(CC) $(FFI_CFLAGS) -DCOUNT_ALLOCS $(FFI_TEST_INC) $< -o $@ $(FFI_WRAP) \
	  $(FFI_STATIC) $(FFI_NATIVE_LIBS)

# The API against a hostile or careless caller (issue 12): allocates itself, so no counter.
$(FFI_BUILD)/adversarial_test: $(FFI_DIR)/tests/adversarial_test.c $(FFI_TEST_DEPS) lib
	$(CC) $(FFI_CFLAGS) $(FFI_TEST_INC) $< -o $@ $(FFI_STATIC) $(FFI_NATIVE_LIBS)

# Several threads at once, each with its own verifier (C11 _Thread_local for the scratch arrays).
$(FFI_BUILD)/threads_test: $(FFI_DIR)/tests/threads_test.c $(FFI_TEST_DEPS) lib
	$(CC) $(subst -std=c99,-std=c11,$(FFI_CFLAGS)) -pthread $(FFI_TEST_INC) $< -o $@ \
	  $(FFI_STATIC) $(FFI_NATIVE_LIBS)

# The decode-count probe links the debug library: without optimisation the core's decoding
# functions stay out of line, so callgrind sees every call.
FFI_DEBUG_STATIC := target/debug/libaauth_verify.a

lib-debug:
	$(CARGO) build -p aauth-verify-ffi

$(FFI_BUILD)/decode_probe: $(FFI_DIR)/tests/decode_probe.c $(FFI_TEST_DEPS) lib-debug
	$(CC) $(FFI_CFLAGS) $(FFI_TEST_INC) $< -o $@ $(FFI_DEBUG_STATIC) $(FFI_NATIVE_LIBS)

# Every object-like macro of the header used as a constant: a macro is compiled only where it
# is used, so a broken one passes every other test.
$(FFI_BUILD)/macros_test.c: $(FFI_DIR)/tests/gen_macros_test.py $(FFI_HEADER)
	@mkdir -p $(FFI_BUILD)
	$(PYTHON) $< $(FFI_HEADER) $@

$(FFI_BUILD)/macros_test: $(FFI_BUILD)/macros_test.c $(FFI_HEADER)
	$(CC) $(FFI_CFLAGS) -Iinclude $< -o $@

test-c: header-check header-version-check lib $(FFI_BUILD)/macros_test $(FFI_BUILD)/vectors_test \
	$(FFI_BUILD)/api_test $(FFI_BUILD)/gateway_test $(FFI_BUILD)/threads_test \
	$(FFI_BUILD)/adversarial_test
	$(if $(FFI_RUN),$(call require,valgrind,valgrind))
	$(call step,C header: every macro compiles as a constant)
	$(FFI_BUILD)/macros_test | tail -n 1
	$(call step,C API tests (static library$(if $(FFI_RUN), under valgrind)))
	$(FFI_RUN) $(FFI_BUILD)/api_test
	$(call step,C API against a hostile caller (static library$(if $(FFI_RUN), under valgrind)))
	$(FFI_RUN) $(FFI_BUILD)/adversarial_test
	$(call step,C gateway tests (static library$(if $(FFI_RUN), under valgrind)))
	$(FFI_RUN) $(FFI_BUILD)/gateway_test
	$(call step,C vector tests (static library, allocation counter$(if $(FFI_RUN), under valgrind)))
	$(FFI_RUN) $(FFI_BUILD)/vectors_test
	$(call step,C threads test (every vector in 4 threads at once$(if $(FFI_RUN), under valgrind)))
	$(FFI_RUN) $(FFI_BUILD)/threads_test
	$(call step,install into $(FFI_TEST_PREFIX) and build with pkg-config only)
	$(call require,pkg-config,pkg-config)
	$(call require,readelf,binutils)
	rm -rf $(FFI_TEST_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(FFI_TEST_PREFIX)
	@pc() { PKG_CONFIG_PATH=$(FFI_TEST_PREFIX)/lib/pkgconfig pkg-config "$$@" aauth-verify; }; \
	libdir=$$(pc --variable=libdir); \
	shared="$$(pc --cflags --libs) -Wl,-rpath,$$libdir"; \
	static="$$(pc --cflags) $$libdir/libaauth_verify.a $$(pc --static --libs-only-l | sed 's/-laauth_verify *//')"; \
	set -x; \
	$(CC) $(FFI_CFLAGS) -I$(FFI_DIR)/tests -I$(FFI_BUILD) $(FFI_DIR)/tests/vectors_test.c \
	  -o $(FFI_BUILD)/vectors_test_pkgconfig $$shared; \
	$(CC) $(FFI_CFLAGS) examples/c/aauth_verify_request.c -o $(FFI_BUILD)/aauth_verify_request $$shared; \
	$(CC) $(FFI_CFLAGS) examples/c/aauth_verify_request.c -o $(FFI_BUILD)/aauth_verify_request_static \
	  $$static; \
	$(PYTHON) $(FFI_DIR)/tests/readme_c.py README.md $(FFI_BUILD)/quickstart.c; \
	$(CC) $(FFI_CFLAGS) $(FFI_BUILD)/quickstart.c -o $(FFI_BUILD)/quickstart $$shared
	bash $(FFI_DIR)/tests/check_install.sh $(FFI_TEST_PREFIX)/lib $(FFI_SONAME) $(FFI_REALNAME) \
	  $(FFI_BUILD)/vectors_test_pkgconfig $(FFI_BUILD)/aauth_verify_request_static
	$(call step,C vector tests (installed shared library, found through the run path))
	env -u LD_LIBRARY_PATH $(FFI_RUN) $(FFI_BUILD)/vectors_test_pkgconfig
	$(call step,the C quick start of README.md (installed shared library))
	env -u LD_LIBRARY_PATH $(FFI_RUN) $(FFI_BUILD)/quickstart | tee $(FFI_BUILD)/quickstart.out
	grep -qx 'verified: thumbprint poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U' $(FFI_BUILD)/quickstart.out
	$(call step,example program: examples/c/aauth_verify_request (shared, then static))
	env -u LD_LIBRARY_PATH FFI_RUN='$(FFI_RUN)' \
	  $(PYTHON) $(FFI_DIR)/tests/example_test.py $(FFI_BUILD)/aauth_verify_request $(FFI_BUILD)/example
	env -u LD_LIBRARY_PATH FFI_RUN='$(FFI_RUN)' $(PYTHON) $(FFI_DIR)/tests/example_test.py \
	  $(FFI_BUILD)/aauth_verify_request_static $(FFI_BUILD)/example-static
	$(if $(FFI_RUN),$(MAKE) --no-print-directory test-c-decodes)

# A token is decoded once per request on every C path (issue 11): counted by callgrind.
test-c-decodes: $(FFI_BUILD)/decode_probe
	$(call step,C token decodes per request (callgrind over the debug library))
	$(call require,valgrind,valgrind)
	$(PYTHON) $(FFI_DIR)/tests/decode_count.py $(FFI_BUILD)/decode_probe

FFI_VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
  --errors-for-leak-kinds=all --track-origins=yes

# Part of `make test`: the test binaries built by test-c, under valgrind (zero errors, zero
# leaks). `make test-c VALGRIND=1` runs everything, the example included, under valgrind.
test-c-valgrind: test-c
	$(call step,C tests under valgrind)
	$(call require,valgrind,valgrind)
	$(FFI_VALGRIND) $(FFI_BUILD)/api_test
	$(FFI_VALGRIND) $(FFI_BUILD)/gateway_test
	$(FFI_VALGRIND) $(FFI_BUILD)/vectors_test
	env -u LD_LIBRARY_PATH $(FFI_VALGRIND) $(FFI_BUILD)/vectors_test_pkgconfig
	$(MAKE) --no-print-directory test-c-decodes

install: lib
	$(call step,install into $(DESTDIR)$(PREFIX))
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(FFI_STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(FFI_SHARED) $(DESTDIR)$(PREFIX)/lib/$(FFI_REALNAME)
	ln -sfn $(FFI_REALNAME) $(DESTDIR)$(PREFIX)/lib/$(FFI_SONAME)
	ln -sfn $(FFI_SONAME) $(DESTDIR)$(PREFIX)/lib/libaauth_verify.so
	install -m 644 $(FFI_HEADER) $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(FFI_VERSION)|' \
	  -e 's|@LIBS_PRIVATE@|$(FFI_NATIVE_LIBS)|' $(FFI_DIR)/aauth-verify.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/aauth-verify.pc
