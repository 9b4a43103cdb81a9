/*
 * NAME
 *	fuzz_ingest - fuzz target for ingest_parse(), the bounce, complaint
 *	and auto-reply parser of `milterkit ingest`
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Parses the input as a message that reached the bounce address and
 *	abort()s when an invariant of struct ingest_report breaks:
 *	- ingest_parse() returns 0; type is one of ING_T_*, n is at most
 *	  ING_ITEMS_MAX and 0 for ING_T_UNKNOWN; every item's kind is one
 *	  of ING_HARD..ING_IGNORED;
 *	- every string is NUL-terminated inside its buffer; why, message
 *	  ids, auto_submitted, status and diag are printable ASCII; status
 *	  is "" or a valid enhanced code;
 *	- every address field is "" or parses with mk_addr_parse() again;
 *	- parsing is deterministic: a second run gives the same report.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/ingest (tests/fuzz/run_corpus.sh);
 *	scripts/fuzz.sh runs it under libFuzzer (configure --enable-libfuzzer
 *	with clang, then tests/fuzz/fuzz_ingest -max_len=65536 CORPUS). Add a
 *	minimized crash input to the seed corpus once it is fixed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_parse.h"
#include "mk_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_ingest: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

#define TERMINATED(s) (memchr((s), 0, sizeof(s)) != NULL)

static int
printable(const char *s, size_t size)
{
	const char *z = memchr(s, 0, size);

	if (z == NULL)
		return 0;
	for (; s < z; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
check_addr(const char *a, size_t size)
{
	static const struct mk_addr_opts keep = {1, 0, 0};
	struct mk_addr x;

	CHECK(memchr(a, 0, size) != NULL);
	if (a[0] == 0)
		return;
	CHECK(strlen(a) <= MK_ADDR_MAX);
	CHECK(mk_addr_parse(a, strlen(a), &keep, &x) == 0);
	CHECK(strcmp(a, x.norm) == 0);
}

static void
check_report(const struct ingest_report *r)
{
	CHECK(r->type >= ING_T_UNKNOWN && r->type <= ING_T_AUTOREPLY);
	CHECK(r->n <= ING_ITEMS_MAX);
	CHECK(r->type != ING_T_UNKNOWN || r->n == 0);
	CHECK(printable(r->why, sizeof(r->why)) && r->why[0] != 0);
	CHECK(printable(r->message_id, sizeof(r->message_id)));
	CHECK(printable(r->auto_submitted, sizeof(r->auto_submitted)));
	CHECK(printable(r->orig_message_id, sizeof(r->orig_message_id)));
	CHECK(printable(r->feedback_type, sizeof(r->feedback_type)));
	CHECK(printable(r->reporting_mta, sizeof(r->reporting_mta)));
	check_addr(r->from, sizeof(r->from));
	check_addr(r->to, sizeof(r->to));
	check_addr(r->orig_return_path, sizeof(r->orig_return_path));
	check_addr(r->orig_from, sizeof(r->orig_from));
	check_addr(r->orig_to, sizeof(r->orig_to));
	check_addr(r->orig_rcpt, sizeof(r->orig_rcpt));
	check_addr(r->orig_mail_from, sizeof(r->orig_mail_from));
	for (size_t i = 0; i < r->n; i++) {
		const struct ingest_item *it = &r->items[i];

		CHECK(it->kind >= ING_HARD && it->kind <= ING_IGNORED);
		check_addr(it->recipient, sizeof(it->recipient));
		CHECK(printable(it->status, sizeof(it->status)));
		CHECK(it->status[0] == 0 ||
		    ing_status_valid(it->status, strlen(it->status)));
		CHECK(printable(it->diag, sizeof(it->diag)));
		CHECK(strcmp(ingest_kind_name(it->kind), "?") != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ingest_report a, b;

	CHECK(ingest_parse((const char *)data, size, &a) == 0);
	check_report(&a);
	CHECK(ingest_parse((const char *)data, size, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	return 0;
}
