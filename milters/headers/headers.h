/*
 * NAME
 *	headers.h - milterkit-headers: the header standardization, without
 *	the milter protocol
 * SYNOPSIS
 *	#include "headers.h"
 *
 *	int	hdr_rules_new(const struct mk_conf *conf, struct hdr_rules **out,
 *			char *err, size_t errlen);
 *	void	hdr_rules_free(struct hdr_rules *rules);
 *	const struct mk_session_choice *hdr_sessions(const void *rules);
 *	void	hdr_rewrite(const struct hdr_rules *rules,
 *			const struct hdr_msg *msg, struct hdr_result *out);
 *	void	hdr_result_free(struct hdr_result *res);
 *	void	hdr_rules_limits(const struct hdr_rules *rules,
 *			struct hdr_limits *out);
 * DESCRIPTION
 *	hdr_rules_new() compiles the [headers] section (rules on or off,
 *	lists, templates, secret, limits). hdr_rewrite() takes the header
 *	block of one message as the MTA passed it (names and values in order,
 *	values as the MTA sends them with SMFIP_HDR_LEADSPC negotiated:
 *	the text after the colon, leading blank included, folding kept as
 *	"\r\n" or "\n" followed by a blank) plus the envelope facts, and
 *	decides: either a rejection (out->reject with rcode/xcode/text) or a
 *	list of edits in the order they must be applied, each with the reason
 *	that goes into its log line. Edits name headers the way the milter
 *	API does: HDR_CHANGE and HDR_DELETE address the index-th occurrence
 *	(1-based) of name counted among the ORIGINAL headers; HDR_INSERT puts
 *	a header at position index (0 = first); HDR_ADD appends.
 *	hdr_result_free() releases the edits (not out itself).
 *
 *	Edit values are written as the MTA is to store them with
 *	SMFIP_HDR_LEADSPC: a leading blank, and folds as "\n" plus a blank
 *	(the protocol's form: no "\r" before the "\n"). HDR_CHANGE and HDR_DELETE
 *	edits come first, by descending position in the message, so that an
 *	occurrence index is the same whether the MTA counts the original or
 *	the current headers; HDR_ADD edits follow.
 *	hdr_rules_limits() gives the bounds (max_headers, max_header_size)
 *	so that the adapter can stop copying early; a field's size is
 *	strlen(name) + 1 + strlen(value). hdr_sessions() gives the session
 *	choice ("check", "networks"): the skeleton's sessions() hook, which
 *	decides the sessions rewritten.
 */
#ifndef HEADERS_H
#define HEADERS_H

#include <stddef.h>
#include <time.h>

#include "mk_conf.h"
#include "mk_session.h"

struct hdr_rules;

struct hdr_field {
	const char *name;
	const char *value;
};

struct hdr_msg {
	const struct hdr_field *h;	/* in message order */
	size_t n;
	const char *env_from;		/* MAIL FROM without <>, "" for <> */
	int smtputf8;			/* MAIL FROM carried SMTPUTF8 */
	const char *sasl_user;		/* {auth_authen} or NULL */
	const char *client_addr;
	size_t nrcpt;
	const char *rcpt;		/* the recipient when nrcpt == 1 */
	const char *queue_id;		/* or NULL */
	time_t now;
};

enum hdr_op { HDR_ADD, HDR_INSERT, HDR_CHANGE, HDR_DELETE };

struct hdr_edit {
	enum hdr_op op;
	char *name;
	char *value;			/* NULL for HDR_DELETE */
	size_t index;			/* see DESCRIPTION */
	char *why;			/* for the log line */
};

struct hdr_result {
	int reject;
	char rcode[4];			/* "550" */
	char xcode[16];			/* "5.6.0" */
	char text[256];
	struct hdr_edit *e;
	size_t ne;
};

struct hdr_limits {
	size_t max_headers;
	size_t max_header_len;		/* name + ':' + value, octets */
};

int hdr_rules_new(const struct mk_conf *conf, struct hdr_rules **out,
    char *err, size_t errlen);
void hdr_rules_free(struct hdr_rules *rules);
const struct mk_session_choice *hdr_sessions(const void *rules);
void hdr_rewrite(const struct hdr_rules *rules, const struct hdr_msg *msg,
    struct hdr_result *out);
void hdr_result_free(struct hdr_result *res);
void hdr_rules_limits(const struct hdr_rules *rules, struct hdr_limits *out);

#endif
