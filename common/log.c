/*
 * log.c - leveled logging to syslog (facility mail), stderr or a file
 * (mk_log.h).
 *
 * The level check lives here, not at call sites. Lines are formatted once
 * into a bounded buffer; a line that does not fit is cut and marked. A
 * file target is written with one write(2) per line (O_APPEND: lines of
 * threads and processes do not interleave); reopening it puts the new file
 * on the same descriptor with dup2(), so no writer ever sees it closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mk_log.h"

#define MK_LOG_LINE_MAX 2048

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

#define FILE_PREFIX "file:"

static enum mk_log_level cur_level = MK_LOG_INFO;
static int use_stderr = 1;
static int file_fd = -1;		/* the file target's descriptor */
static char file_path[MK_LOG_PATH_MAX + 1];
static char log_ident[64] = "milterkit";
static mk_log_sink_fn sink_fn;
static void *sink_arg;

void
mk_log_open(const char *ident, int to_stderr)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	use_stderr = to_stderr;
	if (!to_stderr && file_fd < 0)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
mk_log_target_check(const char *text, char *err, size_t errlen)
{
	const char *path;

	if (strcmp(text, "syslog") == 0 || strcmp(text, "stderr") == 0)
		return 0;
	if (strncmp(text, FILE_PREFIX, strlen(FILE_PREFIX)) != 0) {
		snprintf(err, errlen, "\"%.80s\": expected syslog, stderr or"
		    " file:/path", text);
		return -1;
	}
	path = text + strlen(FILE_PREFIX);
	if (path[0] != '/' || strlen(path) > MK_LOG_PATH_MAX) {
		snprintf(err, errlen, "\"%.80s\": the file must be an absolute"
		    " path of at most %d octets", text, MK_LOG_PATH_MAX);
		return -1;
	}
	return 0;
}

/* Open a log file to append to: a regular file with no other name, never
 * through a link (a daemon may still be root here). -1 with a message. */
static int
file_open(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	/* O_NONBLOCK: a FIFO planted there fails at once (ENXIO) instead
	 * of holding the start up; it does nothing to a regular file. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0640);

	if (fd < 0) {
		snprintf(err, errlen, "log file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		snprintf(err, errlen, "log file %s: not a regular file with a"
		    " single name", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Put the file on the target's descriptor (kept across reopens). */
static int
file_install(const char *path, char *err, size_t errlen)
{
	int fd = file_open(path, err, errlen);

	if (fd < 0)
		return -1;
	if (file_fd < 0) {
		file_fd = fd;
	} else {
		if (dup3(fd, file_fd, O_CLOEXEC) < 0) {
			snprintf(err, errlen, "log file %s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	if (file_path != path)
		snprintf(file_path, sizeof(file_path), "%s", path);
	return 0;
}

int
mk_log_set_target(const char *text, char *err, size_t errlen)
{
	if (mk_log_target_check(text, err, errlen) < 0)
		return -1;
	if (strncmp(text, FILE_PREFIX, strlen(FILE_PREFIX)) == 0) {
		if (file_install(text + strlen(FILE_PREFIX), err, errlen) < 0)
			return -1;
		use_stderr = 0;
		return 0;
	}
	if (file_fd >= 0) {
		close(file_fd);
		file_fd = -1;
		file_path[0] = '\0';
	}
	use_stderr = strcmp(text, "stderr") == 0;
	if (!use_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	return 0;
}

int
mk_log_reopen(char *err, size_t errlen)
{
	if (file_fd < 0)
		return 0;
	return file_install(file_path, err, errlen);
}

void
mk_log_set_level(enum mk_log_level level)
{
	cur_level = level;
}

enum mk_log_level
mk_log_get_level(void)
{
	return cur_level;
}

int
mk_log_level_parse(const char *name, enum mk_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum mk_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*out = MK_LOG_WARN;
		return 0;
	}
	return -1;
}

const char *
mk_log_level_name(enum mk_log_level level)
{
	if ((unsigned)level > MK_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

static void
emit(enum mk_log_level level, const char *line)
{
	if (sink_fn != NULL) {
		sink_fn(level, line, sink_arg);
		return;
	}
	if (file_fd >= 0 && !use_stderr) {
		char buf[MK_LOG_LINE_MAX + 192], stamp[32];
		struct tm tm;
		time_t now = time(NULL);
		int n;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		n = snprintf(buf, sizeof(buf), "%s %s[%ld]: %s: %s\n", stamp,
		    log_ident, (long)getpid(), level_names[level], line);
		if (n > (int)sizeof(buf) - 1)
			n = (int)sizeof(buf) - 1;
		if (n > 0 && write(file_fd, buf, (size_t)n) < 0) {
			/* nowhere left to report it */
		}
		return;
	}
	if (use_stderr) {
		/* One write per line, so lines of threads do not interleave. */
		char buf[MK_LOG_LINE_MAX + 128];
		int n = snprintf(buf, sizeof(buf), "%s[%ld]: %s: %s\n", log_ident,
		    (long)getpid(), level_names[level], line);
		if (n > (int)sizeof(buf) - 1)
			n = (int)sizeof(buf) - 1;
		if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0) {
			/* nowhere left to report it */
		}
		return;
	}
	syslog(syslog_prio[level], "%s", line);
}

static void
format_line(char *line, size_t size, const char *prefix, const char *fmt,
    va_list ap)
{
	size_t off = 0;
	int n;

	if (prefix != NULL) {
		n = snprintf(line, size, "%s: ", prefix);
		off = n > 0 ? (size_t)n : 0;
		if (off >= size)
			off = size - 1;
	}
	n = vsnprintf(line + off, size - off, fmt, ap);
	if (n > 0 && (size_t)n >= size - off)
		memcpy(line + size - 4, "...", 4);
}

static void
vlog(enum mk_log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char line[MK_LOG_LINE_MAX];

	format_line(line, sizeof(line), prefix, fmt, ap);
	emit(level, line);
}

void
mk_log(enum mk_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
mk_log_event(enum mk_log_level level, const char *qid, const char *fmt, ...)
{
	va_list ap;
	char pq[64];

	if (level > cur_level)
		return;
	mk_printable(pq, sizeof(pq), qid != NULL && *qid ? qid : "NOQUEUE",
	    (size_t)-1);
	va_start(ap, fmt);
	vlog(level, pq, fmt, ap);
	va_end(ap);
}

void
mk_fatal(const char *fmt, ...)
{
	va_list ap;

	char line[MK_LOG_LINE_MAX];
	int saved = use_stderr;

	va_start(ap, fmt);
	format_line(line, sizeof(line), "fatal", fmt, ap);
	va_end(ap);
	emit(MK_LOG_ERROR, line);
	/* On the terminal too while there is one (before a daemon detaches;
	 * after, stderr is /dev/null): a start that fails says why there. */
	if (!saved && sink_fn == NULL) {
		use_stderr = 1;
		emit(MK_LOG_ERROR, line);
		use_stderr = saved;
	}
	exit(3);
}

void
mk_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(MK_LOG_ERROR, "panic", fmt, ap);
	va_end(ap);
	abort();
}

char *
mk_printable(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, o = 0;

	if (dstlen == 0)
		return dst;
	if (src == NULL)
		src = "";
	if (srclen == (size_t)-1)
		srclen = strlen(src);
	for (i = 0; i < srclen && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
	if (i < srclen && dstlen >= 4)
		memcpy(dst + dstlen - 4, "...", 4);
	return dst;
}

void
mk_log_set_sink(mk_log_sink_fn fn, void *arg)
{
	sink_fn = fn;
	sink_arg = arg;
}

void
mk_log_limited(struct mk_log_limit *l, enum mk_log_level level,
    const char *fmt, ...)
{
	struct timespec ts;
	char line[MK_LOG_LINE_MAX];
	unsigned long held;
	long long window = l->window > 0 ? l->window : 60;
	va_list ap;
	size_t n;

	if (level > cur_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&l->lock);
	if (l->logged && ts.tv_sec - l->last < window) {
		l->held++;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	held = l->held;
	l->held = 0;
	l->logged = 1;
	l->last = ts.tv_sec;
	pthread_mutex_unlock(&l->lock);
	va_start(ap, fmt);
	format_line(line, sizeof(line), NULL, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (held > 0 && n + 48 < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "; %lu more like it since",
		    held);
	emit(level, line);
}
