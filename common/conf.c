/*
 * conf.c - the schema of milterkit.conf (see mk_conf.h).
 *
 * Every option of the base sections is one row below; the other sections
 * come from their owners through mk_conf_use(), which lays their blocks
 * out after struct mk_conf and joins their rows to these.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mk_conf.h"
#include "mk_dns.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_ratelimit.h"
#include "mk_reply.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
const char *const mk_conf_milter_on_error[] = { "tempfail", "accept", NULL };
static const char *const local_part[] = { "fold", "exact", NULL };

/* One option of the base sections: a field of struct mk_conf. */
#define ROW(sec, key, type, def, lo, hi, ch, field, chk, help)		\
	MK_CONF_ROW(sec, key, type, def, lo, hi, ch, struct mk_conf, field,	\
	    chk, help)

#define OFF(field) offsetof(struct mk_conf, field)

static const struct mk_cfg_row base_rows[] = {
	ROW("store", "path", MK_CFG_STRING, "/var/lib/milterkit", 1, 1024, NULL,
	    store.path, NULL, "directory of the store's LMDB environments"),
	ROW("store", "map_size", MK_CFG_SIZE, "4G", 1LL << 20, 1LL << 42, NULL,
	    store.map_size, NULL,
	    "maximum size of one environment; raise it when the store is full"),
	ROW("store", "local_part", MK_CFG_ENUM, "fold", 0, 0, local_part,
	    store.local_part, NULL,
	    "fold: local parts compare case-insensitively; exact: as written"),
	ROW("store", "strip_subaddress", MK_CFG_BOOL, "no", 0, 0, NULL,
	    store.strip_subaddress, NULL,
	    "drop +tag from local parts, so user+tag@ matches user@"),
	ROW("store", "subaddress_delimiter", MK_CFG_STRING, "+", 1, 1, NULL,
	    store.subaddress_delimiter, NULL, "the character that starts a tag"),
	ROW("log", "level", MK_CFG_ENUM, "info", 0, 0, log_levels, log.level,
	    NULL, "error, warn, info or debug"),
	ROW("log", "target", MK_CFG_STRING, "syslog", 1, MK_LOG_PATH_MAX + 5,
	    NULL, log.target, mk_log_target_check,
	    "syslog (facility mail), stderr, or file:/path (reopened on SIGHUP"
	    " and SIGUSR1, for logrotate); -f always logs to stderr"),
	ROW("dns", "servers", MK_CFG_STRING, "", 0, 1024, NULL, dns.servers,
	    mk_dns_servers_check, "name servers asked, HOST[:PORT] list "
	    "([ADDR]:PORT for IPv6); empty: those of /etc/resolv.conf"),
	ROW("dns", "timeout", MK_CFG_DURATION, "5", 1, 60, NULL, dns.timeout,
	    NULL, "longest one lookup may take; then it is a temporary "
	    "failure (temperror)"),
	ROW("dns", "cache_size", MK_CFG_SIZE, "4M", 0, 1LL << 30, NULL,
	    dns.cache_size, NULL, "answers kept by each resolver (one per "
	    "event loop or worker that resolves); 0: no cache"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

static const char *const rule_actions[] = { "defer", "reject", "warn", NULL };

#define RULE(key, type, def, lo, hi, ch, field, chk, help)			\
	{ "ratelimit", key, type, def, lo, hi, ch,				\
	  offsetof(struct mk_conf_rule, field), help, chk }

static const struct mk_cfg_row rule_rows[] = {
	RULE("key", MK_CFG_STRING, NULL, 1, 512, NULL, key, mk_rl_keys_check,
	    "request attributes naming the sender, first present wins"),
	RULE("messages", MK_CFG_STRING, NULL, 1, 512, NULL, messages,
	    mk_rl_rates_check, "message limits: N/PERIOD, ..."),
	RULE("recipients", MK_CFG_STRING, NULL, 1, 512, NULL, recipients,
	    mk_rl_rates_check, "recipient limits: N/PERIOD, ..."),
	RULE("burst", MK_CFG_INT, "0", 0, 1000000, NULL, burst, NULL,
	    "units beyond each rate that may go at once"),
	RULE("action", MK_CFG_ENUM, "defer", 0, 0, rule_actions, action, NULL,
	    "defer (4.7.1), reject (5.7.1) or warn (log only)"),
	RULE("exempt", MK_CFG_STRING, "", 0, 65536, NULL, exempt, NULL,
	    "key values never limited"),
	RULE("override", MK_CFG_STRING, "", 0, 65536, NULL, override,
	    mk_rl_overrides_check,
	    "KEY messages=N/P,.. recipients=N/P,..; ... own limits"),
	RULE("ipv6_prefix", MK_CFG_INT, "64", 1, 128, NULL, ipv6_prefix, NULL,
	    "prefix length of client_address keys for IPv6 clients"),
	RULE("text", MK_CFG_STRING, "rate limit exceeded, try again later",
	    1, 200, NULL, text, mk_reply_text_check,
	    "text of the reply when a limit is exceeded"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

static const struct mk_cfg_named named[] = {
	{ "ratelimit", rule_rows, sizeof(struct mk_conf_rule),
	  offsetof(struct mk_conf_rule, name), OFF(rules), mk_rl_rule_finish },
	{ NULL, NULL, 0, 0, 0, NULL }
};

/*
 * Where the blocks of one list of sections sit in a configuration, and the
 * combined rows. A configuration points at the layout it was made with, so
 * that it is read and released with its own rows even if the list changes.
 * Layouts are kept for the life of the process (a program makes one).
 */
struct mk_conf_layout {
	const struct mk_conf_section *const *sections; /* NULL-ended */
	size_t *off;			/* of each section's block */
	size_t size;			/* of the whole configuration */
	struct mk_cfg_schema schema;	/* base rows, then the sections' */
	struct mk_conf_layout *next;	/* the layouts made so far */
};

#define CONF_ALIGN 16
#define CONF_ROUND(n) (((n) + CONF_ALIGN - 1) / CONF_ALIGN * CONF_ALIGN)

static const struct mk_conf_section *const no_sections[] = { NULL };
static struct mk_conf_layout base_layout = {
	no_sections, NULL, sizeof(struct mk_conf), { base_rows, named }, NULL
};
static struct mk_conf_layout *layouts = &base_layout;
static const struct mk_conf_layout *current = &base_layout;

struct mk_cfg_schema mk_conf_schema = { base_rows, named };

/* A section name the base rows or the named sections already use. */
static int
base_section(const char *name)
{
	for (const struct mk_cfg_row *r = base_rows; r->name != NULL; r++)
		if (strcmp(r->section, name) == 0)
			return 1;
	for (const struct mk_cfg_named *nd = named; nd->section != NULL; nd++)
		if (strcmp(nd->section, name) == 0)
			return 1;
	return 0;
}

/* Checks a list of sections (panics: they are compiled in) and counts its
 * rows. */
static size_t
sections_check(const struct mk_conf_section *const *sections)
{
	size_t nrows = 0;

	for (size_t i = 0; sections[i] != NULL; i++) {
		const struct mk_conf_section *sec = sections[i];

		if (sec->name == NULL || sec->rows == NULL || base_section(sec->name))
			mk_panic("configuration section %zu: no name, no rows or "
			    "a base section's name", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(sections[j]->name, sec->name) == 0)
				mk_panic("configuration section [%s] registered "
				    "twice", sec->name);
		if (sec->daemon && sec->size < sizeof(struct mk_conf_daemon))
			mk_panic("daemon section [%s]: block too small",
			    sec->name);
		for (const struct mk_cfg_row *r = sec->rows; r->name != NULL;
		    r++, nrows++)
			if (strcmp(r->section, sec->name) != 0 ||
			    r->offset >= sec->size)
				mk_panic("section [%s]: row %s of [%s] or outside "
				    "the block", sec->name, r->name, r->section);
	}
	return nrows;
}

static struct mk_conf_layout *
layout_new(const struct mk_conf_section *const *sections)
{
	struct mk_conf_layout *l = mk_calloc(1, sizeof(*l));
	size_t nbase = 0, nsec = 0, nrows = sections_check(sections), k;
	struct mk_cfg_row *rows;

	while (base_rows[nbase].name != NULL)
		nbase++;
	while (sections[nsec] != NULL)
		nsec++;
	l->sections = sections;
	l->off = mk_calloc(nsec + 1, sizeof(*l->off));
	l->size = CONF_ROUND(sizeof(struct mk_conf));
	rows = mk_calloc(nbase + nrows + 1, sizeof(*rows));
	memcpy(rows, base_rows, nbase * sizeof(*rows));
	k = nbase;
	for (size_t i = 0; i < nsec; i++) {
		l->off[i] = l->size;
		l->size += CONF_ROUND(sections[i]->size);
		for (const struct mk_cfg_row *r = sections[i]->rows;
		    r->name != NULL; r++) {
			rows[k] = *r;
			rows[k++].offset += l->off[i];
		}
	}
	l->schema.rows = rows;	/* rows[k] stays the zeroed end row */
	l->schema.named = named;
	l->next = layouts;
	layouts = l;
	return l;
}

void
mk_conf_use(const struct mk_conf_section *const *sections)
{
	struct mk_conf_layout *l;

	if (sections == NULL)
		sections = no_sections;
	for (l = layouts; l != NULL; l = l->next)
		if (l->sections == sections)
			break;
	if (l == NULL)
		l = layout_new(sections);
	current = l;
	mk_conf_schema.rows = l->schema.rows;
}

const struct mk_conf_section *const *
mk_conf_sections(void)
{
	return current->sections;
}

struct mk_conf *
mk_conf_new_defaults(void)
{
	struct mk_conf *conf = mk_calloc(1, current->size);

	conf->layout = current;
	mk_cfg_defaults(current->schema.rows, conf);
	return conf;
}

void
mk_conf_free(struct mk_conf *conf)
{
	if (conf == NULL)
		return;
	mk_cfg_schema_release(&conf->layout->schema, conf);
	free(conf->source);
	free(conf);
}

int
mk_conf_load(const char *path, int missing_ok, struct mk_conf **out,
    char *err, size_t errlen)
{
	struct mk_conf *conf = mk_conf_new_defaults();
	struct stat st;

	*out = NULL;
	if (missing_ok && stat(path, &st) != 0 && errno == ENOENT) {
		conf->source = mk_strdup("(defaults)");
		*out = conf;
		return 0;
	}
	if (mk_cfg_schema_parse_file(&conf->layout->schema, conf, path, err,
	    errlen) != 0) {
		mk_conf_free(conf);
		return -1;
	}
	conf->source = mk_strdup(path);
	*out = conf;
	return 0;
}

/* The index of a registered section in conf's layout, -1 if none. */
static int
section_index(const struct mk_conf *conf, const char *name)
{
	const struct mk_conf_section *const *s = conf->layout->sections;

	for (int i = 0; s[i] != NULL; i++)
		if (strcmp(s[i]->name, name) == 0)
			return i;
	return -1;
}

const void *
mk_conf_section(const struct mk_conf *conf, const char *name)
{
	int i;

	if (conf == NULL || (i = section_index(conf, name)) < 0)
		return NULL;
	return (const char *)conf + conf->layout->off[i];
}

const struct mk_conf_daemon *
mk_conf_daemon(const struct mk_conf *conf, const char *section)
{
	int i;

	if ((i = section_index(conf, section)) < 0 ||
	    !conf->layout->sections[i]->daemon)
		return NULL;
	return (const struct mk_conf_daemon *)((const char *)conf +
	    conf->layout->off[i]);
}

void
mk_conf_store_opts(const struct mk_conf *conf, struct mk_store_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->map_size = conf->store.map_size;
	opts->addr.exact_local = conf->store.local_part == MK_LOCAL_EXACT;
	opts->addr.strip_subaddress = conf->store.strip_subaddress;
	opts->addr.subaddress_delim = conf->store.subaddress_delimiter[0];
}
