#!/bin/sh
# scripts/fuzz.sh - run every fuzz target under libFuzzer (clang, with
# AddressSanitizer and UndefinedBehaviorSanitizer) for a bounded time each,
# starting from its seed corpus in tests/fuzz/corpus/NAME. Prints TAP, one
# point per target, and keeps a copy in build-fuzz/fuzz.tap; a crash leaves
# its input in build-fuzz/crash-*. The targets are the directory names under
# tests/fuzz/corpus (addr, config, csv, dkim_canon, dkim_table, headers,
# milter, policy, spf, dmarc, ingest, token: fuzz_NAME). FUZZ_SECONDS per target,
# default 20: the twelve targets fuzz for four minutes in all, plus
# their builds.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MK_FUZZ_DIR:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-20}
targets=$(cd "$top/tests/fuzz/corpus" && ls)

mkdir -p "$build"
cd "$build" || exit 1
out=$build/fuzz.tap
: >"$out"
say() { printf '%s\n' "$*" | tee -a "$out"; }
n=0
for t in $targets; do n=$((n + 1)); done
say "1..$n"
if [ ! -f Makefile ]; then
	"$top/configure" -q CC=clang --enable-libfuzzer --enable-sanitizers \
	    >configure.log 2>&1 || { say "Bail out! configure with clang failed (see $build/configure.log)"; exit 1; }
fi
i=0
for t in $targets; do
	i=$((i + 1))
	if ! make -s "tests/fuzz/fuzz_$t" >"build-$t.log" 2>&1; then
		say "not ok $i - fuzz_$t builds with libFuzzer"
		sed 's/^/# /' "build-$t.log" | tail -20 | tee -a "$out"
		continue
	fi
	work=$(mktemp -d "$build/corpus-$t.XXXXXX")
	cp "$top/tests/fuzz/corpus/$t"/* "$work"/
	if "./tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crash-$t-" \
	    "$work" >"run-$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "run-$t.log")
		say "ok $i - fuzz_$t: ${runs:-?} inputs in ${secs}s, no crash"
	else
		say "not ok $i - fuzz_$t crashed (input saved as $build/crash-$t-*)"
		grep -E 'ERROR|SUMMARY|runtime error' "run-$t.log" | head -10 | sed 's/^/# /' | tee -a "$out"
	fi
	rm -rf "$work"
done
