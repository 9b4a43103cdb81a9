/*
 * NAME
 *	ingest_text.c - free-text bounces: the formats of MTAs and
 *	providers that send no DSN
 * SYNOPSIS
 *	#include "ingest_parse.h"
 *
 *	int	ing_text_bounce(const char *text, size_t n,
 *			struct ingest_report *r);
 *	size_t	ing_text_original(const char *text, size_t n, size_t *len);
 *	void	ing_diag_extract(const char *text, size_t n, char *diag,
 *			size_t dlen);
 *	void	ing_copy(char *dst, size_t dstlen, const char *s, size_t n);
 *	const char *ing_memcasemem(const char *s, size_t n,
 *			const char *needle);
 * DESCRIPTION
 *	ing_text_bounce() looks at the first ING_TEXT_MAX octets of a
 *	bounce's text for the sentence that introduces the failed
 *	recipients (the earliest one of the table below wins): qmail and
 *	Yahoo ("<addr>:" lines), Exim ("The following address(es) failed:",
 *	and its delay warning), Sendmail before DSNs ("----- The following
 *	addresses had permanent fatal errors -----"), Gmail ("Delivery to
 *	the following recipient failed permanently:", "Your message wasn't
 *	delivered to ADDR because"), Exchange ("Delivery has failed to these
 *	recipients or groups:", "The following recipient(s) could not be
 *	reached:") and Postfix's own notice ("The mail system").
 *
 *	From there to the quoted original message, every line that starts
 *	with an address (bare, in angle brackets or quotes, with a trailing
 *	':' or "...") names a recipient; the lines after it, up to the next
 *	such line, are its text. A recipient named again (Exchange repeats
 *	them under "Diagnostic information for administrators") collects
 *	more text. From that text: the status (ing_status_guess), the
 *	diagnostic (ing_diag_extract) and the kind (ingest_classify with
 *	Action failed, or ING_IGNORED under a delay warning's sentence).
 *
 *	ing_text_original() finds the header block of the original message
 *	that qmail, Exim, Sendmail and Exchange quote after a line such as
 *	"--- Below this line is a copy of the message.".
 *
 *	ing_diag_extract() keeps the SMTP reply out of an item's text: from
 *	its reply code to the end of that paragraph, with the code prefix of
 *	multi-line replies ("550-5.1.1 ") removed from the continuation
 *	lines; without a basic reply code (qmail's "(#5.1.1)", Exchange's
 *	"<host #5.1.1>"), the first paragraph.
 * SEE ALSO
 *	ingest_parse.h, ingest_classify.c
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest_parse.h"
#include "mk_mem.h"

#define ITEM_TEXT_MAX 2048	/* octets of text kept per recipient */

struct fmt {
	const char *name;
	const char *marker;
	int delay;		/* a warning: the recipients are ignored */
};

static const struct fmt fmts[] = {
	{"qmail", "This is the qmail-send program", 0},
	{"yahoo", "unable to deliver your message to the following address", 0},
	{"exim", "following address(es) failed:", 0},
	{"exim", "address(es) failed:", 0},
	{"exim delay warning", "has not yet been delivered is:", 1},
	{"exim delay warning", "has not yet been delivered are:", 1},
	{"sendmail", "following addresses had permanent fatal errors", 0},
	{"sendmail warning", "following addresses had transient non-fatal errors", 1},
	{"gmail", "Delivery to the following recipient failed permanently:", 0},
	{"gmail", "Delivery to the following recipients failed permanently:", 0},
	{"gmail delay warning", "Delivery to the following recipient has been delayed:", 1},
	{"gmail", "wasn't delivered to", 0},
	{"gmail", "was not delivered to", 0},
	{"exchange", "Delivery has failed to these recipients or groups:", 0},
	{"exchange", "following recipient(s) could not be reached:", 0},
	{"exchange", "following recipient(s) cannot be reached:", 0},
	{"postfix", "The mail system", 0},
};

/* Where the quoted original message starts; also where recipients end. */
static const char *const orig_markers[] = {
	"Below this line is a copy of the message",
	"This is a copy of the message",
	"Original message follows",
	"----- Original message -----",
	"Unsent message follows",
	"Original message headers:",
	"Message headers follow",
	"No action is required on your part",
	NULL
};

struct titem {
	char addr[MK_ADDR_MAX + 1];
	char text[ITEM_TEXT_MAX];
	size_t len;
};

const char *
ing_memcasemem(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0)
		return s;
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

void
ing_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0;
	int space = 0;

	if (dstlen == 0)
		return;
	for (size_t i = 0; i < n && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (space) {
			dst[o++] = ' ';
			space = 0;
			if (o + 1 >= dstlen)
				break;
		}
		dst[o++] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	dst[o] = 0;
}

/* Next line of s[0..n) from *pos: its start and length (no CR/LF). */
static int
next_line(const char *s, size_t n, size_t *pos, const char **line,
    size_t *len)
{
	const char *e;

	if (*pos >= n)
		return 0;
	*line = s + *pos;
	e = memchr(*line, '\n', n - *pos);
	*len = e ? (size_t)(e - *line) : n - *pos;
	*pos += *len + (e != NULL);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* The address a line starts with: its token length, out filled. */
static size_t
line_addr(const char *s, size_t n, char *out)
{
	size_t i = 0, k;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\''))
		i++;
	if (i < n && s[i] == '<') {
		const char *gt = memchr(s + i, '>', n - i);

		if (gt == NULL)
			return 0;
		k = (size_t)(gt - (s + i)) + 1;
		if (ing_addr(s + i, k, out) < 0)
			return 0;
		k += i;
		if (k < n && s[k] == ':')
			k++;
		return k;
	}
	k = i;
	while (k < n && s[k] != ' ' && s[k] != '\t' && s[k] != '\'')
		k++;
	{
		size_t e = k;

		while (e > i && strchr(":.,;", s[e - 1]) != NULL)
			e--;
		if (e == i || memchr(s + i, '@', e - i) == NULL ||
		    ing_addr(s + i, e - i, out) < 0)
			return 0;
	}
	return k;
}

static void
item_add_text(struct titem *it, const char *s, size_t n)
{
	if (it->len + n + 1 >= sizeof(it->text))
		n = sizeof(it->text) - it->len - 2;
	if (it->len + 2 >= sizeof(it->text))
		return;
	memcpy(it->text + it->len, s, n);
	it->len += n;
	it->text[it->len++] = '\n';
	it->text[it->len] = 0;
}

static size_t
orig_marker(const char *text, size_t from, size_t n)
{
	size_t best = n;

	for (int i = 0; orig_markers[i] != NULL; i++) {
		const char *p = ing_memcasemem(text + from, n - from,
		    orig_markers[i]);

		if (p != NULL && (size_t)(p - text) < best)
			best = (size_t)(p - text);
	}
	return best;
}

/* Which format, and where its recipients start: the earliest marker. */
static const struct fmt *
find_format(const char *text, size_t n, size_t *start)
{
	const struct fmt *f = NULL;
	size_t best = n;

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const char *p = ing_memcasemem(text, n, fmts[i].marker);

		if (p != NULL && (size_t)(p - text) < best) {
			best = (size_t)(p - text);
			*start = best + strlen(fmts[i].marker);
			f = &fmts[i];
		}
	}
	return f;
}

/* Collect the recipients of text[start..end) with their text. */
static size_t
collect(const char *text, size_t start, size_t end, struct titem *items,
    size_t max)
{
	struct titem *cur = NULL;
	size_t pos = start, nitems = 0, len, k;
	const char *line;
	char addr[MK_ADDR_MAX + 1];

	while (next_line(text, end, &pos, &line, &len)) {
		k = line_addr(line, len, addr);
		if (k > 0) {
			cur = NULL;
			for (size_t i = 0; i < nitems; i++)
				if (strcmp(items[i].addr, addr) == 0)
					cur = &items[i];
			if (cur == NULL && nitems < max) {
				cur = &items[nitems++];
				strcpy(cur->addr, addr);
			}
			if (cur != NULL && k < len)
				item_add_text(cur, line + k, len - k);
		} else if (cur != NULL) {
			item_add_text(cur, line, len);
		}
	}
	return nitems;
}

int
ing_text_bounce(const char *text, size_t n, struct ingest_report *r)
{
	const struct fmt *f;
	struct titem *items;
	size_t start = 0, end, nitems;
	int added = 0;

	if (n > ING_TEXT_MAX)
		n = ING_TEXT_MAX;
	if ((f = find_format(text, n, &start)) == NULL)
		return 0;
	end = orig_marker(text, start, n);
	items = mk_calloc(ING_ITEMS_MAX, sizeof(*items));
	nitems = collect(text, start, end, items, ING_ITEMS_MAX);
	for (size_t i = 0; i < nitems && r->n < ING_ITEMS_MAX; i++) {
		struct ingest_item *it = &r->items[r->n++];

		memcpy(it->recipient, items[i].addr, sizeof(it->recipient));
		ing_status_guess(items[i].text, it->status, sizeof(it->status));
		ing_diag_extract(items[i].text, items[i].len, it->diag,
		    sizeof(it->diag));
		it->kind = f->delay ? ING_IGNORED :
		    ingest_classify(it->status, items[i].text, "failed");
		added++;
	}
	free(items);
	if (added > 0)
		snprintf(r->why, sizeof(r->why), "%s bounce text", f->name);
	return added;
}

size_t
ing_text_original(const char *text, size_t n, size_t *len)
{
	size_t at, pos, start, line_len;
	const char *line;

	*len = 0;
	if (n > ING_TEXT_MAX)
		n = ING_TEXT_MAX;
	at = orig_marker(text, 0, n);
	if (at >= n)
		return 0;
	pos = at;
	next_line(text, n, &pos, &line, &line_len);	/* the marker's line */
	while (next_line(text, n, &pos, &line, &line_len) &&
	    blank(line, line_len))
		;
	if (pos > n || line_len == 0)
		return 0;
	start = (size_t)(line - text);
	{
		const char *colon = memchr(line, ':', line_len);

		if (colon == NULL || colon == line ||
		    memchr(line, ' ', (size_t)(colon - line)) != NULL)
			return 0;
	}
	while (next_line(text, n, &pos, &line, &line_len) &&
	    !blank(line, line_len))
		;
	*len = (size_t)(line - text) - start;
	if (!blank(line, line_len))
		*len = n - start;
	return start;
}

/* Where the reply code starts in text, or NULL: a basic code followed by
 * an enhanced one first, then a basic code, then an enhanced code. */
static const char *
reply_start(const char *t, size_t n)
{
	const char *basic = NULL, *enh = NULL;

	for (size_t i = 0; i + 3 <= n; i++) {
		const char *s = t + i;
		int lead = i == 0 || strchr(" \t\n(#;:<[", s[-1]) != NULL;

		if (!lead || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
			continue;
		if (s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
		    (i + 3 == n || strchr(" -:\t\n", s[3]) != NULL)) {
			size_t j = i + 4;

			if (j < n && t[j] == '#')
				j++;
			if (i + 3 < n && s[3] != '\n' && j + 5 <= n &&
			    t[j] == s[0] && t[j + 1] == '.')
				return s;
			if (basic == NULL)
				basic = s;
		} else if (s[1] == '.' && enh == NULL && i + 5 <= n &&
		    s[2] >= '0' && s[2] <= '9') {
			enh = s;
		}
	}
	return basic ? basic : enh;
}

void
ing_diag_extract(const char *text, size_t n, char *diag, size_t dlen)
{
	const char *s = reply_start(text, n), *line;
	char *buf, code[4] = "";
	size_t pos, len, o = 0;

	diag[0] = 0;
	if (s != NULL && s[1] == '.')
		s = NULL;	/* "(#5.1.1)": the paragraph says more */
	if (s == NULL) {	/* the first paragraph */
		int found = 0;

		pos = 0;
		while (!found && next_line(text, n, &pos, &line, &len))
			found = !blank(line, len);
		if (!found)
			return;
		s = line;
	} else if (s[1] != '.') {
		memcpy(code, s, 3);
	}
	buf = mk_malloc(n + 1);
	pos = (size_t)(s - text);
	while (next_line(text, n, &pos, &line, &len) && !blank(line, len)) {
		size_t skip = 0;

		if (line != s) {
			while (skip < len && (line[skip] == ' ' ||
			    line[skip] == '\t'))
				skip++;
			if (code[0] != 0 && len - skip >= 4 &&
			    memcmp(line + skip, code, 3) == 0 &&
			    (line[skip + 3] == '-' || line[skip + 3] == ' ')) {
				skip += 4;
				if (skip + 1 < len && line[skip] >= '2' &&
				    line[skip] <= '5' && line[skip + 1] == '.')
					while (skip < len && line[skip] != ' ')
						skip++;	/* its enhanced code */
			}
		}
		memcpy(buf + o, line + skip, len - skip);
		o += len - skip;
		buf[o++] = ' ';
	}
	ing_copy(diag, dlen, buf, o);
	free(buf);
}
