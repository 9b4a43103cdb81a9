#!/bin/bash
# tests/policyd/test_log_target.sh - where a detached daemon logs ([log]
# target), with milterkit-policyd (the milters share the code:
# common/daemon_start.c, common/log.c).
#
# target = file:PATH: the daemon, started as root without -f, writes its
# lines there; after the file is renamed (as logrotate does), SIGUSR1
# makes it open a new file at PATH (the daemon runs as nobody by then),
# and so does SIGHUP. target = stderr keeps the daemon's stderr open when
# it detaches. A bad target fails -t with FILE:LINE. Every daemon started
# is stopped by its pid; every wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/lib/tap.sh"

PD="$top_builddir/policyd/milterkit-policyd"
[ -x "$PD" ] || tap_bail "$PD not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the daemon drops to nobody)"
tap_plan 11

dir=$(mktemp -d)
chmod 755 "$dir"
mkdir -m 755 "$dir/log" "$dir/store" && chown nobody "$dir/log" "$dir/store"
pids=
cleanup() {
	local p
	[ "$BASHPID" = "$$" ] || return 0	# not in a subshell
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

# write_conf TARGET
write_conf() {
	cat >"$dir/pd.conf" <<EOF2
[store]
path = $dir/store

[log]
target = $1

[policyd]
socket = unix:$dir/pd.sock
user = nobody
pidfile = $dir/pd.pid

[ratelimit per-sender]
key = sender
messages = 2/1h
EOF2
}
. "$top_srcdir/tests/lib/daemon.sh"	# wait_for
has() { grep -q -- "$2" "$1" 2>/dev/null; }
# stop PID: no longer ours to kill at exit afterwards (its pid may be reused)
stop() { pids=${pids/ $1/}; daemon_stop "$1"; }

LOG=$dir/log/pd.log
write_conf "file:$LOG"
timeout 20 "$PD" -c "$dir/pd.conf" >"$dir/start.out" 2>&1
tap_is "started without -f: the parent returns 0 once the daemon is ready" "$?" 0
pid=$(cat "$dir/pd.pid" 2>/dev/null)
pids="$pids $pid"
tap_like "the pid file names a running daemon" "$(kill -0 "$pid" 2>&1 && echo alive)" alive
wait_for has "$LOG" "started milterkit-policyd"
tap_like "its lines go to the file, syslog-like, from the start (socket) on" \
    "$(grep 'listening on' "$LOG" 2>/dev/null)/$(grep started "$LOG" 2>/dev/null)" \
    "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} milterkit-policyd\\[[0-9]+\\]: info: listening on .*/.*milterkit-policyd\\[$pid\\]: info: started"
tap_is "nothing on the terminal it was started from" "$(cat "$dir/start.out")" ""

mv "$LOG" "$LOG.1"
kill -USR1 "$pid"
if wait_for has "$LOG" "log reopened"; then tap_ok "SIGUSR1 after a rename: a new file at the path"
else tap_fail "SIGUSR1 after a rename: a new file at the path" "$(ls -l "$dir/log")"; fi
tap_is "the renamed file gets nothing more" "$(grep -c 'log reopened' "$LOG.1")" 0
tap_is "the new file belongs to the daemon's user" "$(stat -c %U "$LOG" 2>&1)" nobody

mv "$LOG" "$LOG.2"
kill -HUP "$pid"
if wait_for has "$LOG" "reloaded"; then tap_ok "SIGHUP reopens it too"
else tap_fail "SIGHUP reopens it too" "$(ls -l "$dir/log")"; fi
stop "$pid"

# target = stderr: the detached daemon keeps its stderr.
write_conf stderr
timeout 20 "$PD" -c "$dir/pd.conf" 2>"$dir/stderr.txt"
pid=$(cat "$dir/pd.pid" 2>/dev/null)
pids="$pids $pid"
wait_for has "$dir/stderr.txt" "started milterkit-policyd"
tap_like "target = stderr: the detached daemon logs to its stderr" \
    "$(cat "$dir/stderr.txt")" "info: started milterkit-policyd"
stop "$pid"

# A bad target is a configuration error.
write_conf journal
out=$("$PD" -t -c "$dir/pd.conf" 2>&1)
tap_like "a bad target fails -t with FILE:LINE" "$?:$out" \
    "^2:$dir/pd.conf:5: .*expected syslog, stderr or file:/path"
write_conf "file:log/relative.log"
out=$("$PD" -t -c "$dir/pd.conf" 2>&1)
tap_like "a relative file fails -t" "$?:$out" "^2:.*absolute path"
