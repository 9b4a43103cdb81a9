/*
 * NAME
 *	daemon.c - sockets, pid file, privileges and signals (mk_daemon.h)
 * SYNOPSIS
 *	mk_sock_parse(), mk_sock_format(), mk_sock_unix_clear(),
 *	mk_sock_listen(), mk_pidfile_write(),
 *	mk_pidfile_read(), mk_pidfile_remove(), mk_privs_drop(),
 *	mk_sig_setup(), mk_sig_wait(), mk_sig_wake(), mk_sig_block_all()
 * DESCRIPTION
 *	The start-up chores every milterkit daemon shares. Everything here
 *	reports failure as -1 plus a one-line message in the caller's err
 *	buffer; nothing exits, so the callers decide what is fatal.
 * DIAGNOSTICS
 *	Messages name the object (socket path, pid file, user) and the
 *	system error.
 * SEE ALSO
 *	milter.c (the milter skeleton using these), mk_conf.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "mk_daemon.h"
#include "mk_log.h"

#define SETERR(...) \
	do { if (err != NULL && errlen > 0) snprintf(err, errlen, __VA_ARGS__); } while (0)

/* Parse a decimal port 1..65535 made only of digits. */
static int
parse_port(const char *s, size_t len, unsigned *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* A host is a literal address of the family or a DNS-style name. */
static int
check_host(int family, const char *host, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET6, host, buf) == 1) {
		if (family == AF_INET6)
			return 0;
		SETERR("IPv6 address '%s' in an inet: socket (use inet6:)", host);
		return -1;
	}
	if (inet_pton(AF_INET, host, buf) == 1) {
		if (family == AF_INET)
			return 0;
		SETERR("IPv4 address '%s' in an inet6: socket (use inet:)", host);
		return -1;
	}
	for (const char *p = host; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.') {
			SETERR("bad character in socket host '%s'", host);
			return -1;
		}
	}
	return 0;
}

static int
parse_inet(int family, const char *rest, struct mk_sockspec *out, char *err,
    size_t errlen)
{
	const char *at = strchr(rest, '@');
	size_t plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
	const char *host = at != NULL ? at + 1 : "";
	size_t hlen = strlen(host);

	if (parse_port(rest, plen, &out->port) < 0) {
		SETERR("bad socket port '%.*s' (want 1..65535)", (int)(plen > 32 ? 32 : plen), rest);
		return -1;
	}
	if (at != NULL && hlen == 0) {
		SETERR("empty host after '@' in socket");
		return -1;
	}
	if (family == AF_INET6 && hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen >= sizeof(out->host)) {
		SETERR("socket host too long");
		return -1;
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->family = family;
	if (hlen > 0 && check_host(family, out->host, err, errlen) < 0)
		return -1;
	return 0;
}

int
mk_sock_parse(const char *spec, struct mk_sockspec *out, char *err,
    size_t errlen)
{
	const char *colon, *path;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || *spec == '\0') {
		SETERR("empty socket specification");
		return -1;
	}
	colon = strchr(spec, ':');
	if (spec[0] == '/' || colon == NULL) {
		path = spec;
	} else if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		path = colon + 1;
	} else if (strncmp(spec, "inet:", 5) == 0) {
		return parse_inet(AF_INET, spec + 5, out, err, errlen);
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		return parse_inet(AF_INET6, spec + 6, out, err, errlen);
	} else {
		SETERR("unknown socket type '%.*s' (want unix:, inet: or inet6:)",
		    (int)((colon - spec) > 16 ? 16 : (colon - spec)), spec);
		return -1;
	}
	if (path[0] != '/') {
		SETERR("socket path '%.64s' is not absolute", path);
		return -1;
	}
	if (strlen(path) >= sizeof(out->path)) {
		SETERR("socket path too long (at most %zu bytes)", sizeof(out->path) - 1);
		return -1;
	}
	out->family = AF_UNIX;
	strcpy(out->path, path);
	return 0;
}

int
mk_sock_format(const struct mk_sockspec *spec, char *buf, size_t buflen)
{
	int n;

	if (spec->family == AF_UNIX)
		n = snprintf(buf, buflen, "unix:%s", spec->path);
	else if (spec->host[0] == '\0')
		n = snprintf(buf, buflen, "%s:%u",
		    spec->family == AF_INET6 ? "inet6" : "inet", spec->port);
	else
		n = snprintf(buf, buflen, "%s:%u@%s",
		    spec->family == AF_INET6 ? "inet6" : "inet", spec->port, spec->host);
	return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int
mk_sock_unix_clear(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		SETERR("socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		SETERR("socket %s: exists and is not a socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		SETERR("socket %s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		SETERR("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		SETERR("socket %s: another process is listening on it", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		SETERR("socket %s: cannot check it: %s", path, strerror(errno));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		SETERR("socket %s: cannot remove stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The group id a socket is to get: 0 and *gid, or -1 (unknown group). */
static int
sock_gid(const char *path, const char *group, gid_t *gid, char *err,
    size_t errlen)
{
	struct group *gr;

	if (group == NULL || *group == '\0') {
		*gid = (gid_t)-1;
		return 0;
	}
	if ((gr = getgrnam(group)) == NULL) {
		SETERR("socket %s: unknown group '%s'", path, group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* bind() with the mode (umask) and, as root, the group (effective gid) the
 * socket must have: it is born with them, so nothing is changed by path
 * afterwards in a directory another user may own. */
static int
bind_as(int fd, const struct sockaddr_un *sun, long long mode, gid_t gid)
{
	mode_t old = umask(mode > 0 ? (~(mode_t)mode & 0777) : 0177);
	gid_t egid = getegid();
	int rc, saved, swap = gid != (gid_t)-1 && gid != egid && geteuid() == 0;

	if (swap && setegid(gid) < 0)
		swap = 0;		/* fixed below, without following links */
	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	if (swap && setegid(egid) < 0)
		mk_panic("cannot return to gid %ld: %s", (long)egid,
		    strerror(errno));
	umask(old);
	errno = saved;
	return rc;
}

static int
listen_unix(const struct mk_sockspec *spec, long long mode, const char *group,
    int backlog, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	gid_t gid;
	int fd;

	if (sock_gid(spec->path, group, &gid, err, errlen) < 0 ||
	    mk_sock_unix_clear(spec->path, err, errlen) < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, spec->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		SETERR("socket: %s", strerror(errno));
		return -1;
	}
	if (bind_as(fd, &sun, mode, gid) < 0) {
		SETERR("bind %s: %s", spec->path, strerror(errno));
		close(fd);
		return -1;
	}
	/* A directory with the set-group-ID bit, or a caller that is not
	 * root, may leave another group: change it on the name itself, never
	 * on what a link there points at. */
	if (gid != (gid_t)-1) {
		if (lstat(spec->path, &sb) == 0 && !S_ISSOCK(sb.st_mode))
			errno = EEXIST;		/* replaced under us */
		if (lstat(spec->path, &sb) < 0 || !S_ISSOCK(sb.st_mode) ||
		    (sb.st_gid != gid && fchownat(AT_FDCWD, spec->path,
		    (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)) {
			SETERR("socket %s: group %s: %s", spec->path, group,
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (listen(fd, backlog) < 0) {
		SETERR("listen %s: %s", spec->path, strerror(errno));
		close(fd);
		unlink(spec->path);
		return -1;
	}
	return fd;
}

static int
listen_inet(const struct mk_sockspec *spec, int backlog, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int fd = -1, rc, on = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = spec->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", spec->port);
	rc = getaddrinfo(spec->host[0] ? spec->host : NULL, port, &hints, &res);
	if (rc != 0) {
		SETERR("socket host '%s': %s", spec->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		SETERR("bind %s port %u: %s", spec->host[0] ? spec->host : "*",
		    spec->port, strerror(saved));
	return fd;
}

int
mk_sock_listen(const struct mk_sockspec *spec, long long mode,
    const char *group, int backlog, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		*err = '\0';
	if (backlog <= 0)
		backlog = SOMAXCONN;
	if (spec->family == AF_UNIX)
		return listen_unix(spec, mode, group, backlog, err, errlen);
	return listen_inet(spec, backlog, err, errlen);
}

/* ---- pid file ---------------------------------------------------------- */

int
mk_pidfile_read(const char *path, pid_t *pid)
{
	char buf[32];
	ssize_t n;
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v <= 0 ||
	    v > 0x3fffffffL)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* A pid is live when signal 0 reaches it or it exists under another user. */
static int
pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Write our pid into a fresh temporary file next to path. */
static int
pidfile_tmp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	char buf[32];
	int fd, n;

	n = snprintf(tmp, tmplen, "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= tmplen) {
		SETERR("pid file %s: path too long", path);
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ENOENT) {
		SETERR("pid file %s: its directory does not exist: create it"
		    " (owned by the user the daemon runs as), or set pidfile ="
		    " in the configuration (empty: no pid file) or -P FILE",
		    path);
		return -1;
	}
	if (fd < 0) {
		SETERR("pid file %s: %s", tmp, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		SETERR("pid file %s: write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return 0;
}

int
mk_pidfile_write(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	pid_t other;
	int rc = -1;

	if (pidfile_tmp(path, tmp, sizeof(tmp), err, errlen) < 0)
		return -1;
	/* link(2) never replaces: two starters cannot both win. */
	for (int tries = 0; tries < 3; tries++) {
		if (link(tmp, path) == 0) {
			rc = 0;
			break;
		}
		if (errno != EEXIST) {
			SETERR("pid file %s: %s", path, strerror(errno));
			break;
		}
		if (mk_pidfile_read(path, &other) == 0 && other != getpid() &&
		    pid_alive(other)) {
			SETERR("pid file %s: process %ld is running", path, (long)other);
			break;
		}
		/* Stale (dead pid, garbage, or ours): remove and retry. */
		if (unlink(path) < 0 && errno != ENOENT) {
			SETERR("pid file %s: cannot remove stale file: %s", path,
			    strerror(errno));
			break;
		}
	}
	if (rc < 0 && err != NULL && *err == '\0')
		SETERR("pid file %s: lost a race with another process", path);
	unlink(tmp);
	return rc;
}

int
mk_pidfile_remove(const char *path)
{
	pid_t pid;

	if (path == NULL || *path == '\0')
		return 0;
	if (mk_pidfile_read(path, &pid) < 0 || pid != getpid())
		return -1;
	return unlink(path);
}

/* ---- privileges -------------------------------------------------------- */

int
mk_privs_drop(const char *user, const char *group, char *err, size_t errlen)
{
	struct passwd *pw;
	gid_t gid;

	if (user == NULL || *user == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		SETERR("unknown user '%s': create it (useradd --system %s), or"
		    " set user = in the configuration (or -u USER) to an"
		    " existing one", user, user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL && *group) {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			SETERR("unknown group '%s'", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid && getegid() == gid)
			return 0;
		SETERR("cannot switch to user %s: not running as root", user);
		return -1;
	}
	if (initgroups(pw->pw_name, gid) < 0) {
		SETERR("initgroups %s: %s", user, strerror(errno));
		return -1;
	}
	if (setgid(gid) < 0) {
		SETERR("setgid %ld: %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setuid(pw->pw_uid) < 0) {
		SETERR("setuid %s: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		SETERR("privileges of root could be regained after switching to %s", user);
		return -1;
	}
	return 0;
}

void
mk_privs_warn_root(const char *section)
{
	if (geteuid() == 0)
		mk_warn("running as root: [%s] user is empty; set user = to an"
		    " account of the daemons' own (milterkit in the packages)",
		    section);
}

/* ---- signals ----------------------------------------------------------- */

/* Lock-free int updated with atomics: safe in handlers and threads. */
static int sig_bits;
static int sig_pipe[2] = { -1, -1 };

static void
sig_handler(int sig)
{
	int saved = errno;
	char c = 0;

	__atomic_fetch_or(&sig_bits, sig == SIGHUP ? (int)MK_SIG_HUP :
	    sig == SIGUSR1 ? (int)MK_SIG_REOPEN : (int)MK_SIG_TERM,
	    __ATOMIC_SEQ_CST);
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* pipe full: a wake-up is already pending */
	}
	errno = saved;
}

int
mk_sig_setup(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

void
mk_sig_wake(void)
{
	char c = 0;

	__atomic_fetch_or(&sig_bits, (int)MK_SIG_WAKE, __ATOMIC_SEQ_CST);
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* already pending */
	}
}

unsigned
mk_sig_wait(int timeout_ms)
{
	struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
	char buf[64];
	unsigned bits;

	/* The pipe closes the window between testing the bits and sleeping. */
	if (__atomic_load_n(&sig_bits, __ATOMIC_SEQ_CST) == 0 && sig_pipe[0] >= 0)
		(void)poll(&pfd, 1, timeout_ms);
	while (sig_pipe[0] >= 0 && read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
	bits = (unsigned)__atomic_exchange_n(&sig_bits, 0, __ATOMIC_SEQ_CST);
	return bits;
}

void
mk_sig_block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}
