/*
 * daemon_start.c - start-up chores shared by the milters and the policy
 * daemon: the common flags, detaching from the terminal, where the log
 * goes and the group of a unix socket (see mk_daemon.h).
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mk_daemon.h"
#include "mk_log.h"

int
mk_daemon_detach(int *ready_fd, int keep_stderr)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	/* A daemon keeps no terminal or pipe of its caller open. */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	*ready_fd = p[1];
	return 0;
}

void
mk_daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		mk_warn("cannot read the open files limit: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			mk_warn("cannot raise the open files limit from %llu: %s",
			    (unsigned long long)was, strerror(errno));
			getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	mk_info("open files limit: %llu (about as many MTA connections)",
	    (unsigned long long)rl.rlim_cur);
}

int
mk_daemon_log_start(int foreground, const char *target, char *err,
    size_t errlen)
{
	if (foreground)
		return 0;		/* stderr, as mk_log_open() set it */
	return mk_log_set_target(target, err, errlen);
}

void
mk_daemon_log_reload(int foreground, const char *target)
{
	char err[512];

	if (!foreground && mk_log_set_target(target, err, sizeof(err)) < 0)
		mk_error("log target %s: %s; the log stays where it was", target,
		    err);
}

void
mk_daemon_log_reopen(void)
{
	char err[512];

	if (mk_log_reopen(err, sizeof(err)) < 0)
		mk_error("cannot reopen the log: %s; still writing to the old"
		    " file", err);
	else
		mk_info("log reopened");
}

int
mk_daemon_ready(int ready_fd)
{
	int rc = 0;

	if (ready_fd < 0)
		return 0;
	if (write(ready_fd, "", 1) != 1)
		rc = -1;
	close(ready_fd);
	return rc;
}

const char *
mk_sock_group(const char *socket_group, const char *group, const char *user,
    char *buf, size_t len)
{
	struct passwd *pw;
	struct group *gr;

	if (socket_group != NULL && *socket_group)
		return socket_group;
	if (group != NULL && *group)
		return group;
	if (user == NULL || *user == '\0' || (pw = getpwnam(user)) == NULL ||
	    (gr = getgrgid(pw->pw_gid)) == NULL)
		return NULL;
	snprintf(buf, len, "%s", gr->gr_name);
	return buf;
}

static void
usage(const char *name, const char *section, const char *def_conf, FILE *fp)
{
	fprintf(fp, "usage: %s [-ftVh] [-c FILE] [-p SOCKET] [-P PIDFILE]"
	    " [-u USER]\n"
	    "  -c FILE     configuration file (default %s)\n"
	    "  -f          stay in the foreground, log to stderr\n"
	    "  -t          check the configuration and exit (0 good, 2 bad)\n"
	    "  -p SOCKET   listen on SOCKET instead of [%s] socket\n"
	    "  -P PIDFILE  write the pid to PIDFILE instead of [%s] pidfile\n"
	    "  -u USER     run as USER instead of [%s] user\n"
	    "  -V          print the version\n  -h          this help\n",
	    name, def_conf, section, section, section);
}

int
mk_daemon_opts_parse(const char *name, const char *version,
    const char *section, const char *def_conf, int argc, char **argv,
    struct mk_daemon_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->conf_path = def_conf;
	while ((c = getopt(argc, argv, "c:ftVhp:P:u:")) != -1) {
		switch (c) {
		case 'c': o->conf_path = optarg; o->conf_named = 1; break;
		case 'f': o->foreground = 1; break;
		case 't': o->test = 1; break;
		case 'p': o->socket = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'u': o->user = optarg; break;
		case 'V': printf("%s %s\n", name, version); return 0;
		case 'h': usage(name, section, def_conf, stdout); return 0;
		default: usage(name, section, def_conf, stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(name, section, def_conf, stderr);
		return 2;
	}
	return -1;
}

int
mk_daemon_listen(const char *spec, long long mode, const char *socket_group,
    const char *group, const char *user, struct mk_sockspec *ss,
    struct stat *st)
{
	char gbuf[256], err[512];
	int fd;

	if (mk_sock_parse(spec, ss, err, sizeof(err)) < 0)
		mk_fatal("socket '%s': %s", spec, err);
	fd = mk_sock_listen(ss, mode, mk_sock_group(socket_group, group, user,
	    gbuf, sizeof(gbuf)), SOMAXCONN, err, sizeof(err));
	if (fd < 0)
		mk_fatal("%s", err);
	memset(st, 0, sizeof(*st));
	if (ss->family == AF_UNIX && lstat(ss->path, st) < 0)
		mk_fatal("%s: %s", ss->path, strerror(errno));
	mk_info("listening on %s", spec);
	return fd;
}
