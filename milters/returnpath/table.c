/*
 * NAME
 *	table.c - milterkit-returnpath: the bounce domain table (see
 *	returnpath.h)
 * DESCRIPTION
 *	Lines "DOMAIN-PATTERN TEMPLATE", in file order: the first line whose
 *	pattern matches the sender's domain gives its bounce domain
 *	template, so specific lines go before ".example.com" and "*" ones.
 *	Patterns and templates have the syntax of the configuration's
 *	values (pattern.c), so one check serves both; text quoted in an
 *	error is made printable and cut.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "returnpath.h"
#include "returnpath_conf.h"

struct rp_table_line {
	char *pattern;			/* lower-cased */
	char *tpl;
};

struct rp_table {
	struct rp_table_line *v;
	size_t n, alloc;
};

static int MK_PRINTF(5, 6)
line_error(char *err, size_t errlen, const char *name, unsigned line,
    const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%u: %s", name, line, msg);
	return -1;
}

/* The next blank-separated field of line at *pos, or 0 at its end or at a
 * comment. */
static size_t
field(const char *line, size_t len, size_t *pos, const char **f)
{
	size_t i = *pos, start;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#') {
		*pos = len;
		return 0;
	}
	start = i;
	while (i < len && line[i] != ' ' && line[i] != '\t')
		i++;
	*pos = i;
	*f = line + start;
	return i - start;
}

/* One line without its end: nothing, or one entry appended to t. */
static int
parse_line(struct rp_table *t, const char *name, unsigned no,
    const char *line, size_t len, char *err, size_t errlen)
{
	const char *f[3];
	size_t n[3], pos = 0;
	char why[320], q[64];

	if (len > RP_TABLE_LINE)
		return line_error(err, errlen, name, no, "line longer than %d "
		    "octets", RP_TABLE_LINE);
	for (int i = 0; i < 3; i++)
		n[i] = field(line, len, &pos, &f[i]);
	if (n[0] == 0)
		return 0;
	if (n[1] == 0)
		return line_error(err, errlen, name, no, "no template: want "
		    "DOMAIN-PATTERN TEMPLATE, e.g. example.com bounces.%%d");
	if (n[2] != 0)
		return line_error(err, errlen, name, no, "unexpected \"%s\" "
		    "after the template", mk_printable(q, sizeof(q), f[2],
		    n[2]));
	if (rp_pattern_check(f[0], n[0], why, sizeof(why)) != 0 ||
	    rp_template_check(f[1], n[1], why, sizeof(why)) != 0) {
		/* the checks quote the field as given: printable it */
		char p[sizeof(why)];

		return line_error(err, errlen, name, no, "%s",
		    mk_printable(p, sizeof(p), why, (size_t)-1));
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 8;
		t->v = mk_realloc(t->v, t->alloc * sizeof(*t->v));
	}
	t->v[t->n].pattern = mk_strndup(f[0], n[0]);
	for (char *c = t->v[t->n].pattern; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	t->v[t->n].tpl = mk_strndup(f[1], n[1]);
	t->n++;
	return 0;
}

int
rp_table_parse(const char *name, const char *text, struct rp_table **out,
    char *err, size_t errlen)
{
	struct rp_table *t = mk_calloc(1, sizeof(*t));
	const char *s = text, *nl;
	unsigned no = 0;
	size_t len;

	*out = NULL;
	while (*s != '\0') {
		if (++no > RP_TABLE_LINES) {
			line_error(err, errlen, name, no, "more than %d lines",
			    RP_TABLE_LINES);
			goto bad;
		}
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (parse_line(t, name, no, s, len, err, errlen) != 0)
			goto bad;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	*out = t;
	return 0;
bad:
	rp_table_free(t);
	return -1;
}

/* The whole of a regular file of at most RP_TABLE_FILE_MAX octets without
 * NUL, NUL-terminated; NULL with err. */
static char *
read_text(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	buf = mk_malloc(RP_TABLE_FILE_MAX + 1);
	while (n <= RP_TABLE_FILE_MAX) {
		r = read(fd, buf + n, RP_TABLE_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > RP_TABLE_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d octets", path,
		    RP_TABLE_FILE_MAX);
		goto bad;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: a NUL octet: not a text file", path);
		goto bad;
	}
	close(fd);
	buf[n] = '\0';
	return buf;
bad:
	close(fd);
	free(buf);
	return NULL;
}

int
rp_table_load(const char *path, struct rp_table **out, char *err,
    size_t errlen)
{
	char *text;
	int rc;

	*out = NULL;
	if ((text = read_text(path, err, errlen)) == NULL)
		return -1;
	rc = rp_table_parse(path, text, out, err, errlen);
	free(text);
	return rc;
}

const char *
rp_table_match(const struct rp_table *t, const char *domain)
{
	if (t == NULL || domain == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (rp_pattern_match(t->v[i].pattern, domain))
			return t->v[i].tpl;
	return NULL;
}

void
rp_table_free(struct rp_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].pattern);
		free(t->v[i].tpl);
	}
	free(t->v);
	free(t);
}
