#!/bin/bash
# tests/milter/chain/test_chain_milter.sh - milterkit-chain through the
# milter protocol, and the chain's promises seen through testchain's
# record filter.
#
# A temporary store (bounced@example.com suppressed) and six instances in
# the foreground on unix sockets in a temp dir:
#   A  milterkit-chain, filters = suppress, headers (defaults)
#   B  milterkit-chain, [suppress] check = authenticated, [headers] all
#   R  milterkit-chain, filters = headers, suppress; reloaded (SIGHUP) to
#      filters = suppress
#   S  milterkit-suppress alone (what one filter negotiates, to compare)
#   H  testchain, filters = headers, record; record makes EDITS
#   P  testchain, filters = suppress, record
# Each miltertest scenario (ch_*.lua, helpers in ch_lib.lua) is one TAP
# point. miltertest shows no reply text at end of message and no index of
# an insert or change, so ch_probe.py speaks the protocol itself: it shows
# reply texts and the negotiated options, and applies the edits received
# at end of message to the block it sent, as an MTA does; record's log
# (testchain) shows the block as the filters left it.
# Loopback only; every process started here is stopped by its pid; every
# wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

CHAIN="$top_builddir/milters/chain/milterkit-chain"
TESTCHAIN="$top_builddir/tests/milter/chain/testchain"
SUPPRESS="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
HERE="$top_srcdir/tests/milter/chain"
PY=/usr/bin/python3
for f in "$CHAIN" "$TESTCHAIN" "$SUPPRESS" "$MK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ -x "$PY" ] || tap_bail "$PY not found"

MILTER=$CHAIN	# for lib.sh's check; each instance names its program
. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_chtest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
S="$T/store"
trap 'stop_all; rm -rf "$T"' EXIT
tap_watchdog 120
trap 'kill "$tap_watchdog_pid" 2>/dev/null; stop_all; rm -rf "$T"' EXIT

"$MK" --store "$S" suppress add bounced@example.com --reason bounce \
    >/dev/null 2>"$T/mk.err" || tap_bail "store fixture: $(cat "$T/mk.err")"

# The record filter's edits in H: deletions and insertions at several
# positions among duplicate Received fields (ch_edits.lua's block).
EDITS='del Received 2; ins 0 X-Rec-Top top; ins 2 X-Rec-Two two;
 chg Subject 1 changed subject; ins 5 X-Rec-Five five; del Received 3;
 chg Received 1 first changed; add X-Rec-End end; ins 100 X-Rec-Far far'
EDITS=$(printf '%s' "$EDITS" | tr '\n' ' ')

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
# run PROGRAM NAME: start PROGRAM on $T/NAME.conf (lib.sh's start)
run() { MILTER=$1 start "$2"; }

conf A chain "filters = suppress, headers"
conf B chain "filters = suppress, headers" "[suppress]" "check = authenticated" \
    "[headers]" "check = all"
conf R chain "filters = headers, suppress"
conf S suppress
conf H chain "filters = headers, record" "[record]" "log = $T/H.rec" \
    "edits = $EDITS"
conf P chain "filters = suppress, record" "[record]" "log = $T/P.rec"
run "$CHAIN" A; run "$CHAIN" B; run "$CHAIN" R; pidR=${pids[2]}
run "$SUPPRESS" S; run "$TESTCHAIN" H; run "$TESTCHAIN" P
instances_up A B R S H P

# probe INSTANCE [ch_probe.py args...] < HEADERS: the probe's transcript
probe() {
	local inst=$1
	shift
	timeout 20 "$PY" "$HERE/ch_probe.py" "unix:$T/$inst.sock" - "$@" 2>&1
}
rcpt_of() { printf '%s\n' "$1" | sed -n "s/^RCPT $2 => //p"; }
eom_of() { printf '%s\n' "$1" | sed -n 's/^EOM => //p'; }
edits_of() { printf '%s\n' "$1" | grep -E '^(ADD|INSERT|CHANGE|DELETE) ' | tr '\n' '|'; }
# rec INSTANCE QID WHAT: record's lines WHAT of message QID, "|"-joined
rec() { sed -n "s/^$2 $3 //p" "$T/$1.rec" | tr '\n' '|'; }

BLOCK='Received: from client.example (client.example [192.0.2.1])
	by mx.example.net; Sun, 22 Nov 2026 10:00:00 +0000
From: Sender <sender@example.org>
To: <rcpt@example.com>
Subject: hello
Date: Sun, 22 Nov 2026 10:00:00 +0000
X-Originating-IP: [10.1.2.3]'
RCPTS=(--rcpt '<bounced@example.com>' --rcpt '<fine@example.com>')

# ---- A: suppress, headers ----------------------------------------------------
tap_is "refusal at RCPT, then the header edits of the same message" \
    "$(scenario A ch_refuse)" 0
out=$(printf '%s\n' "$BLOCK" | probe A "${RCPTS[@]}" --qid CHP001)
tap_is "probe: the suppressed recipient gets 550 5.1.1 with its text, the clean one continues" \
    "$(rcpt_of "$out" '<bounced@example.com>')|$(rcpt_of "$out" '<fine@example.com>')" \
    "550 5.1.1 <bounced@example.com>: recipient address suppressed (bounce)|continue"
tap_like "probe: that message's end: X-Originating-IP deleted, Message-ID appended, continue" \
    "$(edits_of "$out")/$(eom_of "$out")" \
    "^DELETE 1 X-Originating-IP\\|ADD Message-ID:' <[^@ ]+@example\\.org>'\\|/continue$"

tap_is "a message headers rejects (no From): suppress refused its recipient first" \
    "$(scenario A ch_reject)" 0
out=$(printf '%s\n' "$BLOCK" | grep -v '^From:' | probe A "${RCPTS[@]}")
tap_like "probe: RCPT refused 550 5.1.1, then end of message 550 5.6.0, no edit" \
    "$(rcpt_of "$out" '<bounced@example.com>')|$(edits_of "$out")|$(eom_of "$out")" \
    '^550 5\.1\.1 .*\|\|550 5\.6\.0 .'

tap_is "two messages on one connection: refusals and edits right for each" \
    "$(scenario A ch_two)" 0
tap_is "negotiation: RCPT answered, headers with HDR_LEADSPC, no reply at CONNECT/MAIL/header" \
    "$(scenario A ch_negotiate)" 0
neg() { printf 'Subject: x\n' | probe "$1" | sed -n 's/^NEGOTIATED //p'; }
tap_is "suppress alone negotiates no header action, MAIL and RCPT macros only" \
    "$(neg S | sed 's/ protocol=[^ ]*//')" "actions=0x100 macros=MAIL:i {auth_authen}|RCPT:i"
negA=$(neg A)
tap_like "the chain asks for the union: ADDHDRS|CHGHDRS (+SETSYMLIST), both filters' macros, and the MTA's version (v) for its insert positions" \
    "$negA" '^actions=0x111 protocol=0x[0-9a-f]+ macros=CONNECT:v\|MAIL:i \{auth_authen\}\|RCPT:i\|DATA:i\|EOM:i\|EOH:i$'
p=$(printf '%s\n' "$negA" | sed -n 's/.*protocol=\(0x[0-9a-f]*\).*/\1/p')
tap_is "the chain answers RCPT (no NR_RCPT) and asks for headers (no NOHDRS)" \
    "$(( (${p:-0} & 0x8000) != 0 ))$(( (${p:-0} & 0x20) != 0 ))$(( (${p:-0} & 0x100000) != 0 ))" "001"
tap_is "no answer awaited per header field (NR_HDR): suppress has no header stage, headers never refuses there" \
    "$(( (${p:-0} & 0x80) != 0 ))" 1

# ---- B: checks per filter ----------------------------------------------------
tap_is "suppress check = authenticated, headers check = all: per-filter sessions" \
    "$(scenario B ch_check)" 0
out=$(printf '%s\n' "$BLOCK" | probe B "${RCPTS[@]}")
tap_like "probe: unauthenticated: suppressed recipient continues, Message-ID still added" \
    "$(rcpt_of "$out" '<bounced@example.com>')|$(edits_of "$out")" '^continue\|.*ADD Message-ID:'
out=$(printf '%s\n' "$BLOCK" | probe B "${RCPTS[@]}" --auth alice)
tap_like "probe: with {auth_authen}: 550 5.1.1, Message-ID added" \
    "$(rcpt_of "$out" '<bounced@example.com>')|$(edits_of "$out")" '^550 5\.1\.1 .*\|.*ADD Message-ID:'

# ---- R: reversed order, then a reload ------------------------------------------
tap_is "filters = headers, suppress (reversed): refusal and edits as well" \
    "$(scenario R ch_refuse MT_QID=CH0010)" 0
conf R chain "filters = suppress"
kill -HUP "$pidR"
if wait_for log_has R "reloaded $T/R.conf"; then tap_ok "SIGHUP to filters = suppress is reloaded"
else tap_fail "SIGHUP to filters = suppress is reloaded" "$(tail -3 "$T/R.log")"; fi
tap_is "after the reload new connections get the refusal and no header edit" \
    "$(scenario R ch_refuse MT_QID=CH0011 MT_EXPECT=noheaders)" 0

# ---- H: later filters see earlier edits; edit indices -----------------------------
out=$(printf '%s\n' "$BLOCK" | probe H --qid CHP010)
wait_for grep -q '^CHP010 eom-end' "$T/H.rec"
seen=$(rec H CHP010 eom-seen)
tap_like "record (after headers) sees the Message-ID headers added" "$seen" \
    "(^|\\|)Message-ID: <[^@ ]+@example\\.org>\\|"
tap_is "record (after headers) no longer sees the X-Originating-IP headers removed" \
    "$(printf '%s' "$seen" | grep -c 'X-Originating-IP')" 0
tap_like "record's header callback saw the field as sent (privacy header included)" \
    "$(rec H CHP010 header)" 'X-Originating-IP:\[10\.1\.2\.3\]'

tap_is "miltertest: inserts, appends, deletes and changes of headers + record reach the MTA" \
    "$(scenario H ch_edits)" 0
EBLOCK='Received: from a.example by mx.example.net
Received: from b.example by mx.example.net
Received: from c.example by mx.example.net
From: Sender <sender@example.org>
To: <rcpt@example.com>
Subject: hello
X-Originating-IP: [10.1.2.3]
Date: Sun, 22 Nov 2026 10:00:00 +0000
Received: from d.example by mx.example.net'
out=$(printf '%s\n' "$EBLOCK" | probe H --qid CHP011)
wait_for grep -q '^CHP011 eom-end' "$T/H.rec"
final=$(printf '%s\n' "$out" | sed -n 's/^FINAL //p' | tr '\n' '|')
tap_is "the edits the MTA gets, applied in order, give exactly the block record logged" \
    "$final" "$(rec H CHP011 eom-header)"
tap_is "that block is the one the edits ask for" "$final" \
"X-Rec-Top: top|Received: first changed|X-Rec-Two: two|Received: from c.example by mx.example.net|\
From: Sender <sender@example.org>|X-Rec-Five: five|To: <rcpt@example.com>|Subject: changed subject|\
Date: Sun, 22 Nov 2026 10:00:00 +0000|$(rec H CHP011 eom-seen | grep -o 'Message-ID: [^|]*')|\
X-Rec-End: end|X-Rec-Far: far|"
tap_is "the fewest commands: changes/deletes by descending position, then new fields" \
    "$(edits_of "$out" | sed "s/Message-ID:'[^']*'/Message-ID/")" \
"DELETE 4 Received|DELETE 1 X-Originating-IP|CHANGE 1 Subject:' changed subject'|DELETE 2 Received|\
CHANGE 1 Received:' first changed'|INSERT 0 X-Rec-Top:' top'|INSERT 2 X-Rec-Two:' two'|\
INSERT 5 X-Rec-Five:' five'|ADD Message-ID|ADD X-Rec-End:' end'|ADD X-Rec-Far:' far'|"

# ---- P: a refused recipient never reaches a later filter --------------------------
out=$(printf '%s\n' "$BLOCK" | probe P "${RCPTS[@]}" --qid CHP020)
wait_for grep -q '^CHP020 eom-end' "$T/P.rec"
tap_is "suppress refuses, record (later) sees the clean recipient only" \
    "$(rcpt_of "$out" '<bounced@example.com>' | cut -c1-9)|$(rec P CHP020 rcpt)$(rec P CHP020 refuse)" \
    "550 5.1.1|<fine@example.com>|"
tap_is "record counts the recipients the chain let pass: nrcpt 1" "$(rec P CHP020 nrcpt)" "1|"

stop_all
tap_done
