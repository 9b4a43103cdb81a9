-- hm_mime.lua - mime_version = yes: Content-Type or
-- Content-Transfer-Encoding without MIME-Version gets "MIME-Version: 1.0";
-- with MIME-Version, or without MIME content, nothing is added.
-- mime_version = no (MT_EXPECT=off): never added.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local off = os.getenv("MT_EXPECT") == "off"
	local conn, r = hm_message{ qid = "HM0005", headers = hm_block(
	    { { "Content-Type", " text/plain; charset=utf-8" } }) }
	hm_passed(r)
	if off then
		hm_untouched(conn)
	else
		local v = hm_added(conn, "MIME-Version")
		assert(v == " 1.0", "MIME-Version added as '" .. v .. "'")
	end
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0005b", headers = hm_block(
	    { { "Content-Transfer-Encoding", " 8bit" } }) }
	hm_passed(r)
	assert(off ~= mt.eom_check(conn, MT_HDRADD, "MIME-Version"),
	    "Content-Transfer-Encoding alone: MIME-Version added = " .. tostring(not off) .. " expected")
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0005c", headers = hm_block(
	    { { "MIME-Version", " 1.0" }, { "Content-Type", " text/plain" } }) }
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
end)
