/*
 * NAME
 *	mktoken - make and read the feedback loop's tokens, for tests
 * SYNOPSIS
 *	mktoken unsub KEYFILE RCPT DOMAIN
 *	mktoken rp KEYFILE SENDER [RCPT|-] [DAYS] [NOW]
 *	mktoken rp-parse KEYFILE LOCALPART [NOW]
 * DESCRIPTION
 *	Calls common/token.c (mk_token.h) directly, so that shell tests can
 *	build the addresses and URLs the filters would have written and
 *	check the ones they did write. unsub prints the List-Unsubscribe
 *	token; rp prints a return-path local part; rp-parse prints
 *	"sender=S rcpt=R expires=E" (R "-" when none) and exits 0, or prints
 *	the error and exits 1. NOW defaults to the current time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mk_token.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mktoken unsub KEYFILE RCPT DOMAIN\n"
	    "       mktoken rp KEYFILE SENDER [RCPT|-] [DAYS] [NOW]\n"
	    "       mktoken rp-parse KEYFILE LOCALPART [NOW]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned char *key;
	size_t keylen;
	char err[512], out[MK_TOKEN_RP_MAX + 1];
	struct mk_rp_token t;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (argc < 4)
		usage();
	if (mk_token_key_load(argv[2], "key", &key, &keylen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mktoken: %s\n", err);
		return 2;
	}
	if (strcmp(argv[1], "unsub") == 0 && argc == 5) {
		rc = mk_token_unsub(key, keylen, argv[3], argv[4], out);
		if (rc == 0)
			printf("%s\n", out);
	} else if (strcmp(argv[1], "rp") == 0 && argc >= 4 && argc <= 7) {
		const char *rcpt = argc > 4 && strcmp(argv[4], "-") != 0 ?
		    argv[4] : NULL;

		if (argc > 6)
			now = strtoll(argv[6], NULL, 10);
		rc = mk_token_rp_make(key, keylen, argv[3], rcpt, now,
		    argc > 5 ? atoi(argv[5]) : 14, out, sizeof(out));
		if (rc == 0)
			printf("%s\n", out);
		else
			fprintf(stderr, "mktoken: %s\n", mk_token_strerror(rc));
	} else if (strcmp(argv[1], "rp-parse") == 0 && argc >= 4 && argc <= 5) {
		if (argc > 4)
			now = strtoll(argv[4], NULL, 10);
		rc = mk_token_rp_parse(key, keylen, argv[3], strlen(argv[3]),
		    now, &t);
		if (rc == 0)
			printf("sender=%s rcpt=%s expires=%lld\n", t.sender,
			    t.rcpt[0] != '\0' ? t.rcpt : "-",
			    (long long)t.expires);
		else
			printf("%s\n", mk_token_strerror(rc));
	} else {
		usage();
	}
	mk_token_key_free(key, keylen);
	return rc == 0 ? 0 : 1;
}
