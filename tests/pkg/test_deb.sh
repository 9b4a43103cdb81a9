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

tap_plan 201

[ "$(id -u)" = 0 ] || tap_bail "needs root: it installs the package system-wide"
if dpkg-query -W -f='${Status}' milterkit 2>/dev/null | grep -q ' installed$'; then
	tap_bail "milterkit is already installed here; purge it first (apt-get purge milterkit)"
fi

# The daemons the package ships, each with its binary, manual page and unit.
# (milterkit-headers: header milter; milterkit-chain: both filters on one
# milter socket; milterkit-dkim: the DKIM signer; milterkit-dmarc: SPF,
# DKIM verification and DMARC; milterkit-policyd:
# Postfix policy service; all run like
# milterkit-suppress.) 17 points each: 5 for the file, 11 exercised, 1
# after remove.
daemons="suppress headers chain dkim dmarc policyd returnpath unsubd ratelimit"
conf=/etc/milterkit/milterkit.conf

tmp=$(mktemp -d)
daemon_pid=
installed=
cleanup() {
	# Only the daemon this script started, by its pid.
	case $daemon_pid in [1-9]*) kill "$daemon_pid" 2>/dev/null ;; esac
	# A run stopped half-way leaves no package behind (nor the edited
	# configuration, which the purge removes).
	if [ -n "$installed" ] &&
	    dpkg-query -W -f='${Status}' milterkit 2>/dev/null | grep -q ' installed$'; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y milterkit >/dev/null 2>&1
	fi
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
tap_like "ships the logrotate snippet" "$contents" '^\./etc/logrotate\.d/milterkit$'
tap_like "ships the README under /usr/share/doc/milterkit" "$contents" \
	'^\./usr/share/doc/milterkit/README\.md(\.gz)?$'
tap_like "ships the sample configuration under /usr/share/doc/milterkit/examples" \
	"$contents" '^\./usr/share/doc/milterkit/examples/milterkit\.conf(\.gz)?$'
tap_like "ships the tmpfiles.d entry for /run/milterkit" "$contents" \
	'^\./usr/lib/tmpfiles\.d/milterkit\.conf$'
tap_like "ships the store directory" "$contents" '^\./var/lib/milterkit/$'
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -x "$deb" "$tmp/root"
tap_like "the logrotate snippet signals the services, not pids from files" \
	"$(cat "$tmp/root/etc/logrotate.d/milterkit" 2>&1)" \
	'systemctl kill --signal=USR1 --kill-who=main'
postinst=$(cat "$tmp/control/postinst" 2>&1)
# Each daemon (5 points each): binary, manual page, unit, the unit's keys
# its start-up depends on (systemd-analyze verify, after installation,
# checks the syntax), enabled and started by the postinst.
for d in $daemons; do
	tap_like "ships /usr/sbin/milterkit-$d" "$contents" "^\./usr/sbin/milterkit-$d\$"
	tap_like "ships milterkit-$d(8)" "$contents" \
		"^\./usr/share/man/man8/milterkit-$d\.8\.gz\$"
	tap_like "ships milterkit-$d.service where dh_installsystemd finds it" "$contents" \
		"^\./lib/systemd/system/milterkit-$d\.service\$"
	unit=$tmp/root/lib/systemd/system/milterkit-$d.service
	keys=$(grep -E '^(Type|PIDFile|ExecStart|ExecReload|Restart|Group|RuntimeDirectory)=' "$unit" 2>&1)
	tap_is "milterkit-$d.service: start-up keys" "$keys" "Type=forking
PIDFile=/run/milterkit/$d.pid
ExecStart=/usr/sbin/milterkit-$d -P /run/milterkit/$d.pid
ExecReload=/usr/sbin/milterkit-$d -t
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
Group=milterkit"
	tap_like "the postinst enables and starts milterkit-$d.service" "$postinst" \
		"deb-systemd-invoke (\\\$_dh_action|start) .*milterkit-$d\.service"
done
tap_like "the postinst creates /run/milterkit after the user" \
	"$(sed -n '/adduser --system/,$p' "$tmp/control/postinst" 2>&1)" 'systemd-tmpfiles .*--create milterkit\.conf'
tap_like "the configuration is a conffile" \
	"$(cat "$tmp/control/conffiles" 2>/dev/null)" '^/etc/milterkit/milterkit\.conf$'
tap_like "the logrotate snippet is a conffile" \
	"$(cat "$tmp/control/conffiles" 2>/dev/null)" '^/etc/logrotate\.d/milterkit$'

lintian --no-tag-display-limit "$deb" >"$tmp/lintian.out" 2>&1
errors=$(grep '^E:' "$tmp/lintian.out")
tap_is "lintian reports no errors" "$errors" ""
sed -n 's/^\([WIP]:\)/# lintian \1/p' "$tmp/lintian.out"

# --- install ---------------------------------------------------------------
installed=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$tmp/install.log" 2>&1; then
	tap_ok "apt-get install"
else
	tap_fail "apt-get install" "$(tail -n 20 "$tmp/install.log")"
fi
tap_check "system user milterkit exists" getent passwd milterkit
tap_check "system group milterkit exists" getent group milterkit
tap_is "milterkit's home is the store" \
	"$(getent passwd milterkit | cut -d: -f6)" /var/lib/milterkit
tap_is "the log directory belongs to milterkit:adm, mode 2750" \
	"$(stat -c '%U:%G %a' /var/log/milterkit 2>&1)" "milterkit:adm 2750"
tap_is "the store belongs to milterkit, mode 0750" \
	"$(stat -c '%U:%G %a' /var/lib/milterkit 2>&1)" "milterkit:milterkit 750"
tap_is "the DKIM key directory belongs to milterkit, mode 0700" \
	"$(stat -c '%U:%G %a' /etc/milterkit/dkim 2>&1)" "milterkit:milterkit 700"
tap_is "an empty signing table, milterkit's, mode 0600 (milterkit-dkim starts)" \
	"$(stat -c '%U:%G %a' /etc/milterkit/dkim/signing.table 2>&1):$(grep -v '^#' \
	/etc/milterkit/dkim/signing.table 2>&1)" "milterkit:milterkit 600:"
if [ -d /var/spool/postfix ]; then
	tap_is "the sockets' directory in Postfix's queue directory" \
		"$(stat -c '%U:%G %a' /var/spool/postfix/milterkit 2>&1)" "milterkit:milterkit 750"
else
	tap_fail "the sockets' directory in Postfix's queue directory" "no /var/spool/postfix: postfix not installed"
fi
tap_is "the installation created an empty store, owned by milterkit" \
	"$(stat -c '%U:%G' /var/lib/milterkit/suppress/data.mdb 2>&1)" \
	"milterkit:milterkit"
tap_like "the store is empty and readable" \
	"$(runuser -u milterkit -- /usr/sbin/milterkit store info 2>&1)" \
	"entries: *0"
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

# --- the daemons, each started as its unit starts it -------------------------
tap_is "/run/milterkit belongs to milterkit, mode 0750" \
	"$(stat -c '%U:%G %a' /run/milterkit 2>&1)" "milterkit:milterkit 750"
if getent passwd postfix >/dev/null; then
	tap_like "the postinst put postfix in group milterkit" \
		"$(id -Gn postfix 2>&1)" '(^| )milterkit( |$)'
else
	tap_ok "the postinst put postfix in group milterkit # SKIP no postfix user"
fi

# ask SOCKET ATTR...: one Postfix policy request (name=value lines) sent as
# user postfix; prints the reply without its empty line.
ask() {
	local sock=$1
	shift
	runuser -u postfix -- /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall("".join(a + "\n" for a in sys.argv[2:]).encode() + b"\n")
b = b""
while not b.endswith(b"\n\n"):
    c = s.recv(4096)
    if not c:
        break
    b += c
sys.stdout.write(b.decode().strip())' "$sock" "$@"
}

# milterkit-policyd after a reload (11 points for every daemon, 3 more here):
# a rule added to the configuration applies after SIGHUP, and its counter
# is written by user milterkit into the store's ratelimit/ environment.
policyd_reload() {
	local sock=$1
	tap_is "policyd: the reloaded rule admits a first message" \
		"$(ask "$sock" protocol_state=END-OF-MESSAGE sender=limited@pkg.example \
		instance=pkg.1 queue_id=PKG1 recipient_count=1 2>&1)" "action=DUNNO"
	tap_like "policyd: the counter was written, the next message is deferred" \
		"$(ask "$sock" protocol_state=RCPT sender=limited@pkg.example \
		instance=pkg.2 recipient=r@pkg.example 2>&1)" '^action=DEFER 4\.7\.1'
	tap_is "policyd: /var/lib/milterkit/ratelimit belongs to milterkit" \
		"$(stat -c '%U:%G' /var/lib/milterkit/ratelimit 2>&1)" "milterkit:milterkit"
}

# exercise NAME: milterkit-NAME's -V, -t and unit, then the daemon started
# as the unit starts it, without systemd: root with group milterkit
# (Group=), forking; the parent exits once the daemon listens. Its output
# goes to a file: the detached daemon keeps the descriptors it was given.
exercise() {
	local d=$1 bin=/usr/sbin/milterkit-$1
	local sock=/run/milterkit/$1.sock pidf=/run/milterkit/$1.pid
	# milterkit-ratelimit's section is [rlimit] ([ratelimit NAME] are the
	# rules), and its default socket is named after the section.
	local sec=$1
	[ "$d" = ratelimit ] && sock=/run/milterkit/rlimit.sock sec=rlimit
	tap_like "milterkit-$d -V names the version" "$($bin -V 2>&1)" "$version"
	tap_check "milterkit-$d -t accepts the packaged configuration" \
		$bin -t -c "$conf"
	if command -v systemd-analyze >/dev/null 2>&1; then
		tap_check "systemd-analyze verify milterkit-$d.service" \
			systemd-analyze verify /lib/systemd/system/milterkit-$d.service
	else
		tap_ok "systemd-analyze verify milterkit-$d.service # SKIP no systemd-analyze (keys checked above)"
	fi
	if setpriv --regid=milterkit --clear-groups $bin -P "$pidf" \
		</dev/null >"$tmp/$d.log" 2>&1; then
		tap_ok "milterkit-$d starts as its unit starts it"
	else
		tap_fail "milterkit-$d starts as its unit starts it" "$(cat "$tmp/$d.log")"
	fi
	# Signals go to this pid only: never to an empty or 0 one (the group).
	daemon_pid=$(sed -n '1s/^\([1-9][0-9]*\)$/\1/p' "$pidf" 2>/dev/null)
	daemon_pid=${daemon_pid:-999999999}
	tap_is "milterkit-$d: the pid file names it, running as milterkit" \
		"$(ps -o user= -p "$daemon_pid" 2>&1)" milterkit
	tap_is "milterkit-$d: its socket is srw-rw---- root:milterkit" \
		"$(stat -c '%A %U:%G' "$sock" 2>&1)" "srw-rw---- root:milterkit"
	if ! getent passwd postfix >/dev/null; then
		tap_ok "milterkit-$d: user postfix can connect # SKIP no postfix user"
	elif [ "$d" = policyd ]; then
		tap_is "milterkit-$d: user postfix gets action=DUNNO to a policy request" \
			"$(ask "$sock" request=smtpd_access_policy protocol_state=RCPT \
			sender=a@b.example 2>&1)" "action=DUNNO"
	else
		tap_check "milterkit-$d: user postfix can connect to the socket" \
			runuser -u postfix -- /usr/bin/python3 -c \
			'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
	fi
	if [ "$d" = policyd ]; then
		cp -p "$conf" "$tmp/conf.orig"
		printf '\n[ratelimit pkgtest]\nkey = sender\nmessages = 1/1h\naction = defer\n' >>"$conf"
	fi
	kill -HUP "$daemon_pid" 2>/dev/null; sleep 1
	tap_check "milterkit-$d: SIGHUP (ExecReload) keeps it running" kill -0 "$daemon_pid"
	# The unit's reload checks the file first: with a bad file its first
	# ExecReload command fails (so does `systemctl reload`), naming the
	# line, and the second (the SIGHUP) is never reached.
	check=$(sed -n 's/^ExecReload=\(.*-t\)$/\1/p' \
		"/lib/systemd/system/milterkit-$d.service")
	cp -p "$conf" "$tmp/conf.good"
	printf '\n[%s]\nno_such_key = 1\n' "$sec" >>"$conf"
	out=$($check 2>&1); rc=$?
	tap_like "milterkit-$d: reload with a bad file fails, naming FILE:LINE" \
		"$rc:$out" "^2:$conf:[0-9]+: .*no_such_key"
	mv -f "$tmp/conf.good" "$conf"
	if [ "$d" = policyd ]; then
		if getent passwd postfix >/dev/null; then
			policyd_reload "$sock"
		else
			for i in 1 2 3; do tap_ok "policyd after a reload # SKIP no postfix user"; done
		fi
		mv -f "$tmp/conf.orig" "$conf"
	fi
	kill -TERM "$daemon_pid" 2>/dev/null
	i=0
	while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	tap_check "milterkit-$d: SIGTERM stops it within 10 s" \
		sh -c "! kill -0 $daemon_pid 2>/dev/null"
	daemon_pid=
	tap_check "milterkit-$d removed its pid file and socket" \
		sh -c "test ! -e $pidf && test ! -e $sock"
}
for d in $daemons; do
	exercise "$d"
done

# --- remove, then purge ------------------------------------------------------
if apt-get remove -y milterkit >"$tmp/remove.log" 2>&1; then
	tap_ok "apt-get remove"
else
	tap_fail "apt-get remove" "$(tail -n 20 "$tmp/remove.log")"
fi
tap_check "the binary is gone after remove" test ! -e /usr/sbin/milterkit
for d in $daemons; do
	tap_check "milterkit-$d and its unit are gone after remove" sh -c \
		"test ! -e /usr/sbin/milterkit-$d && test ! -e /lib/systemd/system/milterkit-$d.service"
done
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
tap_check "purge removes /var/spool/postfix/milterkit" test ! -e /var/spool/postfix/milterkit
tap_check "purge removes /var/log/milterkit" test ! -e /var/log/milterkit
