/*
 * NAME
 *	fuzz_policy - fuzz target for the policy request parser
 *	(policyd/request.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The first input byte chooses the limits and how the rest is cut
 *	into reads; the rest is what a client of milterkit-policyd sends.
 *	Limits (byte % 3): 0 the golden files' (max_line 256, max_attrs 32,
 *	max_request 2048), 1 the configuration defaults (4096, 100, 65536),
 *	2 the smallest the configuration allows (64, 1, 256). Reads (byte / 3
 *	% 8): pieces of 1, 2, 3, 5, 7, 16, 64 or 4096 octets. So '0' is the
 *	golden limits in pieces of 1, 'F' the defaults in pieces of 4096, 'A'
 *	the smallest limits in pieces of 16, 'X' the defaults in pieces of 16.
 *
 *	The input is parsed twice, all at once and in pieces, and abort()s
 *	when an invariant breaks:
 *	- both ways give the same requests and the same end (malformed with
 *	  the same reason, or the same pending count): the parser may not
 *	  depend on how bytes arrive;
 *	- pd_parser_feed() returns DONE, MORE or MALFORMED, never takes more
 *	  than it was given, takes everything on MORE and at least one octet
 *	  on DONE; after MALFORMED every call fails the same way, taking
 *	  nothing;
 *	- a request has 1 to max_attrs attributes and at most max_request
 *	  octets; its values are non-empty (empty is absent), fit in a
 *	  line of max_line with their name and have no LF;
 *	  recipient_count is -1 or 0 to 999999999;
 *	- without MALFORMED, the requests' octets plus pending are every
 *	  octet taken.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/policy (tests/fuzz/run_corpus.sh);
 *	scripts/fuzz.sh runs it under libFuzzer.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_policy: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

static const struct pd_limits limits[] = {
	{ 256, 32, 2048 }, { 4096, 100, 65536 }, { 64, 1, 256 },
};
static const size_t pieces[] = { 1, 2, 3, 5, 7, 16, 64, 4096 };

/* FNV-1a over what the caller sees of a run: requests, then its end. */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 1099511628211u;
	return h;
}

static uint64_t
mix_str(uint64_t h, const char *s)
{
	return s == NULL ? mix(h, "\1", 1) : mix(h, s, strlen(s) + 1);
}

static uint64_t
check_request(uint64_t h, const struct pd_request *rq,
    const struct pd_limits *lim)
{
	const struct mk_rl_request *r = &rq->rl;
	const char *v[] = {
		r->protocol_state, r->instance, r->queue_id, r->sasl_username,
		r->sender, r->client_address, r->recipient,
	};
	long long count = r->recipient_count;

	CHECK(rq->nattrs >= 1 && rq->nattrs <= lim->max_attrs);
	CHECK(rq->octets >= 2 && rq->octets <= lim->max_request);
	CHECK(count >= -1 && count <= 999999999);
	h = mix(h, "D", 1);
	h = mix(h, &rq->nattrs, sizeof(rq->nattrs));
	h = mix(h, &rq->octets, sizeof(rq->octets));
	h = mix(h, &count, sizeof(count));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i] != NULL) {
			size_t n = strlen(v[i]);

			/* name, '=' and value fit in one line */
			CHECK(n > 0 && n + 2 <= lim->max_line);
			CHECK(memchr(v[i], '\n', n) == NULL);
		}
		h = mix_str(h, v[i]);
	}
	return h;
}

/* Feed in pieces of step octets; returns the run's digest. */
static uint64_t
run(const char *in, size_t len, size_t step, const struct pd_limits *lim)
{
	struct pd_parser *p = pd_parser_new(lim);
	struct pd_request rq;
	uint64_t h = 14695981039346656037u;
	size_t off = 0, used, octets = 0;
	int rc = PD_REQ_MORE;

	while (off < len && rc != PD_REQ_MALFORMED) {
		size_t n = len - off < step ? len - off : step;

		while (n > 0) {
			used = (size_t)-1;
			rc = pd_parser_feed(p, in + off, n, &used, &rq);
			CHECK(rc == PD_REQ_DONE || rc == PD_REQ_MORE ||
			    rc == PD_REQ_MALFORMED);
			CHECK(used <= n);
			off += used;
			n -= used;
			if (rc == PD_REQ_MALFORMED)
				break;
			if (rc == PD_REQ_MORE) {
				CHECK(n == 0);
				break;
			}
			CHECK(used > 0);
			h = check_request(h, &rq, lim);
			octets += rq.octets;
		}
	}
	if (rc == PD_REQ_MALFORMED) {
		const char *why = pd_parser_error(p);
		char copy[200];

		CHECK(why[0] != '\0' && strlen(why) < sizeof(copy));
		strcpy(copy, why);
		h = mix(mix(h, "M", 1), why, strlen(why));
		used = 1;
		CHECK(pd_parser_feed(p, "a=b\n\n", 5, &used, &rq) ==
		    PD_REQ_MALFORMED && used == 0);
		CHECK(strcmp(pd_parser_error(p), copy) == 0);
	} else {
		size_t pending = pd_parser_pending(p);

		CHECK(pd_parser_error(p)[0] == '\0');
		CHECK(pending <= lim->max_request);
		CHECK(octets + pending == off && off == len);
		h = mix(mix(h, "P", 1), &pending, sizeof(pending));
	}
	pd_parser_free(p);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pd_limits *lim;
	const char *in = (const char *)data + 1;
	size_t step;

	if (size < 1)
		return 0;
	lim = &limits[data[0] % 3];
	step = pieces[(data[0] / 3) % 8];
	CHECK(run(in, size - 1, size, lim) == run(in, size - 1, step, lim));
	return 0;
}
