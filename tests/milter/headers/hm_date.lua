-- hm_date.lua - date = yes: a missing Date is added (MT_HDRADD) with an RFC
-- 5322 date; date_zone = utc (MT_EXPECT=utc) gives +0000. date = no
-- (MT_EXPECT=off): nothing added. A present Date is never touched.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") or "local"
	local conn, r = hm_message{ qid = "HM0004", headers = hm_block(nil, { "Date" }) }
	hm_passed(r)
	if want == "off" then
		hm_untouched(conn)
	else
		local v = hm_added(conn, "Date")
		assert(string.match(v, "^ %a%a%a, %d%d? %a%a%a %d%d%d%d %d%d:%d%d:%d%d [+-]%d%d%d%d$"),
		    "added Date '" .. v .. "' is not an RFC 5322 date")
		if want == "utc" then
			assert(string.match(v, "%+0000$"), "date_zone = utc gave '" .. v .. "'")
		end
	end
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0004b", headers = hm_block() }
	hm_passed(r)
	assert(not mt.eom_check(conn, MT_HDRADD, "Date") and
	    not mt.eom_check(conn, MT_HDRCHANGE, "Date"), "a present Date was touched")
	mt.disconnect(conn)
end)
