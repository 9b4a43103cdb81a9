-- ch_refuse.lua - suppress and headers on one connection: the suppressed
-- recipient is refused at RCPT, the clean one passes, and at end of the
-- same message the headers filter's edits arrive (Message-ID added, the
-- privacy header X-Originating-IP deleted). MT_EXPECT=noheaders: a chain
-- without the headers filter: the same refusal, no header asked for
-- (SMFIP_NOHDRS), and no edit at all.
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	ch_mail(conn, os.getenv("MT_QID") or "CH0001")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	ch_rcpt(conn, "<fine@example.com>", "pass")
	local noheaders = os.getenv("MT_EXPECT") == "noheaders"
	assert(mt.test_option(conn, SMFIP_NOHDRS) == noheaders,
	    noheaders and "headers still asked for" or "headers negotiated away")
	local r = ch_data(conn, noheaders and {} or
	    ch_block({ { "X-Originating-IP", " [10.1.2.3]" } }))
	assert(r == SMFIR_CONTINUE, "end of message answered " .. ch_rname(r))
	if noheaders then
		ch_no_edits(conn)
	else
		ch_header_edits(conn)
	end
	mt.disconnect(conn)
end)
