/*
 * NAME
 *	ingest_parse.c - what a message that reached the bounce address is:
 *	DSN, free-text bounce, feedback report, auto-reply or nothing
 * SYNOPSIS
 *	#include "ingest_parse.h"
 *
 *	void	ingest_parse_init(void);
 *	int	ingest_parse(const char *buf, size_t len,
 *			struct ingest_report *r);
 *	int	ing_addr(const char *s, size_t n, char *out);
 * DESCRIPTION
 *	GMime parses the message; the walk below visits every part of the
 *	top-level structure (at most WALK_PARTS parts, WALK_DEPTH levels),
 *	but never looks inside a message/rfc822 part: that is the returned
 *	or reported original. It notes the first message/delivery-status
 *	(or message/global-delivery-status), message/feedback-report, the
 *	first original (message/rfc822, message/global, text/rfc822-headers
 *	or message/global-headers) and the text/plain (else text/html)
 *	parts' decoded text, bounded. Then, first match wins:
 *
 *	1. A delivery-status part: ING_T_DSN. Its fields are header-like
 *	   blocks separated by blank lines, read here (folded lines are
 *	   unfolded); every block with Final-Recipient, Original-Recipient,
 *	   Action or Status is one recipient: one item, classified by
 *	   ingest_classify(Status, Diagnostic-Code, Action). Status missing
 *	   or malformed: guessed from Diagnostic-Code; Status X.0.0 (Exim
 *	   writes 5.0.0 for every failure): replaced by the enhanced code of
 *	   the same class the SMTP reply in Diagnostic-Code carries.
 *	2. A feedback-report part: ING_T_ARF, one item for the complaint,
 *	   recipient Original-Rcpt-To, else the original's first To.
 *	   Feedback-Type not-spam and auth-failure (RFC 6591 authentication
 *	   failure reports: not a subscriber's complaint) are ING_IGNORED,
 *	   every other type ING_COMPLAINT.
 *	3. A bounce by its sender (MAILER-DAEMON, postmaster, "Mail
 *	   Delivery", or Return-Path <>) or its Subject, whose text one of
 *	   the formats of ingest_text.c recognizes: ING_T_BOUNCE_TEXT.
 *	4. An auto-reply (RFC 3834: Auto-Submitted other than "no";
 *	   X-Autoreply, X-Autorespond; Precedence: auto_reply; an "Out of
 *	   Office", "Automatic reply", "Auto:" subject): ING_T_AUTOREPLY with
 *	   one ING_IGNORED item for its From. A DSN carries Auto-Submitted
 *	   too: it stays a DSN, since 1 comes first.
 *	5. Anything else: ING_T_UNKNOWN, no item.
 *
 *	A report forwarded inside a message/rfc822 part of a message that
 *	is no report itself (someone sending a bounce on) is not taken as
 *	ours: its sender is a person, not the MTA that failed, and anyone
 *	can write such a message. It is ING_T_UNKNOWN, why saying so.
 *
 *	The orig_* fields come from the original part, or, for free-text
 *	bounces without one, from the header block quoted in the text.
 * SEE ALSO
 *	ingest_parse.h, ingest_text.c, ingest_classify.c, gmime(3)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "ingest_parse.h"
#include "mk_addr.h"
#include "mk_mem.h"

#define WALK_PARTS	256	/* parts visited */
#define WALK_DEPTH	8	/* multipart nesting followed */
#define PART_MAX	(256 * 1024)	/* octets read of a report part */
#define VALUE_MAX	2048	/* octets kept of one header value */

#define WHY_NONE	"not a bounce, complaint or auto-reply"

struct walk {
	GMimePart *dsn;		/* message/(global-)delivery-status */
	GMimePart *fbr;		/* message/feedback-report */
	GMimeObject *orig;	/* the original: message part or headers */
	char *text;		/* text/plain, decoded, ING_TEXT_MAX at most */
	size_t tlen;
	char *html;
	size_t hlen;
	int parts;
	int forwarded;		/* a report inside a message/rfc822 */
};

/* A header source: a GMime object's headers or a header block. */
struct hsrc {
	GMimeObject *obj;
	const char *blk;
	size_t len;
};

void
ingest_parse_init(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

int
ing_addr(const char *s, size_t n, char *out)
{
	static const struct mk_addr_opts keep = {1, 0, 0};
	struct mk_addr a;

	out[0] = 0;
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || mk_addr_parse(s, n, &keep, &a) != 0 ||
	    strlen(a.norm) > MK_ADDR_MAX)
		return -1;
	strcpy(out, a.norm);
	return 0;
}

static int
hsrc_get(const struct hsrc *h, const char *name, char *out, size_t outlen)
{
	const char *v;

	if (h->obj == NULL)
		return ing_block_field(h->blk, h->len, name, out, outlen);
	out[0] = 0;
	if ((v = g_mime_object_get_header(h->obj, name)) == NULL)
		return 0;
	ing_value_copy(out, outlen, v, strlen(v));
	return 1;
}

/* The first valid mailbox of an address-list header value. */
static void
first_addr(const char *value, char *out)
{
	InternetAddressList *l;
	int n;

	out[0] = 0;
	if (value[0] == 0 ||
	    (l = internet_address_list_parse(NULL, value)) == NULL)
		return;
	n = internet_address_list_length(l);
	for (int i = 0; i < n && out[0] == 0; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia));

			if (a != NULL)
				ing_addr(a, strlen(a), out);
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *m;

			m = internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			for (int j = 0; m != NULL && out[0] == 0 &&
			    j < internet_address_list_length(m); j++) {
				InternetAddress *x =
				    internet_address_list_get_address(m, j);
				const char *a = INTERNET_ADDRESS_IS_MAILBOX(x) ?
				    internet_address_mailbox_get_addr(
				    INTERNET_ADDRESS_MAILBOX(x)) : NULL;

				if (a != NULL)
					ing_addr(a, strlen(a), out);
			}
		}
	}
	g_object_unref(l);
}

static void
hsrc_addr(const struct hsrc *h, const char *name, char *out)
{
	char v[VALUE_MAX];

	out[0] = 0;
	if (hsrc_get(h, name, v, sizeof(v)))
		first_addr(v, out);
}

/* A Message-ID without its angle brackets. */
static void
hsrc_msgid(const struct hsrc *h, const char *name, char *out, size_t outlen)
{
	char v[VALUE_MAX];
	const char *s = v, *e;

	out[0] = 0;
	if (!hsrc_get(h, name, v, sizeof(v)))
		return;
	if ((s = strchr(v, '<')) != NULL && (e = strchr(s, '>')) != NULL)
		ing_copy(out, outlen, s + 1, (size_t)(e - s - 1));
	else
		ing_copy(out, outlen, v, strlen(v));
}

/* Read a leaf part's decoded content, at most max octets. */
static char *
part_read(GMimePart *part, size_t max, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *raw, *f;
	GMimeContentEncoding enc;
	char *buf;
	ssize_t got;

	*len = 0;
	if (w == NULL || (raw = g_mime_data_wrapper_get_stream(w)) == NULL)
		return NULL;
	g_mime_stream_reset(raw);
	f = g_mime_stream_filter_new(raw);
	enc = g_mime_data_wrapper_get_encoding(w);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *dec = g_mime_filter_basic_new(enc, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
		g_object_unref(dec);
	}
	buf = mk_malloc(max + 1);
	while (*len < max &&
	    (got = g_mime_stream_read(f, buf + *len, max - *len)) > 0)
		*len += (size_t)got;
	buf[*len] = 0;
	g_object_unref(f);
	return buf;
}

static void
text_append(char **acc, size_t *alen, GMimePart *part)
{
	size_t n;
	char *t;

	if (*alen >= ING_TEXT_MAX)
		return;
	if ((t = part_read(part, ING_TEXT_MAX - *alen, &n)) == NULL)
		return;
	*acc = mk_realloc(*acc, *alen + n + 2);
	memcpy(*acc + *alen, t, n);
	*alen += n;
	(*acc)[(*alen)++] = '\n';
	(*acc)[*alen] = 0;
	free(t);
}

static int
ct_is(GMimeContentType *ct, const char *type, const char *sub)
{
	return ct != NULL && g_mime_content_type_is_type(ct, type, sub);
}

/* Does a message/rfc822 part hold a report? */
static int
holds_report(GMimeMessagePart *mp)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	GMimeObject *top = m ? g_mime_message_get_mime_part(m) : NULL;

	return top != NULL && ct_is(g_mime_object_get_content_type(top),
	    "multipart", "report");
}

static void
walk(GMimeObject *o, int depth, struct walk *w)
{
	GMimeContentType *ct;

	if (o == NULL || ++w->parts > WALK_PARTS || depth > WALK_DEPTH)
		return;
	ct = g_mime_object_get_content_type(o);
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i), depth + 1, w);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		if (w->orig == NULL)
			w->orig = o;
		if (holds_report(GMIME_MESSAGE_PART(o)))
			w->forwarded = 1;
	} else if (GMIME_IS_PART(o)) {
		GMimePart *p = GMIME_PART(o);

		if (ct_is(ct, "message", "delivery-status") ||
		    ct_is(ct, "message", "global-delivery-status")) {
			if (w->dsn == NULL)
				w->dsn = p;
		} else if (ct_is(ct, "message", "feedback-report")) {
			if (w->fbr == NULL)
				w->fbr = p;
		} else if (ct_is(ct, "text", "rfc822-headers") ||
		    ct_is(ct, "message", "global-headers")) {
			if (w->orig == NULL)
				w->orig = o;
		} else if (ct_is(ct, "text", "plain")) {
			text_append(&w->text, &w->tlen, p);
		} else if (ct_is(ct, "text", "html")) {
			text_append(&w->html, &w->hlen, p);
		}
	}
}

/* Tags out, the few entities bounces use decoded, in place. */
static size_t
html_strip(char *s, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&nbsp;", ' '},
		{"&quot;", '"'}, {"&#39;", '\''},
	};
	size_t o = 0;
	int tag = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (tag) {
			tag = s[i] != '>';
			continue;
		}
		if (s[i] == '<') {
			tag = 1;
			/* block-level tags end a line */
			if (i + 3 < n &&
			    (strncasecmp(s + i + 1, "br", 2) == 0 ||
			    strncasecmp(s + i + 1, "p", 1) == 0 ||
			    strncasecmp(s + i + 1, "/p", 2) == 0 ||
			    strncasecmp(s + i + 1, "div", 3) == 0 ||
			    strncasecmp(s + i + 1, "/div", 4) == 0 ||
			    strncasecmp(s + i + 1, "tr", 2) == 0))
				s[o++] = '\n';
			continue;
		}
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].ent);

			if (i + el <= n &&
			    strncasecmp(s + i, ents[k].ent, el) == 0) {
				s[o++] = ents[k].c;
				i += el - 1;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			s[o++] = s[i];
	}
	s[o] = 0;
	return o;
}

static void
orig_fill(struct ingest_report *r, const struct hsrc *h)
{
	hsrc_addr(h, "Return-Path", r->orig_return_path);
	hsrc_addr(h, "From", r->orig_from);
	hsrc_addr(h, "To", r->orig_to);
	hsrc_msgid(h, "Message-ID", r->orig_message_id,
	    sizeof(r->orig_message_id));
}

/* The orig_* fields from the walk's original part, if any. */
static int
orig_from_part(struct ingest_report *r, GMimeObject *o)
{
	struct hsrc h = {NULL, NULL, 0};
	char *blk = NULL;

	if (o == NULL)
		return 0;
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(o));

		if (m == NULL)
			return 0;
		h.obj = GMIME_OBJECT(m);
	} else {
		if ((blk = part_read(GMIME_PART(o), PART_MAX, &h.len)) == NULL)
			return 0;
		h.blk = blk;
	}
	orig_fill(r, &h);
	free(blk);
	return 1;
}

static int
has_any(const char *s, const char *const *words)
{
	size_t n = strlen(s);

	for (; *words != NULL; words++)
		if (ing_memcasemem(s, n, *words) != NULL)
			return 1;
	return 0;
}

/* Does the sender or the subject say bounce? */
static int
bounce_looks(GMimeObject *top, const char *subject)
{
	static const char *const senders[] = {"mailer-daemon", "mailerdaemon",
		"mail-daemon", "postmaster", "mail delivery", NULL};
	static const char *const subjects[] = {"undeliverable",
		"undelivered", "delivery status notification", "failure notice",
		"mail delivery failed", "returned mail", "delivery failure",
		"delivery failed", "could not be delivered", "nondeliverable",
		"non remis", "unzustellbar", "could not send message",
		"delayed mail", "delivery delayed", "mail delivery",
		"delivery notification", NULL};
	const char *from = g_mime_object_get_header(top, "From");
	const char *rp = g_mime_object_get_header(top, "Return-Path");

	if (from != NULL && has_any(from, senders))
		return 1;
	if (rp != NULL && strspn(rp, " \t<>") == strlen(rp) && strchr(rp, '<'))
		return 1;
	return subject != NULL && has_any(subject, subjects);
}

/* RFC 3834 and the usual non-standard marks; what was seen, or NULL. */
static const char *
autoreply_looks(GMimeObject *top, const char *as, const char *subject)
{
	static const char *const subjects[] = {"out of office",
		"out of the office", "automatic reply", "autoreply",
		"auto-reply", "auto reply", "automatische antwort",
		"abwesenheitsnotiz", "réponse automatique", NULL};
	const char *v;

	if (as[0] != 0 && !(strncasecmp(as, "no", 2) == 0 &&
	    strchr(" \t;(", as[2]) != NULL))
		return "Auto-Submitted";
	if ((v = g_mime_object_get_header(top, "X-Autoreply")) != NULL &&
	    strncasecmp(v, "no", 2) != 0)
		return "X-Autoreply";
	if ((v = g_mime_object_get_header(top, "X-Autorespond")) != NULL)
		return "X-Autorespond";
	if ((v = g_mime_object_get_header(top, "Precedence")) != NULL &&
	    ing_memcasemem(v, strlen(v), "auto_reply") != NULL)
		return "Precedence: auto_reply";
	if (subject != NULL && (strncasecmp(subject, "Auto:", 5) == 0 ||
	    has_any(subject, subjects)))
		return "subject";
	return NULL;
}

static void
report_head(struct ingest_report *r, GMimeObject *top)
{
	static const char *const tos[] = {"X-Original-To", "Delivered-To",
		"To"};
	struct hsrc h = {top, NULL, 0};
	char v[VALUE_MAX];

	hsrc_msgid(&h, "Message-ID", r->message_id, sizeof(r->message_id));
	hsrc_addr(&h, "From", r->from);
	for (size_t i = 0; i < 3 && r->to[0] == 0; i++)
		hsrc_addr(&h, tos[i], r->to);
	if (hsrc_get(&h, "Auto-Submitted", v, sizeof(v)))
		ing_copy(r->auto_submitted, sizeof(r->auto_submitted), v,
		    strlen(v));
}

static int
try_text(struct ingest_report *r, struct walk *w, GMimeObject *top,
    const char *subject)
{
	const char *t = w->text;
	size_t n = w->tlen, olen, at;

	if (t == NULL && w->html != NULL) {
		w->hlen = html_strip(w->html, w->hlen);
		t = w->html;
		n = w->hlen;
	}
	if (t == NULL || !bounce_looks(top, subject))
		return 0;
	if (ing_text_bounce(t, n, r) == 0)
		return 0;
	r->type = ING_T_BOUNCE_TEXT;
	if (!orig_from_part(r, w->orig)) {
		at = ing_text_original(t, n, &olen);
		if (olen > 0) {
			struct hsrc h = {NULL, t + at, olen};

			orig_fill(r, &h);
		}
	}
	return 1;
}

static void
classify_message(struct ingest_report *r, GMimeMessage *m)
{
	GMimeObject *top = GMIME_OBJECT(m);
	struct walk w;
	const char *subject = g_mime_message_get_subject(m), *seen;
	size_t n;
	char *t;

	memset(&w, 0, sizeof(w));
	report_head(r, top);
	walk(g_mime_message_get_mime_part(m), 0, &w);
	if (w.dsn != NULL && (t = part_read(w.dsn, PART_MAX, &n)) != NULL) {
		r->type = ING_T_DSN;
		ing_dsn_parse(r, t, n);
		free(t);
		orig_from_part(r, w.orig);
		if (r->n == 0) {
			struct ingest_report *alt = mk_calloc(1, sizeof(*alt));

			memcpy(alt, r, sizeof(*alt));
			if (try_text(alt, &w, top, subject))
				memcpy(r, alt, sizeof(*alt));
			free(alt);
		}
	} else if (w.fbr != NULL &&
	    (t = part_read(w.fbr, PART_MAX, &n)) != NULL) {
		r->type = ING_T_ARF;
		orig_from_part(r, w.orig);
		ing_arf_parse(r, t, n);
		free(t);
	} else if (try_text(r, &w, top, subject)) {
		/* r filled */
	} else if ((seen = autoreply_looks(top, r->auto_submitted,
	    subject)) != NULL) {
		r->type = ING_T_AUTOREPLY;
		r->n = 1;
		r->items[0].kind = ING_IGNORED;
		memcpy(r->items[0].recipient, r->from, sizeof(r->from));
		ing_copy(r->items[0].diag, sizeof(r->items[0].diag), seen,
		    strlen(seen));
		snprintf(r->why, sizeof(r->why), "auto-reply");
	} else if (w.forwarded) {
		snprintf(r->why, sizeof(r->why), "%s (a report forwarded "
		    "inside message/rfc822 is not ours)", WHY_NONE);
	}
	free(w.text);
	free(w.html);
}

int
ingest_parse(const char *buf, size_t len, struct ingest_report *r)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;

	memset(r, 0, sizeof(*r));
	r->type = ING_T_UNKNOWN;
	snprintf(r->why, sizeof(r->why), "%s", WHY_NONE);
	if (buf == NULL || len == 0)
		return 0;
	ingest_parse_init();
	s = g_mime_stream_mem_new_with_buffer(buf, len);
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	if (m != NULL) {
		classify_message(r, m);
		g_object_unref(m);
	}
	g_object_unref(p);
	g_object_unref(s);
	if (r->type == ING_T_UNKNOWN) {
		r->n = 0;
		if (strncmp(r->why, WHY_NONE, strlen(WHY_NONE)) != 0)
			snprintf(r->why, sizeof(r->why), "%s", WHY_NONE);
	}
	return 0;
}
