/*
 * conf.c - milterkit-returnpath: the rows of [returnpath] and the checks
 * of their values (see returnpath_conf.h).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "mk_addrpat.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_log.h"
#include "returnpath_conf.h"

#define RP_DOMAINS_MAX	1024		/* patterns in domains */

/* domains: a list of domain patterns. */
static int
domains_check(const char *text, char *err, size_t errlen)
{
	struct mk_list l;
	int rc;

	mk_list_init(&l, text, 0, RP_DOMAINS_MAX, "domain patterns");
	while ((rc = mk_list_next(&l, err, errlen)) > 0)
		if (rp_pattern_check(l.item, l.len, err, errlen) != 0)
			return -1;
	return rc == 0 ? 0 : -1;
}

static int
template_check(const char *text, char *err, size_t errlen)
{
	return rp_template_check(text, strlen(text), err, errlen);
}

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("returnpath", key, type, def, lo, hi, ch,			\
	    struct rp_conf, field, chk, help)

static const struct mk_cfg_row rp_rows[] = {
	MK_CONF_MILTER_ROWS("returnpath", struct rp_conf),
	ROW("domains", MK_CFG_STRING, "", 0, 65536, NULL, domains,
	    domains_check, "sender domains rewritten: example.com, "
	    ".example.com (under it), * (all); required"),
	ROW("exclude", MK_CFG_STRING, "", 0, 65536, NULL, exclude,
	    mk_addrpat_list_check,
	    "senders never rewritten: address, @domain, local@"),
	ROW("bounce_domain", MK_CFG_STRING, "bounces.%d", 1, RP_TEMPLATE_MAX,
	    NULL, bounce_domain, template_check,
	    "domain of the new sender; %d the sender's domain"),
	ROW("bounce_domain_table", MK_CFG_STRING, "", 0, 1024, NULL,
	    bounce_domain_table, NULL,
	    "file of lines DOMAIN-PATTERN TEMPLATE overriding bounce_domain "
	    "(first match wins; empty: none)"),
	ROW("secret_file", MK_CFG_STRING, "", 0, 1024, NULL, secret_file,
	    NULL, "file holding the tokens' HMAC key (16 to 1024 octets); "
	    "required"),
	ROW("token_days", MK_CFG_INT, "14", 1, 365, NULL, token_days, NULL,
	    "days a return-path address maps bounces back"),
	ROW("max_local_length", MK_CFG_INT, "64", 32, 255, NULL,
	    max_local_length, NULL, "longest local part written (RFC 5321: "
	    "64); longer: without the recipient, else unchanged"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section rp_conf_section = {
	"returnpath", rp_rows, sizeof(struct rp_conf), 1, 1
};

const struct rp_conf *
rp_conf(const struct mk_conf *conf)
{
	const struct rp_conf *c = mk_conf_section(conf, "returnpath");

	if (c == NULL)
		mk_panic("[returnpath] is not a registered section");
	return c;
}
