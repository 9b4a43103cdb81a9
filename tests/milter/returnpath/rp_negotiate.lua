-- rp_negotiate.lua - what the filter asks miltertest for: every stage but
-- HELO, DATA, headers, end of headers and body is negotiated away, so
-- sending a header raises an error ("negotiated SMFIP_NOHDRS").
dofile(os.getenv("MT_DIR") .. "/rp_lib.lua")
tm_run(function()
	local conn = tm_connect()
	assert(mt.macro(conn, SMFIC_MAIL, "i", "RPNEG1") == nil, "macro i")
	assert(tm_send(conn, mt.mailfrom, "<alice@example.org>") == SMFIR_CONTINUE,
	    "MAIL not continued")
	assert(tm_send(conn, mt.rcptto, "<bob@example.com>") == SMFIR_CONTINUE,
	    "RCPT not continued")
	local ok = pcall(mt.header, conn, "Subject", "x")
	assert(not ok, "a header could be sent: headers not negotiated away")
	mt.disconnect(conn)
end)
