/*
 * conn.c - one client connection of milterkit-policyd (server.h): its
 * parser, its message in progress, its queue of unsent replies.
 *
 * A closed connection is only marked dead and unregistered here; its
 * memory is freed by pd_conn_reap() at the end of the loop iteration, so
 * the iteration's epoll events and touched list that still name it stay
 * safe.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "server.h"

/* Describe the peer for log lines: its address, or the pid of a local one. */
static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)))
		snprintf(buf, len, "%s", a);
	else if (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a,
	    sizeof(a)))
		snprintf(buf, len, "%s", a);
	else if (ss.ss_family == AF_UNIX) {
		struct ucred uc;
		socklen_t ul = sizeof(uc);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0)
			snprintf(buf, len, "local pid=%ld", (long)uc.pid);
		else
			snprintf(buf, len, "local");
	}
}

static void
set_events(struct pd_server *s, struct pd_conn *c, unsigned ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events || c->dead)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		mk_warn("epoll_ctl %s: %s", c->peer, strerror(errno));
	c->events = ev;
}

/* Read while the client has output room; pause it when replies pile up. */
static void
update_events(struct pd_server *s, struct pd_conn *c)
{
	unsigned ev = 0;

	if (!c->eof && c->olen - c->ooff < PD_OUT_HIGH)
		ev |= EPOLLIN;
	if (c->olen > c->ooff)
		ev |= EPOLLOUT;
	set_events(s, c, ev);
}

struct pd_conn *
pd_conn_new(struct pd_server *s, int fd)
{
	struct pd_conn *c = mk_calloc(1, sizeof(*c));
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };

	c->fd = fd;
	c->parser = pd_parser_new(&s->lim);
	c->last = s->now_ms;
	c->events = EPOLLIN;
	peer_name(fd, c->peer, sizeof(c->peer));
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		mk_warn("epoll_ctl %s: %s", c->peer, strerror(errno));
		pd_parser_free(c->parser);
		free(c);
		close(fd);
		return NULL;
	}
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	return c;
}

void
pd_conn_close(struct pd_server *s, struct pd_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	/* Leaves the touched list too: reap runs after the flush. */
	if (!c->touched) {
		c->tnext = s->dead;
		s->dead = c;
	}
}

/* Free the connections closed in this iteration. */
void
pd_conn_reap(struct pd_server *s)
{
	while (s->dead != NULL) {
		struct pd_conn *c = s->dead;

		s->dead = c->tnext;
		pd_parser_free(c->parser);
		free(c->out);
		free(c);
	}
}

/* Put c on the list of connections to flush after this iteration. */
static void
touch(struct pd_server *s, struct pd_conn *c)
{
	if (c->touched)
		return;
	c->touched = 1;
	c->tnext = s->touched;
	s->touched = c;
}

/* Feed n octets to the parser; 0 while the connection is healthy. */
static int
feed(struct pd_server *s, struct pd_conn *c, const char *buf, size_t n)
{
	struct pd_request rq;
	size_t off = 0, used;

	while (off < n) {
		int rc = pd_parser_feed(c->parser, buf + off, n - off, &used, &rq);

		off += used;
		if (rc == PD_REQ_DONE) {
			pd_server_request(s, c, &rq);
		} else if (rc == PD_REQ_MALFORMED) {
			mk_warn("malformed request from %s: %s", c->peer,
			    pd_parser_error(c->parser));
			pd_conn_close(s, c);
			return -1;
		}
	}
	return 0;
}

void
pd_conn_read(struct pd_server *s, struct pd_conn *c)
{
	char buf[PD_READ_CHUNK];

	for (int i = 0; i < PD_READS_MAX && !c->dead; i++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0 || pd_parser_pending(c->parser) > 0)
				mk_debug("%s left in the middle of a request (%s)",
				    c->peer, n < 0 ? strerror(errno) : "EOF");
			c->eof = 1;
			/* Replies queued for it this round go out, then it closes. */
			touch(s, c);
			return;
		}
		c->last = s->now_ms;
		if (feed(s, c, buf, (size_t)n) < 0)
			return;
		if ((size_t)n < sizeof(buf))
			break;
	}
}

void
pd_conn_queue(struct pd_server *s, struct pd_conn *c, const char *reply)
{
	size_t n = strlen(reply) + sizeof("action=\n\n") - 1;

	if (c->dead)
		return;
	if (c->ooff > 0 && c->ooff == c->olen)
		c->ooff = c->olen = 0;
	if (c->olen + n + 1 > c->ocap) {
		c->ocap = (c->olen + n + 1) * 2;
		c->out = mk_realloc(c->out, c->ocap);
	}
	snprintf(c->out + c->olen, c->ocap - c->olen, "action=%s\n\n", reply);
	c->olen += n;
	touch(s, c);
}

/* Write what the socket takes; the rest waits for EPOLLOUT. */
void
pd_conn_flush(struct pd_server *s, struct pd_conn *c)
{
	while (!c->dead && c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->out + c->ooff, c->olen - c->ooff,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			mk_debug("%s: write: %s", c->peer, strerror(errno));
			pd_conn_close(s, c);
			return;
		}
		c->ooff += (size_t)n;
	}
	if (c->dead)
		return;
	if (c->eof && c->ooff == c->olen) {
		pd_conn_close(s, c);
		return;
	}
	update_events(s, c);
}
