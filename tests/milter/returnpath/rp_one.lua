-- rp_one.lua - several messages on one connection (queue ids RPMT01...):
-- one recipient (rewritten, with the recipient), two recipients (sender
-- only), the null sender, an excluded sender, a sender domain not listed,
-- and one recipient again (the per-message state is reset). Each passes
-- with continue; the driver checks the log lines of each queue id.
dofile(os.getenv("MT_DIR") .. "/rp_lib.lua")
tm_run(function()
	local conn = tm_connect()
	rp_send(conn, { qid = "RPMT01", from = "<alice@example.org>" })
	rp_send(conn, { qid = "RPMT02", from = "<alice@example.org>",
	    rcpts = { "<bob@example.com>", "<carol@example.net>" } })
	rp_send(conn, { qid = "RPMT03", from = "<>" })
	rp_send(conn, { qid = "RPMT04", from = "<noreply@example.org>" })
	rp_send(conn, { qid = "RPMT05", from = "<alice@example.net>" })
	rp_send(conn, { qid = "RPMT06", from = "<dave@shop.example.org>",
	    rcpts = { "<erin@example.com>" } })
	mt.disconnect(conn)
end)
