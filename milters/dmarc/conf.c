/*
 * conf.c - milterkit-dmarc: the rows of [dmarc] (see dmarc_conf.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "dmarc_conf.h"
#include "mk_cidr.h"
#include "mk_conf.h"
#include "mk_log.h"

static const char *const on_reject[] = { "reject", "quarantine", "tag", NULL };
static const char *const on_quarantine[] = { "quarantine", "tag", NULL };
static const char *const on_temperror[] = { "accept", "tempfail", NULL };

/* An authserv-id: a domain-like token (RFC 8601 2.5), no blank, no ';'. */
static int
authserv_check(const char *text, char *err, size_t errlen)
{
	for (const char *p = text; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 127 || *p == ';' || *p == '(' ||
		    *p == ')' || *p == '"') {
			snprintf(err, errlen, "authserv_id \"%.64s\": one token "
			    "of printable ASCII, no blank, ';', quote or "
			    "parenthesis (e.g. mx.example.com)", text);
			return -1;
		}
	return 0;
}

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("dmarc", key, type, def, lo, hi, ch, struct dmarc_conf,	\
	    field, chk, help)

static const struct mk_cfg_row dmarc_rows[] = {
	MK_CONF_MILTER_ROWS("dmarc", struct dmarc_conf),
	ROW("authserv_id", MK_CFG_STRING, "", 0, 253, NULL, authserv_id,
	    authserv_check, "the relay's name in Authentication-Results "
	    "(empty: the host name); such fields from outside are removed"),
	ROW("trusted_networks", MK_CFG_STRING, "127.0.0.0/8, ::1", 0, 65536,
	    NULL, trusted_networks, mk_cidr_list_check,
	    "clients whose mail is not checked (the relay's own senders)"),
	ROW("skip_authenticated", MK_CFG_BOOL, "yes", 0, 0, NULL,
	    skip_authenticated, NULL,
	    "leave messages of SASL-authenticated sessions unchecked"),
	ROW("on_reject", MK_CFG_ENUM, "reject", 0, 0, on_reject, on_reject,
	    NULL, "a fail under p=reject: reject (550 5.7.1), quarantine, "
	    "or tag (Authentication-Results only)"),
	ROW("on_quarantine", MK_CFG_ENUM, "quarantine", 0, 0, on_quarantine,
	    on_quarantine, NULL, "a fail under p=quarantine: quarantine (the "
	    "MTA's hold queue) or tag"),
	ROW("on_temperror", MK_CFG_ENUM, "accept", 0, 0, on_temperror,
	    on_temperror, NULL, "a DMARC temperror: accept (tagged) or "
	    "tempfail (451 4.7.5)"),
	ROW("received_spf", MK_CFG_BOOL, "no", 0, 0, NULL, received_spf, NULL,
	    "add a Received-SPF field too"),
	ROW("max_signatures", MK_CFG_INT, "8", 1, 32, NULL, max_signatures,
	    NULL, "DKIM signatures of a message verified, at most"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section dmarc_conf_section = {
	"dmarc", dmarc_rows, sizeof(struct dmarc_conf), 1, 1
};

const struct dmarc_conf *
dmarc_conf(const struct mk_conf *conf)
{
	const struct dmarc_conf *c = mk_conf_section(conf, "dmarc");

	if (c == NULL)
		mk_panic("[dmarc] is not a registered section");
	return c;
}
