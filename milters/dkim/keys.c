/*
 * NAME
 *	keys.c - DKIM private keys: PEM read once into an EVP_PKEY, with the
 *	checks a signing key file must pass (see dkim.h)
 * SYNOPSIS
 *	int	dkim_key_load(const char *path, int check_owner,
 *			struct dkim_key **out, char *err, size_t errlen);
 *	int	dkim_key_parse(const void *pem, size_t len,
 *			struct dkim_key **out, char *err, size_t errlen);
 *	void	dkim_key_free(struct dkim_key *k);
 * DESCRIPTION
 *	dkim_key_parse() reads one PEM private key from memory: RSA of 2048
 *	to 4096 bits ("BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY") or
 *	Ed25519 ("BEGIN PRIVATE KEY"). Encrypted keys are refused (no
 *	passphrase is ever asked for), as is every other key type.
 *
 *	dkim_key_load() opens path with O_NOFOLLOW (a symbolic link is
 *	refused), then checks the open file: a regular file of at most
 *	DKIM_KEY_FILE_MAX octets, no permission bit for group or others, and
 *	with check_owner owned by the effective user. Then it parses the
 *	content as dkim_key_parse() does. The copy of the file read is wiped
 *	before it is freed.
 *
 *	The key returned in *out belongs to the caller, released with
 *	dkim_key_free() (NULL is a no-op). A parsed key is read-only: threads
 *	may sign with it at once.
 * DIAGNOSTICS
 *	0, or -1 with one line in err naming the file (or "PEM key" for
 *	dkim_key_parse()) and the reason, with the fix where there is one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"
#include "mk_log.h"
#include "mk_mem.h"

#define DKIM_KEY_FILE_MAX	(64 * 1024)	/* an RSA-4096 PEM is ~3.3 KiB */
#define DKIM_RSA_MIN_BITS	2048
#define DKIM_RSA_MAX_BITS	4096

static void MK_PRINTF(3, 4)
key_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Never prompt for a passphrase: an encrypted key fails to parse. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* OpenSSL's reason for the last failure, its error queue emptied (it is
 * per thread and would otherwise be blamed on a later call). */
static const char *
ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r != NULL ? r : "no PEM private key found");
	ERR_clear_error();
	return buf;
}

/* Parse and check one PEM private key; name says where it came from. */
static int
key_parse(const char *name, const void *pem, size_t len,
    struct dkim_key **out, char *err, size_t errlen)
{
	struct dkim_key *k;
	EVP_PKEY *pkey;
	BIO *bio;
	char why[128];
	int bits;

	*out = NULL;
	if (len == 0) {
		key_error(err, errlen, "%s is empty: no PEM private key",
		    name);
		return -1;
	}
	if (len > DKIM_KEY_FILE_MAX) {
		key_error(err, errlen, "%s: %zu octets: not a PEM private key"
		    " (at most %d)", name, len, DKIM_KEY_FILE_MAX);
		return -1;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		key_error(err, errlen, "%s: %s", name,
		    ssl_reason(why, sizeof(why)));
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		key_error(err, errlen, "%s: not a readable PEM private key"
		    " (unencrypted RSA or Ed25519): %s", name,
		    ssl_reason(why, sizeof(why)));
		return -1;
	}
	k = mk_calloc(1, sizeof(*k));
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIM_RSA_MIN_BITS) {
			key_error(err, errlen, "%s: RSA key of %d bits: at least"
			    " %d", name, bits, DKIM_RSA_MIN_BITS);
			goto bad;
		}
		if (bits > DKIM_RSA_MAX_BITS) {
			key_error(err, errlen, "%s: RSA key of %d bits: at most"
			    " %d", name, bits, DKIM_RSA_MAX_BITS);
			goto bad;
		}
		k->alg = DKIM_RSA_SHA256;
		k->bits = bits;
		break;
	case EVP_PKEY_ED25519:
		k->alg = DKIM_ED25519_SHA256;
		k->bits = 256;
		break;
	default:
		key_error(err, errlen, "%s: %s key: DKIM signs with RSA or"
		    " Ed25519 keys only", name, EVP_PKEY_get0_type_name(pkey) ?
		    EVP_PKEY_get0_type_name(pkey) : "unknown");
		goto bad;
	}
	k->pkey = pkey;
	*out = k;
	return 0;
bad:
	EVP_PKEY_free(pkey);
	free(k);
	return -1;
}

int
dkim_key_parse(const void *pem, size_t len, struct dkim_key **out,
    char *err, size_t errlen)
{
	return key_parse("PEM key", pem, len, out, err, errlen);
}

/* The checks on the open key file: what it is, who may read it. */
static int
key_file_check(const char *path, int fd, int check_owner, char *err,
    size_t errlen)
{
	struct stat sb;
	unsigned mode;

	if (fstat(fd, &sb) < 0) {
		key_error(err, errlen, "key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		key_error(err, errlen, "key file %s is not a regular file",
		    path);
		return -1;
	}
	mode = (unsigned)sb.st_mode & 07777;
	if ((mode & 077) != 0) {
		key_error(err, errlen, "key file %s is %s by group or others"
		    " (mode %04o): chmod 600 %s", path, (mode & 044) != 0 ?
		    "readable" : "writable or executable", mode, path);
		return -1;
	}
	if (check_owner && sb.st_uid != geteuid()) {
		key_error(err, errlen, "key file %s is owned by uid %lu, not"
		    " by the signer's uid %lu: chown %lu %s", path,
		    (unsigned long)sb.st_uid, (unsigned long)geteuid(),
		    (unsigned long)geteuid(), path);
		return -1;
	}
	if (sb.st_size > DKIM_KEY_FILE_MAX) {
		key_error(err, errlen, "key file %s is %lld octets: not a"
		    " PEM private key (at most %d)", path,
		    (long long)sb.st_size, DKIM_KEY_FILE_MAX);
		return -1;
	}
	return 0;
}

/* Read the whole file, at most DKIM_KEY_FILE_MAX octets (it may have
 * grown since fstat). */
static int
key_file_read(const char *path, int fd, unsigned char *buf, size_t *len,
    char *err, size_t errlen)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, buf + n, DKIM_KEY_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			key_error(err, errlen, "key file %s: %s", path,
			    strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > DKIM_KEY_FILE_MAX) {
			key_error(err, errlen, "key file %s is over %d octets:"
			    " not a PEM private key", path,
			    DKIM_KEY_FILE_MAX);
			return -1;
		}
	}
	*len = n;
	return 0;
}

int
dkim_key_load(const char *path, int check_owner, struct dkim_key **out,
    char *err, size_t errlen)
{
	unsigned char *buf;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put there fails the regular file check at once
	 * instead of holding the start up; it does nothing to a file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			key_error(err, errlen, "key file %s is a symbolic link:"
			    " name the file itself", path);
		else
			key_error(err, errlen, "key file %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (key_file_check(path, fd, check_owner, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	buf = mk_malloc(DKIM_KEY_FILE_MAX + 1);
	rc = key_file_read(path, fd, buf, &len, err, errlen);
	close(fd);
	if (rc == 0) {
		char name[512];

		snprintf(name, sizeof(name), "key file %s", path);
		rc = key_parse(name, buf, len, out, err, errlen);
	}
	OPENSSL_cleanse(buf, DKIM_KEY_FILE_MAX + 1);
	free(buf);
	return rc;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}
