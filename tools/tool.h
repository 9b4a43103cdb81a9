/*
 * NAME
 *	tool - shared state and helpers of the milterkit command's verbs
 * SYNOPSIS
 *	#include "tool.h"
 *
 *	int	tool_open_store(struct tool *t, int mode, struct mk_store **st);
 *	int	tool_store_fail(const struct tool *t, const struct mk_store *st,
 *			int rc, const char *what);
 *	int	tool_norm_target(const struct mk_addr_opts *ao, const char *in,
 *			char *out, size_t outlen, char *err, size_t errlen);
 *	int	tool_norm_scope(const char *in, char *out, size_t outlen,
 *			char *err, size_t errlen);
 *	int	tool_load_conf(struct tool *t);
 *	int	cmd_suppress(struct tool *t, int argc, char **argv);
 *	int	cmd_import(struct tool *t, const struct cli_supp_opts *o);
 *	int	tool_as_owner(struct tool *t);
 *	int	tool_store_finish(const struct tool *t, struct mk_store *st,
 *			int rc);
 *	int	cmd_store(struct tool *t, int argc, char **argv);
 *	int	cmd_config(struct tool *t, int argc, char **argv);
 *	int	cmd_ingest(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	struct tool carries what main() worked out before dispatching a verb:
 *	the global options, the loaded configuration and the store directory.
 *	Every cmd_* function returns the command's exit code (CLI_EXIT_*).
 *
 *	tool_open_store() opens the suppression store: TOOL_READ read-only,
 *	TOOL_WRITE read-write, TOOL_CREATE creating it when missing. A
 *	writer keeps the normalization the store recorded and takes map_size
 *	from the configuration; a new store gets the configuration's
 *	normalization. It returns 0, or an exit code after printing why
 *	(MK_STORE_ENOENT is returned as is for callers that accept a store
 *	that does not exist yet). A store it creates sets t->created; created
 *	by root and left to root (see tool_as_owner()) while the daemons run
 *	as another user, it is reported with a warning naming that user and
 *	the chown that fixes it. tool_store_fail() prints a store error with
 *	its detail and returns CLI_EXIT_STORE.
 *
 *	A store TOOL_CREATE creates is built beside its place and published
 *	whole: the writer ends with tool_store_finish(t, st, rc), which with
 *	rc 0 puts a new store in place and closes the handle (0, or an exit
 *	code after printing why), and with another rc discards a new store
 *	that was not published and returns rc.
 *
 *	tool_as_owner() runs before anything under the store directory is
 *	opened (tool_open_store() and the rate-limit verbs call it): as
 *	root, the command becomes the store's owner for good
 *	(mk_store_as_owner()). 0, or CLI_EXIT_STORE after printing why.
 *
 *	tool_load_conf() loads t->conf from -c FILE or the default file (a
 *	missing default file gives the defaults, a missing named one is an
 *	error): 0, or CLI_EXIT_USAGE after printing why.
 *
 *	tool_norm_target() normalizes an address or "@domain";
 *	tool_norm_scope() a sender domain ("" stays global). Both return 0 or
 *	-1 with the reason in err.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mk_addr.h"
#include "mk_conf.h"
#include "mk_store.h"

enum { TOOL_READ = 0, TOOL_WRITE = 1, TOOL_CREATE = 2 };

struct tool {
	struct cli_global g;
	struct mk_conf *conf;	/* NULL for `config check` */
	const char *store_dir;
	int64_t now;
	int as_owner;		/* tool_as_owner() done */
	int created;		/* tool_open_store() created the store */
};

int tool_open_store(struct tool *t, int mode, struct mk_store **st);
int tool_store_fail(const struct tool *t, const struct mk_store *st, int rc,
    const char *what);
int tool_norm_target(const struct mk_addr_opts *ao, const char *in, char *out,
    size_t outlen, char *err, size_t errlen);
int tool_norm_scope(const char *in, char *out, size_t outlen, char *err,
    size_t errlen);

int tool_load_conf(struct tool *t);
int cmd_suppress(struct tool *t, int argc, char **argv);
int cmd_import(struct tool *t, const struct cli_supp_opts *o);
int tool_as_owner(struct tool *t);
int tool_store_finish(const struct tool *t, struct mk_store *st, int rc);
int cmd_store(struct tool *t, int argc, char **argv);
int cmd_config(struct tool *t, int argc, char **argv);
int cmd_ratelimit(struct tool *t, int argc, char **argv);
int cmd_ingest(struct tool *t, int argc, char **argv);

#endif
