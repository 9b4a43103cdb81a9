-- su_scoped.lua - an entry scoped to sender domain news.example.org applies
-- only when MAIL FROM is in that domain: not for another sender domain, not
-- for the null sender <>.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<list@news.example.org>", qid = "SU0003",
	    reject = { "<carol@example.net>" }, pass = { "<dan@example.net>" } }
	su_message{ from = "<List@NEWS.Example.ORG>", qid = "SU0003b",
	    reject = { "<carol@example.net>" } }
	su_message{ from = "<list@other.example>", qid = "SU0003c",
	    pass = { "<carol@example.net>" } }
	su_message{ from = "<>", qid = "SU0003d", pass = { "<carol@example.net>" } }
end)
