/*
 * NAME
 *	store_stage - a new store built beside its place and published whole
 *	(mk_store_publish(), mk_store_discard(); mk_store.h)
 * DESCRIPTION
 *	mk_store_open() with MK_STORE_STAGED builds a store that does not
 *	exist yet in DIR/suppress.new; publishing renames it to DIR/suppress
 *	with RENAME_NOREPLACE, so readers see the whole store or none, and a
 *	store that appeared meanwhile is never replaced.
 * SEE ALSO
 *	store_lmdb.c
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_priv.h"

/* mk_store__rmtree - remove PATH and what is in it (a staged store's
 * directory holds two files); 0 when gone, -1 with errno */
static int
store_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

int
mk_store__rmtree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, store_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* store_put_in_place - rename the staged store to its place, never over a
 * store that appeared meanwhile; an empty directory there (made by hand)
 * is no store and makes way. 0, or -1 with errno (EEXIST: occupied) */
static int
store_put_in_place(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (rmdir(to) != 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int
mk_store_publish(struct mk_store *st)
{
	if (st == NULL || !st->staged)
		return 0;
	if (store_put_in_place(st->path, st->final) != 0)
		return mk_store__err(errno == EEXIST ? MK_STORE_EBUSY :
		    MK_STORE_EIO, "%s: cannot put the new store in place: %s%s",
		    st->final, strerror(errno), errno == EEXIST ? " (something"
		    " is there already, another command's store or files that"
		    " are not a store)" : "");
	st->staged = 0;
	snprintf(st->path, sizeof(st->path), "%s", st->final);
	return 0;
}

void
mk_store_discard(struct mk_store *st)
{
	char path[sizeof(st->path)];
	int staged;

	if (st == NULL)
		return;
	staged = st->staged;
	memcpy(path, st->path, sizeof(path));
	mk_store_close(st);
	if (staged)
		(void)mk_store__rmtree(path);
}
