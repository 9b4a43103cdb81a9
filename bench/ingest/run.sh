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
#     complaints, auto-replies, garbage), each copy with a header field of
#     its own in front (no copy is a report seen before) and its own
#     recipients (every domain prefixed "cN-": each copy's suppressions
#     are new entries); [ingest] require_token = no, so that the corpus's
#     bounces count;
#  2. batched: every file named on one command line (the command commits
#     per 1,000 messages): messages/s (target: >= 2,000/s);
#  3. one process per message, as a Postfix pipe transport runs it, over
#     SINGLE (default 500) of the files, one at a time and PARALLEL
#     (default 4) at a time: messages/s; and the start-up of the process
#     alone (`milterkit -V`);
#  4. milterkit-suppress over a store of ENTRIES (default 1,000,000)
#     entries: milterload for SECONDS_LOAD (default 10) s alone, then the
#     same while `milterkit ingest` batches (ROUNDS_W copies of the corpus
#     made beforehand, in turn) write into the same store, one batch every
#     PACE (default 0.5) seconds (PACE=0: back to back, which measures the
#     writer's CPU taken from the two cores as much as the store): RCPT
#     lookups/s of both and their ratio (target: unchanged within noise),
#     ROUNDS_R (default 3) rounds in turn, medians. CONTROL=1 runs the
#     same writer with --dry-run: the same processes, no writes.
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
# copy C of the corpus into DIR, numbered from N0: every address's domain
# gets a "cC-" in front, so that each copy names recipients of its own and
# its suppressions are new ones
copy() {
	awk -v c="$1" -v n0="$2" -v dir="$3" 'BEGIN {
		for (i = 1; i < ARGC; i++) {
			out = dir "/" (n0 + i) ".eml"
			printf "X-Bench-Copy: %d\n", c > out
			while ((getline line < ARGV[i]) > 0) {
				gsub(/@/, "@c" c "-", line)
				print line > out
			}
			close(ARGV[i])
			close(out)
		}
		exit
	}' "$corpus"/*.eml
}
mkdir -p "$tmp/work" "$tmp/rounds"
kinds=$(ls "$corpus"/*.eml | wc -l)
for ((c = 0; c < COPIES; c++)); do
	copy "$c" $((c * kinds)) "$tmp/work"
done
n=$((COPIES * kinds))
echo "== work: $n messages ($COPIES copies of the $kinds messages of the corpus, each copy with recipients of its own)"
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
# As a pipe transport runs it: one process per message, one after the other
# and PARALLEL (default 4) at a time (the transport's process limit).
PARALLEL=${PARALLEL:-4}
single() {	# FIRST COUNT JOBS
	rm -rf "$tmp/store"
	"$TOOL" -c "$conf" store init >/dev/null || exit 1
	t0=$(now)
	seq "$1" $(($1 + $2 - 1)) | xargs -P "$3" -I{} sh -c \
		'"$0" -c "$1" ingest <"$2/{}.eml"' "$TOOL" "$conf" "$tmp/work" ||
		{ echo "run.sh: ingest failed" >&2; exit 1; }
	awk -v n="$2" -v s="$(elapsed "$t0")" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.1) }'
}
count=$((SINGLE < n ? SINGLE : n))
seq1=$(single 1 "$count" 1)
par=$(single 1 "$count" "$PARALLEL")
echo "RESULT ingest_single_per_s=$seq1 ingest_single_parallel${PARALLEL}_per_s=$par" \
	"(one process per message, as a pipe transport runs it; $count messages)"
t0=$(now)
for ((i = 0; i < 50; i++)); do "$TOOL" -V >/dev/null; done
echo "process start-up alone (milterkit -V, 50 runs): $(awk -v s="$(elapsed "$t0")" 'BEGIN { printf "%.1f", s * 1000 / 50 }') ms each"

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
# Ingestion in a loop, on copies made beforehand (new recipients each
# round, so every batch writes); making them is not part of the load.
ROUNDS_W=${ROUNDS_W:-40}
PACE=${PACE:-0.5}	# seconds between batches; 0: back to back
# CONTROL=1: the same processes with --dry-run (they parse and read the
# store, and write nothing): what the writer costs without its writes
DRY=
[ "${CONTROL:-0}" = 1 ] && DRY=--dry-run
for ((r = 0; r < ROUNDS_W; r++)); do
	mkdir -p "$tmp/rounds/$r"
	copy $((COPIES + r)) 0 "$tmp/rounds/$r"
done
# writer: ingestion batches until killed (copies not ingested yet, until
# all ROUNDS_W were: then they are reports seen before, and write nothing)
writer() {	# FIRST: the first copy it ingests
	round=$1
	while :; do
		ls "$tmp/rounds/$((round % ROUNDS_W))"/*.eml |
			xargs "$TOOL" -c "$conf" ingest $DRY >/dev/null 2>&1
		round=$((round + 1))
		echo "$round" >>"$tmp/rounds/done"
		[ "$PACE" = 0 ] || sleep "$PACE"
	done
}
# ROUNDS_R (default 3) rounds, each alone then beside the writer
ROUNDS_R=${ROUNDS_R:-3}
alone_all='' busy_all='' batches=0
for ((r = 1; r <= ROUNDS_R; r++)); do
	a=$(load)
	: >"$tmp/rounds/done"
	writer "$batches" &
	wpid=$!
	sleep 1
	b=$(load)
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	w=$(wc -l <"$tmp/rounds/done")
	batches=$((batches + w))
	echo "round $r: rcpt lookups/s alone $a, while ingest writes $b ($w batches of $kinds reports)"
	alone_all="$alone_all $a" busy_all="$busy_all $b"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(echo "$alone_all" | median)
mb=$(echo "$busy_all" | median)
echo "RESULT rcpt_per_s_alone=$ma rcpt_per_s_ingesting=$mb ratio=$(awk -v a="$ma" -v b="$mb" \
	'BEGIN { printf "%.3f", (a > 0) ? b / a : 0 }') (medians of $ROUNDS_R rounds; pace $PACE s;" \
	"$batches batches written)"
