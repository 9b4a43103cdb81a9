/*
 * NAME
 *	unsub.c - milterkit-unsubd: parameters, body, token and store of a
 *	one-click unsubscribe (see unsub.h); page.c writes the pages.
 * DESCRIPTION
 *	Nothing here knows HTTP: http.c hands over the decoded query
 *	parameters and the body, and maps the results to status codes.
 * SEE ALSO
 *	RFC 8058, mk_token.h, mk_store.h, milters/headers/listunsub.c (the
 *	side that writes the URL).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mk_log.h"
#include "unsub.h"

#define ONE_CLICK_NAME "List-Unsubscribe"
#define ONE_CLICK_VALUE "One-Click"

void
unsub_req_init(struct unsub_req *q)
{
	memset(q, 0, sizeof(*q));
}

/* Copy value into a field of size cap; a second one, an empty one or one
 * that does not fit marks the request bad (a prefix is kept for the log). */
static void
set_field(struct unsub_req *q, unsigned bit, char *field, size_t cap,
    const char *value)
{
	size_t n = value != NULL ? strlen(value) : 0;

	if (q->have & bit) {
		if (q->bad == NULL)
			q->bad = "parameter given twice";
		return;
	}
	q->have |= bit;
	if (n == 0) {
		if (q->bad == NULL)
			q->bad = "empty parameter";
		return;
	}
	if (n >= cap) {
		if (q->bad == NULL)
			q->bad = "parameter too long";
		n = cap - 1;
	}
	memcpy(field, value, n);
	field[n] = '\0';
	if (memchr(value, '\0', n) != NULL && q->bad == NULL)
		q->bad = "NUL in parameter";
}

void
unsub_req_param(struct unsub_req *q, const char *name, const char *value)
{
	if (name == NULL)
		return;
	if (strcmp(name, "d") == 0)
		set_field(q, UNSUB_HAVE_D, q->d, sizeof(q->d), value);
	else if (strcmp(name, "r") == 0)
		set_field(q, UNSUB_HAVE_R, q->r, sizeof(q->r), value);
	else if (strcmp(name, "t") == 0)
		set_field(q, UNSUB_HAVE_T, q->t, sizeof(q->t), value);
}

int
unsub_check(const struct unsub_req *q, const unsigned char *key,
    size_t keylen)
{
	char dom[MK_ADDR_DOMAIN_MAX + 1];
	struct mk_addr a;

	if (q->bad != NULL || (q->have & UNSUB_HAVE_ALL) != UNSUB_HAVE_ALL)
		return UNSUB_EPARAM;
	if (strlen(q->t) != MK_TOKEN_UNSUB_LEN ||
	    mk_addr_domain(q->d, strlen(q->d), dom, sizeof(dom)) != 0 ||
	    mk_addr_parse(q->r, strlen(q->r), NULL, &a) != 0)
		return UNSUB_EPARAM;
	if (key == NULL)
		return UNSUB_ENOKEY;
	if (mk_token_unsub_verify(key, keylen, q->t, q->r, q->d) != 1)
		return UNSUB_ETOKEN;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Does s[0..n) decode (form encoding) to want? Bounded by n. */
static int
form_eq(const char *s, size_t n, const char *want)
{
	size_t i = 0, w = 0, wl = strlen(want);

	while (i < n) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
			i++;
		} else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 3;
		} else {
			i++;
		}
		if (w >= wl || want[w] != c)
			return 0;
		w++;
	}
	return w == wl;
}

/* application/x-www-form-urlencoded: pairs split by '&' (a final
 * newline, which some clients add, is ignored). */
static int
body_urlencoded(const char *b, size_t len)
{
	size_t i = 0;

	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		len--;
	while (i <= len) {
		const char *p = b + i, *amp, *eq;
		size_t n;

		amp = memchr(p, '&', len - i);
		n = amp != NULL ? (size_t)(amp - p) : len - i;
		eq = memchr(p, '=', n);
		if (eq != NULL && form_eq(p, (size_t)(eq - p), ONE_CLICK_NAME) &&
		    form_eq(eq + 1, n - (size_t)(eq - p) - 1, ONE_CLICK_VALUE))
			return 1;
		i += n + 1;
	}
	return 0;
}

/* The boundary parameter of a multipart Content-Type, into out. */
static int
mp_boundary(const char *ctype, char *out, size_t outlen)
{
	const char *p = ctype;
	size_t n = 0;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			p++;
			while (p[n] != '\0' && p[n] != '"')
				n++;
		} else {
			while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' &&
			    p[n] != '\t')
				n++;
		}
		/* RFC 2046: 1 to 70 characters. */
		if (n == 0 || n > 70 || n + 3 > outlen)
			return -1;
		out[0] = '-';
		out[1] = '-';
		memcpy(out + 2, p, n);
		out[n + 2] = '\0';
		return 0;
	}
	return -1;
}

static const char *
find(const char *h, size_t hl, const char *n, size_t nl)
{
	return nl <= hl ? memmem(h, hl, n, nl) : NULL;
}

/* Is this part (header block, blank line, content) the one-click pair? */
static int
mp_part(const char *p, size_t n)
{
	const char *sep, *name;
	size_t hl, cl, gap = 4;
	static const char want[] = "name=\"" ONE_CLICK_NAME "\"";

	if ((sep = find(p, n, "\r\n\r\n", 4)) == NULL) {
		gap = 2;
		if ((sep = find(p, n, "\n\n", 2)) == NULL)
			return 0;
	}
	hl = (size_t)(sep - p);
	cl = n - hl - gap;
	sep += gap;
	name = find(p, hl, want, sizeof(want) - 1);
	/* "name=" alone: not the tail of "filename=". */
	if (name == NULL || (name > p && (isalnum((unsigned char)name[-1]) ||
	    name[-1] == '*')))
		return 0;
	if (find(p, hl, "form-data", 9) == NULL &&
	    find(p, hl, "Form-Data", 9) == NULL)
		return 0;
	while (cl > 0 && (sep[cl - 1] == '\n' || sep[cl - 1] == '\r'))
		cl--;
	return cl == sizeof(ONE_CLICK_VALUE) - 1 &&
	    memcmp(sep, ONE_CLICK_VALUE, cl) == 0;
}

/* multipart/form-data: the parts between "--BOUNDARY" lines. */
static int
body_multipart(const char *ctype, const char *b, size_t len)
{
	char bd[80];
	const char *p, *end = b + len, *next;
	size_t bl;

	if (mp_boundary(ctype, bd, sizeof(bd)) < 0)
		return 0;
	bl = strlen(bd);
	if ((p = find(b, len, bd, bl)) == NULL)
		return 0;
	for (;;) {
		p += bl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;		/* the closing delimiter */
		next = find(p, (size_t)(end - p), bd, bl);
		if (next == NULL)
			return 0;
		if (mp_part(p, (size_t)(next - p)))
			return 1;
		p = next;
	}
}

int
unsub_body_ok(const char *ctype, const char *body, size_t len)
{
	if (body == NULL)
		return 0;
	if (ctype != NULL && strncasecmp(ctype, "multipart/form-data", 19) == 0)
		return body_multipart(ctype, body, len);
	return body_urlencoded(body, len);
}

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;

static int
store_fail(struct mk_store *st, int rc, const char *what, char *why,
    size_t whylen)
{
	snprintf(why, whylen, "%s: %s (%s)", what, mk_store_strerror(rc),
	    mk_store_errdetail(st));
	return UNSUB_ESTORE;
}

/* The work of unsub_apply() on an open store. */
static int
record(struct mk_store *st, const struct unsub_req *q, int64_t now,
    char *why, size_t whylen)
{
	struct mk_supp_entry e, old;
	struct mk_addr a;
	int rc, res = UNSUB_ADDED;

	memset(&e, 0, sizeof(e));
	if (mk_addr_domain(q->d, strlen(q->d), e.scope, sizeof(e.scope)) != 0 ||
	    mk_addr_parse(q->r, strlen(q->r), mk_store_addr_opts(st), &a) != 0 ||
	    strlen(a.norm) >= sizeof(e.target)) {
		snprintf(why, whylen, "address does not parse");
		return UNSUB_EPARAM;
	}
	memcpy(e.target, a.norm, strlen(a.norm) + 1);
	rc = mk_supp_get(st, e.scope, e.target, &old);
	if (rc == 0 && (old.expires == 0 || old.expires > now))
		return UNSUB_ALREADY;
	if (rc == 0)
		res = UNSUB_REPLACED;
	else if (rc != MK_STORE_ENOTFOUND)
		return store_fail(st, rc, "lookup", why, whylen);
	e.reason = MK_REASON_UNSUBSCRIBE;
	e.created = now;
	e.expires = 0;
	memcpy(e.note, "one-click", sizeof("one-click"));
	if ((rc = mk_supp_add(st, &e)) != 0)
		return store_fail(st, rc, "write", why, whylen);
	return res;
}

int
unsub_apply(const struct unsub_req *q, const char *store_dir,
    const struct mk_store_opts *new_opts, int64_t now, char *why,
    size_t whylen)
{
	struct mk_store *st = NULL;
	int rc;

	why[0] = '\0';
	pthread_mutex_lock(&store_lock);
	rc = mk_store_open(store_dir, 0, NULL, &st);
	if (rc == MK_STORE_ENOENT) {
		mk_store_close(st);
		st = NULL;
		rc = mk_store_open(store_dir, MK_STORE_CREATE, new_opts, &st);
	}
	if (rc != 0)
		rc = store_fail(st, rc, "cannot open store", why, whylen);
	else
		rc = record(st, q, now, why, whylen);
	mk_store_close(st);
	pthread_mutex_unlock(&store_lock);
	return rc;
}

const char *
unsub_result_name(int result)
{
	switch (result) {
	case UNSUB_ADDED:	return "added";
	case UNSUB_ALREADY:	return "already";
	case UNSUB_REPLACED:	return "replaced";
	case UNSUB_CONFIRM:	return "confirm";
	case UNSUB_EPARAM:	return "bad-param";
	case UNSUB_EBODY:	return "bad-body";
	case UNSUB_ETOKEN:	return "bad-token";
	case UNSUB_ESTORE:	return "store-error";
	case UNSUB_EMETHOD:	return "bad-method";
	case UNSUB_ETOOBIG:	return "too-big";
	case UNSUB_ERATE:	return "rate-limited";
	case UNSUB_ENOKEY:	return "no-key";
	default:		return "unknown";
	}
}

void
unsub_log(int result, const struct unsub_req *q, const char *client,
    const char *why)
{
	char r[MK_LOG_CLIENT_MAX], d[MK_LOG_CLIENT_MAX], c[MK_LOG_CLIENT_MAX];
	char w[MK_LOG_CLIENT_MAX * 2];
	enum mk_log_level lvl = result == UNSUB_ESTORE ? MK_LOG_ERROR :
	    MK_LOG_INFO;

	mk_printable(r, sizeof(r), q != NULL ? q->r : "", (size_t)-1);
	mk_printable(d, sizeof(d), q != NULL ? q->d : "", (size_t)-1);
	mk_printable(c, sizeof(c), client != NULL ? client : "unknown",
	    (size_t)-1);
	if (why == NULL && q != NULL && q->bad != NULL)
		why = q->bad;
	if (why == NULL && q != NULL && result == UNSUB_EPARAM &&
	    (q->have & UNSUB_HAVE_ALL) != UNSUB_HAVE_ALL)
		why = "parameter missing";
	if (why != NULL && why[0] != '\0') {
		mk_printable(w, sizeof(w), why, (size_t)-1);
		mk_log(lvl, "unsubscribe rcpt=<%s> scope=%s client=%s "
		    "result=%s why=%s", r, d, c, unsub_result_name(result), w);
	} else {
		mk_log(lvl, "unsubscribe rcpt=<%s> scope=%s client=%s result=%s",
		    r, d, c, unsub_result_name(result));
	}
}

void
unsub_rate_init(struct unsub_rate *b, long long rate)
{
	pthread_mutex_init(&b->lock, NULL);
	b->rate = (double)rate;
	b->tokens = (double)rate;
	b->last_ns = -1;
}

void
unsub_rate_set(struct unsub_rate *b, long long rate)
{
	pthread_mutex_lock(&b->lock);
	b->rate = (double)rate;
	b->tokens = (double)rate;
	pthread_mutex_unlock(&b->lock);
}

void
unsub_rate_destroy(struct unsub_rate *b)
{
	pthread_mutex_destroy(&b->lock);
}

int
unsub_rate_take(struct unsub_rate *b, int64_t now_ns)
{
	int ok = 0;

	pthread_mutex_lock(&b->lock);
	if (b->last_ns >= 0 && now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * b->rate / 1e9;
		if (b->tokens > b->rate)
			b->tokens = b->rate;
	}
	if (b->last_ns < 0 || now_ns > b->last_ns)
		b->last_ns = now_ns;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		ok = 1;
	}
	pthread_mutex_unlock(&b->lock);
	return ok;
}
