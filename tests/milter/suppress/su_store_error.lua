-- su_store_error.lua - the store is missing. MT_EXPECT=tempfail: each RCPT
-- gets a temporary failure of its own (reply code, or plain tempfail; the
-- driver checks 451 4.3.0 with su_probe.py). MT_EXPECT=accept: each RCPT
-- is answered continue, never accept (an accept at RCPT would accept the
-- whole message and the MTA would not ask about its later recipients);
-- the driver checks that each recipient was looked up (one log line each).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local conn = tm_connect()
	su_mail(conn, "<sender@example.org>", os.getenv("MT_QID"))
	for _, a in ipairs({ "<bounced@example.com>", "<other@example.com>" }) do
		if os.getenv("MT_EXPECT") == "accept" then
			su_passes(conn, a)
		else
			local r = tm_send(conn, mt.rcptto, a)
			assert(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL,
			    "RCPT " .. a .. " not tempfailed, got '" .. string.char(r) .. "'")
		end
	end
	mt.disconnect(conn)
end)
