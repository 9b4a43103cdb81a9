-- tm_lib.lua - shared steps of the milter scenarios (loaded by dofile; the
-- suppress and headers libraries load it too). MT_SOCKET names the milter's
-- socket. Every scenario runs inside tm_run(),
-- which prints the error and exits 1 on failure (miltertest alone may exit
-- silently on a failed assert).

function tm_run(fn)
	local ok, err = pcall(fn)
	if not ok then
		print("FAIL: " .. tostring(err))
		os.exit(1)
	end
	print("PASS")
end

-- Connect and send CONNECT from client address ip (default MT_IP, else
-- 192.0.2.1), asserting the milter's reply is want (default: continue).
function tm_connect(ip, want)
	mt.set_timeout(5)
	local conn = mt.connect(os.getenv("MT_SOCKET"), 40, 0.25)
	assert(conn ~= nil, "cannot connect to " .. tostring(os.getenv("MT_SOCKET")))
	assert(mt.conninfo(conn, "client.example", ip or os.getenv("MT_IP") or "192.0.2.1") == nil,
	    "conninfo failed")
	local r = mt.getreply(conn)
	assert(r == (want or SMFIR_CONTINUE), "CONNECT from " .. tostring(ip)
	    .. " answered '" .. (r and string.char(r) or "nil") .. "'")
	return conn
end

-- Connect and send CONNECT and HELO, asserting the milter continues.
function tm_open()
	local conn = tm_connect()
	assert(mt.helo(conn, "client.example") == nil, "helo failed")
	assert(mt.getreply(conn) == SMFIR_CONTINUE, "helo not continued")
	return conn
end

-- Send one command and return the milter's reply.
function tm_send(conn, fn, ...)
	local err = fn(conn, ...)
	assert(err == nil, "command failed: " .. tostring(err))
	return mt.getreply(conn)
end
