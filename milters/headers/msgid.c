/*
 * NAME
 *	msgid.c - Message-ID syntax and generation, and the Date format
 * SYNOPSIS
 *	int	hdr_msgid_valid(const char *v);
 *	void	hdr_msgid_new(const char *domain, char *out, size_t len);
 *	void	hdr_date_format(time_t t, int utc, char *out, size_t len);
 * DESCRIPTION
 *	hdr_msgid_valid() tells whether a field value is one msg-id of
 *	RFC 5322 3.6.4: "<" dot-atom-text "@" (dot-atom-text | "[" dtext* "]")
 *	">", with blanks, folds and comments around it; obsolete forms and
 *	8-bit octets are invalid.
 *
 *	hdr_msgid_new() writes "<TIME.COUNT.RANDOM@domain>": TIME the seconds
 *	in hex, COUNT a process-wide counter, RANDOM 80 bits from getrandom(2)
 *	(OpenSSL's RAND_bytes() when that fails) in base32; unique across
 *	processes and hosts, and not guessable. out must hold 48 octets plus
 *	the domain.
 *
 *	hdr_date_format() writes an RFC 5322 date-time, "Tue, 14 Nov 2023
 *	22:13:20 +0000", in UTC or in the local zone, without the locale.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/rand.h>

#include "headers_priv.h"
#include "mk_log.h"

static atomic_uint msgid_counter;

static int
atext(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != 0 &&
	    strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* Skip blanks, folds and (nested) comments; NULL on an open comment. */
static const char *
skip_cfws(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == ')')
			return NULL;
		else if (*p == '\\' && depth > 0 && p[1] != '\0')
			p++;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n')
			return p;
	}
	return depth == 0 ? p : NULL;
}

/* dot-atom-text up to stop; returns the end, or NULL. */
static const char *
dot_atom(const char *p)
{
	if (!atext((unsigned char)*p))
		return NULL;
	while (atext((unsigned char)*p) || (*p == '.' &&
	    atext((unsigned char)p[1])))
		p++;
	return p;
}

int
hdr_msgid_valid(const char *v)
{
	const char *p = skip_cfws(v);

	if (p == NULL || *p++ != '<' || (p = dot_atom(p)) == NULL ||
	    *p++ != '@')
		return 0;
	if (*p == '[') {
		for (p++; *p != ']'; p++)
			if (*p < 33 || *p > 126 || *p == '[' || *p == '\\')
				return 0;
		p++;
	} else if ((p = dot_atom(p)) == NULL) {
		return 0;
	}
	if (*p++ != '>')
		return 0;
	p = skip_cfws(p);
	return p != NULL && *p == '\0';
}

static void
random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n && RAND_bytes(buf, (int)n) != 1)
		mk_panic("no random bytes for a Message-ID");
}

void
hdr_msgid_new(const char *domain, char *out, size_t len)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char rnd[10];
	char r32[17];
	unsigned acc = 0, bits = 0, k = 0;
	unsigned count = atomic_fetch_add(&msgid_counter, 1);

	random_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++) {
		acc = (acc << 8) | rnd[i];
		bits += 8;
		while (bits >= 5) {
			r32[k++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	r32[k] = '\0';
	snprintf(out, len, "<%llx.%x.%s@%s>", (unsigned long long)time(NULL),
	    count, r32, domain);
}

void
hdr_date_format(time_t t, int utc, char *out, size_t len)
{
	static const char *const wd[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm tm;
	long off = 0;

	if (utc || localtime_r(&t, &tm) == NULL) {
		if (gmtime_r(&t, &tm) == NULL) {
			t = 0;
			gmtime_r(&t, &tm);
		}
	} else {
		off = tm.tm_gmtoff / 60;
	}
	snprintf(out, len, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    wd[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
}
