/*
 * conf.c - milterkit-policyd: the rows of [policyd] (see policyd_conf.h)
 * and the request bounds they give (pd_limits_from_conf(), request.h).
 */
#include "config.h"

#include <stddef.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "policyd_conf.h"
#include "request.h"

static const char *const policy_on_error[] = { "dunno", "defer", NULL };

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("policyd", key, type, def, lo, hi, ch,			\
	    struct policyd_conf, field, chk, help)

static const struct mk_cfg_row policyd_rows[] = {
	MK_CONF_DAEMON_ROWS("policyd", struct policyd_conf, policy_on_error,
	    "dunno"),
	ROW("max_connections", MK_CFG_INT, "4096", 1, 1000000, NULL,
	    max_connections, NULL, "client connections served at once"),
	ROW("max_line", MK_CFG_SIZE, "4096", 64, 65536, NULL, max_line, NULL,
	    "longest name=value line of a request"),
	ROW("max_attrs", MK_CFG_INT, "100", 1, 10000, NULL, max_attrs, NULL,
	    "most lines in one request"),
	ROW("max_request", MK_CFG_SIZE, "65536", 256, 1048576, NULL,
	    max_request, NULL, "largest request, octets"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section policyd_conf_section = {
	"policyd", policyd_rows, sizeof(struct policyd_conf), 1, 0
};

const struct policyd_conf *
policyd_conf(const struct mk_conf *conf)
{
	const struct policyd_conf *c = mk_conf_section(conf, "policyd");

	if (c == NULL)
		mk_panic("[policyd] is not a registered section");
	return c;
}

void
pd_limits_from_conf(const struct mk_conf *conf, struct pd_limits *lim)
{
	const struct policyd_conf *c = policyd_conf(conf);

	lim->max_line = (size_t)c->max_line;
	lim->max_attrs = (size_t)c->max_attrs;
	lim->max_request = (size_t)c->max_request;
}
