-- su_reasons.lua - complaint, unsubscribe and manual entries each reject
-- their RCPT (text 550 5.7.1 checked by the driver with su_probe.py).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0002",
	    reject = { "<complained@example.com>", "<unsubscribed@example.com>",
	        "<manual@example.com>" },
	    pass = { "<fine@example.com>" } }
end)
