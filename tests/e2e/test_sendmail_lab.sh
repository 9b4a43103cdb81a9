#!/bin/bash
# tests/e2e/test_sendmail_lab.sh - the private Sendmail of tests/e2e/smlab.sh.
#
# The lab (Postfix and its smtp-sink) starts; Sendmail, unpacked from the
# Debian packages into $top_builddir/tests/e2e/sendmail-root (once), greets
# on a loopback port and relays a message to the lab's sink. Then
# milterkit-suppress (as nobody, socket_mode 0666, a store with one
# suppressed address, as in test_suppress.sh) is plugged into Sendmail: the
# suppressed recipient is told 550 5.1.1 with Sendmail's "<addr>... " before
# the milter's text, the two others reach the sink. Last, Sendmail is stopped
# by its pid: nothing of its session is left, nor the process of its pid
# file. Skipped when Sendmail cannot be fetched (no apt-get, no archive).
# Bounded to 60 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
E2E_MTA=sendmail
. "$top_srcdir/tests/e2e/mta.sh"	# and smlab.sh

MILTER="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
[ -x "$MK" ] || tap_bail "$MK not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab, Sendmail and the privilege drop)"
mta_require

tap_plan 14

lab_test_start "${TEST_TIMEOUT:-60}"

# ---- Sendmail alone ------------------------------------------------------------
sm_start || tap_bail "Sendmail did not start"
tap_like "Sendmail greets on loopback with its own host name" \
	"$(sm_banner)" "^220 $SM_HOSTNAME ESMTP Sendmail [0-9.]+/"
tap_is "it listens on 127.0.0.1 only" \
	"$(ss -Hltn "sport = :$SM_PORT" | awk '{ print $4 }' | sort -u | tr '\n' ' ')" \
	"127.0.0.1:$SM_PORT "
token="smlab-$RANDOM-$$"
sm_send --to a1@example.test,a2@example.test --body "$token"
tap_like "the message is accepted" "$(sm_reply_for .)" '^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
lab_wait_sink 1 15
tap_is "it reaches the sink for both recipients" \
	"$(lab_sink_rcpts 1 | sort | tr '\n' ' ')" "a1@example.test a2@example.test "
tap_check "the body reaches the sink" grep -qF "$token" "$(lab_sink_message 1)"
tap_like "the sink got it from Sendmail, with Sendmail's Received line" \
	"$(sed -n 's/^X-Helo-Args: //p' "$(lab_sink_message 1)") | $(grep -A1 '^Received: from client' "$(lab_sink_message 1)" | tr -d '\t\n')" \
	"^$SM_HOSTNAME \| Received: from client\.example\.test \(localhost \[127\.0\.0\.1\]\)by $SM_HOSTNAME \(8\.[0-9.]+/8\.[0-9.]+\) with ESMTP id "
sm_stop

# ---- milterkit-suppress plugged into Sendmail -----------------------------------
SU=$(lab_daemon_dir su) || tap_bail "no daemon directory"
STORE=$SU/store
SOCK=$SU/suppress.sock
CONF=$SU/milterkit.conf
MLOG=$SU/milter.log
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
if lab_daemon_start "$SOCK" "$MLOG" "$MILTER" -f -c "$CONF"; then
	tap_ok "milter starts as nobody"
else tap_fail "milter starts as nobody" "$(tail -5 "$MLOG")"; fi

sm_start "suppress=$SOCK" || tap_bail "Sendmail did not start with the milter"
tap_like "the .cf names the milter" \
	"$(grep -E '^(Xsuppress|O InputMailFilters)' "$SM_CF" | sort -r | tr '\n' '|')" \
	"^Xsuppress, S=local:$SOCK, F=T, T=S:30s;R:30s;E:5m\|O InputMailFilters=suppress\|$"
sm_send --to ok1@example.test,gone@example.test,ok2@example.test --body "$token-2"
tap_is "the suppressed recipient is told 550 5.1.1 with Sendmail's <addr>... prefix" \
	"$(sm_reply_for 'RCPT TO:<gone@example.test>')" \
	"550 5.1.1 <gone@example.test>... <gone@example.test>: recipient address suppressed (bounce)"
tap_is "the two other recipients are told 250 2.1.5" \
	"$(sm_reply_for 'RCPT TO:<ok1@example.test>') / $(sm_reply_for 'RCPT TO:<ok2@example.test>')" \
	"250 2.1.5 <ok1@example.test>... Recipient ok / 250 2.1.5 <ok2@example.test>... Recipient ok"
tap_like "the message is accepted at end of data" "$(sm_reply_for .)" '^250 2\.0\.0 '
lab_wait_sink 2 15
tap_is "the sink receives it for exactly the other two" \
	"$(lab_sink_rcpts 2 | sort | tr '\n' ' ')" "ok1@example.test ok2@example.test "
tap_like "the milter logged the reject with Sendmail's queue id" \
	"$(grep -E 'reject rcpt=<gone@example\.test>' "$MLOG" | head -1)" \
	'[0-9A-Za-z]{14}: reject rcpt=<gone@example\.test> from=<sender@example\.test> .*reason=bounce'

# ---- stopped by pid ------------------------------------------------------------
pidfile_pid=$(head -1 "$SM_DIR/sendmail.pid" 2>/dev/null)
sm_stop
tap_like "nothing of Sendmail is left: its session, its pid file's process, its port" \
	"pidfile=$pidfile_pid session=[$(sm_pids "$SM_LAST_PID" | tr '\n' ' ')] alive=$(
	    kill -0 "${pidfile_pid:-0}" 2>/dev/null && echo yes || echo no) listening=$(
	    ss -Hltn "sport = :$SM_PORT" | grep -c .)" \
	"^pidfile=$SM_LAST_PID session=\[\] alive=no listening=0$"
