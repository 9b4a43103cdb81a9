-- ch_two.lua - two messages on one connection: each gets its own refusals
-- and its own edits. The first has no Message-ID and an X-Originating-IP
-- (both edited), the second has a Message-ID and no privacy header (no
-- edit at all); the suppressed recipient is refused in both.
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	ch_mail(conn, "CH0005a")
	ch_rcpt(conn, "<fine@example.com>", "pass")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	local r = ch_data(conn, ch_block({ { "X-Originating-IP", " [10.1.2.3]" } }))
	assert(r == SMFIR_CONTINUE, "message 1: end of message answered " .. ch_rname(r))
	ch_header_edits(conn)

	ch_mail(conn, "CH0005b", nil, "<other@example.org>")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	ch_rcpt(conn, "<second@example.com>", "pass")
	r = ch_data(conn, ch_block({ { "Message-ID", " <two.2@example.org>" } }))
	assert(r == SMFIR_CONTINUE, "message 2: end of message answered " .. ch_rname(r))
	ch_no_edits(conn)
	mt.disconnect(conn)
end)
