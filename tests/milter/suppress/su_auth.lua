-- su_auth.lua - check = authenticated: a session without {auth_authen} is
-- left alone (the suppressed recipient passes); one whose MAIL carried
-- {auth_authen} is checked (rejected).
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0013",
	    pass = { "<bounced@example.com>" } }
	su_message{ from = "<sender@example.org>", qid = "SU0013b", auth = "alice",
	    reject = { "<bounced@example.com>" }, pass = { "<fine@example.com>" } }
end)
