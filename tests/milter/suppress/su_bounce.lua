-- su_bounce.lua - a global bounce entry rejects its RCPT with a reply code
-- (the shell driver checks the text, 550 5.1.1, with su_probe.py); the other
-- recipients of the same message, before and after it, continue.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local conn = tm_connect()
	su_mail(conn, "<sender@example.org>", "SU0001")
	su_passes(conn, "<first@example.com>")
	su_rejected(conn, "<bounced@example.com>")
	su_passes(conn, "<second@example.com>")
	su_passes(conn, "<third@example.com>")
	mt.disconnect(conn)
end)
