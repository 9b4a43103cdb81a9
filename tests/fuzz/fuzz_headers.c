/*
 * NAME
 *	fuzz_headers - fuzz target for hdr_rewrite() (milters/headers)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a flags byte and a header block: lines "Name:value"
 *	separated by "\n"; a line that starts with a blank continues the
 *	previous value (joined with "\r\n" when flag 0x80 is set, else "\n").
 *	The flags choose the envelope and configuration:
 *	0x01 SMTPUTF8, 0x02 duplicates = keep-first, 0x04 missing_from = add,
 *	0x08 eight_bit = reject, 0x10 null sender, 0x20 long_lines = reject,
 *	0x40 two recipients. Every run has internal_networks, internal_hosts,
 *	feedback_id and unsubscribe_domains set, so that every rule runs.
 *
 *	Invariants, abort() when broken:
 *	- a rejection has a 4xx/5xx code, a matching enhanced code, a
 *	  printable text, and no edits;
 *	- every edit has a printable field name without ':' or blanks and a
 *	  reason; a HDR_CHANGE or HDR_DELETE names a field of the input
 *	  (same name, index within its occurrences, none twice), comes before
 *	  every HDR_ADD, and they come by descending position;
 *	- every value is "\n"-folded (a blank after each "\n", no "\r", no
 *	  NUL), starts with a blank, has no line over 998 octets (unless the
 *	  input's own field was accepted), and, without SMTPUTF8, no 8-bit
 *	  octet in Subject.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	over tests/fuzz/corpus/headers. The real fuzzer, from a configured
 *	build directory:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I../common \
 *	    -I../milters/headers ../tests/fuzz/fuzz_headers.c \
 *	    ../milters/headers/[a-ln-z]*.c ../milters/headers/msgid.c \
 *	    common/libmilterkit.a -llmdb -lidn2 -lcrypto -o fuzz_headers
 *	./fuzz_headers -max_len=8192 corpus ../tests/fuzz/corpus/headers
 *
 *	(every .c of milters/headers except main.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "headers.h"
#include "headers_priv.h"
#include "mk_conf.h"
#include "mk_mem.h"
#include "sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_headers: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

#define MAXF 300

/* The rules for the configuration flags, compiled once per set. */
static struct hdr_rules *
rules_for(unsigned flags)
{
	static struct hdr_rules *cache[64];
	char keyfile[] = "/tmp/fuzz_headers.XXXXXX";
	unsigned k = (flags >> 1) & 31;	/* 0x02..0x20 */
	char text[1024], err[512];
	struct mk_conf *conf;
	int fd;

	if (cache[k] != NULL)
		return cache[k];
	mk_conf_use(mkf_sections);
	fd = mkstemp(keyfile);
	CHECK(fd >= 0);
	CHECK(write(fd, "fuzzing-secret-0123456789", 25) == 25);
	close(fd);
	snprintf(text, sizeof(text), "[headers]\nmax_headers = 200\n"
	    "internal_networks = 10.0.0.0/8, 2001:db8::/32\n"
	    "internal_hosts = .corp.example\nfeedback_id = %%u:%%d:%%q\n"
	    "unsubscribe_domains = example.com\n"
	    "unsubscribe_secret_file = %s\n"
	    "unsubscribe_url = https://u.example/%%t?r=%%r\n"
	    "duplicates = %s\nmissing_from = %s\neight_bit = %s\n"
	    "long_lines = %s\ndate_zone = utc\n", keyfile,
	    flags & 0x02 ? "keep-first" : "reject",
	    flags & 0x04 ? "add" : "reject",
	    flags & 0x08 ? "reject" : "encode",
	    flags & 0x20 ? "reject" : "fold");
	conf = mk_conf_new_defaults();
	CHECK(mk_cfg_parse_buf(mk_conf_schema.rows, conf, "fuzz", text, strlen(text),
	    err, sizeof(err)) == 0);
	CHECK(hdr_rules_new(conf, &cache[k], err, sizeof(err)) == 0);
	mk_conf_free(conf);
	unlink(keyfile);
	return cache[k];
}

static int
printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return 0;
	return 1;
}

static void
check_value(const char *name, const char *v, int utf8)
{
	size_t col = strlen(name) + 1;

	CHECK(v[0] == ' ' || v[0] == '\t');
	for (const char *p = v; *p; p++) {
		CHECK(*p != '\r');
		if (*p == '\n') {
			CHECK(p[1] == ' ' || p[1] == '\t');
			col = 0;
		} else {
			col++;
			CHECK(col <= HDR_LINE_MAX);
		}
		if (!utf8 && strcasecmp(name, "Subject") == 0)
			CHECK((unsigned char)*p < 0x80);
	}
}

static void
check(const struct hdr_msg *m, const struct hdr_result *r)
{
	unsigned char seen[MAXF] = { 0 };
	size_t last = SIZE_MAX;
	int adds = 0;

	if (r->reject) {
		CHECK(r->ne == 0 && r->e == NULL);
		CHECK((r->rcode[0] == '4' || r->rcode[0] == '5') &&
		    strlen(r->rcode) == 3 && r->xcode[0] == r->rcode[0] &&
		    r->xcode[1] == '.');
		CHECK(r->text[0] != '\0' && printable(r->text));
		return;
	}
	for (size_t i = 0; i < r->ne; i++) {
		const struct hdr_edit *e = &r->e[i];

		CHECK(e->name[0] != '\0' && printable(e->name) &&
		    strpbrk(e->name, ": ") == NULL);
		CHECK(e->why != NULL && e->why[0] != '\0');
		if (e->op == HDR_ADD) {
			adds = 1;
			CHECK(e->value != NULL);
			check_value(e->name, e->value, m->smtputf8);
			continue;
		}
		CHECK(!adds && (e->op == HDR_CHANGE || e->op == HDR_DELETE));
		/* find the field: index-th occurrence of name */
		size_t k, occ = 0;
		for (k = 0; k < m->n; k++)
			if (strcasecmp(m->h[k].name, e->name) == 0 &&
			    ++occ == e->index)
				break;
		CHECK(k < m->n && !seen[k] && k < last);
		seen[k] = 1;
		last = k;
		if (e->op == HDR_CHANGE)
			check_value(e->name, e->value, m->smtputf8);
		else
			CHECK(e->value == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_field f[MAXF];
	char *names[MAXF], *buf;
	struct hdr_msg m;
	struct hdr_result r;
	unsigned flags;
	size_t n = 0, i;
	char *line, *save = NULL;

	if (size == 0)
		return 0;
	flags = data[0];
	buf = mk_strndup((const char *)data + 1, size - 1);
	for (line = strtok_r(buf, "\n", &save); line != NULL && n < MAXF;
	    line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if ((line[0] == ' ' || line[0] == '\t') && n > 0) {
			size_t a = strlen(f[n - 1].value), b = strlen(line);
			char *v = mk_malloc(a + b + 3);

			memcpy(v, f[n - 1].value, a);
			memcpy(v + a, (flags & 0x80) ? "\r\n" : "\n",
			    (flags & 0x80) ? 2 : 1);
			memcpy(v + a + ((flags & 0x80) ? 2 : 1), line, b + 1);
			free((char *)f[n - 1].value);
			f[n - 1].value = v;
			continue;
		}
		if (colon == NULL)
			continue;
		*colon = '\0';
		names[n] = line;
		f[n].name = line;
		f[n].value = mk_strdup(colon + 1);
		n++;
	}
	memset(&m, 0, sizeof(m));
	m.h = f;
	m.n = n;
	m.env_from = (flags & 0x10) ? "" : "sender@example.com";
	m.smtputf8 = flags & 0x01;
	m.sasl_user = "user\xc3\xa9:x";
	m.client_addr = "192.0.2.1";
	m.nrcpt = (flags & 0x40) ? 2 : 1;
	m.rcpt = "Rcpt+tag@Example.NET";
	m.queue_id = "4Q2x1";
	m.now = 1700000000;
	hdr_rewrite(rules_for(flags), &m, &r);
	check(&m, &r);
	hdr_result_free(&r);
	for (i = 0; i < n; i++)
		free((char *)f[i].value);
	(void)names;
	free(buf);
	return 0;
}
