# nginx module: ngx_http_aauth_module.so for Debian's nginx 1.22.1 (--with-compat).
# Included by the root Makefile. Targets:
#   make nginx-module     build/nginx/ngx_http_aauth_module.so (downloads the nginx sources once)
#   make test-nginx       a real nginx with the module in front of a real upstream (nginx/tests/)

NGINX_BIN ?= /usr/sbin/nginx
NGINX_MODULE := build/nginx/ngx_http_aauth_module.so

.PHONY: nginx-module test-nginx

nginx-module: lib
	$(call step,nginx module: $(NGINX_MODULE))
	bash nginx/build.sh

# PYTHON_SIGNER: a Python with aauth_signing (the project venv once it has one) for the
# freshly signed requests; without it that part is skipped and the vectors still run.
NGINX_TEST_SIGNER ?= $(firstword $(wildcard $(VENV)/bin/python))

test-nginx: nginx-module
	$(call step,nginx: module in $(NGINX_BIN) in front of an upstream (nginx/tests/test_nginx.py))
	@test -x $(NGINX_BIN) || { echo "$(NGINX_BIN) not found: apt-get install -y nginx (Debian's 1.22.1)"; exit 1; }
	NGINX_BIN=$(NGINX_BIN) PYTHON_SIGNER='$(NGINX_TEST_SIGNER)' timeout 600 $(PYTHON) nginx/tests/test_nginx.py
