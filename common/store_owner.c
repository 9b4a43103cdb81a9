/*
 * NAME
 *	store_owner - a root-run command becomes the store's owner before it
 *	opens anything in the store
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	int	mk_store_as_owner(const char *dir, struct mk_store_who *who,
 *			char *err, size_t errlen);
 * DESCRIPTION
 *	The store directory belongs to the daemons' user (milterkit in the
 *	packages), who may plant links in it: a "lock.mdb" pointing at a
 *	file of root's. A command run as root therefore never opens, creates
 *	or chowns anything there as root: it switches for good to the owner
 *	of the store (real and effective user and group, supplementary
 *	groups dropped), so whatever it creates has the right owner from the
 *	start and whatever link it meets is followed with that user's rights
 *	only. Nothing is ever chowned by path.
 *
 *	Looked at: the store directory (or, when it does not exist yet, the
 *	nearest directory above it, where it will be created) and the
 *	environments' directories inside it (suppress/, ratelimit/). The
 *	owner to become is the one user other than root who owns any of
 *	them; when they all belong to root the command stays root. A
 *	directory writable by its group or by everyone is refused (anyone
 *	there could plant links), except a sticky one above a store still to
 *	be created (/tmp); so are two different owners.
 *
 *	Not root: nothing to do. Returns 0 and fills who (may be NULL: uid
 *	and gid in force afterwards, whether a switch happened, the path
 *	whose owner was taken), or -1 with a message in err: the caller must
 *	then open nothing.
 * SEE ALSO
 *	milterkit(8), DESIGN.md "The store"
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_store.h"

#define SETERR(...) do { if (err != NULL && errlen > 0) \
	snprintf(err, errlen, __VA_ARGS__); } while (0)

/* Environments whose directories must agree with the store's owner. */
static const char *const env_dirs[] = { "suppress", "ratelimit", "feedback" };

/* One directory checked: -1 with a message when it is open to others. */
static int
check_dir(const char *path, const struct stat *sb, int above, char *err,
    size_t errlen)
{
	if (!S_ISDIR(sb->st_mode)) {
		SETERR("%s: not a directory", path);
		return -1;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	/* /tmp-like: others cannot replace what root creates in it. */
	if (above && (sb->st_mode & S_ISVTX))
		return 0;
	SETERR("%s is writable by %s: anyone there could plant links that a"
	    " command run as root would follow; refusing (chmod go-w %s)",
	    path, sb->st_mode & S_IWOTH ? "everyone" : "its group", path);
	return -1;
}

/* The existing directory a store at dir lives in or will be created in:
 * dir itself, else its nearest existing parent (in buf). */
static int
nearest(const char *dir, char *buf, size_t len, struct stat *sb, int *above,
    char *err, size_t errlen)
{
	char *slash;

	if ((size_t)snprintf(buf, len, "%s", dir) >= len) {
		SETERR("%.80s...: path too long", dir);
		return -1;
	}
	*above = 0;
	for (;;) {
		if (stat(buf, sb) == 0)
			return 0;
		if (errno != ENOENT) {
			SETERR("%s: %s", buf, strerror(errno));
			return -1;
		}
		*above = 1;
		while ((slash = strrchr(buf, '/')) != NULL && slash[1] == '\0' &&
		    slash != buf)
			*slash = '\0';		/* trailing slashes */
		if ((slash = strrchr(buf, '/')) == NULL)
			snprintf(buf, len, ".");
		else if (slash == buf)
			buf[1] = '\0';		/* "/" */
		else
			*slash = '\0';
	}
}

/* Note the owner of one directory; -1 when it differs from the one noted. */
static int
note_owner(const char *path, const struct stat *sb, struct mk_store_who *w,
    char *err, size_t errlen)
{
	if (sb->st_uid == 0)
		return 0;
	if (w->switched && w->uid != sb->st_uid) {
		SETERR("%s belongs to uid %ld but %s to uid %ld: give the whole"
		    " store to one user (chown -R)", path, (long)sb->st_uid,
		    w->from, (long)w->uid);
		return -1;
	}
	if (!w->switched) {
		w->switched = 1;
		w->uid = sb->st_uid;
		w->gid = sb->st_gid;
		snprintf(w->from, sizeof(w->from), "%s", path);
	}
	return 0;
}

/* Become uid/gid for good; -1 when it fails or root could come back. */
static int
become(const struct mk_store_who *w, char *err, size_t errlen)
{
	if (setgroups(1, &w->gid) < 0 || setgid(w->gid) < 0 ||
	    setuid(w->uid) < 0) {
		SETERR("cannot switch to uid %ld gid %ld, the owner of %s: %s",
		    (long)w->uid, (long)w->gid, w->from, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		SETERR("root could be regained after switching to uid %ld",
		    (long)w->uid);
		return -1;
	}
	return 0;
}

int
mk_store_as_owner(const char *dir, struct mk_store_who *who, char *err,
    size_t errlen)
{
	struct mk_store_who w;
	char path[4096];
	struct stat sb;
	int above;

	memset(&w, 0, sizeof(w));
	if (who != NULL) {
		memset(who, 0, sizeof(*who));
		who->uid = geteuid();
		who->gid = getegid();
	}
	if (geteuid() != 0)
		return 0;
	if (dir == NULL || *dir == '\0') {
		SETERR("no store directory");
		return -1;
	}
	if (nearest(dir, path, sizeof(path), &sb, &above, err, errlen) < 0 ||
	    check_dir(path, &sb, above, err, errlen) < 0 ||
	    note_owner(path, &sb, &w, err, errlen) < 0)
		return -1;
	for (size_t i = 0; !above && i < sizeof(env_dirs) / sizeof(env_dirs[0]);
	    i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    env_dirs[i]) >= sizeof(path)) {
			SETERR("%.80s...: path too long", dir);
			return -1;
		}
		/* lstat: a link here is not root's to follow. */
		if (lstat(path, &sb) < 0) {
			if (errno == ENOENT)
				continue;
			SETERR("%s: %s", path, strerror(errno));
			return -1;
		}
		if (S_ISLNK(sb.st_mode) && sb.st_uid != 0) {
			SETERR("%s is a link owned by uid %ld: refusing to"
			    " follow it as root", path, (long)sb.st_uid);
			return -1;
		}
		if (S_ISLNK(sb.st_mode) && stat(path, &sb) < 0) {
			SETERR("%s: %s", path, strerror(errno));
			return -1;
		}
		/* Not a directory: nothing can be opened below it; the open
		 * will say so. */
		if (!S_ISDIR(sb.st_mode))
			continue;
		if (check_dir(path, &sb, 0, err, errlen) < 0 ||
		    note_owner(path, &sb, &w, err, errlen) < 0)
			return -1;
	}
	if (w.switched && become(&w, err, errlen) < 0)
		return -1;
	if (who != NULL && w.switched)
		*who = w;
	return 0;
}
