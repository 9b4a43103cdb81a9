-- hm_session.lua - check = authenticated: a session without {auth_authen}
-- is left alone (its message passes without any edit, a missing Date
-- included), one whose MAIL carried {auth_authen} is rewritten.
-- MT_EXPECT=networks (check = networks, networks = 127.0.0.0/8): 192.0.2.1
-- is left alone, 127.0.0.1 is rewritten.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local nets = os.getenv("MT_EXPECT") == "networks"
	local block = hm_block(nil, { "Date" })
	local conn, r = hm_message{ qid = "HM0013", ip = "192.0.2.1", auth = false,
	    headers = block }
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
	if nets then
		conn, r = hm_message{ qid = "HM0013b", ip = "127.0.0.1", headers = block }
	else
		conn, r = hm_message{ qid = "HM0013b", auth = "alice", headers = block }
	end
	hm_passed(r)
	assert(mt.eom_check(conn, MT_HDRADD, "Date"), "checked session: Date not added")
	mt.disconnect(conn)
end)
