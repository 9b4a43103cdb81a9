-- su_exempt.lua - with the default exempt list, postmaster@ and abuse@ pass
-- although "@blocked.example" is suppressed; another local part does not.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0007",
	    pass = { "<postmaster@blocked.example>", "<abuse@blocked.example>" },
	    reject = { "<info@blocked.example>" } }
end)
