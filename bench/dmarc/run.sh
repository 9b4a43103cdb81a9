#!/bin/bash
# bench/dmarc/run.sh - milterkit-dmarc, inbound: messages per second with a
# warm cache, and what a slow DNS answer for one domain does to the others.
#
#   run.sh [BUILD_DIR]          (default ./; builds nothing)
#
# Needs in BUILD_DIR: milters/dmarc/milterkit-dmarc and
# bench/milterload/milterload; /usr/bin/python3 with dkim (python3-dkim)
# and nacl, for tests/dns/oddns.py (the DNS server, on loopback) and the
# signature. Steps:
#  1. keys, records and the zone of the DMARC tests (tests/dmarc/dmlab.sh:
#     example.test publishes SPF ip4:192.0.2.0/24, an RSA-2048 key s1 and
#     DMARC p=reject), plus slowbench.test, whose DMARC record oddns.py
#     answers 2 s late; one message From news@example.test signed by
#     dkimpy (s1, rsa-sha256), sent as is by milterload -E with the
#     envelope sender bounce@example.test from 192.0.2.x: SPF pass, DKIM
#     pass, DMARC pass, every answer cached after the warm-up;
#  2. rate: milterkit-dmarc (default threads and workers, [log] level =
#     info: one line per message) under milterload, CONNS (16)
#     connections, SECONDS_LOAD (10) s, after a warm-up that fills each
#     worker's cache; messages/s, p99 per message, the milter's CPU per
#     message (utime + stime of /proc/PID/stat); the log lines saying
#     dmarc=pass must equal the messages; target: at least 10,000/s; the
#     same without the signature (SPF and DMARC alone), for comparison;
#  3. stall: the same load for SECONDS_STALL (10) s twice, alone and beside
#     SLOW (2) connections sending From slowbench.test; the fast
#     connections' p99 in both, and their ratio.
# Everything started here is stopped by its pid; the temp dir is removed.
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
export top_srcdir
CONNS=${CONNS:-16}
SECONDS_LOAD=${SECONDS_LOAD:-10}
SECONDS_STALL=${SECONDS_STALL:-10}
SLOW=${SLOW:-2}
DM=$BUILD/milters/dmarc/milterkit-dmarc
LOAD=$BUILD/bench/milterload/milterload

. "$top_srcdir/bench/lib/bench.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/dns/dnslab.sh"
. "$top_srcdir/tests/dmarc/dmlab.sh"
bench_need "$DM" "$LOAD"
$PY -c 'import dkim, nacl' 2>/dev/null || { echo "run.sh: python3-dkim and python3-nacl needed" >&2; exit 2; }
bench_tmp dmarc
bench_machine
hz=$(getconf CLK_TCK)

dm_setup "$tmp" || { echo "run.sh: key set-up failed" >&2; exit 1; }
printf '_dmarc.slowbench.test DELAY 2000\n_dmarc.slowbench.test TXT "v=DMARC1; p=none"\nslowbench.test A 192.0.2.12\n' \
	>> "$tmp/zone"
dns_odd_start "$tmp/zone" "$tmp" || { echo "run.sh: oddns.py did not start" >&2; exit 1; }
bench_at_exit dns_stop
printf '[log]\nlevel = info\n[dns]\nservers = 127.0.0.1:%s\ntimeout = 5\n[dmarc]\nuser =\npidfile =\nsocket_mode = 0666\ntrusted_networks =\n' \
	"$dns_odd_port" > "$tmp/dm.conf"
daemon_start "$tmp/dm.sock" "$tmp/dm.log" "$DM" -f -c "$tmp/dm.conf" -p "unix:$tmp/dm.sock" ||
	{ echo "run.sh: milterkit-dmarc did not start:" >&2; cat "$tmp/dm.log" >&2; exit 1; }
pid=$daemon_pid
bench_at_exit "daemon_stop $pid"
msg news@example.test > "$tmp/m.eml"
sign "$tmp/m.eml" example.test s1 rsa
msg news@slowbench.test > "$tmp/slow.eml"

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
sumval() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
load() {	# SECONDS CONNS MESSAGE OUT
	"$LOAD" -s "unix:$tmp/dm.sock" -c "$2" -d "$1" -E "$3" \
	    -f bounce@example.test -t 30 > "$4" ||
		{ cat "$4"; echo "run.sh: milterload failed" >&2; exit 1; }
}

# ---- warm-up: every worker's resolver and cache --------------------------
load 2 8 "$tmp/m.eml" "$tmp/warm"
grep '^summary' "$tmp/warm" | sed 's/^/  warm-up: /'

# ---- rate ------------------------------------------------------------------
echo "== rate: $CONNS connections, ${SECONDS_LOAD} s, a signed message (SPF, DKIM, DMARC pass, cached)"
l0=$(grep -c ': dmarc=pass ' "$tmp/dm.log")
t0=$(ticks)
load "$SECONDS_LOAD" "$CONNS" "$tmp/m.eml" "$tmp/rate"
t1=$(ticks)
sleep 0.3
l1=$(grep -c ': dmarc=pass ' "$tmp/dm.log")
sum=$(grep '^summary' "$tmp/rate")
n=$(printf '%s\n' "$sum" | sumval messages)
rate=$(printf '%s\n' "$sum" | sumval msg_per_s)
ms=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0) }')
grep -E '^replies:' "$tmp/rate" | sed 's/^/  /'
echo "RESULT rate msg_per_s=$rate msg_p99_ms=$(printf '%s\n' "$sum" | sumval msg_p99_ms)" \
    "milter_cpu_ms_per_msg=$ms messages=$n logged_pass=$((l1 - l0))" \
    "(target >= 10000: $(awk -v r="$rate" 'BEGIN { print (r >= 10000) ? "met" : "NOT met" }'))"
[ $((l1 - l0)) = "$n" ] || { echo "run.sh: $((l1 - l0)) dmarc=pass lines for $n messages" >&2; exit 1; }

# The same message without its signature: SPF and DMARC alone (SPF
# aligned), to show what the DKIM verification costs.
msg news@example.test > "$tmp/unsigned.eml"
t0=$(ticks)
load "$SECONDS_LOAD" "$CONNS" "$tmp/unsigned.eml" "$tmp/unsigned"
t1=$(ticks)
sum=$(grep '^summary' "$tmp/unsigned")
n=$(printf '%s\n' "$sum" | sumval messages)
echo "RESULT rate without the signature (SPF and DMARC only): msg_per_s=$(printf '%s\n' "$sum" | sumval msg_per_s)" \
    "msg_p99_ms=$(printf '%s\n' "$sum" | sumval msg_p99_ms) milter_cpu_ms_per_msg=$(awk -v t=$((t1 - t0)) \
    -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0) }')"

# ---- stall -----------------------------------------------------------------
echo "== stall: $CONNS connections alone, then beside $SLOW connections From slowbench.test (its DMARC record 2 s late)"
load "$SECONDS_STALL" "$CONNS" "$tmp/m.eml" "$tmp/alone"
"$LOAD" -s "unix:$tmp/dm.sock" -c "$SLOW" -d "$SECONDS_STALL" -E "$tmp/slow.eml" \
    -f bounce@slowbench.test -t 30 > "$tmp/slow" &
sp=$!
load "$SECONDS_STALL" "$CONNS" "$tmp/m.eml" "$tmp/beside"
wait "$sp"
a=$(grep '^summary' "$tmp/alone") b=$(grep '^summary' "$tmp/beside") s=$(grep '^summary' "$tmp/slow")
pa=$(printf '%s\n' "$a" | sumval msg_p99_ms) pb=$(printf '%s\n' "$b" | sumval msg_p99_ms)
echo "RESULT stall alone: msg_per_s=$(printf '%s\n' "$a" | sumval msg_per_s) p99_ms=$pa;" \
    "beside the slow domain: msg_per_s=$(printf '%s\n' "$b" | sumval msg_per_s) p99_ms=$pb" \
    "(ratio $(awk -v a="$pa" -v b="$pb" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'));" \
    "slow connections: messages=$(printf '%s\n' "$s" | sumval messages)" \
    "p99_ms=$(printf '%s\n' "$s" | sumval msg_p99_ms)"
