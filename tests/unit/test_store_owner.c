/*
 * NAME
 *	test_store_owner - unit tests of mk_store_as_owner() (store_owner.c)
 * DESCRIPTION
 *	Run as root (the only case where the function does anything). Each
 *	case forks: the child calls mk_store_as_owner() on a store directory
 *	set up by the parent, opens the store as a root-run command would
 *	and reports through its exit status and a pipe; the parent then
 *	looks at the files. Owner 65534 stands for the daemons' user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mk_store.h"

#define OWNER 65534

struct ofx {
	char top[64];		/* root's private directory */
	char dir[96];		/* the store directory, top/store */
	char victim[96];	/* a root file a link may point at */
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	struct ofx *f = calloc(1, sizeof(*f));
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "# test_store_owner must run as root\n");
		free(f);
		return -1;
	}
	strcpy(f->top, "/tmp/test_owner.XXXXXX");
	if (mkdtemp(f->top) == NULL)
		return -1;
	chmod(f->top, 0755);
	snprintf(f->dir, sizeof(f->dir), "%s/store", f->top);
	snprintf(f->victim, sizeof(f->victim), "%s/victim", f->top);
	if (mkdir(f->dir, 0750) != 0 || chown(f->dir, OWNER, OWNER) != 0)
		return -1;
	fd = open(f->victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "precious\n", 9) != 9)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct ofx *f = *state;

	nftw(f->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* In a child: become the owner of dir, then create the store and add one
 * entry. The child's message (or "ok uid") comes back in out. Returns the
 * child's exit status: 0 all done, 1 refused, 2 store error. */
static int
as_root_command(const char *dir, char *out, size_t outlen)
{
	int p[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct mk_store_who who;
		struct mk_store *st = NULL;
		struct mk_supp_entry e = { .reason = MK_REASON_BOUNCE };
		char err[512], msg[600];
		int rc;

		close(p[0]);
		if (mk_store_as_owner(dir, &who, err, sizeof(err)) < 0) {
			dprintf(p[1], "refused: %s", err);
			_exit(1);
		}
		strcpy(e.target, "a@x.example");
		rc = mk_store_open(dir, MK_STORE_CREATE, NULL, &st);
		if (rc == 0)
			rc = mk_supp_add(st, &e);
		snprintf(msg, sizeof(msg), "%s uid=%ld switched=%d",
		    rc == 0 ? "ok" : mk_store_strerror(rc), (long)getuid(),
		    who.switched);
		dprintf(p[1], "%s", msg);
		mk_store_close(st);
		_exit(rc == 0 ? 0 : 2);
	}
	close(p[1]);
	n = read(p[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
assert_owned(const char *dir, const char *name, uid_t uid)
{
	char p[200];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(lstat(p, &sb), 0);
	assert_int_equal(sb.st_uid, uid);
}

/* Files created by a root-run command belong to the store's owner, with
 * no chown: the command became that user before creating them. */
static void
test_becomes_owner(void **state)
{
	struct ofx *f = *state;
	char out[700];

	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 0);
	assert_string_equal(out, "ok uid=65534 switched=1");
	assert_owned(f->dir, "suppress", OWNER);
	assert_owned(f->dir, "suppress/data.mdb", OWNER);
	assert_owned(f->dir, "suppress/lock.mdb", OWNER);
}

/* A link planted by the store's owner is followed with the owner's rights
 * only: root's file behind it is left as it was. */
static void
test_planted_link(void **state)
{
	struct ofx *f = *state;
	char sub[200], link[220], out[700], buf[32] = "";
	int fd;

	snprintf(sub, sizeof(sub), "%s/suppress", f->dir);
	assert_int_equal(mkdir(sub, 0750), 0);
	assert_int_equal(chown(sub, OWNER, OWNER), 0);
	snprintf(link, sizeof(link), "%s/lock.mdb", sub);
	assert_int_equal(symlink(f->victim, link), 0);
	assert_int_equal(lchown(link, OWNER, OWNER), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "uid=65534"));
	fd = open(f->victim, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 9);
	close(fd);
	assert_string_equal(buf, "precious\n");
	assert_owned(f->top, "victim", 0);
}

/* A store directory others may write to is refused before anything is
 * opened. */
static void
test_group_writable_refused(void **state)
{
	struct ofx *f = *state;
	char out[700];

	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "writable by its group"));
	assert_int_equal(chmod(f->dir, 0757), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "writable by everyone"));
	assert_int_equal(access(f->dir, F_OK), 0);
	{
		char p[200];
		snprintf(p, sizeof(p), "%s/suppress", f->dir);
		assert_int_equal(access(p, F_OK), -1);	/* nothing created */
	}
}

/* A store of root's stays root's; a new store under a sticky shared
 * directory is created by root; under a directory of the owner's it is
 * created as the owner. */
static void
test_root_store_and_new_store(void **state)
{
	struct ofx *f = *state;
	char out[700], sticky[120], fresh[160];

	assert_int_equal(chown(f->dir, 0, 0), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 0);
	assert_string_equal(out, "ok uid=0 switched=0");
	assert_owned(f->dir, "suppress/data.mdb", 0);

	snprintf(sticky, sizeof(sticky), "%s/shared", f->top);
	assert_int_equal(mkdir(sticky, 0777), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	snprintf(fresh, sizeof(fresh), "%s/new/store", sticky);
	assert_int_equal(as_root_command(fresh, out, sizeof(out)), 0);
	assert_string_equal(out, "ok uid=0 switched=0");

	assert_int_equal(chown(sticky, OWNER, OWNER), 0);
	assert_int_equal(chmod(sticky, 0750), 0);
	snprintf(fresh, sizeof(fresh), "%s/other", sticky);
	assert_int_equal(as_root_command(fresh, out, sizeof(out)), 0);
	assert_string_equal(out, "ok uid=65534 switched=1");
	assert_owned(fresh, "suppress/data.mdb", OWNER);
}

/* Two owners, or an environment directory that is a link of the owner's,
 * are refused. */
static void
test_mixed_owners_and_links(void **state)
{
	struct ofx *f = *state;
	char sub[200], out[700];

	snprintf(sub, sizeof(sub), "%s/ratelimit", f->dir);
	assert_int_equal(mkdir(sub, 0750), 0);
	assert_int_equal(chown(sub, 65533, 65533), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "chown -R"));
	assert_int_equal(rmdir(sub), 0);

	snprintf(sub, sizeof(sub), "%s/suppress", f->dir);
	assert_int_equal(symlink(f->top, sub), 0);
	assert_int_equal(lchown(sub, OWNER, OWNER), 0);
	assert_int_equal(as_root_command(f->dir, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "link owned by uid 65534"));
}

/* Not root: nothing to decide, nothing switched. */
static void
test_not_root(void **state)
{
	struct ofx *f = *state;
	int status;
	pid_t pid;

	if ((pid = fork()) == 0) {
		struct mk_store_who who;
		char err[256];

		if (setgid(OWNER) != 0 || setuid(OWNER) != 0)
			_exit(3);
		_exit(mk_store_as_owner(f->dir, &who, err, sizeof(err)) == 0 &&
		    !who.switched && who.uid == OWNER ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_becomes_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_writable_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_store_and_new_store,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_owners_and_links,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_root, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_owner", tests, NULL, NULL);
}
