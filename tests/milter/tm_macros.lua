-- tm_macros.lua - {auth_authen} sent with MAIL is read at EOM and added as
-- X-Test-Auth; {i} sent with RCPT is the queue id of the decision line.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	local conn = tm_open()
	assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice") == nil, "macro")
	assert(tm_send(conn, mt.mailfrom, "<alice@example.org>") == SMFIR_CONTINUE, "MAIL")
	assert(mt.macro(conn, SMFIC_RCPT, "i", "4Q2x3") == nil, "macro")
	assert(tm_send(conn, mt.rcptto, "<dave@example.com>") == SMFIR_CONTINUE, "RCPT")
	assert(tm_send(conn, mt.eom) == SMFIR_CONTINUE, "EOM")
	assert(mt.eom_check(conn, MT_HDRADD, "X-Test-Auth", "alice"), "X-Test-Auth not added")
	assert(mt.getheader(conn, "X-Test-Auth", 0) == "alice", "X-Test-Auth value")
	mt.disconnect(conn)
end)
