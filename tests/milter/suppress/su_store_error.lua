-- su_store_error.lua - the store is missing: with MT_EXPECT=tempfail the RCPT
-- gets a temporary failure (reply code, or plain tempfail; the driver checks
-- 451 4.3.0 with su_probe.py); with MT_EXPECT=accept it passes.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local conn = tm_connect()
	su_mail(conn, "<sender@example.org>", os.getenv("MT_QID"))
	if os.getenv("MT_EXPECT") == "accept" then
		su_passes(conn, "<bounced@example.com>")
	else
		local r = tm_send(conn, mt.rcptto, "<bounced@example.com>")
		assert(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL,
		    "RCPT not tempfailed, got '" .. string.char(r) .. "'")
	end
	mt.disconnect(conn)
end)
