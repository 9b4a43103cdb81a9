#!/bin/bash
# tests/e2e/test_ratelimit.sh - the rate limits of milterkit-ratelimit
# behind the lab's Postfix, or its Sendmail with E2E_MTA=sendmail
# (tests/e2e/mta.sh): what a Sendmail relay, which has no policy protocol,
# gets instead of milterkit-policyd.
#
# One store (the counts `milterkit ratelimit show` and milterkit-policyd
# read), rules [ratelimit cr] 3 recipients an hour per sender (defer with
# its own text) and [ratelimit dom] 4 recipients an hour per recipient
# domain (reject; counted at RCPT, as in policyd).
#  1. milterkit-ratelimit alone (as nobody): a message to two recipients
#     passes; the next one's second recipient does not fit and is deferred
#     at RCPT with 450 4.7.1 and the rule's text (after Sendmail's
#     "<addr>... "), while the message goes on for the first; the sink gets
#     it for that one only; `ratelimit show` counts 3.
#  2. A transaction ended after RCPT (QUIT before DATA) is not counted.
#  3. Per recipient domain: the fifth recipient of one domain is rejected
#     with 550 5.7.1.
#  4. milterkit-chain, filters = suppress, rlimit: a recipient the suppress
#     filter refused is never counted.
# Bounded to 90 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

RL="$top_builddir/milters/ratelimit/milterkit-ratelimit"
CHAIN="$top_builddir/milters/chain/milterkit-chain"
MK="$top_builddir/tools/milterkit"
for f in "$RL" "$CHAIN" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

mta_require
tap_plan 13
lab_test_start "${TEST_TIMEOUT:-90}"

D=$(lab_daemon_dir rl) || tap_bail "no daemon directory"
SOCK=$D/rlimit.sock
CONF=$D/milterkit.conf
MLOG=$D/milter.log
cat >"$CONF" <<EOF
[store]
path = $D/store
[log]
level = info
[rlimit]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =
[chain]
socket = unix:$D/chain.sock
socket_mode = 0666
user = nobody
pidfile =
filters = suppress, rlimit
[ratelimit cr]
key = sender
recipients = 3/1h
text = sender over its hourly quota
[ratelimit dom]
key = recipient_domain
recipients = 4/1h
action = reject
EOF
"$MK" -c "$CONF" suppress add bounced@example.net --reason bounce >/dev/null 2>"$D/mk.err" ||
	tap_bail "store: $(cat "$D/mk.err")"
chown -R nobody "$D/store"

if lab_daemon_start "$SOCK" "$MLOG" "$RL" -f -c "$CONF"; then
	tap_ok "milterkit-ratelimit starts as nobody"
else
	tap_fail "milterkit-ratelimit starts as nobody" "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the milter"

show() { "$MK" -c "$CONF" ratelimit show "$@" 2>&1 | tr '\n' '|'; }
# wait_show KEY RE: until `ratelimit show KEY` matches RE (counting is done
# at end of message, after the MTA's reply may have been read)
wait_show() {
	local i
	for i in $(seq 1 50); do
		show "$1" | grep -Eq "$2" && return 0
		sleep 0.1
	done
	return 1
}

# ---- 1. recipients per sender ---------------------------------------------------
mta_send --from s1@example.com --to r1@a.example,r2@a.example
tap_like "a message to two recipients passes" "$(lab_reply_for .)" '^250 '
wait_show s1@example.com 'recipients 2/3'
mta_send --from s1@example.com --to r3@b.example,r4@b.example
tap_is "the next one's second recipient does not fit: 450 4.7.1 with the rule's text" \
    "$(lab_reply_for 'RCPT TO:<r3@b.example>' | cut -c1-3)|$(lab_reply_for 'RCPT TO:<r4@b.example>')" \
    "250|450 4.7.1 $(mta_prefix 450 r4@b.example)sender over its hourly quota"
tap_like "... and the message goes on for the first" "$(lab_reply_for .)" '^250 '
lab_wait_sink 2 15
tap_is "the sink gets it for that one only" "$(lab_sink_rcpts 2 | tr '\n' ' ')" "r3@b.example "
wait_show s1@example.com 'recipients 3/3'
tap_like "milterkit ratelimit show: 3 recipients counted" "$(show s1@example.com --rule cr)" \
    '^cr s1@example\.com fill=100% recipients 3/3 per 1h\|$'
tap_like "the deferral is logged with the rule, the key and the recipient" \
    "$(grep 'ratelimit defer' "$MLOG" | head -1)" \
    'ratelimit defer rule=cr key=s1@example\.com recipients 3/3600s used=3 from=<s1@example\.com> rcpt=<r4@b\.example>'

# ---- 2. a transaction ended before DATA ---------------------------------------------
mta_send --from s2@example.com --to r1@c.example,r2@c.example,r3@c.example --quit-after RCPT
sleep 0.5
tap_is "QUIT after RCPT: nothing counted for the sender" \
    "$(show s2@example.com --rule cr)" "milterkit: no state for s2@example.com under rule cr|"
mta_send --from s2@example.com --to r1@e.example,r2@e.example,r3@e.example
tap_like "... so all three recipients fit in the next message" \
    "$(lab_reply_for 'RCPT TO:<r3@e.example>')|$(lab_reply_for .)" '^250 .*\|250 '

# ---- 3. messages per recipient domain -----------------------------------------------
mta_send --from s3@example.com --to x1@f.example,x2@f.example
mta_send --from s4@example.com --to x3@f.example,x4@f.example
x4=$(lab_reply_for 'RCPT TO:<x4@f.example>' | cut -c1-3)
mta_send --from s5@example.com --to x5@f.example
tap_is "the fourth recipient at f.example passes, the fifth is rejected 550 5.7.1" \
    "$x4|$(lab_reply_for 'RCPT TO:<x5@f.example>')" \
    "250|550 5.7.1 $(mta_prefix 550 x5@f.example)rate limit exceeded, try again later"

# ---- 4. in the chain, after suppress --------------------------------------------------
lab_daemon_stop
if lab_daemon_start "$D/chain.sock" "$D/chain.log" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain (suppress, rlimit) starts as nobody"
else
	tap_fail "milterkit-chain (suppress, rlimit) starts as nobody" "$(tail -5 "$D/chain.log")"
fi
mta_milters "$D/chain.sock" || tap_bail "could not switch $MTA to the chain"
mta_send --from s7@example.com --to bounced@example.net,r1@d.example,r2@d.example,r3@d.example
tap_is "through the chain: the suppressed recipient refused, three others accepted" \
    "$(lab_reply_for 'RCPT TO:<bounced@example.net>' | cut -c1-9) $(lab_reply_for 'RCPT TO:<r3@d.example>' | cut -c1-3) $(lab_reply_for . | cut -c1-3)" \
    "550 5.1.1 250 250"
wait_show s7@example.com 'recipients 3/3'
tap_like "... and the refused one is not counted: 3 of 3, not 4" \
    "$(show s7@example.com --rule cr)" '^cr s7@example\.com fill=100% recipients 3/3 per 1h\|$'
