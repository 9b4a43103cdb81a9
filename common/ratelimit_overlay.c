/*
 * ratelimit_overlay.c - the counts this process has handed to its writer
 * thread and that are not yet known to be committed, by state key (see
 * ratelimit_priv.h).
 *
 * The checking thread looks a key up here before it reads the store: so
 * its decisions include every count it has made, committed or not, and
 * counting stays exact within the process. Entries are listed in the
 * order of their last update; once the writer has dealt with that update
 * (committed or lost it), mk_rl__ov_prune() drops the entry and the store is
 * read again. So the overlay holds at most the updates in flight: about a
 * commit's worth, never the whole state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "ratelimit_priv.h"

#define RL_OV_BUCKETS 4096		/* a power of two */

struct rl_ov_ent {
	struct rl_ov_ent *hnext;	/* same bucket */
	struct rl_ov_ent *prev, *next;	/* by last update, oldest first */
	uint64_t seq;			/* the writer's number of that update */
	int n;
	int64_t tat[2 * MK_RL_RATES_MAX];
	size_t klen;
	char k[];			/* klen octets */
};

struct rl_overlay {
	struct rl_ov_ent *tab[RL_OV_BUCKETS];
	struct rl_ov_ent *oldest, *newest;
	size_t n;
};

/* FNV-1a over the key octets. */
static size_t
bucket(const char *k, size_t klen)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h & (RL_OV_BUCKETS - 1);
}

static struct rl_ov_ent *
find(const struct rl_overlay *ov, const char *k, size_t klen)
{
	struct rl_ov_ent *x;

	for (x = ov->tab[bucket(k, klen)]; x != NULL; x = x->hnext)
		if (x->klen == klen && memcmp(x->k, k, klen) == 0)
			return x;
	return NULL;
}

static void
unlist(struct rl_overlay *ov, struct rl_ov_ent *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		ov->oldest = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	else
		ov->newest = x->prev;
	x->prev = x->next = NULL;
}

static void
list_newest(struct rl_overlay *ov, struct rl_ov_ent *x)
{
	x->prev = ov->newest;
	x->next = NULL;
	if (ov->newest != NULL)
		ov->newest->next = x;
	else
		ov->oldest = x;
	ov->newest = x;
}

struct rl_overlay *
mk_rl__ov_new(void)
{
	return mk_calloc(1, sizeof(struct rl_overlay));
}

void
mk_rl__ov_free(struct rl_overlay *ov)
{
	if (ov == NULL)
		return;
	mk_rl__ov_prune(ov, UINT64_MAX);
	free(ov);
}

int
mk_rl__ov_get(const struct rl_overlay *ov, const char *k, size_t klen,
    int64_t *tat, int n)
{
	const struct rl_ov_ent *x = find(ov, k, klen);

	if (x == NULL)
		return 0;
	memset(tat, 0, (size_t)n * sizeof(*tat));
	memcpy(tat, x->tat, (size_t)(x->n < n ? x->n : n) * sizeof(*tat));
	return 1;
}

void
mk_rl__ov_put(struct rl_overlay *ov, const char *k, size_t klen,
    const int64_t *tat, int n, uint64_t seq)
{
	struct rl_ov_ent *x = find(ov, k, klen);

	if (klen > RL_KEY_BUF || n > 2 * MK_RL_RATES_MAX)
		mk_panic("mk_rl__ov_put: key of %zu octets, %d rates", klen, n);
	if (x == NULL) {
		size_t b = bucket(k, klen);

		x = mk_calloc(1, sizeof(*x) + klen);
		memcpy(x->k, k, klen);
		x->klen = klen;
		x->hnext = ov->tab[b];
		ov->tab[b] = x;
		ov->n++;
	} else {
		unlist(ov, x);
	}
	memcpy(x->tat, tat, (size_t)n * sizeof(*tat));
	x->n = n;
	x->seq = seq;
	list_newest(ov, x);
}

void
mk_rl__ov_prune(struct rl_overlay *ov, uint64_t done)
{
	while (ov->oldest != NULL && ov->oldest->seq <= done) {
		struct rl_ov_ent *x = ov->oldest, **pp;

		unlist(ov, x);
		for (pp = &ov->tab[bucket(x->k, x->klen)]; *pp != x;
		    pp = &(*pp)->hnext)
			;
		*pp = x->hnext;
		ov->n--;
		free(x);
	}
}

size_t
mk_rl__ov_size(const struct rl_overlay *ov)
{
	return ov != NULL ? ov->n : 0;
}
