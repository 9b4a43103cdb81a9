/*
 * config_file.c - reading milterkit.conf: sections, lines, named sections
 * (see mk_cfg.h). Values are converted by config.c.
 *
 * A walk keeps the rows, target and "given twice" flags of the section it
 * is in: the schema's own for a fixed section, a fresh instance's for a
 * named section such as [ratelimit per-user]. Every error carries
 * FILE:LINE; a named section's finish() check reports the line of its
 * header.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_cfg.h"
#include "mk_log.h"
#include "mk_mem.h"

#define MK_CFG_SECTION_MAX 64	/* "section" or "section name" */
#define MK_CFG_NAME_MAX 64	/* of a named section's instance */

struct cfg_walk {
	const struct mk_cfg_schema *schema;
	void *target;
	const char *name;
	unsigned lineno;
	char section[MK_CFG_SECTION_MAX + 1];
	const struct mk_cfg_row *rows;	/* of the current section */
	void *cur;			/* its target */
	unsigned char *seen;		/* its rows given in this file */
	unsigned char *fixed_seen;	/* the schema's rows */
	const struct mk_cfg_named *named; /* current named section, or NULL */
	unsigned named_line;		/* its header line */
	char *err;
	size_t errlen;
};

static int MK_PRINTF(3, 4)
line_error(struct cfg_walk *w, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->err != NULL && w->errlen > 0)
		snprintf(w->err, w->errlen, "%s:%u: %s", w->name, line, msg);
	return -1;
}

#define walk_error(w, ...) line_error((w), (w)->lineno, __VA_ARGS__)

static size_t
count_rows(const struct mk_cfg_row *rows)
{
	size_t n = 0;

	while (rows[n].name != NULL)
		n++;
	return n;
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

/* End the current named section: its whole-section check. */
static int
end_named(struct cfg_walk *w)
{
	char why[512];

	if (w->named == NULL)
		return 0;
	if (w->named->finish != NULL &&
	    w->named->finish(w->cur, why, sizeof(why)) != 0)
		return line_error(w, w->named_line, "[%s] %s", w->section, why);
	free(w->seen);
	w->seen = NULL;
	w->named = NULL;
	return 0;
}

static int
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > MK_CFG_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' ||
		    (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

/* Start an instance of named section nd called inst. */
static int
begin_named(struct cfg_walk *w, const struct mk_cfg_named *nd, char *inst)
{
	struct mk_cfg_list *list = (struct mk_cfg_list *)((char *)w->target +
	    nd->list_offset);
	void *obj;

	if (!valid_name(inst))
		return walk_error(w, "[%s %s]: a name is 1 to %d letters, digits,"
		    " '.', '-' or '_'", nd->section, inst, MK_CFG_NAME_MAX);
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(*(char **)((char *)list->v[i] + nd->name_offset),
		    inst) == 0)
			return walk_error(w, "[%s %s] given twice", nd->section,
			    inst);
	if (list->n >= MK_CFG_NAMED_MAX)
		return walk_error(w, "more than %d [%s] sections",
		    MK_CFG_NAMED_MAX, nd->section);
	obj = mk_calloc(1, nd->size);
	mk_cfg_defaults(nd->rows, obj);
	*(char **)((char *)obj + nd->name_offset) = mk_strdup(inst);
	list->v = mk_realloc(list->v, (list->n + 1) * sizeof(*list->v));
	list->v[list->n++] = obj;
	w->named = nd;
	w->named_line = w->lineno;
	w->rows = nd->rows;
	w->cur = obj;
	w->seen = mk_calloc(count_rows(nd->rows) + 1, 1);
	return 0;
}

static int
walk_section(struct cfg_walk *w, char *line)
{
	char *end = strchr(line, ']');
	char *name, *rest, *inst;

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
	if (end_named(w) != 0)
		return -1;
	strcpy(w->section, name);
	inst = name + strcspn(name, " \t");
	if (*inst != '\0') {
		*inst++ = '\0';
		inst = trim(inst);
	}
	for (const struct mk_cfg_named *nd = w->schema->named;
	    nd != NULL && nd->section != NULL; nd++) {
		if (strcmp(nd->section, name) != 0)
			continue;
		if (*inst == '\0')
			return walk_error(w, "[%s] needs a name: [%s NAME]", name,
			    name);
		return begin_named(w, nd, inst);
	}
	for (const struct mk_cfg_row *r = w->schema->rows; r->name != NULL; r++) {
		if (*inst == '\0' && strcmp(r->section, name) == 0) {
			w->rows = w->schema->rows;
			w->cur = w->target;
			return 0;
		}
	}
	w->section[0] = '\0';
	return walk_error(w, "unknown section [%s%s%s]", name, *inst ? " " : "",
	    inst);
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
	const char *sec = w->named != NULL ? w->named->section : w->section;
	unsigned char *seen = w->named != NULL ? w->seen : w->fixed_seen;
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
		if (strcmp(r->section, sec) != 0 || strcmp(r->name, key) != 0)
			continue;
		if (seen[r - w->rows])
			return walk_error(w, "[%s] %s given twice", w->section, key);
		seen[r - w->rows] = 1;
		if (mk_cfg_parse_value(r, val, w->cur, why, sizeof(why)) != 0)
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
mk_cfg_schema_parse_buf(const struct mk_cfg_schema *schema, void *target,
    const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	struct cfg_walk w;
	char line[MK_CFG_LINE_MAX + 1];
	size_t pos = 0;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.schema = schema;
	w.target = target;
	w.name = name;
	w.err = err;
	w.errlen = errlen;
	w.fixed_seen = mk_calloc(count_rows(schema->rows) + 1, 1);
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
	if (rc == 0)
		rc = end_named(&w);
	free(w.seen);
	free(w.fixed_seen);
	return rc;
}

int
mk_cfg_parse_buf(const struct mk_cfg_row *rows, void *target, const char *name,
    const char *buf, size_t len, char *err, size_t errlen)
{
	struct mk_cfg_schema schema = { rows, NULL };

	return mk_cfg_schema_parse_buf(&schema, target, name, buf, len, err,
	    errlen);
}

int
mk_cfg_schema_parse_file(const struct mk_cfg_schema *schema, void *target,
    const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > 16 * 1024 * 1024) {
				snprintf(err, errlen, "%s: file larger than 16 MiB",
				    path);
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
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	rc = mk_cfg_schema_parse_buf(schema, target, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

int
mk_cfg_parse_file(const struct mk_cfg_row *rows, void *target,
    const char *path, char *err, size_t errlen)
{
	struct mk_cfg_schema schema = { rows, NULL };

	return mk_cfg_schema_parse_file(&schema, target, path, err, errlen);
}

void
mk_cfg_schema_release(const struct mk_cfg_schema *schema, void *target)
{
	if (target == NULL)
		return;
	mk_cfg_release(schema->rows, target);
	for (const struct mk_cfg_named *nd = schema->named;
	    nd != NULL && nd->section != NULL; nd++) {
		struct mk_cfg_list *list = (struct mk_cfg_list *)((char *)target +
		    nd->list_offset);
		for (size_t i = 0; i < list->n; i++) {
			mk_cfg_release(nd->rows, list->v[i]);
			free(*(char **)((char *)list->v[i] + nd->name_offset));
			free(list->v[i]);
		}
		free(list->v);
		list->v = NULL;
		list->n = 0;
	}
}

void
mk_cfg_schema_dump(const struct mk_cfg_schema *schema, const void *target,
    FILE *fp)
{
	mk_cfg_dump(schema->rows, target, fp);
	for (const struct mk_cfg_named *nd = schema->named;
	    nd != NULL && nd->section != NULL; nd++) {
		const struct mk_cfg_list *list = (const struct mk_cfg_list *)
		    ((const char *)target + nd->list_offset);
		for (size_t i = 0; i < list->n; i++) {
			fprintf(fp, "\n[%s %s]\n", nd->section,
			    *(char **)((char *)list->v[i] + nd->name_offset));
			mk_cfg_dump_section(nd->rows, list->v[i], fp);
		}
	}
}
