/*
 * NAME
 *	milterload - a load generator that speaks the milter protocol as an MTA
 * SYNOPSIS
 *	milterload -s SOCKET [-c CONNS] [-m MSGS | -d SECONDS] [-r RCPTS]
 *		[-R FILE] [-x] [-f ADDR | -F FILE] [-H N] [-b BYTES]
 *		[-A LOGIN] [-M MSGS_PER_CONN] [-t SECONDS]
 * DESCRIPTION
 *	Runs CONNS concurrent milter connections (one thread each) against
 *	any milter and reports messages/s, RCPT/s, replies by kind and
 *	latency percentiles per RCPT round trip and per message. See
 *	bench/README.md, section milterload, and session.c for the dialogue.
 *
 *	This file: options, address lists, the shared message counter,
 *	threads, exit status.
 * DIAGNOSTICS
 *	Exit 0 when the run completed, 1 on a protocol error, timeout or
 *	connection failure (each failing connection's reason is printed on
 *	standard error after the report), 2 on bad usage or input files.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "milterload.h"

#define ML_ADDR_MAX	320		/* longest address read from a file */
#define ML_CONNS_MAX	4096

atomic_int ml_stopping;
static atomic_uint_fast64_t claimed;	/* messages handed out */
static atomic_uint_fast64_t rcpt_rr;	/* round-robin position */
static struct ml_opts opts;
static char *fixed_sender[1];
static double deadline;

double
ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records the first error of a connection and stops the run. */
void
ml_fail(struct ml_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	atomic_store(&ml_stopping, 1);
}

int
ml_claim_message(uint64_t *msgno)
{
	if (atomic_load(&ml_stopping))
		return -1;
	if (opts.messages > 0) {
		*msgno = atomic_fetch_add(&claimed, 1);
		return *msgno < opts.messages ? 0 : -1;
	}
	if (ml_now() >= deadline)
		return -1;
	*msgno = atomic_fetch_add(&claimed, 1);
	return 0;
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

const char *
ml_pick_rcpt(struct ml_conn *c, char *buf, size_t len)
{
	uint64_t i;

	if (opts.rcpt_n == 0) {
		i = atomic_fetch_add(&rcpt_rr, 1);
		snprintf(buf, len, "user%llu@example%llu.test",
		    (unsigned long long)i, (unsigned long long)(i % 1000));
		return buf;
	}
	i = opts.random ? xorshift(&c->rng) : atomic_fetch_add(&rcpt_rr, 1);
	snprintf(buf, len, "%s", opts.rcpt_list[i % opts.rcpt_n]);
	return buf;
}

const char *
ml_pick_sender(struct ml_conn *c, uint64_t msgno, char *buf, size_t len)
{
	(void)c;
	if (opts.sender_n == 0)
		snprintf(buf, len, "news@sender%llu.example",
		    (unsigned long long)(msgno % 20));
	else
		snprintf(buf, len, "%s", opts.sender_list[msgno % opts.sender_n]);
	return buf;
}

/* Reads one address per line (blank and '#' lines skipped); exits 2 on error. */
static char **
read_list(const char *path, size_t *n)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[ML_ADDR_MAX + 4], **v = NULL;
	size_t cap = 0, lineno = 0, l;
	char *p;

	if (fp == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	*n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			fprintf(stderr, "milterload: %s:%zu: line longer than %d "
			    "bytes\n", path, lineno, ML_ADDR_MAX);
			exit(2);
		}
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' ||
		    line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				exit(2);
		}
		if ((v[(*n)++] = strdup(p)) == NULL)
			exit(2);
	}
	if (fp != stdin)
		fclose(fp);
	if (*n == 0) {
		fprintf(stderr, "milterload: %s: no addresses\n", path);
		exit(2);
	}
	return v;
}

/* -E FILE: its header fields and its body, line ends made CRLF. */
static void
read_message(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, *p, *end;
	size_t cap = 0, n = 0;
	int c, prev = 0;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	while ((c = getc(fp)) != EOF) {
		if (n + 3 >= cap && (buf = realloc(buf, cap = cap * 2 + 65536)) == NULL)
			exit(2);
		if (c == '\n' && prev != '\r')
			buf[n++] = '\r';
		buf[n++] = (char)c;
		prev = c;
	}
	fclose(fp);
	if (buf == NULL)
		exit(2);
	buf[n] = '\0';
	p = buf;
	end = buf + n;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		char *e = p, *colon;

		while (e + 1 < end && !(e[0] == '\r' && e[1] == '\n' &&
		    e[2] != ' ' && e[2] != '\t'))
			e++;
		*e = '\0';
		if ((colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			opts.eml_name = realloc(opts.eml_name, (opts.eml_n + 1) *
			    sizeof(char *));
			opts.eml_value = realloc(opts.eml_value, (opts.eml_n + 1) *
			    sizeof(char *));
			if (opts.eml_name == NULL || opts.eml_value == NULL)
				exit(2);
			opts.eml_name[opts.eml_n] = p;
			opts.eml_value[opts.eml_n++] = colon + 1;
		}
		p = e + 2;
	}
	opts.eml_body = p + 2 <= end ? p + 2 : end;
	opts.eml_body_len = (size_t)(end - opts.eml_body);
}

static void
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: milterload -s SOCKET [options]\n"
"  -s SOCKET   unix:/path, inet:PORT@HOST or inet6:PORT@HOST\n"
"  -c N        concurrent connections, one thread each (default 1)\n"
"  -m N        messages in all (default 10000), or\n"
"  -d SECONDS  run for this long\n"
"  -r N        recipients per message (default 1)\n"
"  -R FILE     recipients, one per line, round robin (-x: at random);\n"
"              default: generated userN@exampleM.test\n"
"  -f ADDR     sender of every message, or -F FILE: senders, one per\n"
"              line, by message number; default: news@senderN.example\n"
"  -H N        realistic headers per message (default 0)\n"
"  -E FILE     send this message (header fields and body, line ends made\n"
"              CRLF) instead of -H and -b\n"
"  -b BYTES    body size (default 0), sent in chunks of 65535\n"
"  -A LOGIN    {auth_authen} macro at MAIL (SASL login)\n"
"  -M N        messages per connection before reconnecting (default 100)\n"
"  -t SECONDS  timeout of every read and write (default 10)\n");
	exit(rc);
}

static long
num(const char *s, long lo, long hi, char opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "milterload: -%c: want a number from %ld to %ld: "
		    "%s\n", opt, lo, hi, s);
		exit(2);
	}
	return v;
}

static double
secs(const char *s, char opt)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v > 0) || v > 86400 * 7) {
		fprintf(stderr, "milterload: -%c: want seconds: %s\n", opt, s);
		exit(2);
	}
	return v;
}

static void
parse(int argc, char **argv)
{
	int ch;

	opts.conns = 1;
	opts.rcpts = 1;
	opts.per_conn = 100;
	opts.timeout = 10;
	while ((ch = getopt(argc, argv, "s:c:m:d:r:R:xf:F:H:b:E:A:M:t:h")) != -1) {
		switch (ch) {
		case 's': opts.socket = optarg; break;
		case 'c': opts.conns = (int)num(optarg, 1, ML_CONNS_MAX, 'c'); break;
		case 'm': opts.messages = (uint64_t)num(optarg, 1, 2000000000L, 'm'); break;
		case 'd': opts.duration = secs(optarg, 'd'); break;
		case 'r': opts.rcpts = (int)num(optarg, 1, 1000, 'r'); break;
		case 'R': opts.rcpt_list = read_list(optarg, &opts.rcpt_n); break;
		case 'x': opts.random = 1; break;
		case 'f':
			fixed_sender[0] = optarg;	/* argv outlives the run */
			opts.sender_list = fixed_sender;
			opts.sender_n = 1;
			break;
		case 'F': opts.sender_list = read_list(optarg, &opts.sender_n); break;
		case 'H': opts.headers = (int)num(optarg, 0, 10000, 'H'); break;
		case 'b': opts.body = (size_t)num(optarg, 0, 1L << 30, 'b'); break;
		case 'E': read_message(optarg); break;
		case 'A': opts.auth = optarg; break;
		case 'M': opts.per_conn = (int)num(optarg, 1, 1000000, 'M'); break;
		case 't': opts.timeout = secs(optarg, 't'); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || opts.socket == NULL)
		usage(2);
	if (opts.messages > 0 && opts.duration > 0) {
		fprintf(stderr, "milterload: -m and -d exclude each other\n");
		exit(2);
	}
	if (opts.messages == 0 && opts.duration == 0)
		opts.messages = 10000;
}

static void *
worker(void *arg)
{
	struct ml_conn *c = arg;

	(void)ml_session_run(c);
	return NULL;
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&ml_stopping, 1);
}

int
main(int argc, char **argv)
{
	struct ml_conn **cs;
	struct ml_stats *all;
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t *tids;
	double t0, t1;
	int i, failed = 0;

	parse(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	cs = calloc((size_t)opts.conns, sizeof(*cs));
	tids = calloc((size_t)opts.conns, sizeof(*tids));
	all = calloc(1, sizeof(*all));
	if (cs == NULL || tids == NULL || all == NULL)
		return 2;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = ml_now();
	deadline = t0 + opts.duration;
	for (i = 0; i < opts.conns; i++) {
		if ((cs[i] = calloc(1, sizeof(*cs[i]))) == NULL)
			return 2;
		cs[i]->o = &opts;
		cs[i]->id = i;
		cs[i]->fd = -1;
		cs[i]->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		if ((errno = pthread_create(&tids[i], &attr, worker, cs[i])) != 0) {
			fprintf(stderr, "milterload: thread: %s\n", strerror(errno));
			atomic_store(&ml_stopping, 1);
			free(cs[i]);
			opts.conns = i;
			break;
		}
	}
	for (i = 0; i < opts.conns; i++)
		pthread_join(tids[i], NULL);
	t1 = ml_now();
	for (i = 0; i < opts.conns; i++)
		ml_stats_merge(all, &cs[i]->st);
	ml_stats_report(all, &opts, opts.conns > 0 ? cs[0] : NULL, t1 - t0);
	for (i = 0; i < opts.conns; i++) {
		if (cs[i]->err[0] == '\0')
			continue;
		if (failed++ < 5)
			fprintf(stderr, "milterload: connection %d: %s\n", i,
			    cs[i]->err);
	}
	if (failed > 5)
		fprintf(stderr, "milterload: ... %d connections failed\n", failed);
	for (i = 0; i < opts.conns; i++) {
		free(cs[i]->out);
		free(cs[i]->in);
		free(cs[i]);
	}
	free(cs);
	free(tids);
	free(all);
	pthread_attr_destroy(&attr);
	return failed ? 1 : 0;
}
