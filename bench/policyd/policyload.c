/*
 * NAME
 *	policyload - load generator for Postfix policy services
 * SYNOPSIS
 *	policyload -s SOCKET [-c CONNS] [-k KEYS] [-d SECONDS | -n REQUESTS]
 *		[-r MAXRCPT] [-a sender|sasl_username] [-S] [-T THREADS]
 *		[-x SEED]
 * DESCRIPTION
 *	Speaks the SMTPD policy protocol (SMTPD_POLICY_README) the way
 *	Postfix's smtpd does: CONNS connections kept open, one request
 *	outstanding on each, and per message one RCPT request per recipient
 *	followed by one END-OF-MESSAGE request with recipient_count (and
 *	recipient only when there was exactly one), every request with the
 *	attribute set Postfix 3.7 sends. A message has 1 recipient 70% of
 *	the time, 2 to 5 25%, and up to MAXRCPT (default 20) 5%.
 *
 *	The rate-limited key (sender by default; with -a sasl_username the
 *	SASL login, the sender following it) is drawn uniformly from KEYS
 *	distinct values (default 100000); with -S keys are taken in order,
 *	one per message, so N messages touch min(N, KEYS) keys.
 *
 *	SOCKET is unix:/path, inet:PORT@HOST or a path. Each thread (-T,
 *	default 1) runs its share of the connections on one epoll set. Every
 *	request is timed from its write to the end of its reply. The run
 *	lasts SECONDS (default 10) or until REQUESTS were answered. The
 *	last line is "summary name=value ..." (requests, seconds,
 *	req_per_s, p50_ms, p99_ms, p999_ms, max_ms, the replies by kind:
 *	dunno, defer, reject, other, errors, and client_cpu_s, the CPU time
 *	the client itself used, to show it was not the bottleneck).
 * DIAGNOSTICS
 *	Exit 0 when every request was answered, 1 when a connection failed
 *	or a reply was malformed, 2 on usage errors.
 * SEE ALSO
 *	bench/policyd/run.sh, bench/README.md
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 4096
#define REPLY_MAX 1024
#define HIST_US 200000		/* 1 µs buckets up to 200 ms */

struct opts {
	const char *socket;
	int conns, threads, max_rcpt, sequential, sasl;
	long long keys, requests;
	double seconds;
	unsigned seed;
};

struct conn {
	int fd, id;
	uint64_t rng;
	/* message in progress */
	long long key;
	int nrcpt, step;		/* step: requests sent of it */
	uint64_t rcpt_base;
	unsigned msgno;
	char instance[48];
	/* request in flight */
	char req[REQ_MAX];
	size_t reqlen, reqoff;
	char reply[REPLY_MAX];
	size_t replen;
	struct timespec t0;
};

struct stats {
	uint32_t *hist;		/* HIST_US + 1 buckets; last = overflow */
	long long requests, dunno, defer, reject, other, errors;
	double max_ms;
};

struct worker {
	pthread_t tid;
	int index;
	struct stats st;
};

static struct opts o = { NULL, 16, 1, 20, 0, 0, 100000, 0, 10.0, 1 };
static struct timespec t_start, t_end;
static long long seq_next;		/* -S: next key, shared */
static long long answered;		/* -n: requests answered, shared */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec)
	    + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int
connect_to(const char *spec)
{
	const char *path = spec;
	int fd, one = 1;

	if (strncmp(spec, "inet:", 5) == 0) {
		struct sockaddr_in sin;
		const char *at = strchr(spec, '@');

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)atoi(spec + 5));
		if (at == NULL || inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1)
			return -1;
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return -1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Start a new message on c: its key, its recipient count, its instance. */
static void
new_message(struct conn *c)
{
	uint64_t r = rnd(&c->rng);
	int p = (int)(r % 100);

	if (o.sequential) {
		pthread_mutex_lock(&shared_lock);
		c->key = seq_next++ % o.keys;
		pthread_mutex_unlock(&shared_lock);
	} else {
		c->key = (long long)((r >> 16) % (uint64_t)o.keys);
	}
	r = rnd(&c->rng);
	if (p < 70 || o.max_rcpt < 2)
		c->nrcpt = 1;
	else if (p < 95)
		c->nrcpt = 2 + (int)(r % (o.max_rcpt < 5 ? o.max_rcpt - 1 : 4));
	else
		c->nrcpt = 1 + (int)(r % (uint64_t)o.max_rcpt);
	c->step = 0;
	c->rcpt_base = rnd(&c->rng);
	c->msgno++;
	snprintf(c->instance, sizeof(c->instance), "%x.%x.%x.%x",
	    (unsigned)getpid(), (unsigned)c->id, c->msgno,
	    (unsigned)(r & 0xffff));
}

/* Build the next request of c's message into c->req. */
static void
build_request(struct conn *c)
{
	char sender[128], user[64], rcpt[128], qid[16], count[16];
	int eom, n;
	unsigned d = (unsigned)(c->key % 5000);

	/* nrcpt RCPT requests (steps 0..nrcpt-1), then END-OF-MESSAGE */
	if (c->msgno == 0 || c->step > c->nrcpt)
		new_message(c);
	eom = c->step == c->nrcpt;
	snprintf(user, sizeof(user), "user%lld", c->key);
	snprintf(sender, sizeof(sender), "user%lld@d%u.example", c->key, d);
	/* the single recipient of a message is named again at its end */
	snprintf(rcpt, sizeof(rcpt), "rcpt%u@r%u.example",
	    (unsigned)((c->rcpt_base + (uint64_t)(eom ? 0 : c->step)) % 1000000),
	    (unsigned)(c->msgno % 97));
	snprintf(qid, sizeof(qid), "%X%05X", (unsigned)c->id & 0xff,
	    c->msgno & 0xfffff);
	/* Postfix sends 0 before DATA */
	snprintf(count, sizeof(count), "%d", eom ? c->nrcpt : 0);
	n = snprintf(c->req, sizeof(c->req),
	    "request=smtpd_access_policy\n"
	    "protocol_state=%s\n"
	    "protocol_name=ESMTP\n"
	    "client_address=10.%u.%u.%u\n"
	    "client_name=mx%u.d%u.example\n"
	    "client_port=%u\n"
	    "reverse_client_name=mx%u.d%u.example\n"
	    "server_address=127.0.0.1\n"
	    "server_port=25\n"
	    "helo_name=mx%u.d%u.example\n"
	    "sender=%s\n"
	    "recipient=%s\n"
	    "recipient_count=%s\n"
	    "queue_id=%s\n"
	    "instance=%s\n"
	    "size=%u\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "sasl_method=%s\n"
	    "sasl_username=%s\n"
	    "sasl_sender=\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "ccert_pubkey_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "policy_context=\n"
	    "compatibility_level=3.6\n"
	    "mail_version=3.7.11\n"
	    "\n",
	    eom ? "END-OF-MESSAGE" : "RCPT",
	    d >> 8, d & 0xff, (unsigned)(c->id & 0xff), d, d,
	    30000 + (unsigned)c->id, d, d, d, d, sender,
	    eom ? (c->nrcpt == 1 ? rcpt : "") : rcpt,
	    count, eom ? qid : "", c->instance,
	    eom ? 2000 + (unsigned)(c->key % 50000) : 0,
	    o.sasl ? "PLAIN" : "", o.sasl ? user : "");
	c->reqlen = (size_t)n;
	c->reqoff = 0;
	c->replen = 0;
	c->step++;
}

static void
classify(struct stats *st, const char *reply)
{
	const char *a = reply + 7;	/* after "action=" */

	if (strncasecmp(a, "DUNNO", 5) == 0 || strncasecmp(a, "OK", 2) == 0)
		st->dunno++;
	else if (strncasecmp(a, "DEFER", 5) == 0 || a[0] == '4')
		st->defer++;
	else if (strncasecmp(a, "REJECT", 6) == 0 || a[0] == '5')
		st->reject++;
	else
		st->other++;
}

static int
send_some(struct conn *c)
{
	while (c->reqoff < c->reqlen) {
		ssize_t w = write(c->fd, c->req + c->reqoff,
		    c->reqlen - c->reqoff);

		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0)
			return -1;
		c->reqoff += (size_t)w;
	}
	return 0;
}

static int
done_issuing(const struct timespec *now)
{
	if (o.requests > 0)
		return __atomic_load_n(&answered, __ATOMIC_RELAXED)
		    >= o.requests;
	return since(&t_start, now) >= o.seconds;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev, evs[64];
	struct conn *cs;
	int ep, n = 0, live;

	w->st.hist = calloc(HIST_US + 1, sizeof(uint32_t));
	cs = calloc((size_t)o.conns, sizeof(*cs));
	if (w->st.hist == NULL || cs == NULL || (ep = epoll_create1(0)) < 0)
		return NULL;
	for (int i = w->index; i < o.conns; i += o.threads, n++) {
		struct conn *c = &cs[n];

		c->id = i;
		c->rng = (uint64_t)o.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1;
		if ((c->fd = connect_to(o.socket)) < 0) {
			fprintf(stderr, "policyload: connect %s: %s\n", o.socket,
			    strerror(errno));
			w->st.errors++;
			c->fd = -1;
			continue;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		build_request(c);
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		if (send_some(c) < 0)
			w->st.errors++;
	}
	live = n;
	for (int i = 0; i < n; i++)
		if (cs[i].fd < 0)
			live--;
	while (live > 0) {
		int k = epoll_wait(ep, evs, 64, 5000);

		if (k <= 0) {
			if (k == 0)
				fprintf(stderr, "policyload: no reply for 5 s\n");
			w->st.errors++;
			break;
		}
		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			struct timespec now;
			ssize_t r;
			char *end;

			r = read(c->fd, c->reply + c->replen,
			    sizeof(c->reply) - 1 - c->replen);
			if (r <= 0 || (c->replen += (size_t)r) >= sizeof(c->reply) - 1) {
				fprintf(stderr, "policyload: connection %d: %s\n",
				    c->id, r < 0 ? strerror(errno) : r == 0
				    ? "closed by the server" : "reply too long");
				w->st.errors++;
				close(c->fd);
				c->fd = -1;
				live--;
				continue;
			}
			c->reply[c->replen] = '\0';
			if ((end = strstr(c->reply, "\n\n")) == NULL)
				continue;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (strncmp(c->reply, "action=", 7) != 0
			    || end + 2 != c->reply + c->replen) {
				fprintf(stderr, "policyload: malformed reply "
				    "\"%.60s\"\n", c->reply);
				w->st.errors++;
			} else {
				double ms = since(&c->t0, &now) * 1e3;
				long us = (long)(ms * 1e3);

				classify(&w->st, c->reply);
				w->st.hist[us < HIST_US ? us : HIST_US]++;
				if (ms > w->st.max_ms)
					w->st.max_ms = ms;
				w->st.requests++;
				if (o.requests > 0)
					__atomic_add_fetch(&answered, 1,
					    __ATOMIC_RELAXED);
			}
			if (done_issuing(&now)) {
				close(c->fd);
				c->fd = -1;
				live--;
				continue;
			}
			build_request(c);
			c->t0 = now;
			if (send_some(c) < 0) {
				w->st.errors++;
				close(c->fd);
				c->fd = -1;
				live--;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	close(ep);
	free(cs);
	return NULL;
}

static double
percentile(const uint32_t *h, long long total, double q)
{
	long long want = (long long)((double)total * q), seen = 0;

	if (want >= total)
		want = total - 1;
	for (long i = 0; i <= HIST_US; i++) {
		seen += h[i];
		if (seen > want)
			return (double)i / 1e3;
	}
	return (double)HIST_US / 1e3;
}

static void
usage(void)
{
	fprintf(stderr, "usage: policyload -s SOCKET [-c CONNS] [-k KEYS] "
	    "[-d SECONDS | -n REQUESTS]\n  [-r MAXRCPT] "
	    "[-a sender|sasl_username] [-S] [-T THREADS] [-x SEED]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct worker *ws;
	struct stats tot;
	struct rusage ru;
	double secs;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:k:d:n:r:a:ST:x:")) != -1) {
		switch (ch) {
		case 's': o.socket = optarg; break;
		case 'c': o.conns = atoi(optarg); break;
		case 'k': o.keys = atoll(optarg); break;
		case 'd': o.seconds = atof(optarg); break;
		case 'n': o.requests = atoll(optarg); break;
		case 'r': o.max_rcpt = atoi(optarg); break;
		case 'a':
			if (strcmp(optarg, "sasl_username") == 0)
				o.sasl = 1;
			else if (strcmp(optarg, "sender") != 0)
				usage();
			break;
		case 'S': o.sequential = 1; break;
		case 'T': o.threads = atoi(optarg); break;
		case 'x': o.seed = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (o.socket == NULL || o.conns < 1 || o.keys < 1 || o.max_rcpt < 1
	    || o.threads < 1 || o.threads > o.conns || o.seconds <= 0)
		usage();
	ws = calloc((size_t)o.threads, sizeof(*ws));
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	for (int i = 0; i < o.threads; i++) {
		ws[i].index = i;
		pthread_create(&ws[i].tid, NULL, worker_run, &ws[i]);
	}
	memset(&tot, 0, sizeof(tot));
	tot.hist = calloc(HIST_US + 1, sizeof(uint32_t));
	for (int i = 0; i < o.threads; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].st.hist == NULL) {
			tot.errors++;
			continue;
		}
		for (long b = 0; b <= HIST_US; b++)
			tot.hist[b] += ws[i].st.hist[b];
		tot.requests += ws[i].st.requests;
		tot.dunno += ws[i].st.dunno;
		tot.defer += ws[i].st.defer;
		tot.reject += ws[i].st.reject;
		tot.other += ws[i].st.other;
		tot.errors += ws[i].st.errors;
		if (ws[i].st.max_ms > tot.max_ms)
			tot.max_ms = ws[i].st.max_ms;
		free(ws[i].st.hist);
	}
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	secs = since(&t_start, &t_end);
	getrusage(RUSAGE_SELF, &ru);
	printf("summary requests=%lld seconds=%.2f req_per_s=%.0f p50_ms=%.3f "
	    "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f dunno=%lld defer=%lld "
	    "reject=%lld other=%lld errors=%lld conns=%d keys=%lld "
	    "client_cpu_s=%.2f\n",
	    tot.requests, secs, (double)tot.requests / secs,
	    tot.requests ? percentile(tot.hist, tot.requests, 0.50) : 0.0,
	    tot.requests ? percentile(tot.hist, tot.requests, 0.99) : 0.0,
	    tot.requests ? percentile(tot.hist, tot.requests, 0.999) : 0.0,
	    tot.max_ms, tot.dunno, tot.defer, tot.reject, tot.other,
	    tot.errors, o.conns, o.keys, (double)ru.ru_utime.tv_sec
	    + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec
	    + (double)ru.ru_stime.tv_usec / 1e6);
	free(tot.hist);
	free(ws);
	return tot.errors > 0 ? 1 : 0;
}
