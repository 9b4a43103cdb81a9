#!/bin/sh
# tests/cli/test_import_kill.sh - imports killed with SIGKILL part way
#
# Generates 1,000,000 addresses and kills `milterkit suppress import` at
# points the test sees in the process itself, never after a delay:
#   A  fed through a FIFO, killed once it has read exactly the first half
#      (its rchar in /proc) and waits for more;
#   B  reading the file, stopped (SIGSTOP) once its file offset has passed
#      half way, the offset checked to be short of the end, then killed;
#   C  killed by strace at its first fdatasync(): the commit has written
#      the import's pages into the store file (which grew), not yet the
#      meta page that makes them visible (skipped where strace cannot
#      trace).
# Each must die of SIGKILL (status 137) without reporting an import, and
# leave a store that opens and holds none of that import (the 2 entries
# there before stay). A full import of the same file afterwards succeeds
# and holds every line.
. "$top_srcdir/tests/lib/tap.sh"

MK="$top_builddir/tools/milterkit"
LINES=1000000
HALF=$((LINES / 2))
T=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2> /dev/null
	rm -rf "$T"
}
trap cleanup EXIT

entries() {
	"$MK" --store "$T/s" store info --json | sed -n 's/.*"entries":\([0-9]*\).*/\1/p'
}
# store_bytes: the size of the store's data files
store_bytes() {
	find "$T/s" -name data.mdb -exec stat -c %s {} + | awk '{ n += $1 } END { print n + 0 }'
}
# wait_for SECONDS CMD...: poll CMD every 10 ms until it succeeds (a bound,
# not a measure)
wait_for() {
	n=$(($1 * 100)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.01
		n=$((n - 1))
	done
	return 1
}
# after_kill NAME RC OUT: the import died of SIGKILL, reported nothing, and
# the store opens holding none of it.
after_kill() {
	tap_is "import $1 died of SIGKILL (status 137)" "$2" 137
	tap_is "import $1 reported no import" "$(grep -c '^imported' "$3")" 0
	"$MK" --store "$T/s" store info > "$T/info" 2>&1
	tap_is "store opens after kill $1 (store info exit 0)" "$?" 0
	tap_is "store holds none of import $1" "$(entries)" 2
}

awk -v n=$LINES 'BEGIN { for (i = 1; i <= n; i++)
	printf "user%d@d%d.kill.example\n", i, i % 1000 }' > "$T/in.txt"
size=$(stat -c %s "$T/in.txt")
head -n $HALF "$T/in.txt" > "$T/half.txt"
halfsize=$(stat -c %s "$T/half.txt")
"$MK" --store "$T/s" suppress add keep1@example.com > /dev/null
"$MK" --store "$T/s" suppress add keep2@example.com > /dev/null
tap_is "store holds 2 entries before" "$(entries)" 2

# A: fed through a FIFO, killed once it has read exactly the first half.
mkfifo "$T/fifo"
"$MK" --store "$T/s" suppress import - < "$T/fifo" > "$T/outA" 2>&1 &
pid=$!
exec 3> "$T/fifo"
cat "$T/half.txt" >&3
rchar() { sed -n 's/^rchar: //p' "/proc/$pid/io" 2> /dev/null; }
read_half() { [ "$(rchar)" -ge "$halfsize" ] 2> /dev/null; }
if wait_for 60 read_half; then tap_ok "import A read half of the input"
else tap_fail "import A read half of the input" "rchar $(rchar) of $halfsize"; fi
kill -9 "$pid"
wait "$pid" 2> /dev/null
rcA=$?
pid=
exec 3>&-
after_kill A "$rcA" "$T/outA"

# B: reading the file, stopped past half way and short of the end, killed.
"$MK" --store "$T/s" suppress import - < "$T/in.txt" > "$T/outB" 2>&1 &
pid=$!
pos() { sed -n 's/^pos:[[:space:]]*//p' "/proc/$pid/fdinfo/0" 2> /dev/null; }
past_half() { p=$(pos); [ -n "$p" ] && [ "$p" -ge $((size / 2)) ]; }
wait_for 60 past_half
kill -STOP "$pid" 2> /dev/null
posB=$(pos)
if [ -n "$posB" ] && [ "$posB" -ge $((size / 2)) ] && [ "$posB" -lt "$size" ]; then
	tap_ok "import B stopped between half way and the end of its input"
else
	tap_fail "import B stopped between half way and the end of its input" \
	    "offset '$posB' of $size"
fi
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
rcB=$?
pid=
after_kill B "$rcB" "$T/outB"

# C: killed in the commit, after the pages were written, before the meta
# page. strace delivers SIGKILL when the import enters fdatasync().
if strace -o /dev/null true > /dev/null 2>&1; then
	before=$(store_bytes)
	# (in a subshell: the shell's "Killed" notice goes nowhere)
	( strace -f -qq -e trace=fdatasync -e inject=fdatasync:signal=SIGKILL \
	    -o "$T/straceC" "$MK" --store "$T/s" suppress import "$T/in.txt" \
	    > "$T/outC" 2>&1; echo $? > "$T/rcC" ) 2> /dev/null
	rcC=$(cat "$T/rcC")
	tap_like "import C was killed entering fdatasync() (strace)" \
	    "$(grep -c 'fdatasync(' "$T/straceC")|$(grep -c 'killed by SIGKILL' "$T/straceC")" \
	    '^1\|1$'
	after=$(store_bytes)
	if [ "$after" -gt "$before" ]; then
		tap_ok "import C had written into the store file when killed"
	else
		tap_fail "import C had written into the store file when killed" \
		    "data files $before octets before, $after after"
	fi
	after_kill C "$rcC" "$T/outC"
else
	for d in "import C killed entering fdatasync()" "import C had written into the store" \
	    "import C died of SIGKILL" "import C reported no import" \
	    "store opens after kill C" "store holds none of import C"; do
		tap_ok "$d # SKIP strace cannot trace here"
	done
fi

# Afterwards a full import of the same file succeeds.
"$MK" --store "$T/s" suppress import "$T/in.txt" > "$T/outD" 2>&1
rcD=$?
tap_like "full import after the kills succeeds" "$rcD:$(cat "$T/outD")" \
	"^0:imported $LINES "
tap_is "store holds every line" "$(entries)" $((LINES + 2))
"$MK" --store "$T/s" suppress check user777@d777.kill.example > /dev/null
tap_is "an imported address is suppressed" "$?" 0

tap_done
