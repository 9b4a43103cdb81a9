/*
 * server.c - the event loop of milterkit-policyd (server.h): accepting,
 * checking requests with the rate-limit engine, replies, idle timeouts,
 * the engine's life across reloads.
 *
 * The loop never waits for the disk: the engine's writer thread commits
 * the counts (mk_ratelimit.h), 1 ms or 256 updates at a time, while this
 * thread goes on answering from a snapshot of the store plus the counts
 * it has queued. A reply may so promise a count that a machine crash or
 * a kill in the next milliseconds loses; the store's integrity is never
 * at stake. Failed commits are logged at the end of the next round, with
 * the number of counts lost; requests counted while the last commit had
 * failed get the on_error answer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "policyd_conf.h"
#include "server.h"

#define PD_EVENTS	1024	/* epoll events per iteration */
#define PD_ACCEPTS_MAX	256	/* accepts per iteration */
#define PD_RETRY_MS	5000	/* between attempts to open the store */

static const char *const on_error_reply[] = {
	"DUNNO", "DEFER 4.3.0 temporary local problem"
};

/* Errors that repeat for every request while the store is in trouble. */
static struct mk_log_limit request_failed = MK_LOG_LIMIT_INIT;
static struct mk_log_limit commit_failed = MK_LOG_LIMIT_INIT;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MK_RL_NS + ts.tv_nsec;
}

static const char *
on_error_name(const struct pd_server *s)
{
	return policyd_conf(s->conf)->d.on_error == MK_POLICY_ON_ERROR_DEFER ?
	    "defer" : "dunno";
}

struct pd_server *
pd_server_new(int lfd, int inet)
{
	struct pd_server *s = mk_calloc(1, sizeof(*s));
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

	s->lfd = lfd;
	s->inet = inet;
	s->now_ms = s->last_sweep = mono_ms();
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, lfd, &e) < 0)
		mk_fatal("cannot set up the event loop: %s", strerror(errno));
	return s;
}

void
pd_server_free(struct pd_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		pd_conn_close(s, s->conns);
	pd_conn_reap(s);
	close(s->lfd);
	close(s->epfd);
	mk_rl_engine_close(s->engine);
	mk_rl_rules_free(s->rules);
	mk_conf_free(s->conf);
	free(s);
}

/* Open the engine when it is not open and it is time to try. */
static void
engine_try(struct pd_server *s)
{
	char err[512];

	if (s->engine != NULL || s->now_ms < s->engine_retry)
		return;
	/* Opened now, not at the first request: a store the daemon cannot
	 * use is said at start, loudly, not discovered request by request. */
	if (mk_rl_engine_open(s->conf->store.path, s->rules,
	    s->conf->store.map_size, &s->engine, err, sizeof(err)) == 0 &&
	    mk_rl_engine_check(s->engine) < 0) {
		snprintf(err, sizeof(err), "%s", mk_rl_errdetail());
		mk_rl_engine_close(s->engine);
		s->engine = NULL;
	}
	if (s->engine == NULL) {
		s->engine_retry = s->now_ms + PD_RETRY_MS;
		mk_error("cannot open the rate-limit store: %s; rate limits are"
		    " NOT enforced: every request gets on_error=%s until it"
		    " opens (retrying every %d s)", err, on_error_name(s),
		    PD_RETRY_MS / 1000);
		return;
	}
	mk_info("rate-limit engine ready: store %s, %zu rules", s->conf->store.path,
	    mk_rl_rules_count(s->rules));
}

void
pd_server_install(struct pd_server *s, struct mk_conf *conf,
    struct mk_rl_rules *rules)
{
	/* Nothing uses the old engine between iterations: close it first,
	 * as LMDB must not have one environment open twice in a process. */
	mk_rl_engine_close(s->engine);
	s->engine = NULL;
	mk_rl_rules_free(s->rules);
	mk_conf_free(s->conf);
	s->conf = conf;
	s->rules = rules;
	pd_limits_from_conf(conf, &s->lim);
	s->engine_retry = 0;
	s->now_ms = mono_ms();
	engine_try(s);
}

static const char *
show(char *buf, size_t len, const char *s)
{
	return mk_printable(buf, len, s != NULL ? s : "", (size_t)-1);
}

/* One line per decision: defer, reject and warn at info, dunno at debug. */
static void
log_decision(const struct mk_rl_request *r, const struct mk_rl_verdict *v)
{
	static const char *const names[] = { "dunno", "defer", "reject", "warn" };
	char key[MK_LOG_CLIENT_MAX], client[64], sender[MK_LOG_CLIENT_MAX];
	char state[32];
	int level = v->action == MK_RL_DUNNO ? MK_LOG_DEBUG : MK_LOG_INFO;
	const char *name = v->action >= 0 && v->action <= MK_RL_WARN ?
	    names[v->action] : "?";

	show(client, sizeof(client), r->client_address);
	show(sender, sizeof(sender), r->sender);
	show(state, sizeof(state), r->protocol_state);
	if (v->action == MK_RL_DUNNO || v->rule == NULL) {
		mk_log_event(level, r->queue_id, "%s client=%s sender=<%s> state=%s",
		    name, client, sender, state);
		return;
	}
	mk_log_event(level, r->queue_id, "%s rule=%s key=%s %s %lld/%llds "
	    "used=%lld client=%s sender=<%s> state=%s", name, v->rule,
	    show(key, sizeof(key), v->key), v->what ? v->what : "?",
	    (long long)v->limit, (long long)v->period, (long long)v->used,
	    client, sender, state);
}

/* Check one request and queue its reply (written at the end of the round). */
void
pd_server_request(struct pd_server *s, struct pd_conn *c,
    const struct pd_request *rq)
{
	struct mk_rl_verdict v;
	int onerr = policyd_conf(s->conf)->d.on_error;

	engine_try(s);
	if (s->engine == NULL) {
		mk_debug("store unavailable: on_error=%s", on_error_name(s));
		pd_conn_queue(s, c, on_error_reply[onerr]);
		return;
	}
	if (mk_rl_check(s->engine, &rq->rl, &c->txn, real_ns(), &v) < 0) {
		char cause[sizeof(v.reply)], qid[64];
		const char *q = rq->rl.queue_id;

		/* A failing store fails every request: one line a minute. */
		mk_printable(qid, sizeof(qid), q != NULL && *q ? q : "NOQUEUE",
		    (size_t)-1);
		mk_log_limited(&request_failed, MK_LOG_ERROR, "%s: error"
		    " client=%s: %s (on_error=%s)", qid, c->peer,
		    show(cause, sizeof(cause), v.reply), on_error_name(s));
		pd_conn_queue(s, c, on_error_reply[onerr]);
		return;
	}
	log_decision(&rq->rl, &v);
	pd_conn_queue(s, c, v.reply);
}

/* End of a round: report failed commits, write the replies. */
static void
round_end(struct pd_server *s)
{
	char err[512];

	if (s->engine != NULL && mk_rl_batch_end(s->engine, err, sizeof(err)) < 0)
		mk_log_limited(&commit_failed, MK_LOG_ERROR, "cannot commit"
		    " rate-limit counters: %s (on_error=%s)", err,
		    on_error_name(s));
	while (s->touched != NULL) {
		struct pd_conn *c = s->touched;

		s->touched = c->tnext;
		c->touched = 0;
		if (c->dead) {
			c->tnext = s->dead;
			s->dead = c;
		} else {
			pd_conn_flush(s, c);
		}
	}
}

static void
accept_pause(struct pd_server *s, int pause)
{
	struct epoll_event e = { .events = pause ? 0 : EPOLLIN, .data.ptr = NULL };

	if (s->accept_paused != pause &&
	    epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &e) == 0)
		s->accept_paused = pause;
}

static void
accept_all(struct pd_server *s)
{
	for (int i = 0; i < PD_ACCEPTS_MAX; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int on = 1;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Try again at the next sweep, not in a busy loop. */
				mk_warn("cannot accept: %s", strerror(errno));
				accept_pause(s, 1);
			}
			return;
		}
		if ((long long)s->nconns >= policyd_conf(s->conf)->max_connections) {
			close(fd);
			s->refused++;
			if (s->now_ms - s->last_full_warn >= 1000) {
				mk_warn("max_connections (%lld) reached: refused %lu "
				    "connections", policyd_conf(s->conf)->max_connections,
				    s->refused);
				s->last_full_warn = s->now_ms;
				s->refused = 0;
			}
			continue;
		}
		if (s->inet)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		pd_conn_new(s, fd);
	}
}

/* Once a second: close idle connections, resume accepting. */
static void
sweep(struct pd_server *s)
{
	int64_t idle = policyd_conf(s->conf)->d.timeout * 1000;
	struct pd_conn *c, *next;

	if (s->now_ms - s->last_sweep < 1000)
		return;
	s->last_sweep = s->now_ms;
	accept_pause(s, 0);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (s->now_ms - c->last >= idle) {
			mk_debug("%s idle for %lld s: closing", c->peer,
			    (long long)policyd_conf(s->conf)->d.timeout);
			pd_conn_close(s, c);
		}
	}
}

unsigned
pd_server_run(struct pd_server *s, const sigset_t *mask)
{
	static struct epoll_event ev[PD_EVENTS];

	for (;;) {
		int n = epoll_pwait(s->epfd, ev, PD_EVENTS, 1000, mask);

		if (n < 0 && errno != EINTR)
			mk_fatal("epoll_wait: %s", strerror(errno));
		if (n < 0) {
			unsigned bits = mk_sig_wait(0);

			if (bits & (MK_SIG_HUP | MK_SIG_TERM | MK_SIG_REOPEN))
				return bits;
			continue;
		}
		s->now_ms = mono_ms();
		for (int i = 0; i < n; i++) {
			struct pd_conn *c = ev[i].data.ptr;

			if (c == NULL)
				accept_all(s);
			else if (!c->dead && (ev[i].events & EPOLLOUT))
				pd_conn_flush(s, c);
		}
		for (int i = 0; i < n; i++) {
			struct pd_conn *c = ev[i].data.ptr;

			if (c != NULL && !c->dead &&
			    (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				pd_conn_read(s, c);
		}
		round_end(s);
		sweep(s);
		pd_conn_reap(s);
	}
}
