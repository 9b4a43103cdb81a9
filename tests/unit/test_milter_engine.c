/*
 * test_milter_engine.c - tests of common/milter_engine.c: the engine runs
 * in-process (one event loop) on a unix socket in a temp directory or on
 * loopback, and the test plays the MTA over real sockets. Every wait is
 * bounded; teardown stops the engine and closes what the test opened.
 *
 * The wall clock is the test's own: clock_gettime(), time() and
 * gettimeofday() below replace the C library's for the whole program, so
 * that a test can step the wall clock and show that the engine does not
 * read it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "mk_milter_conn.h"
#include "mk_milter_engine.h"
#include "sections.h"

#define WAIT_MS		5000	/* longest wait for anything the engine sends */
#define HELO_LEN	13	/* "hNNNNNN": 4 + 1 + 8 octets */
#define ANSWER_LEN	23	/* 'y' "550 5.7.1 hNNNNNN": 4 + 1 + 18 octets */

/* ---- a wall clock the test can step ---------------------------------------- */

static long wall_step;		/* seconds added to the wall clock */

static int
real_clock(clockid_t id, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, id, ts);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = real_clock(id, ts);

	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += __atomic_load_n(&wall_step, __ATOMIC_RELAXED);
	return rc;
}

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (t != NULL)
		*t = now;
	return now;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

/* ---- the filter: every HELO refused with a reply naming it ---------------- */

static unsigned long helos;	/* HELO callbacks run */
static unsigned long closes;	/* close callbacks run */
static size_t out_max;		/* most output waiting at a HELO callback */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logged[4096];

static void
sink(enum mk_log_level level, const char *line, void *arg)
{
	size_t n;

	(void)level;
	(void)arg;
	pthread_mutex_lock(&log_lock);
	n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

static int
log_has(const char *text)
{
	int found;

	pthread_mutex_lock(&log_lock);
	found = strstr(logged, text) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static int
e_negotiate(struct mk_mconn *mc, unsigned long a, unsigned long s,
    unsigned long *pa, unsigned long *ps)
{
	(void)mc;
	(void)a;
	(void)s;
	*pa = 0;
	*ps = 0;		/* every stage answered */
	return 0;
}

/* The reply carries the HELO name, so that the answers can be told apart. */
static sfsistat
e_helo(struct mk_mconn *mc, const char *name)
{
	size_t len;

	mk_mconn_output(mc, &len);
	if (len > __atomic_load_n(&out_max, __ATOMIC_RELAXED))
		__atomic_store_n(&out_max, len, __ATOMIC_RELAXED);
	__atomic_add_fetch(&helos, 1, __ATOMIC_RELAXED);
	if (mk_mconn_setreply(mc, "550", "5.7.1", name) < 0)
		return SMFIS_TEMPFAIL;
	return SMFIS_REJECT;
}

static void
e_close(struct mk_mconn *mc)
{
	(void)mc;
	__atomic_add_fetch(&closes, 1, __ATOMIC_RELAXED);
}

static const struct mk_mconn_ops eops = {
	.negotiate = e_negotiate,
	.helo = e_helo,
	.close = e_close,
};

/* ---- the engine and its socket --------------------------------------------- */

static struct {
	char dir[64];
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	int tcp;
	int lfd;
	int started;
	int fds[8];		/* the MTA's connections */
	int nfds;
} fx;

static int
setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.lfd = -1;
	logged[0] = '\0';
	__atomic_store_n(&helos, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&closes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&out_max, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&wall_step, 0, __ATOMIC_RELAXED);
	mk_log_set_sink(sink, NULL);
	mk_log_set_level(MK_LOG_INFO);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (fx.started) {
		mk_mengine_stop();
		mk_mengine_wait();
	}
	for (int i = 0; i < fx.nfds; i++)
		close(fx.fds[i]);
	if (fx.lfd >= 0)
		close(fx.lfd);
	if (fx.dir[0] != '\0') {
		unlink(fx.sun.sun_path);
		rmdir(fx.dir);
	}
	__atomic_store_n(&wall_step, 0, __ATOMIC_RELAXED);
	mk_log_set_sink(NULL, NULL);
	return 0;
}

/* Serve a unix socket in a temp directory with one loop. */
static void
start_unix(unsigned timeout)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fx.dir, sizeof(fx.dir), "%s/mk_engine.XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx.dir));
	fx.sun.sun_family = AF_UNIX;
	snprintf(fx.sun.sun_path, sizeof(fx.sun.sun_path), "%s/m.sock", fx.dir);
	fx.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fx.lfd >= 0);
	assert_int_equal(bind(fx.lfd, (struct sockaddr *)&fx.sun,
	    sizeof(fx.sun)), 0);
	assert_int_equal(listen(fx.lfd, 16), 0);
	assert_int_equal(mk_mengine_start(fx.lfd, 0, &eops, 1, timeout), 0);
	fx.started = 1;
}

/* Serve 127.0.0.1 on a free port; sndbuf > 0 sets the listening socket's
 * send buffer, which the connections it accepts inherit. */
static void
start_tcp(unsigned timeout, int sndbuf)
{
	socklen_t sl = sizeof(fx.sin);

	fx.tcp = 1;
	fx.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fx.lfd >= 0);
	if (sndbuf > 0)
		assert_int_equal(setsockopt(fx.lfd, SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof(sndbuf)), 0);
	fx.sin.sin_family = AF_INET;
	fx.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fx.lfd, (struct sockaddr *)&fx.sin,
	    sizeof(fx.sin)), 0);
	assert_int_equal(getsockname(fx.lfd, (struct sockaddr *)&fx.sin, &sl), 0);
	assert_int_equal(listen(fx.lfd, 16), 0);
	assert_int_equal(mk_mengine_start(fx.lfd, 1, &eops, 1, timeout), 0);
	fx.started = 1;
}

/* ---- the MTA's side ---------------------------------------------------------- */

/* 1 if fd is ready for events within ms. */
static int
ready(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1;
}

/* Read len octets, waiting up to WAIT_MS for each piece of at most chunk;
 * the count read (short at end of file or when nothing comes). */
static size_t
read_full(int fd, void *buf, size_t len, size_t chunk)
{
	size_t got = 0;

	while (got < len && ready(fd, POLLIN, WAIT_MS)) {
		size_t want = len - got < chunk ? len - got : chunk;
		ssize_t n = recv(fd, (char *)buf + got, want, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		done += (size_t)n;
	}
}

/* One packet at b; its size. */
static size_t
packet(unsigned char *b, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(b, &n, 4);
	b[4] = (unsigned char)cmd;
	memcpy(b + 5, data, len);
	return 5 + len;
}

static size_t
helo_packet(unsigned char *b, unsigned i)
{
	char name[9];

	snprintf(name, sizeof(name), "h%06u", i % 1000000);
	return packet(b, SMFIC_HELO, name, 8);
}

/* 1 if p holds the answer to HELO number i, whole. */
static int
is_answer(const unsigned char *p, unsigned i)
{
	char want[ANSWER_LEN + 1];

	memcpy(want, "\0\0\0\x13y", 5);
	snprintf(want + 5, sizeof(want) - 5, "550 5.7.1 h%06u", i % 1000000);
	return memcmp(p, want, ANSWER_LEN) == 0;	/* the NUL too */
}

/* Connect as an MTA (rcvbuf > 0: that receive buffer) and negotiate. */
static int
mta_open(int rcvbuf)
{
	uint32_t w[3] = { htonl(6), htonl(0x1ff), htonl(0x1fffff) };
	unsigned char b[64];
	int fd = socket(fx.tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(fx.nfds < 8);
	fx.fds[fx.nfds++] = fd;
	if (rcvbuf > 0)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf)), 0);
	if (fx.tcp)
		assert_int_equal(connect(fd, (struct sockaddr *)&fx.sin,
		    sizeof(fx.sin)), 0);
	else
		assert_int_equal(connect(fd, (struct sockaddr *)&fx.sun,
		    sizeof(fx.sun)), 0);
	send_all(fd, b, packet(b, SMFIC_OPTNEG, w, 12));
	assert_int_equal(read_full(fd, b, 17, 17), 17);
	assert_int_equal(b[4], SMFIC_OPTNEG);
	return fd;
}

/* HELO number i and its answer: 1 if answered, 0 if not (closed). */
static int
helo_roundtrip(int fd, unsigned i)
{
	unsigned char b[ANSWER_LEN];
	size_t n = helo_packet(b, i);

	if (send(fd, b, n, MSG_NOSIGNAL) != (ssize_t)n)
		return 0;
	return read_full(fd, b, ANSWER_LEN, ANSWER_LEN) == ANSWER_LEN &&
	    is_answer(b, i);
}

/* 1 if the engine closed fd (end of file or reset waiting to be read). */
static int
closed_by_engine(int fd)
{
	char c;

	return ready(fd, POLLIN, 0) && recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* ---- tests ---------------------------------------------------------------------- */

/* The default outlasts the MTAs' own waits (libmilter's 7,210 s): a milter
 * that negotiated the body away hears nothing during a long DATA. */
static void
test_timeout_default_outlasts_mta(void **state)
{
	static const char *const sections[] = { "suppress", "headers", "chain" };
	struct mk_conf *conf = mk_conf_new_defaults();
	const struct mk_conf_daemon *d;

	(void)state;
	assert_non_null(conf);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		assert_non_null(d = mk_conf_daemon(conf, sections[i]));
		assert_int_equal(d->timeout, 7210);
	}
	mk_conf_free(conf);
}

/* A connection silent for the timeout is closed (and its close callback
 * runs); one that keeps talking, silent for less each time, stays. */
static void
test_silent_connection_closed(void **state)
{
	int quiet, busy, gone = 0;
	unsigned i;

	(void)state;
	start_unix(2);
	quiet = mta_open(0);
	busy = mta_open(0);
	for (i = 0; i < 24 && !gone; i++) {
		assert_true(helo_roundtrip(busy, i));
		usleep(250 * 1000);
		gone = closed_by_engine(quiet);
	}
	assert_true(gone);
	assert_true(helo_roundtrip(busy, i));
	assert_true(log_has("no command for 2 s; connection closed"));
	assert_int_equal(__atomic_load_n(&closes, __ATOMIC_RELAXED), 1);
}

/* Silence is measured on the monotonic clock: the wall clock jumping a day
 * ahead closes nothing. */
static void
test_wall_clock_step_closes_nothing(void **state)
{
	int fd;

	(void)state;
	start_unix(30);
	fd = mta_open(0);
	assert_true(helo_roundtrip(fd, 1));
	__atomic_store_n(&wall_step, 86400, __ATOMIC_RELAXED);
	usleep(1500 * 1000);		/* a sweep or more */
	assert_false(closed_by_engine(fd));
	assert_true(helo_roundtrip(fd, 2));
	assert_false(log_has("connection closed"));
}

/* An MTA that sends and never reads: the engine stops reading it once
 * MK_MCONN_OUT_HIGH octets of answers wait, so the output stays bounded;
 * when the MTA reads, every answer arrives, in order. */
static void
test_output_bounded_when_mta_does_not_read(void **state)
{
	enum { N = 200000 };		/* 2.6 MB of HELO, 4.6 MB of answers */
	unsigned char *out = malloc((size_t)N * HELO_LEN), *in;
	size_t sent = 0, total = 0, count;
	int fd, stalled = 0;

	(void)state;
	assert_non_null(out);
	for (unsigned i = 0; i < N; i++)
		total += helo_packet(out + total, i);
	start_unix(30);
	fd = mta_open(0);
	while (sent < total) {
		ssize_t n = send(fd, out + sent, total - sent,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* A second without room: the engine stopped reading. */
			if (!ready(fd, POLLOUT, 1000)) {
				stalled = 1;
				break;
			}
		} else {
			fail_msg("send: %s", strerror(errno));
		}
	}
	free(out);
	assert_true(stalled);
	assert_true(__atomic_load_n(&out_max, __ATOMIC_RELAXED) <= MK_MCONN_OUT_HIGH);
	/* Now read: the engine resumes and answers every whole HELO sent. */
	count = sent / HELO_LEN;
	in = malloc(count * ANSWER_LEN);
	assert_non_null(in);
	assert_int_equal(read_full(fd, in, count * ANSWER_LEN, 65536),
	    count * ANSWER_LEN);
	for (size_t i = 0; i < count; i++)
		if (!is_answer(in + i * ANSWER_LEN, (unsigned)i))
			fail_msg("answer %zu missing or out of order", i);
	free(in);
	assert_int_equal(__atomic_load_n(&helos, __ATOMIC_RELAXED), count);
	assert_true(__atomic_load_n(&out_max, __ATOMIC_RELAXED) <= MK_MCONN_OUT_HIGH);
}

/* Answers larger than the socket holds (a small send buffer on the
 * engine's side, a small receive buffer on the MTA's, an MTA that reads
 * late and a little at a time) are written in parts as room comes: every
 * answer arrives, whole and in order. */
static void
test_partial_writes_all_answers_arrive(void **state)
{
	enum { N = 8000 };		/* 104 kB of HELO, 184 kB of answers */
	unsigned char *out = malloc((size_t)N * HELO_LEN);
	unsigned char *in = malloc((size_t)N * ANSWER_LEN);
	size_t total = 0;
	int fd;

	(void)state;
	assert_non_null(out);
	assert_non_null(in);
	for (unsigned i = 0; i < N; i++)
		total += helo_packet(out + total, i);
	start_tcp(30, 4096);
	fd = mta_open(4096);
	send_all(fd, out, total);
	/* Everything decoded before the MTA reads a byte. */
	for (int i = 0; i < WAIT_MS / 10 &&
	    __atomic_load_n(&helos, __ATOMIC_RELAXED) < N; i++)
		usleep(10 * 1000);
	assert_int_equal(__atomic_load_n(&helos, __ATOMIC_RELAXED), N);
	/* Answers piled up unsent: the socket was full. */
	assert_true(__atomic_load_n(&out_max, __ATOMIC_RELAXED) > 64 * 1024);
	assert_int_equal(read_full(fd, in, (size_t)N * ANSWER_LEN, 1000),
	    (size_t)N * ANSWER_LEN);
	for (unsigned i = 0; i < N; i++)
		if (!is_answer(in + (size_t)i * ANSWER_LEN, i))
			fail_msg("answer %u missing or out of order", i);
	assert_false(ready(fd, POLLIN, 0));	/* nothing more */
	free(out);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timeout_default_outlasts_mta,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_connection_closed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_step_closes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_output_bounded_when_mta_does_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_partial_writes_all_answers_arrive, setup, teardown),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests_name("milter_engine", tests, NULL, NULL);
}
