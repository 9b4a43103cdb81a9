/*
 * conf.c - milterkit-dkim: the rows of [dkim] and the checks of their
 * values (see dkim_conf.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_conf.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_log.h"
#include "mk_mem.h"

#define DKIM_CONF_NAME_MAX	64	/* octets of one header name */

/* DKIM_DEFAULT_HEADERS of dkim.h, joined. */
#define DKIM_CONF_HEADERS_DEFAULT "From, To, Cc, Subject, Date, Message-ID, " \
	"Reply-To, In-Reply-To, References, MIME-Version, Content-Type, " \
	"Content-Transfer-Encoding, List-Id, List-Unsubscribe, " \
	"List-Unsubscribe-Post, Feedback-ID"

/* "relaxed" or "simple" in p[0..n); -1 for anything else. */
static int
canon_word(const char *p, size_t n)
{
	if (n == 7 && strncasecmp(p, "relaxed", 7) == 0)
		return DKIM_CONF_RELAXED;
	if (n == 6 && strncasecmp(p, "simple", 6) == 0)
		return DKIM_CONF_SIMPLE;
	return -1;
}

int
dkim_conf_canon(const char *text, int *hdr, int *body, char *err,
    size_t errlen)
{
	const char *slash = strchr(text, '/');
	size_t hn = slash != NULL ? (size_t)(slash - text) : strlen(text);
	int h = canon_word(text, hn), b = DKIM_CONF_SIMPLE;

	if (h < 0) {
		snprintf(err, errlen, "header canonicalization \"%.*s\" is "
		    "neither relaxed nor simple (want HEADER/BODY, e.g. "
		    "relaxed/relaxed)", (int)(hn > 32 ? 32 : hn), text);
		return -1;
	}
	if (slash != NULL && (b = canon_word(slash + 1, strlen(slash + 1))) < 0) {
		snprintf(err, errlen, "body canonicalization \"%.32s\" is "
		    "neither relaxed nor simple (want HEADER/BODY, e.g. "
		    "relaxed/relaxed)", slash + 1);
		return -1;
	}
	*hdr = h;
	*body = b;
	return 0;
}

static int
canon_check(const char *text, char *err, size_t errlen)
{
	int h, b;

	return dkim_conf_canon(text, &h, &b, err, errlen);
}

/* A header field name (RFC 5322 ftext: printable ASCII but ':'). */
static int
name_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == ':')
			return 0;
	return n > 0;
}

int
dkim_conf_headers(const char *text, char ***out, char *err, size_t errlen)
{
	struct mk_list l;
	char **v = mk_calloc(DKIM_CONF_HEADERS_MAX + 1, sizeof(*v));
	size_t n = 0;
	int rc;

	*out = NULL;
	mk_list_init(&l, text, DKIM_CONF_NAME_MAX, DKIM_CONF_HEADERS_MAX,
	    "header names");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		if (!name_ok(l.item, l.len)) {
			snprintf(err, errlen, "bad header name \"%.*s\"",
			    (int)l.len, l.item);
			rc = -1;
			break;
		}
		v[n] = mk_malloc(l.len + 1);
		memcpy(v[n], l.item, l.len);
		v[n++][l.len] = '\0';
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "no header name (From at least is "
		    "always signed)");
		rc = -1;
	}
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}

static int
headers_check(const char *text, char *err, size_t errlen)
{
	char **v;

	if (dkim_conf_headers(text, &v, err, errlen) != 0)
		return -1;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
	return 0;
}

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("dkim", key, type, def, lo, hi, ch, struct dkim_conf,	\
	    field, chk, help)

static const struct mk_cfg_row dkim_rows[] = {
	MK_CONF_MILTER_ROWS("dkim", struct dkim_conf),
	ROW("signing_table", MK_CFG_STRING,
	    "/etc/milterkit/dkim/signing.table", 1, 1024, NULL,
	    signing_table, NULL,
	    "lines DOMAIN-PATTERN SELECTOR KEYFILE [from=] [until=] [d=]"),
	ROW("canonicalization", MK_CFG_STRING, "relaxed/relaxed", 1, 32, NULL,
	    canonicalization, canon_check,
	    "HEADER/BODY, each relaxed or simple"),
	ROW("sign_headers", MK_CFG_STRING, DKIM_CONF_HEADERS_DEFAULT, 1, 4000,
	    NULL, sign_headers, headers_check,
	    "header fields signed when present (From always, oversigned)"),
	ROW("expire", MK_CFG_DURATION, "0", 0, 366LL * 86400, NULL, expire,
	    NULL, "signature lifetime, x= (0: no x=)"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section dkim_conf_section = {
	"dkim", dkim_rows, sizeof(struct dkim_conf), 1, 1
};

const struct dkim_conf *
dkim_conf(const struct mk_conf *conf)
{
	const struct dkim_conf *c = mk_conf_section(conf, "dkim");

	if (c == NULL)
		mk_panic("[dkim] is not a registered section");
	return c;
}
