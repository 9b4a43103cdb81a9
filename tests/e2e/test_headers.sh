#!/bin/bash
# tests/e2e/test_headers.sh - milterkit-headers behind the lab's Postfix, or
# its Sendmail with E2E_MTA=sendmail (tests/e2e/mta.sh).
#
# The milter runs as nobody (started as root, user = nobody) from a
# directory under $LAB_DIR that nobody owns, socket_mode = 0666 so that smtpd
# (user postfix) can connect, with duplicates = keep-first and
# internal_networks = 10.0.0.0/8. One message without Date and Message-ID,
# with two Subjects, an X-Originating-IP, a Received naming 10.1.2.3, an
# outside Received, a folded header and an X- header, goes through Postfix:
# the copy at the sink has Date and Message-ID once each, the first Subject
# only, no X-Originating-IP, no internal Received, and every other header
# as sent, in order (the MTA's own Received on top aside; the added fields
# are where each MTA puts them: Postfix last, Sendmail under its Received).
# The milter logs one line per edit with the queue id. Then duplicates = reject is loaded by
# SIGHUP: the same message is refused with 550 5.6.0 at end of data and
# nothing more reaches the sink.
# Bounded to 90 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

MILTER="$top_builddir/milters/headers/milterkit-headers"
[ -x "$MILTER" ] || tap_bail "$MILTER not built"
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

mta_require
tap_plan 17

# Postfix itself adds a missing Date and Message-ID for clients matching
# local_header_rewrite_clients (by default its own addresses, 127.0.0.1
# here), and the milter then finds them present: the lab's client must
# count as remote for the milter's own fields to be tested.
lab_test_start "${TEST_TIMEOUT:-90}" "local_header_rewrite_clients ="

HM=$(lab_daemon_dir hm) || tap_bail "no daemon directory"
SOCK=$HM/headers.sock
CONF=$HM/milterkit.conf
MLOG=$HM/milter.log

write_conf() {	# DUPLICATES
	cat >"$CONF" <<EOF
[log]
level = info

[headers]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =
duplicates = $1
internal_networks = 10.0.0.0/8
EOF
}
milter_start() { lab_daemon_start "$SOCK" "$MLOG" "$MILTER" -f -c "$CONF"; }

write_conf keep-first
if milter_start; then tap_ok "milter starts as nobody with a socket smtpd can reach"
else tap_fail "milter starts as nobody with a socket smtpd can reach" "$(tail -5 "$MLOG")"; fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the milter"

# ---- the message --------------------------------------------------------------
token="headers-e2e-$RANDOM-$$"
MSG=$HM/message.eml
cat >"$MSG" <<EOF
Received: from app.internal (app.internal [10.1.2.3])
	by relay.example.test (Postfix) with ESMTP id 4Q2x1;
	Sun, 22 Nov 2026 09:59:00 +0000
Received: from outside.example (outside.example [192.0.2.44])
	by relay.example.test; Sun, 22 Nov 2026 09:58:00 +0000
From: Sender <sender@example.test>
To: <rcpt@example.test>
Subject: the first subject
X-Originating-IP: [10.9.8.7]
Subject: the second subject
X-Custom: kept as sent,
	folded on two lines
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

$token
EOF
# The header block of a file, one field per line (folding joined), without
# what smtp-sink adds (X-Client-*, X-Helo-Args, X-Mail-Args, X-Rcpt-Args and
# its own Received).
fields() {
	awk '/^\r?$/ { exit } { sub(/\r$/, "") }
		/^[ \t]/ { f = f "\\n" $0; next }
		{ if (f != "") print f; f = $0 }
		END { if (f != "") print f }' "$1" |
		grep -Ev '^(X-(Mail|Rcpt|Helo)-Args|X-Client-[A-Za-z]+):|^Received: .*by smtp-sink '
}

mta_send --data "$MSG"
tap_like "the message is accepted at end of data" "$(lab_reply_for .)" '^250 '
lab_wait_sink 1 15
got=$(lab_sink_message 1) || got=/dev/null
fields "$got" >"$HM/got.fields"
cnt() { grep -ci "^$1:" "$HM/got.fields"; }
tap_is "Date present once" "$(cnt Date)" 1
tap_is "Message-ID present once" "$(cnt Message-ID)" 1
tap_like "Message-ID is <unique@example.test> (the From domain)" \
	"$(grep -i '^Message-ID:' "$HM/got.fields")" '^Message-I[dD]: <[^@ ]+@example\.test>$'
tap_like "Date is an RFC 5322 date" "$(grep -i '^Date:' "$HM/got.fields")" \
	'^Date: [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$'
tap_is "one Subject, the first" "$(grep -i '^Subject:' "$HM/got.fields")" \
	"Subject: the first subject"
tap_is "no X-Originating-IP" "$(cnt X-Originating-IP)" 0
tap_is "no Received naming 10.1.2.3" "$(grep -c '10\.1\.2\.3' "$HM/got.fields")" 0
tap_like "$MTA's own Received is on top" "$(head -1 "$HM/got.fields")" "$(mta_received_re)"
# Where the added fields land differs: Postfix appends them as the milter
# asked (ADDHEADER); Sendmail moves them into the Date and Message-Id it
# would have added itself, right under its Received, in its spelling.
if [ "$E2E_MTA" = postfix ]; then
	tap_is "Postfix appends the added fields: Message-ID, then Date, last" \
		"$(tail -2 "$HM/got.fields" | sed 's/:.*//' | tr '\n' ' ')" "Message-ID Date "
else
	tap_is "Sendmail puts them under its Received, as its own Date and Message-Id" \
		"$(sed -n 2,3p "$HM/got.fields" | sed 's/:.*//' | tr '\n' ' ')" "Date Message-Id "
fi
# Everything else exactly as sent, in order: what was sent minus what the
# rules remove, against what arrived minus Postfix's Received and the two
# added fields.
fields "$MSG" | grep -v -e '10\.1\.2\.3' -e '^X-Originating-IP:' \
	-e '^Subject: the second' >"$HM/want.rest"
sed 1d "$HM/got.fields" | grep -Eiv '^(Date|Message-ID):' >"$HM/got.rest"
tap_check "every other header arrives as sent, in order" \
	diff "$HM/want.rest" "$HM/got.rest"
tap_check "the body reaches the sink" grep -qF "$token" "$got"

qid=$(head -1 "$HM/got.fields" | sed -n 's/.* with E*SMTP id \([0-9A-Za-z]*\).*/\1/p')
edits=$(grep -E ": ${qid:-none}: (add|delete|change|insert) " "$MLOG" | sed 's/^.*: \(add\|delete\|change\|insert\) /\1 /')
tap_like "log: one line per edit with the queue id (2 adds, 3 deletes)" \
	"$(printf '%s\n' "$edits" | cut -d' ' -f1-2 | sed 's/=.*//' | sort | tr '\n' ' ')" \
	'^add Date add Message-ID delete Received delete Subject delete X-Originating-IP $'

# ---- duplicates = reject, loaded by SIGHUP ----------------------------------------
write_conf reject
kill -HUP "$LAB_DAEMON_PID"
for i in $(seq 1 50); do
	grep -q 'reload' "$MLOG" && break
	sleep 0.1
done
mta_send --data "$MSG"
tap_like "after SIGHUP with duplicates = reject: 550 5.6.0 at end of data" \
	"$(lab_reply_for .)" '^550 5\.6\.0 '
sleep 1
mta_queue_empty 5
tap_is "nothing more reaches the sink" "$(lab_sink_count)" 1
tap_like "log: the rejection is one line with the queue id or NOQUEUE" \
	"$(grep -E ': reject from=<sender@example\.test>' "$MLOG" | head -1)" \
	'(NOQUEUE|[0-9A-Za-z]{5,}): reject from=<sender@example\.test> client=.*550 5\.6\.0 '
