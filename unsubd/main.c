/*
 * NAME
 *	milterkit-unsubd - RFC 8058 one-click unsubscribe over HTTP
 * SYNOPSIS
 *	milterkit-unsubd [-ftVh] [-c FILE] [-p SOCKET] [-P PIDFILE] [-u USER]
 * DESCRIPTION
 *	Start-up, signals and reload; the HTTP side is in http.c, the
 *	decisions in unsub.c.
 *
 *	Order at start, as the other daemons: parse flags, load the
 *	configuration and check the key can be loaded (else exit 2, before
 *	anything is bound), bind the socket as root (a unix socket gets its mode
 *	and group), detach (unless -f), write the pid file, drop privileges
 *	to [unsubd] user (the owner of the store: only it writes there),
 *	load the token key ([headers] unsubscribe_secret_file) as that user,
 *	so that a key the daemon could not read again at reload fails now,
 *	start the HTTP threads, tell the parent we are ready, wait for
 *	signals.
 *
 *	Signals are handled on the main thread only (the HTTP threads block
 *	them all). SIGHUP: load the file and the key anew; a bad file or key
 *	keeps the running ones and logs why; a good pair is installed
 *	(http.h). The socket, pid file, user and the bounds read at start
 *	stay as they were. SIGUSR1 reopens a log file. SIGTERM/SIGINT: stop
 *	serving, remove the socket and the pid file, exit 0.
 * DIAGNOSTICS
 *	Exit status: 0 after a requested stop or a good -t; 2 on a bad
 *	configuration (key included) or usage; 3 on other start-up failures.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "headers/headers_conf.h"
#include "http.h"
#include "mk_conf.h"
#include "mk_daemon.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_token.h"
#include "sections.h"
#include "unsubd_conf.h"

#define UD_NAME "milterkit-unsubd"
#define UD_KEY_WHAT "[headers] unsubscribe_secret_file"

/* The token key the configuration names; 0, or -1 with a message. */
static int
load_key(const struct mk_conf *conf, unsigned char **key, size_t *len,
    char *err, size_t errlen)
{
	const char *path = hdr_conf(conf)->unsub_secret_file;

	/* Unconfigured (as a package starts it): it serves, answering 503,
	 * until the key the headers filter signs with is named. */
	if (path == NULL || *path == '\0') {
		mk_warn("%s is not set: every request is answered 503 until it "
		    "names the key the headers filter signs tokens with",
		    UD_KEY_WHAT);
		*key = NULL;
		*len = 0;
		return 0;
	}
	return mk_token_key_load(path, UD_KEY_WHAT, key, len, err, errlen);
}

/* The file and its key; 0, or -1 with "why" in err. */
static int
load(const struct mk_daemon_opts *o, struct mk_conf **conf,
    unsigned char **key, size_t *len, char *err, size_t errlen)
{
	if (mk_conf_load(o->conf_path, !o->conf_named, conf, err, errlen) < 0)
		return -1;
	if (load_key(*conf, key, len, err, errlen) < 0) {
		mk_conf_free(*conf);
		*conf = NULL;
		return -1;
	}
	return 0;
}

static void
reload(struct ud_http *h, const struct mk_daemon_opts *o)
{
	struct mk_conf *conf;
	unsigned char *key;
	size_t len;
	char err[1024];

	if (load(o, &conf, &key, &len, err, sizeof(err)) < 0) {
		mk_error("reload failed, keeping the running configuration: %s",
		    err);
		return;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	mk_daemon_log_reload(o->foreground, conf->log.target);
	ud_http_install(h, conf, key, len);
	mk_info("reloaded %s", o->conf_path);
}

static void
serve(struct ud_http *h, const struct mk_daemon_opts *o)
{
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
}

/* -t: the file and the key, as whoever runs it. */
static int
test_config(const struct mk_daemon_opts *o)
{
	struct mk_conf *conf;
	unsigned char *key;
	size_t len;
	char err[1024];

	if (load(o, &conf, &key, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	printf("%s: configuration OK\n", o->conf_path);
	mk_token_key_free(key, len);
	mk_conf_free(conf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct mk_daemon_opts o;
	struct mk_conf *conf;
	const struct mk_conf_daemon *d;
	struct mk_sockspec ss;
	struct stat sst, now;
	struct ud_http *h;
	sigset_t old;
	unsigned char *key;
	size_t keylen;
	char err[1024], *pidfile;
	const char *user;
	int rc, fd, ready_fd = -1;

	mk_conf_use(mkf_sections);	/* the file is shared: know every section */
	if ((rc = mk_daemon_opts_parse(UD_NAME, PACKAGE_VERSION,
	    "unsubd", MK_CONF_DEFAULT_PATH, argc, argv, &o)) >= 0)
		return rc;
	mk_log_open(UD_NAME, 1);
	if (o.test)
		return test_config(&o);
	if (mk_conf_load(o.conf_path, !o.conf_named, &conf, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	mk_log_set_level((enum mk_log_level)conf->log.level);
	/* A missing or unreadable key is a configuration error: say so now. */
	if (load_key(conf, &key, &keylen, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	mk_token_key_free(key, keylen);
	d = &unsubd_conf(conf)->d;
	user = o.user ? o.user : d->user;
	if (mk_daemon_log_start(o.foreground, conf->log.target, err,
	    sizeof(err)) < 0)
		mk_fatal("%s", err);
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
	mk_privs_warn_root("unsubd");
	if (load_key(conf, &key, &keylen, err, sizeof(err)) < 0)
		mk_fatal("%s", err);
	if (mk_sig_setup() < 0)
		mk_fatal("cannot install signal handlers: %s", strerror(errno));
	/* The HTTP threads inherit a mask without any signal. */
	mk_sig_block_all(&old);
	h = ud_http_start(fd, conf, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h == NULL)
		mk_fatal("%s", err);
	ud_http_install(h, conf, key, keylen);
	if (mk_daemon_ready(ready_fd) < 0)
		mk_warn("cannot tell the parent we are ready");
	mk_info("started %s %s", UD_NAME, PACKAGE_VERSION);
	serve(h, &o);
	ud_http_stop(h);		/* closes fd */
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
