-- dk_sign.lua - one message From: MT_FROM through the signer: end of message
-- continues with MT_NSIG DKIM-Signature fields inserted (0: none), the top
-- one with d=MT_D when set. The negotiation asks for header values as
-- written (HDR_LEADSPC), no answer per header field, the body kept.
dofile(os.getenv("MT_DIR") .. "/dk_lib.lua")
tm_run(function()
	local conn = tm_connect()
	assert(mt.test_option(conn, SMFIP_HDR_LEADSPC), "no HDR_LEADSPC")
	assert(mt.test_option(conn, SMFIP_NR_HDR), "answers awaited per header")
	assert(not mt.test_option(conn, SMFIP_NOBODY), "body negotiated away")
	local r = dk_message(conn, os.getenv("MT_QID") or "DK0001", os.getenv("MT_FROM"))
	assert(r == SMFIR_CONTINUE, "end of message answered " .. dk_rname(r))
	dk_signatures(conn, tonumber(os.getenv("MT_NSIG")), os.getenv("MT_D"))
	mt.disconnect(conn)
end)
