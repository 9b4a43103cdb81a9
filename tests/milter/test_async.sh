#!/bin/bash
# tests/milter/test_async.sh - slow work off the event loop
# (mk_milter_defer()): the test milter (testmilter.c) with ONE event loop
# and two workers; a sender "slowN" makes its end of message wait N
# seconds on a worker, a sender "timerN" N seconds on a timerfd the event
# loop watches (as an asynchronous resolver's fd would be). Through the
# milter protocol (async_probe.py):
# messages on other connections are answered meanwhile, and before the
# slow one; the slow one completes with its header edit; the MTA is kept
# waiting with SMFIR_PROGRESS; past work_timeout on_error answers and the
# late work is dropped; an MTA that leaves while waiting, and a stop while
# work runs, are handled (no crash, no sanitizer report). Loopback only;
# every process started here is stopped by its pid.
set -u
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/tests/milter/testmilter"
PROBE="$top_srcdir/tests/milter/async_probe.py"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
T=$(mktemp -d /tmp/mk_async.XXXXXX) || tap_bail "mktemp failed"
pids=()
cleanup() {
	[ "$BASHPID" = "$$" ] || return 0
	# The watchdog's output must end with the script's (the TAP driver
	# reads the exit status last).
	[ -n "${tap_watchdog_pid:-}" ] && kill "$tap_watchdog_pid" 2>/dev/null
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
tap_watchdog 120
. "$top_srcdir/tests/lib/daemon.sh"	# wait_for

conf() {	# NAME WORK_TIMEOUT
	printf '%s\n' "[log]" "level = debug" "[suppress]" \
	    "socket = unix:$T/$1.sock" "user =" "pidfile =" "threads = 1" \
	    "workers = 2" "work_timeout = $2" > "$T/$1.conf"
}
start() {	# NAME: its pid in pid_NAME
	"$MILTER" -f -c "$T/$1.conf" 2> "$T/$1.log" &
	pids+=($!)
	eval "pid_$1=$!"
}
probe() {	# NAME ARGS...
	local n=$1
	shift
	timeout 60 python3 "$PROBE" "unix:$T/$n.sock" "$@"
}
field() {	# LINE KEY
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
took_at_least() {	# LINE SECONDS
	awk -v a="$(field "$1" start)" -v b="$(field "$1" end)" -v s="$2" \
	    'BEGIN { exit !(b - a >= s) }'
}
# all_before NAME SLOW_LINE FAST_FILE: 20 fast messages answered continue,
# each ending before the slow one.
all_before() {
	local late
	late=$(awk -v s="$(field "$2" end)" '/^start=/ { for (i = 1; i <= NF; i++)
		if ($i ~ /^end=/) { sub(/^end=/, "", $i); if ($i + 0 >= s + 0) n++ } }
		END { print n + 0 }' "$3")
	if [ "$(grep -c '^start=.* reply=continue' "$3")|$late" = "20|0" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "slow: $2
fast: $(grep -m2 '^start=' "$3")"
	fi
}
sanitizer_clean() {
	! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/A.log" "$T/B.log"
}

conf A 2m
conf B 1
start A
start B
if wait_for test -S "$T/A.sock" && wait_for test -S "$T/B.sock"; then
	tap_ok "two instances (one event loop each) start and listen"
else
	tap_bail "instances did not start: $(tail -3 "$T/A.log" "$T/B.log")"
fi

# ---- other connections are served while one message waits --------------
probe A --meanwhile '<slow2@example.org>' --count 20 > "$T/fast.out"
slow=$(sed -n 's/^meanwhile //p' "$T/fast.out")
worst=$(awk '/^start=/ { for (i = 1; i <= NF; i++) {
	if ($i ~ /^start=/) { sub(/^start=/, "", $i); b = $i }
	if ($i ~ /^end=/) { sub(/^end=/, "", $i); e = $i } }
	d = (e - b) * 1000; if (d > m) m = d } END { printf "%.1f", m }' "$T/fast.out")
all_before "20 messages on other connections answered (continue), all before the slow one" \
    "$slow" "$T/fast.out"
echo "# slowest of those 20 messages: $worst ms, on the same event loop"
tap_like "the slow message completes, with the edit its work's answer made" \
    "$slow" "reply=continue adds=X-Slow:' done after 2 s'$"
tap_check "the slow message waited its 2 s of work" took_at_least "$slow" 2
tap_check "the work's end is logged" grep -q 'slow work done (2 s)' "$T/A.log"

# ---- the MTA is kept waiting ------------------------------------------------
out=$(probe A --from '<slow6@example.org>')
tap_like "a 6 s wait: SMFIR_PROGRESS keeps the MTA waiting, then the answer" \
    "$out" "progress=[1-9][0-9]* reply=continue adds=X-Slow:' done after 6 s'"

# ---- past work_timeout: on_error answers, the late work is dropped -------
out=$(probe B --from '<slow4@example.org>')
tap_like "past work_timeout (1 s) the filter's on_error answers: 451 4.3.0" \
    "$out" "reply=451 4.3.0 "
tap_check "it answered before the 4 s of work were over" \
    awk -v a="$(field "$out" start)" -v b="$(field "$out" end)" \
    'BEGIN { exit !(b - a < 4) }'
tap_is "the cause is logged once" \
    "$(grep -c 'slow work not done after 1 s (work_timeout)' "$T/B.log")" 1
wait_for grep -q 'slow work dropped (4 s)' "$T/B.log"
tap_check "the late work's answer is dropped when it comes" \
    grep -q 'slow work dropped (4 s)' "$T/B.log"
tap_like "the instance goes on answering" "$(probe B)" "reply=continue"

# ---- the MTA leaves while waiting ----------------------------------------------
probe A --from '<slow2@example.org>' --leave-after 0.3 > /dev/null
wait_for grep -q 'slow work dropped (2 s)' "$T/A.log"
tap_check "an MTA that left while waiting: its work's answer is dropped" \
    grep -q 'slow work dropped (2 s)' "$T/A.log"
tap_like "and the instance goes on answering" "$(probe A)" "reply=continue"

# ---- waiting on the loop's own fd (an asynchronous resolver's) ---------------
probe A --meanwhile '<timer2@example.org>' --count 20 > "$T/fast2.out"
slow=$(sed -n 's/^meanwhile //p' "$T/fast2.out")
all_before "a wait on a watched fd: 20 messages on other connections answered, all before it" \
    "$slow" "$T/fast2.out"
tap_like "the waiting message completes when its fd fires, with its edit" \
    "$slow" "reply=continue adds=X-Timer:' done after 2 s'$"
out=$(probe B --from '<timer3@example.org>')
tap_like "a wait on an fd past work_timeout: on_error answers (451 4.3.0)" \
    "$out" "reply=451 4.3.0 "
wait_for grep -q 'timer wait dropped (3 s)' "$T/B.log"
tap_check "and when the fd fires, its answer is dropped" \
    grep -q 'timer wait dropped (3 s)' "$T/B.log"

# ---- a stop while work runs ------------------------------------------------------
probe A --from '<slow3@example.org>' > "$T/stop.out" &
slowpid=$!
wait_for grep -q 'slow work started (3 s)' "$T/A.log"
kill -TERM "$pid_A"
wait "$pid_A"
rc=$?
wait "$slowpid"
tap_is "stopped while work runs: the work ends, the message is answered, exit 0" \
    "$rc|$(grep -o 'reply=continue' "$T/stop.out")" "0|reply=continue"
kill -TERM "$pid_B"
wait "$pid_B"
tap_check "no sanitizer report in either log" sanitizer_clean
tap_done
