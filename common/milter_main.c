/*
 * NAME
 *	milter_main.c - start-up, signals and reload of the milter skeleton
 * SYNOPSIS
 *	int	mk_milter_main(const struct mk_milter_desc *desc, int argc,
 *			char **argv);
 *	int	mk_milter_chain_main(const struct mk_milter_prog *prog,
 *			int argc, char **argv);
 * DESCRIPTION
 *	Order at start: parse flags, load the configuration, set the log
 *	level, open the socket while still root (so /run paths work) and
 *	set its mode and group, detach (unless -f), write the pid file, drop
 *	privileges, build the chain (each filter's state with its init()),
 *	run. mk_milter_main() serves the chain of one filter, under the
 *	filter's own name and section.
 *
 *	Threads and signals: the event loops (milter_engine.c, [SECTION]
 *	threads of them) are created with every signal blocked; the main
 *	thread alone takes SIGHUP, SIGTERM and SIGINT, whose handlers only
 *	set bits and write to a pipe it sleeps on (mk_sig_wait()).
 *
 *	SIGTERM/SIGINT: stop the loops (connections in progress are closed,
 *	their close callbacks run), remove the unix socket (if it is still
 *	ours) and the pid file, exit 0.
 *	SIGHUP: load the file into a new configuration, build its chain,
 *	swap the snapshot in (connections in progress keep theirs) and log
 *	"reloaded"; on failure keep the running one and log FILE:LINE.
 * DIAGNOSTICS
 *	Exit status: 0 after a requested stop or a good -t; 2 on a bad
 *	configuration or usage; 3 on other start-up failures (mk_fatal()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_conf.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "mk_milter_engine.h"
#include "milter_priv.h"

/* What is served: one filter, or the chain a configuration names. */
struct host {
	const char *name, *section, *version;
	const struct mk_milter_desc *one;
	const struct mk_milter_prog *prog;
};

/* The snapshot of a configuration: its chain built; NULL with err set
 * (conf is then still the caller's). */
static struct mk_milter_snap *
build_chain(const struct host *h, struct mk_conf *conf, char *err,
    size_t errlen)
{
	const struct mk_milter_desc *f[MK_MILTER_CHAIN_MAX];
	size_t n = 1;

	if (h->one != NULL)
		f[0] = h->one;
	else if (h->prog->chain(conf, f, &n, err, errlen) < 0)
		return NULL;
	return mk_milter__snap_build(conf, h->section, f, n, err, errlen);
}

/* Loads the file and builds its snapshot; NULL with err set. */
static struct mk_milter_snap *
build(const struct host *h, const struct mk_daemon_opts *o, char *err,
    size_t errlen)
{
	struct mk_conf *conf;
	struct mk_milter_snap *s;

	if (mk_conf_load(o->conf_path, !o->conf_named, &conf, err, errlen) < 0)
		return NULL;
	if ((s = build_chain(h, conf, err, errlen)) == NULL)
		mk_conf_free(conf);
	return s;
}

static void
reload(const struct host *h, const struct mk_daemon_opts *o)
{
	struct mk_milter_snap *s;
	char err[1024];

	if ((s = build(h, o, err, sizeof(err))) == NULL) {
		mk_error("reload failed, keeping the running configuration: %s", err);
		return;
	}
	mk_log_set_level((enum mk_log_level)s->conf->log.level);
	mk_daemon_log_reload(o->foreground, s->conf->log.target);
	mk_milter__snap_install(s);
	mk_info("reloaded %s", o->conf_path);
}

/* The socket being served: its unix path and inode, to remove it at stop
 * unless another instance has taken the path since. */
struct msock {
	struct mk_sockspec ss;
	struct stat st;
	int fd;
};

/* Open the milter socket as root and give it its mode and group
 * (non-blocking). */
static void
open_socket(const char *sockspec, const struct mk_conf_daemon *d,
    const char *user, struct msock *ms)
{
	char gbuf[256];
	struct mk_sockspec ss;
	char canon[600], err[512];
	int fd;

	if (mk_sock_parse(sockspec, &ss, err, sizeof(err)) < 0)
		mk_fatal("socket '%s': %s", sockspec, err);
	if (mk_sock_format(&ss, canon, sizeof(canon)) < 0)
		mk_fatal("socket '%s': too long", sockspec);
	fd = mk_sock_listen(&ss, d->socket_mode, mk_sock_group(d->socket_group,
	    d->group, user, gbuf, sizeof(gbuf)), 256, err, sizeof(err));
	if (fd < 0)
		mk_fatal("cannot open socket %s: %s", canon, err);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		mk_fatal("cannot open socket %s: %s", canon, strerror(errno));
	ms->ss = ss;
	ms->fd = fd;
	if (ss.family == AF_UNIX && lstat(ss.path, &ms->st) < 0)
		mk_fatal("cannot open socket %s: %s", canon, strerror(errno));
	mk_info("listening on %s", canon);
}

static void
close_socket(const struct msock *ms)
{
	struct stat now;

	close(ms->fd);
	if (ms->ss.family == AF_UNIX && lstat(ms->ss.path, &now) == 0 &&
	    now.st_ino == ms->st.st_ino && now.st_dev == ms->st.st_dev &&
	    unlink(ms->ss.path) < 0)
		mk_warn("cannot remove socket %s: %s", ms->ss.path, strerror(errno));
}

/* Serve until stopped; returns the exit status. */
static int
run(const struct host *h, const struct mk_daemon_opts *o,
    const struct msock *ms, const struct mk_conf_daemon *d)
{
	sigset_t old;
	unsigned loops = mk_mengine_threads(d->threads);

	if (mk_sig_setup() < 0)
		mk_fatal("cannot install signal handlers: %s", strerror(errno));
	mk_sig_block_all(&old);
	if (mk_milter__pool_start((unsigned)d->workers) < 0)
		mk_fatal("cannot start the worker threads");
	if (mk_mengine_start(ms->fd, ms->ss.family != AF_UNIX,
	    mk_milter__ops(), loops, (unsigned)d->timeout) < 0)
		mk_fatal("cannot start the event loops");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	mk_debug("%u event loops", loops);
	for (;;) {
		unsigned bits = mk_sig_wait(-1);

		if (bits & MK_SIG_TERM)
			break;
		if (bits & MK_SIG_HUP)
			reload(h, o);
		else if (bits & MK_SIG_REOPEN)
			mk_daemon_log_reopen();
	}
	mk_info("stopping");
	mk_milter__pool_stop();		/* its jobs come back to the loops */
	mk_mengine_stop();
	mk_mengine_wait();
	close_socket(ms);
	mk_info("stopped");
	return 0;
}

static int
serve(const struct host *h, int argc, char **argv)
{
	struct mk_daemon_opts o;
	struct mk_conf *conf;
	const struct mk_conf_daemon *d;
	struct mk_milter_snap *snap;
	char err[1024];
	struct msock ms;
	int rc, ready_fd = -1;

	if ((rc = mk_daemon_opts_parse(h->name, h->version, h->section,
	    MK_CONF_DEFAULT_PATH, argc, argv, &o)) >= 0)
		return rc;
	mk_log_open(h->name, 1);
	if (mk_conf_load(o.conf_path, !o.conf_named, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (o.test) {
		/* The filters' own state too: files they read (a secret),
		 * values only they can judge. */
		if ((snap = build_chain(h, conf, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			mk_conf_free(conf);
			return 2;
		}
		mk_milter__snap_install(snap);
		mk_milter__snap_release_current();
		printf("%s: configuration OK\n", o.conf_path);
		return 0;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	if ((d = mk_conf_daemon(conf, h->section)) == NULL)
		mk_fatal("no section [%s] in the configuration schema", h->section);
	if (mk_daemon_log_start(o.foreground, conf->log.target, err,
	    sizeof(err)) < 0)
		mk_fatal("%s", err);
	mk_daemon_raise_nofile();
	open_socket(o.socket != NULL ? o.socket : d->socket, d,
	    o.user != NULL ? o.user : d->user, &ms);
	if (!o.foreground && mk_daemon_detach(&ready_fd,
	    strcmp(conf->log.target, "stderr") == 0) < 0)
		mk_fatal("cannot detach: %s", strerror(errno));
	/* Copied: a reload frees the configuration it points into. */
	o.pidfile = mk_strdup(o.pidfile != NULL ? o.pidfile :
	    d->pidfile != NULL ? d->pidfile : "");
	if (*o.pidfile && mk_pidfile_write(o.pidfile, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (mk_privs_drop(o.user != NULL ? o.user : d->user, d->group, err,
	    sizeof(err)) < 0)
		mk_fatal("%s", err);
	mk_privs_warn_root(h->section);
	if ((snap = build_chain(h, conf, err, sizeof(err))) == NULL) {
		mk_pidfile_remove(o.pidfile);
		mk_fatal("%s", err);
	}
	mk_milter__snap_install(snap);
	if (mk_daemon_ready(ready_fd) < 0)
		mk_warn("cannot tell the parent we are ready");
	mk_info("started %s %s", h->name, h->version);
	rc = run(h, &o, &ms, d);
	mk_milter__snap_release_current();
	if (*o.pidfile && mk_pidfile_remove(o.pidfile) < 0)
		mk_warn("cannot remove pid file %s: %s", o.pidfile, strerror(errno));
	free((char *)o.pidfile);
	return rc;
}

int
mk_milter_main(const struct mk_milter_desc *desc, int argc, char **argv)
{
	const struct host h = { desc->name, desc->section, desc->version,
	    desc, NULL };

	return serve(&h, argc, argv);
}

int
mk_milter_chain_main(const struct mk_milter_prog *prog, int argc, char **argv)
{
	const struct host h = { prog->name, prog->section, prog->version,
	    NULL, prog };

	return serve(&h, argc, argv);
}
