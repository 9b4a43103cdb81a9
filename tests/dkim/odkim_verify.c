/*
 * NAME
 *	odkim_verify - verify a message's DKIM signatures with libopendkim
 *	(test program, not installed)
 * SYNOPSIS
 *	odkim_verify KEYFILE MESSAGE
 * DESCRIPTION
 *	Feeds MESSAGE (headers and body as on the wire) to libopendkim's
 *	verifier with the key query method DKIM_QUERY_FILE: KEYFILE holds
 *	lines "SELECTOR._domainkey.DOMAIN TXT-RECORD", so no DNS is asked.
 *	Prints one line per signature, in the message's order:
 *	"pass d=DOMAIN s=SELECTOR" or "fail d=DOMAIN s=SELECTOR REASON".
 * DIAGNOSTICS
 *	Exit 0 when there is at least one signature and every one passes,
 *	1 when one fails or there is none, 2 on a usage or library error.
 * SEE ALSO
 *	tests/dkim/test_dkim_verify.sh, odkim_sign.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>

#define MSG_MAX	(16 * 1024 * 1024)

/* Reads a whole file (at most MSG_MAX octets) into memory. */
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

int
main(int argc, char **argv)
{
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT st;
	DKIM_SIGINFO **sigs;
	dkim_query_t qtype = DKIM_QUERY_FILE;
	unsigned char *msg;
	size_t len;
	int nsigs, i, bad = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: odkim_verify KEYFILE MESSAGE\n");
		return 2;
	}
	if ((msg = slurp(argv[2], &len)) == NULL) {
		fprintf(stderr, "odkim_verify: cannot read %s\n", argv[2]);
		return 2;
	}
	if ((lib = dkim_init(NULL, NULL)) == NULL) {
		fprintf(stderr, "odkim_verify: dkim_init failed\n");
		return 2;
	}
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qtype,
	    sizeof qtype) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, argv[1],
	    strlen(argv[1])) != DKIM_STAT_OK) {
		fprintf(stderr, "odkim_verify: dkim_options failed\n");
		return 2;
	}
	dkim = dkim_verify(lib, (const unsigned char *)"odkim_verify", NULL,
	    &st);
	if (dkim == NULL) {
		fprintf(stderr, "odkim_verify: dkim_verify: %s\n",
		    dkim_getresultstr(st));
		return 2;
	}
	st = dkim_chunk(dkim, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	if (st == DKIM_STAT_OK || st == DKIM_STAT_NOSIG)
		st = dkim_eom(dkim, NULL);
	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK ||
	    nsigs == 0) {
		printf("fail no signature (%s)\n", dkim_getresultstr(st));
		return 1;
	}
	for (i = 0; i < nsigs; i++) {
		unsigned int flags = dkim_sig_getflags(sigs[i]);
		int bh = dkim_sig_getbh(sigs[i]);
		const char *d = (const char *)dkim_sig_getdomain(sigs[i]);
		const char *s = (const char *)dkim_sig_getselector(sigs[i]);
		const char *why;

		if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
		    bh == DKIM_SIGBH_MATCH) {
			printf("pass d=%s s=%s\n", d ? d : "?", s ? s : "?");
			continue;
		}
		bad = 1;
		if (bh == DKIM_SIGBH_MISMATCH)
			why = "body hash mismatch";
		else if ((why = dkim_sig_geterrorstr(
		    dkim_sig_geterror(sigs[i]))) == NULL)
			why = dkim_getresultstr(st);
		printf("fail d=%s s=%s %s\n", d ? d : "?", s ? s : "?",
		    why ? why : "unknown");
	}
	dkim_free(dkim);
	dkim_close(lib);
	free(msg);
	return bad;
}
