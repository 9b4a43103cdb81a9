#!/bin/bash
# tests/e2e/test_feedback.sh - the feedback loop through the lab's Postfix.
#
# milterkit-chain serves suppress, returnpath, headers (as nobody): the
# returnpath filter rewrites MAIL FROM to a token on bounces.example.com,
# the headers filter adds List-Unsubscribe (mailto: on bounces.example.com,
# and the one-click URL of milterkit-unsubd); transport_maps sends
# bounces.example.com to a pipe transport running `milterkit ingest`
# (user nobody, the store's owner) and refuse.example to refuser.py, an
# SMTP server that refuses dead@ with 550 5.1.1 and full@ with 552 5.2.2.
# 1. the relayed message carries the token, which maps back to sender and
#    recipient;
# 2. hard bounce: Postfix's own DSN for dead@ reaches ingest through the
#    pipe, dead@ is suppressed, the next message to it is refused at RCPT;
# 3. soft bounces: full@ is counted, then suppressed at the threshold (2),
#    for a while (an expiry), and refused at RCPT;
# 4. complaint: an ARF report naming the token of a relayed message
#    suppresses that recipient for the sender's domain only;
# 5. mailto unsubscribe: mail from the recipient to the List-Unsubscribe
#    mailto: address;
# 6. one-click: a POST to the List-Unsubscribe URL through milterkit-unsubd.
# Bounded to 180 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/ingest/mkreport.sh"

CHAIN="$top_builddir/milters/chain/milterkit-chain"
UNSUBD="$top_builddir/unsubd/milterkit-unsubd"
MK="$top_builddir/tools/milterkit"
TOK="$top_builddir/tests/lib/mktoken"
for f in "$CHAIN" "$UNSUBD" "$MK" "$TOK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

tap_plan 20
lab_test_start "${TEST_TIMEOUT:-180}" "local_header_rewrite_clients ="

D=$(lab_daemon_dir fb) || tap_bail "no daemon directory"
SOCK=$D/chain.sock
CONF=$D/milterkit.conf
printf 'return-path-key-of-the-lab-test\n' >"$D/rp.key"
printf 'unsubscribe-key-of-the-lab-test\n' >"$D/un.key"
: >"$D/mk.log"
chown nobody "$D/rp.key" "$D/un.key" "$D/mk.log"
chmod 600 "$D/rp.key" "$D/un.key"

RPORT=$(lab__free_port) || tap_bail "no free port"
UPORT=$(lab__free_port) || tap_bail "no free port"
cat >"$CONF" <<EOF
[store]
path = $D/store
[log]
level = info
target = file:$D/mk.log
[chain]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =
filters = suppress, returnpath, headers
[returnpath]
secret_file = $D/rp.key
bounce_domain = bounces.%d
domains = example.com
[headers]
unsubscribe_domains = example.com
unsubscribe_secret_file = $D/un.key
unsubscribe_mailto = unsubscribe+%t@bounces.%d
unsubscribe_url = https://unsub.example.com/unsubscribe?d=%d&r=%r&t=%t
[ingest]
soft_threshold = 2
[unsubd]
socket = inet:$UPORT@127.0.0.1
user = nobody
pidfile =
EOF
"$MK" -c "$CONF" store init >/dev/null 2>"$D/init.err" ||
	tap_bail "store init: $(cat "$D/init.err")"
chown -R nobody "$D/store"

# The remote MX that refuses, by pid.
python3 "$top_srcdir/tests/e2e/refuser.py" "$RPORT" "$D/refuser.pid" \
    "$D/refuser.log" "dead=550 5.1.1 <dead@refuse.example>: Recipient address rejected: User unknown" \
    "full=552 5.2.2 <full@refuse.example>: Mailbox full" &
lab_at_exit "kill \$(cat '$D/refuser.pid' 2>/dev/null) 2>/dev/null"
for i in $(seq 50); do [ -s "$D/refuser.pid" ] && break; sleep 0.1; done

daemon_start "inet:$UPORT@127.0.0.1" "$D/unsubd.err" "$UNSUBD" -f -c "$CONF"
UNSUBD_PID=$daemon_pid
lab_at_exit "daemon_stop $UNSUBD_PID"

if lab_daemon_start "$SOCK" "$D/chain.err" "$CHAIN" -f -c "$CONF"; then
	tap_ok "milterkit-chain (suppress, returnpath, headers) starts"
else
	tap_fail "milterkit-chain (suppress, returnpath, headers) starts" "$(tail -5 "$D/chain.err")"
fi
printf 'bounces.example.com milterkit-ingest:\nrefuse.example smtp:[127.0.0.1]:%s\n' \
    "$RPORT" >"$LAB_CONF/transport"
printf '%s\n  %s\n' 'milterkit-ingest unix - n n - - pipe' \
    "flags=Rq user=nobody argv=$MK -c $CONF ingest --recipient \${original_recipient}" \
    >>"$LAB_CONF/master.cf"
lab_postconf "smtpd_milters = unix:$SOCK" "milter_default_action = tempfail" \
    "transport_maps = texthash:$LAB_CONF/transport" &&
	lab_reload || tap_bail "could not set the lab up"

MSG=$D/msg.eml
send() {	# FROM TO
	printf 'From: <%s>\nTo: <%s>\nSubject: feedback loop\nDate: Sat, 5 Dec 2026 10:00:00 +0000\n\nhello %s\n' \
	    "$1" "$2" "$2" >"$MSG"
	lab_send --from "$1" --to "$2" --data "$MSG"
}
# wait_entry RCPT SECONDS [SENDER-DOMAIN]: until `suppress check` says so
wait_entry() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		"$MK" -c "$CONF" suppress check "$1" ${3:+--sender "x@$3"} \
		    >"$D/check.out" 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
entry() { "$MK" -c "$CONF" suppress list 2>&1 | grep -F "	$1	" | tr '\n' ' '; }
# The newest captured message to RCPT.
sink_for() {
	local f
	for f in $(lab__sink_files | tac); do
		grep -q "^X-Rcpt-Args: *<$1>" "$f" && { echo "$f"; return 0; }
	done
	return 1
}
# wait_sink_for RCPT SECONDS
wait_sink_for() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		sink_for "$1" && return 0
		sleep 0.2
	done
	echo /dev/null
	return 1
}
# The List-Unsubscribe field of a captured message, unfolded.
list_unsub() {
	awk '/^\r?$/ { exit } { sub(/\r$/, "") }
		/^List-Unsubscribe:/ { on = 1; printf "%s", $0; next }
		on && /^[ \t]/ { printf "%s", $0; next }
		{ on = 0 }' "$1"
}

# ---- 1: the return path ------------------------------------------------------
send news@example.com bob@example.net
M1=$(wait_sink_for bob@example.net 15)
RP=$(sed -n 's/^X-Mail-Args: *FROM:<\([^>]*\)>.*/\1/p; s/^X-Mail-Args: *<\([^>]*\)>.*/\1/p' "$M1" | head -1)
tap_like "the relayed message's MAIL FROM is a token on bounces.example.com" \
    "$RP" '^b0=[a-z2-7]{8}=[a-z2-7]{4}=news=example\.com=bob=example\.net@bounces\.example\.com$'
tap_like "the token maps back to sender and recipient" \
    "$("$TOK" rp-parse "$D/rp.key" "${RP%@*}")" '^sender=news@example.com rcpt=bob@example.net '

# ---- 2: a hard bounce ----------------------------------------------------------
send news@example.com dead@refuse.example
if wait_entry dead@refuse.example 30; then
	tap_ok "Postfix's DSN for 550 5.1.1 went through the pipe: dead@ suppressed"
else
	tap_fail "Postfix's DSN for 550 5.1.1 went through the pipe: dead@ suppressed" \
	    "$(tail -5 "$D/mk.log"; grep -i 'milterkit-ingest\|bounce' "$LAB_DIR/maillog" | tail -5)"
fi
tap_like "global, reason bounce" "$(entry dead@refuse.example)" '^global	dead@refuse\.example	bounce	'
tap_like "ingest logged the decision" "$(cat "$D/mk.log")" \
    'ingest: hard rcpt=<dead@refuse.example> status=5.1.1 scope=global action=suppress'
send news@example.com dead@refuse.example
tap_like "the next message to dead@ is refused at RCPT" \
    "$(lab_reply_for 'RCPT TO:<dead@refuse.example>')" '^550 5\.1\.1 '

# ---- 3: soft bounces up to the threshold ------------------------------------------
send news@example.com full@refuse.example
for ((i = 0; i < 150; i++)); do
	grep -q 'ingest: soft rcpt=<full@refuse.example>.*action=count' "$D/mk.log" && break
	sleep 0.2
done
tap_like "the first soft bounce is counted, not suppressed" \
    "$(grep 'rcpt=<full@refuse.example>' "$D/mk.log" | tr '\n' ' ')" 'status=5.2.2 .*action=count'
send news@example.com full@refuse.example
if wait_entry full@refuse.example 30; then
	tap_ok "the second soft bounce (soft_threshold = 2) suppresses full@"
else
	tap_fail "the second soft bounce (soft_threshold = 2) suppresses full@" "$(tail -5 "$D/mk.log")"
fi
tap_like "for a while: it expires" "$(entry full@refuse.example)" \
    '^global	full@refuse\.example	bounce	[^	]+	20[0-9-]+T'
send news@example.com full@refuse.example
tap_like "the next message to full@ is refused at RCPT" \
    "$(lab_reply_for 'RCPT TO:<full@refuse.example>')" '^550 '

# ---- 4: a complaint ------------------------------------------------------------------
mk_arf fbl@bounces.example.com redacted@isp.example "$RP" >"$D/arf.eml"
lab_send --from fbl@isp.example --to fbl@bounces.example.com --data "$D/arf.eml"
if wait_entry bob@example.net 30 example.com; then
	tap_ok "an ARF report naming the token suppresses bob@ for example.com"
else
	tap_fail "an ARF report naming the token suppresses bob@ for example.com" "$(tail -5 "$D/mk.log")"
fi
tap_like "scoped to example.com, reason complaint" "$(entry bob@example.net)" \
    '^example\.com	bob@example\.net	complaint	'
send news@example.com bob@example.net
tap_like "news@example.com to bob@ is now refused at RCPT" \
    "$(lab_reply_for 'RCPT TO:<bob@example.net>')" '^5[0-9][0-9] '
send someone@other.example bob@example.net
tap_like "another sender domain still reaches bob@" \
    "$(lab_reply_for 'RCPT TO:<bob@example.net>')" '^250 '

# ---- 5: unsubscribe by mail ----------------------------------------------------------------
send news@example.com carol@example.net
M5=$(wait_sink_for carol@example.net 15)
MAILTO=$(list_unsub "$M5" | sed -n 's/.*<mailto:\([^>]*\)>.*/\1/p')
lab_send --from carol@example.net --to "$MAILTO" --body "unsubscribe"
if wait_entry carol@example.net 30 example.com; then
	tap_ok "mail from carol@ to the List-Unsubscribe mailto: unsubscribes her"
else
	tap_fail "mail from carol@ to the List-Unsubscribe mailto: unsubscribes her" \
	    "[$MAILTO] $(tail -5 "$D/mk.log")"
fi
tap_like "reason unsubscribe, scoped to example.com" "$(entry carol@example.net)" \
    '^example\.com	carol@example\.net	unsubscribe	'

# ---- 6: one-click through milterkit-unsubd ----------------------------------------------
send news@example.com dan@example.net
M6=$(wait_sink_for dan@example.net 15)
URL=$(list_unsub "$M6" | sed -n 's/.*<\(https:[^>]*\)>.*/\1/p')
# The operator's HTTPS server passes /unsubscribe?... on to unsubd.
LOCAL=http://127.0.0.1:$UPORT/${URL#https://*/}
code=$(curl -s -o "$D/post.out" -w '%{http_code}' --max-time 10 \
    -d 'List-Unsubscribe=One-Click' "$LOCAL")
tap_is "the one-click POST to the List-Unsubscribe URL is answered 200" "$code" 200
tap_like "dan@ is suppressed for example.com, reason unsubscribe" \
    "$(entry dan@example.net)" '^example\.com	dan@example\.net	unsubscribe	'
send news@example.com dan@example.net
tap_like "the next message to dan@ is refused at RCPT" \
    "$(lab_reply_for 'RCPT TO:<dan@example.net>')" '^5[0-9][0-9] '
