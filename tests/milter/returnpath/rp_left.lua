-- rp_left.lua - check = authenticated: MAIL is answered, a message
-- without a login is left alone there (accept, queue id RPMA01), one with
-- a login is looked at and passes with continue (RPMA02); the driver
-- checks the log lines.
dofile(os.getenv("MT_DIR") .. "/rp_lib.lua")
tm_run(function()
	local conn = tm_connect()
	rp_send(conn, { qid = "RPMA01", from = "<alice@example.org>", accept = true })
	mt.disconnect(conn)
	conn = tm_connect()
	rp_send(conn, { qid = "RPMA02", from = "<alice@example.org>", auth = "alice" })
	mt.disconnect(conn)
end)
