/*
 * NAME
 *	dkimsign - sign a message file with milterkit's DKIM signing logic
 *	(test driver, not installed)
 * SYNOPSIS
 *	dkimsign -k KEY.pem -d DOMAIN -s SELECTOR [-k KEY2.pem -s SELECTOR2]
 *		[-c HCANON/BCANON] [-t UNIXTIME] [-H name:name:...] MESSAGE
 * DESCRIPTION
 *	Reads MESSAGE (CRLF or LF lines), splits its header block into
 *	fields as a milter gets them (the name; the value as written after
 *	the colon, leading blank kept, folds "\n" + blank), hashes the body
 *	with dkim_body_*(), loads each key with dkim_key_parse(), signs with
 *	dkim_sign_fields() (milters/dkim/dkim.h) and writes the message to stdout
 *	with one "DKIM-Signature:" field per key prepended, in the order the
 *	keys are given, folds written as CRLF + blank. Each -k pairs with
 *	the -s given after it (a -k without its own -s reuses the last).
 *	-t fixes t= (default 1700000000); -H names the fields to sign
 *	(default: DKIM_DEFAULT_HEADERS); -c defaults to relaxed/relaxed.
 * DIAGNOSTICS
 *	Exit 0, 1 on a key or signing error (on stderr), 2 on usage or a
 *	message it cannot read.
 * SEE ALSO
 *	tests/dkim/test_dkim_verify.sh, milters/dkim/dkim.h
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"
#include "mk_hblock.h"
#include "mk_strbuf.h"

#define MSG_MAX		(16 * 1024 * 1024)
#define FIELDS_MAX	1024
#define KEYS_MAX	4
#define NAMES_MAX	DKIM_HEADERS_MAX

struct signer {
	const char *keyfile;
	const char *selector;
};

static void
usage(void)
{
	fprintf(stderr, "usage: dkimsign -k KEY.pem -d DOMAIN -s SELECTOR "
	    "[-k KEY2.pem -s SELECTOR2] [-c HCANON/BCANON] [-t UNIXTIME] "
	    "[-H name:name:...] MESSAGE\n");
	exit(2);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(MSG_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, MSG_MAX + 1, f);
	fclose(f);
	if (n > MSG_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
canon_of(const char *s, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncmp(s, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (n == 7 && strncmp(s, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* Length of the line end at p (CRLF or LF), 0 if none. */
static size_t
eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

/*
 * Splits the header block into milter-style fields: names and values are
 * new strings (values with their folds as "\n" + blank). Returns the
 * count, sets *body past the empty line; -1 past max fields or on a line
 * that is no field.
 */
static int
split_fields(const char *m, size_t len, struct mk_hfield *h, int max,
    const char **body)
{
	const char *p = m, *end = m + len, *q, *colon;
	int n = 0;
	size_t e;

	while (p < end) {
		struct mk_strbuf v = { 0 };

		if ((e = eol_len(p, end)) > 0) {
			p += e;
			break;
		}
		if (n == max)
			return -1;
		for (colon = p; colon < end && *colon != ':' &&
		    eol_len(colon, end) == 0; colon++)
			;
		if (colon == end || *colon != ':')
			return -1;
		h[n].name = strndup(p, (size_t)(colon - p));
		q = colon + 1;
		for (;;) {
			const char *s = q;

			while (q < end && eol_len(q, end) == 0)
				q++;
			mk_strbuf_add(&v, s, (size_t)(q - s));
			e = eol_len(q, end);
			if (q + e < end && (q[e] == ' ' || q[e] == '\t')) {
				mk_strbuf_ch(&v, '\n');
				q += e;
				continue;
			}
			break;
		}
		h[n].value = mk_strbuf_take(&v);
		p = q + eol_len(q, end);
		n++;
	}
	*body = p;
	return n;
}

/* Splits "a:b:c" in place into at most max names, NULL-ended. */
static int
split_names(char *s, const char **names, int max)
{
	int n = 0;
	char *t, *save = NULL;

	for (t = strtok_r(s, ":", &save); t != NULL;
	    t = strtok_r(NULL, ":", &save)) {
		if (n == max)
			return -1;
		names[n++] = t;
	}
	names[n] = NULL;
	return n;
}

/* Writes "DKIM-Signature:" + value with every "\n" fold as CRLF. */
static void
put_signature(const char *v)
{
	char prev = '\0';

	fputs("DKIM-Signature:", stdout);
	for (; *v != '\0'; prev = *v++) {
		if (*v == '\n' && prev != '\r')
			putchar('\r');
		putchar(*v);
	}
	fputs("\r\n", stdout);
}

int
main(int argc, char **argv)
{
	struct signer sg[KEYS_MAX];
	const char *names[NAMES_MAX + 1], *domain = NULL, *body;
	const char *canon = "relaxed/relaxed", *slash;
	char *hlist = NULL, *msg, *value[KEYS_MAX];
	static struct mk_hfield h[FIELDS_MAX];
	enum dkim_canon hc, bc;
	time_t t = 1700000000;
	size_t len;
	int ns = 0, nh, c, i, rc = 0;

	memset(sg, 0, sizeof sg);
	while ((c = getopt(argc, argv, "k:d:s:c:t:H:")) != -1) {
		switch (c) {
		case 'k':
			if (ns == KEYS_MAX)
				usage();
			sg[ns].keyfile = optarg;
			sg[ns].selector = ns > 0 ? sg[ns - 1].selector : NULL;
			ns++;
			break;
		case 's':
			if (ns == 0)
				usage();
			sg[ns - 1].selector = optarg;
			break;
		case 'd': domain = optarg; break;
		case 'c': canon = optarg; break;
		case 't': t = (time_t)strtoll(optarg, NULL, 10); break;
		case 'H': hlist = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || ns == 0 || domain == NULL)
		usage();
	for (i = 0; i < ns; i++)
		if (sg[i].selector == NULL)
			usage();
	if ((slash = strchr(canon, '/')) == NULL ||
	    canon_of(canon, (size_t)(slash - canon), &hc) < 0 ||
	    canon_of(slash + 1, strlen(slash + 1), &bc) < 0)
		usage();
	if (hlist != NULL && split_names(hlist, names, NAMES_MAX) < 0)
		usage();
	if ((msg = slurp(argv[optind], &len)) == NULL) {
		fprintf(stderr, "dkimsign: cannot read %s\n", argv[optind]);
		return 2;
	}
	if ((nh = split_fields(msg, len, h, FIELDS_MAX, &body)) < 0) {
		fprintf(stderr, "dkimsign: %s: bad header block\n",
		    argv[optind]);
		return 2;
	}

	for (i = 0; i < ns && rc == 0; i++) {
		unsigned char bh[DKIM_HASH_LEN];
		struct dkim_body *b;
		struct dkim_key *key = NULL;
		struct dkim_sign_req req;
		struct mk_strbuf v = { 0 };
		char err[256], *pem;
		size_t pemlen;
		const char *p;

		if ((pem = slurp(sg[i].keyfile, &pemlen)) == NULL ||
		    dkim_key_parse(pem, pemlen, &key, err, sizeof err) != 0) {
			fprintf(stderr, "dkimsign: %s: %s\n", sg[i].keyfile,
			    pem == NULL ? "cannot read" : err);
			free(pem);
			return 1;
		}
		free(pem);
		/* the body in uneven chunks, as an MTA may cut it */
		b = dkim_body_new(bc);
		for (p = body; p < msg + len;) {
			size_t n = (size_t)(msg + len - p);

			if (n > 4093)
				n = 4093;
			dkim_body_update(b, p, n);
			p += n;
		}
		dkim_body_final(b, bh);
		dkim_body_free(b);

		memset(&req, 0, sizeof req);
		req.key = key;
		req.domain = domain;
		req.selector = sg[i].selector;
		req.hcanon = hc;
		req.bcanon = bc;
		req.t = t;
		req.headers = hlist != NULL ? names : NULL;
		if (dkim_sign_fields(&req, h, (size_t)nh, bh, &v, err,
		    sizeof err) != 0) {
			fprintf(stderr, "dkimsign: %s\n", err);
			rc = 1;
		} else {
			value[i] = mk_strbuf_take(&v);
		}
		dkim_key_free(key);
	}
	if (rc != 0)
		return rc;
	for (i = 0; i < ns; i++) {
		put_signature(value[i]);
		free(value[i]);
	}
	fwrite(msg, 1, len, stdout);
	for (i = 0; i < nh; i++) {
		free((char *)h[i].name);
		free((char *)h[i].value);
	}
	free(msg);
	return fflush(stdout) == 0 ? 0 : 1;
}
