/*
 * NAME
 *	mk_daemon - sockets, pid file, privileges and signals of the daemons
 * SYNOPSIS
 *	#include "mk_daemon.h"
 *
 *	int	mk_sock_parse(const char *spec, struct mk_sockspec *out,
 *			char *err, size_t errlen);
 * DESCRIPTION
 *	mk_sock_parse() accepts the socket forms libmilter accepts:
 *	"unix:/path" (also "local:/path" and a bare "/path"),
 *	"inet:PORT@HOST" and "inet6:PORT@HOST" (HOST a name or a literal
 *	address; "inet:PORT" alone means all IPv4 addresses). Returns 0, or
 *	-1 with a message in err.
 */
#ifndef MK_DAEMON_H
#define MK_DAEMON_H

#include <stddef.h>
#include <sys/un.h>

struct mk_sockspec {
	int family;			/* AF_UNIX, AF_INET or AF_INET6 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];			/* "" = any address */
	unsigned port;
};

int mk_sock_parse(const char *spec, struct mk_sockspec *out, char *err,
    size_t errlen);

#endif
