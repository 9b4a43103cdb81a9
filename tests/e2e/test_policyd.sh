#!/bin/bash
# tests/e2e/test_policyd.sh - milterkit-policyd behind the lab's Postfix.
#
# The daemon runs as nobody (started as root, user = nobody) with its store
# in a directory under $LAB_DIR that nobody owns, and socket_mode = 0666 so
# that smtpd (user postfix) can connect without group set-up. Postfix asks it
# at RCPT and at END-OF-MESSAGE: check_policy_service comes FIRST in
# smtpd_recipient_restrictions (the lab's client is in mynetworks, and
# permit_mynetworks would end the list before it) and is the whole of
# smtpd_end_of_data_restrictions, where messages are counted.
#   - messages = 3/1h keyed on sender: three messages reach the sink, the
#     fourth is deferred with 4.7.1 at RCPT, the sink has exactly three;
#   - messages = 2/1h keyed on sasl_username, set through XCLIENT LOGIN=:
#     alice's third message is deferred while bob's still passes;
#   - recipients = 4/1h: a message to six recipients gets 4.7.1 for the last
#     two and reaches the sink for the first four;
#   - `milterkit ratelimit show` reports the counts, deferred mail uncounted.
# Bounded to 90 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"

PD="$top_builddir/policyd/milterkit-policyd"
MK="$top_builddir/tools/milterkit"
[ -x "$PD" ] || tap_bail "$PD not built"
[ -x "$MK" ] || tap_bail "$MK not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

tap_plan 17

lab_test_start "${TEST_TIMEOUT:-90}"

PDD=$(lab_daemon_dir pd) || tap_bail "no daemon directory"
STORE=$PDD/store
SOCK=$PDD/policyd.sock
CONF=$PDD/milterkit.conf
PLOG=$PDD/policyd.log
mkdir -p "$STORE"
chown nobody "$STORE"
pd_start() { lab_daemon_start "$SOCK" "$PLOG" "$PD" -f -c "$CONF"; }
# code of the reply to CMD in the last transcript ("250", "450 4.7.1", ...)
code() { lab_reply_for "$1" | head -1 | grep -oE '^[0-9]{3}( [0-9]\.[0-9]+\.[0-9]+)?'; }

cat >"$CONF" <<EOF
[store]
path = $STORE

[log]
level = debug

[policyd]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =

[ratelimit per-login]
key = sasl_username
messages = 2/1h

[ratelimit per-sender]
key = sender
messages = 3/1h
recipients = 4/1h
EOF

if pd_start; then tap_ok "milterkit-policyd starts as nobody with a socket smtpd can reach"
else tap_fail "milterkit-policyd starts as nobody with a socket smtpd can reach" "$(tail -5 "$PLOG")"; fi
lab_postconf \
	"smtpd_recipient_restrictions = check_policy_service unix:$SOCK, permit_mynetworks, reject_unauth_destination" \
	"smtpd_end_of_data_restrictions = check_policy_service unix:$SOCK" \
	"smtpd_policy_service_default_action = 451 4.3.5 policy service unavailable" &&
	lab_reload || tap_bail "could not switch the lab to the policy service"

# ---- messages = 3/1h keyed on sender -----------------------------------------
got=
for i in 1 2 3; do
	lab_send --from s1@example.test --to "m$i@example.test" --body "s1 message $i"
	got="$got $(code 'RCPT TO:<'"m$i"'@example.test>')/$(code .)"
done
tap_is "three messages from s1 are accepted at RCPT and at end of data" \
	"$got" " 250 2.1.5/250 2.0.0 250 2.1.5/250 2.0.0 250 2.1.5/250 2.0.0"
lab_send --from s1@example.test --to m4@example.test --body "s1 message 4"
tap_like "the fourth is deferred at RCPT with 4.7.1" \
	"$(lab_reply_for 'RCPT TO:<m4@example.test>')" '^4[0-9][0-9] 4\.7\.1 .*rate limit exceeded'
lab_wait_sink 3 15
sleep 1
tap_is "the sink has exactly three messages" "$(lab_sink_count)" 3
tap_like "the defer is logged with queue id, rule, key and counts" \
	"$(grep -E 'defer rule=per-sender key=s1@example\.test' "$PLOG" | head -1)" \
	'(NOQUEUE|[0-9A-Za-z]{5,}): defer rule=per-sender key=s1@example\.test messages 3/3600s used=3 .*state=RCPT'

# ---- messages = 2/1h keyed on sasl_username (XCLIENT LOGIN=) -----------------
got=
for i in 1 2; do
	lab_send --xclient "LOGIN=alice" --from alice@example.test --to "a$i@example.test" --body "alice $i"
	got="$got $(code 'RCPT TO:<'"a$i"'@example.test>')/$(code .)"
done
tap_is "alice's first two messages are accepted" "$got" " 250 2.1.5/250 2.0.0 250 2.1.5/250 2.0.0"
lab_send --xclient "LOGIN=alice" --from alice@example.test --to a3@example.test --body "alice 3"
tap_like "XCLIENT LOGIN=alice was taken" "$(lab_reply_for 'XCLIENT LOGIN=alice')" '^220 '
tap_like "alice's third message is deferred with 4.7.1" \
	"$(lab_reply_for 'RCPT TO:<a3@example.test>')" '^4[0-9][0-9] 4\.7\.1 '
lab_send --xclient "LOGIN=bob" --from bob@example.test --to b1@example.test --body "bob 1"
tap_is "bob, another login, still passes" \
	"$(code 'RCPT TO:<b1@example.test>')/$(code .)" "250 2.1.5/250 2.0.0"

# ---- recipients = 4/1h: the recipients that fit ------------------------------
lab_send --from s2@example.test --to r1@example.test,r2@example.test,r3@example.test,r4@example.test,r5@example.test,r6@example.test --body "s2 six"
got=
for i in 1 2 3 4 5 6; do got="$got $(code 'RCPT TO:<'"r$i"'@example.test>')"; done
tap_is "the first four recipients fit, the last two get 4.7.1" "$got" \
	" 250 2.1.5 250 2.1.5 250 2.1.5 250 2.1.5 450 4.7.1 450 4.7.1"
tap_like "the message is accepted for the four" "$(lab_reply_for .)" '^250 '
lab_wait_sink 7 15
sleep 1
tap_is "the sink has seven messages in all" "$(lab_sink_count)" 7
tap_is "the last reached exactly the four that fit" \
	"$(lab_sink_rcpts 7 | sort | tr '\n' ' ')" \
	"r1@example.test r2@example.test r3@example.test r4@example.test "

# ---- the state, through the command -------------------------------------------
tap_like "ratelimit show s1: 3 of 3 messages, the deferred one not counted" \
	"$("$MK" -c "$CONF" ratelimit show s1@example.test 2>&1)" \
	'^per-sender s1@example\.test fill=100% messages 3/3 per 1h, recipients 3/4 per 1h$'
tap_like "ratelimit show alice: 2 of 2 under per-login" \
	"$("$MK" -c "$CONF" ratelimit show alice --rule per-login 2>&1)" \
	'^per-login alice fill=100% messages 2/2 per 1h$'
tap_like "ratelimit show s2: one message, 4 of 4 recipients" \
	"$("$MK" -c "$CONF" ratelimit show s2@example.test 2>&1)" \
	'^per-sender s2@example\.test fill=100% messages 1/3 per 1h, recipients 4/4 per 1h$'
tap_is "ratelimit top: the three full keys, then alice's sender at 2 of 3" \
	"$("$MK" -c "$CONF" ratelimit top 4 2>&1 |
		awk 'NR < 4 { printf "%s ", $3 } NR == 4 { printf "%s %s", $2, $3 }')" \
	"fill=100% fill=100% fill=100% alice@example.test fill=67%"
