-- su_expired.lua - an entry whose expiry has passed does not count, while a
-- live entry of the same store still rejects.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0006",
	    pass = { "<soon@example.com>" },
	    reject = { "<bounced@example.com>" } }
end)
