/*
 * NAME
 *	http.c - milterkit-unsubd: libmicrohttpd callbacks (see http.h)
 * DESCRIPTION
 *	libmicrohttpd calls handle() at least twice per request: once when
 *	the header is in (cheap refusals are answered there, before any body
 *	is read: rate, method, a declared length over max_body), then with
 *	each piece of the body, then once more with none, when a POST is
 *	decided. A request keeps the configuration it began with (a counted
 *	reference), so a reload never frees what a request still reads.
 * SEE ALSO
 *	unsub.c (the decisions), main.c (start-up and signals).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_token.h"
#include "unsub.h"
#include "unsubd_conf.h"

#define RETRY_STORE "30"	/* seconds, after a store error */
#define CLIENT_MAX 128

/* One installed configuration. */
struct ud_state {
	int refs;
	struct mk_conf *conf;
	unsigned char *key;
	size_t keylen;
	struct mk_store_opts sopts;	/* for a store created here */
	size_t max_body;
	const char *title;		/* in conf */
	const char *store_dir;		/* in conf */
};

struct ud_http {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;		/* cur and the refs */
	struct ud_state *cur;
	struct unsub_rate rate;
};

/* One request. */
struct ud_rq {
	struct ud_state *st;
	char *body;
	size_t len;
	int too_big;
	char client[CLIENT_MAX];
};

static struct mk_log_limit rate_limit_log = MK_LOG_LIMIT_INIT;
static struct mk_log_limit mhd_log = MK_LOG_LIMIT_INIT;

static void
state_free(struct ud_state *s)
{
	if (s == NULL)
		return;
	mk_token_key_free(s->key, s->keylen);
	mk_conf_free(s->conf);
	free(s);
}

static struct ud_state *
state_get(struct ud_http *h)
{
	struct ud_state *s;

	pthread_mutex_lock(&h->lock);
	if ((s = h->cur) != NULL)
		s->refs++;
	pthread_mutex_unlock(&h->lock);
	return s;
}

static void
state_put(struct ud_http *h, struct ud_state *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		state_free(s);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Keep what an address list may hold: the proxy's header, for the log. */
static void
forwarded(struct MHD_Connection *c, char *out, size_t len)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Real-IP");
	size_t n = 0;

	if (v == NULL)
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "X-Forwarded-For");
	out[0] = '\0';
	for (; v != NULL && *v != '\0' && n + 1 < len; v++)
		if (strchr("0123456789abcdefABCDEF.:,", *v) != NULL)
			out[n++] = *v;
	out[n] = '\0';
}

/* "ADDR" of the peer, and " fwd=LIST" when the proxy tells the client. */
static void
client_name(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	char a[INET6_ADDRSTRLEN] = "unknown", fwd[64];

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci != NULL ? ci->client_addr : NULL;
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, a, sizeof(a));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, a, sizeof(a));
	else if (sa != NULL && sa->sa_family == AF_UNIX)
		snprintf(a, sizeof(a), "unix");
	forwarded(c, fwd, sizeof(fwd));
	if (fwd[0] != '\0')
		snprintf(out, len, "%s fwd=%s", a, fwd);
	else
		snprintf(out, len, "%s", a);
}

/* Queue status with page (taken: freed by libmicrohttpd). */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, char *page,
    const char *retry_after, int allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(page), page,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Robots-Tag", "noindex, nofollow");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
	if (retry_after != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
		    retry_after);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD, POST");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, const struct ud_rq *rq, unsigned status,
    const char *text)
{
	const char *title = rq->st != NULL ? rq->st->title : "Unsubscribe";

	return reply(c, status, unsub_page_text(title, text),
	    status == MHD_HTTP_TOO_MANY_REQUESTS ? "1" :
	    status == MHD_HTTP_SERVICE_UNAVAILABLE ? RETRY_STORE : NULL,
	    status == MHD_HTTP_METHOD_NOT_ALLOWED);
}

static enum MHD_Result
param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	unsub_req_param(cls, key, value);
	return MHD_YES;
}

/* The error results and their answers. */
static enum MHD_Result
refuse(struct MHD_Connection *c, const struct ud_rq *rq, int res)
{
	switch (res) {
	case UNSUB_EPARAM:
		return reply_text(c, rq, MHD_HTTP_BAD_REQUEST,
		    "This unsubscribe link is incomplete or damaged.");
	case UNSUB_EBODY:
		return reply_text(c, rq, MHD_HTTP_BAD_REQUEST,
		    "The request does not carry List-Unsubscribe=One-Click.");
	case UNSUB_ETOKEN:
		return reply_text(c, rq, MHD_HTTP_FORBIDDEN,
		    "This unsubscribe link is not valid.");
	case UNSUB_EMETHOD:
		return reply_text(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "Method not allowed.");
	case UNSUB_ETOOBIG:
		return reply_text(c, rq, MHD_HTTP_CONTENT_TOO_LARGE,
		    "Request too large.");
	case UNSUB_ERATE:
		return reply_text(c, rq, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Too many requests; please try again in a moment.");
	default:
		return reply_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "Unsubscribing is not possible right now; please try "
		    "again later.");
	}
}

/* GET and HEAD: check, and show the form; never writes. */
static enum MHD_Result
do_get(struct MHD_Connection *c, struct ud_rq *rq)
{
	struct unsub_req q;
	int res;

	unsub_req_init(&q);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, param, &q);
	res = unsub_check(&q, rq->st->key, rq->st->keylen);
	unsub_log(res == 0 ? UNSUB_CONFIRM : res, &q, rq->client, NULL);
	if (res != 0)
		return refuse(c, rq, res);
	return reply(c, MHD_HTTP_OK, unsub_page_confirm(rq->st->title, &q),
	    NULL, 0);
}

/* POST, body complete: check, record. */
static enum MHD_Result
do_post(struct MHD_Connection *c, struct ud_rq *rq)
{
	struct unsub_req q;
	char why[1024];
	int res;

	unsub_req_init(&q);
	why[0] = '\0';
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, param, &q);
	res = unsub_check(&q, rq->st->key, rq->st->keylen);
	if (res == 0 && !unsub_body_ok(MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE), rq->body, rq->len))
		res = UNSUB_EBODY;
	if (res == 0)
		res = unsub_apply(&q, rq->st->store_dir, &rq->st->sopts,
		    (int64_t)time(NULL), why, sizeof(why));
	unsub_log(res, &q, rq->client, why);
	if (res < 0)
		return refuse(c, rq, res);
	return reply(c, MHD_HTTP_OK, unsub_page_done(rq->st->title, &q), NULL,
	    0);
}

/* The first call: what can be refused before the body is read. */
static enum MHD_Result
first(struct ud_http *h, struct MHD_Connection *c, struct ud_rq *rq,
    const char *method)
{
	const char *cl;
	char *end;
	unsigned long long n;

	if (!unsub_rate_take(&h->rate, now_ns())) {
		mk_log_limited(&rate_limit_log, MK_LOG_WARN, "unsubscribe "
		    "client=%s result=%s", rq->client,
		    unsub_result_name(UNSUB_ERATE));
		return refuse(c, rq, UNSUB_ERATE);
	}
	if (rq->st == NULL) {
		mk_log_limited(&mhd_log, MK_LOG_ERROR, "no configuration "
		    "installed");
		return refuse(c, rq, UNSUB_ESTORE);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return do_get(c, rq);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		unsub_log(UNSUB_EMETHOD, NULL, rq->client, method);
		return refuse(c, rq, UNSUB_EMETHOD);
	}
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && n > rq->st->max_body) {
			unsub_log(UNSUB_ETOOBIG, NULL, rq->client,
			    "Content-Length over max_body");
			return refuse(c, rq, UNSUB_ETOOBIG);
		}
	}
	rq->body = mk_malloc(rq->st->max_body + 1);
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct ud_http *h = cls;
	struct ud_rq *rq = *con_cls;

	(void)url;
	(void)version;
	if (rq == NULL) {
		rq = mk_calloc(1, sizeof(*rq));
		*con_cls = rq;
		rq->st = state_get(h);
		client_name(c, rq->client, sizeof(rq->client));
		return first(h, c, rq, method);
	}
	if (rq->body == NULL) {		/* answered already; drain */
		*data_size = 0;
		return MHD_YES;
	}
	if (*data_size != 0) {
		size_t n = *data_size;

		if (!rq->too_big && n <= rq->st->max_body - rq->len) {
			memcpy(rq->body + rq->len, data, n);
			rq->len += n;
		} else {
			rq->too_big = 1;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (rq->too_big) {
		unsub_log(UNSUB_ETOOBIG, NULL, rq->client, "body over max_body");
		return refuse(c, rq, UNSUB_ETOOBIG);
	}
	rq->body[rq->len] = '\0';
	return do_post(c, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ud_rq *rq = *con_cls;

	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	state_put(cls, rq->st);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	mk_log_limited(&mhd_log, MK_LOG_WARN, "http: %s", buf);
}

struct ud_http *
ud_http_start(int fd, const struct mk_conf *conf, char *err, size_t errlen)
{
	const struct unsubd_conf *u = unsubd_conf(conf);
	struct ud_http *h = mk_calloc(1, sizeof(*h));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	/* The logger first, so that MHD never writes to stderr itself. */
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h },
		{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)u->max_connections,
		    NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)u->max_header,
		    NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)u->d.timeout, NULL },
		{ u->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		    (intptr_t)u->threads, NULL },
		{ MHD_OPTION_END, 0, NULL }
	};

	pthread_mutex_init(&h->lock, NULL);
	unsub_rate_init(&h->rate, u->max_rate);
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server "
		    "(libmicrohttpd %s)", MHD_get_version());
		unsub_rate_destroy(&h->rate);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return NULL;
	}
	return h;
}

void
ud_http_install(struct ud_http *h, struct mk_conf *conf, unsigned char *key,
    size_t keylen)
{
	struct ud_state *s = mk_calloc(1, sizeof(*s)), *old;
	const struct unsubd_conf *u = unsubd_conf(conf);

	s->refs = 1;
	s->conf = conf;
	s->key = key;
	s->keylen = keylen;
	mk_conf_store_opts(conf, &s->sopts);
	s->max_body = (size_t)u->max_body;
	s->title = u->page_title;
	s->store_dir = conf->store.path;
	unsub_rate_set(&h->rate, u->max_rate);
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->lock);
	state_put(h, old);
}

void
ud_http_stop(struct ud_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	state_put(h, h->cur);
	unsub_rate_destroy(&h->rate);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
