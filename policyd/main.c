/*
 * NAME
 *	milterkit-policyd - Postfix policy service enforcing rate limits
 * SYNOPSIS
 *	milterkit-policyd [-ftVh] [-c FILE] [-p SOCKET] [-P PIDFILE] [-u USER]
 * DESCRIPTION
 *	Start-up, signals and reload; the protocol is in server.c and conn.c,
 *	the requests in request.c, the limits in common/ratelimit.
 *
 *	Order at start, as the milters: parse flags, load the configuration
 *	and its rules, raise the soft limit of open files to the hard limit
 *	(one descriptor per client connection), bind the socket as root and
 *	give a unix socket its mode and group, detach (unless -f), write the
 *	pid file, drop privileges, open the engine, tell the parent we are
 *	ready, serve.
 *
 *	Signals: SIGHUP, SIGTERM and SIGINT are blocked except while the
 *	loop sleeps in epoll_pwait(), so none is lost between two sleeps.
 *	SIGHUP: load the file and its rules anew; a bad file keeps the
 *	running configuration and logs FILE:LINE; a good one is swapped in
 *	(server.h says how the engine follows) and "reloaded" is logged.
 *	The socket, pid file and user stay as they were at start.
 *	SIGTERM/SIGINT: close every connection, remove the socket and the
 *	pid file, exit 0.
 * DIAGNOSTICS
 *	Exit status: 0 after a requested stop or a good -t; 2 on a bad
 *	configuration or usage; 3 on other start-up failures.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_conf.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "policyd_conf.h"
#include "mk_ratelimit.h"
#include "sections.h"
#include "server.h"

#define PD_NAME "milterkit-policyd"

/* The file and its rules; 0, or -1 with "FILE:LINE: why" in err. */
static int
load(const struct mk_daemon_opts *o, struct mk_conf **conf, struct mk_rl_rules **rules,
    char *err, size_t errlen)
{
	*rules = NULL;
	if (mk_conf_load(o->conf_path, !o->conf_named, conf, err, errlen) < 0)
		return -1;
	if (mk_rl_rules_load(*conf, rules, err, errlen) < 0) {
		mk_conf_free(*conf);
		*conf = NULL;
		return -1;
	}
	return 0;
}

static void
reload(struct pd_server *s, const struct mk_daemon_opts *o)
{
	struct mk_conf *conf;
	struct mk_rl_rules *rules;
	char err[1024];

	if (load(o, &conf, &rules, err, sizeof(err)) < 0) {
		mk_error("reload failed, keeping the running configuration: %s", err);
		return;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	mk_daemon_log_reload(o->foreground, conf->log.target);
	pd_server_install(s, conf, rules);
	mk_info("reloaded %s (%zu rules)", o->conf_path, mk_rl_rules_count(rules));
}

/* Serve until SIGTERM; signals are delivered only inside epoll_pwait(). */
static void
serve(struct pd_server *s, const struct mk_daemon_opts *o)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigdelset(&old, SIGHUP);
	sigdelset(&old, SIGTERM);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGUSR1);
	for (;;) {
		unsigned bits = pd_server_run(s, &old);

		if (bits & MK_SIG_TERM)
			break;
		if (bits & MK_SIG_HUP)
			reload(s, o);
		else if (bits & MK_SIG_REOPEN)
			mk_daemon_log_reopen();
	}
	mk_info("stopping");
}

int
main(int argc, char **argv)
{
	struct mk_daemon_opts o;
	struct mk_conf *conf;
	struct mk_rl_rules *rules;
	const struct mk_conf_daemon *d;
	struct mk_sockspec ss;
	struct stat sst, now;
	struct pd_server *s;
	char err[1024], *pidfile;
	const char *user;
	int rc, fd, ready_fd = -1;

	mk_conf_use(mkf_sections);	/* the file is shared: know every section */
	if ((rc = mk_daemon_opts_parse(PD_NAME, PACKAGE_VERSION,
	    "policyd", MK_CONF_DEFAULT_PATH, argc, argv, &o)) >= 0)
		return rc;
	mk_log_open(PD_NAME, 1);
	if (load(&o, &conf, &rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (o.test) {
		printf("%s: configuration OK (%zu rate-limit rules)\n", o.conf_path,
		    mk_rl_rules_count(rules));
		mk_rl_rules_free(rules);
		mk_conf_free(conf);
		return 0;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	d = &policyd_conf(conf)->d;
	user = o.user ? o.user : d->user;
	if (mk_daemon_log_start(o.foreground, conf->log.target, err,
	    sizeof(err)) < 0)
		mk_fatal("%s", err);
	mk_daemon_raise_nofile();
	fd = mk_daemon_listen(o.socket ? o.socket : d->socket,
	    d->socket_mode, d->socket_group, d->group, user, &ss, &sst);
	if (!o.foreground && mk_daemon_detach(&ready_fd,
	    strcmp(conf->log.target, "stderr") == 0) < 0)
		mk_fatal("cannot detach: %s", strerror(errno));
	/* Copied: a reload frees the configuration these point into. */
	pidfile = mk_strdup(o.pidfile ? o.pidfile : d->pidfile ? d->pidfile : "");
	if (*pidfile && mk_pidfile_write(pidfile, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (mk_privs_drop(user, d->group, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	mk_privs_warn_root("policyd");
	if (mk_sig_setup() < 0)
		mk_fatal("cannot install signal handlers: %s", strerror(errno));
	s = pd_server_new(fd, ss.family != AF_UNIX);
	pd_server_install(s, conf, rules);
	if (mk_daemon_ready(ready_fd) < 0)
		mk_warn("cannot tell the parent we are ready");
	mk_info("started %s %s", PD_NAME, PACKAGE_VERSION);
	serve(s, &o);
	pd_server_free(s);
	/* Only our socket: another instance may have taken the path since. */
	if (ss.family == AF_UNIX && lstat(ss.path, &now) == 0 &&
	    now.st_ino == sst.st_ino && now.st_dev == sst.st_dev &&
	    unlink(ss.path) < 0)
		mk_warn("cannot remove socket %s: %s", ss.path, strerror(errno));
	if (*pidfile && mk_pidfile_remove(pidfile) < 0)
		mk_warn("cannot remove pid file %s: %s", pidfile, strerror(errno));
	free(pidfile);
	mk_info("stopped");
	return 0;
}
