-- nm_session.lua - the reference milter (bench/nullmilter) negotiates away
-- every stage miltertest offers to skip and continues at end of message.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")

local function skipped(name, fn, ...)
	local ok, err = pcall(fn, ...)
	assert(not ok and tostring(err):find("negotiated", 1, true),
	    name .. " was not negotiated away: " .. tostring(err))
end

tm_run(function()
	mt.set_timeout(5)
	local conn = mt.connect(os.getenv("MT_SOCKET"), 40, 0.25)
	assert(conn ~= nil, "cannot connect to " .. tostring(os.getenv("MT_SOCKET")))
	skipped("CONNECT", mt.conninfo, conn, "client.example", "192.0.2.1")
	skipped("HELO", mt.helo, conn, "client.example")
	skipped("MAIL", mt.mailfrom, conn, "<sender@example.org>")
	skipped("RCPT", mt.rcptto, conn, "<bob@example.com>")
	skipped("header", mt.header, conn, "Subject", "hello")
	skipped("EOH", mt.eoh, conn)
	skipped("body", mt.bodystring, conn, "hello\r\n")
	assert(tm_send(conn, mt.eom) == SMFIR_CONTINUE, "EOM not continued")
	mt.disconnect(conn)
end)
