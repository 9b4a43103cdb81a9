#!/bin/sh
# tests/fuzz/run_corpus.sh - run every fuzz target over its seed corpus.
#
#   run_corpus.sh [NAME...]
#
# For each NAME (default: every directory under tests/fuzz/corpus/), runs
# $top_builddir/tests/fuzz/fuzz_NAME (a fuzz target linked with
# tests/fuzz/standalone.c) over $top_srcdir/tests/fuzz/corpus/NAME and
# re-numbers its TAP points into one stream: one point per corpus file.
# A corpus without its target, or a target that fails on its own, is a
# failing point, never a silent pass.
set -u
: "${top_srcdir:?top_srcdir is not set}"
: "${top_builddir:?top_builddir is not set}"
. "$top_srcdir/tests/lib/tap.sh"

corpus=$top_srcdir/tests/fuzz/corpus
if [ $# -eq 0 ]; then
	for d in "$corpus"/*/; do
		[ -d "$d" ] && set -- "$@" "$(basename "$d")"
	done
fi
[ $# -gt 0 ] || tap_bail "no corpus directories under $corpus"

out=$(mktemp) || tap_bail "mktemp failed"
trap 'rm -f "$out"' EXIT

for name in "$@"; do
	target=$top_builddir/tests/fuzz/fuzz_$name
	if [ ! -x "$target" ]; then
		tap_fail "fuzz_$name: target built" "missing $target"
		continue
	fi
	"$target" "$corpus/$name" >"$out" 2>&1
	status=$?
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			seen=$((seen + 1))
			desc=${line#* - }
			tap_ok "fuzz_$name: ${desc#"$corpus"/}" ;;
		"not ok "*)
			seen=$((seen + 1))
			desc=${line#* - }
			tap_fail "fuzz_$name: ${desc#"$corpus"/}" ;;
		1..*) ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done <"$out"
	if [ "$seen" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; }; then
		tap_fail "fuzz_$name: runner finished" "exit status $status"
	fi
done
tap_done
