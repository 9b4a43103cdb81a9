#!/bin/bash
# tests/e2e/test_returnpath.sh - milterkit-returnpath behind the lab's
# Postfix, or its Sendmail with E2E_MTA=sendmail (tests/e2e/mta.sh).
#
# The milter (as nobody, domains = example.com, bounce_domain = bounces.%d)
# is the MTA's one milter. Through the MTA:
#  - a message from news@example.com to one recipient, sent with the ESMTP
#    parameters BODY=8BITMIME, RET=HDRS and ENVID, leaves the MTA with a
#    return-path token on bounces.example.com as its MAIL FROM, which
#    tests/lib/mktoken maps back to the sender and the recipient; the
#    parameters are still on the MAIL FROM the MTA sends on (the milter
#    changes the address alone);
#  - with two recipients the token names the sender alone;
#  - a sender of another domain and the null sender leave unchanged;
#  - the milter logs the rewrite with the MTA's queue id.
# Bounded to 60 s by a watchdog; every process started is stopped by pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/e2e/lab.sh"
. "$top_srcdir/tests/e2e/mta.sh"

RPM="$top_builddir/milters/returnpath/milterkit-returnpath"
TOK="$top_builddir/tests/lib/mktoken"
for f in "$RPM" "$TOK"; do
	[ -x "$f" ] || tap_bail "$f not built"
done
[ "$(id -u)" = 0 ] || tap_bail "must run as root (the lab and the privilege drop)"

mta_require
tap_plan 9
lab_test_start "${TEST_TIMEOUT:-60}"

D=$(lab_daemon_dir rp) || tap_bail "no daemon directory"
SOCK=$D/returnpath.sock
MLOG=$D/milter.log
printf 'return-path-key-of-the-lab-test\n' >"$D/rp.key"
chown nobody "$D/rp.key"
chmod 600 "$D/rp.key"
cat >"$D/milterkit.conf" <<EOF
[store]
path = $D/store
[log]
level = info
[returnpath]
socket = unix:$SOCK
socket_mode = 0666
user = nobody
pidfile =
secret_file = $D/rp.key
bounce_domain = bounces.%d
domains = example.com
EOF

if lab_daemon_start "$SOCK" "$MLOG" "$RPM" -f -c "$D/milterkit.conf"; then
	tap_ok "milterkit-returnpath starts as nobody"
else
	tap_fail "milterkit-returnpath starts as nobody" "$(tail -5 "$MLOG")"
fi
mta_milters "$SOCK" || tap_bail "could not switch $MTA to the milter"

# The first message goes with ESMTP parameters, which swaks cannot add to
# MAIL FROM: Python's smtplib does.
/usr/bin/python3 - "$(mta_port)" >"$D/esmtp.out" 2>&1 <<'EOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), "client.example.test", timeout=20)
s.ehlo("client.example.test")
msg = (b"From: <news@example.com>\r\nTo: <bob@example.net>\r\n"
       b"Subject: return path\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\n\r\n"
       b"caf\xc3\xa9 8bit\r\n")
s.sendmail("news@example.com", ["bob@example.net"], msg,
           mail_options=["BODY=8BITMIME", "RET=HDRS", "ENVID=rp-e2e-1"])
print("sent")
s.quit()
EOF
tap_like "a message from news@example.com, with ESMTP parameters, is accepted" \
    "$(cat "$D/esmtp.out")" '^sent$'
lab_wait_sink 1 15

# mail_from N: the MAIL FROM the MTA sent the Nth message with, as the sink
# recorded it ("FROM:<addr> PARAMS" or "<addr> PARAMS")
mail_from() {
	sed -n 's/^X-Mail-Args: *//p' "$(lab_sink_message "$1")" | head -1 | tr -d '\r' |
	    sed 's/^FROM://'
}
# decode N: mktoken rp-parse of the Nth message's MAIL FROM
decode() {
	local a
	a=$(mail_from "$1" | sed 's/^<\([^>]*\)>.*/\1/')
	case $a in
	*@bounces.example.com) "$TOK" rp-parse "$D/rp.key" "${a%@*}" 2>&1 ;;
	*) echo "not a token: <$a>" ;;
	esac
}
tap_like "its MAIL FROM leaves $MTA as a token on bounces.example.com" \
    "$(mail_from 1)" '^<b0=[a-z2-7]{8}=[a-z2-7]{4}=news=example\.com=bob=example\.net@bounces\.example\.com>'
tap_like "... which maps back to the sender and the recipient" \
    "$(decode 1)" '^sender=news@example\.com rcpt=bob@example\.net expires=[0-9]+$'
tap_is "... and keeps BODY=8BITMIME, RET=HDRS and ENVID" \
    "$(mail_from 1 | tr ' ' '\n' | grep -E '^(BODY|RET|ENVID)=' | sort | tr '\n' ' ')" \
    "BODY=8BITMIME ENVID=rp-e2e-1 RET=HDRS "

mta_send --from news@example.com --to a@example.net,b@example.org \
    --header 'Subject: two recipients'
lab_wait_sink 2 15
tap_like "two recipients: the token names the sender alone" \
    "$(decode 2)" '^sender=news@example\.com rcpt=- expires=[0-9]+$'

mta_send --from someone@other.test --to c@example.net
lab_wait_sink 3 15
mta_send --from '<>' --to d@example.net
lab_wait_sink 4 15
tap_is "a sender of another domain and the null sender leave unchanged" \
    "$(mail_from 3 | sed 's/ .*//') $(mail_from 4 | sed 's/ .*//')" \
    "<someone@other.test> <>"

tap_like "the milter logged the rewrite with $MTA's queue id" \
    "$(grep -E 'returnpath from=<news@example\.com> to=<b0=' "$MLOG" | head -1)" \
    ": $MTA_QID: returnpath from=<news@example\\.com> to=<b0=[^>]*@bounces\\.example\\.com>"
tap_is "the queue is empty: nothing deferred" "$(mta_queue_empty 5 && echo empty)" empty
