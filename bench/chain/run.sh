#!/bin/bash
# bench/chain/run.sh - milterkit-chain (suppress and headers on one milter
# connection) against the same two filters as two milters, behind Postfix.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: tools/milterkit, milters/chain/milterkit-chain,
# milters/suppress/milterkit-suppress, milters/headers/milterkit-headers,
# bench/milterload/milterload and bench/nullmilter/nullmilter (make
# bench-chain builds them first).
# Steps:
#  1. a store of ENTRIES (default 100,000) generated addresses
#     (bench/suppress/gen_addrs.awk), imported with `milterkit --store DIR
#     suppress import -` in a temp dir under /var/tmp;
#  2. one configuration for three daemons, each reading its own section:
#     milterkit-suppress and milterkit-headers on a socket each, and
#     milterkit-chain with [chain] filters = suppress, headers; [headers]
#     as in bench/headers (default rules, internal_networks = 10.0.0.0/8);
#  3. milterload against the chain's socket, then against
#     milterkit-headers alone, the load of bench/headers: CONNS (16)
#     connections, one recipient (not in the store), 20 header fields, a
#     4 KiB body, SECONDS_LOAD (10) seconds each: messages/s and the p99
#     message round trip;
#  4. the Postfix lab (tests/e2e/lab.sh, bench/lib/labratio4.sh): MESSAGES
#     (2,000) messages with smtp-source over SESSIONS (20) sessions to five
#     listeners of one Postfix: without a milter ("plain"), the reference
#     milter that does nothing ("null"), suppress and headers as two
#     milters in smtpd_milters ("two"), the chain ("chain"), and the
#     reference milter asking for the stages the chain needs ("nullr":
#     nullmilter -r, RCPT answered and the header fields sent), ROUNDS (5)
#     times each in rotation; the medians and the ratios of throughput
#     chain / null (target >= 0.97), chain / two (target >= 1.12),
#     chain / nullr, nullr / null, null / plain and two / plain. Set LAB=0
#     to skip this step.
# Everything started here is stopped by its pid; the temp dir is removed.
# Environment: ENTRIES, CONNS, SECONDS_LOAD, MESSAGES, SESSIONS, ROUNDS,
# LAB, SOURCE_ARGS (more smtp-source options, e.g. -d), LAB_TMPFS (tmpfs
# size of the lab's run directory, default 2g; empty: on disk), KEEP=1
# (keep the temp dir).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$BUILD
export top_srcdir top_builddir
ENTRIES=${ENTRIES:-100000}
CONNS=${CONNS:-16}
SECONDS_LOAD=${SECONDS_LOAD:-10}
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-20}
LAB=${LAB:-1}
ROUNDS=${ROUNDS:-5}

TOOL=$BUILD/tools/milterkit
CHAIN=$BUILD/milters/chain/milterkit-chain
SUPPRESS=$BUILD/milters/suppress/milterkit-suppress
HEADERS=$BUILD/milters/headers/milterkit-headers
LOAD=$BUILD/bench/milterload/milterload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$TOOL" "$CHAIN" "$SUPPRESS" "$HEADERS" "$LOAD" \
	"$BUILD/bench/nullmilter/nullmilter"
bench_root
bench_tmp chain
bench_machine

# ---- 1. the store ------------------------------------------------------
store=$tmp/store
echo "== store: $ENTRIES generated addresses"
t0=$(now)
awk -v mode=store -v n="$ENTRIES" -f "$top_srcdir/bench/suppress/gen_addrs.awk" |
	"$TOOL" --store "$store" suppress import --format plain - >/dev/null ||
	{ echo "run.sh: import failed" >&2; exit 1; }
echo "import: $(elapsed "$t0") s (generation included)"

# ---- 2. the milters --------------------------------------------------------
cat > "$tmp/milterkit.conf" <<EOF
[store]
path = $store

[log]
level = warn

[suppress]
user =
pidfile =
socket_mode = 0666

[headers]
user =
pidfile =
socket_mode = 0666
internal_networks = 10.0.0.0/8

[chain]
user =
pidfile =
socket_mode = 0666
filters = suppress, headers
EOF

# start_one NAME PROGRAM: its socket is $tmp/NAME.sock, its pid in pid[NAME].
declare -A pid
start_one() {
	local sock=$tmp/$1.sock rc
	daemon_start "$sock" "$tmp/$1.log" "$2" -f -c "$tmp/milterkit.conf" \
		-p "unix:$sock"
	rc=$?
	pid[$1]=$daemon_pid
	bench_at_exit "daemon_stop ${pid[$1]}"
	[ $rc = 0 ] || { echo "run.sh: $1: no socket; log:" >&2; cat "$tmp/$1.log" >&2; exit 1; }
}
start_one suppress "$SUPPRESS"
start_one headers "$HEADERS"
start_one chain "$CHAIN"
# The do-nothing milter asking for the stages the chain needs (RCPT
# answered, header fields sent): the floor under the chain's figure.
daemon_start "$tmp/nullr.sock" "$tmp/nullr.log" "$BUILD/bench/nullmilter/nullmilter" \
	-r "$tmp/nullr.sock" || { echo "run.sh: nullmilter -r did not start" >&2; exit 1; }
pid[nullr]=$daemon_pid
bench_at_exit "daemon_stop ${pid[nullr]}"

# Warnings and errors of the daemons, without the start-up note about root.
show_logs() {
	local f
	for f in suppress headers chain; do
		grep -v 'running as root' "$tmp/$f.log" | head -5 |
			sed "s/^/  $f log: /"
	done
}

# ---- 3. milterload ---------------------------------------------------------
load() {	# NAME
	local sum rc
	echo "== milterload, $1: $CONNS connections, 1 rcpt/msg, 20 headers," \
		"4096-byte body, ${SECONDS_LOAD} s"
	"$LOAD" -s "unix:$tmp/$1.sock" -c "$CONNS" -r 1 -H 20 -b 4096 \
		-d "$SECONDS_LOAD" -t 10 > "$tmp/load.$1"
	rc=$?
	cat "$tmp/load.$1"
	[ $rc = 0 ] || { echo "run.sh: milterload against $1 failed ($rc)" >&2; exit 1; }
	sum=$(grep '^summary ' "$tmp/load.$1")
	val() { printf '%s\n' "$sum" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	echo "RESULT milterload $1 msg_per_s=$(val msg_per_s)" \
		"msg_p99_ms=$(val msg_p99_ms) messages=$(val messages)"
}
load chain
load headers
show_logs

[ "$LAB" = 1 ] || exit 0

# ---- 4. Postfix lab --------------------------------------------------------
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/bench/lib/labratio4.sh"
lab_compare \
	two "unix:$tmp/suppress.sock,unix:$tmp/headers.sock" \
	    "${pid[suppress]} ${pid[headers]}" \
	chain "unix:$tmp/chain.sock" "${pid[chain]}" \
	nullr "unix:$tmp/nullr.sock" "${pid[nullr]}" || exit 1
show_logs
# Throughput ratio A / B: B's median inject time over A's.
ratio() { awk -v a="$(lab_median "$1" inject)" -v b="$(lab_median "$2" inject)" \
	'BEGIN { printf "%.3f", (a > 0) ? b / a : 0 }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "NOT met" }'; }
cn=$(ratio chain null) ct=$(ratio chain two)
echo "RESULT lab chain/null=$cn (target >= 0.97: $(verdict "$cn" 0.97))"
echo "RESULT lab chain/two=$ct (target >= 1.12: $(verdict "$ct" 1.12))"
echo "RESULT lab chain/nullr=$(ratio chain nullr) nullr/null=$(ratio nullr null)" \
	"(nullr: the do-nothing milter asking for RCPT and the headers)"
echo "RESULT lab null/plain=$(ratio null plain) two/plain=$(ratio two plain)" \
	"chain/plain=$(ratio chain plain) (medians of $ROUNDS rounds)"
