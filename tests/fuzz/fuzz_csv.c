/*
 * NAME
 *	fuzz_csv - fuzz target for the suppression import reader
 *	(tools/cli.c, tools/tool.c, common/store_import.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a whole file for `milterkit suppress import --skip-bad`,
 *	read as tools/cmd_import.c reads it: lines split at LF, a line over
 *	CLI_LINE_MAX (+1 for a CR) skipped, the format (CSV or plain)
 *	settled by the first line that is not blank or a comment, each line
 *	parsed by cli_import_line(), its scope and address normalized by
 *	tool_norm_scope() and tool_norm_target() and the entry handed to
 *	mk_supp_import_add(). Nothing is committed: no entry reaches the
 *	store. When the file is plain, each line is also parsed as CSV
 *	(--format csv).
 *
 *	An import's first entry costs it 1.4 MB of arena and index, which
 *	would make every run slow under AddressSanitizer; so one import
 *	takes the entries of IMPORT_RUNS inputs, then is aborted (which
 *	frees it) and begun again. mk_supp_import_add() depends on earlier
 *	entries only through the growth of its arena: a crash in that growth
 *	may need the inputs before it to repeat. Under make check each
 *	input runs alone, with an import of its own.
 *
 *	The store is opened once per process in a fresh directory under
 *	$TMPDIR (or /tmp), which is removed at once: the open handle is all
 *	an import needs before commit. "now" is fixed (2023-11-14T22:13:20Z)
 *	so that runs repeat.
 *
 *	abort()s when an invariant breaks:
 *	- cli_import_line() returns 1, 0, or -1 with a reason; a record has
 *	  a non-empty address and a scope taken from the line (or the
 *	  default), a reason of bounce, complaint, unsubscribe or manual,
 *	  an expiry of 0 or after now, and a note that cli_check_note()
 *	  accepts;
 *	- mk_supp_import_add() takes every normalized entry, or refuses it
 *	  as MK_STORE_EINVAL;
 *	- an entry it takes, written as `milterkit suppress export` writes
 *	  it (cli_csv_quote() fields, the reason's name, the expiry as
 *	  cli_fmt_time() gives it), fits in CLI_LINE_MAX and imports back
 *	  to the same entry (nothing is accepted that expires after
 *	  9999-12-31: CLI_EXPIRES_MAX).
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/csv (tests/fuzz/run_corpus.sh);
 *	scripts/fuzz.sh runs it under libFuzzer.
 */
#include "config.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mk_store.h"
#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_csv: invariant broken: %s (line %d)\n", \
		    #cond, __LINE__); \
		abort(); \
	} \
} while (0)

#define NOW ((int64_t)1700000000)


/* Inputs one import serves before it is aborted and begun again. */
#define IMPORT_RUNS 1000

static const struct cli_import_defaults defaults = { MK_REASON_MANUAL, "", 0 };

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* The store of this process: opened once, its directory already gone. */
static struct mk_store *
the_store(void)
{
	static struct mk_store *st;
	struct mk_store_opts opts;
	const char *tmp = getenv("TMPDIR");
	char dir[1024];
	int rc;

	if (st != NULL)
		return st;
	snprintf(dir, sizeof(dir), "%s/fuzz_csv.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_csv: mkdtemp");
		abort();
	}
	memset(&opts, 0, sizeof(opts));
	opts.map_size = 1 << 20;
	rc = mk_store_open(dir, MK_STORE_CREATE, &opts, &st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (rc != 0) {
		fprintf(stderr, "fuzz_csv: cannot open a store in %s: %s\n", dir,
		    mk_store_strerror(rc));
		abort();
	}
	return st;
}

/* What cmd_import.c's make_entry() does, without its scope cache. */
static int
make_entry(const struct mk_addr_opts *ao, const struct cli_import_rec *rec,
    struct mk_supp_entry *e)
{
	char err[512];

	memset(e, 0, sizeof(*e));
	if (strlen(rec->scope) > MK_SUPP_SCOPE_MAX)
		return -1;
	if (tool_norm_scope(rec->scope, e->scope, sizeof(e->scope), err,
	    sizeof(err)) < 0)
		return -1;
	if (tool_norm_target(ao, rec->addr, e->target, sizeof(e->target), err,
	    sizeof(err)) < 0)
		return -1;
	e->reason = rec->reason;
	e->created = NOW;
	e->expires = rec->expires;
	snprintf(e->note, sizeof(e->note), "%s", rec->note);
	return 0;
}

static int
inside(const char *p, const char *line, size_t len)
{
	return p >= line && p <= line + len;
}

static void
check_rec(const struct cli_import_rec *rec, const char *line, size_t len)
{
	char err[256];

	CHECK(rec->addr != NULL && rec->addr[0] != '\0');
	CHECK(inside(rec->addr, line, len));
	CHECK(rec->scope == defaults.scope || inside(rec->scope, line, len));
	CHECK(rec->reason >= MK_REASON_BOUNCE && rec->reason <= MK_REASON_MANUAL);
	CHECK(rec->expires == defaults.expires || rec->expires > NOW);
	CHECK(cli_check_note(rec->note, err, sizeof(err)) == 0);
}

/* Export e as `suppress export` does, import the line, compare. */
static void
round_trip(const struct mk_addr_opts *ao, const struct mk_supp_entry *e)
{
	char a[MK_SUPP_TARGET_MAX * 2 + 3], s[MK_SUPP_SCOPE_MAX * 2 + 3];
	char n[MK_SUPP_NOTE_MAX * 2 + 3], ex[32], line[CLI_LINE_MAX * 2];
	char err[512];
	struct cli_import_rec rec;
	struct mk_supp_entry back;
	int len, rc;

	CHECK(cli_csv_quote(a, sizeof(a), e->target) > 0);
	CHECK(cli_csv_quote(s, sizeof(s), e->scope) >= 0);
	CHECK(cli_csv_quote(n, sizeof(n), e->note) >= 0);
	if (e->expires == 0)
		ex[0] = '\0';
	else if (cli_fmt_time(e->expires, ex, sizeof(ex)) < 0)
		snprintf(ex, sizeof(ex), "%lld", (long long)e->expires);
	len = snprintf(line, sizeof(line), "%s,%s,%s,%s,%s", a,
	    cli_reason_name(e->reason), s, ex, n);
	CHECK(len > 0 && len <= CLI_LINE_MAX);
	err[0] = '\0';
	rc = cli_import_line(line, (size_t)len, CLI_FMT_AUTO, NOW, &defaults,
	    &rec, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fuzz_csv: exported entry does not import: "
		    "rc %d: %s\n", rc, err);
		abort();
	}
	CHECK(make_entry(ao, &rec, &back) == 0);
	CHECK(strcmp(back.target, e->target) == 0);
	CHECK(strcmp(back.scope, e->scope) == 0);
	CHECK(back.reason == e->reason);
	CHECK(back.expires == e->expires);
	CHECK(strcmp(back.note, e->note) == 0);
}

/* One line (without its LF) in the given format. */
static void
one_line(struct mk_supp_import *imp, const struct mk_addr_opts *ao,
    const char *raw, size_t len, int format)
{
	static char line[CLI_LINE_MAX + 2];
	struct cli_import_rec rec;
	struct mk_supp_entry e;
	char err[512];
	int rc;

	memcpy(line, raw, len);
	line[len] = '\0';
	err[0] = '\0';
	rc = cli_import_line(line, len, format, NOW, &defaults, &rec, err,
	    sizeof(err));
	CHECK(rc >= -1 && rc <= 1);
	if (rc < 0) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		return;
	}
	if (rc == 1)
		return;
	check_rec(&rec, line, len);
	if (make_entry(ao, &rec, &e) < 0)
		return;
	CHECK(e.target[0] != '\0');
	rc = mk_supp_import_add(imp, &e);
	CHECK(rc == 0 || rc == MK_STORE_EINVAL);
	/* Nothing expires past 9999-12-31, which export could not write
	 * as a date import reads back. */
	CHECK(rc != 0 || e.expires <= CLI_EXPIRES_MAX);
	if (rc == 0)
		round_trip(ao, &e);
}

/* cmd_import.c's settle_format(): the first data line decides. */
static int
settle_format(const char *raw, size_t len)
{
	char line[CLI_LINE_MAX + 2];
	const char *p = line;

	memcpy(line, raw, len);
	line[len] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' && *p != '#' && *p != '\r')
		return cli_detect_format(p, strlen(p));
	return CLI_FMT_AUTO;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mk_supp_import *imp;
	static unsigned long runs;
	struct mk_store *st = the_store();
	const struct mk_addr_opts *ao = mk_store_addr_opts(st);
	const char *in = (const char *)data;
	int format = CLI_FMT_AUTO;
	size_t pos = 0;

	if (imp != NULL && ++runs % IMPORT_RUNS == 0) {
		mk_supp_import_abort(imp);
		imp = NULL;
	}
	if (imp == NULL)
		CHECK(mk_supp_import_begin(st, &imp) == 0);
	while (pos < size) {
		const char *nl = memchr(in + pos, '\n', size - pos);
		size_t len = nl != NULL ? (size_t)(nl - (in + pos)) : size - pos;

		if (len <= CLI_LINE_MAX + 1) {
			if (format == CLI_FMT_AUTO)
				format = settle_format(in + pos, len);
			one_line(imp, ao, in + pos, len, format);
			if (format == CLI_FMT_PLAIN)
				one_line(imp, ao, in + pos, len, CLI_FMT_CSV);
		}
		pos += len + 1;
	}
	return 0;
}
