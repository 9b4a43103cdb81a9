/*
 * NAME
 *	odkim_sign - sign a message with libopendkim, for comparing b=
 *	values with milterkit's signer (test program, not installed)
 * SYNOPSIS
 *	odkim_sign -k KEY.pem -d DOMAIN -s SELECTOR [-c HCANON/BCANON]
 *		[-t UNIXTIME] [-H name:name:...] [-h HLIST] [-m MARGIN] [-v]
 *		MESSAGE
 * DESCRIPTION
 *	Signs MESSAGE with rsa-sha256 (dkim_sign(), the PEM key as is), the
 *	timestamp fixed (DKIM_OPTS_FIXEDTIME), the header fields named by -H
 *	signed (DKIM_OPTS_SIGNHDRS) and From oversigned
 *	(DKIM_OPTS_OVERSIGNHDRS). Prints the b= value on one line; with -v
 *	the whole DKIM-Signature value on the following lines.
 *
 *	libopendkim writes h= in the order the fields come in the message,
 *	then the oversigned names. To compare with a signer that lists h=
 *	in another order, -h HLIST (that signer's h=) feeds libopendkim only
 *	the fields HLIST selects, placed in HLIST's order (occurrences of a
 *	name keep their relative order, so each entry still selects the
 *	same field, bottom up). The bytes hashed are those HLIST selects:
 *	only their order in the header block changes, which DKIM does not
 *	sign. Entries past the fields present (the oversigned From) must
 *	come last in HLIST, where libopendkim writes them.
 *
 *	-m sets libopendkim's folding margin (dkim_set_margin()).
 * DIAGNOSTICS
 *	Exit 0, 1 when libopendkim fails (its error on stderr), 2 on usage.
 * SEE ALSO
 *	tests/dkim/test_dkim_verify.sh, odkim_verify.c
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <dkim.h>

#define MSG_MAX		(16 * 1024 * 1024)
#define FIELDS_MAX	1024
#define NAMES_MAX	64

struct field {
	const unsigned char *p;		/* "Name: value" with its folds */
	size_t len, namelen;
	int used;
};

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	unsigned char *buf;
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
	*len = n;
	return buf;
}

/* Length of the line ending at p (CRLF or LF), 0 at the end. */
static size_t
eol_len(const unsigned char *p, const unsigned char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

/*
 * Splits the header block into fields (without the line end after the
 * last line of each); returns the field count, sets *body to the first
 * octet of the body, or -1 when there are too many fields.
 */
static int
split_fields(const unsigned char *m, size_t len, struct field *f, int max,
    const unsigned char **body)
{
	const unsigned char *p = m, *end = m + len, *q;
	int n = 0;
	size_t e;

	while (p < end) {
		if ((e = eol_len(p, end)) > 0) {	/* the empty line */
			p += e;
			break;
		}
		if (n == max)
			return -1;
		f[n].p = p;
		f[n].used = 0;
		for (q = p; q < end && *q != ':' && *q != '\r' &&
		    *q != '\n'; q++)
			;
		f[n].namelen = q - p;
		while (f[n].namelen > 0 && (p[f[n].namelen - 1] == ' ' ||
		    p[f[n].namelen - 1] == '\t'))
			f[n].namelen--;
		/* to the end of the field: lines continued by a blank */
		for (;;) {
			while (q < end && eol_len(q, end) == 0)
				q++;
			e = eol_len(q, end);
			if (q + e < end && (q[e] == ' ' || q[e] == '\t')) {
				q += e;
				continue;
			}
			break;
		}
		f[n].len = q - p;
		p = q + eol_len(q, end);
		n++;
	}
	*body = p;
	return n;
}

static int
name_is(const struct field *f, const char *name)
{
	return f->namelen == strlen(name) &&
	    strncasecmp((const char *)f->p, name, f->namelen) == 0;
}

/* Splits "a:b:c" (copied into buf) into at most max names. */
static int
split_names(char *buf, const char **names, int max)
{
	int n = 0;
	char *s, *save = NULL;

	for (s = strtok_r(buf, ":", &save); s != NULL;
	    s = strtok_r(NULL, ":", &save)) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			continue;
		if (n == max)
			return -1;
		names[n++] = s;
	}
	names[n] = NULL;
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: odkim_sign -k KEY.pem -d DOMAIN -s SELECTOR "
	    "[-c HCANON/BCANON] [-t UNIXTIME] [-H names] [-h HLIST] "
	    "[-m MARGIN] [-v] MESSAGE\n");
	exit(2);
}

static dkim_canon_t
canon_of(const char *s, size_t n)
{
	if (n == 6 && strncmp(s, "simple", 6) == 0)
		return DKIM_CANON_SIMPLE;
	if (n == 7 && strncmp(s, "relaxed", 7) == 0)
		return DKIM_CANON_RELAXED;
	usage();
	return DKIM_CANON_SIMPLE;
}

/* Feeds the header fields: all of them, or those hlist selects. */
static DKIM_STAT
feed_headers(DKIM *dkim, struct field *f, int nf, const char **hlist)
{
	DKIM_STAT st;
	int i, j;

	if (hlist == NULL) {
		for (i = 0; i < nf; i++)
			if ((st = dkim_header(dkim, (unsigned char *)f[i].p,
			    f[i].len)) != DKIM_STAT_OK)
				return st;
		return DKIM_STAT_OK;
	}
	for (i = 0; hlist[i] != NULL; i++) {
		/* the topmost unused occurrence of that name */
		for (j = 0; j < nf; j++)
			if (!f[j].used && name_is(&f[j], hlist[i]))
				break;
		if (j == nf)
			continue;	/* oversigned: nothing to hash */
		f[j].used = 1;
		if ((st = dkim_header(dkim, (unsigned char *)f[j].p,
		    f[j].len)) != DKIM_STAT_OK)
			return st;
	}
	return DKIM_STAT_OK;
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *domain = NULL, *selector = NULL;
	const char *canon = "relaxed/relaxed", *slash;
	char hbuf[4096], lbuf[4096];
	const char *names[NAMES_MAX + 1], *hlist[NAMES_MAX + 1];
	const char *over[] = { "From", NULL };
	const char **hl = NULL;
	/* libopendkim wants the size of one pointer for the lists */
	uint64_t fixed = 1700000000;
	int margin = -1, verbose = 0, c, nf;
	unsigned char *key, *msg, *sighdr;
	const unsigned char *body;
	size_t keylen, len, siglen;
	static struct field f[FIELDS_MAX];
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT st;
	dkim_canon_t hc, bc;

	snprintf(hbuf, sizeof hbuf, "From:To:Cc:Subject:Date:Message-ID:"
	    "Reply-To:In-Reply-To:References:MIME-Version:Content-Type:"
	    "Content-Transfer-Encoding:List-Id:List-Unsubscribe:"
	    "List-Unsubscribe-Post:Feedback-ID");
	while ((c = getopt(argc, argv, "k:d:s:c:t:H:h:m:v")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'd': domain = optarg; break;
		case 's': selector = optarg; break;
		case 'c': canon = optarg; break;
		case 't': fixed = strtoull(optarg, NULL, 10); break;
		case 'H':
			if (snprintf(hbuf, sizeof hbuf, "%s", optarg) >=
			    (int)sizeof hbuf)
				usage();
			break;
		case 'h':
			if (snprintf(lbuf, sizeof lbuf, "%s", optarg) >=
			    (int)sizeof lbuf ||
			    split_names(lbuf, hlist, NAMES_MAX) < 0)
				usage();
			hl = hlist;
			break;
		case 'm': margin = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !keyfile || !domain || !selector)
		usage();
	if ((slash = strchr(canon, '/')) == NULL)
		usage();
	hc = canon_of(canon, slash - canon);
	bc = canon_of(slash + 1, strlen(slash + 1));
	if (split_names(hbuf, names, NAMES_MAX) < 0)
		usage();
	if ((key = slurp(keyfile, &keylen)) == NULL ||
	    (msg = slurp(argv[optind], &len)) == NULL) {
		fprintf(stderr, "odkim_sign: cannot read the key or message\n");
		return 2;
	}
	key[keylen] = '\0';
	if ((nf = split_fields(msg, len, f, FIELDS_MAX, &body)) < 0) {
		fprintf(stderr, "odkim_sign: too many header fields\n");
		return 2;
	}

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		return 1;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed,
	    sizeof fixed) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, names,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, over,
	    sizeof(char **)) != DKIM_STAT_OK) {
		fprintf(stderr, "odkim_sign: dkim_options failed\n");
		return 1;
	}
	dkim = dkim_sign(lib, (const unsigned char *)"odkim_sign", NULL,
	    (dkim_sigkey_t)key, (const unsigned char *)selector,
	    (const unsigned char *)domain, hc, bc, DKIM_SIGN_RSASHA256, -1,
	    &st);
	if (dkim == NULL) {
		fprintf(stderr, "odkim_sign: dkim_sign: %s\n",
		    dkim_getresultstr(st));
		return 1;
	}
	if (margin >= 0)
		(void)dkim_set_margin(dkim, margin);
	st = feed_headers(dkim, f, nf, hl);
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(dkim);
	if (st == DKIM_STAT_OK && body < msg + len)
		st = dkim_body(dkim, (unsigned char *)body, msg + len - body);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(dkim, strlen(DKIM_SIGNHEADER) + 2,
		    &sighdr, &siglen);
	if (st != DKIM_STAT_OK) {
		const char *e = dkim_geterror(dkim);

		fprintf(stderr, "odkim_sign: %s: %s\n", dkim_getresultstr(st),
		    e ? e : "");
		return 1;
	}
	{
		/* b= is the last tag: print it without its folds */
		const unsigned char *b = NULL, *p;

		for (p = sighdr; p + 1 < sighdr + siglen; p++)
			if (p[0] == 'b' && p[1] == '=' && (p == sighdr ||
			    p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';'))
				b = p + 2;
		for (p = b; p != NULL && p < sighdr + siglen && *p != ';';
		    p++)
			if (!isspace(*p))
				putchar(*p);
		putchar('\n');
	}
	if (verbose)
		printf("%.*s\n", (int)siglen, (const char *)sighdr);
	dkim_free(dkim);
	dkim_close(lib);
	free(key);
	free(msg);
	return 0;
}
