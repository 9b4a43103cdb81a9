-- hm_limits.lua - max_headers = 10: a message with 11 header fields is
-- rejected at its end (552 5.3.4); ten fields pass. (max_header_size is
-- checked with the probe: miltertest itself crashes on a header field of
-- more than about 1,024 octets.)
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local many = hm_block()
	for i = #many + 1, 11 do many[i] = { "Comments", " n" .. i } end
	local conn, r = hm_message{ qid = "HM0014", headers = many }
	hm_rejected(r)
	mt.disconnect(conn)
	local ten = hm_block()
	for i = #ten + 1, 10 do ten[i] = { "Comments", " " .. string.rep("z ", 400) } end
	conn, r = hm_message{ qid = "HM0014c", headers = ten }
	hm_passed(r)
	mt.disconnect(conn)
end)
