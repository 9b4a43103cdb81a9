/*
 * test_policy_request.c - unit tests of policyd/request.c, the policy
 * request parser.
 *
 * Golden files: each tests/policyd/golden/NAME.req is fed to a parser with
 * the limits below (max_line 256, max_attrs 32, max_request 2048) and
 * what comes out is written in the form of NAME.out: one block per
 * request, then "malformed: WHY", "pending N" or "end". Each file is fed
 * three ways (whole, one byte at a time, in 7-byte pieces) and all three
 * must give NAME.out: the parser may not depend on how bytes arrive.
 * PD_GOLDEN_UPDATE=1 rewrites the .out files (then read the diff).
 * The other tests pin the bounds exactly, with the limits of the
 * configuration file.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mk_conf.h"
#include "request.h"
#include "sections.h"

static const struct pd_limits golden_lim = { 256, 32, 2048 };

struct out {
	char *s;
	size_t len, cap;
};

static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len)
			break;
		o->cap = o->cap * 2 + (size_t)n + 64;
		o->s = realloc(o->s, o->cap);
		assert_non_null(o->s);
	}
	o->len += (size_t)n;
}

static void
out_request(struct out *o, const struct pd_request *rq)
{
	const struct mk_rl_request *r = &rq->rl;
	const struct {
		const char *name, *v;
	} f[] = {
		{ "protocol_state", r->protocol_state }, { "instance", r->instance },
		{ "queue_id", r->queue_id }, { "sasl_username", r->sasl_username },
		{ "sender", r->sender }, { "client_address", r->client_address },
		{ "recipient", r->recipient },
	};

	out_add(o, "request attrs=%zu octets=%zu\n", rq->nattrs, rq->octets);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		/* Octets outside printable ASCII shown as \xNN. */
		out_add(o, "  %s=", f[i].name);
		if (f[i].v == NULL) {
			out_add(o, "(absent)\n");
			continue;
		}
		for (const unsigned char *s = (const unsigned char *)f[i].v; *s; s++)
			out_add(o, *s >= 0x20 && *s < 0x7f ? "%c" : "\\x%02x", *s);
		out_add(o, "\n");
	}
	out_add(o, "  recipient_count=%ld\n", r->recipient_count);
}

/* Feed data in pieces of step octets (0: all at once). */
static char *
run(const char *data, size_t len, size_t step, const struct pd_limits *lim)
{
	struct pd_parser *p = pd_parser_new(lim);
	struct out o = { NULL, 0, 0 };
	struct pd_request rq;
	size_t off = 0, used;
	int rc = PD_REQ_MORE;

	out_add(&o, "%s", "");
	while (off < len && rc != PD_REQ_MALFORMED) {
		size_t n = step == 0 || len - off < step ? len - off : step;

		while (n > 0) {
			rc = pd_parser_feed(p, data + off, n, &used, &rq);
			assert_true(used <= n);
			off += used;
			n -= used;
			if (rc == PD_REQ_DONE)
				out_request(&o, &rq);
			else if (rc == PD_REQ_MALFORMED)
				break;
			else
				assert_int_equal(n, 0);
		}
	}
	if (rc == PD_REQ_MALFORMED)
		out_add(&o, "malformed: %s\n", pd_parser_error(p));
	else if (pd_parser_pending(p) > 0)
		out_add(&o, "pending %zu\n", pd_parser_pending(p));
	else
		out_add(&o, "end\n");
	pd_parser_free(p);
	return o.s;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int
one_golden(const char *dir, const char *name)
{
	char path[1400];
	size_t len, wantlen;
	char *data, *want, *got[3];
	const size_t steps[3] = { 0, 1, 7 };
	int bad = 0;

	snprintf(path, sizeof(path), "%s/%s.req", dir, name);
	data = slurp(path, &len);
	for (int i = 0; i < 3; i++)
		got[i] = run(data, len, steps[i], &golden_lim);
	snprintf(path, sizeof(path), "%s/%s.out", dir, name);
	if (getenv("PD_GOLDEN_UPDATE") != NULL) {
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs(got[0], fp);
		fclose(fp);
	}
	want = slurp(path, &wantlen);
	for (int i = 0; i < 3; i++) {
		if (strcmp(got[i], want) != 0) {
			print_error("%s fed in pieces of %zu:\n--- want\n%s--- got\n%s",
			    name, steps[i], want, got[i]);
			bad = 1;
		}
		free(got[i]);
	}
	free(want);
	free(data);
	return bad;
}

static void
test_golden_files(void **state)
{
	char dir[1024];
	const char *top = getenv("top_srcdir");
	struct dirent **ents;
	int n, nreq = 0, ngood = 0, nbad = 0, failed = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/policyd/golden", top ? top : ".");
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		fail_msg("cannot read %s", dir);
	for (int i = 0; i < n; i++) {
		char name[256];
		size_t l = strlen(ents[i]->d_name);

		if (l > 4 && l < sizeof(name) &&
		    strcmp(ents[i]->d_name + l - 4, ".req") == 0) {
			memcpy(name, ents[i]->d_name, l - 4);
			name[l - 4] = '\0';
			failed |= one_golden(dir, name);
			nreq++;
			ngood += strncmp(name, "good_", 5) == 0;
			nbad += strncmp(name, "bad_", 4) == 0;
		}
		free(ents[i]);
	}
	free(ents);
	assert_int_equal(failed, 0);
	assert_true(ngood >= 10);
	assert_true(nbad >= 10);
	assert_int_equal(nreq, ngood + nbad);
}

/* Build a request of the given shape and return the parser's verdict. */
static char *
shaped(size_t line_octets, size_t nattrs, size_t pad_to,
    const struct pd_limits *lim)
{
	struct out o = { NULL, 0, 0 };
	char *res;

	out_add(&o, "sender=");
	for (size_t i = 7; i < line_octets; i++)
		out_add(&o, "a");
	out_add(&o, "\n");
	for (size_t i = 1; i < nattrs; i++)
		out_add(&o, "x%zu=1\n", i);
	if (pad_to > 0) {
		/* lines of at most 80 octets until the request is pad_to */
		size_t room = pad_to - o.len - 1;	/* the final LF */

		for (int n = 0; room > 0; n++) {
			size_t k = room < 80 ? room : 80;

			if (room - k > 0 && room - k < 5)
				k = room - 5;
			assert_true(k >= 5 && n < 10);
			out_add(&o, "p%d=", n);
			for (size_t i = 4; i < k; i++)
				out_add(&o, "p");
			out_add(&o, "\n");
			room -= k;
		}
	}
	out_add(&o, "\n");
	if (pad_to > 0)
		assert_int_equal(o.len, pad_to);
	res = run(o.s, o.len, 0, lim);
	free(o.s);
	return res;
}

static void
expect_prefix(char *got, const char *want)
{
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("want \"%s...\", got \"%s\"", want, got);
	free(got);
}

static void
test_limits_from_configuration_are_exact(void **state)
{
	static const char text[] =
	    "[policyd]\nmax_line = 100\nmax_attrs = 5\nmax_request = 300\n";
	struct mk_conf *conf;
	struct pd_limits lim;
	char err[256];

	(void)state;
	mk_conf_use(mkf_sections);	/* [policyd] is a registered section */
	conf = mk_conf_new_defaults();
	pd_limits_from_conf(conf, &lim);
	assert_int_equal(lim.max_line, 4096);
	assert_int_equal(lim.max_attrs, 100);
	assert_int_equal(lim.max_request, 65536);
	expect_prefix(shaped(4096, 1, 0, &lim), "request attrs=1 octets=4098\n");
	expect_prefix(shaped(4097, 1, 0, &lim),
	    "malformed: line longer than 4096 octets");
	expect_prefix(shaped(10, 100, 0, &lim), "request attrs=100 ");
	expect_prefix(shaped(10, 101, 0, &lim),
	    "malformed: more than 100 attributes");

	if (mk_cfg_schema_parse_buf(&mk_conf_schema, conf, "t.conf", text,
	    sizeof(text) - 1, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	pd_limits_from_conf(conf, &lim);
	assert_int_equal(lim.max_line, 100);
	assert_int_equal(lim.max_attrs, 5);
	assert_int_equal(lim.max_request, 300);
	expect_prefix(shaped(100, 1, 0, &lim), "request attrs=1 ");
	expect_prefix(shaped(101, 1, 0, &lim),
	    "malformed: line longer than 100 octets");
	expect_prefix(shaped(10, 5, 0, &lim), "request attrs=5 ");
	expect_prefix(shaped(10, 6, 0, &lim), "malformed: more than 5 attributes");
	expect_prefix(shaped(100, 2, 300, &lim), "request attrs=5 octets=300\n");
	expect_prefix(shaped(100, 2, 301, &lim),
	    "malformed: request larger than 300 octets");
	mk_conf_free(conf);
}

/*
 * The reason for a malformed request is that of its first offending octet,
 * however the bytes are cut: a NUL past the end of an over-long line, and
 * an over-long line past the end of the request, are not what is reported.
 */
static void
test_reason_is_the_first_offence(void **state)
{
	static const struct pd_limits lim = { 64, 8, 256 };
	static const struct {
		size_t line;	/* octets of the offending line, NUL excluded */
		size_t before;	/* octets of earlier lines */
		int nul;	/* NUL at the end of the line */
		const char *want;
	} cases[] = {
		{ 80, 0, 1, "malformed: line longer than 64 octets\n" },
		{ 65, 0, 1, "malformed: NUL byte\n" },	/* 65: a CR may follow */
		{ 64, 0, 1, "malformed: NUL byte\n" },
		{ 80, 250, 0, "malformed: request larger than 256 octets\n" },
		{ 80, 180, 1, "malformed: line longer than 64 octets\n" },
	};
	const size_t steps[] = { 0, 1, 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct out o = { NULL, 0, 0 };

		out_add(&o, "%s", "");
		/* earlier lines of 50 octets ("xN=ppp...\n"), then the rest */
		for (size_t k = 0, left = cases[i].before; left > 0; k++) {
			size_t n = left < 50 ? left : 50;

			out_add(&o, "x%zu=%.*s\n", k % 10, (int)(n - 4),
			    "pppppppppppppppppppppppppppppppppppppppppppppppppp");
			left -= n;
		}
		assert_int_equal(o.len, cases[i].before);
		out_add(&o, "sender=");
		while (o.len < cases[i].before + cases[i].line)
			out_add(&o, "a");
		if (cases[i].nul)
			out_add(&o, "%c", 0);
		out_add(&o, "\n\n");
		for (size_t s = 0; s < 3; s++) {
			char *got = run(o.s, o.len, steps[s], &lim);

			if (strcmp(got, cases[i].want) != 0)
				fail_msg("case %zu in pieces of %zu: want \"%s\", "
				    "got \"%s\"", i, steps[s], cases[i].want, got);
			free(got);
		}
		free(o.s);
	}
}

static void
test_malformed_is_final(void **state)
{
	struct pd_parser *p = pd_parser_new(&golden_lim);
	struct pd_request rq;
	size_t used;

	(void)state;
	assert_int_equal(pd_parser_feed(p, "oops\n", 5, &used, &rq),
	    PD_REQ_MALFORMED);
	assert_string_equal(pd_parser_error(p), "line without '='");
	assert_int_equal(pd_parser_feed(p, "a=b\n\n", 5, &used, &rq),
	    PD_REQ_MALFORMED);
	assert_int_equal(used, 0);
	pd_parser_free(p);
}

static void
test_pending_tracks_unfinished_request(void **state)
{
	struct pd_parser *p = pd_parser_new(&golden_lim);
	struct pd_request rq;
	size_t used;

	(void)state;
	assert_int_equal(pd_parser_pending(p), 0);
	assert_int_equal(pd_parser_feed(p, "sender=a", 8, &used, &rq), PD_REQ_MORE);
	assert_int_equal(used, 8);
	assert_int_equal(pd_parser_pending(p), 8);
	assert_int_equal(pd_parser_feed(p, "\n\nsen", 5, &used, &rq), PD_REQ_DONE);
	assert_int_equal(used, 2);
	assert_string_equal(rq.rl.sender, "a");
	assert_int_equal(pd_parser_pending(p), 0);
	assert_int_equal(pd_parser_feed(p, "sen", 3, &used, &rq), PD_REQ_MORE);
	assert_int_equal(pd_parser_pending(p), 3);
	pd_parser_free(p);
	pd_parser_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_files),
		cmocka_unit_test(test_limits_from_configuration_are_exact),
		cmocka_unit_test(test_reason_is_the_first_offence),
		cmocka_unit_test(test_malformed_is_final),
		cmocka_unit_test(test_pending_tracks_unfinished_request),
	};

	return cmocka_run_group_tests_name("policy_request", tests, NULL, NULL);
}
