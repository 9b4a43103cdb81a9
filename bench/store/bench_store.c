/*
 * NAME
 *	bench_store - import and lookup figures of the suppression store
 * SYNOPSIS
 *	bench_store -d DIR [-n entries] [-m map_bytes] [-l lookups]
 *		[-t max_threads]
 * DESCRIPTION
 *	Generates N suppression entries with a fixed-seed generator
 *	(realistic shapes: first.last, initials and digits, role accounts,
 *	big providers and a long tail of domains; 10% scoped to one of 20
 *	sender domains; 2% whole "@domain" entries), imports them through
 *	the import API into a new store under DIR, then runs four-key
 *	lookups (mk_supp_lookup with a sender domain; half for imported
 *	entries, half for addresses never imported): one pass on a freshly
 *	opened read-only handle (every page touched faults in: "cold map"),
 *	then warm passes (a long-running milter's steady state) on 1 thread
 *	and on up to max_threads threads. Every 8th lookup is timed alone with
 *	clock_gettime for the median and p99; the whole run gives
 *	lookups per second. Prints bytes per entry (file and used pages).
 *	DIR must not hold a store already; the caller removes it.
 * DIAGNOSTICS
 *	Exit 1 with a message on any store error.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mk_store.h"

#define NOW 1800000000
#define SEED 0x6d696c7465726b69ULL
#define NSCOPES 20
#define SAMPLE_EVERY 8

static const char *const syl[32] = {
	"an", "be", "ca", "do", "el", "fi", "ga", "ho", "in", "ja", "ke", "lo",
	"ma", "ne", "ol", "pa", "qu", "ri", "sa", "to", "ul", "va", "wi", "xe",
	"ya", "zo", "mar", "tin", "son", "ber", "ley", "ric"
};
static const char *const big[10] = {
	"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com",
	"icloud.com", "gmx.de", "web.de", "orange.fr", "mail.ru"
};
static const char *const tld[8] = {
	"com", "net", "org", "de", "co.uk", "fr", "example", "io"
};
static const char *const role[8] = {
	"info", "sales", "support", "billing", "admin", "contact", "office",
	"hello"
};

struct query {
	char rcpt[120];		/* generated addresses are short */
	char scope[24];
};

struct worker {
	struct mk_store *st;
	const struct query *q;
	size_t n;
	double *lat;		/* sampled latencies, ns */
	size_t nlat;
	size_t hits;
	double secs;
};

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
word(char *p, uint64_t r, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++, r >>= 5)
		len += (size_t)sprintf(p + len, "%s", syl[r & 31]);
	return len;
}

static void
gen_domain(char *d, uint64_t r)
{
	if (r % 10 < 3) {
		strcpy(d, big[(r >> 8) % 10]);
		return;
	}
	size_t len = word(d, r >> 12, 2 + (int)((r >> 4) % 2));
	if ((r >> 40) % 4 == 0)
		len += (size_t)sprintf(d + len, "-mail");
	if ((r >> 42) % 2 == 0)
		len += (size_t)sprintf(d + len, "%u", (unsigned)(r >> 44) % 1000);
	sprintf(d + len, ".%s", tld[(r >> 56) % 8]);
}

/* gen_entry - entry number i, the same for every run */
static void
gen_entry(uint64_t i, struct mk_supp_entry *e)
{
	uint64_t r = mix(SEED ^ (i * 0x2545f4914f6cdd1dULL)), s = mix(r);
	char local[96], dom[64];
	size_t len;

	gen_domain(dom, s);
	switch (r % 100) {
	case 0 ... 39:
		len = word(local, r >> 8, 2);
		local[len++] = '.';
		word(local + len, r >> 20, 3);
		break;
	case 40 ... 59:
		local[0] = syl[(r >> 8) & 31][0];	/* initial, last name */
		len = 1 + word(local + 1, r >> 14, 3);
		sprintf(local + len, "%02u", (unsigned)((r >> 40) % 100));
		break;
	case 60 ... 74:
		len = word(local, r >> 8, 2);
		sprintf(local + len, "%u", (unsigned)((r >> 30) % 10000));
		break;
	case 75 ... 89:
		len = word(local, r >> 8, 2);
		local[len++] = '_';
		word(local + len, r >> 20, 2);
		break;
	case 90 ... 97:
		sprintf(local, "%s", role[(r >> 8) % 8]);
		break;
	default:
		local[0] = '\0';	/* the whole domain, never a big provider */
		if (s % 10 < 3) {
			uint64_t t = mix(s);

			while (t % 10 < 3)
				t = mix(t);
			gen_domain(dom, t);
		}
	}
	memset(e, 0, sizeof(*e));
	if (i % 10 == 0)
		sprintf(e->scope, "sender%02u.example", (unsigned)((s >> 32) %
		    NSCOPES));
	snprintf(e->target, sizeof(e->target), "%s@%s", local, dom);
	e->reason = 1 + (int)((s >> 20) % 4);
	e->created = NOW - (int64_t)((s >> 24) % 1000000);
	e->expires = (s >> 44) % 5 == 0 ? NOW + 86400 : 0;
	if (e->reason == MK_REASON_BOUNCE)
		strcpy(e->note, "550 5.1.1 user unknown");
}

static int
fail(const char *what, int rc)
{
	fprintf(stderr, "bench_store: %s: %s (%s)\n", what,
	    mk_store_strerror(rc), mk_store_errdetail(NULL));
	return 1;
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	struct mk_supp_entry hit;
	struct timespec a, b;
	double t0 = now_s();

	for (size_t i = 0; i < w->n; i++) {
		const struct query *q = &w->q[i];
		int rc;

		if (i % SAMPLE_EVERY == 0) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			rc = mk_supp_lookup(w->st, q->rcpt, q->scope, NOW, &hit);
			clock_gettime(CLOCK_MONOTONIC, &b);
			w->lat[w->nlat++] = (b.tv_sec - a.tv_sec) * 1e9 +
			    (b.tv_nsec - a.tv_nsec);
		} else {
			rc = mk_supp_lookup(w->st, q->rcpt, q->scope, NOW, &hit);
		}
		if (rc == 0)
			w->hits++;
		else if (rc != MK_STORE_ENOTFOUND)
			exit(fail("lookup", rc));
	}
	w->secs = now_s() - t0;
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
make_queries(struct query *q, size_t n, uint64_t entries)
{
	struct mk_supp_entry e;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = mix(i ^ 0x5151);
		uint64_t idx = i % 2 ? entries + r % (entries * 4) : r % entries;

		gen_entry(idx, &e);
		if (e.target[0] == '@')
			strcpy(q[i].rcpt, "someone");
		else
			q[i].rcpt[0] = '\0';
		if (strlen(q[i].rcpt) + strlen(e.target) >= sizeof(q[i].rcpt) ||
		    strlen(e.scope) >= sizeof(q[i].scope))
			abort();	/* the generator makes short strings */
		strcat(q[i].rcpt, e.target);
		if (e.scope[0] != '\0')
			strcpy(q[i].scope, e.scope);
		else
			sprintf(q[i].scope, "sender%02u.example",
			    (unsigned)(r >> 40) % NSCOPES);
	}
}

static void
lookups(struct mk_store *st, const struct query *q, size_t n, int threads,
    const char *what)
{
	struct worker w[8];
	pthread_t id[8];
	double *all = malloc((n / SAMPLE_EVERY + 16) * sizeof(double)), wall = 0;
	size_t per = n / (size_t)threads, nlat = 0, hits = 0;

	if (all == NULL)
		exit(fail("samples", MK_STORE_EIO));

	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){ st, q + t * per, per,
		    all + nlat, 0, 0, 0 };
		nlat += per / SAMPLE_EVERY + 1;
		pthread_create(&id[t], NULL, run_worker, &w[t]);
	}
	nlat = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(id[t], NULL);
		memmove(all + nlat, w[t].lat, w[t].nlat * sizeof(double));
		nlat += w[t].nlat;
		hits += w[t].hits;
		wall = w[t].secs > wall ? w[t].secs : wall;
	}
	qsort(all, nlat, sizeof(double), cmp_d);
	printf("lookup %s, %d thread%s: %zu four-key lookups, %.1f%% hits,"
	    " median %.2f us, p99 %.2f us, %.0f lookups/s\n", what, threads,
	    threads > 1 ? "s" : "", per * threads, 100.0 * hits / (per * threads),
	    all[nlat / 2] / 1e3, all[nlat * 99 / 100] / 1e3,
	    per * threads / wall);
	free(all);
}

int
main(int argc, char **argv)
{
	struct mk_store_opts o = { 0, { 0, 0, 0 } };
	unsigned long long n = 1000000, nl = 2000000;
	struct mk_supp_import *imp;
	struct mk_supp_entry e;
	struct mk_store_info in;
	struct mk_store *st;
	const char *dir = NULL;
	struct query *q;
	int c, rc, maxthr = 2;
	double t0, t1, t2;
	size_t added, replaced;

	while ((c = getopt(argc, argv, "d:n:m:l:t:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'm': o.map_size = strtoll(optarg, NULL, 10); break;
		case 'l': nl = strtoull(optarg, NULL, 10); break;
		case 't': maxthr = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (dir == NULL || n == 0 || nl < 16 || maxthr < 1 || maxthr > 8)
		goto usage;
	if ((rc = mk_store_open(dir, MK_STORE_CREATE, &o, &st)) != 0)
		return fail("open", rc);
	t0 = now_s();
	if ((rc = mk_supp_import_begin(st, &imp)) != 0)
		return fail("import", rc);
	for (uint64_t i = 0; i < n; i++) {
		gen_entry(i, &e);
		if ((rc = mk_supp_import_add(imp, &e)) != 0)
			return fail("import add", rc);
	}
	t1 = now_s();
	if ((rc = mk_supp_import_commit(imp, &added, &replaced)) != 0)
		return fail("import commit", rc);
	t2 = now_s();
	printf("import: %llu generated, %zu stored (%zu duplicates merged):"
	    " %.2f s total (%.2f s generate+add, %.2f s sort+write+commit),"
	    " %.0f entries/s\n", n, added, (size_t)n - added - replaced,
	    t2 - t0, t1 - t0, t2 - t1, n / (t2 - t0));
	if ((rc = mk_store_info(st, NOW, &in)) != 0)
		return fail("info", rc);
	printf("disk: file %lld bytes, used %lld bytes, map %lld bytes;"
	    " %.1f file bytes/entry, %.1f used bytes/entry\n", in.file_bytes,
	    in.used_bytes, in.map_size, (double)in.file_bytes / in.entries,
	    (double)in.used_bytes / in.entries);
	mk_store_close(st);
	if ((rc = mk_store_open(dir, MK_STORE_RDONLY, NULL, &st)) != 0)
		return fail("open read-only", rc);
	q = malloc(nl * sizeof(*q));
	if (q == NULL)
		return fail("queries", MK_STORE_EIO);
	make_queries(q, nl, n);
	/* first pass: a fresh handle faults every page it touches in */
	lookups(st, q, nl, 1, "cold map");
	for (int t = 1; t <= maxthr; t++)
		lookups(st, q, nl, t, "warm");
	free(q);
	mk_store_close(st);
	return 0;
usage:
	fprintf(stderr, "usage: bench_store -d DIR [-n entries] [-m map_bytes]"
	    " [-l lookups] [-t max_threads]\n");
	return 2;
}
