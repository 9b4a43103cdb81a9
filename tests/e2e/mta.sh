# tests/e2e/mta.sh - one end-to-end scenario, either MTA of the lab (bash,
# sourced after tests/e2e/lab.sh).
#
# SYNOPSIS
#   E2E_MTA=postfix|sendmail      which MTA the test's mail goes through
#                                 (default postfix: the lab's own)
#   . "$top_srcdir/tests/e2e/lab.sh"
#   . "$top_srcdir/tests/e2e/mta.sh"
#   mta_require                   before tap_plan: with sendmail, fetch it
#                                 (sm_install of tests/e2e/smlab.sh) or print
#                                 "1..0 # SKIP why" and exit 0
#   lab_test_start ...            as usual: the run directory, Postfix, the sink
#   mta_milters SOCKET...         the MTA's SMTP mail goes through these
#                                 milters, in order, and is temp-failed when
#                                 one cannot be reached. Postfix: smtpd_milters
#                                 and milter_default_action = tempfail, then a
#                                 reload. Sendmail: (re)started with one
#                                 INPUT_MAIL_FILTER(F=T) per SOCKET
#   mta_send [swaks args...]      swaks against the MTA; transcript in $LAB_LAST,
#                                 so that lab_reply_for reads either MTA's
#   mta_port                      the MTA's SMTP port on 127.0.0.1
#   mta_prefix CODE ADDR          what the MTA writes between the code (with its
#                                 enhanced status) and a milter's text at RCPT
#                                 for ADDR: nothing for Postfix; for Sendmail
#                                 "<ADDR>... " when CODE is one of 250 252 450
#                                 550 553 and nothing for other codes (451,
#                                 452, 552, 554: Sendmail's fmtmsg() names the
#                                 address only with those five codes)
#   mta_prefix_re CODE ADDR       the same as an ERE
#   mta_received_re               an ERE of the start of the MTA's own Received
#                                 field as the sink sees it (folding joined)
#   mta_queue_empty [SECONDS]     the MTA's queue is empty (waits up to SECONDS)
#
#   MTA        "Postfix" or "Sendmail", for the names of test points
#   MTA_QID    an ERE of one of its queue ids as milters log them: Postfix's
#              short hexadecimal ids, Sendmail's 14 letters and digits
#
# DESCRIPTION
#   A test written against these functions runs the same scenario through
#   Postfix (tests/e2e/test_X.sh) and through Sendmail (a two-line
#   tests/e2e/sendmail/test_X.sh setting E2E_MTA=sendmail), and asserts each
#   MTA's differences exactly where it must: reply prefixes, queue ids, the
#   Received field, and the header fields Sendmail adds itself.

case ${E2E_MTA:=postfix} in
postfix) MTA=Postfix MTA_QID='[0-9A-F]{6,}' ;;
sendmail)
	MTA=Sendmail MTA_QID='[0-9A-Za-z]{14}'
	. "${top_srcdir:-.}/tests/e2e/smlab.sh"
	;;
*) echo "mta.sh: E2E_MTA=$E2E_MTA: postfix or sendmail" >&2; exit 2 ;;
esac
export E2E_MTA

mta_require() {
	local why
	[ "$E2E_MTA" = sendmail ] || return 0
	if ! why=$(sm_install 2>&1); then
		echo "1..0 # SKIP cannot install a private Sendmail: $why"
		exit 0
	fi
}

mta_milters() {
	local s specs=() n=0
	if [ "$E2E_MTA" = postfix ]; then
		for s in "$@"; do specs+=("unix:$s"); done
		lab_postconf "smtpd_milters = ${specs[*]}" "milter_default_action = tempfail" &&
			lab_reload
		return
	fi
	for s in "$@"; do
		n=$((n + 1))
		specs+=("m$n=$s")
	done
	sm_stop
	sm_start "${specs[@]}"
}

mta_send() {
	local rc=0
	if [ "$E2E_MTA" = postfix ]; then
		lab_send "$@"
		return
	fi
	sm_send "$@" || rc=$?
	LAB_LAST=$SM_LAST
	export LAB_LAST
	return $rc
}

mta_port() {
	if [ "$E2E_MTA" = postfix ]; then echo "$LAB_SMTP_PORT"; else echo "$SM_PORT"; fi
}

mta_prefix() {
	[ "$E2E_MTA" = sendmail ] || return 0
	case $1 in
	250 | 252 | 450 | 550 | 553) printf '<%s>... ' "$2" ;;
	esac
}

mta_prefix_re() {
	mta_prefix "$@" | sed 's/[].[\*^$+?(){}|]/\\&/g'
}

mta_received_re() {
	if [ "$E2E_MTA" = postfix ]; then
		printf '%s' '^Received: from client\.example\.test .*by lab\.milterkit\.test \(Postfix\)'
	else
		printf '%s' "^Received: from client\\.example\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)(\\\\n)?[[:space:]]*by ${SM_HOSTNAME//./\\.} \\(8\\.[0-9.]+/8\\.[0-9.]+\\) with ESMTP id "
	fi
}

mta_queue_empty() {
	local secs=${1:-0} end
	[ "$E2E_MTA" = postfix ] && { lab_queue_empty "$secs"; return; }
	end=$((SECONDS + secs))
	while [ -n "$(find "$SM_DIR/queue" -type f 2>/dev/null)" ]; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
