/*
 * NAME
 *	fuzz_dmarc - fuzz target for the DMARC record parser
 *	(dmarc_record_parse(), dmarc_record_pick(): milters/dmarc/record.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input (up to its first NUL) is read as one record, then its
 *	lines as the TXT records of one name. A record that parses must
 *	hold values in their ranges (policies and alignment modes among
 *	theirs, pct 0 to 100, ri not negative, rua, ruf and fo printable and
 *	within their buffers); one refused must say why. The choice among
 *	the lines must agree with a count of the lines starting v=DMARC1.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	over tests/fuzz/corpus/dmarc; scripts/fuzz.sh runs it under
 *	libFuzzer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

#define LINES_MAX 16

static void
check_record(const struct dmarc_record *r)
{
	if (r->p < 0 || r->p > DMARC_POLICY_REJECT || r->sp < 0 ||
	    r->sp > DMARC_POLICY_REJECT || r->np < 0 ||
	    r->np > DMARC_POLICY_REJECT || r->adkim < 0 || r->adkim > 1 ||
	    r->aspf < 0 || r->aspf > 1 || r->pct < 0 || r->pct > 100 ||
	    r->ri < 0)
		abort();
	if (memchr(r->rua, '\0', sizeof(r->rua)) == NULL ||
	    memchr(r->ruf, '\0', sizeof(r->ruf)) == NULL ||
	    memchr(r->fo, '\0', sizeof(r->fo)) == NULL)
		abort();
	for (const char *p = r->rua; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > 126)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	char err[256], *t = malloc(size + 1), *lines[LINES_MAX], *p;
	const char *cl[LINES_MAX];
	size_t n = 0, dmarc = 0;
	int rc;

	memcpy(t, data, size);
	t[size] = '\0';
	err[0] = '\0';
	if (dmarc_record_parse(t, &r, err, sizeof(err)) == 0)
		check_record(&r);
	else if (err[0] == '\0')
		abort();
	for (p = t; n < LINES_MAX && p != NULL; n++) {
		lines[n] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	for (size_t i = 0; i < n; i++) {
		const char *q = lines[i];

		cl[i] = lines[i];
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != 'v' && *q != 'V')
			continue;
		for (q++; *q == ' ' || *q == '\t'; q++)
			;
		if (*q++ != '=')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "DMARC1", 6) == 0 && (q[6] == '\0' || q[6] == ';' ||
		    q[6] == ' ' || q[6] == '\t'))
			dmarc++;
	}
	rc = dmarc_record_pick(cl, n, &r, err, sizeof(err));
	if ((dmarc == 1) != (rc != 0))
		abort();
	if (rc == 1)
		check_record(&r);
	free(t);
	return 0;
}
