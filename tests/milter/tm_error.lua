-- tm_error.lua - local part "error" goes through on_error: with
-- MT_EXPECT=tempfail a reply code (451 4.3.0), with MT_EXPECT=accept ACCEPT.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") == "accept" and SMFIR_ACCEPT or SMFIR_REPLYCODE
	local conn = tm_open()
	assert(tm_send(conn, mt.mailfrom, "<sender@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(mt.macro(conn, SMFIC_RCPT, "i", "4Q2x2") == nil, "macro")
	local got = tm_send(conn, mt.rcptto, "<error@example.com>")
	assert(got == want, "RCPT error: got " .. tostring(got) .. ", want " .. tostring(want))
	mt.disconnect(conn)
end)
