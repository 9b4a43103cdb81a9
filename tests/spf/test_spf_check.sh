#!/bin/sh
# tests/spf/test_spf_check.sh - `milterkit spf check` against RFC 7208.
#
# A corpus of cases "IP SENDER HELO -> result", each written from the RFC
# (section in the comments), not from what libspf2 does, checked against
# a scripted DNS server on loopback (tests/dns/oddns.py serving
# tests/spf/spf.zone, one small domain per behaviour):
# every mechanism (all, include, a, mx, ptr, ip4, ip6, exists) with its
# cidr forms and IPv6 and IPv4-mapped clients; the qualifiers and the
# default result; redirect= and exp= (the explanation's macros, only for
# fail, never an included record's or a redirecting record's); unknown
# modifiers ignored; the macro letters, transformers and delimiters, in
# exists:, include: and redirect= targets; none (no record, NXDOMAIN, a
# TXT that is not SPF, a malformed domain); permerror (two records,
# syntax errors anywhere, unknown mechanisms, include/redirect of a domain
# without a record, loops, more than 10 DNS terms, more than two void
# lookups); temperror (SERVFAIL, no answer, a mechanism's lookup timing
# out); the null sender with its HELO; case, split strings, blanks.
# The first word of the output is the result; --json gives "domain" and
# "explanation". Exit 2 on bad usage.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/dns/dnslab.sh"

MK="$top_builddir/tools/milterkit"
[ -x "$MK" ] || tap_bail "$MK not built"
T=$(mktemp -d)
tap_watchdog 300
trap 'kill "$tap_watchdog_pid" 2>/dev/null; dns_stop; rm -rf "$T"' EXIT
trap 'exit 1' TERM INT
dns_odd_start "$top_srcdir/tests/spf/spf.zone" "$T" ||
	tap_bail "oddns.py did not start: $(cat "$T/odd.err" 2>/dev/null)"
printf '[dns]\nservers = 127.0.0.1:%s\ntimeout = 2\n' "$dns_odd_port" \
    > "$T/mk.conf"

# spf [--json] IP SENDER [HELO]: run the verb; rc, out, err.
spf() {
	"$MK" -c "$T/mk.conf" spf check "$@" < /dev/null > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# One JSON field of the last output ("<absent>" when missing or null).
field() {
	/usr/bin/python3 -c 'import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError as e:
    print("<not json: %s>" % e)
    sys.exit(0)
v = d.get(sys.argv[1]) if isinstance(d, dict) else None
print("<absent>" if v is None else v)' "$1" < "$T/out"
}
# expect NAME WANT IP SENDER [HELO]: one point, the result's word WANT.
expect() {
	local name=$1 want=$2
	shift 2
	spf "$@"
	if [ "$rc" = 0 ] && [ "${out%% *}" = "$want" ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "args: $*
want: $want
got:  exit $rc: $out $err"
	fi
}

# The cases: WANT|IP|SENDER|HELO|NAME. SENDER "<>" is the null sender;
# HELO "-" leaves it out, empty is mail.client.test.
while IFS='|' read -r want ip sender helo name; do
	case $want in ''|'#'*) continue ;; esac
	[ "$sender" = "<>" ] && sender=''
	[ -n "$helo" ] || helo=mail.client.test
	if [ "$helo" = - ]; then
		expect "$name" "$want" "$ip" "$sender"
	else
		expect "$name" "$want" "$ip" "$sender" "$helo"
	fi
done <<'CASES'
# all (5.1), ip4 and ip6 (5.6); an IPv4-mapped client is IPv4 (5)
pass|192.0.2.1|u@all.test||all with no qualifier: pass
fail|192.0.2.1|u@all-fail.test||-all: fail
pass|192.0.2.77|u@ip4.test||ip4 /24 match: pass
pass|198.51.100.7|u@ip4.test||ip4 single address match: pass
fail|198.51.100.8|u@ip4.test||ip4 no match, -all: fail
pass|192.0.2.77|u@ip4.test|-|without HELO (two arguments): pass
fail|2001:db8::77|u@ip4.test||ip4 never matches an IPv6 client: fail
pass|2001:db8:1:ff::1|u@ip6.test||ip6 /48 match: pass
pass|2001:db8::25|u@ip6.test||ip6 single address match: pass
fail|2001:db8::26|u@ip6.test||ip6 no match, -all: fail
fail|192.0.2.25|u@ip6.test||ip6 never matches an IPv4 client: fail
pass|::ffff:192.0.2.77|u@ip4.test||IPv4-mapped client matches ip4: pass
pass|::ffff:192.0.2.10|u@a.test||IPv4-mapped client matches a (A records): pass
# a (5.3)
pass|192.0.2.10|u@a.test||a (current domain) A match: pass
fail|192.0.2.11|u@a.test||a (current domain) no match: fail
pass|2001:db8:a::10|u@a.test||a matches an IPv6 client by AAAA: pass
pass|198.51.100.20|u@adom.test||a:domain match: pass
fail|192.0.2.10|u@adom.test||a:domain looks at that domain, not the current one: fail
pass|192.0.2.200|u@acidr.test||a/24 match: pass
pass|2001:db8:a:2::ffff|u@acidr.test||a//64 match (IPv6): pass
fail|2001:db8:a:3::1|u@acidr.test||a//64 outside the /64: fail
pass|198.51.100.30|u@adual.test||a:domain/28 match: pass
fail|198.51.100.40|u@adual.test||a:domain/28 outside: fail
pass|2001:db8:b::ff|u@adual.test||a:domain//120 match (IPv6): pass
# mx (5.4)
pass|192.0.2.32|u@mx.test||mx: second MX host's A: pass
pass|2001:db8:c::32|u@mx.test||mx: MX host's AAAA (IPv6): pass
fail|192.0.2.33|u@mx.test||mx no match: fail
pass|192.0.2.250|u@mxdom.test||mx:domain/24 match: pass
pass|2001:db8:c::1234|u@mxdom.test||mx:domain//64 match (IPv6): pass
fail|198.51.100.1|u@mxdom.test||mx:domain no match: fail
fail|192.0.2.35|u@mxnone.test||mx without MX records: no implicit MX: fail
permerror|192.0.2.1|u@mx11.test||mx with 11 MX hosts: permerror (4.6.4)
# ptr (5.5)
pass|192.0.2.50|u@ptr.test||ptr validated name under the domain: pass
fail|192.0.2.51|u@ptr.test||ptr name not resolving back to the IP: fail
fail|192.0.2.52|u@ptr.test||ptr validated name outside the domain: fail
pass|192.0.2.52|u@ptrdom.test||ptr:domain validated name: pass
pass|192.0.2.53|u@ptr.test||ptr second PTR name validated: pass
pass|2001:db8:d::50|u@ptr.test||ptr IPv6 (ip6.arpa) validated: pass
fail|192.0.2.54|u@ptr.test||ptr PTR lookup SERVFAIL is no match: fail
fail|192.0.2.55|u@ptr.test||ptr name whose A lookup fails is skipped: fail
# exists (5.7), %{i} %{v} and r (7.3)
pass|192.0.2.60|u@exists.test||exists:%{ir}.domain match: pass
fail|192.0.2.61|u@exists.test||exists name absent: fail
pass|2001:db8::60|u@exists6.test||exists IPv6 %{ir} nibbles, %{v}=ip6, A lookup: pass
pass|192.0.2.62|u@existsv.test||exists %{i}.%{v} (in-addr): pass
# qualifiers (4.6.2) and the default result (4.7)
pass|192.0.2.1|u@q.test||qualifier +: pass
fail|192.0.2.2|u@q.test||qualifier -: fail
softfail|192.0.2.3|u@q.test||qualifier ~: softfail
neutral|192.0.2.4|u@q.test||qualifier ?: neutral
neutral|192.0.2.5|u@q.test||nothing matches, no all: neutral
neutral|192.0.2.5|u@empty.test||empty record "v=spf1": neutral
# include (5.2)
pass|192.0.2.80|u@inc.test||include of a passing record: pass
neutral|192.0.2.81|u@incq.test||include whose record fails does not match: neutral
fail|192.0.2.80|u@incneg.test||-include matching: fail
pass|192.0.2.81|u@incneg.test||-include not matching, +all: pass
pass|192.0.2.80|u@incdot.test||include target with a trailing dot: pass
permerror|192.0.2.1|u@incnone.test||include of a domain without record: permerror
permerror|192.0.2.1|u@incnx.test||include of an NXDOMAIN domain: permerror
permerror|192.0.2.1|u@incloop.test||include loop: permerror
permerror|192.0.2.1|u@incperm.test||include of a record with a syntax error: permerror
temperror|192.0.2.1|u@inctemp.test||include whose TXT lookup fails (SERVFAIL): temperror
# redirect (6.1)
pass|192.0.2.90|u@rd.test||redirect: the target record passes: pass
neutral|192.0.2.91|u@rd.test||redirect: the target's ?all: neutral
permerror|192.0.2.1|u@rdnone.test||redirect to a domain without record: permerror
permerror|192.0.2.1|u@rdnx.test||redirect to an NXDOMAIN domain: permerror
permerror|192.0.2.1|u@rdloop1.test||redirect loop: permerror
permerror|192.0.2.90|u@rdtwice.test||redirect= twice: permerror (6)
permerror|192.0.2.1|u@exptwice.test||exp= twice: permerror (6)
pass|192.0.2.1|u@rdmacro.test||redirect=_spf.%{d}, %{d} then the target: pass
# unknown modifiers (6)
pass|192.0.2.5|u@unkmod.test||unknown modifier ignored: pass
pass|192.0.2.5|u@unkmod2.test||unknown modifier named with . - _ ignored: pass
# none (4.3, 4.4, 4.5)
none|192.0.2.1|u@norecord.test||no SPF record: none
none|192.0.2.1|u@nx.test||NXDOMAIN sender domain: none
none|192.0.2.1|u@spf10.test||"v=spf10" is not SPF: none
none|192.0.2.1|u@spf1word.test||"spf1 ..." is not SPF: none
fail|198.51.100.1|u@mixed.test||"v=spf10" beside a "v=spf1" record is ignored: fail
# permerror (4.5, 4.6, 4.6.4)
permerror|192.0.2.1|u@two.test||two v=spf1 records: permerror
permerror|192.0.2.5|u@syntax.test||syntax error after a matching term: permerror
permerror|192.0.2.5|u@badcidr.test||ip4 /33: permerror
permerror|192.0.2.5|u@unkmech.test||unknown mechanism: permerror
pass|192.0.2.1|u@lim10.test||10 DNS-querying terms: allowed: pass
permerror|192.0.2.1|u@lim11.test||11 DNS-querying terms: permerror
permerror|192.0.2.1|u@liminc.test||included terms count toward the 10: permerror
pass|192.0.2.1|u@void2.test||two void lookups (NXDOMAIN, no MX): allowed: pass
permerror|192.0.2.1|u@void3.test||three void lookups: permerror
fail|192.0.2.1|u@voidexp.test||two void lookups and an exp= without record: fail
# temperror (4.4, 5)
temperror|192.0.2.1|u@servfail.test||record lookup SERVFAIL: temperror
temperror|192.0.2.1|u@drop.test||record lookup never answered: temperror
temperror|192.0.2.1|u@mechdrop.test||a: lookup never answered: temperror
temperror|192.0.2.1|u@mechfail.test||a: lookup SERVFAIL: temperror
pass|192.0.2.95|u@slowa.test||a: lookup answered 0.5 s late: pass
# the null sender: postmaster@HELO (2.4)
pass|192.0.2.40|<>|mta.helo.test|null sender, HELO's record: pass
fail|192.0.2.41|<>|mta.helo.test|null sender, HELO's record: fail
pass|192.0.2.40|<>|MTA.Helo.TEST|null sender, HELO in mixed case: pass
# macros (7)
pass|192.0.2.1|a-b+c@lp.test||%{lr+-}: local-part split on + and -, reversed: pass
pass|192.0.2.1|first-second-third@lp1.test||%{l1r-}: reversed, then the rightmost part: pass
pass|192.0.2.1|u@x.y.dig.test||%{d2}: the two rightmost labels: pass
pass|192.0.2.1|u@mo.test||%{o} in an included record: the sender's domain: pass
pass|192.0.2.1|u@md.test||%{d} in an included record: the included domain: pass
pass|192.0.2.70|alice@mi.test||include:%{l}.domain: pass
permerror|192.0.2.70|bob@mi.test||include:%{l}.domain without record: permerror
pass|192.0.2.1|u@hm.test|gw.helo-ok.test|exists:%{h}.domain: pass
fail|192.0.2.1|u@hm.test|other.helo.test|exists:%{h}.domain, other HELO: fail
pass|192.0.2.1|u@pct.test||%% and %- in an exists: target: pass
# case (4.5, 4.6.1, 7.1), strings joined (3.3), blanks (4.6.1)
pass|192.0.2.77|Alice@IP4.TEST||sender domain in upper case: pass
pass|192.0.2.5|u@upv.test||"V=Spf1" (case-insensitive version): pass
pass|198.51.100.20|u@upm.test||mechanism names and domain in mixed case: pass
fail|198.51.100.21|u@upm.test||"-ALL": fail
pass|192.0.2.5|u@split.test||record split over two TXT strings, joined: pass
fail|198.51.100.5|u@blank.test||extra and trailing blanks: fail
CASES

# Domains with long labels (4.3): 63 octets is valid; 64 makes the domain
# malformed: none at once, without a query.
l63=$(printf 'a%.0s' $(seq 1 63))
expect "sender domain with a 63-octet label: its record: fail" fail \
    192.0.2.1 "u@$l63.test" mail.client.test
: > "$T/odd.log"
expect "sender domain with a 64-octet label: none" none \
    192.0.2.1 "u@a$l63.test" mail.client.test
tap_is "... and no DNS query for it" "$(grep -c "a$l63" "$T/odd.log")" 0

# --json: "result", "domain", "explanation" (exp= text, only for fail).
# jexpect NAME RESULT FIELD VALUE ARGS...: one point, the JSON result and
# one field (VALUE "<absent>": no such field). Case folded with -i.
jexpect() {
	local fold=0 name want key value got
	[ "$1" = -i ] && { fold=1; shift; }
	name=$1 want=$2 key=$3 value=$4
	shift 4
	spf --json "$@"
	got="$(field result)|$(field "$key")"
	if [ "$fold" = 1 ]; then
		got=$(printf '%s' "$got" | tr 'A-Z' 'a-z')
		value=$(printf '%s' "$value" | tr 'A-Z' 'a-z')
	fi
	if [ "$rc" = 0 ] && [ "$got" = "$want|$value" ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "args: $*
want: exit 0, result|$key: $want|$value
got:  exit $rc: $out $err"
	fi
}
jexpect "--json: result and the domain checked" pass domain ip4.test \
    192.0.2.77 u@ip4.test mail.client.test
jexpect "exp= macros expanded (s i v d S, %_ %- %%): fail, explanation" \
    fail explanation \
    "Mail from alice@exp.test via 198.51.100.7 [in-addr] refused, 100% sure:%20see http://exp.test/why?s=alice%40exp.test" \
    198.51.100.7 alice@exp.test mail.client.test
jexpect "exp= with softfail: no explanation" softfail explanation '<absent>' \
    198.51.100.7 u@expsoft.test mail.client.test
jexpect "exp= domain without TXT: fail, no explanation" fail explanation \
    '<absent>' 198.51.100.7 u@expnx.test mail.client.test
jexpect "an included record's exp= is not used (6.2)" fail explanation \
    '<absent>' 192.0.2.1 u@expinc.test mail.client.test
jexpect "redirect: the redirecting record's exp= is not used (6.2)" fail \
    explanation '<absent>' 192.0.2.1 u@exprd.test mail.client.test
jexpect "redirect: the target's exp= is used, %{d} the target" fail \
    explanation "target exprd2-t.test" 192.0.2.1 u@exprd2.test \
    mail.client.test
jexpect -i "exp= %{c} and %{i} (nibbles) of an IPv6 client" fail explanation \
    "2001:db8::9 is 2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9 [ip6]" \
    2001:db8::9 u@exp6.test mail.client.test
jexpect "null sender: the domain checked is the HELO" fail domain \
    mta.helo.test 192.0.2.41 '' mta.helo.test
jexpect "null sender: %{s} is postmaster@HELO in exp=" fail explanation \
    "Mail from postmaster@mta.helo.test via 192.0.2.41 [in-addr] refused, 100% sure:%20see http://mta.helo.test/why?s=postmaster%40mta.helo.test" \
    192.0.2.41 '' mta.helo.test

# Bad usage: exit 2.
spf 192.0.2.300 u@ip4.test mail.client.test
tap_is "a bad IP address: exit 2" "$rc" 2
spf 192.0.2.40 ''
tap_is "the null sender without HELO: exit 2" "$rc" 2
tap_done
