/*
 * NAME
 *	cli - pure parsing for the milterkit command
 * SYNOPSIS
 *	#include "cli.h"
 *
 *	int	cli_parse_date(const char *text, int64_t *out);
 *	int	cli_parse_expires(const char *text, int64_t now, int64_t *out,
 *			char *err, size_t errlen);
 *	int	cli_parse_reason(const char *name);
 *	const char *cli_reason_name(int reason);
 *	int	cli_check_note(const char *note, char *err, size_t errlen);
 *	int	cli_csv_split(char *line, char **fields, int max, int *n,
 *			char *err, size_t errlen);
 *	int	cli_detect_format(const char *line, size_t len);
 *	int	cli_import_line(char *line, size_t len, int format, int64_t now,
 *			const struct cli_import_defaults *d,
 *			struct cli_import_rec *rec, char *err, size_t errlen);
 *	int	cli_json_escape(char *dst, size_t dstlen, const char *s);
 *	int	cli_csv_quote(char *dst, size_t dstlen, const char *s);
 *	int	cli_fmt_time(int64_t t, char *buf, size_t buflen);
 *	int	cli_parse_global(int argc, char **argv, struct cli_global *g,
 *			char *err, size_t errlen);
 *	int	cli_parse_supp(const char *verb, int argc, char **argv,
 *			struct cli_supp_opts *o, char *err, size_t errlen);
 * DESCRIPTION
 *	Everything the command parses from its arguments and input files
 *	lives here, free of the store and of I/O, so unit tests call it
 *	directly. Functions return 0 (or a documented positive value) on
 *	success and -1 on error, with a one-line reason in err.
 *
 *	cli_parse_date() reads "YYYY-MM-DD" (midnight) or
 *	"YYYY-MM-DDTHH:MM:SSZ", both UTC. cli_parse_expires() takes a
 *	duration (mk_cfg_parse_duration: 30d, 12h, 1w) counted from now, or a
 *	date; zero durations and instants not after now are errors.
 *
 *	cli_import_line() parses one line of an import file (without its
 *	'\n'; a trailing '\r' is dropped; line[len] must be NUL). It returns
 *	1 for a line to skip (blank, '#' comment, CSV header), 0 with rec
 *	filled, or -1. CSV lines are "address,reason,scope,expires,note"
 *	with RFC 4180 quoting; empty reason, scope or expires fields take
 *	the defaults. rec points into line, which is modified in place.
 *	cli_detect_format() chooses CSV or plain from the first data line.
 *
 *	cli_json_escape() and cli_csv_quote() write s escaped (JSON string
 *	with its quotes; a CSV field, quoted only when needed) and return
 *	the length, or -1 when dst is too small.
 *
 *	cli_parse_global() parses the options before the verb and returns
 *	the index of the verb in argv (argc when there is none).
 *	cli_parse_supp() parses the options and operands of one suppress
 *	verb: unknown or misplaced options and wrong operand counts are
 *	errors. Strings in the structs point into argv.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes of the command. */
enum {
	CLI_EXIT_OK = 0,	/* success, or "suppressed" for check */
	CLI_EXIT_NO = 1,	/* negative answer: not suppressed, no entry */
	CLI_EXIT_USAGE = 2,	/* usage or input error */
	CLI_EXIT_STORE = 3	/* store or system error */
};

#define CLI_LINE_MAX 2048	/* octets of one import line, without \n */
#define CLI_CSV_FIELDS 5
/* Last expiry that prints as a four-digit-year date: 9999-12-31T23:59:59Z. */
#define CLI_EXPIRES_MAX 253402300799LL

enum { CLI_FMT_AUTO = 0, CLI_FMT_PLAIN = 1, CLI_FMT_CSV = 2 };

struct cli_import_defaults {
	int reason;		/* MK_REASON_* */
	const char *scope;	/* "" = global */
	int64_t expires;	/* 0 = never */
};

struct cli_import_rec {
	const char *addr;	/* as written: address or @domain */
	int reason;
	const char *scope;	/* as written, "" = global */
	int64_t expires;
	const char *note;	/* "" when none */
};

struct cli_global {
	const char *conf_path;	/* -c FILE, NULL = default */
	const char *store_dir;	/* --store DIR, NULL = from config */
	int help;
	int version;
};

/* Options each suppress verb accepts (bit mask). */
enum {
	CLI_O_REASON = 1 << 0, CLI_O_SCOPE = 1 << 1, CLI_O_EXPIRES = 1 << 2,
	CLI_O_NOTE = 1 << 3, CLI_O_GLOBAL = 1 << 4, CLI_O_EXPIRED = 1 << 5,
	CLI_O_JSON = 1 << 6, CLI_O_SENDER = 1 << 7, CLI_O_SKIPBAD = 1 << 8,
	CLI_O_FORMAT = 1 << 9
};

struct cli_supp_opts {
	int reason;		/* MK_REASON_*, MK_REASON_ANY when unset */
	const char *scope;	/* NULL when unset */
	const char *expires;	/* raw text, NULL when unset */
	const char *note;
	const char *sender;
	int global, expired, json, skip_bad, help;
	int format;		/* CLI_FMT_* */
	const char *arg;	/* the operand, NULL when the verb takes none */
};

int cli_parse_date(const char *text, int64_t *out);
int cli_parse_expires(const char *text, int64_t now, int64_t *out,
    char *err, size_t errlen);
int cli_parse_reason(const char *name);
const char *cli_reason_name(int reason);
int cli_check_note(const char *note, char *err, size_t errlen);
int cli_csv_split(char *line, char **fields, int max, int *n,
    char *err, size_t errlen);
int cli_detect_format(const char *line, size_t len);
int cli_import_line(char *line, size_t len, int format, int64_t now,
    const struct cli_import_defaults *d, struct cli_import_rec *rec,
    char *err, size_t errlen);
int cli_json_escape(char *dst, size_t dstlen, const char *s);
int cli_csv_quote(char *dst, size_t dstlen, const char *s);
int cli_fmt_time(int64_t t, char *buf, size_t buflen);
int cli_parse_global(int argc, char **argv, struct cli_global *g,
    char *err, size_t errlen);
int cli_parse_supp(const char *verb, int argc, char **argv,
    struct cli_supp_opts *o, char *err, size_t errlen);

#endif
