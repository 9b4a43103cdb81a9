/*
 * NAME
 *	test_daemon - unit tests of common/daemon.c
 * DESCRIPTION
 *	Socket specifications (a table of good and bad forms with exact
 *	results), unix socket creation (mode, stale and live sockets), pid
 *	files (live pid refused, stale and garbage replaced, removal only of
 *	our own), dropping privileges in a forked child, and the signal
 *	helpers. Runs as root (privileges test) in a private temp directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>

#include "mk_daemon.h"
#include "mk_log.h"

static char tmpdir[] = "/tmp/mk_test_daemon.XXXXXX";

/* ---- calls that change a file by path, recorded -------------------------
 * These definitions take the place of the C library's for the code linked
 * into this test (common/daemon.c among it), so a test can tell whether
 * a socket was chmod'ed or chown'ed by path, a race with whoever owns the
 * directory when root does it. They still do the work. */
static int by_path;		/* calls that follow a link at the name */

int
chmod(const char *path, mode_t mode)
{
	by_path++;
	return (int)syscall(SYS_fchmodat, AT_FDCWD, path, mode);
}

int
chown(const char *path, uid_t uid, gid_t gid)
{
	by_path++;
	return (int)syscall(SYS_fchownat, AT_FDCWD, path, uid, gid, 0);
}

int
fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		by_path++;
	return (int)syscall(SYS_fchownat, dirfd, path, uid, gid, flags);
}

struct good_case {
	const char *spec;
	int family;
	const char *path;
	const char *host;
	unsigned port;
	const char *canon;
};

static const struct good_case good[] = {
	{ "unix:/run/milterkit/suppress.sock", AF_UNIX, "/run/milterkit/suppress.sock", "", 0, "unix:/run/milterkit/suppress.sock" },
	{ "local:/var/run/x.sock", AF_UNIX, "/var/run/x.sock", "", 0, "unix:/var/run/x.sock" },
	{ "/tmp/bare.sock", AF_UNIX, "/tmp/bare.sock", "", 0, "unix:/tmp/bare.sock" },
	{ "inet:8891@127.0.0.1", AF_INET, "", "127.0.0.1", 8891, "inet:8891@127.0.0.1" },
	{ "inet:10025@localhost", AF_INET, "", "localhost", 10025, "inet:10025@localhost" },
	{ "inet:1", AF_INET, "", "", 1, "inet:1" },
	{ "inet:65535@mail.example.com", AF_INET, "", "mail.example.com", 65535, "inet:65535@mail.example.com" },
	{ "inet6:8891@::1", AF_INET6, "", "::1", 8891, "inet6:8891@::1" },
	{ "inet6:8891@[2001:db8::5]", AF_INET6, "", "2001:db8::5", 8891, "inet6:8891@2001:db8::5" },
	{ "inet6:25", AF_INET6, "", "", 25, "inet6:25" },
};

struct bad_case {
	const char *spec;
	const char *msg;	/* substring the error must contain */
};

static const struct bad_case bad[] = {
	{ "", "empty socket" },
	{ "unix:", "not absolute" },
	{ "unix:relative.sock", "not absolute" },
	{ "relative.sock", "not absolute" },
	{ "inet:0@127.0.0.1", "bad socket port '0'" },
	{ "inet:65536@127.0.0.1", "bad socket port '65536'" },
	{ "inet:123456@h", "bad socket port" },
	{ "inet:25x@h", "bad socket port '25x'" },
	{ "inet:@127.0.0.1", "bad socket port ''" },
	{ "inet:", "bad socket port" },
	{ "inet:25@", "empty host" },
	{ "inet:25@::1", "use inet6:" },
	{ "inet6:25@127.0.0.1", "use inet:" },
	{ "inet:25@bad host", "bad character" },
	{ "tcp:25@127.0.0.1", "unknown socket type 'tcp'" },
};

static void
test_sock_parse_good(void **state)
{
	struct mk_sockspec ss;
	char err[256], canon[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (mk_sock_parse(good[i].spec, &ss, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i].spec, err);
		assert_int_equal(ss.family, good[i].family);
		assert_string_equal(ss.path, good[i].path);
		assert_string_equal(ss.host, good[i].host);
		assert_int_equal(ss.port, good[i].port);
		assert_int_equal(mk_sock_format(&ss, canon, sizeof(canon)), 0);
		assert_string_equal(canon, good[i].canon);
	}
}

static void
test_sock_parse_bad(void **state)
{
	struct mk_sockspec ss;
	char err[256], longpath[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mk_sock_parse(bad[i].spec, &ss, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i].spec);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].spec, err, bad[i].msg);
	}
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(mk_sock_parse(longpath, &ss, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
test_sock_listen_unix(void **state)
{
	struct mk_sockspec ss;
	struct stat st;
	char path[256], err[256];
	int fd, fd2;

	snprintf(path, sizeof(path), "%s/l.sock", tmpdir);
	assert_int_equal(mk_sock_parse(path, &ss, err, sizeof(err)), 0);
	by_path = 0;
	fd = mk_sock_listen(&ss, 0660, "nogroup", 8, err, sizeof(err));
	if (fd < 0)
		fail_msg("listen: %s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, 65534);
	/* Born with its mode and group: nothing changed through the name. */
	assert_int_equal(by_path, 0);
	assert_int_equal(getegid(), 0);		/* and root's gid is back */

	/* A live socket is never taken over. */
	assert_int_equal(mk_sock_listen(&ss, 0660, NULL, 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process is listening"));

	/* Once nobody listens, the stale socket is replaced. */
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	fd2 = mk_sock_listen(&ss, 0600, NULL, 8, err, sizeof(err));
	if (fd2 < 0)
		fail_msg("stale socket not replaced: %s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd2);
	unlink(path);

	/* A regular file in the way is an error, and left alone. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mk_sock_listen(&ss, 0660, NULL, 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(stat(path, &st), 0);
	unlink(path);

	/* An unknown group is reported. */
	assert_int_equal(mk_sock_listen(&ss, 0660, "no-such-group-mk", 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown group"));
}

static void
test_sock_listen_inet(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct mk_sockspec ss;
	char spec[64], err[256];
	int probe, fd, c;

	/* Find a free loopback port, then listen on it through the spec. */
	probe = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &len), 0);
	close(probe);
	snprintf(spec, sizeof(spec), "inet:%u@127.0.0.1", ntohs(sin.sin_port));
	assert_int_equal(mk_sock_parse(spec, &ss, err, sizeof(err)), 0);
	fd = mk_sock_listen(&ss, 0, NULL, 8, err, sizeof(err));
	if (fd < 0)
		fail_msg("listen %s: %s", spec, err);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(c);
	close(fd);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_pidfile(void **state)
{
	char path[256], buf[64], err[256];
	pid_t pid, child;
	int status;

	snprintf(path, sizeof(path), "%s/d.pid", tmpdir);
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), 0);
	assert_int_equal(mk_pidfile_read(path, &pid), 0);
	assert_int_equal(pid, getpid());
	/* Our own pid file may be rewritten (restart after exec). */
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), 0);

	/* A live process (pid 1) is refused and its file kept. */
	write_file(path, "1\n");
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "process 1 is running"));
	assert_int_equal(mk_pidfile_read(path, &pid), 0);
	assert_int_equal(pid, 1);
	/* ... and not removed by us. */
	assert_int_equal(mk_pidfile_remove(path), -1);
	assert_int_equal(access(path, F_OK), 0);

	/* A dead process's file is stale and replaced. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	snprintf(buf, sizeof(buf), "%ld\n", (long)child);
	write_file(path, buf);
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), 0);
	assert_int_equal(mk_pidfile_read(path, &pid), 0);
	assert_int_equal(pid, getpid());

	/* Garbage is stale too. */
	write_file(path, "not a pid\n");
	assert_int_equal(mk_pidfile_read(path, &pid), -1);
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), 0);
	assert_int_equal(mk_pidfile_read(path, &pid), 0);
	assert_int_equal(pid, getpid());

	assert_int_equal(mk_pidfile_remove(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* No temporary file is left behind. */
	snprintf(buf, sizeof(buf), "%s/d.pid.%ld.tmp", tmpdir, (long)getpid());
	assert_int_equal(access(buf, F_OK), -1);

	snprintf(path, sizeof(path), "%s/missing-dir/d.pid", tmpdir);
	assert_int_equal(mk_pidfile_write(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing-dir"));
	/* The message says how to fix it. */
	assert_non_null(strstr(err, "directory does not exist: create it"));
	assert_non_null(strstr(err, "set pidfile ="));
}

static char warned[512];

static void
warn_sink(enum mk_log_level level, const char *line, void *arg)
{
	(void)arg;
	if (level == MK_LOG_WARN)
		snprintf(warned, sizeof(warned), "%s", line);
}

/* A daemon left running as root says so; one that dropped is silent. */
static void
test_privs_warn_root(void **state)
{
	pid_t child;
	int status;

	mk_log_set_sink(warn_sink, NULL);
	warned[0] = '\0';
	mk_privs_warn_root("suppress");
	assert_non_null(strstr(warned, "running as root: [suppress] user is"
	    " empty; set user ="));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char err[256];

		warned[0] = '\0';
		if (mk_privs_drop("nobody", NULL, err, sizeof(err)) != 0)
			_exit(10);
		mk_privs_warn_root("suppress");
		_exit(warned[0] == '\0' ? 0 : 11);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	mk_log_set_sink(NULL, NULL);
}

static void
test_privs_drop(void **state)
{
	char err[256];
	pid_t child;
	int status;

	assert_int_equal(geteuid(), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (mk_privs_drop("nobody", NULL, err, sizeof(err)) != 0)
			_exit(10);
		if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534)
			_exit(11);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(mk_privs_drop("no-such-user-mk", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown user 'no-such-user-mk'"));
	assert_non_null(strstr(err, "useradd --system no-such-user-mk"));
	assert_non_null(strstr(err, "set user ="));
	assert_int_equal(mk_privs_drop("nobody", "no-such-group-mk", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown group"));
	/* Empty user: stay as we are. */
	assert_int_equal(mk_privs_drop("", NULL, err, sizeof(err)), 0);
	assert_int_equal(geteuid(), 0);
}

static void
test_signals(void **state)
{
	assert_int_equal(mk_sig_setup(), 0);
	assert_int_equal(mk_sig_wait(10), 0);
	raise(SIGHUP);
	assert_int_equal(mk_sig_wait(1000), MK_SIG_HUP);
	raise(SIGTERM);
	raise(SIGINT);
	assert_int_equal(mk_sig_wait(1000), MK_SIG_TERM);
	mk_sig_wake();
	assert_int_equal(mk_sig_wait(1000), MK_SIG_WAKE);
	/* Bits are cleared once returned. */
	assert_int_equal(mk_sig_wait(0), 0);
}

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_parse_good),
		cmocka_unit_test(test_sock_parse_bad),
		cmocka_unit_test(test_sock_listen_unix),
		cmocka_unit_test(test_sock_listen_inet),
		cmocka_unit_test(test_pidfile),
		cmocka_unit_test(test_privs_drop),
		cmocka_unit_test(test_privs_warn_root),
		cmocka_unit_test(test_signals),
	};

	return cmocka_run_group_tests_name("daemon", tests, setup, teardown);
}
