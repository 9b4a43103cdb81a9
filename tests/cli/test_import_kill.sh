#!/bin/sh
# tests/cli/test_import_kill.sh - an import killed with SIGKILL half way
#
# Generates 1,000,000 addresses and kills `milterkit suppress import` twice:
# once fed through a FIFO and stopped exactly after it has read half of the
# input, once reading the file and killed when its file offset passes half.
# Each time the store must still open and hold either none or all of that
# import (the entries that were there before stay). A full import of the
# same file afterwards must succeed and hold every line.
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
# wait_for SECONDS CMD...: poll CMD every 10 ms until it succeeds
wait_for() {
	n=$(($1 * 100)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.01
		n=$((n - 1))
	done
	return 1
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
if wait_for 20 read_half; then tap_ok "import A read half of the input"
else tap_fail "import A read half of the input" "rchar $(rchar) of $halfsize"; fi
kill -9 "$pid"
wait "$pid" 2> /dev/null
rcA=$?
pid=
exec 3>&-
tap_is "import A died of SIGKILL" "$rcA" 137
"$MK" --store "$T/s" store info > "$T/info" 2>&1
tap_is "store opens after the kill (store info exit 0)" "$?" 0
tap_is "store holds none of import A" "$(entries)" 2

# B: reading the file, killed when its offset passes half way.
"$MK" --store "$T/s" suppress import - < "$T/in.txt" > "$T/outB" 2>&1 &
pid=$!
pos() { sed -n 's/^pos:[[:space:]]*//p' "/proc/$pid/fdinfo/0" 2> /dev/null; }
past_half() { p=$(pos); [ -z "$p" ] || [ "$p" -ge $((size / 2)) ]; }
wait_for 20 past_half
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
rcB=$?
pid=
"$MK" --store "$T/s" store info > "$T/info" 2>&1
tap_is "store opens after kill B (store info exit 0)" "$?" 0
nB=$(entries)
case "$nB" in
2|$((LINES + 2))) tap_ok "store holds none or all of import B ($nB, exit $rcB)" ;;
*) tap_fail "store holds none or all of import B" "entries: $nB" ;;
esac

# Afterwards a full import of the same file succeeds.
start=$(date +%s)
"$MK" --store "$T/s" suppress import "$T/in.txt" > "$T/outC" 2>&1
rcC=$?
tap_like "full import after the kills succeeds" "$rcC:$(cat "$T/outC")" \
	"^0:imported $LINES "
tap_is "store holds every line" "$(entries)" $((LINES + 2))
tap_like "import of $LINES lines took seconds ($(($(date +%s) - start)) s)" \
	"$(($(date +%s) - start))" "^[0-9]$"
"$MK" --store "$T/s" suppress check user777@d777.kill.example > /dev/null
tap_is "an imported address is suppressed" "$?" 0

tap_done
