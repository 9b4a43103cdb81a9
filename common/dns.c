/*
 * dns.c - the resolver over libunbound (see mk_dns.h).
 *
 * One libunbound context per struct mk_dns, in threaded mode: its
 * background thread does the network work and hands answers back through
 * a pipe (ub_fd). That fd and a timerfd for the lookups' deadlines sit in
 * an epoll set of our own, whose fd is the one the caller watches, so one
 * fd tells both "answers are in" and "a lookup's time is up". Every
 * lookup gets the same timeout, so the pending list, in start order, is
 * also in deadline order. mk_dns_lookup_wait() asks the project's own
 * cache first (dns_cache.c): a lookup libunbound could answer from its
 * cache still costs a round trip through its thread.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "dns_priv.h"
#include "mk_dns.h"
#include "mk_mem.h"

struct mk_dns_query {
	struct mk_dns *dns;
	int id;				/* libunbound's async id */
	long long deadline;		/* monotonic ms */
	void (*done)(void *arg, const struct mk_dns_answer *a);
	void *arg;
	struct mk_dns_answer **keep;	/* mk_dns_lookup_wait(): the answer */
	struct mk_dns_query *prev, *next;
	int type;
	char name[MK_DNS_NAME_MAX + 2];	/* for the cache */
};

struct mk_dns {
	struct ub_ctx *ub;
	int ep;				/* epoll: ub_fd and tfd */
	int tfd;			/* timerfd of the first deadline */
	long long timeout_ms;
	unsigned pending;
	struct mk_dns_query *head, *tail;
	struct mk_dns__cache *cache;	/* NULL with cache_size 0 */
};


static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct fwd_arg {
	struct ub_ctx *ub;
	int rc;				/* the first refusal */
};

static void
add_fwd(void *arg, const char *fwd)
{
	struct fwd_arg *f = arg;
	int rc = ub_ctx_set_fwd(f->ub, fwd);

	if (rc != 0 && f->rc == 0)
		f->rc = rc;
}

static int
set_opt(struct ub_ctx *ub, const char *opt, const char *val, char *err,
    size_t errlen)
{
	int rc = ub_ctx_set_option(ub, opt, val);

	if (rc != 0)
		snprintf(err, errlen, "resolver option %s %s: %s", opt, val,
		    ub_strerror(rc));
	return rc != 0 ? -1 : 0;
}

/* libunbound's default local zones handed to the [dns] servers
 * ("transparent": no local data, so every name goes to them; "nodefault"
 * leaves test. answered locally in libunbound 1.17). */
static const char *const passed_on[] = {
	"test. transparent", "invalid. transparent", "onion. transparent",
	"home.arpa. transparent", "2.0.192.in-addr.arpa. transparent",
	"100.51.198.in-addr.arpa. transparent",
	"113.0.203.in-addr.arpa. transparent",
	"8.b.d.0.1.0.0.2.ip6.arpa. transparent",
};

/* The libunbound context of conf; NULL with err. */
static struct ub_ctx *
ub_new(const struct mk_conf_dns *conf, char *err, size_t errlen)
{
	struct ub_ctx *ub = ub_ctx_create();
	char size[32];
	int rc;

	if (ub == NULL) {
		snprintf(err, errlen, "cannot create a resolver (libunbound)");
		return NULL;
	}
	/* 0: a cache too small to keep anything for long */
	snprintf(size, sizeof(size), "%lld",
	    conf->cache_size > 0 ? conf->cache_size : 4096);
	if (set_opt(ub, "do-not-query-localhost:", "no", err, errlen) != 0 ||
	    set_opt(ub, "unknown-server-time-limit:", "1000", err, errlen) != 0 ||
	    set_opt(ub, "msg-cache-size:", size, err, errlen) != 0 ||
	    set_opt(ub, "rrset-cache-size:", size, err, errlen) != 0)
		goto fail;
	if (conf->cache_size == 0 &&
	    (set_opt(ub, "cache-max-ttl:", "0", err, errlen) != 0 ||
	    set_opt(ub, "cache-max-negative-ttl:", "0", err, errlen) != 0))
		goto fail;
	if ((rc = ub_ctx_async(ub, 1)) != 0) {
		snprintf(err, errlen, "resolver threads: %s", ub_strerror(rc));
		goto fail;
	}
	if (conf->servers != NULL && conf->servers[0] != '\0') {
		struct fwd_arg f = { ub, 0 };

		/* The servers given answer for every name but localhost:
		 * libunbound's own answers for the special-use names (test.,
		 * invalid., the documentation and private address ranges'
		 * reverse zones) would hide theirs. */
		for (size_t i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]);
		    i++)
			if (set_opt(ub, "local-zone:", passed_on[i], err,
			    errlen) != 0)
				goto fail;
		if (set_opt(ub, "unblock-lan-zones:", "yes", err, errlen) != 0 ||
		    set_opt(ub, "insecure-lan-zones:", "yes", err, errlen) != 0)
			goto fail;

		if (mk_dns__servers(conf->servers, add_fwd, &f, err, errlen) != 0)
			goto fail;
		if (f.rc != 0) {
			snprintf(err, errlen, "name servers: %s", ub_strerror(f.rc));
			goto fail;
		}
	} else if ((rc = ub_ctx_resolvconf(ub, NULL)) != 0) {
		snprintf(err, errlen, "/etc/resolv.conf: %s",
		    rc == UB_READFILE ? strerror(errno) : ub_strerror(rc));
		goto fail;
	}
	return ub;
fail:
	ub_ctx_delete(ub);
	return NULL;
}

int
mk_dns_new(const struct mk_conf_dns *conf, struct mk_dns **out, char *err,
    size_t errlen)
{
	struct mk_dns *dns;
	struct epoll_event ev = { .events = EPOLLIN };
	struct ub_ctx *ub;

	*out = NULL;
	if ((ub = ub_new(conf, err, errlen)) == NULL)
		return -1;
	dns = mk_calloc(1, sizeof(*dns));
	dns->ub = ub;
	dns->timeout_ms = conf->timeout * 1000;
	if (conf->cache_size > 0)
		dns->cache = mk_dns__cache_new((size_t)conf->cache_size);
	dns->ep = epoll_create1(EPOLL_CLOEXEC);
	dns->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dns->ep < 0 || dns->tfd < 0 ||
	    epoll_ctl(dns->ep, EPOLL_CTL_ADD, dns->tfd, &ev) != 0 ||
	    epoll_ctl(dns->ep, EPOLL_CTL_ADD, ub_fd(ub), &ev) != 0) {
		snprintf(err, errlen, "resolver: %s", strerror(errno));
		mk_dns_free(dns);
		return -1;
	}
	*out = dns;
	return 0;
}

static void
unlink_query(struct mk_dns_query *q)
{
	struct mk_dns *dns = q->dns;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		dns->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		dns->tail = q->prev;
	dns->pending--;
}

void
mk_dns_free(struct mk_dns *dns)
{
	if (dns == NULL)
		return;
	while (dns->head != NULL)
		mk_dns_cancel(dns->head);
	if (dns->ep >= 0)
		close(dns->ep);
	if (dns->tfd >= 0)
		close(dns->tfd);
	ub_ctx_delete(dns->ub);
	mk_dns__cache_free(dns->cache);
	free(dns);
}

int
mk_dns_fd(const struct mk_dns *dns)
{
	return dns->ep;
}

unsigned
mk_dns_pending(const struct mk_dns *dns)
{
	return dns->pending;
}

/* The timer at the first deadline, or off. */
static void
arm(struct mk_dns *dns)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (dns->head != NULL) {
		long long d = dns->head->deadline;

		its.it_value.tv_sec = d / 1000;
		its.it_value.tv_nsec = (d % 1000) * 1000000 + 1;
	}
	timerfd_settime(dns->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* An answer with no records. */
static struct mk_dns_answer *
answer_empty(int status, int rcode, const char *why)
{
	struct mk_dns_answer *a = mk_calloc(1, sizeof(*a));

	a->status = status;
	a->rcode = rcode;
	a->why = why;
	a->priv = mk_calloc(1, sizeof(struct mk_dns__answer_priv));
	return a;
}

/* The answer of a libunbound result (taken) or error. */
static struct mk_dns_answer *
answer_make(int err, struct ub_result *res)
{
	struct mk_dns_answer *a;
	struct mk_dns__answer_priv *p;
	size_t n = 0;

	if (err != 0 || res == NULL) {
		if (res != NULL)
			ub_resolve_free(res);
		return answer_empty(MK_DNS_TEMPFAIL, -1, ub_strerror(err));
	}
	if (res->bogus)
		a = answer_empty(MK_DNS_TEMPFAIL, res->rcode, "DNSSEC bogus");
	else if (res->rcode == 3 || res->nxdomain)
		a = answer_empty(MK_DNS_NXDOMAIN, 3, "no such domain");
	else if (res->rcode != 0)
		a = answer_empty(MK_DNS_TEMPFAIL, res->rcode,
		    res->rcode == 2 ? "server failure" :
		    res->rcode == 5 ? "refused" : "server error");
	else if (!res->havedata)
		a = answer_empty(MK_DNS_NODATA, 0, "no record of that type");
	else
		a = answer_empty(MK_DNS_OK, 0, NULL);
	p = a->priv;
	p->res = res;
	a->ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
	if (a->status == MK_DNS_OK) {
		while (res->data[n] != NULL)
			n++;
		p->rr = mk_calloc(n + 1, sizeof(*p->rr));
		for (size_t i = 0; i < n; i++) {
			p->rr[i].data = (const unsigned char *)res->data[i];
			p->rr[i].len = res->len[i] > 0 ? (size_t)res->len[i] : 0;
		}
		a->n = n;
		a->rr = p->rr;
	}
	return a;
}

void
mk_dns_answer_free(struct mk_dns_answer *a)
{
	struct mk_dns__answer_priv *p;

	if (a == NULL)
		return;
	p = a->priv;
	if (p != NULL) {
		if (p->res != NULL)
			ub_resolve_free(p->res);
		free(p->blob);
		free(p->rr);
		free(p);
	}
	free(a);
}

/* The end of a query: its answer to whoever waits. */
static void
finish(struct mk_dns_query *q, struct mk_dns_answer *a)
{
	unlink_query(q);
	if (q->keep != NULL) {
		*q->keep = a;
	} else {
		q->done(q->arg, a);
		mk_dns_answer_free(a);
	}
	free(q);
}

static void
ub_done(void *arg, int err, struct ub_result *res)
{
	struct mk_dns_query *q = arg;
	struct mk_dns_answer *a = answer_make(err, res);

	mk_dns__cache_put(q->dns->cache, q->name, q->type, a, now_ms() / 1000);
	finish(q, a);
}

/* A name libunbound may be given: printable, no escapes, bounded labels. */
static int
name_ok(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > MK_DNS_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (c <= ' ' || c >= 127 || c == '\\' || c == '"' ||
		    ++label > 63) {
			return 0;
		}
	}
	return label > 0;
}

int
mk_dns_lookup(struct mk_dns *dns, const char *name, int type,
    void (*done)(void *arg, const struct mk_dns_answer *a), void *arg,
    struct mk_dns_query **qp)
{
	struct mk_dns_query *q;

	if (qp != NULL)
		*qp = NULL;
	if (!name_ok(name) || type < 1 || type > 65535)
		return -1;
	q = mk_calloc(1, sizeof(*q));
	q->dns = dns;
	q->type = type;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->done = done;
	q->arg = arg;
	q->deadline = now_ms() + dns->timeout_ms;
	q->prev = dns->tail;
	if (dns->tail != NULL)
		dns->tail->next = q;
	else
		dns->head = q;
	dns->tail = q;
	dns->pending++;
	if (ub_resolve_async(dns->ub, name, type, 1, q, ub_done, &q->id) != 0) {
		unlink_query(q);
		free(q);
		return -1;
	}
	if (dns->head == q)
		arm(dns);
	if (qp != NULL)
		*qp = q;
	return 0;
}

void
mk_dns_cancel(struct mk_dns_query *q)
{
	struct mk_dns *dns;
	int first;

	if (q == NULL)
		return;
	dns = q->dns;
	first = dns->head == q;
	ub_cancel(dns->ub, q->id);
	unlink_query(q);
	free(q);
	if (first)
		arm(dns);
}

void
mk_dns_process(struct mk_dns *dns)
{
	uint64_t ticks;
	long long now;

	while (read(dns->tfd, &ticks, sizeof(ticks)) > 0)
		;
	if (ub_poll(dns->ub))
		ub_process(dns->ub);
	now = now_ms();
	while (dns->head != NULL && dns->head->deadline <= now) {
		struct mk_dns_query *q = dns->head;

		ub_cancel(dns->ub, q->id);
		finish(q, answer_empty(MK_DNS_TEMPFAIL, -1, "timed out"));
	}
	arm(dns);
}

int
mk_dns_lookup_wait(struct mk_dns *dns, const char *name, int type,
    struct mk_dns_answer **out)
{
	struct mk_dns_query *q;
	struct pollfd pfd = { .fd = dns->ep, .events = POLLIN };

	*out = NULL;
	if ((*out = mk_dns__cache_get(dns->cache, name, type,
	    now_ms() / 1000)) != NULL)
		return 0;
	if (mk_dns_lookup(dns, name, type, NULL, NULL, &q) != 0) {
		*out = answer_empty(MK_DNS_PERMFAIL, -1,
		    name_ok(name) ? "the resolver refused the query" :
		    "not a valid domain name");
		return 0;
	}
	q->keep = out;
	while (*out == NULL) {
		long long wait = dns->head != NULL ?
		    dns->head->deadline - now_ms() + 1 : 0;

		if (poll(&pfd, 1, wait > 0 ? (int)wait : 0) < 0 && errno != EINTR)
			return -1;
		mk_dns_process(dns);
	}
	return 0;
}

/* The character-strings of a TXT RDATA, joined. */
int
mk_dns_txt(const struct mk_dns_rr *rr, char *buf, size_t size)
{
	size_t o = 0, w = 0;

	while (o < rr->len) {
		size_t n = rr->data[o++];

		if (o + n > rr->len || w + n >= size)
			return -1;
		memcpy(buf + w, rr->data + o, n);
		o += n;
		w += n;
	}
	if (w >= size)
		return -1;
	buf[w] = '\0';
	return memchr(buf, '\0', w) != NULL ? -1 : 0;
}

/* The uncompressed name at off as text (labels escaped nowhere: a label
 * holding a dot, a blank or a control octet is refused). */
int
mk_dns_rr_name(const struct mk_dns_rr *rr, size_t off, char *buf, size_t size)
{
	size_t w = 0;

	for (;;) {
		size_t n;

		if (off >= rr->len)
			return -1;
		n = rr->data[off++];
		if (n == 0)
			break;
		if (n > 63 || off + n > rr->len || w + n + 1 >= size)
			return -1;
		if (w > 0)
			buf[w++] = '.';
		for (size_t i = 0; i < n; i++) {
			unsigned char c = rr->data[off + i];

			if (c <= ' ' || c >= 127 || c == '.')
				return -1;
			buf[w++] = (char)c;
		}
		off += n;
	}
	if (w >= size)
		return -1;
	buf[w] = '\0';
	return 0;
}

int
mk_dns_type(const char *name)
{
	static const struct { const char *name; int type; } types[] = {
		{ "A", MK_DNS_T_A }, { "AAAA", MK_DNS_T_AAAA },
		{ "MX", MK_DNS_T_MX }, { "TXT", MK_DNS_T_TXT },
		{ "PTR", MK_DNS_T_PTR }, { "NS", MK_DNS_T_NS },
		{ "CNAME", MK_DNS_T_CNAME }, { "SPF", MK_DNS_T_SPF },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(name, types[i].name) == 0)
			return types[i].type;
	return -1;
}

const char *
mk_dns_status_name(int status)
{
	static const char *const names[] = { "ok", "nodata", "nxdomain",
	    "tempfail", "permfail" };

	return status >= 0 && status <= MK_DNS_PERMFAIL ? names[status] : "?";
}
