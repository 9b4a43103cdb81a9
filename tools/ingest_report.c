/*
 * NAME
 *	ingest_report.c - the fields of report parts: RFC 3464 delivery
 *	status (one item per recipient block) and RFC 5965 feedback reports
 * SYNOPSIS
 *	void	ing_value_copy(char *out, size_t outlen, const char *s,
 *			size_t n);
 *	int	ing_block_field(const char *b, size_t n, const char *name,
 *			char *out, size_t outlen);
 *	void	ing_dsn_parse(struct ingest_report *r, const char *t,
 *			size_t n);
 *	void	ing_arf_parse(struct ingest_report *r, const char *t,
 *			size_t n);
 * DESCRIPTION
 *	GMime hands a message/delivery-status or message/feedback-report
 *	part over as text: header-like blocks separated by blank lines,
 *	parsed here (ingest_parse.c walks the MIME structure).
 *	ing_value_copy() copies a value with folds made one space;
 *	ing_block_field() finds the first field called name in a block,
 *	unfolded (1, or 0 when there is none). ing_dsn_parse() adds one item
 *	per recipient block (at most ING_ITEMS_MAX) and the Reporting-MTA;
 *	ing_arf_parse() fills the feedback type, Original-Mail-From,
 *	Original-Rcpt-To and the one complaint item (the recipient, else the
 *	original To, must be set before).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest_parse.h"

#define VALUE_MAX	2048	/* octets kept of one header value */

/* Copy a value into out with white space runs (folds) made one space and
 * NULs made '?', bytes otherwise kept (addresses may be UTF-8). */
void
ing_value_copy(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0;
	int space = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outlen)
			out[o++] = ' ';
		space = 0;
		out[o++] = c == 0 ? '?' : c;
	}
	out[o] = 0;
}

/* The first field called name in a header-like block, unfolded. */
int
ing_block_field(const char *b, size_t n, const char *name, char *out,
    size_t outlen)
{
	size_t k = strlen(name), pos = 0;

	out[0] = 0;
	while (pos < n) {
		const char *line = b + pos, *e = memchr(line, '\n', n - pos);
		size_t len = e ? (size_t)(e - line) : n - pos, v;

		pos += len + 1;
		if (len <= k || strncasecmp(line, name, k) != 0)
			continue;
		for (v = k; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
			;
		if (v >= len || line[v] != ':')
			continue;
		v++;
		/* the value runs on over continuation lines */
		while (pos < n && (b[pos] == ' ' || b[pos] == '\t')) {
			e = memchr(b + pos, '\n', n - pos);
			len = (e ? (size_t)(e - b) : n) - (size_t)(line - b);
			pos = (size_t)(line - b) + len + 1;
		}
		ing_value_copy(out, outlen, line + v, len - v);
		return 1;
	}
	return 0;
}

/* An address field "type; address" (Final-Recipient, Original-...). */
static void
typed_addr(const char *v, char *out)
{
	const char *semi = strchr(v, ';');

	ing_addr(semi ? semi + 1 : v, strlen(semi ? semi + 1 : v), out);
}

/* "5.0.0", "4.0.0": a status that says nothing but its class. */
static int
is_x00(const char *st)
{
	return st[0] != 0 && strcmp(st + 1, ".0.0") == 0;
}

/* One per-recipient block of a DSN; 0 when it is none. */
static int
dsn_block(const char *b, size_t n, struct ingest_item *it, char *orcpt)
{
	char v[VALUE_MAX], action[32] = "", diag[VALUE_MAX] = "";
	int fr, or, ac, st;

	memset(it, 0, sizeof(*it));
	orcpt[0] = 0;
	if ((or = ing_block_field(b, n, "Original-Recipient", v, sizeof(v))))
		typed_addr(v, orcpt);
	if ((fr = ing_block_field(b, n, "Final-Recipient", v, sizeof(v))))
		typed_addr(v, it->recipient);
	if (it->recipient[0] == 0)
		strcpy(it->recipient, orcpt);
	if ((ac = ing_block_field(b, n, "Action", v, sizeof(v))))
		ing_copy(action, sizeof(action), v, strcspn(v, " \t(;"));
	if ((st = ing_block_field(b, n, "Status", v, sizeof(v))) &&
	    ing_status_valid(v, strcspn(v, " \t(")))
		ing_copy(it->status, sizeof(it->status), v, strcspn(v, " \t("));
	if (!fr && !or && !ac && !st)
		return 0;
	if (ing_block_field(b, n, "Diagnostic-Code", v, sizeof(v))) {
		const char *semi = strchr(v, ';');

		/* "smtp; 550 ...": the diagnostic type goes */
		if (semi != NULL && semi - v < 24 &&
		    strcspn(v, " \t") >= (size_t)(semi - v))
			snprintf(diag, sizeof(diag), "%s", semi + 1);
		else
			snprintf(diag, sizeof(diag), "%s", v);
	}
	ing_copy(it->diag, sizeof(it->diag), diag, strlen(diag));
	if (it->status[0] == 0 || is_x00(it->status)) {
		char g[sizeof(it->status)];

		ing_status_guess(diag, g, sizeof(g));
		if (it->status[0] == 0 || (g[0] == it->status[0] &&
		    !is_x00(g) && strstr(diag, g) != NULL))
			strcpy(it->status, g);
	}
	it->kind = ingest_classify(it->status, diag, action);
	return 1;
}

/* One block of a DSN's fields: a recipient, or the per-message fields. */
static void
dsn_flush(struct ingest_report *r, const char *b, size_t n, size_t *nrcpt)
{
	char orcpt[MK_ADDR_MAX + 1], v[VALUE_MAX];

	if (n == 0)
		return;
	if (r->n < ING_ITEMS_MAX && dsn_block(b, n, &r->items[r->n], orcpt)) {
		if (++*nrcpt == 1)
			strcpy(r->orig_rcpt, orcpt);
		r->n++;
	} else if (ing_block_field(b, n, "Reporting-MTA", v, sizeof(v))) {
		const char *semi = strchr(v, ';');

		ing_copy(r->reporting_mta, sizeof(r->reporting_mta),
		    semi ? semi + 1 : v, strlen(semi ? semi + 1 : v));
	}
}

void
ing_dsn_parse(struct ingest_report *r, const char *t, size_t n)
{
	size_t pos = 0, start = 0, nrcpt = 0;

	while (pos < n) {
		const char *line = t + pos, *e = memchr(line, '\n', n - pos);
		size_t len = e ? (size_t)(e - line) : n - pos, i;

		for (i = 0; i < len && strchr(" \t\r", line[i]) != NULL; i++)
			;
		if (i == len) {		/* a blank line ends a block */
			dsn_flush(r, t + start, pos - start, &nrcpt);
			start = pos + len + 1;
		}
		pos += len + 1;
	}
	if (start < n)
		dsn_flush(r, t + start, n - start, &nrcpt);
	if (nrcpt != 1)
		r->orig_rcpt[0] = 0;
	snprintf(r->why, sizeof(r->why), "%s", r->n > 0 ?
	    "delivery status notification" :
	    "delivery status notification without recipients");
}

void
ing_arf_parse(struct ingest_report *r, const char *t, size_t n)
{
	struct ingest_item *it = &r->items[0];
	char v[VALUE_MAX], ua[64] = "";

	if (ing_block_field(t, n, "Feedback-Type", v, sizeof(v)))
		ing_copy(r->feedback_type, sizeof(r->feedback_type), v,
		    strcspn(v, " \t;"));
	for (char *p = r->feedback_type; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (ing_block_field(t, n, "User-Agent", v, sizeof(v)))
		ing_copy(ua, sizeof(ua), v, strlen(v));
	snprintf(r->reporting_mta, sizeof(r->reporting_mta), "%s", ua);
	if (ing_block_field(t, n, "Original-Mail-From", v, sizeof(v)))
		ing_addr(v, strlen(v), r->orig_mail_from);
	if (ing_block_field(t, n, "Original-Rcpt-To", v, sizeof(v)))
		ing_addr(v, strlen(v), r->orig_rcpt);

	memset(it, 0, sizeof(*it));
	r->n = 1;
	memcpy(it->recipient, r->orig_rcpt[0] ? r->orig_rcpt : r->orig_to,
	    sizeof(it->recipient));
	if (strcmp(r->feedback_type, "not-spam") == 0 ||
	    strcmp(r->feedback_type, "auth-failure") == 0) {
		it->kind = ING_IGNORED;
		snprintf(r->why, sizeof(r->why),
		    "feedback report (%s): ignored", r->feedback_type);
	} else {
		it->kind = ING_COMPLAINT;
		snprintf(r->why, sizeof(r->why), "feedback report (%s)",
		    r->feedback_type[0] ? r->feedback_type : "no type");
	}
	snprintf(it->diag, sizeof(it->diag), "feedback-type %s%s%s",
	    r->feedback_type[0] ? r->feedback_type : "-", ua[0] ? ", " : "",
	    ua);
}
