-- dm_msg.lua - one message (the file MT_FILE: header fields, an empty
-- line, the body) from client MT_IP with envelope sender MT_SENDER through
-- milterkit-dmarc. MT_WANT "continue": end of message continues and an
-- Authentication-Results field containing MT_AR is inserted at the top;
-- MT_WANT "reply": end of message answers with a reply code (a refusal
-- with its text), nothing inserted.
dofile(os.getenv("MT_DIR") .. "/../tm_lib.lua")

local function rname(r)
	return r and string.char(r) or "nil"
end

-- The header fields ({name, value as written}) and the body (CRLF).
local function read_message(path)
	local f = assert(io.open(path, "rb"), "cannot open " .. path)
	local text = f:read("a"):gsub("\r\n", "\n")
	f:close()
	local head, body = text:match("^(.-)\n\n(.*)$")
	assert(head, "no empty line in " .. path)
	local fields = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #fields > 0 then
			fields[#fields][2] = fields[#fields][2] .. "\n" .. line
		else
			local name, value = line:match("^([^:]+):(.*)$")
			if name then
				fields[#fields + 1] = { name, value }
			end
		end
	end
	return fields, body:gsub("\n", "\r\n")
end

tm_run(function()
	local conn = tm_connect(os.getenv("MT_IP"))
	assert(mt.test_option(conn, SMFIP_HDR_LEADSPC), "no HDR_LEADSPC")
	assert(mt.helo(conn, "client.example") == nil, "helo failed")
	assert(mt.getreply(conn) == SMFIR_CONTINUE, "helo not continued")
	assert(mt.macro(conn, SMFIC_MAIL, "i", "DMLUA1") == nil, "macro i")
	local r = tm_send(conn, mt.mailfrom, "<" .. os.getenv("MT_SENDER") .. ">")
	assert(r == SMFIR_CONTINUE, "MAIL answered " .. rname(r))
	local fields, body = read_message(os.getenv("MT_FILE"))
	for _, h in ipairs(fields) do
		r = tm_send(conn, mt.header, h[1], h[2])
		assert(r == SMFIR_CONTINUE, "header " .. h[1] .. " answered " .. rname(r))
	end
	r = tm_send(conn, mt.bodystring, body)
	assert(r == SMFIR_CONTINUE, "body answered " .. rname(r))
	r = tm_send(conn, mt.eom)
	if os.getenv("MT_WANT") == "reply" then
		assert(r == SMFIR_REPLYCODE, "end of message answered " .. rname(r))
		assert(not mt.eom_check(conn, MT_HDRINSERT), "a field was inserted")
	else
		assert(r == SMFIR_CONTINUE, "end of message answered " .. rname(r))
		assert(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
		    "no Authentication-Results inserted")
		local v = mt.getheader(conn, "Authentication-Results", 0)
		assert(v and string.find(v, os.getenv("MT_AR"), 1, true),
		    "Authentication-Results lacks " .. os.getenv("MT_AR") .. ": " .. tostring(v))
	end
	mt.disconnect(conn)
end)
