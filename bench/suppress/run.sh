#!/bin/bash
# bench/suppress/run.sh - throughput of milterkit-suppress, alone and behind
# Postfix.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: tools/milterkit, milters/suppress/milterkit-suppress,
# bench/milterload/milterload, bench/nullmilter/nullmilter (make
# bench-suppress builds them first).
# Steps:
#  1. a store of ENTRIES (default 10,000,000) generated addresses, imported
#     with `milterkit --store DIR suppress import -` in a temp dir under
#     /var/tmp;
#  2. milterkit-suppress in the foreground on a unix socket next to it;
#  3. milterload: 16 connections, 10 recipients per message, about 10% of
#     them in the store, for SECONDS (default 10): RCPT decisions/s and the
#     p99 RCPT round trip (targets: >= 30,000 RCPT/s);
#  4. the Postfix lab (tests/e2e/lab.sh, bench/lib/labratio.sh): MESSAGES
#     (default 2,000) messages with smtp-source over SESSIONS (20)
#     sessions to three listeners of one Postfix, without a milter, with
#     the reference milter that does nothing (bench/nullmilter) and with
#     the suppress socket, ROUNDS (5) times each in rotation; the medians
#     and their ratios (target: >= 0.9 without / with).
#     Set LAB=0 to skip this step.
# Everything started here is stopped by its pid; the temp dirs are removed.
# Environment: ENTRIES, SECONDS_LOAD, MESSAGES, SESSIONS, ROUNDS, LAB,
# SOURCE_ARGS (more smtp-source options, e.g. -d), LAB_CHECK (the milter's
# check = for the lab step, with networks = 10.0.0.0/8: "networks" leaves
# the lab's client alone from CONNECT on), LAB_TMPFS (tmpfs size
# of the lab's run directory, default 2g; empty: on disk), KEEP=1 (keep
# the temp dir).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$BUILD
export top_srcdir top_builddir
ENTRIES=${ENTRIES:-10000000}
SECONDS_LOAD=${SECONDS_LOAD:-10}
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-20}
LAB=${LAB:-1}
ROUNDS=${ROUNDS:-5}

TOOL=$BUILD/tools/milterkit
MILTER=$BUILD/milters/suppress/milterkit-suppress
LOAD=$BUILD/bench/milterload/milterload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$TOOL" "$MILTER" "$LOAD" "$BUILD/bench/nullmilter/nullmilter"
bench_root
bench_tmp suppress
bench_machine

# ---- 1. the store ------------------------------------------------------
store=$tmp/store
echo "== store: $ENTRIES generated addresses"
t0=$(now)
awk -v mode=store -v n="$ENTRIES" -f "$here/gen_addrs.awk" |
	"$TOOL" --store "$store" suppress import --format plain - ||
	{ echo "run.sh: import failed" >&2; exit 1; }
echo "import: $(elapsed "$t0") s (generation included)"
awk -v mode=query -v n="$ENTRIES" -v q=100000 -v hit=10 \
	-f "$here/gen_addrs.awk" > "$tmp/rcpts"

# ---- 2. the milter -------------------------------------------------------
sock=$tmp/suppress.sock
cat > "$tmp/milterkit.conf" <<EOF
[store]
path = $store

[log]
level = warn

[suppress]
user =
pidfile =
socket_mode = 0666
EOF
bench_milter "$sock" "$tmp/milterkit.conf" "$MILTER"

# ---- 3. milterload ---------------------------------------------------------
echo "== milterload: 16 connections, 10 rcpt/msg, ~10% suppressed, ${SECONDS_LOAD} s"
"$LOAD" -s "unix:$sock" -c 16 -r 10 -d "$SECONDS_LOAD" -R "$tmp/rcpts" -x \
	-A bench -t 10 > "$tmp/load.out"
rc=$?
cat "$tmp/load.out"
[ $rc = 0 ] || { echo "run.sh: milterload failed ($rc)" >&2; exit 1; }
sum=$(grep '^summary ' "$tmp/load.out")
val() { printf '%s\n' "$sum" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
rps=$(val rcpt_per_s)
echo "RESULT rcpt_per_s=$rps rcpt_p99_ms=$(val rcpt_p99_ms)" \
	"rejected=$(val rcpt_reject)/$(val rcpts)" \
	"target>=30000: $(awk -v r="$rps" 'BEGIN { print (r >= 30000) ? "met" : "NOT met" }')"
[ -s "$tmp/milter.log" ] && { echo "milter log (warn and above):"; head -5 "$tmp/milter.log"; }

[ "$LAB" = 1 ] || exit 0

# ---- 4. Postfix lab --------------------------------------------------------
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/bench/lib/labratio.sh"
if [ -n "${LAB_CHECK:-}" ]; then	# the lab's client, 127.0.0.1, is outside
	stop_milter
	printf 'check = %s\nnetworks = 10.0.0.0/8\n' "$LAB_CHECK" >>"$tmp/milterkit.conf"
	bench_milter "$sock" "$tmp/milterkit.conf" "$MILTER"
	echo "== lab with check = $LAB_CHECK, networks = 10.0.0.0/8: its client is left alone"
fi
lab_ratio milterkit-suppress "$sock" "$mpid" || exit 1
