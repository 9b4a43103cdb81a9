#!/bin/bash
# bench/ingest/run.sh - messages/s through `milterkit ingest`, and the
# suppress filter's RCPT lookups/s while ingestion writes.
#
#   run.sh [BUILD_DIR]          (default ./; run as root; builds nothing)
#
# Needs in BUILD_DIR: tools/milterkit, milters/suppress/milterkit-suppress,
# bench/milterload/milterload (make bench-ingest builds them first).
# Steps:
#  1. the work: COPIES (default 100) copies of every message of the corpus
#     (tests/ingest/corpus: DSNs of many MTAs, free-text bounces, ARF
#     complaints, auto-replies, garbage), each copy made distinct by one
#     header field in front (so no copy is a report seen before);
#     [ingest] require_token = no, so that the corpus's bounces count;
#  2. batched: every file named on one command line (the command commits
#     per 1,000 messages): messages/s (target: >= 2,000/s);
#  3. one process per message, as a Postfix pipe transport runs it, over
#     SINGLE (default 500) of the files: messages/s;
#  4. milterkit-suppress over a store of ENTRIES (default 1,000,000)
#     entries: milterload for SECONDS_LOAD (default 10) s alone, then the
#     same while `milterkit ingest` batches write into the same store
#     without pause: RCPT lookups/s of both and their ratio (target:
#     unchanged within noise).
# There is no incumbent on Debian to compare with: no package turns
# bounces into a suppression list. Everything started here is stopped by
# its pid; the temp dir is removed (KEEP=1 keeps it).
set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

BUILD=$(cd "${1:-.}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$BUILD
export top_srcdir top_builddir
COPIES=${COPIES:-100}
SINGLE=${SINGLE:-500}
ENTRIES=${ENTRIES:-1000000}
SECONDS_LOAD=${SECONDS_LOAD:-10}

TOOL=$BUILD/tools/milterkit
MILTER=$BUILD/milters/suppress/milterkit-suppress
LOAD=$BUILD/bench/milterload/milterload
. "$top_srcdir/bench/lib/bench.sh"
bench_need "$TOOL" "$MILTER" "$LOAD"
bench_root
bench_tmp ingest
bench_machine

# ---- 1. the work --------------------------------------------------------
corpus=$top_srcdir/tests/ingest/corpus
mkdir -p "$tmp/work"
n=0
for ((c = 0; c < COPIES; c++)); do
	for f in "$corpus"/*.eml; do
		n=$((n + 1))
		{ printf 'X-Bench-Copy: %d\n' "$n"; cat "$f"; } >"$tmp/work/$n.eml"
	done
done
kinds=$(ls "$corpus"/*.eml | wc -l)
echo "== work: $n messages ($COPIES copies of the $kinds messages of the corpus)"
conf=$tmp/milterkit.conf
cat >"$conf" <<EOF
[store]
path = $tmp/store
[log]
level = warn
target = file:$tmp/ingest.log
[ingest]
require_token = no
EOF
"$TOOL" -c "$conf" store init >/dev/null || exit 1

# ---- 2. batched ------------------------------------------------------------
t0=$(now)
(cd "$tmp/work" && ls | sort -n | xargs "$TOOL" -c "$conf" ingest) ||
	{ echo "run.sh: ingest failed" >&2; exit 1; }
secs=$(elapsed "$t0")
rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.1) }')
entries=$("$TOOL" -c "$conf" suppress list | wc -l)
echo "batched: $n messages in $secs s: $rate messages/s ($entries entries written)"
echo "RESULT ingest_batched_per_s=$rate target>=2000:" \
	"$(awk -v r="$rate" 'BEGIN { print (r >= 2000) ? "met" : "NOT met" }')"

# ---- 3. one process per message ------------------------------------------------
rm -rf "$tmp/store"
"$TOOL" -c "$conf" store init >/dev/null || exit 1
t0=$(now)
for ((i = 1; i <= SINGLE && i <= n; i++)); do
	"$TOOL" -c "$conf" ingest <"$tmp/work/$i.eml" ||
		{ echo "run.sh: ingest failed on $i.eml" >&2; exit 1; }
done
secs=$(elapsed "$t0")
echo "RESULT ingest_single_per_s=$(awk -v n=$((i - 1)) -v s="$secs" \
	'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.1) }') (one process per message, as a pipe transport runs it)"

# ---- 4. RCPT lookups while ingestion writes ----------------------------------------
store=$tmp/store
rm -rf "$store"
echo "== store: $ENTRIES generated addresses"
awk -v mode=store -v n="$ENTRIES" -f "$top_srcdir/bench/suppress/gen_addrs.awk" |
	"$TOOL" --store "$store" suppress import --format plain - >/dev/null ||
	{ echo "run.sh: import failed" >&2; exit 1; }
awk -v mode=query -v n="$ENTRIES" -v q=100000 -v hit=10 \
	-f "$top_srcdir/bench/suppress/gen_addrs.awk" >"$tmp/rcpts"
sock=$tmp/suppress.sock
cat >>"$conf" <<EOF
[suppress]
user =
pidfile =
socket_mode = 0666
EOF
bench_milter "$sock" "$conf" "$MILTER"
load() {
	"$LOAD" -s "unix:$sock" -c 16 -r 10 -d "$SECONDS_LOAD" -R "$tmp/rcpts" -x \
		-A bench -t 10 >"$tmp/load.out" || { echo "run.sh: milterload failed" >&2; exit 1; }
	grep '^summary ' "$tmp/load.out" | tr ' ' '\n' | sed -n 's/^rcpt_per_s=//p'
}
alone=$(load)
echo "rcpt lookups/s alone: $alone"
# Ingestion in a loop: fresh copies each round, so every batch writes.
(
	round=0
	while :; do
		round=$((round + 1))
		for f in $(cd "$tmp/work" && ls | head -1000); do
			printf 'X-Round: %d\n' "$round" | cat - "$tmp/work/$f" >"$tmp/r.$f"
		done
		ls "$tmp"/r.*.eml | xargs "$TOOL" -c "$conf" ingest >/dev/null 2>&1
		rm -f "$tmp"/r.*.eml
		echo "$round" >"$tmp/rounds"
	done
) &
writer=$!
bench_at_exit "kill $writer 2>/dev/null; wait $writer 2>/dev/null"
sleep 1
busy=$(load)
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
echo "rcpt lookups/s while ingest writes: $busy ($(cat "$tmp/rounds" 2>/dev/null || echo 0) batches of 1,000 reports written)"
echo "RESULT rcpt_per_s_alone=$alone rcpt_per_s_ingesting=$busy ratio=$(awk -v a="$alone" -v b="$busy" \
	'BEGIN { printf "%.3f", (a > 0) ? b / a : 0 }')"
