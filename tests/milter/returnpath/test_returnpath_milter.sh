#!/bin/bash
# tests/milter/returnpath/test_returnpath_milter.sh - milterkit-returnpath
# through the milter protocol, alone and in milterkit-chain.
#
# Instances run in the foreground on unix sockets in a temp dir:
#   A  milterkit-returnpath: domains = example.org, .example.org,
#      exclude = noreply@example.org, @quiet.example.org, a
#      bounce_domain_table sending news.example.org to bounces.relay.example
#   B  milterkit-returnpath as A with check = authenticated
#   C  milterkit-chain, filters = suppress, returnpath; the store suppresses
#      bounced@example.com
#   D  milterkit-chain, filters = returnpath, suppress: returnpath sees the
#      recipients suppress refuses after it
# miltertest cannot show an SMFIR_CHGFROM (no MT_CHGFROM), so rp_probe.py
# speaks the protocol itself and prints the new sender; the local part is
# decoded with tests/lib/mktoken rp-parse, which proves the token maps back
# to sender and recipient. The miltertest scenarios (rp_*.lua) run the
# messages through libmilter's own client; their outcome is read from the
# log lines of their queue ids. Then -t. Loopback only; every process
# started here is stopped by its pid; every wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/milters/returnpath/milterkit-returnpath"
CHAIN="$top_builddir/milters/chain/milterkit-chain"
MK="$top_builddir/tools/milterkit"
MKTOKEN="$top_builddir/tests/lib/mktoken"
HERE="$top_srcdir/tests/milter/returnpath"
PY=/usr/bin/python3
for f in "$CHAIN" "$MK" "$MKTOKEN"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ -x "$PY" ] || tap_bail "$PY not found"

. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_rptest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
S="$T/store"
tap_watchdog 120
trap 'kill "$tap_watchdog_pid" 2>/dev/null; stop_all; rm -rf "$T"' EXIT

"$MK" --store "$S" suppress add bounced@example.com --reason bounce \
    >/dev/null 2>"$T/mk.err" || tap_bail "store fixture: $(cat "$T/mk.err")"
printf 'the return-path key of the milter tests\n' > "$T/secret"
chmod 600 "$T/secret"
printf '%s\n' '# per-domain bounce domains' \
    'news.example.org   bounces.relay.example' > "$T/bounce.table"

RP_LINES=("domains = example.org, .example.org"
    "exclude = noreply@example.org, @quiet.example.org"
    "secret_file = $T/secret" "bounce_domain_table = $T/bounce.table")
# conf NAME SECTION [lines...]: [store], [log], the daemon rows of
# [SECTION] (socket in $T), then the lines (which may open more sections).
conf() {
	local name=$1 sec=$2
	shift 2
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = debug\n\n' "$S"
		printf '[%s]\nsocket = unix:%s/%s.sock\nuser =\npidfile =\n' \
		    "$sec" "$T" "$name"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/$name.conf"
}
conf A returnpath "${RP_LINES[@]}"
conf B returnpath "${RP_LINES[@]}" "check = authenticated"
conf C chain "filters = suppress, returnpath" "[returnpath]" "${RP_LINES[@]}"
conf D chain "filters = returnpath, suppress" "[returnpath]" "${RP_LINES[@]}"
start A; start B; MILTER=$CHAIN start C; MILTER=$CHAIN start D
instances_up A B C D

# probe INSTANCE [rp_probe.py args...]: the probe's transcript
probe() {
	local inst=$1
	shift
	timeout 20 "$PY" "$HERE/rp_probe.py" "unix:$T/$inst.sock" "$@" 2>&1
}
chg_of() { printf '%s\n' "$1" | sed -n 's/^CHGFROM //p'; }
eom_of() { printf '%s\n' "$1" | sed -n 's/^EOM => //p'; }
# decode "<local@domain>": mktoken rp-parse's line (rcpt=- when the
# token has no recipient), or its error
decode() {
	local a=${1#<}
	a=${a%>}
	"$MKTOKEN" rp-parse "$T/secret" "${a%@*}" 2>&1
}
domain_of() { local a=${1%>}; printf '%s' "${a##*@}"; }

# ---- A: the filter alone -------------------------------------------------------
out=$(probe A --qid RPP001 --from '<Alice@Example.ORG>' --rcpt '<Bob@example.com>')
tap_like "negotiated actions CHGFROM|SETSYMLIST, headers and body away" \
    "$(printf '%s\n' "$out" | head -1)" '^NEGOTIATED actions=0x140 protocol=0x[0-9a-f]+$'
new=$(chg_of "$out")
tap_like "one recipient: CHGFROM to a b0= address on bounces.example.org, no ESMTP arguments" \
    "$new|$(eom_of "$out")" '^<b0=[a-z2-7]{8}=[a-z2-7]{4}=alice=example\.org=bob=example\.com@bounces\.example\.org>\|continue$'
tap_like "one recipient: the token maps back to sender and recipient" \
    "$(decode "$new")" '^sender=alice@example\.org rcpt=bob@example\.com expires=[0-9]+$'
wait_for log_has A 'RPP001: returnpath from='
tap_like "log: one info line per rewrite, from=<old> to=<new>" \
    "$(grep 'RPP001: returnpath' "$T/A.log")" \
    "^[^:]+: info: RPP001: returnpath from=<Alice@Example\\.ORG> to=$(printf '%s' "$new" | sed 's/[.]/\\./g')\$"

out=$(probe A --from '<alice@example.org>' --rcpt '<bob@example.com>' \
    --rcpt '<carol@example.net>')
new=$(chg_of "$out")
tap_like "two recipients: the token maps back to the sender only" \
    "$(domain_of "$new")|$(decode "$new")" \
    '^bounces\.example\.org\|sender=alice@example\.org rcpt=- expires=[0-9]+$'

out=$(probe A --from '<list@news.example.org>' --rcpt '<reader@example.com>')
new=$(chg_of "$out")
tap_like "bounce_domain_table: news.example.org gets bounces.relay.example" \
    "$(domain_of "$new")|$(decode "$new")" \
    '^bounces\.relay\.example\|sender=list@news\.example\.org rcpt=reader@example\.com expires=[0-9]+$'
out=$(probe A --from '<shop@shop.example.org>' --rcpt '<r@example.com>')
tap_is "a subdomain listed as .example.org gets bounces.%d (the table does not match it)" \
    "$(domain_of "$(chg_of "$out")")" "bounces.shop.example.org"

unchanged() {	# DESC PROBE-ARGS...: no CHGFROM, the message passes
	local desc=$1 out
	shift
	out=$(probe A "$@")
	tap_is "$desc: sender unchanged, message passes" \
	    "$(chg_of "$out")|$(eom_of "$out")" "|continue"
}
unchanged "null sender" --from '<>'
unchanged "excluded address" --from '<noreply@example.org>'
unchanged "excluded @domain" --from '<ann@quiet.example.org>'
unchanged "sender domain not listed" --from '<alice@example.net>'
unchanged "already a return-path address" \
    --from "$(chg_of "$(probe A --from '<alice@example.org>')")"

out=$(probe A --from "<$(printf 'a%.0s' $(seq 1 30))@example.org>" --rcpt '<bob@example.com>')
new=$(chg_of "$out")
tap_like "a local part too long with the recipient is made without it (64 octets at most)" \
    "$(decode "$new")|$(( $(printf '%s' "${new%@*}" | wc -c) - 1 ))" \
    '^sender=a{30}@example\.org rcpt=- expires=[0-9]+\|([0-5][0-9]|6[0-4])$'
out=$(probe A --qid RPP002 --from "<$(printf 'a%.0s' $(seq 1 60))@example.org>")
tap_is "a local part too long even alone: sender unchanged" \
    "$(chg_of "$out")|$(eom_of "$out")" "|continue"
wait_for log_has A 'RPP002: returnpath'
tap_like "log: the unchanged sender at info with the reason" \
    "$(grep 'RPP002: returnpath' "$T/A.log")" \
    'info: RPP002: returnpath from=<a+@example\.org> unchanged: too-long \(.*max_local_length 64'

tap_is "miltertest: headers and body negotiated away" "$(scenario A rp_negotiate)" 0
tap_is "miltertest: six messages on one connection pass" "$(scenario A rp_one)" 0
wait_for log_has A 'RPMT06: returnpath'
lines=$(grep -E 'RPMT0[1-6]: returnpath' "$T/A.log" | sed 's/^[^:]*: //')
tap_like "miltertest: one recipient rewritten with it" "$(decode "$(printf '%s\n' "$lines" | \
    sed -n 's/^info: RPMT01: returnpath from=<alice@example.org> to=//p')")" \
    '^sender=alice@example\.org rcpt=bob@example\.com '
tap_like "miltertest: two recipients rewritten without" "$(decode "$(printf '%s\n' "$lines" | \
    sed -n 's/^info: RPMT02: returnpath from=<alice@example.org> to=//p')")" \
    '^sender=alice@example\.org rcpt=- '
tap_is "miltertest: null sender, excluded, not listed: left alone at MAIL (debug)" \
    "$(printf '%s\n' "$lines" | grep -E 'RPMT0[345]' | sed 's/ (.*//' | tr '\n' '|')" \
    'debug: RPMT03: returnpath from=<> unchanged: null-sender|debug: RPMT04: returnpath from=<noreply@example.org> unchanged: excluded|debug: RPMT05: returnpath from=<alice@example.net> unchanged: not-listed|'
tap_like "miltertest: the next message's recipient, not the last one's" "$(decode "$(printf '%s\n' "$lines" | \
    sed -n 's/^info: RPMT06: returnpath from=<dave@shop.example.org> to=//p')")" \
    '^sender=dave@shop\.example\.org rcpt=erin@example\.com '

# ---- B: check = authenticated ----------------------------------------------------
out=$(probe B --from '<alice@example.org>')
tap_is "check = authenticated: without a login, left alone at MAIL" \
    "$(printf '%s\n' "$out" | grep -E '^(MAIL|CHGFROM|EOM)' | tr '\n' '|')" \
    "MAIL => accept|EOM skipped|"
out=$(probe B --from '<alice@example.org>' --auth alice)
tap_like "check = authenticated: with a login, rewritten" \
    "$(decode "$(chg_of "$out")")" '^sender=alice@example\.org rcpt=rcpt@example\.com '
tap_is "miltertest: check = authenticated" "$(scenario B rp_left)" 0
wait_for log_has B 'RPMA02: returnpath'
tap_like "miltertest: the message with a login rewritten" \
    "$(grep -c 'info: RPMA02: returnpath from=<alice@example.org> to=<b0=' "$T/B.log")/$(grep -c 'RPMA01: returnpath' "$T/B.log")" '^1/0$'

# ---- C: in milterkit-chain after suppress -----------------------------------------
out=$(probe C --from '<alice@example.org>' --rcpt '<bounced@example.com>' \
    --rcpt '<bob@example.com>')
tap_like "chain: suppress refuses bounced@example.com at RCPT" \
    "$(printf '%s\n' "$out" | grep '^RCPT' | tr '\n' '|')" \
    '^RCPT <bounced@example\.com> => 550 5\.1\.1 [^|]*\|RCPT <bob@example\.com> => continue\|$'
tap_like "chain: the refused recipient does not count: one recipient, in the token" \
    "$(decode "$(chg_of "$out")")" '^sender=alice@example\.org rcpt=bob@example\.com '
out=$(probe C --from '<alice@example.org>' --rcpt '<bob@example.com>' \
    --rcpt '<bounced@example.com>')
tap_like "chain: a refused second recipient does not replace the first" \
    "$(decode "$(chg_of "$out")")" '^sender=alice@example\.org rcpt=bob@example\.com '
out=$(probe C --from '<alice@example.org>' --rcpt '<bob@example.com>' \
    --rcpt '<carol@example.net>')
tap_like "chain: two accepted recipients: sender only" \
    "$(decode "$(chg_of "$out")")" '^sender=alice@example\.org rcpt=- '
act=$(printf '%s\n' "$out" | sed -n 's/^NEGOTIATED actions=\(0x[0-9a-f]*\) .*/\1/p')
tap_is "chain: CHGFROM (0x40) among the actions negotiated" \
    "$(( ${act:-0} & 0x40 ))" 64

out=$(probe D --from '<alice@example.org>' --rcpt '<bob@example.com>' \
    --rcpt '<bounced@example.com>')
tap_like "chain, returnpath first: a second recipient refused after it is not the one" \
    "$(printf '%s\n' "$out" | grep -c '^RCPT <bounced@example.com> => 550')|$(decode "$(chg_of "$out")")" \
    '^1\|sender=alice@example\.org rcpt=bob@example\.com '
out=$(probe D --from '<alice@example.org>' --rcpt '<bounced@example.com>' \
    --rcpt '<bob@example.com>')
tap_like "chain, returnpath first: a first recipient refused after it is replaced by the next" \
    "$(decode "$(chg_of "$out")")" '^sender=alice@example\.org rcpt=bob@example\.com '

# ---- -t -----------------------------------------------------------------------
tcheck() {	# DESC REGEX LINES...: -t on [returnpath] with LINES
	local desc=$1 re=$2 out rc
	shift 2
	conf t returnpath "$@"
	out=$("$MILTER" -t -c "$T/t.conf" 2>&1); rc=$?
	tap_like "-t: $desc" "$rc|$out" "$re"
}
tcheck "a good configuration" '^0\|.*configuration OK' "${RP_LINES[@]}"
tcheck "secret_file is required" '^2\|.*secret_file is required' \
    "domains = *"
tcheck "no domains: it runs, rewriting nothing, and says so" \
    '^0\|.*domains is empty: no sender is rewritten' "secret_file = $T/secret"
tcheck "a key file others may read" '^2\|.*secret_file' "domains = *" \
    "secret_file = $T/bounce.table"
printf 'example.org bounces.%%d\n*.example.org bounces.%%d\n' > "$T/bad.table"
tcheck "a bad table line, with FILE:LINE" "^2\\|.*$T/bad\\.table:2: bad domain pattern" \
    "domains = *" "secret_file = $T/secret" "bounce_domain_table = $T/bad.table"
tcheck "a bad template, with FILE:LINE" "^2\\|.*$T/t\\.conf:[0-9]+: .*template" \
    "bounce_domain = bounces.%s"
tcheck "token_days out of bounds" "^2\\|.*$T/t\\.conf:[0-9]+: " "token_days = 400"

tap_done
