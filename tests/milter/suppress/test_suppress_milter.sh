#!/bin/bash
# tests/milter/suppress/test_suppress_milter.sh - milterkit-suppress through
# the milter protocol.
#
# A temporary store is filled with the milterkit command; seven instances of
# the milter run in the foreground on unix sockets in a temp dir, each with
# its own configuration (A: defaults; B: check = authenticated; C: check =
# networks; D: store missing, on_error tempfail; E: store missing, on_error
# accept; F: custom reply template and exempt list; G: reloaded with SIGHUP,
# good and broken files). Each miltertest scenario
# (su_*.lua, helpers in su_lib.lua) is one TAP point; miltertest cannot show
# the text of a reply set at RCPT (mt.getreply only gives SMFIR_REPLYCODE), so
# su_probe.py speaks the protocol itself to check reply codes and texts. The
# milters' stderr logs are checked for decision lines. Then -t.
# Loopback only; every process started here is stopped by its pid; every
# wait is bounded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"

MILTER="$top_builddir/milters/suppress/milterkit-suppress"
MK="$top_builddir/tools/milterkit"
HERE="$top_srcdir/tests/milter/suppress"
PY=/usr/bin/python3
[ -x "$MK" ] || tap_bail "$MK not built"
[ -x "$PY" ] || tap_bail "$PY not found"

. "$top_srcdir/tests/milter/lib.sh"
T=$(mktemp -d /tmp/mk_sutest.XXXXXX) || tap_bail "mktemp failed"
chmod 755 "$T"
S="$T/store"
trap 'stop_all; rm -rf "$T"' EXIT

mk() { "$MK" --store "$S" "$@" >/dev/null 2>>"$T/mk.err" || echo "milterkit $* failed" >>"$T/mk.err"; }

# ---- the store -------------------------------------------------------------
mk suppress add soon@example.com --reason bounce --expires 1
t_soon=$SECONDS
mk suppress add bounced@example.com --reason bounce --note secret-note-xyz
mk suppress add complained@example.com --reason complaint
mk suppress add unsubscribed@example.com --reason unsubscribe
mk suppress add manual@example.com --reason manual
mk suppress add carol@example.net --reason unsubscribe --scope news.example.org
mk suppress add @blocked.example --reason manual
mk suppress add @partner.example --reason manual
mk suppress add dave@example.net --reason bounce
mk suppress add dave@example.net --reason complaint --scope news.example.org
mk suppress add 'user@bücher.example' --reason bounce
mk suppress add other@xn--bcher-kva.example --reason bounce
mk suppress add Bob@Example.COM --reason bounce
[ -s "$T/mk.err" ] && tap_bail "store fixture: $(cat "$T/mk.err")"

# ---- the instances -----------------------------------------------------------
# conf NAME STORE [key = value lines of [suppress]...]
conf() {
	local name=$1 store=$2
	shift 2
	{
		printf '[store]\npath = %s\n\n[log]\nlevel = debug\n\n' "$store"
		printf '[suppress]\nsocket = unix:%s/%s.sock\nuser =\npidfile =\n' "$T" "$name"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/$name.conf"
}
conf A "$S"
conf B "$S" "check = authenticated"
conf C "$S" "check = networks" "networks = 127.0.0.0/8"
conf D "$T/nostore"
conf E "$T/nostore" "on_error = accept"
conf F "$S" "reply_bounce = 550 5.1.1 custom %a %r" \
	"exempt = info@, vip@blocked.example, @partner.example"
conf G "$S" "reply_bounce = 550 5.1.1 before reload %a"
for i in A B C D E F G; do start $i; done
pidG=${pids[6]}
instances_up A B C D E F G

# probe INSTANCE IP FROM [--auth U] RCPT...: su_probe.py's transcript
probe() {
	local inst=$1
	shift
	timeout 20 "$PY" "$HERE/su_probe.py" "unix:$T/$inst.sock" "$@" 2>&1
}
# reply_of TRANSCRIPT RCPT: the reply the milter gave to RCPT
reply_of() { printf '%s\n' "$1" | sed -n "s/^RCPT $2 => //p" | head -1; }

# ---- A: defaults --------------------------------------------------------------
tap_is "global bounce entry rejects that RCPT only, others continue" \
    "$(scenario A su_bounce)" 0
out=$(probe A 192.0.2.1 '<sender@example.org>' '<bounced@example.com>' '<fine@example.com>')
tap_is "bounce reply is 550 5.1.1 with the default text" "$(reply_of "$out" '<bounced@example.com>')" \
    "550 5.1.1 <bounced@example.com>: recipient address suppressed (bounce)"
tap_is "other recipient after a rejected one continues (probe)" \
    "$(reply_of "$out" '<fine@example.com>')" continue
tap_is "asks the MTA only for the macros it reads (MAIL: i {auth_authen}, RCPT: i)" \
    "$(printf '%s\n' "$out" | sed -n 's/^NEGOTIATED //p')" \
    "actions=0x100 macros=2:i {auth_authen}|3:i"
tap_like "the entry's note never appears in the reply" "$(printf '%s' "$out" | grep -c secret-note-xyz)" '^0$'
# Postfix's sendmail(1) path: cleanup emulates a CONNECT from localhost,
# port 0, and cannot refuse one recipient (it would keep the message in
# the maildrop for ever): such mail is left alone, with a log line.
out=$(probe A 127.0.0.1 --port 0 '<local@example.org>' '<bounced@example.com>' '<fine@example.com>')
tap_is "a local submission (CONNECT from port 0): suppressed recipient continues" \
    "$(reply_of "$out" '<bounced@example.com>')|$(reply_of "$out" '<fine@example.com>')" \
    "continue|continue"
wait_for log_has A 'skip from=<local@example.org> client=client.example\[127.0.0.1\]: local submission'
tap_like "the local submission is logged as left alone" \
    "$(grep 'from=<local@example.org>' "$T/A.log")" \
    'SUPROBE: skip from=<local@example\.org> client=client\.example\[127\.0\.0\.1\]: local submission \(not SMTP\), not checked'

tap_is "complaint, unsubscribe and manual entries reject" "$(scenario A su_reasons)" 0
out=$(probe A 192.0.2.1 '<sender@example.org>' '<complained@example.com>' \
    '<unsubscribed@example.com>' '<manual@example.com>')
got="$(reply_of "$out" '<complained@example.com>')|$(reply_of "$out" '<unsubscribed@example.com>')|$(reply_of "$out" '<manual@example.com>')"
tap_is "complaint/unsubscribe/manual replies are 550 5.7.1 naming the reason" "$got" \
    "550 5.7.1 <complained@example.com>: recipient address suppressed (complaint)|550 5.7.1 <unsubscribed@example.com>: recipient address suppressed (unsubscribe)|550 5.7.1 <manual@example.com>: recipient address suppressed (manual)"

tap_is "scoped entry applies to its sender domain only, not to <>" "$(scenario A su_scoped)" 0
tap_is "whole-domain entry rejects any address of the domain" "$(scenario A su_domain)" 0

tap_is "scoped and global entries for one address both reject" "$(scenario A su_precedence)" 0
out=$(probe A 192.0.2.1 '<list@news.example.org>' '<dave@example.net>')
tap_is "scoped beats global: reply of the scoped entry's reason (complaint)" \
    "$(reply_of "$out" '<dave@example.net>')" \
    "550 5.7.1 <dave@example.net>: recipient address suppressed (complaint)"
out=$(probe A 192.0.2.1 '<list@other.example>' '<dave@example.net>')
tap_is "another sender domain gets the global entry's reply (bounce)" \
    "$(reply_of "$out" '<dave@example.net>')" \
    "550 5.1.1 <dave@example.net>: recipient address suppressed (bounce)"
wait_for log_has A 'SU0005b: reject'
tap_like "log: scoped decision names scope and reason" "$(grep 'SU0005: reject' "$T/A.log")" \
    'SU0005: reject rcpt=<dave@example.net> .*scope=news\.example\.org .*reason=complaint'

while [ $((SECONDS - t_soon)) -lt 2 ]; do sleep 0.2; done
tap_is "expired entry does not count, live entry still rejects" "$(scenario A su_expired)" 0
tap_is "postmaster@ and abuse@ pass although @domain is suppressed" "$(scenario A su_exempt)" 0

tap_is "store change seen live: no entry, RCPT passes" \
    "$(scenario A su_live MT_EXPECT=pass MT_QID=SU0008a)" 0
mk suppress add live@example.com --reason bounce
tap_is "store change seen live: entry added while running, next RCPT rejected" \
    "$(scenario A su_live MT_EXPECT=reject MT_QID=SU0008b)" 0
mk suppress remove live@example.com
tap_is "store change seen live: entry removed, next RCPT passes" \
    "$(scenario A su_live MT_EXPECT=pass MT_QID=SU0008c)" 0
tap_is "milterkit add/remove of the live entry succeeded" "$(cat "$T/mk.err" 2>/dev/null)" ""

tap_is "IDN recipient matches in Unicode and ACE form, both ways" "$(scenario A su_idn)" 0
tap_is "case differences: Bob@Example.COM rejects bob@example.com" "$(scenario A su_case)" 0
tap_is "malformed recipient <a@@b> continues (left to the MTA)" "$(scenario A su_malformed)" 0
wait_for log_has A 'SU0011b: reject'
tap_like "malformed recipient: a warning is logged with the queue id" \
    "$(grep -E 'warn: .*SU0011' "$T/A.log" | head -1)" 'warn: .*SU0011'
tap_is "negotiation: only CONNECT, MAIL and RCPT; header call raises" "$(scenario A su_negotiate)" 0

# Several messages on one connection, an aborted one among them.
tap_is "one connection, several messages: each RCPT scoped by its own MAIL FROM; fresh after an abort" \
    "$(scenario A su_reset)" 0
wait_for log_has A 'SU0030e: reject'
tap_like "log: the second message's lookup used its own sender's scope" \
    "$(grep 'SU0030b: pass' "$T/A.log")" \
    'SU0030b: pass rcpt=<carol@example\.net> from=<list@other\.example> scope=other\.example$'
tap_like "log: after the abort, the new message has its own sender and scope" \
    "$(grep 'SU0030e: pass' "$T/A.log")" \
    'SU0030e: pass rcpt=<carol@example\.net> from=<list@other\.example> scope=other\.example$'
# MAIL is negotiated without reply: the skeleton's refusal of a sender past
# its bound comes at each RCPT of that message, with its reply.
longfrom="<$(printf 'x%.0s' $(seq 1 600))@example.org>"
out=$(probe A 192.0.2.1 "$longfrom" '<fine@example.com>' '<bounced@example.com>' \
    --mail '<sender@example.org>' '<fine@example.com>' '<bounced@example.com>')
tap_is "sender past the bound: 553 5.1.7 at each RCPT of its message; the next message checked" \
    "$(printf '%s\n' "$out" | sed -n 's/^RCPT \(<[a-z]*@example.com>\) => /\1 /p' | tr '\n' '|')" \
    "<fine@example.com> 553 5.1.7 Sender address too long|<bounced@example.com> 553 5.1.7 Sender address too long|<fine@example.com> continue|<bounced@example.com> 550 5.1.1 <bounced@example.com>: recipient address suppressed (bounce)|"

wait_for log_has A 'SU0001: reject'
tap_is "log: exactly one decision line for the one reject of SU0001" \
    "$(grep -c 'SU0001: reject' "$T/A.log")" 1
tap_like "log: decision line has rcpt=, from=, scope=, reason=" \
    "$(grep 'SU0001: reject' "$T/A.log" | head -1)" \
    'SU0001: reject rcpt=<bounced@example\.com> from=<sender@example\.org> .*scope=global .*reason=bounce'
tap_is "log: no reject line for recipients that passed" \
    "$(grep -cE 'SU0001: reject rcpt=<(first|second|third)@' "$T/A.log")" 0

# ---- B, C: which sessions are checked ---------------------------------------
tap_is "check = authenticated: MAIL without {auth_authen} accepted (left alone), with it checked" \
    "$(scenario B su_auth)" 0
tap_is "check = networks: 192.0.2.1 accepted at CONNECT (left alone), 127.0.0.1 checked" \
    "$(scenario C su_networks)" 0

# ---- D, E: the store is missing ----------------------------------------------
tap_is "store missing: RCPT gets a temporary failure" \
    "$(scenario D su_store_error MT_EXPECT=tempfail MT_QID=SU0015)" 0
out=$(probe D 192.0.2.1 '<sender@example.org>' '<bounced@example.com>')
tap_like "store missing: the reply is 451 4.3.0" "$(reply_of "$out" '<bounced@example.com>')" \
    '^451 4\.3\.0 '
wait_for log_has D 'SU0015: tempfail'
tap_like "store missing: tempfail line with rcpt, from and cause" \
    "$(grep 'SU0015: tempfail' "$T/D.log" | head -1)" \
    'SU0015: tempfail rcpt=<bounced@example\.com> from=<sender@example\.org> .*cause=.'
tap_is "store missing, on_error = accept: each RCPT continues (not accept)" \
    "$(scenario E su_store_error MT_EXPECT=accept MT_QID=SU0016)" 0
wait_for log_has E 'SU0016: accept rcpt=<other@example\.com>'
tap_is "on_error = accept: the recipient after a failed one is still looked up (a line each)" \
    "$(grep -oE 'SU0016: accept rcpt=<[a-z]+@example\.com>' "$T/E.log" | tr '\n' '|')" \
    "SU0016: accept rcpt=<bounced@example.com>|SU0016: accept rcpt=<other@example.com>|"
out=$(probe E 192.0.2.1 '<sender@example.org>' '<bounced@example.com>' '<other@example.com>')
tap_is "on_error = accept (probe): continue for each recipient" \
    "$(reply_of "$out" '<bounced@example.com>')|$(reply_of "$out" '<other@example.com>')" \
    "continue|continue"

# The missing store of D appears: picked up without a reload (bounded 5 s).
S2=$S
S="$T/nostore"
mk suppress add bounced@example.com --reason bounce
S=$S2
got=
for i in $(seq 1 25); do
	got=$(reply_of "$(probe D 192.0.2.1 '<sender@example.org>' '<bounced@example.com>')" \
	    '<bounced@example.com>')
	case $got in 550*) break ;; esac
	sleep 0.2
done
tap_like "a store created while running is used within seconds" "$got" '^550 5\.1\.1 '
rm -rf "$T/nostore"
for i in $(seq 1 25); do
	got=$(reply_of "$(probe D 192.0.2.1 '<sender@example.org>' '<bounced@example.com>')" \
	    '<bounced@example.com>')
	case $got in 451*) break ;; esac
	sleep 0.2
done
tap_like "a store deleted while running is noticed within seconds (451)" "$got" '^451 4\.3\.0 '

# ---- F: custom template, configured exempt list ----------------------------
tap_is "custom template: bounce entry still rejects" "$(scenario F su_custom)" 0
out=$(probe F 192.0.2.1 '<sender@example.org>' '<bounced@example.com>')
tap_is "custom reply template is used (%a %r expanded)" \
    "$(reply_of "$out" '<bounced@example.com>')" "550 5.1.1 custom bounced@example.com bounce"
tap_is "configured exempt list: local@, address and @domain forms" \
    "$(scenario F su_exempt_list)" 0

# ---- G: SIGHUP reload --------------------------------------------------------
bounce_reply() {
	reply_of "$(probe G 192.0.2.1 '<sender@example.org>' '<bounced@example.com>')" \
	    '<bounced@example.com>'
}
tap_is "before the reload: the configured reply" "$(bounce_reply)" \
    "550 5.1.1 before reload bounced@example.com"
conf G "$S" "reply_bounce = 550 5.1.1 after reload %a"
kill -HUP "$pidG"
if wait_for log_has G "reloaded $T/G.conf"; then tap_ok "SIGHUP with a good file logs reloaded"
else tap_fail "SIGHUP with a good file logs reloaded" "$(tail -3 "$T/G.log")"; fi
tap_is "after SIGHUP the next connection uses the new reply template" "$(bounce_reply)" \
    "550 5.1.1 after reload bounced@example.com"
conf G "$S" "reply_bounce = 250 2.0.0 not a refusal"
kill -HUP "$pidG"
if wait_for log_has G "error: reload failed, keeping the running configuration: $T/G.conf:[0-9]+: "; then
	tap_ok "SIGHUP with a bad file logs the error with FILE:LINE"
else
	tap_fail "SIGHUP with a bad file logs the error with FILE:LINE" "$(tail -3 "$T/G.log")"
fi
tap_is "a bad file on SIGHUP keeps the running configuration" "$(bounce_reply)" \
    "550 5.1.1 after reload bounced@example.com"
tap_check "the milter runs on after the bad reload" kill -0 "$pidG"

stop_all

# ---- -t ----------------------------------------------------------------------
out=$("$MILTER" -t -c "$T/F.conf" 2>&1); rc=$?
tap_is "-t accepts a good configuration (exit 0)" "$rc" 0
badt() {	# DESC LINE: a good file with LINE appended to [suppress]
	local f="$T/bad.conf"
	conf bad "$S"
	printf '%s\n' "$2" >> "$f"
	out=$("$MILTER" -t -c "$f" 2>&1); rc=$?
	local line
	line=$(grep -nxF -- "$2" "$f" | cut -d: -f1)
	tap_like "-t refuses $1 with FILE:LINE (exit 2)" "$rc|$out" "^2\|.*$f:$line: "
}
badt "a 2xx reply template" "reply_bounce = 250 2.0.0 x"
badt "a class mismatch 550 4.1.1" "reply_complaint = 550 4.1.1 x"
badt "a bad network 10.0.0.0/33" "networks = 10.0.0.0/33"
badt "a bad check value" "check = sometimes"

tap_done
