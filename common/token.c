/*
 * NAME
 *	token.c - the HMAC tokens of the feedback loop (see mk_token.h)
 * DESCRIPTION
 *	One module for the List-Unsubscribe token (headers filter, ingest,
 *	milterkit-unsubd) and the return-path local part (returnpath filter,
 *	ingest). Everything that goes into an HMAC is normalized first, so the
 *	signing side and the checking side compute the same message from what
 *	each of them sees.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mk_mem.h"
#include "mk_token.h"

#define UNSUB_TAG "milterkit-unsubscribe-v1\n"
#define UNSUB_BYTES 20
#define RP_TAG "milterkit-returnpath-v1\n"
#define RP_HASH_BYTES 5			/* 40 bits, 8 base32 characters */
#define RP_HASH_LEN 8
#define RP_DAY_LEN 4			/* 20 bits of days: until year 4840 */
#define RP_PREFIX "b0="

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

int
mk_token_key_load(const char *path, const char *what, unsigned char **key,
    size_t *len, char *err, size_t errlen)
{
	unsigned char buf[MK_TOKEN_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	*key = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IROTH) != 0) {
		snprintf(err, errlen, "%s %s: not a regular file, or readable "
		    "by others", what, path);
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got,
	    sizeof(buf) - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s %s: %s", what, path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r' ||
	    buf[got - 1] == ' ' || buf[got - 1] == '\t'))
		got--;
	if (got < MK_TOKEN_KEY_MIN || got > MK_TOKEN_KEY_MAX) {
		snprintf(err, errlen, "%s %s: the secret must be %d to %d "
		    "octets", what, path, MK_TOKEN_KEY_MIN, MK_TOKEN_KEY_MAX);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	*key = mk_malloc(got);
	memcpy(*key, buf, got);
	*len = got;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

void
mk_token_key_free(unsigned char *key, size_t len)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, len);
	free(key);
}

static void
base32(const unsigned char *in, size_t n, char *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*out++ = b32[(acc << (5 - bits)) & 31];
	*out = '\0';
}

/* HMAC-SHA256 of msg; 0, or -1 (no key, or OpenSSL failed). */
static int
hmac(const unsigned char *key, size_t keylen, const char *msg, size_t len,
    unsigned char md[EVP_MAX_MD_SIZE])
{
	unsigned mdlen = 0;

	if (key == NULL || keylen == 0 || HMAC(EVP_sha256(), key, (int)keylen,
	    (const unsigned char *)msg, len, md, &mdlen) == NULL ||
	    mdlen < UNSUB_BYTES)
		return -1;
	return 0;
}

/* Lower-cases n octets of s into out (n + 1 octets). */
static void
lower(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	out[n] = '\0';
}

int
mk_token_unsub(const unsigned char *key, size_t keylen, const char *rcpt,
    const char *domain, char out[MK_TOKEN_UNSUB_LEN + 1])
{
	struct mk_addr a;
	char dom[MK_ADDR_DOMAIN_MAX + 1], msg[sizeof(UNSUB_TAG) +
	    sizeof(a.norm) + sizeof(dom) + 2];
	unsigned char md[EVP_MAX_MD_SIZE];
	int n;

	out[0] = '\0';
	if (rcpt == NULL || domain == NULL ||
	    mk_addr_parse(rcpt, strlen(rcpt), NULL, &a) != 0 ||
	    mk_addr_domain(domain, strlen(domain), dom, sizeof(dom)) != 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "%s%s\n%s", UNSUB_TAG, a.norm, dom);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    hmac(key, keylen, msg, (size_t)n, md) != 0)
		return -1;
	base32(md, UNSUB_BYTES, out);
	return 0;
}

int
mk_token_unsub_verify(const unsigned char *key, size_t keylen,
    const char *token, const char *rcpt, const char *domain)
{
	char want[MK_TOKEN_UNSUB_LEN + 1], got[MK_TOKEN_UNSUB_LEN + 1];

	if (token == NULL || strlen(token) != MK_TOKEN_UNSUB_LEN ||
	    mk_token_unsub(key, keylen, rcpt, domain, want) != 0)
		return 0;
	lower(token, MK_TOKEN_UNSUB_LEN, got);
	return CRYPTO_memcmp(want, got, MK_TOKEN_UNSUB_LEN) == 0;
}

/*
 * Return-path tokens.
 */

static int
rp_plain(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '.' || ch == '+' || ch == '_' || ch == '-';
}

/* Appends the field encoding of n octets of s; -1 when out is full. */
static int
rp_put(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (rp_plain(ch)) {
			if (*pos + 1 >= outlen)
				return -1;
			out[(*pos)++] = (char)ch;
		} else {
			if (*pos + 3 >= outlen)
				return -1;
			out[(*pos)++] = '~';
			out[(*pos)++] = hex[ch >> 4];
			out[(*pos)++] = hex[ch & 15];
		}
	}
	out[*pos] = '\0';
	return 0;
}

/* Appends "=LOCAL=DOMAIN" of the address a; -1 when out is full. */
static int
rp_field(char *out, size_t outlen, size_t *pos, const char *a)
{
	const char *at = strrchr(a, '@');

	if (*pos + 1 >= outlen)
		return -1;
	out[(*pos)++] = '=';
	if (rp_put(out, outlen, pos, a, (size_t)(at - a)) != 0 ||
	    *pos + 1 >= outlen)
		return -1;
	out[(*pos)++] = '=';
	return rp_put(out, outlen, pos, at + 1, strlen(at + 1));
}

/* The hash of one token's day, sender and recipient (lower case). */
static int
rp_hash(const unsigned char *key, size_t keylen, const char *day,
    const char *sender, const char *rcpt, char out[RP_HASH_LEN + 1])
{
	char msg[sizeof(RP_TAG) + RP_DAY_LEN + 2 * (MK_ADDR_MAX + 1) + 4];
	unsigned char md[EVP_MAX_MD_SIZE];
	int n;

	n = snprintf(msg, sizeof(msg), "%s%s\n%s\n%s", RP_TAG, day, sender,
	    rcpt);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    hmac(key, keylen, msg, (size_t)n, md) != 0)
		return -1;
	base32(md, RP_HASH_BYTES, out);
	return 0;
}

static void
rp_day(int64_t day, char out[RP_DAY_LEN + 1])
{
	for (int i = RP_DAY_LEN - 1; i >= 0; i--) {
		out[i] = b32[day & 31];
		day >>= 5;
	}
	out[RP_DAY_LEN] = '\0';
}

/* An address as the token holds it: lower case, at most MK_ADDR_MAX. */
static int
rp_addr(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n == 0 || n > MK_ADDR_MAX || n >= outlen ||
	    strchr(in, '@') == NULL)
		return -1;
	lower(in, n, out);
	return 0;
}

int
mk_token_rp_make(const unsigned char *key, size_t keylen, const char *sender,
    const char *rcpt, int64_t now, int days, char *out, size_t outlen)
{
	char s[MK_ADDR_MAX + 1], r[MK_ADDR_MAX + 1] = "", day[RP_DAY_LEN + 1],
	    hash[RP_HASH_LEN + 1];
	size_t pos = 0;

	if (outlen == 0)
		return MK_TOKEN_ETOOLONG;
	out[0] = '\0';
	if (sender == NULL || rp_addr(sender, s, sizeof(s)) != 0 ||
	    (rcpt != NULL && rp_addr(rcpt, r, sizeof(r)) != 0) || days < 0 ||
	    now < 0)
		return MK_TOKEN_EINVAL;
	rp_day(now / 86400 + days, day);
	if (rp_hash(key, keylen, day, s, r, hash) != 0)
		return MK_TOKEN_EINVAL;
	if (strlen(RP_PREFIX) + RP_HASH_LEN + RP_DAY_LEN + 2 >= outlen)
		return MK_TOKEN_ETOOLONG;
	pos = (size_t)snprintf(out, outlen, "%s%s=%s", RP_PREFIX, hash, day);
	if (rp_field(out, outlen, &pos, s) != 0 ||
	    (r[0] != '\0' && rp_field(out, outlen, &pos, r) != 0))
		goto toolong;
	return 0;
toolong:
	out[0] = '\0';
	return MK_TOKEN_ETOOLONG;
}

/* Decodes one field of n octets into out; -1 when it is not our writing. */
static int
rp_get(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = ch - 'A' + 'a';
		if (ch == '~') {
			int v = 0;

			if (i + 2 >= n)
				return -1;
			for (int k = 1; k <= 2; k++) {
				int h = (unsigned char)s[i + k];

				if (h >= '0' && h <= '9')
					v = v * 16 + h - '0';
				else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
					v = v * 16 + (h | 0x20) - 'a' + 10;
				else
					return -1;
			}
			if (v == 0 || rp_plain(v) || (v >= 'A' && v <= 'Z'))
				return -1;	/* we never write these so */
			ch = v;
			i += 2;
		} else if (!rp_plain(ch)) {
			return -1;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return o == 0 ? -1 : 0;
}

/* out = local "@" domain, at most MK_ADDR_MAX octets; else -1. */
static int
rp_join(char out[MK_ADDR_MAX + 1], const char *local, const char *domain)
{
	size_t l = strlen(local), d = strlen(domain);

	if (l + d + 1 > MK_ADDR_MAX)
		return -1;
	memcpy(out, local, l);
	out[l] = '@';
	memcpy(out + l + 1, domain, d + 1);
	return 0;
}

int
mk_token_rp_is(const char *local, size_t len)
{
	return len > strlen(RP_PREFIX) && (local[0] == 'b' || local[0] == 'B') &&
	    local[1] == '0' && local[2] == '=';
}

int
mk_token_rp_parse(const unsigned char *key, size_t keylen, const char *local,
    size_t len, int64_t now, struct mk_rp_token *t)
{
	const char *f[7];
	size_t fl[7], nf = 0, start = 0;
	char hash[RP_HASH_LEN + 1], day[RP_DAY_LEN + 1], want[RP_HASH_LEN + 1];
	char part[2][MK_ADDR_MAX + 1];
	int64_t d = 0;

	memset(t, 0, sizeof(*t));
	if (local == NULL || len > MK_TOKEN_RP_MAX || !mk_token_rp_is(local, len))
		return MK_TOKEN_EFORMAT;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && local[i] != '=')
			continue;
		if (nf == 7)
			return MK_TOKEN_EFORMAT;
		f[nf] = local + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	if ((nf != 5 && nf != 7) || fl[1] != RP_HASH_LEN || fl[2] != RP_DAY_LEN)
		return MK_TOKEN_EFORMAT;
	lower(f[1], RP_HASH_LEN, hash);
	lower(f[2], RP_DAY_LEN, day);
	for (int i = 0; i < RP_DAY_LEN; i++) {
		const char *p = strchr(b32, day[i]);

		if (p == NULL || day[i] == '\0')
			return MK_TOKEN_EFORMAT;
		d = d * 32 + (p - b32);
	}
	for (int i = 0; i < 2; i++)
		if (rp_get(f[3 + i], fl[3 + i], part[i], sizeof(part[i])) != 0)
			return MK_TOKEN_EFORMAT;
	if (strlen(part[1]) > MK_ADDR_DOMAIN_MAX ||
	    rp_join(t->sender, part[0], part[1]) != 0)
		return MK_TOKEN_EFORMAT;
	memcpy(t->sender_domain, part[1], strlen(part[1]) + 1);
	if (nf == 7) {
		if (rp_get(f[5], fl[5], part[0], sizeof(part[0])) != 0 ||
		    rp_get(f[6], fl[6], part[1], sizeof(part[1])) != 0 ||
		    rp_join(t->rcpt, part[0], part[1]) != 0) {
			memset(t, 0, sizeof(*t));
			return MK_TOKEN_EFORMAT;
		}
	}
	t->expires = (d + 1) * 86400 - 1;
	if (rp_hash(key, keylen, day, t->sender, t->rcpt, want) != 0 ||
	    CRYPTO_memcmp(want, hash, RP_HASH_LEN) != 0) {
		memset(t, 0, sizeof(*t));
		return MK_TOKEN_EHASH;
	}
	return now > t->expires ? MK_TOKEN_EEXPIRED : 0;
}

const char *
mk_token_strerror(int code)
{
	switch (code) {
	case MK_TOKEN_OK:
		return "ok";
	case MK_TOKEN_EFORMAT:
		return "not a milterkit return-path token";
	case MK_TOKEN_EHASH:
		return "token hash does not match (forged, or another key)";
	case MK_TOKEN_EEXPIRED:
		return "token expired";
	case MK_TOKEN_ETOOLONG:
		return "token does not fit";
	case MK_TOKEN_EINVAL:
		return "address does not parse";
	}
	return "unknown token error";
}
