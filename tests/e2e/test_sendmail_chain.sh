#!/bin/bash
# tests/e2e/test_sendmail_chain.sh - milterkit-chain behind the private
# Sendmail of tests/e2e/smlab.sh: the scenarios of test_chain.sh (part 1)
# and test_dkim.sh through Sendmail instead of Postfix.
#
# milterkit-chain with filters = suppress, headers, dkim (as nobody,
# socket_mode 0666; a store with one suppressed address; an RSA and an
# Ed25519 key for example.test made with `milterkit dkim keygen` into a key
# directory only nobody, the signer, can enter) is Sendmail's one input
# milter. One message to the suppressed and a clean recipient:
#  - the suppressed one is told 550 5.1.1 with Sendmail's "<addr>... "
#    before the milter's text, the clean one 250; the sink gets the message
#    for the clean one only;
#  - the headers filter's edits arrive: X-Originating-IP removed, and the
#    missing Message-ID added - which Sendmail does not insert where the
#    milter asked but swaps into its own pending default header: spelled
#    "Message-Id", right under Sendmail's Received line, exactly one of it;
#  - both DKIM signatures of the sink's copy verify with dkimpy and with
#    libopendkim (keys from a file instead of DNS), the Message-Id covered.
# Skipped when Sendmail cannot be fetched (no apt-get, no archive).
# Bounded to 60 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
E2E_MTA=sendmail
. "$top_srcdir/tests/e2e/mta.sh"	# and smlab.sh

CHAIN="$top_builddir/milters/chain/milterkit-chain"
MK="$top_builddir/tools/milterkit"
DKIMPY="$top_srcdir/tests/dkim/dkimpy_verify.py"
ODKIM="$top_builddir/tests/dkim/odkim_verify"
PY=/usr/bin/python3
for f in "$CHAIN" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab, Sendmail and the privilege drop)"
"$PY" -c 'import dkim' 2>/dev/null || tap_bail "dkimpy (python3-dkim) missing"
mta_require

tap_plan 15

lab_test_start "${TEST_TIMEOUT:-60}"

D=$(lab_daemon_dir chain) || tap_bail "no daemon directory"
SOCK=$D/chain.sock
CONF=$D/milterkit.conf
MLOG=$D/milter.log
K=$D/keys
"$MK" --store "$D/store" suppress add bounced@example.test --reason bounce \
    >/dev/null 2>"$D/mk.err" || tap_bail "store: $(cat "$D/mk.err")"
chown -R nobody "$D/store"	# LMDB readers write their slot in lock.mdb

{
	printf '[store]\npath = %s\n\n[log]\nlevel = info\n\n' "$D/store"
	printf '[chain]\nsocket = unix:%s\nsocket_mode = 0666\nuser = nobody\n' "$SOCK"
	printf 'pidfile =\nfilters = suppress, headers, dkim\n\n'
	printf '[dkim]\nuser = nobody\nsigning_table = %s\n' "$D/signing.table"
} >"$CONF"

# The keys, as an operator makes them: keygen (as root) writes
# DIR/DOMAIN/SELECTOR.key for [dkim] user and prints the TXT record, in
# 255-octet strings, which becomes a line of the verifiers' key file.
: >"$D/dns.txt"
: >"$D/signing.table"
for ks in "rsa1 rsa" "ed1 ed25519"; do
	# shellcheck disable=SC2086 # "SELECTOR TYPE"
	set -- $ks
	"$MK" -c "$CONF" dkim keygen example.test "$1" --type "$2" --dir "$K" \
	    >"$D/txt.$1" 2>"$D/keygen.err" || tap_bail "keygen $1: $(cat "$D/keygen.err")"
	sed -e 's/\. IN TXT ( "/ /' -e 's/" "//g' -e 's/" )$//' "$D/txt.$1" >>"$D/dns.txt"
	printf 'example.test\t%s\t%s\n' "$1" "$K/example.test/$1.key" >>"$D/signing.table"
done
tap_is "keygen's key directory and keys are nobody's alone" \
    "$(stat -c '%U %a' "$K" "$K/example.test" "$K/example.test/rsa1.key" \
	"$K/example.test/ed1.key" | tr '\n' '|') $(grep -c '^\(rsa1\|ed1\)\._domainkey\.example\.test v=DKIM1; k=\(rsa\|ed25519\); p=[A-Za-z0-9+/=]*$' "$D/dns.txt")" \
    "nobody 700|nobody 700|nobody 600|nobody 600| 2"

if lab_daemon_start "$SOCK" "$MLOG" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain (suppress, headers, dkim) starts as nobody with its keys"
else
	tap_fail "milterkit-chain (suppress, headers, dkim) starts as nobody with its keys" \
	    "$(tail -5 "$MLOG")"
fi
sm_start "chain=$SOCK" || tap_bail "Sendmail did not start with the chain"
tap_like "the .cf names the chain as Sendmail's one input milter" \
    "$(grep -E '^(Xchain|O InputMailFilters)' "$SM_CF" | sort -r | tr '\n' '|')" \
    "^Xchain, S=local:$SOCK, F=T, T=S:30s;R:30s;E:5m\|O InputMailFilters=chain\|$"

# The header block of a file, one field per line (folding joined with \n),
# without what smtp-sink adds (X-Client-*, X-Helo-Args, X-Mail-Args,
# X-Rcpt-Args and its own Received).
fields() {
	awk '/^\r?$/ { exit } { sub(/\r$/, "") }
		/^[ \t]/ { f = f "\\n" $0; next }
		{ if (f != "") print f; f = $0 }
		END { if (f != "") print f }' "$1" |
		grep -Ev '^(X-(Mail|Rcpt|Helo)-Args|X-Client-[A-Za-z]+):|^Received: .*by smtp-sink '
}

MSG=$D/message.eml
cat >"$MSG" <<EOF
From: Sender <sender@example.test>
To: <fine@example.test>
Subject: sendmail chain e2e
Date: Sun, 22 Nov 2026 10:00:00 +0000
X-Originating-IP: [10.9.8.7]

sendmail-chain-e2e-$$
 with a blank line below, and blanks at line ends   

EOF
sm_send --to bounced@example.test,fine@example.test --data "$MSG"
tap_is "the suppressed recipient is told 550 5.1.1 with Sendmail's <addr>... prefix" \
    "$(sm_reply_for 'RCPT TO:<bounced@example.test>')" \
    "550 5.1.1 <bounced@example.test>... <bounced@example.test>: recipient address suppressed (bounce)"
tap_is "the clean recipient is told 250 2.1.5" \
    "$(sm_reply_for 'RCPT TO:<fine@example.test>')" \
    "250 2.1.5 <fine@example.test>... Recipient ok"
tap_like "the message is accepted at end of data" "$(sm_reply_for .)" \
    '^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
lab_wait_sink 1 15
got=$(lab_sink_message 1) || got=/dev/null
cp "$got" "$D/got"
tap_is "the sink has it for the clean recipient only" "$(lab_sink_rcpts 1)" \
    "fine@example.test"
fields "$got" >"$D/fields"
tap_is "headers' edit arrived: X-Originating-IP removed" \
    "$(grep -ci '^X-Originating-IP:' "$D/fields")" 0
# Sendmail gives the milter's added Message-ID to its own pending
# Message-Id default header: its spelling, its place (right under
# Sendmail's Received, whereas the signatures the dkim filter inserted at
# index 0 sit above it), and the milter's value (the From domain).
mid=$(sed -n 's/.*: add Message-ID=\(<[^ ]*>\) (missing)$/\1/p' "$MLOG" | head -1)
tap_like "the headers filter added a Message-ID (its log, the From domain)" \
    "$mid" '^<[^@ ]+@example\.test>$'
tap_is "Sendmail delivers it as its own Message-Id, right under its Received; the signatures above" \
    "$(sed 's/^\([^:]*\): .*/\1/' "$D/fields" | tr '\n' ' ')|$(grep -i '^Message-Id:' "$D/fields")" \
    "DKIM-Signature DKIM-Signature Received Message-Id From To Subject Date |Message-Id: $mid"
tap_like "Sendmail's Received is its own, for this message" \
    "$(grep '^Received:' "$D/fields")" \
    "^Received: from client\.example\.test \(localhost \[127\.0\.0\.1\]\)\\\\n	by ${SM_HOSTNAME//./\\.} \(8\.[0-9.]+/8\.[0-9.]+\) with ESMTP id [0-9A-Za-z]+;\\\\n	"
tap_is "both signatures cover the Message-ID (and the other fields the filter signs)" \
    "$(grep '^DKIM-Signature:' "$D/fields" | sed 's/\\n//g' | tr -d ' \t' |
	grep -o ';h=[^;]*' | tr '[:upper:]' '[:lower:]' | tr '\n' '|')" \
    ";h=from:to:subject:date:message-id:from|;h=from:to:subject:date:message-id:from|"
tap_is "dkimpy: both signatures of the sink's copy verify" \
    "$("$PY" "$DKIMPY" "$D/dns.txt" "$D/got" 2>&1 | sort | tr '\n' '|')" \
    "pass d=example.test s=ed1|pass d=example.test s=rsa1|"
# libopendkim reads the message as on the wire: CRLF line ends.
sed 's/\r*$/\r/' "$D/got" >"$D/got.crlf"
if [ -x "$ODKIM" ]; then
	tap_is "libopendkim: both signatures of the sink's copy verify" \
	    "$("$ODKIM" "$D/dns.txt" "$D/got.crlf" 2>&1 | sort | tr '\n' '|')" \
	    "pass d=example.test s=ed1|pass d=example.test s=rsa1|"
else
	tap_ok "libopendkim: both signatures of the sink's copy verify # SKIP $ODKIM not built (make check builds it)"
fi

# ---- stopped by pid ------------------------------------------------------------
chain_pid=$LAB_DAEMON_PID
sm_stop
lab_daemon_stop
tap_like "Sendmail's session and the chain are gone, stopped by pid" \
    "session=[$(sm_pids "$SM_LAST_PID" | tr '\n' ' ')] chain=$(
	kill -0 "${chain_pid:-0}" 2>/dev/null && echo alive || echo gone) listening=$(
	ss -Hltn "sport = :$SM_PORT" | grep -c .)" \
    '^session=\[\] chain=gone listening=0$'
