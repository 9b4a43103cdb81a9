-- dk_lib.lua - shared steps of the dkim scenarios (dofile), over those of
-- every milter scenario (../tm_lib.lua: tm_run, tm_connect, tm_send).
-- Header values go as the MTA passes them with SMFIP_HDR_LEADSPC (leading
-- blank kept), which the dkim filter asks for.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

function dk_rname(r)
	return r and string.char(r) or "nil"
end

-- One message From: from (a header value), with a short body; returns the
-- reply at end of message. MAIL, the headers and the body chunk
-- are never answered by anything but continue.
function dk_message(conn, qid, from)
	assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil, "macro i")
	local r = tm_send(conn, mt.mailfrom, "<sender@example.org>")
	assert(r == SMFIR_CONTINUE, "MAIL answered " .. dk_rname(r))
	-- RCPT is negotiated away (no callback): not sent
	local hdrs = {
		{ "From", " " .. from },
		{ "To", " <rcpt@example.com>" },
		{ "Subject", " dkim\n\tfolded" },
		{ "Date", " Sun, 22 Nov 2026 10:00:00 +0000" },
	}
	for _, h in ipairs(hdrs) do
		r = tm_send(conn, mt.header, h[1], h[2])
		assert(r == SMFIR_CONTINUE, "header " .. h[1] .. " answered " .. dk_rname(r))
	end
	r = tm_send(conn, mt.bodystring, "hello  world \r\n\r\n")
	assert(r == SMFIR_CONTINUE, "body answered " .. dk_rname(r))
	assert(mt.macro(conn, string.byte("E"), "i", qid) == nil, "macro i at EOM")
	return tm_send(conn, mt.eom)
end

-- Asserts that exactly n DKIM-Signature fields were inserted, the first
-- (top) one with d=dom when dom is given.
function dk_signatures(conn, n, dom)
	if n == 0 then
		assert(not mt.eom_check(conn, MT_HDRINSERT), "a field was inserted")
		assert(not mt.eom_check(conn, MT_HDRADD), "a field was added")
		return
	end
	assert(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"), "no DKIM-Signature inserted")
	assert(mt.getheader(conn, "DKIM-Signature", n - 1) ~= nil, "fewer than " .. n .. " signatures")
	assert(mt.getheader(conn, "DKIM-Signature", n) == nil, "more than " .. n .. " signatures")
	if dom then
		local v = mt.getheader(conn, "DKIM-Signature", 0)
		assert(string.find(v, "d=" .. dom .. ";", 1, true), "not d=" .. dom .. ": " .. v)
	end
end
