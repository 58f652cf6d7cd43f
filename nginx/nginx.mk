# nginx module: ngx_http_aauth_module.so for Debian's nginx 1.22.1 (--with-compat).
# Included by the root Makefile. Targets:
#   make nginx-module     build/nginx/ngx_http_aauth_module.so (downloads the nginx sources once)
#   make test-nginx       a real nginx with the module in front of a real upstream (nginx/tests/)

NGINX_BIN ?= /usr/sbin/nginx
NGINX_MODULE := build/nginx/ngx_http_aauth_module.so

.PHONY: nginx-module test-nginx demo-nginx

nginx-module: lib
	$(call step,nginx module: $(NGINX_MODULE))
	bash nginx/build.sh

# A Python with aauth_signing for the freshly signed requests: the project venv once the
# Python package's requirements exist (they pin aauth-signing), else none (that part is skipped;
# the vectors and module cases still run). Override: make test-nginx NGINX_TEST_SIGNER=/path/python
NGINX_TEST_SIGNER ?= $(if $(PY_REQUIREMENTS),$(VENV)/bin/python)

test-nginx: nginx-module $(if $(PY_REQUIREMENTS),venv)
	$(call step,nginx: module in $(NGINX_BIN) in front of an upstream (nginx/tests/test_nginx.py))
	$(call require,$(NGINX_BIN),nginx)
	NGINX_BIN=$(NGINX_BIN) PYTHON_SIGNER='$(NGINX_TEST_SIGNER)' timeout 600 $(PYTHON) nginx/tests/test_nginx.py
	$(call step,nginx: gateway security (nginx/tests/test_gateway.py; requests signed in-process))
	@test -n '$(NGINX_TEST_SIGNER)' || { echo "test-nginx: test_gateway.py needs a Python with cryptography: NGINX_TEST_SIGNER=/path/python"; exit 1; }
	NGINX_BIN=$(NGINX_BIN) timeout 600 '$(NGINX_TEST_SIGNER)' nginx/tests/test_gateway.py
	$(call step,nginx: fleet state in shared memory (nginx/tests/test_fleet.py))
	NGINX_BIN=$(NGINX_BIN) timeout 600 '$(NGINX_TEST_SIGNER)' nginx/tests/test_fleet.py
	$(call step,nginx: discovery through subrequests (nginx/tests/test_discovery.py))
	NGINX_BIN=$(NGINX_BIN) timeout 600 '$(NGINX_TEST_SIGNER)' nginx/tests/test_discovery.py

# The original demo's flow through the gateway: backend (aauth-signing) -> nginx with this
# module -> agent verifying again with the wheel's drop-in verify_signature. Part of `make demo`
# (added as a prerequisite below, so it runs before examples/demo; py-wheel is built once).
# Another Python with aauth_signing: make demo-nginx NGINX_TEST_SIGNER=/path/to/python
demo-nginx: nginx-module $(if $(PY_REQUIREMENTS),py-wheel)
	$(call step,demo: backend -> nginx gateway (ngx_http_aauth_module) -> agent)
	$(call require,$(NGINX_BIN),nginx)
	@test -n '$(NGINX_TEST_SIGNER)' || { echo "demo-nginx needs a Python with aauth_signing: NGINX_TEST_SIGNER=/path/to/python"; exit 1; }
	NGINX_BIN=$(NGINX_BIN) timeout 300 '$(NGINX_TEST_SIGNER)' nginx/demo/demo.py

demo: demo-nginx
