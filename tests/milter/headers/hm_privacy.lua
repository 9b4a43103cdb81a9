-- hm_privacy.lua - remove_headers (default list): X-Originating-IP and
-- X-PHP-Originating-Script are deleted; internal_networks = 10.0.0.0/8 and
-- internal_hosts = .corp.example: Received fields whose from part names
-- 10.1.2.3 or build.corp.example are deleted, the one naming 192.0.2.1 is
-- kept. With remove_headers and the internal lists empty (MT_EXPECT=off),
-- nothing is deleted.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local off = os.getenv("MT_EXPECT") == "off"
	local conn, r = hm_message{ qid = "HM0008", headers = hm_block({
	    { "X-Originating-IP", " [10.1.2.3]" },
	    { "X-PHP-Originating-Script", " 1000:mailer.php" },
	    { "Received", " from app.internal (app.internal [10.1.2.3])\n\tby relay.example.net; Sun, 22 Nov 2026 09:59:00 +0000" },
	    { "Received", " from build.corp.example (unknown [198.51.100.7])\n\tby relay.example.net; Sun, 22 Nov 2026 09:58:00 +0000" },
	    { "X-Mailer", " kept" } }) }
	hm_passed(r)
	if off then
		hm_untouched(conn)
	else
		assert(mt.eom_check(conn, MT_HDRDELETE, "X-Originating-IP"), "X-Originating-IP kept")
		assert(mt.eom_check(conn, MT_HDRDELETE, "X-PHP-Originating-Script"),
		    "X-PHP-Originating-Script kept")
		assert(mt.eom_check(conn, MT_HDRDELETE, "Received"), "internal Received kept")
		assert(not mt.eom_check(conn, MT_HDRDELETE, "X-Mailer"), "X-Mailer deleted")
		-- (miltertest's MT_HDRCHANGE also matches deletes: the probe
		-- checks that nothing else is asked)
		assert(not mt.eom_check(conn, MT_HDRADD), "a header was added")
	end
	mt.disconnect(conn)
end)
