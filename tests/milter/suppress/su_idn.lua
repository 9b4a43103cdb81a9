-- su_idn.lua - IDN domains match in either form: the entry added as
-- user@bücher.example rejects RCPT <user@xn--bcher-kva.example>, the entry
-- added as other@xn--bcher-kva.example rejects RCPT <other@bücher.example>.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	su_message{ from = "<sender@example.org>", qid = "SU0009",
	    reject = { "<user@xn--bcher-kva.example>", "<other@bücher.example>",
	        "<user@BÜCHER.example>" },
	    pass = { "<nobody@bücher.example>" } }
end)
