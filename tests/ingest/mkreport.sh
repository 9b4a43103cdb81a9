# tests/ingest/mkreport.sh - build reports for ingestion tests (sourced).
#
#   mk_dsn TO RCPT STATUS ACTION [RETURN-PATH]   a Postfix-style DSN
#   mk_arf TO RCPT MAIL-FROM [FEEDBACK-TYPE]     an ARF complaint
#   mk_unsub TO FROM                             mail to the mailto: address
#   mk_vacation TO FROM                          an RFC 3834 auto-reply
#
# Each prints one message on standard output. TO is the address the
# report is delivered to (the return-path token address for a DSN);
# a counter in the Message-ID makes every message new.
mk_seq=0
mk_next() { mk_seq=$((mk_seq + 1)); echo "$$.$mk_seq.$(date +%s%N)"; }

mk_dsn() {
	id=$(mk_next)
	cat <<MSG
Return-Path: <>
X-Original-To: $1
Delivered-To: $1
Date: Sat,  5 Dec 2026 10:00:00 +0000 (UTC)
From: MAILER-DAEMON@relay.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: $1
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B.$id"
Message-Id: <dsn.$id@relay.example>

--B.$id
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--B.$id
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example
X-Postfix-Queue-ID: 4Q2x1
Arrival-Date: Sat,  5 Dec 2026 09:59:58 +0000 (UTC)

Final-Recipient: rfc822; $2
Original-Recipient: rfc822;$2
Action: $4
Status: $3
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; $(echo "$3" | sed 's/\./ /; s/ .*//')50 $3 mailbox problem for <$2>

--B.$id
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <${5:-$1}>
From: News <news@example.com>
To: $2
Subject: Our news
Message-Id: <orig.$id@example.com>

--B.$id--
MSG
}

mk_arf() {
	id=$(mk_next)
	cat <<MSG
Return-Path: <fbl@isp.example>
Date: Sat, 5 Dec 2026 10:00:00 +0000
From: Feedback Loop <fbl@isp.example>
To: $1
Subject: Complaint about message from 192.0.2.1
MIME-Version: 1.0
Message-Id: <arf.$id@isp.example>
Content-Type: multipart/report; report-type=feedback-report;
	boundary="A.$id"

--A.$id
Content-Type: text/plain

This is an email abuse report for an email message received from IP
192.0.2.1 on Sat, 5 Dec 2026 09:00:00 +0000.

--A.$id
Content-Type: message/feedback-report

Feedback-Type: ${4:-abuse}
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <$3>
Arrival-Date: Sat, 5 Dec 2026 09:00:00 +0000
Source-IP: 192.0.2.1

--A.$id
Content-Type: text/rfc822-headers

Return-Path: <$3>
From: News <news@example.com>
To: $2
Subject: Our news
Message-Id: <orig.$id@example.com>

--A.$id--
MSG
}

mk_unsub() {
	id=$(mk_next)
	cat <<MSG
Return-Path: <$2>
Delivered-To: $1
Date: Sat, 5 Dec 2026 10:00:00 +0000
From: <$2>
To: $1
Subject: unsubscribe
Message-Id: <u.$id@example.net>

unsubscribe
MSG
}

mk_vacation() {
	id=$(mk_next)
	cat <<MSG
Return-Path: <$2>
Date: Sat, 5 Dec 2026 10:00:00 +0000
From: <$2>
To: $1
Subject: Out of office
Auto-Submitted: auto-replied
Message-Id: <v.$id@example.net>

I am away until Monday.
MSG
}
