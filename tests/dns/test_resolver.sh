#!/bin/sh
# tests/dns/test_resolver.sh - the resolver (common/dns.c over libunbound)
# against DNS servers on loopback, driven by tests/dns/dnsq.
#
# A scripted server (tests/dns/oddns.py, tests/dns/resolver.zone): A and
# AAAA, TXT strings joined, MX, a CNAME followed, PTR, a wildcard; NXDOMAIN
# and NODATA told apart; SERVFAIL and REFUSED are temporary failures; a
# server that never answers is a temporary failure once [dns] timeout is
# up, not a hang; a name answered 2 s late holds up none of the lookups
# started with it on the same loop, and ends (answered, or a temporary
# failure when libunbound's retries gave up) within the timeout; the
# lookups after it are answered at once;
# a cancelled lookup is never answered; answers are cached (the server
# sees one query for two lookups) unless cache_size = 0; an invalid name
# is refused without a query. A real server (dnsmasq) answers the same
# kinds of records. Bad [dns] servers are refused.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/dns/dnslab.sh"

Q="$top_builddir/tests/dns/dnsq"
T=$(mktemp -d)
tap_watchdog 120
trap 'kill "$tap_watchdog_pid" 2>/dev/null; dns_stop; rm -rf "$T"' EXIT
trap 'exit 1' TERM INT
dns_odd_start "$top_srcdir/tests/dns/resolver.zone" "$T" ||
	tap_bail "oddns.py did not start: $(cat "$T/odd.err" 2>/dev/null)"
S="127.0.0.1:$dns_odd_port"
q() { "$Q" -s "$S" "$@" 2>&1; }
# The line of one NAME/TYPE in dnsq's output $out.
line() { printf '%s\n' "$out" | grep "^$1 " | head -n 1; }

out=$(q a.test/A a.test/AAAA txt.test/TXT mx.test/MX alias.test/A \
    1.2.0.192.in-addr.arpa/PTR x.wild.test/TXT)
tap_like "A: both addresses" "$(line a.test/A)" \
    '^a.test/A ok rcode=0 n=2 .*: 192.0.2.(1; 192.0.2.2|2; 192.0.2.1)$'
tap_like "AAAA" "$(line a.test/AAAA)" 'ok rcode=0 n=1 .*: 2001:db8::1$'
tap_like "TXT: the strings joined" "$(line txt.test/TXT)" \
    ': "v=spf1 ip4:192.0.2.0/24 -all"$'
tap_like "MX: preference and name" "$(line mx.test/MX)" \
    ': (10 mail.mx.test; 20 backup.mx.test|20 backup.mx.test; 10 mail.mx.test)$'
tap_like "a CNAME is followed to the A records" "$(line alias.test/A)" \
    'ok rcode=0 n=2 .*: 192.0.2.'
tap_like "PTR" "$(line 1.2.0.192.in-addr.arpa/PTR)" 'ok .*: a.test$'
tap_like "a wildcard answers" "$(line x.wild.test/TXT)" ': "wildcard"$'

out=$(q nothere.test/A a.test/TXT broken.test/A refused.test/A)
tap_like "a name that does not exist: nxdomain" "$(line nothere.test/A)" \
    '^nothere.test/A nxdomain rcode=3 n=0'
tap_like "a name without records of that type: nodata" "$(line a.test/TXT)" \
    '^a.test/TXT nodata rcode=0 n=0'
tap_like "SERVFAIL: a temporary failure" "$(line broken.test/A)" \
    '^broken.test/A tempfail rcode=2 .*\(server failure\)'
tap_like "REFUSED: a temporary failure (libunbound reports it as SERVFAIL)" \
    "$(line refused.test/A)" '^refused.test/A tempfail rcode=2 '

# A server that never answers: a temporary failure when timeout is up.
out=$(q -t 1 silent.test/A)
tap_like "no answer at all: tempfail once the timeout is up" \
    "$(line silent.test/A)" '^silent.test/A tempfail rcode=-1 n=0 ms=1[0-9]{3} \(timed out\)'
out=$(q -t 1 -a silent.test/TXT a.test/A)
tap_like "... also on the loop, where the others are answered" \
    "$(line silent.test/TXT)" 'tempfail .*ms=1[0-9]{3} \(timed out\)'
tap_like "... (the other lookup)" "$(line a.test/A)" '^a.test/A ok '

# A slow name on one loop with twenty others: they are answered first,
# quickly, and the slow one still comes within the timeout.
set -- slow.test/TXT
for i in $(seq 1 20); do set -- "$@" "n$i.wild.test/TXT"; done
out=$(q -t 5 -a "$@")
first=$(printf '%s\n' "$out" | head -n 1)
last_answer=$(printf '%s\n' "$out" | grep -v '^pending' | tail -n 1)
fast=$(printf '%s\n' "$out" | grep -c '^n[0-9]*.wild.test/TXT ok .*ms=[0-9]\{1,3\}: "wildcard"')
tap_is "a slow name holds up none of the 20 lookups started with it" \
    "$fast" 20
tap_like "... which are answered before it" "$first" '^n[0-9]+.wild.test/TXT ok'
tap_like "... and it comes last, answered or timed out, within the timeout" \
    "$last_answer" \
    '^slow.test/TXT (ok rcode=0 n=1 ms=[2-4][0-9]{3}: "late"|tempfail rcode=-?[0-9]+ n=0 ms=(4[0-9]{3}|50[0-9]{2}) )'
tap_like "... nothing left pending" "$(printf '%s\n' "$out" | tail -n 1)" '^pending=0$'

# After a slow name the same resolver answers the next names at once (the
# server is not taken for dead).
out=$(q -t 5 slow.test/TXT a.test/AAAA mx.test/MX)
tap_like "after a slow name, the next lookups are answered at once" \
    "$(line a.test/AAAA) $(line mx.test/MX)" \
    '^a.test/AAAA ok .*ms=[0-9]{1,3}: 2001:db8::1 mx.test/MX ok .*ms=[0-9]{1,3}: '

# A cancelled lookup is never answered.
out=$(q -a -x 1 mx.test/MX a.test/AAAA)
tap_is "a cancelled lookup is not answered" \
    "$(printf '%s\n' "$out" | grep -c '^mx.test/MX ok')" 0
tap_like "... the others are" "$(line a.test/AAAA)" 'ok .*2001:db8::1$'
tap_like "... nothing left pending" "$(printf '%s\n' "$out" | tail -n 1)" '^pending=0$'

# The cache: two lookups of one name in one resolver, one query seen.
: > "$T/odd.log"
q mx.test/MX mx.test/MX > /dev/null
tap_is "the second lookup is answered from the cache" \
    "$(grep -c '^mx.test mx$' "$T/odd.log")" 1
: > "$T/odd.log"
q -C 0 mx.test/MX mx.test/MX > /dev/null
tap_is "cache_size = 0: each lookup is a query" \
    "$(grep -c '^mx.test mx$' "$T/odd.log")" 2

: > "$T/odd.log"
out=$(q 'bad..name.test/A' "a b.test/A")
tap_like "an invalid name: permfail, not a query" "$(line bad..name.test/A)" \
    'permfail .*\(not a valid domain name\)'
tap_is "... nothing was sent" "$(wc -l < "$T/odd.log")" 0

# A real DNS server (dnsmasq) answers the same kinds of records.
cat > "$T/hosts" <<'HOSTS'
host-record=www.real.test,192.0.2.80,2001:db8::80
txt-record=real.test,"v=spf1 a mx -all"
txt-record=_dmarc.real.test,"v=DMARC1; p=reject"
mx-host=real.test,mail.real.test,10
host-record=mail.real.test,192.0.2.25
HOSTS
if dns_masq_start "$T/hosts" "$T"; then
	out=$("$Q" -s "127.0.0.1:$dns_masq_port" www.real.test/A www.real.test/AAAA \
	    real.test/TXT _dmarc.real.test/TXT real.test/MX none.real.test/A 2>&1)
	tap_like "dnsmasq: A" "$(line www.real.test/A)" 'ok .*: 192.0.2.80$'
	tap_like "dnsmasq: AAAA" "$(line www.real.test/AAAA)" 'ok .*: 2001:db8::80$'
	tap_like "dnsmasq: TXT" "$(line real.test/TXT)" ': "v=spf1 a mx -all"$'
	tap_like "dnsmasq: a DMARC record" "$(line _dmarc.real.test/TXT)" \
	    ': "v=DMARC1; p=reject"$'
	tap_like "dnsmasq: MX" "$(line real.test/MX)" ': 10 mail.real.test$'
	tap_like "dnsmasq: nxdomain" "$(line none.real.test/A)" 'nxdomain rcode=3'
else
	tap_fail "dnsmasq did not start" "$(cat "$T/dnsmasq.err" 2>/dev/null)"
fi

out=$("$Q" -s "ns.example.com" a.test/A 2>&1); rc=$?
tap_is "a server given by name is refused (exit 2)" "$rc" 2
tap_like "... with the reason" "$out" 'bad name server "ns.example.com"'
tap_done
