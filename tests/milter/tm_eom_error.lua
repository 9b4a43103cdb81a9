-- tm_eom_error.lua - on_error=tempfail at end-of-message sets exactly
-- "451 4.3.0 Temporary local problem, please try again later".
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	local conn = tm_open()
	assert(tm_send(conn, mt.mailfrom, "<error@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(tm_send(conn, mt.rcptto, "<bob@example.com>") == SMFIR_CONTINUE, "RCPT")
	assert(tm_send(conn, mt.eom) == SMFIR_REPLYCODE, "EOM not answered with a reply code")
	assert(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0",
	    "Temporary local problem, please try again later"), "wrong 451 4.3.0 reply")
	mt.disconnect(conn)
end)
