/*
 * dns_priv.h - what the resolver's files share (not for other modules).
 *
 *	mk_dns__servers() walks a [dns] servers list, calling each(arg,
 *	"ADDR@PORT") per server; 0, or -1 with a message in err.
 */
#ifndef MK_DNS_PRIV_H
#define MK_DNS_PRIV_H

#include <stddef.h>

int mk_dns__servers(const char *text, void (*each)(void *arg, const char *fwd),
    void *arg, char *err, size_t errlen);

#endif
