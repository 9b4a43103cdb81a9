/*
 * NAME
 *	nullmilter - the least a milter can be, as a benchmark reference
 * SYNOPSIS
 *	nullmilter [-c | -r | -b] [-i BYTES] [-s USEC] SOCKET_PATH
 * DESCRIPTION
 *	Listens on a unix socket and speaks just enough of the milter
 *	protocol to be used by Postfix or Sendmail: at OPTNEG it asks for
 *	no actions and negotiates away every stage the MTA offers to skip,
 *	it answers "continue" to whatever still needs an answer (end of
 *	message, and any stage the MTA did not let it skip), ignores macros
 *	and aborts, and closes at QUIT. One thread, one epoll loop, no
 *	allocation per packet.
 *
 *	It is what the lab benchmarks (bench/lib/labratio.sh) put beside a
 *	milterkit milter: whatever Postfix spends on a milter that does
 *	nothing is the floor under every milter's figure, so the difference
 *	between the two is the milter's own cost.
 *
 *	With -c it answers "accept" at CONNECT instead (CONNECT is then
 *	neither skipped nor left without an answer): the MTA leaves it out
 *	of the rest of the session, which is the least a milter can cost
 *	for a session it does not look at.
 *
 *	With -r it asks for what a filter chain refusing recipients and
 *	reading headers needs (milterkit-chain with suppress and headers):
 *	RCPT, answered, and the header fields, without reply; it answers
 *	"continue" to each. The difference between a milter and this is
 *	then its own cost, not that of the stages it needs. With -b it asks
 *	for what a signer needs: the header fields and the body, without
 *	reply (milterkit-dkim).
 *
 *	Two options stand in for a signer's own work, to split what a
 *	signer costs the MTA: -i BYTES inserts one header field of BYTES
 *	bytes (name, colon, value) at the top at end of message, as a
 *	signer inserts its DKIM-Signature (asking for the add-header
 *	action); -s USEC spends USEC microseconds of CPU at end of message,
 *	on its one loop, before answering (as a signer signing on its event
 *	loop does).
 *
 *	It shares no code with milterkit on purpose (a reference must not
 *	inherit what it is compared with). Runs until SIGTERM or SIGINT;
 *	the socket is removed at exit.
 * DIAGNOSTICS
 *	Exit 2 on a usage or set-up error, with a message on stderr; a
 *	malformed packet closes that connection only.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAXPKT		(1024 * 1024 + 4096)	/* as libmilter bounds it */
/* Protocol 6 flags: NOCONNECT..NOEOH, NR_HDR, NOUNKNOWN, NODATA, NR_*. */
#define NO_STAGES	0x000ff3ffUL

struct conn {
	int	fd;
	uint32_t proto;			/* protocol flags agreed at OPTNEG */
	size_t	len;			/* bytes held in buf */
	unsigned char buf[65536 + 4096];
};

static volatile sig_atomic_t stop;
static int accept_connect;		/* -c */
static int rcpt_headers;		/* -r */
static int headers_body;		/* -b */
static unsigned insert_bytes;		/* -i */
static unsigned spend_usec;		/* -s */
static char insert_value[16384];	/* -i: the field's value */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
put(int fd, char cmd, const void *data, uint32_t n)
{
	static unsigned char pkt[5 + 4 + 16 + sizeof(insert_value)];
	uint32_t len = htonl(n + 1);

	memcpy(pkt, &len, 4);
	pkt[4] = (unsigned char)cmd;
	if (n > 0)
		memcpy(pkt + 5, data, n);
	return write(fd, pkt, 5 + n) == (ssize_t)(5 + n) ? 0 : -1;
}

/* The no-reply flag of a stage's command; 0 = always answered. */
static uint32_t
no_reply_flag(unsigned char cmd)
{
	static const char cmds[] = "CHMRTUNBL";
	static const uint32_t flags[] = { 0x1000, 0x2000, 0x4000, 0x8000,
	    0x10000, 0x20000, 0x40000, 0x80000, 0x80 };
	const char *p = cmd != 0 ? strchr(cmds, cmd) : NULL;

	return p != NULL ? flags[p - cmds] : 0;
}

/* -s: USEC microseconds of this thread's CPU, spent. */
static void
spend(unsigned usec)
{
	struct timespec t0, t;
	long long ns;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		ns = (t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec);
	} while (ns < (long long)usec * 1000);
}

/* -i: the insert-header packet's data: index 0, name, value. */
static int
insert(int fd)
{
	unsigned char d[4 + 16 + sizeof(insert_value)];
	static const char name[] = "X-Null-Signature";
	size_t vn = strlen(insert_value);

	memset(d, 0, 4);
	memcpy(d + 4, name, sizeof(name));
	memcpy(d + 4 + sizeof(name), insert_value, vn + 1);
	return put(fd, 'i', d, (uint32_t)(4 + sizeof(name) + vn + 1));
}

/* One packet: 0 = go on, -1 = close the connection. */
static int
packet(struct conn *c, unsigned char cmd, const unsigned char *d, uint32_t n)
{
	uint32_t w[3];

	switch (cmd) {
	case 'O':			/* version, actions, protocol offered */
		if (n < 12)
			return -1;
		memcpy(w, d, 12);
		w[1] = insert_bytes > 0 ? htonl(0x1) : 0;	/* ADDHDRS */
		c->proto = ntohl(w[2]) & NO_STAGES;
		if (accept_connect)	/* CONNECT sent, and answered */
			c->proto &= ~(uint32_t)(0x1 | 0x1000);
		if (rcpt_headers)	/* RCPT answered, headers sent */
			c->proto &= ~(uint32_t)(0x8 | 0x8000 | 0x20);
		if (headers_body)	/* headers and body sent, no reply */
			c->proto &= ~(uint32_t)(0x20 | 0x10);
		w[2] = htonl(c->proto);
		return put(c->fd, 'O', w, 12);
	case 'D': case 'A': case 'K':	/* macros, abort, quit-new-connection */
		return 0;
	case 'Q':
		return -1;
	case 'E':
		if (spend_usec > 0)
			spend(spend_usec);
		if (insert_bytes > 0 && insert(c->fd) < 0)
			return -1;
		return put(c->fd, 'c', NULL, 0);
	case 'C':
		if (accept_connect)
			return put(c->fd, 'a', NULL, 0);
		/* FALLTHROUGH */
	default:	/* EOM, or a stage the MTA would not let it skip */
		if (c->proto & no_reply_flag(cmd))
			return 0;
		return put(c->fd, 'c', NULL, 0);
	}
}

/* Read what is there and answer every whole packet in it. */
static int
serve(struct conn *c)
{
	ssize_t r;
	size_t off = 0;
	uint32_t len;

	r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (r <= 0)
		return r < 0 && errno == EAGAIN ? 0 : -1;
	c->len += (size_t)r;
	while (c->len - off >= 4) {
		memcpy(&len, c->buf + off, 4);
		len = ntohl(len);
		if (len == 0 || len > MAXPKT)
			return -1;
		if (len + 4 > sizeof(c->buf))
			return -1;	/* bodies are negotiated away */
		if (c->len - off < 4 + len)
			break;
		if (packet(c, c->buf[off + 4], c->buf + off + 5, len - 1) < 0)
			return -1;
		off += 4 + len;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev, evs[64];
	int lfd, ep, n;

	while ((n = getopt(argc, argv, "crbi:s:")) != -1) {
		switch (n) {
		case 'c': accept_connect = 1; break;
		case 'r': rcpt_headers = 1; break;
		case 'b': headers_body = 1; break;
		case 'i': insert_bytes = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': spend_usec = (unsigned)strtoul(optarg, NULL, 10); break;
		default: argc = 0; break;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc != 1 || strlen(argv[0]) >= sizeof(sun.sun_path) ||
	    accept_connect + rcpt_headers + headers_body > 1 ||
	    (insert_bytes > 0 && (insert_bytes < 20 ||
	    insert_bytes >= sizeof(insert_value))) || spend_usec > 1000000) {
		fprintf(stderr, "usage: nullmilter [-c | -r | -b] [-i BYTES]"
		    " [-s USEC] SOCKET_PATH\n"
		    "  -i: 20 <= BYTES < %zu; -s: USEC <= 1000000\n",
		    sizeof(insert_value));
		return 2;
	}
	if (insert_bytes > 0) {	/* folded as milterkit-dkim folds: "\n\t" */
		size_t vn = insert_bytes - sizeof("X-Null-Signature:") + 1;

		for (size_t i = 0; i < vn; i++)
			insert_value[i] = i % 72 == 70 ? '\n' :
			    i % 72 == 71 ? '\t' : i % 72 == 0 ? ' ' : 'a' + i % 26;
		insert_value[vn] = '\0';
	}
	strcpy(sun.sun_path, argv[0]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	unlink(argv[0]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(argv[0], 0666) < 0 || listen(lfd, 256) < 0 ||
	    (ep = epoll_create1(0)) < 0) {
		fprintf(stderr, "nullmilter: %s: %s\n", argv[0], strerror(errno));
		return 2;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		n = epoll_wait(ep, evs, 64, 500);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0 || (c = calloc(1, sizeof(*c))) == NULL) {
					if (fd >= 0)
						close(fd);
					continue;
				}
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			} else if (serve(c) < 0) {
				close(c->fd);	/* also leaves the epoll set */
				free(c);
			}
		}
	}
	unlink(argv[0]);
	return 0;
}
