-- su_lib.lua - shared steps of the milterkit-suppress scenarios (dofile).
-- MT_SOCKET names the milter's socket. Every scenario runs inside su_run(),
-- which prints the error and exits 1 on failure (miltertest alone may exit
-- silently on a failed assert) and prints PASS otherwise.

function su_run(fn)
	local ok, err = pcall(fn)
	if not ok then
		print("FAIL: " .. tostring(err))
		os.exit(1)
	end
	print("PASS")
end

-- Connect from client IP (default 192.0.2.1); no HELO: the milter does not
-- ask for it (mt.mailfrom sends it implicitly when it was negotiated).
function su_open(ip)
	mt.set_timeout(5)
	local conn = mt.connect(os.getenv("MT_SOCKET"), 40, 0.25)
	assert(conn ~= nil, "cannot connect to " .. tostring(os.getenv("MT_SOCKET")))
	assert(mt.conninfo(conn, "client.example", ip or "192.0.2.1") == nil, "conninfo failed")
	assert(mt.getreply(conn) == SMFIR_CONTINUE, "connect not continued")
	return conn
end

-- Send one command and return the milter's reply.
function su_send(conn, fn, ...)
	local err = fn(conn, ...)
	assert(err == nil, "command failed: " .. tostring(err))
	return mt.getreply(conn)
end

-- MAIL FROM with queue id qid (macro {i}) and, when auth is given, the SASL
-- login {auth_authen}, both sent with MAIL as Postfix does. Returns the reply.
function su_mail(conn, from, qid, auth)
	if qid then
		assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil, "macro i")
	end
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = su_send(conn, mt.mailfrom, from)
	assert(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "MAIL " .. from .. " answered " .. string.char(r))
	return r
end

-- The recipient is rejected with a reply of its own (smfi_setreply).
function su_rejected(conn, rcpt)
	local r = su_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_REPLYCODE, "RCPT " .. rcpt .. " not rejected with a reply code, got '"
	    .. string.char(r) .. "'")
end

-- The recipient passes: the milter continues (or accepts the message).
function su_passes(conn, rcpt)
	local r = su_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "RCPT " .. rcpt
	    .. " did not pass, got '" .. string.char(r) .. "'")
end

-- One message on a fresh connection: from, then recipients checked in order.
-- spec: { ip=, from=, qid=, auth=, reject={...}, pass={...} }
function su_message(spec)
	local conn = su_open(spec.ip)
	local r = su_mail(conn, spec.from, spec.qid, spec.auth)
	if r == SMFIR_ACCEPT then
		-- The whole message was accepted at MAIL: nothing can be rejected.
		assert(spec.reject == nil or #spec.reject == 0,
		    "MAIL accepted the message, but rejects were expected")
	else
		for _, a in ipairs(spec.reject or {}) do su_rejected(conn, a) end
		for _, a in ipairs(spec.pass or {}) do su_passes(conn, a) end
	end
	mt.disconnect(conn)
end
