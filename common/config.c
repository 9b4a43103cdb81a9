/*
 * config.c - table-driven parser for milterkit.conf (see mk_cfg.h).
 *
 * One row per option says how its text becomes a value; defaults go through
 * the same conversion as file values, so a bad default is caught by the unit
 * tests rather than at a user's site. Errors always carry FILE:LINE.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_cfg.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"

#define MK_CFG_SECTION_MAX 64

static void MK_PRINTF(3, 4)
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parse a decimal number followed by an optional unit from units[]. */
static int
parse_scaled(const char *text, const char *units, const long long *mult,
    long long *out)
{
	char *end;
	long long v;
	const char *u;

	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > 0 && mult[u - units] > 0 &&
		    v > __LONG_LONG_MAX__ / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	*out = v;
	return 0;
}

int
mk_cfg_parse_duration(const char *text, long long *seconds)
{
	static const long long mult[] = { 1, 60, 3600, 86400, 604800 };

	return parse_scaled(text, "smhdw", mult, seconds);
}

int
mk_cfg_parse_size(const char *text, long long *bytes)
{
	static const long long mult[] = {
		1024LL, 1024LL * 1024, 1024LL * 1024 * 1024,
		1024LL * 1024 * 1024 * 1024,
		1024LL, 1024LL * 1024, 1024LL * 1024 * 1024,
		1024LL * 1024 * 1024 * 1024
	};

	return parse_scaled(text, "kMGTKmgt", mult, bytes);
}

static int
parse_bool(const char *text, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(text, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static void
choices_text(const char *const *choices, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices[i] != NULL && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    choices[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static int
check_range(const struct mk_cfg_row *row, long long v, char *err,
    size_t errlen)
{
	if (row->min == 0 && row->max == 0)
		return 0;
	if (v < row->min || v > row->max) {
		if (row->type == MK_CFG_MODE)
			seterr(err, errlen, "%s must be between %04llo and %04llo",
			    row->name, row->min, row->max);
		else
			seterr(err, errlen, "%s must be between %lld and %lld",
			    row->name, row->min, row->max);
		return -1;
	}
	return 0;
}

static int
parse_number(const struct mk_cfg_row *row, const char *text, long long *v,
    char *err, size_t errlen)
{
	char *end;
	int rc = 0;

	switch (row->type) {
	case MK_CFG_INT:
		errno = 0;
		*v = strtoll(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0')
			rc = -1;
		break;
	case MK_CFG_DURATION:
		rc = mk_cfg_parse_duration(text, v);
		break;
	case MK_CFG_SIZE:
		rc = mk_cfg_parse_size(text, v);
		break;
	default: /* MK_CFG_MODE */
		errno = 0;
		*v = strtoll(text, &end, 8);
		if (errno != 0 || end == text || *end != '\0' || *v < 0)
			rc = -1;
		break;
	}
	if (rc != 0) {
		static const char *const what[] = {
			[MK_CFG_INT] = "an integer",
			[MK_CFG_DURATION] = "a duration such as 30s, 5m, 2h, 7d",
			[MK_CFG_SIZE] = "a size such as 4096, 64k, 512M, 4G",
			[MK_CFG_MODE] = "an octal mode such as 0660",
		};
		seterr(err, errlen, "%s: bad value \"%s\": expected %s",
		    row->name, text, what[row->type]);
		return -1;
	}
	return check_range(row, *v, err, errlen);
}

int
mk_cfg_parse_value(const struct mk_cfg_row *row, const char *text,
    void *target, char *err, size_t errlen)
{
	char *dst = (char *)target + row->offset;
	long long v;
	int b;

	switch (row->type) {
	case MK_CFG_STRING:
	case MK_CFG_SOCKET: {
		size_t len = strlen(text);
		if (row->max > 0 && ((long long)len < row->min ||
		    (long long)len > row->max)) {
			seterr(err, errlen, "%s must be %lld to %lld characters long",
			    row->name, row->min, row->max);
			return -1;
		}
		if (row->check != NULL) {
			char why[256];
			if (row->check(text, why, sizeof(why)) != 0) {
				seterr(err, errlen, "%s: %s", row->name, why);
				return -1;
			}
		}
		if (row->type == MK_CFG_SOCKET && *text != '\0') {
			struct mk_sockspec spec;
			char why[256];
			if (mk_sock_parse(text, &spec, why, sizeof(why)) != 0) {
				seterr(err, errlen, "%s: %s", row->name, why);
				return -1;
			}
		}
		free(*(char **)dst);
		*(char **)dst = mk_strdup(text);
		return 0;
	}
	case MK_CFG_BOOL:
		if (parse_bool(text, &b) != 0) {
			seterr(err, errlen, "%s: bad value \"%s\": expected yes or no",
			    row->name, text);
			return -1;
		}
		*(int *)dst = b;
		return 0;
	case MK_CFG_ENUM:
		for (int i = 0; row->choices[i] != NULL; i++) {
			if (strcasecmp(text, row->choices[i]) == 0) {
				*(int *)dst = i;
				return 0;
			}
		}
		{
			char list[256];
			choices_text(row->choices, list, sizeof(list));
			seterr(err, errlen, "%s: bad value \"%s\": expected one of %s",
			    row->name, text, list);
		}
		return -1;
	default:
		if (parse_number(row, text, &v, err, errlen) != 0)
			return -1;
		*(long long *)dst = v;
		return 0;
	}
}

void
mk_cfg_defaults(const struct mk_cfg_row *rows, void *target)
{
	char err[256];

	for (const struct mk_cfg_row *r = rows; r->name != NULL; r++) {
		if (r->def == NULL) {
			if (r->type == MK_CFG_STRING || r->type == MK_CFG_SOCKET) {
				char **p = (char **)((char *)target + r->offset);
				free(*p);
				*p = NULL;
			}
			continue;
		}
		if (mk_cfg_parse_value(r, r->def, target, err, sizeof(err)) != 0)
			mk_panic("bad default for [%s] %s: %s", r->section, r->name,
			    err);
	}
}

void
mk_cfg_release(const struct mk_cfg_row *rows, void *target)
{
	if (target == NULL)
		return;
	for (const struct mk_cfg_row *r = rows; r->name != NULL; r++) {
		if (r->type == MK_CFG_STRING || r->type == MK_CFG_SOCKET) {
			char **p = (char **)((char *)target + r->offset);
			free(*p);
			*p = NULL;
		}
	}
}

/* The parser's state while it walks one file. */
struct cfg_walk {
	const struct mk_cfg_row *rows;
	void *target;
	const char *name;
	unsigned lineno;
	char section[MK_CFG_SECTION_MAX + 1];
	int section_known;
	unsigned char *seen;	/* one flag per row: given in this file */
	char *err;
	size_t errlen;
};

static int MK_PRINTF(2, 3)
walk_error(struct cfg_walk *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(w->err, w->errlen, "%s:%u: %s", w->name, w->lineno, msg);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
walk_section(struct cfg_walk *w, char *line)
{
	char *end = strchr(line, ']');
	char *name, *rest;

	if (end == NULL)
		return walk_error(w, "section header without closing ']'");
	rest = trim(end + 1);
	if (*rest != '\0' && *rest != '#')
		return walk_error(w, "text after section header");
	*end = '\0';
	name = trim(line + 1);
	if (*name == '\0')
		return walk_error(w, "empty section name");
	if (strlen(name) > MK_CFG_SECTION_MAX)
		return walk_error(w, "section name too long");
	w->section_known = 0;
	for (const struct mk_cfg_row *r = w->rows; r->name != NULL; r++)
		if (strcmp(r->section, name) == 0)
			w->section_known = 1;
	if (!w->section_known)
		return walk_error(w, "unknown section [%s]", name);
	strcpy(w->section, name);
	return 0;
}

/* Split "value  # comment" and unquote "value"; returns NULL on bad quotes. */
static char *
walk_value(struct cfg_walk *w, char *v)
{
	v = trim(v);
	if (*v == '"') {
		char *o = v, *i = v + 1;
		for (; *i != '"'; i++) {
			if (*i == '\0')
				return walk_error(w, "unterminated quoted value"), NULL;
			if (*i == '\\' && (i[1] == '"' || i[1] == '\\'))
				i++;
			*o++ = *i;
		}
		char *rest = trim(i + 1);
		if (*rest != '\0' && *rest != '#')
			return walk_error(w, "text after quoted value"), NULL;
		*o = '\0';
		return v;
	}
	for (char *p = v; *p; p++) {
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	return trim(v);
}

static int
walk_assign(struct cfg_walk *w, char *line)
{
	char *eq = strchr(line, '=');
	char *key, *val;
	char why[512];

	if (eq == NULL)
		return walk_error(w, "expected \"key = value\"");
	*eq = '\0';
	key = trim(line);
	if (*key == '\0')
		return walk_error(w, "missing key before '='");
	if (w->section[0] == '\0')
		return walk_error(w, "\"%s\" outside any [section]", key);
	if ((val = walk_value(w, eq + 1)) == NULL)
		return -1;
	for (const struct mk_cfg_row *r = w->rows; r->name != NULL; r++) {
		if (strcmp(r->section, w->section) != 0 || strcmp(r->name, key) != 0)
			continue;
		if (w->seen[r - w->rows])
			return walk_error(w, "[%s] %s given twice", w->section, key);
		w->seen[r - w->rows] = 1;
		if (mk_cfg_parse_value(r, val, w->target, why, sizeof(why)) != 0)
			return walk_error(w, "[%s] %s", w->section, why);
		return 0;
	}
	return walk_error(w, "unknown key \"%s\" in [%s]", key, w->section);
}

static int
walk_line(struct cfg_walk *w, char *line)
{
	char *s = trim(line);

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return walk_error(w, "control character in line");
	if (*s == '[')
		return walk_section(w, s);
	return walk_assign(w, s);
}

int
mk_cfg_parse_buf(const struct mk_cfg_row *rows, void *target, const char *name,
    const char *buf, size_t len, char *err, size_t errlen)
{
	struct cfg_walk w = { rows, target, name, 0, "", 0, NULL, err, errlen };
	char line[MK_CFG_LINE_MAX + 1];
	size_t nrows = 0, pos = 0;
	int rc = 0;

	while (rows[nrows].name != NULL)
		nrows++;
	w.seen = mk_calloc(nrows + 1, 1);
	while (pos < len && rc == 0) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		w.lineno++;
		if (memchr(buf + pos, '\0', n) != NULL)
			rc = walk_error(&w, "NUL byte in line");
		else if (n > MK_CFG_LINE_MAX)
			rc = walk_error(&w, "line longer than %d characters",
			    MK_CFG_LINE_MAX);
		else {
			memcpy(line, buf + pos, n);
			line[n] = '\0';
			rc = walk_line(&w, line);
		}
		pos += n + 1;
	}
	free(w.seen);
	return rc;
}

int
mk_cfg_parse_file(const struct mk_cfg_row *rows, void *target,
    const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > 16 * 1024 * 1024) {
				seterr(err, errlen, "%s: file larger than 16 MiB", path);
				fclose(fp);
				free(buf);
				return -1;
			}
			buf = mk_realloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	rc = mk_cfg_parse_buf(rows, target, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

static void
dump_value(const struct mk_cfg_row *r, const void *target, FILE *fp)
{
	const char *src = (const char *)target + r->offset;

	switch (r->type) {
	case MK_CFG_STRING:
	case MK_CFG_SOCKET: {
		const char *s = *(char *const *)src;
		fprintf(fp, "%s = %s\n", r->name, s ? s : "");
		break;
	}
	case MK_CFG_BOOL:
		fprintf(fp, "%s = %s\n", r->name, *(const int *)src ? "yes" : "no");
		break;
	case MK_CFG_ENUM:
		fprintf(fp, "%s = %s\n", r->name, r->choices[*(const int *)src]);
		break;
	case MK_CFG_MODE:
		fprintf(fp, "%s = %04llo\n", r->name, *(const long long *)src);
		break;
	default:
		fprintf(fp, "%s = %lld\n", r->name, *(const long long *)src);
		break;
	}
}

void
mk_cfg_dump(const struct mk_cfg_row *rows, const void *target, FILE *fp)
{
	const char *section = NULL;

	for (const struct mk_cfg_row *r = rows; r->name != NULL; r++) {
		if (section == NULL || strcmp(section, r->section) != 0) {
			fprintf(fp, "%s[%s]\n", section ? "\n" : "", r->section);
			section = r->section;
		}
		dump_value(r, target, fp);
	}
}
