# tests/lib/daemon.sh - start and stop one daemon under test (sourced).
#
#   daemon_start SOCKET LOG CMD...  run CMD in the background with stderr
#                                   appended to LOG, wait (at most 10 s) for
#                                   the unix socket SOCKET; the pid is in
#                                   $daemon_pid; 0 when it listens, 1 when it
#                                   died or never listened
#   daemon_stop PID                 TERM, wait up to 10 s, then KILL; reaps it
#   wait_for CMD...                 run CMD every 0.1 s until it succeeds,
#                                   at most 10 s; 0 when it did (a bound,
#                                   not a measure)
daemon_start() {
	local sock=$1 log=$2 i
	shift 2
	rm -f "$sock"
	"$@" 2>>"$log" &
	daemon_pid=$!
	for i in $(seq 1 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

daemon_stop() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
