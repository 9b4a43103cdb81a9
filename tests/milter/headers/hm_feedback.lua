-- hm_feedback.lua - feedback_id = %d:%u:milterkit: an incoming Feedback-ID
-- is deleted and one built from the template (sender domain, SASL user)
-- added. feedback_id empty (MT_EXPECT=off): the incoming one stays.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local off = os.getenv("MT_EXPECT") == "off"
	local conn, r = hm_message{ qid = "HM0009", auth = "alice",
	    from = "<list@news.example>", headers = hm_block(
	    { { "Feedback-ID", " forged:1:2" } }) }
	hm_passed(r)
	if off then
		hm_untouched(conn)
	else
		assert(mt.eom_check(conn, MT_HDRDELETE, "Feedback-ID"), "incoming Feedback-ID kept")
		local v = mt.getheader(conn, "Feedback-ID", 0)
		assert(v == " news.example:alice:milterkit", "Feedback-ID added as '" .. tostring(v) .. "'")
	end
	mt.disconnect(conn)
end)
