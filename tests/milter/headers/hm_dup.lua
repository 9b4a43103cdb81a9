-- hm_dup.lua - duplicates: reject (default) rejects a second Subject (and a
-- second Date, To, Message-ID); keep-first (MT_EXPECT=keep-first) deletes
-- the later ones (MT_HDRDELETE; the probe checks which); accept
-- (MT_EXPECT=accept) leaves them. Repeated non-3.6 fields (Received,
-- Comments) are always fine.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") or "reject"
	for i, f in ipairs({ "Subject", "Date", "To", "Message-ID" }) do
		local extra = { { f, " second" }, { f, " third" } }
		if f == "Date" then extra = { { f, " Mon, 23 Nov 2026 10:00:00 +0000" } } end
		if f == "Message-ID" then extra = { { f, " <other@example.org>" } } end
		if f == "To" then extra = { { f, " <other@example.com>" } } end
		local conn, r = hm_message{ qid = "HM0007" .. i, headers = hm_block(extra) }
		if want == "reject" then
			hm_rejected(r)
		elseif want == "keep-first" then
			hm_passed(r)
			assert(mt.eom_check(conn, MT_HDRDELETE, f), "second " .. f .. " not deleted")
		else
			hm_passed(r)
			assert(not mt.eom_check(conn, MT_HDRDELETE, f), f .. " deleted")
		end
		mt.disconnect(conn)
	end
	local conn, r = hm_message{ qid = "HM0007x", headers = hm_block(
	    { { "Received", " from a.example by b.example; Sun, 22 Nov 2026 09:00:00 +0000" },
	      { "Comments", " one" }, { "Comments", " two" } }) }
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
end)
