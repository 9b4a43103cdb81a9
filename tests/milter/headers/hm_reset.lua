-- hm_reset.lua - several messages on one milter connection, each edited on
-- its own: the first lacks Date and Message-ID and gets both; the second,
-- complete, gets no edit (with the first one's fields still counted, its
-- Subject, To and the rest would be duplicates, and rejected). Then a
-- message aborted after RCPT and two header fields (as the MTA does at
-- RSET): the next MAIL on the connection works, and its complete block
-- passes untouched (the aborted fields are forgotten).
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local conn = tm_connect()
	local r = hm_send_message(conn, { qid = "HM0020",
	    headers = hm_block(nil, { "Date", "Message-ID" }) })
	hm_passed(r)
	hm_added(conn, "Date")
	hm_added(conn, "Message-ID")
	r = hm_send_message(conn, { qid = "HM0020b", headers = hm_block() })
	hm_passed(r)
	hm_untouched(conn)
	assert(mt.macro(conn, SMFIC_MAIL, "i", "HM0020c") == nil, "macro i")
	assert(tm_send(conn, mt.mailfrom, "<other@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(tm_send(conn, mt.rcptto, "<rcpt@example.com>") == SMFIR_CONTINUE, "RCPT")
	assert(tm_send(conn, mt.header, "Subject", " aborted") == SMFIR_CONTINUE, "header")
	assert(tm_send(conn, mt.header, "From", " <other@example.org>") == SMFIR_CONTINUE, "header")
	assert(mt.abort(conn) == nil, "abort failed")
	r = hm_send_message(conn, { qid = "HM0020d", headers = hm_block() })
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
end)
