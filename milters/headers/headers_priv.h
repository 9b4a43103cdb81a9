/*
 * NAME
 *	headers_priv.h - what the files of milterkit-headers' header logic
 *	share: the compiled rules, the rewrite context, and the helpers
 * SYNOPSIS
 *	rules.c		hdr_rules_new(), hdr_rules_free(), hdr_sessions(),
 *			hdr_rules_limits()
 *	names.c		hdr_names_parse(), hdr_names_free(),
 *			hdr_domain_match(), hdr_field_match()
 *	expand.c	hdr_expand()
 *	rewrite.c	hdr_rewrite(), hdr_result_free(), hdr_edit(),
 *			hdr_reject(), hdr_find(), hdr_is()
 *	required.c	rules 1-5: Message-ID, Date, MIME-Version, From,
 *			duplicates
 *	privacy.c	rules 6-7: removed fields, internal Received,
 *			Feedback-ID
 *	listunsub.c	rule 8: List-Unsubscribe, List-Unsubscribe-Post
 *	content.c	rule 9: 8-bit text and long lines
 * *	msgid.c		hdr_msgid_valid(), hdr_msgid_new(), hdr_date_format()
 * *	unsub.c		the token (hdr_unsub.h)
 *	The parsers the header logic shares with other filters are in
 *	common/: address lists (mk_addrlist.h), RFC 2047 (mk_rfc2047.h),
 *	folding (mk_fold.h), growing strings (mk_strbuf.h).
 * DESCRIPTION
 *	Strings returned through a struct mk_strbuf are malloc'd and owned by
 *	the caller. Nothing here keeps state between messages except the
 *	Message-ID counter (msgid.c).
 */
#ifndef HEADERS_PRIV_H
#define HEADERS_PRIV_H

#include <stddef.h>
#include <time.h>

#include "headers.h"
#include "mk_addrlist.h"
#include "mk_cidr.h"
#include "mk_fold.h"
#include "mk_rfc2047.h"
#include "mk_strbuf.h"

#define HDR_LINE_MAX MK_FOLD_LINE_MAX
#define HDR_DOMAIN_MAX 254		/* with NUL */

/* A list of lower-cased names: domains (".x" = under x) or field names
 * ("x-*" = prefix). */
struct hdr_names {
	char **v;
	size_t n;
};

struct hdr_rules {
	struct mk_session_choice sessions; /* check, networks */
	size_t max_headers;
	size_t max_header_len;
	int message_id;
	char *msgid_domain;		/* "" = From domain */
	char hostname[HDR_DOMAIN_MAX];	/* last resort for Message-IDs */
	int date;
	int date_utc;
	int mime_version;
	int missing_from;		/* HDR_CONF_FROM_* */
	int multiple_from;		/* HDR_CONF_REJECT | HDR_CONF_ACCEPT */
	int duplicates;			/* HDR_CONF_DUP_* */
	struct hdr_names remove;	/* field names */
	struct mk_cidr_list internal_nets;
	struct hdr_names internal_hosts;
	char *feedback_id;		/* "" = off */
	struct hdr_names unsub_domains;	/* empty = off */
	unsigned char *unsub_key;
	size_t unsub_keylen;
	char *unsub_mailto;		/* "" = none */
	char *unsub_url;		/* "" = none */
	int long_lines;			/* HDR_CONF_LONG_* */
	int eight_bit;			/* HDR_CONF_8BIT_* */
};

/* One hdr_rewrite() call. */
struct hdr_ctx {
	const struct hdr_rules *r;
	const struct hdr_msg *m;
	struct hdr_result *out;
	size_t *occ;			/* occurrence of field i among its name */
	unsigned char *gone;		/* field i is deleted */
	size_t *pos;			/* per edit: field position, or SIZE_MAX */
	size_t cap;			/* of out->e and pos */
	char from_domain[HDR_DOMAIN_MAX]; /* first From mailbox, normalized */
	char env_domain[HDR_DOMAIN_MAX]; /* MAIL FROM, normalized, or "" */
};


/* names.c */
int hdr_names_parse(const char *text, struct hdr_names *out);
void hdr_names_free(struct hdr_names *l);
int hdr_domain_match(const struct hdr_names *l, const char *name, size_t n);
int hdr_field_match(const struct hdr_names *l, const char *name);

/* expand.c */
void hdr_expand(struct mk_strbuf *b, const char *tpl,
    const char *const vars[26]);

/* rewrite.c */
void hdr_edit(struct hdr_ctx *c, enum hdr_op op, size_t i, const char *name,
    char *value, const char *why);
void hdr_reject(struct hdr_ctx *c, const char *rcode, const char *xcode,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t hdr_find(const struct hdr_ctx *c, const char *name, size_t from);
int hdr_is(const char *a, const char *b);
char *hdr_safe_name(char *dst, size_t len, const char *name);

/* the rules, in the order rewrite.c calls them */
void hdr_rule_duplicates(struct hdr_ctx *c);
void hdr_rule_from(struct hdr_ctx *c);
void hdr_rule_privacy(struct hdr_ctx *c);
void hdr_rule_feedback(struct hdr_ctx *c);
void hdr_rule_content(struct hdr_ctx *c);
void hdr_rule_message_id(struct hdr_ctx *c);
void hdr_rule_date(struct hdr_ctx *c);
void hdr_rule_mime(struct hdr_ctx *c);
void hdr_rule_unsubscribe(struct hdr_ctx *c);

/* msgid.c */
int hdr_msgid_valid(const char *v);
void hdr_msgid_new(const char *domain, char *out, size_t len);
void hdr_date_format(time_t t, int utc, char *out, size_t len);

#endif
