#!/bin/bash
# tests/milter/suppress/test_suppress_faults.sh - milterkit-suppress under
# load while its configuration is reloaded and its store is replaced or
# damaged.
#
# A milterload run (4 connections, 4 RCPTs a message, half of them
# suppressed) against the milter while:
#   1. it gets 20 SIGHUPs: no RCPT may get a tempfail (every configuration
#      snapshot shares the process's one LMDB environment of the store; a
#      second environment on the same file, closed at the next reload,
#      took the first one's reader slots away: MDB_BAD_RSLOT, 451);
#   2. its store is replaced by one built beside it and swapped in at once
#      (RENAME_EXCHANGE): no tempfail, and every suppressed RCPT refused;
#   3. the store is gone and a new one is imported from input that comes
#      slowly: no suppressed recipient is accepted meanwhile (the new
#      store is built beside and put in place whole);
# then, without load, the store is replaced by a truncated copy, by
# garbage and by an empty file: each RCPT gets the on_error tempfail with
# one log line naming the cause, the milter keeps running (no SIGBUS), and
# `milterkit suppress check` exits 3 saying what is wrong. Last, started
# under a soft limit of 1,024 open files, the milter holds 1,500 MTA
# connections at once (it raises the limit and logs it), and a peer that
# sends without reading is stopped being read instead of growing the
# milter's memory; 500 MTAs that leave before their answer are counted,
# not logged one line each.
# Bounded by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
LOAD="$top_builddir/bench/milterload/milterload"
PY=/usr/bin/python3
HERE="$top_srcdir/tests/milter/suppress"
for b in "$MILTER" "$MK" "$LOAD"; do [ -x "$b" ] || tap_bail "$b not built"; done
tap_plan 19
tap_watchdog 120
dog=$tap_watchdog_pid

T=$(mktemp -d)
chmod 755 "$T"
pid=
cleanup() {
	[ "$BASHPID" = "$$" ] || return 0	# not in a subshell
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	kill "$dog" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# A store of 200 suppressed addresses, recipients half of them suppressed.
for i in $(seq 1 200); do echo "u$i@blocked.example,bounce,,,"; done >"$T/list.csv"
for i in $(seq 1 200); do echo "u$i@blocked.example"; echo "u$i@fine.example"; done >"$T/rcpts"
"$MK" --store "$T/st" suppress import "$T/list.csv" >/dev/null || tap_bail "import failed"
cat >"$T/c" <<EOF2
[store]
path = $T/st

[suppress]
socket = unix:$T/s.sock
user =
pidfile =
EOF2
"$MILTER" -f -c "$T/c" 2>"$T/log" &
pid=$!
for i in $(seq 1 100); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
[ -S "$T/s.sock" ] || tap_bail "the milter did not start: $(cat "$T/log")"

# load SECONDS: milterload's summary line
load() {
	"$LOAD" -s "unix:$T/s.sock" -c 4 -d "$1" -r 4 -R "$T/rcpts" -t 20 2>&1 |
		sed -n 's/^summary //p'
}
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- 1. 20 reloads under load ------------------------------------------------
load 6 >"$T/sum1" &
lp=$!
sleep 0.5
for i in $(seq 1 20); do kill -HUP "$pid"; sleep 0.2; done
wait "$lp"
sum=$(cat "$T/sum1")
tap_like "the load ran" "$(field "$sum" rcpt_reject)" '^[1-9][0-9]*$'
tap_is "20 SIGHUPs under load: no RCPT tempfailed" "$(field "$sum" rcpt_tempfail)" 0
tap_is "the milter reloaded 20 times" "$(grep -c 'info: reloaded' "$T/log")" 20
tap_is "no lost reader slot (MDB_BAD_RSLOT) logged" "$(grep -c BAD_RSLOT "$T/log")" 0

# ---- 2. the store replaced under load (built beside, swapped in) ------------
# exchange A B: swap two directories in one step (renameat2 RENAME_EXCHANGE,
# what `mv --exchange` does in later coreutils): never a moment without one.
exchange() {
	"$PY" - "$1" "$2" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
if libc.renameat2(AT_FDCWD, sys.argv[1].encode(), AT_FDCWD,
                  sys.argv[2].encode(), RENAME_EXCHANGE) != 0:
    sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
PY
}
load 5 >"$T/sum2" &
lp=$!
sleep 1
"$MK" --store "$T/new" suppress import "$T/list.csv" >/dev/null &&
	exchange "$T/new" "$T/st"
sleep 2
rm -rf "$T/new"		# the old store, since the exchange
wait "$lp"
sum=$(cat "$T/sum2")
tap_is "a store replaced under load: no RCPT tempfailed" "$(field "$sum" rcpt_tempfail)" 0
tap_is "and as many refused as passed (every suppressed one refused)" \
    "$(field "$sum" rcpt_reject)" "$(field "$sum" rcpt_continue)"

# ---- 2b. a new store imported under load, its input arriving slowly ----------
# With only suppressed recipients, a "continue" is a wrong accept: the new
# store must not be seen before the whole import is committed.
for i in $(seq 1 200); do echo "u$i@blocked.example"; done >"$T/rcpts_blocked"
mv "$T/st" "$T/gone"
load_blocked() {
	"$LOAD" -s "unix:$T/s.sock" -c 2 -d "$1" -r 2 -R "$T/rcpts_blocked" -t 20 2>&1 |
		sed -n 's/^summary //p'
}
load_blocked 6 >"$T/sum3" &
lp=$!
{ head -n 100 "$T/list.csv"; sleep 3; tail -n +101 "$T/list.csv"; } |
	"$MK" --store "$T/st" suppress import - >"$T/import.out" 2>&1
wait "$lp"
rm -rf "$T/gone"
sum=$(cat "$T/sum3")
tap_like "a new store imported under load: imported whole" "$(cat "$T/import.out")" \
    "^imported 200 "
tap_is "no suppressed recipient accepted while it was built (tempfail, then reject)" \
    "$(field "$sum" rcpt_continue)/$(test "$(field "$sum" rcpt_reject)" -gt 0 && echo rejected)" \
    "0/rejected"


probe() {
	timeout 20 "$PY" "$HERE/su_probe.py" "unix:$T/s.sock" 192.0.2.1 \
	    '<s@example.org>' '<u1@blocked.example>' 2>&1 |
		sed -n 's/^RCPT <u1@blocked.example> => //p'
}
damage() {	# NAME: replace data.mdb by the damaged kind
	cp "$T/st/suppress/data.mdb" "$T/good.mdb"
	case $1 in
	truncated) head -c 8192 "$T/good.mdb" >"$T/bad.mdb" ;;
	garbage) head -c 65536 /dev/urandom >"$T/bad.mdb" ;;
	empty) : >"$T/bad.mdb" ;;
	esac
	mv "$T/bad.mdb" "$T/st/suppress/data.mdb"	# a new inode
	sleep 1.1	# the milter looks at the file at most once a second
}
for kind in truncated garbage empty; do
	damage "$kind"
	r=$(probe)
	alive=$(kill -0 "$pid" 2>/dev/null && echo alive)
	case $kind in
	truncated) why='truncated' ;;
	garbage) why='MDB_INVALID|not an LMDB file' ;;
	empty) why='an empty file, not a store' ;;
	esac
	tap_like "a $kind data.mdb: 451 4.3.0 (on_error), the milter alive, the cause logged" \
	    "$r/$alive/$(grep -E 'tempfail rcpt=<u1@blocked.example>' "$T/log" | tail -1)" \
	    "^451 4\\.3\\.0 .*/alive/.*cause=.*($why)"
	out=$("$MK" --store "$T/st" suppress check u1@blocked.example 2>&1)
	tap_like "milterkit suppress check on a $kind store: exit 3 naming it" \
	    "$?:$out" "^3:.*($why)"
	cp "$T/good.mdb" "$T/st/suppress/data.mdb.new"
	mv "$T/st/suppress/data.mdb.new" "$T/st/suppress/data.mdb"
	sleep 1.1
done

# ---- 4. 1,500 connections under a soft limit of 1,024 open files -------------
kill -TERM "$pid"; wait "$pid" 2>/dev/null
( ulimit -Sn 1024; exec "$MILTER" -f -c "$T/c" ) 2>"$T/log2" &
pid=$!
for i in $(seq 1 100); do [ -S "$T/s.sock" ] && grep -q started "$T/log2" && break; sleep 0.1; done
tap_like "started under a soft limit of 1024: the limit raised and logged" \
    "$(grep 'open files limit' "$T/log2")" "open files limit: ([2-9][0-9]{3}|[0-9]{5,}) "
out=$(timeout 90 "$PY" "$top_srcdir/tests/milter/hold_conns.py" "unix:$T/s.sock" 1500 2>&1)
tap_is "1,500 connections held at once, every one answered" "$out" \
    "negotiated 1500 of 1500
answered 1500 of 1500"

# ---- 5. a peer that sends without reading ------------------------------------
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null	# the peak RSS starts again here
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
out=$(timeout 30 "$PY" "$top_srcdir/tests/milter/flood_peer.py" "unix:$T/s.sock" 8 2>&1)
tap_like "a peer that never reads is stopped being read" "$out" "blocked yes"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
if [ -n "$hwm" ] && [ -n "$rss0" ] && [ $((hwm - rss0)) -lt 65536 ]; then
	tap_ok "the milter's memory grew by less than 64 MB meanwhile"
else
	tap_fail "the milter's memory grew by less than 64 MB meanwhile" \
	    "RSS before ${rss0:-?} kB, peak after ${hwm:-?} kB"
fi

# ---- 6. MTAs that leave before their answer: not a line each -----------------
before=$(grep -cE 'milter connection [0-9]+: (read|write):' "$T/log2")
out=$(timeout 60 "$PY" "$top_srcdir/tests/milter/early_leavers.py" "unix:$T/s.sock" 500 2>&1)
sleep 0.5
after=$(grep -cE 'milter connection [0-9]+: (read|write):' "$T/log2")
tap_like "500 MTAs leave before their answer: at most one line a minute" \
    "$out/$((after - before))" '^left 500/[01]$'
