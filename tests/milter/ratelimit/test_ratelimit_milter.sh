#!/bin/bash
# tests/milter/ratelimit/test_ratelimit_milter.sh - milterkit-ratelimit
# through the milter protocol, alone and in milterkit-chain, over one
# store whose counts `milterkit ratelimit show` reads back.
#
# Instances run in the foreground on unix sockets in a temp dir, all on
# the same store (two processes counting into one ratelimit/):
#   A  milterkit-ratelimit: [ratelimit two] 2 messages an hour per sender
#      (defer, own text); [ratelimit rcpts] 3 recipients an hour per SASL
#      login (reject); [ratelimit many] 1000 messages an hour per client
#   B  milterkit-ratelimit: [ratelimit w] 1 message an hour per client /24,
#      action = warn
#   C  milterkit-chain, filters = suppress, rlimit; [ratelimit cr] 2
#      recipients an hour per sender; the store suppresses
#      bounced@example.com
#   E  milterkit-ratelimit on a store whose ratelimit/ is a file: on_error
# rl_probe.py speaks the protocol (several messages on one connection,
# aborts). Then -t. Loopback only; every process started here is stopped
# by its pid; every wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/milters/ratelimit/milterkit-ratelimit"
CHAIN="$top_builddir/milters/chain/milterkit-chain"
MK="$top_builddir/tools/milterkit"
HERE="$top_srcdir/tests/milter/ratelimit"
PY=/usr/bin/python3
for f in "$CHAIN" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ -x "$PY" ] || tap_bail "$PY not found"

. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_rltest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
S="$T/store"
tap_watchdog 120
trap 'kill "$tap_watchdog_pid" 2>/dev/null; stop_all; rm -rf "$T"' EXIT

"$MK" --store "$S" suppress add bounced@example.com --reason bounce \
    >/dev/null 2>"$T/mk.err" || tap_bail "store fixture: $(cat "$T/mk.err")"
mkdir -p "$T/bad"
: > "$T/bad/ratelimit"

# conf NAME SECTION STORE [lines...]: [store], [log], the daemon rows of
# [SECTION] (socket in $T), then the lines (which may open more sections).
conf() {
	local name=$1 sec=$2 store=$3
	shift 3
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = debug\n\n' "$store"
		printf '[%s]\nsocket = unix:%s/%s.sock\nuser =\npidfile =\n' \
		    "$sec" "$T" "$name"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/$name.conf"
}
A_RULES=("[ratelimit two]" "key = sender" "messages = 2/1h"
    "text = sender over its hourly quota"
    "[ratelimit rcpts]" "key = sasl_username" "recipients = 3/1h"
    "action = reject"
    "[ratelimit many]" "key = client_address" "messages = 1000/1h")
conf A rlimit "$S" "${A_RULES[@]}"
conf B rlimit "$S" "[ratelimit w]" "key = client_address/24" \
    "messages = 1/1h" "action = warn"
conf C chain "$S" "filters = suppress, rlimit" "[ratelimit cr]" \
    "key = sender" "recipients = 2/1h"
conf E rlimit "$T/bad" "${A_RULES[@]}"
start A; start B; MILTER=$CHAIN start C; start E
instances_up A B C E

# probe INSTANCE [rl_probe.py args...]: the probe's transcript, one line
# per reply, "|"-joined (NEGOTIATED and MSG lines left out)
probe() {
	local inst=$1
	shift
	timeout 20 "$PY" "$HERE/rl_probe.py" "unix:$T/$inst.sock" "$@" 2>&1 |
	    grep -Ev '^(NEGOTIATED|MSG) ' | tr '\n' '|'
}
show() {	# CONF KEY: `milterkit ratelimit show KEY` with CONF's rules
	"$MK" -c "$T/$1.conf" ratelimit show "$2" 2>&1
}

# ---- A: the filter alone -------------------------------------------------------
out=$(timeout 20 "$PY" "$HERE/rl_probe.py" "unix:$T/A.sock" 'Q0:<n@example.org>:<r@example.com>' 2>&1)
out=$(printf '%s\n' "$out" | head -1)
tap_like "negotiated: no actions beyond SETSYMLIST, headers and body away" \
    "$out" '^NEGOTIATED actions=0x100 protocol=0x[0-9a-f]+$'
tap_is "two messages an hour: two pass, the third's RCPT is deferred 450 4.7.1 with the rule's text" \
    "$(probe A 'RL01:<quota@example.org>:<r1@example.com>' \
	'RL02:<quota@example.org>:<r2@example.com>' \
	'RL03:<quota@example.org>:<r3@example.com>')" \
    'MAIL => continue|RCPT <r1@example.com> => continue|EOM => continue|MAIL => continue|RCPT <r2@example.com> => continue|EOM => continue|MAIL => continue|RCPT <r3@example.com> => 450 4.7.1 sender over its hourly quota|EOM skipped|'
wait_for log_has A 'RL03: ratelimit defer'
tap_like "log: the deferral at info with rule, key, rate and usage" \
    "$(grep 'RL03: ratelimit' "$T/A.log")" \
    'info: RL03: ratelimit defer rule=two key=quota@example\.org messages 2/3600s used=2 from=<quota@example\.org> rcpt=<r3@example\.com> client=[^ ]+ state=RCPT$'
wait_for sh -c "'$MK' -c '$T/A.conf' ratelimit show quota@example.org | grep -q 'messages 2/2'"
tap_like "milterkit ratelimit show: the two messages the filter counted" \
    "$(show A quota@example.org)" '^two quota@example\.org fill=100% messages 2/2 per 1h$'

tap_is "aborted messages are not counted: two aborts, two pass, the fifth deferred" \
    "$(probe A 'RL11:<abort@example.org>:<r1@example.com>,<r2@example.com>:abort' \
	'RL12:<abort@example.org>:<r1@example.com>:abort' \
	'RL13:<abort@example.org>:<r1@example.com>' \
	'RL14:<abort@example.org>:<r1@example.com>' \
	'RL15:<abort@example.org>:<r1@example.com>' | sed 's/RCPT <r[12]@example.com> => //g')" \
    'MAIL => continue|continue|continue|ABORT|MAIL => continue|continue|ABORT|MAIL => continue|continue|EOM => continue|MAIL => continue|continue|EOM => continue|MAIL => continue|450 4.7.1 sender over its hourly quota|EOM skipped|'

tap_is "recipients per SASL login: 2 + 1 pass, the 4th is rejected 550 5.7.1" \
    "$(probe A --auth alice 'RL21:<alice@example.org>:<a@example.com>,<b@example.com>' \
	'RL22:<alice2@example.org>:<c@example.com>,<d@example.com>')" \
    'MAIL => continue|RCPT <a@example.com> => continue|RCPT <b@example.com> => continue|EOM => continue|MAIL => continue|RCPT <c@example.com> => continue|RCPT <d@example.com> => 550 5.7.1 rate limit exceeded, try again later|EOM => continue|'
wait_for sh -c "'$MK' -c '$T/A.conf' ratelimit show alice | grep -q 'recipients 3/3'"
tap_like "milterkit ratelimit show: the accepted recipients only (3, not 4)" \
    "$(show A alice)" '^rcpts alice fill=100% recipients 3/3 per 1h$'

# Eight connections at once (the event loops share one engine): every
# message of each is counted, none twice.
par=()
for c in 1 2 3 4 5 6 7 8; do
	m=()
	for i in 1 2 3 4 5; do m+=("RLP$c$i:<p$c.$i@example.org>:<r@example.com>"); done
	probe A --ip 203.0.113.9 "${m[@]}" > "$T/par$c.out" &
	par+=($!)
done
wait "${par[@]}"
tap_is "eight connections at once: 40 messages pass" \
    "$(cat "$T"/par?.out | grep -o 'EOM => continue' | wc -l)" 40
wait_for sh -c "'$MK' -c '$T/A.conf' ratelimit show 203.0.113.9 | grep -q 'messages 40/'"
tap_like "eight connections at once: milterkit ratelimit show counts 40" \
    "$(show A 203.0.113.9)" '^many 203\.0\.113\.9 fill=4% messages 40/1000 per 1h$'

# A reload (SIGHUP): the new configuration's rules take over the one
# engine; the counts stay.
kill -HUP "${pids[0]}"
wait_for log_has A 'reloaded'
tap_is "after a reload: the counts stay, the third message is still deferred" \
    "$(probe A 'RL61:<quota@example.org>:<r4@example.com>')" \
    'MAIL => continue|RCPT <r4@example.com> => 450 4.7.1 sender over its hourly quota|EOM skipped|'
tap_is "after a reload: another sender passes and is counted" \
    "$(probe A 'RL62:<fresh@example.org>:<r@example.com>')" \
    'MAIL => continue|RCPT <r@example.com> => continue|EOM => continue|'
wait_for sh -c "'$MK' -c '$T/A.conf' ratelimit show fresh@example.org | grep -q 'messages 1/2'"
tap_like "after a reload: milterkit ratelimit show sees it" \
    "$(show A fresh@example.org)" '^two fresh@example\.org fill=50% messages 1/2 per 1h$'

# ---- B: warn ---------------------------------------------------------------------
tap_is "warn: the second message of the /24 passes" \
    "$(probe B --ip 198.51.100.7 'RL31:<w@example.org>:<r@example.com>' \
	'RL32:<w@example.org>:<r@example.com>')" \
    'MAIL => continue|RCPT <r@example.com> => continue|EOM => continue|MAIL => continue|RCPT <r@example.com> => continue|EOM => continue|'
wait_for log_has B 'RL32: ratelimit warn'
tap_like "warn: logged at info with rule and key" \
    "$(grep 'RL32: ratelimit warn' "$T/B.log" | head -1)" \
    'info: RL32: ratelimit warn rule=w key=198\.51\.100\.0/24 messages 1/3600s used=1 '

# ---- C: in milterkit-chain after suppress -----------------------------------------
tap_like "chain: suppress refuses bounced@example.com, the other two pass" \
    "$(probe C 'RL41:<chain@example.org>:<bounced@example.com>,<b@example.com>,<c@example.com>')" \
    '^MAIL => continue\|RCPT <bounced@example\.com> => 550 5\.1\.1 [^|]*\|RCPT <b@example\.com> => continue\|RCPT <c@example\.com> => continue\|EOM => continue\|$'
wait_for sh -c "'$MK' -c '$T/C.conf' ratelimit show chain@example.org | grep -q 'recipients 2/2'"
tap_like "chain: the recipient suppress refused is not counted (2 of 2)" \
    "$(show C chain@example.org)" '^cr chain@example\.org fill=100% recipients 2/2 per 1h$'
tap_is "chain: the next recipient of the sender is deferred" \
    "$(probe C 'RL42:<chain@example.org>:<d@example.com>')" \
    'MAIL => continue|RCPT <d@example.com> => 450 4.7.1 rate limit exceeded, try again later|EOM skipped|'

# ---- E: store trouble -------------------------------------------------------------
tap_is "store trouble: on_error = tempfail, 451 4.3.0 at RCPT" \
    "$(probe E 'RL51:<err@example.org>:<r@example.com>' | sed 's/ 4.3.0 .*|EOM/ 4.3.0|EOM/')" \
    'MAIL => continue|RCPT <r@example.com> => 451 4.3.0|EOM skipped|'
wait_for log_has E 'RL51: '
tap_like "store trouble: logged with the cause" "$(grep 'RL51: ' "$T/E.log" | head -1)" \
    'error: RL51: .*ratelimit'

# ---- -t -----------------------------------------------------------------------
tcheck() {	# DESC REGEX LINES...: -t on [rlimit] with LINES
	local desc=$1 re=$2 out rc
	shift 2
	conf t rlimit "$S" "$@"
	out=$("$MILTER" -t -c "$T/t.conf" 2>&1); rc=$?
	tap_like "-t: $desc" "$rc|$out" "$re"
}
tcheck "a good configuration" '^0\|.*configuration OK' "${A_RULES[@]}"
tcheck "no rules: it runs, limiting nothing, and says so" \
    '^0\|.*no \[ratelimit NAME\] rules: nothing is limited'
tcheck "a plain [ratelimit] section is an error" '^2\|.*needs a name' \
    "[ratelimit]" "key = sender"
tcheck "a bad rate, with FILE:LINE" "^2\\|.*$T/t\\.conf:[0-9]+: " \
    "[ratelimit x]" "key = sender" "messages = 2/1fortnight"
tap_is "-t does not create the store's ratelimit/" \
    "$(mkdir -p "$T/fresh" && conf t rlimit "$T/fresh" "${A_RULES[@]}" &&
	"$MILTER" -t -c "$T/t.conf" >/dev/null 2>&1; ls "$T/fresh")" ""

tap_done
