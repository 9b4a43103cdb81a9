-- su_live.lua - one message to live@example.com; MT_EXPECT says whether it
-- is rejected (entry just added) or passes (no entry, or just removed).
-- The driver changes the store with the milterkit command in between, and
-- never reloads the milter.
dofile(os.getenv("MT_DIR") .. "/su_lib.lua")
tm_run(function()
	local spec = { from = "<sender@example.org>", qid = os.getenv("MT_QID") }
	if os.getenv("MT_EXPECT") == "reject" then
		spec.reject = { "<live@example.com>" }
	else
		spec.pass = { "<live@example.com>" }
	end
	su_message(spec)
end)
