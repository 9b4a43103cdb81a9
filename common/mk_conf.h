/*
 * NAME
 *	mk_conf - the schema of milterkit.conf, composed of the sections
 *	programs register
 * SYNOPSIS
 *	#include "mk_conf.h"
 *
 *	extern struct mk_cfg_schema mk_conf_schema;
 *	extern const char *const mk_conf_milter_on_error[];
 *
 *	void	mk_conf_use(const struct mk_conf_section *const *sections);
 *	const struct mk_conf_section *const *mk_conf_sections(void);
 *	int	mk_conf_load(const char *path, int missing_ok,
 *			struct mk_conf **out, char *err, size_t errlen);
 *	struct mk_conf *mk_conf_new_defaults(void);
 *	void	mk_conf_free(struct mk_conf *conf);
 *	const void *mk_conf_section(const struct mk_conf *conf,
 *			const char *name);
 *	const struct mk_conf_daemon *mk_conf_daemon(const struct mk_conf *conf,
 *			const char *section);
 *	void	mk_conf_store_opts(const struct mk_conf *conf,
 *			struct mk_store_opts *opts);
 *
 *	MK_CONF_ROW(sec, key, type, def, lo, hi, ch, T, field, chk, help)
 *	MK_CONF_DAEMON_ROWS(sec, T, onerr, onerr_def)
 *	MK_CONF_DAEMON_ROWS_AT(sec, T, m, onerr, onerr_def)
 *	MK_CONF_THREADS_ROW(sec, T)
 *	MK_CONF_MILTER_ROWS(sec, T)
 * DESCRIPTION
 *	One file configures every program, so its schema is one table: each
 *	program reads [store], [log], [dns] where it resolves, and its own
 *	section, and every program's -t (and `milterkit config check`)
 *	validates the whole file. This module knows the base sections only:
 *	[store], [log], [dns] and the named [ratelimit NAME] sections
 *	(struct mk_conf_rule each, in conf->rules). Every other section is a
 *	struct mk_conf_section that its owner (a filter's or a program's
 *	folder) defines and the program registers.
 *
 *	mk_conf_use() registers a NULL-ended list of sections (borrowed: it
 *	must outlive the process's configurations). Call it once at start,
 *	before any configuration is made; calling it again with the same list
 *	does nothing, with another list (or NULL: the base sections only)
 *	switches the schema for configurations made afterwards. It panics on
 *	a broken list (a name given twice or taken by a base section, a row of
 *	another section, a daemon block smaller than struct mk_conf_daemon).
 *	Without it only the base sections exist and any other section is an
 *	"unknown section" error. mk_conf_sections() returns the registered
 *	list (an empty one before mk_conf_use()).
 *
 *	Each section's rows have offsets into the section's own block of
 *	size bytes; the configuration holds every block in the same
 *	allocation, after struct mk_conf, and mk_conf_schema.rows is the
 *	combined table (the base rows, then each section's, shifted to their
 *	block), so the mk_cfg engine works on a configuration as one target.
 *
 *	mk_conf_load() builds a new configuration from defaults plus the file.
 *	With missing_ok, a file that does not exist yields the defaults.
 *	Returns 0, or -1 with "FILE:LINE: message" in err. The result is
 *	owned by the caller and released with mk_conf_free() (NULL is a no-op).
 *	mk_conf_section() returns the block of a section registered when conf
 *	was made, NULL if there is none; the block lives as long as conf.
 *	mk_conf_daemon() returns the daemon block of a registered section
 *	with daemon set, NULL for any other name.
 *	mk_conf_store_opts() fills the store options (map size and address
 *	normalization) from [store].
 *
 *	The macros write a section's rows; sec is the section's name as a
 *	string literal, T the type of its block. MK_CONF_ROW()
 *	is one option. MK_CONF_DAEMON_ROWS() are the rows of struct
 *	mk_conf_daemon found at T.d (socket, socket_mode, socket_group, user,
 *	group, pidfile, on_error from the choices onerr with default
 *	onerr_def, timeout; the socket defaults to unix:/run/milterkit/SEC.sock,
 *	the pid file to /run/milterkit/SEC.pid); MK_CONF_DAEMON_ROWS_AT() the
 *	same at member m of T. MK_CONF_THREADS_ROW() are the
 *	milters' serving rows: threads (event loops), workers (threads for
 *	filters' slow work) and work_timeout (how long a message may wait
 *	for it before the filter's on_error answers). MK_CONF_MILTER_ROWS() are a milter's: the daemon
 *	rows with mk_conf_milter_on_error (tempfail | accept, default
 *	tempfail), check, networks and threads.
 */
#ifndef MK_CONF_H
#define MK_CONF_H

#include <stddef.h>

#include "mk_cfg.h"
#include "mk_cidr.h"
#include "mk_session.h"
#include "mk_store.h"

#define MK_CONF_DEFAULT_PATH "/etc/milterkit/milterkit.conf"

/* on_error choices of the milters (the policy daemon has its own:
 * policyd_conf.h). */
enum { MK_ON_ERROR_TEMPFAIL = 0, MK_ON_ERROR_ACCEPT = 1 };

/* [store] local_part choices */
enum { MK_LOCAL_FOLD = 0, MK_LOCAL_EXACT = 1 };

struct mk_conf_daemon {
	char *socket;		/* unix:/path, inet:PORT@HOST, inet6:PORT@HOST */
	long long socket_mode;	/* unix socket mode, e.g. 0660 */
	char *socket_group;	/* group owning the unix socket (e.g. postfix) */
	char *user;		/* run as (after binding), empty = stay */
	char *group;		/* primary group, empty = user's */
	char *pidfile;		/* empty = none */
	int on_error;		/* the section's choices: MK_ON_ERROR_*, ... */
	long long timeout;	/* seconds of MTA silence before dropping */
	char *check;		/* milters: which sessions (mk_session.h) */
	char *networks;		/* milters: client networks (mk_cidr.h) */
	long long threads;	/* milters: event loops, 0 = one per CPU */
	long long workers;	/* milters: threads for slow work */
	long long work_timeout;	/* milters: seconds slow work may take */
};

struct mk_conf_store {
	char *path;		/* store directory */
	long long map_size;	/* maximum size of one environment, bytes */
	int local_part;		/* MK_LOCAL_FOLD | MK_LOCAL_EXACT */
	int strip_subaddress;	/* drop "+tag" from local parts */
	char *subaddress_delimiter; /* one character, default "+" */
};

/* One [ratelimit NAME] section (mk_ratelimit.h says what it means). */
struct mk_conf_rule {
	char *name;
	char *key;		/* attributes, first present wins */
	char *messages;		/* N/PERIOD, ... */
	char *recipients;	/* N/PERIOD, ... */
	long long burst;	/* units beyond each rate at once */
	int action;		/* MK_RL_ACT_* */
	char *exempt;		/* key values never limited */
	char *override;		/* "KEY messages=.. recipients=..; ..." */
	long long ipv6_prefix;	/* client_address keys of IPv6 clients */
	char *text;		/* reply text when exceeded */
};

struct mk_conf_log {
	int level;		/* enum mk_log_level */
	char *target;		/* syslog, stderr, file:/path */
};

/* [dns]: the resolver of every program that resolves (mk_dns.h) */
struct mk_conf_dns {
	char *servers;		/* HOST[:PORT] list; empty = resolv.conf */
	long long timeout;	/* seconds one lookup may take */
	long long cache_size;	/* bytes of answers kept per resolver */
};

struct mk_conf_layout;

struct mk_conf {
	struct mk_conf_store store;
	struct mk_conf_log log;
	struct mk_conf_dns dns;
	struct mk_cfg_list rules;	/* struct mk_conf_rule *, file order */
	char *source;		/* path the configuration was read from */
	const struct mk_conf_layout *layout; /* private: where blocks are */
	/* the registered sections' blocks follow, in the same allocation */
};

/* A section a program or filter adds to the schema: its rows' offsets are
 * into its own block (size bytes); a daemon section's block begins with
 * struct mk_conf_daemon. */
struct mk_conf_section {
	const char *name;		/* of [name] */
	const struct mk_cfg_row *rows;	/* ended by a NULL name */
	size_t size;			/* of the block */
	int daemon;			/* block starts with mk_conf_daemon */
	int filter;			/* a filter a chain can host */
};

/* The public contract (DESIGN.md), not the build prefix. */
#define MK_CONF_RUNDIR "/run/milterkit"

/* One option of a section block of type T. */
#define MK_CONF_ROW(sec, key, type, def, lo, hi, ch, T, field, chk, help)	\
	{ sec, key, type, def, lo, hi, ch, offsetof(T, field), help, chk }

/* The rows of struct mk_conf_daemon, at T.m (T.d for a section block). */
#define MK_CONF_DAEMON_ROWS_AT(sec, T, m, onerr, onerr_def)			\
	MK_CONF_ROW(sec, "socket", MK_CFG_SOCKET,				\
	    "unix:" MK_CONF_RUNDIR "/" sec ".sock", 1, 300, NULL, T,		\
	    m.socket, NULL, "where the MTA reaches the daemon: unix:/path, "	\
	    "inet:PORT@HOST, inet6:PORT@HOST"),					\
	MK_CONF_ROW(sec, "socket_mode", MK_CFG_MODE, "0660", 0, 0777, NULL,	\
	    T, m.socket_mode, NULL, "permissions of a unix socket"),		\
	MK_CONF_ROW(sec, "socket_group", MK_CFG_STRING, "", 0, 64, NULL, T,	\
	    m.socket_group, NULL,						\
	    "group owning a unix socket (empty: the daemon's group)"),		\
	MK_CONF_ROW(sec, "user", MK_CFG_STRING, "milterkit", 0, 64, NULL, T,	\
	    m.user, NULL, "user to run as after binding (empty: stay)"),	\
	MK_CONF_ROW(sec, "group", MK_CFG_STRING, "", 0, 64, NULL, T, m.group,	\
	    NULL, "group to run as (empty: the user's primary group)"),	\
	MK_CONF_ROW(sec, "pidfile", MK_CFG_STRING,				\
	    MK_CONF_RUNDIR "/" sec ".pid", 0, 1024, NULL, T, m.pidfile, NULL,	\
	    "pid file (empty: none)"),						\
	MK_CONF_ROW(sec, "on_error", MK_CFG_ENUM, onerr_def, 0, 0, onerr, T,	\
	    m.on_error, NULL, "answer when the daemon itself is in trouble"),	\
	MK_CONF_ROW(sec, "timeout", MK_CFG_DURATION, "7210", 1, 86400, NULL,	\
	    T, m.timeout, NULL,							\
	    "seconds of MTA silence before a connection is dropped (longer "	\
	    "than the MTA's own timeouts)")

#define MK_CONF_DAEMON_ROWS(sec, T, onerr, onerr_def)				\
	MK_CONF_DAEMON_ROWS_AT(sec, T, d, onerr, onerr_def)

#define MK_CONF_THREADS_ROW(sec, T)						\
	MK_CONF_ROW(sec, "threads", MK_CFG_INT, "0", 0, 64, NULL, T,		\
	    d.threads, NULL,							\
	    "event loops serving MTA connections (0: one per processor)"),	\
	MK_CONF_ROW(sec, "workers", MK_CFG_INT, "4", 1, 256, NULL, T,		\
	    d.workers, NULL,							\
	    "threads for the filters' slow work (DNS, signing); read at start"),\
	MK_CONF_ROW(sec, "work_timeout", MK_CFG_DURATION, "2m", 1, 3600,	\
	    NULL, T, d.work_timeout, NULL,					\
	    "longest a message waits for a filter's slow work; then the "	\
	    "filter's on_error answers (the MTA is kept waiting meanwhile)")

/* A milter's: the daemon rows, which sessions it looks at, its loops. */
#define MK_CONF_MILTER_ROWS(sec, T)						\
	MK_CONF_DAEMON_ROWS(sec, T, mk_conf_milter_on_error, "tempfail"),	\
	MK_CONF_ROW(sec, "check", MK_CFG_STRING, "all", 1, 64, NULL, T,	\
	    d.check, mk_session_check,						\
	    "sessions looked at: all | authenticated | networks"),		\
	MK_CONF_ROW(sec, "networks", MK_CFG_STRING, "", 0, 65536, NULL, T,	\
	    d.networks, mk_cidr_list_check,					\
	    "client networks for check = networks"),				\
	MK_CONF_THREADS_ROW(sec, T)

extern struct mk_cfg_schema mk_conf_schema;
extern const char *const mk_conf_milter_on_error[];

void mk_conf_use(const struct mk_conf_section *const *sections);
const struct mk_conf_section *const *mk_conf_sections(void);

int mk_conf_load(const char *path, int missing_ok, struct mk_conf **out,
    char *err, size_t errlen);
struct mk_conf *mk_conf_new_defaults(void);
void mk_conf_free(struct mk_conf *conf);
const void *mk_conf_section(const struct mk_conf *conf, const char *name);
const struct mk_conf_daemon *mk_conf_daemon(const struct mk_conf *conf,
    const char *section);
void mk_conf_store_opts(const struct mk_conf *conf, struct mk_store_opts *opts);

#endif
