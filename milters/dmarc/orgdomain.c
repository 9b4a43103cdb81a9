/*
 * orgdomain.c - Organizational Domains over the Public Suffix List
 * (libpsl) and identifier alignment (RFC 7489 3.1, 3.2; see dmarc.h).
 *
 * Our own code rather than libopendmarc's, which gets strict alignment,
 * one-letter labels and the list's wildcard rules wrong.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libpsl.h>

#include "dmarc.h"

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_load(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

int
dmarc_org_init(char *err, size_t errlen)
{
	pthread_once(&psl_once, psl_load);
	if (psl == NULL) {
		snprintf(err, errlen, "no Public Suffix List (libpsl has none "
		    "built in and none was found)");
		return -1;
	}
	return 0;
}

/* domain lower-cased, without a final dot, in buf; -1 if not a name. */
static int
normal(const char *domain, char *buf, size_t size)
{
	size_t n = strlen(domain), label = 0;

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DMARC_DOMAIN_MAX || n >= size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)domain[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (c <= ' ' || c >= 127 || ++label > 63) {
			return -1;
		}
		buf[i] = (char)tolower(c);
	}
	buf[n] = '\0';
	return label > 0 ? 0 : -1;
}

int
dmarc_org_domain(const char *domain, char *out, size_t size)
{
	char name[DMARC_DOMAIN_MAX + 1];
	const char *org;
	char err[128];

	if (normal(domain, name, sizeof(name)) != 0 ||
	    dmarc_org_init(err, sizeof(err)) != 0)
		return -1;
	org = psl_registrable_domain(psl, name);
	if (org == NULL)	/* a public suffix itself */
		org = name;
	if (strlen(org) >= size)
		return -1;
	strcpy(out, org);
	return 0;
}

int
dmarc_aligned(const char *a, const char *b, int mode)
{
	char na[DMARC_DOMAIN_MAX + 1], nb[DMARC_DOMAIN_MAX + 1];

	if (normal(a, na, sizeof(na)) != 0 || normal(b, nb, sizeof(nb)) != 0)
		return 0;
	if (strcmp(na, nb) == 0)
		return 1;
	if (mode == DMARC_ALIGN_STRICT)
		return 0;
	if (dmarc_org_domain(na, na, sizeof(na)) != 0 ||
	    dmarc_org_domain(nb, nb, sizeof(nb)) != 0)
		return 0;
	return strcmp(na, nb) == 0;
}
