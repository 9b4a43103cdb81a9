# bench/lib/bench.sh - what the benchmark scripts share (bash, sourced by
# bench/*/run.sh with top_srcdir set).
#
#   bench_need FILE...        exit 2 unless every FILE is an executable (built)
#   bench_root                exit 2 unless running as root
#   bench_machine             print the machine line: cores, CPU, memory, load
#   bench_tmp NAME            make $tmp, a directory under /var/tmp (mode 0755:
#                             smtpd, user postfix, must reach sockets in it),
#                             and the EXIT trap that calls bench_cleanup
#   bench_cleanup             run the commands given to bench_at_exit, then
#                             remove $tmp (kept with KEEP=1)
#   bench_at_exit 'command'   run command at exit, before $tmp goes
#   bench_milter SOCK CONF PROGRAM
#                             start PROGRAM -f -c CONF -p unix:SOCK in the
#                             foreground, stderr to $tmp/milter.log (shown on
#                             failure); its pid in $mpid, stopped at exit;
#                             exit 1 when the socket does not appear
#   stop_milter               stop that milter by its pid (daemon_stop)
#   now; elapsed T0           wall clock; seconds since T0, one decimal
. "$top_srcdir/tests/lib/daemon.sh"
tmp='' mpid=''
bench__exit_cmds=()

bench_need() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 2; }
	done
}

bench_root() {
	[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 2; }
}

bench_machine() {
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
		"$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
		"load $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_at_exit() { bench__exit_cmds+=("$1"); }

bench_cleanup() {
	local cmd
	for cmd in "${bench__exit_cmds[@]}"; do
		eval "$cmd" || true
	done
	bench__exit_cmds=()
	[ -n "$tmp" ] || return 0
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

bench_tmp() {
	tmp=$(mktemp -d "/var/tmp/bench_$1.XXXXXX") || exit 2
	chmod 0755 "$tmp"
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

stop_milter() { daemon_stop "$mpid"; mpid=; }

bench_milter() {
	local sock=$1 conf=$2 prog=$3 rc
	daemon_start "$sock" "$tmp/milter.log" "$prog" -f -c "$conf" -p "unix:$sock"
	rc=$?
	mpid=$daemon_pid
	bench_at_exit stop_milter
	[ $rc = 0 ] || { echo "run.sh: no socket; milter log:" >&2; cat "$tmp/milter.log" >&2; exit 1; }
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
