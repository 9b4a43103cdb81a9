#!/bin/sh
# tests/dmarc/test_dmarc_check.sh - `milterkit dmarc check`: inbound DMARC
# evaluation of messages signed by dkimpy (a signer nobody here wrote),
# against a DNS server on loopback (tests/dns/oddns.py) serving the keys,
# SPF and DMARC records.
#
# A pass by aligned DKIM (RSA, Ed25519) and by aligned SPF (also for the
# null sender); a fail with the policy as disposition and the fields of
# Authentication-Results; a body changed after signing; the
# Organizational Domain's record (sp) for a subdomain, np for a subdomain
# that does not exist, strict alignment, pct 0 (one step milder), p
# missing with a rua (p=none); none without a record or with two; an
# invalid record and a message with two From fields (permerror); no key
# (dkim permerror), a key lookup or a record lookup that times out
# (temperror); at most 8 signatures looked at, whatever the message
# carries.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/dns/dnslab.sh"
. "$top_srcdir/tests/dmarc/dmlab.sh"

MK="$top_builddir/tools/milterkit"
PY=/usr/bin/python3
$PY -c 'import dkim, nacl' 2>/dev/null || tap_bail "python3-dkim and python3-nacl needed"
T=$(mktemp -d)
tap_watchdog 180
trap 'kill "$tap_watchdog_pid" 2>/dev/null; dns_stop; rm -rf "$T"' EXIT
trap 'exit 1' TERM INT

dm_setup "$T" || tap_bail "key set-up failed"
dns_odd_start "$T/zone" "$T" || tap_bail "oddns.py did not start: $(cat "$T/odd.err" 2>/dev/null)"
printf '[dns]\nservers = 127.0.0.1:%s\ntimeout = 2\n' "$dns_odd_port" > "$T/mk.conf"

check() { "$MK" -c "$T/mk.conf" dmarc check "$@" 2>&1; }

msg alice@example.test > "$T/m1"; sign "$T/m1" example.test s1 rsa
out=$(check "$T/m1")
tap_like "DKIM aligned (RSA): pass" "$out" \
    '^pass from=example.test policy=reject disposition=none .*dkim=pass\(example.test s=s1\) aligned'
msg alice@example.test > "$T/m2"; sign "$T/m2" example.test e1 ed25519
tap_like "DKIM aligned (Ed25519): pass" "$(check "$T/m2")" \
    '^pass .*dkim=pass\(example.test s=e1\) aligned'
msg alice@example.test > "$T/m3"
tap_like "SPF aligned, no signature: pass" \
    "$(check --ip 192.0.2.9 --sender bounce@example.test "$T/m3")" \
    '^pass .*spf=pass\(example.test\) aligned dkim=none'
tap_like "the null sender: HELO's SPF, aligned: pass" \
    "$(check --ip 192.0.2.9 --sender '' --helo example.test "$T/m3")" \
    '^pass .*spf=pass\(example.test\) aligned'
out=$(check --ip 198.51.100.9 --sender bounce@other.test --json --authserv-id mx.test "$T/m3")
tap_like "SPF passing for another domain: fail, disposition reject" "$out" \
    '^\{"result":"fail","from":"example.test","policy":"reject","disposition":"reject"'
tap_like "... Authentication-Results: spf, dkim=none, dmarc=fail with the policy" \
    "$out" '"authentication_results":"mx.test;.*spf=pass smtp.mailfrom=bounce@other.test;.*dkim=none;.*dmarc=fail \(p=reject dis=reject\) header.from=example.test"'
msg alice@example.test > "$T/m4"; sign "$T/m4" other.test s1 rsa
tap_like "a valid signature of another domain does not align: fail" \
    "$(check "$T/m4")" '^fail .*dkim=pass\(other.test s=s1\):'
sed 's/this is the body/this is another body/' "$T/m1" > "$T/m5"
tap_like "the body changed after signing: dkim fail, dmarc fail" \
    "$(check "$T/m5")" '^fail .*dkim=fail\(example.test s=s1\)'

msg alice@news.example.test > "$T/m6"; sign "$T/m6" example.test s1 rsa
tap_like "a subdomain: the Organizational Domain's record, sp, relaxed pass" \
    "$(check "$T/m6")" \
    '^pass from=news.example.test policy=quarantine .*record=_dmarc.example.test .*aligned'
msg alice@news.example.test > "$T/m7"
tap_like "... failing: disposition sp's quarantine" "$(check "$T/m7")" \
    '^fail .*policy=quarantine disposition=quarantine'
msg alice@gone.example.test > "$T/m8"
tap_like "a subdomain that does not exist: np (RFC 9091)" "$(check "$T/m8")" \
    '^fail from=gone.example.test policy=reject disposition=reject'
msg alice@news.strict.test > "$T/m9"; sign "$T/m9" strict.test s1 rsa
tap_like "adkim=s: the parent's signature does not align" "$(check "$T/m9")" \
    '^fail from=news.strict.test .*dkim=pass\(strict.test s=s1\):'
msg alice@sampled.test > "$T/m10"
tap_like "pct=0: the policy one step milder" "$(check "$T/m10")" \
    '^fail .*policy=reject disposition=quarantine pct=0'
msg alice@rua.test > "$T/m11"
tap_like "no p but a rua: p=none" "$(check "$T/m11")" \
    '^fail from=rua.test policy=none disposition=none'
msg alice@norecord.test > "$T/m12"
tap_like "no record: none" "$(check "$T/m12")" \
    '^none from=norecord.test .*: no DMARC record at _dmarc.norecord.test$'
msg alice@two.test > "$T/m13"
tap_like "two DMARC records: none" "$(check "$T/m13")" '^none .*: 2 DMARC records \(one is needed\) at _dmarc.two.test$'
msg alice@bad.test > "$T/m14"
tap_like "an invalid record: permerror" "$(check "$T/m14")" \
    '^permerror .*given twice'
{ printf 'From: a@example.test\n'; msg alice@example.test; } > "$T/m15"
tap_like "two From fields: permerror" "$(check "$T/m15")" \
    '^permerror .*more than one From field'
msg alice@example.test > "$T/m16"; sign "$T/m16" example.test nokey rsa
tap_like "a selector without key: dkim permerror" "$(check "$T/m16")" \
    '^fail .*dkim=permerror\(example.test s=nokey\)'
msg alice@keyslow.test > "$T/m17"; sign "$T/m17" keyslow.test s9 rsa
tap_like "the key lookup times out: dkim temperror, dmarc temperror" \
    "$(check "$T/m17")" '^temperror .*dkim=temperror\(keyslow.test s=s9\)'
msg alice@slow.test > "$T/m18"
tap_like "the record lookup times out: temperror" "$(check "$T/m18")" \
    '^temperror from=slow.test .*: DNS lookup of _dmarc.slow.test failed: timed out'

# Twelve signatures (selectors without keys): eight looked at.
msg alice@example.test > "$T/m19"
i=0; while [ $i -lt 12 ]; do sign "$T/m19" example.test "many$i" rsa; i=$((i + 1)); done
: > "$T/odd.log"
out=$(check --json "$T/m19")
tap_is "twelve signatures: eight looked at" \
    "$(printf '%s' "$out" | grep -o '"selector":' | wc -l)" 8
tap_is "... eight key lookups" "$(grep -c '_domainkey.example.test txt' "$T/odd.log")" 8

out=$(check --ip nonsense "$T/m3"); rc=$?
tap_is "a bad --ip: usage error (2)" "$rc" 2
tap_done
