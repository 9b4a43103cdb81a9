#!/bin/sh
# tests/milter/dmarc/test_dmarc_milter.sh - milterkit-dmarc through the
# milter protocol (tests/milter/dkim/dk_probe.py as the MTA), with DNS on
# loopback (tests/dns/oddns.py) and messages signed by dkimpy.
#
# An aligned DKIM pass and an aligned SPF pass get Authentication-Results
# (dmarc=pass) at the top and continue; a fail under p=reject is refused
# 550 5.7.1 naming the domain, under p=quarantine quarantined; with
# on_reject = tag the fail only tags; a DMARC temperror is refused 451
# 4.7.5 (on_error = tempfail, the default), with on_error = accept tagged; Authentication-Results fields claiming
# our authserv-id are deleted last first, another's kept; Received-SPF
# when asked; trusted clients are accepted at CONNECT and authenticated
# sessions at MAIL; one log line per message says what was done.
# Outbound (mode = outbound): a From domain the signing table signs for,
# or whose SPF passes for the relay's public_addresses with an aligned
# envelope, continues; a p=reject or p=quarantine From otherwise is
# refused 550 5.7.1 naming the domain, or tagged (on_outbound_fail = tag);
# a domain without record continues; a bad address is refused at start.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/dns/dnslab.sh"
. "$top_srcdir/tests/dmarc/dmlab.sh"

DM="$top_builddir/milters/dmarc/milterkit-dmarc"
PROBE="$top_srcdir/tests/milter/dkim/dk_probe.py"
[ -x "$DM" ] || tap_bail "$DM not built"
$PY -c 'import dkim, nacl' 2>/dev/null || tap_bail "python3-dkim and python3-nacl needed"
T=$(mktemp -d)
pid=''
tap_watchdog 180
trap 'kill "$tap_watchdog_pid" 2>/dev/null; daemon_stop "$pid"; dns_stop; rm -rf "$T"' EXIT
trap 'exit 1' TERM INT
dm_setup "$T" || tap_bail "key set-up failed"
dns_odd_start "$T/zone" "$T" || tap_bail "oddns.py did not start"
printf 'example.test s1 %s/rsa.pem\n' "$T" > "$T/signing.table"

# start [KEY=VALUE...]: milterkit-dmarc with these [dmarc] rows.
start() {
	[ -n "$pid" ] && daemon_stop "$pid"
	{
		printf '[log]\nlevel = info\n[dns]\nservers = 127.0.0.1:%s\ntimeout = 2\n' \
		    "$dns_odd_port"
		printf '[dmarc]\nuser =\npidfile =\nsocket_mode = 0666\nauthserv_id = mx.test\n'
		for kv in "$@"; do printf '%s\n' "$kv"; done
		printf '[dkim]\nsigning_table = %s/signing.table\n' "$T"
	} > "$T/dm.conf"
	: > "$T/dm.log"
	daemon_start "$T/dm.sock" "$T/dm.log" "$DM" -f -c "$T/dm.conf" \
	    -p "unix:$T/dm.sock" || tap_bail "milterkit-dmarc did not start: $(cat "$T/dm.log")"
	pid=$daemon_pid
}
# probe [OPTION...] FILE: dk_probe.py on FILE (its options after it).
probe() {
	local f
	for f in "$@"; do :; done
	$PY "$PROBE" "unix:$T/dm.sock" "$f" $(while [ $# -gt 1 ]; do
	    printf '%s\n' "$1"; shift; done) 2>&1 | tr '\n' ' '
}

start
msg alice@example.test > "$T/m1"; sign "$T/m1" example.test s1 rsa
out=$(probe "$T/m1")
tap_like "aligned DKIM: continue" "$out" 'EOM => continue'
tap_like "... Authentication-Results at the top, dmarc=pass" "$out" \
    "INSERT 0 Authentication-Results:' ?mx.test;.*dkim=pass header.d=example.test header.s=s1.*dmarc=pass \\(p=reject dis=none\\) header.from=example.test'"
tap_like "... spf of the envelope (sender@example.org from 192.0.2.1)" "$out" \
    "spf=(none|softfail|neutral|fail|permerror|temperror|pass) smtp.mailfrom=sender@example.org"
msg alice@example.test > "$T/m2"
out=$(probe --ip 192.0.2.9 --sender bounce@example.test "$T/m2")
tap_like "aligned SPF, no signature: dmarc=pass" "$out" \
    "spf=pass smtp.mailfrom=bounce@example.test;.*dkim=none;.*dmarc=pass"
out=$(probe --ip 198.51.100.9 --sender bounce@other.test "$T/m2")
tap_like "a fail under p=reject: 550 5.7.1 naming the domain" "$out" \
    'EOM => 550 5.7.1 DMARC policy of example.test: reject'
sleep 0.2
tap_like "... one log line: the result, the policy, the action" \
    "$(grep 'dmarc=fail' "$T/dm.log" | tail -n 1)" \
    'DKPROBE1: dmarc=fail from=example.test policy=reject spf=pass\(other.test\) dkim=none action=reject'
msg alice@quar.test > "$T/m3"
out=$(probe --ip 198.51.100.9 --sender bounce@other.test "$T/m3")
tap_like "a fail under p=quarantine: quarantined" "$out" \
    "QUARANTINE 'DMARC policy of quar.test'"
tap_like "... and it continues, tagged" "$out" \
    "dmarc=fail \\(p=quarantine dis=quarantine\\).*EOM => continue"

# Forged Authentication-Results with our authserv-id: deleted, last first.
{ printf 'Authentication-Results: mx.test; dmarc=pass header.from=example.test\n'
  printf 'Authentication-Results: other.example; spf=pass\n'
  printf 'Authentication-Results: MX.TEST;\n\tdkim=pass\n'
  cat "$T/m1"; } > "$T/m4"
out=$(probe "$T/m4")
tap_is "forged fields of our authserv-id deleted, last first; another's kept" \
    "$(printf '%s\n' "$out" | grep -o 'DELETE [0-9]* [A-Za-z-]*' | tr '\n' ' ')" \
    "DELETE 3 Authentication-Results DELETE 1 Authentication-Results "

start "on_reject = tag" "received_spf = yes"
out=$(probe --ip 198.51.100.9 --sender bounce@other.test "$T/m2")
tap_like "on_reject = tag: the fail continues, tagged" "$out" \
    "dmarc=fail \\(p=reject dis=reject\\).*EOM => continue"
tap_like "received_spf = yes: Received-SPF" "$out" \
    "INSERT 1 Received-SPF:' ?pass .*client-ip=198.51.100.9"

start
msg alice@slow.test > "$T/m5"
out=$(probe "$T/m5")
tap_like "a temperror with on_error = tempfail (the default): 451 4.7.5" "$out" \
    'EOM => 451 4.7.5 DMARC policy of slow.test could not be checked now'
start "on_error = accept"
tap_like "... with on_error = accept: continues, tagged dmarc=temperror" \
    "$(probe "$T/m5")" 'dmarc=temperror header.from=slow.test.*EOM => continue'

out=$(probe --ip 127.0.0.1 "$T/m1")
tap_like "a trusted client: accepted at CONNECT" "$out" 'CONNECT => accept'
out=$(probe --auth alice "$T/m1")
tap_like "an authenticated session: accepted at MAIL" "$out" 'MAIL => accept'
start "skip_authenticated = no" "trusted_networks ="
out=$(probe --auth alice "$T/m1")
tap_like "skip_authenticated = no: checked" "$out" 'dmarc=pass.*EOM => continue'
# The same through libmilter's miltertest (tests/milter/dmarc/dm_msg.lua).
MT="${MILTERTEST:-}"
[ -n "$MT" ] || MT=$(command -v miltertest) || tap_bail "miltertest not found"
start
mtest() {	# FILE IP SENDER WANT [AR]
	local out
	out=$(env MT_DIR="$top_srcdir/tests/milter/dmarc" \
	    MT_SOCKET="unix:$T/dm.sock" MT_FILE="$1" MT_IP="$2" MT_SENDER="$3" \
	    MT_WANT="$4" MT_AR="${5:-}" \
	    timeout 30 "$MT" -s "$top_srcdir/tests/milter/dmarc/dm_msg.lua" 2>&1)
	printf '%s' "$out" | grep -q '^PASS$' && echo 0 || printf '%s' "$out" | tr '\n' ' '
}
tap_is "miltertest: a signed, aligned message: Authentication-Results with dmarc=pass" \
    "$(mtest "$T/m1" 192.0.2.1 sender@example.org continue 'dmarc=pass (p=reject dis=none) header.from=example.test')" 0
tap_is "miltertest: the unsigned spoof of a p=reject domain: refused with a reply" \
    "$(mtest "$T/m2" 198.51.100.9 bounce@other.test reply)" 0

# Outbound: will the relay's own mail pass DMARC at the receivers?
start "mode = outbound" "public_addresses = 192.0.2.25"
msg alice@example.test > "$T/o1"
out=$(probe --ip 10.0.0.7 --sender bounce@other.test "$T/o1")
tap_like "outbound: a From domain the signing table signs for: continue" \
    "$out" 'EOM => continue'
tap_is "... and no field added" "$(printf '%s' "$out" | grep -c 'INSERT\|ADD')" 0
msg alice@spfonly.test > "$T/o2"
tap_like "outbound: SPF of the envelope's domain allows the relay, aligned: continue" \
    "$(probe --ip 10.0.0.7 --sender bounce@spfonly.test "$T/o2")" 'EOM => continue'
out=$(probe --ip 10.0.0.7 --sender bounce@other.test "$T/o2")
tap_like "outbound: a p=reject From the relay can neither sign nor pass SPF for: 550 5.7.1" \
    "$out" 'EOM => 550 5.7.1 spfonly.test publishes DMARC p=reject and receivers would refuse this mail'
msg alice@quar.test > "$T/o3"
tap_like "outbound: p=quarantine: refused too" \
    "$(probe --ip 10.0.0.7 --sender bounce@quar.test "$T/o3")" 'EOM => 550 5.7.1 quar.test publishes DMARC p=quarantine'
msg alice@norecord.test > "$T/o4"
tap_like "outbound: a domain without DMARC record: continue" \
    "$(probe --ip 10.0.0.7 --sender bounce@other.test "$T/o4")" 'EOM => continue'
sleep 0.2
tap_like "outbound: one log line per message" \
    "$(grep 'outbound dmarc=fail' "$T/dm.log" | head -n 1)" \
    'DKPROBE1: outbound dmarc=fail from=spfonly.test policy=reject action=reject: the relay neither signs'
tap_is "miltertest, outbound: a tenant's p=reject From is refused with a reply" \
    "$(mtest "$T/o2" 10.0.0.7 bounce@other.test reply)" 0
start "mode = outbound" "public_addresses = 192.0.2.25" "on_outbound_fail = tag"
tap_like "outbound, on_outbound_fail = tag: continue with X-Milterkit-DMARC" \
    "$(probe --ip 10.0.0.7 --sender bounce@other.test "$T/o2")" \
    "ADD X-Milterkit-DMARC:' ?fail \\(p=reject\\) header.from=spfonly.test.*EOM => continue"
printf '[dmarc]\nmode = outbound\npublic_addresses = 192.0.2.25, 300.1.1.1\n' \
    > "$T/bad.conf"
out=$("$DM" -c "$T/bad.conf" -t 2>&1); rc=$?
tap_is "public_addresses with a bad address: -t exits 2" "$rc" 2
tap_like "... naming file, line and address" "$out" \
    'bad.conf:3: .*"300.1.1.1" is not an IPv4 or IPv6 address'
tap_done
