-- ch_lib.lua - shared steps of the chain scenarios (dofile), over those of
-- every milter scenario (../tm_lib.lua: tm_run, tm_connect, tm_send).
-- Header values are passed as the MTA passes them with SMFIP_HDR_LEADSPC
-- (leading blank kept), which the headers filter asks for.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

function ch_rname(r)
	return r and string.char(r) or "nil"
end

-- MAIL with queue id qid and, when given, the SASL login auth; the reply
-- must be continue (never accept while a filter still looks at it).
function ch_mail(conn, qid, auth, from)
	assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil, "macro i")
	if auth then
		assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth) == nil, "macro auth")
	end
	local r = tm_send(conn, mt.mailfrom, from or "<sender@example.org>")
	assert(r == SMFIR_CONTINUE, "MAIL answered " .. ch_rname(r))
end

-- RCPT answered as want says: "reject" (a reply code of its own) or
-- "pass" (continue: never accept at RCPT).
function ch_rcpt(conn, addr, want)
	local r = tm_send(conn, mt.rcptto, addr)
	if want == "reject" then
		assert(r == SMFIR_REPLYCODE, "RCPT " .. addr .. " not refused, got " .. ch_rname(r))
	else
		assert(r == SMFIR_CONTINUE, "RCPT " .. addr .. " did not pass, got " .. ch_rname(r))
	end
end

-- Sends the header fields, then end of message; returns its reply.
function ch_data(conn, headers)
	for _, h in ipairs(headers) do
		local r = tm_send(conn, mt.header, h[1], h[2])
		assert(r == SMFIR_CONTINUE, "header " .. h[1] .. " answered " .. ch_rname(r))
	end
	return tm_send(conn, mt.eom)
end

-- A header block: Received, From, To, Subject, Date, extra fields; no
-- Message-ID unless given in extra; fields named in drop left out.
function ch_block(extra, drop)
	local base = {
		{ "Received", " from client.example (client.example [192.0.2.1])\n\tby mx.example.net; Sun, 22 Nov 2026 10:00:00 +0000" },
		{ "From", " Sender <sender@example.org>" },
		{ "To", " <rcpt@example.com>" },
		{ "Subject", " hello" },
		{ "Date", " Sun, 22 Nov 2026 10:00:00 +0000" },
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

-- The headers filter's edits of a block without Message-ID and with an
-- X-Originating-IP: Message-ID added, X-Originating-IP deleted.
function ch_header_edits(conn)
	assert(mt.eom_check(conn, MT_HDRADD, "Message-ID"), "Message-ID not added")
	assert(mt.eom_check(conn, MT_HDRDELETE, "X-Originating-IP"), "X-Originating-IP kept")
end

function ch_no_edits(conn)
	for _, op in ipairs({ MT_HDRADD, MT_HDRINSERT, MT_HDRCHANGE, MT_HDRDELETE }) do
		assert(not mt.eom_check(conn, op), "an edit was requested (op " .. op .. ")")
	end
end
