#!/bin/bash
# bench/policyd/run.sh - throughput and latency of milterkit-policyd against
# postfwd, and milterkit-policyd's memory over a million keys.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: policyd/milterkit-policyd, bench/policyd/policyload
# (make bench-policyd builds them first); and postfwd2 (Debian package
# postfwd) for step 2 (set POSTFWD=0 to skip it).
# Steps, all over unix sockets in a temp dir under /var/tmp:
#  1. milterkit-policyd with one rule keyed on sender (messages =
#     1000/1h, recipients = 10000/1h), policyload with CONNS (16)
#     connections over KEYS (100,000) senders for SECONDS (10): requests/s,
#     p50 and p99 (targets: >= 50,000 requests/s, p99 < 1 ms);
#  2. postfwd2 in daemon mode with the equivalent rules (rate() and rcpt()
#     on the sender at END-OF-MESSAGE), its request cache off (--cache 0,
#     or it answers repeated requests without evaluating them), its rate
#     cache on a unix socket, PF_SERVERS (16) preforked servers so each
#     connection has one; the same load; then the ratio;
#  3. a fresh milterkit-policyd: RSS (anonymous and file-backed, from
#     /proc/PID/status) before and after MEM_KEYS (1,000,000) messages of
#     one recipient (2 requests each: RCPT, END-OF-MESSAGE), each from a
#     sender of its own (policyload -S), and the state's size on disk.
# Everything started here is stopped by its pid; the temp dir is removed.
# Environment: CONNS, KEYS, SECONDS_LOAD, POSTFWD, PF_SERVERS, MEM_KEYS,
# KEEP=1 (keep the temp dir).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
CONNS=${CONNS:-16}
KEYS=${KEYS:-100000}
SECONDS_LOAD=${SECONDS_LOAD:-10}
POSTFWD=${POSTFWD:-1}
PF_SERVERS=${PF_SERVERS:-16}
MEM_KEYS=${MEM_KEYS:-1000000}

PD=$BUILD/policyd/milterkit-policyd
LOAD=$BUILD/bench/policyd/policyload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$PD" "$LOAD"
bench_root
PF=$(command -v postfwd2 || command -v postfwd || true)
if [ "$POSTFWD" = 1 ] && [ -z "$PF" ]; then
	echo "run.sh: postfwd2 not found (apt-get install postfwd, or POSTFWD=0)" >&2
	exit 2
fi

bench_tmp policyd
pdpid= pfpid=
stop_postfwd() {
	local p kids
	[ -n "$pfpid" ] || return 0
	# postfwd2 detaches: its master's pid file; its servers are children
	kids=$(pgrep -P "$pfpid" 2>/dev/null)
	daemon_stop "$pfpid"
	for p in $kids; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
	pfpid=
}
bench_at_exit 'daemon_stop "$pdpid"; pdpid=; stop_postfwd'

wait_sock() {	# SOCKET PID: wait up to 10 s
	local i
	for i in $(seq 1 100); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -1; }
# CPU ticks (user + system) of PIDs and their children now
ticks() {
	local p t=0
	for p in "$@" $(for p in "$@"; do pgrep -P "$p"; done); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# CPU microseconds per request: TICKS_BEFORE TICKS_AFTER REQUESTS
us_per_req() {
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (n > 0) printf "%.1f", (b - a) / hz * 1e6 / n; else print "n/a" }'
}

bench_machine

pd_start() {	# DIR: a daemon with its own store under DIR
	mkdir -p "$1/store"
	cat >"$1/milterkit.conf" <<EOF
[store]
path = $1/store

[log]
level = warn

[policyd]
socket = unix:$1/policyd.sock
user =
pidfile =

[ratelimit per-sender]
key = sender
messages = 1000/1h
recipients = 10000/1h
EOF
	"$PD" -f -c "$1/milterkit.conf" 2>"$1/policyd.log" &
	pdpid=$!
	wait_sock "$1/policyd.sock" "$pdpid" ||
		{ echo "run.sh: milterkit-policyd did not start:" >&2; cat "$1/policyd.log" >&2; exit 1; }
}

# ---- 1. milterkit-policyd ---------------------------------------------------
echo "== milterkit-policyd: $CONNS connections, $KEYS senders, ${SECONDS_LOAD} s"
pd_start "$tmp/pd"
t0=$(ticks "$pdpid")
"$LOAD" -s "unix:$tmp/pd/policyd.sock" -c "$CONNS" -k "$KEYS" -d "$SECONDS_LOAD" \
	>"$tmp/pd.out" || { cat "$tmp/pd.out"; echo "run.sh: policyload failed" >&2; exit 1; }
t1=$(ticks "$pdpid")
cat "$tmp/pd.out"
echo "daemon CPU: $(us_per_req "$t0" "$t1" "$(val "$tmp/pd.out" requests)") µs per request"
pd_rps=$(val "$tmp/pd.out" req_per_s)
pd_p99=$(val "$tmp/pd.out" p99_ms)
echo "RESULT milterkit-policyd req_per_s=$pd_rps p50_ms=$(val "$tmp/pd.out" p50_ms)" \
	"p99_ms=$pd_p99 target(>=50000/s, p99<1ms): $(awk -v r="$pd_rps" -v p="$pd_p99" \
	'BEGIN { print (r >= 50000 && p < 1) ? "met" : "NOT met" }')"
[ -s "$tmp/pd/policyd.log" ] && { echo "policyd log (warn and above):"; head -5 "$tmp/pd/policyd.log"; }
daemon_stop "$pdpid"
pdpid=

# ---- 2. postfwd -----------------------------------------------------------------
if [ "$POSTFWD" = 1 ]; then
	echo "== postfwd2 ($("$PF" -V 2>&1 | head -1)): $CONNS connections, $KEYS senders, ${SECONDS_LOAD} s"
	mkdir -p "$tmp/pf"
	cat >"$tmp/pf/postfwd.cf" <<'EOF'
# the same limits as [ratelimit per-sender], counted at END-OF-MESSAGE
id=MSG; protocol_state==END-OF-MESSAGE; action=rate(sender/1000/3600/450 4.7.1 rate limit exceeded)
id=RCPT; protocol_state==END-OF-MESSAGE; action=rcpt(sender/10000/3600/450 4.7.1 rate limit exceeded)
EOF
	chown -R nobody "$tmp/pf"
	"$PF" --daemon -f "$tmp/pf/postfwd.cf" \
		--proto unix --port "$tmp/pf/postfwd.sock" \
		--cache_proto unix --cache_port "$tmp/pf/cache.sock" \
		--cache 0 --no_parent_request_cache --nodns --norulelog --noidlestats \
		--min_servers "$PF_SERVERS" --max_servers "$((PF_SERVERS * 2))" \
		--min_spare_servers 1 --max_spare_servers "$PF_SERVERS" \
		--pidfile "$tmp/pf/postfwd.pid" -u nobody -g nogroup \
		--umask 0111 --server_umask 0111 --cache_umask 0111 \
		>"$tmp/pf/postfwd.log" 2>&1
	for i in $(seq 1 100); do
		[ -S "$tmp/pf/postfwd.sock" ] && [ -s "$tmp/pf/postfwd.pid" ] && break
		sleep 0.1
	done
	pfpid=$(tr -dc 0-9 <"$tmp/pf/postfwd.pid" 2>/dev/null)
	[ -n "$pfpid" ] && [ -S "$tmp/pf/postfwd.sock" ] ||
		{ echo "run.sh: postfwd2 did not start:" >&2; cat "$tmp/pf/postfwd.log" >&2; exit 1; }
	sleep 2		# let the preforked servers come up
	t0=$(ticks "$pfpid")
	"$LOAD" -s "unix:$tmp/pf/postfwd.sock" -c "$CONNS" -k "$KEYS" -d "$SECONDS_LOAD" \
		>"$tmp/pf.out" || { cat "$tmp/pf.out"; echo "run.sh: policyload failed against postfwd2" >&2; }
	t1=$(ticks "$pfpid")
	cat "$tmp/pf.out"
	echo "postfwd2 CPU (all its processes): $(us_per_req "$t0" "$t1" "$(val "$tmp/pf.out" requests)") µs per request"
	pf_rps=$(val "$tmp/pf.out" req_per_s)
	echo "RESULT postfwd2 req_per_s=$pf_rps p50_ms=$(val "$tmp/pf.out" p50_ms)" \
		"p99_ms=$(val "$tmp/pf.out" p99_ms)"
	echo "RESULT ratio milterkit-policyd/postfwd2 = $(awk -v a="$pd_rps" -v b="$pf_rps" \
		'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')"
	stop_postfwd
fi

# ---- 3. memory over a million keys ---------------------------------------------
echo "== milterkit-policyd memory: $MEM_KEYS messages ($((MEM_KEYS * 2)) requests) from $MEM_KEYS distinct senders"
rss() { awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s %d KiB  ", $1, $2 }' "/proc/$1/status"; }
pd_start "$tmp/mem"
"$LOAD" -s "unix:$tmp/mem/policyd.sock" -c "$CONNS" -k 1000 -n 20000 >/dev/null
echo "before (after 20,000 warm-up requests): $(rss "$pdpid")"
before=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pdpid/status")
"$LOAD" -s "unix:$tmp/mem/policyd.sock" -c "$CONNS" -S -k "$MEM_KEYS" \
	-n "$((MEM_KEYS * 2))" -r 1 >"$tmp/mem.out" || echo "run.sh: policyload failed" >&2
cat "$tmp/mem.out"
echo "after: $(rss "$pdpid")"
after=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pdpid/status")
echo "state: $(du -sh "$tmp/mem/store/ratelimit" | cut -f1) on disk"
echo "RESULT anonymous RSS before=${before} KiB after=${after} KiB" \
	"growth=$((after - before)) KiB (file-backed RSS is the mapped state: page cache)"
