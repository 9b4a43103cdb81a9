#!/bin/sh
# tests/pkg/test_deb.sh - the Debian package end to end: lint, install,
# run, remove, purge.
#
#   tests/pkg/test_deb.sh [FILE.deb]
#
# Without FILE.deb, builds one with packaging/build-deb.sh. Installs the
# package system-wide with apt-get (runtime dependencies come from the
# archive), so it needs root, is not in `make check` and refuses to run
# where milterkit is already installed. CI runs it through `make check-deb`.
. "$top_srcdir/tests/lib/tap.sh"

tap_plan 27

[ "$(id -u)" = 0 ] || tap_bail "needs root: it installs the package system-wide"
if dpkg-query -W -f='${Status}' milterkit 2>/dev/null | grep -q ' installed$'; then
	tap_bail "milterkit is already installed here; purge it first (apt-get purge milterkit)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")

# The files to look at: the arguments, or what build-deb.sh makes; of them,
# the package milterkit (not its -dbgsym companion).
if [ $# -eq 0 ]; then
	set -- $(sh "$top_srcdir/packaging/build-deb.sh" 2>"$tmp/build.log")
	[ $# -gt 0 ] || { tail -n 40 "$tmp/build.log" | sed 's/^/# /'; tap_bail "build-deb.sh failed"; }
fi
deb=
for f in "$@"; do
	[ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = milterkit ] && deb=$f
done
[ -n "$deb" ] || tap_bail "no package milterkit among: $*"
case $deb in /*) ;; *) deb=$PWD/$deb ;; esac
[ -f "$deb" ] || tap_bail "no package $deb"

# --- the file itself -------------------------------------------------------
tap_is "package version follows the project's" \
	"$(dpkg-deb -f "$deb" Version)" "$version-1"
tap_like "depends on adduser" "$(dpkg-deb -f "$deb" Depends)" '(^|, )adduser(,|$)'
contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
tap_like "ships /usr/sbin/milterkit" "$contents" '^\./usr/sbin/milterkit$'
tap_like "ships the sample configuration" "$contents" '^\./etc/milterkit/milterkit\.conf$'
tap_like "ships a manual page" "$contents" '^\./usr/share/man/man[0-9]/milterkit'
tap_like "ships the store directory" "$contents" '^\./var/lib/milterkit/$'
dpkg-deb -e "$deb" "$tmp/control"
tap_like "the configuration is a conffile" \
	"$(cat "$tmp/control/conffiles" 2>/dev/null)" '^/etc/milterkit/milterkit\.conf$'

lintian --no-tag-display-limit "$deb" >"$tmp/lintian.out" 2>&1
errors=$(grep '^E:' "$tmp/lintian.out")
tap_is "lintian reports no errors" "$errors" ""
sed -n 's/^\([WIP]:\)/# lintian \1/p' "$tmp/lintian.out"

# --- install ---------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$tmp/install.log" 2>&1; then
	tap_ok "apt-get install"
else
	tap_fail "apt-get install" "$(tail -n 20 "$tmp/install.log")"
fi
tap_check "system user milterkit exists" getent passwd milterkit
tap_check "system group milterkit exists" getent group milterkit
tap_is "milterkit's home is the store" \
	"$(getent passwd milterkit | cut -d: -f6)" /var/lib/milterkit
tap_is "the store belongs to milterkit, mode 0750" \
	"$(stat -c '%U:%G %a' /var/lib/milterkit 2>&1)" "milterkit:milterkit 750"
tap_like "milterkit --version names the version" \
	"$(/usr/sbin/milterkit --version 2>&1)" "$version"

store=$tmp/store
tap_check "milterkit --store DIR suppress add" \
	/usr/sbin/milterkit --store "$store" suppress add x@example.com
if out=$(/usr/sbin/milterkit --store "$store" store info 2>&1); then
	tap_like "milterkit --store DIR store info" "$out" '.'
else
	tap_fail "milterkit --store DIR store info" "$out"
fi
# The daemons' user can write its own store (the packaged directory).
tap_check "user milterkit writes /var/lib/milterkit" \
	runuser -u milterkit -- /usr/sbin/milterkit --store /var/lib/milterkit \
	suppress add y@example.com

# --- remove, then purge ------------------------------------------------------
if apt-get remove -y milterkit >"$tmp/remove.log" 2>&1; then
	tap_ok "apt-get remove"
else
	tap_fail "apt-get remove" "$(tail -n 20 "$tmp/remove.log")"
fi
tap_check "the binary is gone after remove" test ! -e /usr/sbin/milterkit
tap_check "remove keeps the configuration" test -f /etc/milterkit/milterkit.conf
tap_check "remove keeps the store" test -d /var/lib/milterkit
tap_check "remove keeps the user" getent passwd milterkit

if apt-get purge -y milterkit >"$tmp/purge.log" 2>&1; then
	tap_ok "apt-get purge"
else
	tap_fail "apt-get purge" "$(tail -n 20 "$tmp/purge.log")"
fi
tap_check "purge removes the configuration" test ! -e /etc/milterkit/milterkit.conf
tap_check "purge removes the store" test ! -e /var/lib/milterkit
tap_check "purge removes the user" sh -c '! getent passwd milterkit'
tap_check "purge removes the group" sh -c '! getent group milterkit'
