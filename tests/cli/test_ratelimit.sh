#!/bin/sh
# tests/cli/test_ratelimit.sh - `milterkit ratelimit show|reset|top`
#
# State is made with tests/cli/rl_feed, which checks END-OF-MESSAGE requests
# through the engine exactly as milterkit-policyd does and commits them.
# Asserts the usage reported per rule and rate, the order of top, what reset
# forgets, and every exit code (0 ok, 1 no state / nothing to reset, 2 usage
# or configuration error, 3 store error).
. "$top_srcdir/tests/lib/tap.sh"

MK="$top_builddir/tools/milterkit"
FEED="$top_builddir/tests/cli/rl_feed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S="$T/store"
CONF="$T/mk.conf"
cat > "$CONF" <<EOF
[store]
path = $S

[ratelimit per-sender]
key = sender
messages = 5/1h
recipients = 20/1h

[ratelimit per-client]
key = client_address
messages = 100/1d
EOF

run() {
	"$MK" -c "$CONF" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
flat() { printf '%s' "$1" | tr '\n' ' '; }

tap_plan 40

# --- help and usage ---
run ratelimit --help
tap_like "ratelimit --help lists the verbs and exit codes" "$(flat "$rc:$out")" \
	"^0:usage:.*ratelimit show KEY.*ratelimit reset KEY.*ratelimit top.*exit status"
for v in show reset top; do
	run ratelimit "$v" --help
	tap_like "ratelimit $v --help" "$(flat "$rc:$out")" "^0:usage: +milterkit ratelimit $v"
done
run ratelimit; tap_is "ratelimit without a verb: exit 2" "$rc" 2
run ratelimit frob; tap_like "unknown ratelimit verb: exit 2" "$rc:$err" "^2:.*ratelimit frob"
run ratelimit show; tap_like "show without KEY: exit 2" "$rc:$err" "^2:.*exactly one KEY"
run ratelimit show a b; tap_is "show with two KEYs: exit 2" "$rc" 2
run ratelimit show a --frobnicate; tap_like "unknown option: exit 2 naming it" "$rc:$err" "^2:.*--frobnicate"
run ratelimit reset a --json; tap_is "reset takes no --json: exit 2" "$rc" 2
run ratelimit top 0; tap_is "top 0: exit 2" "$rc" 2
run ratelimit top x; tap_is "top x: exit 2" "$rc" 2
"$MK" --help > "$T/out"
tap_like "milterkit --help names the ratelimit verbs" "$(flat "$(cat "$T/out")")" "ratelimit show KEY.*ratelimit top"

# --- no state yet: nothing is created ---
run ratelimit show a@example.test
tap_like "show before any state: exit 1, no state" "$rc:$err" "^1:.*no state for a@example.test"
run ratelimit top
tap_is "top before any state: exit 0, empty" "$rc:$out" "0:"
run ratelimit reset a@example.test
tap_like "reset before any state: exit 1" "$rc:$err" "^1:.*nothing to reset"
tap_check "show and top did not create the state" test ! -e "$S/ratelimit"

# --- state from three messages of two recipients, and four of one ---
"$FEED" -c "$CONF" -n 3 -r 2 sender=a@example.test client_address=192.0.2.7 > "$T/feed" 2>&1
tap_like "rl_feed commits three messages" "$?:$(flat "$(cat "$T/feed")")" "^0:DUNNO DUNNO DUNNO$"
"$FEED" -c "$CONF" -n 4 sender=b@example.test > "$T/feed" 2>&1
tap_is "rl_feed commits four more" "$?" 0

run ratelimit show a@example.test
tap_is "show a@: exit 0" "$rc" 0
tap_like "show a@: 3 of 5 messages and 6 of 20 recipients per hour" "$out" \
	"^per-sender a@example\.test fill=60% messages 3/5 per 1h, recipients 6/20 per 1h$"
tap_is "show a@: only the rule keyed on sender has state" "$(printf '%s\n' "$out" | grep -c .)" 1
run ratelimit show A@Example.TEST
tap_like "show normalizes an address typed otherwise, as the daemon keys it" "$rc:$out" \
	"^0:per-sender a@example\.test fill=60% "
run ratelimit show 192.0.2.7
tap_like "show the client: 3 of 100 per day under per-client" "$rc:$out" \
	"^0:per-client 192\.0\.2\.7 fill=3% messages 3/100 per 1d$"
run ratelimit show 192.0.2.7 --rule per-sender
tap_like "show --rule with no state for the key under it: exit 1" "$rc:$err" \
	"^1:.*no state for 192.0.2.7 under rule per-sender"
run ratelimit show a@example.test --rule nosuch
tap_like "show --rule naming no rule: exit 2" "$rc:$err" "^2:.*no rule \"nosuch\""
run ratelimit show a@example.test --json
tap_is "show --json: exit 0" "$rc" 0
tap_is "show --json: one JSON object" "$out" \
	'{"rule":"per-sender","key":"a@example.test","fill":0.6000,"rates":[{"what":"messages","used":3,"limit":5,"period":3600},{"what":"recipients","used":6,"limit":20,"period":3600}]}'
run ratelimit show nobody@example.test
tap_like "show an unknown key: exit 1" "$rc:$err" "^1:.*no state for nobody@example.test"

# --- top ---
run ratelimit top
tap_is "top: exit 0, three keys" "$rc:$(printf '%s\n' "$out" | grep -c .)" "0:3"
tap_like "top: highest fill first (b@ 80%, a@ 60%, the client 3%)" "$(flat "$out")" \
	"^per-sender b@example\.test fill=80% .* per-sender a@example\.test fill=60% .* per-client 192\.0\.2\.7 fill=3% "
run ratelimit top 1
tap_like "top 1: only the fullest" "$rc:$(flat "$out")" "^0:per-sender b@example\.test fill=80% messages 4/5 per 1h, recipients 4/20 per 1h$"
run ratelimit top 2 --json
tap_like "top --json: one object per line" "$(flat "$out")" \
	'^\{"rule":"per-sender","key":"b@example.test","fill":0.8000,.*\} \{"rule":"per-sender","key":"a@example.test",.*\}$'

# --- reset ---
run ratelimit reset a@example.test
tap_is "reset a@: exit 0, says what it forgot" "$rc:$out" "0:reset per-sender a@example.test"
run ratelimit show a@example.test
tap_is "after reset, show a@: exit 1" "$rc" 1
run ratelimit reset a@example.test
tap_like "reset again: nothing to reset, exit 1" "$rc:$err" "^1:.*nothing to reset for a@example.test"
run ratelimit reset 192.0.2.7 --rule per-client
tap_is "reset --rule per-client: exit 0" "$rc:$out" "0:reset per-client 192.0.2.7"
run ratelimit show b@example.test
tap_like "other keys keep their state" "$rc:$out" "^0:per-sender b@example\.test fill=80%"

# --- configuration and store errors ---
printf '[store]\npath = %s\n' "$S" > "$T/norules.conf"
"$MK" -c "$T/norules.conf" ratelimit show b@example.test > /dev/null 2> "$T/err"
tap_like "no [ratelimit] rules: exit 2" "$?:$(cat "$T/err")" "^2:.*no \[ratelimit NAME\] rules"
mkdir -p "$T/bad"
: > "$T/bad/ratelimit"
run --store "$T/bad" ratelimit show b@example.test
tap_like "state that cannot be opened: exit 3" "$rc:$err" "^3:milterkit: cannot (open|read) state: .*bad/ratelimit: Not a directory$"
