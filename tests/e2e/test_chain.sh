#!/bin/bash
# tests/e2e/test_chain.sh - milterkit-chain behind the lab's Postfix, as its
# one smtpd_milters entry, or behind its Sendmail with E2E_MTA=sendmail
# (tests/e2e/mta.sh), as its one INPUT_MAIL_FILTER.
#
# 1. milterkit-chain with filters = suppress, headers (running as nobody,
#    socket_mode 0666): a message to a suppressed and a clean recipient;
#    the suppressed one gets 550 5.1.1 at RCPT (swaks), the message goes on
#    to the clean one only, and the sink's copy has the headers filter's
#    edits (Message-ID added, X-Originating-IP removed).
# 2. testchain with filters = headers, record, record inserting and deleting
#    at several positions among duplicate Received fields: the sink's header
#    block, below Postfix's own Received (which milters are not sent), is
#    exactly the block record logged at end of message. This is what shows
#    how Postfix counts insert indices: cleanup counts an insert position
#    over the fields as delivered, its own Received included (0 puts a field
#    above it, 1 right below it), while changes and deletions count only the
#    fields the milter saw. A chain that inserts at the positions it computed
#    over the fields it was sent lands each insert at a position k > 0 one
#    field too high under Postfix; the check below fails if that happens.
#    Sendmail (8.17.1) places them its own way, asserted as it is: an
#    insert at 0 goes to the very top too, inserts at 2 and 5 both land
#    right below its own Received, and the Message-ID the headers filter
#    added becomes its pending Message-Id there; changes and deletions hit
#    the fields the milter counted, as under Postfix.
# Bounded to 120 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

CHAIN="$top_builddir/milters/chain/milterkit-chain"
TESTCHAIN="$top_builddir/tests/milter/chain/testchain"
MK="$top_builddir/tools/milterkit"
for f in "$CHAIN" "$TESTCHAIN" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

mta_require
tap_plan 11

# Postfix adds a missing Message-ID itself for clients matching
# local_header_rewrite_clients (127.0.0.1 by default): the lab's client must
# count as remote for the headers filter's own field to be tested.
lab_test_start "${TEST_TIMEOUT:-120}" "local_header_rewrite_clients ="

D=$(lab_daemon_dir chain) || tap_bail "no daemon directory"
SOCK=$D/chain.sock
CONF=$D/milterkit.conf
MLOG=$D/milter.log
REC=$D/record.log
"$MK" --store "$D/store" suppress add bounced@example.test --reason bounce \
    >/dev/null 2>"$D/mk.err" || tap_bail "store: $(cat "$D/mk.err")"
chown -R nobody "$D/store"

write_conf() {	# FILTERS [lines...]
	local filters=$1
	shift
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = info\n\n' "$D/store"
		printf '[chain]\nsocket = unix:%s\nsocket_mode = 0666\nuser = nobody\n' "$SOCK"
		printf 'pidfile =\nfilters = %s\n' "$filters"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$CONF"
}
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

# ---- 1: suppress, headers --------------------------------------------------------
write_conf "suppress, headers"
if lab_daemon_start "$SOCK" "$MLOG" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain starts as nobody with a socket smtpd can reach"
else
	tap_fail "milterkit-chain starts as nobody with a socket smtpd can reach" "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the chain"

MSG=$D/message.eml
cat >"$MSG" <<EOF
From: Sender <sender@example.test>
To: <fine@example.test>
Subject: chain e2e
Date: Sun, 22 Nov 2026 10:00:00 +0000
X-Originating-IP: [10.9.8.7]

chain-e2e-$$
EOF
mta_send --to bounced@example.test,fine@example.test --data "$MSG"
tap_like "the suppressed recipient gets 550 5.1.1 at RCPT" \
    "$(lab_reply_for 'RCPT TO:<bounced@example.test>')" '^550 5\.1\.1 '
tap_like "the clean recipient is accepted" \
    "$(lab_reply_for 'RCPT TO:<fine@example.test>')" '^250 '
tap_like "the message is accepted at end of data" "$(lab_reply_for .)" '^250 '
lab_wait_sink 1 15
got=$(lab_sink_message 1) || got=/dev/null
tap_is "the sink has it for the clean recipient only" "$(lab_sink_rcpts 1)" \
    "fine@example.test"
fields "$got" >"$D/got1"
tap_like "headers' edit arrived: Message-ID added (the From domain)" \
    "$(grep -i '^Message-ID:' "$D/got1")" '^Message-I[dD]: <[^@ ]+@example\.test>$'
tap_is "headers' edit arrived: X-Originating-IP removed" \
    "$(grep -ci '^X-Originating-IP:' "$D/got1")" 0

# ---- 2: headers, record: indices through Postfix --------------------------------
lab_daemon_stop
: >"$REC"
chown nobody "$REC"
write_conf "headers, record" "[record]" "log = $REC" \
    "edits = del Received 2; ins 0 X-Rec-Top top; ins 2 X-Rec-Two two; chg Subject 1 changed subject; ins 5 X-Rec-Five five; del Received 3; chg Received 1 first changed; add X-Rec-End end"
if lab_daemon_start "$SOCK" "$MLOG" "$TESTCHAIN" -f -c "$CONF"; then
	tap_ok "testchain (headers, record) starts on the same socket"
else
	tap_fail "testchain (headers, record) starts on the same socket" "$(tail -5 "$MLOG")"
fi
MSG2=$D/message2.eml
cat >"$MSG2" <<EOF
Received: from a.example by mx.example.test; Sun, 22 Nov 2026 09:57:00 +0000
Received: from b.example by mx.example.test; Sun, 22 Nov 2026 09:58:00 +0000
Received: from c.example by mx.example.test; Sun, 22 Nov 2026 09:59:00 +0000
From: Sender <sender@example.test>
To: <fine@example.test>
Subject: chain indices
X-Originating-IP: [10.9.8.7]
Date: Sun, 22 Nov 2026 10:00:00 +0000
Received: from d.example by mx.example.test; Sun, 22 Nov 2026 09:56:00 +0000

chain-e2e-indices-$$
EOF
mta_send --to fine@example.test --data "$MSG2"
tap_like "the edited message is accepted at end of data" "$(lab_reply_for .)" '^250 '
lab_wait_sink 2 15
got=$(lab_sink_message 2) || got=/dev/null
fields "$got" >"$D/got2"
wait_for grep -q ' eom-end$' "$REC"
sed -n 's/^[^ ]* eom-header //p' "$REC" >"$D/want2"
if [ "$E2E_MTA" = postfix ]; then
	tap_is "an insert at index 0 lands at the very top, above Postfix's own Received too" \
	    "$(head -2 "$D/got2" | sed 's/^\(Received: from [^ ]*\) .*(Postfix).*/\1 POSTFIX/')" \
	    "X-Rec-Top: top
Received: from client.example.test POSTFIX"
	# record's eom-header lines: "QID eom-header Name: value" (no folded
	# field in this message, so no escapes to undo), against the sink's
	# block without Postfix's own Received, wherever it is.
	grep -v '^Received: from client\.example\.test .*(Postfix) with ' "$D/got2" >"$D/got2.rest"
	tap_check "the sink's block is exactly the block record logged, Postfix's Received aside (insert indices as Postfix counts them)" \
	    diff "$D/want2" "$D/got2.rest"
else
	tap_is "an insert at index 0 lands at the very top, above Sendmail's own Received too" \
	    "$(head -2 "$D/got2" | sed 's/^\(Received: from [^ ]*\) .*by sm\.milterkit\.test (8\..*/\1 SENDMAIL/')" \
	    "X-Rec-Top: top
Received: from client.example.test SENDMAIL"
	# Sendmail places inserts at an index other than 0 its own way: both
	# (2 and 5) land right below its Received, followed by the Message-ID
	# the headers filter added, which it took over as its own pending
	# Message-Id; changes and deletions hit the fields record counted.
	{ sed -n 1p "$D/want2"; echo "SENDMAIL RECEIVED"
	  grep -E '^X-Rec-(Two|Five):' "$D/want2"
	  grep -i '^Message-ID:' "$D/want2" | sed 's/^[^:]*:/Message-Id:/'
	  grep -Eiv '^(X-Rec-(Top|Two|Five)|Message-ID):' "$D/want2"; } >"$D/want2.sm"
	sed 's/^Received: from client\.example\.test .*by sm\.milterkit\.test (8\..*/SENDMAIL RECEIVED/' \
	    "$D/got2" >"$D/got2.sm"
	tap_check "inserts at 2 and 5 land right below Sendmail's Received, then its Message-Id; changes and deletions where record counted them" \
	    diff "$D/want2.sm" "$D/got2.sm"
fi
