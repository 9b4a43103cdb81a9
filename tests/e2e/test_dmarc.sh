#!/bin/bash
# tests/e2e/test_dmarc.sh - inbound DMARC behind the lab's Postfix, or its
# Sendmail with E2E_MTA=sendmail (tests/e2e/mta.sh): milterkit-dmarc (as
# nobody) as the MTA's milter, then milterkit-chain with filters =
# suppress, dmarc; DNS from tests/dns/oddns.py on loopback.
#
# A message From example.test (p=reject) signed by dkimpy reaches the sink
# with our Authentication-Results (dkim=pass, dmarc=pass), and the
# Authentication-Results a sender forged with our authserv-id is gone from
# it; the same From unsigned, sent with another domain's envelope, is
# refused at the end of DATA with 550 5.7.1 and never reaches the sink;
# the milter logs both decisions with the queue id. Through the chain, the
# signed message arrives with the same verdict. Outbound (mode =
# outbound): a tenant's message From a p=reject domain the relay neither
# signs for nor is allowed by SPF is refused 550 5.7.1 at DATA; From a
# domain of the signing table it passes.
# Bounded by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"
. "$top_srcdir/tests/dns/dnslab.sh"
. "$top_srcdir/tests/dmarc/dmlab.sh"

DM="$top_builddir/milters/dmarc/milterkit-dmarc"
CHAIN="$top_builddir/milters/chain/milterkit-chain"
for f in "$DM" "$CHAIN"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"
$PY -c 'import dkim, nacl' 2>/dev/null || tap_bail "python3-dkim and python3-nacl needed"

mta_require
tap_plan 14
lab_test_start "${TEST_TIMEOUT:-150}"
lab_at_exit dns_stop

D=$(lab_daemon_dir dmarc) || tap_bail "no daemon directory"
dm_setup "$D" || tap_bail "key set-up failed"
dns_odd_start "$D/zone" "$D" || tap_bail "oddns.py did not start"
SOCK=$D/dmarc.sock
CONF=$D/milterkit.conf
MLOG=$D/milter.log
{
	printf '[store]\npath = %s\n\n[log]\nlevel = info\n\n' "$D/store"
	printf '[dns]\nservers = 127.0.0.1:%s\ntimeout = 2\n\n' "$dns_odd_port"
	printf '[dmarc]\nsocket = unix:%s\nsocket_mode = 0666\nuser = nobody\n' "$SOCK"
	printf 'pidfile =\nauthserv_id = mx.test\ntrusted_networks =\n\n'
	printf '[chain]\nsocket = unix:%s/chain.sock\nsocket_mode = 0666\n' "$D"
	printf 'user = nobody\npidfile =\nfilters = suppress, dmarc\n'
} > "$CONF"
"$top_builddir/tools/milterkit" -c "$CONF" store init >/dev/null 2>&1
chown -R nobody "$D/store" 2>/dev/null

if lab_daemon_start "$SOCK" "$MLOG" "$DM" -f -c "$CONF"; then
	tap_ok "milterkit-dmarc starts as nobody"
else
	tap_fail "milterkit-dmarc starts as nobody" "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to milterkit-dmarc"

# The signed message, with an Authentication-Results forged by its sender.
msg alice@example.test "dmarc e2e" > "$D/signed.eml"
sign "$D/signed.eml" example.test s1 rsa
{ printf 'Authentication-Results: mx.test; dmarc=pass header.from=example.test\r\n'
  cat "$D/signed.eml"; } > "$D/forged.eml"
msg alice@example.test "dmarc e2e spoof" > "$D/spoof.eml"

mta_send --from bounce@other.test --to rcpt@example.test --data "$D/forged.eml"
tap_like "a signed, aligned message is accepted" "$(lab_reply_for .)" '^250 '
lab_wait_sink 1 20
got=$(lab_sink_message 1) || got=/dev/null
ar=$(sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$got" | tr -d '\r' | tr '\n' ' ')
tap_like "... reaches the sink with our Authentication-Results: dkim=pass, dmarc=pass" \
    "$ar" 'Authentication-Results: mx.test;.*dkim=pass header.d=example.test header.s=s1.*dmarc=pass \(p=reject dis=none\) header.from=example.test'
tap_is "... and the forged one with our authserv-id is gone" \
    "$(grep -c '^Authentication-Results:' "$got")" 1

mta_send --from bounce@other.test --to rcpt@example.test --data "$D/spoof.eml"
tap_like "the same From unsigned, another domain's envelope: 550 5.7.1 at DATA" \
    "$(lab_reply_for .)" '^550 5\.7\.1 DMARC policy of example\.test: reject'
sleep 1
tap_is "... and it never reaches the sink" "$(lab_sink_count)" 1
tap_like "the milter logged the pass with its queue id" "$(cat "$MLOG")" \
    "$MTA_QID"': dmarc=pass from=example.test policy=reject .*dkim=pass\(example.test\) action=none'
tap_like "... and the reject" "$(cat "$MLOG")" \
    "$MTA_QID"': dmarc=fail from=example.test policy=reject spf=[a-z]+\(other.test\) dkim=none action=reject'

# The same through milterkit-chain (suppress, dmarc).
lab_daemon_stop
if lab_daemon_start "$D/chain.sock" "$D/chain.log" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain with filters = suppress, dmarc starts"
else
	tap_fail "milterkit-chain with filters = suppress, dmarc starts" "$(tail -5 "$D/chain.log")"
fi
mta_milters "$D/chain.sock" ||
	tap_bail "could not switch $MTA to the chain"
mta_send --from bounce@other.test --to rcpt@example.test --data "$D/signed.eml"
lab_wait_sink 2 20
got=$(lab_sink_message 2) || got=/dev/null
tap_like "through the chain: dmarc=pass at the sink" \
    "$(sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$got" | tr -d '\r' | tr '\n' ' ')" \
    'mx.test;.*dmarc=pass'
mta_send --from bounce@other.test --to rcpt@example.test --data "$D/spoof.eml"
tap_like "through the chain: the spoof is refused 550 5.7.1" "$(lab_reply_for .)" \
    '^550 5\.7\.1 DMARC policy'

# Outbound: the relay's own senders, before their mail leaves.
lab_daemon_stop
printf 'example.test s1 %s/rsa.pem\n' "$D" > "$D/signing.table"
sed -i 's/^trusted_networks =$/trusted_networks =\nmode = outbound\npublic_addresses = 192.0.2.25/' "$CONF"
printf '\n[dkim]\nsigning_table = %s/signing.table\n' "$D" >> "$CONF"
if lab_daemon_start "$SOCK" "$MLOG" "$DM" -f -c "$CONF"; then
	tap_ok "milterkit-dmarc, mode = outbound, starts"
else
	tap_fail "milterkit-dmarc, mode = outbound, starts" "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" ||
	tap_bail "could not switch $MTA back to milterkit-dmarc"
msg alice@spfonly.test "outbound spoof" > "$D/tenant.eml"
mta_send --from bounce@other.test --to rcpt@example.test --data "$D/tenant.eml"
tap_like "outbound: a tenant's From a p=reject domain: 550 5.7.1 naming it" \
    "$(lab_reply_for .)" '^550 5\.7\.1 spfonly\.test publishes DMARC p=reject'
msg alice@example.test "outbound own" > "$D/own.eml"
mta_send --from bounce@other.test --to rcpt@example.test --data "$D/own.eml"
tap_like "outbound: From a domain the relay signs for: accepted" \
    "$(lab_reply_for .)" '^250 '
