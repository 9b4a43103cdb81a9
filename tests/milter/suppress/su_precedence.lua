-- su_precedence.lua - dave@example.net has a global bounce entry and a
-- complaint entry scoped to news.example.org: both senders are rejected;
-- the driver checks which entry decided (reply text and log line).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<list@news.example.org>", qid = "SU0005",
	    reject = { "<dave@example.net>" } }
	su_message{ from = "<list@other.example>", qid = "SU0005b",
	    reject = { "<dave@example.net>" } }
end)
