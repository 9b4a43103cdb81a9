/*
 * NAME
 *	pattern.c - domain patterns and bounce domain templates of
 *	[returnpath] (see returnpath_conf.h)
 * DESCRIPTION
 *	Shared by the configuration's checks (conf.c), the table
 *	(table.c) and the rewrite (rewrite.c), so that what -t accepts is
 *	exactly what the filter applies.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mk_addr.h"
#include "returnpath_conf.h"

#define RP_DOMAIN_MAX	253
#define RP_SAMPLE	"example.com"	/* %d when a template is checked */

int
rp_pattern_check(const char *p, size_t n, char *err, size_t errlen)
{
	const char *why;

	if (n == 1 && p[0] == '*')
		return 0;
	if ((why = mk_addr_ldh_problem(p + (n > 0 && p[0] == '.'),
	    n - (n > 0 && p[0] == '.'))) == NULL)
		return 0;
	snprintf(err, errlen, "bad domain pattern \"%.*s\": %s (want *, "
	    "example.com or .example.com)", (int)(n > 64 ? 64 : n), p, why);
	return -1;
}

int
rp_pattern_match(const char *pattern, const char *domain)
{
	size_t pn = strlen(pattern), dn = strlen(domain);

	if (strcmp(pattern, "*") == 0)
		return dn > 0;
	if (pattern[0] == '.')
		return dn > pn && strcasecmp(domain + dn - pn, pattern) == 0;
	return strcasecmp(pattern, domain) == 0;
}

/* The expansion of the n octets at t into out; 0, or -1 when it does not
 * fit or a '%' is not "%d". */
static int
expand(const char *t, size_t n, const char *domain, char *out, size_t outlen)
{
	size_t k = 0, dn = strlen(domain);

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '%') {
			if (i + 1 >= n || t[i + 1] != 'd' || k + dn >= outlen)
				return -1;
			memcpy(out + k, domain, dn);
			k += dn;
			i++;
			continue;
		}
		if (k + 1 >= outlen)
			return -1;
		out[k++] = (t[i] >= 'A' && t[i] <= 'Z') ?
		    (char)(t[i] - 'A' + 'a') : t[i];
	}
	if (k >= outlen)
		return -1;
	out[k] = '\0';
	return 0;
}

int
rp_template_check(const char *t, size_t n, char *err, size_t errlen)
{
	char out[RP_DOMAIN_MAX + 2];
	const char *why;

	if (n == 0 || n > RP_TEMPLATE_MAX) {
		snprintf(err, errlen, "a bounce domain template is 1 to %d "
		    "octets", RP_TEMPLATE_MAX);
		return -1;
	}
	if (expand(t, n, RP_SAMPLE, out, sizeof(out)) != 0) {
		snprintf(err, errlen, "bad bounce domain template \"%.*s\": "
		    "'%%' must start %%d, the sender's domain", (int)(n > 64 ?
		    64 : n), t);
		return -1;
	}
	if ((why = mk_addr_ldh_problem(out, strlen(out))) != NULL) {
		snprintf(err, errlen, "bad bounce domain template \"%.*s\": "
		    "with %%d = " RP_SAMPLE " the domain %s (want e.g. "
		    "bounces.%%d)", (int)(n > 64 ? 64 : n), t, why);
		return -1;
	}
	return 0;
}

int
rp_template_expand(const char *t, const char *domain, char *out,
    size_t outlen)
{
	if (expand(t, strlen(t), domain, out, outlen) != 0 ||
	    mk_addr_ldh_problem(out, strlen(out)) != NULL) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}
