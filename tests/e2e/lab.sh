# tests/e2e/lab.sh - a private Postfix on loopback for end-to-end tests (bash, sourced).
#
# SYNOPSIS
#   . "$top_srcdir/tests/e2e/lab.sh"
#   lab_start [main.cf line...]   make the run directory, start the sink and Postfix,
#                                 wait (bounded) until smtpd greets; installs the
#                                 EXIT trap that calls lab_stop
#   lab_postconf 'key = value'... edit the lab's main.cf (postconf -c DIR -e)
#   lab_reload                    postfix reload; waits until master logged it
#   lab_listener [-o name=value]...  one more smtpd on a free loopback port, with
#                                 these overrides (master.cf -o); prints the
#                                 port; takes effect at the next lab_reload
#   lab_send [swaks args...]      swaks against the lab's smtpd; transcript in
#                                 $LAB_LAST; returns swaks' exit status
#   lab_reply_for CMD             the server's reply to CMD ("RCPT TO:<a@b>", "DATA",
#                                 "." for end of data) in $LAB_LAST (last occurrence)
#   lab_banner                    the greeting line smtpd sends on connect
#   lab_wait_sink N [SECONDS]     wait until N messages are complete in the sink
#   lab_sink_count                number of complete captured messages
#   lab_sink_rcpts [N]            recipients (X-Rcpt-Args) of all messages, or the Nth
#   lab_sink_message N            path of the Nth captured message (oldest first)
#   lab_log                       the Postfix maillog
#   lab_queue_empty [SECONDS]     true when the lab's queue is empty (waits SECONDS)
#   lab_source N SESSIONS [args]  smtp-source N messages over SESSIONS sessions;
#                                 elapsed seconds in $LAB_SOURCE_SECONDS
#   lab_pids                      pids of every live process of this instance
#   lab_at_exit 'command'         run command at exit, before lab_stop
#   lab_daemon_dir NAME           make $LAB_DIR/NAME for a daemon that runs as
#                                 nobody (owned by nobody, mode 0755), print it
#   lab_daemon_start SOCKET LOG CMD...  start the test's daemon (daemon_start of
#                                 tests/lib/daemon.sh); its pid in
#                                 $LAB_DAEMON_PID; lab_stop stops it first
#   lab_daemon_stop               stop that daemon by its pid
#   lab_stop                      stop everything the lab started, by pid; remove
#                                 the run directory unless LAB_KEEP=1
#
#   LAB_CHROOT=y runs smtpd, cleanup and pickup chrooted in the queue
#   directory, as a stock Debian Postfix does (master.cf chroot column y):
#   milter and policy sockets must then be named relative to the queue
#   directory (unix:milterkit/x.sock for $LAB_DIR/queue/milterkit/x.sock).
#
#   LAB_TMPFS=SIZE (e.g. 2g) puts the run directory (queue, sink) on a tmpfs of
#   that size, mounted by lab_start and unmounted by lab_stop: benchmarks use it
#   so that the file system's own cost and its drift over many thousands of
#   queue files do not swamp what they compare.
#
# DESCRIPTION
#   Each lab_start makes $top_builddir/tests/e2e/run.XXXXXX with its own
#   config_directory (etc/), queue_directory (queue/), data_directory (data/),
#   maillog, and sink/ where smtp-sink writes one file per message. smtpd listens on
#   127.0.0.1:$LAB_SMTP_PORT; mail relays to the sink at 127.0.0.1:$LAB_SINK_PORT.
#   The system Postfix (/etc/postfix, port 25) is never edited nor started.
#
#   Exported: LAB_DIR LAB_CONF LAB_SMTP_PORT LAB_SINK_PORT LAB_SINK_DIR LAB_SINK_PID
#   LAB_LAST. Call lab_start in the test's own shell (not in $(...)); do not replace
#   the EXIT trap afterwards: register cleanups with lab_at_exit.
#
# DIAGNOSTICS
#   Functions return non-zero on failure and say why on stderr.

LAB_USER=${LAB_USER:-nobody}
LAB_HOSTNAME=lab.milterkit.test
LAB_DIR='' LAB_CONF='' LAB_SMTP_PORT='' LAB_SINK_PORT='' LAB_SINK_DIR='' LAB_SINK_PID=''
LAB_LAST='' LAB_SOURCE_SECONDS=''
lab__exit_cmds=()
lab__prev_trap=
lab__mounted=0
LAB_DAEMON_PID=''
. "${top_srcdir:-.}/tests/lib/daemon.sh"
PATH=$PATH:/usr/sbin:/sbin

lab__err() { echo "lab: $*" >&2; }

# A loopback TCP port nobody listens on now (checked against ss, then retried
# by the caller if the bind still loses a race), below the kernel's range of
# ephemeral ports: a port in that range can be held by one of the thousands
# of client connections a test or benchmark just made.
lab__free_port() {
	local used port i lo=32768 hi
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "${lo:-0}" -gt 12000 ] || lo=32768
	used=$(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	for i in $(seq 1 200); do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! printf '%s\n' "$used" | grep -qx "$port"; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

lab__listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Start smtp-sink on a free port; retry a few ports.
lab__start_sink() {
	local i
	for _ in 1 2 3 4 5; do
		LAB_SINK_PORT=$(lab__free_port) || return 1
		smtp-sink -u "$LAB_USER" -d "$LAB_SINK_DIR/%Y%m%d%H%M%S." \
			"127.0.0.1:$LAB_SINK_PORT" 256 \
			</dev/null >>"$LAB_DIR/sink.log" 2>&1 &
		LAB_SINK_PID=$!
		for i in $(seq 1 40); do
			lab__listening "$LAB_SINK_PORT" && return 0
			kill -0 "$LAB_SINK_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$LAB_SINK_PID" 2>/dev/null
		wait "$LAB_SINK_PID" 2>/dev/null
		LAB_SINK_PID=
	done
	lab__err "smtp-sink did not start: $(tail -3 "$LAB_DIR/sink.log")"
	return 1
}

lab__write_config() {
	local port=$1 line
	shift
	cat >"$LAB_CONF/main.cf" <<EOF
# main.cf of a milterkit test lab (generated by tests/e2e/lab.sh)
compatibility_level = 3.6
queue_directory = $LAB_DIR/queue
data_directory = $LAB_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $LAB_HOSTNAME
mydomain = milterkit.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in the lab
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$LAB_SINK_PORT
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP milterkit-lab
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
milter_default_action = tempfail
soft_bounce = no
maillog_file = $LAB_DIR/maillog
maillog_file_prefixes = $LAB_DIR
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connection_cache_on_demand = no
in_flow_delay = 0
biff = no
append_dot_mydomain = no
EOF
	for line in "$@"; do
		printf '%s\n' "$line" >>"$LAB_CONF/main.cf"
	done
	# chroot (5th column) off, except for smtpd, cleanup and pickup with
	# LAB_CHROOT=y; no port 25.
	local c=${LAB_CHROOT:-n}
	cat >"$LAB_CONF/master.cf" <<EOF
# master.cf of a milterkit test lab (generated by tests/e2e/lab.sh)
127.0.0.1:$port inet n - $c - - smtpd
pickup    unix  n       -       $c      60      1       pickup
cleanup   unix  n       -       $c      -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# The greeting line of the lab's smtpd, or nothing (bounded: 5 s).
lab_banner() {
	local fd line=
	exec {fd}<>"/dev/tcp/127.0.0.1/$LAB_SMTP_PORT" 2>/dev/null || return 1
	IFS= read -r -t 5 line <&"$fd"
	{ printf 'QUIT\r\n' >&"$fd"; } 2>/dev/null
	exec {fd}>&-
	line=${line%$'\r'}
	[ -n "$line" ] || return 1
	printf '%s\n' "$line"
}

lab__on_exit() {
	local rc=$? cmd
	for cmd in "${lab__exit_cmds[@]}"; do
		eval "$cmd" || true
	done
	lab_stop
	[ -n "$lab__prev_trap" ] && eval "$lab__prev_trap"
	return $rc
}

# The command of a `trap -p` line.
lab__trap_cmd() {
	[ -n "$1" ] || return 0
	eval "set -- $1"
	[ "$1" = trap ] && [ "$2" = -- ] && printf '%s' "$3"
}

# Postfix prints fatal errors only to a terminal (there is no syslog here):
# rerun a failed command under script(1) to show why.
lab__why() {
	if command -v script >/dev/null 2>&1; then
		timeout 30 script -qec "$*" /dev/null 2>&1 | tr -d '\r' | tail -5
	fi
	tail -5 "$LAB_DIR/maillog" 2>/dev/null
}

lab_at_exit() { lab__exit_cmds+=("$1"); }

lab_daemon_dir() {
	mkdir -p "$LAB_DIR/$1" && chown nobody "$LAB_DIR/$1" && chmod 755 "$LAB_DIR/$1" ||
		{ lab__err "cannot make $LAB_DIR/$1"; return 1; }
	echo "$LAB_DIR/$1"
}

lab_daemon_start() {
	local rc
	daemon_start "$@"
	rc=$?
	LAB_DAEMON_PID=$daemon_pid
	return $rc
}

lab_daemon_stop() { daemon_stop "$LAB_DAEMON_PID"; LAB_DAEMON_PID=''; }

lab_start() {
	local base i banner= tries=0
	if [ -n "$LAB_DIR" ]; then
		lab__err "lab already started in $LAB_DIR"
		return 1
	fi
	base=${top_builddir:-.}/tests/e2e
	mkdir -p "$base" || return 1
	LAB_DIR=$(mktemp -d "$(cd "$base" && pwd)/run.XXXXXX") || return 1
	if [ -n "${LAB_TMPFS:-}" ]; then
		mount -t tmpfs -o "size=$LAB_TMPFS" tmpfs "$LAB_DIR" ||
			{ lab__err "cannot mount a tmpfs on $LAB_DIR"; rmdir "$LAB_DIR"; LAB_DIR=''; return 1; }
		lab__mounted=1
	fi
	chmod 755 "$LAB_DIR"
	LAB_CONF=$LAB_DIR/etc
	LAB_SINK_DIR=$LAB_DIR/sink
	mkdir -p "$LAB_CONF" "$LAB_DIR/queue" "$LAB_DIR/data" "$LAB_SINK_DIR"
	chown "$LAB_USER" "$LAB_SINK_DIR"
	chown postfix "$LAB_DIR/data"
	export LAB_DIR LAB_CONF LAB_SMTP_PORT LAB_SINK_PORT LAB_SINK_DIR LAB_SINK_PID LAB_LAST

	# Chain a trap the test set before us, then take over EXIT.
	if [ -z "$lab__prev_trap" ]; then
		lab__prev_trap=$(lab__trap_cmd "$(trap -p EXIT)")
	fi
	trap lab__on_exit EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP

	lab__start_sink || return 1
	for _ in 1 2 3; do
		LAB_SMTP_PORT=$(lab__free_port) || return 1
		lab__write_config "$LAB_SMTP_PORT" "$@"
		if ! timeout 30 postfix -c "$LAB_CONF" start >/dev/null 2>&1; then
			# Lost a race for the port? Try two more before giving up.
			tries=$((tries + 1))
			[ "$tries" -lt 3 ] && { lab__kill_instance; continue; }
			lab__err "postfix start failed: $(lab__why postfix -c "$LAB_CONF" check)"
			return 1
		fi
		for i in $(seq 1 100); do
			banner=$(lab_banner) && break
			sleep 0.1
		done
		case $banner in
		220*) export LAB_SMTP_PORT; return 0 ;;
		esac
		# Lost a race for the port? Stop and try another one.
		timeout 15 postfix -c "$LAB_CONF" stop >/dev/null 2>&1
		lab__kill_instance
	done
	lab__err "smtpd never greeted on 127.0.0.1:$LAB_SMTP_PORT"
	tail -5 "$LAB_DIR/maillog" >&2 2>/dev/null
	return 1
}

lab_postconf() {
	local kv
	for kv in "$@"; do
		postconf -c "$LAB_CONF" -e "$kv" || return 1
	done
}

# Pids of this instance's processes running PROGRAM (smtpd, cleanup, ...).
lab__pids_of() {
	local p
	for p in $(lab_pids); do
		[ "$({ cat "/proc/$p/comm"; } 2>/dev/null)" = "$1" ] && echo "$p"
	done
}

# postfix reload is asynchronous: wait until master logged it and the smtpd
# processes of the old configuration left (idle ones leave at once), so the
# next connection meets the new main.cf. Bounded: 10 s each.
lab_listener() {
	local port
	port=$(lab__free_port) || { lab__err "no free port"; return 1; }
	echo "127.0.0.1:$port inet n - ${LAB_CHROOT:-n} - - smtpd $*" >>"$LAB_CONF/master.cf"
	echo "$port"
}

lab_reload() {
	local before old p i
	before=$(grep -c 'postfix/master.*: reload --' "$LAB_DIR/maillog" 2>/dev/null)
	old=$(lab__pids_of smtpd)
	postfix -c "$LAB_CONF" reload >/dev/null 2>&1 || {
		lab__err "postfix reload failed: $(lab__why postfix -c "$LAB_CONF" check)"
		return 1
	}
	for i in $(seq 1 100); do
		[ "$(grep -c 'postfix/master.*: reload --' "$LAB_DIR/maillog")" -gt "$before" ] &&
			break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { lab__err "master did not log the reload"; return 1; }
	for i in $(seq 1 100); do
		p=
		for p in $old; do [ -d "/proc/$p" ] && break; p=; done
		[ -z "$p" ] && return 0
		sleep 0.1
	done
	lab__err "smtpd $p of the old configuration is still busy"
	return 0
}

lab_send() {
	local rc=0
	LAB_LAST=$(swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" --timeout 20 \
		--helo client.example.test --from sender@example.test \
		--to rcpt@example.test "$@" 2>&1) || rc=$?
	export LAB_LAST
	return $rc
}

lab_reply_for() {
	printf '%s\n' "$LAB_LAST" | awk -v cmd="$1" '
		{ sub(/\r$/, "") }
		$0 == " -> " cmd { inside = 1; got = 0; reply = ""; next }
		inside && /^<(-|\*\*) / {
			line = $0; sub(/^<(-|\*\*) +/, "", line)
			reply = got ? reply "\n" line : line; got = 1; next
		}
		inside && got { inside = 0; last = reply }
		END { if (inside && got) last = reply; if (last != "") print last; else exit 1 }'
}

# Files smtp-sink still holds open are messages in progress, not yet captured.
# (One ls and one grep whatever the number of files: benchmarks leave tens
# of thousands.)
lab__sink_files() {
	local f open=''
	if [ -n "$LAB_SINK_PID" ]; then
		open=$(for f in "/proc/$LAB_SINK_PID/fd/"*; do readlink "$f"; done 2>/dev/null)
	fi
	ls -1tr "$LAB_SINK_DIR" 2>/dev/null |
		awk -v d="$LAB_SINK_DIR" 'NF { print d "/" $0 }' |
		grep -vxF -- "$open"
}

lab_sink_count() { lab__sink_files | wc -l; }

lab_wait_sink() {
	local want=$1 secs=${2:-20} end
	end=$((SECONDS + secs))
	while [ "$(lab_sink_count)" -lt "$want" ]; do
		[ "$SECONDS" -ge "$end" ] && {
			lab__err "sink has $(lab_sink_count) of $want messages after ${secs}s"
			return 1
		}
		sleep 0.1
	done
}

lab_sink_message() { lab__sink_files | sed -n "${1}p" | grep .; }

lab_sink_rcpts() {
	local f
	if [ -n "${1:-}" ]; then
		f=$(lab_sink_message "$1") || return 1
		set -- "$f"
	else
		local files
		mapfile -t files < <(lab__sink_files)
		set -- "${files[@]}"
		[ $# -gt 0 ] || return 0
	fi
	sed -n 's/^X-Rcpt-Args: *<\([^>]*\)>.*/\1/p' "$@"
}

lab_log() { cat "$LAB_DIR/maillog" 2>/dev/null; }

lab_queue_empty() {
	local secs=${1:-0} end n
	end=$((SECONDS + secs))
	while :; do
		n=$(find "$LAB_DIR/queue/maildrop" "$LAB_DIR/queue/incoming" \
			"$LAB_DIR/queue/active" "$LAB_DIR/queue/deferred" \
			"$LAB_DIR/queue/hold" -type f 2>/dev/null | wc -l)
		[ "$n" -eq 0 ] && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

lab_source() {
	local n=$1 sessions=$2 t0 rc=0
	shift 2
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$n" -f sender@example.test -t rcpt@example.test \
		"$@" "127.0.0.1:$LAB_SMTP_PORT" || rc=$?
	LAB_SOURCE_SECONDS=$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null ||
		awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }')
	export LAB_SOURCE_SECONDS
	return $rc
}

# Every live process whose environment names this instance's MAIL_CONFIG,
# plus master by its pid files.
lab_pids() {
	local p f
	[ -n "$LAB_CONF" ] || return 0
	{
		for f in "$LAB_DIR/data/master.lock" "$LAB_DIR/queue/pid/master.pid"; do
			[ -r "$f" ] && p=$(tr -dc 0-9 <"$f") && [ -n "$p" ] &&
				[ -d "/proc/$p" ] && echo "$p"
		done
		for f in /proc/[0-9]*/environ; do
			p=${f#/proc/}
			p=${p%/environ}
			{ tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$LAB_CONF" &&
				echo "$p"
		done
	} | sort -un | while read -r p; do
		[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && [ -d "/proc/$p" ] && echo "$p"
	done
}

lab__kill_instance() {
	local i pids
	for i in $(seq 1 50); do
		pids=$(lab_pids)
		[ -z "$pids" ] && return 0
		# Give master and children 2 s to leave politely, then force.
		if [ "$i" -eq 1 ]; then kill -TERM $pids 2>/dev/null
		elif [ "$i" -ge 20 ]; then kill -KILL $pids 2>/dev/null
		fi
		sleep 0.1
	done
	lab__err "processes left behind: $(lab_pids | tr '\n' ' ')"
	return 1
}

lab_stop() {
	local rc=0
	[ -n "$LAB_DIR" ] || return 0
	lab_daemon_stop
	if [ -f "$LAB_CONF/main.cf" ]; then
		timeout 15 postfix -c "$LAB_CONF" stop >/dev/null 2>&1
		lab__kill_instance || rc=1
	fi
	if [ -n "$LAB_SINK_PID" ]; then
		kill "$LAB_SINK_PID" 2>/dev/null
		wait "$LAB_SINK_PID" 2>/dev/null
		kill -0 "$LAB_SINK_PID" 2>/dev/null && kill -KILL "$LAB_SINK_PID" 2>/dev/null
		LAB_SINK_PID=
	fi
	if [ "${LAB_KEEP:-0}" = 1 ]; then
		lab__err "kept $LAB_DIR$([ $lab__mounted = 1 ] && echo ' (a tmpfs: umount it when done)')"
	else
		if [ $lab__mounted = 1 ]; then
			umount "$LAB_DIR" 2>/dev/null || umount -l "$LAB_DIR" || rc=1
		fi
		rm -rf "$LAB_DIR"
	fi
	LAB_DIR='' LAB_CONF='' lab__mounted=0
	return $rc
}

# lab_test_start SECONDS [main.cf line...]: what an end-to-end test does
# first: a watchdog that ends the file after SECONDS (tap_watchdog), then
# lab_start, bailing out when the lab does not start; the watchdog is
# stopped with the lab.
lab_test_start() {
	local secs=$1
	shift
	tap_watchdog "$secs"
	lab__watchdog=$tap_watchdog_pid
	trap 'kill "$lab__watchdog" 2>/dev/null' EXIT
	lab_start "$@" || tap_bail "lab_start failed"
	lab_at_exit 'kill "$lab__watchdog" 2>/dev/null; wait "$lab__watchdog" 2>/dev/null'
}
