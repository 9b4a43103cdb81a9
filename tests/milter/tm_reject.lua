-- tm_reject.lua - local part "reject" gets a reply code (550 5.7.1, see log),
-- and a later good recipient on the same message is still accepted.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	local conn = tm_open()
	assert(tm_send(conn, mt.mailfrom, "<sender@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(mt.macro(conn, SMFIC_RCPT, "i", "4Q2x1") == nil, "macro")
	assert(tm_send(conn, mt.rcptto, "<reject@example.com>") == SMFIR_REPLYCODE,
	    "RCPT reject not answered with a reply code")
	assert(tm_send(conn, mt.rcptto, "<carol@example.com>") == SMFIR_CONTINUE, "RCPT carol")
	mt.disconnect(conn)
end)
