-- hm_negotiate.lua - the milter asks for CONNECT, MAIL, RCPT and headers,
-- with values as written (SMFIP_HDR_LEADSPC), answering at end of message
-- only; HELO, end of headers and the body are negotiated away
-- (miltertest raises an error when asked to send them).
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local conn = tm_connect()
	assert(mt.test_option(conn, SMFIP_HDR_LEADSPC), "HDR_LEADSPC not negotiated")
	assert(mt.test_option(conn, SMFIP_NOBODY), "NOBODY not negotiated")
	assert(mt.test_option(conn, SMFIP_NOEOH), "NOEOH not negotiated")
	assert(mt.test_option(conn, SMFIP_NOHELO), "HELO not negotiated away")
	assert(not mt.test_option(conn, SMFIP_NOHDRS), "headers negotiated away")
	assert(not mt.test_option(conn, SMFIP_NORCPT), "RCPT negotiated away")
	-- No answer awaited at CONNECT, MAIL, RCPT and each header.
	assert(mt.test_option(conn, SMFIP_NR_HDR), "NR_HDR not negotiated")
	assert(mt.test_option(conn, SMFIP_NR_RCPT), "NR_RCPT not negotiated")
	assert(mt.test_option(conn, SMFIP_NR_CONN), "NR_CONN not negotiated")
	assert(mt.test_option(conn, SMFIP_NR_MAIL), "NR_MAIL not negotiated")
	assert(mt.macro(conn, SMFIC_MAIL, "i", "HM0001") == nil, "macro i")
	assert(mt.mailfrom(conn, "<sender@example.org>") == nil, "mailfrom")
	assert(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL not continued")
	local ok, err = pcall(mt.bodystring, conn, "hello\r\n")
	assert(not ok and string.find(tostring(err), "SMFIP_NOBODY"),
	    "body was sent: " .. tostring(err))
	mt.disconnect(conn)
end)
