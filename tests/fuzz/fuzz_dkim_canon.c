/*
 * NAME
 *	fuzz_dkim_canon - fuzz target for the DKIM canonicalizer
 *	(milters/dkim/canon.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a seed byte, a header value (up to the first NUL) and a
 *	body (the rest). The seed chooses a field name and seeds the cuts of
 *	the body into chunks. Both canonicalizations of each.
 *
 *	Invariants, abort() when broken:
 *	- relaxed header: "name:" lower-cased, then the value with no CR, no
 *	  LF, no HTAB, no two SP in a row, no SP at either end, then CRLF;
 *	- simple header: "name:" and the value as given with every LF
 *	  preceded by a CR (a lone LF became CRLF), then CRLF;
 *	- the body hash is the same in one chunk, in random chunks and (for
 *	  bodies up to 4 KiB) byte by byte;
 *	- empty and blank lines appended to the body do not change its hash.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	over tests/fuzz/corpus/dkim_canon. The real fuzzer, from a
 *	configured build directory:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I../common \
 *	    -I../milters/dkim ../tests/fuzz/fuzz_dkim_canon.c \
 *	    ../milters/dkim/canon.c common/libmilterkit.a -lcrypto \
 *	    -o fuzz_dkim_canon
 *	./fuzz_dkim_canon -max_len=8192 corpus ../tests/fuzz/corpus/dkim_canon
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "mk_mem.h"
#include "mk_strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_dkim_canon: invariant broken: %s " \
		    "(line %d)\n", #cond, __LINE__); \
		abort(); \
	} \
} while (0)

static const char *const names[] = { "Subject", "FROM", "x-Fuzz ",
    "DKIM-Signature" };

static void
check_header(const char *name, const char *value)
{
	struct mk_strbuf out = { NULL, 0, 0 };
	size_t nl = strlen(name), i, j;

	/* relaxed */
	dkim_canon_header(DKIM_CANON_RELAXED, name, value, &out);
	while (nl > 0 && name[nl - 1] == ' ')
		nl--;
	CHECK(out.len >= nl + 3);
	for (i = 0; i < nl; i++)
		CHECK(out.p[i] == (name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]));
	CHECK(out.p[nl] == ':');
	CHECK(memcmp(out.p + out.len - 2, "\r\n", 2) == 0);
	for (i = nl + 1; i < out.len - 2; i++) {
		CHECK(out.p[i] != '\r' && out.p[i] != '\n' && out.p[i] != '\t');
		if (out.p[i] == ' ') {
			CHECK(i > nl + 1 && i + 1 < out.len - 2);
			CHECK(out.p[i + 1] != ' ');
		}
	}
	mk_strbuf_free(&out);

	/* simple */
	dkim_canon_header(DKIM_CANON_SIMPLE, name, value, &out);
	nl = strlen(name);
	CHECK(out.len >= nl + 3);
	CHECK(memcmp(out.p, name, nl) == 0 && out.p[nl] == ':');
	CHECK(memcmp(out.p + out.len - 2, "\r\n", 2) == 0);
	for (i = nl + 1, j = 0; i < out.len - 2; i++) {
		if (out.p[i] == '\n')
			CHECK(out.p[i - 1] == '\r');
		/* the value, with the CRs added before lone LFs */
		if (out.p[i] == '\r' && out.p[i + 1] == '\n' &&
		    value[j] == '\n')
			continue;
		CHECK(out.p[i] == value[j]);
		j++;
	}
	CHECK(value[j] == '\0');
	mk_strbuf_free(&out);
}

static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
hash_body(enum dkim_canon c, const uint8_t *p, size_t n, uint32_t *seed,
    int mode, unsigned char out[DKIM_HASH_LEN])
{
	struct dkim_body *b = dkim_body_new(c);
	size_t at = 0;

	while (at < n) {
		size_t k = n - at;

		if (mode == 1)
			k = 1;
		else if (mode == 2)
			k = next(seed) % (k < 64 ? k + 1 : 64);
		dkim_body_update(b, p + at, k);
		at += k;
	}
	dkim_body_final(b, out);
	dkim_body_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "\r\n \t\r\n\n\r\n";
	unsigned char a[DKIM_HASH_LEN], b[DKIM_HASH_LEN];
	const uint8_t *body, *nul;
	uint32_t seed;
	size_t blen;
	char *value;

	if (size < 1)
		return 0;
	seed = 0x9e3779b9u ^ data[0] ^ ((uint32_t)size << 8);
	nul = memchr(data + 1, '\0', size - 1);
	if (nul == NULL)
		nul = data + size;
	value = mk_strndup((const char *)data + 1, (size_t)(nul - data - 1));
	check_header(names[data[0] % 4], value);
	free(value);

	body = nul < data + size ? nul + 1 : nul;
	blen = (size_t)(data + size - body);
	for (int c = DKIM_CANON_SIMPLE; c <= DKIM_CANON_RELAXED; c++) {
		uint8_t *more;

		hash_body(c, body, blen, &seed, 0, a);
		hash_body(c, body, blen, &seed, 2, b);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
		if (blen <= 4096) {
			hash_body(c, body, blen, &seed, 1, b);
			CHECK(memcmp(a, b, sizeof(a)) == 0);
		}
		/* trailing empty lines (relaxed: blank lines too) go */
		more = mk_malloc(blen + sizeof(tail));
		memcpy(more, body, blen);
		memcpy(more + blen, c == DKIM_CANON_RELAXED ? tail : "\r\n\n",
		    c == DKIM_CANON_RELAXED ? sizeof(tail) - 1 : 3);
		hash_body(c, more, blen + (c == DKIM_CANON_RELAXED ?
		    sizeof(tail) - 1 : 3), &seed, 2, b);
		free(more);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
	return 0;
}
