-- rp_lib.lua - shared steps of the milterkit-returnpath scenarios (dofile),
-- over those of every milter scenario (../tm_lib.lua: tm_run, tm_connect,
-- tm_send). The milter answers nothing at CONNECT, MAIL and RCPT
-- (SMFIP_NR_*): miltertest then reports continue there. miltertest records
-- the SMFIR_CHGFROM of end of message but cannot show it (no MT_CHGFROM):
-- the driver reads the new senders from the milter's log, by queue id,
-- and rp_probe.py shows them as the MTA receives them.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

local function rname(r)
	return r and string.char(r) or "nil"
end

-- One message on the open connection conn. spec: { from=, qid=,
-- rcpts={...}, auth=, accept= }; returns the reply to end of message,
-- which must be continue (the filter never refuses a message of these
-- scenarios). accept = true: MAIL must be answered accept (a session
-- choice leaving the message alone, answered at MAIL), and that is
-- returned at once.
function rp_send(conn, spec)
	assert(mt.macro(conn, SMFIC_MAIL, "i", spec.qid) == nil, "macro i")
	if spec.auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", spec.auth) == nil,
		    "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, spec.from)
	if spec.accept then
		assert(r == SMFIR_ACCEPT, "MAIL " .. spec.from .. " answered " .. rname(r)
		    .. ", not accept")
		return r
	end
	assert(r == SMFIR_CONTINUE, "MAIL " .. spec.from .. " answered " .. rname(r))
	for _, a in ipairs(spec.rcpts or { "<bob@example.com>" }) do
		r = tm_send(conn, mt.rcptto, a)
		assert(r == SMFIR_CONTINUE, "RCPT " .. a .. " answered " .. rname(r))
	end
	-- headers and body were negotiated away: miltertest raises an error
	-- for a stage negotiated away, so none is sent
	assert(mt.macro(conn, string.byte("E"), "i", spec.qid) == nil, "macro i at EOM")
	r = tm_send(conn, mt.eom)
	assert(r == SMFIR_CONTINUE, "EOM of " .. spec.qid .. " answered " .. rname(r))
	-- no header edit, ever
	for _, op in ipairs({ MT_HDRADD, MT_HDRINSERT, MT_HDRCHANGE, MT_HDRDELETE }) do
		assert(not mt.eom_check(conn, op), "a header edit was requested (op " .. op .. ")")
	end
	return r
end
