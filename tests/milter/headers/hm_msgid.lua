-- hm_msgid.lua - message_id = yes: a missing Message-ID is added as
-- <unique@domain> (MT_HDRADD) with the From domain, or message_id_domain
-- when set (MT_EXPECT_DOMAIN); two messages get two different ids; an
-- invalid one is replaced (MT_HDRCHANGE). message_id = no (MT_EXPECT=off):
-- nothing is added or changed.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local off = os.getenv("MT_EXPECT") == "off"
	local dom = os.getenv("MT_EXPECT_DOMAIN") or "example.org"
	local conn, r = hm_message{ qid = "HM0003", headers = hm_block(nil, { "Message-ID" }) }
	hm_passed(r)
	if off then
		hm_untouched(conn)
	else
		local v = hm_added(conn, "Message-ID")
		assert(string.match(v, "^ <[^@<> ]+@" .. dom:gsub("%.", "%%.") .. ">$"),
		    "added Message-ID '" .. v .. "' is not < unique@" .. dom .. ">")
		local conn2, r2 = hm_message{ qid = "HM0003b", headers = hm_block(nil, { "Message-ID" }) }
		hm_passed(r2)
		assert(hm_added(conn2, "Message-ID") ~= v, "two messages got the same Message-ID")
		mt.disconnect(conn2)
	end
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0003c", headers = hm_block(
	    { { "Message-ID", " not-an-id" } }, { "Message-ID" }) }
	hm_passed(r)
	if off then
		hm_untouched(conn)
	else
		assert(mt.eom_check(conn, MT_HDRCHANGE, "Message-ID"),
		    "invalid Message-ID not replaced")
		assert(not mt.eom_check(conn, MT_HDRADD, "Message-ID"),
		    "Message-ID added besides the invalid one")
	end
	mt.disconnect(conn)
end)
