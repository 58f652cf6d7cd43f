#!/usr/bin/env bash
# Checks the layout `make install` produced and the programs `make test-c` linked against it
# through pkg-config (readelf -d):
#   check_install.sh LIBDIR SONAME REALNAME SHARED_PROGRAM STATIC_PROGRAM
# - LIBDIR/REALNAME is the shared library, with SONAME as its DT_SONAME;
# - LIBDIR/SONAME -> REALNAME and LIBDIR/libaauth_verify.so -> SONAME (symbolic links);
# - SHARED_PROGRAM records SONAME (not libaauth_verify.so) and LIBDIR as its run path;
# - STATIC_PROGRAM does not need libaauth_verify at run time.
set -euo pipefail

libdir=$1 soname=$2 realname=$3 shared=$4 static=$5
fail() { echo "check_install: $*" >&2; exit 1; }
dyn() { readelf -d "$1" | sed -n "s/.*($2) *[^[]*\[\(.*\)\]$/\1/p"; }

[ -f "$libdir/$realname" ] && [ ! -L "$libdir/$realname" ] || fail "$libdir/$realname is not a file"
[ "$(dyn "$libdir/$realname" SONAME)" = "$soname" ] ||
  fail "$libdir/$realname: SONAME is '$(dyn "$libdir/$realname" SONAME)', want $soname"
[ "$(readlink "$libdir/$soname")" = "$realname" ] || fail "$libdir/$soname does not link to $realname"
[ "$(readlink "$libdir/libaauth_verify.so")" = "$soname" ] ||
  fail "$libdir/libaauth_verify.so does not link to $soname"
echo "ok: $libdir/$realname (SONAME $soname), $soname -> $realname, libaauth_verify.so -> $soname"

dyn "$shared" NEEDED | grep -qxF "$soname" || fail "$shared does not need $soname: $(dyn "$shared" NEEDED | tr '\n' ' ')"
runpath=$(dyn "$shared" RUNPATH; dyn "$shared" RPATH)
tr ':' '\n' <<<"$runpath" | grep -qxF "$libdir" || fail "$shared: run path '$runpath' lacks $libdir"
echo "ok: $shared needs $soname, run path $libdir"

if dyn "$static" NEEDED | grep -q '^libaauth_verify'; then
  fail "$static needs $(dyn "$static" NEEDED | grep '^libaauth_verify')"
fi
echo "ok: $static links libaauth_verify.a (needs only: $(dyn "$static" NEEDED | tr '\n' ' '))"
