/*
 * conf.c - milterkit-headers: the rows of [headers] and the checks of their
 * values (see headers_conf.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "headers_conf.h"
#include "mk_cidr.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_log.h"

/*
 * [headers] value syntax. Lists are separated by commas or blanks. A
 * template is printable ASCII without blanks whose '%' escapes are "%%" or
 * one of the letters the key offers.
 */
#define HDR_LIST_MAX 1024

/* Calls item() on each list item; 0, or -1 with err set. */
static int
hdr_list(const char *text, int (*item)(const char *, size_t, char *, size_t),
    char *err, size_t errlen)
{
	struct mk_list l;
	int rc;

	mk_list_init(&l, text, 0, HDR_LIST_MAX, "items");
	while ((rc = mk_list_next(&l, err, errlen)) > 0)
		if (item(l.item, l.len, err, errlen) != 0)
			return -1;
	return rc == 0 ? 0 : -1;
}

/* A host or domain name; ".name" (any name under name) when dot is set. */
static int
hdr_name_item(const char *p, size_t n, char *err, size_t errlen)
{
	size_t i = (*p == '.') ? 1 : 0, label = 0;

	if (n - i > 253)
		goto bad;
	for (; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0)
				goto bad;
			label = 0;
		} else if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' ||
		    p[i] == '_') {
			if (++label > 63)
				goto bad;
		} else {
			goto bad;
		}
	}
	if (label > 0)
		return 0;
bad:
	snprintf(err, errlen, "bad name \"%.*s\" (want host.example or "
	    ".example)", (int)(n > 64 ? 64 : n), p);
	return -1;
}

static int
hdr_names_check(const char *text, char *err, size_t errlen)
{
	return hdr_list(text, hdr_name_item, err, errlen);
}

static int
hdr_domain_check(const char *text, char *err, size_t errlen)
{
	if (*text == '\0')
		return 0;
	if (*text == '.' || strcspn(text, MK_LIST_SEP) != strlen(text)) {
		snprintf(err, errlen, "want one domain name");
		return -1;
	}
	return hdr_name_item(text, strlen(text), err, errlen);
}

/* A header field name, with an optional trailing '*' (any name so begun). */
static int
hdr_field_item(const char *p, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == ':' ||
		    (p[i] == '*' && i + 1 != n)) {
			snprintf(err, errlen, "bad header name \"%.*s\"",
			    (int)(n > 64 ? 64 : n), p);
			return -1;
		}
	return 0;
}

static int
hdr_fields_check(const char *text, char *err, size_t errlen)
{
	return hdr_list(text, hdr_field_item, err, errlen);
}

/* A template offering the letters in vars; need: a letter that must occur. */
static int
hdr_tpl(const char *t, const char *vars, int need, char *err, size_t errlen)
{
	int seen = 0;

	for (const char *p = t; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 127 || *p == '<' || *p == '>' ||
		    *p == '"') {
			snprintf(err, errlen, "templates are printable ASCII "
			    "without blanks, '<', '>' or '\"'");
			return -1;
		}
		if (*p != '%')
			continue;
		p++;
		if (*p == need)
			seen = 1;
		if (*p != '%' && (*p == '\0' || strchr(vars, *p) == NULL)) {
			snprintf(err, errlen, "unknown %%%c in template (offers "
			    "%s)", *p ? *p : '?', vars);
			return -1;
		}
	}
	if (need != 0 && *t != '\0' && !seen) {
		snprintf(err, errlen, "the template must contain %%%c", need);
		return -1;
	}
	return 0;
}

static int
hdr_feedback_check(const char *text, char *err, size_t errlen)
{
	return hdr_tpl(text, "dfqu", 0, err, errlen);
}

static int
hdr_mailto_check(const char *text, char *err, size_t errlen)
{
	const char *at = strchr(text, '@');

	if (*text != '\0' && (at == NULL || at == text || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strpbrk(text, "(),:;[\\]") != NULL)) {
		snprintf(err, errlen, "want LOCAL@DOMAIN, e.g. "
		    "unsubscribe+%%t@%%d");
		return -1;
	}
	return hdr_tpl(text, "dt", 't', err, errlen);
}

static int
hdr_url_check(const char *text, char *err, size_t errlen)
{
	if (*text != '\0' && strncmp(text, "https://", 8) != 0) {
		snprintf(err, errlen, "the URL must start with https:// "
		    "(RFC 8058)");
		return -1;
	}
	return hdr_tpl(text, "dtr", 't', err, errlen);
}

static const char *const hdr_zones[] = { "local", "utc", NULL };
static const char *const hdr_from[] = { "reject", "add", "accept", NULL };
static const char *const hdr_dup[] = { "reject", "keep-first", "accept", NULL };
static const char *const hdr_ra[] = { "reject", "accept", NULL };
static const char *const hdr_long[] = { "fold", "reject", "accept", NULL };
static const char *const hdr_8bit[] = { "encode", "reject", "accept", NULL };

#define HDR_REMOVE_DEFAULT "X-Originating-IP, X-PHP-Originating-Script, " \
	"X-PHP-Script, X-Source, X-Source-Args, X-Source-Dir, X-AntiAbuse, " \
	"X-Get-Message-Sender-Via, X-Authenticated-Sender, X-Mailer-LID, " \
	"X-Mailer-RecptId, X-Mailer-SID, X-Mailer-Sent-By"

#define ROW(key, type, def, lo, hi, ch, field, chk, help)			\
	MK_CONF_ROW("headers", key, type, def, lo, hi, ch, struct hdr_conf,	\
	    field, chk, help)

static const struct mk_cfg_row hdr_rows[] = {
	MK_CONF_MILTER_ROWS("headers", struct hdr_conf),
	ROW("max_headers", MK_CFG_INT, "1000", 10, 100000, NULL,
	    max_headers, NULL,
	    "most header fields in one message (more: 552 5.3.4)"),
	ROW("max_header_size", MK_CFG_SIZE, "64k", 1000, 16777216,
	    NULL, max_header_size, NULL,
	    "largest header field, name and value (larger: 552 5.3.4)"),
	ROW("message_id", MK_CFG_BOOL, "yes", 0, 0, NULL,
	    message_id, NULL, "add a missing Message-ID, replace an invalid one"),
	ROW("message_id_domain", MK_CFG_STRING, "", 0, 253, NULL,
	    message_id_domain, hdr_domain_check,
	    "right side of new Message-IDs (empty: the From domain)"),
	ROW("date", MK_CFG_BOOL, "yes", 0, 0, NULL, date, NULL,
	    "add a missing Date"),
	ROW("date_zone", MK_CFG_ENUM, "local", 0, 0, hdr_zones,
	    date_zone, NULL, "zone of an added Date: local or utc"),
	ROW("mime_version", MK_CFG_BOOL, "yes", 0, 0, NULL,
	    mime_version, NULL,
	    "add MIME-Version: 1.0 to MIME content that lacks it"),
	ROW("missing_from", MK_CFG_ENUM, "reject", 0, 0, hdr_from,
	    missing_from, NULL,
	    "no From: reject (550 5.6.0), add (from MAIL FROM) or accept"),
	ROW("multiple_from", MK_CFG_ENUM, "reject", 0, 0, hdr_ra,
	    multiple_from, NULL,
	    "From with several mailboxes and no Sender: reject or accept"),
	ROW("duplicates", MK_CFG_ENUM, "reject", 0, 0, hdr_dup,
	    duplicates, NULL, "a repeated RFC 5322 3.6 field: reject, "
	    "keep-first (remove the others) or accept"),
	ROW("remove_headers", MK_CFG_STRING, HDR_REMOVE_DEFAULT, 0,
	    4000, NULL, remove, hdr_fields_check,
	    "header fields removed (NAME, or PREFIX*)"),
	ROW("internal_networks", MK_CFG_STRING, "", 0, 65536, NULL,
	    internal_networks, mk_cidr_list_check,
	    "Received fields whose from part names an address here are removed"),
	ROW("internal_hosts", MK_CFG_STRING, "", 0, 65536, NULL,
	    internal_hosts, hdr_names_check,
	    "Received fields whose from part names these hosts (.domain: any "
	    "under it) are removed"),
	ROW("feedback_id", MK_CFG_STRING, "", 0, 200, NULL,
	    feedback_id, hdr_feedback_check, "Feedback-ID template (empty: "
	    "off); %d sender domain, %f From domain, %u SASL user, %q queue id"),
	ROW("unsubscribe_domains", MK_CFG_STRING, "", 0, 65536, NULL,
	    unsub_domains, hdr_names_check,
	    "sender domains whose single-recipient mail gets List-Unsubscribe"),
	ROW("unsubscribe_secret_file", MK_CFG_STRING, "", 0, 1024,
	    NULL, unsub_secret_file, NULL,
	    "file holding the token's HMAC key (16 to 1024 octets)"),
	ROW("unsubscribe_mailto", MK_CFG_STRING, "unsubscribe+%t@%d",
	    0, 200, NULL, unsub_mailto, hdr_mailto_check,
	    "mailto: address template; %t token, %d sender domain"),
	ROW("unsubscribe_url", MK_CFG_STRING, "", 0, 400, NULL,
	    unsub_url, hdr_url_check, "https one-click URL template "
	    "(empty: none); %t token, %d sender domain, %r recipient"),
	ROW("long_lines", MK_CFG_ENUM, "fold", 0, 0, hdr_long,
	    long_lines, NULL,
	    "header lines over 998 octets: fold, reject or accept"),
	ROW("eight_bit", MK_CFG_ENUM, "encode", 0, 0, hdr_8bit,
	    eight_bit, NULL,
	    "8-bit header text without SMTPUTF8: encode, reject or accept"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

const struct mk_conf_section hdr_conf_section = {
	"headers", hdr_rows, sizeof(struct hdr_conf), 1, 1
};

const struct hdr_conf *
hdr_conf(const struct mk_conf *conf)
{
	const struct hdr_conf *c = mk_conf_section(conf, "headers");

	if (c == NULL)
		mk_panic("[headers] is not a registered section");
	return c;
}
