#!/bin/bash
# tests/e2e/test_dkim.sh - DKIM signing behind the lab's Postfix, or its
# Sendmail with E2E_MTA=sendmail (tests/e2e/mta.sh): milterkit-chain with
# filters = suppress, headers, dkim as the MTA's one milter (running as
# nobody, keys owned by nobody, mode 0600), then milterkit-headers and
# milterkit-dkim as two milters in that order.
#
# Messages From example.test (dual: RSA rsa1 and Ed25519 ed1) and from
# ed.example.test (Ed25519 alone) reach the sink signed, and every
# signature of the sink's copy verifies with dkimpy (keys served from a
# file instead of DNS), the MTA's own Received and the headers filter's
# Message-ID included in what was delivered. A message from a domain
# without a key reaches the sink unsigned. Through the two milters, the
# MTA hands the headers milter's edits to the signer: both signatures
# verify and cover the Message-ID the headers milter added.
# Bounded to 120 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

CHAIN="$top_builddir/milters/chain/milterkit-chain"
HEADERS="$top_builddir/milters/headers/milterkit-headers"
DKIM="$top_builddir/milters/dkim/milterkit-dkim"
MK="$top_builddir/tools/milterkit"
PROBE="$top_srcdir/tests/milter/dkim/dk_probe.py"
PY=/usr/bin/python3
for f in "$CHAIN" "$HEADERS" "$DKIM" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"
"$PY" -c 'import dkim' 2>/dev/null || tap_bail "dkimpy (python3-dkim) missing"
command -v openssl >/dev/null || tap_bail "openssl not found"

mta_require
tap_plan 13

# As in test_chain.sh: the lab's client counts as remote, so that the
# headers filter (not Postfix) adds the missing Message-ID.
lab_test_start "${TEST_TIMEOUT:-120}" "local_header_rewrite_clients ="

D=$(lab_daemon_dir dkim) || tap_bail "no daemon directory"
SOCK=$D/chain.sock
CONF=$D/milterkit.conf
MLOG=$D/milter.log
K=$D/keys
"$MK" --store "$D/store" suppress add bounced@example.test --reason bounce \
    >/dev/null 2>"$D/mk.err" || tap_bail "store: $(cat "$D/mk.err")"
chown -R nobody "$D/store"

mkdir -m 700 "$K"
(umask 077
 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" &&
 openssl genpkey -algorithm ed25519 -out "$K/ed.key") >/dev/null 2>"$D/keygen.err" ||
	tap_bail "keygen: $(cat "$D/keygen.err")"
chown -R nobody "$K"
{
	echo "rsa1._domainkey.example.test v=DKIM1; k=rsa; p=$(openssl pkey \
	    -in "$K/rsa.key" -pubout -outform DER | base64 -w0)"
	ed_p=$(openssl pkey -in "$K/ed.key" -pubout -outform DER | tail -c 32 | base64 -w0)
	echo "ed1._domainkey.example.test v=DKIM1; k=ed25519; p=$ed_p"
	echo "ed1._domainkey.ed.example.test v=DKIM1; k=ed25519; p=$ed_p"
} > "$D/dns.txt"
cat > "$D/signing.table" <<EOF
example.test	rsa1	$K/rsa.key
example.test	ed1	$K/ed.key
ed.example.test	ed1	$K/ed.key
EOF
{
	printf '[store]\npath = %s\n\n[log]\nlevel = info\n\n' "$D/store"
	printf '[chain]\nsocket = unix:%s\nsocket_mode = 0666\nuser = nobody\n' "$SOCK"
	printf 'pidfile =\nfilters = suppress, headers, dkim\n\n'
	printf '[dkim]\nsigning_table = %s\n' "$D/signing.table"
} > "$CONF"

if lab_daemon_start "$SOCK" "$MLOG" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain (suppress, headers, dkim) starts as nobody with its keys"
else
	tap_fail "milterkit-chain (suppress, headers, dkim) starts as nobody with its keys" \
	    "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the chain"

# send N FROM-ADDRESS: one message; its sink copy's dkimpy verdicts
send() {
	local n=$1 from=$2 msg=$D/message$1.eml got
	cat > "$msg" <<EOF
From: Sender <$from>
To: <fine@example.test>
Subject: dkim e2e $n
Date: Sun, 22 Nov 2026 10:00:00 +0000
X-Originating-IP: [10.9.8.7]

dkim-e2e-$n-$$
 with a blank line below, and blanks at line ends   

EOF
	mta_send --from "$from" --to fine@example.test --data "$msg"
	lab_reply_for . > "$D/reply$n"
	lab_wait_sink "$n" 15
	got=$(lab_sink_message "$n") || got=/dev/null
	cp "$got" "$D/got$n"
	"$PY" "$PROBE" --verify-only "$got" --keys "$D/dns.txt" | sort | tr '\n' '|'
}

v=$(send 1 sender@example.test)
tap_like "a message From example.test is accepted" "$(cat "$D/reply1")" '^250 '
tap_is "the sink's copy carries two signatures, RSA and Ed25519, both verify" \
    "$v" "VERIFY pass d=example.test s=ed1|VERIFY pass d=example.test s=rsa1|"
tap_like "the signatures cover the Message-ID the headers filter added" \
    "$(sed -n '/^DKIM-Signature:/,/^[^ \t]/p' "$D/got1" | tr -d ' \t\r\n' | tr 'A-Z' 'a-z')" \
    'h=[^;]*message-id'
tap_is "the headers filter's edit arrived: X-Originating-IP removed" \
    "$(grep -ci '^X-Originating-IP:' "$D/got1")" 0

v=$(send 2 sender@ed.example.test)
tap_is "a message From ed.example.test: one Ed25519 signature, verifies" \
    "$v" "VERIFY pass d=ed.example.test s=ed1|"

v=$(send 3 sender@nokey.test)
tap_is "a message from a domain without a key reaches the sink unsigned" \
    "$(cat "$D/reply3" | cut -c1-3)/$v" "250/VERIFY none|"
tap_like "one log line per signature, with the queue id" \
    "$(grep -c ': sign d=example\.test s=[a-z0-9]* a=' "$MLOG")" '^2$'
tap_like "the log line names the algorithm" "$(grep ': sign d=ed\.example\.test' "$MLOG")" \
    'a=ed25519-sha256 h=[0-9]+$'

# ---- milterkit-headers, then milterkit-dkim: two milters ----------------------
lab_daemon_stop
{
	printf '[store]\npath = %s\n\n[log]\nlevel = info\n\n' "$D/store"
	printf '[headers]\nsocket = unix:%s/headers.sock\nsocket_mode = 0666\n' "$D"
	printf 'user = nobody\npidfile =\n\n'
	printf '[dkim]\nsocket = unix:%s/dkim.sock\nsocket_mode = 0666\n' "$D"
	printf 'user = nobody\npidfile =\nsigning_table = %s\n' "$D/signing.table"
} > "$D/two.cf"
if daemon_start "$D/headers.sock" "$D/headers.log" "$HEADERS" -f -c "$D/two.cf"; then
	hpid=$daemon_pid
	lab_at_exit 'daemon_stop "$hpid"'
	lab_daemon_start "$D/dkim.sock" "$D/dkim.log" "$DKIM" -f -c "$D/two.cf"
fi
if [ -S "$D/headers.sock" ] && [ -S "$D/dkim.sock" ]; then
	tap_ok "milterkit-headers and milterkit-dkim start as two milters"
else
	tap_fail "milterkit-headers and milterkit-dkim start as two milters" \
	    "$(tail -3 "$D/headers.log" "$D/dkim.log")"
fi
mta_milters "$D/headers.sock" "$D/dkim.sock" ||
	tap_bail "could not switch $MTA to the two milters"
v=$(send 4 sender@example.test)
tap_like "through the two milters: accepted" "$(cat "$D/reply4")" '^250 '
tap_is "... both signatures verify" \
    "$v" "VERIFY pass d=example.test s=ed1|VERIFY pass d=example.test s=rsa1|"
tap_like "... and cover the Message-ID the headers milter added, and no X-Originating-IP" \
    "$(grep -ci '^X-Originating-IP:' "$D/got4")|$(grep -ci '^Message-ID: <[^@]*@example\.test>' "$D/got4")|$(sed -n '/^DKIM-Signature:/,/^[^ \t]/p' "$D/got4" |
	tr -d ' \t\r\n' | tr 'A-Z' 'a-z')" \
    '^0\|1\|.*h=[^;]*message-id'
