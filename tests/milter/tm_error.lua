-- tm_error.lua - local part "error" goes through on_error: with
-- MT_EXPECT=tempfail a reply code (451 4.3.0) for that recipient, with
-- MT_EXPECT=accept CONTINUE for that recipient, never ACCEPT (that would
-- accept the whole message: the MTA would not ask about the next
-- recipients). Either way the next recipient of the message is still
-- decided: "reject" gets its reply code.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") == "accept" and SMFIR_CONTINUE or SMFIR_REPLYCODE
	local conn = tm_open()
	assert(tm_send(conn, mt.mailfrom, "<sender@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(mt.macro(conn, SMFIC_RCPT, "i", "4Q2x2") == nil, "macro")
	local got = tm_send(conn, mt.rcptto, "<error@example.com>")
	assert(got == want, "RCPT error: got '" .. string.char(got) .. "', want '"
	    .. string.char(want) .. "'")
	got = tm_send(conn, mt.rcptto, "<reject@example.com>")
	assert(got == SMFIR_REPLYCODE, "RCPT reject after the error: got '"
	    .. string.char(got) .. "', not a reply code")
	mt.disconnect(conn)
end)
