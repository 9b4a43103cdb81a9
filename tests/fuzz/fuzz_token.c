/*
 * NAME
 *	fuzz_token - fuzz target for the return-path token parser
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The local part of any address mail is sent to reaches
 *	mk_token_rp_parse() (`milterkit ingest` reads it from the bounce's
 *	envelope and headers). The fields are decoded before the hash is
 *	checked, so random hashes reach the decoder. abort()s when an
 *	invariant breaks:
 *	- every answer is one of MK_TOKEN_*; only 0 and EEXPIRED fill the
 *	  token, whose strings are NUL-terminated within their buffers;
 *	- what parses is made again, byte for byte equal (lower case), by
 *	  mk_token_rp_make() from the sender and recipient it gave.
 *	Under make check it runs once over tests/fuzz/corpus/token.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_token: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

static const unsigned char key[] = "fuzzing-key-0123456789";
#define NOW 1780000000LL

static void
check(const char *in, size_t len)
{
	struct mk_rp_token t;
	char again[MK_TOKEN_RP_MAX + 1], low[MK_TOKEN_RP_MAX + 1];
	int rc;

	rc = mk_token_rp_parse(key, sizeof(key) - 1, in, len, NOW, &t);
	CHECK(rc == 0 || rc == MK_TOKEN_EFORMAT || rc == MK_TOKEN_EHASH ||
	    rc == MK_TOKEN_EEXPIRED);
	CHECK(memchr(t.sender, 0, sizeof(t.sender)) != NULL);
	CHECK(memchr(t.rcpt, 0, sizeof(t.rcpt)) != NULL);
	if (rc != 0 && rc != MK_TOKEN_EEXPIRED) {
		CHECK(t.sender[0] == '\0' && t.rcpt[0] == '\0');
		return;
	}
	CHECK(strchr(t.sender, '@') != NULL);
	/* The day is in the token: make it again with the same day. */
	CHECK(mk_token_rp_make(key, sizeof(key) - 1, t.sender,
	    t.rcpt[0] != '\0' ? t.rcpt : NULL, (t.expires / 86400) * 86400, 0,
	    again, sizeof(again)) == 0);
	CHECK(len < sizeof(low));
	for (size_t i = 0; i < len; i++)
		low[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) :
		    in[i];
	low[len] = '\0';
	CHECK(strcmp(again, low) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[MK_TOKEN_RP_MAX + 64];

	if (size > MK_TOKEN_RP_MAX + 8)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	check(buf, size);
	return 0;
}
