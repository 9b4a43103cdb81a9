/*
 * NAME
 *	wire.c - milter packets over a socket, with a timeout on every read
 * SYNOPSIS
 *	int	ml_wire_open(struct ml_conn *c);
 *	void	ml_wire_close(struct ml_conn *c);
 *	void	ml_wire_put(struct ml_conn *c, int cmd, const void *data,
 *			size_t len);
 *	void	ml_wire_put_strs(struct ml_conn *c, int cmd,
 *			const char *const *s, size_t n);
 *	int	ml_wire_flush(struct ml_conn *c);
 *	int	ml_wire_read(struct ml_conn *c, int *cmd);
 * DESCRIPTION
 *	A packet is a 4-byte big-endian length (command byte included), the
 *	command byte and the payload. ml_wire_put() queues one packet in the
 *	connection's output buffer; packets that expect no reply (macros,
 *	abort, stages negotiated to no reply) ride along with the next one
 *	that does, as an MTA's would. ml_wire_flush() writes the buffer.
 *	ml_wire_put_strs() queues a packet whose payload is n strings, each
 *	with its terminating NUL.
 *
 *	ml_wire_open() connects to o->socket: "unix:/path" (or "local:"),
 *	"inet:PORT@HOST", "inet6:PORT@HOST"; TCP gets TCP_NODELAY.
 *	ml_wire_read() reads one reply: its command byte in *cmd, its
 *	payload in c->reply/c->reply_len (valid until the next read).
 * DIAGNOSTICS
 *	Functions return 0, or -1 with c->err set: connect failures, a reply
 *	longer than ML_REPLY_MAX or of length 0, a closed connection, no
 *	byte for o->timeout seconds.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "milterload.h"

static void *
ml_realloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		perror("milterload: realloc");
		exit(1);
	}
	return q;
}

static void
set_timeouts(int fd, double secs)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int
open_unix(struct ml_conn *c, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		ml_fail(c, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		ml_fail(c, "socket: %s", strerror(errno));
		return -1;
	}
	set_timeouts(fd, c->o->timeout);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ml_fail(c, "connect %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_inet(struct ml_conn *c, const char *spec, int family)
{
	char port[16], host[256];
	const char *at = strchr(spec, '@');
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, one = 1;

	if (at == NULL || (size_t)(at - spec) >= sizeof(port) || at == spec
	    || strlen(at + 1) >= sizeof(host) || at[1] == '\0') {
		ml_fail(c, "bad inet socket (want PORT@HOST): %s", spec);
		return -1;
	}
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	strcpy(host, at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		ml_fail(c, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		set_timeouts(fd, c->o->timeout);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	if (fd < 0)
		ml_fail(c, "connect %s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int
ml_wire_open(struct ml_conn *c)
{
	const char *s = c->o->socket;

	c->out_len = 0;
	c->in_len = c->in_off = 0;
	if (strncmp(s, "unix:", 5) == 0)
		c->fd = open_unix(c, s + 5);
	else if (strncmp(s, "local:", 6) == 0)
		c->fd = open_unix(c, s + 6);
	else if (strncmp(s, "inet:", 5) == 0)
		c->fd = open_inet(c, s + 5, AF_INET);
	else if (strncmp(s, "inet6:", 6) == 0)
		c->fd = open_inet(c, s + 6, AF_INET6);
	else if (s[0] == '/')
		c->fd = open_unix(c, s);
	else {
		ml_fail(c, "unknown socket type: %s", s);
		c->fd = -1;
	}
	return c->fd < 0 ? -1 : 0;
}

void
ml_wire_close(struct ml_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
ml_wire_put(struct ml_conn *c, int cmd, const void *data, size_t len)
{
	uint32_t n = (uint32_t)len + 1;
	unsigned char *p;

	if (c->out_len + len + 5 > c->out_cap) {
		c->out_cap = (c->out_len + len + 5) * 2;
		c->out = ml_realloc(c->out, c->out_cap);
	}
	p = c->out + c->out_len;
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	p[4] = (unsigned char)cmd;
	if (len > 0)
		memcpy(p + 5, data, len);
	c->out_len += len + 5;
}

void
ml_wire_put_strs(struct ml_conn *c, int cmd, const char *const *s, size_t n)
{
	char buf[4096];
	size_t i, len = 0, l;

	for (i = 0; i < n; i++) {
		l = strlen(s[i]) + 1;
		if (len + l > sizeof(buf)) {	/* our own strings: never */
			fprintf(stderr, "milterload: packet too long\n");
			abort();
		}
		memcpy(buf + len, s[i], l);
		len += l;
	}
	ml_wire_put(c, cmd, buf, len);
}

int
ml_wire_flush(struct ml_conn *c)
{
	size_t off = 0;
	ssize_t w;

	while (off < c->out_len) {
		w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ml_fail(c, "write: %s", errno == EAGAIN ?
			    "timed out (milter not reading)" : strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	c->out_len = 0;
	return 0;
}

/* Makes at least want bytes available at c->in + c->in_off. */
static int
fill(struct ml_conn *c, size_t want)
{
	struct pollfd pfd;
	ssize_t r;
	int ms = (int)(c->o->timeout * 1000), pr;

	if (c->in_off > 0 && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (c->in_off + want > c->in_cap) {
		if (c->in_off > 0) {
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (want + 4096 > c->in_cap) {
			c->in_cap = want + 4096;
			c->in = ml_realloc(c->in, c->in_cap);
		}
	}
	while (c->in_len - c->in_off < want) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			ml_fail(c, "timeout: no reply within %.1f s", c->o->timeout);
			return -1;
		}
		r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			ml_fail(c, "read: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			ml_fail(c, "milter closed the connection%s",
			    c->in_len > c->in_off ? " in the middle of a reply" : "");
			return -1;
		}
		c->in_len += (size_t)r;
	}
	return 0;
}

int
ml_wire_read(struct ml_conn *c, int *cmd)
{
	const unsigned char *p;
	uint32_t n;

	if (fill(c, 4) < 0)
		return -1;
	p = c->in + c->in_off;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n == 0 || n > ML_REPLY_MAX) {
		ml_fail(c, "malformed reply: length %lu", (unsigned long)n);
		return -1;
	}
	if (fill(c, 4 + (size_t)n) < 0)
		return -1;
	p = c->in + c->in_off;
	*cmd = p[4];
	c->reply = c->in + c->in_off + 5;
	c->reply_len = n - 1;
	c->in_off += 4 + (size_t)n;
	return 0;
}
