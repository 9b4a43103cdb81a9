-- dk_tempfail.lua - a message of a domain whose key file is missing gets a
-- temporary failure at end of message and no signature; the next message
-- on the same connection, of a domain with its key, is signed.
dofile(os.getenv("MT_DIR") .. "/dk_lib.lua")
tm_run(function()
	local conn = tm_connect()
	local r = dk_message(conn, "DK0101", "<a@missing.example>")
	assert(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL,
	    "missing key: end of message answered " .. dk_rname(r))
	dk_signatures(conn, 0)
	r = dk_message(conn, "DK0102", "<a@example.org>")
	assert(r == SMFIR_CONTINUE, "then: end of message answered " .. dk_rname(r))
	dk_signatures(conn, 2, "example.org")
	mt.disconnect(conn)
end)
