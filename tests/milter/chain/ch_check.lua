-- ch_check.lua - checks per filter: [suppress] check = authenticated,
-- [headers] check = all. Without {auth_authen} suppress leaves the message
-- alone (its suppressed recipient passes) while headers still edits it,
-- and MAIL is answered continue, not accept; with {auth_authen} the
-- suppressed recipient is refused, and headers edits as well.
dofile(os.getenv("MT_DIR") .. "/ch_lib.lua")
tm_run(function()
	local conn = tm_connect()
	ch_mail(conn, "CH0003")
	ch_rcpt(conn, "<bounced@example.com>", "pass")
	local r = ch_data(conn, ch_block({ { "X-Originating-IP", " [10.1.2.3]" } }))
	assert(r == SMFIR_CONTINUE, "unauthenticated: end of message answered " .. ch_rname(r))
	ch_header_edits(conn)
	mt.disconnect(conn)

	conn = tm_connect()
	ch_mail(conn, "CH0004", "alice")
	ch_rcpt(conn, "<bounced@example.com>", "reject")
	ch_rcpt(conn, "<fine@example.com>", "pass")
	r = ch_data(conn, ch_block({ { "X-Originating-IP", " [10.1.2.3]" } }))
	assert(r == SMFIR_CONTINUE, "authenticated: end of message answered " .. ch_rname(r))
	ch_header_edits(conn)
	mt.disconnect(conn)
end)
