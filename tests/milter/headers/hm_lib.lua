-- hm_lib.lua - shared steps of the milterkit-headers scenarios (dofile),
-- over those of every milter scenario (../tm_lib.lua: tm_run, tm_connect,
-- tm_send). MT_IP and MT_AUTH, when set, are the client address and SASL
-- login of every message that names none. Header values are passed as the
-- MTA passes them with SMFIP_HDR_LEADSPC: leading blank kept.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

local function rname(r)
	return r and string.char(r) or "nil"
end

-- One message on the open connection conn. spec: { from=, args={ESMTP...},
-- auth= (false: none; default MT_AUTH), qid=, rcpts={...},
-- headers={ {name, value}, ... }, accept= }. MAIL, each RCPT and each
-- header must be answered continue; returns the reply to end of message.
-- accept = true: MAIL must be answered accept (the message left alone),
-- and SMFIR_ACCEPT is returned at once; an accept at MAIL is a failure
-- otherwise (nothing after it would be looked at).
function hm_send_message(conn, spec)
	assert(mt.macro(conn, SMFIC_MAIL, "i", spec.qid or "HM0000") == nil, "macro i")
	local auth = spec.auth
	if auth == nil then auth = os.getenv("MT_AUTH") end
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, spec.from or "<sender@example.org>",
	    (table.unpack or unpack)(spec.args or {}))
	if spec.accept then
		assert(r == SMFIR_ACCEPT, "MAIL answered " .. rname(r) .. ", not accept")
		return r
	end
	assert(r == SMFIR_CONTINUE, "MAIL answered " .. rname(r))
	for _, a in ipairs(spec.rcpts or { "<rcpt@example.com>" }) do
		r = tm_send(conn, mt.rcptto, a)
		assert(r == SMFIR_CONTINUE, "RCPT " .. a .. " answered " .. rname(r))
	end
	for _, h in ipairs(spec.headers) do
		r = tm_send(conn, mt.header, h[1], h[2])
		assert(r == SMFIR_CONTINUE, "header " .. h[1] .. " answered " .. rname(r))
	end
	return tm_send(conn, mt.eom)
end

-- One message on a fresh connection from spec.ip (spec as for
-- hm_send_message()). Returns conn (still open, for eom_check/getheader)
-- and the reply to end of message (SMFIR_ACCEPT: MAIL, as spec.accept
-- asked).
function hm_message(spec)
	local conn = tm_connect(spec.ip)
	return conn, hm_send_message(conn, spec)
end

-- A complete, clean header block; extra fields are appended, fields named
-- in drop are left out.
function hm_block(extra, drop)
	local base = {
		{ "Received", " from client.example (client.example [192.0.2.1])\n\tby mx.example.net; Sun, 22 Nov 2026 10:00:00 +0000" },
		{ "From", " Sender <sender@example.org>" },
		{ "To", " <rcpt@example.com>" },
		{ "Subject", " hello" },
		{ "Date", " Sun, 22 Nov 2026 10:00:00 +0000" },
		{ "Message-ID", " <abc.123@example.org>" },
	}
	local out = {}
	for _, h in ipairs(base) do
		local skip = false
		for _, d in ipairs(drop or {}) do
			if d == h[1] then skip = true end
		end
		if not skip then out[#out + 1] = h end
	end
	for _, h in ipairs(extra or {}) do out[#out + 1] = h end
	return out
end

-- The message went through the milter: end of message was answered
-- continue. Not accept: that is what a message left alone at MAIL gets,
-- which the milter never looked at.
function hm_passed(r)
	assert(r == SMFIR_CONTINUE, "message not passed, reply '" .. rname(r) .. "'")
end

function hm_rejected(r)
	assert(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
	    "message not rejected, reply '" .. rname(r) .. "'")
end

-- No header edit at all.
function hm_untouched(conn)
	for _, op in ipairs({ MT_HDRADD, MT_HDRINSERT, MT_HDRCHANGE, MT_HDRDELETE }) do
		assert(not mt.eom_check(conn, op), "an edit was requested (op " .. op .. ")")
	end
end

-- The value a header was added or inserted with (miltertest counts from 0).
function hm_added(conn, name)
	local v = mt.getheader(conn, name, 0)
	assert(v ~= nil, name .. " not added")
	return v
end
