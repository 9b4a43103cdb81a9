/*
 * NAME
 *	cmd_store.c - `milterkit store info` and `milterkit store init`
 * SYNOPSIS
 *	int	cmd_store(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	Prints what an operator needs to size and trust the store: schema
 *	version, entry counts (by reason, global and scoped, distinct scopes,
 *	@domain entries, expired), map size, bytes used, file size, bytes per
 *	entry and the address normalization the store recorded. --json
 *	prints the same as one JSON object.
 *
 *	init creates an empty suppression store with the configuration's
 *	normalization, so that the milters find one from their first
 *	message (they tempfail without it); a store that exists is left as
 *	it is. The packages run it at installation.
 * DIAGNOSTICS
 *	Exit 0, 2 for usage errors, 3 when the store cannot be opened.
 * SEE ALSO
 *	milterkit(8), mk_store.h
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mk_ratelimit.h"
#include "tool.h"

static void
store_usage(FILE *fp)
{
	fprintf(fp, "usage: milterkit store info [--json]\n"
	    "       milterkit store init\n"
	    "exit status: 0 ok, 2 usage error, 3 store error\n");
}

static void
norm_text(const struct mk_addr_opts *ao, char *buf, size_t n)
{
	snprintf(buf, n, "local_part=%s strip_subaddress=%s "
	    "subaddress_delimiter=%c", ao->exact_local ? "exact" : "fold",
	    ao->strip_subaddress ? "yes" : "no",
	    ao->subaddress_delim ? ao->subaddress_delim : '+');
}

/* The rate-limit environment beside the suppression store: "ok",
 * "absent" (policyd creates it) or "unusable" with the reason in detail:
 * milterkit-policyd then enforces no limit at all. */
static const char *
rl_state(const struct tool *t, char *detail, size_t len)
{
	struct mk_rl_engine *e = NULL;
	char path[4200];
	struct stat sb;
	const char *state = "ok";

	*detail = '\0';
	snprintf(path, sizeof(path), "%s/ratelimit", t->store_dir);
	if (lstat(path, &sb) < 0 && errno == ENOENT)
		return "absent";
	if (mk_rl_engine_open(t->store_dir, NULL, t->conf->store.map_size, &e,
	    detail, len) < 0) {
		state = "unusable";
	} else if (mk_rl_engine_check(e) < 0) {
		snprintf(detail, len, "%s", mk_rl_errdetail());
		state = "unusable";
	}
	mk_rl_engine_close(e);
	return state;
}

static void
rl_text(const struct tool *t)
{
	char detail[512];
	const char *state = rl_state(t, detail, sizeof(detail));

	if (strcmp(state, "unusable") == 0)
		printf("ratelimit: UNUSABLE: %s: milterkit-policyd enforces no"
		    " rate limit until it can open it\n", detail);
	else if (strcmp(state, "absent") == 0)
		printf("ratelimit: absent (milterkit-policyd creates it)\n");
	else
		printf("ratelimit: ok\n");
}

static void
info_text(const struct tool *t, const struct mk_store_info *in)
{
	char norm[128];

	norm_text(&in->addr, norm, sizeof(norm));
	printf("store: %s\n", t->store_dir);
	printf("schema version: %d\n", in->schema_version);
	printf("entries: %zu\n", in->entries);
	for (int r = MK_REASON_BOUNCE; r < MK_REASON_COUNT; r++)
		printf("  %s: %zu\n", cli_reason_name(r), in->by_reason[r]);
	printf("global: %zu\nscoped: %zu\nscopes: %zu\ndomain entries: %zu\n"
	    "expired: %zu\n", in->global, in->scoped, in->scopes, in->domains,
	    in->expired);
	printf("map size: %lld\nused bytes: %lld\nfile bytes: %lld\n",
	    in->map_size, in->used_bytes, in->file_bytes);
	printf("bytes per entry: %lld\n", in->entries > 0
	    ? in->used_bytes / (long long)in->entries : 0LL);
	printf("normalization: %s\n", norm);
	rl_text(t);
}

static void
info_json(const struct tool *t, const struct mk_store_info *in)
{
	char dir[4096 * 6 + 3], detail[512], jdetail[512 * 6 + 3];
	const char *rl = rl_state(t, detail, sizeof(detail));

	if (cli_json_escape(jdetail, sizeof(jdetail), detail) < 0)
		snprintf(jdetail, sizeof(jdetail), "null");
	if (cli_json_escape(dir, sizeof(dir), t->store_dir) < 0)
		snprintf(dir, sizeof(dir), "null");
	printf("{\"store\":%s,\"schema_version\":%d,\"entries\":%zu,"
	    "\"by_reason\":{", dir, in->schema_version, in->entries);
	for (int r = MK_REASON_BOUNCE; r < MK_REASON_COUNT; r++)
		printf("%s\"%s\":%zu", r > MK_REASON_BOUNCE ? "," : "",
		    cli_reason_name(r), in->by_reason[r]);
	printf("},\"global\":%zu,\"scoped\":%zu,\"scopes\":%zu,\"domains\":%zu,"
	    "\"expired\":%zu,\"map_size\":%lld,\"used_bytes\":%lld,"
	    "\"file_bytes\":%lld,\"local_part\":\"%s\",\"strip_subaddress\":%s,"
	    "\"subaddress_delimiter\":\"%c\",\"ratelimit\":\"%s\","
	    "\"ratelimit_detail\":%s}\n", in->global, in->scoped,
	    in->scopes, in->domains, in->expired, in->map_size, in->used_bytes,
	    in->file_bytes, in->addr.exact_local ? "exact" : "fold",
	    in->addr.strip_subaddress ? "true" : "false",
	    in->addr.subaddress_delim ? in->addr.subaddress_delim : '+', rl,
	    jdetail);
}

/* store init: create the store if it is not there; 0 either way. */
static int
store_init(struct tool *t, int argc, char **argv)
{
	struct mk_store *st;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		store_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "milterkit: unexpected argument %.60s for store"
		    " init\n", argv[1]);
		store_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = tool_open_store(t, TOOL_CREATE, &st)) != 0 ||
	    (rc = tool_store_finish(t, st, 0)) != 0)
		return rc;
	printf("%s: %s\n", t->store_dir, t->created ? "store created" :
	    "store exists, left as it is");
	return CLI_EXIT_OK;
}

int
cmd_store(struct tool *t, int argc, char **argv)
{
	struct mk_store_info in;
	struct mk_store *st;
	int json = 0, rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0
	    || strcmp(argv[0], "-h") == 0) {
		store_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "init") == 0)
		return store_init(t, argc, argv);
	if (strcmp(argv[0], "info") != 0) {
		fprintf(stderr, "milterkit: unknown verb \"store %.40s\"\n",
		    argv[0]);
		store_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0
		    || strcmp(argv[i], "-h") == 0) {
			store_usage(stdout);
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "milterkit: unexpected argument %.60s "
			    "for store info\n", argv[i]);
			store_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if ((rc = tool_open_store(t, TOOL_READ, &st)) == MK_STORE_ENOENT)
		return tool_store_fail(t, NULL, rc, "cannot open store");
	if (rc != 0)
		return rc;
	if ((rc = mk_store_info(st, t->now, &in)) < 0) {
		rc = tool_store_fail(t, st, rc, "cannot read store");
	} else {
		if (json)
			info_json(t, &in);
		else
			info_text(t, &in);
		rc = CLI_EXIT_OK;
	}
	mk_store_close(st);
	return rc;
}
