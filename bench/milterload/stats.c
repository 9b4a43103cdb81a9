/*
 * NAME
 *	stats.c - latency histograms, counters and the report of milterload
 * SYNOPSIS
 *	void	ml_hist_add(struct ml_hist *h, uint64_t ns);
 *	void	ml_hist_merge(struct ml_hist *to, const struct ml_hist *from);
 *	uint64_t ml_hist_pct(const struct ml_hist *h, double pct);
 *	void	ml_stats_merge(struct ml_stats *to, const struct ml_stats *from);
 *	void	ml_stats_report(const struct ml_stats *s,
 *			const struct ml_opts *o, const struct ml_conn *first,
 *			double seconds);
 * DESCRIPTION
 *	A histogram keeps nanoseconds exactly below 128 and in 64 buckets
 *	per power of two above, so a percentile is within about 1.5% of the
 *	true value whatever the run length; the maximum is exact.
 *	ml_hist_pct() returns the value below which pct percent of the
 *	samples lie (the middle of its bucket), 0 for no samples.
 *
 *	ml_stats_report() prints the figures on standard output, ending
 *	with one "summary key=value ..." line for scripts.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "milterload.h"

static const char *const kind_names[ML_R_NKINDS] = {
	"continue", "accept", "reject", "tempfail", "replycode4xx",
	"replycode5xx", "discard", "skip", "progress", "addheader",
	"insheader", "chgheader", "addrcpt", "addrcpt_par", "delrcpt",
	"replbody", "chgfrom", "quarantine", "shutdown", "conn_fail",
};

static const char *const stage_short[ML_S_NSTAGES] = {
	"connect", "helo", "mail", "rcpt", "data", "header", "eoh", "body",
	"eom",
};

static unsigned
bucket(uint64_t v)
{
	unsigned msb, shift;

	if (v < 128)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - 6;
	return 128 + (msb - 7) * ML_HIST_SUB + (unsigned)((v >> shift) - ML_HIST_SUB);
}

static uint64_t
bucket_mid(unsigned i)
{
	unsigned msb, shift;
	uint64_t lo;

	if (i < 128)
		return i;
	msb = (i - 128) / ML_HIST_SUB + 7;
	shift = msb - 6;
	lo = (uint64_t)((i - 128) % ML_HIST_SUB + ML_HIST_SUB) << shift;
	return lo + ((1ULL << shift) >> 1);
}

void
ml_hist_add(struct ml_hist *h, uint64_t ns)
{
	h->b[bucket(ns)]++;
	h->count++;
	h->sum += ns;
	if (ns > h->max)
		h->max = ns;
}

void
ml_hist_merge(struct ml_hist *to, const struct ml_hist *from)
{
	unsigned i;

	for (i = 0; i < ML_HIST_N; i++)
		to->b[i] += from->b[i];
	to->count += from->count;
	to->sum += from->sum;
	if (from->max > to->max)
		to->max = from->max;
}

uint64_t
ml_hist_pct(const struct ml_hist *h, double pct)
{
	uint64_t want, seen = 0, v;
	unsigned i;

	if (h->count == 0)
		return 0;
	want = (uint64_t)((double)h->count * pct / 100.0 + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < ML_HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want) {
			v = bucket_mid(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void
ml_stats_merge(struct ml_stats *to, const struct ml_stats *from)
{
	int s, k;

	to->messages += from->messages;
	to->delivered += from->delivered;
	to->rcpts += from->rcpts;
	to->connections += from->connections;
	to->body_bytes += from->body_bytes;
	for (s = 0; s < ML_S_NSTAGES; s++)
		for (k = 0; k < ML_R_NKINDS; k++)
			to->replies[s][k] += from->replies[s][k];
	ml_hist_merge(&to->rcpt_lat, &from->rcpt_lat);
	ml_hist_merge(&to->msg_lat, &from->msg_lat);
}

static void
print_lat(const char *what, const struct ml_hist *h)
{
	if (h->count == 0) {
		printf("  %-8s (none: not asked for or not answered)\n", what);
		return;
	}
	printf("  %-8s %9.3f %9.3f %9.3f %9.3f %9.3f %10llu\n", what,
	    (double)h->sum / (double)h->count / 1e6,
	    ml_hist_pct(h, 50) / 1e6, ml_hist_pct(h, 90) / 1e6,
	    ml_hist_pct(h, 99) / 1e6, h->max / 1e6, (unsigned long long)h->count);
}

/* "name N name N ..." for the non-zero kinds of one stage (or all). */
static void
print_kinds(const char *label, const struct ml_stats *s, int stage)
{
	uint64_t n;
	int k, st, any = 0;

	for (k = 0; k < ML_R_NKINDS; k++) {
		n = 0;
		for (st = 0; st < ML_S_NSTAGES; st++)
			if (stage < 0 || stage == st)
				n += s->replies[st][k];
		if (n == 0)
			continue;
		printf("%s%s %llu", any ? ", " : label, kind_names[k],
		    (unsigned long long)n);
		any = 1;
	}
	if (any)
		printf("\n");
}

void
ml_stats_report(const struct ml_stats *s, const struct ml_opts *o,
    const struct ml_conn *first, double secs)
{
	double sec = secs > 0 ? secs : 1e-9;
	int st;

	printf("milterload: %s, %d connections, %d rcpt/msg, %d headers, "
	    "%zu body bytes, %d msgs/connection\n", o->socket, o->conns,
	    o->rcpts, o->headers, o->body, o->per_conn);
	if (first != NULL && first->version != 0)
		printf("negotiated: version %lu, actions 0x%lx, protocol 0x%lx\n",
		    first->version, first->actions, first->proto);
	printf("messages:   %llu in %.2f s: %.1f msg/s (%llu through "
	    "end-of-message)\n", (unsigned long long)s->messages, secs,
	    (double)s->messages / sec, (unsigned long long)s->delivered);
	printf("recipients: %llu: %.1f RCPT/s\n",
	    (unsigned long long)s->rcpts, (double)s->rcpts / sec);
	printf("connections: %llu; body bytes %llu\n",
	    (unsigned long long)s->connections,
	    (unsigned long long)s->body_bytes);
	print_kinds("replies:    ", s, -1);
	for (st = 0; st < ML_S_NSTAGES; st++) {
		char label[32];

		snprintf(label, sizeof(label), "  at %-7s ", stage_short[st]);
		print_kinds(label, s, st);
	}
	printf("latency (ms)   mean       p50       p90       p99       max"
	    "      count\n");
	print_lat("rcpt", &s->rcpt_lat);
	print_lat("message", &s->msg_lat);
	printf("summary messages=%llu seconds=%.3f msg_per_s=%.1f rcpts=%llu "
	    "rcpt_per_s=%.1f rcpt_continue=%llu rcpt_reject=%llu "
	    "rcpt_tempfail=%llu rcpt_p50_ms=%.3f rcpt_p99_ms=%.3f "
	    "msg_p99_ms=%.3f\n",
	    (unsigned long long)s->messages, secs, (double)s->messages / sec,
	    (unsigned long long)s->rcpts, (double)s->rcpts / sec,
	    (unsigned long long)s->replies[ML_S_RCPT][ML_R_CONTINUE],
	    (unsigned long long)(s->replies[ML_S_RCPT][ML_R_REJECT] +
	    s->replies[ML_S_RCPT][ML_R_REPLY5]),
	    (unsigned long long)(s->replies[ML_S_RCPT][ML_R_TEMPFAIL] +
	    s->replies[ML_S_RCPT][ML_R_REPLY4]),
	    ml_hist_pct(&s->rcpt_lat, 50) / 1e6,
	    ml_hist_pct(&s->rcpt_lat, 99) / 1e6,
	    ml_hist_pct(&s->msg_lat, 99) / 1e6);
}
