-- su_reset.lua - several messages on one milter connection: each RCPT is
-- scoped by the MAIL FROM of its own message, never by an earlier one's.
-- <carol@example.net> is suppressed for sender domain news.example.org
-- only: rejected in a message from there, passing in the next message
-- (from other.example), rejected again in the third. Then a message
-- aborted after RCPT (as the MTA does at RSET): the next MAIL on the same
-- connection works and starts fresh (carol passes for other.example, a
-- global entry is still rejected).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local conn = tm_connect()
	local function eom(what)
		local r = tm_send(conn, mt.eom)
		assert(r == SMFIR_CONTINUE, "end of " .. what .. " answered '"
		    .. string.char(r) .. "'")
	end
	su_mail(conn, "<list@news.example.org>", "SU0030")
	su_rejected(conn, "<carol@example.net>")
	eom("message 1")
	su_mail(conn, "<list@other.example>", "SU0030b")
	su_passes(conn, "<carol@example.net>")
	eom("message 2")
	su_mail(conn, "<list@news.example.org>", "SU0030c")
	su_rejected(conn, "<carol@example.net>")
	eom("message 3")
	su_mail(conn, "<list@news.example.org>", "SU0030d")
	su_rejected(conn, "<carol@example.net>")
	assert(mt.abort(conn) == nil, "abort failed")
	su_mail(conn, "<list@other.example>", "SU0030e")
	su_passes(conn, "<carol@example.net>")
	su_rejected(conn, "<bounced@example.com>")
	eom("the message after the abort")
	mt.disconnect(conn)
end)
