/*
 * NAME
 *	page.c - milterkit-unsubd: the HTML pages (see unsub.h)
 * DESCRIPTION
 *	Small, self-contained pages: no scripts, no external resources, so
 *	that the Content-Security-Policy http.c sends can forbid everything
 *	but posting the form back. Everything from the request is escaped.
 */
#include "config.h"

#include <string.h>

#include "mk_strbuf.h"
#include "unsub.h"

static void
esc(struct mk_strbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':	mk_strbuf_str(b, "&amp;"); break;
		case '<':	mk_strbuf_str(b, "&lt;"); break;
		case '>':	mk_strbuf_str(b, "&gt;"); break;
		case '"':	mk_strbuf_str(b, "&quot;"); break;
		case '\'':	mk_strbuf_str(b, "&#39;"); break;
		default:	mk_strbuf_ch(b, *s); break;
		}
	}
}

static void
head(struct mk_strbuf *b, const char *title)
{
	mk_strbuf_str(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	esc(b, title);
	mk_strbuf_str(b, "</title></head>\n<body>\n<h1>");
	esc(b, title);
	mk_strbuf_str(b, "</h1>\n");
}

static char *
tail(struct mk_strbuf *b)
{
	mk_strbuf_str(b, "</body></html>\n");
	return mk_strbuf_take(b);
}

char *
unsub_page_confirm(const char *title, const struct unsub_req *q)
{
	struct mk_strbuf b = { NULL, 0, 0 };

	head(&b, title);
	mk_strbuf_str(&b, "<p>Stop mail from <b>");
	esc(&b, q->d);
	mk_strbuf_str(&b, "</b> to <b>");
	esc(&b, q->r);
	mk_strbuf_str(&b, "</b>?</p>\n"
	    "<form method=\"post\">"
	    "<input type=\"hidden\" name=\"List-Unsubscribe\" "
	    "value=\"One-Click\">"
	    "<button type=\"submit\">Unsubscribe</button></form>\n");
	return tail(&b);
}

char *
unsub_page_done(const char *title, const struct unsub_req *q)
{
	struct mk_strbuf b = { NULL, 0, 0 };

	head(&b, title);
	mk_strbuf_str(&b, "<p>Unsubscribed: <b>");
	esc(&b, q->r);
	mk_strbuf_str(&b, "</b> will get no more mail from <b>");
	esc(&b, q->d);
	mk_strbuf_str(&b, "</b>.</p>\n");
	return tail(&b);
}

char *
unsub_page_text(const char *title, const char *text)
{
	struct mk_strbuf b = { NULL, 0, 0 };

	head(&b, title);
	mk_strbuf_str(&b, "<p>");
	esc(&b, text);
	mk_strbuf_str(&b, "</p>\n");
	return tail(&b);
}
