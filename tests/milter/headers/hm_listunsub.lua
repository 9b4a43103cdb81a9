-- hm_listunsub.lua - unsubscribe_domains = news.example: a single-recipient
-- message from news.example without List-Unsubscribe gets List-Unsubscribe
-- (mailto: with a token, and the https URL of unsubscribe_url) and
-- List-Unsubscribe-Post: List-Unsubscribe=One-Click; two recipients,
-- another sender domain, or a List-Unsubscribe already present: none.
dofile(os.getenv("MT_DIR") .. "/hm_lib.lua")
tm_run(function()
	local conn, r = hm_message{ qid = "HM0010", from = "<list@news.example>",
	    rcpts = { "<reader@example.com>" }, headers = hm_block() }
	hm_passed(r)
	local v = hm_added(conn, "List-Unsubscribe")
	assert(string.match(v, "<mailto:unsubscribe%+[%w%-_.=]+@news%.example>"),
	    "no mailto: with a token in '" .. v .. "'")
	assert(string.find(v, "<https://unsub.example/news.example/", 1, true),
	    "no https URL in '" .. v .. "'")
	local p = hm_added(conn, "List-Unsubscribe-Post")
	assert(p == " List-Unsubscribe=One-Click", "List-Unsubscribe-Post is '" .. p .. "'")
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0010b", from = "<list@news.example>",
	    rcpts = { "<reader@example.com>", "<other@example.com>" }, headers = hm_block() }
	hm_passed(r)
	assert(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"), "added for two recipients")
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0010c", from = "<list@other.example>",
	    rcpts = { "<reader@example.com>" }, headers = hm_block() }
	hm_passed(r)
	assert(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"), "added for another domain")
	mt.disconnect(conn)
	conn, r = hm_message{ qid = "HM0010d", from = "<list@news.example>",
	    rcpts = { "<reader@example.com>" }, headers = hm_block(
	    { { "List-Unsubscribe", " <mailto:own@news.example>" } }) }
	hm_passed(r)
	assert(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"), "added besides the own one")
	mt.disconnect(conn)
end)
