-- su_lib.lua - shared steps of the milterkit-suppress scenarios (dofile),
-- over those of every milter scenario (../tm_lib.lua: tm_run, tm_connect,
-- tm_send). No HELO: the milter does not ask for it (mt.mailfrom sends it
-- implicitly when it was negotiated).
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

-- MAIL FROM with queue id qid (macro {i}) and, when auth is given, the SASL
-- login {auth_authen}, both sent with MAIL as Postfix does; the reply must
-- be want (default: continue). Returns the reply.
function su_mail(conn, from, qid, auth, want)
	if qid then
		assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil, "macro i")
	end
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, from)
	want = want or SMFIR_CONTINUE
	assert(r == want, "MAIL " .. from .. " answered '" .. string.char(r)
	    .. "', want '" .. string.char(want) .. "'")
	return r
end

-- The recipient is rejected with a reply of its own (smfi_setreply).
function su_rejected(conn, rcpt)
	local r = tm_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_REPLYCODE, "RCPT " .. rcpt .. " not rejected with a reply code, got '"
	    .. string.char(r) .. "'")
end

-- The recipient passes: the milter continues. Only CONTINUE: an accept at
-- RCPT would accept the whole message, and the MTA would not ask the milter
-- about the message's later recipients.
function su_passes(conn, rcpt)
	local r = tm_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_CONTINUE, "RCPT " .. rcpt
	    .. " did not pass (continue), got '" .. string.char(r) .. "'")
end

-- The recipients of one message checked in order: each step is
-- { "reject", addr } or { "pass", addr }.
function su_rcpts(conn, steps)
	for _, st in ipairs(steps) do
		if st[1] == "reject" then
			su_rejected(conn, st[2])
		else
			assert(st[1] == "pass", "unknown step " .. tostring(st[1]))
			su_passes(conn, st[2])
		end
	end
end

-- One message on a fresh connection: from, then recipients checked: those
-- of rcpts in their order, then those of reject, then those of pass.
-- spec: { ip=, from=, qid=, auth=, accept=, rcpts={ {"pass", a}, ... },
-- reject={...}, pass={...} }; accept = true: MAIL must be answered accept
-- (the message left alone), and is never answered so otherwise.
function su_message(spec)
	local conn = tm_connect(spec.ip)
	su_mail(conn, spec.from, spec.qid, spec.auth,
	    spec.accept and SMFIR_ACCEPT or SMFIR_CONTINUE)
	if spec.accept then
		assert(not spec.rcpts and not spec.reject and not spec.pass,
		    "MAIL left the message alone, but recipients were to be checked")
	else
		su_rcpts(conn, spec.rcpts or {})
		for _, a in ipairs(spec.reject or {}) do su_rejected(conn, a) end
		for _, a in ipairs(spec.pass or {}) do su_passes(conn, a) end
	end
	mt.disconnect(conn)
end
