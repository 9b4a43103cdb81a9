/*
 * reply.c - SMTP reply templates of the milters (see mk_reply.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mk_reply.h"

/* Parse "CODE X.Y.Z " at the start of tpl: lengths of the codes and the
 * offset of the text; 0 or -1 with a message. */
static int
split(const char *tpl, size_t *xlen, size_t *textoff, char *err, size_t errlen)
{
	const char *x = tpl + 4, *p;
	int parts = 0;

	if (!(tpl[0] == '4' || tpl[0] == '5') || !isdigit((unsigned char)tpl[1]) ||
	    !isdigit((unsigned char)tpl[2]) || tpl[3] != ' ') {
		snprintf(err, errlen, "a reply starts with a 4xx or 5xx code and"
		    " a space");
		return -1;
	}
	if (x[0] != tpl[0] || x[1] != '.') {
		snprintf(err, errlen, "the enhanced status code must start with"
		    " \"%c.\", like the reply code", tpl[0]);
		return -1;
	}
	for (p = x; parts < 3; parts++) {
		const char *d = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == d || p - d > 3 || (parts < 2 && *p++ != '.')) {
			snprintf(err, errlen, "bad enhanced status code (want"
			    " %c.N.N)", tpl[0]);
			return -1;
		}
	}
	if (*p != ' ' || p[1] == '\0') {
		snprintf(err, errlen, "the reply needs a text after the codes");
		return -1;
	}
	*xlen = (size_t)(p - x);
	*textoff = (size_t)(p + 1 - tpl);
	return 0;
}

int
mk_reply_check(const char *tpl, char *err, size_t errlen)
{
	size_t xlen, off;

	if (split(tpl, &xlen, &off, err, errlen) != 0)
		return -1;
	for (const char *p = tpl + off; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			snprintf(err, errlen, "the reply text must be printable"
			    " ASCII");
			return -1;
		}
		if (*p == '%') {
			if (!islower((unsigned char)p[1])) {
				snprintf(err, errlen, "'%%' must be followed by a"
				    " letter a-z (\"%%%c\" is not one)",
				    p[1] ? p[1] : ' ');
				return -1;
			}
			p++;
		}
	}
	if (strlen(tpl + off) > MK_REPLY_TEXT_MAX) {
		snprintf(err, errlen, "the reply text is longer than %d octets",
		    MK_REPLY_TEXT_MAX);
		return -1;
	}
	return 0;
}

int
mk_reply_format(const char *tpl, const char *const vars[26],
    struct mk_reply *out)
{
	char err[128];
	size_t xlen, off, o = 0;

	if (mk_reply_check(tpl, err, sizeof(err)) != 0 ||
	    split(tpl, &xlen, &off, err, sizeof(err)) != 0)
		return -1;
	memcpy(out->rcode, tpl, 3);
	out->rcode[3] = '\0';
	memcpy(out->xcode, tpl + 4, xlen);
	out->xcode[xlen] = '\0';
	for (const char *p = tpl + off; *p && o < MK_REPLY_TEXT_MAX; p++) {
		const char *v;
		size_t vl;

		if (*p != '%') {
			out->text[o++] = *p;
			continue;
		}
		v = vars[*++p - 'a'];
		vl = v != NULL ? strlen(v) : 0;
		int cut = o + vl > MK_REPLY_TEXT_MAX;

		if (cut)
			vl = MK_REPLY_TEXT_MAX - o > 3 ? MK_REPLY_TEXT_MAX - o - 3 : 0;
		for (size_t i = 0; i < vl; i++) {
			unsigned char c = (unsigned char)v[i];
			out->text[o++] = (c < 0x20 || c > 0x7e || c == '%') ? '?' :
			    (char)c;
		}
		if (cut) {
			while (o < MK_REPLY_TEXT_MAX)
				out->text[o++] = '.';
			break;
		}
	}
	out->text[o] = '\0';
	return 0;
}

int
mk_reply_text_check(const char *text, char *err, size_t errlen)
{
	if (strlen(text) > MK_REPLY_TEXT_MAX) {
		snprintf(err, errlen, "the text is longer than %d octets",
		    MK_REPLY_TEXT_MAX);
		return -1;
	}
	for (const char *p = text; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
		    *p == '%') {
			snprintf(err, errlen, "the text must be printable ASCII"
			    " without '%%'");
			return -1;
		}
	}
	return 0;
}
