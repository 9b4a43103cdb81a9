/*
 * NAME
 *	cmd_config.c - `milterkit config check`
 * SYNOPSIS
 *	int	cmd_config(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	Loads the whole configuration file with mk_conf_load(), exactly as
 *	every daemon does, and prints "FILE: ok" or the FILE:LINE error.
 *	With -v it dumps the effective configuration (defaults included).
 *	The file is the global -c FILE, the verb's own -c FILE, or the
 *	default path; a missing default file is not an error (the defaults
 *	apply), a missing named one is.
 * DIAGNOSTICS
 *	Exit 0 when the file is valid, 2 when it is not or on usage errors.
 * SEE ALSO
 *	milterkit(8), mk_conf.h
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tool.h"

static void
config_usage(FILE *fp)
{
	fprintf(fp, "usage: milterkit config check [-c FILE] [-v]\n"
	    "  -v  also print the effective configuration\n"
	    "exit status: 0 valid, 2 invalid or usage error\n");
}

/* Parse "check [-c FILE] [-v]"; returns -1 (usage), 0, or 1 for help. */
static int
config_args(int argc, char **argv, const char **path, int *verbose)
{
	if (argc < 1 || strcmp(argv[0], "check") != 0)
		return argc >= 1 && (strcmp(argv[0], "--help") == 0
		    || strcmp(argv[0], "-h") == 0) ? 1 : -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			*verbose = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc
		    && argv[i + 1][0] != '\0')
			*path = argv[++i];
		else {
			fprintf(stderr, "milterkit: unexpected argument %.60s for "
			    "config check\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

int
cmd_config(struct tool *t, int argc, char **argv)
{
	const char *path = t->g.conf_path;
	struct mk_conf *conf = NULL;
	char err[1024];
	int verbose = 0, rc;

	if ((rc = config_args(argc, argv, &path, &verbose)) != 0) {
		config_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (mk_conf_load(path != NULL ? path : MK_CONF_DEFAULT_PATH,
	    path == NULL, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return CLI_EXIT_USAGE;
	}
	printf("%s: configuration OK\n", path != NULL ? path : MK_CONF_DEFAULT_PATH);
	if (verbose)
		mk_cfg_schema_dump(&mk_conf_schema, conf, stdout);
	mk_conf_free(conf);
	return CLI_EXIT_OK;
}
