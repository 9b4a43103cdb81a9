/*
 * NAME
 *	mk_token - the HMAC tokens of the feedback loop: List-Unsubscribe
 *	tokens and return-path addresses
 * SYNOPSIS
 *	#include "mk_token.h"
 *
 *	int	mk_token_key_load(const char *path, const char *what,
 *			unsigned char **key, size_t *len, char *err,
 *			size_t errlen);
 *	void	mk_token_key_free(unsigned char *key, size_t len);
 *
 *	int	mk_token_unsub(const unsigned char *key, size_t keylen,
 *			const char *rcpt, const char *domain,
 *			char out[MK_TOKEN_UNSUB_LEN + 1]);
 *	int	mk_token_unsub_verify(const unsigned char *key, size_t keylen,
 *			const char *token, const char *rcpt,
 *			const char *domain);
 *
 *	int	mk_token_rp_make(const unsigned char *key, size_t keylen,
 *			const char *sender, const char *rcpt, int64_t now,
 *			int days, char *out, size_t outlen);
 *	int	mk_token_rp_parse(const unsigned char *key, size_t keylen,
 *			const char *local, size_t len, int64_t now,
 *			struct mk_rp_token *t);
 *	int	mk_token_rp_is(const char *local, size_t len);
 *	const char *mk_token_strerror(int code);
 * DESCRIPTION
 *	One module for every token the feedback loop signs, so that the
 *	headers filter, the returnpath filter, `milterkit ingest` and
 *	milterkit-unsubd compute the same bytes. Keys live in files, never
 *	in milterkit.conf (which every daemon reads and `milterkit config`
 *	prints).
 *
 *	mk_token_key_load() reads a key: MK_TOKEN_KEY_MIN to MK_TOKEN_KEY_MAX
 *	octets after trailing blanks and newlines are dropped; a file that
 *	is not regular or that others may read is refused. what names the
 *	configuration key in messages ("unsubscribe_secret_file"). Returns 0
 *	with a malloc'd key that mk_token_key_free() wipes and frees, or -1
 *	with a message in err.
 *
 *	List-Unsubscribe token: the first 160 bits of HMAC-SHA256(key,
 *	"milterkit-unsubscribe-v1\n" RCPT "\n" DOMAIN) in lower-case base32
 *	(32 characters). RCPT and DOMAIN are normalized (mk_addr) first. The
 *	token does not carry the recipient: the unsubscribe request does (the
 *	URL's r= parameter, or the sender of the mail to the mailto:
 *	address). mk_token_unsub() returns 0, or -1 when rcpt or domain does
 *	not parse; mk_token_unsub_verify() returns 1 when token (either case)
 *	belongs to rcpt and domain, else 0, comparing in constant time.
 *
 *	Return-path token: the local part of the envelope sender the
 *	returnpath filter writes, SRS-style:
 *
 *		b0=HASH=DAY=SLOCAL=SDOMAIN[=RLOCAL=RDOMAIN]
 *
 *	SENDER (and RCPT when the message had exactly one) split at their
 *	last '@', lower-cased, with every octet outside [a-z0-9.+_-] written
 *	~XX (two lower-case hex digits), so that '=' only separates fields;
 *	DAY is the last day the token is valid, in days since 1970, four
 *	base32 characters; HASH is the first 40 bits of HMAC-SHA256(key,
 *	"milterkit-returnpath-v1\n" DAY "\n" SENDER "\n" RCPT) in base32
 *	(8 characters). Everything is lower case so that an MTA folding the
 *	local part changes nothing. mk_token_rp_make() writes the local part
 *	(NUL-terminated) into out: 0, or MK_TOKEN_ETOOLONG when it does not
 *	fit outlen, MK_TOKEN_EINVAL when an address does not parse. rcpt may
 *	be NULL. mk_token_rp_parse() checks len octets of a local part:
 *	0 with t filled, or MK_TOKEN_EFORMAT (not one of ours, or mangled),
 *	MK_TOKEN_EHASH (the hash does not match: forged, or another key),
 *	MK_TOKEN_EEXPIRED (valid, but its day has passed; t is filled, for
 *	the log line). mk_token_rp_is() tells whether a local part looks like
 *	one (starts "b0=", either case), without checking it.
 */
#ifndef MK_TOKEN_H
#define MK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "mk_addr.h"

#define MK_TOKEN_KEY_MIN 16
#define MK_TOKEN_KEY_MAX 1024
#define MK_TOKEN_UNSUB_LEN 32		/* base32 of 160 bits */
#define MK_TOKEN_RP_MAX 1024		/* longest local part we parse */

enum {
	MK_TOKEN_OK = 0,
	MK_TOKEN_EFORMAT = -1,
	MK_TOKEN_EHASH = -2,
	MK_TOKEN_EEXPIRED = -3,
	MK_TOKEN_ETOOLONG = -4,
	MK_TOKEN_EINVAL = -5
};

struct mk_rp_token {
	char sender[MK_ADDR_MAX + 1];	/* local@domain, lower case */
	char sender_domain[MK_ADDR_DOMAIN_MAX + 1];
	char rcpt[MK_ADDR_MAX + 1];	/* "" when the token has none */
	int64_t expires;		/* unix seconds: end of its DAY */
};

int mk_token_key_load(const char *path, const char *what, unsigned char **key,
    size_t *len, char *err, size_t errlen);
void mk_token_key_free(unsigned char *key, size_t len);

int mk_token_unsub(const unsigned char *key, size_t keylen, const char *rcpt,
    const char *domain, char out[MK_TOKEN_UNSUB_LEN + 1]);
int mk_token_unsub_verify(const unsigned char *key, size_t keylen,
    const char *token, const char *rcpt, const char *domain);

int mk_token_rp_make(const unsigned char *key, size_t keylen,
    const char *sender, const char *rcpt, int64_t now, int days, char *out,
    size_t outlen);
int mk_token_rp_parse(const unsigned char *key, size_t keylen,
    const char *local, size_t len, int64_t now, struct mk_rp_token *t);
int mk_token_rp_is(const char *local, size_t len);
const char *mk_token_strerror(int code);

#endif
