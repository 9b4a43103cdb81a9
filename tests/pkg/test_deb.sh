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

tap_plan 48

[ "$(id -u)" = 0 ] || tap_bail "needs root: it installs the package system-wide"
if dpkg-query -W -f='${Status}' milterkit 2>/dev/null | grep -q ' installed$'; then
	tap_bail "milterkit is already installed here; purge it first (apt-get purge milterkit)"
fi

tmp=$(mktemp -d)
milter_pid=
cleanup() {
	# Only the milter this script started, by its pid.
	case $milter_pid in [1-9]*) kill "$milter_pid" 2>/dev/null ;; esac
	rm -rf "$tmp"
}
trap cleanup EXIT

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
tap_like "ships /usr/sbin/milterkit-suppress" "$contents" '^\./usr/sbin/milterkit-suppress$'
tap_like "ships milterkit-suppress(8)" "$contents" \
	'^\./usr/share/man/man8/milterkit-suppress\.8\.gz$'
tap_like "ships the unit where dh_installsystemd finds it" "$contents" \
	'^\./lib/systemd/system/milterkit-suppress\.service$'
tap_like "ships the tmpfiles.d entry for /run/milterkit" "$contents" \
	'^\./usr/lib/tmpfiles\.d/milterkit\.conf$'
tap_like "ships the store directory" "$contents" '^\./var/lib/milterkit/$'
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -x "$deb" "$tmp/root"
unit=$tmp/root/lib/systemd/system/milterkit-suppress.service
# The keys the daemon's start-up depends on (systemd-analyze verify, after
# installation, checks the syntax).
keys=$(grep -E '^(Type|PIDFile|ExecStart|ExecReload|Restart|Group|RuntimeDirectory)=' "$unit" 2>&1)
tap_is "the unit's start-up keys" "$keys" "Type=forking
PIDFile=/run/milterkit/suppress.pid
ExecStart=/usr/sbin/milterkit-suppress -P /run/milterkit/suppress.pid
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
Group=milterkit"
tap_like "the postinst enables and starts the unit" \
	"$(cat "$tmp/control/postinst" 2>&1)" 'deb-systemd-invoke (\$_dh_action|start) .*milterkit-suppress\.service'
tap_like "the postinst creates /run/milterkit after the user" \
	"$(sed -n '/adduser --system/,$p' "$tmp/control/postinst" 2>&1)" 'systemd-tmpfiles .*--create milterkit\.conf'
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

# --- the suppression milter, started as its unit starts it -----------------
tap_like "milterkit-suppress -V names the version" \
	"$(/usr/sbin/milterkit-suppress -V 2>&1)" "$version"
tap_check "milterkit-suppress -t accepts the packaged configuration" \
	/usr/sbin/milterkit-suppress -t -c /etc/milterkit/milterkit.conf
tap_is "/run/milterkit belongs to milterkit, mode 0750" \
	"$(stat -c '%U:%G %a' /run/milterkit 2>&1)" "milterkit:milterkit 750"
if getent passwd postfix >/dev/null; then
	tap_like "the postinst put postfix in group milterkit" \
		"$(id -Gn postfix 2>&1)" '(^| )milterkit( |$)'
else
	tap_ok "the postinst put postfix in group milterkit # SKIP no postfix user"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	tap_check "systemd-analyze verify milterkit-suppress.service" \
		systemd-analyze verify /lib/systemd/system/milterkit-suppress.service
else
	tap_ok "systemd-analyze verify # SKIP no systemd-analyze (keys checked above)"
fi

# What the unit runs, without systemd: root with group milterkit (Group=),
# forking; the parent exits once the milter listens. Its output goes to a
# file: the detached milter keeps the descriptors it was given.
sock=/run/milterkit/suppress.sock pidf=/run/milterkit/suppress.pid
if setpriv --regid=milterkit --clear-groups \
	/usr/sbin/milterkit-suppress -P "$pidf" \
	</dev/null >"$tmp/milter.log" 2>&1; then
	tap_ok "the milter starts as the unit starts it"
else
	tap_fail "the milter starts as the unit starts it" "$(cat "$tmp/milter.log")"
fi
# Signals go to this pid only: never to an empty or 0 one (the group).
milter_pid=$(sed -n '1s/^\([1-9][0-9]*\)$/\1/p' "$pidf" 2>/dev/null)
milter_pid=${milter_pid:-999999999}
tap_is "the pid file names the milter, running as milterkit" \
	"$(ps -o user= -p "$milter_pid" 2>&1)" milterkit
tap_is "its socket is srw-rw---- root:milterkit" \
	"$(stat -c '%A %U:%G' "$sock" 2>&1)" "srw-rw---- root:milterkit"
if getent passwd postfix >/dev/null; then
	tap_check "user postfix can connect to the socket" \
		runuser -u postfix -- /usr/bin/python3 -c \
		'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
else
	tap_ok "user postfix can connect to the socket # SKIP no postfix user"
fi
kill -HUP "$milter_pid" 2>/dev/null; sleep 1
tap_check "SIGHUP (ExecReload) keeps it running" kill -0 "$milter_pid"
kill -TERM "$milter_pid" 2>/dev/null
i=0
while kill -0 "$milter_pid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
tap_check "SIGTERM stops it within 10 s" sh -c "! kill -0 $milter_pid 2>/dev/null"
milter_pid=
tap_check "it removed its pid file and socket" \
	sh -c "test ! -e $pidf && test ! -e $sock"

# --- remove, then purge ------------------------------------------------------
if apt-get remove -y milterkit >"$tmp/remove.log" 2>&1; then
	tap_ok "apt-get remove"
else
	tap_fail "apt-get remove" "$(tail -n 20 "$tmp/remove.log")"
fi
tap_check "the binary is gone after remove" test ! -e /usr/sbin/milterkit
tap_check "the milter and its unit are gone after remove" sh -c \
	'test ! -e /usr/sbin/milterkit-suppress && test ! -e /lib/systemd/system/milterkit-suppress.service'
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
tap_check "purge removes /run/milterkit" test ! -e /run/milterkit
