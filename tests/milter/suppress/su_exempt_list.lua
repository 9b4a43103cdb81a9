-- su_exempt_list.lua - a configured exempt list (exempt = info@,
-- vip@blocked.example, @partner.example): every form exempts, other
-- addresses of the suppressed domains are still rejected.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0020",
	    pass = { "<info@blocked.example>", "<vip@blocked.example>",
	        "<anyone@partner.example>" },
	    reject = { "<other@blocked.example>" } }
end)
