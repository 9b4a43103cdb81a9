/*
 * NAME
 *	milter_main.c - start-up, signals and reload of the milter skeleton
 * SYNOPSIS
 *	int	mk_milter_main(const struct mk_milter_desc *desc, int argc,
 *			char **argv);
 * DESCRIPTION
 *	Order at start: parse flags, load the configuration, set the log
 *	level, open the socket through libmilter while still root (so /run
 *	paths work) and set its mode and group, detach (unless -f), write
 *	the pid file, drop privileges, build program state with init(), run.
 *
 *	Threads and signals: libmilter's smfi_main() starts a thread that
 *	sigwait()s for SIGHUP, SIGTERM and SIGINT and stops the milter on
 *	each, so SIGHUP could never mean "reload" under it. smfi_main() runs
 *	here in its own thread, created with every signal blocked (its
 *	threads inherit that mask), while the main thread keeps SIGHUP,
 *	SIGTERM and SIGINT unblocked with handlers installed. On Linux a
 *	signal sent to the process is given to the main thread first when
 *	that thread does not block it (kernel complete_signal() tries the
 *	thread group leader before the others), so libmilter's sigwait()
 *	thread does not see it. The handlers only set bits and write to a
 *	pipe; the main thread sleeps on that pipe (mk_sig_wait()) and never
 *	blocks the signals. Caveat: a second signal sent while the main
 *	thread still has the first one pending may be given to libmilter's
 *	thread, which then stops the milter; main sees smfi_main() return
 *	without having asked and exits with status 1, like on any other
 *	unexpected end.
 *
 *	SIGTERM/SIGINT: smfi_stop(), join, remove the pid file, exit 0.
 *	libmilter notices smfi_stop() at its next listener wake-up, so a
 *	stop takes up to about 5 seconds.
 *	SIGHUP: load the file into a new configuration, init() new state,
 *	swap the snapshot in (connections in progress keep theirs) and log
 *	"reloaded"; on failure keep the running one and log FILE:LINE.
 * DIAGNOSTICS
 *	Exit status: 0 after a requested stop or a good -t; 1 on an
 *	unexpected end of smfi_main(); 2 on a bad configuration or usage;
 *	3 on other start-up failures (mk_fatal()).
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
#include <sys/stat.h>
#include <unistd.h>

#include "mk_conf.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"

static volatile int smfi_done;
static int smfi_rc;

static void *
smfi_thread(void *arg)
{
	smfi_rc = smfi_main();
	__atomic_store_n(&smfi_done, 1, __ATOMIC_SEQ_CST);
	mk_sig_wake();
	return NULL;
}

/* Build a configuration and its program state; 0 or -1 with err set. */
static int
build(const struct mk_milter_desc *desc, const struct mk_daemon_opts *o,
    struct mk_conf **conf, void **state, char *err, size_t errlen)
{
	*conf = NULL;
	*state = NULL;
	if (mk_conf_load(o->conf_path, !o->conf_named, conf, err, errlen) < 0)
		return -1;
	if (mk_conf_daemon(*conf, desc->section) == NULL) {
		snprintf(err, errlen, "%s: no section [%s] in the schema",
		    o->conf_path, desc->section);
		mk_conf_free(*conf);
		*conf = NULL;
		return -1;
	}
	if (desc->init != NULL && desc->init(*conf, state, err, errlen) < 0) {
		mk_conf_free(*conf);
		*conf = NULL;
		return -1;
	}
	return 0;
}

static void
reload(const struct mk_milter_desc *desc, const struct mk_daemon_opts *o)
{
	struct mk_conf *conf;
	void *state;
	char err[1024];

	if (build(desc, o, &conf, &state, err, sizeof(err)) < 0) {
		mk_error("reload failed, keeping the running configuration: %s", err);
		return;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	mk_milter_snap_install(conf, state);
	mk_info("reloaded %s", o->conf_path);
}

/* Open the milter socket as root and give it its mode and group. */
static void
open_socket(const struct mk_milter_desc *desc, const char *sockspec,
    const struct mk_conf_daemon *d, const char *user)
{
	char gbuf[256];
	struct mk_sockspec ss;
	char canon[600], err[512];
	mode_t old;

	if (mk_sock_parse(sockspec, &ss, err, sizeof(err)) < 0)
		mk_fatal("socket '%s': %s", sockspec, err);
	if (mk_sock_format(&ss, canon, sizeof(canon)) < 0)
		mk_fatal("socket '%s': too long", sockspec);
	if (ss.family == AF_UNIX && mk_sock_unix_clear(ss.path, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (mk_milter_register(desc) < 0)
		mk_fatal("smfi_register failed");
	if (smfi_setconn(canon) != MI_SUCCESS)
		mk_fatal("smfi_setconn %s failed", canon);
	if (d->timeout > 0)
		smfi_settimeout((int)d->timeout);
	old = umask(0177);
	if (smfi_opensocket(false) != MI_SUCCESS)
		mk_fatal("cannot open socket %s", canon);
	umask(old);
	if (mk_sock_prepare_unix(&ss, d->socket_mode, mk_sock_group(d->socket_group,
	    d->group, user, gbuf, sizeof(gbuf)), err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	mk_info("listening on %s", canon);
}

/* Sleep on signals until stopped; returns the exit status. */
static int
run(const struct mk_milter_desc *desc, const struct mk_daemon_opts *o)
{
	pthread_t tid;
	sigset_t old;
	int stopping = 0;

	if (mk_sig_setup() < 0)
		mk_fatal("cannot install signal handlers: %s", strerror(errno));
	mk_sig_block_all(&old);
	if (pthread_create(&tid, NULL, smfi_thread, NULL) != 0)
		mk_fatal("cannot start the milter thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (;;) {
		unsigned bits = mk_sig_wait(-1);

		if (__atomic_load_n(&smfi_done, __ATOMIC_SEQ_CST))
			break;
		if ((bits & MK_SIG_TERM) && !stopping) {
			mk_info("stopping");
			stopping = 1;
			smfi_stop();
		} else if ((bits & MK_SIG_HUP) && !stopping) {
			reload(desc, o);
		}
	}
	pthread_join(tid, NULL);
	if (!stopping) {
		mk_error("milter stopped unexpectedly (smfi_main returned %d)", smfi_rc);
		return 1;
	}
	mk_info("stopped");
	return 0;
}

int
mk_milter_main(const struct mk_milter_desc *desc, int argc, char **argv)
{
	struct mk_daemon_opts o;
	struct mk_conf *conf;
	const struct mk_conf_daemon *d;
	void *state = NULL;
	char err[1024];
	int rc, ready_fd = -1;

	if ((rc = mk_daemon_opts_parse(desc->name, desc->version,
	    desc->section, MK_CONF_DEFAULT_PATH, argc, argv, &o)) >= 0)
		return rc;
	mk_log_open(desc->name, 1);
	if (mk_conf_load(o.conf_path, !o.conf_named, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (o.test) {
		/* The program's own state too: files it reads (a secret),
		 * values only it can judge. */
		if (desc->init != NULL &&
		    desc->init(conf, &state, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			mk_conf_free(conf);
			return 2;
		}
		if (desc->fini != NULL)
			desc->fini(state);
		printf("%s: configuration OK\n", o.conf_path);
		mk_conf_free(conf);
		return 0;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	if ((d = mk_conf_daemon(conf, desc->section)) == NULL)
		mk_fatal("no section [%s] in the configuration schema", desc->section);
	open_socket(desc, o.socket != NULL ? o.socket : d->socket, d,
	    o.user != NULL ? o.user : d->user);
	if (!o.foreground) {
		if (mk_daemon_detach(&ready_fd) < 0)
			mk_fatal("cannot detach: %s", strerror(errno));
		mk_log_open(desc->name, 0);
	}
	/* Copied: a reload frees the configuration it points into. */
	o.pidfile = mk_strdup(o.pidfile != NULL ? o.pidfile :
	    d->pidfile != NULL ? d->pidfile : "");
	if (*o.pidfile && mk_pidfile_write(o.pidfile, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (mk_privs_drop(o.user != NULL ? o.user : d->user, d->group, err,
	    sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (desc->init != NULL && desc->init(conf, &state, err, sizeof(err)) < 0) {
		mk_pidfile_remove(o.pidfile);
		mk_fatal("%s", err);
	}
	mk_milter_snap_install(conf, state);
	if (mk_daemon_ready(ready_fd) < 0)
		mk_warn("cannot tell the parent we are ready");
	mk_info("started %s %s", desc->name, desc->version);
	rc = run(desc, &o);
	mk_milter_snap_release_current();
	if (*o.pidfile && mk_pidfile_remove(o.pidfile) < 0)
		mk_warn("cannot remove pid file %s: %s", o.pidfile, strerror(errno));
	free((char *)o.pidfile);
	return rc;
}
