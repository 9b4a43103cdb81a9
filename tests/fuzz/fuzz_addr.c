/*
 * NAME
 *	fuzz_addr - fuzz target for mk_addr_parse() and mk_addr_domain()
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Feeds the input, as an address and as a bare domain, to the parsers
 *	under every option set, and abort()s when an invariant breaks:
 *	- a result is NUL-terminated inside its buffer, within MK_ADDR_MAX
 *	  (address) or MK_ADDR_DOMAIN_MAX (domain) octets, and norm is
 *	  exactly local "@" domain;
 *	- every error code is one of MK_ADDR_E*, and on error the output
 *	  strings are empty;
 *	- normalization is idempotent: parsing norm (bare and in angle
 *	  brackets) gives norm again, and a normalized domain normalizes to
 *	  itself; nothing is written past the caller's outlen.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/addr (tests/fuzz/run_corpus.sh). The real
 *	fuzzer, from a configured build directory (for config.h):
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I../common \
 *	    ../tests/fuzz/fuzz_addr.c ../common/addr.c -lidn2 -o fuzz_addr
 *	mkdir -p corpus && ./fuzz_addr -max_len=600 corpus \
 *	    ../tests/fuzz/corpus/addr
 *
 *	New crashes go to crash-* files; add a minimized one to the seed
 *	corpus once fixed, so that make check keeps it fixed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_addr: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

/* Is s NUL-terminated within n bytes, at most max octets long? */
static int
bounded(const char *s, size_t n, size_t max)
{
	const char *z = memchr(s, 0, n);

	return z != NULL && (size_t) (z - s) <= max;
}

static void
check_parse(const char *in, size_t len, const struct mk_addr_opts *o)
{
	struct mk_addr a, b;
	char joined[sizeof(a.norm) + 2];
	size_t n;
	int rc;

	rc = mk_addr_parse(in, len, o, &a);
	CHECK(rc <= 0 && rc >= MK_ADDR_EUTF8);
	if (rc != 0) {
		CHECK(a.norm[0] == 0 && a.local[0] == 0 && a.domain[0] == 0);
		return;
	}
	CHECK(bounded(a.norm, sizeof(a.norm), MK_ADDR_MAX));
	CHECK(bounded(a.local, sizeof(a.local), sizeof(a.local) - 1));
	CHECK(bounded(a.domain, sizeof(a.domain), MK_ADDR_DOMAIN_MAX));
	CHECK(a.local[0] != 0 && a.domain[0] != 0);
	n = (size_t) snprintf(joined, sizeof(joined), "%s@%s", a.local,
	    a.domain);
	CHECK(n < sizeof(joined) && strcmp(joined, a.norm) == 0);

	n = strlen(a.norm);
	CHECK(mk_addr_parse(a.norm, n, o, &b) == 0);
	CHECK(strcmp(a.norm, b.norm) == 0 && a.utf8 == b.utf8);
	joined[0] = '<';
	memcpy(joined + 1, a.norm, n);
	joined[n + 1] = '>';
	CHECK(mk_addr_parse(joined, n + 2, o, &b) == 0);
	CHECK(strcmp(a.norm, b.norm) == 0);
}

static void
check_domain(const char *in, size_t len)
{
	char out[MK_ADDR_DOMAIN_MAX + 1], again[MK_ADDR_DOMAIN_MAX + 1];
	char small[12];
	size_t n;
	int rc;

	rc = mk_addr_domain(in, len, out, sizeof(out));
	CHECK(rc <= 0 && rc >= MK_ADDR_EUTF8);
	if (rc != 0)
		return;
	CHECK(bounded(out, sizeof(out), MK_ADDR_DOMAIN_MAX));
	n = strlen(out);
	CHECK(mk_addr_domain(out, n, again, sizeof(again)) == 0);
	CHECK(strcmp(out, again) == 0);
	/* A short buffer gets the result or ETOOLONG, never an overrun. */
	memset(small, 'x', sizeof(small));
	rc = mk_addr_domain(in, len, small, sizeof(small) - 2);
	CHECK(small[sizeof(small) - 2] == 'x' && small[sizeof(small) - 1] == 'x');
	CHECK(rc == (n < sizeof(small) - 2 ? 0 : MK_ADDR_ETOOLONG));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mk_addr_opts opts[] = {
		{1, 0, 0}, {0, 1, 0}, {1, 1, '-'}, {0, 1, '.'}
	};
	const char *in = (const char *) data;
	size_t i;

	check_parse(in, size, NULL);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		check_parse(in, size, &opts[i]);
	check_domain(in, size);
	return 0;
}
