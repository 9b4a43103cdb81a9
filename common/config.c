/*
 * config.c - values of milterkit.conf: conversion, defaults, release and
 * dump (see mk_cfg.h; reading the file is config_file.c).
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
mk_cfg_dump_section(const struct mk_cfg_row *rows, const void *target,
    FILE *fp)
{
	for (const struct mk_cfg_row *r = rows; r->name != NULL; r++)
		dump_value(r, target, fp);
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
