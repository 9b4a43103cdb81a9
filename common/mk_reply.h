/*
 * NAME
 *	mk_reply - SMTP reply templates of the milters
 * SYNOPSIS
 *	#include "mk_reply.h"
 *
 *	int	mk_reply_check(const char *tpl, char *err, size_t errlen);
 *	int	mk_reply_format(const char *tpl, const char *const vars[26],
 *			struct mk_reply *out);
 *	int	mk_reply_text_check(const char *text, char *err, size_t errlen);
 * DESCRIPTION
 *	mk_reply_text_check() accepts a plain reply text: printable ASCII
 *	without '%', at most MK_REPLY_TEXT_MAX octets (a configuration row's
 *	check).
 *
 *	A template is "CODE X.Y.Z text": CODE is 4xx or 5xx, the enhanced
 *	status code's class equals CODE's first digit, and the text is
 *	printable ASCII. In the text, %a ... %z stand for values the milter
 *	supplies (which letters a milter offers is its documentation's
 *	business); no other '%' may appear, so the text never carries a
 *	format character to the MTA. The text is at most MK_REPLY_TEXT_MAX
 *	octets once expanded; a longer expansion is cut at a value boundary
 *	with "...".
 *
 *	mk_reply_check() validates a template (it does not know which letters
 *	a milter offers: any of a-z is accepted); 0, or -1 with a message in
 *	err.
 *	mk_reply_format() splits a valid template into out->rcode,
 *	out->xcode and out->text with each %x replaced by vars[x - 'a'] made
 *	printable ('%' and control characters become '?'); a NULL var expands
 *	to "". Returns 0, or -1 when tpl is not a valid template.
 */
#ifndef MK_REPLY_H
#define MK_REPLY_H

#include <stddef.h>

#define MK_REPLY_TEXT_MAX 400

struct mk_reply {
	char rcode[4];
	char xcode[16];
	char text[MK_REPLY_TEXT_MAX + 1];
};

int mk_reply_check(const char *tpl, char *err, size_t errlen);
int mk_reply_text_check(const char *text, char *err, size_t errlen);
int mk_reply_format(const char *tpl, const char *const vars[26],
    struct mk_reply *out);

#endif
