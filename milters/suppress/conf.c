/*
 * conf.c - milterkit-suppress: the rows of [suppress] (see suppress_conf.h).
 */
#include "config.h"

#include <stddef.h>

#include "mk_addrpat.h"
#include "mk_conf.h"
#include "mk_log.h"
#include "mk_reply.h"
#include "suppress_conf.h"

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("suppress", key, type, def, lo, hi, ch, struct supp_conf,	\
	    field, chk, help)

#define REPLY(reason, REASON, code)						\
	ROW("reply_" #reason, MK_CFG_STRING,					\
	    code " <%a>: recipient address suppressed (%r)", 1, 512, NULL,	\
	    reply[MK_REASON_##REASON], mk_reply_check,				\
	    "reply for a " #reason " entry; %a address, %r reason")

static const struct mk_cfg_row supp_rows[] = {
	MK_CONF_MILTER_ROWS("suppress", struct supp_conf),
	ROW("exempt", MK_CFG_STRING, "postmaster@, abuse@", 0, 65536, NULL,
	    exempt, mk_addrpat_list_check,
	    "recipients never rejected: local@, address, @domain"),
	REPLY(bounce, BOUNCE, "550 5.1.1"),
	REPLY(complaint, COMPLAINT, "550 5.7.1"),
	REPLY(unsubscribe, UNSUBSCRIBE, "550 5.7.1"),
	REPLY(manual, MANUAL, "550 5.7.1"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section supp_conf_section = {
	"suppress", supp_rows, sizeof(struct supp_conf), 1, 1
};

const struct supp_conf *
supp_conf(const struct mk_conf *conf)
{
	const struct supp_conf *c = mk_conf_section(conf, "suppress");

	if (c == NULL)
		mk_panic("[suppress] is not a registered section");
	return c;
}
