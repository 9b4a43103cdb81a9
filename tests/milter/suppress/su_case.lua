-- su_case.lua - the entry added as Bob@Example.COM rejects <bob@example.com>
-- and <BOB@EXAMPLE.COM> (local part folded, domain lower-cased).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0010",
	    reject = { "<bob@example.com>", "<BOB@EXAMPLE.COM>" },
	    pass = { "<bobby@example.com>" } }
end)
