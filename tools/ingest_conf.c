/*
 * ingest_conf.c - the rows of [ingest] (see ingest_conf.h).
 */
#include "config.h"

#include <stddef.h>

#include "ingest_conf.h"
#include "mk_log.h"

static const char *const ingest_scopes[] = { "global", "sender", NULL };

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("ingest", key, type, def, lo, hi, ch,			\
	    struct ingest_conf, field, chk, help)

static const struct mk_cfg_row ingest_rows[] = {
	ROW("bounce_scope", MK_CFG_ENUM, "global", 0, 0, ingest_scopes,
	    bounce_scope, NULL, "bounces suppress globally or for the sender "
	    "domain only: global or sender"),
	ROW("soft_threshold", MK_CFG_INT, "3", 1, 32, NULL, soft_threshold,
	    NULL, "soft bounces within soft_window that suppress a recipient"),
	ROW("soft_window", MK_CFG_DURATION, "7d", 3600, 31536000, NULL,
	    soft_window, NULL, "how long soft bounces are counted"),
	ROW("soft_expire", MK_CFG_DURATION, "30d", 0, 315360000, NULL,
	    soft_expire, NULL, "how long a suppression for soft bounces lasts "
	    "(0: for ever)"),
	ROW("require_token", MK_CFG_BOOL, "yes", 0, 0, NULL, require_token,
	    NULL, "act on bounces only when they come back to a valid "
	    "return-path token"),
	ROW("complaints", MK_CFG_BOOL, "yes", 0, 0, NULL, complaints, NULL,
	    "act on feedback reports (ARF complaints)"),
	ROW("remember", MK_CFG_DURATION, "30d", 3600, 315360000, NULL,
	    remember, NULL, "how long a report is remembered, so that the same "
	    "report twice changes nothing"),
	ROW("max_size", MK_CFG_SIZE, "10M", 65536, 1073741824, NULL, max_size,
	    NULL, "octets of a message read; the rest is read and dropped"),
	ROW("forward", MK_CFG_BOOL, "no", 0, 0, NULL, forward, NULL,
	    "pass each bounce on to the original sender"),
	ROW("sendmail", MK_CFG_STRING, "/usr/sbin/sendmail", 1, 1024, NULL,
	    sendmail, NULL, "the sendmail command that forwards bounces"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section ingest_conf_section = {
	"ingest", ingest_rows, sizeof(struct ingest_conf), 0, 0
};

const struct ingest_conf *
ingest_conf(const struct mk_conf *conf)
{
	const struct ingest_conf *c = mk_conf_section(conf, "ingest");

	if (c == NULL)
		mk_panic("[ingest] is not a registered section");
	return c;
}
