#!/bin/sh
# scripts/test.sh - the one command that runs every milterkit test on a Debian
# 12 machine, as root: installs what is missing, builds with -Werror in
# build-test/, runs `make check` (unit, milter protocol, command line, store
# kill -9, end-to-end through a private Postfix on loopback) and prints
# "N passed, N failed" counting every test point.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MK_BUILD_DIR:-$top/build-test}
jobs=${MK_JOBS:-2}

"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null
rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" -q --enable-werror
make -j"$jobs" >/dev/null
rc=0
make -j"$jobs" check >/dev/null 2>&1 || rc=$?
# Show what failed, with the log of each failing test.
"$top/scripts/tap-failures" .
"$top/scripts/tap-summary" "$build" || rc=1
exit $rc
