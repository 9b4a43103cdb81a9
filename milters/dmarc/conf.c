/*
 * conf.c - milterkit-dmarc: the rows of [dmarc] (see dmarc_conf.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_conf.h"
#include "mk_cidr.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_log.h"
#include "mk_mem.h"

static const char *const on_reject[] = { "reject", "quarantine", "tag", NULL };
static const char *const on_quarantine[] = { "quarantine", "tag", NULL };
static const char *const modes[] = { "inbound", "outbound", NULL };
static const char *const on_outbound_fail[] = { "reject", "tempfail", "tag",
	"log", NULL };

int
dmarc_conf_addresses(const char *text, char ***out, size_t *n, char *err,
    size_t errlen)
{
	struct mk_list l;
	char item[64];
	unsigned char bin[16];
	char **v = NULL;
	int rc;

	*n = 0;
	mk_list_init(&l, text, sizeof(item) - 1, 64, "addresses");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		memcpy(item, l.item, l.len);
		item[l.len] = '\0';
		if (inet_pton(AF_INET, item, bin) != 1 &&
		    inet_pton(AF_INET6, item, bin) != 1) {
			snprintf(err, errlen, "\"%s\" is not an IPv4 or IPv6 "
			    "address", item);
			rc = -1;
			break;
		}
		if (out != NULL) {
			v = mk_realloc(v, (*n + 2) * sizeof(*v));
			v[(*n)++] = mk_strdup(item);
			v[*n] = NULL;
		}
	}
	if (rc != 0) {
		for (size_t i = 0; i < *n; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	if (out != NULL)
		*out = v;
	return 0;
}

static int
addresses_check(const char *text, char *err, size_t errlen)
{
	size_t n;

	return dmarc_conf_addresses(text, NULL, &n, err, errlen);
}

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
	ROW("mode", MK_CFG_ENUM, "inbound", 0, 0, modes, mode, NULL,
	    "inbound: check mail from outside; outbound: will the relay's own "
	    "mail pass DMARC at the receivers?"),
	ROW("public_addresses", MK_CFG_STRING, "", 0, 4096, NULL,
	    public_addresses, addresses_check, "outbound: the relay's public "
	    "addresses, whose SPF pass for the sender's domain counts"),
	ROW("on_outbound_fail", MK_CFG_ENUM, "reject", 0, 0, on_outbound_fail,
	    on_outbound_fail, NULL, "outbound: mail that would fail a "
	    "p=reject or p=quarantine From domain: reject (550 5.7.1), "
	    "tempfail, tag (a header) or log"),
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
