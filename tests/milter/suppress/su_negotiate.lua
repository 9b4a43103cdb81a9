-- su_negotiate.lua - the milter asks for CONNECT, MAIL and RCPT only: HELO,
-- headers, EOH and body are negotiated away, so miltertest raises an error
-- when asked to send a header or body.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local conn = tm_connect()
	assert(mt.test_option(conn, SMFIP_NOHDRS), "NOHDRS not negotiated")
	assert(mt.test_option(conn, SMFIP_NOEOH), "NOEOH not negotiated")
	assert(mt.test_option(conn, SMFIP_NOBODY), "NOBODY not negotiated")
	assert(mt.test_option(conn, SMFIP_NOHELO), "HELO not negotiated away")
	assert(not mt.test_option(conn, SMFIP_NORCPT), "RCPT negotiated away")
	assert(not mt.test_option(conn, SMFIP_NOMAIL), "MAIL negotiated away")
	assert(not mt.test_option(conn, SMFIP_NOCONNECT), "CONNECT negotiated away")
	su_mail(conn, "<sender@example.org>", "SU0012")
	su_passes(conn, "<fine@example.com>")
	local ok, err = pcall(mt.header, conn, "From", "a@example.org")
	assert(not ok and string.find(tostring(err), "SMFIP_NOHDRS"),
	    "header was sent: " .. tostring(err))
	ok, err = pcall(mt.bodystring, conn, "hello\r\n")
	assert(not ok and string.find(tostring(err), "SMFIP_NOBODY"),
	    "body was sent: " .. tostring(err))
	mt.disconnect(conn)
end)
