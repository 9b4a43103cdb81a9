#!/bin/bash
# tests/e2e/test_suppress.sh - milterkit-suppress behind the lab's Postfix,
# or its Sendmail with E2E_MTA=sendmail (tests/e2e/mta.sh; Sendmail's
# replies at RCPT carry its "<addr>... " before the milter's 550 text, and
# not before its 451 text).
#
# The milter runs as nobody (started as root, user = nobody), from a directory
# under $LAB_DIR that nobody owns, with socket_mode = 0666 so that smtpd (user
# postfix) can connect without group set-up; the store is chowned to nobody,
# since LMDB readers write their slot in lock.mdb. One message to three
# recipients, one of them suppressed: 550 5.1.1 for that RCPT only, the
# message goes to the sink for the other two. Then the store is made
# unreadable (chmod 000, the milter restarted as nobody): the RCPT gets the
# milter's 451 4.3.0 and nothing more reaches the sink. The milter's log
# carries the decision line with the queue id or NOQUEUE, and (debug level)
# the names of the macros the MTA sent: at RCPT only the "i" the milter
# asked for, where the MTA's defaults would add {rcpt_addr} {rcpt_host}
# {rcpt_mailer} (the CONNECT list is sent before the milter can ask).
# Last, with check = networks (10.0.0.0/8) the lab's client is outside
# them: the milter accepts at CONNECT, the MTA sends it nothing more for
# the session (no MAIL, RCPT or end of message in its log) and the
# suppressed recipient is delivered.
# Bounded to 90 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

MILTER="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
[ -x "$MK" ] || tap_bail "$MK not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

tap_plan 18

lab_test_start "${TEST_TIMEOUT:-90}"

SU=$(lab_daemon_dir su) || tap_bail "no daemon directory"
STORE=$SU/store
SOCK=$SU/suppress.sock
CONF=$SU/milterkit.conf
MLOG=$SU/milter.log
milter_start() { lab_daemon_start "$SOCK" "$MLOG" "$MILTER" -f -c "$CONF"; }

"$MK" --store "$STORE" suppress add gone@example.test --reason bounce >/dev/null ||
	tap_bail "milterkit suppress add failed"
chown -R nobody "$STORE"	# LMDB readers write their slot in lock.mdb
cat >"$CONF" <<EOF
[store]
path = $STORE

[log]
level = debug

[suppress]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =
EOF

if milter_start; then tap_ok "milter starts as nobody with a socket smtpd can reach"
else tap_fail "milter starts as nobody with a socket smtpd can reach" "$(tail -5 "$MLOG")"; fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the milter"

# ---- one suppressed recipient among three ------------------------------------
token="suppress-e2e-$RANDOM-$$"
mta_send --to ok1@example.test,gone@example.test,ok2@example.test --body "$token"
tap_like "suppressed recipient is told 550 5.1.1" \
	"$(lab_reply_for 'RCPT TO:<gone@example.test>')" \
	"^550 5\\.1\\.1 $(mta_prefix_re 550 gone@example.test)<gone@example\\.test>: recipient address suppressed \\(bounce\\)\$"
tap_like "the two other recipients are told 250" \
	"$(lab_reply_for 'RCPT TO:<ok1@example.test>') / $(lab_reply_for 'RCPT TO:<ok2@example.test>')" \
	'^250 .* / 250 '
tap_like "the message is accepted at end of data" "$(lab_reply_for .)" '^250 '
lab_wait_sink 1 15
tap_is "the sink receives it for exactly the other two" \
	"$(lab_sink_rcpts 1 | sort | tr '\n' ' ')" "ok1@example.test ok2@example.test "
msg=$(lab_sink_message 1)
tap_check "the body reaches the sink" grep -qF "$token" "$msg"

# ---- the store unreadable: tempfail --------------------------------------------
lab_daemon_stop
chmod 000 "$STORE"
if milter_start; then tap_ok "milter restarts with an unreadable store"
else tap_fail "milter restarts with an unreadable store" "$(tail -5 "$MLOG")"; fi
mta_send --to ok3@example.test --body "$token-2"
tap_like "with the store unreadable the RCPT is told the milter's 451 4.3.0" \
	"$(lab_reply_for 'RCPT TO:<ok3@example.test>')" "^451 4\\.3\\.0 $(mta_prefix_re 451 ok3@example.test)Temporary local problem, please try again later\$"
sleep 2
mta_queue_empty 5
tap_is "nothing more reaches the sink" "$(lab_sink_count)" 1
chmod 755 "$STORE"

# ---- the milter's log ----------------------------------------------------------
tap_like "decision line with the queue id or NOQUEUE" \
	"$(grep -E 'reject rcpt=<gone@example\.test>' "$MLOG" | head -1)" \
	'(NOQUEUE|[0-9A-Za-z]{5,}): reject rcpt=<gone@example\.test> from=<sender@example\.test> .*scope=global .*reason=bounce'
tap_is "exactly one decision line for the one reject" \
	"$(grep -c 'reject rcpt=<gone@example\.test>' "$MLOG")" 1
tap_like "$MTA sends at MAIL and RCPT only the macros the milter asked for" \
	"$(grep -E 'macros at (MAIL|RCPT):' "$MLOG" | grep -vE 'macros at (MAIL|RCPT): (\(none\)|i|i \{auth_authen\}|\{auth_authen\})$' |
	    head -3)/$(grep -cE 'macros at RCPT: i$' "$MLOG")" '^/[1-9][0-9]*$'
tap_like "the tempfail is logged with its cause" \
	"$(grep -E 'tempfail rcpt=<ok3@example\.test>' "$MLOG" | head -1)" \
	'(NOQUEUE|[0-9A-Za-z]{5,}): tempfail rcpt=<ok3@example\.test> from=<sender@example\.test> .*cause=.'

# ---- check = networks: a client outside them is left out at CONNECT ----------
lab_daemon_stop
: >"$MLOG"
printf 'check = networks\nnetworks = 10.0.0.0/8\n' >>"$CONF"	# not 127.0.0.1
if milter_start; then tap_ok "milter restarts with check = networks"
else tap_fail "milter restarts with check = networks" "$(tail -5 "$MLOG")"; fi
mta_send --to gone@example.test,ok4@example.test --body "$token-3"
tap_like "outside the networks the suppressed recipient is not checked: 250" \
	"$(lab_reply_for 'RCPT TO:<gone@example.test>')" '^250 '
tap_like "and the message is accepted" "$(lab_reply_for .)" '^250 '
lab_wait_sink 2 15
tap_is "the sink receives it for both" \
	"$(lab_sink_rcpts 2 | sort | tr '\n' ' ')" "gone@example.test ok4@example.test "
# The MTA left the milter out after CONNECT: no MAIL, RCPT or end of message.
tap_like "the milter released the client at CONNECT and heard nothing more" \
	"$(grep -c 'release client=.*\[127\.0\.0\.1\]: session not checked' "$MLOG")/$(
	    grep -cE 'macros at (MAIL|RCPT|EOM)|pass rcpt=' "$MLOG")" '^[1-9][0-9]*/0$'
