/*
 * dns_servers.c - the [dns] servers list: HOST[:PORT] items, checked and
 * turned into libunbound's "ADDR@PORT" forwarder form (see mk_dns.h).
 *
 * Kept apart from dns.c so that the configuration (which every program
 * reads) checks the list without linking libunbound.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_priv.h"
#include "mk_dns.h"
#include "mk_list.h"

#define SERVER_ITEM_MAX	64	/* "[v6 address]:65535" fits */
#define SERVERS_MAX	16

/* One item ("192.0.2.1", "192.0.2.1:5353", "2001:db8::1",
 * "[2001:db8::1]:5353") as "ADDR@PORT" in out; -1 with err. */
static int
server_item(const char *p, size_t n, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char host[SERVER_ITEM_MAX + 1], *colon;
	unsigned char bin[sizeof(struct in6_addr)];
	unsigned long port = 53;
	const char *portp = NULL;
	char *end;

	memcpy(host, p, n);
	host[n] = '\0';
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		if (close[1] == ':')
			portp = close + 2;
		*close = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
		if (inet_pton(AF_INET6, host, bin) != 1)
			goto bad;
	} else if (inet_pton(AF_INET6, host, bin) == 1) {
		/* a bare IPv6 address: no port */
	} else {
		if ((colon = strchr(host, ':')) != NULL) {
			*colon = '\0';
			portp = colon + 1;
		}
		if (inet_pton(AF_INET, host, bin) != 1)
			goto bad;
	}
	if (portp != NULL) {
		port = strtoul(portp, &end, 10);
		if (*portp == '\0' || *end != '\0' || port < 1 || port > 65535)
			goto bad;
	}
	if ((size_t)snprintf(out, outlen, "%s@%lu", host, port) >= outlen)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "bad name server \"%.*s\" (want an IPv4 or IPv6 "
	    "address, with :PORT if not 53; IPv6 with a port as [ADDR]:PORT)",
	    (int)n, p);
	return -1;
}

int
mk_dns__servers(const char *text, void (*each)(void *arg, const char *fwd),
    void *arg, char *err, size_t errlen)
{
	struct mk_list l;
	char fwd[SERVER_ITEM_MAX + 8];
	int rc;

	mk_list_init(&l, text, SERVER_ITEM_MAX, SERVERS_MAX, "name servers");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		if (server_item(l.item, l.len, fwd, sizeof(fwd), err, errlen) != 0)
			return -1;
		if (each != NULL)
			each(arg, fwd);
	}
	return rc < 0 ? -1 : 0;
}

int
mk_dns_servers_check(const char *text, char *err, size_t errlen)
{
	return mk_dns__servers(text, NULL, NULL, err, errlen);
}
