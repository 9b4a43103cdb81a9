/*
 * NAME
 *	table.c - the DKIM signing table: which keys sign a From domain, and
 *	when (see dkim.h)
 * SYNOPSIS
 *	int	dkim_table_parse(const char *name, const char *text,
 *			struct dkim_table **out, char *err, size_t errlen);
 *	int	dkim_table_load(const char *path, struct dkim_table **out,
 *			char *err, size_t errlen);
 *	size_t	dkim_table_match(const struct dkim_table *t,
 *			const char *domain, time_t now,
 *			const struct dkim_entry **out, size_t max);
 *	void	dkim_table_free(struct dkim_table *t);
 * DESCRIPTION
 *	A line is "DOMAIN-PATTERN SELECTOR KEYFILE [from=YYYY-MM-DD]
 *	[until=YYYY-MM-DD] [d=DOMAIN]", fields separated by blanks (spaces,
 *	tabs), options in any order, each at most once. A
 *	field starting with '#' starts a comment to the end of the line;
 *	blank lines are skipped; lines end with LF or CRLF.
 *
 *	A pattern is "*", "*." followed by a domain, or a domain: labels of
 *	letters, digits and '-' (not at a label's ends), 1 to 63 octets each,
 *	separated by dots, at most 253 octets in all. A selector is a domain
 *	name of the same form (RFC 6376 3.1 allows dots in it). The key file
 *	is any text without control characters; it is not opened here.
 *	Dates are UTC midnights, from 2000-01-01 to 9999-12-31; an entry
 *	signs from its from= date included to its until= date excluded, so
 *	from must come before until. The signing domain (entry->domain) is
 *	d=DOMAIN when given, else the pattern's domain ("example.com" for
 *	"example.com" and "*.example.com"); the pattern "*" requires d=.
 *
 *	A table holds at most DKIM_TABLE_LINES lines (comments included) of
 *	at most DKIM_TABLE_LINE octets each; a file at most
 *	DKIM_TABLE_FILE_MAX octets, without NUL bytes.
 *
 *	Patterns and signing domains are kept lower-cased. dkim_table_match() compares without
 *	regard to case; the pointers it writes to out point into t and live
 *	as long as t. dkim_table_free() (NULL is a no-op) frees the table,
 *	not the keys the caller put into entry->key: they are the caller's
 *	(one key may serve several lines).
 * DIAGNOSTICS
 *	dkim_table_parse() and dkim_table_load() return 0, or -1 with one
 *	line in err: "NAME:LINE: reason" for a bad line, "NAME: reason" for
 *	the file as a whole. Text quoted from the table is made printable
 *	and truncated.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "mk_addr.h"
#include "dkim.h"
#include "mk_log.h"
#include "mk_mem.h"

#define DKIM_TABLE_LINES	100000
#define DKIM_TABLE_LINE		4096
#define DKIM_TABLE_FILE_MAX	(32 * 1024 * 1024)
#define DKIM_DOMAIN_MAX		253
#define DKIM_QUOTE		64	/* octets of table text in an error */

struct table_parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct dkim_table *t;
	size_t alloc;
};

static int MK_PRINTF(2, 3)
line_error(struct table_parse *p, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -1;
}

/* Table text for an error message. */
static const char *
quote(char *buf, size_t len, const char *s, size_t n)
{
	return mk_printable(buf, len, s, n);
}

/* Why s (n octets) is not a pattern, or NULL. */
static const char *
pattern_problem(const char *s, size_t n)
{
	if (n > DKIM_DOMAIN_MAX)
		return "longer than 253 octets";
	if (n == 1 && s[0] == '*')
		return NULL;
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (memchr(s, '*', n) != NULL)
		return "'*' stands alone or starts \"*.\"";
	return mk_addr_ldh_problem(s, n);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "YYYY-MM-DD" (n octets) as the time_t of its UTC midnight. */
static int
parse_date(const char *s, size_t n, time_t *out)
{
	static const unsigned mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	unsigned y, m, d, dim;
	long long t;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 2000 || m < 1 || m > 12)
		return -1;
	dim = mdays[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return -1;
	t = days_from_civil(y, m, d) * 86400;
	if ((long long)(time_t)t != t)
		return -1;
	*out = (time_t)t;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next field of a line at *pos, or 0 at its end or a comment. */
static size_t
next_field(const char *line, size_t len, size_t *pos, const char **f)
{
	size_t i = *pos, start;

	while (i < len && is_blank(line[i]))
		i++;
	if (i == len || line[i] == '#') {
		*pos = len;
		return 0;
	}
	start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	*pos = i;
	*f = line + start;
	return i - start;
}

/* Copy n octets of a name, lower-cased. */
static char *
lower_dup(const char *s, size_t n)
{
	char *d = mk_strndup(s, n);

	for (size_t i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

#define OPTIONS "(from=YYYY-MM-DD, until=YYYY-MM-DD or d=DOMAIN)"

/* d=DOMAIN: the signing domain, a domain name without '*'. */
static int
parse_domain(struct table_parse *p, const char *f, size_t n,
    struct dkim_entry *e)
{
	char q[DKIM_QUOTE];
	const char *why;

	if ((why = mk_addr_ldh_problem(f + 2, n - 2)) != NULL)
		return line_error(p, "bad signing domain \"%s\": %s",
		    quote(q, sizeof(q), f, n), why);
	e->domain = lower_dup(f + 2, n - 2);
	return 0;
}

/* One option field: from=DATE, until=DATE or d=DOMAIN, each at most
 * once. */
static int
parse_option(struct table_parse *p, const char *f, size_t n,
    struct dkim_entry *e, int *seen)
{
	char q[DKIM_QUOTE];
	const char *v;
	time_t *dst;
	size_t vn;
	int bit;

	if (n > 2 && strncasecmp(f, "d=", 2) == 0) {
		if (*seen & 4)
			return line_error(p, "d= given twice");
		*seen |= 4;
		return parse_domain(p, f, n, e);
	}
	if (n > 5 && strncasecmp(f, "from=", 5) == 0) {
		v = f + 5;
		vn = n - 5;
		dst = &e->from;
		bit = 1;
	} else if (n > 6 && strncasecmp(f, "until=", 6) == 0) {
		v = f + 6;
		vn = n - 6;
		dst = &e->until;
		bit = 2;
	} else {
		return line_error(p, "unknown option \"%s\" " OPTIONS,
		    quote(q, sizeof(q), f, n));
	}
	if (*seen & bit)
		return line_error(p, "%s given twice",
		    bit == 1 ? "from=" : "until=");
	*seen |= bit;
	if (parse_date(v, vn, dst) < 0)
		return line_error(p, "bad date \"%s\": YYYY-MM-DD, a day from"
		    " 2000-01-01 on", quote(q, sizeof(q), f, n));
	return 0;
}

/* One line without its end: nothing (blank, comment) or one entry. */
static int
parse_line(struct table_parse *p, const char *line, size_t len)
{
	const char *f[3], *o = NULL;
	size_t n[3], on, pos = 0;
	struct dkim_entry e;
	const char *why;
	char q[DKIM_QUOTE];
	int seen = 0;
	static const char *const missing[] = {
		NULL, "no selector", "no key file"
	};

	if (len > DKIM_TABLE_LINE)
		return line_error(p, "line longer than %d octets",
		    DKIM_TABLE_LINE);
	for (int i = 0; i < 3; i++) {
		n[i] = next_field(line, len, &pos, &f[i]);
		if (n[i] == 0 && i == 0)
			return 0;
		if (n[i] == 0)
			return line_error(p, "%s: DOMAIN-PATTERN SELECTOR"
			    " KEYFILE [from=YYYY-MM-DD] [until=YYYY-MM-DD]"
			    " [d=DOMAIN]", missing[i]);
	}
	if ((why = pattern_problem(f[0], n[0])) != NULL)
		return line_error(p, "bad domain pattern \"%s\": %s",
		    quote(q, sizeof(q), f[0], n[0]), why);
	if ((why = mk_addr_ldh_problem(f[1], n[1])) != NULL)
		return line_error(p, "bad selector \"%s\": %s",
		    quote(q, sizeof(q), f[1], n[1]), why);
	for (size_t i = 0; i < n[2]; i++)
		if ((unsigned char)f[2][i] < 0x20 || f[2][i] == 0x7f)
			return line_error(p, "key file name with a control"
			    " character");
	memset(&e, 0, sizeof(e));
	while ((on = next_field(line, len, &pos, &o)) != 0)
		if (parse_option(p, o, on, &e, &seen) < 0)
			goto bad;
	if (e.from != 0 && e.until != 0 && e.from >= e.until) {
		line_error(p, "from= is not before until=: the entry would"
		    " never sign");
		goto bad;
	}
	if (e.domain == NULL && n[0] == 1) {
		line_error(p, "the pattern \"*\" needs d=DOMAIN, the signing"
		    " domain (the relay's own)");
		goto bad;
	}
	if (e.domain == NULL)
		e.domain = n[0] > 2 && f[0][0] == '*' ?
		    lower_dup(f[0] + 2, n[0] - 2) : lower_dup(f[0], n[0]);
	if (p->t->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 16;
		p->t->e = mk_realloc(p->t->e, p->alloc * sizeof(*p->t->e));
	}
	e.pattern = lower_dup(f[0], n[0]);
	e.selector = mk_strndup(f[1], n[1]);
	e.keyfile = mk_strndup(f[2], n[2]);
	e.line = p->line;
	p->t->e[p->t->n++] = e;
	return 0;
bad:
	free(e.domain);
	return -1;
}

int
dkim_table_parse(const char *name, const char *text, struct dkim_table **out,
    char *err, size_t errlen)
{
	struct table_parse p;
	const char *s = text, *nl;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	p.errlen = errlen;
	p.t = mk_calloc(1, sizeof(*p.t));
	*out = NULL;
	while (*s != '\0') {
		if (++p.line > DKIM_TABLE_LINES) {
			line_error(&p, "more than %d lines", DKIM_TABLE_LINES);
			goto bad;
		}
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (parse_line(&p, s, len) < 0)
			goto bad;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	*out = p.t;
	return 0;
bad:
	dkim_table_free(p.t);
	return -1;
}

/* Read a table file whole: a regular file, bounded, without NUL. */
static char *
table_read(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL, *z;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto bad;
	}
	if (sb.st_size > DKIM_TABLE_FILE_MAX)
		goto big;
	buf = mk_malloc(DKIM_TABLE_FILE_MAX + 1);
	for (;;) {
		r = read(fd, buf + n, DKIM_TABLE_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > DKIM_TABLE_FILE_MAX)
			goto big;
	}
	close(fd);
	if ((z = memchr(buf, '\0', n)) != NULL) {
		unsigned line = 1;

		for (char *c = buf; c < z; c++)
			line += *c == '\n';
		snprintf(err, errlen, "%s:%u: NUL octet: not a text file",
		    path, line);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
big:
	snprintf(err, errlen, "%s: larger than %d octets", path,
	    DKIM_TABLE_FILE_MAX);
bad:
	close(fd);
	free(buf);
	return NULL;
}

int
dkim_table_load(const char *path, struct dkim_table **out, char *err,
    size_t errlen)
{
	char *text, dummy[1];
	int rc;

	*out = NULL;
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if ((text = table_read(path, err, errlen)) == NULL)
		return -1;
	rc = dkim_table_parse(path, text, out, err, errlen);
	free(text);
	return rc;
}

/* How specifically pattern p matches domain d (dn octets): 0 for no
 * match, 1 for "*", 2 + the suffix length for "*.suffix", SIZE_MAX for
 * the domain itself. */
static size_t
specificity(const char *p, const char *d, size_t dn)
{
	size_t pn;

	if (p[0] == '*' && p[1] == '\0')
		return 1;
	if (p[0] == '*') {
		pn = strlen(p + 2);
		if (dn < pn + 2 || d[dn - pn - 1] != '.' ||
		    strcasecmp(d + dn - pn, p + 2) != 0)
			return 0;
		return 2 + pn;
	}
	return strcasecmp(p, d) == 0 ? SIZE_MAX : 0;
}

size_t
dkim_table_match(const struct dkim_table *t, const char *domain, time_t now,
    const struct dkim_entry **out, size_t max)
{
	const char *best = NULL;
	size_t bests = 0, s, dn, k = 0;

	if (t == NULL || domain == NULL || *domain == '\0' || max == 0)
		return 0;
	dn = strlen(domain);
	for (size_t i = 0; i < t->n; i++) {
		s = specificity(t->e[i].pattern, domain, dn);
		if (s > bests) {
			bests = s;
			best = t->e[i].pattern;
		}
	}
	if (best == NULL)
		return 0;
	/* every line of that pattern (kept lower-cased) in its window */
	for (size_t i = 0; i < t->n && k < max; i++) {
		const struct dkim_entry *e = &t->e[i];

		if (strcmp(e->pattern, best) != 0)
			continue;
		if ((e->from != 0 && now < e->from) ||
		    (e->until != 0 && now >= e->until))
			continue;
		out[k++] = e;
	}
	return k;
}

void
dkim_table_free(struct dkim_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].pattern);
		free(t->e[i].selector);
		free(t->e[i].keyfile);
		free(t->e[i].domain);
	}
	free(t->e);
	free(t);
}
