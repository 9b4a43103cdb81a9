/*
 * test_milter.c - unit tests of the milter skeleton's plain helpers
 * (common/milter.c): how a client is written in log lines.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mk_milter.h"

struct client_case {
	const char *name, *addr, *want;
};

/* The name only when it says more than the address. */
static const struct client_case clients[] = {
	{ "mx1.example.com", "192.0.2.7", "mx1.example.com[192.0.2.7]" },
	{ "[127.0.0.1]", "127.0.0.1", "[127.0.0.1]" },
	{ "127.0.0.1", "127.0.0.1", "[127.0.0.1]" },
	{ "[IPv6:2001:db8::1]", "2001:db8::1", "[2001:db8::1]" },
	{ "[ipv6:2001:DB8::1]", "2001:db8::1", "[2001:db8::1]" },
	{ "", "192.0.2.1", "[192.0.2.1]" },
	{ "unknown", "192.0.2.1", "unknown[192.0.2.1]" },
	{ "localhost", "127.0.0.1", "localhost[127.0.0.1]" },
	{ "[192.0.2.9]", "192.0.2.1", "[192.0.2.9][192.0.2.1]" },
	{ "[]", "192.0.2.1", "[][192.0.2.1]" },
	{ "local", "local", "[local]" },
};

static void
test_client_text(void **state)
{
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		const struct client_case *c = &clients[i];

		assert_ptr_equal(mk_milter_client_text(c->name, c->addr, out,
		    sizeof(out)), out);
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: \"%s\" \"%s\": got \"%s\", want"
			    " \"%s\"", i, c->name, c->addr, out, c->want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_text),
	};

	return cmocka_run_group_tests_name("milter", tests, NULL, NULL);
}
