-- su_auth.lua - check = authenticated: MAIL without {auth_authen} is
-- answered accept (the MTA leaves the milter out of that message); one
-- whose MAIL carried {auth_authen} is checked (rejected).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0013", accept = true }
	su_message{ from = "<sender@example.org>", qid = "SU0013b", auth = "alice",
	    reject = { "<bounced@example.com>" }, pass = { "<fine@example.com>" } }
end)
