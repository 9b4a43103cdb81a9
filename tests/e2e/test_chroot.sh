#!/bin/bash
# tests/e2e/test_chroot.sh - the README's wiring for a stock Debian Postfix,
# whose smtpd, cleanup and pickup run chrooted in the queue directory.
#
# The lab runs with LAB_CHROOT=y. milterkit-suppress, milterkit-headers and
# milterkit-policyd put their sockets in QUEUE/milterkit/ (the README's
# milterkit.conf lines) and main.cf names them relative to the queue
# directory (unix:milterkit/NAME.sock), with non_smtpd_milters as the
# README says. Then:
#   SMTP: a suppressed recipient is refused (550 5.1.1), the message reaches
#   the sink for the other one with the headers milter's edits; the policy
#   service refuses a sender over its limit (450 4.7.1);
#   sendmail(1) (pickup, then the chrooted cleanup): a message to a
#   suppressed and a clean recipient leaves the maildrop and is delivered
#   to both (local submissions are the host's own mail: the suppression
#   list applies to SMTP clients), with the headers milter's edits.
# Bounded to 120 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"

SUPPRESS="$top_builddir/milters/suppress/milterkit-suppress"
HEADERS="$top_builddir/milters/headers/milterkit-headers"
POLICYD="$top_builddir/policyd/milterkit-policyd"
MK="$top_builddir/tools/milterkit"
for b in "$SUPPRESS" "$HEADERS" "$POLICYD" "$MK"; do
	[ -x "$b" ] || tap_bail "$b not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

tap_plan 13

LAB_CHROOT=y
lab_test_start "${TEST_TIMEOUT:-120}"
tap_like "the lab's smtpd, cleanup and pickup run chrooted" \
	"$(awk '$1 ~ /^127\.0\.0\.1:/ || $1 == "cleanup" || $1 == "pickup" { print $5 }' \
	    "$LAB_CONF/master.cf" | sort -u | tr '\n' ' ')" '^y $'

# The packages' directory in the queue directory (here nobody's, as every
# daemon of the lab runs as nobody; sockets 0666 instead of the packages'
# group milterkit).
Q=$LAB_DIR/queue/milterkit
mkdir -p "$Q" && chown nobody "$Q" && chmod 755 "$Q" || tap_bail "cannot make $Q"
D=$(lab_daemon_dir daemons) || tap_bail "no daemon directory"
STORE=$D/store
CONF=$D/milterkit.conf
"$MK" --store "$STORE" suppress add gone@example.test --reason bounce >/dev/null ||
	tap_bail "milterkit suppress add failed"
cat >"$CONF" <<EOF
[store]
path = $STORE

[suppress]
socket = unix:$Q/suppress.sock
socket_mode = 0666
user = nobody
pidfile =

[headers]
socket = unix:$Q/headers.sock
socket_mode = 0666
user = nobody
pidfile =
duplicates = keep-first

[policyd]
socket = unix:$Q/policyd.sock
socket_mode = 0666
user = nobody
pidfile =

[ratelimit per-sender]
key = sender
messages = 2/1h
EOF
pids=
lab_at_exit 'for p in $pids; do daemon_stop "$p"; done'
started=
for d in suppress headers policyd; do
	bin=$SUPPRESS
	[ $d = headers ] && bin=$HEADERS
	[ $d = policyd ] && bin=$POLICYD
	if daemon_start "$Q/$d.sock" "$D/$d.log" "$bin" -f -c "$CONF"; then
		started="$started $d"
	fi
	pids="$pids $daemon_pid"
done
tap_is "the three daemons listen in the queue directory" "$started" \
	" suppress headers policyd"

# The README's main.cf lines for a chrooted Postfix.
lab_postconf \
	"smtpd_milters = unix:milterkit/suppress.sock, unix:milterkit/headers.sock" \
	"non_smtpd_milters = \$smtpd_milters" \
	"milter_default_action = tempfail" \
	"smtpd_recipient_restrictions = check_policy_service unix:milterkit/policyd.sock, permit_mynetworks, reject_unauth_destination" \
	"smtpd_end_of_data_restrictions = check_policy_service unix:milterkit/policyd.sock" \
	"smtpd_policy_service_default_action = 451 4.3.5 Server configuration problem" &&
	lab_reload || tap_bail "could not wire the lab to the daemons"

MSG=$D/message.eml
message() {	# TOKEN
	cat <<EOF
From: Sender <sender@example.test>
To: <ok@example.test>
Subject: the first subject
Subject: the second subject

$1
EOF
}

# ---- SMTP ----------------------------------------------------------------------
token="chroot-smtp-$RANDOM-$$"
message "$token" >"$MSG"
lab_send --from sender@example.test --to ok@example.test,gone@example.test --data "$MSG"
tap_like "SMTP: the suppressed recipient is told 550 5.1.1" \
	"$(lab_reply_for 'RCPT TO:<gone@example.test>')" '^550 5\.1\.1 '
tap_like "SMTP: the message is accepted" "$(lab_reply_for .)" '^250 '
lab_wait_sink 1 15
tap_is "SMTP: the sink receives it for the other recipient only" \
	"$(lab_sink_rcpts 1 | tr '\n' ' ')" "ok@example.test "
first=$(lab_sink_message 1) || first=/dev/null
tap_is "SMTP: the headers milter's edits (one Subject, the first)" \
	"$(grep -c '^Subject: the first' "$first")/$(grep -c '^Subject: the second' "$first")" 1/0

# The policy service: two messages an hour per sender, this was the first.
lab_send --from sender@example.test --to ok@example.test --data "$MSG"
lab_send --from sender@example.test --to ok@example.test --data "$MSG"
tap_like "SMTP: the third message of the sender is told 450 4.7.1" \
	"$(lab_reply_for 'RCPT TO:<ok@example.test>')" '^450 4\.7\.1 '
lab_wait_sink 2 15

# ---- sendmail(1): pickup and the chrooted cleanup ------------------------------
token="chroot-local-$RANDOM-$$"
message "$token" | timeout 30 sendmail -C "$LAB_CONF" -f local@example.test \
	ok@example.test gone@example.test
tap_is "sendmail(1) accepts the message" "$?" 0
before=$(lab_sink_count)
lab_wait_sink $((before + 1)) 30
local_msg=$(grep -lF "$token" "$LAB_SINK_DIR"/* 2>/dev/null | head -1)
tap_like "sendmail(1): the message leaves the maildrop and reaches the sink" \
	"$local_msg" .
tap_is "sendmail(1): delivered to both recipients (local mail is not checked)" \
	"$(grep -h '^X-Rcpt-Args:' "${local_msg:-/dev/null}" | sed 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/' | sort | tr '\n' ' ')" \
	"gone@example.test ok@example.test "
tap_is "sendmail(1): the headers milter's edits too (one Subject, the first)" \
	"$(grep -c '^Subject: the first' "${local_msg:-/dev/null}")/$(grep -c '^Subject: the second' "${local_msg:-/dev/null}")" 1/0
tap_is "no milter configuration error in Postfix's log" \
	"$(grep -c "milter configuration error" "$LAB_DIR/maillog")" 0
tap_like "the suppress milter says it left the local submission alone" \
	"$(cat "$D/suppress.log")" "local submission"
