-- hm_accept.lua - a complete, clean header block passes without any edit.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local conn, r = hm_message{ qid = "HM0002", headers = hm_block() }
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
end)
