-- ch_edits.lua - filters = headers, record with insertions and deletions at
-- several positions among duplicate Received fields (the edits of
-- test_chain_milter.sh's EDITS). miltertest shows no insert or change
-- index, so this checks which edits reach the MTA and their values; the
-- probe checks that the edits, applied in order, give the block record
-- logged. Fields: Received a, b, c, From, To, Subject, X-Originating-IP,
-- Date, Received d; no Message-ID.
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	ch_mail(conn, "CH0007")
	ch_rcpt(conn, "<fine@example.com>", "pass")
	local r = ch_data(conn, {
		{ "Received", " from a.example by mx.example.net" },
		{ "Received", " from b.example by mx.example.net" },
		{ "Received", " from c.example by mx.example.net" },
		{ "From", " Sender <sender@example.org>" },
		{ "To", " <rcpt@example.com>" },
		{ "Subject", " hello" },
		{ "X-Originating-IP", " [10.1.2.3]" },
		{ "Date", " Sun, 22 Nov 2026 10:00:00 +0000" },
		{ "Received", " from d.example by mx.example.net" },
	})
	assert(r == SMFIR_CONTINUE, "end of message answered " .. ch_rname(r))
	for _, n in ipairs({ "X-Rec-Top", "X-Rec-Two", "X-Rec-Five" }) do
		assert(mt.eom_check(conn, MT_HDRINSERT, n), n .. " not inserted")
		assert(not mt.eom_check(conn, MT_HDRADD, n), n .. " appended, not inserted")
	end
	for _, n in ipairs({ "Message-ID", "X-Rec-End", "X-Rec-Far" }) do
		assert(mt.eom_check(conn, MT_HDRADD, n), n .. " not appended")
		assert(not mt.eom_check(conn, MT_HDRINSERT, n), n .. " inserted, not appended")
	end
	assert(string.find(mt.getheader(conn, "X-Rec-Two", 0) or "", "two", 1, true),
	    "X-Rec-Two has the wrong value")
	assert(mt.eom_check(conn, MT_HDRDELETE, "X-Originating-IP"), "X-Originating-IP kept")
	assert(mt.eom_check(conn, MT_HDRDELETE, "Received"), "no Received deleted")
	assert(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "Subject not changed")
	mt.disconnect(conn)
end)
