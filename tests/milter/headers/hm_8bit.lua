-- hm_8bit.lua - eight_bit = encode (default): a raw UTF-8 Subject in a
-- message whose MAIL FROM carried no SMTPUTF8 is changed into an RFC 2047
-- encoded word; with SMTPUTF8 it is left alone; raw text that is not UTF-8
-- is rejected. eight_bit = reject (MT_EXPECT=reject): the UTF-8 Subject is
-- rejected too.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local want = os.getenv("MT_EXPECT") or "encode"
	local utf8 = { { "Subject", " Gr\195\188\195\159e aus K\195\182ln" } }
	local conn, r = hm_message{ qid = "HM0012", headers = hm_block(utf8, { "Subject" }) }
	if want == "encode" then
		hm_passed(r)
		assert(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "8-bit Subject not encoded")
	else
		hm_rejected(r)
	end
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0012b", args = { "SMTPUTF8" },
	    headers = hm_block(utf8, { "Subject" }) }
	hm_passed(r)
	hm_untouched(conn)
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0012c", headers = hm_block(
	    { { "Subject", " caf\233 latin-1" } }, { "Subject" }) }
	hm_rejected(r)
	mt.disconnect(conn)
end)
