/*
 * NAME
 *	mk_daemon - sockets, pid file, privileges and signals of the daemons
 * SYNOPSIS
 *	#include "mk_daemon.h"
 *
 *	int	mk_sock_parse(const char *spec, struct mk_sockspec *out,
 *			char *err, size_t errlen);
 *	int	mk_sock_format(const struct mk_sockspec *spec, char *buf,
 *			size_t buflen);
 *	int	mk_sock_unix_clear(const char *path, char *err, size_t errlen);
 *	int	mk_sock_listen(const struct mk_sockspec *spec, long long mode,
 *			const char *group, int backlog, char *err,
 *			size_t errlen);
 *
 *	int	mk_pidfile_write(const char *path, char *err, size_t errlen);
 *	int	mk_pidfile_read(const char *path, pid_t *pid);
 *	int	mk_pidfile_remove(const char *path);
 *
 *	int	mk_privs_drop(const char *user, const char *group, char *err,
 *			size_t errlen);
 *	void	mk_privs_warn_root(const char *section);
 *
 *	int	mk_sig_setup(void);
 *	unsigned mk_sig_wait(int timeout_ms);
 *	void	mk_sig_wake(void);
 *	void	mk_sig_block_all(sigset_t *old);
 *	int	mk_daemon_detach(int *ready_fd, int keep_stderr);
 *	int	mk_daemon_log_start(int foreground, const char *target,
 *			char *err, size_t errlen);
 *	void	mk_daemon_log_reload(int foreground, const char *target);
 *	void	mk_daemon_log_reopen(void);
 *	void	mk_daemon_raise_nofile(void);
 *	int	mk_daemon_ready(int ready_fd);
 *	const char *mk_sock_group(const char *socket_group, const char *group,
 *			const char *user, char *buf, size_t len);
 *	int	mk_daemon_listen(const char *spec, long long mode,
 *			const char *socket_group, const char *group,
 *			const char *user, struct mk_sockspec *ss,
 *			struct stat *st);
 * DESCRIPTION
 *	mk_daemon_listen() is the start-up of a daemon's socket, run as root
 *	before privileges are dropped: parse spec, listen (mk_sock_listen()
 *	with mode and the group mk_sock_group() picks), and for a unix socket
 *	lstat() its path into st, so that the daemon removes at stop only
 *	the socket it made (st is zeroed for inet). Returns the listening
 *	fd; any failure is fatal (mk_fatal()), as at every start-up.
 *
 *	mk_sock_parse() accepts the socket forms milters are known by:
 *	"unix:/path" (also "local:/path" and a bare "/path"),
 *	"inet:PORT@HOST" and "inet6:PORT@HOST" (HOST a name or a literal
 *	address; "inet:PORT" alone means all IPv4 addresses). Returns 0, or
 *	-1 with a message in err.
 *	mk_sock_format() writes the canonical form of a parsed
 *	spec ("unix:/path", "inet:25@host"); 0, or -1 when it does not fit.
 *
 *	mk_sock_unix_clear() makes a unix socket path free for bind(): a
 *	socket file nothing listens on (stale) is removed, a live one or a
 *	file that is not a socket is an error.
 *	mk_sock_listen() creates a listening socket (every daemon):
 *	unix sockets are cleared first, then born with their mode (the umask
 *	at bind(); mode 0 = 0600) and, when the caller is root, their group
 *	(the effective gid at bind(); NULL or "" = keep): nothing is
 *	chmod'ed or chown'ed by path in a directory another user may own
 *	(a caller that is not root, or a set-group-ID directory, gets the
 *	group set with fchownat(AT_SYMLINK_NOFOLLOW)); inet sockets get
 *	SO_REUSEADDR. Setting TCP_NODELAY on ACCEPTED inet sockets is the
 *	caller's job (Nagle against delayed ACK costs ~90 ms per exchange).
 *	Returns the descriptor (close-on-exec), or -1 with a message in err.
 *
 *	mk_pidfile_write() writes the caller's pid atomically (temporary file
 *	then link(2), which fails when the name exists): a pid file naming a
 *	live process is refused, a stale one is replaced. mk_pidfile_read()
 *	returns 0 and the pid, or -1. mk_pidfile_remove() removes the file
 *	only when it names the caller; 0 or -1. The directory must stay
 *	writable by the user the daemon drops to, or removal at exit fails.
 *
 *	mk_privs_drop() switches to user (and group, default the user's
 *	primary group) with supplementary groups from initgroups(), and
 *	checks that root cannot be regained. NULL or "" user = stay.
 *	Returns 0, or -1 with a message in err (for an unknown user or group
 *	or a missing pid file directory, the message says how to fix it).
 *	mk_privs_warn_root(), called once privileges are settled, logs a
 *	warning when the daemon still runs as root (user = left empty in
 *	the daemon's section).
 *
 *	mk_sig_setup() installs handlers for SIGHUP, SIGTERM, SIGINT and
 *	SIGUSR1 (MK_SIG_REOPEN: reopen the log file, for logrotate) that
 *	record the signal and wake mk_sig_wait() through a pipe; SIGPIPE is
 *	ignored. mk_sig_wait() sleeps until a signal or mk_sig_wake() (any
 *	thread) arrives, or timeout_ms passes (-1 = forever), and returns
 *	and clears the MK_SIG_* bits seen. mk_sig_block_all() blocks every
 *	signal in the calling thread (before creating worker threads),
 *	storing the previous mask in old.
 */
#ifndef MK_DAEMON_H
#define MK_DAEMON_H

#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

struct mk_sockspec {
	int family;			/* AF_UNIX, AF_INET or AF_INET6 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];			/* "" = any address */
	unsigned port;
};

/* Bits returned by mk_sig_wait(). */
#define MK_SIG_HUP	0x1u	/* reload */
#define MK_SIG_TERM	0x2u	/* SIGTERM or SIGINT: stop */
#define MK_SIG_WAKE	0x4u	/* mk_sig_wake() */
#define MK_SIG_REOPEN	0x8u	/* SIGUSR1: reopen the log file */

int mk_sock_parse(const char *spec, struct mk_sockspec *out, char *err,
    size_t errlen);
int mk_sock_format(const struct mk_sockspec *spec, char *buf, size_t buflen);
int mk_sock_unix_clear(const char *path, char *err, size_t errlen);
int mk_sock_listen(const struct mk_sockspec *spec, long long mode,
    const char *group, int backlog, char *err, size_t errlen);

int mk_pidfile_write(const char *path, char *err, size_t errlen);
int mk_pidfile_read(const char *path, pid_t *pid);
int mk_pidfile_remove(const char *path);

int mk_privs_drop(const char *user, const char *group, char *err,
    size_t errlen);
void mk_privs_warn_root(const char *section);

int mk_sig_setup(void);
unsigned mk_sig_wait(int timeout_ms);
void mk_sig_wake(void);
void mk_sig_block_all(sigset_t *old);

/*
 * mk_daemon_detach() forks; the parent exits 0 once the child calls
 * mk_daemon_ready(*ready_fd) (1 if the child dies first), the child gets
 * a session of its own and /dev/null as stdin, stdout and (unless
 * keep_stderr: [log] target = stderr) stderr; -1 when it cannot fork.
 * mk_daemon_ready() with -1 does nothing.
 * mk_daemon_log_start() sends the log where [log] target says, before
 * detaching (a file is opened while still root, so start-up errors land
 * in it); with -f (foreground) the log stays on stderr. 0, or -1 with a
 * message. mk_daemon_log_reload() applies the target of a reloaded
 * configuration (a file is opened afresh: SIGHUP reopens it too);
 * mk_daemon_log_reopen() reopens the file (SIGUSR1, after logrotate).
 * Both log their failure and keep the log where it was.
 * mk_daemon_raise_nofile() raises the soft limit of open files to the hard
 * one (one descriptor per MTA connection) and logs the limit in force.
 * mk_sock_group() gives the group a unix socket gets: socket_group, else
 * the daemon's group, else the primary group of the user it runs as (in
 * buf), else NULL.
 */
/*
 * The flags every daemon takes: -c FILE, -f, -t, -p SOCKET, -P PIDFILE,
 * -u USER, -V, -h. mk_daemon_opts_parse() fills o (conf_path defaults to
 * def_conf; conf_named tells whether -c was given, so that a missing
 * default file is not an error) and returns -1 to go on, or the exit
 * status after -V, -h or a usage error. section names the configuration
 * section the -p, -P and -u flags override, for the help text.
 */
struct mk_daemon_opts {
	const char *conf_path;
	int conf_named;
	int foreground;
	int test;
	const char *socket;
	const char *pidfile;
	const char *user;
};

int mk_daemon_opts_parse(const char *name, const char *version,
    const char *section, const char *def_conf, int argc, char **argv,
    struct mk_daemon_opts *o);
int mk_daemon_detach(int *ready_fd, int keep_stderr);
int mk_daemon_log_start(int foreground, const char *target, char *err,
    size_t errlen);
void mk_daemon_log_reload(int foreground, const char *target);
void mk_daemon_log_reopen(void);
void mk_daemon_raise_nofile(void);
int mk_daemon_ready(int ready_fd);
int mk_daemon_listen(const char *spec, long long mode,
    const char *socket_group, const char *group, const char *user,
    struct mk_sockspec *ss, struct stat *st);
const char *mk_sock_group(const char *socket_group, const char *group,
    const char *user, char *buf, size_t len);

#endif
