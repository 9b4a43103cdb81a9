/*
 * conf.c - milterkit-ratelimit: the rows of [rlimit] (see rl_conf.h).
 */
#include "config.h"

#include <stddef.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "rl_conf.h"

static const struct mk_cfg_row rlf_rows[] = {
	MK_CONF_MILTER_ROWS("rlimit", struct rlf_conf),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section rlf_conf_section = {
	"rlimit", rlf_rows, sizeof(struct rlf_conf), 1, 1
};

const struct rlf_conf *
rlf_conf(const struct mk_conf *conf)
{
	const struct rlf_conf *c = mk_conf_section(conf, "rlimit");

	if (c == NULL)
		mk_panic("[rlimit] is not a registered section");
	return c;
}
