/*
 * NAME
 *	cli.c - pure parsing of dates, reasons, notes and import lines
 * SYNOPSIS
 *	See cli.h.
 * DESCRIPTION
 *	No I/O and no store here: the command's verbs call these functions,
 *	and so does tests/unit/test_cli.c. Option parsing is in cli_opts.c.
 * DIAGNOSTICS
 *	Functions return -1 and write one line into err; nothing is ever
 *	truncated silently.
 * SEE ALSO
 *	cli.h, milterkit(8)
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "mk_cfg.h"
#include "mk_store.h"

static const char *const reason_names[MK_REASON_COUNT] = {
	[MK_REASON_ANY] = "any",
	[MK_REASON_BOUNCE] = "bounce",
	[MK_REASON_COMPLAINT] = "complaint",
	[MK_REASON_UNSUBSCRIBE] = "unsubscribe",
	[MK_REASON_MANUAL] = "manual",
};

int
cli_parse_reason(const char *name)
{
	for (int i = MK_REASON_BOUNCE; i < MK_REASON_COUNT; i++)
		if (strcasecmp(name, reason_names[i]) == 0)
			return i;
	return -1;
}

const char *
cli_reason_name(int reason)
{
	if (reason < 0 || reason >= MK_REASON_COUNT)
		return "unknown";
	return reason_names[reason];
}

/* Read exactly n digits into *v. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int
cli_parse_date(const char *text, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, s = 0;
	size_t len = strlen(text);
	struct tm tm;

	if (len != 10 && len != 20)
		return -1;
	if (digits(text, 4, &y) || text[4] != '-' || digits(text + 5, 2, &mo)
	    || text[7] != '-' || digits(text + 8, 2, &d))
		return -1;
	if (len == 20 && (text[10] != 'T' || digits(text + 11, 2, &h)
	    || text[13] != ':' || digits(text + 14, 2, &mi) || text[16] != ':'
	    || digits(text + 17, 2, &s) || text[19] != 'Z'))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)
	    || h > 23 || mi > 59 || s > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
cli_parse_expires(const char *text, int64_t now, int64_t *out, char *err,
    size_t errlen)
{
	long long secs;
	int64_t t;

	if (strlen(text) == 10 || strchr(text, '-') != NULL) {
		if (cli_parse_date(text, &t) < 0) {
			snprintf(err, errlen, "bad date \"%.40s\": use YYYY-MM-DD "
			    "or YYYY-MM-DDTHH:MM:SSZ (UTC)", text);
			return -1;
		}
		if (t <= now) {
			snprintf(err, errlen, "expiry date %.40s is in the past",
			    text);
			return -1;
		}
		*out = t;
		return 0;
	}
	if (mk_cfg_parse_duration(text, &secs) < 0) {
		snprintf(err, errlen, "bad expiry \"%.40s\": use a duration "
		    "(30d, 12h, 1w) or a date (YYYY-MM-DD)", text);
		return -1;
	}
	/* Past 9999-12-31T23:59:59Z an expiry could not be exported as a
	 * date that import reads back. */
	if (secs <= 0 || now >= CLI_EXPIRES_MAX ||
	    secs > (long long)(CLI_EXPIRES_MAX - now)) {
		snprintf(err, errlen, "expiry duration \"%.40s\" out of range"
		    " (the last date is 9999-12-31)", text);
		return -1;
	}
	*out = now + secs;
	return 0;
}

int
cli_check_note(const char *note, char *err, size_t errlen)
{
	size_t len = strlen(note);

	if (len > MK_SUPP_NOTE_MAX) {
		snprintf(err, errlen, "note is %zu octets, at most %d allowed",
		    len, MK_SUPP_NOTE_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)note[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "note has a control character "
			    "(0x%02x) at offset %zu", c, i);
			return -1;
		}
	}
	return 0;
}

/* Split one CSV record in place (RFC 4180: "" inside quotes is a quote). */
int
cli_csv_split(char *line, char **fields, int max, int *n, char *err,
    size_t errlen)
{
	char *r = line, *w = line;
	int nf = 0;

	for (;;) {
		if (nf == max) {
			snprintf(err, errlen, "too many fields (at most %d: "
			    "address,reason,scope,expires,note)", max);
			return -1;
		}
		fields[nf++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0') {
					snprintf(err, errlen, "unbalanced quotes "
					    "in field %d", nf);
					return -1;
				}
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			if (*r != ',' && *r != '\0') {
				snprintf(err, errlen, "text after the closing quote "
				    "of field %d", nf);
				return -1;
			}
		} else {
			while (*r != ',' && *r != '\0') {
				if (*r == '"') {
					snprintf(err, errlen, "stray quote in "
					    "unquoted field %d", nf);
					return -1;
				}
				*w++ = *r++;
			}
		}
		if (*r == '\0') {
			*w = '\0';
			break;
		}
		r++;		/* the comma */
		*w++ = '\0';
	}
	*n = nf;
	return 0;
}

int
cli_detect_format(const char *line, size_t len)
{
	int quoted = 0;

	if (len >= 8 && strncasecmp(line, "address,", 8) == 0)
		return CLI_FMT_CSV;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '"')
			quoted = !quoted;
		else if (line[i] == ',' && !quoted)
			return CLI_FMT_CSV;
	}
	return CLI_FMT_PLAIN;
}

/* Strip blanks at both ends, in place. */
static char *
trim(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		s[--*len] = '\0';
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	return s;
}

static int
csv_record(char *line, int64_t now, const struct cli_import_defaults *d,
    struct cli_import_rec *rec, char *err, size_t errlen)
{
	char *f[CLI_CSV_FIELDS];
	int nf;

	if (cli_csv_split(line, f, CLI_CSV_FIELDS, &nf, err, errlen) < 0)
		return -1;
	if (strcasecmp(f[0], "address") == 0)
		return 1;	/* header line */
	if (nf != CLI_CSV_FIELDS) {
		snprintf(err, errlen, "%d field%s, want %d: "
		    "address,reason,scope,expires,note", nf, nf == 1 ? "" : "s",
		    CLI_CSV_FIELDS);
		return -1;
	}
	if (f[0][0] == '\0') {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	rec->addr = f[0];
	if (f[1][0] == '\0')
		rec->reason = d->reason;
	else if ((rec->reason = cli_parse_reason(f[1])) < 0) {
		snprintf(err, errlen, "unknown reason \"%.40s\" (bounce, "
		    "complaint, unsubscribe, manual)", f[1]);
		return -1;
	}
	rec->scope = f[2][0] != '\0' ? f[2] : d->scope;
	if (f[3][0] == '\0')
		rec->expires = d->expires;
	else if (cli_parse_expires(f[3], now, &rec->expires, err, errlen) < 0)
		return -1;
	if (cli_check_note(f[4], err, errlen) < 0)
		return -1;
	rec->note = f[4];
	return 0;
}

int
cli_import_line(char *line, size_t len, int format, int64_t now,
    const struct cli_import_defaults *d, struct cli_import_rec *rec,
    char *err, size_t errlen)
{
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in line");
		return -1;
	}
	if (len > CLI_LINE_MAX) {
		snprintf(err, errlen, "line longer than %d octets", CLI_LINE_MAX);
		return -1;
	}
	line = trim(line, &len);
	if (len == 0 || line[0] == '#')
		return 1;
	if (format == CLI_FMT_AUTO)
		format = cli_detect_format(line, len);
	if (format == CLI_FMT_CSV)
		return csv_record(line, now, d, rec, err, errlen);
	rec->addr = line;
	rec->reason = d->reason;
	rec->scope = d->scope;
	rec->expires = d->expires;
	rec->note = "";
	return 0;
}

int
cli_json_escape(char *dst, size_t dstlen, const char *s)
{
	size_t o = 0;

#define PUT(c) do { if (o + 1 >= dstlen) return -1; dst[o++] = (c); } while (0)
	PUT('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT((char)c);
		} else if (c < 0x20 || c == 0x7f) {
			if (o + 7 >= dstlen)
				return -1;
			o += (size_t)snprintf(dst + o, dstlen - o, "\\u%04x", c);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	dst[o] = '\0';
	return (int)o;
}

int
cli_csv_quote(char *dst, size_t dstlen, const char *s)
{
	size_t o = 0, len = strlen(s);
	int need = strpbrk(s, ",\"\r\n") != NULL || (len > 0
	    && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' '
	    || s[len - 1] == '\t' || s[0] == '#'));

	if (!need) {
		if (len + 1 > dstlen)
			return -1;
		memcpy(dst, s, len + 1);
		return (int)len;
	}
	if (dstlen < 3)
		return -1;
	dst[o++] = '"';
	for (; *s != '\0'; s++) {
		if (o + 3 >= dstlen)
			return -1;
		if (*s == '"')
			dst[o++] = '"';
		dst[o++] = *s;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return (int)o;
}

int
cli_fmt_time(int64_t t, char *buf, size_t buflen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL
	    || strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}
