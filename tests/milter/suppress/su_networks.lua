-- su_networks.lua - check = networks, networks = 127.0.0.0/8: a client at
-- 192.0.2.1 is answered accept at CONNECT (the MTA leaves the milter out
-- of the whole session), a client at 127.0.0.1 is checked.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	mt.disconnect(tm_connect("192.0.2.1", SMFIR_ACCEPT))
	su_message{ ip = "127.0.0.1", from = "<sender@example.org>", qid = "SU0014b",
	    reject = { "<bounced@example.com>" } }
end)
