/*
 * NAME
 *	unsub.h - milterkit-unsubd: the logic of a one-click unsubscribe,
 *	without HTTP
 * SYNOPSIS
 *	#include "unsub.h"
 *
 *	void	unsub_req_init(struct unsub_req *q);
 *	void	unsub_req_param(struct unsub_req *q, const char *name,
 *			const char *value);
 *	int	unsub_check(const struct unsub_req *q,
 *			const unsigned char *key, size_t keylen);
 *	int	unsub_body_ok(const char *ctype, const char *body, size_t len);
 *	int	unsub_apply(const struct unsub_req *q, const char *store_dir,
 *			const struct mk_store_opts *new_opts, int64_t now,
 *			char *why, size_t whylen);
 *	const char *unsub_result_name(int result);
 *	void	unsub_log(int result, const struct unsub_req *q,
 *			const char *client, const char *why);
 *
 *	void	unsub_rate_init(struct unsub_rate *b, long long rate);
 *	void	unsub_rate_set(struct unsub_rate *b, long long rate);
 *	void	unsub_rate_destroy(struct unsub_rate *b);
 *	int	unsub_rate_take(struct unsub_rate *b, int64_t now_ns);
 *
 *	char	*unsub_page_confirm(const char *title,
 *			const struct unsub_req *q);
 *	char	*unsub_page_done(const char *title, const struct unsub_req *q);
 *	char	*unsub_page_text(const char *title, const char *text);
 * DESCRIPTION
 *	The contract of the URL (milterkit-unsubd(8)): the query string
 *	carries d=DOMAIN (the sender domain), r=RECIPIENT and t=TOKEN, the
 *	token of mk_token.h for r and d. Other parameters are ignored.
 *
 *	unsub_req_param() takes one decoded query parameter (value NULL
 *	for "?name" without '='); a d, r or t given twice, empty, or longer
 *	than an address, a domain or a token can be, marks the request bad
 *	(q->bad says why, for the log). unsub_check() decides whether the
 *	request may act: 0, UNSUB_EPARAM (a parameter missing, bad, or not
 *	an address or domain) or UNSUB_ETOKEN (the token is not the one of
 *	r and d under key).
 *
 *	unsub_body_ok() tells whether a POST body carries the pair
 *	List-Unsubscribe=One-Click (RFC 8058 3.1): as
 *	application/x-www-form-urlencoded (any Content-Type but multipart,
 *	percent and '+' decoded, other pairs ignored) or as a
 *	multipart/form-data part named List-Unsubscribe. 1 or 0.
 *
 *	unsub_apply() records a checked request: a scoped suppression, scope
 *	the normalized d, target r normalized as the store records (a store
 *	that does not exist is created with new_opts), reason unsubscribe,
 *	created now, never expiring, note "one-click". An entry for that
 *	scope and target that never expires or has not expired yet is left
 *	alone (UNSUB_ALREADY); an expired one is replaced (UNSUB_REPLACED);
 *	else UNSUB_ADDED. The store is opened for each request and closed
 *	after, so that a store replaced or repaired on disk is simply used
 *	(one request at a time, under a lock: LMDB allows one handle per
 *	environment and process). UNSUB_ESTORE (why says what failed) when
 *	it cannot be opened, read or written; UNSUB_EPARAM when r does not
 *	parse under the store's normalization.
 *
 *	unsub_log() writes the decision line
 *	"unsubscribe rcpt=<R> scope=D client=C result=NAME[ why=...]" with
 *	the client-supplied parts made printable and truncated.
 *
 *	The rate limit is a token bucket over the whole daemon: rate
 *	requests per second, a burst of as many. unsub_rate_take() takes one
 *	request at now_ns (a monotonic clock) and returns 1, or 0 when the
 *	bucket is empty. Thread-safe. unsub_rate_set() changes the rate
 *	(reload) and refills.
 *
 *	The pages are complete HTML documents, malloc'd (the caller frees);
 *	everything from the request is HTML-escaped. The confirmation page
 *	holds a form posting List-Unsubscribe=One-Click to the URL the page
 *	came from (a form without action), so that a person confirms what a
 *	link scanner's GET must not do.
 */
#ifndef UNSUBD_UNSUB_H
#define UNSUBD_UNSUB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mk_addr.h"
#include "mk_store.h"
#include "mk_token.h"

enum {
	UNSUB_ADDED = 0,	/* POST: entry written */
	UNSUB_ALREADY = 1,	/* POST: there is one, left alone */
	UNSUB_REPLACED = 2,	/* POST: an expired one was replaced */
	UNSUB_CONFIRM = 3,	/* GET: valid; the page asks to confirm */
	UNSUB_EPARAM = -1,	/* 400: parameter missing or bad */
	UNSUB_EBODY = -2,	/* 400: POST without the one-click pair */
	UNSUB_ETOKEN = -3,	/* 403: the token does not verify */
	UNSUB_ESTORE = -4,	/* 503: store cannot be opened or written */
	UNSUB_EMETHOD = -5,	/* 405 */
	UNSUB_ETOOBIG = -6,	/* 413 */
	UNSUB_ERATE = -7,	/* 429 */
	UNSUB_ENOKEY = -8	/* 503: no key configured yet */
};

#define UNSUB_HAVE_D 0x1u
#define UNSUB_HAVE_R 0x2u
#define UNSUB_HAVE_T 0x4u
#define UNSUB_HAVE_ALL 0x7u

struct unsub_req {
	char d[MK_ADDR_DOMAIN_MAX + 1];	/* as given, decoded */
	char r[MK_ADDR_MAX + 1];
	char t[MK_TOKEN_UNSUB_LEN + 1];
	unsigned have;			/* UNSUB_HAVE_* */
	const char *bad;		/* first problem (static), NULL = none */
};

struct unsub_rate {
	pthread_mutex_t lock;
	double tokens;
	double rate;
	int64_t last_ns;
};

void unsub_req_init(struct unsub_req *q);
void unsub_req_param(struct unsub_req *q, const char *name, const char *value);
int unsub_check(const struct unsub_req *q, const unsigned char *key,
    size_t keylen);
int unsub_body_ok(const char *ctype, const char *body, size_t len);
int unsub_apply(const struct unsub_req *q, const char *store_dir,
    const struct mk_store_opts *new_opts, int64_t now, char *why,
    size_t whylen);
const char *unsub_result_name(int result);
void unsub_log(int result, const struct unsub_req *q, const char *client,
    const char *why);

void unsub_rate_init(struct unsub_rate *b, long long rate);
void unsub_rate_set(struct unsub_rate *b, long long rate);
void unsub_rate_destroy(struct unsub_rate *b);
int unsub_rate_take(struct unsub_rate *b, int64_t now_ns);

char *unsub_page_confirm(const char *title, const struct unsub_req *q);
char *unsub_page_done(const char *title, const struct unsub_req *q);
char *unsub_page_text(const char *title, const char *text);

#endif
