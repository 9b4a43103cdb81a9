/*
 * NAME
 *	tool.c - store opening and address normalization for the verbs
 * SYNOPSIS
 *	See tool.h.
 * DESCRIPTION
 *	One place decides how the command opens the store, so every verb
 *	normalizes addresses exactly as the store recorded and reports store
 *	trouble the same way (exit 3, strerror plus detail).
 * SEE ALSO
 *	tool.h, mk_store.h, mk_addr.h
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mk_log.h"
#include "tool.h"

int
tool_store_fail(const struct tool *t, const struct mk_store *st, int rc,
    const char *what)
{
	const char *detail = mk_store_errdetail(st);

	fprintf(stderr, "milterkit: %s: %s: %s%s%s\n", what, t->store_dir,
	    mk_store_strerror(rc), *detail ? ": " : "", detail);
	if (rc == MK_STORE_EFULL)
		fprintf(stderr, "milterkit: the store is full: raise [store] "
		    "map_size in %s\n", t->g.conf_path != NULL ? t->g.conf_path
		    : MK_CONF_DEFAULT_PATH);
	return CLI_EXIT_STORE;
}

int
tool_as_owner(struct tool *t)
{
	struct mk_store_who who;
	char err[512];

	if (t->as_owner)
		return 0;
	if (mk_store_as_owner(t->store_dir, &who, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_STORE;
	}
	if (who.switched)
		mk_debug("running as uid %ld gid %ld, the owner of %s",
		    (long)who.uid, (long)who.gid, who.from);
	t->as_owner = 1;
	return 0;
}

/* Root created a store that stays root's: say whom the daemons run as,
 * since they cannot open it. */
static void
warn_root_store(const struct tool *t)
{
	const struct mk_conf_daemon *d = mk_conf_daemon(t->conf, "suppress");
	const char *user = d != NULL ? d->user : NULL;
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL || *user == '\0' ||
	    (pw = getpwnam(user)) == NULL || pw->pw_uid == 0)
		return;			/* no such user: no daemon to warn of */
	fprintf(stderr, "milterkit: warning: %s was created by root and"
	    " belongs to root, but the daemons run as %s ([suppress] user)"
	    " and cannot open it: chown -R %s: %s\n", t->store_dir, user,
	    user, t->store_dir);
}

int
tool_open_store(struct tool *t, int mode, struct mk_store **st)
{
	struct mk_store_opts so;
	struct mk_store *probe = NULL;
	int rc;

	*st = NULL;
	if ((rc = tool_as_owner(t)) != 0)
		return rc;
	if (mode == TOOL_READ) {
		rc = mk_store_open(t->store_dir, MK_STORE_RDONLY, NULL, st);
		if (rc == MK_STORE_ENOENT)
			return rc;
		return rc < 0 ? tool_store_fail(t, *st, rc, "cannot open store")
		    : 0;
	}
	/* Learn the recorded normalization; a new store takes the config's. */
	mk_conf_store_opts(t->conf, &so);
	rc = mk_store_open(t->store_dir, MK_STORE_RDONLY, NULL, &probe);
	if (rc == 0) {
		so.addr = *mk_store_addr_opts(probe);
		mk_store_close(probe);
	} else if (rc == MK_STORE_ENOENT) {
		mk_store_close(probe);
		if (mode != TOOL_CREATE)
			return rc;
		t->created = 1;
	} else {
		rc = tool_store_fail(t, probe, rc, "cannot open store");
		mk_store_close(probe);
		return rc;
	}
	rc = mk_store_open(t->store_dir, mode == TOOL_CREATE ? MK_STORE_CREATE |
	    MK_STORE_STAGED : 0, &so, st);
	if (rc < 0) {
		rc = tool_store_fail(t, *st, rc, "cannot open store");
		mk_store_close(*st);
		*st = NULL;
		return rc;
	}
	if (t->created)
		warn_root_store(t);
	return 0;
}

int
tool_store_finish(const struct tool *t, struct mk_store *st, int rc)
{
	int pr;

	if (rc != 0) {
		mk_store_discard(st);
		return rc;
	}
	if ((pr = mk_store_publish(st)) < 0) {
		rc = tool_store_fail(t, st, pr, "cannot publish the new store");
		mk_store_discard(st);
		return rc;
	}
	mk_store_close(st);
	return 0;
}

int
tool_norm_target(const struct mk_addr_opts *ao, const char *in, char *out,
    size_t outlen, char *err, size_t errlen)
{
	char shown[80];
	struct mk_addr a;
	int rc;

	if (in[0] == '@') {
		rc = mk_addr_domain(in + 1, strlen(in + 1), out + 1, outlen - 1);
		if (rc == 0) {
			out[0] = '@';
			return 0;
		}
	} else if ((rc = mk_addr_parse(in, strlen(in), ao, &a)) == 0) {
		if (strlen(a.norm) >= outlen) {
			snprintf(err, errlen, "address too long");
			return -1;
		}
		strcpy(out, a.norm);
		return 0;
	}
	snprintf(err, errlen, "bad %s \"%s\": %s", in[0] == '@' ? "domain"
	    : "address", mk_printable(shown, sizeof(shown), in, (size_t)-1),
	    mk_addr_strerror(rc));
	return -1;
}

int
tool_norm_scope(const char *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char shown[80];
	int rc;

	if (in == NULL || in[0] == '\0') {
		out[0] = '\0';
		return 0;
	}
	if ((rc = mk_addr_domain(in, strlen(in), out, outlen)) < 0) {
		snprintf(err, errlen, "bad scope \"%s\": %s",
		    mk_printable(shown, sizeof(shown), in, (size_t)-1),
		    mk_addr_strerror(rc));
		return -1;
	}
	return 0;
}

int
tool_load_conf(struct tool *t)
{
	char err[512];
	const char *path = t->g.conf_path != NULL ? t->g.conf_path
	    : MK_CONF_DEFAULT_PATH;

	if (mk_conf_load(path, t->g.conf_path == NULL, &t->conf, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
}
