/*
 * dns_priv.h - what the resolver's files share (not for other modules).
 *
 *	mk_dns__servers() walks a [dns] servers list, calling each(arg,
 *	"ADDR@PORT") per server; 0, or -1 with a message in err.
 *
 *	struct mk_dns__answer_priv is what an answer owns: libunbound's
 *	result, or (from the cache) a block of rdata, and the records.
 *
 *	The cache (dns_cache.c): mk_dns__cache_new() one of max_bytes (0:
 *	keeps nothing), mk_dns__cache_free(); mk_dns__cache_get() a copy of
 *	the answer for name and type still fresh at now (monotonic seconds),
 *	NULL if none; mk_dns__cache_put() keeps a copy of an answer for its
 *	TTL (not a temporary failure, not a TTL of 0).
 */
#ifndef MK_DNS_PRIV_H
#define MK_DNS_PRIV_H

#include <stddef.h>

struct ub_result;
struct mk_dns_answer;
struct mk_dns_rr;

struct mk_dns__answer_priv {
	struct ub_result *res;
	unsigned char *blob;
	struct mk_dns_rr *rr;
};

struct mk_dns__cache;

struct mk_dns__cache *mk_dns__cache_new(size_t max_bytes);
void mk_dns__cache_free(struct mk_dns__cache *c);
struct mk_dns_answer *mk_dns__cache_get(struct mk_dns__cache *c,
    const char *name, int type, long long now);
void mk_dns__cache_put(struct mk_dns__cache *c, const char *name, int type,
    const struct mk_dns_answer *a, long long now);

int mk_dns__servers(const char *text, void (*each)(void *arg, const char *fwd),
    void *arg, char *err, size_t errlen);

#endif
