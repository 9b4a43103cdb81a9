/*
 * NAME
 *	ingest_parse - bounce, complaint and auto-reply recognition for
 *	`milterkit ingest`
 * SYNOPSIS
 *	#include "ingest_parse.h"
 *
 *	void	ingest_parse_init(void);
 *	int	ingest_parse(const char *buf, size_t len,
 *			struct ingest_report *r);
 *	int	ingest_classify(const char *status, const char *diag,
 *			const char *action);
 *	const char *ingest_kind_name(int kind);
 *	const char *ingest_type_name(int type);
 * DESCRIPTION
 *	ingest_parse() reads one message as it reached the bounce address
 *	(buf, len; not NUL-terminated, any bytes) and fills r: what kind of
 *	report it is (RFC 3464 DSN or RFC 6533 global DSN, a free-text
 *	bounce of a known MTA or provider, an RFC 5965 feedback report, an
 *	RFC 3834 auto-reply, or none of those) and one item per recipient
 *	the report is about, at most ING_ITEMS_MAX. Every string in r is
 *	NUL-terminated, bounded by its buffer and printable ASCII (other
 *	bytes become '?'); every address in r passed mk_addr_parse() (with
 *	the local part's case kept: a return-path token is case-sensitive)
 *	and is "" when none did. The MIME structure is walked by GMime; the
 *	fields of message/delivery-status and message/feedback-report parts
 *	are read here (ingest_parse.c), free-text bounces by ingest_text.c.
 *
 *	ingest_classify() maps an enhanced status code, the diagnostic text
 *	and the DSN Action to ING_HARD, ING_SOFT or ING_IGNORED; its table
 *	is in ingest_classify.c. ingest_kind_name() and ingest_type_name()
 *	name a kind ("hard", "soft", "complaint", "unsubscribe", "ignored")
 *	and a report type ("unknown", "dsn", "bounce-text", "arf",
 *	"autoreply"); "?" for anything else.
 *
 *	ingest_parse_init() initializes GMime once (idempotent, not
 *	thread-safe); ingest_parse() calls it itself.
 *
 *	The functions under "inside libmkingest" are shared by the three
 *	source files of the library and by its unit test; nothing else
 *	should call them.
 * DIAGNOSTICS
 *	ingest_parse() returns 0 and always fills r: input that is no
 *	message at all gets ING_T_UNKNOWN, n = 0 and a why saying so.
 *	-1 is reserved for out of memory, which today panics (mk_mem, glib)
 *	before it could be returned.
 * SEE ALSO
 *	RFC 3463, RFC 3464, RFC 3834, RFC 5965, RFC 6533, RFC 6591;
 *	tests/ingest/corpus, tests/unit/test_ingest_parse.c
 */
#ifndef INGEST_PARSE_H
#define INGEST_PARSE_H

#include <stddef.h>

#include "mk_addr.h"		/* MK_ADDR_MAX */

#define ING_ITEMS_MAX 64

enum { ING_HARD = 1, ING_SOFT, ING_COMPLAINT, ING_UNSUBSCRIBE, ING_IGNORED };	/* kinds */
enum { ING_T_UNKNOWN = 0, ING_T_DSN, ING_T_BOUNCE_TEXT, ING_T_ARF, ING_T_AUTOREPLY };	/* report types */

struct ingest_item {
	int kind;			/* ING_HARD, ING_SOFT, ING_COMPLAINT, ING_IGNORED */
	char recipient[MK_ADDR_MAX + 1];	/* the failed/complaining address as found, bare local@domain, "" unknown */
	char status[16];		/* enhanced status "5.1.1", "" when none */
	char diag[256];			/* diagnostic / SMTP reply text, printable ASCII, bounded */
};

struct ingest_report {
	int type;			/* ING_T_* */
	char why[128];			/* one short phrase: what was recognized, or why ignored */
	char message_id[256];		/* the report's own Message-ID (without <>), "" none */
	char from[MK_ADDR_MAX + 1];	/* the report's From address (bare) */
	char to[MK_ADDR_MAX + 1];	/* first address of the report's X-Original-To, else Delivered-To, else To */
	char auto_submitted[64];	/* value of Auto-Submitted, "" none */
	/* from the returned/original message when the report carries one (DSN text/rfc822-headers or message/rfc822 part, ARF third part): */
	char orig_return_path[MK_ADDR_MAX + 1];	/* its Return-Path (our return-path token address lives there) */
	char orig_from[MK_ADDR_MAX + 1];
	char orig_to[MK_ADDR_MAX + 1];	/* first To address */
	char orig_message_id[256];
	char orig_rcpt[MK_ADDR_MAX + 1];	/* ARF Original-Rcpt-To, or DSN Original-Recipient when single */
	char orig_mail_from[MK_ADDR_MAX + 1];	/* ARF Original-Mail-From */
	/* added: */
	char feedback_type[32];		/* ARF Feedback-Type, lower case, "" none */
	char reporting_mta[128];	/* DSN Reporting-MTA / ARF User-Agent, "" none */
	size_t n;
	struct ingest_item items[ING_ITEMS_MAX];
};

void ingest_parse_init(void);	/* g_mime_init once; idempotent, thread-unsafe is fine */
int ingest_parse(const char *buf, size_t len, struct ingest_report *r);	/* 0 (always fills r; garbage -> ING_T_UNKNOWN, n = 0, why says so); -1 only on out of memory */
int ingest_classify(const char *status, const char *diag, const char *action);	/* -> ING_HARD | ING_SOFT | ING_IGNORED; exported for unit tests */
const char *ingest_kind_name(int kind);	/* "hard","soft","complaint","unsubscribe","ignored" */
const char *ingest_type_name(int type);	/* "unknown","dsn","bounce-text","arf","autoreply" */

/* ---- inside libmkingest (ingest_*.c and the unit test only) ---- */

#define ING_TEXT_MAX (64 * 1024)	/* octets of bounce text looked at */

/* Copy n bytes of s into dst (size dstlen): runs of white space become
 * one space, other bytes outside 0x20-0x7e '?', ends trimmed; truncated
 * to fit. */
void ing_copy(char *dst, size_t dstlen, const char *s, size_t n);

/* Validate one address (angle brackets allowed) with mk_addr_parse and
 * copy its normalized form, local part case kept, into out
 * (MK_ADDR_MAX + 1 octets). 0, or -1 (out = "") when it does not parse. */
int ing_addr(const char *s, size_t n, char *out);

/* Is s[0..n) a valid enhanced status code "c.sss.ddd" (class 2, 4, 5)? */
int ing_status_valid(const char *s, size_t n);

/* Guess an enhanced status from reply text without one (or with one
 * inside it): see ingest_classify.c. Writes "" when nothing is known. */
void ing_status_guess(const char *text, char *out, size_t outlen);

/* The part of text that is the SMTP reply (from its code on, up to the
 * end of its paragraph), collapsed into diag; the whole first paragraph
 * when there is no reply code. */
void ing_diag_extract(const char *text, size_t n, char *diag, size_t dlen);

/* Find the free-text bounce format in text (not NUL-terminated, at most
 * ING_TEXT_MAX octets looked at) and append its items to r. Returns the
 * number of items added; r->why names the format when > 0. */
int ing_text_bounce(const char *text, size_t n, struct ingest_report *r);

/* The header block of the original message quoted in a free-text bounce,
 * when there is one: its offset in text and length (0: none). */
size_t ing_text_original(const char *text, size_t n, size_t *len);

/* Case-insensitive search of needle in s[0..n); NULL when absent. */
const char *ing_memcasemem(const char *s, size_t n, const char *needle);

/* ingest_report.c: the fields of delivery-status and feedback-report
 * parts (header-like blocks). */
void ing_value_copy(char *out, size_t outlen, const char *s, size_t n);
int ing_block_field(const char *b, size_t n, const char *name, char *out,
    size_t outlen);
void ing_dsn_parse(struct ingest_report *r, const char *t, size_t n);
void ing_arf_parse(struct ingest_report *r, const char *t, size_t n);

#endif
