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
