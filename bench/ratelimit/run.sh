#!/bin/bash
# bench/ratelimit/run.sh - milterkit-ratelimit's RCPT decisions/s under
# milterload against milterkit-policyd's requests/s under policyload, on
# the same rules, the same state and the same mix of mail.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: milters/ratelimit/milterkit-ratelimit,
# policyd/milterkit-policyd, bench/milterload/milterload,
# bench/policyd/policyload and bench/nullmilter/nullmilter (make
# bench-ratelimit builds them first).
# Steps, all over unix sockets in a temp dir under /var/tmp:
#  1. for each store of STORES ("disk tmpfs"): one configuration for both
#     daemons ([rlimit], [policyd], one store: "disk" in the temp dir,
#     "tmpfs" on a tmpfs mounted in it, which takes the disk out of the
#     commits) with four rules that count every message and recipient and
#     never refuse (100000000/1d each): key = sender, key = sender_domain
#     and key = client_address (messages and recipients, counted at end of
#     message), key = recipient_domain (recipients, counted at RCPT);
#  2. milterkit-ratelimit ("ratelimit-STORE") and milterkit-policyd
#     ("policyd-STORE") on each, and the reference milter that does
#     nothing but answer RCPT ("null", nullmilter -r), the floor under the
#     milter's figure;
#  3. the same mail for both: one recipient per message (the one mix both
#     load generators send exactly: policyload -r 1 sends an RCPT and an
#     END-OF-MESSAGE request per message, milterload -r 1 an RCPT and an
#     end of message), senders user<K>@d<K mod 5000>.example for KEYS
#     (100,000) values of K (policyload draws them at random; milterload
#     takes them from a file in a scrambled order), recipients over 97
#     domains r<N>.example (milterload: 100,000 of them at random). Client
#     addresses differ: policyload's vary with the sender's domain and the
#     connection (10.x.y.z), milterload's with the connection only
#     (192.0.2.1 to .CONNS);
#  4. a warm-up that writes every sender key into each store from each
#     side (milterload -m KEYS, policyload -S over 2 x KEYS requests), and
#     2 s against the do-nothing milter;
#  5. ROUNDS (5) rounds of CONNS (16) connections for SECONDS_LOAD (5)
#     seconds against each daemon in turn, the order rotated every round:
#     per run the rate (the milters: RCPT/s; policyd: requests/s),
#     messages/s, the p99 round trip (RCPT, or request), the daemon's CPU
#     (/proc/PID/stat, every thread) and the load client's CPU (bash's
#     time) per message; every recipient must pass (no reject or
#     tempfail, no error) or the script exits 1;
#  6. the medians, and per store the ratios of medians: ratelimit RCPT/s
#     / policyd requests/s, the same per message (msg/s / msg/s),
#     ratelimit / null (RCPT/s), and the daemons' CPU per message.
# Everything started here is stopped by its pid, the tmpfs unmounted, the
# temp dir removed. A full run takes about 2.5 minutes on 2 cores.
# Environment: CONNS, KEYS, SECONDS_LOAD, ROUNDS, STORES ("disk", "tmpfs"
# or both), TMPFS_SIZE (512m), KEEP=1 (keep the temp dir).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
CONNS=${CONNS:-16}
KEYS=${KEYS:-100000}
SECONDS_LOAD=${SECONDS_LOAD:-5}
ROUNDS=${ROUNDS:-5}
STORES=${STORES:-disk tmpfs}
TMPFS_SIZE=${TMPFS_SIZE:-512m}

RL=$BUILD/milters/ratelimit/milterkit-ratelimit
PD=$BUILD/policyd/milterkit-policyd
NULL=$BUILD/bench/nullmilter/nullmilter
MLOAD=$BUILD/bench/milterload/milterload
PLOAD=$BUILD/bench/policyd/policyload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$RL" "$PD" "$NULL" "$MLOAD" "$PLOAD"
bench_root
case $CONNS$KEYS$SECONDS_LOAD$ROUNDS in
*[!0-9]*) echo "run.sh: CONNS, KEYS, SECONDS_LOAD, ROUNDS: whole numbers" >&2; exit 2 ;;
esac
[ "$CONNS" -ge 1 ] && [ "$CONNS" -le 254 ] && [ "$KEYS" -ge 1 ] &&
    [ "$SECONDS_LOAD" -ge 1 ] && [ "$ROUNDS" -ge 1 ] ||
	{ echo "run.sh: want 1 <= CONNS <= 254, KEYS, SECONDS_LOAD, ROUNDS >= 1" >&2; exit 2; }
for s in $STORES; do
	case $s in disk|tmpfs) ;; *) echo "run.sh: STORES: disk, tmpfs" >&2; exit 2 ;; esac
done
[ -n "${STORES// /}" ] || { echo "run.sh: STORES is empty" >&2; exit 2; }
bench_tmp ratelimit
bench_machine
hz=$(getconf CLK_TCK)

# Every daemon by its pid, then the tmpfs: one exit command, in that order.
declare -A pid sock
mounted=0
stop_all() {
	local n
	for n in "${!pid[@]}"; do daemon_stop "${pid[$n]}"; done
	pid=()
	if [ "$mounted" = 1 ]; then
		umount "$tmp/tmpfs" 2>/dev/null || umount -l "$tmp/tmpfs"
		mounted=0
	fi
}
bench_at_exit stop_all

# ---- 1. configurations -----------------------------------------------------
# conf STORE: $tmp/STORE.conf, its store under $tmp/STORE/
conf() {
	local k
	mkdir -p "$tmp/$1/store"
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = warn\n\n' "$tmp/$1/store"
		printf '[rlimit]\nuser =\npidfile =\nsocket_mode = 0666\n\n'
		printf '[policyd]\nsocket = unix:%s\nuser =\npidfile =\n' "$tmp/policyd-$1.sock"
		# Limits no key reaches: every message and recipient is counted.
		for k in sender sender_domain client_address; do
			printf '\n[ratelimit by-%s]\nkey = %s\n' "$k" "$k"
			printf 'messages = 100000000/1d\nrecipients = 100000000/1d\n'
		done
		printf '\n[ratelimit by-recipient_domain]\nkey = recipient_domain\n'
		printf 'recipients = 100000000/1d\n'
	} >"$tmp/$1.conf"
}
for s in $STORES; do
	if [ "$s" = tmpfs ]; then
		mkdir -p "$tmp/tmpfs"
		mount -t tmpfs -o "size=$TMPFS_SIZE" tmpfs "$tmp/tmpfs" ||
			{ echo "run.sh: cannot mount a tmpfs on $tmp/tmpfs" >&2; exit 1; }
		mounted=1
	fi
	conf "$s"
done

# policyload's senders and recipient domains, as files for milterload;
# 7919 is prime, so i * 7919 mod KEYS scrambles 0 .. KEYS-1 unless KEYS
# is a multiple of it.
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = (i * 7919) % n;
	printf "user%d@d%d.example\n", k, k % 5000 } }' >"$tmp/senders"
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "rcpt%d@r%d.example\n", (i * 7919) % 1000000, i % 97 }' >"$tmp/rcpts"

# ---- 2. the daemons ----------------------------------------------------------
start_one() {	# NAME SOCKET PROGRAM ARGS...
	local name=$1 rc
	sock[$name]=$2
	shift 2
	daemon_start "${sock[$name]}" "$tmp/$name.log" "$@"
	rc=$?
	pid[$name]=$daemon_pid
	[ $rc = 0 ] || { echo "run.sh: $name did not start; log:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}
modes=()
for s in $STORES; do
	start_one "ratelimit-$s" "$tmp/ratelimit-$s.sock" "$RL" -f -c "$tmp/$s.conf" \
	    -p "unix:$tmp/ratelimit-$s.sock"
	start_one "policyd-$s" "$tmp/policyd-$s.sock" "$PD" -f -c "$tmp/$s.conf"
	modes+=("ratelimit-$s" "policyd-$s")
done
start_one null "$tmp/null.sock" "$NULL" -r "$tmp/null.sock"
modes+=(null)

# Warnings and errors of the daemons, without the note about running as root.
show_logs() {
	local m
	for m in "${modes[@]}"; do
		grep -v 'running as root' "$tmp/$m.log" | head -5 | sed "s/^/  $m log: /"
	done
}

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
sumval() { tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1; }
TIMEFORMAT='client_cpu %U %S'

# load NAME SECONDS: one run against NAME; prints the run's line
# "NAME rate msg_per_s p99_ms daemon_us_per_msg client_us_per_msg", or
# returns 1 when the client failed or a recipient did not pass.
load() {
	local name=$1 secs=$2 out=$tmp/out.$1 t0 t1 rc sum rate msgs p99 n bad cpu k
	t0=$(ticks "${pid[$name]}")
	case $name in
	policyd-*)
		{ time "$PLOAD" -s "unix:${sock[$name]}" -c "$CONNS" -k "$KEYS" -r 1 \
		    -d "$secs" >"$out" 2>"$out.err"; } 2>"$out.time" ;;
	*)
		{ time "$MLOAD" -s "unix:${sock[$name]}" -c "$CONNS" -r 1 -F "$tmp/senders" \
		    -R "$tmp/rcpts" -x -d "$secs" -t 10 >"$out" 2>"$out.err"; } 2>"$out.time" ;;
	esac
	rc=$?
	t1=$(ticks "${pid[$name]}")
	sum=$(grep '^summary ' "$out")
	if [ -z "$sum" ]; then
		echo "run.sh: $name: no summary from the load client (exit $rc):" >&2
		cat "$out" "$out.err" >&2
		return 1
	fi
	case $name in
	policyd-*)
		rate=$(printf '%s\n' "$sum" | sumval req_per_s)
		p99=$(printf '%s\n' "$sum" | sumval p99_ms)
		n=$(printf '%s\n' "$sum" | sumval requests)
		n=$((n / 2))	# an RCPT and an END-OF-MESSAGE request each
		msgs=$(awk -v r="$rate" 'BEGIN { printf "%.0f", r / 2 }')
		bad=0
		for k in defer reject other errors; do
			bad=$((bad + $(printf '%s\n' "$sum" | sumval $k)))
		done ;;
	*)
		rate=$(printf '%s\n' "$sum" | sumval rcpt_per_s)
		msgs=$(printf '%s\n' "$sum" | sumval msg_per_s)
		p99=$(printf '%s\n' "$sum" | sumval rcpt_p99_ms)
		n=$(printf '%s\n' "$sum" | sumval messages)
		bad=$(( $(printf '%s\n' "$sum" | sumval rcpts) -
		    $(printf '%s\n' "$sum" | sumval rcpt_continue) )) ;;
	esac
	cpu=$(awk '/^client_cpu / { print $2 + $3 }' "$out.time")
	if [ $rc != 0 ] || [ "$bad" != 0 ]; then
		echo "run.sh: $name: load failed (exit $rc) or not every recipient passed:" >&2
		cat "$out" "$out.err" >&2
		return 1
	fi
	awk -v m="$name" -v r="$rate" -v s="$msgs" -v p="$p99" -v t=$((t1 - t0)) \
	    -v hz="$hz" -v c="$cpu" -v n="$n" 'BEGIN {
		printf "%s %s %s %s %.1f %.1f\n", m, r, s, p,
		    (n > 0) ? t / hz * 1e6 / n : 0, (n > 0) ? c * 1e6 / n : 0 }'
}

# ---- 3. warm-up: every sender key written from both sides -------------------
for s in $STORES; do
	echo "== warm-up, $s store: $KEYS senders through milterkit-ratelimit and milterkit-policyd"
	t0=$(now)
	"$MLOAD" -s "unix:${sock[ratelimit-$s]}" -c "$CONNS" -r 1 -F "$tmp/senders" \
	    -R "$tmp/rcpts" -x -m "$KEYS" -t 10 >"$tmp/warm.ratelimit-$s" 2>&1 ||
		{ cat "$tmp/warm.ratelimit-$s"; echo "run.sh: warm-up of ratelimit-$s failed" >&2; exit 1; }
	"$PLOAD" -s "unix:${sock[policyd-$s]}" -c "$CONNS" -k "$KEYS" -r 1 -S \
	    -n $((KEYS * 2)) >"$tmp/warm.policyd-$s" 2>&1 ||
		{ cat "$tmp/warm.policyd-$s"; echo "run.sh: warm-up of policyd-$s failed" >&2; exit 1; }
	echo "warm-up: $(elapsed "$t0") s; state $(du -sh "$tmp/$s/store/ratelimit" | cut -f1)"
done
load null 2 >/dev/null || exit 1

# ---- 4. rounds ---------------------------------------------------------------
n=${#modes[@]}
echo "== $ROUNDS rounds of ${SECONDS_LOAD} s per daemon, $CONNS connections, 1 rcpt/msg, order rotated"
echo "round daemon rate(RCPT/s|req/s) msg/s p99_ms daemon_us/msg client_us/msg"
: >"$tmp/runs"
for r in $(seq 0 $((ROUNDS - 1))); do
	for k in $(seq 0 $((n - 1))); do
		line=$(load "${modes[$(((k + r) % n))]}" "$SECONDS_LOAD") || exit 1
		echo "$((r + 1)) $line"
		echo "$line" >>"$tmp/runs"
	done
done
show_logs

# ---- 5. medians and ratios ---------------------------------------------------
median() {	# NAME FIELD (2 rate, 3 msg/s, 4 p99, 5 daemon, 6 client)
	awk -v m="$1" -v f="$2" '$1 == m { print $f }' "$tmp/runs" | sort -g |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
for m in "${modes[@]}"; do
	echo "RESULT median $m rate=$(median "$m" 2) msg_per_s=$(median "$m" 3)" \
	    "p99_ms=$(median "$m" 4) daemon_us_per_msg=$(median "$m" 5)" \
	    "client_us_per_msg=$(median "$m" 6)"
done
for s in $STORES; do
	echo "RESULT $s ratelimit RCPT/s / policyd requests/s =" \
	    "$(ratio "$(median "ratelimit-$s" 2)" "$(median "policyd-$s" 2)")" \
	    "(per message: policyd answers an RCPT and an END-OF-MESSAGE request, the milter an RCPT and an end of message)"
	echo "RESULT $s ratelimit msg/s / policyd msg/s =" \
	    "$(ratio "$(median "ratelimit-$s" 3)" "$(median "policyd-$s" 3)")"
	echo "RESULT $s ratelimit / null (RCPT/s) =" \
	    "$(ratio "$(median "ratelimit-$s" 2)" "$(median null 2)")"
	echo "RESULT $s daemon CPU per message ratelimit / policyd =" \
	    "$(ratio "$(median "ratelimit-$s" 5)" "$(median "policyd-$s" 5)")" \
	    "(state $(du -sh "$tmp/$s/store/ratelimit" | cut -f1))"
done
echo "(medians of $ROUNDS rounds)"
