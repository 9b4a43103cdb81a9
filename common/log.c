/*
 * log.c - leveled logging to syslog (facility mail) or stderr (mk_log.h).
 *
 * The level check lives here, not at call sites. Lines are formatted once
 * into a bounded buffer; a line that does not fit is cut and marked.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mk_log.h"

#define MK_LOG_LINE_MAX 2048

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static enum mk_log_level cur_level = MK_LOG_INFO;
static int use_stderr = 1;
static char log_ident[64] = "milterkit";
static mk_log_sink_fn sink_fn;
static void *sink_arg;

void
mk_log_open(const char *ident, int to_stderr)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
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
vlog(enum mk_log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char line[MK_LOG_LINE_MAX];
	size_t off = 0;
	int n;

	if (prefix != NULL) {
		n = snprintf(line, sizeof(line), "%s: ", prefix);
		off = n > 0 ? (size_t)n : 0;
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
	}
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (n > 0 && (size_t)n >= sizeof(line) - off)
		memcpy(line + sizeof(line) - 4, "...", 4);
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

	va_start(ap, fmt);
	vlog(MK_LOG_ERROR, "fatal", fmt, ap);
	va_end(ap);
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
