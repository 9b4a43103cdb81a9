/*
 * NAME
 *	milter_engine.c - event loops serving milter connections
 *	(mk_milter_engine.h)
 * DESCRIPTION
 *	Every loop has its own epoll set holding the listening socket
 *	(EPOLLEXCLUSIVE: one loop wakes per new connection), a shared
 *	eventfd that says "stop", and the connections it accepted. Reads
 *	feed the protocol decoder (milter_conn.c); its answers are written
 *	at once and, when the socket is full, on EPOLLOUT. A connection is
 *	read only while fewer than MK_MCONN_OUT_HIGH octets of answers wait
 *	(the decoder pauses there too) and until QUIT; when its output
 *	drains below the bound, what the decoder left is decoded and reading
 *	resumes, as policyd/conn.c does. Once a second, on the monotonic
 *	clock, a loop closes connections silent for the timeout and re-arms
 *	the listening socket if it had to pause accepting (out of
 *	descriptors).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter_engine.h"

#define MAX_LOOPS	64
#define EVENTS		64
#define SWEEP_MS	1000	/* how often silent connections are looked for */

struct econn {
	int kind;			/* 0; a struct watch has 1 */
	int fd;
	int closing;			/* QUIT seen: close once flushed */
	int held;			/* decoding paused on a full output */
	unsigned holds;			/* mk_mengine_hold() not yet called */
	int gone;			/* closed while held: freed later */
	long long pend_since;		/* an answer pending since, or 0 */
	struct loop *l;
	unsigned events;		/* epoll interest */
	long long last;			/* last input, monotonic ms */
	struct mk_mconn *mc;
	struct econn *prev, *next;
};

/* Work done elsewhere, to run on the loop owning its connection. */
struct call {
	struct econn *c;
	void (*fn)(struct mk_mconn *mc, void *arg, int gone);
	void *arg;
	struct call *next;
};

/* An fd of the loop's own (an asynchronous resolver's). */
struct watch {
	int kind;			/* 1 */
	int fd;
	void (*ready)(void *arg);
	void *arg;
	int dead;			/* unwatched: freed after the batch */
	struct watch *next;
};

struct loop {
	pthread_t tid;
	struct watch *watches;		/* live and dead, of this loop */
	int ep;
	int listening;			/* listen_fd is in ep */
	struct econn *conns;
	int wake_fd;			/* eventfd: calls wait */
	pthread_mutex_t lock;		/* of calls */
	struct call *calls, **tail;
};

/* Peers that leave before their answer (read or write errors). */
static struct mk_log_limit gone_early = MK_LOG_LIMIT_INIT;

static int listen_fd = -1, stop_fd = -1, is_tcp;
static const struct mk_mconn_ops *the_ops;
static unsigned conn_timeout;
static unsigned long next_id;
static char listen_mark, stop_mark, wake_mark;	/* epoll tags */
static __thread struct loop *cur_loop;	/* the loop this thread runs */
static struct loop *loops;
static unsigned nloops;

unsigned
mk_mengine_threads(long long configured)
{
	long n = configured > 0 ? (long)configured : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_LOOPS ? MAX_LOOPS : (unsigned)n;
}

void
mk_mengine_stop(void)
{
	uint64_t one = 1;

	if (stop_fd >= 0 && write(stop_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow from a few stops */
	}
}

/* Milliseconds on the monotonic clock: a step of the wall clock must not
 * make every connection look silent (or none). */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection still held (work elsewhere will come back to it) leaves
 * the list and its socket is closed; it is freed when the last call
 * comes back (run_calls()). */
static void
conn_close(struct loop *l, struct econn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	close(c->fd);			/* leaves the epoll set too */
	c->fd = -1;
	if (c->holds > 0) {
		c->gone = 1;
		return;
	}
	mk_mconn_free(c->mc);		/* close callback */
	free(c);
}

/* Write what the socket takes now. -1: the MTA is gone. */
static int
conn_write(struct econn *c)
{
	size_t len;
	const char *p = mk_mconn_output(c->mc, &len);

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* An MTA that left before its answer: common under
			 * load, so counted rather than logged every time. */
			mk_log_limited(&gone_early, MK_LOG_WARN, "milter"
			    " connection %lu: write: %s; connection closed",
			    mk_mconn_id(c->mc), strerror(errno));
			return -1;
		}
		mk_mconn_sent(c->mc, (size_t)n);
		p = mk_mconn_output(c->mc, &len);
	}
	return 0;
}

/* Decode n new octets (and what decoding left while the output was full),
 * write the answers, and wait for what comes next: input while fewer than
 * MK_MCONN_OUT_HIGH octets wait to be sent and QUIT has not come, room in
 * the socket while any wait. -1: close the connection. */
static int
conn_run(struct loop *l, struct econn *c, size_t n)
{
	struct epoll_event ev = { .data.ptr = c };
	size_t len;

	for (;;) {
		if (!c->closing) {
			int rc = mk_mconn_received(c->mc, n);

			n = 0;
			if (rc == MK_MCONN_ERROR)
				return -1;
			if (rc == MK_MCONN_DONE)
				c->closing = 1;
		}
		if (conn_write(c) < 0)
			return -1;
		mk_mconn_output(c->mc, &len);
		if (c->closing) {
			if (len == 0)
				return -1;
			break;
		}
		if (len >= MK_MCONN_OUT_HIGH) {
			c->held = 1;	/* the MTA is not reading */
			break;
		}
		if (!c->held)
			break;
		c->held = 0;		/* drained: decode what is left */
	}
	/* Nothing is read while an answer is pending. */
	if (mk_mconn_pending(c->mc)) {
		if (c->pend_since == 0)
			c->pend_since = now_ms();
	} else {
		c->pend_since = 0;
	}
	/* ...but an MTA leaving then is noticed (MTAs do not half-close). */
	ev.events = (!c->closing && !c->held && !c->pend_since ? EPOLLIN : 0) |
	    (c->pend_since ? EPOLLRDHUP : 0) | (len > 0 ? EPOLLOUT : 0);
	if (ev.events != c->events) {
		if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
			mk_error("milter connection %lu: epoll_ctl: %s; connection"
			    " closed", mk_mconn_id(c->mc), strerror(errno));
			return -1;
		}
		c->events = ev.events;
	}
	return 0;
}

/* Read if the connection is being read, else only write. -1: close it. */
static int
conn_event(struct loop *l, struct econn *c, unsigned events)
{
	size_t room;
	void *buf;
	ssize_t n;

	if (c->pend_since && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return -1;		/* left while its answer was pending */
	if (!(c->events & EPOLLIN) ||
	    !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return conn_run(l, c, 0);
	buf = mk_mconn_inspace(c->mc, &room);
	n = read(c->fd, buf, room);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return conn_run(l, c, 0);
	if (n <= 0) {
		if (n < 0)
			mk_log_limited(&gone_early, MK_LOG_WARN, "milter"
			    " connection %lu: read: %s", mk_mconn_id(c->mc),
			    strerror(errno));
		return -1;		/* the MTA went away */
	}
	c->last = now_ms();
	return conn_run(l, c, (size_t)n);
}

/* One connection per wake-up: the socket stays readable while more wait,
 * and asking again when none does costs a system call per session. */
static void
do_accept(struct loop *l)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct econn *c;
	struct epoll_event ev;
	int one = 1;

	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return;
		/* Out of descriptors or memory: pause this loop's accepting
		 * for a second rather than spin. */
		mk_error("accept: %s; not accepting for a second", strerror(errno));
		epoll_ctl(l->ep, EPOLL_CTL_DEL, listen_fd, NULL);
		l->listening = 0;
		return;
	}
	if (is_tcp)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = mk_calloc(1, sizeof(*c));
	c->fd = fd;
	c->l = l;
	c->last = now_ms();
	c->mc = mk_mconn_new(the_ops, __atomic_add_fetch(&next_id, 1,
	    __ATOMIC_RELAXED));
	mk_mconn_setowner(c->mc, c);
	ev.events = c->events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		mk_error("epoll_ctl: %s", strerror(errno));
		mk_mconn_free(c->mc);
		close(fd);
		free(c);
		return;
	}
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
}

static int
arm_listen(struct loop *l)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
	    .data.ptr = &listen_mark };

	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
		return -1;
	l->listening = 1;
	return 0;
}

/* Once a second: drop silent connections, resume accepting. */
static void
sweep(struct loop *l, long long now)
{
	struct econn *c = l->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (c->pend_since != 0) {	/* waiting for us, not silent */
			c->last = now;
			if (the_ops->pending_tick != NULL) {
				the_ops->pending_tick(c->mc, now - c->pend_since);
				if (conn_run(l, c, 0) < 0)
					conn_close(l, c);
			}
			continue;
		}
		if (now - c->last >= (long long)conn_timeout * 1000) {
			mk_warn("milter connection %lu: no command for %u s;"
			    " connection closed", mk_mconn_id(c->mc), conn_timeout);
			conn_close(l, c);
		}
	}
	if (!l->listening && arm_listen(l) < 0)
		mk_error("epoll_ctl (listening socket): %s", strerror(errno));
}

/* Runs the calls that came back to this loop. */
static void
run_calls(struct loop *l)
{
	struct call *q;
	uint64_t n;

	if (read(l->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		mk_warn("event loop: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&l->lock);
	q = l->calls;
	l->calls = NULL;
	l->tail = &l->calls;
	pthread_mutex_unlock(&l->lock);
	while (q != NULL) {
		struct call *next = q->next;
		struct econn *c = q->c;

		c->holds--;
		q->fn(c->mc, q->arg, c->gone);
		if (c->gone) {
			if (c->holds == 0) {
				mk_mconn_free(c->mc);
				free(c);
			}
		} else if (conn_run(l, c, 0) < 0) {
			conn_close(l, c);
		}
		free(q);
		q = next;
	}
}

void
mk_mengine_hold(struct mk_mconn *mc)
{
	struct econn *c = mk_mconn_owner(mc);

	if (c != NULL)
		c->holds++;
}

void
mk_mengine_call(struct mk_mconn *mc, void (*fn)(struct mk_mconn *mc,
    void *arg, int gone), void *arg)
{
	struct econn *c = mk_mconn_owner(mc);
	struct call *q = mk_calloc(1, sizeof(*q));
	uint64_t one = 1;

	q->c = c;
	q->fn = fn;
	q->arg = arg;
	pthread_mutex_lock(&c->l->lock);
	*c->l->tail = q;
	c->l->tail = &q->next;
	pthread_mutex_unlock(&c->l->lock);
	if (write(c->l->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mk_error("event loop: eventfd: %s", strerror(errno));
}

int
mk_mengine_watch(int fd, void (*ready)(void *arg), void *arg)
{
	struct loop *l = cur_loop;
	struct watch *w;
	struct epoll_event ev = { .events = EPOLLIN };

	if (l == NULL)
		return -1;
	w = mk_calloc(1, sizeof(*w));
	w->kind = 1;
	w->fd = fd;
	w->ready = ready;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		mk_error("event loop: watch fd %d: %s", fd, strerror(errno));
		free(w);
		return -1;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

void
mk_mengine_unwatch(int fd)
{
	struct loop *l = cur_loop;

	for (struct watch *w = l != NULL ? l->watches : NULL; w != NULL;
	    w = w->next)
		if (!w->dead && w->fd == fd) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
			w->dead = 1;
			return;
		}
}

/* Frees the watches unwatched during a batch of events (an event of the
 * same batch may still name one), or all of them at the end. */
static void
bury_watches(struct loop *l, int all)
{
	struct watch **pp = &l->watches, *w;

	while ((w = *pp) != NULL) {
		if (w->dead || all) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[EVENTS];
	long long last_sweep = now_ms();

	cur_loop = l;
	for (;;) {
		int n = epoll_wait(l->ep, evs, EVENTS, SWEEP_MS);
		long long now;

		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			struct econn *c = tag;

			if (tag == &stop_mark)
				goto stop;
			if (tag == &wake_mark) {
				run_calls(l);
				continue;
			}
			if (tag == &listen_mark) {
				do_accept(l);
				continue;
			}
			if (c->kind == 1) {
				struct watch *w = tag;

				if (!w->dead)
					w->ready(w->arg);
				continue;
			}
			if (conn_event(l, c, evs[i].events) < 0)
				conn_close(l, c);
		}
		bury_watches(l, 0);
		if ((now = now_ms()) - last_sweep >= SWEEP_MS) {
			sweep(l, now);
			last_sweep = now;
		}
	}
stop:
	/* The work of held connections has come back by now (the skeleton
	 * stops its workers first); what is queued still runs. */
	run_calls(l);
	while (l->conns != NULL)
		conn_close(l, l->conns);
	bury_watches(l, 1);
	return NULL;
}

int
mk_mengine_start(int lfd, int tcp, const struct mk_mconn_ops *ops,
    unsigned threads, unsigned timeout)
{
	listen_fd = lfd;
	is_tcp = tcp;
	the_ops = ops;
	conn_timeout = timeout;
	if (threads < 1)
		threads = 1;
	if ((stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		mk_error("eventfd: %s", strerror(errno));
		return -1;
	}
	loops = mk_calloc(threads, sizeof(*loops));
	for (unsigned i = 0; i < threads; i++) {
		struct loop *l = &loops[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &stop_mark };

		struct epoll_event wev = { .events = EPOLLIN,
		    .data.ptr = &wake_mark };

		pthread_mutex_init(&l->lock, NULL);
		l->tail = &l->calls;
		if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    (l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
		    epoll_ctl(l->ep, EPOLL_CTL_ADD, stop_fd, &ev) < 0 ||
		    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake_fd, &wev) < 0 ||
		    arm_listen(l) < 0) {
			mk_error("cannot set up event loop %u: %s", i, strerror(errno));
			if (l->ep >= 0)
				close(l->ep);
			if (l->wake_fd > 0)
				close(l->wake_fd);
			break;
		}
		if (pthread_create(&l->tid, NULL, loop_main, l) != 0) {
			mk_error("cannot start event loop %u", i);
			close(l->ep);
			break;
		}
		nloops++;
	}
	if (nloops == threads)
		return 0;
	mk_mengine_stop();
	mk_mengine_wait();
	return -1;
}

void
mk_mengine_wait(void)
{
	for (unsigned i = 0; i < nloops; i++) {
		pthread_join(loops[i].tid, NULL);
		close(loops[i].ep);
		close(loops[i].wake_fd);
		pthread_mutex_destroy(&loops[i].lock);
	}
	free(loops);
	loops = NULL;
	nloops = 0;
	if (stop_fd >= 0)
		close(stop_fd);
	stop_fd = -1;
}
