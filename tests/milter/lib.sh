# tests/milter/lib.sh - what the milter test drivers share (sourced after
# tests/lib/tap.sh, with MILTER (the program), HERE (the scenarios' dir)
# and T (a temp dir) set):
#
#   MT                        the miltertest binary ($MILTERTEST or PATH)
#   start NAME                run $MILTER on $T/NAME.conf, socket $T/NAME.sock,
#                             stderr to $T/NAME.log; its pid joins $pids
#   instances_up NAME...      one TAP point: every instance listens (10 s)
#   stop_all                  TERM every started pid, KILL after 10 s; reap
#   wait_for CMD...           retry CMD for up to 10 s
#   scenario INST NAME [VAR=value...]
#                             one miltertest run of $HERE/NAME.lua against
#                             instance INST, bounded; prints 0 on PASS, else
#                             what went wrong
#   log_has INST REGEX        the instance's log matches
MT="${MILTERTEST:-}"
[ -n "$MT" ] || MT=$(command -v miltertest) || tap_bail "miltertest not found"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
pids=()

start() {
	"$MILTER" -f -c "$T/$1.conf" -p "unix:$T/$1.sock" 2> "$T/$1.log" &
	pids+=($!)
}

stop_all() {
	local p= i
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 1 100); do	# up to 10 s, then force
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
}

. "$top_srcdir/tests/lib/daemon.sh"	# wait_for

instances_up() {
	local up=ok i
	for i in "$@"; do
		wait_for test -S "$T/$i.sock" ||
			up="$up $i:$(tail -3 "$T/$i.log" | tr '\n' ' ')"
	done
	if [ "$up" = ok ]; then tap_ok "$# milter instances start and listen"
	else tap_fail "$# milter instances start and listen" "$up"; fi
}

scenario() {
	local inst=$1 name=$2 out rc
	shift 2
	out=$(env MT_DIR="$HERE" MT_SOCKET="unix:$T/$inst.sock" "$@" \
	    timeout 30 "$MT" -s "$HERE/$name.lua" 2>&1)
	rc=$?
	if [ $rc = 0 ] && printf '%s' "$out" | grep -q '^PASS$'; then
		echo 0
	else
		printf 'rc=%s %s' "$rc" "$out" | tr '\n' ' '
	fi
}

log_has() { grep -Eq -- "$2" "$T/$1.log"; }
