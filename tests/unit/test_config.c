/*
 * test_config.c - unit tests of the configuration engine (common/config.c)
 * and of the milterkit.conf schema (common/conf.c), composed of the
 * sections the programs register (milters/sections.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_cfg.h"
#include "mk_conf.h"
#include "mk_log.h"
#include "policyd_conf.h"
#include "sections.h"
#include "chain/chain_conf.h"
#include "headers/headers_conf.h"
#include "suppress/suppress_conf.h"

struct demo {
	char *name;
	long long count;
	int flag;
	int color;
	long long wait;
	long long size;
	long long mode;
	char *sock;
};

static const char *const colors[] = { "red", "green", "blue", NULL };

static const struct mk_cfg_row demo_rows[] = {
	{ "a", "name", MK_CFG_STRING, "anon", 1, 16, NULL,
	  offsetof(struct demo, name), "a name", NULL },
	{ "a", "count", MK_CFG_INT, "3", 1, 100, NULL,
	  offsetof(struct demo, count), "a count", NULL },
	{ "a", "flag", MK_CFG_BOOL, "no", 0, 0, NULL,
	  offsetof(struct demo, flag), "a flag", NULL },
	{ "b", "color", MK_CFG_ENUM, "green", 0, 0, colors,
	  offsetof(struct demo, color), "a color", NULL },
	{ "b", "wait", MK_CFG_DURATION, "1m", 1, 3600, NULL,
	  offsetof(struct demo, wait), "a wait", NULL },
	{ "b", "size", MK_CFG_SIZE, "1k", 0, 0, NULL,
	  offsetof(struct demo, size), "a size", NULL },
	{ "b", "mode", MK_CFG_MODE, "0640", 0, 0777, NULL,
	  offsetof(struct demo, mode), "a mode", NULL },
	{ "b", "sock", MK_CFG_SOCKET, NULL, 0, 0, NULL,
	  offsetof(struct demo, sock), "a socket", NULL },
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int
parse(struct demo *d, const char *text, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	mk_cfg_defaults(demo_rows, d);
	return mk_cfg_parse_buf(demo_rows, d, "t.conf", text, strlen(text), err,
	    errlen);
}

static void
test_defaults_fill_every_type(void **state)
{
	struct demo d;
	char err[256];

	(void)state;
	assert_int_equal(parse(&d, "", err, sizeof(err)), 0);
	assert_string_equal(d.name, "anon");
	assert_int_equal(d.count, 3);
	assert_int_equal(d.flag, 0);
	assert_int_equal(d.color, 1);
	assert_int_equal(d.wait, 60);
	assert_int_equal(d.size, 1024);
	assert_int_equal(d.mode, 0640);
	assert_null(d.sock);
	mk_cfg_release(demo_rows, &d);
}

static void
test_file_values_override_defaults(void **state)
{
	struct demo d;
	char err[256];
	const char *text =
	    "# a comment\n"
	    "[a]\n"
	    "  name = alpha   # trailing comment\n"
	    "count=42\n"
	    "flag = yes\r\n"
	    "\n"
	    "[b]\n"
	    "color = BLUE\n"
	    "wait = 30m\n"
	    "size = 512M\n"
	    "mode = 0600\n"
	    "sock = inet:10025@127.0.0.1\n";

	(void)state;
	if (parse(&d, text, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(d.name, "alpha");
	assert_int_equal(d.count, 42);
	assert_int_equal(d.flag, 1);
	assert_int_equal(d.color, 2);
	assert_int_equal(d.wait, 1800);
	assert_int_equal(d.size, 512LL * 1024 * 1024);
	assert_int_equal(d.mode, 0600);
	assert_string_equal(d.sock, "inet:10025@127.0.0.1");
	mk_cfg_release(demo_rows, &d);
}

static void
test_quoted_values_keep_hash_and_blanks(void **state)
{
	struct demo d;
	char err[256];

	(void)state;
	assert_int_equal(parse(&d, "[a]\nname = \" a#b \\\"q\" # c\n", err,
	    sizeof(err)), 0);
	assert_string_equal(d.name, " a#b \"q");
	mk_cfg_release(demo_rows, &d);
}

/* Each bad file names its line and says what is wrong. */
static void
test_errors_carry_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[a]\nnope = 1\n", "t.conf:2: unknown key \"nope\" in [a]" },
		{ "[zz]\n", "t.conf:1: unknown section [zz]" },
		{ "name = x\n", "t.conf:1: \"name\" outside any [section]" },
		{ "[a]\nname = x\nname = y\n", "t.conf:3: [a] name given twice" },
		{ "[a]\ncount = 12x\n", "t.conf:2: [a] count: bad value \"12x\"" },
		{ "[a]\ncount = 101\n", "t.conf:2: [a] count must be between 1 and 100" },
		{ "[a]\ncount = 0\n", "t.conf:2: [a] count must be between" },
		{ "[a]\nflag = maybe\n", "t.conf:2: [a] flag: bad value \"maybe\": expected yes or no" },
		{ "[b]\ncolor = pink\n", "expected one of red, green, blue" },
		{ "[b]\nwait = 5x\n", "t.conf:2: [b] wait: bad value \"5x\": expected a duration" },
		{ "[b]\nwait = 2d\n", "wait must be between 1 and 3600" },
		{ "[b]\nsize = 12Q\n", "expected a size" },
		{ "[b]\nmode = 0999\n", "expected an octal mode" },
		{ "[b]\nmode = 01777\n", "mode must be between 0000 and 0777" },
		{ "[b]\nsock = tcp:1@x\n", "t.conf:2: [b] sock:" },
		{ "[a]\nname = \"open\n", "t.conf:2: unterminated quoted value" },
		{ "[a]\nname\n", "t.conf:2: expected \"key = value\"" },
		{ "[a\n", "t.conf:1: section header without closing ']'" },
		{ "[a]\n = x\n", "t.conf:2: missing key before '='" },
		{ "[a]\nname = 0123456789abcdefg\n", "name must be 1 to 16 characters long" },
		{ "[a]\nname = a\x01" "b\n", "t.conf:2: control character in line" },
	};
	char err[256];
	struct demo d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse(&d, cases[i].text, err, sizeof(err)) != -1 ||
		    strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    cases[i].want);
		mk_cfg_release(demo_rows, &d);
	}
}

static void
test_nul_byte_and_long_line_rejected(void **state)
{
	char err[256];
	struct demo d;
	char *big;
	static const char nul[] = "[a]\nname = a\0b\n";

	(void)state;
	memset(&d, 0, sizeof(d));
	mk_cfg_defaults(demo_rows, &d);
	assert_int_equal(mk_cfg_parse_buf(demo_rows, &d, "t.conf", nul,
	    sizeof(nul) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: NUL byte"));
	mk_cfg_release(demo_rows, &d);

	big = malloc(MK_CFG_LINE_MAX + 32);
	memset(big, 'x', MK_CFG_LINE_MAX + 10);
	memcpy(big, "[a]\nname=", 9);
	big[MK_CFG_LINE_MAX + 10] = '\0';
	assert_int_equal(parse(&d, big, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: line longer than"));
	mk_cfg_release(demo_rows, &d);
	free(big);
}

static void
test_duration_and_size_units(void **state)
{
	static const struct {
		const char *text;
		int rc;
		long long v;
	} dur[] = {
		{ "0", 0, 0 }, { "30", 0, 30 }, { "30s", 0, 30 }, { "5m", 0, 300 },
		{ "2h", 0, 7200 }, { "7d", 0, 604800 }, { "1w", 0, 604800 },
		{ "", -1, 0 }, { "m", -1, 0 }, { "-5", -1, 0 }, { "5mm", -1, 0 },
		{ "5 m", -1, 0 }, { "99999999999999999999", -1, 0 },
		{ "999999999999999999w", -1, 0 },
	};
	long long v;

	(void)state;
	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		v = 0;
		if (mk_cfg_parse_duration(dur[i].text, &v) != dur[i].rc ||
		    (dur[i].rc == 0 && v != dur[i].v))
			fail_msg("duration \"%s\": got %lld", dur[i].text, v);
	}
	assert_int_equal(mk_cfg_parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(mk_cfg_parse_size("4G", &v), 0);
	assert_int_equal(v, 4LL << 30);
	assert_int_equal(mk_cfg_parse_size("1T", &v), 0);
	assert_int_equal(v, 1LL << 40);
	assert_int_equal(mk_cfg_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mk_cfg_parse_size("4X", &v), -1);
	assert_int_equal(mk_cfg_parse_size("G", &v), -1);
}

static void
test_schema_defaults_match_the_contract(void **state)
{
	struct mk_conf *c = mk_conf_new_defaults();
	const struct mk_conf_daemon *d;

	(void)state;
	assert_non_null(strstr(c->store.path, "/lib/milterkit"));
	assert_int_equal(c->store.map_size, 4LL << 30);
	assert_int_equal(c->store.local_part, MK_LOCAL_FOLD);
	assert_int_equal(c->log.level, MK_LOG_INFO);
	d = mk_conf_daemon(c, "suppress");
	assert_non_null(d);
	assert_ptr_equal(d, &supp_conf(c)->d);
	assert_string_equal(d->socket, "unix:/run/milterkit/suppress.sock");
	assert_int_equal(d->on_error, MK_ON_ERROR_TEMPFAIL);
	assert_int_equal(policyd_conf(c)->d.on_error, MK_POLICY_ON_ERROR_DUNNO);
	assert_ptr_equal(mk_conf_daemon(c, "policyd"), &policyd_conf(c)->d);
	assert_null(mk_conf_daemon(c, "store"));
	assert_null(mk_conf_daemon(c, "nope"));
	d = mk_conf_daemon(c, "dmarc");
	assert_non_null(d);
	assert_string_equal(d->socket, "unix:/run/milterkit/dmarc.sock");
	assert_string_equal(c->dns.servers, "");
	assert_int_equal(c->dns.timeout, 5);
	assert_int_equal(c->dns.cache_size, 4LL << 20);
	mk_conf_free(c);
	mk_conf_free(NULL);
}

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/mk-conf-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_load_file_and_missing_file(void **state)
{
	struct mk_conf *c;
	char err[512];
	char *path = write_temp(
	    "[store]\npath = /srv/mk\nmap_size = 64M\n"
	    "[suppress]\non_error = accept\nsocket = inet:10025@127.0.0.1\n"
	    "[policyd]\non_error = defer\n[log]\nlevel = debug\n");

	(void)state;
	assert_int_equal(mk_conf_load(path, 0, &c, err, sizeof(err)), 0);
	assert_string_equal(c->store.path, "/srv/mk");
	assert_int_equal(c->store.map_size, 64LL << 20);
	assert_int_equal(mk_conf_daemon(c, "suppress")->on_error,
	    MK_ON_ERROR_ACCEPT);
	assert_int_equal(policyd_conf(c)->d.on_error, MK_POLICY_ON_ERROR_DEFER);
	assert_int_equal(c->log.level, MK_LOG_DEBUG);
	assert_string_equal(c->source, path);
	mk_conf_free(c);
	unlink(path);

	/* The default file may be absent; a named one may not. */
	assert_int_equal(mk_conf_load(path, 1, &c, err, sizeof(err)), 0);
	assert_string_equal(c->source, "(defaults)");
	mk_conf_free(c);
	assert_int_equal(mk_conf_load(path, 0, &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot open"));
	free(path);
}

static void
test_policy_on_error_choices_differ_from_milters(void **state)
{
	struct mk_conf *c;
	char err[512];
	char *path = write_temp("[policyd]\non_error = tempfail\n");

	(void)state;
	assert_int_equal(mk_conf_load(path, 0, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: [policyd] on_error: bad value"));
	assert_non_null(strstr(err, "dunno, defer"));
	unlink(path);
	free(path);
}

/* What mk_cfg_dump writes reads back to the same configuration. */
static void
test_dump_round_trips(void **state)
{
	struct mk_conf *a, *b;
	char err[512];
	char *in = write_temp("[store]\nmap_size = 8G\nstrip_subaddress = yes\n"
	    "[chain]\nsocket_mode = 0600\ntimeout = 2m\n");
	char *out = strdup("/tmp/mk-dump-XXXXXX");
	int fd = mkstemp(out);
	FILE *fp = fdopen(fd, "w");
	char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	FILE *ma, *mb;

	(void)state;
	assert_int_equal(mk_conf_load(in, 0, &a, err, sizeof(err)), 0);
	mk_cfg_dump(mk_conf_schema.rows, a, fp);
	fclose(fp);
	assert_int_equal(mk_conf_load(out, 0, &b, err, sizeof(err)), 0);
	ma = open_memstream(&da, &la);
	mb = open_memstream(&db, &lb);
	mk_cfg_dump(mk_conf_schema.rows, a, ma);
	mk_cfg_dump(mk_conf_schema.rows, b, mb);
	fclose(ma);
	fclose(mb);
	assert_string_equal(da, db);
	assert_non_null(strstr(da, "map_size = 8589934592"));
	assert_non_null(strstr(da, "socket_mode = 0600"));
	assert_int_equal(chain_conf(b)->d.timeout, 120);
	mk_conf_free(a);
	mk_conf_free(b);
	free(da);
	free(db);
	unlink(in);
	unlink(out);
	free(in);
	free(out);
}

/* Load text as a file; 0, or -1 with err set. */
static int
load_text(const char *text, struct mk_conf **c, char *err, size_t errlen)
{
	char *path = write_temp(text);
	int rc = mk_conf_load(path, 0, c, err, errlen);

	unlink(path);
	free(path);
	return rc;
}

/* common/ knows no filter: without mk_conf_use() their sections are
 * unknown, and a configuration keeps the layout it was made with. */
static void
test_filter_sections_unknown_without_use(void **state)
{
	struct mk_conf *c, *before;
	char err[512];

	(void)state;
	before = mk_conf_new_defaults();
	mk_conf_use(NULL);
	assert_null(mk_conf_sections()[0]);
	assert_int_equal(load_text("[store]\npath = /x\n[suppress]\n"
	    "exempt = a@\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":3: unknown section [suppress]"));
	assert_int_equal(load_text("[chain]\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: unknown section [chain]"));
	assert_int_equal(load_text("[policyd]\nmax_attrs = 7\n", &c, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: unknown section [policyd]"));
	assert_int_equal(load_text("[store]\npath = /x\n", &c, err,
	    sizeof(err)), 0);
	assert_null(mk_conf_section(c, "suppress"));
	assert_null(mk_conf_daemon(c, "suppress"));
	assert_null(mk_conf_daemon(c, "policyd"));
	mk_conf_free(c);
	/* made before the switch: still has (and frees) its blocks */
	assert_string_equal(supp_conf(before)->exempt, "postmaster@, abuse@");
	mk_conf_free(before);
	mk_conf_use(mkf_sections);
	mk_conf_use(mkf_sections);
	assert_ptr_equal(mk_conf_sections(), mkf_sections);
}

/* Registered, each section parses into its own block, defaults first. */
static void
test_registered_sections_parse_into_blocks(void **state)
{
	struct mk_conf *c;
	const struct supp_conf *sc;
	const struct hdr_conf *hc;
	char err[512];

	(void)state;
	if (load_text("[suppress]\nexempt = a@example.com\n[headers]\n"
	    "max_headers = 50\n", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	sc = supp_conf(c);
	hc = hdr_conf(c);
	assert_ptr_equal(sc, mk_conf_section(c, "suppress"));
	assert_ptr_equal(hc, mk_conf_section(c, "headers"));
	assert_string_equal(sc->exempt, "a@example.com");
	assert_string_equal(sc->reply[MK_REASON_BOUNCE],
	    "550 5.1.1 <%a>: recipient address suppressed (%r)");
	assert_string_equal(sc->d.socket, "unix:/run/milterkit/suppress.sock");
	assert_int_equal(hc->max_headers, 50);
	assert_int_equal(hc->max_header_size, 65536);
	assert_int_equal(hc->date_zone, HDR_CONF_ZONE_LOCAL);
	assert_string_equal(hc->d.socket, "unix:/run/milterkit/headers.sock");
	assert_string_equal(hc->d.check, "all");
	assert_null(mk_conf_section(c, "nope"));
	mk_conf_free(c);

	c = mk_conf_new_defaults();
	assert_string_equal(supp_conf(c)->exempt, "postmaster@, abuse@");
	assert_int_equal(hdr_conf(c)->max_headers, 1000);
	mk_conf_free(c);
}

/* [chain] filters: registered filter sections, once each, 1 to 16. */
static void
test_chain_filters_are_checked(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* NULL: valid */
	} cases[] = {
		{ "filters = suppress, nope\n",
		  ":2: [chain] filters: unknown filter \"nope\" (known: "
		  "suppress, headers, dmarc, dkim, returnpath, rlimit)" },
		{ "filters = headers, headers\n",
		  ":2: [chain] filters: filter \"headers\" given twice" },
		{ "filters = \"\"\n", ":2: [chain] filters: no filters" },
		{ "filters = , ,\n", ":2: [chain] filters: no filters" },
		{ "filters = chain\n", "unknown filter \"chain\"" },
		{ "filters = policyd\n", "unknown filter \"policyd\"" },
		{ "filters = headers suppress\n", NULL },
		{ "filters = suppress\n", NULL },
	};
	struct mk_conf *c;
	char text[256], err[512];

	(void)state;
	c = mk_conf_new_defaults();
	assert_string_equal(chain_conf(c)->filters, "suppress, headers");
	mk_conf_free(c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[chain]\n%s", cases[i].text);
		err[0] = '\0';
		if (load_text(text, &c, err, sizeof(err)) != 0) {
			if (cases[i].want == NULL ||
			    strstr(err, cases[i].want) == NULL)
				fail_msg("case %zu: got \"%s\"", i, err);
			continue;
		}
		if (cases[i].want != NULL)
			fail_msg("case %zu: accepted", i);
		mk_conf_free(c);
	}
}

/* The chain is a daemon section: its block starts with the daemon rows,
 * defaults from its name. */
static void
test_chain_daemon_defaults(void **state)
{
	struct mk_conf *c = mk_conf_new_defaults();
	const struct mk_conf_daemon *d = mk_conf_daemon(c, "chain");

	(void)state;
	assert_non_null(d);
	assert_ptr_equal(d, mk_conf_section(c, "chain"));
	assert_ptr_equal(d, &chain_conf(c)->d);
	assert_string_equal(d->socket, "unix:/run/milterkit/chain.sock");
	assert_string_equal(d->pidfile, "/run/milterkit/chain.pid");
	assert_int_equal(d->on_error, MK_ON_ERROR_TEMPFAIL);
	assert_int_equal(d->timeout, 7210);
	assert_int_equal(d->threads, 0);
	assert_null(d->check);		/* no such row in [chain] */
	mk_conf_free(c);
}

/* A named section: [rule NAME], many times. */
struct demo_rule {
	char *name;
	char *key;
	long long n;
};

struct demo_all {
	struct demo d;
	struct mk_cfg_list rules;
};

static const struct mk_cfg_row rule_rows[] = {
	{ "rule", "key", MK_CFG_STRING, NULL, 0, 32, NULL,
	  offsetof(struct demo_rule, key), "a key", NULL },
	{ "rule", "n", MK_CFG_INT, "1", 1, 9, NULL,
	  offsetof(struct demo_rule, n), "a number", NULL },
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int
rule_finish(void *inst, char *err, size_t errlen)
{
	if (((struct demo_rule *)inst)->key == NULL) {
		snprintf(err, errlen, "needs key");
		return -1;
	}
	return 0;
}

static const struct mk_cfg_named demo_named[] = {
	{ "rule", rule_rows, sizeof(struct demo_rule),
	  offsetof(struct demo_rule, name), offsetof(struct demo_all, rules),
	  rule_finish },
	{ NULL, NULL, 0, 0, 0, NULL }
};

static const struct mk_cfg_schema demo_schema = { demo_rows, demo_named };

static int
parse_all(struct demo_all *a, const char *text, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	mk_cfg_defaults(demo_rows, &a->d);
	return mk_cfg_schema_parse_buf(&demo_schema, a, "t.conf", text,
	    strlen(text), err, errlen);
}

static void
test_named_sections(void **state)
{
	struct demo_all a;
	struct demo_rule *r;
	char err[256], *dump = NULL;
	size_t dlen = 0;
	FILE *fp;

	(void)state;
	if (parse_all(&a, "[a]\ncount = 5\n[rule per-user]\nkey = x\nn = 3\n"
	    "[rule per_ip.2]\nkey = y\n[a]\nflag = yes\n", err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(a.rules.n, 2);
	r = a.rules.v[0];
	assert_string_equal(r->name, "per-user");
	assert_string_equal(r->key, "x");
	assert_int_equal(r->n, 3);
	r = a.rules.v[1];
	assert_string_equal(r->name, "per_ip.2");
	assert_int_equal(r->n, 1);		/* default */
	assert_int_equal(a.d.count, 5);
	assert_int_equal(a.d.flag, 1);
	fp = open_memstream(&dump, &dlen);
	mk_cfg_schema_dump(&demo_schema, &a, fp);
	fclose(fp);
	assert_non_null(strstr(dump, "[rule per_ip.2]\nkey = y\nn = 1\n"));
	free(dump);
	mk_cfg_schema_release(&demo_schema, &a);
	assert_int_equal(a.rules.n, 0);
	mk_cfg_schema_release(&demo_schema, NULL);
}

static void
test_named_section_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[rule]\nkey = x\n", "t.conf:1: [rule] needs a name: [rule NAME]" },
		{ "[rule a]\nkey = x\n[rule a]\nkey = y\n", "t.conf:3: [rule a] given twice" },
		{ "[rule a]\nn = 2\n\n[a]\n", "t.conf:1: [rule a] needs key" },
		{ "[rule a]\nn = 2\n", "t.conf:1: [rule a] needs key" },
		{ "[rule a]\nkey = x\nbogus = 1\n", "t.conf:3: unknown key \"bogus\" in [rule a]" },
		{ "[rule a]\nkey = x\nn = 10\n", "t.conf:3: [rule a] n must be between 1 and 9" },
		{ "[rule a]\nkey = x\nkey = y\n", "t.conf:3: [rule a] key given twice" },
		{ "[rule a/b]\n", "t.conf:1: [rule a/b]: a name is 1 to 64" },
		{ "[a b]\n", "t.conf:1: unknown section [a b]" },
	};
	struct demo_all a;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse_all(&a, cases[i].text, err, sizeof(err)) != -1 ||
		    strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    cases[i].want);
		mk_cfg_schema_release(&demo_schema, &a);
	}
}

/* The sample file shipped in etc/ is valid and states the defaults. */
static void
test_sample_config_is_valid(void **state)
{
	const char *top = getenv("top_srcdir");
	char path[4096], err[512];
	struct mk_conf *c, *d = mk_conf_new_defaults();
	char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	FILE *ma, *mb;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/milterkit.conf", top ? top : "..");
	if (mk_conf_load(path, 0, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	ma = open_memstream(&da, &la);
	mb = open_memstream(&db, &lb);
	mk_cfg_dump(mk_conf_schema.rows, c, ma);
	mk_cfg_dump(mk_conf_schema.rows, d, mb);
	fclose(ma);
	fclose(mb);
	assert_string_equal(da, db);
	free(da);
	free(db);
	mk_conf_free(c);
	mk_conf_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_sections_unknown_without_use),
		cmocka_unit_test(test_defaults_fill_every_type),
		cmocka_unit_test(test_file_values_override_defaults),
		cmocka_unit_test(test_quoted_values_keep_hash_and_blanks),
		cmocka_unit_test(test_errors_carry_file_and_line),
		cmocka_unit_test(test_nul_byte_and_long_line_rejected),
		cmocka_unit_test(test_duration_and_size_units),
		cmocka_unit_test(test_schema_defaults_match_the_contract),
		cmocka_unit_test(test_load_file_and_missing_file),
		cmocka_unit_test(test_policy_on_error_choices_differ_from_milters),
		cmocka_unit_test(test_dump_round_trips),
		cmocka_unit_test(test_sample_config_is_valid),
		cmocka_unit_test(test_named_sections),
		cmocka_unit_test(test_named_section_errors),
		cmocka_unit_test(test_registered_sections_parse_into_blocks),
		cmocka_unit_test(test_chain_filters_are_checked),
		cmocka_unit_test(test_chain_daemon_defaults),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
