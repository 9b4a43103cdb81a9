/*
 * NAME
 *	unsub.c - the List-Unsubscribe token: HMAC-SHA256 of the recipient
 *	and the sender domain under a secret key
 * SYNOPSIS
 *	int	hdr_unsub_key_load(const char *path, unsigned char **key,
 *			size_t *len, char *err, size_t errlen);
 *	int	hdr_unsub_token(const unsigned char *key, size_t keylen,
 *			const char *rcpt, const char *domain,
 *			char out[HDR_UNSUB_TOKEN_LEN + 1]);
 *	int	hdr_unsub_verify(const unsigned char *key, size_t keylen,
 *			const char *token, const char *rcpt,
 *			const char *domain);
 * DESCRIPTION
 *	The token is the first 160 bits of HMAC-SHA256(key,
 *	"milterkit-unsubscribe-v1\\n" RCPT "\\n" DOMAIN), in lower-case
 *	base32 without padding (32 characters): local parts may be case-folded
 *	on the way back, and "unsubscribe+" plus the token still fits the 64
 *	octets of a local part. RCPT and DOMAIN are normalized first
 *	(mk_addr: domain lower-cased and in ASCII form, local part folded), so
 *	that the ingestion computes the same message from what it sees.
 *	The token does not carry the recipient: the ingestion takes it from
 *	the unsubscribe request (the https URL's %r, or the sender of the
 *	mail to the mailto: address) and checks it with hdr_unsub_verify().
 *
 *	hdr_unsub_key_load() reads the key from a file (not from
 *	milterkit.conf, which every daemon reads and `milterkit config` dumps):
 *	HDR_UNSUB_KEY_MIN to HDR_UNSUB_KEY_MAX octets after trailing blanks and
 *	newlines are dropped; a file others may read is refused. Returns 0
 *	with a malloc'd key, or -1 with a message in err.
 *	hdr_unsub_token() returns 0, or -1 when rcpt or domain does not parse.
 *	hdr_unsub_verify() returns 1 when token (either case) is the token of
 *	rcpt and domain, else 0; it compares in constant time.
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

#include "headers_priv.h"
#include "mk_addr.h"
#include "mk_mem.h"

#define UNSUB_TAG "milterkit-unsubscribe-v1\n"
#define UNSUB_BYTES 20

int
hdr_unsub_key_load(const char *path, unsigned char **key, size_t *len,
    char *err, size_t errlen)
{
	unsigned char buf[HDR_UNSUB_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	*key = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "unsubscribe_secret_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IROTH) != 0) {
		snprintf(err, errlen, "unsubscribe_secret_file %s: not a regular "
		    "file, or readable by others", path);
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got,
	    sizeof(buf) - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "unsubscribe_secret_file %s: %s",
			    path, strerror(errno));
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r' ||
	    buf[got - 1] == ' ' || buf[got - 1] == '\t'))
		got--;
	if (got < HDR_UNSUB_KEY_MIN || got > HDR_UNSUB_KEY_MAX) {
		snprintf(err, errlen, "unsubscribe_secret_file %s: the secret "
		    "must be %d to %d octets", path, HDR_UNSUB_KEY_MIN,
		    HDR_UNSUB_KEY_MAX);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	*key = mk_malloc(got);
	memcpy(*key, buf, got);
	*len = got;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static void
base32(const unsigned char *in, size_t n, char *out)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*out++ = alpha[(acc << (5 - bits)) & 31];
	*out = '\0';
}

int
hdr_unsub_token(const unsigned char *key, size_t keylen, const char *rcpt,
    const char *domain, char out[HDR_UNSUB_TOKEN_LEN + 1])
{
	struct mk_addr a;
	char dom[MK_ADDR_DOMAIN_MAX + 1], msg[sizeof(UNSUB_TAG) +
	    sizeof(a.norm) + sizeof(dom) + 2];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int n;

	out[0] = '\0';
	if (key == NULL || keylen == 0 || rcpt == NULL || domain == NULL ||
	    mk_addr_parse(rcpt, strlen(rcpt), NULL, &a) != 0 ||
	    mk_addr_domain(domain, strlen(domain), dom, sizeof(dom)) != 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "%s%s\n%s", UNSUB_TAG, a.norm, dom);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    (size_t)n, md, &mdlen) == NULL || mdlen < UNSUB_BYTES)
		return -1;
	base32(md, UNSUB_BYTES, out);
	return 0;
}

int
hdr_unsub_verify(const unsigned char *key, size_t keylen, const char *token,
    const char *rcpt, const char *domain)
{
	char want[HDR_UNSUB_TOKEN_LEN + 1], got[HDR_UNSUB_TOKEN_LEN + 1];
	size_t i;

	if (token == NULL || strlen(token) != HDR_UNSUB_TOKEN_LEN ||
	    hdr_unsub_token(key, keylen, rcpt, domain, want) != 0)
		return 0;
	for (i = 0; i < HDR_UNSUB_TOKEN_LEN; i++)
		got[i] = (token[i] >= 'A' && token[i] <= 'Z') ?
		    (char)(token[i] - 'A' + 'a') : token[i];
	got[i] = '\0';
	return CRYPTO_memcmp(want, got, HDR_UNSUB_TOKEN_LEN) == 0;
}
