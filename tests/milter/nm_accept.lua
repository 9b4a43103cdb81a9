-- nm_accept.lua - the reference milter started with -c answers accept at
-- CONNECT: the MTA leaves it out of the rest of the session.
dofile(os.getenv("MT_DIR") .. "/tm_lib.lua")
tm_run(function()
	mt.disconnect(tm_connect("192.0.2.1", SMFIR_ACCEPT))
end)
