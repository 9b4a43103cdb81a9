/*
 * NAME
 *	mk_log - leveled logging to syslog (facility mail) or stderr
 * SYNOPSIS
 *	#include "mk_log.h"
 *
 *	void	mk_log_open(const char *ident, int to_stderr);
 *	int	mk_log_target_check(const char *text, char *err, size_t errlen);
 *	int	mk_log_set_target(const char *text, char *err, size_t errlen);
 *	int	mk_log_reopen(char *err, size_t errlen);
 *	void	mk_log_set_level(enum mk_log_level level);
 *	enum mk_log_level mk_log_get_level(void);
 *	int	mk_log_level_parse(const char *name, enum mk_log_level *out);
 *	const char *mk_log_level_name(enum mk_log_level level);
 *	void	mk_log(enum mk_log_level level, const char *fmt, ...);
 *	void	mk_log_event(enum mk_log_level level, const char *qid,
 *			const char *fmt, ...);
 *	void	mk_fatal(const char *fmt, ...);
 *	void	mk_panic(const char *fmt, ...);
 *	char	*mk_printable(char *dst, size_t dstlen, const char *src,
 *			size_t srclen);
 *	void	mk_log_set_sink(mk_log_sink_fn fn, void *arg);
 *	void	mk_log_limited(struct mk_log_limit *l, enum mk_log_level level,
 *			const char *fmt, ...);
 * DESCRIPTION
 *	mk_log_open() names the program (the ident of every line) and logs
 *	to stderr or to syslog, facility mail.
 *	mk_log_set_target() switches to the [log] target: "syslog", "stderr"
 *	or "file:/path" (appended to, created 0640; a link or a file with
 *	other names is refused, since a daemon may still be root); 0, or -1
 *	with a message in err and the old target kept. mk_log_target_check()
 *	is its check alone (the configuration row's). mk_log_reopen() opens
 *	the file target's path afresh (after logrotate moved it), 0 or -1:
 *	the daemons call it on SIGUSR1 and, through mk_log_set_target(), on
 *	SIGHUP. A file line reads "Dec  5 04:51:00 ident[pid]: level: text".
 *
 *	mk_log() writes one line at the given level; lines above the current
 *	level are dropped inside the logger, never at call sites.
 *	mk_log_event() writes one decision line "QID: text" (NOQUEUE when the
 *	queue id is unknown), the form every milter and the policy daemon use.
 *	mk_fatal() logs at error level and exits with status 3 (start-up only);
 *	mk_panic() logs and aborts (broken invariants only).
 *
 *	mk_printable() copies client-supplied text into dst, replacing every
 *	byte that is not printable ASCII by '?', and truncating to dstlen-1
 *	bytes with a trailing "..." when it does not fit. srclen may be
 *	(size_t)-1 for a NUL-terminated string. Returns dst.
 *
 *	mk_log_set_sink() diverts all lines to fn (unit tests); NULL restores.
 *
 *	mk_log_limited() logs events that can come by the thousand (peers
 *	that leave early, a store that keeps failing) without flooding: the
 *	first line of a kind (one struct mk_log_limit per kind, statically
 *	initialized with MK_LOG_LIMIT_INIT) is logged; later ones are only
 *	counted until l->window seconds (0: 60) have passed since the last
 *	line logged, when the next one is logged with "; N more like it
 *	since" appended. Thread-safe; the monotonic clock.
 */
#ifndef MK_LOG_H
#define MK_LOG_H

#include <pthread.h>
#include <stddef.h>

enum mk_log_level {
	MK_LOG_ERROR = 0,
	MK_LOG_WARN = 1,
	MK_LOG_INFO = 2,
	MK_LOG_DEBUG = 3
};

/* Longest path of a log file. */
#define MK_LOG_PATH_MAX 1024

/* Longest client-supplied fragment put into one log line. */
#define MK_LOG_CLIENT_MAX 256

typedef void (*mk_log_sink_fn)(enum mk_log_level, const char *line, void *arg);

struct mk_log_limit {
	pthread_mutex_t lock;
	int window;			/* seconds; 0 = 60 */
	int logged;			/* a line of this kind was logged */
	long long last;			/* monotonic second of that line */
	unsigned long held;		/* events counted since */
};

#define MK_LOG_LIMIT_INIT { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0 }

#define MK_PRINTF(f, a) __attribute__((format(printf, f, a)))

void mk_log_open(const char *ident, int to_stderr);
int mk_log_target_check(const char *text, char *err, size_t errlen);
int mk_log_set_target(const char *text, char *err, size_t errlen);
int mk_log_reopen(char *err, size_t errlen);
void mk_log_set_level(enum mk_log_level level);
enum mk_log_level mk_log_get_level(void);
int mk_log_level_parse(const char *name, enum mk_log_level *out);
const char *mk_log_level_name(enum mk_log_level level);
void mk_log(enum mk_log_level level, const char *fmt, ...) MK_PRINTF(2, 3);
void mk_log_event(enum mk_log_level level, const char *qid, const char *fmt, ...)
    MK_PRINTF(3, 4);
void mk_fatal(const char *fmt, ...) MK_PRINTF(1, 2) __attribute__((noreturn));
void mk_panic(const char *fmt, ...) MK_PRINTF(1, 2) __attribute__((noreturn));
char *mk_printable(char *dst, size_t dstlen, const char *src, size_t srclen);
void mk_log_set_sink(mk_log_sink_fn fn, void *arg);
void mk_log_limited(struct mk_log_limit *l, enum mk_log_level level,
    const char *fmt, ...) MK_PRINTF(3, 4);

#define mk_error(...) mk_log(MK_LOG_ERROR, __VA_ARGS__)
#define mk_warn(...) mk_log(MK_LOG_WARN, __VA_ARGS__)
#define mk_info(...) mk_log(MK_LOG_INFO, __VA_ARGS__)
#define mk_debug(...) mk_log(MK_LOG_DEBUG, __VA_ARGS__)

#endif
