/*
 * NAME
 *	cmd_dkim.h - the `milterkit dkim` verbs
 * SYNOPSIS
 *	#include "cmd_dkim.h"
 *
 *	int	cmd_dkim(struct tool *t, int argc, char **argv);
 *	int	cmd_dkim_status(struct tool *t, int argc, char **argv);
 *	int	cmd_dkim_import(int argc, char **argv);
 *	const char *dkim_conf_str(const struct mk_conf *conf, const char *key,
 *			const char *def);
 *	int	dkim_owner(const struct mk_conf *conf, struct dkim_owner *o);
 *	int	dkim_name_ok(const char *s);
 * DESCRIPTION
 *	cmd_dkim() dispatches the verbs (argv[0] is keygen, status or
 *	import-opendkim) and returns the command's exit code: keygen in
 *	cmd_dkim.c, status in cmd_dkim_status.c, import-opendkim in
 *	cmd_dkim_import.c (which needs no configuration).
 *
 *	dkim_conf_str() reads a string option of [dkim] by name from the
 *	registered section's rows (def when [dkim] is not registered or
 *	the option is unset); the string is conf's. dkim_owner() tells whom
 *	the signer runs as: [dkim] user (default milterkit; found says
 *	whether the system knows it), or the caller when user is empty.
 *	dkim_name_ok() is 1 for a DNS name of LDH labels (a domain or a
 *	selector), else 0.
 */
#ifndef CMD_DKIM_H
#define CMD_DKIM_H

#include <sys/types.h>

#include "tool.h"

#define DKIM_USER_DEFAULT	"milterkit"
#define DKIM_TABLE_DEFAULT	"/etc/milterkit/dkim/signing.table"

struct dkim_owner {
	const char *name;	/* "" when the signer stays who starts it */
	uid_t uid;
	gid_t gid;
	int found;		/* name is a user of the system */
};

int cmd_dkim(struct tool *t, int argc, char **argv);
int cmd_dkim_status(struct tool *t, int argc, char **argv);
int cmd_dkim_import(int argc, char **argv);
const char *dkim_conf_str(const struct mk_conf *conf, const char *key,
    const char *def);
int dkim_owner(const struct mk_conf *conf, struct dkim_owner *o);
int dkim_name_ok(const char *s);

#endif
