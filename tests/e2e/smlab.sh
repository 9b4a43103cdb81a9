# tests/e2e/smlab.sh - a private Sendmail on loopback beside the lab's Postfix
# (bash, sourced after tests/e2e/lab.sh).
#
# SYNOPSIS
#   . "$top_srcdir/tests/e2e/lab.sh"
#   . "$top_srcdir/tests/e2e/smlab.sh"
#   lab_start ...                 (or lab_test_start): the run directory and the sink
#   sm_install                    download and unpack Sendmail into $SM_ROOT once;
#                                 later calls reuse it; non-zero with the reason on
#                                 stderr when it cannot (no apt-get, no network...)
#   sm_start [[NAME=]SOCKET...]   generate sendmail.cf (m4 from the unpacked
#                                 sendmail-cf) with one input milter per SOCKET (a
#                                 path, or local:/path, inet:port@host; NAME defaults
#                                 to m1, m2...; F=T, T=S:30s;R:30s;E:5m), start
#                                 `sendmail -bD` on a free loopback port relaying
#                                 everything to the lab's sink, wait (bounded:
#                                 10 s) until it greets; its stop is registered
#                                 with lab_at_exit
#   sm_send [swaks args...]       swaks against it; transcript in $SM_LAST; returns
#                                 swaks' exit status
#   sm_reply_for CMD              Sendmail's reply to CMD in $SM_LAST (as lab_reply_for)
#   sm_banner                     the greeting line it sends on connect
#   sm_pids                       pids of every live process of this instance (its
#                                 session: the daemon, its SMTP children and
#                                 background deliveries)
#   sm_stop                       TERM the instance's session by the daemon's pid,
#                                 KILL what is left after 10 s; the daemon's pid
#                                 is then in $SM_LAST_PID (sm_pids $SM_LAST_PID
#                                 lists what would be left of it)
#
# DESCRIPTION
#   Sendmail and Postfix conflict as Debian packages, so Sendmail is never
#   installed: sm_install runs `apt-get download` for sendmail-bin,
#   sendmail-base, sendmail-cf and libwrap0 (after `apt-get update` when that
#   fails) - the Debian archive and nothing else - and unpacks them with
#   `dpkg -x` into $SM_ROOT (default $top_builddir/tests/e2e/sendmail-root),
#   with the .debs kept in $SM_ROOT/debs. The binary is copied to
#   $SM_ROOT/bin/sendmail without its setgid bit, so that LD_LIBRARY_PATH (the
#   private root's lib directories, for libwrap) is honoured.
#
#   sm_start makes $LAB_DIR/sendmail with sendmail.mc/.cf, queue/, a private
#   hosts file and service switch (hosts files: no DNS anywhere),
#   sendmail.pid and trace (the -X record of every SMTP exchange). Sendmail
#   runs as root in its own session (setsid) and its own UTS namespace
#   (unshare -u, host name $SM_HOSTNAME: with a short host name it sleeps
#   trying to qualify it); $j is $SM_HOSTNAME too. FEATURE(nocanonify),
#   DontProbeInterfaces, promiscuous relaying from anywhere (loopback only),
#   and a smart host esmtp:[127.0.0.1] with the mailer's A=TCP $h PORT
#   pointing at $LAB_SINK_PORT. There is no local delivery and no aliases.
#   There is no /dev/log: Sendmail's own log goes nowhere; read $SM_DIR/trace.
#
#   Exported: SM_ROOT SM_DIR SM_CF SM_PORT SM_PID SM_LAST SM_HOSTNAME.
#   SM_MC_EXTRA: more .mc lines (e.g. define(`confMILTER_MACROS_RCPT', ...)).
#
# DIAGNOSTICS
#   Functions return non-zero on failure and say why on stderr.

SM_ROOT=${SM_ROOT:-$(cd "${top_builddir:-.}" && pwd)/tests/e2e/sendmail-root}
SM_HOSTNAME=${SM_HOSTNAME:-sm.milterkit.test}
SM_DIR='' SM_CF='' SM_PORT='' SM_PID='' SM_LAST='' SM_LAST_PID=''
SM_PKGS="sendmail-bin sendmail-base sendmail-cf libwrap0"
sm__at_exit=0

sm__err() { echo "smlab: $*" >&2; }

sm__installed() {
	[ -x "$SM_ROOT/bin/sendmail" ] && [ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] &&
		[ -f "$SM_ROOT/.installed" ]
}

# shellcheck disable=SC2086 # SM_PKGS is a list
sm__download() {
	local dir=$1 out
	# -o APT::Sandbox::User=root: the directory is root's, _apt may not write it.
	out=$(cd "$dir" && timeout 120 apt-get -q -o APT::Sandbox::User=root download $SM_PKGS 2>&1) &&
		return 0
	timeout 300 apt-get -q update >/dev/null 2>&1 ||
		{ sm__err "apt-get update failed"; }
	out=$(cd "$dir" && timeout 120 apt-get -q -o APT::Sandbox::User=root download $SM_PKGS 2>&1) &&
		return 0
	sm__err "apt-get download $SM_PKGS failed: $(printf '%s\n' "$out" | tail -3)"
	return 1
}

sm_install() {
	local tmp deb lockfd rc=0
	sm__installed && return 0
	command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
		{ sm__err "apt-get and dpkg are needed to fetch Sendmail"; return 1; }
	command -v m4 >/dev/null || { sm__err "m4 is not installed (scripts/deps.sh)"; return 1; }
	[ "$(id -u)" = 0 ] || { sm__err "installing Sendmail needs root"; return 1; }
	mkdir -p "$(dirname "$SM_ROOT")" || return 1
	# One installer at a time; the others wait (bounded) and reuse its work.
	exec {lockfd}>"$SM_ROOT.lock" || return 1
	flock -w 300 "$lockfd" || { sm__err "timed out waiting for $SM_ROOT.lock"; exec {lockfd}>&-; return 1; }
	if ! sm__installed; then
		tmp=$(mktemp -d "$SM_ROOT.tmp.XXXXXX") || rc=1
		if [ $rc = 0 ]; then
			mkdir -p "$tmp/debs" "$tmp/bin"
			if [ -d "$SM_ROOT/debs" ] && ls "$SM_ROOT"/debs/*.deb >/dev/null 2>&1; then
				cp -p "$SM_ROOT"/debs/*.deb "$tmp/debs/"
			fi
			[ "$(ls "$tmp"/debs/*.deb 2>/dev/null | wc -l)" -ge 4 ] ||
				sm__download "$tmp/debs" || rc=1
		fi
		if [ $rc = 0 ]; then
			for deb in "$tmp"/debs/*.deb; do
				dpkg -x "$deb" "$tmp" || { sm__err "dpkg -x $deb failed"; rc=1; break; }
			done
		fi
		if [ $rc = 0 ]; then
			# A copy without setgid: the loader honours LD_LIBRARY_PATH.
			cp "$tmp/usr/libexec/sendmail/sendmail" "$tmp/bin/sendmail" &&
				chmod 0755 "$tmp/bin/sendmail" ||
				{ sm__err "no sendmail binary in the packages"; rc=1; }
		fi
		if [ $rc = 0 ]; then
			touch "$tmp/.installed"
			rm -rf "$SM_ROOT"
			mv "$tmp" "$SM_ROOT" || rc=1
		else
			rm -rf "$tmp"
		fi
	fi
	exec {lockfd}>&-
	[ $rc = 0 ] && sm__installed
}

sm__libpath() {
	local d p=
	for d in "$SM_ROOT"/lib/x86_64-linux-gnu "$SM_ROOT"/usr/lib/x86_64-linux-gnu \
		"$SM_ROOT"/lib/*-linux-gnu* "$SM_ROOT"/usr/lib/*-linux-gnu* "$SM_ROOT"/usr/lib; do
		[ -d "$d" ] && case ":$p:" in *":$d:"*) ;; *) p=${p:+$p:}$d ;; esac
	done
	printf '%s' "$p${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# The .mc for PORT and the milters "NAME=SPEC"... DontBlameSendmail lets a
# milter socket live under a sticky world-writable directory such as /tmp (a build
# tree checked out there): Sendmail refuses it as unsafe otherwise.
sm__write_mc() {
	local port=$1 m name spec names=''
	shift
	cat <<EOF
divert(-1)
# sendmail.mc of a milterkit test lab (generated by tests/e2e/smlab.sh)
divert(0)dnl
VERSIONID(\`milterkit smlab')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_HOSTNAME')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_DIR/hosts')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$SM_DIR/queue')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`STATUS_FILE', \`$SM_DIR/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`HELP_FILE', \`')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_ICONNECT', \`10s')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMIN_FREE_BLOCKS', \`0')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confLOG_LEVEL', \`9')dnl
define(\`confMILTER_LOG_LEVEL', \`20')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $LAB_SINK_PORT')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $LAB_SINK_PORT')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
EOF
	for m in "$@"; do
		names=${names:+$names,}${m%%=*}
		printf "INPUT_MAIL_FILTER(\`%s', \`S=%s, F=T, T=S:30s;R:30s;E:5m')dnl\n" \
			"${m%%=*}" "${m#*=}"
	done
	[ -n "$names" ] && printf "define(\`confINPUT_MAIL_FILTERS', \`%s')dnl\n" "$names"
	[ -n "${SM_MC_EXTRA:-}" ] && printf '%s\n' "$SM_MC_EXTRA"
	printf "MAILER(\`smtp')dnl\n"
}

sm_banner() {
	local fd line=
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$SM_PORT"; } 2>/dev/null || return 1
	IFS= read -r -t 5 line <&"$fd"
	{ printf 'QUIT\r\n' >&"$fd"; } 2>/dev/null
	exec {fd}>&-
	line=${line%$'\r'}
	[ -n "$line" ] || return 1
	printf '%s\n' "$line"
}

# Every live process in the daemon's session (setsid made it the leader);
# sm_pids SID looks at the session of an earlier daemon (SM_LAST_PID after
# sm_stop).
sm_pids() {
	local f p rest sid=${1:-$SM_PID}
	[ -n "$sid" ] || return 0
	for f in /proc/[0-9]*/stat; do
		p=${f#/proc/}
		p=${p%/stat}
		{ read -r rest <"$f"; } 2>/dev/null || continue
		rest=${rest##*) }	# after "pid (comm) "
		# state ppid pgrp session ...; a zombie is gone but for its reaping
		# shellcheck disable=SC2086 # split into fields
		set -- $rest
		[ "${4:-}" = "$sid" ] && [ "$1" != Z ] && echo "$p"
	done
	return 0
}

sm_start() {
	local arg name spec n=0 milters=() i banner= tries libpath
	[ -n "$LAB_DIR" ] || { sm__err "call lab_start first (the sink)"; return 1; }
	[ -z "$SM_PID" ] || { sm__err "Sendmail already started (pid $SM_PID)"; return 1; }
	sm_install || return 1
	for arg in "$@"; do
		n=$((n + 1))
		case $arg in
		*=*) name=${arg%%=*} spec=${arg#*=} ;;
		*) name=m$n spec=$arg ;;
		esac
		case $spec in
		/*) spec=local:$spec ;;
		esac
		milters+=("$name=$spec")
	done
	SM_DIR=$LAB_DIR/sendmail
	SM_CF=$SM_DIR/sendmail.cf
	mkdir -p "$SM_DIR/queue" && chmod 0755 "$SM_DIR" && chmod 0700 "$SM_DIR/queue" || return 1
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	printf '127.0.0.1 localhost %s\n' "$SM_HOSTNAME" >"$SM_DIR/hosts"
	: >"$SM_DIR/statistics"
	export SM_ROOT SM_DIR SM_CF SM_PORT SM_PID SM_LAST SM_HOSTNAME
	if [ "$sm__at_exit" = 0 ]; then
		lab_at_exit sm_stop
		sm__at_exit=1
	fi
	# With a short host name Sendmail sleeps (60 s) trying to qualify it
	# before it reads the .cf: it must run under its own, dotted one.
	unshare -u true 2>/dev/null ||
		{ sm__err "unshare -u fails (no CAP_SYS_ADMIN?): Sendmail needs its own dotted host name"; return 1; }
	libpath=$(sm__libpath)
	for tries in 1 2 3; do
		SM_PORT=$(lab__free_port) || { sm__err "no free port"; return 1; }
		sm__write_mc "$SM_PORT" "${milters[@]}" >"$SM_DIR/sendmail.mc"
		m4 -D_CF_DIR_="$SM_ROOT/usr/share/sendmail/cf/" \
			"$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SM_DIR/sendmail.mc" \
			>"$SM_CF" 2>"$SM_DIR/m4.err" ||
			{ sm__err "m4 failed: $(tail -3 "$SM_DIR/m4.err")"; return 1; }
		rm -f "$SM_DIR/sendmail.pid"
		# setsid: its own session, so that sm_stop finds every child; unshare
		# -u: its own host name, with dots.
		setsid unshare -u /bin/sh -c \
			'hostname "$0" && exec env LD_LIBRARY_PATH="$1" "$2" -bD -C "$3" -X "$4"' \
			"$SM_HOSTNAME" "$libpath" "$SM_ROOT/bin/sendmail" "$SM_CF" "$SM_DIR/trace" \
			</dev/null >>"$SM_DIR/sendmail.out" 2>&1 &
		SM_PID=$!
		for i in $(seq 1 100); do
			banner=$(sm_banner) && break
			kill -0 "$SM_PID" 2>/dev/null || break
			sleep 0.1
		done
		case $banner in
		220*) return 0 ;;
		esac
		sm_stop
		# Lost a race for the port? Try another; any other failure is final.
		grep -qi 'in use' "$SM_DIR/sendmail.out" 2>/dev/null || break
	done
	sm__err "sendmail never greeted on 127.0.0.1:$SM_PORT: $(tail -5 "$SM_DIR/sendmail.out" 2>/dev/null)"
	return 1
}

sm_send() {
	local rc=0
	SM_LAST=$(swaks --server 127.0.0.1 --port "$SM_PORT" --timeout 20 \
		--helo client.example.test --from sender@example.test \
		--to rcpt@example.test "$@" 2>&1) || rc=$?
	export SM_LAST
	return $rc
}

sm_reply_for() { LAB_LAST=$SM_LAST lab_reply_for "$1"; }

sm_stop() {
	local i pids
	[ -n "$SM_PID" ] || return 0
	# The session's process group is the daemon's pid; SMTP children and
	# deliveries are in it unless they made their own group: TERM both.
	kill -TERM -- "-$SM_PID" 2>/dev/null
	kill -TERM "$SM_PID" $(sm_pids) 2>/dev/null
	for i in $(seq 1 100); do
		[ -z "$(sm_pids)" ] && break
		sleep 0.1
	done
	pids=$(sm_pids)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	wait "$SM_PID" 2>/dev/null
	SM_LAST_PID=$SM_PID SM_PID=''
	return 0
}
