-- su_malformed.lua - a malformed recipient is left to the MTA: the milter
-- continues (and logs a warning, checked by the driver); a suppressed
-- recipient sent after it in the same message is still rejected, and a
-- fine one after that passes.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0011",
	    pass = { "<a@@b>" } }
	su_message{ from = "<sender@example.org>", qid = "SU0011b",
	    rcpts = { { "pass", "<a@@b>" }, { "reject", "<bounced@example.com>" },
	              { "pass", "<fine@example.com>" } } }
end)
