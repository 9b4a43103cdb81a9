# tests/lib/tap.sh - TAP output for shell tests (sourced).
#
#   tap_plan N            announce N test points (or call tap_done at the end)
#   tap_ok DESC           a passing point
#   tap_fail DESC [WHY]   a failing point, WHY printed as a TAP comment
#   tap_check DESC CMD... run CMD; pass when it exits 0
#   tap_is DESC GOT WANT  pass when the two strings are equal
#   tap_like DESC TEXT RE pass when TEXT matches the extended regex RE
#   tap_done              print the plan when it was not given up front
#   tap_bail WHY          abort the whole file (counted as an error)
#   tap_watchdog SECONDS  end the file after SECONDS: a bail-out line, then
#                         TERM to the test's shell, whose traps clean up;
#                         the watchdog's pid is in $tap_watchdog_pid
#
# Every point is numbered; a file that stops early leaves points missing,
# which the TAP driver reports as an error.
tap_n=0
tap_planned=0
tap_plan() { tap_planned=1; echo "1..$1"; }
tap_ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
tap_fail() {
	tap_n=$((tap_n + 1)); echo "not ok $tap_n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
tap_check() {
	local desc=$1; shift
	local out
	if out=$("$@" 2>&1); then tap_ok "$desc"; else tap_fail "$desc" "$out"; fi
}
tap_is() {
	if [ "$2" = "$3" ]; then tap_ok "$1"
	else tap_fail "$1" "got:  '$2'
want: '$3'"; fi
}
tap_like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then tap_ok "$1"
	else tap_fail "$1" "text: '$2'
does not match: '$3'"; fi
}
tap_done() { [ "$tap_planned" = 1 ] || echo "1..$tap_n"; }
tap_bail() { echo "Bail out! $1"; exit 1; }
tap_watchdog() {
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$1" & sp=$!
		wait "$sp" && echo "Bail out! timed out after ${1}s" && kill -TERM $$
	) &
	tap_watchdog_pid=$!
}
