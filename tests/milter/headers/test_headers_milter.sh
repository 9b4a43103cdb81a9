#!/bin/bash
# tests/milter/headers/test_headers_milter.sh - milterkit-headers through the
# milter protocol.
#
# Six instances run in the foreground on unix sockets in a temp dir, each
# with its own [headers] section:
#   A  defaults, internal_networks = 10.0.0.0/8, internal_hosts = .corp.example
#   B  every rule off (message_id, date, mime_version = no; missing_from,
#      multiple_from, duplicates, long_lines, eight_bit = accept;
#      remove_headers empty)
#   C  missing_from = add, duplicates = keep-first, message_id_domain,
#      date_zone = utc, long_lines = reject, eight_bit = reject,
#      check = authenticated
#   D  feedback_id, unsubscribe_domains/secret/url
#   E  max_headers = 10, max_header_size = 1000, check = networks
#   F  date = no, then reloaded with SIGHUP: date = yes, then a bad file
# Each miltertest scenario (hm_*.lua, helpers in hm_lib.lua) is one TAP point
# and checks the edits (MT_HDRADD/INSERT/CHANGE/DELETE, mt.getheader) and
# whether the message passed. miltertest shows neither reply texts at end of
# message nor delete indexes nor leading blanks, so hm_probe.py speaks the
# protocol itself for those. Then the decision log lines, and -t.
# Loopback only; every process started here is stopped by its pid; every
# wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/milters/headers/milterkit-headers"
HERE="$top_srcdir/tests/milter/headers"
PY=/usr/bin/python3
[ -x "$PY" ] || tap_bail "$PY not found"

. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_hmtest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
trap 'stop_all; rm -rf "$T"' EXIT

# ---- the instances -----------------------------------------------------------
printf 'an unsubscribe token key of the tests\n' > "$T/secret"
chmod 600 "$T/secret"
# conf NAME [key = value lines of [headers]...]
conf() {
	local name=$1
	shift
	{
		printf '[log]\nlevel = debug\n\n'
		printf '[headers]\nsocket = unix:%s/%s.sock\nuser =\npidfile =\n' "$T" "$name"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/$name.conf"
}
conf A "internal_networks = 10.0.0.0/8" "internal_hosts = .corp.example"
conf B "message_id = no" "date = no" "mime_version = no" "missing_from = accept" \
	"multiple_from = accept" "duplicates = accept" "remove_headers =" \
	"long_lines = accept" "eight_bit = accept"
conf C "missing_from = add" "duplicates = keep-first" \
	"message_id_domain = relay.example" "date_zone = utc" \
	"long_lines = reject" "eight_bit = reject" "check = authenticated"
conf D "feedback_id = %d:%u:milterkit" "unsubscribe_domains = news.example" \
	"unsubscribe_secret_file = $T/secret" \
	"unsubscribe_url = https://unsub.example/%d/%t"
conf E "max_headers = 10" "max_header_size = 1000" "check = networks" \
	"networks = 127.0.0.0/8"
conf F "date = no"
for i in A B C D E F; do start $i; done
pidF=${pids[5]}
instances_up A B C D E F

# probe INSTANCE [hm_probe.py args...] < HEADERS: the probe's transcript
probe() {
	local inst=$1
	shift
	timeout 20 "$PY" "$HERE/hm_probe.py" "unix:$T/$inst.sock" - "$@" 2>&1
}
eom_of() { printf '%s\n' "$1" | sed -n 's/^EOM => //p'; }
edits_of() { printf '%s\n' "$1" | grep -E '^(ADD|INSERT|CHANGE|DELETE) ' | tr '\n' '|'; }

CLEAN='Received: from client.example (client.example [192.0.2.1])
	by mx.example.net; Sun, 22 Nov 2026 10:00:00 +0000
From: Sender <sender@example.org>
To: <rcpt@example.com>
Subject: hello
Date: Sun, 22 Nov 2026 10:00:00 +0000
Message-ID: <abc.123@example.org>'
without() { printf '%s\n' "$CLEAN" | grep -v "^$1:"; }

# ---- A: defaults ---------------------------------------------------------------
tap_is "negotiation: headers with HDR_LEADSPC; HELO, EOH and body away" \
    "$(scenario A hm_negotiate)" 0
out=$(printf '%s\n' "$CLEAN" | probe A)
tap_like "negotiated actions ADDHDRS|CHGHDRS|SETSYMLIST, flag HDR_LEADSPC, its macros only (and the MTA's version, v)" \
    "$(printf '%s\n' "$out" | head -1)" \
    '^NEGOTIATED actions=0x111 protocol=0x1[0-9a-f]{5} macros=CONNECT:v\|MAIL:i \{auth_authen\}\|RCPT:i\|DATA:i\|EOM:i\|EOH:i$'
tap_is "a clean header block passes untouched" "$(scenario A hm_accept)" 0
tap_is "probe: a clean header block gets no edit, EOM continue" \
    "$(edits_of "$out")/$(eom_of "$out")" "/continue"

tap_is "message_id = yes: missing added from the From domain, invalid replaced" \
    "$(scenario A hm_msgid)" 0
out=$(without Message-ID | probe A --qid HMP001)
tap_like "probe: Message-ID added with its leading blank, as <unique@example.org>" \
    "$(edits_of "$out")" "^ADD Message-ID:' <[^@ ]+@example\\.org>'\\|$"
wait_for log_has A 'HMP001: add Message-ID='
tap_like "log: one line for the added Message-ID, with queue id and reason" \
    "$(grep 'HMP001: ' "$T/A.log" | grep -v debug)" \
    '^[^:]+: info: HMP001: add Message-ID=<[^@ ]+@example\.org> \(.+\)$'

tap_is "date = yes: a missing Date is added (RFC 5322), a present one kept" \
    "$(scenario A hm_date)" 0
tap_is "mime_version = yes: MIME content without MIME-Version gets 1.0" \
    "$(scenario A hm_mime)" 0

tap_is "missing_from = reject, multiple_from = reject (Sender saves it)" \
    "$(scenario A hm_from)" 0
out=$(without From | probe A --qid HMP002)
tap_like "probe: a missing From is answered 550 5.6.0" "$(eom_of "$out")" '^550 5\.6\.0 .'
out=$(without From | { cat; echo 'From: a@example.org, b@example.org'; } | probe A)
tap_like "probe: From with two mailboxes and no Sender is answered 550 5.6.0" \
    "$(eom_of "$out")" '^550 5\.6\.0 .'

tap_is "duplicates = reject: a second Subject, Date, To or Message-ID rejects" \
    "$(scenario A hm_dup)" 0
out=$({ printf '%s\n' "$CLEAN"; echo 'Subject: again'; } | probe A --qid HMP003)
tap_like "probe: a duplicate Subject is answered 550 5.6.0 naming Subject" \
    "$(eom_of "$out")" '^550 5\.6\.0 .*Subject'
wait_for log_has A 'HMP003: reject'
tap_like "log: the rejection is one line with queue id, sender and reply" \
    "$(grep -c 'HMP003: reject' "$T/A.log")|$(grep 'HMP003: reject' "$T/A.log")" \
    '^1\|.*HMP003: reject from=<sender@example\.org> client=.*550 5\.6\.0 .*Subject'

tap_is "privacy: X-Originating-IP, script headers, internal Received deleted" \
    "$(scenario A hm_privacy)" 0
out=$({ printf '%s\n' "$CLEAN"; echo 'X-Originating-IP: [10.1.2.3]'
	echo 'Received: from app.internal (app.internal [10.1.2.3])'
	echo '	by relay.example.net; Sun, 22 Nov 2026 09:59:00 +0000'; } | probe A --qid HMP004)
tap_like "probe: the 2nd Received (10.1.2.3) and X-Originating-IP are deleted, the 1st kept" \
    "$(edits_of "$out" | tr '|' '\n' | sort | tr '\n' '|')" \
    '^DELETE 1 X-Originating-IP\|DELETE 2 Received\|$'
wait_for log_has A 'HMP004: delete Received'
tap_like "log: one line per deleted header, with the queue id" \
    "$(grep -c 'HMP004: delete' "$T/A.log")|$(grep 'HMP004: delete X-Orig' "$T/A.log")" \
    '^2\|.*HMP004: delete X-Originating-IP \(.+\)$'

# Long lines go through the probe only: miltertest itself crashes on a
# header field of more than about 1,024 octets.
LONGSUBJ="Subject: $(printf 'word %.0s' $(seq 1 300))end"
BLOB="X-Blob: $(printf 'x%.0s' $(seq 1 1200))"
out=$(without Subject | { cat; printf '%s\n' "$LONGSUBJ"; } | probe A)
got=$(printf '%s\n' "$out" | sed -n "s/^CHANGE 1 Subject:'\\(.*\\)'\$/\\1/p")
tap_like "long_lines = fold: a 1,500-octet Subject is changed into lines <= 998 octets, same words" \
    "$(printf '%b' "$got" | awk '{ if (length($0) > m) m = length($0) } END { print (m <= 998 && NR > 1) ? "ok" : "bad " m " " NR }')|$(printf '%b' "$got" | wc -w)|$(eom_of "$out")" \
    '^ok\|301\|continue$'
out=$({ printf '%s\n' "$CLEAN"; printf '%s\n' "$BLOB"; } | probe A)
tap_like "long_lines = fold: a 1,200-octet line without blanks is answered 550 5.6.0" \
    "$(edits_of "$out")/$(eom_of "$out")" '^/550 5\.6\.0 .'
tap_is "eight_bit = encode: raw UTF-8 encoded, SMTPUTF8 left alone, non-UTF-8 rejected" \
    "$(scenario A hm_8bit)" 0
out=$(without Subject | { cat; printf 'Subject: Gr\303\274\303\237e\n'; } | probe A)
tap_like "probe: the 8-bit Subject becomes an RFC 2047 UTF-8 encoded word" \
    "$(edits_of "$out")" "^CHANGE 1 Subject:' =\\?(UTF|utf)-8\\?[BbQq]\\?[^ ]+\\?='\\|$"

tap_is "one connection, several messages: each edited on its own; fresh after an abort" \
    "$(scenario A hm_reset)" 0
wait_for log_has A 'HM0020: add Message-ID='
tap_is "log: edits for the first message only, none for the later ones" \
    "$(grep -oE 'HM0020[a-z]?: (add|insert|change|delete|reject) [A-Za-z-]+' "$T/A.log" | sort | tr '\n' '|')" \
    "HM0020: add Date|HM0020: add Message-ID|"
# MAIL and RCPT are negotiated without reply: the skeleton's refusal of a
# sender past its bound comes at end of message, with its reply.
longfrom="<$(printf 'x%.0s' $(seq 1 600))@example.org>"
out=$(printf '%s\n' "$CLEAN" | probe A --from "$longfrom" --qid HMP007)
tap_is "sender past the bound: no answer at MAIL and RCPT, 553 5.1.7 at end of message, no edit" \
    "$(printf '%s\n' "$out" | grep -E '^(MAIL|RCPT) ' | tr '\n' '|')$(edits_of "$out")$(eom_of "$out")" \
    "MAIL => continue|RCPT <rcpt@example.com> => continue|553 5.1.7 Sender address too long"
wait_for log_has A 'HMP007: reject: sender address'
tap_like "log: the long sender is logged with its length and queue id" \
    "$(grep 'HMP007: ' "$T/A.log")" "HMP007: reject: sender address of ${#longfrom} bytes"

# ---- B: every rule off ------------------------------------------------------------
tap_is "off: message_id = no adds and replaces nothing" "$(scenario B hm_msgid MT_EXPECT=off)" 0
tap_is "off: date = no adds nothing" "$(scenario B hm_date MT_EXPECT=off)" 0
tap_is "off: mime_version = no adds nothing" "$(scenario B hm_mime MT_EXPECT=off)" 0
tap_is "off: missing_from = accept, multiple_from = accept pass" \
    "$(scenario B hm_from MT_EXPECT=accept)" 0
tap_is "off: duplicates = accept keeps both" "$(scenario B hm_dup MT_EXPECT=accept)" 0
tap_is "off: remove_headers empty, no internal lists: nothing deleted" \
    "$(scenario B hm_privacy MT_EXPECT=off)" 0
out=$({ without Subject; printf '%s\n' "$LONGSUBJ" "$BLOB"; } | probe B)
tap_is "off: long_lines = accept leaves long lines alone" "$(edits_of "$out")/$(eom_of "$out")" "/continue"
out=$(printf 'Subject: bare\n' | probe B)
tap_is "off: a block missing everything passes with no edit at all" \
    "$(edits_of "$out")/$(eom_of "$out")" "/continue"

# ---- C: the other settings, check = authenticated --------------------------------
tap_is "check = authenticated: unauthenticated MAIL accepted (left alone), SASL rewritten" \
    "$(scenario C hm_session)" 0
# nr INSTANCE: whether it negotiated no answer at CONNECT and at MAIL
nr() {
	local p
	p=$(printf '%s\n' "$CLEAN" | probe "$1" | sed -n '1s/.* protocol=\(0x[0-9a-f]*\) .*/\1/p')
	[ -n "$p" ] && echo "conn=$(( (p & 0x1000) != 0 )) mail=$(( (p & 0x4000) != 0 ))"
}
tap_is "check = all: no answer awaited at CONNECT and MAIL" "$(nr A)" "conn=1 mail=1"
tap_is "check = authenticated: MAIL is answered, so that messages can be left alone" \
    "$(nr C)" "conn=1 mail=0"
tap_is "missing_from = add: From added from the envelope sender" \
    "$(scenario C hm_from MT_EXPECT=add MT_AUTH=alice)" 0
tap_is "duplicates = keep-first: later copies deleted, first kept" \
    "$(scenario C hm_dup MT_EXPECT=keep-first MT_AUTH=alice)" 0
out=$({ printf '%s\n' "$CLEAN"; echo 'Subject: two'; echo 'Subject: three'; } |
    probe C --auth alice --qid HMP005)
tap_is "probe: keep-first deletes Subject 3 then 2 (stable under MTA renumbering)" \
    "$(edits_of "$out")/$(eom_of "$out")" "DELETE 3 Subject|DELETE 2 Subject|/continue"
tap_is "message_id_domain: the added Message-ID uses relay.example" \
    "$(scenario C hm_msgid MT_EXPECT_DOMAIN=relay.example MT_AUTH=alice)" 0
tap_is "date_zone = utc: the added Date is +0000" \
    "$(scenario C hm_date MT_EXPECT=utc MT_AUTH=alice)" 0
out=$(without Subject | { cat; printf '%s\n' "$LONGSUBJ"; } | probe C --auth alice)
tap_like "long_lines = reject: a foldable long Subject is answered 550 5.6.0" \
    "$(edits_of "$out")/$(eom_of "$out")" '^/550 5\.6\.0 .'
tap_is "eight_bit = reject: raw 8-bit header text without SMTPUTF8 rejected" \
    "$(scenario C hm_8bit MT_EXPECT=reject MT_AUTH=alice)" 0
out=$(without Subject | { cat; printf 'Subject: Gr\303\274\303\237e\n'; } | probe C --auth alice)
tap_like "probe: eight_bit = reject answers 550 5.6.0" "$(eom_of "$out")" '^550 5\.6\.0 .'

# ---- D: Feedback-ID and List-Unsubscribe ------------------------------------------
tap_is "feedback_id: incoming Feedback-ID deleted, template one added" \
    "$(scenario D hm_feedback)" 0
tap_is "feedback_id empty (B): an incoming Feedback-ID stays" \
    "$(scenario B hm_feedback MT_EXPECT=off)" 0
tap_is "unsubscribe_domains: single-recipient mail gets List-Unsubscribe(-Post)" \
    "$(scenario D hm_listunsub)" 0
t1=$(printf '%s\n' "$CLEAN" | probe D --from '<list@news.example>' --rcpt '<a@example.com>' |
    sed -n "s/^ADD List-Unsubscribe:'.*mailto:unsubscribe+\\([^@]*\\)@.*/\\1/p")
t2=$(printf '%s\n' "$CLEAN" | probe D --from '<list@news.example>' --rcpt '<b@example.com>' |
    sed -n "s/^ADD List-Unsubscribe:'.*mailto:unsubscribe+\\([^@]*\\)@.*/\\1/p")
t3=$(printf '%s\n' "$CLEAN" | probe D --from '<x@news.example>' --rcpt '<a@example.com>' |
    sed -n "s/^ADD List-Unsubscribe:'.*mailto:unsubscribe+\\([^@]*\\)@.*/\\1/p")
tap_like "the token depends on the recipient, not on the sender's local part" \
    "$t1|$t2|$t3" '^([^|]+)\|[^|]+\|\1$'
tap_check "the tokens of two recipients differ" test -n "$t1" -a "$t1" != "$t2"

# ---- E: limits, check = networks ------------------------------------------------------
tap_is "check = networks: 192.0.2.1 accepted at CONNECT (left alone), 127.0.0.1 rewritten" \
    "$(scenario E hm_session MT_EXPECT=networks)" 0
tap_is "check = networks: CONNECT is answered, so that sessions can be left alone" \
    "$(nr E)" "conn=0 mail=1"
tap_is "max_headers = 10: a message with 11 fields rejected, ten pass" \
    "$(scenario E hm_limits MT_IP=127.0.0.1)" 0
out=$({ printf '%s\n' "$CLEAN"; printf 'X-Big: %s\n' "$(printf 'y %.0s' $(seq 1 600))"; } |
    probe E --ip 127.0.0.1)
tap_like "max_header_size = 1000: a 1,207-octet field: 552 5.3.4 at end of message" \
    "$(printf '%s\n' "$out" | grep '^HEADER ')|$(eom_of "$out")" '^\|552 5\.3\.4 .*too long'
out=$({ printf '%s\n' "$CLEAN"; printf 'X-Big: %s\n' "$(printf 'y%.0s' $(seq 1 993))"; } |
    probe E --ip 127.0.0.1)
tap_is "max_header_size = 1000: a field of exactly 1,000 octets passes" "$(eom_of "$out")" continue
out=$({ printf '%s\n' "$CLEAN"; for i in 1 2 3 4 5; do echo "Comments: $i"; done; } |
    probe E --ip 127.0.0.1 --qid HMP006)
tap_like "probe: 11 header fields: 552 5.3.4 at end of message, no header answered" \
    "$(printf '%s\n' "$out" | grep '^HEADER ')|$(eom_of "$out")" '^\|552 5\.3\.4 .*too many'
wait_for log_has E 'HMP006: reject'
tap_like "log: the limit rejection names the limit" \
    "$(grep 'HMP006: reject' "$T/E.log")" 'HMP006: reject .*too many header fields'

# ---- F: SIGHUP reload -----------------------------------------------------------
date_edit() { without Date | probe F | grep -c '^ADD Date:'; }
tap_is "before the reload: date = no adds no Date" "$(date_edit)" 0
conf F "date = yes"
kill -HUP "$pidF"
if wait_for log_has F "reloaded $T/F.conf"; then tap_ok "SIGHUP with a good file logs reloaded"
else tap_fail "SIGHUP with a good file logs reloaded" "$(tail -3 "$T/F.log")"; fi
tap_is "after SIGHUP the next connection uses the new rule (Date added)" "$(date_edit)" 1
conf F "date = yes" "duplicates = sometimes"
kill -HUP "$pidF"
if wait_for log_has F "error: reload failed, keeping the running configuration: $T/F.conf:[0-9]+: "; then
	tap_ok "SIGHUP with a bad file logs the error with FILE:LINE"
else
	tap_fail "SIGHUP with a bad file logs the error with FILE:LINE" "$(tail -3 "$T/F.log")"
fi
tap_is "a bad file on SIGHUP keeps the running configuration (Date still added)" "$(date_edit)" 1
tap_check "the milter runs on after the bad reload" kill -0 "$pidF"

stop_all

# ---- -t ----------------------------------------------------------------------
out=$("$MILTER" -t -c "$T/D.conf" 2>&1); rc=$?
tap_is "-t accepts a good configuration (exit 0)" "$rc" 0
badt() {	# DESC LINE: a good file with LINE appended to [headers]
	local f="$T/bad.conf"
	conf bad
	printf '%s\n' "$2" >> "$f"
	out=$("$MILTER" -t -c "$f" 2>&1); rc=$?
	local line
	line=$(grep -nxF -- "$2" "$f" | cut -d: -f1)
	tap_like "-t refuses $1 with FILE:LINE (exit 2)" "$rc|$out" "^2\|.*$f:$line: "
}
badt "an unknown duplicates choice" "duplicates = sometimes"
badt "an http unsubscribe_url" "unsubscribe_url = http://u.example/%t"
badt "a bad internal network" "internal_networks = 10.0.0.0/33"
badt "max_headers below its minimum" "max_headers = 1"

tap_done
