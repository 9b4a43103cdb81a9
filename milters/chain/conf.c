/*
 * conf.c - milterkit-chain: the rows of [chain] and the check of its
 * filter list (see chain_conf.h).
 *
 * The check reads the sections registered at the time (mk_conf_sections()),
 * so the filters a chain knows are those the program was built with.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chain_conf.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_log.h"

#define CHAIN_NAME_MAX 64	/* octets of one filter name */

/* The registered filter section named by p[0..n), NULL if none. */
static const struct mk_conf_section *
filter_find(const char *p, size_t n)
{
	for (const struct mk_conf_section *const *s = mk_conf_sections();
	    *s != NULL; s++)
		if ((*s)->filter && strlen((*s)->name) == n &&
		    memcmp((*s)->name, p, n) == 0)
			return *s;
	return NULL;
}

/* "unknown filter" with the names a chain could host. */
static void
filter_unknown(const char *p, size_t n, char *err, size_t errlen)
{
	size_t len;
	const char *sep = "";

	snprintf(err, errlen, "unknown filter \"%.*s\" (known: ", (int)n, p);
	for (const struct mk_conf_section *const *s = mk_conf_sections();
	    *s != NULL; s++) {
		if (!(*s)->filter)
			continue;
		len = strlen(err);
		snprintf(err + len, errlen - len, "%s%s", sep, (*s)->name);
		sep = ", ";
	}
	len = strlen(err);
	snprintf(err + len, errlen - len, "%s)", *sep ? "" : "none");
}

static int
chain_filters_check(const char *text, char *err, size_t errlen)
{
	const struct mk_conf_section *seen[CHAIN_CONF_FILTERS_MAX];
	const struct mk_conf_section *sec;
	struct mk_list l;
	size_t n = 0;
	int rc;

	mk_list_init(&l, text, CHAIN_NAME_MAX, CHAIN_CONF_FILTERS_MAX,
	    "filters");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		if ((sec = filter_find(l.item, l.len)) == NULL) {
			filter_unknown(l.item, l.len, err, errlen);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (seen[i] == sec) {
				snprintf(err, errlen, "filter \"%s\" given twice",
				    sec->name);
				return -1;
			}
		seen[n++] = sec;
	}
	if (rc < 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "no filters: name 1 to %d",
		    CHAIN_CONF_FILTERS_MAX);
		return -1;
	}
	return 0;
}

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("chain", key, type, def, lo, hi, ch, struct chain_conf,	\
	    field, chk, help)

static const struct mk_cfg_row chain_rows[] = {
	MK_CONF_DAEMON_ROWS("chain", struct chain_conf, mk_conf_milter_on_error,
	    "tempfail"),
	MK_CONF_THREADS_ROW("chain", struct chain_conf),
	ROW("filters", MK_CFG_STRING, "suppress, headers", 0, 4096, NULL,
	    filters, chain_filters_check,
	    "filters served on one connection, in order (order of edits)"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section chain_conf_section = {
	"chain", chain_rows, sizeof(struct chain_conf), 1, 0
};

const struct chain_conf *
chain_conf(const struct mk_conf *conf)
{
	const struct chain_conf *c = mk_conf_section(conf, "chain");

	if (c == NULL)
		mk_panic("[chain] is not a registered section");
	return c;
}
