-- ch_negotiate.lua - one connection asks for what the filters need
-- together: RCPT answered (suppress refuses there), headers asked for with
-- values as written (headers), no answer awaited at CONNECT and MAIL
-- (neither filter refuses there), HELO and the body negotiated away (no
-- filter reads them).
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	assert(not mt.test_option(conn, SMFIP_NORCPT), "RCPT negotiated away")
	assert(not mt.test_option(conn, SMFIP_NR_RCPT), "RCPT without reply: suppress could not refuse")
	assert(not mt.test_option(conn, SMFIP_NOHDRS), "headers negotiated away")
	assert(mt.test_option(conn, SMFIP_HDR_LEADSPC), "HDR_LEADSPC not negotiated")
	assert(mt.test_option(conn, SMFIP_NR_CONN), "NR_CONN not negotiated")
	assert(mt.test_option(conn, SMFIP_NR_MAIL), "NR_MAIL not negotiated")
	assert(mt.test_option(conn, SMFIP_NOHELO), "HELO not negotiated away")
	assert(mt.test_option(conn, SMFIP_NOBODY), "body not negotiated away")
	ch_mail(conn, "CH0006")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	mt.disconnect(conn)
end)
