-- ch_reject.lua - a message the headers filter rejects (no From, with
-- missing_from = reject): suppress still refused its suppressed recipient
-- at RCPT first, the clean one passed, and end of message is refused with
-- a reply code (the probe checks 550 5.6.0) and no edit.
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	ch_mail(conn, "CH0002")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	ch_rcpt(conn, "<fine@example.com>", "pass")
	local r = ch_data(conn, ch_block(nil, { "From" }))
	assert(r == SMFIR_REPLYCODE, "end of message not refused, got " .. ch_rname(r))
	ch_no_edits(conn)
	mt.disconnect(conn)
end)
