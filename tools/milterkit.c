/*
 * NAME
 *	milterkit - manage the milterkit store and configuration
 * SYNOPSIS
 *	milterkit [-c FILE] [--store DIR] VERB ... [--help]
 *	milterkit -h | -V
 * DESCRIPTION
 *	main() registers every section of the shared file (sections.h),
 *	parses the global options, loads the configuration (except
 *	for `config check`, which loads it itself to report on it) and hands
 *	over to the verb. The verbs live in cmd_*.c; parsing in cli*.c.
 * DIAGNOSTICS
 *	Exit 0 on success, 1 for a negative answer (not suppressed, no such
 *	entry), 2 for usage or input errors, 3 for store or system errors.
 * SEE ALSO
 *	milterkit(8), tool.h, cli.h
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd_dkim.h"
#include "cmd_spf.h"
#include "mk_conf.h"
#include "mk_log.h"
#include "sections.h"
#include "tool.h"


static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: milterkit [-c FILE] [--store DIR] VERB [ARGS] [--help]\n"
	    "\n"
	    "global options (before the verb):\n"
	    "  -c FILE        configuration file (default %s)\n"
	    "  --store DIR    store directory, overrides [store] path\n"
	    "  -h, --help     this help;  -V, --version  the version\n"
	    "\n"
	    "verbs:\n"
	    "  suppress add ADDRESS|@DOMAIN   suppress remove ADDRESS|@DOMAIN\n"
	    "  suppress list                  suppress export\n"
	    "  suppress import FILE|-         suppress purge\n"
	    "  suppress check RECIPIENT       store info\n"
	    "  store init\n"
	    "  ratelimit show KEY             ratelimit reset KEY\n"
	    "  ratelimit top [N]\n"
	    "  config check\n"
	    "  dkim keygen DOMAIN SELECTOR    dkim status\n"
	    "  dkim import-opendkim KEYTABLE SIGNINGTABLE\n"
	    "  spf check IP SENDER [HELO]     dmarc check [FILE|-]\n"
	    "  ingest [--dry-run] [--json] [FILE|-]...\n"
	    "Every verb has --help.\n"
	    "\n"
	    "exit status: 0 success (check: suppressed), 1 negative answer\n"
	    "(not suppressed, no such entry), 2 usage or input error,\n"
	    "3 store or system error.\n", MK_CONF_DEFAULT_PATH);
}

/* Load the configuration: a missing default file is fine, a named one not. */
static int
load_conf(struct tool *t)
{
	int rc;

	if ((rc = tool_load_conf(t)) != 0)
		return rc;
	t->store_dir = t->g.store_dir != NULL ? t->g.store_dir
	    : t->conf->store.path;
	if (t->store_dir == NULL || t->store_dir[0] == '\0') {
		fprintf(stderr, "milterkit: no store directory: set [store] path "
		    "or give --store\n");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tool t;
	char err[256];
	int vi, rc;

	mk_conf_use(mkf_sections);
	memset(&t, 0, sizeof(t));
	mk_log_open("milterkit", 1);
	t.now = (int64_t)time(NULL);
	if ((vi = cli_parse_global(argc, argv, &t.g, err, sizeof(err))) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (t.g.version) {
		printf("milterkit %s\n", PACKAGE_VERSION);
		return CLI_EXIT_OK;
	}
	if (t.g.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (vi >= argc) {
		fprintf(stderr, "milterkit: no verb given\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[vi], "config") == 0)
		return cmd_config(&t, argc - vi - 1, argv + vi + 1);
	if (strcmp(argv[vi], "dkim") == 0 || strcmp(argv[vi], "spf") == 0 ||
	    strcmp(argv[vi], "dmarc") == 0) {
		/* Load the configuration themselves: no store needed. */
		rc = strcmp(argv[vi], "dkim") == 0 ?
		    cmd_dkim(&t, argc - vi - 1, argv + vi + 1) :
		    strcmp(argv[vi], "spf") == 0 ?
		    cmd_spf(&t, argc - vi - 1, argv + vi + 1) :
		    cmd_dmarc(&t, argc - vi - 1, argv + vi + 1);
		mk_conf_free(t.conf);	/* NULL when the verb freed it */
		if (fflush(stdout) != 0 && rc == 0) {
			perror("milterkit: stdout");
			rc = CLI_EXIT_STORE;
		}
		return rc;
	}
	if (strcmp(argv[vi], "suppress") != 0 && strcmp(argv[vi], "store") != 0
	    && strcmp(argv[vi], "ratelimit") != 0 &&
	    strcmp(argv[vi], "ingest") != 0) {
		fprintf(stderr, "milterkit: unknown verb \"%.40s\"\n", argv[vi]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* Help needs no configuration. */
	if (vi + 1 < argc && (strcmp(argv[vi + 1], "--help") == 0
	    || strcmp(argv[vi + 1], "-h") == 0)) {
		t.store_dir = "";
	} else if ((rc = load_conf(&t)) != 0) {
		return rc;
	}
	if (strcmp(argv[vi], "suppress") == 0)
		rc = cmd_suppress(&t, argc - vi - 1, argv + vi + 1);
	else if (strcmp(argv[vi], "ratelimit") == 0)
		rc = cmd_ratelimit(&t, argc - vi - 1, argv + vi + 1);
	else if (strcmp(argv[vi], "ingest") == 0)
		rc = cmd_ingest(&t, argc - vi - 1, argv + vi + 1);
	else
		rc = cmd_store(&t, argc - vi - 1, argv + vi + 1);
	mk_conf_free(t.conf);
	if (fflush(stdout) != 0 && rc == 0) {
		perror("milterkit: stdout");
		rc = CLI_EXIT_STORE;
	}
	return rc;
}
