-- hm_lib.lua - shared steps of the milterkit-headers scenarios (dofile),
-- over those of every milter scenario (../tm_lib.lua: tm_run, tm_connect,
-- tm_send). MT_IP and MT_AUTH, when set, are the client address and SASL
-- login of every message that names none. Header values are passed as the
-- MTA passes them with SMFIP_HDR_LEADSPC: leading blank kept.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

local function rname(r)
	return r and string.char(r) or "nil"
end

-- One message on a fresh connection. spec: { ip=, from=, args={ESMTP...},
-- auth= (false: none; default MT_AUTH), qid=, rcpts={...}, headers={ {name, value}, ... } }.
-- Returns conn (still open, for eom_check/getheader) and the reply to
-- end of message; MAIL answered accept returns conn and SMFIR_ACCEPT.
function hm_message(spec)
	local conn = tm_connect(spec.ip)
	assert(mt.macro(conn, SMFIC_MAIL, "i", spec.qid or "HM0000") == nil, "macro i")
	local auth = spec.auth
	if auth == nil then auth = os.getenv("MT_AUTH") end
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, spec.from or "<sender@example.org>",
	    (table.unpack or unpack)(spec.args or {}))
	if r == SMFIR_ACCEPT then
		return conn, r
	end
	assert(r == SMFIR_CONTINUE, "MAIL answered " .. rname(r))
	for _, a in ipairs(spec.rcpts or { "<rcpt@example.com>" }) do
		r = tm_send(conn, mt.rcptto, a)
		assert(r == SMFIR_CONTINUE, "RCPT " .. a .. " answered " .. rname(r))
	end
	for _, h in ipairs(spec.headers) do
		r = tm_send(conn, mt.header, h[1], h[2])
		if r ~= SMFIR_CONTINUE then
			return conn, r
		end
	end
	r = tm_send(conn, mt.eom)
	return conn, r
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

-- The message went through: end of message continued (or accepted).
function hm_passed(r)
	assert(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "message not passed, reply '" .. rname(r) .. "'")
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
