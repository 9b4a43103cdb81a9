-- su_domain.lua - a whole-domain entry "@blocked.example" rejects any address
-- of that domain (whatever its case), and no address of another domain.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0004",
	    reject = { "<anyone@blocked.example>", "<x.y+z@Blocked.EXAMPLE>" },
	    pass = { "<anyone@example.com>", "<blocked.example@example.com>" } }
end)
