-- su_custom.lua - with reply_bounce = 550 5.1.1 custom %a %r the bounce
-- entry still rejects (the driver checks the text with su_probe.py).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0021",
	    reject = { "<bounced@example.com>" }, pass = { "<fine@example.com>" } }
end)
