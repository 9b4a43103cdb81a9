-- hm_from.lua - missing_from: reject (default) rejects a message without
-- From; add (MT_EXPECT=add) adds "From: <envelope sender>"; accept
-- (MT_EXPECT=accept) lets it pass untouched. multiple_from = reject: From
-- with two mailboxes and no Sender is rejected; with a Sender it passes.
-- multiple_from = accept (MT_EXPECT=accept): passes.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") or "reject"
	local conn, r = hm_message{ qid = "HM0006", from = "<bob@example.org>",
	    headers = hm_block(nil, { "From" }) }
	if want == "reject" then
		hm_rejected(r)
	elseif want == "add" then
		hm_passed(r)
		local v = hm_added(conn, "From")
		assert(string.find(v, "bob@example.org", 1, true), "From added as '" .. v .. "'")
	else
		hm_passed(r)
		assert(not mt.eom_check(conn, MT_HDRADD, "From"), "From added")
	end
	mt.disconnect(conn)
	local two = { { "From", " a@example.org, b@example.org" } }
	conn, r = hm_message{ qid = "HM0006b", headers = hm_block(two, { "From" }) }
	if want == "accept" then hm_passed(r) else hm_rejected(r) end
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0006c", headers = hm_block(
	    { two[1], { "Sender", " a@example.org" } }, { "From" }) }
	hm_passed(r)
	mt.disconnect(conn)
end)
