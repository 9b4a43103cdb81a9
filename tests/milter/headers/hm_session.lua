-- hm_session.lua - check = authenticated: MAIL without {auth_authen} is
-- answered accept (the MTA leaves the milter out of that message), one
-- whose MAIL carried {auth_authen} is rewritten (a missing Date added).
-- MT_EXPECT=networks (check = networks, networks = 127.0.0.0/8): a client
-- at 192.0.2.1 is answered accept at CONNECT (left out of the whole
-- session), one at 127.0.0.1 is rewritten.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local block = hm_block(nil, { "Date" })
	local conn, r
	if os.getenv("MT_EXPECT") == "networks" then
		mt.disconnect(tm_connect("192.0.2.1", SMFIR_ACCEPT))
		conn, r = hm_message{ qid = "HM0013b", ip = "127.0.0.1", headers = block }
	else
		conn, r = hm_message{ qid = "HM0013", ip = "192.0.2.1", auth = false,
		    headers = block, accept = true }
		assert(r == SMFIR_ACCEPT, "unchecked MAIL not answered accept")
		mt.disconnect(conn)
		conn, r = hm_message{ qid = "HM0013b", auth = "alice", headers = block }
	end
	hm_passed(r)
	assert(mt.eom_check(conn, MT_HDRADD, "Date"), "checked session: Date not added")
	mt.disconnect(conn)
end)
