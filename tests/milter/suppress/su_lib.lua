-- su_lib.lua - shared steps of the milterkit-suppress scenarios (dofile),
-- over those of every milter scenario (../tm_lib.lua: tm_run, tm_connect,
-- tm_send). No HELO: the milter does not ask for it (mt.mailfrom sends it
-- implicitly when it was negotiated).
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

-- MAIL FROM with queue id qid (macro {i}) and, when auth is given, the SASL
-- login {auth_authen}, both sent with MAIL as Postfix does. Returns the reply.
function su_mail(conn, from, qid, auth)
	if qid then
		assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil, "macro i")
	end
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, from)
	assert(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "MAIL " .. from .. " answered " .. string.char(r))
	return r
end

-- The recipient is rejected with a reply of its own (smfi_setreply).
function su_rejected(conn, rcpt)
	local r = tm_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_REPLYCODE, "RCPT " .. rcpt .. " not rejected with a reply code, got '"
	    .. string.char(r) .. "'")
end

-- The recipient passes: the milter continues (or accepts the message).
function su_passes(conn, rcpt)
	local r = tm_send(conn, mt.rcptto, rcpt)
	assert(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "RCPT " .. rcpt
	    .. " did not pass, got '" .. string.char(r) .. "'")
end

-- One message on a fresh connection: from, then recipients checked in order.
-- spec: { ip=, from=, qid=, auth=, accept=, reject={...}, pass={...} };
-- accept = true: MAIL must be answered accept (the message left alone).
function su_message(spec)
	local conn = tm_connect(spec.ip)
	local r = su_mail(conn, spec.from, spec.qid, spec.auth)
	assert(not spec.accept or r == SMFIR_ACCEPT, "MAIL " .. spec.from
	    .. " not answered accept, got '" .. string.char(r) .. "'")
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
