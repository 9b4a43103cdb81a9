/*
 * NAME
 *	fuzz_milter - fuzz target for the milter protocol decoder
 *	(common/milter_conn.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The first input byte chooses how the rest is cut into reads (1 to
 *	256 bytes each) and what the callbacks answer; the rest is what an
 *	MTA (or anything else reaching the socket) sends. The callbacks read
 *	macros, set replies and try header edits at every stage, as the
 *	milters do. abort()s when an invariant breaks:
 *	- the decoder returns only MK_MCONN_OK, _DONE or _ERROR, and feeds
 *	  nothing more after DONE or ERROR;
 *	- header edits succeed during end of message when the MTA offered
 *	  them, and never elsewhere;
 *	- the output is a sequence of whole packets, each of length >= 1,
 *	  the first one (if any) the OPTNEG answer of 13 bytes.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	once over tests/fuzz/corpus/milter (tests/fuzz/run_corpus.sh);
 *	scripts/fuzz.sh runs it under libFuzzer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mk_log.h"
#include "mk_milter_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned mode;
static int in_eom;
static unsigned long offered;	/* actions the last OPTNEG offered */

static void
quiet(enum mk_log_level level, const char *line, void *arg)
{
}

static sfsistat
verdict(struct mk_mconn *mc)
{
	const char *v = mk_mconn_macro(mc, "i");

	if (v != NULL && strlen(v) > 1 << 21)
		abort();
	(void)mk_mconn_macro(mc, "{auth_authen}");
	if ((mode & 3) == 1)
		(void)mk_mconn_setreply(mc, "550", "5.7.1", "no");
	if ((mk_mconn_addheader(mc, "X-F", "v") == 0) !=
	    (in_eom && (offered & SMFIF_ADDHDRS)))
		abort();
	return (sfsistat)((mode >> 2) % 5);	/* CONTINUE .. TEMPFAIL */
}

static int
f_negotiate(struct mk_mconn *mc, unsigned long a, unsigned long s,
    unsigned long *pa, unsigned long *ps)
{
	offered = a;
	*pa = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	*ps = (mode & 0x40) ? 0 : SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR;
	return (mode & 0x80) && a == 0 ? -1 : 0;
}

static sfsistat f_connect(struct mk_mconn *mc, const char *h, const char *a) { return verdict(mc); }
static sfsistat f_helo(struct mk_mconn *mc, const char *h) { return verdict(mc); }
static sfsistat f_env(struct mk_mconn *mc, char **argv) { return argv[0] != NULL ? verdict(mc) : SMFIS_CONTINUE; }
static sfsistat f_header(struct mk_mconn *mc, const char *n, const char *v) { return verdict(mc); }
static sfsistat f_eoh(struct mk_mconn *mc) { return verdict(mc); }
static sfsistat f_body(struct mk_mconn *mc, const unsigned char *c, size_t n) { return verdict(mc); }

static sfsistat
f_eom(struct mk_mconn *mc)
{
	sfsistat rc;

	in_eom = 1;
	rc = verdict(mc);
	if ((mk_mconn_insheader(mc, 1, "X-I", " 1") == 0) !=
	    ((offered & SMFIF_ADDHDRS) != 0) ||
	    (mk_mconn_chgheader(mc, "Subject", 1, NULL) == 0) !=
	    ((offered & SMFIF_CHGHDRS) != 0))
		abort();
	in_eom = 0;
	return rc;
}

static const struct mk_mconn_ops ops = {
	.negotiate = f_negotiate, .connect = f_connect, .helo = f_helo,
	.envfrom = f_env, .envrcpt = f_env, .header = f_header, .eoh = f_eoh,
	.body = f_body, .eom = f_eom,
};

/* The output must be whole packets, the first the OPTNEG answer. */
static void
check_output(struct mk_mconn *mc)
{
	size_t len, i = 0;
	const unsigned char *p = mk_mconn_output(mc, &len);

	while (i < len) {
		uint32_t n;

		if (len - i < 5)
			abort();
		memcpy(&n, p + i, 4);
		n = ntohl(n);
		if (n < 1 || len - i - 4 < n || (i == 0 && p[4] == 'O' && n != 13))
			abort();
		i += 4 + n;
	}
	mk_mconn_sent(mc, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_mconn *mc;
	size_t cut, i;
	int rc = MK_MCONN_OK;

	if (size < 1)
		return 0;
	mk_log_set_sink(quiet, NULL);
	mode = data[0];
	cut = (size_t)(data[0] % 7) * 37 + 1;
	mc = mk_mconn_new(&ops, 1);
	for (i = 1; i < size && rc == MK_MCONN_OK; i += cut) {
		size_t n = size - i < cut ? size - i : cut;

		rc = mk_mconn_feed(mc, data + i, n);
		if (rc != MK_MCONN_OK && rc != MK_MCONN_DONE && rc != MK_MCONN_ERROR)
			abort();
		check_output(mc);
	}
	mk_mconn_free(mc);
	return 0;
}
