/*
 * NAME
 *	dkim.h - DKIM signing without the milter protocol: canonicalization,
 *	keys, the signing table and the signature (RFC 6376, RFC 8463)
 * SYNOPSIS
 *	#include "dkim.h"
 *
 *	void	dkim_canon_header(enum dkim_canon c, const char *name,
 *			const char *value, struct mk_strbuf *out);
 *	struct dkim_body *dkim_body_new(enum dkim_canon c);
 *	void	dkim_body_update(struct dkim_body *b, const void *p,
 *			size_t n);
 *	void	dkim_body_final(struct dkim_body *b,
 *			unsigned char hash[DKIM_HASH_LEN]);
 *	void	dkim_body_free(struct dkim_body *b);
 *
 *	int	dkim_key_load(const char *path, int check_owner,
 *			struct dkim_key **out, char *err, size_t errlen);
 *	int	dkim_key_parse(const void *pem, size_t len,
 *			struct dkim_key **out, char *err, size_t errlen);
 *	void	dkim_key_free(struct dkim_key *k);
 *
 *	int	dkim_table_parse(const char *name, const char *text,
 *			struct dkim_table **out, char *err, size_t errlen);
 *	int	dkim_table_load(const char *path, struct dkim_table **out,
 *			char *err, size_t errlen);
 *	size_t	dkim_table_match(const struct dkim_table *t,
 *			const char *domain, time_t now,
 *			const struct dkim_entry **out, size_t max);
 *	void	dkim_table_free(struct dkim_table *t);
 *
 *	size_t	dkim_select_headers(const char *const *names,
 *			const struct mk_hfield *h, size_t nh,
 *			const char **out, size_t max);
 *	int	dkim_sign_fields(const struct dkim_sign_req *req,
 *			const struct mk_hfield *h, size_t nh,
 *			const unsigned char bh[DKIM_HASH_LEN],
 *			struct mk_strbuf *value, char *err, size_t errlen);
 * DESCRIPTION
 *	Header fields come as a milter gets them with SMFIP_HDR_LEADSPC: the
 *	name, and the value as written after the colon (leading blank kept,
 *	folds as "\r\n" or "\n" followed by a blank). mk_hfield is
 *	common/mk_hblock.h's {name, value}.
 *
 *	dkim_canon_header() appends the field canonicalized (RFC 6376 3.4.1
 *	simple: as written, "name:value" with CRLF folds, CRLF at the end;
 *	3.4.2 relaxed: name lower-cased, unfolded, runs of blanks one space,
 *	blanks at the value's ends and around the colon removed, CRLF at the
 *	end). The DKIM-Signature field itself goes through the same function
 *	with its b= empty and WITHOUT the final CRLF (the caller trims it).
 *
 *	dkim_body_*() hash the canonical body with SHA-256 as it streams in
 *	(chunks cut anywhere, lines ended by CRLF or a lone LF: both count as
 *	CRLF; RFC 6376 3.4.3 simple: trailing empty lines removed, an empty
 *	body is one CRLF; 3.4.4 relaxed: blanks at line ends removed, runs
 *	of blanks one space, trailing empty lines removed, an empty body
 *	stays empty). Memory is bounded whatever the input (a run of empty
 *	lines is counted, not kept). No l= (never signed with a length).
 *
 *	dkim_key_load() reads a PEM private key (RSA, "BEGIN PRIVATE KEY" or
 *	"BEGIN RSA PRIVATE KEY"; Ed25519 "BEGIN PRIVATE KEY"), opened with
 *	O_NOFOLLOW, and refuses, naming the file: a link, a file readable or
 *	writable by group or others, with check_owner a file not owned by
 *	the effective user, RSA under 2048 bits (1024 refused) or over 4096,
 *	any other key type. dkim_key_parse() is the same from memory, without
 *	the file checks. The key is parsed once (EVP_PKEY) and used for every
 *	message.
 *
 *	The signing table: lines "DOMAIN-PATTERN SELECTOR KEYFILE
 *	[from=YYYY-MM-DD] [until=YYYY-MM-DD] [d=DOMAIN]", '#' comments, blank
 *	lines.
 *	A pattern is a domain (exact, case-insensitive), "*.example.com"
 *	(any name under example.com, not example.com itself) or "*" (any
 *	domain). Errors name "NAME:LINE". dkim_table_match() gives the
 *	entries that sign a From domain at time now, in file order, at most
 *	max: of the lines whose pattern matches, the most specific pattern
 *	wins (exact, then the longest "*.", then "*"), every line of that
 *	pattern with from <= now < until (a missing from or until is open)
 *	signs (several lines: several signatures); the keys stay NULL until
 *	the caller loads them into entry->key. The signing domain d= of a
 *	line (entry->domain) is its pattern's domain ("example.com" for
 *	"example.com" and for "*.example.com", so that subdomains align with
 *	it in relaxed DMARC alignment), or the line's option "d=DOMAIN",
 *	which the pattern "*" requires (the relay's own domain, for mail
 *	whose From has no key of its own).
 *
 *	dkim_select_headers() lists the header names to put in h=, in the
 *	order libopendkim writes them: the message's fields whose name is
 *	configured (names, NULL ended; NULL names: DKIM_DEFAULT_HEADERS),
 *	top to bottom, each as spelled in the message (pointers into h),
 *	then From once more than it occurs (oversigned: no From can be added
 *	later without breaking the signature; listed when From is
 *	configured, present or not). Absent names are not listed. Returns
 *	the count written to out (at most max, the last place kept for the
 *	oversigned From).
 *
 *	dkim_sign_fields() computes one signature over the header fields h (the
 *	message's, in order) and the body hash bh made with req->bcanon, and
 *	writes the DKIM-Signature VALUE (leading blank), laid out byte for
 *	byte as libopendkim 2.11 does (margin 75, see sign.c) but with folds
 *	"\n\t" as the milter protocol wants, tags in the order v, a, c, d,
 *	s, t, x (if set), bh, h, b. The fields hashed are those h= names,
 *	each entry selecting the next instance of its name from the bottom
 *	(RFC 6376 5.4.2; the oversigned entry hashes nothing). 0, or -1 with
 *	err set (a signing failure of OpenSSL).
 */
#ifndef DKIM_H
#define DKIM_H

#include <stddef.h>
#include <time.h>

#include "mk_hblock.h"
#include "mk_strbuf.h"

#define DKIM_HASH_LEN		32	/* SHA-256 */
#define DKIM_HEADERS_MAX	64	/* entries of h= */
#define DKIM_DEFAULT_HEADERS	"From", "To", "Cc", "Subject", "Date", \
	"Message-ID", "Reply-To", "In-Reply-To", "References", \
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", \
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Feedback-ID"

enum dkim_canon { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };
enum dkim_alg { DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };

struct dkim_body;

struct dkim_key {
	enum dkim_alg alg;
	int bits;			/* RSA modulus bits; 256 for Ed25519 */
	void *pkey;			/* EVP_PKEY * */
};

struct dkim_entry {
	char *pattern;			/* "example.com", "*.example.com", "*" */
	char *selector;
	char *keyfile;
	char *domain;			/* d= */
	time_t from, until;		/* 0: open */
	struct dkim_key *key;		/* the caller's, loaded once */
	unsigned line;
};

struct dkim_table {
	struct dkim_entry *e;
	size_t n;
};

struct dkim_sign_req {
	const struct dkim_key *key;
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	enum dkim_canon hcanon, bcanon;
	time_t t;			/* t= */
	time_t x;			/* x=, 0: none */
	const char *const *headers;	/* names to sign, NULL-ended; NULL:
					 * DKIM_DEFAULT_HEADERS */
};

void dkim_canon_header(enum dkim_canon c, const char *name, const char *value,
    struct mk_strbuf *out);
struct dkim_body *dkim_body_new(enum dkim_canon c);
void dkim_body_update(struct dkim_body *b, const void *p, size_t n);
void dkim_body_final(struct dkim_body *b, unsigned char hash[DKIM_HASH_LEN]);
void dkim_body_free(struct dkim_body *b);

int dkim_key_load(const char *path, int check_owner, struct dkim_key **out,
    char *err, size_t errlen);
int dkim_key_parse(const void *pem, size_t len, struct dkim_key **out,
    char *err, size_t errlen);
void dkim_key_free(struct dkim_key *k);

int dkim_table_parse(const char *name, const char *text,
    struct dkim_table **out, char *err, size_t errlen);
int dkim_table_load(const char *path, struct dkim_table **out, char *err,
    size_t errlen);
size_t dkim_table_match(const struct dkim_table *t, const char *domain,
    time_t now, const struct dkim_entry **out, size_t max);
void dkim_table_free(struct dkim_table *t);

size_t dkim_select_headers(const char *const *names, const struct mk_hfield *h,
    size_t nh, const char **out, size_t max);
int dkim_sign_fields(const struct dkim_sign_req *req, const struct mk_hfield *h,
    size_t nh, const unsigned char bh[DKIM_HASH_LEN], struct mk_strbuf *value,
    char *err, size_t errlen);

#endif
