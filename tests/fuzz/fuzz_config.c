/*
 * NAME
 *	fuzz_config - fuzz target for the milterkit.conf reader
 *	(common/config_file.c, common/config.c, common/conf.c and the
 *	sections of milters/)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a whole milterkit.conf. Every section the programs
 *	register (milters/sections.h) is registered first, as the programs
 *	do. It is applied to the defaults
 *	with mk_cfg_schema_parse_buf() and mk_conf_schema, which is what
 *	mk_conf_load() does after reading the file, so every row's
 *	conversion and check() and every [ratelimit NAME] finish() run.
 *	abort()s when an invariant breaks:
 *	- the parser returns 0 or -1; -1 comes with one line of error,
 *	  "fuzz.conf:N: why", N a line of the input;
 *	- after 0, every value of the schema and of each [ratelimit NAME]
 *	  is within its row's bounds (numbers within min..max, booleans 0
 *	  or 1, enums an index of their choices, strings within their
 *	  length bounds, free of control characters but tab, passing their
 *	  check() again), each rule passes finish() again and its name is
 *	  1 to 64 letters, digits, '.', '-' or '_', unique;
 *	- the effective configuration, written by mk_cfg_schema_dump(), reads
 *	  back to the same configuration (same dump), unless a value is one
 *	  that dump cannot write back: a string that would need quotes (blank
 *	  at either end, a leading '"', a '#' at the start or after a blank),
 *	  a rule string left unset (dumped empty, which its row refuses), or
 *	  a line that the " = " makes longer than MK_CFG_LINE_MAX.
 *	Every configuration is freed (LeakSanitizer checks it under
 *	libFuzzer) and nothing exits.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/config (tests/fuzz/run_corpus.sh);
 *	scripts/fuzz.sh runs it under libFuzzer.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_cfg.h"
#include "mk_conf.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_config: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

#define NAME "fuzz.conf"

static void
quiet(enum mk_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

/* Could mk_cfg_dump() write s as the value of key so that it reads back? */
static int
rereadable(const char *key, const char *s)
{
	size_t n = strlen(s);

	if (strlen(key) + 3 + n > MK_CFG_LINE_MAX)
		return 0;
	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '"' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return 0;
	return 1;
}

/* Check one section's values against its rows; 0 when any is not
 * rereadable (see above), else 1. */
static int
check_rows(const struct mk_cfg_row *rows, const void *target)
{
	int ok = 1;

	for (const struct mk_cfg_row *r = rows; r->name != NULL; r++) {
		const char *p = (const char *)target + r->offset;
		char why[512];

		switch (r->type) {
		case MK_CFG_STRING:
		case MK_CFG_SOCKET: {
			const char *s = *(char *const *)p;
			size_t n;

			if (s == NULL) {
				CHECK(r->def == NULL);
				ok = 0;		/* dumped as "", refused */
				break;
			}
			n = strlen(s);
			if (r->max > 0)
				CHECK((long long)n >= r->min &&
				    (long long)n <= r->max);
			for (size_t i = 0; i < n; i++)
				CHECK((unsigned char)s[i] >= 0x20 || s[i] == '\t');
			if (r->check != NULL)
				CHECK(r->check(s, why, sizeof(why)) == 0);
			if (r->type == MK_CFG_SOCKET && n > 0) {
				struct mk_sockspec spec;

				CHECK(mk_sock_parse(s, &spec, why, sizeof(why)) == 0);
			}
			ok &= rereadable(r->name, s);
			break;
		}
		case MK_CFG_BOOL:
			CHECK(*(const int *)p == 0 || *(const int *)p == 1);
			break;
		case MK_CFG_ENUM: {
			int v = *(const int *)p, n = 0;

			while (r->choices[n] != NULL)
				n++;
			CHECK(v >= 0 && v < n);
			break;
		}
		default: {
			long long v = *(const long long *)p;

			if (r->min != 0 || r->max != 0)
				CHECK(v >= r->min && v <= r->max);
			else if (r->type != MK_CFG_INT)
				CHECK(v >= 0);	/* sizes, durations, modes */
			break;
		}
		}
	}
	return ok;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* Every value within bounds; returns 1 when the dump can be read back. */
static int
check_conf(const struct mk_conf *conf)
{
	const struct mk_cfg_named *nd = &mk_conf_schema.named[0];
	char why[512];
	int ok;

	ok = check_rows(mk_conf_schema.rows, conf);
	CHECK(strcmp(nd->section, "ratelimit") == 0);
	CHECK(conf->rules.n <= MK_CFG_NAMED_MAX);
	for (size_t i = 0; i < conf->rules.n; i++) {
		struct mk_conf_rule *rule = conf->rules.v[i];

		CHECK(rule->name != NULL && valid_name(rule->name));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(((struct mk_conf_rule *)conf->rules.v[j])->name,
			    rule->name) != 0);
		ok &= check_rows(nd->rows, rule);
		if (nd->finish != NULL)
			CHECK(nd->finish(rule, why, sizeof(why)) == 0);
	}
	return ok;
}

/* The dump in a malloc'd string, its length in *len. */
static char *
dump(const struct mk_conf *conf, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	CHECK(fp != NULL);
	mk_cfg_schema_dump(&mk_conf_schema, conf, fp);
	CHECK(fclose(fp) == 0);
	return buf;
}

/* err is "fuzz.conf:N: why" with 1 <= N <= lines, on one line. */
static void
check_error(const char *err, size_t lines)
{
	const char *p = err + strlen(NAME ":");
	char *end;
	unsigned long n;

	CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	n = strtoul(p, &end, 10);
	CHECK(end > p && n >= 1 && n <= lines);
	CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
	CHECK(strchr(err, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct mk_conf *conf, *again;
	char err[1024], err2[1024];
	size_t lines = 0, len, len2;
	char *text, *text2;
	int rc;

	mk_log_set_sink(quiet, NULL);
	mk_conf_use(mkf_sections);
	for (size_t i = 0; i < size; i++)
		lines += in[i] == '\n';
	if (size > 0 && in[size - 1] != '\n')
		lines++;

	conf = mk_conf_new_defaults();
	err[0] = '\0';
	rc = mk_cfg_schema_parse_buf(&mk_conf_schema, conf, NAME, in, size,
	    err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		check_error(err, lines);
		mk_conf_free(conf);
		return 0;
	}
	text = dump(conf, &len);
	CHECK(len > 0);
	if (check_conf(conf)) {
		again = mk_conf_new_defaults();
		if (mk_cfg_schema_parse_buf(&mk_conf_schema, again, "dump", text,
		    len, err2, sizeof(err2)) != 0) {
			fprintf(stderr, "fuzz_config: dump does not read back: "
			    "%s\n", err2);
			abort();
		}
		text2 = dump(again, &len2);
		CHECK(len2 == len && memcmp(text, text2, len) == 0);
		free(text2);
		mk_conf_free(again);
	}
	free(text);
	mk_conf_free(conf);
	return 0;
}
